#!/bin/bash
# preflight run: the file (FILE, NAME, stdin), its grammar as users meet it, defaults, errors
# with file and line (6), stop / --keep-going / --parallel and their exit codes, output forms,
# the owner and mode rules as root, the bounds on hostile files, and the example configs.
. "$(dirname "$0")/lib.sh"

CONFIGS="$TESTS_DIR/../configs"
FREE=$(free_port)   # nothing listens here: tcp fails (60), port passes
FREE2=$(free_port)

# conf NAME LINES...: writes $WORK/NAME.conf, one argument per line; CONF is its path.
conf() {
	CONF="$WORK/$1.conf"
	shift
	printf '%s\n' "$@" >"$CONF"
	chmod 644 "$CONF"
}

# line_of TEXT: the line number of stderr's first line containing TEXT (0 when none).
line_of() {
	local n
	n=$(printf '%s\n' "$ERR" | grep -nF -- "$1" | head -1 | cut -d: -f1)
	echo "${n:-0}"
}

# ---- the command line of run ---------------------------------------------------------------------
run_preflight run
expect_code 2 "run without a FILE"
expect_text ERR "needs a FILE" "run without a FILE says what it needs"
conf ok 'user root' 'user root --group root'
run_preflight run "$CONF" "$CONF"
expect_code 2 "run with two FILEs"
run_preflight run "$CONF" --bogus
expect_code 2 "run with an unknown option"
expect_text ERR "'--bogus'" "the unknown option is named"
run_preflight run "$CONF" -x
expect_code 2 "run with an unknown short option"
run_preflight run --help
expect_code 0 "run --help"
expect_text OUT "Usage: preflight run FILE|NAME|-" "run --help shows the usage"
expect_text OUT "--keep-going" "run --help lists --keep-going"
run_preflight run "$CONF" -qv
expect_code 0 "short options cluster (-qv)"

# ---- FILE, NAME, stdin ---------------------------------------------------------------------------
run_preflight run "$CONF"
expect_code 0 "a chain whose lines pass"
[ "$(printf '%s\n' "$ERR" | grep -c '^ok   user root')" -eq 2 ] && pass "one ok line per check" ||
	fail "expected two ok lines: $ERR"
mkdir -p "$WORK/etc"
cp "$CONF" "$WORK/etc/myapp.conf"
run_cmd env PREFLIGHT_CONFIG_DIR="$WORK/etc" "$PREFLIGHT" run myapp
expect_code 0 "NAME reads \$PREFLIGHT_CONFIG_DIR/NAME.conf"
run_cmd env PREFLIGHT_CONFIG_DIR="$WORK/etc" "$PREFLIGHT" run nothere
expect_code 6 "a NAME with no file"
expect_text ERR "$WORK/etc/nothere.conf" "the missing NAME is named with its path"
run_cmd env -u PREFLIGHT_CONFIG_DIR "$PREFLIGHT" run no-such-chain-name-x
expect_code 6 "NAME without PREFLIGHT_CONFIG_DIR"
expect_text ERR "/etc/preflight/no-such-chain-name-x.conf" "NAME means /etc/preflight/NAME.conf"
expect_text ERR "write ./no-such-chain-name-x" "the error says how to name a file here"
run_preflight run - <"$CONF"
expect_code 0 "- reads the chain from stdin"
printf 'user nobody\n' | { "$PREFLIGHT" run - 2>"$WORK/stdin.err"; echo $? >"$WORK/stdin.rc"; }
[ "$(cat "$WORK/stdin.rc")" = 10 ] && pass "a failing chain on stdin gives the line's code" ||
	fail "stdin chain exit $(cat "$WORK/stdin.rc")"
printf 'user root\nuser --bogus\n' | { "$PREFLIGHT" run - 2>"$WORK/stdin.err"; echo $? >"$WORK/stdin.rc"; }
grep -q "^preflight: run: stdin:2: user: unknown option '--bogus'" "$WORK/stdin.err" &&
	pass "errors in a chain from stdin say stdin:LINE" || fail "stdin error: $(cat "$WORK/stdin.err")"
