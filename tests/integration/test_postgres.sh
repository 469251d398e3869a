#!/bin/bash
# The postgres check against real PostgreSQL 15 servers started here once (a primary, a
# standby made with pg_basebackup -R, and a standby with hot_standby = off, which refuses
# logins with 57P03) on free loopback ports, as the postgres user (or the user running the
# tests) in a temporary directory; and against tests/peers/fake_postgres.py for what a real
# server cannot be made to do on demand (silence, a dripping login, garbage).
# Every code the check gives: 0, 2, 5 (test_libraries.sh style), 80, 81, 82, 83.
. "$(dirname "$0")/lib.sh"

FILE_SECRET='pgfile-Kd29-never-shown'
# PGBIN, SECRET, PORT, SOCK, as_pg, start_pg, psql_su: a primary started once for this file.
. "$(dirname "$0")/postgres_server.sh"
printf '%s\n' "$SECRET" >"$WORK/pw"
printf '%s\n' "$FILE_SECRET" >"$WORK/wrong-pw"
chmod 644 "$WORK/pw" "$WORK/wrong-pw"

# expect_secret_hidden DESCRIPTION: neither password appears in stdout or stderr of the last run.
expect_secret_hidden() {
	expect_no_text OUT "$SECRET" "$1: password not on stdout"
	expect_no_text ERR "$SECRET" "$1: password not on stderr"
	expect_no_text OUT "$FILE_SECRET" "$1: file password not on stdout"
	expect_no_text ERR "$FILE_SECRET" "$1: file password not on stderr"
}
APP=(--user app --dbname appdb)

# ---- Usage errors: exit 2, the argument named, never a password --------------------------

run_preflight postgres --help; expect_code 0 "postgres --help"
for opt in --user --dbname --password-file --role --sslmode --sslrootcert --ping; do
	expect_text OUT "$opt" "--help lists $opt"
done
run_preflight postgres; expect_code 2 "postgres without a target"
run_preflight postgres 127.0.0.1:99999; expect_code 2 "port out of range"
expect_text ERR "'127.0.0.1:99999'" "the bad target is named"
run_preflight postgres "mysql://app:$SECRET@127.0.0.1/"; expect_code 2 "another scheme"
expect_text ERR "'mysql://...'" "the scheme is named, nothing after it"
expect_secret_hidden "another scheme"
run_preflight postgres "app:$SECRET@127.0.0.1"; expect_code 2 "user:pass@ without a scheme"
expect_secret_hidden "user:pass@ without a scheme"
run_preflight postgres "host=127.0.0.1 password=$SECRET"; expect_code 2 "a keyword=value string"
expect_secret_hidden "a keyword=value string"
run_preflight postgres "postgresql://app:${SECRET}%zz@127.0.0.1:$PORT/appdb"
expect_code 2 "a URI whose password has a bad %-escape (libpq refuses it)"
expect_text ERR "percent-encoded" "libpq's reason is given"
expect_secret_hidden "a bad %-escape in the password"
run_preflight postgres "postgresql://app@127.0.0.1:$PORT/appdb?password=${SECRET}%zz"
expect_code 2 "a bad %-escape in password= of the query"
expect_secret_hidden "a bad %-escape in password="
run_preflight postgres "postgresql://app:$SECRET@h1,h2/appdb"; expect_code 2 "two hosts in a URI"
expect_text ERR "one host per target" "... one host per target"
expect_secret_hidden "two hosts in a URI"
run_preflight postgres "postgresql://app:$SECRET@127.0.0.1:99999/appdb"; expect_code 2 "a URI with a bad port"
expect_secret_hidden "a URI with a bad port"
run_preflight postgres "postgresql://127.0.0.1/appdb?service=x"; expect_code 2 "service= is refused"
run_preflight postgres unix:relative; expect_code 2 "a relative socket directory"
run_preflight postgres 127.0.0.1 --role boss; expect_code 2 "--role boss"
run_preflight postgres 127.0.0.1 --sslmode maybe; expect_code 2 "--sslmode maybe"
run_preflight postgres 127.0.0.1 --sslrootcert "$WORK/none.crt"; expect_code 2 "--sslrootcert missing"
run_preflight postgres 127.0.0.1 --password-file "$WORK/missing"; expect_code 2 "--password-file missing"
expect_text ERR "$WORK/missing" "--password-file names the file"
: >"$WORK/empty"
run_preflight postgres 127.0.0.1 --password-file "$WORK/empty"; expect_code 2 "--password-file empty"
run_preflight postgres 127.0.0.1 --user $'a\nb'; expect_code 2 "--user with a newline"
expect_clean_line "--user with a newline"
run_preflight run --dry-run - <<<"postgres postgresql://app:$SECRET@127.0.0.1:$PORT/appdb"
expect_code 0 "a chain line with a URI passes --dry-run"
expect_secret_hidden "--dry-run"

