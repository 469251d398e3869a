#!/bin/bash
# exec: every exit code with real processes; the deadline, the process group and whatever the
# command starts (also with setsid) killed, nothing left behind; bounded memory under 100 MB of
# output; the command's words as a chain file splits them, never a shell.
. "$(dirname "$0")/lib.sh"

# gone PIDFILE DESCRIPTION: the process whose PID the command wrote to PIDFILE is no more.
gone() {
	local pid
	pid=$(cat "$1" 2>/dev/null)
	if [ -z "$pid" ]; then
		fail "$2: no PID was written to $1"
	elif [ -e "/proc/$pid" ]; then
		fail "$2: process $pid ($(tr '\0' ' ' <"/proc/$pid/cmdline")) is still there"
		kill -9 "$pid" 2>/dev/null
	else
		pass "$2 (pid $pid gone)"
	fi
}

# no_marker MARKER DESCRIPTION: no process's command line holds MARKER.
no_marker() {
	local left
	left=$(pgrep -f -- "$1")
	if [ -z "$left" ]; then
		pass "$2"
	else
		fail "$2: still there: $left"
		kill -9 $left 2>/dev/null
	fi
}

# The longest time past -t 1s, over every case that ran into it.
LONGEST_PAST=0
past_deadline() {
	local past=$((ELAPSED_MS - 1000))
	[ "$past" -gt "$LONGEST_PAST" ] && LONGEST_PAST=$past
}

# ---- usage: 2 ----
run_preflight exec; expect_code 2 "no command"
run_preflight exec ''; expect_code 2 "an empty command"; expect_text ERR "empty" "says it is empty"
run_preflight exec '  # a comment'; expect_code 2 "only a comment"; expect_text ERR "no words" "says there is no word"
run_preflight exec "echo 'open"; expect_code 2 "an unclosed quote"; expect_text ERR "single quote is not closed" "names the quote"
run_preflight exec "$(printf 'echo a\nb')"; expect_code 2 "two lines"; expect_text ERR "more than one line" "one command, one line"
run_preflight exec "$(printf "echo '\033[31m")"; expect_code 2 "an escape in a bad command"
expect_clean_line "an escape in a bad command"; expect_text ERR '\x1b' "the escape is shown escaped"
for bad in x 300 5-3 '' 0, -1 '1-'; do
	run_preflight exec /bin/true --expect-exit "$bad"; expect_code 2 "--expect-exit '$bad'"
done
expect_text ERR "--expect-exit" "the option is named"
run_preflight exec /bin/true --expect-exit 5-3; expect_text ERR "a range must go up" "a range that goes down"
run_preflight exec /bin/true --expect-output ''; expect_code 2 "an empty --expect-output"
run_preflight exec /bin/true --bogus; expect_code 2 "unknown option"

# ---- passes: 0 ----
run_preflight exec /bin/true; expect_code 0 "/bin/true"; expect_text ERR "exit 0" "says exit 0"
run_preflight exec true; expect_code 0 "true, found in PATH"
run_preflight exec 'env PATH=/nowhere /bin/true'; expect_code 0 "arguments are passed"
run_cmd env PATH=/bin "$PREFLIGHT" exec 'true'; expect_code 0 "PATH as given to preflight"
run_cmd "$(dirname "$PREFLIGHT")/preflight-exec" /bin/true; expect_code 0 "as preflight-exec"
run_preflight exec cat -t 5s; expect_code 0 "stdin is /dev/null: cat ends at once"; expect_elapsed 0 500 "cat did not wait for input"
run_preflight exec /bin/true /bin/true; expect_code 0 "two commands"

# Words as a chain file splits them; never a shell: ; | $ are plain characters.
run_preflight exec "echo 'a;b' c|d \$HOME \${HOME} \"e  f\"" --expect-output 'a;b c|d $HOME ${HOME} e  f'
expect_code 0 "; | \$ reach the command as they are, quotes keep blanks"
run_preflight exec 'echo a; rm -rf /nonexistent'; expect_code 0 "no shell: '; rm' is echoed"
expect_text ERR "a; rm -rf /nonexistent" "echo printed it all"
run_preflight exec "sh -c 'echo from a shell; exit 0'" --expect-output 'from a shell'; expect_code 0 "sh -c for a shell"

