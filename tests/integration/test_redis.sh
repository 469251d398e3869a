#!/bin/bash
# The redis check against real redis-server processes (TCP, a unix socket, requirepass, ACL
# users, replicas, a script that keeps the server busy) on free loopback ports, and against the
# scripted peer tests/peers/fake_redis.py for what a real server cannot be made to do on demand
# (LOADING, a silent server, a dripping reply, garbage, a full accept queue).
# Every code the check gives: 0, 2, 5, 40, 41, 42, 43; the wait mode; the hard deadline.
. "$(dirname "$0")/lib.sh"

if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
	fail "redis-server and redis-cli are needed (make deps installs them)"
	finish
	exit 1
fi

FAKE_REDIS="$PEERS/fake_redis.py"
SECRET='pw-Zq81-never-shown'
ACL_SECRET='acl-Hx42-never-shown'

# as_root WHAT: true when running as root; otherwise skips the case (lib.sh's skip_case).
as_root() {
	[ "$(id -u)" -eq 0 ] && return 0
	skip_case "needs root: $*"
	return 1
}

# expect_secret_hidden DESCRIPTION: neither password appears in stdout or stderr of the last run.
expect_secret_hidden() {
	expect_no_text OUT "$SECRET" "$1: password not on stdout"
	expect_no_text ERR "$SECRET" "$1: password not on stderr"
	expect_no_text OUT "$ACL_SECRET" "$1: ACL password not on stdout"
	expect_no_text ERR "$ACL_SECRET" "$1: ACL password not on stderr"
}

# ---- Usage errors: exit 2, the argument named, never a password --------------------------

run_preflight redis --help; expect_code 0 "redis --help"
expect_text OUT "--password-file" "--help lists --password-file"
expect_text OUT "--role" "--help lists --role"
run_preflight redis; expect_code 2 "redis without a target"
run_preflight redis 127.0.0.1:99999; expect_code 2 "port out of range"
expect_text ERR "'127.0.0.1:99999'" "the bad target is named"
run_preflight redis "rediss://:$SECRET@127.0.0.1:6380"; expect_code 2 "rediss:// is refused"
expect_text ERR "TLS" "rediss:// says TLS is not supported"
expect_secret_hidden "rediss://"
run_preflight redis "redis://app:$SECRET@127.0.0.1:99999/0"; expect_code 2 "URL with a bad port"
expect_secret_hidden "URL with a bad port"
run_preflight redis "redis://app:$SECRET@127.0.0.1:6380/x"; expect_code 2 "URL with a bad database"
expect_text ERR "redis://app:***@127.0.0.1:6380/x" "the bad URL is named without its password"
expect_secret_hidden "URL with a bad database"
run_preflight redis "app:$SECRET@127.0.0.1:6380"; expect_code 2 "user:pass@ without redis://"
expect_secret_hidden "user:pass@ without redis://"
run_preflight redis unix:relative.sock; expect_code 2 "relative unix socket path"
run_preflight redis 127.0.0.1 --db x; expect_code 2 "--db x"; expect_text ERR "'x'" "--db names x"
run_preflight redis 127.0.0.1 --role boss; expect_code 2 "--role boss"
run_preflight redis 127.0.0.1 --user 'a b'; expect_code 2 "--user with a space"
run_preflight redis 127.0.0.1 --password-file "$WORK/missing"; expect_code 2 "--password-file missing"
expect_text ERR "$WORK/missing" "--password-file names the file"
printf '%s\n' "$SECRET" >"$WORK/pw"
run_preflight redis 127.0.0.1 --password-file "$WORK/pw" --password x; expect_code 2 "--password and --password-file"

# ---- hiredis only when needed ----------------------------------------------------------

run_cmd ldd "$PREFLIGHT"
expect_no_text OUT "hiredis" "the binary is not linked with hiredis"
run_cmd env LD_DEBUG=files "$PREFLIGHT" user root
expect_no_text ERR "libhiredis" "preflight user never loads hiredis"
run_cmd env LD_DEBUG=files "$PREFLIGHT" redis 127.0.0.1:"$(free_port)"
expect_text ERR "libhiredis.so.0.14" "preflight redis loads hiredis (so the line above can fail)"