# ---- Passes: TCP, a unix socket, URIs, every password source ------------------------------

run_preflight postgres "127.0.0.1:$PORT" "${APP[@]}" --password-file "$WORK/pw" -v
expect_code 0 "TCP with --password-file"
expect_text ERR "accepts app@appdb (primary, PostgreSQL 15." "the message names login, role, version"
expect_text ERR "password from --password-file" "-v says where the password came from"
expect_secret_hidden "TCP, -v"
run_cmd env PGPORT="$PORT" "$PREFLIGHT" postgres "unix:$SOCK" "${APP[@]}" --password-file "$WORK/pw"
expect_code 0 "unix:/DIR (the port from PGPORT)"
run_preflight postgres "postgresql://app:$SECRET@127.0.0.1:$PORT/appdb" --json -v
expect_code 0 "postgresql://USER:PASS@HOST:PORT/DB"
expect_text OUT "\"target\":\"postgresql://app:***@127.0.0.1:$PORT/appdb\"" "JSON target hides the password"
expect_text ERR "can be read by other users" "a password in the URI warns"
expect_secret_hidden "URI with a password, --json -v"
run_preflight postgres "postgres://app:$SECRET@localhost:$PORT/appdb"
expect_code 0 "postgres:// and a name (localhost through the bounded resolver)"
run_preflight postgres "postgresql://app@/appdb?host=$SOCK&port=$PORT" --password-file "$WORK/pw"
expect_code 0 "a URI naming the socket directory"
run_cmd env PGPASSWORD="$SECRET" "$PREFLIGHT" postgres "127.0.0.1:$PORT" "${APP[@]}" -v --json
expect_code 0 "PGPASSWORD"; expect_secret_hidden "PGPASSWORD"
echo "127.0.0.1:$PORT:appdb:app:$SECRET" >"$WORK/passfile"
chmod 600 "$WORK/passfile"
run_cmd env PGPASSFILE="$WORK/passfile" "$PREFLIGHT" postgres "127.0.0.1:$PORT" "${APP[@]}" -v
expect_code 0 "PGPASSFILE"; expect_secret_hidden "PGPASSFILE"
mkdir -p "$WORK/home"
cp "$WORK/passfile" "$WORK/home/.pgpass"
run_cmd env HOME="$WORK/home" "$PREFLIGHT" postgres "127.0.0.1:$PORT" "${APP[@]}" -v
expect_code 0 "~/.pgpass"; expect_secret_hidden "~/.pgpass"
run_cmd env PGUSER=app PGDATABASE=appdb PGPASSWORD="$SECRET" PGPORT="$PORT" "$PREFLIGHT" postgres 127.0.0.1
expect_code 0 "PGUSER, PGDATABASE and PGPORT, as libpq reads them"
expect_text ERR "127.0.0.1:$PORT accepts app@appdb" "the port shown is PGPORT's"
run_preflight postgres "127.0.0.1:$PORT" "${APP[@]}" --password-file "$WORK/pw" --role primary
expect_code 0 "--role primary on the primary"

