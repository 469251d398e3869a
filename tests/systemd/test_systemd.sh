#!/bin/bash
# End-to-end tests under a real systemd (README.md, "With systemd"): boots systemd in private PID, mount, UTS
# and cgroup namespaces, starts the units in tests/systemd/units/ and asserts what `systemctl show`,
# `systemctl status` and `journalctl` say about them. Prints "ok - ..." / "not ok - ..." lines and
# a final "systemd: N passed, N failed" line.
#
# PREFLIGHT names the binary under test (make systemd sets it). Exit status: 0 when every test
# passed or when the suite cannot run here at all (not root, systemd not installed: said loudly,
# and a failure when CI is set: tests/skip.sh); 1 when a test failed or when systemd is installed
# but did not boot.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TESTS_DIR=$(dirname "$HERE")
PREFLIGHT=${PREFLIGHT:-$(dirname "$TESTS_DIR")/build/preflight}
SYSTEMD_BIN=/lib/systemd/systemd
TARGET=pf-test.target
PASSED=0
FAILED=0
SUITE_START=$(date +%s%N)

# shellcheck source=../skip.sh
. "$TESTS_DIR/skip.sh"

# not_run REASON [DETAIL [FAILED]]: the suite ends without running. FAILED 1: it failed (the
# banner, and 1 failure). Otherwise it cannot run here: tests/skip.sh's banner, 0 failures, or 1
# under CI. The summary line counts them; the status is 1 when there is one.
not_run() {
	local line="################################################################################"
	local failed=${3:-0}
	if [ "$failed" -gt 0 ]; then
		printf '%s\n# SYSTEMD SUITE NOT RUN: %s\n%s\n' "$line" "$1" "$line"
	else
		skipped "the systemd suite" "$1" || failed=1
	fi
	[ -n "${2:-}" ] && printf '%s\n' "$2" | sed 's/^/#   /'
	echo "systemd: 0 passed, $failed failed (not run)"
	[ "$failed" -eq 0 ]
	exit
}

if [ "$(id -u)" -ne 0 ]; then
	not_run "not root: booting systemd in private namespaces needs root"
fi
if [ ! -x "$SYSTEMD_BIN" ]; then
	not_run "systemd is not installed ($SYSTEMD_BIN is missing; apt-get install systemd)"
fi
for tool in unshare nsenter systemctl journalctl python3; do
	if ! command -v "$tool" >/dev/null; then
		not_run "$tool is not installed"
	fi
done
if [ ! -x "$PREFLIGHT" ]; then
	echo "not ok - the binary under test '$PREFLIGHT' does not exist (build it, or set PREFLIGHT)"
	echo "systemd: 0 passed, 1 failed"
	exit 1
fi
PREFLIGHT=$(cd "$(dirname "$PREFLIGHT")" && pwd)/$(basename "$PREFLIGHT")

STAGE=$(mktemp -d /tmp/preflight-systemd.XXXXXX)
TAG=preflight-test.$$
CGROUP_DIRS=()
UNSHARE_PID=
SYSTEMD_PID=

# The directory of this shell's cgroup in every mounted hierarchy (one line each; one in all on a
# cgroup2-only machine). The test systemd gets a child of each, so everything it creates stays
# below a directory we remove at the end, and the machine's root cgroups are left alone.
own_cgroup_dirs() {
	awk 'FNR == NR {
		for (i = 7; $i != "-"; i++) ;
		if ($(i + 1) == "cgroup" || $(i + 1) == "cgroup2") {
			point[n] = $5; type[n] = $(i + 1); opts[n] = "," $(i + 3) ","; n++
		}
		next
	}
	{
		id = index($0, ":"); rest = substr($0, id + 1); c = index(rest, ":")
		controllers = substr(rest, 1, c - 1); path = substr(rest, c + 1)
		if (path == "/") path = ""
		for (j = 0; j < n; j++) {
			if (controllers == "" && type[j] == "cgroup2") { print point[j] path; break }
			if (controllers == "" || type[j] != "cgroup") continue
			k = split(controllers, want, ","); hit = 1
			for (m = 1; m <= k; m++) if (index(opts[j], "," want[m] ",") == 0) hit = 0
			if (hit) { print point[j] path; break }
		}
	}' /proc/self/mountinfo /proc/self/cgroup
}

make_cgroups() {
	local dir
	while read -r dir; do
		[ -d "$dir" ] || continue
		mkdir "$dir/$TAG" 2>/dev/null || continue
		# A v1 cpuset cgroup takes no process until it has CPUs and memory nodes of its own.
		if [ -f "$dir/cpuset.cpus" ]; then
			cat "$dir/cpuset.cpus" >"$dir/$TAG/cpuset.cpus" 2>/dev/null
			cat "$dir/cpuset.mems" >"$dir/$TAG/cpuset.mems" 2>/dev/null
		fi
		CGROUP_DIRS+=("$dir/$TAG")
	done < <(own_cgroup_dirs)
}

