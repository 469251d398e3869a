#!/bin/bash
# The test machinery's own rules, which every other file relies on: a skip is loud, and a failure
# when CI is set (tests/skip.sh); the one wall-clock slack (lib.sh's TIME_SLACK) is applied, can
# be refused, and still lets a timing assertion fail; the attempt count is read exactly.
. "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)

# unprivileged CMD...: CMD as a user who is not root (nobody, when this runs as root), so that
# the files that need root skip.
unprivileged() {
	if [ "$(id -u)" -eq 0 ]; then as_nobody "$@"; else "$@"; fi
}

# ---- a file that cannot run here: a loud skip, a failure under CI ----
# test_cap.sh needs root (require_root): unprivileged, it skips as a whole.
run_cmd unprivileged env -u CI PREFLIGHT="$PREFLIGHT" bash "$HERE/test_cap.sh"
expect_code 0 "without CI, a file that skips passes"
expect_text OUT "SKIPPED LOUDLY: test_cap.sh: needs root for: " "... and says loudly what it skipped and why"
expect_text OUT "RESULT 0 0" "... with nothing passed and nothing failed"
run_cmd unprivileged env CI=true PREFLIGHT="$PREFLIGHT" bash "$HERE/test_cap.sh"
expect_code 1 "with CI set, a file that skips fails"
expect_text OUT "NOT TESTED, AND CI IS SET, SO THIS IS A FAILURE: test_cap.sh: needs root for: " \
	"... and says what it skipped and why"
expect_text OUT "RESULT 0 1" "... as one failure"
run_cmd unprivileged env CI=true ONLY=test_cap.sh PREFLIGHT="$PREFLIGHT" "$HERE/run.sh"
expect_code 1 "with CI set, run.sh fails when a file skips"
expect_text OUT "integration: 0 passed, 1 failed" "... counting the skip as a failure"
run_cmd unprivileged env -u CI ONLY=test_cap.sh PREFLIGHT="$PREFLIGHT" "$HERE/run.sh"
expect_code 0 "without CI, run.sh passes over the skip"
expect_text OUT "SKIPPED LOUDLY" "... loudly"

# The systemd suite cannot boot systemd unprivileged: the same rule.
run_cmd unprivileged env CI=true PREFLIGHT="$PREFLIGHT" "$TESTS_DIR/systemd/test_systemd.sh"
expect_code 1 "with CI set, the systemd suite fails when it cannot run"
expect_text OUT "NOT TESTED, AND CI IS SET, SO THIS IS A FAILURE: the systemd suite: not root" \
	"... and says why"
expect_text OUT "systemd: 0 passed, 1 failed (not run)" "... as one failure"
run_cmd unprivileged env -u CI PREFLIGHT="$PREFLIGHT" "$TESTS_DIR/systemd/test_systemd.sh"
expect_code 0 "without CI, the systemd suite that cannot run is a loud skip"
expect_text OUT "SKIPPED LOUDLY: the systemd suite: not root" "... saying why"

# ---- the one wall-clock slack ----
# lib_says ENV-ARGS... -- SCRIPT: SCRIPT run by bash after lib.sh, with env(1) ENV-ARGS, as run_cmd.
lib_says() {
	local vars=()
	while [ "$1" != -- ]; do vars+=("$1"); shift; done
	run_cmd env "${vars[@]}" PREFLIGHT="$PREFLIGHT" bash -c ". '$HERE/lib.sh'; $2"
}
lib_says -u PREFLIGHT_TIME_SLACK PREFLIGHT_SANITIZED=0 -- 'echo "$TIME_SLACK $TIME_SLACK_MS"'
expect_text OUT "1 600" "the plain binary: TIME_SLACK 1, 600 ms"
lib_says -u PREFLIGHT_TIME_SLACK PREFLIGHT_SANITIZED=1 -- 'echo "$TIME_SLACK $TIME_SLACK_MS"'
expect_text OUT "2 1200" "under ASan: twice the slack, as twice the memory slack"
lib_says PREFLIGHT_TIME_SLACK=3 -- 'echo "$TIME_SLACK $TIME_SLACK_MS"'
expect_text OUT "3 1800" "PREFLIGHT_TIME_SLACK sets the factor"
lib_says PREFLIGHT_TIME_SLACK=fast -- 'echo reached'
expect_code 2 "a PREFLIGHT_TIME_SLACK that is not a whole number is refused"
expect_no_text OUT reached "... before any test runs"
lib_says PREFLIGHT_TIME_SLACK=1 -- 'ELAPSED_MS=701; expect_elapsed 0 100 late; ELAPSED_MS=899; expect_took 1000 early; ELAPSED_MS=1600; expect_took 1000 "in time"'
expect_text OUT "not ok - late: took 701ms, expected 0..700ms" "a run later than its allowance and the slack fails"
expect_text OUT "not ok - early: took 899ms" "a run that ends before its deadline fails"
expect_text OUT "ok - in time (1600ms)" "a run within the deadline and the slack passes"

# ---- the attempt count, exactly ----
lib_says -- 'OUT="{\"attempts\":12}"; expect_attempts -eq 1 twelve; OUT="{\"attempts\":1}
{\"attempts\":3}"; expect_attempts -eq 1 "one line of two"; OUT=""; expect_attempts -eq 1 none'
expect_text OUT "not ok - twelve: attempts '12'" "12 attempts are not 1"
expect_text OUT "not ok - one line of two: attempts '1 3'" "every line counts"
expect_text OUT "not ok - none: attempts ''" "no --json line is no attempt count"

finish
