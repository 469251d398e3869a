#!/bin/bash
# Wrong command lines, table-driven: every check and command, every shared option. Each row must
# exit with its code (README.md's exit codes: 2 for a usage error, 6 for a chain file that cannot
# be read), never crash (exit < 128) or hang, print one line on stderr with no raw control
# character and a fragment that names the argument at fault, and print nothing on stdout — with
# --json no object at all, so nothing that could be taken for a passing result.
. "$(dirname "$0")/lib.sh"

# shellcheck disable=SC2034 # LONG is used by the rows, through eval
LONG=$(head -c 102400 /dev/zero | tr '\0' a) # a 100 KB argument
ROW_BOUND_MS=2000                               # no row touches the network: parsing only

# check_row CODE FRAGMENT ARGV...: runs preflight ARGV (killed after 10 s) and asserts the above.
check_row() {
	local code=$1 fragment=$2 shown
	shift 2
	shown=$(printf '%q ' "$@" | cut -c1-70)
	run_cmd env -u PREFLIGHT_CONFIG_DIR timeout -s KILL 10 "$PREFLIGHT" "$@"
	if [ "$RC" -ge 128 ]; then
		fail "[$shown] crashed or hung (exit $RC)"
	else
		expect_code "$code" "[$shown] exit code"
	fi
	expect_text ERR "$fragment" "[$shown] names the argument"
	expect_clean_line "[$shown]"
	[ -z "$OUT" ] && pass "[$shown] nothing on stdout" || fail "[$shown] stdout: ${OUT:0:200}"
	expect_elapsed 0 "$ROW_BOUND_MS" "[$shown] bounded time"
}

# check_row_json CODE ARGV...: the same row with --json right after the check's name: the error
# is the same, and stdout holds no JSON object ("ok":true or otherwise).
check_row_json() {
	local code=$1 first=$2 shown
	shift 2
	shown=$(printf '%q ' "$first" --json "$@" | cut -c1-70)
	run_cmd env -u PREFLIGHT_CONFIG_DIR timeout -s KILL 10 "$PREFLIGHT" "$first" --json "$@"
	if [ "$RC" -eq "$code" ] && [[ "$OUT" != *'"ok"'* ]] && [ -z "$OUT" ]; then
		pass "[$shown] exit $RC, no JSON result on stdout"
	else
		fail "[$shown] exit $RC (expected $code), stdout: ${OUT:0:200}"
	fi
}

# check_row_nagios CODE FRAGMENT ARGV...: the same row with --format nagios right after the
# check's name: preflight could not judge, so exit 3 (UNKNOWN) with one status line on stdout,
# "PREFLIGHT UNKNOWN - " and the same message (the refusal of -- COMMAND and --as-unit instead,
# when the row has them), and nothing on stderr. Rows that give --format or --json themselves
# are left out: the last format given wins.
check_row_nagios() {
	local fragment=$2 first=$3 shown word
	shift 3
	for word in "$@"; do
		case "$word" in --format* | --json) return ;; -- | --as-unit*) fragment="" ;; esac
	done
	shown=$(printf '%q ' "$first" --format nagios "$@" | cut -c1-70)
	run_cmd env -u PREFLIGHT_CONFIG_DIR timeout -s KILL 10 "$PREFLIGHT" "$first" --format nagios "$@"
	if [ "$RC" -eq 3 ] && [ -z "$ERR" ] && [[ "$OUT" == "PREFLIGHT UNKNOWN - "*"$fragment"* ]] &&
		[[ "$OUT" != *$'\n'* ]]; then
		pass "[$shown] exit 3, one UNKNOWN line on stdout"
	else
		fail "[$shown] exit $RC (expected 3), stdout: ${OUT:0:200}, stderr: ${ERR:0:200}"
	fi
}

