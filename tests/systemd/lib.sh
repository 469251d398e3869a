#!/bin/bash
# What every suite under a real systemd shares (test_systemd.sh, and the others beside it): the
# checks that it can run here, the assertions, booting systemd 252 in private PID, mount, UTS and
# cgroup namespaces (boot.sh), and the end of a suite. A suite sets SUITE (the name of its summary
# line, "SUITE: N passed, N failed") and sources this file, then:
#   stage_files UNITS_DIR FILES_DIR [SED-ARGS...]   units and files, @PREFLIGHT@ and the given
#                                                  substitutions applied
#   boot_test_system TARGET                         boots, starts journald
#   ... its tests, with sctl, prop, expect_prop, journal ...
#   finish_suite                                   no sanitizer report, /tmp untouched, summary
LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TESTS_DIR=$(dirname "$LIB_DIR")
PREFLIGHT=${PREFLIGHT:-$(dirname "$TESTS_DIR")/build/preflight}
SUITE=${SUITE:-systemd}
SYSTEMD_BIN=/lib/systemd/systemd
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
		printf '%s\n# %s SUITE NOT RUN: %s\n%s\n' "$line" "${SUITE^^}" "$1" "$line"
	else
		skipped "the $SUITE suite" "$1" || failed=1
	fi
	[ -n "${2:-}" ] && printf '%s\n' "$2" | sed 's/^/#   /'
	echo "$SUITE: 0 passed, $failed failed (not run)"
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
	echo "$SUITE: 0 passed, 1 failed"
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
# The binary goes in with the units: where it was built may be under /tmp, which the test system
# covers with its own tmpfs.
INSIDE_PREFLIGHT=/run/preflight-test/bin/preflight

# stage_files UNITS_DIR FILES_DIR [SED-ARGS...]: copies the units and files, with @PREFLIGHT@ and
# the substitutions given as sed arguments (-e "s|@PORT@|$PORT|g") applied.
stage_files() {
	local units=$1 files=$2 src kind
	shift 2
	mkdir -p "$STAGE/units" "$STAGE/files/bin"
	cp "$PREFLIGHT" "$STAGE/files/bin/preflight"
	chmod 755 "$STAGE/files/bin" "$STAGE/files/bin/preflight"
	for src in "$units"/* "$files"/*; do
		[ -f "$src" ] || continue
		kind=units
		[[ "$src" == "$files/"* ]] && kind=files
		sed -e "s|@PREFLIGHT@|$INSIDE_PREFLIGHT|g" "$@" "$src" >"$STAGE/$kind/$(basename "$src")"
	done
	# Chain files run as root must be root's and not writable by others (README.md, "Safety as
	# root").
	find "$STAGE/files" "$STAGE/units" -maxdepth 1 -type f -exec chmod 644 {} +
	# Proof that the test system kept to its own /tmp and /run: this must be here, and its units
	# must not be in the machine's /run, when the suite ends.
	echo "the machine's /tmp" >"$STAGE/canary"
}

# boot_test_system TARGET: boots systemd with TARGET as its default unit and starts journald.
boot_test_system() {
	local TARGET=$1
	make_cgroups
	(
		for dir in "${CGROUP_DIRS[@]}"; do
			echo "$BASHPID" >"$dir/cgroup.procs" 2>/dev/null
		done
		exec unshare --pid --fork --mount --mount-proc --uts --cgroup \
			"$LIB_DIR/boot.sh" "$STAGE" "$TARGET"
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
}

# finish_suite: no sanitizer report in the journal, the machine's /tmp and /run untouched, the
# test system gone; prints the summary line and returns the suite's status.
finish_suite() {
	local out stopped_pid
	# No sanitizer report (ASan, LeakSanitizer, UBSan) from any unit: a sanitized binary writes
	# them to stderr, which is the journal here; the plain binary never writes these words.
	out=$(inside journalctl --no-pager -o cat 2>/dev/null |
		grep -E 'ERROR: [A-Za-z]+Sanitizer|SUMMARY: [A-Za-z]+Sanitizer|runtime error:' | head -20)
	if [ -z "$out" ]; then
		pass "no sanitizer report in the test system's journal"
	else
		fail "sanitizer reports in the test system's journal:"
		printf '%s\n' "$out" | sed 's/^/#     /'
	fi

	inside touch "/tmp/preflight-inside.$$" "/run/preflight-inside.$$"
	if [ -f "$STAGE/canary" ] && [ ! -e "/tmp/preflight-inside.$$" ] &&
		[ ! -e "/run/preflight-inside.$$" ] && inside test -e "/tmp/preflight-inside.$$"; then
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
	echo "$SUITE: $PASSED passed, $FAILED failed"
	[ "$FAILED" -eq 0 ]
}
