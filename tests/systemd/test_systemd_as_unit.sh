#!/bin/bash
# --as-unit UNIT under a real systemd (README.md, "--as-unit UNIT: check as the unit would"):
# boots its own test system (lib.sh), where root reaches the manager on /run/systemd/private (no
# D-Bus daemon runs), and compares what the checks answer from root's shell, under --as-unit,
# and in the unit's own ExecStartPre=. Prints "ok - ..." / "not ok - ..." lines and a final
# "as-unit: N passed, N failed" line.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SUITE=as-unit
# shellcheck source=lib.sh
. "$HERE/lib.sh"

# A TCP port below 1024 that nothing holds here (the test system shares the machine's network):
# root may bind it, nobody without CAP_NET_BIND_SERVICE may not.
LOW_PORT=$(python3 - <<'PY'
import socket
for port in range(900, 1000):
    try:
        for family, addr in ((socket.AF_INET, "0.0.0.0"), (socket.AF_INET6, "::")):
            s = socket.socket(family, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            s.bind((addr, port))
            s.close()
        print(port)
        break
    except OSError:
        continue
PY
)
stage_files "$HERE/as_unit/units" "$HERE/as_unit/files" -e "s|@LOW_PORT@|$LOW_PORT|g"
boot_test_system pf-as.target
P=$INSIDE_PREFLIGHT
CHAIN=/run/preflight-test/as-app.conf
echo "# a free port below 1024: $LOW_PORT"

# What root's shell has that the unit does not: a file in the shared /tmp (PrivateTmp=yes hides
# it) and a directory anyone may write to (ProtectSystem=strict makes it read-only).
inside touch /tmp/pf-as-marker
inside mkdir -m 1777 /run/preflight-test/data

# as_unit_left: the transient units still known to the manager (none, once each run is over).
as_unit_left() { sctl list-units --all --no-legend --plain 'preflight-as-*' 2>/dev/null; }
expect_none_left() {
	local left i
	for i in $(seq "$(polls 20)"); do
		left=$(as_unit_left)
		[ -z "$left" ] && break
		sleep 0.1
	done
	if [ -z "$left" ]; then
		pass "$1: no preflight-as-* unit is left"
	else
		fail "$1: units left behind: $left"
	fi
}

# run_code ARGS...: the exit code of preflight ARGS inside the test system, its stdout in OUT
# and its stderr in ERR.
run_code() {
	local status
	OUT=$(inside "$P" "$@" 2>"$STAGE/err")
	status=$?
	ERR=$(cat "$STAGE/err")
	return $status
}

# ---- the unit's own ExecStartPre= ----------------------------------------------------------------
sctl start pf-as-app.service
wait_prop pf-as-app.service ActiveState active
mapfile -t UNIT_STATUS < <(prop pf-as-app.service ExecStartPre | grep -o 'status=[0-9]*' | cut -d= -f2)
echo "# pf-as-app.service's ExecStartPre= statuses: ${UNIT_STATUS[*]}"
if [ "${#UNIT_STATUS[@]}" -eq 8 ]; then
	pass "the unit's eight ExecStartPre= commands all ran"
else
	fail "the unit's ExecStartPre= gave ${#UNIT_STATUS[@]} statuses, expected 8"
fi

# compare INDEX ROOT_CODE DESCRIPTION ARGS...: ARGS from root's shell exit ROOT_CODE; with
# --as-unit pf-as-app they exit what the unit's ExecStartPre= number INDEX did.
compare() {
	local index=$1 root_code=$2 what=$3 code
	shift 3
	run_code "$@"
	code=$?
	if [ "$code" -eq "$root_code" ]; then
		pass "$what: from root's shell: $code"
	else
		fail "$what: from root's shell: $code, expected $root_code ($ERR)"
	fi
	run_code "$@" --as-unit pf-as-app
	code=$?
	local want=${UNIT_STATUS[$index]:-none}
	if [ "$code" = "$want" ]; then
		pass "$what: --as-unit pf-as-app: $code, as the unit's own ExecStartPre= ($want)"
	else
		fail "$what: --as-unit pf-as-app: $code, the unit's ExecStartPre= got $want ($ERR)"
	fi
	AS_ERR=$ERR
	AS_CODE=$code
}

compare 0 10 "user nobody" user nobody --group nogroup
[ "$AS_CODE" -eq 0 ] && pass "user: passes only under --as-unit (User=nobody)" ||
	fail "user: --as-unit gave $AS_CODE, expected 0"
compare 1 0 "port $LOW_PORT" port "$LOW_PORT"
[ "$AS_CODE" -eq 21 ] && pass "port: 21 as nobody without CAP_NET_BIND_SERVICE" ||
	fail "port: --as-unit gave $AS_CODE, expected 21"
expect_contains "$AS_ERR" "FAIL port $LOW_PORT/tcp" "port: the FAIL line comes back on the caller's stderr"
compare 2 0 "limit nofile>=4096" limit 'nofile>=4096'
[ "$AS_CODE" -eq 31 ] && pass "limit: 31 under LimitNOFILE=1024" || fail "limit: --as-unit gave $AS_CODE, expected 31"
compare 3 0 "cap net_bind_service" cap net_bind_service
[ "$AS_CODE" -eq 30 ] && pass "cap: 30 without ambient capabilities" || fail "cap: --as-unit gave $AS_CODE, expected 30"
compare 4 0 "PrivateTmp=yes" exec 'test -e /tmp/pf-as-marker'
[ "$AS_CODE" -eq 120 ] && pass "exec: the caller's /tmp is not the unit's (PrivateTmp=yes)" ||
	fail "exec: --as-unit gave $AS_CODE, expected 120"
compare 5 0 "ProtectSystem=strict" exec 'touch /run/preflight-test/data/probe'
[ "$AS_CODE" -eq 120 ] && pass "exec: a directory root may write is read-only (ProtectSystem=strict)" ||
	fail "exec: --as-unit gave $AS_CODE, expected 120"
compare 6 0 "file --writable" file /run/preflight-test/data --writable
[ "$AS_CODE" -eq 103 ] && pass "file: 103 under ProtectSystem=strict (a read-only mount)" ||
	fail "file: --as-unit gave $AS_CODE, expected 103"
expect_contains "$AS_ERR" "ReadWritePaths=" "file: the fix names ReadWritePaths="
compare 7 0 "the chain" run "$CHAIN" --keep-going
[ "$AS_CODE" -eq 21 ] && pass "run: the chain's first failure under --as-unit is the port's 21" ||
	fail "run: --as-unit gave $AS_CODE, expected 21"
expect_contains "$AS_ERR" "ok   user nobody" "run: \${APP_USER} came from the unit's EnvironmentFile="
expect_contains "$AS_ERR" "FAIL limit" "run: --keep-going reports the limit too"
expect_none_left "after the checks"
run_code run "$CHAIN" -v --as-unit pf-as-app
expect_contains "$ERR" "preflight: run: --as-unit: " "-v: says what was carried"
expect_contains "$ERR" "settings of pf-as-app.service carried into preflight-as-pf-as-app-" "-v: and into which unit"

# ---- output -------------------------------------------------------------------------------------
run_code port "$LOW_PORT" --json --as-unit pf-as-app
code=$?
[ "$code" -eq 21 ] && pass "--json: same code (21)" || fail "--json: code $code, expected 21"
expect_contains "$OUT" '"check":"port"' "--json: the JSON line comes back on the caller's stdout"
expect_contains "$OUT" '"code":21' "--json: with the code in it"
expect_absent "$ERR" '"check"' "--json: nothing of it on stderr"
run_code run - --as-unit pf-as-app <<<"user nobody"
code=$?
[ "$code" -eq 0 ] && pass "run -: the chain is read from the caller's stdin" ||
	fail "run -: code $code, expected 0 ($ERR)"
run_code run as-app --as-unit pf-as-app
code=$?
[ "$code" -eq 6 ] && expect_contains "$ERR" "/etc/preflight/as-app.conf" \
	"run NAME: the unit is given /etc/preflight/NAME.conf" ||
	fail "run NAME: code $code, expected 6 ($ERR)"
out=$(cd /run && inside sh -c "cd /run/preflight-test && $P run ./as-plain.conf --as-unit pf-as-plain 2>&1")
code=$?
[ "$code" -eq 0 ] && pass "run ./FILE: made absolute for the unit's working directory" ||
	fail "run ./FILE: code $code, expected 0 ($out)"

# What --as-unit costs: the median of 9 runs of one check, plain and under --as-unit (a figure
# for README.md, not an assertion beyond "well under a second").
median_ms() {
	local i t0 times=()
	for i in $(seq 9); do
		t0=$(date +%s%N)
		inside "$P" "$@" >/dev/null 2>&1
		times+=($((($(date +%s%N) - t0) / 1000000)))
	done
	printf '%s\n' "${times[@]}" | sort -n | sed -n 5p
}
plain_ms=$(median_ms user nobody)
as_ms=$(median_ms user nobody --as-unit pf-as-app)
echo "# user nobody: median ${plain_ms}ms plain, ${as_ms}ms with --as-unit pf-as-app (9 runs each, nsenter included)"
[ "$as_ms" -lt $((1000 * ${PREFLIGHT_TIME_SLACK:-1})) ] && pass "--as-unit costs ${as_ms}ms (under a second)" ||
	fail "--as-unit took ${as_ms}ms for one check"

run_code exec pwd --expect-output /run/preflight-test --as-unit pf-as-plain
code=$?
[ "$code" -eq 0 ] && pass "WorkingDirectory=-/run/preflight-test carried (pwd)" ||
	fail "WorkingDirectory=: code $code ($ERR)"
expect_absent "$ERR" "not carried" "WorkingDirectory= with '-': read back as '!', sent as '-', not named"

inside ln -s preflight /run/preflight-test/bin/preflight-user
out=$(inside /run/preflight-test/bin/preflight-user nobody --as-unit pf-as-app 2>&1)
code=$?
[ "$code" -eq 0 ] && pass "preflight-user (a link): --as-unit runs the check by its name (0)" ||
	fail "preflight-user --as-unit: $code ($out)"

# ---- errors -------------------------------------------------------------------------------------
run_code user nobody --as-unit pf-nope
code=$?
[ "$code" -eq 4 ] && pass "a unit that does not exist: 4" || fail "a unit that does not exist: $code, expected 4"
expect_contains "$ERR" "no unit pf-nope.service" "a unit that does not exist: named (NAME means NAME.service)"
started_before=$(inside journalctl --no-pager -o cat 2>/dev/null | grep -c 'preflight .* --as-unit')
run_code port "$LOW_PORT" --bogus --as-unit pf-as-app
code=$?
[ "$code" -eq 2 ] && pass "a usage error: 2" || fail "a usage error: $code, expected 2"
expect_contains "$ERR" "preflight: port: unknown option '--bogus'" "a usage error: named as always"
run_code user nobody --as-unit pf-as-app -- /bin/true
code=$?
[ "$code" -eq 2 ] && pass "-- COMMAND with --as-unit: refused (2)" || fail "-- COMMAND: $code, expected 2"
run_code user nobody --as-unit
code=$?
[ "$code" -eq 2 ] && pass "--as-unit without UNIT: 2" || fail "--as-unit without UNIT: $code, expected 2"
run_code user nobody --as-unit pf-as-app --as-unit=pf-as-plain
code=$?
[ "$code" -eq 2 ] && expect_contains "$ERR" "--as-unit given twice" "--as-unit twice: 2, named" ||
	fail "--as-unit twice: $code ($ERR)"
run_code run - <<<"user nobody --as-unit pf-as-app"
code=$?
[ "$code" -eq 6 ] && expect_contains "$ERR" "stdin:1: user: unknown option '--as-unit'" \
	"--as-unit in a chain file's line: 6, FILE:LINE, and where it goes instead" ||
	fail "--as-unit in a chain file: $code ($ERR)"
run_code user nobody --as-unit pf-as.target
code=$?
[ "$code" -eq 2 ] && pass "--as-unit with a target: 2 (a service only)" || fail "--as-unit with a target: $code"
inside journalctl --sync 2>/dev/null
started_after=$(inside journalctl --no-pager -o cat 2>/dev/null | grep -c 'preflight .* --as-unit')
[ "$started_before" = "$started_after" ] && pass "no transient unit was started for the usage errors" ||
	fail "the journal shows transient units started for usage errors ($started_before, then $started_after)"

# ---- what the manager fails before the checks run --------------------------------------------
sctl start pf-as-nouser.service 2>/dev/null
want=$(prop pf-as-nouser.service ExecStartPre | grep -o 'status=[0-9]*' | cut -d= -f2)
run_code user pf-no-such-user --as-unit pf-as-nouser
code=$?
[ "$code" = "$want" ] && [ "$code" -eq 217 ] &&
	pass "User= that does not exist: $code, as the unit's own ExecStartPre= ($want)" ||
	fail "User= that does not exist: $code, the unit's ExecStartPre= got '$want'"
expect_contains "$ERR" "could not start the checks (status 217" "217: the message says the manager failed before the checks"
expect_none_left "after a unit that failed to start"

# ---- what cannot be carried -------------------------------------------------------------------
run_code user root --as-unit pf-as-label
code=$?
[ "$code" -eq 0 ] && pass "a setting not carried: the checks still run (0)" ||
	fail "a setting not carried: code $code, expected 0 ($ERR)"
warnings=$(printf '%s\n' "$ERR" | grep -c 'not carried')
line=$(printf '%s\n' "$ERR" | grep 'not carried')
[ "$warnings" -eq 1 ] && [ "$line" = "preflight: user: --as-unit: not carried into the transient unit: SELinuxContext" ] &&
	pass "a setting not carried: named in one warning line ($line)" ||
	fail "a setting not carried: expected one warning naming SELinuxContext, got: $ERR"
run_code user nobody --as-unit pf-as-app
expect_absent "$ERR" "not carried" "a unit that sets nothing uncarriable: no warning"
expect_none_left "after the refused calls"

# ---- deadlines and signals ----------------------------------------------------------------------
start=$(date +%s%N)
run_code exec 'sleep 60' -t 1s
plain=$?
run_code exec 'sleep 60' -t 1s --as-unit pf-as-app
code=$?
ms=$((($(date +%s%N) - start) / 1000000))
[ "$code" -eq "$plain" ] && [ "$code" -eq 121 ] && pass "a check that hangs: $code, as without --as-unit" ||
	fail "a check that hangs: $code, without --as-unit $plain"
limit_ms=$((4000 * ${PREFLIGHT_TIME_SLACK:-1}))
[ "$ms" -lt "$limit_ms" ] && pass "a check that hangs: both runs ended in ${ms}ms (-t 1s each)" ||
	fail "a check that hangs: ${ms}ms for two runs of -t 1s"
expect_none_left "after the deadline"

inside "$P" exec 'sleep 60' -t 30s --as-unit pf-as-app 2>"$STAGE/err" &
caller=$!
for i in $(seq "$(polls 50)"); do
	[ -n "$(as_unit_left)" ] && break
	sleep 0.1
done
sleep 0.3
inside pkill -TERM -f "^$P exec sleep 60 -t 30s --as-unit" 2>/dev/null
wait "$caller"
code=$?
[ "$code" -eq 143 ] && pass "SIGTERM to the caller: 143" || fail "SIGTERM to the caller: $code, expected 143 ($(cat "$STAGE/err"))"
expect_none_left "after SIGTERM"
left=$(inside pgrep -f 'sleep 60' 2>/dev/null)
[ -z "$left" ] && pass "SIGTERM to the caller: the checks' command is gone too" ||
	fail "SIGTERM to the caller: 'sleep 60' still runs (PID $left)"

# The caller's own bound: checks that cannot keep their deadline (stopped with SIGSTOP, as a
# frozen process would be) are killed at the deadline + 250 ms + 3 s, with the check's timeout code.
start=$(date +%s%N)
inside "$P" exec 'sleep 60' -t 1s --as-unit pf-as-plain 2>"$STAGE/err" &
caller=$!
main=0
for i in $(seq "$(polls 50)"); do
	unit=$(as_unit_left | awk '{print $1}' | head -1)
	[ -n "$unit" ] && main=$(prop "$unit" MainPID)
	[ "${main:-0}" -gt 0 ] && break
	sleep 0.05
done
inside kill -STOP "$main"
wait "$caller"
code=$?
ms=$((($(date +%s%N) - start) / 1000000))
[ "$code" -eq 121 ] && pass "checks that overrun: the caller ends them with the timeout code (121)" ||
	fail "checks that overrun: code $code, expected 121 ($(cat "$STAGE/err"))"
expect_contains "$(cat "$STAGE/err")" "past the checks' deadline: killed" "checks that overrun: the message says so"
[ "$ms" -ge 4000 ] && [ "$ms" -lt $((6000 * ${PREFLIGHT_TIME_SLACK:-1})) ] &&
	pass "checks that overrun: ended after ${ms}ms (-t 1s, + 250ms, + 3s)" ||
	fail "checks that overrun: ended after ${ms}ms, expected about 4250ms"
expect_none_left "after the caller's bound"

# ---- a caller that is not root: its own user manager ---------------------------------------------
# nobody's user manager (user@65534.service, which needs the system bus and logind for its runtime
# directory: both started here), with a unit of its own in /run/systemd/user/.
inside mkdir -p /run/systemd/user
inside cp /run/preflight-test/pf-as-user.service /run/systemd/user/
sctl start dbus.socket dbus.service systemd-logind.service user@65534.service 2>"$STAGE/err"
if [ "$(prop user@65534.service ActiveState)" = active ]; then
	pass "nobody's user manager runs"
else
	fail "nobody's user manager did not start: $(cat "$STAGE/err")"
fi
AS_NOBODY=(setpriv --reuid 65534 --regid 65534 --clear-groups env XDG_RUNTIME_DIR=/run/user/65534)
out=$(inside "${AS_NOBODY[@]}" "$P" limit 'nofile<=512' 2>&1)
code=$?
[ "$code" -eq 31 ] && pass "as nobody, plain: limit nofile<=512 fails (31)" || fail "as nobody, plain: $code ($out)"
out=$(inside "${AS_NOBODY[@]}" "$P" limit 'nofile<=512' --as-unit pf-as-user 2>&1)
code=$?
[ "$code" -eq 0 ] && pass "as nobody, --as-unit pf-as-user (nobody's user manager): LimitNOFILE=512 carried (0)" ||
	fail "as nobody, --as-unit pf-as-user: $code ($out)"
expect_absent "$out" "not carried" "as nobody: nothing named as not carried (WorkingDirectory="!/" of a user unit sent as "-/")"
out=$(printf 'port ${PF_AS_USER_PORT}\n' | inside "${AS_NOBODY[@]}" "$P" run - --as-unit pf-as-user 2>&1)
code=$?
[ "$code" -eq 21 ] && expect_contains "$out" "port $LOW_PORT/tcp" "as nobody: the user unit's Environment= expands in the chain (21 for port $LOW_PORT)" ||
	fail "as nobody: run - --as-unit pf-as-user: $code ($out)"
out=$(inside "${AS_NOBODY[@]}" "$P" user nobody --as-unit pf-as-app 2>&1)
code=$?
[ "$code" -eq 4 ] && expect_contains "$out" "no unit pf-as-app.service" \
	"as nobody: a system unit is not among nobody's units (4)" || fail "as nobody, a system unit: $code ($out)"
out=$(inside setpriv --reuid 65534 --regid 65534 --clear-groups env -u XDG_RUNTIME_DIR -u DBUS_SESSION_BUS_ADDRESS \
	"$P" user nobody --as-unit pf-as-user 2>&1)
code=$?
[ "$code" -eq 4 ] && expect_contains "$out" "cannot reach your user's service manager" \
	"as nobody without XDG_RUNTIME_DIR: 4, the message says which manager" || fail "as nobody without XDG_RUNTIME_DIR: $code ($out)"
# Through the user's D-Bus daemon instead of the manager's private socket: the signals come through
# the bus (Subscribe), and the answers are the same.
out=$(inside setpriv --reuid 65534 --regid 65534 --clear-groups env -u XDG_RUNTIME_DIR \
	DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/65534/bus "$P" limit 'nofile<=512' --as-unit pf-as-user 2>&1)
code=$?
[ "$code" -eq 0 ] && pass "as nobody, through the user bus (dbus-daemon): the same answer (0)" ||
	fail "as nobody, through the user bus: $code ($out)"
left=$(inside "${AS_NOBODY[@]}" systemctl --user list-units --all --no-legend --plain 'preflight-as-*' 2>&1)
[ -z "$left" ] && pass "as nobody: no preflight-as-* unit is left in the user manager" || fail "as nobody: left: $left"

# ---- the whole path under valgrind ---------------------------------------------------------------
# tests/valgrind.sh has no manager to talk to: here there is one. The caller's side (libsystemd,
# the settings copied, the wait, the relay) must be memcheck-clean; the unit's side is a plain run.
if [ -n "${ASAN_OPTIONS:-}" ]; then
	echo "# valgrind: not over a sanitized binary (tests/sanitize.sh runs this suite so)"
elif command -v valgrind >/dev/null; then
	out=$(inside valgrind -q --error-exitcode=99 --leak-check=full \
		--errors-for-leak-kinds=definite,indirect,possible --show-leak-kinds=definite,indirect,possible \
		"$P" run "$CHAIN" --keep-going --as-unit pf-as-app 2>&1)
	code=$?
	if [ "$code" -eq 21 ]; then
		pass "valgrind: run --as-unit is memcheck-clean and exits 21"
	else
		fail "valgrind: run --as-unit exited $code:"
		printf '%s\n' "$out" | sed 's/^/#     /' | head -40
	fi
	expect_none_left "after valgrind"
else
	fail "valgrind is not installed (packaging/deps.sh installs it)"
fi

finish_suite