# ---- failed: 120 ----
run_preflight exec /bin/false; expect_code 120 "/bin/false"; expect_text ERR "exit 1 (expected 0)" "exit 1 explained"
run_preflight exec "sh -c 'echo cannot open /etc/myapp.yml >&2; exit 3'"; expect_code 120 "exit 3"
expect_text ERR "exit 3 (expected 0)" "exit 3 explained"; expect_text ERR "output ends 'cannot open /etc/myapp.yml'" "the last line of stderr in the message"
run_preflight exec "sh -c 'kill -SEGV \$\$'"; expect_code 120 "killed by SIGSEGV"
expect_text ERR "killed by SIGSEGV" "the signal named"; expect_text ERR "coredumpctl" "the fix for a crash"
run_preflight exec "sh -c 'kill -KILL \$\$'"; expect_code 120 "killed by SIGKILL"; expect_text ERR "killed by SIGKILL" "SIGKILL named"
run_preflight exec /bin/true /bin/false; expect_code 120 "the second of two commands fails"
run_preflight exec "printf 'ok\033[31mred\r\n'"; expect_code 0 "output with escapes"
expect_text ERR 'ok\x1b[31mred' "the excerpt's escape is shown escaped"
expect_no_text ERR "$(printf '\033')" "no raw escape in the message"
run_preflight exec "sh -c 'printf \"\\033]0;title\\a\"; exit 2'"; expect_code 120 "exit 2 after an OSC sequence"
expect_no_text ERR "$(printf '\a')" "no raw BEL"; expect_no_text ERR "$(printf '\033')" "no raw ESC"

# --expect-exit
run_preflight exec "sh -c 'exit 3'" --expect-exit 3; expect_code 0 "--expect-exit 3"
run_preflight exec "sh -c 'exit 5'" --expect-exit 0-2,5; expect_code 0 "--expect-exit 0-2,5 takes 5"
run_preflight exec "sh -c 'exit 3'" --expect-exit 0-2,5; expect_code 120 "--expect-exit 0-2,5 refuses 3"
expect_text ERR "exit 3 (expected 0-2,5)" "the list is shown"
run_preflight exec /bin/true --expect-exit 1; expect_code 120 "--expect-exit 1 refuses 0"
run_preflight exec "sh -c 'kill -TERM \$\$'" --expect-exit 0-255; expect_code 120 "a signal is never an exit status"

# ---- output mismatch: 122 ----
run_preflight exec 'echo configuration OK' --expect-output 'configuration OK'; expect_code 0 "--expect-output matches"
run_preflight exec "sh -c 'echo configuration OK >&2'" --expect-output 'configuration OK'; expect_code 0 "stderr counts"
run_preflight exec "sh -c 'echo config; echo uration OK >&2'" --expect-output 'configuration OK'
expect_code 122 "across stdout and stderr the text is what a terminal shows, not joined"
run_preflight exec "echo 'syntax error at line 3'" --expect-output 'configuration OK'; expect_code 122 "a mismatch"
expect_text ERR "lacks 'configuration OK'" "the text is named"; expect_text ERR "output ends 'syntax error at line 3'" "with an excerpt"
run_preflight exec "sh -c 'echo configuration OK; exit 1'" --expect-output 'configuration OK'
expect_code 120 "the exit status is judged first"

# --expect-output-regex: PCRE2, ^ and $ at each line, as http's --expect-body-regex
run_preflight exec "printf 'starting\nconfiguration OK (3 files)\n'" --expect-output-regex '^configuration OK \([0-9]+ files\)$'
expect_code 0 "--expect-output-regex matches a line"
run_preflight exec "echo 'syntax error'" --expect-output-regex '^configuration OK'; expect_code 122 "--expect-output-regex mismatch"
expect_text ERR "does not match '^configuration OK'" "the pattern is named"; expect_text ERR "output ends 'syntax error'" "with an excerpt"
run_preflight exec /bin/true --expect-output-regex '('; expect_code 2 "a bad pattern"; expect_text ERR "--expect-output-regex: '(' is refused" "names the option"
run_preflight exec /bin/true --expect-output-regex 'a{,5}'; expect_code 2 "a construct PCRE2 reads otherwise"
run_preflight exec "printf '%065536d' 0" --expect-output-regex '(*NO_START_OPT)(\w+)+!' -t 20s
expect_code 122 "a pattern that would run away gives up"; expect_text ERR "gave up" "says so"

# ---- could not be started: 123 ----
run_preflight exec no-such-command-preflight; expect_code 123 "not in PATH"; expect_text ERR "is not in PATH" "says so"
run_preflight exec /nonexistent/selftest; expect_code 123 "no such file"; expect_text ERR "does not exist" "says so"
printf '#!/bin/sh\nexit 0\n' >"$WORK/noexec"; chmod 644 "$WORK/noexec"
run_preflight exec "$WORK/noexec"; expect_code 123 "not executable"; expect_text ERR "not executable" "says so"
expect_text ERR "chmod +x" "the fix"
printf 'exit 0\n' >"$WORK/nohashbang"; chmod 755 "$WORK/nohashbang"
run_preflight exec "$WORK/nohashbang"; expect_code 123 "a script without #!: never through a shell"
expect_text ERR "#! line" "the fix names the #! line"
run_preflight exec no-such-command-preflight --wait -t 5s --json; expect_code 123 "123 is permanent"; expect_attempts -eq 1 "not retried"