# row_fields ROW: CODE, FRAGMENT and ARGV (its words unparsed) of a row "CODE | FRAGMENT | ARGV".
row_fields() {
	local rest=${1#*|}
	CODE=${1%% *}
	FRAGMENT=${rest%%|*}
	FRAGMENT=${FRAGMENT#"${FRAGMENT%%[! ]*}"}
	FRAGMENT=${FRAGMENT%"${FRAGMENT##*[! ]}"}
	ARGV=${rest#*|}
}

# A chain whose second line holds a URL libcurl refuses: the file is wrong, whether it is run or
# only checked (--dry-run), and nothing runs.
printf 'user root\nhttp http://me:p@ss@127.0.0.1/\n' >"$WORK/libcurl-refuses.conf"
# --prometheus is run's, for the whole chain: not an option of a line.
printf 'tcp 127.0.0.1:1 --prometheus /tmp/x.prom\n' >"$WORK/prometheus-on-a-line.conf"
printf 'defaults --prometheus /tmp/x.prom\ntcp 127.0.0.1:1\n' >"$WORK/prometheus-in-defaults.conf"
# --format nagios is for the whole chain, on the command line; on a line it is the file's error.
printf 'user root\nport 8080 --format nagios\n' >"$WORK/nagios-line.conf"
printf 'defaults --format=nagios\nuser root\n' >"$WORK/nagios-defaults.conf"

ROWS=0
args=() opt=() # argv of a row, set by eval
# Each row: CODE | FRAGMENT the message must contain | ARGV as shell words (eval'd: quotes,
# $'...' escapes, $LONG and $(...) work). One line per case.
while IFS= read -r row; do
	[[ -z "$row" || "$row" == \#* ]] && continue
	row_fields "$row"
	eval "args=($ARGV)"
	ROWS=$((ROWS + 1))
	check_row "$CODE" "$FRAGMENT" "${args[@]}"
	case "${args[0]}" in
	user | port | cap | tcp | dns | limit | sysctl | exec | file | redis | mysql | http | run)
		check_row_json "$CODE" "${args[@]}"
		check_row_nagios "$CODE" "$FRAGMENT" "${args[@]}"
		;;
	esac
done <<'ROWS'
# ---- the verb ----
2 | unknown check or command 'nosuch' | nosuch
2 | unknown check or command '' | ''
2 | '\x1b[31mred' | $'\e[31mred'
2 | 'aaaaaaaaaaaaaaaaaaaa | "$LONG"
# ---- user ----
2 | nothing to check | user
2 | an empty argument | user ''
2 | --group: an empty group name | user root --group ''
2 | --member: an empty group name | user root --member ''
2 | option --group needs a value | user root --group
2 | option --member needs a value | user root --member
2 | '99999999999999999999' is not a valid user id | user 99999999999999999999
2 | '4294967295' is not a valid user id | user 4294967295
2 | --group: '4294967295' is not a valid group id | user root --group 4294967295
2 | --member: '99999999999999999999' is not a valid group id | user root --member 99999999999999999999
2 | got 'daemon' too | user root daemon
2 | 'ro:ot' is not a valid user name | user ro:ot
2 | 'a\x0ab' is not a valid user name | user $'a\nb'
2 | 'a\x0db' | user $'a\rb'
2 | '\x1b[31mred' | user $'\e[31mred'
2 | --group: '\x1b[31mx' | user root --group $'\e[31mx'
2 | --member: 'a\x0ab' | user root --member $'a\nb'
2 | 'aaaaaaaaaaaaaaaaaaaa | user "$LONG"
2 | --group: 'aaaaaaaaaaaaaaaaaaaa | user root --group "$LONG"
# ---- port ----
2 | needs at least 1 argument | port
2 | '0': port must be 1-65535 | port 0
2 | '65536': port must be 1-65535 | port 65536
2 | unknown option '-1' | port -1
2 | '99999999999999999999': port must be 1-65535 | port 99999999999999999999
2 | '127.0.0.1:0' | port 127.0.0.1:0
2 | '[::1': missing ']' | port '[::1'
2 | '[::1:80' | port '[::1:80'
2 | '1.2.3.4.5:80' | port 1.2.3.4.5:80
2 | '1.2.3.4:80:junk' | port 1.2.3.4:80:junk
2 | '8080/sctp': the protocol must be tcp or udp | port 8080/sctp
2 | 'a\x0ab' | port $'a\nb'
2 | '\x1b[31mred' | port $'\e[31mred'
2 | 'aaaaaaaaaaaaaaaaaaaa | port "$LONG"
2 | takes at most 128 arguments, got '1128' too | port $(seq 1000 1128)
# ---- cap ----
2 | needs at least 1 argument | cap
2 | an empty argument | cap ''
2 | 'no_such_cap' is not a capability | cap no_such_cap
2 | 'CAP_' is not a capability | cap CAP_
2 | '99' is not a capability name | cap 99
2 | 'net_bind_service,chown' is not a capability name | cap net_bind_service,chown
2 | --set: 'bogus' is not a capability set | cap net_bind_service --set bogus
2 | --set: '' | cap net_bind_service --set ''
2 | --file: an empty path | cap net_bind_service --file ''
2 | option --file needs a value | cap net_bind_service --file
2 | --file: '/no/such/file' | cap net_bind_service --file /no/such/file
2 | '\x1b[31mred' | cap $'\e[31mred'
2 | 'aaaaaaaaaaaaaaaaaaaa | cap "$LONG"
2 | takes at most 64 arguments, got 'chown' too | cap $(yes chown | head -65)
# ---- tcp ----
2 | needs at least 1 argument | tcp
2 | an empty argument | tcp ''
2 | '127.0.0.1': a port is required | tcp 127.0.0.1
2 | '127.0.0.1:0': port must be 1-65535 | tcp 127.0.0.1:0
2 | '127.0.0.1:65536': port must be 1-65535 | tcp 127.0.0.1:65536
2 | '127.0.0.1:-1' | tcp 127.0.0.1:-1
2 | '127.0.0.1:99999999999999999999' | tcp 127.0.0.1:99999999999999999999
2 | '[::1': '[' without its ']' | tcp '[::1'
2 | '[::1]': a port is required | tcp '[::1]'
2 | '1.2.3.4.5:80': not an IPv4 address | tcp 1.2.3.4.5:80
2 | '127.1:80': not an IPv4 address | tcp 127.1:80
2 | '127.0.0.1:80:junk' | tcp 127.0.0.1:80:junk
2 | 'a\x0ab:1' | tcp $'a\nb:1'
2 | '\x1b[31mred:1' | tcp $'\e[31mred:1'
2 | 'aaaaaaaaaaaaaaaaaaaa | tcp "$LONG:1"
2 | takes at most 64 arguments, got '127.0.0.1:1' too | tcp $(yes 127.0.0.1:1 | head -65)
# ---- limit ----
2 | needs at least 1 argument | limit
2 | an empty argument | limit ''
2 | 'nofile' is not NAME>=VALUE | limit nofile
2 | 'nofiles>=1': not a resource limit | limit 'nofiles>=1'
2 | 'nofile>1': the comparison is >=, <= or = | limit 'nofile>1'
2 | 'nofile>=64K': the value of nofile is a whole number | limit 'nofile>=64K'
2 | 'memlock>=1X': the value of memlock is bytes | limit 'memlock>=1X'
2 | 'nofile>=\x1b[31m' | limit $'nofile>=\e[31m'
2 | 'aaaaaaaaaaaaaaaaaaaa | limit "$LONG"
2 | --hard | limit 'nofile>=1' --hard=yes
# ---- sysctl ----
2 | needs at least 1 argument | sysctl
2 | an empty argument | sysctl ''
2 | 'vm.max_map_count' is not KEY=VALUE | sysctl vm.max_map_count
2 | 'vm..x=1': an empty or '.' part | sysctl 'vm..x=1'
2 | 'a/../b=1': an empty or '.' part | sysctl 'a/../b=1'
2 | 'vm.x>=y': >= compares whole numbers | sysctl 'vm.x>=y'
2 | 'vm.x=\x1b[31m' | sysctl $'vm.x=\e[31m'
2 | 'a\x0ab=1': a key is letters | sysctl $'a\nb=1'
2 | the key is longer than 159 bytes | sysctl "$LONG=1"
2 | the value is longer than 80 bytes | sysctl "vm.x=$LONG"
# ---- exec (nothing here is run: each line fails before its run) ----
2 | needs at least 1 argument | exec
2 | an empty argument | exec ''
2 | COMMAND 'echo 'x': a single quote is not closed | exec "echo 'x"
2 | more than one line | exec $'echo a\nb'
2 | COMMAND '\x1b[31mecho '': a single quote | exec $'\e[31mecho \''
2 | --expect-exit: 'x' is not a list of exit statuses | exec /bin/true --expect-exit x
2 | --expect-exit: '256' is not a list | exec /bin/true --expect-exit 256
2 | --expect-exit: '\x1b[31m' | exec /bin/true --expect-exit $'\e[31m'
2 | --expect-output: an empty TEXT | exec /bin/true --expect-output ''
2 | --expect-output-regex: '(' is refused | exec /bin/true --expect-output-regex '('
# ---- file (nothing here is looked at: each line fails before its run) ----
2 | needs at least 1 argument | file
2 | an empty argument | file ''
2 | PATH '/aaaaaaaaaaaaaaaaaaa | file "/$LONG"
2 | --type: 'pipe' is not file, dir, socket | file /etc/passwd --type pipe
2 | --type: '' is not file | file /etc/passwd --type ''
2 | --type: '\x1b[31m' | file /etc/passwd --type $'\e[31m'
2 | --mode: 'u=rw' is not an octal mode | file /etc/passwd --mode u=rw
2 | --mode: '08' is not an octal mode | file /etc/passwd --mode 08
2 | --mode: '17777' is not an octal mode | file /etc/passwd --mode 17777
2 | --mode-max: '-640' is not an octal mode | file /etc/passwd --mode-max -640
2 | --mode-max: 'aaaaaaaaaaaaaaaa | file /etc/passwd --mode-max "$LONG"
2 | option --mode needs a value | file /etc/passwd --mode
2 | --mode 0644 has bits --mode-max 0640 refuses | file /etc/passwd --mode 0644 --mode-max 0640
2 | --owner: 'root:' is not USER, USER:GROUP or :GROUP | file /etc/passwd --owner root:
2 | --owner: ':' is not USER | file /etc/passwd --owner :
2 | --owner: 'a:b:c' is not USER | file /etc/passwd --owner a:b:c
2 | --owner: 'r\x1b[31m' is not USER | file /etc/passwd --owner $'r\e[31m'
2 | --as: 'a/b' is not a user name or uid | file /etc/passwd --as a/b --readable
2 | --as: give --readable, --writable or --executable | file /etc/passwd --as root
2 | --free: '5X' is not a size | file / --free 5X
2 | --free: '1.5G' is not a size | file / --free 1.5G
2 | --free: '0%' is not a size | file / --free 0%
2 | --free: '101%' is not a size | file / --free 101%
2 | --free: '99999999999T' is not a size | file / --free 99999999999T
2 | --free: '' is not a size | file / --free ''
2 | --free-inodes: '10k' is not a whole number | file / --free-inodes 10k
2 | --free-inodes: '-1' is not a whole number | file / --free-inodes -1
2 | --readable | file /etc/passwd --readable=yes
2 | unknown option '--bogus' | file /etc/passwd --bogus
2 | takes at most 16 arguments | file $(yes /etc/passwd | head -17)
# ---- dns (nothing here is resolved: each line fails before its run) ----
2 | needs at least 1 argument | dns
2 | an empty argument | dns ''
2 | 'db.internal:53': give a name alone, without a port | dns db.internal:53
2 | ':53': give a name alone | dns :53
2 | '1.2.3.4.5': not an IPv4 address | dns 1.2.3.4.5
2 | 'a\x0ab' | dns $'a\nb'
2 | '\x1b[31mred' | dns $'\e[31mred'
2 | 'aaaaaaaaaaaaaaaaaaaa | dns "$LONG"
2 | --expect: '10.0.0' is not a numeric IPv4 or IPv6 address | dns 127.0.0.1 --expect 10.0.0
2 | --expect: '' is not a numeric | dns 127.0.0.1 --expect ''
2 | --expect: '\x1b[31m::1' | dns 127.0.0.1 --expect $'\e[31m::1'
2 | --expect: 'aaaaaaaaaaaaaaaa | dns 127.0.0.1 --expect "$LONG"
2 | option --expect needs a value | dns 127.0.0.1 --expect
2 | --expect: at most 16 addresses | dns 127.0.0.1 $(for i in $(seq 17); do echo --expect 10.0.0.$i; done)
2 | --family: 'inet' is not ipv4, ipv6 or any | dns 127.0.0.1 --family inet
2 | --family: '' is not ipv4, ipv6 or any | dns 127.0.0.1 --family ''
2 | --expect ::1 is an IPv6 address, but --family ipv4 | dns 127.0.0.1 --expect ::1 --family ipv4
2 | --expect 10.0.0.5 is an IPv4 address, but --family ipv6 | dns 127.0.0.1 --family 6 --expect 10.0.0.5
2 | takes at most 64 arguments, got '127.0.0.1' too | dns $(yes 127.0.0.1 | head -65)
# ---- redis ----
2 | needs at least 1 argument | redis
2 | an empty argument | redis ''
2 | '127.0.0.1:0': port must be 1-65535 | redis 127.0.0.1:0
2 | '127.0.0.1:65536' | redis 127.0.0.1:65536
2 | ':-1' | redis :-1
2 | '127.0.0.1:99999999999999999999' | redis 127.0.0.1:99999999999999999999
2 | '[::1': '[' without its ']' | redis '[::1'
2 | '1.2.3.4.5:6379': not an IPv4 address | redis 1.2.3.4.5:6379
2 | '6379': not an IPv4 address (four numbers 0-255, as 127.0.0.1); a port alone is :PORT | redis 6379
2 | '127.0.0.1:6379:junk' | redis 127.0.0.1:6379:junk
2 | '[::1' | redis 'redis://[::1'
2 | 'ftp:// | redis ftp://127.0.0.1/
2 | 'redis://127.0.0.1/x': the database after '/' | redis redis://127.0.0.1/x
2 | 'unix:': the socket path must be absolute | redis unix:
2 | --db: '-1' is not a database number | redis 127.0.0.1 --db -1
2 | --db: 'x' is not a database number | redis 127.0.0.1 --db x
2 | --db: '99999999999999999999' | redis 127.0.0.1 --db 99999999999999999999
2 | --db: '' | redis 127.0.0.1 --db ''
2 | option --db needs a value | redis 127.0.0.1 --db
2 | --role: 'boss' is not master or replica | redis 127.0.0.1 --role boss
2 | --role: '' | redis 127.0.0.1 --role ''
2 | --role: 'a\x0ab' | redis 127.0.0.1 --role $'a\nb'
2 | option --role needs a value | redis 127.0.0.1 --role
2 | --user: '' | redis 127.0.0.1 --user ''
2 | --password-file: cannot open '/no/such/file' | redis 127.0.0.1 --password-file /no/such/file
2 | 'a\x0ab' | redis $'a\nb'
2 | '\x1b[31mred' | redis $'redis://\e[31mred'
2 | 'redis://aaaaaaaaaaaaaaaa | redis "redis://$LONG"
# ---- mysql (nothing here connects: each line fails before its run) ----
2 | needs at least 1 argument | mysql
2 | an empty argument | mysql ''
2 | '127.0.0.1:0': port must be 1-65535 | mysql 127.0.0.1:0
2 | '127.0.0.1:65536' | mysql 127.0.0.1:65536
2 | '[::1': '[' without its ']' | mysql '[::1'
2 | '1.2.3.4.5:3306': not an IPv4 address | mysql 1.2.3.4.5:3306
2 | 'ftp://...': only mysql:// and mariadb:// URLs | mysql ftp://127.0.0.1/
2 | 'mysql://127.0.0.1/db?ssl=1': URL parameters are not supported | mysql 'mysql://127.0.0.1/db?ssl=1'
2 | 'mysql://app:***@127.0.0.1/': the password after ':' is empty | mysql 'mysql://app:@127.0.0.1/'
2 | 'mysql://': the host is missing | mysql mysql://
2 | the database name is malformed | mysql 'mysql://h/a%2Fb'
2 | a target with '@' must be a URL | mysql 'app:pw@127.0.0.1'
2 | 'unix:': the socket path must be absolute | mysql unix:
2 | 'unix:***@/run/mysqld.sock': a user or password in a unix: target | mysql 'unix:app:pw@/run/mysqld.sock'
2 | --role: 'master' is not primary or replica | mysql 127.0.0.1 --role master
2 | --role: '' | mysql 127.0.0.1 --role ''
2 | option --role needs a value | mysql 127.0.0.1 --role
2 | --user: '' is not a user name | mysql 127.0.0.1 --user ''
2 | --dbname: 'a\x0ab' is not a database name | mysql 127.0.0.1 --dbname $'a\nb'
2 | --password-file: cannot open '/no/such/file' | mysql 127.0.0.1 --password-file /no/such/file
2 | --ssl-ca: cannot read '/no/such/ca.pem' | mysql 127.0.0.1 --ssl-ca /no/such/ca.pem
2 | give --ping or --role, not both | mysql 127.0.0.1 --ping --role primary
2 | '\x1b[31mred' | mysql $'mysql://\e[31mred'
2 | 'mysql://aaaaaaaaaaaaaaaa | mysql "mysql://$LONG"
# ---- http ----
2 | needs at least 1 argument | http
2 | an empty argument | http ''
2 | '127.0.0.1' is not a URL | http 127.0.0.1
2 | 'ftp://127.0.0.1/': only http:// and https:// | http ftp://127.0.0.1/
2 | 'file:///etc/passwd': only http:// and https:// | http file:///etc/passwd
2 | 'gopher://127.0.0.1/': only http:// and https:// | http gopher://127.0.0.1/
2 | 'http://': the URL has no host | http http://
2 | 'http://[::1': libcurl refuses the URL: Bad IPv6 address | http 'http://[::1'
2 | '***@127.0.0.1/': libcurl refuses the URL: Bad hostname (an '@' in a user name or password is written %40) | http 'http://me:p@ss@127.0.0.1/'
2 | 'http:/127.0.0.1/' is not a URL | http http:/127.0.0.1/
2 | 'http:///127.0.0.1/' is not a URL | http http:///127.0.0.1/
2 | libcurl cannot convert the host name to ASCII (IDN) | http $'http://h\xc3\xa9llo.test/'
2 | 'http://***@127.0.0.1/': the user name or password holds a control character | http 'http://a%00b@127.0.0.1/'
6 | libcurl-refuses.conf:2: http: '***@127.0.0.1/': libcurl refuses the URL: Bad hostname | run "$WORK/libcurl-refuses.conf"
6 | libcurl-refuses.conf:2: http: '***@127.0.0.1/': libcurl refuses the URL: Bad hostname | run "$WORK/libcurl-refuses.conf" --dry-run
6 | libcurl-refuses.conf:2: http: | run "$WORK/libcurl-refuses.conf" --keep-going
2 | 'http://127.0.0.1/a b': a URL has no spaces | http 'http://127.0.0.1/a b'
2 | 'http://127.0.0.1:0/': the port must be 1-65535 | http http://127.0.0.1:0/
2 | 'http://127.0.0.1:65536/' | http http://127.0.0.1:65536/
2 | 'http://127.0.0.1:99999999999999999999/' | http http://127.0.0.1:99999999999999999999/
2 | 'http://1.2.3.4.5/': the host is not an IPv4 address | http http://1.2.3.4.5/
2 | 'http://127.0.0.1/\x1b[31m' | http $'http://127.0.0.1/\e[31m'
2 | 'http://127.0.0.1/a\x0ab' | http $'http://127.0.0.1/a\nb'
2 | 'http://aaaaaaaaaaaaaaaa | http "http://$LONG/"
2 | --expect-status: '600' is not a list of statuses | http http://127.0.0.1/ --expect-status 600
2 | --expect-status: '299-200': a range must go up | http http://127.0.0.1/ --expect-status 299-200
2 | --expect-status: '2x0' | http http://127.0.0.1/ --expect-status 2x0
2 | --expect-status: ',' | http http://127.0.0.1/ --expect-status ,
2 | --expect-status: an empty list | http http://127.0.0.1/ --expect-status ''
2 | option --expect-status needs a value | http http://127.0.0.1/ --expect-status
2 | --expect-body-regex: '(' is refused: missing closing parenthesis | http http://127.0.0.1/ --expect-body-regex '('
2 | --expect-body-regex: 'a++++++++++++++++++++' is refused | http http://127.0.0.1/ --expect-body-regex 'a++++++++++++++++++++'
2 | --expect-body-regex: 'a{,5}' is refused | http http://127.0.0.1/ --expect-body-regex 'a{,5}'
2 | --expect-body-regex: '(?:ab){2500}' is refused | http http://127.0.0.1/ --expect-body-regex '(?:ab){2500}'
2 | --expect-header: '' | http http://127.0.0.1/ --expect-header ''
2 | --method: 'DELETE' is not GET, HEAD or POST | http http://127.0.0.1/ --method DELETE
2 | --header: expected 'Name: value' | http http://127.0.0.1/ --header ''
2 | --cacert: cannot read '/no/such/file' | http https://127.0.0.1/ --cacert /no/such/file
2 | --unix-socket: an empty path | http http://127.0.0.1/ --unix-socket ''
2 | 'app.sock': the path must be absolute | http http://127.0.0.1/ --unix-socket app.sock
2 | takes at most 16 arguments, got 'http://127.0.0.1/17' too | http $(seq -f 'http://127.0.0.1/%g' 17)
# ---- run (the chain's own command line; bad files are in test_bad_chains.sh) ----
2 | needs a FILE | run
2 | an empty FILE name | run ''
2 | unknown option '--bogus' | run - --bogus
2 | takes one FILE, NAME or -, got '-' too | run - -
2 | unknown option '-t' | run - -t 1s
2 | option --parallel takes no value | run --parallel=1 -
2 | '--' must be followed by a COMMAND | run - --
2 | option --prometheus needs a value (FILE) | run - --prometheus
2 | option --prometheus needs a value (FILE) | run - --prometheus -- /bin/true
2 | --prometheus needs a FILE, not an empty word | run - --prometheus ''
2 | --prometheus needs a FILE, not an empty word | run - --prometheus=
2 | option --prometheus needs a value (FILE) | run x.conf --prometheus --as-unit a
2 | tcp: unknown option '--prometheus' | tcp 127.0.0.1:1 --prometheus x.prom
2 | port: unknown option '--prometheus' | port 8080 --prometheus=x.prom
6 | prometheus-on-a-line.conf:1: tcp: unknown option '--prometheus' | run "$WORK/prometheus-on-a-line.conf"
6 | prometheus-in-defaults.conf:1: defaults: unknown option '--prometheus' | run "$WORK/prometheus-in-defaults.conf" --dry-run
2 | --http-response answers on the connection: it runs no -- COMMAND | run - --http-response -- /bin/true
2 | --http-response runs the chain: not with --dry-run | run - --http-response --dry-run
2 | option --http-response takes no value | run - --http-response=1
2 | the chain comes from a FILE or NAME, not - | run - --http-response
2 | --http-response answers on its own connection: not with --as-unit | run x.conf --http-response --as-unit a
6 | /etc/preflight/a\x0ab.conf | run $'a\nb'
6 | /etc/preflight/\x1b[31m.conf | run $'\e[31m'
6 | /aaaaaaaaaaaaaaaaaaaa | run "/$LONG"
# ---- explain, exit-codes, list ----
2 | needs one exit status | explain
2 | '-1' is not an exit status | explain -1
2 | '256' is not an exit status | explain 256
2 | '' is not an exit status | explain ''
2 | '99999999999999999999' is not an exit status | explain 99999999999999999999
2 | '0x10' is not an exit status | explain 0x10
2 | got '2' too | explain 1 2
2 | '--json' is not an exit status | explain --json 3
2 | 'x' is not an exit status | explain 3 x
2 | '\x1b[31m' is not an exit status | explain $'\e[31m'
2 | 'aaaaaaaaaaaaaaaaaaaa | explain "$LONG"
2 | exit-codes: takes no arguments, got 'x' | exit-codes x
2 | got '--bogus' | exit-codes --bogus
2 | got '\x0a' | exit-codes $'\n'
2 | list: takes no arguments, got '--bogus' | list --bogus
2 | got '-t' | list -t 1s
2 | got '--json' | list --json
2 | got '\x1b[31m' | list $'\e[31m'
# ---- completion (hidden: for packagers) ----
2 | completion: needs a shell: bash, zsh or fish | completion
2 | completion: 'tcsh' is not a shell completion is made for (bash, zsh or fish) | completion tcsh
2 | 'BASH' is not a shell | completion BASH
2 | '' is not a shell | completion ''
2 | '--bash' is not a shell | completion --bash
2 | '\x1b[31m' is not a shell | completion $'\e[31m'
2 | completion: takes one shell, got 'zsh' too | completion bash zsh
2 | got '--help' too | completion fish --help
# ---- --as-unit on run (the checks' rows are among the shared options' below) ----
2 | run: --as-unit needs a UNIT | run x.conf --as-unit
2 | run: --as-unit: -- COMMAND has no place here | run x.conf --as-unit a -- /bin/true
2 | run: unknown option '--bogus' | run x.conf --bogus --as-unit a
2 | run: --as-unit: 'a.timer' is not a service | run x.conf --as-unit=a.timer
# ---- why (usage is decided before any manager is asked: none runs here) ----
2 | why: unknown option '--bogus' | why --bogus
2 | unknown option '--json=1' | why x --json=1
2 | why: takes one unit, got 'b' too | why a b
2 | 'a/b' cannot be a unit's name | why a/b
2 | '' cannot be a unit's name | why ''
2 | '\x1b[31m' cannot be a unit's name | why $'\e[31m'
# ---- --format on run and in chain files ----
6 | nagios-line.conf:2: port: --format nagios goes on the command line | run "$WORK/nagios-line.conf"
6 | nagios-defaults.conf:1: defaults: --format nagios goes on the command line | run "$WORK/nagios-defaults.conf"
6 | nagios-line.conf:2: port: --format nagios goes on the command line | run "$WORK/nagios-line.conf" --dry-run
2 | run: --format: 'xml' is not a format (human, json or nagios) | run x --format xml
2 | run: option --format needs a value | run x --format
2 | run: --format: '' is not a format | run x --format=
2 | 'a\x0ab' cannot be a unit's name | why $'a\nb'
2 | 'aaaaaaaaaaaaaaaaaaaa | why "$LONG"
2 | --timeout: '1x' is not a time span | why x -t 1x
2 | --timeout: '0' is not a time span of at least 1ms | why x --timeout=0
2 | -t needs a time span | why x -t
ROWS

# ---- the shared options, on every check ----------------------------------------------------------
# Each option row below is tried after a valid command line of each check: the option's error
# must win, whatever the check.
BASES=("user root" "port 8080" "cap chown" "tcp 127.0.0.1:1" "dns 127.0.0.1" "redis 127.0.0.1" "http http://127.0.0.1:1/")
OPTION_ROWS=$(
	cat <<'ROWS'
2 | --format: 'xml' is not a format (human, json or nagios) | --format xml
2 | --format: '' is not a format | --format=
2 | --format: 'NAGIOS' is not a format | --format NAGIOS
2 | --format: '\x1b[31m' is not a format | --format $'\e[31m'
2 | option --format needs a value | --format
2 | option --format needs a value | --format -- /bin/true
2 | --timeout: '1x' is not a time span | -t 1x
2 | --timeout: '-1s' is not a time span | -t -1s
2 | --timeout: '99999999999999999999d' is not a time span | -t 99999999999999999999d
2 | --timeout: '' is not a time span | -t ''
2 | --timeout: '' is not a time span | --timeout=
2 | --timeout: '0' is too short | -t 0
2 | --timeout: '1.5.5s' | --timeout 1.5.5s
2 | --timeout: '\x1b[31m5s' | -t $'\e[31m5s'
2 | --timeout: 'aaaaaaaaaaaaaaaa | -t "$LONG"
2 | option -t needs a value | -t
2 | option --timeout needs a value | --timeout
2 | --interval: '1x' is not a time span | -i 1x
2 | --interval: '-1s' is not a time span | --interval -1s
2 | --interval: '' is not a time span | -i ''
2 | --interval: '0' is too short | -i 0
2 | --interval: '1ms' is too short | -i 1ms
2 | option -i needs a value | -i
2 | option --interval needs a value | --interval
2 | option --wait takes no value | --wait=1
2 | unknown option '-1' in '-w1' | -w1
2 | option --invert takes no value | --invert=yes
2 | unknown option '-=' in '-q=' | -q=1
2 | unknown option '-=' in '-v=' | -v=x
2 | option --quiet takes no value | --quiet=1
2 | option --verbose takes no value | --verbose=1
2 | option --json takes no value | --json=1
2 | unknown option '--jso' | --jso
2 | unknown option '---json' | ---json
2 | unknown option '-x' | -x
2 | unknown option '--bog | $'--bog\e[31mus'
2 | '--' must be followed by a COMMAND | --
2 | the COMMAND after '--' is empty | -- ''
2 | --as-unit needs a UNIT | --as-unit
2 | --as-unit: an empty UNIT name | --as-unit=
2 | --as-unit: 'a b' is not a unit name | --as-unit 'a b'
2 | --as-unit: '\x1b[31mx' is not a unit name | --as-unit $'\e[31mx'
2 | --as-unit: 'x.socket' is not a service | --as-unit x.socket
2 | --as-unit: 'aaaaaaaaaaaaaaaaaaaa | --as-unit "$LONG"
2 | --as-unit given twice | --as-unit a --as-unit=b
2 | --as-unit: -- COMMAND has no place here | --as-unit a -- /bin/true
ROWS
)
for base in "${BASES[@]}"; do
	read -ra base_words <<<"$base"
	while IFS= read -r row; do
		row_fields "$row"
		eval "opt=($ARGV)"
		ROWS=$((ROWS + 1))
		check_row "$CODE" "${base_words[0]}: $FRAGMENT" "${base_words[@]}" "${opt[@]}"
		check_row_json "$CODE" "${base_words[@]}" "${opt[@]}"
		check_row_nagios "$CODE" "$FRAGMENT" "${base_words[@]}" "${opt[@]}"
	done <<<"$OPTION_ROWS"
done

# Spans follow systemd.time(7), where "1s2" is 3 s and "1s1s" 2 s (systemd-analyze timespan
# says so): not errors. Proved on a deadline that can be measured: nothing listens on FREE, so
# tcp --wait fails when the span ends.
FREE=$(free_port)
run_preflight tcp "127.0.0.1:$FREE" --wait -i 100ms -t 0s1
expect_code 60 "-t 0s1 is a span, as systemd reads it"
expect_took 1000 "-t 0s1 is one second"
run_preflight tcp "127.0.0.1:$FREE" --wait -i 100ms -t 500ms500ms
expect_took 1000 "-t 500ms500ms adds up to one second"

# A password given in a short-option cluster is not echoed: only the cluster up to the letter.
run_preflight user root -wqS3cretvalue
expect_code 2 "an unknown letter in a cluster"
expect_text ERR "'-S' in '-wqS'" "the cluster is named up to the unknown letter"
expect_no_text ERR "3cretvalue" "what follows it is not echoed (it may be a value)"

echo "# $ROWS rows"
finish