# ---- Denied (83): never retried ------------------------------------------------------------

run_preflight postgres "127.0.0.1:$PORT" "${APP[@]}" --password-file "$WORK/wrong-pw" -v --json --wait -t 5s
expect_code 83 "a wrong password (28P01)"; expect_text OUT "28P01" "the SQLSTATE is given"
expect_text OUT "ALTER ROLE" "the fix says ALTER ROLE"
expect_attempts -eq 1 "denied is not retried under --wait"
expect_secret_hidden "a wrong password, -v --json"
run_preflight postgres "postgresql://app:wrong-$SECRET@127.0.0.1:$PORT/appdb" -v --json
expect_code 83 "a wrong password in the URI"; expect_secret_hidden "a wrong URI password"
run_preflight postgres "127.0.0.1:$PORT" --user ghost --dbname appdb --password-file "$WORK/pw"
expect_code 83 "no such role"
run_preflight postgres "127.0.0.1:$PORT" --user app --dbname nodb --password-file "$WORK/pw"
expect_code 83 "no such database (3D000)"; expect_text ERR "3D000" "... 3D000"
expect_text ERR "createdb -O app nodb" "the fix is createdb"
run_preflight postgres "127.0.0.1:$PORT" --user stranger --dbname appdb --password-file "$WORK/pw"
expect_code 83 "no pg_hba.conf line (28000)"
expect_text ERR "host appdb stranger 127.0.0.1/32 scram-sha-256" "the fix is the pg_hba.conf line to add"
run_preflight postgres "127.0.0.1:$PORT" --user banned --dbname appdb --password-file "$WORK/pw"
expect_code 83 "a pg_hba.conf reject line (28000)"; expect_text ERR "reject" "... named"
run_preflight postgres "127.0.0.1:$PORT" "${APP[@]}"
expect_code 83 "no password at all"; expect_text ERR "no password supplied" "... libpq's words"
run_preflight postgres "127.0.0.1:$PORT" "${APP[@]}" --password-file "$WORK/pw" --sslmode require
expect_code 83 "TLS required, the server has none"

# ---- --ping: the server answered, whatever it said about the login ---------------------------

run_preflight postgres "127.0.0.1:$PORT" "${APP[@]}" --password-file "$WORK/wrong-pw" --ping
expect_code 0 "--ping passes on a wrong password"; expect_text ERR "answers" "... answers"
expect_secret_hidden "--ping"
run_preflight postgres "127.0.0.1:$PORT" --ping; expect_code 0 "--ping without any password"

# ---- Unreachable (80) ---------------------------------------------------------------------

REFUSED=$(free_port)
run_preflight postgres "127.0.0.1:$REFUSED"; expect_code 80 "a refused port"
run_preflight postgres "127.0.0.1:$REFUSED" --ping; expect_code 80 "--ping on a refused port"
run_cmd env PGPORT="$REFUSED" "$PREFLIGHT" postgres "unix:$SOCK"; expect_code 80 "no socket in the directory"
run_preflight postgres "127.0.0.1:$REFUSED" --wait -t 1s -i 200ms --json
expect_code 80 "--wait on a refused port ends at the deadline"; expect_attempts -gt 1 "... retried"
if [ "$(id -u)" -eq 0 ]; then
	run_cmd "$PEERS/with_silent_resolver.sh" --refused "$PREFLIGHT" postgres never.preflight.test
	expect_code 80 "an unresolvable name"
	expect_text ERR "never.preflight.test" "... named"
else
	skip_case "with_silent_resolver.sh needs root (unshare --mount)"
fi

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
run_cmd env NOTIFY_SOCKET="$WORK/notify.sock" "$PREFLIGHT" postgres \
	"postgresql://app:$SECRET@127.0.0.1:$REFUSED/appdb" --wait -t 1s -i 100ms