# ---- timed out: 121, and nothing left ----
MARK="31.$$"
run_preflight exec "sleep $MARK" -t 1s; expect_code 121 "sleep past the deadline"; expect_took 1000 "ends by -t 1s"; past_deadline
expect_text ERR "still running at the deadline" "says so"; no_marker "^sleep $MARK" "the sleep is gone"
run_preflight exec "sh -c 'echo \$\$ >$WORK/p1; sleep $MARK & echo \$! >$WORK/p2; sleep $MARK'" -t 1s
expect_code 121 "a child in the background"; expect_took 1000 "ends by -t 1s"; past_deadline
gone "$WORK/p1" "the command"; gone "$WORK/p2" "its background child"
rm -f "$WORK"/p*
# A daemon: double fork and setsid, its own session and group; it keeps the pipe open.
run_preflight exec "sh -c 'setsid sh -c \"echo \\\$\\\$ >$WORK/p1; echo daemon up; exec sleep $MARK\" & sleep $MARK'" -t 1s
expect_code 121 "a grandchild that calls setsid"; expect_took 1000 "ends by -t 1s although it holds the pipe"; past_deadline
gone "$WORK/p1" "the setsid grandchild"; expect_text ERR "output ends 'daemon up'" "its output is kept"
rm -f "$WORK"/p*
run_preflight exec "sh -c 'trap \"\" TERM; echo \$\$ >$WORK/p1; sleep $MARK'" -t 1s
expect_code 121 "a command that ignores SIGTERM"; expect_took 1100 "SIGKILL 100 ms later"; past_deadline
gone "$WORK/p1" "killed with SIGKILL"; no_marker "^sleep $MARK" "its sleep too"
rm -f "$WORK"/p*
run_preflight exec "sh -c 'while :; do echo spam; done'" -t 1s; expect_code 121 "a chatty command"; expect_took 1000 "ends by -t 1s"; past_deadline

# The command exits 0 but leaves a daemon holding the pipe: killed at once, the pass says so.
run_preflight exec "sh -c 'setsid sh -c \"echo \\\$\\\$ >$WORK/p1; exec sleep $MARK\" & sleep 0.2; echo started'" -t 10s
expect_code 0 "exit 0 with a daemon left behind"; expect_elapsed 0 400 "not held by the daemon's pipe"
expect_text ERR "left 1 process" "the leftover is reported"; gone "$WORK/p1" "the leftover is killed"
rm -f "$WORK"/p*

# ---- bounded memory: 100 MB of output ----
base=$(max_rss_kib "$PREFLIGHT" exec /bin/true)
big=$(max_rss_kib "$PREFLIGHT" exec 'head -c 100000000 /dev/zero')
if [ -n "$base" ] && [ -n "$big" ] && [ "$big" -le $((base + $(rss_allowance 1024))) ]; then
	pass "100 MB of output in bounded memory (${big} KiB against ${base} KiB)"
else
	fail "100 MB of output: ${big:-?} KiB, /bin/true ${base:-?} KiB"
fi
run_preflight exec 'head -c 100000000 /dev/zero' --json; expect_code 0 "100 MB read to the end"
expect_text OUT "100000000 bytes of output" "every byte counted"; expect_text OUT "the first 64 KiB kept" "the first 64 KiB kept"

# ---- --wait: retried until it passes ----
run_preflight exec "sh -c 'n=\$(cat $WORK/count 2>/dev/null || echo 0); n=\$((n+1)); echo \$n >$WORK/count; echo try \$n; [ \$n -ge 3 ]'" --wait -t 10s -i 100ms --json
expect_code 0 "passes on the third try"; expect_attempts -eq 3 "three attempts"
run_preflight exec "sleep $MARK" --wait -t 1s; expect_code 121 "--wait with a command that never ends"; expect_took 1000 "ends by -t 1s"; past_deadline
run_preflight exec /bin/false --wait -t 1s -i 100ms; expect_code 120 "--wait: the last answer"; expect_took 1000 "retried to the deadline"