run_preflight run "$WORK/missing.conf"
expect_code 6 "a FILE that does not exist"
expect_text ERR "$WORK/missing.conf: No such file or directory" "the missing FILE is named"
run_preflight run "$WORK"
expect_code 6 "a directory"
expect_text ERR "not a regular file" "a directory is not a chain file"
mkfifo "$WORK/fifo.conf"
run_preflight run "$WORK/fifo.conf"
expect_code 6 "a FIFO is refused"
expect_elapsed 0 400 "a FIFO with no writer does not hang"
: >"$WORK/empty.conf"
run_preflight run "$WORK/empty.conf"
expect_code 6 "an empty file"
expect_text ERR "no checks in it" "an empty file has no checks"
conf only-defaults '# nothing but' 'defaults -t 1s'
run_preflight run "$CONF"
expect_code 6 "a file with only defaults"

# ---- the grammar, as users meet it ---------------------------------------------------------------
conf grammar '  # indented comment' '' \
	'user "root"   # trailing comment' \
	"user 'root' \\" \
	'   --group root' \
	'user ro\ot'
run_preflight run "$CONF"
expect_code 0 "quotes, escapes, comments and a continuation line"
[ "$(printf '%s\n' "$ERR" | grep -c '^ok   user root')" -eq 3 ] && pass "three lines of checks read" ||
	fail "expected three ok lines: $ERR"
printf 'user root\r\nuser root --group root\r\n' >"$WORK/crlf.conf"
run_preflight run "$WORK/crlf.conf"
expect_code 0 "a file with CRLF line ends"

# ${...} from the environment.
conf vars 'user ${PF_TEST_USER}' 'user ${PF_TEST_UNSET:-root}' 'user "${PF_TEST_USER}" --group ${PF_TEST_GROUP:-root}'
run_cmd env PF_TEST_USER=root "$PREFLIGHT" run "$CONF"
expect_code 0 "\${NAME} and \${NAME:-default} expand from the environment"
run_cmd env PF_TEST_USER=nobody "$PREFLIGHT" run "$CONF"
expect_code 10 "the expanded value is what is checked"
expect_text ERR "FAIL user nobody" "the check shows the expanded value"
run_cmd env -u PF_TEST_USER "$PREFLIGHT" run "$CONF"
expect_code 6 "an unset \${NAME}"
expect_text ERR "$CONF:1: \${PF_TEST_USER} is not set" "the unset variable is named with file and line"
conf single "user '\${PF_TEST_USER}'"
run_cmd env PF_TEST_USER=root "$PREFLIGHT" run "$CONF"
expect_code 11 "no expansion inside single quotes"
expect_text ERR "'\${PF_TEST_USER}' does not exist" "the single-quoted word reached the check as written"
conf spaced 'user ${PF_TEST_USER}'
run_cmd env PF_TEST_USER="root --group nogroup" "$PREFLIGHT" run "$CONF"
expect_code 6 "a value with spaces stays one word (no option injected: that would give 10)"
expect_text ERR "'root --group nogroup' is not a valid user name" "the whole value is one argument"
conf bare 'user $USER'
run_preflight run "$CONF"
expect_code 6 "a bare \$NAME is refused"
expect_text ERR "write \${USER}" "the error says to write \${USER}"

