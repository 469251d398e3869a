#!/bin/bash
# make bench's `preflight why` row: boots a test systemd 252 (tests/systemd/lib.sh, as the why suite
# does), fails tests/systemd/why/units/pf-why-bench.service in ExecStartPre= (a preflight FAIL line in
# its journal), then runs the given command inside the test system (run.py passes spawn_timer and
# the commands it times), its stdout being ours. Everything else goes to stderr.
#   tests/bench/why.sh COMMAND [ARGS...]
set -u
exec 3>&1 1>&2
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SYSTEMD_DIR=$(dirname "$HERE")/systemd
SUITE=bench-why
# shellcheck source=../systemd/lib.sh
. "$SYSTEMD_DIR/lib.sh"
export PREFLIGHT_SYSTEMD_ARGS="--log-target=journal-or-kmsg"
stage_files "$SYSTEMD_DIR/why/units" "$SYSTEMD_DIR/why/files" -e "s|@FILES@|/run/preflight-test|g"
boot_test_system pf-why.target
sctl start pf-why-bench.service 2>/dev/null
wait_prop pf-why-bench.service ActiveState failed
# journald 252 takes a stream's lines in its own time (journalctl --sync waits for no stream).
for _ in $(seq 50); do
	inside journalctl --no-pager -o cat -u pf-why-bench.service | grep -q "FAIL user" && break
	sleep 0.1
done
out=$(inside "$INSIDE_PREFLIGHT" why pf-why-bench 2>&1)
if [[ "$out" != *"exited 11: preflight user"*"journal: FAIL user"* ]]; then
	echo "bench why: preflight why does not report the unit's failure: $out"
	exit 1
fi
inside "$@" >&3
status=$?
shutdown_systemd
exit $status
