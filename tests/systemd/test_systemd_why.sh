#!/bin/bash
# `preflight why` under a real systemd 252 (README.md, "When a unit fails: preflight why"): boots
# its own test system (tests/systemd/lib.sh) with PID 1 logging to the journal, makes the units in
# tests/systemd/why/units/ fail in each pattern the advice knows, and asserts that `why` names the
# cause and the setting each time, in human lines and in --json; that a unit that does not exist
# and a manager that cannot be reached give 4; and that `why` without a unit lists the failed ones.
#
# PREFLIGHT names the binary under test. Prints "ok - ..." / "not ok - ..." lines and a final
# "why: N passed, N failed" line; exit status as test_systemd.sh's.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SUITE=why
# shellcheck source=lib.sh
. "$HERE/lib.sh"

# PID 1 logs to the journal once journald runs: "Start request repeated too quickly", "Can't open
# PID file" are its lines, not the unit's.
export PREFLIGHT_SYSTEMD_ARGS="--log-target=journal-or-kmsg"
stage_files "$HERE/why/units" "$HERE/why/files" -e "s|@FILES@|/run/preflight-test|g"
# What the tests below read inside the test system goes in with the units: the checkout may be
# under /tmp, which the test system covers with its own tmpfs.
cp "$TESTS_DIR/valgrind.supp" "$STAGE/files/valgrind.supp"
cp "$(dirname "$TESTS_DIR")/packaging/bash-completion/preflight" "$STAGE/files/bash-completion"
boot_test_system pf-why.target

# why UNIT [ARGS]: runs `preflight why` inside; sets OUT (stdout and stderr), STATUS, and FLAT
# (OUT with each line break and the indent after it made one space: advice lines are wrapped).
# Never with the caller's bus addresses: root reaches the manager on /run/systemd/private.
why() {
	OUT=$(inside env -u DBUS_SYSTEM_BUS_ADDRESS -u DBUS_SESSION_BUS_ADDRESS \
		-u XDG_RUNTIME_DIR "$INSIDE_PREFLIGHT" why "$@" 2>&1)
	STATUS=$?
	flatten
}
flatten() { FLAT=$(printf '%s\n' "$OUT" | sed 's/^ *//' | tr '\n' ' '); }

# wait_invocation UNIT TEXT: polls the journal of UNIT's current invocation (its processes' and the
# manager's lines) for TEXT, 5 s at most. journald 252 takes a stream's lines in its own time,
# even after journalctl --sync (which waits for no stream): a test that asserts a line waits for
# it first.
wait_invocation() {
	local id i
	id=$(prop "$1" InvocationID)
	for i in $(seq "$(polls 50)"); do
		inside journalctl --no-pager -o cat "_SYSTEMD_INVOCATION_ID=$id" + "INVOCATION_ID=$id" \
			2>/dev/null | grep -qF -- "$2" && return 0
		sleep 0.1
	done
	echo "# '$2' never came in the journal of $1's invocation $id"
	return 1
}

# show TITLE: the output, for the log (and the README's examples).
show() {
	echo "# \$ preflight why $1  (exit $STATUS)"
	printf '%s\n' "$OUT" | sed 's/^/#   /'
}

expect_status() {
	if [ "$STATUS" -eq "$1" ]; then
		pass "$2 (exit $STATUS)"
	else
		fail "$2: exit $STATUS, expected $1"
		printf '%s\n' "$OUT" | sed 's/^/#     /'
	fi
}

# expect_json UNIT PYTHON-EXPRESSION DESCRIPTION: `why UNIT --json` parses (python3 -m
# json.tool) and the expression over it (d) holds.
expect_json() {
	local unit=$1 expr=$2 what=$3 json
	json=$(inside env -u XDG_RUNTIME_DIR "$INSIDE_PREFLIGHT" why "$unit" --json 2>/dev/null)
	expect_json_text "$json" "$expr" "$what"
}

