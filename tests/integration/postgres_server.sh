# Sourced after lib.sh by test_postgres.sh and tests/valgrind.sh: a real PostgreSQL 15 primary
# on a free loopback port and a socket directory in $WORK, as the postgres user when run as root
# (initdb refuses root), else as the user running the tests; stopped (pg_ctl stop, by its data
# directory) when the sourcing script exits. Sets PGBIN, SECRET (app's password), PORT, SOCK,
# PGDIR; roles app (owning appdb), stranger (no pg_hba.conf line) and banned (a reject line).
PGBIN=/usr/lib/postgresql/15/bin
if [ ! -x "$PGBIN/initdb" ] || ! command -v psql >/dev/null; then
	fail "PostgreSQL 15 is needed (make deps installs postgresql-15)"
	finish
	exit 1
fi

SECRET='pg-Vq73-never-shown'
PGDIR=$WORK/pg
mkdir -p "$PGDIR"
SOCK=$PGDIR/sock
mkdir -p "$SOCK"
# As root, the servers run as the postgres user (initdb refuses root); otherwise as ourselves.
if [ "$(id -u)" -eq 0 ]; then
	chown postgres: "$PGDIR" "$SOCK"
	as_pg() { runuser -u postgres -- "$@"; }
else
	as_pg() { "$@"; }
fi
SERVERS=()

stop_servers() {
	local dir
	for dir in "${SERVERS[@]}"; do
		as_pg "$PGBIN/pg_ctl" -D "$dir" -m immediate stop >/dev/null 2>&1 || true
	done
	cleanup # the sourcing script's own
}
trap stop_servers EXIT

# start_pg NAME PORT OPTIONS: starts the server in $PGDIR/NAME, waits until it is up (or,
# with -W, only until its postmaster runs: a standby that never accepts logins).
start_pg() {
	local name=$1 port=$2 wait=-w
	shift 2
	[ "${1:-}" = -W ] && { wait=-W; shift; }
	SERVERS+=("$PGDIR/$name")
	as_pg "$PGBIN/pg_ctl" -D "$PGDIR/$name" -l "$PGDIR/$name.log" $wait -t 30 \
		-o "-p $port -k $SOCK -c listen_addresses=127.0.0.1 $*" start >/dev/null
}

psql_su() { # PORT SQL
	as_pg psql -qAt -h "$SOCK" -p "$1" -U postgres -d postgres -c "$2"
}

PORT=$(free_port)
as_pg "$PGBIN/initdb" -D "$PGDIR/primary" -U postgres -A trust --no-sync >/dev/null ||
	{ fail "initdb"; finish; exit 1; }
cat >"$PGDIR/primary/pg_hba.conf" <<HBA
local   all          postgres                    trust
local   replication  all                         trust
local   all          all                         scram-sha-256
host    replication  postgres    127.0.0.1/32    trust
host    all          postgres    127.0.0.1/32    trust
host    all          banned      127.0.0.1/32    reject
host    all          app,ghost,banned   127.0.0.1/32    scram-sha-256
HBA
start_pg primary "$PORT" -c fsync=off -c max_connections=8 -c superuser_reserved_connections=4 \
	-c max_wal_senders=4 || { fail "the primary did not start"; finish; exit 1; }
for sql in "CREATE ROLE app LOGIN PASSWORD '$SECRET'" "CREATE DATABASE appdb OWNER app" \
	"CREATE ROLE stranger LOGIN PASSWORD '$SECRET'" "CREATE ROLE banned LOGIN PASSWORD '$SECRET'"; do
	psql_su "$PORT" "$sql" >/dev/null || fail "setting up: $sql"
done