remove_cgroups() {
	local dir
	for dir in "${CGROUP_DIRS[@]}"; do
		# The killed processes leave their cgroups a moment after they are reaped.
		for _ in $(seq 50); do
			[ -d "$dir" ] || break
			find "$dir" -depth -type d -exec rmdir {} + 2>/dev/null
			[ -d "$dir" ] || break
			sleep 0.1
		done
		[ -d "$dir" ] && echo "# could not remove the test cgroup $dir" >&2
	done
}

# Stops the test systemd: SIGKILL to the first process of a PID namespace ends every process in it,
# and with them the namespaces and their tmpfs mounts.
shutdown_systemd() {
	if [ -n "$SYSTEMD_PID" ]; then
		kill -9 "$SYSTEMD_PID" 2>/dev/null
		SYSTEMD_PID=
	fi
	if [ -n "$UNSHARE_PID" ]; then
		# unshare exits once it has reaped systemd; if systemd never came up, end unshare too.
		for i in $(seq 50); do
			kill -0 "$UNSHARE_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$UNSHARE_PID" 2>/dev/null
		wait "$UNSHARE_PID" 2>/dev/null
		UNSHARE_PID=
	fi
	remove_cgroups
	CGROUP_DIRS=()
	rm -rf "$STAGE"
}
trap shutdown_systemd EXIT
trap 'exit 130' INT TERM HUP

pass() { PASSED=$((PASSED + 1)); echo "ok - $*"; }
fail() { FAILED=$((FAILED + 1)); echo "not ok - $*"; }

# Commands inside the test system.
inside() { nsenter -t "$SYSTEMD_PID" -m -p -- "$@"; }
sctl() { inside systemctl --no-pager "$@"; }
prop() { sctl show -p "$2" --value "$1"; }

# POLLS N: N polls, times the wall-clock factor of the whole suite, PREFLIGHT_TIME_SLACK
# (tests/integration/lib.sh's TIME_SLACK; tests/sanitize.sh sets 2): how long a test polls for
# what the units under test must do before it gives up. A poll ends as soon as it holds.
polls() { echo $(($1 * ${PREFLIGHT_TIME_SLACK:-1})); }

# wait_prop UNIT PROPERTY VALUE [SECONDS]: waits until PROPERTY of UNIT is VALUE (5 s default).
wait_prop() {
	local i limit
	limit=$(polls $((${4:-5} * 20)))
	for ((i = 0; i < limit; i++)); do
		[ "$(prop "$1" "$2")" = "$3" ] && return 0
		sleep 0.05
	done
	return 1
}

# expect_prop UNIT PROPERTY VALUE DESCRIPTION
expect_prop() {
	local value
	value=$(prop "$1" "$2")
	if [ "$value" = "$3" ]; then
		pass "$4 ($2=$value)"
	else
		fail "$4: $2=$value, expected $3"
	fi
}

# expect_contains TEXT NEEDLE DESCRIPTION
expect_contains() {
	if [[ "$1" == *"$2"* ]]; then
		pass "$3"
	else
		fail "$3: '$2' not found in:"
		printf '%s\n' "$1" | sed 's/^/#     /'
	fi
}

expect_absent() {
	if [[ "$1" != *"$2"* ]]; then
		pass "$3"
	else
		fail "$3: '$2' found in:"
		printf '%s\n' "$1" | sed 's/^/#     /'
	fi
}

# journal UNIT [ARGS]: the unit's messages, after journald has taken in what was written so far.
journal() {
	local unit=$1
	shift
	inside journalctl --sync 2>/dev/null
	inside journalctl --no-pager -o cat -u "$unit" "$@" 2>/dev/null
}

# wait_journal UNIT TEXT [ARGS]: polls the unit's journal for TEXT (5 s at most), then prints it.
wait_journal() {
	local unit=$1 text=$2 i out
	shift 2
	for i in $(seq "$(polls 50)"); do
		out=$(journal "$unit" "$@")
		[[ "$out" == *"$text"* ]] && break
		sleep 0.1
	done
	printf '%s\n' "$out"
}

# The status= systemd recorded for the ExecStartPre= commands of UNIT, e.g. "status=20".
start_pre_status() {
	prop "$1" ExecStartPre | grep -o 'status=[0-9]*' | head -1
}

free_port() { python3 "$TESTS_DIR/peers/freeport.py" tcp; }