# ---- errors: code 6, file and line, nothing run --------------------------------------------------
conf errors 'user root' '' 'prot 8080'
run_preflight run "$CONF"
expect_code 6 "an unknown check"
expect_text ERR "preflight: run: $CONF:3: unknown check 'prot'" "an unknown check names file and line"
conf badopt 'user root' 'user root --bogus'
run_preflight run "$CONF"
expect_code 6 "a bad option on a line is a chain-file error (6, not 2)"
expect_text ERR "$CONF:2: user: unknown option '--bogus'" "a bad option names file, line and check"
conf badspan 'tcp 127.0.0.1:1 -t 5x'
run_preflight run "$CONF"
expect_code 6 "a bad span on a line"
expect_text ERR "$CONF:1: tcp: --timeout: '5x' is not a time span" "a bad span names file and line"
conf noargs 'user root' 'port'
run_preflight run "$CONF"
expect_code 6 "a check missing its arguments"
expect_text ERR "$CONF:2: port:" "a missing argument names file and line"
conf quote 'user root' 'user "root' 'user root'
run_preflight run "$CONF"
expect_code 6 "an unclosed quote"
expect_text ERR "$CONF:2: a double quote is not closed" "an unclosed quote names its line"
conf contline 'user root \' '  --group root \' '  --bogus' 'user root'
run_preflight run "$CONF"
expect_code 6 "a bad option in a continued line"
expect_text ERR "$CONF:1: user: unknown option" "a continued line is named by its first line"
conf contvar 'user root \' '  --group ${PF_TEST_UNSET}'
run_preflight run "$CONF"
expect_text ERR "$CONF:2: \${PF_TEST_UNSET} is not set" "an unset variable names the physical line it is on"
conf dashdash 'user root -- /bin/true'
run_preflight run "$CONF"
expect_code 6 "'--' on a chain line"
expect_text ERR "'--' has no place in a chain file" "'--' on a line is explained"
conf helpline 'user --help'
run_preflight run "$CONF"
expect_code 6 "--help on a chain line"
conf nul 'user root'
printf 'user root\nuser \0root\n' >"$CONF"
run_preflight run "$CONF"
expect_code 6 "a NUL byte"
expect_text ERR "$CONF:2: a NUL byte" "a NUL byte names its line"
# Nothing runs before the whole file is known good: line 1 would wait 3 s.
conf late-error "tcp 127.0.0.1:$FREE --wait -t 3s" 'user root --bogus'
run_preflight run "$CONF"
expect_code 6 "an error on line 2 stops the chain before line 1 runs"
expect_elapsed 0 200 "the file is checked before anything runs (line 1 would take 3 s)"
expect_no_text ERR "FAIL tcp" "line 1 did not run"

# ---- defaults ------------------------------------------------------------------------------------
conf defaults-wait 'defaults --wait -t 600ms -i 100ms' "tcp 127.0.0.1:$FREE"
run_preflight run "$CONF"
expect_code 60 "defaults --wait applies to later lines"
expect_took 600 "defaults -t 600ms --wait: the line waits its 600ms"
conf defaults-override 'defaults --wait -t 5s -i 100ms' "tcp 127.0.0.1:$FREE -t 400ms"
run_preflight run "$CONF"
expect_code 60 "a line overrides defaults"
expect_took 400 "the line's -t 400ms wins over defaults -t 5s"
conf defaults-accumulate 'defaults --wait -i 100ms' 'defaults -t 400ms' "tcp 127.0.0.1:$FREE"
run_preflight run "$CONF"
expect_took 400 "defaults lines add up (--wait, then -t 400ms)"
conf defaults-later "tcp 127.0.0.1:$FREE" 'defaults --wait -t 3s'
run_preflight run --json "$CONF"
expect_code 60 "defaults do not reach back to earlier lines"
expect_attempts -eq 1 "the earlier line made one attempt"
conf defaults-invert 'defaults --invert' 'user nobody'
run_preflight run "$CONF"
expect_code 0 "defaults --invert"
conf defaults-foreign 'defaults --group root' 'user root'
run_preflight run "$CONF"
expect_code 6 "defaults with an option of one check only"
expect_text ERR "$CONF:1: defaults: unknown option '--group'" "defaults names the option"
expect_text ERR "only the options every check takes" "defaults says what it may hold"
conf defaults-target 'defaults root'
run_preflight run "$CONF"
expect_code 6 "defaults with a target"
conf defaults-span 'defaults -t soon' 'user root'
run_preflight run "$CONF"
expect_code 6 "defaults with a bad span"
expect_text ERR "$CONF:1: defaults: --timeout: 'soon'" "a bad span in defaults names file and line"

