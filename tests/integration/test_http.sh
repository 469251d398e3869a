#!/bin/bash
# http: every exit code (0, 2, 5, 50-54) against a real HTTP server process on loopback
# (tests/peers/http_server.py: python's http.server), over TCP, TLS with certificates made here
# by openssl, and a unix socket. Names are resolved only inside with_silent_resolver.sh, so no
# query can reach the machine's real name server.
. "$(dirname "$0")/lib.sh"

RESOLVER="$PEERS/with_silent_resolver.sh"
# Debian's python starts in a few ms; a version-manager shim can take far longer.
PY=$(command -v /usr/bin/python3 || command -v python3)
SERVER="$PEERS/http_server.py"
BACKSTOP="past its deadline" # what core prints if its SIGALRM safety net had to end the check

# start_server ARGS...: starts http_server.py; SERVER_PID and SERVER_AT ("ready X" -> X).
start_server() {
	start_peer "$PY" "$SERVER" "$@" || return 1
	SERVER_PID=$PEER_PID
	SERVER_AT=${PEER_OUT#ready }
}

# ---- usage: 2 ----
run_preflight http; expect_code 2 "no URL"
run_preflight http --help; expect_code 0 "--help"
expect_text OUT "--expect-body-regex" "--help lists the options"; expect_text OUT "64 KiB" "--help gives the body cap"
run_preflight http ftp://127.0.0.1/; expect_code 2 "ftp: URL"; expect_text ERR "only http:// and https://" "says which schemes"
run_preflight http file:///etc/passwd; expect_code 2 "file: URL"
run_preflight http 127.0.0.1:8080; expect_code 2 "no scheme"; expect_text ERR "'127.0.0.1:8080' is not a URL" "names the argument"
run_preflight http http://127.0.0.1:99999/; expect_code 2 "port out of range"
run_preflight http http:/127.0.0.1/; expect_code 2 "one slash: libcurl would take it, as a typing mistake it is refused"
run_preflight http http://127.0.0.1:0/; expect_code 2 "port 0"; expect_text ERR "the port must be 1-65535" "says the range"
run_preflight http 'http://me:hunt@r2@127.0.0.1/'; expect_code 2 "an '@' in the password: libcurl refuses it, so the parse does"
expect_text ERR "libcurl refuses the URL: Bad hostname (an '@' in a user name or password is written %40)" "in libcurl's words, with the fix"
expect_no_text ERR "hunt" "the password is not shown"
run_preflight http $'http://h\xc3\xa9llo.test/'; expect_code 2 "a name libcurl cannot convert to ASCII"; expect_text ERR "punycode" "says how to write it"
run_preflight http 'http://a%00b@127.0.0.1/'; expect_code 2 "a user name that decodes to a NUL byte"
run_preflight http 'ftp://me:hunter2@127.0.0.1/'; expect_code 2 "ftp: URL with a password"
expect_text ERR "me:***@" "the password is masked in the usage error"; expect_no_text ERR "hunter2" "the password is not shown"
run_preflight http http://127.0.0.1/ --expect-status 2xx; expect_code 2 "bad status list"; expect_text ERR "'2xx'" "names the list"
run_preflight http http://127.0.0.1/ --expect-status 299-200; expect_code 2 "backwards range"
run_preflight http http://127.0.0.1/ --expect-body-regex 'a('; expect_code 2 "bad regex"
expect_text ERR "--expect-body-regex: 'a(' is refused: missing closing parenthesis at offset 2" "names the regex, in PCRE2's words"
run_preflight http http://127.0.0.1/ --expect-body-regex '\<ready'; expect_code 2 "a POSIX word boundary PCRE2 would read as '<'"
expect_text ERR "write \b for a word boundary" "says what to write"
run_preflight http http://127.0.0.1/ --method DELETE; expect_code 2 "unsupported method"
run_preflight http http://127.0.0.1/ -X HEAD --expect-body x; expect_code 2 "HEAD with a body expectation"
run_preflight http https://127.0.0.1/ --cacert "$WORK/none.pem"; expect_code 2 "missing --cacert file"
expect_text ERR "No such file" "says why the file cannot be read"
run_preflight http https://127.0.0.1/ --key /etc/hostname; expect_code 2 "--key without --cert"
run_preflight http http://127.0.0.1/ --header 'Bearer t0k3n-in-usage'; expect_code 2 "--header without a name"
expect_no_text ERR "t0k3n-in-usage" "a bad --header's value is not shown"
run_preflight http http://127.0.0.1/ --header "$(printf 'X-A: t0k3n\r\nX-B: 1')"; expect_code 2 "--header with a line break"
expect_no_text ERR "t0k3n" "its value is not shown either"
run_preflight http http://127.0.0.1/ --expect-header 'X Y'; expect_code 2 "bad --expect-header"

# ---- the server ----
start_server --port 0 || { fail "http_server.py did not start"; finish; exit; }
P=$SERVER_AT
URL="http://127.0.0.1:$P"

# ---- 0 ----
run_preflight http "$URL/ok"; expect_code 0 "200 passes"; expect_text ERR "ok   http $URL/ok answered 200" "says the status"
run_preflight http "$URL/ok" --expect-status 200 --expect-body ready --expect-body-regex '^ready$' \
	--expect-header 'X-Ready: yes' --expect-header 'content-type'
expect_code 0 "every expectation holds"; expect_text ERR "headers as expected, body as expected" "says what was checked"
run_preflight http "$URL/status/503" --expect-status 200-299,503; expect_code 0 "a listed status passes"
run_preflight http "$URL/status/204"; expect_code 0 "204 is in the default 200-399"
run_preflight http "$URL/redirect?to=/status/500"; expect_code 0 "a redirect is not followed by default (302 passes)"
run_preflight http "$URL/headers" --expect-header 'Set-Cookie: b=2' --expect-header 'x-version:  1.2.3 '
expect_code 0 "repeated headers: any of them; names in any case; value trimmed"
run_preflight http "$URL/method" -X POST --expect-body 'method POST body 0'; expect_code 0 "POST with an empty body"
run_preflight http "$URL/method" --expect-body 'method GET'; expect_code 0 "GET by default"
run_preflight http "$URL/ok" -X head --expect-header 'X-Ready: yes'; expect_code 0 "HEAD"
run_preflight http "$URL/echo" -H 'X-Probe: from-preflight' --expect-body 'X-Probe: from-preflight'
expect_code 0 "--header is sent"
run_preflight http "$URL/echo" --expect-body 'User-Agent: preflight/'; expect_code 0 "identifies itself as preflight"
run_preflight http "$URL/ok" "$URL/status/200"; expect_code 0 "two URLs"
run_cmd env http_proxy=http://127.0.0.1:9 HTTP_PROXY=http://127.0.0.1:9 all_proxy=http://127.0.0.1:9 "$PREFLIGHT" http "$URL/ok"
expect_code 0 "proxy variables are ignored: the service is asked directly"
run_cmd as_nobody "$PREFLIGHT" http "$URL/ok"; expect_code 0 "as nobody"
run_preflight http "$URL/ok" -q -- /bin/echo started; expect_code 0 "wrapper mode"; expect_text OUT "started" "runs the command"
run_preflight http "$URL/ok" --json; expect_code 0 "--json"
expect_text OUT '"check":"http"' "JSON names the check"; expect_text OUT "\"target\":\"$URL/ok\"" "JSON names the URL"
run_preflight http "$URL/ok" -v; expect_text ERR "HTTP/1.1 from 127.0.0.1 port $P" "-v says who answered"

# ---- 52: unexpected status ----
run_preflight http "$URL/status/503"; expect_code 52 "503"
expect_text ERR "answered 503, expected 200-399; the body starts 'status 503'" "status, expectation and an excerpt"
run_preflight http "$URL/status/404"; expect_code 52 "404"
run_preflight http "$URL/nowhere" --expect-status 200; expect_code 52 "unknown path: 404"
run_preflight http "$URL/redirect?to=/ok" --expect-status 200; expect_code 52 "a 302 is not 200 without --follow"
run_preflight http "$URL/ok" --expect-status 201-204; expect_code 52 "200 outside the list"; expect_text ERR "expected 201-204" "names the list"

# ---- redirects ----
run_preflight http "$URL/redirect?to=/ok" --follow --expect-body ready; expect_code 0 "--follow reaches the answer"
expect_text ERR "after 1 redirect" "says it followed one"
run_preflight http "$URL/redirect?to=/status/500&code=307" -L; expect_code 52 "--follow judges the final status"
run_preflight http "$URL/redirect?to=file:///etc/passwd" --follow; expect_code 52 "a redirect to file: is refused"
expect_text ERR "'file:///etc/passwd': only http and https are followed" "names the refused target"
run_preflight http "$URL/redirect?to=file:///etc/passwd"; expect_code 0 "without --follow, that 302 is just a 302"
run_preflight http "$URL/redirect?to=gopher://127.0.0.1:70/x" -L; expect_code 52 "a redirect to gopher: is refused"
run_preflight http "$URL/hops/10" -L; expect_code 0 "10 redirects are followed"
run_preflight http "$URL/hops/11" -L; expect_code 52 "the 11th is not"; expect_text ERR "at most 10" "says the limit"
run_preflight http "$URL/redirect?to=/method" -L -X POST --expect-body 'method GET'; expect_code 0 "302 turns POST into GET"
run_preflight http "$URL/redirect?to=/method&code=307" -L -X POST --expect-body 'method POST'; expect_code 0 "307 keeps POST"
run_preflight http "$URL/redirect?to=/echo" -L -H 'X-Token: same-origin' --expect-body 'X-Token: same-origin'
expect_code 0 "--header goes along to the same origin"
run_preflight http "$URL/redirect?to=http://localhost:$P/echo" -L -H 'X-Token: other-origin' --expect-body 'X-Token' -v
expect_code 53 "--header is not sent to another origin"; expect_text ERR "not sent after the redirect to another origin" "-v says so"

# ---- a chain file: what --dry-run accepts the run accepts, and what libcurl refuses neither ----
printf 'user root\nhttp http://me:hunt@r2@127.0.0.1:%s/ok\n' "$P" >"$WORK/bad-url.conf"
run_preflight run "$WORK/bad-url.conf" --dry-run; expect_code 6 "--dry-run: a URL libcurl refuses is an error in the file"
expect_text ERR "$WORK/bad-url.conf:2: http: '***@127.0.0.1:$P/ok': libcurl refuses the URL: Bad hostname" "names the file, the line and libcurl's reason"
expect_no_text ERR "hunt" "without the password"
run_preflight run "$WORK/bad-url.conf"; expect_code 6 "the run refuses it the same way, before any line runs"
expect_text ERR "$WORK/bad-url.conf:2: http:" "naming the same line"; expect_no_text ERR "ok   user" "and runs nothing"
printf 'http http://127.1:%s/ok\nhttp http://me:hunt%%40r2@127.0.0.1:%s/echo --expect-body "Authorization: Basic"\n' "$P" "$P" >"$WORK/good-url.conf"
run_preflight run "$WORK/good-url.conf" --dry-run; expect_code 0 "--dry-run accepts what libcurl reads (127.1, %40 in a password)"
run_preflight run "$WORK/good-url.conf"; expect_code 0 "and the run passes them"
expect_text ERR "ok   http http://127.0.0.1:$P/ok" "shown as libcurl reads it"; expect_text ERR "http://me:***@127.0.0.1:$P/echo" "the password hidden"
expect_no_text ERR "hunt" "and not shown"

# ---- 53: body or header mismatch ----
run_preflight http "$URL/ok" --expect-body 'all systems go'; expect_code 53 "body lacks the text"
expect_text ERR "but the body lacks 'all systems go'; the body starts 'ready'" "names the text and shows the body"
run_preflight http "$URL/ok" --expect-body-regex '^(up|green)$'; expect_code 53 "body does not match the regex"
expect_text ERR "does not match '^(up|green)\$'" "names the regex"
run_preflight http "$URL/control" --expect-body-regex '^next'; expect_code 0 "^ matches at the start of any line"
run_preflight http "$URL/control" --expect-body-regex 'line.next'; expect_code 53 "and . does not match a line break"
run_preflight http "$URL/status/503" --expect-status 503 --expect-body ready; expect_code 53 "status fine, body not"
run_preflight http "$URL/ok" --expect-header 'X-Ready: no'; expect_code 53 "header value differs"
expect_text ERR "with X-Ready: 'yes', expected 'no'" "shows both values"
run_preflight http "$URL/ok" --expect-header 'X-Missing'; expect_code 53 "header missing"; expect_text ERR "no X-Missing header" "names the header"
run_preflight http "$URL/ok" --expect-header 'X-Ready: YES'; expect_code 53 "values are compared exactly"
run_preflight http "$URL/control" --expect-body absent; expect_code 53 "hostile body"
expect_text ERR '\x1b[31mred' "terminal escapes are shown escaped"; expect_no_text ERR "$(printf '\033')" "no raw escape reaches the terminal"
expect_no_text ERR "$(printf '\r')" "no raw carriage return either"
run_preflight http "$URL/control" --expect-body-regex 'after-nul ready'; expect_code 0 "the regex sees past a NUL byte"
run_preflight http "$URL/long" --expect-body y
expect_code 53 "long body"; expect_text ERR "'$(printf 'x%.0s' $(seq 80))...'" "the excerpt stops at 80 characters"

# ---- large bodies: read up to 64 KiB, then the transfer stops ----
run_preflight http "$URL/big" -v; expect_code 0 "64 MiB body"; expect_text ERR "65536 bytes of body read (then stopped" "reads 64 KiB only"
run_preflight http "$URL/big" --expect-body-regex '^(0123456789abcdef)+$'; expect_code 0 "matched on the first 64 KiB"
run_preflight http "$URL/big" --expect-body-regex '(*NO_START_OPT)(\w+)+!' -t 5s; expect_code 53 "a match that would take too long gives up: a mismatch"
expect_text ERR "matching gave up at its limit" "says it gave up at a limit"; expect_text ERR "avoid nested repetition" "and how to write the pattern"
expect_elapsed 0 3000 "well before the deadline"; expect_no_text ERR "$BACKSTOP" "not the backstop"
run_preflight http "$URL/big" --expect-body 'not there'; expect_code 53 "mismatch on a capped body"; expect_text ERR "(first 64 KiB)" "says only 64 KiB were matched"
rss_ok=$(max_rss_kib "$PREFLIGHT" http "$URL/ok")
rss_big=$(max_rss_kib "$PREFLIGHT" http "$URL/big")
if [ "$rss_big" -lt $((rss_ok + 8192)) ]; then
	pass "a 64 MiB body costs no more than 8 MiB more memory than a 6-byte one (max RSS ${rss_big} KiB vs ${rss_ok} KiB)"
else
	fail "a 64 MiB body took ${rss_big} KiB of memory, a 6-byte one ${rss_ok} KiB"
fi

# ---- secrets never shown ----
run_preflight http "$URL/echo" -H 'X-Token: t0k3n-value-1' -H 'Authorization: Bearer t0k3n-value-2' \
	--expect-body 'never there' --json -v
expect_code 53 "echoed headers, mismatch"
expect_no_text OUT "t0k3n-value" "--header values are not in the JSON"; expect_no_text ERR "t0k3n-value" "nor on stderr"
run_preflight http "$URL/echo" -H 'X-Token: t0k3n-value-1' --expect-body 'never there' -v
expect_no_text ERR "t0k3n-value" "nor in human output with -v"
run_preflight http "http://user:hunter2@127.0.0.1:$P/echo" --expect-body-regex '^never-there' --json -v
expect_code 53 "URL with a password, mismatch"
expect_text OUT "Authorization: Basic ***" "the Basic credentials the server echoed are hidden in the excerpt"
expect_text OUT "\"target\":\"http://user:***@127.0.0.1:$P/echo\"" "the target is shown without the password"
expect_no_text OUT "hunter2" "the password is not in the JSON"
expect_no_text OUT "$(printf 'user:hunter2' | base64)" "nor its Basic credentials, which the server echoed"
run_preflight http "http://user:hunter2@127.0.0.1:$P/echo" --expect-body 'Authorization: Basic'
expect_code 0 "the password is used (Basic authentication)"; expect_no_text ERR "hunter2" "and not shown"
run_preflight http "http://t0k3n-user@127.0.0.1:$P/ok"; expect_text ERR "http://***@127.0.0.1" "a user name alone is masked"

# ---- --invert ----
run_preflight http "$URL/status/503" --invert; expect_code 0 "--invert of a 503 passes"
run_preflight http "$URL/ok" --invert; expect_code 52 "--invert of a ready URL fails with 52"

# ---- 50: unreachable ----
refused=$(free_port)
run_preflight http "http://127.0.0.1:$refused/"; expect_code 50 "connection refused"
expect_text ERR "connection refused by 127.0.0.1 port $refused" "says refused, and by whom"
run_preflight http "http://[::1]:$refused/"; expect_code 50 "IPv6 refused"
run_preflight http "http://127.0.0.1:$refused/" --invert; expect_code 0 "--invert of an unreachable URL passes"
run_preflight http "$URL/ok" "http://127.0.0.1:$refused/"; expect_code 50 "the failing one of two"
run_cmd "$RESOLVER" --refused "$PREFLIGHT" http http://ready.preflight.test/; expect_code 50 "unresolvable name"
expect_text ERR "cannot resolve the host name" "says it cannot resolve"
run_cmd "$RESOLVER" --host "127.0.0.1 app.preflight.test" "$PREFLIGHT" http "http://app.preflight.test:$P/ok"
expect_code 0 "a name from /etc/hosts"
run_preflight http "http://localhost/ok" --unix-socket "$WORK/none.sock"; expect_code 50 "missing unix socket"
expect_text ERR "cannot connect to unix socket $WORK/none.sock: No such file or directory" "names the socket"

# ---- the wait mode: a server that comes up a second late is noticed promptly ----
late=$(free_port)
start=$(date +%s%N)
"$PREFLIGHT" http "http://127.0.0.1:$late/ok" --wait -t 10s -i 100ms --json >"$WORK/wait.out" 2>&1 &
waiter=$!
STARTED_PIDS+=("$waiter")
sleep 1
start_server --port "$late"
ready=$(date +%s%N)
wait "$waiter"; RC=$?
end=$(date +%s%N)
OUT=$(cat "$WORK/wait.out"); ERR=""
expect_code 0 "--wait: passes once the server is up"
total=$(((end - start) / 1000000))
[ "$total" -ge 1000 ] && pass "--wait waited for the server (${total}ms in all)" ||
	fail "--wait passed after ${total}ms, before the server was started"
ELAPSED_MS=$(((end - ready) / 1000000))
expect_elapsed 0 100 "--wait noticed the server within an interval (100ms) of its being ready"
expect_attempts -gt 1 "JSON counts the attempts"
stop_peer "$SERVER_PID"
run_preflight http "http://127.0.0.1:$refused/" --wait -t 1s -i 100ms; expect_code 50 "--wait on a refused port ends with 50"
expect_took 1000 "--wait -t 1s ends in about a second"

# ---- 51: timed out; the deadline is hard at every step ----
run_preflight http "$URL/slow?seconds=30" -t 1s; expect_code 51 "a slow handler"
expect_took 1000 "-t 1s against a slow handler ends in about a second"
expect_text ERR "timed out after 1.0s waiting for the answer" "says where it was stuck"
expect_no_text ERR "$BACKSTOP" "ended by libcurl's timeout, not the backstop"
run_preflight http "$URL/drip" -t 1s; expect_code 51 "a server dripping the body one byte a second"
expect_took 1000 "-t 1s against a dripping body ends in about a second"
expect_text ERR "reading the answer" "says it was reading"; expect_no_text ERR "$BACKSTOP" "not the backstop"
run_preflight http "$URL/drip-head" -t 1500ms; expect_code 51 "a server dripping its status line"
expect_took 1500 "-t 1500ms against a dripping status line ends in about 1.5s"
start_peer "$PY" "$PEERS/hung_listener.py"; hung=${PEER_OUT#ready }
run_preflight http "http://127.0.0.1:$hung/" -t 1s; expect_code 51 "a full accept queue"
expect_took 1000 "-t 1s against a full accept queue ends in about a second"
expect_text ERR "connecting" "says it was connecting"; expect_no_text ERR "$BACKSTOP" "not the backstop"
run_preflight http "http://127.0.0.1:$hung/" -t 1s --wait -i 100ms; expect_code 51 "--wait against a full accept queue"
expect_took 1000 "--wait -t 1s against it ends in about a second too"
run_cmd "$RESOLVER" --log "$WORK/dns.log" "$PREFLIGHT" http http://ready.preflight.test:8080/ -t 1s
expect_code 51 "a resolver that never answers"
expect_took 1000 "-t 1s against a silent resolver ends in about a second"
expect_text ERR "resolving the host name" "says it was resolving"; expect_no_text ERR "$BACKSTOP" "libcurl's threaded resolver is bounded: not the backstop"
if grep -q '^query ready.preflight.test' "$WORK/dns.log"; then pass "the silent resolver was really asked"; else fail "the silent resolver saw no query"; fi
run_cmd "$RESOLVER" "$PREFLIGHT" http http://ready.preflight.test/ -t 3s --wait -i 100ms
expect_code 51 "--wait against a silent resolver"
expect_took 3000 "--wait -t 3s against a silent resolver ends in about 3 seconds"
expect_no_text ERR "$BACKSTOP" "and not through the backstop"

# ---- TLS: 54 ----
openssl_quiet() { openssl "$@" >/dev/null 2>&1; }
ec_key=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
# make_cert NAME SUBJECT_ALT_NAMES: a certificate signed by the test CA.
make_cert() {
	openssl_quiet req "${ec_key[@]}" -keyout "$WORK/$1.key" -out "$WORK/$1.csr" -subj "/CN=$1" &&
		printf 'subjectAltName=%s\n' "$2" >"$WORK/$1.ext" &&
		openssl_quiet x509 -req -in "$WORK/$1.csr" -CA "$WORK/ca.pem" -CAkey "$WORK/ca.key" \
			-CAcreateserial -out "$WORK/$1.pem" -days 2 -extfile "$WORK/$1.ext"
}
if openssl_quiet req -x509 "${ec_key[@]}" -keyout "$WORK/ca.key" -out "$WORK/ca.pem" -days 2 \
	-subj "/CN=preflight test CA" &&
	make_cert server "IP:127.0.0.1,DNS:localhost" && make_cert wrongname "DNS:wrong.preflight.test" &&
	make_cert client "DNS:client" &&
	openssl_quiet req -x509 "${ec_key[@]}" -keyout "$WORK/self.key" -out "$WORK/self.pem" -days 2 \
		-subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1"; then
	pass "openssl made the test certificates"
else
	fail "openssl could not make the test certificates"
fi
start_server --port 0 --tls "$WORK/server.pem" "$WORK/server.key"; TLS="https://127.0.0.1:$SERVER_AT"
start_server --port 0 --tls "$WORK/self.pem" "$WORK/self.key"; SELF="https://127.0.0.1:$SERVER_AT"
start_server --port 0 --tls "$WORK/wrongname.pem" "$WORK/wrongname.key"; WRONG="https://127.0.0.1:$SERVER_AT"
start_server --port 0 --tls "$WORK/server.pem" "$WORK/server.key" --client-ca "$WORK/ca.pem"; MTLS="https://127.0.0.1:$SERVER_AT"

run_preflight http "$TLS/ok" --cacert "$WORK/ca.pem" --expect-body ready; expect_code 0 "https with --cacert"
run_preflight http "https://localhost:${TLS##*:}/ok" --cacert "$WORK/ca.pem"; expect_code 0 "https by name"
run_preflight http "$TLS/ok"; expect_code 54 "a CA the system does not trust"
expect_text ERR "TLS failure: SSL certificate problem" "says it is the certificate"; expect_text ERR "fix: give the CA" "says how to fix it"
run_preflight http "$SELF/ok"; expect_code 54 "a self-signed certificate"
run_preflight http "$SELF/ok" --insecure; expect_code 0 "a self-signed certificate with --insecure"
run_preflight http "$SELF/ok" --cacert "$WORK/self.pem"; expect_code 0 "a self-signed certificate given as --cacert"
run_preflight http "$WRONG/ok" --cacert "$WORK/ca.pem"; expect_code 54 "a certificate for another name"
expect_text ERR "TLS failure: 127.0.0.1 is not among the names in the server's certificate" "says the host is not among its names"
expect_text ERR "give the server a certificate that names 127.0.0.1" "and how to fix that"
expect_no_text ERR "give the CA" "not that the CA is missing: --cacert gave it"
run_preflight http "https://localhost:${WRONG##*:}/ok" --cacert "$WORK/ca.pem"; expect_code 54 "by name, too"
expect_text ERR "localhost is not among the names" "names the host asked for"
run_preflight http "$WRONG/ok" --cacert "$WORK/ca.pem" --wait -t 5s --json; expect_code 54 "--wait does not retry a TLS failure (permanent)"
expect_attempts -eq 1 "it answers at once"
run_preflight http "$MTLS/ok" --cacert "$WORK/ca.pem"; expect_code 54 "no client certificate where one is required"
expect_text ERR "--cert FILE and --key FILE" "says to give a client certificate"
run_preflight http "$MTLS/ok" --cacert "$WORK/ca.pem" --cert "$WORK/client.pem" --key "$WORK/client.key"
expect_code 0 "with a client certificate"
run_preflight http "https://127.0.0.1:$P/ok"; expect_code 54 "https to a plain http port"
run_preflight http "http://127.0.0.1:${TLS##*:}/ok"; expect_code 50 "plain http to a TLS port: no usable answer"
start_server --port 0
run_preflight http "http://127.0.0.1:$SERVER_AT/redirect?to=$TLS/ok" -L --cacert "$WORK/ca.pem"; expect_code 0 "a redirect from http to https"
run_preflight http "http://127.0.0.1:$SERVER_AT/redirect?to=$SELF/ok" -L; expect_code 54 "a redirect to an untrusted https"

# ---- a server on a unix socket ----
start_server --unix "$WORK/http.sock"
run_preflight http http://localhost/ok --unix-socket "$WORK/http.sock" --expect-body ready; expect_code 0 "unix socket"
run_preflight http http://localhost/status/503 --unix-socket "$WORK/http.sock"; expect_code 52 "unix socket, 503"
run_preflight http "http://localhost/slow?seconds=30" --unix-socket "$WORK/http.sock" -t 1s; expect_code 51 "unix socket, slow"
expect_took 1000 "-t 1s on a unix socket ends in about a second"
run_cmd as_nobody "$PREFLIGHT" http http://localhost/ok --unix-socket "$WORK/http.sock"; expect_code 50 "a unix socket nobody may not reach"
expect_text ERR "Permission denied" "says permission denied"

# ---- 5 (libcurl not installed) and 1 (installed, not loadable): test_libraries.sh ----

# ---- only what a line needs is loaded: the loader's own record of the files it opened ----
loads() { # LIBRARY COMMAND...: how many times the loader opened LIBRARY
	local lib=$1
	shift
	LD_DEBUG=files "$@" 2>&1 >/dev/null | grep -c "file=$lib"
}
n=$(loads libcurl "$PREFLIGHT" user root); [ "$n" -eq 0 ] && pass "user does not load libcurl" || fail "user loads libcurl ($n)"
n=$(loads libcurl "$PREFLIGHT" http "http://127.0.0.1:$refused/"); [ "$n" -gt 0 ] && pass "http does (the probe sees it)" || fail "the probe saw no libcurl for http"
n=$(loads libpcre2 "$PREFLIGHT" http "http://127.0.0.1:$refused/"); [ "$n" -eq 0 ] && pass "http without --expect-body-regex does not load PCRE2" || fail "PCRE2 loaded without the option ($n)"
n=$(loads libpcre2 "$PREFLIGHT" http "http://127.0.0.1:$refused/" --expect-body-regex ok); [ "$n" -gt 0 ] && pass "with it, it does" || fail "the probe saw no PCRE2 with --expect-body-regex"

# An http line is parsed by libcurl, so --dry-run needs it too: 5 without it, naming the line.
if [ "$(id -u)" -eq 0 ]; then
	run_cmd without_libraries "libcurl.so.4 libcurl-gnutls.so.4" "$PREFLIGHT" run "$WORK/good-url.conf" --dry-run
	expect_code 5 "--dry-run loads libcurl for an http line: 5 without it"
	expect_text ERR "$WORK/good-url.conf:1: http: libcurl is not installed" "naming the line"
else
	skip_case "--dry-run without libcurl: hiding libcurl needs root (unshare --mount)"
fi

finish
