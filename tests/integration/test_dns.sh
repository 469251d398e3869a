#!/bin/bash
# dns: names resolved through the real getaddrinfo, nsswitch and /etc/hosts, always inside
# with_silent_resolver.sh's mount namespace, so that no query can leave loopback: /etc/hosts is a
# file written here, and the only name server is silent_dns.py (never answers), servfail_dns.py
# (answers SERVFAIL: a test double for a broken upstream) or none at all (--files-only).
. "$(dirname "$0")/lib.sh"
require_root "with_silent_resolver.sh bind-mounts /etc/hosts and /etc/resolv.conf in a mount namespace"

RESOLVER="$PEERS/with_silent_resolver.sh"
HOSTS="$WORK/hosts"
cat >"$HOSTS" <<'EOF'
127.0.0.1 localhost
::1 localhost
127.0.0.5 db.test
127.0.0.5 db.test
fd00::5 db.test
127.0.0.6 v4.test
fd00::6 v6.test
EOF
for i in $(seq 1 70); do echo "127.0.1.$i many.test"; done >>"$HOSTS"
chmod 644 "$HOSTS"
# in_ns ARGS...: preflight inside the namespace, /etc/hosts as above, a silent name server.
in_ns() { run_cmd "$RESOLVER" --hosts-file "$HOSTS" --log "$WORK/dns.log" "$PREFLIGHT" "$@"; }
# in_ns_timed ARGS...: as in_ns, with ELAPSED_MS measured inside the namespace, around preflight
# alone (not the namespace's and the name server's start-up).
in_ns_timed() {
	in_ns_timed_() { "$RESOLVER" --hosts-file "$HOSTS" --log "$WORK/dns.log" /bin/bash -c '
		start=$(date +%s%N); "$@"; rc=$?
		echo "inner_ms $((($(date +%s%N) - start) / 1000000))" >"$INNER"; exit $rc' sh "$PREFLIGHT" "$@"; }
	INNER="$WORK/inner" run_cmd in_ns_timed_ "$@"
	read -r _ ELAPSED_MS <"$WORK/inner"
}
# expect_line TEXT DESCRIPTION: a whole line of the last run's stderr is TEXT.
expect_line() {
	if grep -qxF -- "$1" <<<"$ERR"; then pass "$2"; else fail "$2: no line '$1'"; printf '    ERR: %s\n' "$ERR"; fi
}
# What getent, the same getaddrinfo, gives in the same namespace: each address once, in order.
getent_list() {
	"$RESOLVER" --hosts-file "$HOSTS" getent "$@" | awk '!seen[$1]++ { printf "%s%s", sep, $1; sep = ", " }'
}

# ---- usage: 2, before anything is resolved ----
run_preflight dns; expect_code 2 "no name"
run_preflight dns db.test:53; expect_code 2 "HOST:PORT"; expect_text ERR "without a port" "says a name goes alone"
run_preflight dns 'db test'; expect_code 2 "a space in the name"
run_preflight dns "$(printf 'db\033[31m.test')"; expect_code 2 "a control character in the name"
expect_no_text ERR "$(printf '\033')" "the escape is not echoed raw"
run_preflight dns db.test --expect 10.0.0; expect_code 2 "--expect: not an address"
expect_text ERR "--expect: '10.0.0' is not a numeric IPv4 or IPv6 address" "names the option and the value"
run_preflight dns db.test --expect db.test; expect_code 2 "--expect: a name is not an address"
run_preflight dns db.test --family inet; expect_code 2 "--family: an unknown family"
expect_text ERR "not ipv4, ipv6 or any" "lists the families"
run_preflight dns db.test --expect fd00::5 --family ipv4; expect_code 2 "--expect of the other family"
expect_text ERR "--expect fd00::5 is an IPv6 address, but --family ipv4" "says why it can never pass"

# ---- 0: from /etc/hosts, v4, v6, both ----
in_ns dns v4.test; expect_code 0 "an IPv4 name from /etc/hosts"
expect_text ERR "ok   dns v4.test resolves to 127.0.0.6" "shows the name and its address"
in_ns dns v6.test; expect_code 0 "an IPv6 name"; expect_text ERR "resolves to fd00::6" "its address"
in_ns dns db.test; expect_code 0 "a name with IPv4 and IPv6 addresses"
want=$(getent_list ahosts db.test)
expect_line "ok   dns db.test resolves to $want" "every address once, in getent ahosts' order ($want)"
[ "$(grep -o '127\.0\.0\.5' <<<"$ERR" | wc -l)" -eq 1 ] && pass "a line listed twice in /etc/hosts is shown once" || fail "duplicates: $ERR"
in_ns dns db.test --family ipv4 -v; expect_code 0 "-v"
expect_text ERR "1 address (IPv4) in " "-v: how many addresses of which family, and how long it took"
in_ns dns localhost; expect_code 0 "localhost"
expect_line "ok   dns localhost resolves to $(getent_list ahosts localhost)" "as getent ahosts localhost"
in_ns dns many.test; expect_code 0 "a name with 70 addresses"
expect_text ERR "127.0.1.1, 127.0.1.2," "lists them in order"
expect_text ERR "and 28 more" "as many as fit, then how many more"
in_ns dns 10.0.0.5; expect_code 0 "a numeric address resolves to itself"
grep -q '^query' "$WORK/dns.log" && fail "a query for a number: $(cat "$WORK/dns.log")" || pass "no query for a number"
in_ns dns db.test; expect_code 0 "db.test again"
grep -q '^query' "$WORK/dns.log" && fail "a name from /etc/hosts reached the name server" || pass "a name from /etc/hosts asks no name server"

# ---- --expect and --family ----
in_ns dns db.test --expect 127.0.0.5 --expect fd00:0:0::5; expect_code 0 "every expected address came (compared as addresses)"
in_ns dns db.test --expect 127.0.0.5 --expect 10.0.0.6 --expect fd00::7
expect_code 112 "an expected address is missing"
expect_text ERR "resolves to $want, but not to 10.0.0.6, fd00::7 [112]" "lists what came and what did not"
expect_text ERR "fix: compare getent ahosts db.test with --expect" "the fix names getent ahosts NAME"
in_ns dns db.test --family ipv4; expect_code 0 "--family ipv4"
expect_line "ok   dns db.test resolves to 127.0.0.5" "the IPv4 address only"
in_ns dns db.test --family ipv6 --expect fd00::5; expect_code 0 "--family ipv6 with --expect"
expect_line "ok   dns db.test resolves to fd00::5" "the IPv6 address only"
# /etc/hosts has the name but no IPv6 address: glibc goes on to DNS (here: silent) for it.
in_ns dns v4.test --family ipv6 -t 1s; expect_code 111 "--family ipv6, IPv4 only in /etc/hosts: DNS is asked next"
run_cmd "$RESOLVER" --hosts-file "$HOSTS" --files-only "$PREFLIGHT" dns v4.test --family ipv6
expect_code 110 "--family ipv6 for a name with IPv4 only (files only)"
expect_text ERR "no IPv6 address for it (--family ipv6)" "says which family was missing"

# ---- 110: no such name, temporary failure ----
run_cmd "$RESOLVER" --hosts-file "$HOSTS" --files-only "$PREFLIGHT" dns nothere.test --json
expect_code 110 "no such name (nsswitch: files only)"
expect_text OUT '"message":"no such name"' "says no such name"
expect_text OUT 'getent ahosts nothere.test' "the fix names getent ahosts NAME"
expect_text OUT '/etc/hosts' "and /etc/hosts"
run_cmd "$RESOLVER" --hosts-file "$HOSTS" --servfail --log "$WORK/servfail.log" "$PREFLIGHT" dns broken.test --json
expect_code 110 "a name server answering SERVFAIL"
expect_text OUT "temporary failure in name resolution" "says temporary failure, not no such name"
expect_text OUT "resolvectl" "the fix names resolvectl"
expect_text OUT "/etc/resolv.conf" "and /etc/resolv.conf"
expect_attempts -eq 1 "answered at once"
grep -q '^query broken.test' "$WORK/servfail.log" && pass "servfail_dns.py was asked" || fail "no query: $(cat "$WORK/servfail.log")"
run_cmd "$RESOLVER" --hosts-file "$HOSTS" --refused "$PREFLIGHT" dns refused.test
expect_code 110 "no name server listening"; expect_text ERR "temporary failure" "a temporary failure too"

# ---- 111: a name server that never answers ends at -t ----
in_ns_timed dns silent.test -t 1s
expect_code 111 "a silent name server"; expect_took 1000 "ends at -t 1s"
echo "# dns silent.test -t 1s: ${ELAPSED_MS} ms" >&2
expect_text ERR "no answer from the resolver for 'silent.test' within 1.0s" "says no answer within the time"
expect_text ERR "nameserver lines of /etc/resolv.conf" "the fix names resolv.conf"
grep -q '^query silent.test' "$WORK/dns.log" && pass "silent_dns.py was asked" || fail "no query: $(cat "$WORK/dns.log")"
in_ns_timed dns db.test silent.test -t 1s
expect_code 111 "a good name and a silent one"; expect_took 1000 "-t 1s bounds both"
expect_text ERR "ok   dns db.test" "the good one is reported"
in_ns_timed dns silent.test -t 1s --wait -i 100ms; expect_code 111 "--wait with a silent name server"
expect_took 1000 "--wait -t 1s ends at the deadline too"

# ---- --wait: no such name is retried, and passes once /etc/hosts has the name ----
LATE="$WORK/late-hosts"
printf '127.0.0.1 localhost\n' >"$LATE"; chmod 644 "$LATE"
run_cmd "$RESOLVER" --hosts-file "$LATE" --files-only "$PREFLIGHT" dns late.test --wait -t 1s -i 100ms --json
expect_code 110 "--wait: a name that never comes"; expect_took 1000 "waits until -t"
expect_attempts -gt 1 "retried (110 is transient)"
(sleep 0.7; echo '127.0.0.9 late.test' >>"$LATE") &
STARTED_PIDS+=($!)
run_cmd "$RESOLVER" --hosts-file "$LATE" --files-only "$PREFLIGHT" dns late.test --wait -t 10s -i 100ms --json
expect_code 0 "--wait: passes once /etc/hosts gains the name"
expect_text OUT "resolves to 127.0.0.9" "with its address"
expect_attempts -gt 1 "after failed attempts"
expect_elapsed 600 3000 "soon after the name came"

# ---- --json, --invert, chains, the wrapper ----
in_ns dns db.test --expect 127.0.0.5 --json; expect_code 0 "--json"
expect_text OUT '{"check":"dns","target":"db.test","ok":true,"code":0,"message":"resolves to' "one JSON line"
in_ns dns db.test --expect 10.0.0.9 --json; expect_code 112 "--json mismatch"
expect_text OUT '"code":112' "with the code"; expect_text OUT "but not to 10.0.0.9" "and the message"
run_cmd "$RESOLVER" --hosts-file "$HOSTS" --files-only "$PREFLIGHT" dns gone.test --invert
expect_code 0 "--invert: a name that does not resolve passes"
in_ns dns db.test --invert; expect_code 110 "--invert: a name that resolves fails"
CHAIN="$WORK/dns.conf"
printf 'dns db.test --expect 127.0.0.5\ndns v6.test --family ipv6\n' >"$CHAIN"
in_ns run "$CHAIN"; expect_code 0 "a chain of dns lines"
printf 'dns db.test\ndns db.test --expect 10.0.0.1\ndns v4.test\n' >"$CHAIN"
in_ns run "$CHAIN" --keep-going; expect_code 112 "a chain: the code of the line that failed"
expect_text ERR "ok   dns v4.test" "--keep-going runs the later lines"
in_ns dns db.test -- /bin/echo started; expect_code 0 "the wrapper"
expect_text OUT "started" "runs the command once the name resolves"
run_cmd "$RESOLVER" --hosts-file "$HOSTS" --files-only "$PREFLIGHT" dns gone.test -- /bin/echo started
expect_code 110 "the wrapper, a name that does not resolve"
expect_no_text OUT "started" "the command is not run"
run_preflight dns --help; expect_code 0 "--help"; expect_text OUT "--expect" "lists --expect"
run_preflight explain 111; expect_code 0 "explain 111"; expect_text OUT "DNS_TIMEOUT" "names the code"
run_preflight exit-codes; expect_text OUT "DNS_MISMATCH" "exit-codes lists 112"

finish