# ---- staging and boot --------------------------------------------------------------------------
FREE_PORT=$(free_port)
BUSY_PORT=$(free_port)
WAIT_PORT=$(free_port)
UDP_FREE_PORT=$(python3 "$TESTS_DIR/peers/freeport.py" udp)
UDP_BUSY_PORT=$(python3 "$TESTS_DIR/peers/freeport.py" udp)
mkdir -p "$STAGE/units" "$STAGE/files/bin"
# The binary goes in with the units: where it was built may be under /tmp, which the test system
# covers with its own tmpfs.
INSIDE_PREFLIGHT=/run/preflight-test/bin/preflight
cp "$PREFLIGHT" "$STAGE/files/bin/preflight"
chmod 755 "$STAGE/files/bin" "$STAGE/files/bin/preflight"
for src in "$HERE"/units/* "$HERE"/files/*; do
	kind=units
	[[ "$src" == "$HERE/files/"* ]] && kind=files
	sed -e "s|@PREFLIGHT@|$INSIDE_PREFLIGHT|g" -e "s|@FREE_PORT@|$FREE_PORT|g" \
		-e "s|@BUSY_PORT@|$BUSY_PORT|g" -e "s|@WAIT_PORT@|$WAIT_PORT|g" \
		-e "s|@UDP_FREE_PORT@|$UDP_FREE_PORT|g" -e "s|@UDP_BUSY_PORT@|$UDP_BUSY_PORT|g" \
		"$src" >"$STAGE/$kind/$(basename "$src")"
done
# Chain files run as root must be root's and not writable by others (README.md, "Safety as root").
chmod 644 "$STAGE"/files/*.* "$STAGE"/units/*

# Proof that the test system kept to its own /tmp and /run: this must be here, and its units
# must not be in the machine's /run, when the suite ends.
echo "the machine's /tmp" >"$STAGE/canary"

make_cgroups
(
	for dir in "${CGROUP_DIRS[@]}"; do
		echo "$BASHPID" >"$dir/cgroup.procs" 2>/dev/null
	done
	exec unshare --pid --fork --mount --mount-proc --uts --cgroup \
		"$HERE/boot.sh" "$STAGE" "$TARGET"
) >"$STAGE/boot.log" 2>&1 &
UNSHARE_PID=$!

boot_state=
for i in $(seq 300); do
	if [ -z "$SYSTEMD_PID" ]; then
		SYSTEMD_PID=$(awk '{print $1}' "/proc/$UNSHARE_PID/task/$UNSHARE_PID/children" 2>/dev/null)
	fi
	if [ -n "$SYSTEMD_PID" ] && [ "$(cat "/proc/$SYSTEMD_PID/comm" 2>/dev/null)" = systemd ]; then
		boot_state=$(inside systemctl is-system-running 2>/dev/null)
		case "$boot_state" in running | degraded) break ;; esac
	fi
	kill -0 "$UNSHARE_PID" 2>/dev/null || break
	sleep 0.1
done
case "$boot_state" in
running | degraded) ;;
*)
	not_run "systemd is installed but did not boot (state: '${boot_state:-none}')" \
		"$(tail -20 "$STAGE/boot.log" 2>/dev/null)" 1
	;;
esac
BOOT_MS=$((($(date +%s%N) - SUITE_START) / 1000000))
echo "# systemd $(sctl --version | head -1 | awk '{print $2}') booted in ${BOOT_MS}ms as PID $SYSTEMD_PID"
echo "# preflight under test: $PREFLIGHT (as $INSIDE_PREFLIGHT inside)"

# journald first, so that the services' stderr goes to the journal (JOURNAL_STREAM).
sctl start systemd-journald.socket systemd-journald.service
if [ "$(prop systemd-journald.service ActiveState)" = active ]; then
	pass "journald runs in the test system"
else
	fail "journald did not start: the journal tests below cannot pass"
fi

# A sanitized binary (tests/sanitize.sh) gets the sanitizer options it runs under out here, as the
# units' environment; without log_path, so that reports go with its stderr to the journal, which
# is searched for them at the end.
san_env=()
for var in ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS; do
	[ -n "${!var:-}" ] && san_env+=("$var=$(printf '%s' "${!var}" | sed 's/:\{0,1\}log_path=[^:]*//')")