# ---- stop at the first failure, --keep-going, exit codes in file order ---------------------------
conf three 'user root' 'user nobody' 'user no_such_user_x'
run_preflight run "$CONF"
expect_code 10 "the first failing line's code"
expect_no_text ERR "no_such_user_x" "lines after the failure do not run"
expect_text ERR "preflight: run: $CONF:2 failed; 1 later line not run (--keep-going runs them all)" \
	"the lines not run are counted"
run_preflight run --keep-going "$CONF"
expect_code 10 "--keep-going: still the first failing line's code"
expect_text ERR "FAIL user no_such_user_x" "--keep-going runs every line"
expect_text ERR "[11]" "--keep-going reports every failure with its code"
expect_no_text ERR "not run" "--keep-going has no lines not run"
conf order 'user no_such_user_x' 'user nobody'
run_preflight run --keep-going "$CONF"
expect_code 11 "exit code in file order: line 1's 11, not line 2's 10"

# ---- --parallel ----------------------------------------------------------------------------------
conf slow3 "tcp 127.0.0.1:$FREE --wait -t 1s -i 100ms" "tcp 127.0.0.1:$FREE --wait -t 1s -i 100ms" \
	"tcp 127.0.0.1:$FREE --wait -t 1s -i 100ms"
run_preflight run --parallel --keep-going "$CONF"
expect_code 60 "--parallel: three lines each waiting one second"
expect_took 1000 "--parallel: the slowest line's time, not the sum"
[ "$(printf '%s\n' "$ERR" | grep -c '^FAIL tcp')" -eq 3 ] && pass "--parallel --keep-going reports all three" ||
	fail "expected three FAIL lines: $ERR"
run_preflight run --keep-going "$CONF"
expect_took 3000 "in order, the same three lines take the sum (the control)"
# File order for output and exit code, whichever line ends first.
conf parorder "tcp 127.0.0.1:$FREE --wait -t 700ms -i 100ms" 'user nobody' 'user root'
run_preflight run --parallel --keep-going "$CONF"
expect_code 60 "--parallel: line 1's code although line 2 failed first"
tcp_at=$(line_of "FAIL tcp")
nobody_at=$(line_of "FAIL user nobody")
root_at=$(line_of "ok   user root")
[ "$tcp_at" -eq 1 ] && [ "$nobody_at" -eq 2 ] && [ "$root_at" -eq 3 ] &&
	pass "--parallel reports in file order" || fail "--parallel order: tcp $tcp_at, nobody $nobody_at, root $root_at: $ERR"
# Without --keep-going, once an earlier line has failed the rest are stopped.
conf parstop 'user nobody' "tcp 127.0.0.1:$FREE --wait -t 5s"
run_preflight run --parallel "$CONF"
expect_code 10 "--parallel stops at the first failing line"
expect_elapsed 0 400 "--parallel does not wait for lines after a failure (-t 5s)"
expect_no_text ERR "FAIL tcp" "the stopped line is not reported"
expect_text ERR "1 later line not run" "the stopped line is counted"
conf parwait "tcp 127.0.0.1:$FREE --wait -t 700ms -i 100ms" 'user nobody'
run_preflight run --parallel "$CONF"
expect_code 60 "--parallel waits for an earlier line before deciding"
expect_no_text ERR "user nobody" "a later failure is not reported once an earlier one decided"
# --parallel holds a pipe from every line: past LimitNOFILE= it says so before anything runs.
printf 'user root\n%.0s' $(seq 40) >"$WORK/forty.conf"
run_cmd bash -c 'ulimit -n 30 && exec "$@"' sh "$PREFLIGHT" run --parallel "$WORK/forty.conf"
expect_code 1 "--parallel past the descriptor limit"
[[ "$ERR" =~ needs\ [0-9]+\ file\ descriptors\ for\ its\ 40\ lines ]] &&
	pass "says how many descriptors the chain needs" || fail "descriptors needed not said: $ERR"