# expect_json_text JSON PYTHON-EXPRESSION DESCRIPTION: as expect_json, on JSON already read.
expect_json_text() {
	local json=$1 expr=$2 what=$3
	if ! printf '%s' "$json" | python3 -m json.tool >/dev/null 2>&1; then
		fail "$what: --json does not parse: $json"
		return
	fi
	if printf '%s' "$json" | python3 -c "import json, sys; d = json.load(sys.stdin); sys.exit(0 if ($expr) else 1)"; then
		pass "$what"
	else
		fail "$what: ($expr) does not hold for:"
		printf '%s\n' "$json" | sed 's/^/#     /'
	fi
}

# ---- 143 on stop: a JVM-like process stopped with systemctl stop ----------------------------
sctl start pf-why-jvm.service
wait_prop pf-why-jvm.service SubState running
sleep 0.2 # the shell is in its loop, with the trap set
sctl stop pf-why-jvm.service
wait_prop pf-why-jvm.service ActiveState failed
why pf-why-jvm
show pf-why-jvm
expect_status 0 "143: why reports a failed unit with exit 0"
expect_contains "$FLAT" "pf-why-jvm.service: failed (Result: exit-code)" "143: the unit line has the state and result"
expect_contains "$FLAT" "exited 143: 128+15, killed by SIGTERM" "143: the status is explained as 128+15, SIGTERM"
expect_contains "$FLAT" "SuccessExitStatus=143" "143: the advice names SuccessExitStatus=143"
expect_json pf-why-jvm.service "d['result'] == 'exit-code' and any(c['setting'] == 'ExecStart' and c['status'] == 143 for c in d['commands']) and any('SuccessExitStatus=143' in a for a in d['advice'])" \
	"143: --json carries the status and the advice"

# ---- a permanent preflight code in ExecStartPre= with Restart= ------------------------------
sctl start pf-why-startpre.service 2>/dev/null
restarts=0
for i in $(seq "$(polls 150)"); do
	restarts=$(prop pf-why-startpre.service NRestarts)
	[ "$restarts" -ge 3 ] && break
	sleep 0.1
done
[ "$restarts" -ge 3 ] && pass "ExecStartPre: the unit restarts despite RestartPreventExitStatus=11 (NRestarts=$restarts)" ||
	fail "ExecStartPre: NRestarts=$restarts, expected at least 3"
# Between two runs (RestartSec=2s), once journald has taken in the last run's line: a run that
# failed a moment ago may still have it in journald's stream (README: Decisions). On a loaded
# machine the next run may begin before why asks: then it is asked again, between the next two.
for attempt in 1 2 3 4 5; do
	wait_prop pf-why-startpre.service SubState auto-restart
	wait_invocation pf-why-startpre.service "FAIL user pf-why-nosuchuser"
	why pf-why-startpre.service
	JSON=$(inside "$INSIDE_PREFLIGHT" why pf-why-startpre --json 2>/dev/null)
	[[ "$FLAT" == *"(auto-restart)"*"journal: FAIL user"* && "$JSON" == *'"sub_state":"auto-restart"'*'FAIL user'* ]] && break
	echo "# attempt $attempt: why asked during another run; again"
done
show pf-why-startpre.service
expect_status 0 "ExecStartPre: why reports a restarting unit with exit 0"
expect_contains "$FLAT" "restarts" "ExecStartPre: the unit line counts the restarts"
expect_contains "$FLAT" "ExecStartPre=$INSIDE_PREFLIGHT user pf-why-nosuchuser" "ExecStartPre: the command is shown as systemd has it"
expect_contains "$FLAT" "exited 11: preflight user: the named user or group does not exist, permanent" \
	"ExecStartPre: 11 is explained by check, meaning and kind"
expect_contains "$FLAT" "journal: FAIL user pf-why-nosuchuser" "ExecStartPre: preflight's FAIL line of the last run is shown from the journal"
expect_contains "$FLAT" "RestartPreventExitStatus= sees only the main process" "ExecStartPre: the advice says why the restarts go on"
expect_contains "$FLAT" "ExecStart=/usr/bin/preflight run NAME -- COMMAND" "ExecStartPre: the advice names the wrapper"
n_fail=$(printf '%s\n' "$OUT" | grep -c "journal: FAIL user")
[ "$n_fail" -eq 1 ] && pass "ExecStartPre: only the last invocation's FAIL line (1 of $restarts runs)" ||
	fail "ExecStartPre: $n_fail FAIL lines shown, expected the last invocation's one"