# Not installed (5) and installed but not loadable (1): test_libraries.sh.

# ---- A plain server -------------------------------------------------------------------

PLAIN=$(free_port)
start_redis plain --port "$PLAIN" --bind 127.0.0.1 ::1 --repl-diskless-sync-delay 0
PLAIN_PID=$REDIS_PID
wait_redis -p "$PLAIN"

run_preflight redis "127.0.0.1:$PLAIN"; expect_code 0 "PONG from a plain server"
expect_text ERR "ok   redis 127.0.0.1:$PLAIN answers PONG" "the ok line"
run_preflight redis ":$PLAIN"; expect_code 0 ":PORT means 127.0.0.1"
run_preflight redis "localhost:$PLAIN"; expect_code 0 "a name resolved through /etc/hosts"
run_preflight redis "[::1]:$PLAIN"; expect_code 0 "[V6]:PORT"
run_preflight redis "redis://[::1]:$PLAIN/1"; expect_code 0 "redis://[V6]:PORT/DB"
run_preflight redis "redis://127.0.0.1:$PLAIN/2"; expect_code 0 "redis:// URL with a database"
run_preflight redis "127.0.0.1:$PLAIN" --db 3 -v; expect_code 0 "--db 3"
expect_text ERR "SELECT 3: OK" "-v shows the SELECT"
run_preflight redis "127.0.0.1:$PLAIN" --db 99; expect_code 2 "--db 99 the server does not have"
expect_text ERR "DB index is out of range" "--db 99: the server's words"
run_preflight redis "127.0.0.1:$PLAIN" --role master; expect_code 0 "--role master on a master"
expect_text ERR "answers PONG as master" "the role is shown"
run_preflight redis "127.0.0.1:$PLAIN" --role replica; expect_code 42 "--role replica on a master"
expect_text ERR "role is master, not replica" "the wrong role is named"
run_preflight redis "127.0.0.1:$PLAIN" --json; expect_code 0 "--json"
expect_text OUT "\"target\":\"127.0.0.1:$PLAIN\"" "JSON target"
expect_text OUT '"code":0' "JSON code"
run_preflight redis "127.0.0.1:$PLAIN" --invert; expect_code 42 "--invert while Redis answers: 42"
REFUSED=$(free_port)
run_preflight redis "127.0.0.1:$PLAIN" "127.0.0.1:$REFUSED"; expect_code 40 "two targets, the second refused"
run_cmd env REDISCLI_AUTH=unneeded "$PREFLIGHT" redis "127.0.0.1:$PLAIN"
expect_code 0 "a password the server does not need still passes"
expect_text ERR "it has no password" "... with a warning that it is not used"

# ---- Unreachable: 40 ------------------------------------------------------------------

run_preflight redis "127.0.0.1:$REFUSED"; expect_code 40 "refused"
expect_text ERR "connection refused" "refused is said"
expect_elapsed 0 100 "refused answers at once, not at the 5 s default deadline"
run_preflight redis "127.0.0.1:$REFUSED" --invert; expect_code 0 "--invert on a refused port passes"
run_preflight redis "127.0.0.1:$REFUSED" --wait -t 1s -i 100ms; expect_code 40 "still refused when --wait ends: 40"
expect_took 1000 "--wait -t 1s on a refused port ends in about a second"

if as_root "an unresolvable name in a namespace without a network"; then
	# A host name nothing knows, resolved with files only in a namespace without a network, so
	# not one packet leaves the machine.
	cat >"$WORK/no-such-host.sh" <<'EOF'
ip link set lo up
printf 'hosts: files\n' >"$WORK/nsswitch.conf"
mount --bind "$WORK/nsswitch.conf" /etc/nsswitch.conf
exec "$PREFLIGHT" redis no-such-redis-host.example:6379 -t 2s
EOF
	run_cmd unshare --mount --net env WORK="$WORK" PREFLIGHT="$PREFLIGHT" bash "$WORK/no-such-host.sh"
	expect_code 40 "a host name that does not resolve"
	expect_text ERR "no such host" "unresolvable is said"