expect_code 80 "waiting with NOTIFY_SOCKET"
sleep 0.1
NOTIFIED=$(cat "$WORK/notify.log" 2>/dev/null)
[[ "$NOTIFIED" == *"postgresql://app:***@127.0.0.1:$REFUSED/appdb"* ]] && pass "STATUS= names the URI with ***" ||
	fail "STATUS= lines: $NOTIFIED"
[[ "$NOTIFIED" != *"$SECRET"* ]] && pass "STATUS= never shows the password" || fail "STATUS= shows the password"
stop_peer "$PEER_PID"
# The journal: stderr with <N> priorities when JOURNAL_STREAM names it; the same words.
JSTREAM=$(stat -c '%d:%i' "$WORK/err" 2>/dev/null || echo 0:0)
run_cmd env JOURNAL_STREAM="$JSTREAM" "$PREFLIGHT" postgres "postgresql://app:wrong-$SECRET@127.0.0.1:$PORT/appdb" -v
expect_code 83 "with JOURNAL_STREAM"; expect_secret_hidden "the journal's lines"

# ---- Not ready (82): too many connections, the wrong role, a standby that refuses logins -----

# Four holders take the four non-superuser slots. A backend of an earlier login that is still
# going (exiting, or in authentication under a slow sanitized binary) takes a slot too: the
# holder it kept out exits at once, and another is started in its place until four are in.
app_backends() { psql_su "$PORT" "SELECT count(*) FROM pg_stat_activity WHERE usename = 'app'${1:-}"; }
holders_in() { app_backends " AND query LIKE 'SELECT pg_sleep%'"; }
HOLDERS=()
for i in $(seq 600); do # up to 30 s: psql starts slowly on a loaded machine
	[ "$(holders_in)" = 4 ] && break
	live=0
	for pid in "${HOLDERS[@]}"; do kill -0 "$pid" 2>/dev/null && live=$((live + 1)); done
	for ((; live < 4; live++)); do
		PGPASSWORD="$SECRET" psql -qAt -h 127.0.0.1 -p "$PORT" -U app -d appdb \
			-c 'SELECT pg_sleep(60)' >/dev/null 2>&1 &
		HOLDERS+=($!)
	done
	sleep 0.05
done
[ "$(holders_in)" = 4 ] ||
	fail "the four connections that take every slot are not all in: $(app_backends) app backends"
run_preflight postgres "127.0.0.1:$PORT" "${APP[@]}" --password-file "$WORK/pw" --wait -t 1s -i 200ms --json
expect_code 82 "every non-superuser slot taken (53300)"; expect_text OUT "53300" "... 53300"
expect_text OUT "max_connections" "the fix names max_connections"
expect_attempts -gt 1 "too many connections is retried under --wait"
for pid in "${HOLDERS[@]}"; do kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done
psql_su "$PORT" "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'app'" >/dev/null

STANDBY=$(free_port)
as_pg "$PGBIN/pg_basebackup" -h "$SOCK" -p "$PORT" -U postgres -D "$PGDIR/standby" -R -X stream >/dev/null 2>&1 &&
	start_pg standby "$STANDBY" -c hot_standby=on || fail "the standby did not start"
COLD=$(free_port)
as_pg "$PGBIN/pg_basebackup" -h "$SOCK" -p "$PORT" -U postgres -D "$PGDIR/cold" -R -X stream >/dev/null 2>&1 &&
	start_pg cold "$COLD" -c hot_standby=off || fail "the cold standby did not start"