expect_json_text "$JSON" "d['restarts'] >= 3 and any(c['setting'] == 'ExecStartPre' and c['status'] == 11 for c in d['commands']) and any('FAIL user' in l['message'] and l['source'] == 'unit' for l in d['journal']) and any('wrapper' in a for a in d['advice'])" \
	"ExecStartPre: --json carries the code, the journal line and the advice"
sctl stop pf-why-startpre.service

# ---- 203/EXEC ---------------------------------------------------------------------------------
sctl start pf-why-exec-missing.service 2>/dev/null
wait_prop pf-why-exec-missing.service ActiveState failed
why pf-why-exec-missing
show pf-why-exec-missing
expect_status 0 "203: why reports with exit 0"
expect_contains "$FLAT" "exited 203: systemd EXEC" "203: the status is named EXEC"
expect_contains "$FLAT" "/nonexistent/bin/pf-why-app, which does not exist" "203: the advice says the path does not exist"

sctl start pf-why-exec-noexec.service 2>/dev/null
wait_prop pf-why-exec-noexec.service ActiveState failed
why pf-why-exec-noexec
show pf-why-exec-noexec
expect_contains "$FLAT" "exited 203: systemd EXEC" "203 (no x bit): the status is named EXEC"
expect_contains "$FLAT" "chmod +x /run/preflight-test/not-executable.sh" "203 (no x bit): the advice says chmod +x"

# ---- 200/CHDIR, 217/USER ------------------------------------------------------------------------
sctl start pf-why-chdir.service 2>/dev/null
wait_prop pf-why-chdir.service ActiveState failed
why pf-why-chdir
show pf-why-chdir
expect_contains "$FLAT" "exited 200: systemd CHDIR" "200: the status is named CHDIR"
expect_contains "$FLAT" "WorkingDirectory=/nonexistent-pf-why" "200: the advice names WorkingDirectory="

sctl start pf-why-user.service 2>/dev/null
wait_prop pf-why-user.service ActiveState failed
why pf-why-user
show pf-why-user
expect_contains "$FLAT" "exited 217: systemd USER" "217: the status is named USER"
expect_contains "$FLAT" "User=pf-why-nosuchuser" "217: the advice names User="

# ---- Type=notify without READY=1 ----------------------------------------------------------------
sctl start pf-why-notify.service 2>/dev/null
wait_prop pf-why-notify.service ActiveState failed 10
why pf-why-notify
show pf-why-notify
expect_contains "$FLAT" "(Result: timeout)" "notify: the result is timeout"
expect_contains "$FLAT" "never sent READY=1 within TimeoutStartSec=1s" "notify: the advice says READY=1 never came, and TimeoutStartSec="
expect_contains "$FLAT" "NotifyAccess=main" "notify: the advice names NotifyAccess="

# ---- Type=forking whose PID file never appears --------------------------------------------------
sctl start pf-why-forking.service 2>/dev/null
wait_prop pf-why-forking.service ActiveState failed 10
wait_invocation pf-why-forking.service "Can't open PID file"
why pf-why-forking
show pf-why-forking
expect_contains "$FLAT" "PIDFile=/run/pf-why-forking.pid never appeared" "forking: the advice names PIDFile="
expect_contains "$FLAT" "systemd: Can't open PID file /run/pf-why-forking.pid" "forking: the manager's own line from the journal"

