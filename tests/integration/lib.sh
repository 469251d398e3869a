# Shared helpers for the integration tests: sourced by tests/integration/test_*.sh.
# Each assertion prints "ok - ..." or "not ok - ..."; the file ends with `finish`, which prints
# the file's "RESULT passed failed" line that run.sh adds up.
set -u
: "${PREFLIGHT:?PREFLIGHT must name the binary under test}"
TESTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PEERS="$TESTS_DIR/peers"
# shellcheck source=../skip.sh
. "$TESTS_DIR/skip.sh"
PASSED=0
FAILED=0
STARTED_PIDS=()
WORK=$(mktemp -d /tmp/preflight-test.XXXXXX)
chmod 755 "$WORK"

cleanup() {
	local pid
	for pid in "${STARTED_PIDS[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${STARTED_PIDS[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	rm -rf "$WORK"
}
trap cleanup EXIT

pass() { PASSED=$((PASSED + 1)); echo "ok - $*"; }
fail() { FAILED=$((FAILED + 1)); echo "not ok - $*"; }

# run_preflight ARGS...: runs the binary, keeps its exit code in RC, stdout in OUT, stderr in ERR
# and the time it took in ELAPSED_MS.
run_preflight() {
	run_cmd "$PREFLIGHT" "$@"
}

# run_cmd CMD ARGS...: as run_preflight, for any command (e.g. setpriv ... "$PREFLIGHT" ...).
run_cmd() {
	local start end
	start=$(date +%s%N)
	"$@" >"$WORK/out" 2>"$WORK/err"
	RC=$?
	end=$(date +%s%N)
	ELAPSED_MS=$(((end - start) / 1000000))
	OUT=$(cat "$WORK/out")
	ERR=$(cat "$WORK/err")
}

# expect_code CODE DESCRIPTION: checks the RC of the last run.
expect_code() {
	if [ "$RC" -eq "$1" ]; then
		pass "$2 (exit $RC)"
	else
		fail "$2: exit $RC, expected $1"
		printf '    stdout: %s\n    stderr: %s\n' "$OUT" "$ERR"
	fi
}

# expect_text WHERE(OUT|ERR) TEXT DESCRIPTION: the last run's output contains TEXT.
expect_text() {
	local where=$1 text=$2 desc=$3 value
	if [ "$where" = OUT ]; then value=$OUT; else value=$ERR; fi
	if [[ "$value" == *"$text"* ]]; then
		pass "$desc"
	else
		fail "$desc: '$text' not in $where"
		printf '    %s: %s\n' "$where" "$value"
	fi
}

# expect_no_text WHERE TEXT DESCRIPTION
expect_no_text() {
	local where=$1 text=$2 desc=$3 value
	if [ "$where" = OUT ]; then value=$OUT; else value=$ERR; fi
	if [[ "$value" != *"$text"* ]]; then
		pass "$desc"
	else
		fail "$desc: '$text' found in $where"
		printf '    %s: %s\n' "$where" "$value"
	fi
}

# expect_clean_line DESCRIPTION: the last run's stderr is one line of at most 1024 characters, no
# raw control character (what every refusal of bad input must print).
expect_clean_line() {
	if [[ "$ERR" != *$'\n'* ]] && ! LC_ALL=C grep -q '[[:cntrl:]]' <<<"$ERR" &&
		[ "${#ERR}" -le 1024 ]; then
		pass "$1: one clean line on stderr (${#ERR} characters)"
	else
		fail "$1: stderr is not one short clean line: $(printf '%q' "${ERR:0:300}")"
	fi
}

# max_rss_kib COMMAND...: the largest resident set COMMAND reached, in KiB (GNU time, from
# wait4's rusage). stdin is inherited; stdout and stderr are discarded. Not python's
# getrusage(RUSAGE_CHILDREN): Linux keeps the peak of the memory a child replaces at exec, and a
# child of python starts as a copy of python, so every command measured ~14 MiB there (preflight
# user: 1.8 MiB).
max_rss_kib() {
	unquarantined /usr/bin/time -f %M -o "$WORK/rss" "$@" >/dev/null 2>&1
	tail -n 1 "$WORK/rss"
}

