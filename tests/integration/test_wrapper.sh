#!/bin/bash
# The wrapper, `preflight CHECK ... -- COMMAND` and `preflight run FILE -- COMMAND`: exec in place
# on success (same PID), the check's code and no COMMAND on failure, 126/127 as shells give them.
. "$(dirname "$0")/lib.sh"

printf 'user root\nuser root --group root\n' >"$WORK/ok.conf"
printf 'user root\nuser nobody\n' >"$WORK/fail.conf"
printf 'user root\nport\n' >"$WORK/bad.conf"

# same_pid DESCRIPTION ARGS...: runs preflight in the background and compares its PID with the
# one the wrapped shell reports as its own ($$).
same_pid() {
	local desc=$1 pid reported
	shift
	"$PREFLIGHT" "$@" -- /bin/sh -c 'echo $$' >"$WORK/pid.out" 2>"$WORK/pid.err" &
	pid=$!
	wait "$pid"
	RC=$?
	reported=$(cat "$WORK/pid.out")
	if [ "$RC" -eq 0 ] && [ "$reported" = "$pid" ]; then
		pass "$desc: COMMAND runs as preflight's own PID ($pid)"
	else
		fail "$desc: preflight was PID $pid, COMMAND said '$reported' (exit $RC): $(cat "$WORK/pid.err")"
	fi
}

same_pid "check" user root
same_pid "chain" run "$WORK/ok.conf"
same_pid "parallel chain" run --parallel "$WORK/ok.conf"
same_pid "chain with --keep-going" run --keep-going "$WORK/ok.conf"

# The process name becomes the command's, as systemd's MainPID then shows it.
run_preflight user root -q -- /bin/sh -c 'cat /proc/$$/comm'
expect_text OUT "sh" "the main process's name is the command's after exec"

# Arguments reach COMMAND exactly: spaces, empty words, words that look like options or '--'.
run_preflight run "$WORK/ok.conf" -q -- /usr/bin/printf '[%s]' 'a b' '' --help -- '$x' "\"q\""
expect_code 0 "chain wrapper with awkward arguments"
[ "$OUT" = '[a b][][--help][--][$x]["q"]' ] && pass "arguments reach COMMAND word for word" ||
	fail "arguments arrived as '$OUT'"

# The environment reaches COMMAND, and nothing of preflight's own is left open in it.
WRAPPER_VAR=from-test run_preflight run --parallel "$WORK/ok.conf" -q -- /bin/sh -c 'echo "v=$WRAPPER_VAR"'
expect_text OUT "v=from-test" "the environment reaches COMMAND"
# ls lists its own descriptors (its directory's among them), with no shell in between.
run_preflight run --parallel "$WORK/ok.conf" -q -- /bin/ls /proc/self/fd
fds=$(printf '%s\n' "$OUT" | sort -n | tr '\n' ' ')
run_cmd /bin/ls /proc/self/fd
baseline=$(printf '%s\n' "$OUT" | sort -n | tr '\n' ' ')
[ "$fds" = "$baseline" ] && pass "no descriptor of preflight's leaks into COMMAND ($fds)" ||
	fail "COMMAND holds descriptors '$fds', without preflight '$baseline'"
echo "from-stdin" >"$WORK/stdin"
run_preflight user root -q -- /bin/cat <"$WORK/stdin"
expect_text OUT "from-stdin" "COMMAND reads preflight's stdin"

# Exit codes: the command's own once it runs.
for code in 0 3 7 42 125; do
	run_preflight user root -q -- /bin/sh -c "exit $code"
	expect_code "$code" "the command's exit code $code passes through"
done
run_preflight run "$WORK/ok.conf" -q -- /bin/sh -c 'kill -TERM $$'
expect_code 143 "a command killed by SIGTERM shows as 143, as systemd sees it"