# ---- start-limit-hit ----------------------------------------------------------------------------
sctl start pf-why-limit.service 2>/dev/null
wait_prop pf-why-limit.service ActiveState failed 10
sleep 0.5 # no restart after the limit
wait_invocation pf-why-limit.service "Start request repeated too quickly"
echo "# pf-why-limit.service: Result=$(prop pf-why-limit.service Result), NRestarts=$(prop pf-why-limit.service NRestarts)"
why pf-why-limit
show pf-why-limit
expect_contains "$FLAT" "systemd: Start request repeated too quickly" "start limit: the manager's line, found by the failed run's invocation id"
expect_contains "$FLAT" "start-limit-hit" "start limit: named, whatever Result= says"
expect_contains "$FLAT" "systemctl reset-failed pf-why-limit.service" "start limit: the advice says systemctl reset-failed"
expect_contains "$FLAT" "StartLimitBurst=2" "start limit: the advice names StartLimitBurst="
expect_contains "$FLAT" "exited 1: LSB FAILURE" "start limit: the failing status of the last run too"

# ---- a condition that skipped it ---------------------------------------------------------------
sctl start pf-why-condition.service
why pf-why-condition
show pf-why-condition
expect_status 0 "condition: why reports a skipped unit with exit 0"
expect_contains "$FLAT" "ConditionPathExists=/nonexistent-pf-why was not met" "condition: the advice names the condition"
expect_json pf-why-condition "any(c['setting'] == 'ConditionPathExists' and c['state'] == 'failed' for c in d['conditions'])" \
	"condition: --json has the failed condition"

# ---- a running service, a target: reported, nothing to advise ----------------------------------
sctl start pf-why-ok.service
wait_prop pf-why-ok.service SubState running
why pf-why-ok
show pf-why-ok
expect_status 0 "running: exit 0"
expect_contains "$FLAT" "pf-why-ok.service: active (running) (Result: success), 0 restarts" "running: the unit line"
expect_contains "$FLAT" "ExecStart=/bin/sleep 600" "running: the command"
expect_contains "$FLAT" "running (pid $(prop pf-why-ok.service MainPID))" "running: its PID"
expect_absent "$FLAT" "→" "running: no advice"
why pf-why.target
show pf-why.target
expect_status 0 "a target: exit 0"
expect_contains "$FLAT" "pf-why.target: active" "a target: its state, no service properties"

# ---- a manager that does not answer: the deadline holds ----------------------------------------
# PID 1 stopped (SIGSTOP from outside its namespace): the connection is accepted by the kernel,
# nothing answers.
kill -STOP "$SYSTEMD_PID"
start=$(date +%s%N)
why pf-why-ok -t 500ms
elapsed=$((($(date +%s%N) - start) / 1000000))
kill -CONT "$SYSTEMD_PID"
show "pf-why-ok -t 500ms (PID 1 stopped)"
expect_status 4 "a manager that does not answer: 4"
expect_contains "$FLAT" "did not answer in time" "a manager that does not answer: the message says so"
expect_absent "$FLAT" "still running past its deadline" "a manager that does not answer: why's own deadline, not the last-resort timer"
if [ "$elapsed" -lt $((1500 * ${PREFLIGHT_TIME_SLACK:-1})) ]; then
	pass "a manager that does not answer: why ends by -t 500ms (${elapsed}ms, nsenter included)"
else
	fail "a manager that does not answer: why took ${elapsed}ms with -t 500ms"
fi
wait_prop pf-why-ok.service SubState running

# ---- no such unit, no manager, usage -------------------------------------------------------------
why pf-why-nosuch
show pf-why-nosuch
expect_status 4 "a unit that does not exist is 4"
expect_contains "$FLAT" "no unit named 'pf-why-nosuch.service'" "a unit that does not exist: the message says so"

OUT=$(inside env -u DBUS_SESSION_BUS_ADDRESS XDG_RUNTIME_DIR=/run/user/4242 \
	"$INSIDE_PREFLIGHT" why --user pf-why-jvm 2>&1)
STATUS=$?
flatten
show "--user pf-why-jvm"
expect_status 4 "--user without a user manager is 4"
expect_contains "$FLAT" "/run/user/4242/systemd/private" "--user: the message names the private socket tried"
expect_contains "$FLAT" "user bus" "--user: the message names the user bus tried"

why pf-why-jvm pf-why-user
expect_status 2 "two units are a usage error"
expect_contains "$FLAT" "'pf-why-user'" "two units: the message names the second"
why pf-why-jvm --bogus
expect_status 2 "an unknown option is a usage error"
expect_contains "$FLAT" "'--bogus'" "an unknown option: the message names it"
why 'bad/name'
expect_status 2 "a name with a slash is a usage error"