fi

# ---- Wait mode: a server started a second after the check begins -----------------------

LATE=$(free_port)
(sleep 1 && exec redis-server --port "$LATE" --bind 127.0.0.1 --save '' --appendonly no \
	--daemonize no --dir "$WORK" --logfile "$WORK/redis-late.log") &
STARTED_PIDS+=("$!")
run_preflight redis "127.0.0.1:$LATE" --wait -t 10s --json
expect_code 0 "--wait: a server that starts a second later is found"
# redis-server's own start-up after the second is in the time, and the interval.
expect_elapsed 1000 1800 "--wait notices the late server promptly (default interval 500ms)"
expect_attempts -gt 1 "--wait took more than one attempt"

# ---- A unix socket ---------------------------------------------------------------------

SOCK="$WORK/redis.sock"
start_redis unix --port 0 --unixsocket "$SOCK" --unixsocketperm 700
wait_redis -s "$SOCK"
run_preflight redis "unix:$SOCK"; expect_code 0 "unix socket"
expect_text ERR "redis unix:$SOCK answers PONG" "unix socket ok line"
run_preflight redis "unix:$SOCK" --db 2 --role master; expect_code 0 "unix socket with --db and --role"
if as_root "connecting as nobody (setpriv)"; then
	run_cmd as_nobody "$PREFLIGHT" redis "unix:$SOCK"; expect_code 43 "unix socket this user may not open: denied"
	expect_text ERR "no permission" "permission is said"
fi
run_preflight redis "unix:$WORK/nothing-here.sock"; expect_code 40 "no socket file"
expect_text ERR "no socket at" "missing socket is said"
: >"$WORK/plain-file"
run_preflight redis "unix:$WORK/plain-file"; expect_code 40 "a file that is not a listening socket"
start_peer python3 "$FAKE_REDIS" "full-backlog-unix:$WORK/full.sock"
run_preflight redis "unix:$WORK/full.sock" -t 1s; expect_code 41 "unix socket with a full accept queue"
expect_took 1000 "full unix accept queue: -t 1s ends in about a second"
stop_peer "$PEER_PID"

# ---- requirepass: denied is 43 and never retried ---------------------------------------

AUTHED=$(free_port)
start_redis authed --port "$AUTHED" --requirepass "$SECRET"
wait_redis -p "$AUTHED"
run_preflight redis "127.0.0.1:$AUTHED"; expect_code 43 "no password: NOAUTH"
expect_text ERR "NOAUTH" "NOAUTH is said"; expect_text ERR "REDISCLI_AUTH" "the fix names REDISCLI_AUTH"
run_preflight redis "127.0.0.1:$AUTHED" --wait -t 5s --json; expect_code 43 "NOAUTH under --wait is not retried"
expect_attempts -eq 1 "denied answers at once under --wait: one attempt only"
run_cmd env REDISCLI_AUTH=wrong-password "$PREFLIGHT" redis "127.0.0.1:$AUTHED" -v
expect_code 43 "wrong password: WRONGPASS"; expect_text ERR "WRONGPASS" "WRONGPASS is said"
expect_no_text ERR "wrong-password" "the wrong password is not shown either"
run_cmd env REDISCLI_AUTH="$SECRET" "$PREFLIGHT" redis "127.0.0.1:$AUTHED" -v --db 1
expect_code 0 "REDISCLI_AUTH"; expect_text ERR "password from REDISCLI_AUTH" "-v says where the password came from"
expect_secret_hidden "REDISCLI_AUTH"
run_preflight redis "127.0.0.1:$AUTHED" --password-file "$WORK/pw"; expect_code 0 "--password-file"
expect_no_text ERR "command line" "--password-file does not warn"
run_cmd env REDISCLI_AUTH=wrong-password "$PREFLIGHT" redis "127.0.0.1:$AUTHED" --password-file "$WORK/pw"
expect_code 0 "--password-file wins over REDISCLI_AUTH"
printf 'wrong-password\r\n' >"$WORK/pw-wrong"
run_preflight redis "127.0.0.1:$AUTHED" --password-file "$WORK/pw-wrong"; expect_code 43 "wrong --password-file"
run_preflight redis "127.0.0.1:$AUTHED" --password "$SECRET" -v --json; expect_code 0 "--password"
expect_text ERR "can be read by other users" "--password warns that ps shows it"
expect_secret_hidden "--password -v --json"
run_preflight redis "redis://:$SECRET@127.0.0.1:$AUTHED/1" -v; expect_code 0 "password in the URL"
expect_text ERR "ok   redis redis://:***@127.0.0.1:$AUTHED/1 answers PONG" "the URL is shown with *** for its password"
expect_text ERR "can be read by other users" "a password in the URL warns"
expect_secret_hidden "URL password"
run_preflight redis "redis://:$SECRET@127.0.0.1:$AUTHED/1" "redis://:$SECRET@127.0.0.1:$AUTHED/2"
expect_code 0 "two URLs with passwords"
WARNINGS=$(grep -c "can be read by other users" <<<"$ERR")
[ "$WARNINGS" -eq 1 ] && pass "the warning is given once" || fail "the warning is given $WARNINGS times"
run_preflight redis "redis://:wrong-$SECRET@127.0.0.1:$AUTHED" -v --json; expect_code 43 "wrong password in the URL"
expect_text OUT "\"target\":\"redis://:***@127.0.0.1:$AUTHED\"" "JSON target without the password"
expect_secret_hidden "wrong URL password, -v --json"
# STATUS= for systemd shows the target too: without the password.
start_peer python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print("ready", flush=True)
with open(sys.argv[2], "a") as log:
    while True:
        log.write(s.recv(4096).decode(errors="replace") + "\n")
        log.flush()
