#!/bin/bash
# The test peers other tests rely on (with_silent_resolver.sh, silent_dns.py, hung_listener.py)
# do what their headers promise, and name resolution in preflight keeps its deadline.
. "$(dirname "$0")/lib.sh"
require_root "with_silent_resolver.sh bind-mounts /etc/resolv.conf in a mount namespace"

RESOLVER="$PEERS/with_silent_resolver.sh"
before=$(cat /etc/resolv.conf)

# ---- with_silent_resolver.sh ----
run_cmd "$RESOLVER" sh -c 'exit 7'; expect_code 7 "passes the command's exit code through"
run_cmd "$RESOLVER" cat /etc/resolv.conf
expect_code 0 "runs the command"
[[ "$OUT" =~ ^nameserver\ 127\.[0-9]+\.[0-9]+\.[0-9]+$ ]] && pass "inside, the only name server is on loopback" || fail "resolv.conf inside: $OUT"
[ "$(cat /etc/resolv.conf)" = "$before" ] && pass "outside, /etc/resolv.conf is unchanged" || fail "/etc/resolv.conf changed"
run_cmd "$RESOLVER" grep '^hosts:' /etc/nsswitch.conf; expect_text OUT "hosts: files dns" "nsswitch asks files, then that name server"
run_cmd "$RESOLVER" --log "$WORK/dns.log" timeout 1 getent ahosts silent.invalid
expect_code 124 "a silent resolver makes getent hang"
grep -q '^query silent.invalid' "$WORK/dns.log" && pass "silent_dns.py logged the query" || fail "query not logged: $(cat "$WORK/dns.log")"
run_cmd "$RESOLVER" --refused timeout 5 getent ahosts refused.invalid
expect_code 2 "a refusing resolver: getent says not found"; expect_elapsed 0 400 "at once, not at timeout's 5 s"
run_cmd "$RESOLVER" --host "127.0.0.1 db.test" --host "::1 db6.test" getent ahosts db.test
expect_code 0 "--host adds a name"; expect_text OUT "127.0.0.1" "with its address"
run_cmd "$RESOLVER" --servfail --log "$WORK/servfail.log" timeout 5 getent ahosts servfail.invalid
expect_code 2 "--servfail: getent says not found"; expect_elapsed 0 400 "at once: the server answered"
grep -q '^query servfail.invalid' "$WORK/servfail.log" && pass "servfail_dns.py logged the query" || fail "query not logged: $(cat "$WORK/servfail.log")"
printf '127.0.0.7 own.test\n' >"$WORK/hosts"; chmod 644 "$WORK/hosts"
run_cmd "$RESOLVER" --hosts-file "$WORK/hosts" --files-only sh -c 'cat /etc/hosts; grep "^hosts:" /etc/nsswitch.conf'
expect_text OUT "127.0.0.7 own.test" "--hosts-file is /etc/hosts"; expect_text OUT "hosts: files" "--files-only: no DNS"
expect_no_text OUT "files dns" "not even after files"
run_cmd "$RESOLVER" --hosts-file "$WORK/none" true; expect_code 125 "--hosts-file of no file is a setup error"
run_cmd "$RESOLVER" --bogus true; expect_code 125 "an unknown option is a setup error"
run_cmd "$RESOLVER"; expect_code 125 "no command is a setup error"

# ---- silent_dns.py and hung_listener.py take loopback only ----
run_cmd python3 "$PEERS/silent_dns.py" --address 10.0.0.1 --port 5353; expect_code 1 "silent_dns.py refuses a non-loopback address"
run_cmd python3 "$PEERS/hung_listener.py" --host 10.0.0.1; expect_code 1 "hung_listener.py refuses a non-loopback address"
start_peer python3 "$PEERS/hung_listener.py"; hung_port=${PEER_OUT#ready }; hung=$PEER_PID
run_cmd python3 -c '
import socket, sys
s = socket.socket(); s.settimeout(0.5)
try:
    s.connect(("127.0.0.1", int(sys.argv[1])))
except socket.timeout:
    sys.exit(3)' "$hung_port"
expect_code 3 "a connect to hung_listener.py hangs"
stop_peer "$hung"

# ---- preflight: the deadline holds across targets ----
run_cmd "$RESOLVER" "$PREFLIGHT" tcp one.invalid:80 two.invalid:80 -t 1s
expect_code 61 "two names, silent resolver"
expect_took 1000 "-t 1s bounds both targets together"
expect_text ERR "FAIL tcp two.invalid:80" "the second target is reported too"
run_cmd "$RESOLVER" "$PREFLIGHT" tcp one.invalid:80 -t 1s -w -i 100ms
expect_code 61 "--wait with a silent resolver"
expect_took 1000 "--wait -t 1s with a silent resolver ends in about a second"
run_cmd "$RESOLVER" --refused "$PREFLIGHT" tcp one.invalid:80 -t 1s -w -i 100ms --json
expect_code 60 "--wait with a refusing resolver ends unresolvable"
expect_attempts -gt 1 "an unresolvable name is retried under --wait"

finish