run_preflight postgres "127.0.0.1:$STANDBY" "${APP[@]}" --password-file "$WORK/pw" --role standby
expect_code 0 "--role standby on the standby"; expect_text ERR "(standby, PostgreSQL 15." "... named a standby"
run_preflight postgres "127.0.0.1:$STANDBY" "${APP[@]}" --password-file "$WORK/pw" --role primary
expect_code 82 "--role primary on the standby"; expect_text ERR "is a standby, not a primary" "... says so"
run_preflight postgres "127.0.0.1:$PORT" "${APP[@]}" --password-file "$WORK/pw" --role standby
expect_code 82 "--role standby on the primary"
run_preflight postgres "127.0.0.1:$STANDBY" "${APP[@]}" --password-file "$WORK/pw"
expect_code 0 "no --role: the standby passes"; expect_text ERR "standby" "... and is named one (in_hot_standby)"
run_preflight postgres "127.0.0.1:$COLD" "${APP[@]}" --password-file "$WORK/pw"
expect_code 82 "a standby with hot_standby = off (57P03)"; expect_text ERR "57P03" "... 57P03"
run_preflight postgres "127.0.0.1:$COLD" "${APP[@]}" --password-file "$WORK/pw" --wait -t 1s -i 200ms --json
expect_code 82 "57P03 under --wait"; expect_attempts -gt 1 "... retried until the deadline"
expect_took 1000 "... which it ends at"
run_preflight postgres "127.0.0.1:$COLD" --ping; expect_code 82 "--ping: 57P03 is not up (as pg_isready)"

# ---- The wrapper and a chain ----------------------------------------------------------------

run_preflight postgres "127.0.0.1:$PORT" "${APP[@]}" --password-file "$WORK/pw" -- sh -c 'echo started'
expect_code 0 "the wrapper runs the command once the login passes"; expect_text OUT started "... it ran"
run_preflight postgres "127.0.0.1:$PORT" "${APP[@]}" --password-file "$WORK/wrong-pw" -- sh -c 'echo started'
expect_code 83 "the wrapper does not run it when denied"; expect_no_text OUT started "... it did not run"
cat >"$WORK/chain.conf" <<CHAIN
defaults --timeout 3s
postgres postgresql://app@127.0.0.1:$PORT/appdb --password-file $WORK/pw --role primary
postgres unix:$SOCK --user app --dbname nodb --password-file $WORK/pw
CHAIN
run_cmd env PGPORT="$PORT" "$PREFLIGHT" run "$WORK/chain.conf" --keep-going --json
expect_code 83 "a chain: the first postgres line passes, the second is denied"
expect_text OUT '"code":0' "... the first line passed"

# ---- Hostile peers: the deadline holds, memory stays bounded --------------------------------

