#!/bin/bash
# preflight under valgrind (memcheck): the unit-test runner, and real invocations of every check,
# passing and failing, against real peers on loopback (a listener, redis-server, MariaDB, the HTTP server
# of tests/peers), chains with run, --parallel, --json, -v, explain, exit-codes, why and the wrapper.
#
# Usage: PREFLIGHT=BIN UNIT=RUNNER tests/valgrind.sh     (make valgrind sets both)
#        VALGRIND_ONLY=WORD runs only the invocations whose name contains WORD.
#
# Each one must be valgrind-clean: no memcheck error, no leak that is definitely, indirectly or
# possibly lost (--errors-for-leak-kinds=definite,indirect,possible), and the exit code its case
# expects. Every process is checked, the children --parallel forks included (valgrind follows a
# fork; each process has its own log, VG_DIR/NAME.PID). Possibly lost blocks count as errors too:
# the one kind preflight leaves on purpose is suppressed by name in tests/valgrind.supp, which says
# why. Prints one "ok"/"not ok" line per invocation and a "valgrind: N passed, N failed" summary;
# exits 1 when anything failed.
: "${UNIT:?UNIT must name the unit-test runner}"
# WORK, PEERS, pass/fail and their counts, start_peer, free_port, SANITIZED, and the cleanup of
# the peers started (STARTED_PIDS) at exit, as the integration tests have them.
. "$(dirname "$0")/integration/lib.sh"
HERE=$TESTS_DIR
PY=$(command -v /usr/bin/python3 || command -v python3)
VG_DIR=$WORK/logs
mkdir -p "$VG_DIR"
chmod 1777 "$VG_DIR"

# lib.sh's cleanup, except that the logs are kept when something failed.
cleanup() {
	local pid
	for pid in "${STARTED_PIDS[@]}"; do kill "$pid" 2>/dev/null; done
	for pid in "${STARTED_PIDS[@]}"; do wait "$pid" 2>/dev/null; done
	if [ "$FAILED" -eq 0 ]; then
		rm -rf "$WORK"
	else
		echo "# valgrind logs kept in $VG_DIR"
	fi
}

if ! command -v valgrind >/dev/null; then
	echo "not ok - valgrind is not installed (make deps installs it)"
	echo "valgrind: 0 passed, 1 failed"
	exit 1
fi
for f in "$PREFLIGHT" "$UNIT"; do
	[ -x "$f" ] || { echo "not ok - $f is not built"; echo "valgrind: 0 passed, 1 failed"; exit 1; }
done
if [ "$SANITIZED" = 1 ]; then
	echo "not ok - $PREFLIGHT is built with ASan, which valgrind cannot run: use a plain build"
	echo "valgrind: 0 passed, 1 failed"
	exit 1
fi

VG=(valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite,indirect,possible
	--errors-for-leak-kinds=definite,indirect,possible --error-exitcode=99 --num-callers=30
	--suppressions="$HERE/valgrind.supp" --gen-suppressions=all)

# exec_log LOG: the process of LOG replaced itself with another program (the wrapper's exec, the
# unit tests' children that exec): valgrind, which follows no exec here, ends the log after its
# header with no error and no summary. (Memory is not leak-checked at an exec, which frees it all.)
# Connector/C's non-blocking calls run on a stack of their own (its my_context coroutines): the
# warning valgrind gives when the stack pointer moves there is no error. Valgrind's own notes
# (--PID-- lines: pidfd_open, syscall 434, which this valgrind does not know; the exec check then
# falls back to polling) are not errors either.
exec_log() {
	! grep -q 'ERROR SUMMARY' "$1" &&
		! grep -vqE '^(==[0-9]+== ( *|Memcheck, a memory error detector|Copyright .*|Using Valgrind.*|Command: .*|Parent PID: [0-9]+|Warning: client switching stacks\?  SP change: 0x[0-9a-f]+ --> 0x[0-9a-f]+| +to suppress, use: --max-stackframe=[0-9]+ or greater| +further instances of this message will not be shown\.)|--[0-9]+-- .*)$' "$1"
}