# SANITIZED: 1 when the binary under test is built with AddressSanitizer (make sanitize,
# SANITIZE=1; it carries __asan_init), else 0; PREFLIGHT_SANITIZED=0|1 says so instead.
if [ -n "${PREFLIGHT_SANITIZED:-}" ]; then
	SANITIZED=$PREFLIGHT_SANITIZED
elif grep -q __asan_init "$PREFLIGHT" 2>/dev/null; then
	SANITIZED=1
else
	SANITIZED=0
fi

# rss_allowance KIB: the memory a test allows over its baseline, KIB for the plain binary, twice
# that under ASan. ASan gives every block a header, redzones and a size class of its own, and
# shadows it: many small live blocks cost it about ten times what they cost the plain binary (the
# parsed 999-check chain of test_bad_chains.sh: 0.6 MiB more than one check plain, 6 MiB more under
# ASan). Tests measure with unquarantined (below), so freed memory does not count.
rss_allowance() {
	if [ "$SANITIZED" = 1 ]; then
		echo $(($1 * 2))
	else
		echo "$1"
	fi
}

# TIME_SLACK: the one factor by which every wall-clock allowance of the tests is multiplied. 1
# for the plain binary, 2 under ASan (SANITIZED), as rss_allowance doubles the memory slack: ASan
# checks every access and allocation, and starts a process more slowly. The environment's
# PREFLIGHT_TIME_SLACK (a whole number) says so instead: tests/sanitize.sh and tests/valgrind.sh
# set it, and the unit tests read the same variable (tests/slack.h).
if [ -n "${PREFLIGHT_TIME_SLACK:-}" ]; then
	TIME_SLACK=$PREFLIGHT_TIME_SLACK
elif [ "$SANITIZED" = 1 ]; then
	TIME_SLACK=2
else
	TIME_SLACK=1
fi
if ! [[ "$TIME_SLACK" =~ ^[1-9][0-9]*$ ]]; then
	echo "PREFLIGHT_TIME_SLACK='$TIME_SLACK' is not a whole number of at least 1" >&2
	exit 2
fi
# TIME_SLACK_MS: how much later than the behaviour under test allows a run may end: starting the
# process, the peers and the other processes of a loaded 2-core machine (600 ms for the plain
# binary), times TIME_SLACK.
TIME_SLACK_MS=$((600 * TIME_SLACK))

# expect_elapsed MIN_MS MAX_MS DESCRIPTION: the last run took at least MIN_MS and at most MAX_MS
# plus TIME_SLACK_MS. MAX_MS is what the behaviour under test allows on an idle machine; the
# machine's slack is added here and nowhere else: every wall-clock assertion goes through here.
# "Answered at once" is not a time: it is asserted by the attempt count ("attempts":1 in --json).
expect_elapsed() {
	local most=$(($2 + TIME_SLACK_MS))
	if [ "$ELAPSED_MS" -ge "$1" ] && [ "$ELAPSED_MS" -le "$most" ]; then
		pass "$3 (${ELAPSED_MS}ms)"
	else
		fail "$3: took ${ELAPSED_MS}ms, expected $1..${most}ms ($2ms and a slack of ${TIME_SLACK_MS}ms)"
	fi
}

# expect_took MS DESCRIPTION: the last run ended at about MS, a deadline it had to reach: not
# more than 100 ms before it (the clocks' and the spans' rounding), not later than expect_elapsed
# allows.
expect_took() {
	expect_elapsed $(($1 - 100)) "$1" "$2"
}

# expect_attempts TEST N DESCRIPTION: every --json line of the last run counted attempts TEST N
# (TEST as test(1) takes it: -eq, -gt). "expect_attempts -eq 1" under --wait is how a test says
# a check answered at once: not retried, whatever the time it took.
expect_attempts() {
	local counts n ok=1
	counts=$(grep -o '"attempts":[0-9]*}' <<<"$OUT" | tr -dc '0-9\n')
	[ -n "$counts" ] || ok=0
	for n in $counts; do test "$n" "$1" "$2" || ok=0; done
	if [ "$ok" = 1 ]; then
		pass "$3 (attempts: ${counts//$'\n'/ })"
	else
		fail "$3: attempts '${counts//$'\n'/ }', expected $1 $2"
		printf '    stdout: %s\n' "$OUT"
	fi
}