expect_text ERR "the limit is 30; fix: raise LimitNOFILE=" "names the limit and LimitNOFILE="
expect_no_text ERR "ok   user" "nothing ran"
run_cmd bash -c 'ulimit -n 80 && exec "$@"' sh "$PREFLIGHT" run --parallel -q "$WORK/forty.conf"
expect_code 0 "--parallel within the descriptor limit"
conf parok 'user root' "port $FREE $FREE2" 'cap net_bind_service'
run_preflight run --parallel "$CONF"
expect_code 0 "--parallel with every line passing"
[ "$(printf '%s\n' "$ERR" | grep -c '^ok ')" -eq 4 ] && pass "--parallel: a line with two targets reports both" ||
	fail "expected four ok lines: $ERR"
port_at=$(line_of "ok   port $FREE2/tcp")
cap_at=$(line_of "ok   cap")
[ "$port_at" -eq 3 ] && [ "$cap_at" -eq 4 ] && pass "--parallel: targets of one line stay together, in order" ||
	fail "--parallel: port $FREE2 at $port_at, cap at $cap_at: $ERR"

# The children are the chain's own: one that dies without a result is reported from how it
# ended (1), and none outlives a chain that is killed.
# chain_child PID: waits until PID has exactly one child left and prints it.
chain_child() {
	local i kids
	for i in $(seq 60); do
		kids=$(ps --ppid "$1" -o pid= | tr -d ' ')
		[ -n "$kids" ] && [ "$(printf '%s\n' "$kids" | wc -l)" -eq 1 ] && { echo "$kids"; return 0; }
		sleep 0.05
	done
	return 1
}
conf killed "tcp 127.0.0.1:$FREE --wait -t 5s" 'user root'
"$PREFLIGHT" run --parallel --keep-going "$CONF" >"$WORK/killed.out" 2>"$WORK/killed.err" &
chain_pid=$!
child=$(chain_child "$chain_pid")
[ -n "$child" ] && kill -9 "$child"
wait "$chain_pid"
RC=$?
ERR=$(cat "$WORK/killed.err")
expect_code 1 "--parallel: a line killed without a result is an internal error"
expect_text ERR "FAIL tcp 127.0.0.1:$FREE ended by signal 9 without a result [1]" "the killed line is reported by its target"
expect_text ERR "ok   user root" "the other line is still reported"
"$PREFLIGHT" run --parallel "$CONF" >/dev/null 2>&1 &
chain_pid=$!
child=$(chain_child "$chain_pid")
kill -9 "$chain_pid"
wait "$chain_pid" 2>/dev/null
gone=no
for i in $(seq 40); do
	# Gone, or a zombie that whoever inherited it has not reaped yet: no longer running.
	state=$(ps -o stat= -p "$child" 2>/dev/null)
	[ -z "$state" ] || [[ "$state" == Z* ]] && { gone=yes; break; }
	sleep 0.05
done
[ -n "$child" ] && [ "$gone" = yes ] && pass "--parallel: a line does not outlive its killed chain" ||
	{ fail "--parallel: line $child outlived its chain"; [ -n "$child" ] && kill -9 "$child" 2>/dev/null; }

# ---- output: --json, -q, -v for every line -------------------------------------------------------
conf out 'user root' 'user root --group root' 'user nobody'
run_preflight run --keep-going --json "$CONF"
expect_code 10 "--json chain"
[ "$(printf '%s\n' "$OUT" | grep -c '^{"check":"user"')" -eq 3 ] && pass "--json: one JSON object per line on stdout" ||
	fail "--json stdout: $OUT"
expect_no_text ERR "ok   user" "--json: no human lines"
run_preflight run --keep-going --json --parallel "$CONF"
[ "$(printf '%s\n' "$OUT" | sed -n 3p)" != "" ] && [[ "$(printf '%s\n' "$OUT" | sed -n 3p)" == *'"target":"nobody"'* ]] &&
	pass "--json --parallel: objects in file order" || fail "--json --parallel: $OUT"
if command -v python3 >/dev/null; then
	printf '%s\n' "$OUT" | python3 -c 'import json,sys; [json.loads(l) for l in sys.stdin]' &&
		pass "--json: every line is valid JSON" || fail "--json: invalid JSON: $OUT"