' "$WORK/notify.sock" "$WORK/notify.log"
run_cmd env NOTIFY_SOCKET="$WORK/notify.sock" "$PREFLIGHT" redis "redis://:$SECRET@127.0.0.1:$REFUSED" --wait -t 1s -i 100ms
expect_code 40 "waiting with NOTIFY_SOCKET"
sleep 0.1
NOTIFIED=$(cat "$WORK/notify.log" 2>/dev/null)
[[ "$NOTIFIED" == *"waiting for redis redis://:***@127.0.0.1:$REFUSED"* ]] && pass "STATUS= names the URL with ***" ||
	fail "STATUS= lines: $NOTIFIED"
[[ "$NOTIFIED" != *"$SECRET"* ]] && pass "STATUS= never shows the password" || fail "STATUS= shows the password"
stop_peer "$PEER_PID"
# A server that repeats what it was sent (AUTH renamed away: "unknown command ... with args").
ECHOES=$(free_port)
start_redis echoes --port "$ECHOES" --rename-command AUTH ""
wait_redis -p "$ECHOES"
run_cmd env REDISCLI_AUTH="$SECRET" "$PREFLIGHT" redis "127.0.0.1:$ECHOES" -v --json
expect_code 43 "AUTH refused as an unknown command"
expect_text OUT "unknown command" "the server's words are kept"
expect_secret_hidden "a server echoing the password"

# ---- ACL users -------------------------------------------------------------------------

ACL=$(free_port)
start_redis acl --port "$ACL" --user default off --user app on ">$ACL_SECRET" '~*' '+@all' \
	--user limited on '>limited-pass' '~*' '-@all' --user open on nopass '~*' '+@all' \
	--user odd on '>p@ss:w/rd' '~*' '+@all'
