#!/bin/bash
# The multicall binary, shared options, diagnostics and the user check.
. "$(dirname "$0")/lib.sh"

run_preflight --version; expect_code 0 "--version"; expect_text OUT "preflight " "--version prints the name"
run_preflight --help; expect_code 0 "--help"; expect_text OUT "Usage: preflight CHECK" "--help shows usage"
run_preflight; expect_code 2 "no arguments is a usage error"
run_preflight list; expect_code 0 "list"
for c in user port cap redis http tcp; do expect_text OUT "$c " "list shows $c"; done
run_preflight list extra; expect_code 2 "list takes no arguments"
run_preflight nosuchcheck; expect_code 2 "unknown check"; expect_text ERR "'nosuchcheck'" "unknown check is named"
run_preflight user --help; expect_code 0 "user --help"; expect_text OUT "--not-root" "user --help lists its options"
run_preflight user root --bogus; expect_code 2 "unknown option"; expect_text ERR "'--bogus'" "unknown option is named"
run_preflight user root --pasword=hunter2secret; expect_code 2 "mistyped option with a value"
expect_text ERR "'--pasword'" "the mistyped option is named"; expect_no_text ERR "hunter2secret" "its value is not echoed"
run_preflight user root -t; expect_code 2 "-t without value"
run_preflight user root -t 5x; expect_code 2 "bad span"; expect_text ERR "'5x'" "bad span is named"
run_preflight user root -t -5s; expect_code 2 "negative span"
run_preflight user root -t 99999999999999999999s; expect_code 2 "overflowing span"
run_preflight user root -t '1min 30s' -i 100ms; expect_code 0 "span with two components"
run_preflight user root -i 1ms; expect_code 2 "interval below 10ms"
run_preflight user root --wait=yes; expect_code 2 "flag with a value"
run_preflight user root extra; expect_code 2 "too many arguments"

# Exit codes and explain.
run_preflight exit-codes; expect_code 0 "exit-codes"
expect_text OUT "RestartPreventExitStatus=2 5 6 10 11 21 30 31 32 43 54 83 93 101 102 123" "exit-codes gives the RestartPreventExitStatus= line"
run_preflight explain 143; expect_code 0 "explain 143"; expect_text OUT "SIGTERM" "143 is SIGTERM"
expect_text OUT "SuccessExitStatus=143" "143 suggests SuccessExitStatus=143"
run_preflight explain 203; expect_text OUT "EXEC" "203 is EXEC"
run_preflight explain 20; expect_text OUT "PORT_IN_USE" "20 is preflight's port in use"
run_preflight explain 6; expect_text OUT "NOTCONFIGURED" "6 shows the LSB name"
run_preflight explain 78; expect_text OUT "EX_CONFIG" "78 is EX_CONFIG"
run_preflight explain 256; expect_code 2 "explain 256 is a usage error"
run_preflight explain x; expect_code 2 "explain x is a usage error"

# user: every code it can give.
run_preflight user root; expect_code 0 "user root as root"
expect_text ERR "running as root (uid 0), group root (gid 0)" "the user and group are named with their ids"
run_preflight user 0 --group root --member root; expect_code 0 "user by uid, group, member"
run_preflight user nobody; expect_code 10 "user nobody as root"; expect_text ERR "User=nobody" "the fix names User="
expect_text ERR "running as root (uid 0), not nobody (uid $(id -u nobody))" "the wanted user is named with its uid"
run_preflight user "$(id -u nobody)"; expect_code 10 "user by the uid of nobody as root"
expect_text ERR "not nobody (uid $(id -u nobody))" "a uid given is named with its user"
run_preflight user no_such_user_x; expect_code 11 "user that does not exist"
run_preflight user root --group no_such_group_x; expect_code 11 "group that does not exist"
run_preflight user root --group nogroup; expect_code 10 "wrong group"
run_preflight user --not-root; expect_code 10 "--not-root as root"
run_cmd as_nobody "$PREFLIGHT" user --not-root; expect_code 0 "--not-root as nobody"
run_cmd as_nobody "$PREFLIGHT" user nobody --group nogroup; expect_code 0 "nobody as nobody"
run_cmd as_nobody "$PREFLIGHT" user root; expect_code 10 "root as nobody"
run_cmd as_nobody "$PREFLIGHT" user nobody --member root; expect_code 10 "not a member of root"
run_preflight user root --invert; expect_code 10 "--invert of a passing check fails"
run_preflight user nobody --invert; expect_code 0 "--invert of a failing check passes"
run_preflight user; expect_code 2 "user with nothing to check"

# Output forms.
run_preflight user root --json; expect_code 0 "--json"
expect_text OUT '"check":"user"' "JSON has check"; expect_text OUT '"ok":true' "JSON has ok"
expect_text OUT '"elapsed_ms":' "JSON has elapsed_ms"; expect_text OUT '"attempts":1' "JSON has attempts"
run_preflight user root -q; expect_code 0 "-q"; [ -z "$ERR$OUT" ] && pass "-q prints nothing on success" || fail "-q printed: $ERR"
run_preflight user nobody -q; expect_text ERR "FAIL" "-q still prints failures"

# The preflight-CHECK symlink.
ln -s "$PREFLIGHT" "$WORK/preflight-user"
run_cmd "$WORK/preflight-user" root; expect_code 0 "preflight-user symlink"
ln -s "$PREFLIGHT" "$WORK/preflight-nope"
run_cmd "$WORK/preflight-nope"; expect_code 2 "preflight-nope symlink is unknown"

# The wrapper: exec in place on success, never run on failure.
run_preflight user root -q -- /bin/sh -c 'echo pid=$$'; expect_code 0 "wrapper runs the command"
expect_text OUT "pid=" "wrapper output"
run_preflight user nobody -- /bin/touch "$WORK/ran"; expect_code 10 "wrapper on failure exits with the check's code"
[ ! -e "$WORK/ran" ] && pass "command not run on failure" || fail "command ran on failure"
run_preflight user root -- /no/such/command; expect_code 127 "wrapper: command not found"
run_preflight user root -- no-such-command-in-path; expect_code 127 "wrapper: not found in PATH"
printf 'not a program' >"$WORK/noexec"; chmod 644 "$WORK/noexec"
run_preflight user root -- "$WORK/noexec"; expect_code 126 "wrapper: not executable"
run_preflight user root -- /bin/sh -c 'exit 7'; expect_code 7 "wrapper passes the command's exit code"
run_preflight user root --; expect_code 2 "'--' without a command"

finish