fi
run_preflight run -q "$WORK/ok.conf"
expect_code 0 "-q chain"
[ -z "$ERR$OUT" ] && pass "-q: nothing on success, for every line" || fail "-q printed: $ERR"
run_preflight run -q --keep-going "$CONF"
expect_text ERR "FAIL user nobody" "-q: failures still show"
expect_no_text ERR "ok   " "-q: no ok lines"
run_preflight run -v "$WORK/ok.conf"
[ "$(printf '%s\n' "$ERR" | grep -c '(1 attempt, ')" -eq 2 ] && pass "-v: every line with attempts and time" ||
	fail "-v: $ERR"
conf linequiet 'user root -q' 'user root --group root'
run_preflight run "$CONF"
[ "$(printf '%s\n' "$ERR" | grep -c '^ok')" -eq 1 ] && pass "a line's own -q quiets that line only" ||
	fail "line -q: $ERR"

# ---- --dry-run -----------------------------------------------------------------------------------
conf dry 'user nobody' "tcp 127.0.0.1:$FREE --wait -t 5s"
run_preflight run --dry-run "$CONF"
expect_code 0 "--dry-run of a valid file passes without running it"
expect_text ERR "2 checks, all valid" "--dry-run counts the checks"
expect_no_text ERR "FAIL" "--dry-run runs nothing"
run_preflight run --dry-run "$WORK/badopt.conf"
expect_code 6 "--dry-run of a broken file"
run_preflight run --dry-run -q "$CONF"
[ -z "$ERR" ] && pass "--dry-run -q says nothing" || fail "--dry-run -q: $ERR"

# ---- owner and mode, as root ---------------------------------------------------------------------
conf perms 'user root'
chmod 666 "$CONF"
run_preflight run "$CONF"
expect_code 6 "as root, a world-writable chain file is refused"
expect_text ERR "writable by group and others (mode 0666)" "the refusal names the mode"
expect_text ERR "chmod go-w" "the refusal says how to fix it"
expect_no_text ERR "ok   user" "nothing ran from the refused file"
chmod 646 "$CONF"
run_preflight run "$CONF"
expect_code 6 "as root, an others-writable chain file is refused"
chmod 664 "$CONF"
run_preflight run "$CONF"
expect_code 6 "as root, a group-writable chain file is refused"
expect_text ERR "writable by group (mode 0664)" "group-writable is named"
chmod 644 "$CONF"
chown nobody "$CONF"
run_preflight run "$CONF"
expect_code 6 "as root, a chain file owned by another user is refused"
expect_text ERR "owned by uid $(id -u nobody), not root" "the owner is named"
chown root "$CONF"
chmod 600 "$CONF"
run_preflight run "$CONF"
expect_code 0 "as root, a root-owned 0600 file is fine"
ln -s "$CONF" "$WORK/link.conf"
chmod 666 "$CONF"
run_preflight run "$WORK/link.conf"
expect_code 6 "a symlink is judged by the file it leads to"
cp "$CONF" "$WORK/etc/loose.conf"
chmod 666 "$WORK/etc/loose.conf"
run_cmd env PREFLIGHT_CONFIG_DIR="$WORK/etc" "$PREFLIGHT" run loose
expect_code 6 "a NAME's file is checked as well"
# An unprivileged user runs its own files: the rule guards root only.
printf 'user --not-root\n' >"$WORK/mine.conf"
chown nobody "$WORK/mine.conf"
chmod 664 "$WORK/mine.conf"
run_cmd as_nobody "$PREFLIGHT" run "$WORK/mine.conf"
expect_code 0 "as nobody, its own group-writable file runs"
printf 'user --not-root\n' >"$WORK/secret.conf"
chmod 600 "$WORK/secret.conf"
run_cmd as_nobody "$PREFLIGHT" run "$WORK/secret.conf"
expect_code 6 "as nobody, an unreadable file"
expect_text ERR "Permission denied" "an unreadable file says so"