# ---- no unit: the failed ones ------------------------------------------------------------------
why
show ""
expect_status 0 "why without a unit reports with exit 0"
for unit in pf-why-jvm pf-why-exec-missing pf-why-chdir pf-why-user pf-why-notify pf-why-forking pf-why-limit; do
	line=$(printf '%s\n' "$OUT" | grep "^$unit.service: ")
	if [ -n "$line" ]; then
		pass "why without a unit lists $unit.service with a reason"
	else
		fail "why without a unit does not list $unit.service"
	fi
done
expect_contains "$FLAT" "pf-why-exec-missing.service: failed (Result: exit-code), 0 restarts: ExecStart= exited 203" \
	"why without a unit: the reason is the failing command and its status"
expect_absent "$FLAT" "pf-why-condition" "why without a unit: a skipped unit is not failed"
expect_absent "$FLAT" "pf-why-ok" "why without a unit: a running unit is not failed"
json=$(inside "$INSIDE_PREFLIGHT" why --json 2>/dev/null)
if printf '%s\n' "$json" | python3 -c '
import json, sys
lines = [json.loads(l) for l in sys.stdin if l.strip()]
names = {d["unit"] for d in lines}
sys.exit(0 if "pf-why-user.service" in names and all(d["active_state"] == "failed" for d in lines) else 1)'; then
	pass "why --json without a unit: one JSON object per failed unit"
else
	fail "why --json without a unit: $json"
fi

# ---- under valgrind, against this manager and journal ------------------------------------------
# tests/valgrind.sh has no manager to ask: here the bus and journal paths run under memcheck, with
# valgrind.sh's options (no error, no leak definitely, indirectly or possibly lost).
if command -v valgrind >/dev/null && ! ldd "$PREFLIGHT" 2>/dev/null | grep -q libasan; then
	for args in "pf-why-startpre" "pf-why-limit --json" "pf-why-condition" ""; do
		# shellcheck disable=SC2086
		out=$(inside valgrind --tool=memcheck --leak-check=full \
			--show-leak-kinds=definite,indirect,possible \
			--errors-for-leak-kinds=definite,indirect,possible --error-exitcode=99 \
			--suppressions=/run/preflight-test/valgrind.supp "$INSIDE_PREFLIGHT" why $args 2>&1 >/dev/null)
		status=$?
		if [ "$status" -eq 0 ] && [[ "$out" == *"ERROR SUMMARY: 0 errors"* ]]; then
			pass "valgrind: why ${args:-(the failed units)} is clean"
		else
			fail "valgrind: why ${args:-(the failed units)}: exit $status"
			printf '%s\n' "$out" | grep -v '^==[0-9]*== *$' | head -40 | sed 's/^/#     /'
		fi
	done
fi

