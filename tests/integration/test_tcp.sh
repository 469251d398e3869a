#!/bin/bash
# tcp: every exit code against real sockets on loopback. Names are resolved only inside
# with_silent_resolver.sh, so no query can reach the machine's real name server.
. "$(dirname "$0")/lib.sh"

RESOLVER="$PEERS/with_silent_resolver.sh"

# A real listener: python's own HTTP server, which accepts connections as any service does.
start_listener() { # HOST PORT
	start_peer python3 -u -c '
import http.server, socket, sys
class Server(http.server.HTTPServer):
    address_family = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
server = Server((sys.argv[1], int(sys.argv[2])), http.server.SimpleHTTPRequestHandler)
print("ready", flush=True)
server.serve_forever()' "$1" "$2"
}

# ---- usage: 2 ----
run_preflight tcp; expect_code 2 "no target"
run_preflight tcp db.internal; expect_code 2 "no port"; expect_text ERR "'db.internal': a port is required" "the missing port is named"
run_preflight tcp db:0; expect_code 2 "port 0"
run_preflight tcp db:65536; expect_code 2 "port 65536"; expect_text ERR "'db:65536'" "the bad port is named"
run_preflight tcp db:http; expect_code 2 "port by service name is not taken"
run_preflight tcp ::1:80; expect_code 2 "IPv6 without brackets"; expect_text ERR "brackets" "says to use brackets"
run_preflight tcp '[::1'; expect_code 2 "unclosed bracket"
run_preflight tcp 'user@db:5432'; expect_code 2 "'@' in a host"
run_preflight tcp "$(printf 'db\033[31m:5432')"; expect_code 2 "escape in a host"
expect_text ERR '\x1b' "the escape is shown escaped"; expect_no_text ERR "$(printf '\033')" "no raw escape in the output"
run_preflight tcp 127.0.0.1:1 --bogus; expect_code 2 "unknown option"

# ---- 0 and 60 against real sockets ----
port=$(free_port)
start_listener 127.0.0.1 "$port"; listener=$PEER_PID
run_preflight tcp "127.0.0.1:$port"; expect_code 0 "listening IPv4 port"
expect_text ERR "accepting connections at 127.0.0.1:$port" "names the address that answered"
run_preflight tcp "127.0.0.1:$port" --json; expect_code 0 "--json"
expect_text OUT '"check":"tcp"' "JSON names the check"; expect_text OUT "\"target\":\"127.0.0.1:$port\"" "JSON names the target"
run_cmd as_nobody "$PREFLIGHT" tcp "127.0.0.1:$port"; expect_code 0 "as nobody too"
run_preflight tcp "127.0.0.1:$port" -v; expect_text ERR "connected in" "--verbose says how long the connect took"
run_preflight tcp "127.0.0.1:$port" --invert; expect_code 60 "--invert of a listening port fails with 60"
expect_text ERR "accepting connections" "--invert says it still accepts"
run_preflight tcp "127.0.0.1:$port" -q -- /bin/echo started; expect_code 0 "wrapper mode"; expect_text OUT "started" "runs the command after the check"

refused=$(free_port)
run_preflight tcp "127.0.0.1:$refused"; expect_code 60 "refused port"
expect_text ERR "connection refused" "says connection refused"
run_cmd as_nobody "$PREFLIGHT" tcp "127.0.0.1:$refused"; expect_code 60 "refused as nobody"
run_preflight tcp "127.0.0.1:$refused" --invert; expect_code 0 "--invert of a refused port passes"
run_preflight tcp "127.0.0.1:$port" "127.0.0.1:$refused"; expect_code 60 "one of two refused: 60"
expect_text ERR "ok   tcp 127.0.0.1:$port" "the good one is reported ok"
expect_text ERR "FAIL tcp 127.0.0.1:$refused" "the refused one is reported failed"
run_preflight tcp "127.0.0.1:$refused" -w -t 1s -i 100ms; expect_code 60 "--wait on a refused port ends with 60"
expect_took 1000 "--wait -t 1s ends in about a second"
stop_peer "$listener"

v6port=$(free_port)
start_listener ::1 "$v6port"; v6=$PEER_PID
run_preflight tcp "[::1]:$v6port"; expect_code 0 "listening IPv6 port"
expect_text ERR "at [::1]:$v6port" "IPv6 peer shown in brackets"
run_preflight tcp "127.0.0.1:$v6port"; expect_code 60 "the IPv4 side of an IPv6-only listener is refused"
stop_peer "$v6"