wait_redis -p "$ACL"
run_preflight redis "127.0.0.1:$ACL"; expect_code 43 "default user off: NOAUTH"
run_cmd env REDISCLI_AUTH="$ACL_SECRET" "$PREFLIGHT" redis "127.0.0.1:$ACL" --user app -v
expect_code 0 "--user app with REDISCLI_AUTH"; expect_text ERR "AUTH as app" "-v names the user"
expect_secret_hidden "--user app"
run_preflight redis "redis://app:$ACL_SECRET@127.0.0.1:$ACL/0" --role master; expect_code 0 "redis://USER:PASS@"
expect_text ERR "redis://app:***@127.0.0.1:$ACL/0" "the URL keeps the user, hides the password"
expect_secret_hidden "redis://USER:PASS@"
run_preflight redis "redis://odd:p@ss:w/rd@127.0.0.1:$ACL"; expect_code 0 "a password with @ : / as typed"
run_preflight redis "redis://odd:p%40ss%3Aw%2Frd@127.0.0.1:$ACL"; expect_code 0 "a %-escaped password"
run_cmd env REDISCLI_AUTH=wrong "$PREFLIGHT" redis "127.0.0.1:$ACL" --user app
expect_code 43 "ACL user, wrong password"; expect_text ERR "WRONGPASS" "WRONGPASS for an ACL user"
run_cmd env REDISCLI_AUTH=limited-pass "$PREFLIGHT" redis "127.0.0.1:$ACL" --user limited
expect_code 43 "a user without +ping: NOPERM"; expect_text ERR "ACL SETUSER limited +ping" "the fix grants +ping"
run_preflight redis "127.0.0.1:$ACL" --user open; expect_code 0 "a nopass user needs no password"
run_cmd env REDISCLI_AUTH=x "$PREFLIGHT" redis "127.0.0.1:$ACL" --user nosuchuser; expect_code 43 "a user that does not exist"

# ---- Replicas: ROLE and MASTERDOWN (real servers) --------------------------------------

REPLICA=$(free_port)
start_redis replica --port "$REPLICA" --replicaof 127.0.0.1 "$PLAIN"
wait_redis -p "$REPLICA"
run_preflight redis "127.0.0.1:$REPLICA" --role replica --wait -t 15s -i 100ms
expect_code 0 "--role replica --wait: the replica's link comes up"
expect_text ERR "as replica of 127.0.0.1:$PLAIN" "the master is named"
run_preflight redis "127.0.0.1:$REPLICA" --role master; expect_code 42 "--role master on a replica"
DEAD=$(free_port)
STALE=$(free_port)
start_redis stale --port "$STALE" --replicaof 127.0.0.1 "$DEAD"
wait_redis -p "$STALE"
run_preflight redis "127.0.0.1:$STALE"; expect_code 0 "a replica cut off from its master still answers PING"
run_preflight redis "127.0.0.1:$STALE" --role replica; expect_code 42 "--role replica with the link down"
expect_text ERR "its link to the master is" "the link state is named"
DOWN=$(free_port)
start_redis masterdown --port "$DOWN" --replicaof 127.0.0.1 "$DEAD" --replica-serve-stale-data no
wait_redis -p "$DOWN"
run_preflight redis "127.0.0.1:$DOWN"; expect_code 42 "MASTERDOWN is not ready"
expect_text ERR "MASTERDOWN" "MASTERDOWN is said"
run_preflight redis "127.0.0.1:$DOWN" --wait -t 1s -i 100ms --json; expect_code 42 "MASTERDOWN under --wait: retried to the end"
expect_took 1000 "MASTERDOWN --wait -t 1s ends in about a second"
expect_attempts -gt 1 "MASTERDOWN was retried"

# ---- BUSY: a script that runs too long (real server) -----------------------------------

BUSY=$(free_port)
start_redis busy --port "$BUSY" --lua-time-limit 100
wait_redis -p "$BUSY"
redis-cli -p "$BUSY" eval 'while true do end' 0 >/dev/null 2>&1 &
STARTED_PIDS+=("$!")
for i in $(seq 100); do [[ "$(redis-cli -p "$BUSY" ping 2>&1)" == BUSY* ]] && break; sleep 0.05; done
run_preflight redis "127.0.0.1:$BUSY"; expect_code 42 "BUSY is not ready"
expect_text ERR "BUSY" "BUSY is said"; expect_text ERR "SCRIPT KILL" "the fix names SCRIPT KILL"
(sleep 1 && redis-cli -p "$BUSY" script kill >/dev/null 2>&1) &
STARTED_PIDS+=("$!")
run_preflight redis "127.0.0.1:$BUSY" --wait -t 10s -i 100ms --json
expect_code 0 "--wait through BUSY until the script is killed"
# The script is killed a second after the check begins; redis-cli's start-up is in the time.
expect_elapsed 800 2400 "BUSY ends when the script is killed"
expect_attempts -gt 1 "BUSY was retried"