# vg_clean NAME: every log of NAME says 0 errors, or is an exec_log (and there is at least one).
# Sets VG_WHY.
vg_clean() {
	local log n=0 bad=0
	VG_WHY=
	for log in "$VG_DIR/$1".*; do
		[ -f "$log" ] || continue
		n=$((n + 1))
		exec_log "$log" && continue
		if ! grep -q 'ERROR SUMMARY: 0 errors' "$log"; then
			bad=$((bad + 1))
			VG_WHY+=" $(basename "$log"): $(grep -o 'ERROR SUMMARY: [0-9]* errors' "$log" | tail -1)"
		fi
	done
	[ "$n" -gt 0 ] || { VG_WHY=" no valgrind log"; return 1; }
	[ "$bad" -eq 0 ]
}

# show_logs NAME: the errors and leak records of NAME's logs, for a failure.
show_logs() {
	local log
	for log in "$VG_DIR/$1".*; do
		grep -q 'ERROR SUMMARY: 0 errors' "$log" && continue
		exec_log "$log" && continue
		echo "    == $log"
		grep -vE '^==[0-9]+== *$|Copyright|Command:|Using Valgrind|Parent PID|rerun with|For lists of' \
			"$log" | head -60 | sed 's/^/    /'
	done
}

# vg NAME EXPECTED_CODE ARGS...: preflight ARGS under valgrind exits with EXPECTED_CODE and is
# clean in every process it made. The words of the array PREFIX, if set, come before valgrind
# (setpriv to run as nobody, with_silent_resolver.sh): they are not under valgrind.
PREFIX=()
vg() {
	local name=$1 want=$2 rc start ms
	shift 2
	[ -n "${VALGRIND_ONLY:-}" ] && [[ "$name" != *"$VALGRIND_ONLY"* ]] && return 0
	local cmd=("${PREFIX[@]}" "${VG[@]}" --log-file="$VG_DIR/$name.%p" "$PREFLIGHT" "$@")
	start=$(date +%s%N)
	"${cmd[@]}" >"$WORK/$name.out" 2>"$WORK/$name.err" </dev/null
	rc=$?
	ms=$((($(date +%s%N) - start) / 1000000))
	if [ "$rc" -eq "$want" ] && vg_clean "$name"; then
		pass "$name: exit $rc, valgrind-clean (${ms}ms)"
	else
		vg_clean "$name"
		fail "$name: exit $rc (expected $want);$VG_WHY"
		sed 's/^/    stderr: /' "$WORK/$name.err" | head -10
		show_logs "$name"
	fi
}

# ---- the unit tests: one process (CK_FORK=no), so that a leak is valgrind's to see ------------
start=$(date +%s)
if [ -z "${VALGRIND_ONLY:-}" ] || [[ unit == *"$VALGRIND_ONLY"* ]]; then
	# Under valgrind everything runs 20 to 50 times slower: the tests' time budgets are
	# multiplied by 20 (tests/slack.h). CK_FORK=no: Check has no per-test timeout then.
	PREFLIGHT_TIME_SLACK=20 CK_FORK=no "${VG[@]}" --log-file="$VG_DIR/unit.%p" "$UNIT" \
		>"$WORK/unit.out" 2>&1
	rc=$?
	summary=$(grep -E '^[0-9]+%: Checks' "$WORK/unit.out" | tail -1)
	if [ "$rc" -eq 0 ] && vg_clean unit; then
		pass "unit tests under valgrind (CK_FORK=no): $summary, valgrind-clean ($(($(date +%s) - start))s)"
	else
		vg_clean unit
		fail "unit tests under valgrind: exit $rc, $summary;$VG_WHY"
		grep -E ':[FE]:' "$WORK/unit.out" | head -10 | sed 's/^/    /'
		show_logs unit
	fi
fi