# ---- bounds: hostile files stay cheap ------------------------------------------------------------
head -c $((2 * 1024 * 1024)) /dev/zero | tr '\0' '#' >"$WORK/huge.conf"
run_preflight run "$WORK/huge.conf"
expect_code 6 "a file over 1 MiB"
expect_text ERR "larger than 1024 KiB" "the size bound is named"
# stdin cannot be sized beforehand: it is read up to the bound, and refused past it.
head -c $((2 * 1024 * 1024)) /dev/zero | tr '\0' '#' >"$WORK/huge.stdin"
run_preflight run - <"$WORK/huge.stdin"
expect_code 6 "over 1 MiB on stdin"
{ printf 'user root\nuser '; head -c 100000 /dev/zero | tr '\0' 'a'; printf '\n'; } >"$WORK/longline.conf"
run_preflight run "$WORK/longline.conf"
expect_code 6 "a line of 100 KB"
expect_text ERR "$WORK/longline.conf:2: this line is longer than 64 KiB" "the long line is named"
for i in $(seq 20000); do echo "user root"; done >"$WORK/many.conf"
run_preflight run "$WORK/many.conf"
expect_code 6 "20000 lines of checks"
expect_text ERR "more than 1000 lines of checks" "the line bound is named"
expect_elapsed 0 400 "20000 lines are refused quickly"
{ for i in $(seq 30000); do echo "# comment line $i"; done; echo "user root"; } >"$WORK/comments.conf"
run_preflight run "$WORK/comments.conf"
expect_code 0 "30000 comment lines and one check"
expect_elapsed 0 400 "30000 comment lines read quickly"
{ for i in $(seq 300); do printf 'w '; done; echo; } | sed 's/^/user /' >"$WORK/words.conf"
run_preflight run "$WORK/words.conf"
expect_code 6 "a line of 300 words"
expect_text ERR "more than 256 words" "the word bound is named"
{ for i in $(seq 300); do echo "defaults -q"; done; echo "user root"; } >"$WORK/manydefaults.conf"
run_preflight run "$WORK/manydefaults.conf"
expect_code 6 "more than 256 words of defaults"
big=$(head -c 60000 /dev/zero | tr '\0' 'v')
{ for i in $(seq 80); do echo 'user ${PF_BIG}'; done; } >"$WORK/bigvars.conf"
run_cmd env PF_BIG="$big" "$PREFLIGHT" run "$WORK/bigvars.conf"
expect_code 6 "expansions past 4 MiB in all"
expect_text ERR "more than 4 MiB" "the expansion bound is named"

# ---- the example configs -------------------------------------------------------------------------
# Read from stdin, so that the test does not depend on who owns the checkout.
for f in "$CONFIGS"/*.conf; do
	run_cmd env INSTANCE=eu1 WORKER_PORT=8101 "$PREFLIGHT" run --dry-run - <"$f"
	expect_code 0 "configs/$(basename "$f") is valid"
done
run_cmd env -u WORKER_PORT "$PREFLIGHT" run --dry-run - <"$CONFIGS/templated-worker.conf"
expect_code 6 "configs/templated-worker.conf without WORKER_PORT"
expect_text ERR "\${WORKER_PORT} is not set" "the templated config names the missing variable"
run_cmd env DEMO_PORT="$FREE" "$PREFLIGHT" run - <"$CONFIGS/demo.conf"
expect_code 0 "configs/demo.conf passes on this host (as root, on a free port)"
[ "$(printf '%s\n' "$ERR" | grep -c '^ok ')" -eq 4 ] && pass "demo.conf reports its four checks" ||
	fail "demo.conf: $ERR"
start_peer python3 "$PEERS/listen.py" "tcp/0.0.0.0/$FREE" || exit 1
run_cmd env DEMO_PORT="$FREE" "$PREFLIGHT" run - <"$CONFIGS/demo.conf"
expect_code 20 "demo.conf fails with 20 when its port is taken"
stop_peer "$PEER_PID"

finish