# ---- What only the scripted peer can do ------------------------------------------------

start_peer python3 "$FAKE_REDIS" loading
LOADING_PORT=${PEER_OUT#ready }
run_preflight redis "127.0.0.1:$LOADING_PORT"; expect_code 42 "LOADING is not ready"
expect_text ERR "LOADING" "LOADING is said"
run_preflight redis "127.0.0.1:$LOADING_PORT" --wait -t 1s -i 100ms; expect_code 42 "still LOADING at the deadline: 42"
expect_took 1000 "LOADING --wait -t 1s ends in about a second"
stop_peer "$PEER_PID"

start_peer python3 "$FAKE_REDIS" loading:3
PORT=${PEER_OUT#ready }
run_preflight redis "127.0.0.1:$PORT" --wait -t 10s -i 100ms --json; expect_code 0 "LOADING three times, then PONG"
expect_attempts -eq 4 "four attempts"
stop_peer "$PEER_PID"

start_peer python3 "$FAKE_REDIS" silent
PORT=${PEER_OUT#ready }
run_preflight redis "127.0.0.1:$PORT" -t 1s; expect_code 41 "a server that never answers: 41"
expect_took 1000 "silent server: -t 1s ends in about a second"
run_preflight redis "127.0.0.1:$PORT" -t 1s --wait -i 100ms; expect_code 41 "silent server under --wait: 41"
expect_took 1000 "silent server --wait: -t 1s ends in about a second"
stop_peer "$PEER_PID"

start_peer python3 "$FAKE_REDIS" drip
PORT=${PEER_OUT#ready }
run_preflight redis "127.0.0.1:$PORT" -t 2s; expect_code 41 "a reply dripping a byte a second: 41"
expect_took 2000 "dripping server: -t 2s ends in about two seconds"
stop_peer "$PEER_PID"

start_peer python3 "$FAKE_REDIS" full-backlog
PORT=${PEER_OUT#ready }
run_preflight redis "127.0.0.1:$PORT" -t 1s; expect_code 41 "a full accept queue: 41"
expect_took 1000 "full accept queue: -t 1s ends in about a second"
stop_peer "$PEER_PID"

start_peer python3 "$FAKE_REDIS" garbage
PORT=${PEER_OUT#ready }
run_preflight redis "127.0.0.1:$PORT"; expect_code 40 "something that is not Redis"
expect_text ERR "not as Redis does" "not Redis is said"
stop_peer "$PEER_PID"

# ---- A resolver that never answers: -t is a hard deadline (README.md), in a namespace of its own

if as_root "a silent resolver on 127.0.0.1:53 in a namespace of its own"; then
	cat >"$WORK/silent-resolver.sh" <<'EOF'
ip link set lo up
printf 'nameserver 127.0.0.1\noptions timeout:30 attempts:5\n' >"$WORK/resolv.conf"
mount --bind "$WORK/resolv.conf" /etc/resolv.conf || exit 99
python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 53))
print("ready", flush=True)
while True:
    s.recv(4096)
' >"$WORK/resolver.out" &
resolver=$!
for i in $(seq 100); do grep -q ready "$WORK/resolver.out" && break; sleep 0.05; done
start=$(date +%s%N)
"$PREFLIGHT" redis never-answered.example:6379 -t 1s
rc=$?
echo "elapsed_ms=$((($(date +%s%N) - start) / 1000000))"
kill "$resolver"
exit $rc
EOF
	run_cmd unshare --mount --net env WORK="$WORK" PREFLIGHT="$PREFLIGHT" bash "$WORK/silent-resolver.sh"
	expect_code 41 "a resolver that never answers: 41"
	expect_text ERR "no answer from the resolver" "the resolver is named as the culprit"
	ELAPSED_MS=$(sed -n 's/^elapsed_ms=//p' <<<"$OUT")
	expect_took 1000 "silent resolver: -t 1s ends in about a second"
fi

stop_peer "$PLAIN_PID"
finish