# ---- peers: a listener, redis-server, the HTTP server --------------------------------------------
start_peer "$PY" "$PEERS/listen.py" tcp/127.0.0.1/0 || exit 1
LISTEN=${PEER_OUT#ready }
REFUSED=$(free_port)
REDIS_PORT=$(free_port)
REDIS_PASSWORD=vg-$RANDOM-$RANDOM
printf '%s\n' "$REDIS_PASSWORD" >"$WORK/redis.pass"
printf 'not-the-password\n' >"$WORK/wrong.pass"
chmod 600 "$WORK"/*.pass
start_redis valgrind --port "$REDIS_PORT" --requirepass "$REDIS_PASSWORD"
REDISCLI_AUTH=$REDIS_PASSWORD wait_redis -p "$REDIS_PORT" || exit 1
start_peer "$PY" "$PEERS/http_server.py" --port 0 || exit 1
HTTP=http://127.0.0.1:${PEER_OUT#ready }

# Chain files: root's, not writable by others (README.md, "Safety as root").
cat >"$WORK/pass.conf" <<EOF
defaults --timeout 20s
user root
port 127.0.0.1:$REFUSED
cap net_bind_service
tcp 127.0.0.1:$LISTEN
redis 127.0.0.1:$REDIS_PORT --password-file $WORK/redis.pass
http $HTTP/ok --expect-body ready
EOF
cat >"$WORK/fail.conf" <<EOF
defaults --timeout 20s
user root
port 127.0.0.1:$LISTEN
tcp 127.0.0.1:$REFUSED
redis 127.0.0.1:$REFUSED
http $HTTP/status/503
user nobody
EOF
cat >"$WORK/bad.conf" <<EOF
user root
tcp \${UNSET_VARIABLE_FOR_VALGRIND}
EOF
chmod 644 "$WORK"/*.conf

# Under valgrind preflight runs some 20-50 times slower: the deadlines are long enough for that,
# except where a case is about the deadline itself.
T=(-t 20s)

# ---- each check, passing and failing ----------------------------------------------------------
vg user-pass 0 user root
vg user-mismatch 10 user nobody
vg user-unknown 11 user no-such-user-pf
vg port-free 0 port "127.0.0.1:$REFUSED"
vg port-busy 20 port "127.0.0.1:$LISTEN" -v
vg cap-pass 0 cap net_bind_service
PREFIX=(setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all --)
vg cap-missing 30 cap net_bind_service
vg user-as-nobody 0 user nobody --not-root
# A pid-only /proc (what ProcSubset=pid mounts) hides /proc/sys: as nobody, trial binds decide.
PREFIX=(unshare --mount sh -c 'mount -t proc -o subset=pid proc /proc && exec setpriv --reuid=nobody \
	--regid=nogroup --clear-groups --inh-caps=-all -- "$@"' sh)
vg port-trial-bind 21 port 1 "127.0.0.1:$REFUSED" -v
PREFIX=()
vg cap-file 30 cap net_raw --file /bin/true
vg limit-pass 0 limit 'nofile>=1' 'LimitCORE<=infinity' 'RLIMIT_STACK>=1K' 'cpu<=infinity'
PREFIX=(prlimit --nofile=1024:4096 --)
vg limit-low 31 limit 'nofile>=65535' 'nofile>=8192' --hard -v
PREFIX=()
vg limit-usage 2 limit 'nofile>=1' 'memlock>=1X'
vg sysctl-pass 0 sysctl 'vm.max_map_count>=1' 'net.ipv4.ip_local_port_range!=1' kernel/osrelease!=0
vg sysctl-wrong 32 sysctl 'vm.max_map_count<=0' -v
vg sysctl-missing 32 sysctl vm.no_such_setting=1 -v
vg sysctl-usage 2 sysctl 'vm.max_map_count>=1' 'vm..x=1'
vg tcp-accepting 0 tcp "127.0.0.1:$LISTEN" "${T[@]}"
vg tcp-refused 60 tcp "127.0.0.1:$REFUSED" "${T[@]}"
vg tcp-wait-refused 60 tcp "127.0.0.1:$REFUSED" -t 3s --wait -i 200ms
vg redis-pong 0 redis "127.0.0.1:$REDIS_PORT" --password-file "$WORK/redis.pass" "${T[@]}" -v
vg redis-url 0 redis "redis://:$REDIS_PASSWORD@127.0.0.1:$REDIS_PORT/0" "${T[@]}"
vg redis-refused 40 redis "127.0.0.1:$REFUSED" "${T[@]}"
vg redis-noauth 43 redis "127.0.0.1:$REDIS_PORT" "${T[@]}"
vg redis-wrong-password 43 redis "127.0.0.1:$REDIS_PORT" --password-file "$WORK/wrong.pass" "${T[@]}"
vg redis-role 42 redis "127.0.0.1:$REDIS_PORT" --password-file "$WORK/redis.pass" --role replica "${T[@]}"
vg http-ok 0 http "$HTTP/ok" --expect-body ready "${T[@]}"
vg http-503 52 http "$HTTP/status/503" "${T[@]}"
vg http-body-mismatch 53 http "$HTTP/ok" --expect-body never-there "${T[@]}"
vg http-regex 0 http "$HTTP/ok" --expect-body-regex '^ready$' "${T[@]}"
# a pattern PCRE2 refuses when the option is parsed, and a match given up at a limit
vg http-regex-refused 2 http "$HTTP/ok" --expect-body-regex 'a{,5}'
vg http-regex-gave-up 53 http "$HTTP/big?mib=1" --expect-body-regex '(*NO_START_OPT)(\w+)+!' -t 20s
# a URL libcurl's URL API refuses: a usage error, with libcurl loaded and released
vg http-url-refused 2 http 'http://me:p@ss@127.0.0.1/'
vg http-redirects 0 http "$HTTP/hops/3" -L "${T[@]}"
vg http-refused 50 http "http://127.0.0.1:$REFUSED/" "${T[@]}"
vg http-big-body 0 http "$HTTP/big?mib=8" -v "${T[@]}"

# ---- exec: real processes, the deadline with a setsid daemon, output past the 64 KiB kept ----
vg exec-true 0 exec /bin/true
vg exec-false 120 exec /bin/false -v
vg exec-signal 120 exec "sh -c 'kill -SEGV \$\$'"
vg exec-not-found 123 exec no-such-command-preflight
vg exec-not-executable 123 exec /etc/passwd
vg exec-mismatch 122 exec 'echo nope' --expect-output 'configuration OK'
vg exec-timeout 121 exec "sh -c 'setsid sleep 30 & sleep 30'" -t 1s
vg exec-leftover 0 exec "sh -c 'setsid sleep 30 & echo started'"
vg exec-big-output 0 exec 'head -c 10000000 /dev/zero' --json -v
vg exec-bad-command 2 exec "echo 'open"
vg exec-wait 120 exec /bin/false --wait -t 1s -i 200ms
vg exec-regex 0 exec "printf 'a\\nready 42\\n'" --expect-output-regex '^ready [0-9]+$'
vg exec-regex-refused 2 exec /bin/true --expect-output-regex '('
vg exec-wrapper 0 exec /bin/true -- /bin/true
# ---- file: stat, ACLs through libacl, access as nobody in a forked child, mounts, space ----
FILE_DIR=$WORK/file
mkdir -p "$FILE_DIR/state" && chmod 755 "$FILE_DIR" && chown nobody:nogroup "$FILE_DIR/state"
echo secret >"$FILE_DIR/secret" && chmod 0600 "$FILE_DIR/secret"
echo shared >"$FILE_DIR/shared" && chmod 0640 "$FILE_DIR/shared"
command -v setfacl >/dev/null && setfacl -m u:nobody:r "$FILE_DIR/shared"
vg file-pass 0 file /etc/passwd --type file --owner root:root --mode-max 0644 --readable --not-empty -v
vg file-missing 100 file "$FILE_DIR/none" --json
vg file-wait-missing 100 file "$FILE_DIR/none" -t 1s --wait -i 200ms
vg file-wrong-mode 101 file "$FILE_DIR/secret" --mode 0640
vg file-acl 101 file "$FILE_DIR/shared" --mode-max 0640
vg file-as-nobody 0 file "$FILE_DIR/state" --type dir --as nobody --writable --readable --executable
vg file-as-nobody-denied 102 file "$FILE_DIR/secret" --as nobody --readable
vg file-not-mounted 103 file "$FILE_DIR" --mounted
vg file-space 0 file / --free 1K --free-inodes 1 --mounted
vg file-invert 0 file "$FILE_DIR/none.pid" --invert
vg file-usage 2 file /etc/passwd --free 5X

# ---- postgres against a real PostgreSQL 15 (started once, only when these cases run) ----------
if [ -z "${VALGRIND_ONLY:-}" ] || [[ postgres == *"$VALGRIND_ONLY"* ]]; then
	. "$HERE/integration/postgres_server.sh"
	printf '%s\n' "$SECRET" >"$WORK/pg.pass"
	printf 'wrong\n' >"$WORK/pg-wrong.pass"
	chmod 644 "$WORK/pg.pass" "$WORK/pg-wrong.pass"
	PG=(--user app --dbname appdb)
	vg postgres-login 0 postgres "127.0.0.1:$PORT" "${PG[@]}" --password-file "$WORK/pg.pass" -v "${T[@]}"
	vg postgres-uri 0 postgres "postgresql://app:$SECRET@127.0.0.1:$PORT/appdb" --json -v "${T[@]}"
	vg postgres-unix 0 postgres "postgresql://app@/appdb?host=$SOCK&port=$PORT" --password-file "$WORK/pg.pass" "${T[@]}"
	vg postgres-role 82 postgres "127.0.0.1:$PORT" "${PG[@]}" --password-file "$WORK/pg.pass" --role standby "${T[@]}"
	vg postgres-wrong-password 83 postgres "127.0.0.1:$PORT" "${PG[@]}" --password-file "$WORK/pg-wrong.pass" "${T[@]}"
	vg postgres-no-database 83 postgres "127.0.0.1:$PORT" --user app --dbname nodb --password-file "$WORK/pg.pass" "${T[@]}"
	vg postgres-ping 0 postgres "127.0.0.1:$PORT" "${PG[@]}" --password-file "$WORK/pg-wrong.pass" --ping "${T[@]}"
	vg postgres-refused 80 postgres "127.0.0.1:$REFUSED" "${T[@]}"
	vg postgres-wait-refused 80 postgres "127.0.0.1:$REFUSED" -t 3s --wait -i 200ms
	vg postgres-uri-refused 2 postgres "postgresql://app:x%zz@127.0.0.1/appdb"
	start_peer "$PY" "$PEERS/fake_postgres.py" silent
	vg postgres-silent 81 postgres "127.0.0.1:${PEER_OUT#ready }" -t 2s
	stop_peer "$PEER_PID"
fi

# ---- chains, output modes, commands ----------------------------------------------------------
vg run-pass 0 run "$WORK/pass.conf"
vg run-fail 20 run "$WORK/fail.conf" --keep-going
vg run-parallel-pass 0 run "$WORK/pass.conf" --parallel
vg run-parallel-fail 20 run "$WORK/fail.conf" --parallel --keep-going
vg run-json 20 run "$WORK/fail.conf" --keep-going --json
vg run-json-verbose 0 run "$WORK/pass.conf" --json -v
vg run-chain-error 6 run "$WORK/bad.conf"
vg run-dry-run 0 run --dry-run "$WORK/pass.conf"
# --prometheus: the textfile written (in order, --parallel, a broken chain's) and refused (a
# directory that is not there: 1; the chain's own failure wins).
mkdir -p "$WORK/textfile"
vg run-prometheus 20 run "$WORK/fail.conf" --prometheus "$WORK/textfile/fail.prom"
vg run-prometheus-parallel 0 run "$WORK/pass.conf" --parallel --prometheus "$WORK/textfile/pass.prom"
vg run-prometheus-chain-error 6 run "$WORK/bad.conf" --prometheus "$WORK/textfile/bad.prom"
vg run-prometheus-no-dir 1 run "$WORK/pass.conf" --prometheus "$WORK/no-such-dir/x.prom"
vg run-prometheus-no-dir-fail 20 run "$WORK/fail.conf" --prometheus "$WORK/no-such-dir/x.prom"
vg nagios-run-fail 2 run "$WORK/fail.conf" --format nagios
vg nagios-run-parallel 2 run "$WORK/fail.conf" --format nagios --parallel
vg nagios-run-pass-verbose 0 run "$WORK/pass.conf" --format=nagios -v
vg nagios-usage 3 port --bogus --format nagios
vg nagios-chain-error 3 run "$WORK/bad.conf" --format nagios
vg nagios-wrapper 3 run "$WORK/pass.conf" --format nagios -- /bin/true
# run --http-response: preflight on one end of a socket pair, as inetd or Accept=yes gives it
# (tests/peers/http_inetd.py plays the client): vg_http NAME STATUS REQUEST [STDERR] ARGS...
# STDERR "socket": fd 2 is the connection too (StandardInput=socket alone), else a file.
vg_http() {
	local name=$1 status=$2 request=$3 where=$4 opts=() summary
	shift 4
	[ -n "${VALGRIND_ONLY:-}" ] && [[ "$name" != *"$VALGRIND_ONLY"* ]] && return 0
	[ "$where" = socket ] || opts=(--stderr "$WORK/$name.err")
	"$PY" "$PEERS/http_inetd.py" --send "$request" "${opts[@]}" -- "${VG[@]}" \
		--log-file="$VG_DIR/$name.%p" "$PREFLIGHT" "$@" >"$WORK/$name.out" 2>"$WORK/$name.sum"
	summary=$(tr '\n' ' ' <"$WORK/$name.sum")
	if [[ "$summary" == *"status=$status "* ]] && vg_clean "$name"; then
		pass "$name: $status, valgrind-clean"
	else
		vg_clean "$name"
		fail "$name: ${summary:0:200} (expected $status);$VG_WHY"
		show_logs "$name"
	fi
}
GET='GET / HTTP/1.1\r\nHost: t\r\n\r\n'
vg_http http-response-200 200 "$GET" socket run "$WORK/pass.conf" --http-response
vg_http http-response-503 503 "$GET" file run "$WORK/fail.conf" --http-response
vg_http http-response-503-parallel 503 "$GET" socket run "$WORK/fail.conf" --http-response --parallel
vg_http http-response-head 200 'HEAD / HTTP/1.1\r\nHost: t\r\n\r\n' socket run "$WORK/pass.conf" --http-response
vg_http http-response-405 405 'PUT / HTTP/1.1\r\nHost: t\r\n\r\n' file run "$WORK/pass.conf" --http-response
vg_http http-response-400 400 'GET / HTTP/1.1\r\n\r\n' file run "$WORK/pass.conf" --http-response
vg_http http-response-408 408 'GET / HTTP/1.1\r\n' file run "$WORK/pass.conf" --http-response
vg_http http-response-chain-error 500 "$GET" file run "$WORK/bad.conf" --http-response
vg http-json-verbose 52 http "$HTTP/status/503" --json -v "${T[@]}"
vg explain 0 explain 20
vg explain-signal 0 explain 143
vg exit-codes 0 exit-codes
vg completion-bash 0 completion bash
vg completion-zsh 0 completion zsh
vg completion-fish 0 completion fish
vg completion-tcsh 2 completion tcsh
# why: no service manager runs here (the systemd suites' test systems have one: test_systemd_why.sh
# runs why on its failed units under valgrind there), so this is libsystemd's dlopen and the
# connection that fails, both ways (4), and a usage error (2).
vg why-no-manager 4 why pf-valgrind-nosuch.service
vg why-no-user-manager 4 why --user --json
vg why-usage 2 why one two
vg list 0 list
vg help 0 --help
vg check-help 0 http --help
vg usage-error 2 port
vg version 0 --version
# --as-unit: the usage errors need no manager; a unit that exists nowhere is 4 whether the manager
# answers (no unit) or not (this machine has none), with libsystemd loaded either way.
vg as-unit-usage-error 2 port 8080 --bogus --as-unit pf-valgrind
vg as-unit-wrapper 2 run "$WORK/pass.conf" --as-unit pf-valgrind -- /bin/true
vg as-unit-not-a-service 2 user root --as-unit=pf-valgrind.socket
vg as-unit-no-unit 4 user root --as-unit pf-valgrind-no-such-unit

# ---- the wrapper: preflight execs the command, or exits with the check's code ----------------
vg wrapper-true 0 user root -- /bin/true
vg wrapper-false 1 user root -- /bin/false
vg wrapper-failing-check 10 user nobody -- /bin/true
vg wrapper-chain 0 run "$WORK/pass.conf" -- /bin/true
vg wrapper-parallel 0 run "$WORK/pass.conf" --parallel -- /bin/true
vg wrapper-not-found 127 user root -- /nonexistent/command

# mysql: a MariaDB of its own (lib.sh's start_mariadb, as the mysql user): logins that pass and
# fail, the roles, --ping, TLS required; scripted peers that never answer, drip and send garbage,
# and the test double of a server shutting down (1053).
if start_mariadb valgrind; then
	sql "$MDB_SOCK" "CREATE DATABASE appdb; CREATE USER app@'%' IDENTIFIED BY 'vg-Pw7';
		GRANT ALL ON appdb.* TO app@'%'"
	printf 'vg-Pw7\n' >"$WORK/mysql.pass"
	vg mysql-login 0 mysql "127.0.0.1:$MDB_PORT" --user app --password-file "$WORK/mysql.pass" --dbname appdb -v
	vg mysql-url 0 mysql "mysql://app:vg-Pw7@127.0.0.1:$MDB_PORT/appdb" --json
	vg mysql-unix-primary 0 mysql "unix:$MDB_SOCK" --user root --role primary
	vg mysql-not-replica 92 mysql "unix:$MDB_SOCK" --user root --role replica
	vg mysql-1227 93 mysql "mysql://app:vg-Pw7@127.0.0.1:$MDB_PORT" --role replica
	vg mysql-1045 93 mysql "mysql://app:wrong@127.0.0.1:$MDB_PORT"
	vg mysql-1049 93 mysql "unix:$MDB_SOCK" --user root --dbname nodb
	vg mysql-ping-denied 0 mysql "mysql://app:wrong@127.0.0.1:$MDB_PORT" --ping
	vg mysql-tls-required 93 mysql "mysql://app:vg-Pw7@127.0.0.1:$MDB_PORT" --ssl-ca /etc/ssl/certs/ca-certificates.crt
	vg mysql-wrapper 0 mysql "unix:$MDB_SOCK" --user root -q -- /bin/true
	stop_mariadb "$MDB_PID"
else
	fail "mysql: MariaDB did not start"
fi
vg mysql-refused-wait 90 mysql "127.0.0.1:$REFUSED" -t 1s --wait -i 200ms
for mode in silent drip garbage flood shutdown; do
	start_peer "$PY" "$PEERS/mysql_peer.py" "$mode" || exit 1
	case $mode in silent | drip) want=91 ;; shutdown) want=92 ;; *) want=90 ;; esac
	vg "mysql-peer-$mode" "$want" mysql "127.0.0.1:${PEER_OUT#ready }" -t 2s
	stop_peer "$PEER_PID"
done

# ---- deadlines: the backstop, and a resolver that never answers ------------------------------
# getaddrinfo() cannot be cancelled: at the deadline preflight leaves its resolver thread
# blocked and exits (tests/valgrind.supp says what that leaves behind).
PREFIX=("$PEERS/with_silent_resolver.sh")
vg tcp-silent-resolver 61 tcp never.preflight.test:80 -t 2s
vg redis-silent-resolver 41 redis never.preflight.test:6379 -t 2s
vg http-silent-resolver 51 http http://never.preflight.test/ -t 2s
vg mysql-silent-resolver 91 mysql never.preflight.test -t 2s
vg tcp-silent-resolver-wait 61 tcp never.preflight.test:80 -t 3s --wait -i 200ms
# dns: names from a hosts file of its own (70 addresses for one: the list cut short), no such
# name (nsswitch: files only), SERVFAIL, and the silent name server.
{
	printf '127.0.0.5 db.preflight.test\nfd00::5 db.preflight.test\n'
	for i in $(seq 1 70); do echo "127.0.1.$i many.preflight.test"; done
} >"$WORK/dns-hosts"
chmod 644 "$WORK/dns-hosts"
PREFIX=("$PEERS/with_silent_resolver.sh" --hosts-file "$WORK/dns-hosts")
vg dns-hosts 0 dns db.preflight.test --expect 127.0.0.5 --expect fd00::5
vg dns-many 0 dns many.preflight.test db.preflight.test
vg dns-mismatch 112 dns db.preflight.test --expect 10.0.0.9 --family ipv4 --json
vg dns-silent-resolver 111 dns never.preflight.test -t 2s
vg dns-silent-resolver-wait 111 dns never.preflight.test -t 3s --wait -i 200ms
PREFIX=("$PEERS/with_silent_resolver.sh" --hosts-file "$WORK/dns-hosts" --files-only)
vg dns-no-such-name-wait 110 dns never.preflight.test -t 2s --wait -i 200ms
PREFIX=("$PEERS/with_silent_resolver.sh" --hosts-file "$WORK/dns-hosts" --servfail)
vg dns-servfail 110 dns never.preflight.test
PREFIX=()

echo "valgrind: $PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