# ---- --invert, --json ----
run_preflight exec /bin/false --invert; expect_code 0 "--invert: a failing command passes"
run_preflight exec /bin/true --invert; expect_code 120 "--invert: a passing command fails"
run_preflight exec no-such-command-preflight --invert; expect_code 123 "--invert: not started still fails"
run_preflight exec "sh -c 'exit 4'" --json; expect_code 120 "--json"
expect_text OUT '"check":"exec"' "JSON names the check"; expect_text OUT '"code":120' "and the code"
expect_text OUT "\"target\":\"sh -c 'exit 4'\"" "and the command as written"
run_preflight exec 'curl -s https://admin:s3cret@127.0.0.1:1/' --json
expect_no_text OUT "s3cret" "a URL's password is not shown"; expect_no_text ERR "s3cret" "nor on stderr"

# ---- chains and the wrapper ----
cat >"$WORK/exec.conf" <<'CONF'
# exec lines: the chain file expands and splits the line, the check splits its one argument
exec "printf '%s|%s\n' a b" --expect-output 'a|b'
exec 'echo ${HOME}' --expect-output '${HOME}'
exec "echo ${GREETING:-hello}" --expect-output hello
exec "sh -c 'exit 7'" --expect-exit 7
CONF
run_preflight run "$WORK/exec.conf"; expect_code 0 "a chain of exec lines"
printf 'exec /bin/true\nexec "sh -c '"'"'exit 9'"'"'"\n' >"$WORK/fail.conf"
run_preflight run "$WORK/fail.conf"; expect_code 120 "a failing exec line"; expect_text ERR "exit 9" "its status"
run_preflight run --dry-run "$WORK/exec.conf"; expect_code 0 "dry run"
printf 'exec "echo '"'"'open"\n' >"$WORK/bad.conf"
run_preflight run --dry-run "$WORK/bad.conf"; expect_code 6 "a bad command in a chain is found by --dry-run"
expect_text ERR "bad.conf:1: exec: COMMAND" "the line and the command are named"
printf 'exec "sleep %s" -t 1s\nexec "sh -c '"'"'setsid sleep %s \& sleep %s'"'"'" -t 1s\n' "$MARK" "$MARK" "$MARK" >"$WORK/parallel.conf"
run_preflight run "$WORK/parallel.conf" --parallel --keep-going; expect_code 121 "two exec lines side by side, both timed out"
expect_took 1000 "both end by -t 1s"; past_deadline; no_marker "^sleep $MARK" "nothing left by either line"
run_preflight run --dry-run "$TESTS_DIR/../configs/vendor-selftest.conf"; expect_code 0 "the example chain parses"
run_preflight exec /bin/true -- /bin/echo wrapped; expect_code 0 "the wrapper runs after"; expect_text OUT "wrapped" "the service ran"
run_preflight exec /bin/false -- /bin/echo wrapped; expect_code 120 "the wrapper does not run"; expect_no_text OUT "wrapped" "the service did not run"

# ---- as nobody ----
mkdir -p "$WORK/nobody"; chmod 777 "$WORK/nobody"
run_cmd as_nobody "$PREFLIGHT" exec 'id -u' --expect-output 65534; expect_code 0 "as nobody: runs as nobody"
run_cmd as_nobody "$PREFLIGHT" exec "sh -c 'setsid sh -c \"echo \\\$\\\$ >$WORK/nobody/p1; exec sleep $MARK\" & sleep $MARK'" -t 1s
expect_code 121 "as nobody: timed out"; expect_took 1000 "as nobody: ends by -t 1s"; past_deadline
gone "$WORK/nobody/p1" "as nobody: the setsid grandchild is killed too"
run_cmd as_nobody "$PREFLIGHT" exec "$WORK/noexec"; expect_code 123 "as nobody: not executable"
no_marker "^sleep $MARK" "no sleep of this file is left"

# ---- list, explain, exit-codes ----
run_preflight list; expect_text OUT "exec" "listed"
run_preflight exec --help; expect_code 0 "--help"; expect_text OUT "--expect-exit" "names --expect-exit"; expect_text OUT "--expect-output" "names --expect-output"
for code in 120 121 122 123; do
	run_preflight explain $code; expect_code 0 "explain $code"; expect_text OUT "$code: preflight EXEC_CMD_" "explain $code names it"
done
run_preflight explain 123; expect_text OUT "permanent" "123 is permanent"
run_preflight exit-codes
if grep -qE '^RestartPreventExitStatus=.* 123( |$)' <<<"$OUT" && ! grep -qE '^RestartPreventExitStatus=.* 12[0-2]( |$)' <<<"$OUT"; then
	pass "123 stops a restart loop, 120-122 do not"
else
	fail "RestartPreventExitStatus=: $(grep '^RestartPreventExitStatus=' <<<"$OUT")"
fi

echo "# longest time past -t 1s: ${LONGEST_PAST} ms"
finish
