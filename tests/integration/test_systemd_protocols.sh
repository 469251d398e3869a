#!/bin/bash
# How preflight talks to systemd without systemd: STATUS= datagrams on a unix socket the test
# binds (path and abstract names), and <N> priority prefixes when JOURNAL_STREAM names stderr
# (a file, then a real unix stream socket as journald uses). Under real systemd: tests/systemd/.
. "$(dirname "$0")/lib.sh"

NOTIFY_LOG="$WORK/notify.log"

# wait_for_log TEXT: waits (2 s at most) until the listener has written a line containing TEXT.
wait_for_log() {
	local i
	for i in $(seq 40); do
		grep -qF -- "$1" "$NOTIFY_LOG" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

# run_notified SOCKET ARGS...: runs preflight with NOTIFY_SOCKET=SOCKET in the background so
# that its PID is known (MAIN_PID), then as run_preflight.
run_notified() {
	local sock=$1 start end
	shift
	start=$(date +%s%N)
	NOTIFY_SOCKET=$sock "$PREFLIGHT" "$@" >"$WORK/out" 2>"$WORK/err" &
	MAIN_PID=$!
	wait "$MAIN_PID"
	RC=$?
	end=$(date +%s%N)
	ELAPSED_MS=$(((end - start) / 1000000))
	OUT=$(cat "$WORK/out")
	ERR=$(cat "$WORK/err")
}

# ---- STATUS= on a socket named by a path --------------------------------------------------------
SOCK="$WORK/notify.sock"
start_peer python3 "$PEERS/notify_listener.py" "$SOCK" "$NOTIFY_LOG" || exit 1
LISTENER=$PEER_PID

# An inverted user check under --wait retries until its deadline: a check that waits, needing
# nothing from the network.
run_notified "$SOCK" user root --invert --wait -t 1s -i 200ms
expect_code 10 "a waiting check under NOTIFY_SOCKET still exits with its code"
expect_took 1000 "and ends by its deadline"
wait_for_log "pid=$MAIN_PID STATUS=" || true
log=$(cat "$NOTIFY_LOG")
waits=$(grep -c "^pid=$MAIN_PID STATUS=preflight: waiting for user root, attempt " "$NOTIFY_LOG")
[ "$waits" -ge 3 ] && pass "STATUS= names the check, the target and the attempt ($waits datagrams)" ||
	fail "expected at least 3 STATUS= waiting datagrams, got $waits: $log"
grep -q "^pid=$MAIN_PID STATUS=preflight: waiting for user root, attempt 2, [0-9.]*m\?s of 1.0s$" "$NOTIFY_LOG" &&
	pass "STATUS= says the time spent and the deadline ('attempt 2, ...ms of 1.0s')" ||
	fail "no 'attempt 2, TIME of 1.0s' in: $log"
last=$(grep "^pid=$MAIN_PID " "$NOTIFY_LOG" | tail -1)
[ "$last" = "pid=$MAIN_PID STATUS=" ] && pass "the last datagram clears STATUS= for the service" ||
	fail "last datagram is '$last', expected an empty STATUS="
others=$(grep -vc "^pid=$MAIN_PID " "$NOTIFY_LOG")
[ "$others" -eq 0 ] && pass "every datagram comes from the main PID (NotifyAccess=main accepts it)" ||
	fail "$others datagrams from another PID: $log"
expect_no_text ERR "STATUS" "STATUS= goes to the socket, not to stderr"
grep -q "READY=1" "$NOTIFY_LOG" && fail "preflight sent READY=1" ||
	pass "preflight never sends READY=1"
attempt_numbers=$(grep -o "attempt [0-9]*" "$NOTIFY_LOG" | awk '{print $2}' | tr '\n' ' ')
[[ "$attempt_numbers" == "1 2 3 "* ]] && pass "attempts count up from 1 ($attempt_numbers)" ||
	fail "attempts are '$attempt_numbers'"

# A check that passes at once has nothing to wait for: no "waiting" datagram.
: >"$NOTIFY_LOG"
run_notified "$SOCK" user root --wait -t 1s
expect_code 0 "a check that passes at once under NOTIFY_SOCKET"
sleep 0.2
grep -q "waiting" "$NOTIFY_LOG" && fail "STATUS= waiting sent for a check that passed at once: $(cat "$NOTIFY_LOG")" ||
	pass "a check that passes at once sends no 'waiting' STATUS="

# Without --wait nothing is sent either.
: >"$NOTIFY_LOG"
run_notified "$SOCK" user nobody
expect_code 10 "a failing check without --wait"
sleep 0.2
[ ! -s "$NOTIFY_LOG" ] && pass "no STATUS= without --wait" || fail "sent: $(cat "$NOTIFY_LOG")"

# A chain run in order: STATUS= from the main PID, for the line that waits.
printf 'user root\nuser root --invert --wait -t 600ms -i 100ms\n' >"$WORK/wait.conf"
: >"$NOTIFY_LOG"
run_notified "$SOCK" run "$WORK/wait.conf"
expect_code 10 "a chain whose second line waits and fails"
wait_for_log "pid=$MAIN_PID STATUS=" || true
grep -q "^pid=$MAIN_PID STATUS=preflight: waiting for user root, attempt 1" "$NOTIFY_LOG" &&
	pass "a chain's waiting line sends STATUS= from the main PID" ||
	fail "no STATUS= from $MAIN_PID: $(cat "$NOTIFY_LOG")"

# Under --parallel each line runs in a child: STATUS= comes from the children (so a unit needs
# NotifyAccess=all to show it), and still names what is waited for.
printf 'user root --invert --wait -t 600ms -i 100ms\nuser root --invert --wait -t 600ms -i 100ms\n' >"$WORK/wait2.conf"
: >"$NOTIFY_LOG"
run_notified "$SOCK" run --parallel --keep-going "$WORK/wait2.conf"
expect_code 10 "a parallel chain of two waiting lines"
wait_for_log "waiting for user root" || true
senders=$(grep "STATUS=preflight: waiting" "$NOTIFY_LOG" | awk '{print $1}' | sort -u | wc -l)
[ "$senders" -eq 2 ] && pass "under --parallel, STATUS= comes from one child per line" ||
	fail "STATUS= senders: $senders, expected 2: $(cat "$NOTIFY_LOG")"
grep -q "^pid=$MAIN_PID STATUS=preflight" "$NOTIFY_LOG" &&
	fail "under --parallel the main PID sent a waiting STATUS=" ||
	pass "under --parallel the main PID sends no waiting STATUS= of its own"

# The wrapper keeps NOTIFY_SOCKET for the service, and the service's READY=1 comes from the PID
# systemd started: what Type=notify needs.
: >"$NOTIFY_LOG"
run_notified "$SOCK" user root -q -- python3 -c '
import os, socket
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.sendto(b"READY=1", os.environ["NOTIFY_SOCKET"])
print(os.environ["NOTIFY_SOCKET"])'
expect_code 0 "wrapped service under NOTIFY_SOCKET"
expect_text OUT "$SOCK" "the wrapped service sees NOTIFY_SOCKET"
wait_for_log "READY=1" || true
grep -qx "pid=$MAIN_PID READY=1" "$NOTIFY_LOG" &&
	pass "the wrapped service's READY=1 comes from preflight's PID (Type=notify works)" ||
	fail "READY=1 not from $MAIN_PID: $(cat "$NOTIFY_LOG")"
stop_peer "$LISTENER"

# ---- STATUS= on an abstract socket ---------------------------------------------------------------
ABSTRACT="@preflight-test-$$-$RANDOM"
: >"$NOTIFY_LOG"
start_peer python3 "$PEERS/notify_listener.py" "$ABSTRACT" "$NOTIFY_LOG" || exit 1
LISTENER=$PEER_PID
run_notified "$ABSTRACT" user root --invert --wait -t 500ms -i 100ms
expect_code 10 "a waiting check with an abstract NOTIFY_SOCKET"
wait_for_log "pid=$MAIN_PID STATUS=" || true
grep -q "^pid=$MAIN_PID STATUS=preflight: waiting for user root, attempt 1" "$NOTIFY_LOG" &&
	pass "STATUS= reaches an abstract-namespace socket (@name)" ||
	fail "nothing on $ABSTRACT: $(cat "$NOTIFY_LOG")"
stop_peer "$LISTENER"

# ---- NOTIFY_SOCKET that leads nowhere changes nothing ----------------------------------------------
run_notified "$WORK/nobody-listens.sock" user root --invert --wait -t 500ms -i 100ms
expect_code 10 "NOTIFY_SOCKET naming no socket: the check's own code"
expect_took 500 "NOTIFY_SOCKET naming no socket: no delay"
expect_no_text ERR "NOTIFY" "NOTIFY_SOCKET naming no socket: no complaint"
run_notified "relative/path" user root --invert --wait -t 300ms -i 100ms
expect_code 10 "a relative NOTIFY_SOCKET is ignored"
long="@$(printf 'x%.0s' $(seq 200))"
run_notified "$long" user root --invert --wait -t 300ms -i 100ms
expect_code 10 "a NOTIFY_SOCKET longer than a socket name is ignored"

# A manager that stopped reading (its queue full) must not hold a check past its deadline, nor
# hang a check that passed when it clears STATUS=.
FULL="$WORK/full.sock"
start_peer python3 "$PEERS/notify_listener.py" --full "$FULL" || exit 1
FULL_PID=$PEER_PID
# timeout(1) bounds the test if the fix regresses: before it, this hung for good.
run_cmd timeout 10 env NOTIFY_SOCKET="$FULL" "$PREFLIGHT" user root --wait -t 5s --json
expect_code 0 "NOTIFY_SOCKET with a full queue: a passing check still passes"
expect_attempts -eq 1 "NOTIFY_SOCKET with a full queue: at the first attempt"
# ... and clearing STATUS= afterwards does not wait on the full queue until the deadline.
expect_elapsed 0 300 "NOTIFY_SOCKET with a full queue: and ends long before its 5 s deadline"
run_cmd timeout 5 env NOTIFY_SOCKET="$FULL" "$PREFLIGHT" user root --invert --wait -t 1s -i 100ms
expect_code 10 "NOTIFY_SOCKET with a full queue: a waiting check gives its code"
expect_took 1000 "NOTIFY_SOCKET with a full queue: by its deadline"
expect_no_text ERR "past its deadline" "NOTIFY_SOCKET with a full queue: not stopped by the backstop"
stop_peer "$FULL_PID"

# ---- journal priorities: JOURNAL_STREAM names stderr ----------------------------------------------
JERR="$WORK/journal.err"
: >"$JERR"
STREAM=$(stat -c '%d:%i' "$JERR")

# run_journal ARGS...: preflight with stderr to JERR and JOURNAL_STREAM=${JSTREAM:-$STREAM}.
run_journal() {
	JOURNAL_STREAM=${JSTREAM:-$STREAM} "$PREFLIGHT" "$@" >"$WORK/out" 2>"$JERR"
	RC=$?
	OUT=$(cat "$WORK/out")
	ERR=$(cat "$JERR")
}

# every_line_prefixed: each stderr line starts with <3>, <4> or <6>.
every_line_prefixed() {
	local bad
	bad=$(printf '%s\n' "$ERR" | grep -v '^<[346]>' | grep -v '^$')
	[ -z "$bad" ] && pass "$1: every line carries a priority" || fail "$1: lines without a priority: $bad"
}

run_journal user nobody
expect_code 10 "journal: failing check"
[[ "$ERR" == "<3>FAIL user nobody "* ]] && pass "journal: a failure starts with <3>" ||
	fail "journal: failure line is '$ERR'"
run_journal user root
[[ "$ERR" == "<6>ok   user root "* ]] && pass "journal: a success starts with <6>" ||
	fail "journal: ok line is '$ERR'"
run_journal user root --bogus
expect_code 2 "journal: usage error"
[[ "$ERR" == "<3>preflight: user: unknown option"* ]] && pass "journal: a usage error starts with <3>" ||
	fail "journal: usage error is '$ERR'"
run_journal user root --invert --wait -t 300ms -i 100ms -v
every_line_prefixed "journal: --verbose attempts and result"
expect_text ERR "<6>     attempt 1:" "journal: --verbose attempt lines are <6>"
expect_text ERR "<3>FAIL user root" "journal: the inverted failure is <3>"
run_journal user root -- /bin/sh -c 'echo to-stdout; echo from-service >&2'
expect_text OUT "to-stdout" "journal: the wrapped service runs"
expect_text ERR "from-service" "journal: the wrapped service writes to the same stream"
expect_no_text ERR "<6>from-service" "journal: preflight adds nothing to the service's own lines"
run_journal user root -- /no/such/command
expect_code 127 "journal: wrapper command not found"
expect_text ERR "<3>preflight: /no/such/command: command not found" "journal: the wrapper's error is <3>"

# A password on the redis command line warns: a <4> line (nothing need listen on port 1).
run_journal redis 127.0.0.1:1 --password not-shown -t 500ms
expect_text ERR "<4>preflight: redis: a password" "journal: a warning starts with <4>"
expect_no_text ERR "not-shown" "journal: the password itself is not shown"
expect_text ERR "<3>FAIL redis" "journal: and the failure after it is <3>"

# Chains: each line with its own priority, errors <3>, the note on lines not run <6>.
printf 'user root\nuser nobody\nuser root\n' >"$WORK/mixed.conf"
run_journal run "$WORK/mixed.conf"
expect_code 10 "journal: chain stops at its failing line"
every_line_prefixed "journal: chain"
expect_text ERR "<6>ok   user root" "journal: chain ok line is <6>"
expect_text ERR "<3>FAIL user nobody" "journal: chain failure line is <3>"
expect_text ERR "<6>preflight: run: $WORK/mixed.conf:2 failed; 1 later line not run" "journal: the note on lines not run is <6>"
run_journal run --parallel --keep-going "$WORK/mixed.conf"
every_line_prefixed "journal: parallel chain"
[ "$(printf '%s\n' "$ERR" | cut -c1-4 | tr '\n' ' ')" = "<6>o <3>F <6>o " ] &&
	pass "journal: parallel chain lines in file order, each with its priority" ||
	fail "journal: parallel chain printed: $ERR"
printf 'user root\nuser ${NOT_SET_ANYWHERE}\n' >"$WORK/unset.conf"
run_journal run "$WORK/unset.conf"
expect_code 6 "journal: chain-file error"
[[ "$ERR" == "<3>preflight: run: $WORK/unset.conf:2: \${NOT_SET_ANYWHERE} is not set"* ]] &&
	pass "journal: a chain-file error is <3> and names file and line" || fail "journal: chain error is '$ERR'"

# JSON goes to stdout, never prefixed.
run_journal user nobody --json
[[ "$OUT" == '{"check":"user"'* ]] && pass "journal: JSON on stdout has no prefix" || fail "journal: JSON is '$OUT'"

# A JOURNAL_STREAM that names something else, or is not dev:ino, leaves lines bare.
JSTREAM="$(stat -c '%d' "$JERR"):1" run_journal user nobody
[[ "$ERR" == "FAIL user nobody "* ]] && pass "journal: another inode, no prefix" || fail "journal: got '$ERR'"
other=$(stat -c '%d:%i' "$WORK/out")
JSTREAM=$other run_journal user nobody
[[ "$ERR" == "FAIL user nobody "* ]] && pass "journal: JOURNAL_STREAM naming stdout's file, not stderr's: no prefix" ||
	fail "journal: got '$ERR'"
for junk in "garbage" "$STREAM:1" "$STREAM " ":"; do
	JSTREAM=$junk run_journal user nobody
	[[ "$ERR" == "FAIL user nobody "* ]] && pass "journal: JOURNAL_STREAM='$junk' is not a match" ||
		fail "journal: JOURNAL_STREAM='$junk' gave '$ERR'"
done

# The real thing journald hands a service: stderr is a unix stream socket, JOURNAL_STREAM its
# device and inode. The test holds the other end and reads what arrives.
journal_socket() {
	python3 - "$PREFLIGHT" "$@" <<'EOF'
import os, socket, subprocess, sys
ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
st = os.fstat(theirs.fileno())
env = dict(os.environ, JOURNAL_STREAM=f"{st.st_dev}:{st.st_ino}")
proc = subprocess.Popen(sys.argv[1:], stderr=theirs, stdout=subprocess.DEVNULL, env=env)
theirs.close()
ours.settimeout(10)
data = b""
while True:
    chunk = ours.recv(65536)
    if not chunk:
        break
    data += chunk
sys.stdout.write(data.decode("utf-8", "backslashreplace"))
sys.exit(proc.wait())
EOF
}
run_cmd journal_socket run --keep-going "$WORK/mixed.conf"
expect_code 10 "journal socket: the chain's code comes through"
every_line_prefixed_out() {
	local bad
	bad=$(printf '%s\n' "$OUT" | grep -v '^<[346]>' | grep -v '^$')
	[ -z "$bad" ] && pass "$1" || fail "$1: $bad"
}
every_line_prefixed_out "journal socket: every line on the stream carries a priority"
expect_text OUT "<3>FAIL user nobody" "journal socket: failure is <3>"
expect_text OUT "<6>ok   user root" "journal socket: success is <6>"

# No colour when stderr is the journal, even on a terminal (script(1) gives one).
if command -v script >/dev/null; then
	tty_out=$(script -qec "JOURNAL_STREAM=\$(stat -L -c %d:%i /dev/stderr) $PREFLIGHT user nobody" /dev/null 2>&1)
	[[ "$tty_out" == *"<3>FAIL"* && "$tty_out" != *$'\033['* ]] &&
		pass "journal on a terminal: prefix, no colour" || fail "journal on a terminal: $(printf %q "$tty_out")"
	tty_out=$(script -qec "$PREFLIGHT user nobody" /dev/null 2>&1)
	[[ "$tty_out" == *$'\033['* ]] && pass "a terminal without the journal gets colour (the control for the test above)" ||
		fail "no colour on a terminal: $(printf %q "$tty_out")"
else
	fail "script(1) is not installed (util-linux): cannot test the terminal case"
fi

finish
