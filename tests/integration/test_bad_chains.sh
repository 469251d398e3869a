#!/bin/bash
# Bad chain files for `preflight run FILE`, beyond what test_chain.sh covers (one NUL byte, an
# unclosed double quote, a 2 MiB file, a 100 KB line, 20000 checks, empty, directory, missing,
# unreadable): each is refused with 6 and FILE:LINE, or passes when it is valid, in bounded time
# and memory, with one clean line on stderr. Files are root-owned 0644, as a chain file run by
# root must be.
. "$(dirname "$0")/lib.sh"

BOUND_MS=10000 # generous: every file here is read and judged in milliseconds

# chain_file NAME PRINTF-FORMAT: writes $WORK/NAME.conf from a printf format (\n, \0, \x1b, \\,
# %% for '%'), mode 0644; F is its path.
chain_file() {
	F="$WORK/$1.conf"
	# shellcheck disable=SC2059 # the format is the point
	printf "$2" >"$F"
	chmod 644 "$F"
}

ROWS=0
# Each row: CODE | FRAGMENT (FILE stands for the file's path) | CONTENT as a printf format.
# A row of code 0 is a file that is valid; its fragment is in the output of its checks.
while IFS= read -r row; do
	[[ -z "$row" || "$row" == \#* ]] && continue
	code=${row%% *}
	rest=${row#*| }
	fragment=${rest%% | *}
	content=${rest#* | }
	ROWS=$((ROWS + 1))
	chain_file "row$ROWS" "$content"
	fragment=${fragment//FILE/$F}
	desc="row $ROWS [$(printf '%q' "$content" | cut -c1-50)]"
	run_cmd timeout -s KILL 20 "$PREFLIGHT" run "$F"
	expect_code "$code" "$desc"
	expect_text ERR "$fragment" "$desc: message"
	[ "$code" -ne 0 ] && expect_clean_line "$desc"
	expect_elapsed 0 "$BOUND_MS" "$desc: bounded time"
	run_cmd timeout -s KILL 20 "$PREFLIGHT" run --json "$F"
	if [ "$code" -ne 0 ]; then
		[ "$RC" -eq "$code" ] && [ -z "$OUT" ] && pass "$desc: --json, exit $RC, nothing on stdout" ||
			fail "$desc: --json exit $RC, stdout: ${OUT:0:200}"
	else
		[ "$RC" -eq 0 ] && [[ "$OUT" == *'"ok":true'* ]] && pass "$desc: --json passes" ||
			fail "$desc: --json exit $RC, stdout: ${OUT:0:200}"
	fi
done <<'ROWS'
# ---- quotes and backslashes ----
6 | FILE:1: a single quote is not closed on its line | user 'root\n
6 | FILE:2: a single quote is not closed on its line | user root\nuser 'root \\\n--group root'\n
6 | FILE:1: a double quote is not closed | user "root
6 | FILE:1: the file ends with a backslash that continues nothing | user root \\
6 | FILE:3: the file ends with a backslash that continues nothing | user root\n\nuser root\\
0 | ok   user root | user root \\\n
# ---- ${...} ----
6 | FILE:1: '${' is not closed with '}' on this line | user ${PF_TEST_NAME\n
6 | FILE:1: '${' is not closed with '}' on this line | user ${\n
6 | FILE:2: '${X:-' is not closed with '}' on this line | user root\nuser "${X:-root\n
6 | FILE:1: '${}' does not name a variable | user ${}\n
6 | FILE:1: '${1}' does not name a variable | user ${1}\n
6 | FILE:1: '${NA-...': only ${NAME} and ${NAME:-default} are understood | user ${NA-ME}\n
6 | FILE:1: '${X:...': only ${NAME} and ${NAME:-default} are understood | user ${X:?boom}\n
6 | FILE:1: '${X:...': only ${NAME} and ${NAME:-default} are understood | user ${X:+a}\n
6 | FILE:1: '${X\x1b | user ${X\x1b[31m}\n
6 | FILE:1: '${' is not closed with '}' on this line | user ${X\nY}\n
# ---- NUL bytes, wherever they are ----
6 | FILE:1: a NUL byte | \0
6 | FILE:1: a NUL byte | user root # a comment with \0 in it\n
6 | FILE:2: a NUL byte | user root\nuser 'ro\0ot'\n
6 | FILE:3: a NUL byte | user root\nuser root\n\0
# ---- unknown checks and bad lines, named with escapes ----
6 | FILE:1: unknown check '\x1b[31mred' | \x1b[31mred root\n
6 | FILE:2: unknown check 'user\xe2\x80\x8b' | user root\nuser\xe2\x80\x8b root\n
6 | FILE:1: unknown check 'USER' | USER root\n
6 | FILE:1: user: 'a\x0db' is not a valid user name | user 'a\rb'\n
6 | FILE:1: user: takes at most 1 argument, got 'port' too | user root\rport 1\n
6 | FILE:1: port: '0': port must be 1-65535 | port 0\n
6 | FILE:1: tcp: '1.2.3.4.5:80': not an IPv4 address | tcp 1.2.3.4.5:80\n
6 | FILE:1: redis: '6379': not an IPv4 address | redis 6379\n
6 | FILE:1: http: 'file:///etc/passwd': only http:// and https:// | http file:///etc/passwd\n
6 | FILE:1: http: --expect-body-regex: '(' is refused: missing closing parenthesis | http http://127.0.0.1:1/ --expect-body-regex '('\n
6 | FILE:1: cap: 'no_such_cap' is not a capability | cap no_such_cap\n
6 | FILE:1: user: option --group needs a value | user root --group\n
6 | FILE:3: user: --timeout: '1x' is not a time span | # c\n\nuser root -t 1x\n
6 | FILE:1: defaults: --interval: '0' is too short | defaults -i 0\nuser root\n
# ---- files with nothing to run ----
6 | FILE: no checks in it |    \n\t\n# only a comment\n\n
6 | FILE: no checks in it | \\\n\n
# ---- a byte order mark (as Windows editors write) is skipped, as systemd skips it ----
0 | ok   user root | \xef\xbb\xbfuser root\n
0 | ok   user root | user root\r\n\r\n# crlf\r\n
ROWS

# ---- paths that are not chain files --------------------------------------------------------------
ln -s "$WORK/nowhere.conf" "$WORK/dangling.conf"
ln -s "$WORK/loop.conf" "$WORK/loop.conf"
chain_file plain 'user root\n'
for row in "$WORK/dangling.conf|No such file or directory" "$WORK/loop.conf|Too many levels of symbolic links" \
	"$WORK/plain.conf/x|Not a directory" "/dev/zero|not a regular file" "/dev/null|not a regular file" \
	"/proc/self/environ|a NUL byte"; do
	path=${row%%|*}
	run_cmd timeout -s KILL 20 "$PREFLIGHT" run "$path"
	expect_code 6 "$path"
	expect_text ERR "$path" "$path is named"
	expect_text ERR "${row#*|}" "$path: ${row#*|}"
	expect_elapsed 0 "$BOUND_MS" "$path: bounded time"
done
# stdin that cannot be read as a chain
run_preflight run - </tmp
expect_code 6 "stdin is a directory"
expect_text ERR "stdin: cannot read" "stdin is named"
run_preflight run - <&-
expect_code 6 "stdin is closed"
printf 'user root\n\0' >"$WORK/nul.stdin"
run_preflight run - <"$WORK/nul.stdin"
expect_code 6 "a NUL byte on stdin"
expect_text ERR "stdin:2: a NUL byte" "a NUL byte on stdin names stdin:LINE"

# ---- size: lines of megabytes, files of tens of thousands of lines, bounded time and memory --------
chain_file small 'user root\n'
rss_small=$(max_rss_kib "$PREFLIGHT" run "$WORK/small.conf")
# rss_bound DESCRIPTION KIB: the last max RSS is within 4 MiB of a one-line chain's (8 MiB under
# ASan: lib.sh's rss_allowance).
rss_bound() {
	if [ "$2" -le $((rss_small + $(rss_allowance 4096))) ]; then
		pass "$1: max RSS ${2} KiB (one-line chain: ${rss_small} KiB)"
	else
		fail "$1: max RSS ${2} KiB, a one-line chain takes ${rss_small} KiB"
	fi
}

# One line of 3 MB: past the 1 MiB file bound, refused before it is parsed.
{ printf 'user '; head -c $((3 * 1024 * 1024)) /dev/zero | tr '\0' a; printf '\n'; } >"$WORK/mbline.conf"
chmod 644 "$WORK/mbline.conf"
run_preflight run "$WORK/mbline.conf"
expect_code 6 "a line of 3 MB"
expect_text ERR "$WORK/mbline.conf: larger than 1024 KiB" "the 3 MB line is refused by the size bound"
expect_clean_line "a line of 3 MB"
expect_elapsed 0 "$BOUND_MS" "a line of 3 MB: bounded time"
rss_bound "a line of 3 MB" "$(max_rss_kib "$PREFLIGHT" run "$WORK/mbline.conf")"
# The same on stdin, which cannot be sized first: read up to the bound, then refused.
run_preflight run - <"$WORK/mbline.conf"
expect_code 6 "a line of 3 MB on stdin"
expect_text ERR "stdin: larger than 1024 KiB" "stdin: the size bound is named"
rss_bound "a line of 3 MB on stdin" "$(max_rss_kib "$PREFLIGHT" run - <"$WORK/mbline.conf")"
# One line just under the file bound: refused by the line bound, on its line.
{ printf 'user root\n# comment\nuser '; head -c $((1000 * 1024)) /dev/zero | tr '\0' a; printf '\n'; } >"$WORK/bigline.conf"
chmod 644 "$WORK/bigline.conf"
run_preflight run "$WORK/bigline.conf"
expect_code 6 "a line of 1000 KB in a file under 1 MiB"
expect_text ERR "$WORK/bigline.conf:3: this line is longer than 64 KiB" "the 1000 KB line is named"
expect_elapsed 0 "$BOUND_MS" "a line of 1000 KB: bounded time"
rss_bound "a line of 1000 KB" "$(max_rss_kib "$PREFLIGHT" run "$WORK/bigline.conf")"

# 20000 lines, valid: 999 checks (the bound is 1000) among comments, blank lines and
# continuations. Every check runs and passes.
python3 - "$WORK/many-ok.conf" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    checks = 0
    for n in range(1, 20001):
        if n % 20 == 0 and checks < 999:
            f.write("user root \\\n")  # continued on the next line
        elif n % 20 == 1 and n > 1 and checks < 999:
            f.write("   --group root   # the rest of line %d\n" % (n - 1))
            checks += 1
        elif n % 3 == 0:
            f.write("\n")
        else:
            f.write("# comment line %d of a long file, with words: user port tcp\n" % n)
PY
chmod 644 "$WORK/many-ok.conf"
[ "$(wc -l <"$WORK/many-ok.conf")" -eq 20000 ] && pass "the long valid file has 20000 lines" ||
	fail "the long valid file has $(wc -l <"$WORK/many-ok.conf") lines"
run_preflight run -q "$WORK/many-ok.conf"
expect_code 0 "20000 lines with 999 checks pass"
expect_elapsed 0 "$BOUND_MS" "20000 lines with 999 checks: bounded time"
run_preflight run --dry-run "$WORK/many-ok.conf"
expect_text ERR "999 checks, all valid" "all 999 checks are read"
rss_bound "20000 lines with 999 checks" "$(max_rss_kib "$PREFLIGHT" run -q "$WORK/many-ok.conf")"

# 20000 lines, invalid on line 19999: refused with that line, and nothing runs first.
head -n 19998 "$WORK/many-ok.conf" >"$WORK/many-bad.conf"
printf 'user root --bogus\n# the last line\n' >>"$WORK/many-bad.conf"
chmod 644 "$WORK/many-bad.conf"
run_preflight run "$WORK/many-bad.conf"
expect_code 6 "20000 lines, an error on line 19999"
expect_text ERR "$WORK/many-bad.conf:19999: user: unknown option '--bogus'" "the error names FILE:19999"
expect_no_text ERR "ok   user" "nothing ran before the error was found"
expect_clean_line "an error on line 19999"
expect_elapsed 0 "$BOUND_MS" "an error on line 19999: bounded time"
# An error at the end of 60000 lines of comments (under 1 MiB).
{ for i in $(seq 59999); do echo '#'; done; echo 'prot 8080'; } >"$WORK/comments-bad.conf"
chmod 644 "$WORK/comments-bad.conf"
run_preflight run "$WORK/comments-bad.conf"
expect_code 6 "an unknown check after 59999 comment lines"
expect_text ERR "$WORK/comments-bad.conf:60000: unknown check 'prot'" "the error names FILE:60000"
expect_elapsed 0 "$BOUND_MS" "60000 lines: bounded time"

# One logical line continued over 20000 physical lines: named by its first line.
{ printf 'user root \\\n'; for i in $(seq 19998); do printf '\\\n'; done; printf -- '--bogus\n'; } >"$WORK/cont.conf"
chmod 644 "$WORK/cont.conf"
run_preflight run "$WORK/cont.conf"
expect_code 6 "a line continued over 20000 lines, with a bad option at the end"
expect_text ERR "$WORK/cont.conf:1: user: unknown option '--bogus'" "the continued line is named by its first line"
expect_elapsed 0 "$BOUND_MS" "20000 continuations: bounded time"
sed -i 's/^--bogus$/--group root/' "$WORK/cont.conf"
run_preflight run "$WORK/cont.conf"
expect_code 0 "the same line with a good option passes"

# ${NAME:-default} nested 5000 deep: the default is taken as written, not expanded again, so
# depth costs nothing (no recursion to exhaust).
{ printf 'user '; for i in $(seq 5000); do printf '${PF_UNSET_X:-'; done; printf root; for i in $(seq 5000); do printf '}'; done; echo; } >"$WORK/nest.conf"
chmod 644 "$WORK/nest.conf"
run_cmd env -u PF_UNSET_X timeout -s KILL 20 "$PREFLIGHT" run "$WORK/nest.conf"
[ "$RC" -lt 128 ] && pass "nested \${...:-...} 5000 deep does not crash (exit $RC)" ||
	fail "nested \${...:-...} crashed: exit $RC"
expect_code 6 "nested \${...:-...} is refused"
expect_text ERR "$WORK/nest.conf:1:" "nested \${...:-...} is named with its line"
expect_clean_line "nested \${...:-...}"
expect_elapsed 0 "$BOUND_MS" "nested \${...:-...}: bounded time"

echo "# $ROWS table rows"
finish
