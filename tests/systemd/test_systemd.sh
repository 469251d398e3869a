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
SUITE=systemd
# shellcheck source=lib.sh
. "$HERE/lib.sh"

FREE_PORT=$(free_port)
BUSY_PORT=$(free_port)
WAIT_PORT=$(free_port)
UDP_FREE_PORT=$(python3 "$TESTS_DIR/peers/freeport.py" udp)
UDP_BUSY_PORT=$(python3 "$TESTS_DIR/peers/freeport.py" udp)
# The machine's network namespace: pf-port-netns.service writes a sysctl only outside it.
HOST_NETNS=$(readlink /proc/self/ns/net)
HOST_UNPRIVILEGED_START=$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start)
stage_files "$HERE/units" "$HERE/files" -e "s|@FREE_PORT@|$FREE_PORT|g" \
	-e "s|@BUSY_PORT@|$BUSY_PORT|g" -e "s|@WAIT_PORT@|$WAIT_PORT|g" \
	-e "s|@UDP_FREE_PORT@|$UDP_FREE_PORT|g" -e "s|@UDP_BUSY_PORT@|$UDP_BUSY_PORT|g" \
	-e "s|@HOST_NETNS@|$HOST_NETNS|g"
boot_test_system pf-test.target

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

# ip_unprivileged_port_start hidden by ProcSubset=pid, as nobody: a trial bind decides, in a
# network namespace whose value is lowered to 80 (pf-port-netns.service) and in one with 1024.
if sctl start pf-port-netns.service; then
	pass "a network namespace of the test's own with ip_unprivileged_port_start=80"
else
	fail "pf-port-netns.service did not start: $(journal pf-port-netns.service | tail -3)"
fi
netns_out=$(wait_journal pf-port-netns.service "unprivileged-port-start:")
expect_contains "$netns_out" "unprivileged-port-start: 80" "the namespace's ip_unprivileged_port_start is 80"
netns=$(sed -n 's/^netns: //p' <<<"$netns_out" | head -1)
if sctl start pf-port-procsubset-lowered.service; then
	pass "ProcSubset=pid, start lowered to 80: port 443 as nobody passes, the service starts"
else
	fail "ProcSubset=pid, start lowered to 80: the unit did not start (a wrong 21 for 443?)"
fi
out=$(wait_journal pf-port-procsubset-lowered.service "port 79/tcp")
expect_contains "$out" "netns: $netns" "ProcSubset=pid, start lowered: the unit joined that namespace ($netns)"
expect_contains "$out" "proc-sys: absent" "ProcSubset=pid, start lowered: the unit's /proc has no /proc/sys"
expect_contains "$out" "ok   port 443/tcp free" "ProcSubset=pid, start lowered: 443/tcp is free for nobody"
expect_contains "$out" "ok   port 443/udp free" "ProcSubset=pid, start lowered: 443/udp too"
expect_contains "$out" "net.ipv4.ip_unprivileged_port_start cannot be read (/proc/sys is hidden: ProcSubset=pid?), so a trial bind of 0.0.0.0:443 decided (closed at once): this process may bind it" \
	"ProcSubset=pid, start lowered: -v says a trial bind decided"
expect_contains "$out" "FAIL port 79/tcp free, but this process may not bind it: a trial bind of 0.0.0.0:79 was refused (Permission denied;" \
	"ProcSubset=pid, start lowered: 79 is still 21, from the trial bind"
sctl stop pf-port-procsubset-lowered.service pf-port-netns.service
sctl start pf-port-procsubset-default.service 2>/dev/null &&
	fail "ProcSubset=pid, start 1024: systemctl start on port 443 as nobody succeeded"
status=$(start_pre_status pf-port-procsubset-default.service)
[ "$status" = status=21 ] && pass "ProcSubset=pid, start 1024: port 443 as nobody gives status=21" ||
	fail "ProcSubset=pid, start 1024: ExecStartPre shows '$status', expected status=21"
out=$(wait_journal pf-port-procsubset-default.service "port 443")
expect_contains "$out" "FAIL port 443/tcp free, but this process may not bind it: a trial bind of 0.0.0.0:443 was refused" \
	"ProcSubset=pid, start 1024: the journal says the trial bind was refused"
[ "$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start)" = "$HOST_UNPRIVILEGED_START" ] &&
	pass "the machine's ip_unprivileged_port_start is still $HOST_UNPRIVILEGED_START" ||
	fail "the machine's ip_unprivileged_port_start changed to $(cat /proc/sys/net/ipv4/ip_unprivileged_port_start)"

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
# Timers and sockets too; a template is read as its instance "i" (systemd-analyze's own choice).
for unit in "$(dirname "$TESTS_DIR")"/packaging/units/*.service \
	"$(dirname "$TESTS_DIR")"/packaging/units/*.timer "$(dirname "$TESTS_DIR")"/packaging/units/*.socket; do
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

finish_suite