# unquarantined CMD...: runs CMD so that a sanitized preflight's memory can be measured. ASan
# (make sanitize, SANITIZE=1) keeps every freed block in a quarantine, up to 256 MiB, to catch a
# use after free: that memory is ASan's, grows with the number of allocations (a 999-check chain:
# 35 MiB against 8 MiB for one check; without quarantine 11 MiB; the plain binary 2.4 MiB), and
# says nothing of whether preflight's own memory is bounded. The same holds for the frames that
# detect_stack_use_after_return keeps: ASan hands each call a fresh frame of a fake stack, round
# robin, so the pages it touches grow with the number of calls, not their depth (the 999-check
# chain: 17 MiB with it, 11.8 MiB without). Runs that measure memory keep neither; ASan still
# checks every access and leak, and the bounds stay those of the plain binary. Harmless for a
# binary built without sanitizers, which reads no ASAN_OPTIONS.
unquarantined() {
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0:detect_stack_use_after_return=0" "$@"
}

# no_leak_check CMD...: runs CMD without LeakSanitizer, for the runs under strace: LSan stops the
# process's threads with ptrace to scan them, which it cannot do while strace traces it (it would
# end a sanitized preflight with a fatal error). The same checks run untraced, with the leak check,
# all through the suite. Harmless for a binary built without sanitizers.
no_leak_check() {
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" "$@"
}

# free_port [tcp|udp]: a port nothing listens on right now (the kernel picks it).
free_port() {
	python3 "$PEERS/freeport.py" "${1:-tcp}"
}

# start_peer CMD ARGS...: starts a helper process in the background, waits until it prints
# "ready" on stdout (5 s at most), and remembers its PID for cleanup. PEER_PID is set.
start_peer() {
	local fifo="$WORK/peer.$RANDOM.out" i
	"$@" >"$fifo" 2>"$WORK/peer.err" &
	PEER_PID=$!
	STARTED_PIDS+=("$PEER_PID")
	for i in $(seq 100); do
		if grep -q '^ready' "$fifo" 2>/dev/null; then
			PEER_OUT=$(cat "$fifo")
			return 0
		fi
		if ! kill -0 "$PEER_PID" 2>/dev/null; then break; fi
		sleep 0.05
	done
	echo "# peer did not start: $*" >&2
	cat "$WORK/peer.err" >&2
	return 1
}