# ---- not root: through the system bus (a dbus-daemon started here) -------------------------------
# nobody may not use /run/systemd/private: why takes the system bus, and the manager answers there.
# The system journal is not nobody's to read: why says so rather than show no line.
if sctl start dbus.socket dbus.service 2>/dev/null && wait_prop dbus.service ActiveState active; then
	for i in $(seq "$(polls 50)"); do
		inside test -S /run/dbus/system_bus_socket && break
		sleep 0.1
	done
	OUT=$(inside setpriv --reuid=nobody --regid=nogroup --clear-groups \
		env -u XDG_RUNTIME_DIR -u DBUS_SYSTEM_BUS_ADDRESS "$INSIDE_PREFLIGHT" why pf-why-exec-missing 2>&1)
	STATUS=$?
	flatten
	show "pf-why-exec-missing (as nobody)"
	expect_status 0 "as nobody through the system bus: why reports"
	expect_contains "$FLAT" "exited 203: systemd EXEC" "as nobody: the manager's view is the same"
	expect_contains "$FLAT" "no line readable: the system journal is for root and the adm and systemd-journal groups" \
		"as nobody: the journal it may not read is named, not taken for an empty one"

	# --user: nobody's own manager (user@65534.service, through logind), on its private socket.
	inside mkdir -p /run/systemd/user
	inside sh -c "printf '[Service]\\nExecStartPre=%s user pf-why-nosuchuser\\nExecStart=/bin/true\\n' \
		$INSIDE_PREFLIGHT >/run/systemd/user/pf-why-user-unit.service"
	NOBODY=(setpriv --reuid=nobody --regid=nogroup --clear-groups
		env -u DBUS_SESSION_BUS_ADDRESS XDG_RUNTIME_DIR=/run/user/65534)
	if sctl start systemd-logind.service user@65534.service 2>/dev/null &&
		wait_prop user@65534.service ActiveState active; then
		inside "${NOBODY[@]}" systemctl --user start pf-why-user-unit.service 2>/dev/null
		OUT=$(inside "${NOBODY[@]}" "$INSIDE_PREFLIGHT" why --user pf-why-user-unit 2>&1)
		STATUS=$?
		flatten
		show "--user pf-why-user-unit (as nobody, its own manager)"
		expect_status 0 "--user: why reports a unit of the user's own manager"
		expect_contains "$FLAT" "pf-why-user-unit.service: failed (Result: exit-code)" "--user: the unit line"
		expect_contains "$FLAT" "exited 11: preflight user: the named user or group does not exist" \
			"--user: the ExecStartPre= status explained"
		expect_contains "$FLAT" "journal: no line readable" \
			"--user: nobody's units log to the system journal, which nobody may not read: said so"
		OUT=$(inside "${NOBODY[@]}" "$INSIDE_PREFLIGHT" why --user 2>&1)
		STATUS=$?
		flatten
		expect_contains "$FLAT" "pf-why-user-unit.service: failed (Result: exit-code), 0 restarts: ExecStartPre= exited 11" \
			"--user without a unit: the user manager's failed units"
	else
		fail "user@65534.service did not start: the --user case was not run"
	fi
	# root's own manager: its units' lines are in the system journal, which root reads.
	ROOT_USER=(env -u DBUS_SESSION_BUS_ADDRESS XDG_RUNTIME_DIR=/run/user/0)
	if sctl start user@0.service 2>/dev/null && wait_prop user@0.service ActiveState active; then
		inside "${ROOT_USER[@]}" systemctl --user start pf-why-user-unit.service 2>/dev/null
		id=$(inside "${ROOT_USER[@]}" systemctl --user show -p InvocationID --value pf-why-user-unit.service)
		for i in $(seq "$(polls 50)"); do
			inside journalctl --no-pager -o cat "_SYSTEMD_INVOCATION_ID=$id" 2>/dev/null |
				grep -q "FAIL user" && break
			sleep 0.1
		done
		OUT=$(inside "${ROOT_USER[@]}" "$INSIDE_PREFLIGHT" why --user pf-why-user-unit 2>&1)
		STATUS=$?
		flatten
		show "--user pf-why-user-unit (root's own manager)"
		expect_status 0 "--user as root: why reports"
		expect_contains "$FLAT" "journal: FAIL user pf-why-nosuchuser" \
			"--user as root: the unit's FAIL line, found by its invocation in the system journal"
	else
		fail "user@0.service did not start: root's --user case was not run"
	fi
else
	fail "dbus.service did not start in the test system: the non-root case was not run"
fi

# ---- bash completion of unit names (systemctl inside the test system) ---------------------------
if [ -f /usr/share/bash-completion/bash_completion ]; then
	got=$(inside bash --norc --noprofile -c '
		. /usr/share/bash-completion/bash_completion
		. "$1"
		COMP_WORDS=(preflight why pf-why-j); COMP_CWORD=2
		COMP_LINE="preflight why pf-why-j"; COMP_POINT=${#COMP_LINE}
		_preflight preflight pf-why-j why
		printf "%s\n" "${COMPREPLY[@]}"' _ /run/preflight-test/bash-completion 2>&1)
	expect_contains "$got" "pf-why-jvm.service" "completion: preflight why completes unit names from systemctl"
fi

finish_suite