# ---- names: only inside the silent resolver ----
port=$(free_port)
start_listener 127.0.0.1 "$port"; listener=$PEER_PID
run_cmd "$RESOLVER" --host "127.0.0.1 db.test" "$PREFLIGHT" tcp "db.test:$port"
expect_code 0 "a name from /etc/hosts"; expect_text ERR "at 127.0.0.1:$port" "the address the name gave"
run_cmd "$RESOLVER" --refused "$PREFLIGHT" tcp "nothing.invalid:$port" -t 5s
expect_code 60 "unresolvable name (resolver refuses)"; expect_text ERR "cannot resolve 'nothing.invalid'" "says it cannot resolve the name"
run_cmd "$RESOLVER" --log "$WORK/dns.log" "$PREFLIGHT" tcp "nothing.invalid:$port" -t 1s
expect_code 61 "resolver that never answers"; expect_took 1000 "-t 1s with a silent resolver ends in about a second"
expect_text ERR "no answer from the resolver" "says the resolver did not answer"
grep -q '^query nothing.invalid' "$WORK/dns.log" && pass "the query reached the silent resolver" || fail "no query reached the silent resolver"
run_cmd "$RESOLVER" "$PREFLIGHT" tcp "nothing.invalid:$port" -t 1s --invert
expect_code 0 "--invert: a name that never resolves is not accepting"
stop_peer "$listener"

# ---- a name with two addresses: each gets a share of the time ----
port=$(free_port)
start_peer python3 "$PEERS/hung_listener.py" --host ::1 --port "$port"; hung6=$PEER_PID
start_listener 127.0.0.1 "$port"; listener=$PEER_PID
run_cmd "$RESOLVER" --host "::1 multi.test" --host "127.0.0.1 multi.test" "$PREFLIGHT" tcp "multi.test:$port" -t 2s -v
expect_code 0 "first address hangs, the second answers"
expect_text ERR "accepting connections at 127.0.0.1:$port" "the second address is named"
expect_text ERR "[::1]:$port: no answer within 1.0s" "--verbose names the address that hung"
expect_took 1000 "the hung address had half of -t 2s"
stop_peer "$listener"
start_peer python3 "$PEERS/hung_listener.py" --host 127.0.0.1 --port "$port"; hung4=$PEER_PID
run_cmd "$RESOLVER" --host "::1 multi.test" --host "127.0.0.1 multi.test" "$PREFLIGHT" tcp "multi.test:$port" -t 1s
expect_code 61 "both addresses hang"
expect_text ERR "no answer from [::1]:$port, 127.0.0.1:$port within 1.0s" "both are named"
expect_took 1000 "-t 1s over two hung addresses ends in about a second"
stop_peer "$hung6"; stop_peer "$hung4"
run_cmd "$RESOLVER" --host "::1 multi.test" --host "127.0.0.1 multi.test" "$PREFLIGHT" tcp "multi.test:$port"
expect_code 60 "both addresses refuse"
expect_text ERR "connection refused (tried [::1]:$port, 127.0.0.1:$port)" "says both refused"

# ---- 61: a listener whose queue is full drops the SYN ----
start_peer python3 "$PEERS/hung_listener.py"; hung_port=${PEER_OUT#ready }; hung=$PEER_PID
run_preflight tcp "127.0.0.1:$hung_port" -t 1s; expect_code 61 "hung listener"
expect_took 1000 "-t 1s against a hung listener ends in about a second"
expect_text ERR "no answer from 127.0.0.1:$hung_port within" "names the address that did not answer"
run_cmd as_nobody "$PREFLIGHT" tcp "127.0.0.1:$hung_port" -t 1s; expect_code 61 "hung listener as nobody"
run_preflight tcp "127.0.0.1:$hung_port" -t 1s -w; expect_code 61 "--wait on a hung listener ends with 61"
expect_took 1000 "--wait -t 1s against a hung listener"
run_preflight tcp "127.0.0.1:$hung_port" -t 1s --json; expect_text OUT '"code":61' "JSON has code 61"
stop_peer "$hung"
start_peer python3 "$PEERS/hung_listener.py" --host ::1; hung_port=${PEER_OUT#ready }; hung=$PEER_PID
run_preflight tcp "[::1]:$hung_port" -t 1s; expect_code 61 "hung IPv6 listener"
expect_took 1000 "-t 1s against a hung IPv6 listener"
stop_peer "$hung"

# ---- --wait: a listener that appears; --invert --wait: one that goes away ----
port=$(free_port)
( sleep 1; exec python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(16); time.sleep(30)' "$port" ) &
late=$!; STARTED_PIDS+=("$late")
run_preflight tcp "127.0.0.1:$port" --wait -t 10s -i 100ms --json
expect_code 0 "--wait notices a listener that appears after 1s"
# The listener is a python3 process started after 1 s: its start-up is in the time.
expect_elapsed 900 2400 "and passes soon after it appears"
expect_attempts -gt 1 "it took more than one attempt"
stop_peer "$late"

port=$(free_port)
start_listener 127.0.0.1 "$port"; going=$PEER_PID
( sleep 1; kill "$going" ) &
killer=$!
run_preflight tcp "127.0.0.1:$port" --invert --wait -t 10s -i 100ms --json
expect_code 0 "--invert --wait passes once the listener goes away"
expect_elapsed 900 2400 "and soon after it went"
expect_attempts -gt 1 "it took more than one attempt"
wait "$killer" 2>/dev/null

port=$(free_port)
start_listener 127.0.0.1 "$port"; staying=$PEER_PID
run_preflight tcp "127.0.0.1:$port" --invert --wait -t 1s -i 100ms
expect_code 60 "--invert --wait: still accepting at the deadline is 60"
expect_took 1000 "--invert --wait -t 1s ends in about a second"
stop_peer "$staying"

finish