start_peer python3 "$PEERS/fake_postgres.py" silent; SILENT=${PEER_OUT#ready }
run_preflight postgres "127.0.0.1:$SILENT" -t 1s
expect_code 81 "a server that accepts and never answers"; expect_took 1000 "... ends at -t 1s"
SILENT_MS=$ELAPSED_MS
run_preflight postgres "127.0.0.1:$SILENT" -t 1s --ping; expect_code 81 "--ping, a silent server"
start_peer python3 "$PEERS/fake_postgres.py" drip; DRIP=${PEER_OUT#ready }
run_preflight postgres "127.0.0.1:$DRIP" -t 1s; expect_code 81 "a dripping login"
expect_took 1000 "... ends at -t 1s"
BASE=$(max_rss_kib "$PREFLIGHT" postgres "127.0.0.1:$REFUSED")
DRIP_RSS=$(max_rss_kib "$PREFLIGHT" postgres "127.0.0.1:$DRIP" -t 1500ms)
[ "$DRIP_RSS" -le $((BASE + $(rss_allowance 2048))) ] && pass "a dripping login: ${DRIP_RSS} KiB (refused: ${BASE} KiB)" ||
	fail "a dripping login took ${DRIP_RSS} KiB, refused ${BASE} KiB"
start_peer python3 "$PEERS/fake_postgres.py" garbage; GARBAGE=${PEER_OUT#ready }
run_preflight postgres "127.0.0.1:$GARBAGE" -t 2s; expect_code 80 "garbage (an HTTP server) is not PostgreSQL"
run_preflight postgres "127.0.0.1:$GARBAGE" -t 2s --ping; expect_code 80 "--ping: garbage is not up"
if [ "$(id -u)" -eq 0 ]; then
	run_cmd "$PEERS/with_silent_resolver.sh" "$PREFLIGHT" postgres never.preflight.test -t 1s
	expect_code 81 "a resolver that never answers"; expect_took 1000 "... ends at -t 1s"
	run_cmd "$PEERS/with_silent_resolver.sh" "$PREFLIGHT" postgres never.preflight.test --wait -t 1s -i 100ms
	expect_code 81 "... under --wait too"; expect_took 1000 "... at -t 1s"
else
	skip_case "with_silent_resolver.sh needs root (unshare --mount)"
fi
echo "# a silent server with -t 1s ended after ${SILENT_MS} ms"

# ---- Start-up: only postgres loads libpq -----------------------------------------------------

loads() { # LIBRARY COMMAND...: how many times the loader opened LIBRARY
	local lib=$1
	shift
	LD_DEBUG=files "$@" 2>&1 >/dev/null | grep -c "file=$lib"
}
for c in "user root" "port $REFUSED" "cap net_bind_service"; do
	# shellcheck disable=SC2086
	n=$(loads libpq "$PREFLIGHT" $c); [ "$n" -eq 0 ] && pass "$c does not load libpq" || fail "$c loads libpq ($n)"
done
n=$(loads libpq "$PREFLIGHT" postgres "127.0.0.1:$REFUSED"); [ "$n" -gt 0 ] && pass "postgres does (the probe sees it)" ||
	fail "the probe saw no libpq for postgres"

# ---- exit-codes, explain, completion -------------------------------------------------------

for code in 80 81 82 83; do
	run_preflight explain "$code"; expect_code 0 "explain $code"
	expect_text OUT "POSTGRES_" "explain $code names the postgres code"
done
run_preflight exit-codes
expect_text OUT "RestartPreventExitStatus=2 5 6 10 11 21 30 31 32 43 54 83 93 101 102 123" "83 is permanent: in RestartPreventExitStatus="
if [ -r /usr/share/bash-completion/bash_completion ]; then
	COMPLETED=$(bash -c '. /usr/share/bash-completion/bash_completion
		. <("$1" completion bash)
		COMP_WORDS=("$1" postgres 127.0.0.1 --role ""); COMP_CWORD=4; COMP_LINE="${COMP_WORDS[*]}"
		COMP_POINT=${#COMP_LINE}; _preflight; echo "${COMPREPLY[*]}"' _ "$PREFLIGHT")
	[ "$COMPLETED" = "primary standby" ] && pass "completion: postgres --role offers primary standby" ||
		fail "completion: postgres --role offers '$COMPLETED'"
else
	skip_case "bash-completion is not installed"
fi

# ---- libpq absent (5) or installed but unloadable (1) ---------------------------------------

mkdir -p "$WORK/broken"
printf 'not a shared object\n' >"$WORK/broken/libpq.so.5"
run_cmd env LD_LIBRARY_PATH="$WORK/broken" "$PREFLIGHT" postgres "127.0.0.1:$PORT"
expect_code 1 "a broken libpq.so.5 first on the loader's path: 1, not 5"
expect_text ERR "libpq is installed but cannot be loaded: " "... says installed but not loadable"
expect_text ERR "$WORK/broken/libpq.so.5: file too short" "... in the loader's words"
expect_no_text ERR "apt-get install" "... no package to install"
if [ "$(id -u)" -eq 0 ]; then
	run_cmd without_libraries libpq.so.5 "$PREFLIGHT" postgres "127.0.0.1:$PORT" --wait -t 5s
	expect_code 5 "no libpq installed: 5"
	expect_text ERR "apt-get install libpq5" "... and the package is named"
	expect_elapsed 0 1000 "... at once, not retried"
	run_cmd without_libraries libpq.so.5 "$PREFLIGHT" user root
	expect_code 0 "without libpq, the user check still runs"
else
	skip_case "without_libraries needs root"
fi

finish
