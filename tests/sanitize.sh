#!/bin/bash
# The whole suite against the sanitizer build (gcc, ASan + UBSan + LeakSanitizer): the unit tests,
# the integration tests and the systemd suite, each with the sanitized binary.
#
# Usage: tests/sanitize.sh SAN_BUILD   (make sanitize builds SAN_BUILD/preflight and
#        SAN_BUILD/check_runner with SANITIZE=1, then calls this)
#
# A sanitizer report must not be able to hide behind a test that expects a failure, discards
# stderr or only looks at the exit code, so every report is also written to a file:
# log_path=SAN_BUILD/reports/ (mode 1777: tests run preflight as nobody too), and the run fails
# when any file is there at the end, whatever the tests said. A sanitized process exits with 86, a
# code preflight never uses. Under the systemd suite the units' stderr goes to the test system's
# journal, which test_systemd.sh searches for reports (it is given the same options without
# log_path: the units see their own /tmp and /run).
#
# What the integration tests do differently for a sanitized binary (tests/integration/lib.sh; they
# see __asan_init in it, or PREFLIGHT_SANITIZED=1): runs that measure memory keep no ASan
# quarantine (freed blocks it holds are ASan's memory, not preflight's), and allow twice the plain
# binary's slack over their baseline (ASan's headers, redzones and shadow on every live block);
# the runs under strace go without LeakSanitizer, which cannot work under ptrace. Every
# wall-clock allowance is multiplied by PREFLIGHT_TIME_SLACK=2, set here for all three suites
# (lib.sh's TIME_SLACK, tests/slack.h for the unit tests, the systemd suite's polls): ASan makes
# every process slower to start and to run. Every other assertion, descriptor counts and the
# deadlines preflight is given included, is the same as for the plain binary.
set -u
[ $# -eq 1 ] || { echo "usage: $0 SAN_BUILD" >&2; exit 2; }
build=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
reports=$build/reports
for f in "$build/preflight" "$build/check_runner"; do
	[ -x "$f" ] || { echo "not ok - $f is not built (make sanitize builds it)"; exit 1; }
done
rm -rf "$reports"
mkdir -p "$reports"
chmod 1777 "$reports"

export PREFLIGHT_TIME_SLACK=2
common=exitcode=86:print_summary=1
export ASAN_OPTIONS="$common:detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1:log_path=$reports/report"
export UBSAN_OPTIONS="$common:print_stacktrace=1:halt_on_error=1:log_path=$reports/report"
export LSAN_OPTIONS="$common:log_path=$reports/report"

failed=()
stage() {
	local name=$1 start rc
	shift
	echo "# sanitize: $name"
	start=$(date +%s)
	"$@"
	rc=$?
	echo "# sanitize: $name exit $rc in $(($(date +%s) - start))s"
	[ "$rc" -eq 0 ] || failed+=("$name")
}

# CK_FORK stays on: each test runs in a child, and LeakSanitizer checks each child as it exits.
stage unit "$build/check_runner"
stage integration env PREFLIGHT="$build/preflight" "$here/integration/run.sh"
for suite in "$here"/systemd/test_systemd*.sh; do
	stage "systemd $(basename "$suite" .sh)" env PREFLIGHT="$build/preflight" "$suite"
done

n=$(find "$reports" -type f | wc -l)
if [ "$n" -gt 0 ]; then
	echo "not ok - $n sanitizer report(s) in $reports:"
	for f in "$reports"/*; do
		echo "  == $f"
		grep -E 'ERROR|SUMMARY|runtime error|^ +#[0-9]+ ' "$f" | head -30 | sed 's/^/    /'
	done
	failed+=(reports)
else
	echo "ok - no sanitizer report from any process"
fi
if [ ${#failed[@]} -gt 0 ]; then
	echo "sanitize: failed: ${failed[*]}"
	exit 1
fi
echo "sanitize: unit, integration and systemd passed under ASan+UBSan, no sanitizer report"