stop_peer() {
	kill "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

# as_nobody CMD...: runs CMD as an unprivileged user with no capabilities.
as_nobody() {
	setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all -- "$@"
}

# skip_case WHY: one case of this file cannot run here: tests/skip.sh's banner, and under CI a
# failure.
skip_case() {
	skipped "$(basename "$0")" "$*" || fail "$(basename "$0") skipped a case, and CI is set: $*"
}

# skip_file WHY: the rest of this file cannot run here: as skip_case, then the file ends (with
# status 1 under CI).
skip_file() {
	skip_case "$@"
	finish
	exit
}

# require_root WHY: the rest of this file needs root.
require_root() {
	[ "$(id -u)" -eq 0 ] || skip_file "needs root for: $*"
}

finish() {
	echo "RESULT $PASSED $FAILED"
	[ "$FAILED" -eq 0 ]
}

# start_redis NAME ARGS...: a redis-server of our own on loopback; REDIS_PID is set.
start_redis() {
	local name=$1
	shift
	redis-server --bind 127.0.0.1 --save '' --appendonly no --daemonize no --dir "$WORK" \
		--logfile "$WORK/redis-$name.log" "$@" >/dev/null 2>&1 &
	REDIS_PID=$!
	STARTED_PIDS+=("$REDIS_PID")
}

# wait_redis REDIS-CLI-ARGS...: until the server answers anything (PONG, NOAUTH, ...), 5 s at most.
wait_redis() {
	local i out
	for i in $(seq 100); do
		out=$(redis-cli "$@" ping 2>&1)
		if [ -n "$out" ] && [[ "$out" != *"Could not connect"* ]]; then return 0; fi
		sleep 0.05
	done
	echo "# redis-server did not come up: redis-cli $*" >&2
	return 1
}

# sql SOCKET STATEMENTS (MariaDB): runs SQL as root through the server's unix socket.
sql() {
	mariadb --no-defaults -S "$1" -uroot -N -B -e "$2"
}

# start_mariadb NAME ARGS...: a MariaDB of our own in $WORK/mdb-NAME, on a free port of
# ${MDB_BIND:-127.0.0.1} and a socket there; MDB_PORT, MDB_SOCK and MDB_PID are set. Waits until
# it answers (20 s).
start_mariadb() {
	local name=$1 dir=$WORK/mdb-$1 i
	shift
	mkdir -p "$dir" && chown mysql:mysql "$dir"
	if ! setpriv --reuid=mysql --regid=mysql --clear-groups -- mariadb-install-db --no-defaults --datadir="$dir/data" \
		--auth-root-authentication-method=normal --skip-test-db --skip-name-resolve \
		>"$dir/install.log" 2>&1; then
		cat "$dir/install.log" >&2
		return 1
	fi
	MDB_PORT=$(free_port)
	MDB_SOCK=$dir/mysqld.sock
	# setpriv execs mariadbd: $! is the server's own PID, which cleanup and stop_mariadb end.
	setpriv --reuid=mysql --regid=mysql --clear-groups -- mariadbd --no-defaults --datadir="$dir/data" --socket="$MDB_SOCK" \
		--port="$MDB_PORT" --bind-address="${MDB_BIND:-127.0.0.1}" --pid-file="$dir/mysqld.pid" \
		--log-error="$dir/error.log" --skip-name-resolve --innodb-buffer-pool-size=16M \
		"$@" >/dev/null 2>&1 &
	MDB_PID=$!
	STARTED_PIDS+=("$MDB_PID")
	for i in $(seq 200); do
		sql "$MDB_SOCK" 'SELECT 1' >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "# mariadbd $name did not come up" >&2
	cat "$dir/error.log" >&2
	return 1
}

# stop_mariadb PID: SIGTERM, then waits for it to end.
stop_mariadb() {
	kill "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

# Runs COMMAND where the library files named (sonames or paths, space separated) do not exist, as
# on a host without their package: in a private mount namespace, each one's directory gets an
# overlay whose upper layer holds a whiteout for the name and for the file it links to. Root
# only. (An empty file bind-mounted over a library is not that: the loader finds a file it
# cannot map, which is an installed library that cannot be loaded.)
without_libraries() { # "LIBRARY..." COMMAND...
	local libs=$1 hidden=$WORK/hidden-libraries
	shift
	rm -rf "$hidden"
	local lib path dir
	for lib in $libs; do
		path=$lib
		[[ "$lib" == /* ]] || path=$(ldconfig -p | awk -v n="$lib" '$1 == n { print $NF; exit }')
		[ -n "$path" ] || continue
		for f in "$path" "$(readlink -f "$path")"; do
			dir=$hidden/$(dirname "$f" | tr / _)
			mkdir -p "$dir/upper" "$dir/work"
			echo "$(dirname "$f")" >"$dir/lower"
			[ -e "$dir/upper/$(basename "$f")" ] || mknod "$dir/upper/$(basename "$f")" c 0 0
		done
	done
	unshare --mount --propagation private -- /bin/bash -c '
		for dir in "$0"/*/; do
			[ -d "$dir" ] || continue
			mount -t overlay overlay -o "lowerdir=$(cat "$dir/lower"),upperdir=$dir/upper,workdir=$dir/work" "$(cat "$dir/lower")" || exit 125
		done
		exec "$@"' "$hidden" "$@"
}