done
if [ ${#san_env[@]} -gt 0 ]; then
	sctl set-environment "${san_env[@]}"
	echo "# units run with: ${san_env[*]}"
fi

# ---- wrapper mode and RestartPreventExitStatus= ------------------------------------------------
sctl start pf-wrapper-user.service
wait_prop pf-wrapper-user.service ActiveState failed
sleep 1 # ten RestartSec= periods: a restart would have happened by now
expect_prop pf-wrapper-user.service ActiveState failed "wrapper: a user mismatch fails the unit"
expect_prop pf-wrapper-user.service NRestarts 0 "wrapper: RestartPreventExitStatus=10 stops the restarts"
expect_prop pf-wrapper-user.service ExecMainStatus 10 "wrapper: the main process exits with the user code"
expect_prop pf-wrapper-user.service Result exit-code "wrapper: the unit failed on its exit code"
out=$(sctl status pf-wrapper-user.service 2>&1)
expect_contains "$out" "status=10" "systemctl status shows status=10"

sctl start pf-wrapper-user-loop.service
restarts=0
for i in $(seq "$(polls 50)"); do
	restarts=$(prop pf-wrapper-user-loop.service NRestarts)
	[ "$restarts" -ge 2 ] && break
	sleep 0.1
done
sctl stop pf-wrapper-user-loop.service
if [ "$restarts" -ge 2 ]; then
	pass "control: without RestartPreventExitStatus= the same unit restarts (NRestarts=$restarts)"
else
	fail "control: without RestartPreventExitStatus= the unit did not restart (NRestarts=$restarts)"
fi

sctl start pf-wrapper-user-ok.service
wait_prop pf-wrapper-user-ok.service SubState running
expect_prop pf-wrapper-user-ok.service ActiveState active "wrapper: a passing check starts the service"
main_pid=$(prop pf-wrapper-user-ok.service MainPID)
main_comm=$(inside cat "/proc/$main_pid/comm" 2>/dev/null)
if [ "$main_comm" = sleep ]; then
	pass "wrapper: the service replaced preflight as the main process (PID $main_pid is sleep)"
else
	fail "wrapper: main PID $main_pid is '$main_comm', expected sleep"
fi
out=$(wait_journal pf-wrapper-user-ok.service "ok   user root")
expect_contains "$out" "ok   user root" "wrapper: the passing check is in the unit's journal"
sctl stop pf-wrapper-user-ok.service

# ---- ExecStartPre= -----------------------------------------------------------------------------
sctl start pf-startpre-user.service 2>/dev/null && fail "ExecStartPre: systemctl start succeeded"
expect_prop pf-startpre-user.service ActiveState failed "ExecStartPre: a failing check fails the start"
status=$(start_pre_status pf-startpre-user.service)
[ "$status" = status=10 ] && pass "ExecStartPre: systemctl show gives status=10" ||
	fail "ExecStartPre: ExecStartPre shows '$status', expected status=10"

sctl start pf-user-as-nobody.service
expect_prop pf-user-as-nobody.service Result success "user: the check sees User=nobody Group=nogroup"

# ---- ExecCondition= ----------------------------------------------------------------------------
if sctl start pf-condition-skip.service; then
	pass "ExecCondition: systemctl start of a skipped unit succeeds"
else
	fail "ExecCondition: systemctl start of a skipped unit failed"
fi
expect_prop pf-condition-skip.service ActiveState inactive "ExecCondition: the skipped unit is inactive, not failed"
expect_prop pf-condition-skip.service Result success "ExecCondition: the skipped unit's result is success"
if inside test -e /run/preflight-test/condition-skip.ran; then
	fail "ExecCondition: ExecStart= ran although the check failed"
else
	pass "ExecCondition: ExecStart= did not run"
fi
failed_units=$(sctl list-units --failed --plain --no-legend)
expect_absent "$failed_units" pf-condition-skip "ExecCondition: the skipped unit is not listed as failed"
sctl start pf-condition-run.service
if inside test -e /run/preflight-test/condition-run.ran; then
	pass "ExecCondition: a passing check lets ExecStart= run"
else
	fail "ExecCondition: ExecStart= did not run although the check passed"
fi

# ---- journal priorities ------------------------------------------------------------------------
sctl start pf-journal-fail.service 2>/dev/null
sctl start pf-journal-ok.service
all_fail=$(wait_journal pf-journal-fail.service "FAIL user nobody")
err_fail=$(journal pf-journal-fail.service -p err)
all_ok=$(wait_journal pf-journal-ok.service "ok   user root")
err_ok=$(journal pf-journal-ok.service -p err)
expect_contains "$err_fail" "FAIL user nobody" "journalctl -p err shows the failure"
expect_contains "$all_ok" "ok   user root" "the success is in the journal"
expect_absent "$err_ok" "user root" "journalctl -p err does not show the success"
expect_absent "$all_fail$all_ok" "<3>" "the <3> prefix is read by journald, not printed"
fail_prio=$(journal pf-journal-fail.service -o json | grep '"MESSAGE":"FAIL' | grep -o '"PRIORITY":"[0-9]"')
ok_prio=$(journal pf-journal-ok.service -o json | grep '"MESSAGE":"ok ' | grep -o '"PRIORITY":"[0-9]"')
[ "$fail_prio" = '"PRIORITY":"3"' ] && pass "the failure has PRIORITY=3" || fail "the failure has $fail_prio"
[ "$ok_prio" = '"PRIORITY":"6"' ] && pass "the success has PRIORITY=6" || fail "the success has $ok_prio"

# ---- STATUS= while a check waits ---------------------------------------------------------------
sctl start --no-block pf-status-wait.service
status_text=
for i in $(seq "$(polls 100)"); do
	status_text=$(prop pf-status-wait.service StatusText)
	[[ "$status_text" == *"attempt "* ]] && break
	sleep 0.05
done
expect_contains "$status_text" "preflight: waiting for tcp 127.0.0.1:$WAIT_PORT, attempt" \
	"STATUS=: StatusText shows what preflight waits for"
out=$(sctl status pf-status-wait.service 2>&1)
expect_contains "$out" "Status: \"preflight: waiting for tcp 127.0.0.1:$WAIT_PORT" \
	"STATUS=: systemctl status shows the wait"
expect_prop pf-status-wait.service SubState start-pre "STATUS=: the unit is still in ExecStartPre"
sctl start pf-wait-listener.socket
if wait_prop pf-status-wait.service SubState running 10; then
	pass "STATUS=: the unit starts once the port accepts"
	# systemd keeps the last STATUS= of a running unit: empty means preflight cleared it.
	expect_prop pf-status-wait.service StatusText "" "STATUS=: preflight clears its status when done"
else
	fail "STATUS=: the unit did not start after the listener came (SubState=$(prop pf-status-wait.service SubState))"
fi
sctl stop pf-status-wait.service pf-wait-listener.socket pf-listener.service

# ---- port --------------------------------------------------------------------------------------
sctl start pf-holder.socket
expect_prop pf-holder.socket ActiveState active "the busy port $BUSY_PORT is held by a listening socket"
sctl start pf-port-busy.service 2>/dev/null && fail "port: systemctl start on a busy port succeeded"
expect_prop pf-port-busy.service ActiveState failed "port: a busy port fails the start"
status=$(start_pre_status pf-port-busy.service)
[ "$status" = status=20 ] && pass "port: ExecStartPre shows status=20" ||
	fail "port: ExecStartPre shows '$status', expected status=20"
out=$(wait_journal pf-port-busy.service "in use" -p err)
expect_contains "$out" "FAIL port $BUSY_PORT/tcp in use by systemd (pid 1) on 127.0.0.1:$BUSY_PORT [20]" \
	"port: journalctl -p err names the holder of the port"

if sctl start pf-port-free.service; then
	pass "port: systemctl start on a free port succeeds"
else
	fail "port: systemctl start on a free port failed"
fi
expect_prop pf-port-free.service SubState running "port: the service behind a free port runs"
status=$(start_pre_status pf-port-free.service)
[ "$status" = status=0 ] && pass "port: ExecStartPre on a free port shows status=0" ||
	fail "port: ExecStartPre on a free port shows '$status'"
out=$(journal pf-port-free.service -p err)
expect_absent "$out" "port" "port: journalctl -p err has nothing for the free port"
sctl stop pf-port-free.service

sctl start pf-port-wrapper.service
wait_prop pf-port-wrapper.service ActiveState failed
sleep 1
expect_prop pf-port-wrapper.service NRestarts 0 "port wrapper: RestartPreventExitStatus=20 stops the restarts"
expect_prop pf-port-wrapper.service ExecMainStatus 20 "port wrapper: the main process exits with 20"

# ---- port under sandboxing: ProcSubset=pid, RestrictAddressFamilies= ---------------------------
# The status= of a unit's last ExecStartPre= command (the ones before it ran and passed).
last_start_pre_status() {
	prop "$1" ExecStartPre | grep -o 'status=[0-9]*' | tail -1
}
sctl start pf-udp-holder.socket
expect_prop pf-udp-holder.socket ActiveState active "the busy UDP port $UDP_BUSY_PORT is held by PID 1"
udp_busy_line="FAIL port $UDP_BUSY_PORT/udp in use by systemd (pid 1) on 127.0.0.1:$UDP_BUSY_PORT [20]"
tcp_busy_line="FAIL port $BUSY_PORT/tcp in use by systemd (pid 1) on 127.0.0.1:$BUSY_PORT [20]"

sctl start pf-port-procsubset.service 2>/dev/null && fail "ProcSubset=pid: systemctl start on a busy UDP port succeeded"
status=$(last_start_pre_status pf-port-procsubset.service)
[ "$status" = status=20 ] && pass "ProcSubset=pid: a busy UDP port gives status=20" ||
	fail "ProcSubset=pid: ExecStartPre shows '$status', expected status=20"
out=$(wait_journal pf-port-procsubset.service "in use")
expect_contains "$out" "proc-net: absent" "ProcSubset=pid: the unit's /proc has no /proc/net"
expect_contains "$out" "$udp_busy_line" "ProcSubset=pid: the UDP holder is named (from sock_diag)"
expect_contains "$out" "     read " "ProcSubset=pid: --verbose says where the sockets came from"
verbose_udp=$(grep -m1 -A1 "FAIL port $UDP_BUSY_PORT/udp" <<<"$out" | tail -1)
expect_contains "$verbose_udp" "bound IPv6 socket" "ProcSubset=pid: UDP sockets of both families were listed"
expect_contains "$verbose_udp" "(from sock_diag) and " "ProcSubset=pid: sock_diag listed the UDP sockets"
expect_contains "$out" "$tcp_busy_line" "ProcSubset=pid: TCP too"
expect_absent "$out" "cannot list" "ProcSubset=pid: no internal error"

if sctl start pf-port-procsubset-free.service; then
	pass "ProcSubset=pid: systemctl start on a free UDP and TCP port succeeds"
else
	fail "ProcSubset=pid: systemctl start on a free UDP and TCP port failed"
fi
status=$(start_pre_status pf-port-procsubset-free.service)
[ "$status" = status=0 ] && pass "ProcSubset=pid: a free UDP port gives status=0" ||
	fail "ProcSubset=pid: the free UDP port's ExecStartPre shows '$status'"
sctl stop pf-port-procsubset-free.service

sctl start pf-port-procsubset-no-netlink.service 2>/dev/null &&
	fail "ProcSubset=pid without AF_NETLINK: systemctl start on a busy UDP port succeeded"
status=$(last_start_pre_status pf-port-procsubset-no-netlink.service)
[ "$status" = status=20 ] && pass "ProcSubset=pid without AF_NETLINK: a busy UDP port gives status=20" ||
	fail "ProcSubset=pid without AF_NETLINK: ExecStartPre shows '$status', expected status=20"
out=$(wait_journal pf-port-procsubset-no-netlink.service "in use")
expect_contains "$out" "proc-net: absent" "ProcSubset=pid without AF_NETLINK: no /proc/net"
expect_contains "$out" "$udp_busy_line" "ProcSubset=pid without AF_NETLINK: the UDP holder is named"
expect_contains "$out" "$tcp_busy_line" "ProcSubset=pid without AF_NETLINK: the TCP holder is named"
expect_contains "$out" "of /proc/self/net/udp (read to the end; sock_diag: Address family not supported by protocol)" \
	"ProcSubset=pid without AF_NETLINK: read from /proc/self/net, sock_diag refused"

sctl start pf-port-no-sockets.service 2>/dev/null && fail "no AF_NETLINK, no /proc/self/net: systemctl start succeeded"
status=$(last_start_pre_status pf-port-no-sockets.service)
[ "$status" = status=1 ] && pass "no AF_NETLINK, no /proc/self/net: preflight cannot tell, status=1" ||
	fail "no AF_NETLINK, no /proc/self/net: ExecStartPre shows '$status', expected status=1"
out=$(wait_journal pf-port-no-sockets.service "cannot list")
expect_contains "$out" "proc-self-net: absent" "no AF_NETLINK, no /proc/self/net: InaccessiblePaths= hid /proc/self/net"
out=$(journal pf-port-no-sockets.service -p err)
expect_contains "$out" "FAIL port $UDP_BUSY_PORT/udp cannot list the UDP sockets: netlink's sock_diag failed (Address family not supported by protocol: RestrictAddressFamilies= without AF_NETLINK?) and /proc/self/net/udp cannot be read" \
	"no AF_NETLINK, no /proc/self/net: journalctl -p err names RestrictAddressFamilies="
expect_contains "$out" "fix: add AF_NETLINK to the unit's RestrictAddressFamilies=, or let the unit see /proc/self/net" \
	"no AF_NETLINK, no /proc/self/net: the fix names the settings"
sctl stop pf-udp-holder.socket

# ---- limit and sysctl ------------------------------------------------------------------------
sctl start pf-limit-nofile-low.service 2>/dev/null && fail "limit: systemctl start with LimitNOFILE=1024 succeeded"
status=$(start_pre_status pf-limit-nofile-low.service)
[ "$status" = status=31 ] && pass "limit: LimitNOFILE=1024 gives status=31" ||
	fail "limit: ExecStartPre shows '$status', expected status=31"
out=$(wait_journal pf-limit-nofile-low.service "LimitNOFILE=65535" -p err)
expect_contains "$out" "FAIL limit nofile>=65535 the soft limit is 1024, needs >= 65535 [31]" \
	"limit: journalctl -p err shows the limit the unit gave"
expect_contains "$out" "fix: LimitNOFILE=65535 in the unit" "limit: the fix in the journal names LimitNOFILE="
expect_contains "$out" "1024 is systemd's soft default" "limit: the journal explains systemd's soft 1024"

if sctl start pf-limit-ok.service; then
	pass "limit: the unit's Limit*= settings pass the checks"
else
	fail "limit: the unit with LimitNOFILE=2048:4096 and LimitCORE=0 did not start"
fi
expect_prop pf-limit-ok.service SubState running "limit: the service behind passing limits runs"
sctl stop pf-limit-ok.service

if sctl start pf-sysctl-ok.service; then
	pass "sysctl: settings as required let the service start"
else
	fail "sysctl: the unit with passing settings did not start"
fi
sctl stop pf-sysctl-ok.service
sctl start pf-sysctl-missing.service 2>/dev/null && fail "sysctl: systemctl start with a missing key succeeded"
status=$(start_pre_status pf-sysctl-missing.service)
[ "$status" = status=32 ] && pass "sysctl: a key this kernel lacks gives status=32" ||
	fail "sysctl: ExecStartPre shows '$status', expected status=32"
out=$(wait_journal pf-sysctl-missing.service "no_such_setting" -p err)
expect_contains "$out" "this kernel has no vm.no_such_setting" "sysctl: the journal says the kernel lacks the key"

host_somaxconn=$(cat /proc/sys/net/core/somaxconn)
if [ "$host_somaxconn" = 1234 ]; then
	fail "sysctl: the host's net.core.somaxconn is already 1234, the PrivateNetwork= case proves nothing"
elif sctl start pf-sysctl-private-network.service; then
	pass "sysctl: PrivateNetwork=: the check reads the unit's own net.core.somaxconn (1234)"
else
	fail "sysctl: PrivateNetwork=: the check did not see the unit's own net.core.somaxconn"
fi
out=$(wait_journal pf-sysctl-private-network.service "somaxconn")
expect_contains "$out" "ok   sysctl net.core.somaxconn=1234 is 1234" "sysctl: PrivateNetwork=: the journal shows the unit's value"
[ "$(cat /proc/sys/net/core/somaxconn)" = "$host_somaxconn" ] &&
	pass "sysctl: PrivateNetwork=: the host's somaxconn is still $host_somaxconn" ||
	fail "sysctl: PrivateNetwork=: the host's somaxconn changed"
sctl stop pf-sysctl-private-network.service

sctl start pf-sysctl-procsubset.service 2>/dev/null && fail "sysctl: systemctl start under ProcSubset=pid succeeded"
status=$(last_start_pre_status pf-sysctl-procsubset.service)
[ "$status" = status=1 ] && pass "sysctl: ProcSubset=pid gives status=1 (cannot tell)" ||
	fail "sysctl: ProcSubset=pid: ExecStartPre shows '$status', expected status=1"
out=$(wait_journal pf-sysctl-procsubset.service "hidden")
expect_contains "$out" "proc-sys: absent" "sysctl: ProcSubset=pid really hid /proc/sys"
expect_contains "$out" "/proc/sys is hidden from this process (ProcSubset=pid in the unit?)" \
	"sysctl: the journal says /proc/sys is hidden"
expect_contains "$out" "remove ProcSubset=pid" "sysctl: the fix names ProcSubset=pid"

# ---- file under ProtectSystem=strict and User= ---------------------------------------------
sctl start pf-file-protect-strict.service 2>/dev/null && fail "file: systemctl start under ProtectSystem=strict succeeded"
status=$(last_start_pre_status pf-file-protect-strict.service)
[ "$status" = status=103 ] && pass "file: ProtectSystem=strict, /var/tmp not in ReadWritePaths=: status=103" ||
	fail "file: ProtectSystem=strict: ExecStartPre shows '$status', expected status=103"
out=$(wait_journal pf-file-protect-strict.service "ReadWritePaths=" -p err)
expect_contains "$out" "FAIL file /var/tmp not writable by this process (uid 0): it is on a read-only mount" \
	"file: the journal says the mount is read-only"
expect_contains "$out" "fix: add /var/tmp to ReadWritePaths= in the unit" "file: the fix in the journal names ReadWritePaths="

if sctl start pf-file-read-write-paths.service; then
	pass "file: ReadWritePaths=/var/tmp: writable and mounted, the service starts"
else
	fail "file: the unit with ReadWritePaths=/var/tmp did not start"
	journal pf-file-read-write-paths.service | tail -5 | sed 's/^/#     /'
fi
sctl stop pf-file-read-write-paths.service

sctl start pf-file-data-dir-bind.service 2>/dev/null && fail "file: --mounted passed a ReadWritePaths= bind of a mere directory"
status=$(last_start_pre_status pf-file-data-dir-bind.service)
[ "$status" = status=103 ] && pass "file: ReadWritePaths= of a mere directory is not --mounted: status=103" ||
	fail "file: ReadWritePaths= of a directory: ExecStartPre shows '$status', expected status=103"
out=$(wait_journal pf-file-data-dir-bind.service "bind mount" -p err)
expect_contains "$out" "is a bind mount of the directory '/pf-data'" "file: the journal says it is a bind of a directory"

sctl start pf-file-user-secret.service 2>/dev/null && fail "file: User=nobody read a 0600 root file"
status=$(last_start_pre_status pf-file-user-secret.service)
[ "$status" = status=102 ] && pass "file: User=nobody and a 0600 root file: status=102" ||
	fail "file: User=nobody: ExecStartPre shows '$status', expected status=102"
out=$(wait_journal pf-file-user-secret.service "not readable" -p err)
expect_contains "$out" "FAIL file /run/pf-file-secret not readable by this process (uid 65534) [102]" \
	"file: the journal names the unit's user"

# ---- chains through EnvironmentFile= -----------------------------------------------------------
if sctl start pf-chain.service; then
	pass "chain: a unit runs a chain named by EnvironmentFile="
else
	fail "chain: the unit running the chain did not start"
fi
wait_prop pf-chain.service SubState running
expect_prop pf-chain.service SubState running "chain: port $FREE_PORT from EnvironmentFile= passes, the service runs"
main_comm=$(inside cat "/proc/$(prop pf-chain.service MainPID)/comm" 2>/dev/null)
[ "$main_comm" = sleep ] && pass "chain: the wrapped command is the main process" ||
	fail "chain: main process is '$main_comm', expected sleep"
out=$(wait_journal pf-chain.service "port $FREE_PORT")
expect_contains "$out" "port $FREE_PORT" "chain: \${APP_PORT} was expanded to $FREE_PORT"
sctl stop pf-chain.service

sctl start pf-chain-busy.service 2>/dev/null && fail "chain: systemctl start with a busy port succeeded"
status=$(start_pre_status pf-chain-busy.service)
[ "$status" = status=20 ] && pass "chain: the busy port from EnvironmentFile= gives status=20" ||
	fail "chain: ExecStartPre shows '$status', expected status=20"

sctl start pf-chain-unset.service 2>/dev/null && fail "chain: systemctl start with an unset variable succeeded"
status=$(start_pre_status pf-chain-unset.service)
[ "$status" = status=6 ] && pass "chain: an unset \${APP_PORT} gives status=6" ||
	fail "chain: ExecStartPre shows '$status', expected status=6"
out=$(sctl status pf-chain-unset.service 2>&1)
expect_contains "$out" "status=6/NOTCONFIGURED" "chain: systemctl status names 6 NOTCONFIGURED"
out=$(wait_journal pf-chain-unset.service "APP_PORT" -p err)
expect_contains "$out" "APP_PORT" "chain: the error names the unset variable"

# ---- the example units shipped in packaging/units/ -------------------------------------------
# systemd-analyze verify reads them as systemd 252 does; preflight and myapp point at programs
# that exist here, so any line it prints is a real problem (unknown key, bad value).
mkdir -p "$STAGE/examples"
for unit in "$(dirname "$TESTS_DIR")"/packaging/units/*.service; do
	name=$(basename "$unit")
	sed -e "s|/usr/bin/preflight|$PREFLIGHT|g" -e "s|/usr/bin/myapp|/bin/sleep|g" "$unit" \
		>"$STAGE/examples/$name"
	out=$(cd "$STAGE/examples" && systemd-analyze verify "./$name" 2>&1)
	if [ -z "$out" ]; then
		pass "example unit $name: systemd-analyze verify is silent"
	else
		fail "example unit $name: $out"
	fi
done

# ---- the end -----------------------------------------------------------------------------------
# No sanitizer report (ASan, LeakSanitizer, UBSan) from any unit: a sanitized binary writes them to
# stderr, which is the journal here; the plain binary never writes these words.
out=$(inside journalctl --no-pager -o cat 2>/dev/null |
	grep -E 'ERROR: [A-Za-z]+Sanitizer|SUMMARY: [A-Za-z]+Sanitizer|runtime error:' | head -20)
if [ -z "$out" ]; then
	pass "no sanitizer report in the test system's journal"
else
	fail "sanitizer reports in the test system's journal:"
	printf '%s\n' "$out" | sed 's/^/#     /'
fi

inside touch "/tmp/preflight-inside.$$" "/run/preflight-inside.$$"
if [ -f "$STAGE/canary" ] && [ ! -e "/tmp/preflight-inside.$$" ] && [ ! -e "/run/preflight-inside.$$" ] &&
	inside test -e "/tmp/preflight-inside.$$"; then
	pass "the machine's /tmp and /run were left alone (the test system had its own tmpfs)"
else
	fail "the test system touched the machine's /tmp or /run"
fi
stopped_pid=$SYSTEMD_PID
shutdown_systemd
if kill -0 "$stopped_pid" 2>/dev/null; then
	fail "the test systemd (PID $stopped_pid) still runs after kill -9"
else
	pass "the test systemd is gone after kill -9"
fi
ELAPSED_MS=$((($(date +%s%N) - SUITE_START) / 1000000))
echo "# suite took ${ELAPSED_MS}ms (boot ${BOOT_MS}ms)"
echo "systemd: $PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