# Failure: the check's code, COMMAND never runs.
check_not_run() {
	local desc=$1 want=$2
	shift 2
	rm -f "$WORK/ran"
	run_preflight "$@" -- /bin/touch "$WORK/ran"
	expect_code "$want" "$desc"
	[ ! -e "$WORK/ran" ] && pass "$desc: COMMAND did not run" || fail "$desc: COMMAND ran"
}
check_not_run "failing check" 10 user nobody
check_not_run "missing user" 11 user no_such_user_x
check_not_run "failing chain line" 10 run "$WORK/fail.conf"
check_not_run "failing chain line, --keep-going" 10 run --keep-going "$WORK/fail.conf"
check_not_run "failing chain line, --parallel" 10 run --parallel "$WORK/fail.conf"
check_not_run "chain-file error" 6 run "$WORK/bad.conf"
check_not_run "missing chain file" 6 run "$WORK/nonexistent.conf"
check_not_run "usage error" 2 user root --bogus
check_not_run "--dry-run validates only" 0 run --dry-run "$WORK/ok.conf"
check_not_run "inverted check that fails" 10 user root --invert

# 127: not found; 126: found but not runnable. Messages name the command.
run_preflight user root -- /no/such/command
expect_code 127 "absolute path that does not exist"
expect_text ERR "/no/such/command: command not found" "127 names the command"
run_preflight run "$WORK/ok.conf" -- no-such-command-in-path
expect_code 127 "chain: a name not found in PATH"
run_cmd env PATH="$WORK/empty-dir" "$PREFLIGHT" user root -- sh -c true
expect_code 127 "a PATH without the command"
printf 'not a program' >"$WORK/noexec"
chmod 644 "$WORK/noexec"
run_preflight run "$WORK/ok.conf" -- "$WORK/noexec"
expect_code 126 "chain: a file without x permission"
expect_text ERR "cannot execute" "126 says it cannot execute"
printf '\x7fELF garbage' >"$WORK/badelf"
chmod 755 "$WORK/badelf"
run_preflight user root -- "$WORK/badelf"
expect_code 126 "an executable file that is no program (ENOEXEC; never run through /bin/sh)"
printf 'echo ran-through-sh\n' >"$WORK/noshebang"
chmod 755 "$WORK/noshebang"
run_preflight user root -- "$WORK/noshebang"
expect_code 126 "a script without #! is not run through /bin/sh (as systemd does not)"
expect_no_text OUT "ran-through-sh" "the script without #! did not run"
run_preflight user root -- "$WORK"
expect_code 126 "a directory"
printf '#!/no/such/interpreter\n' >"$WORK/badinterp"
chmod 755 "$WORK/badinterp"
run_preflight user root -- "$WORK/badinterp"
expect_code 127 "a script whose interpreter is missing (ENOENT, as shells say)"

# PATH search as shells do it: an entry that cannot run is passed over for one that can, and
# is reported (126) only when nothing else is found.
mkdir -p "$WORK/p1" "$WORK/p2"
printf '#!/bin/sh\necho first\n' >"$WORK/p1/pf-tool"
chmod 644 "$WORK/p1/pf-tool"
printf '#!/bin/sh\necho second\n' >"$WORK/p2/pf-tool"
chmod 755 "$WORK/p2/pf-tool"
run_cmd env PATH="$WORK/p1:$WORK/p2" "$PREFLIGHT" user root -q -- pf-tool
expect_code 0 "PATH: the runnable one is found past one that is not"
expect_text OUT "second" "PATH: the second directory's tool ran"
run_cmd env PATH="$WORK/p1" "$PREFLIGHT" user root -q -- pf-tool
expect_code 126 "PATH: only a file that cannot run gives 126"

# As an unprivileged user, the same: the wrapper exec's with the user's rights.
chmod 755 "$WORK"
printf 'user --not-root\n' >"$WORK/nobody.conf"
chown nobody "$WORK/nobody.conf"
run_cmd as_nobody "$PREFLIGHT" run "$WORK/nobody.conf" -q -- /usr/bin/id -un
expect_code 0 "wrapper as nobody"
expect_text OUT "nobody" "the command runs as the same unprivileged user"

# Usage around '--'.
run_preflight run "$WORK/ok.conf" --
expect_code 2 "run: '--' without a command"
run_preflight run "$WORK/ok.conf" -- ''
expect_code 2 "run: an empty command"
run_preflight run -- /bin/true
expect_code 2 "run: '--' before any FILE"

finish
