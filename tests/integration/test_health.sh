#!/bin/bash
# run --http-response without systemd: preflight gets one end of a connected socket on fds 0, 1
# and 2, as inetd or systemd's Accept=yes with StandardInput=socket give it (tests/peers/
# http_inetd.py plays the client on the other end, over a socket pair or loopback TCP). The
# parsing, each status, the bounds, and that nothing but the one answer reaches the connection.
. "$(dirname "$0")/lib.sh"

INETD="$PEERS/http_inetd.py"
PORT_FREE=$(free_port)
GET='GET /health HTTP/1.1\r\nHost: t\r\n\r\n'
printf 'tcp 127.0.0.1:%s --invert\nport 127.0.0.1:%s\n' "$PORT_FREE" "$PORT_FREE" >"$WORK/ok.conf"
# Fails on its first line (refused: 60), warns at parse time (a password as an argument), and
# has a line after the failure: the answer holds all three.
printf 'tcp 127.0.0.1:%s\nredis redis://:hunter2@127.0.0.1:%s -t 1s\nport 127.0.0.1:%s\n' \
	"$PORT_FREE" "$PORT_FREE" "$PORT_FREE" >"$WORK/fail.conf"
printf "exec 'touch %s/ran'\n" "$WORK" >"$WORK/side.conf"
printf 'tcp\n' >"$WORK/broken.conf"
chmod 644 "$WORK"/*.conf

# exchange [HARNESS-OPTIONS] -- ARGS...: preflight ARGS on the connection; RESP: what the client
# received (CRs dropped), SUM: the harness's summary (exit=, status=, headers), ERR too.
exchange() {
	local opts=()
	while [ "$1" != -- ]; do
		opts+=("$1")
		shift
	done
	shift
	python3 "$INETD" "${opts[@]}" -- "$PREFLIGHT" "$@" >"$WORK/resp" 2>"$WORK/sum"
	RESP=$(tr -d '\r\0' <"$WORK/resp")
	SUM=$(cat "$WORK/sum")
	ERR=$SUM
	RC=$(sed -n 's/^exit=\([0-9-]*\).*/\1/p' "$WORK/sum")
	ELAPSED_MS=$(sed -n 's/.*elapsed_ms=\([0-9]*\).*/\1/p' "$WORK/sum")
}
expect_sum() { expect_text ERR "$1" "$2"; }
body_codes() { # the JSON Lines body's codes, one line: "20 40 0"
	tr -d '\r' <"$WORK/resp" | sed '1,/^$/d' | python3 -c '
import json, sys
print(" ".join(str(json.loads(l)["code"]) for l in sys.stdin if l.strip()))'
}

# ---- usage: 2 ------------------------------------------------------------------------------------
run_preflight run "$WORK/ok.conf" --http-response -- /bin/true
expect_code 2 "--http-response with -- COMMAND"
expect_text ERR "runs no -- COMMAND" "the refusal says why"
expect_clean_line "--http-response with -- COMMAND"
run_preflight run "$WORK/ok.conf" --http-response --dry-run
expect_code 2 "--http-response with --dry-run"
run_preflight run "$WORK/ok.conf" --http-response --as-unit nosuch.service
expect_code 2 "--http-response with --as-unit"
run_preflight run "$WORK/ok.conf" --http-response=1
expect_code 2 "--http-response takes no value"
# --format nagios makes every usage error an UNKNOWN (3) on stdout, this one too.
run_preflight run "$WORK/ok.conf" --http-response --format nagios
expect_code 3 "--http-response with --format nagios: UNKNOWN"
expect_text OUT "PREFLIGHT UNKNOWN - run: --http-response answers with the JSON Lines: not with --format nagios" \
	"... the status line says why"
run_preflight run --help
expect_text OUT "--http-response" "run --help lists --http-response"

# ---- 200: every line passed --------------------------------------------------------------------
exchange --send "$GET" -- run "$WORK/ok.conf" --http-response
expect_sum "status=200" "a passing chain: 200"
expect_sum "exit=0" "exit 0"
expect_sum "header Content-Type: application/x-ndjson" "Content-Type: application/x-ndjson"
expect_sum "header Connection: close" "Connection: close"
expect_sum "header Cache-Control: no-store" "Cache-Control: no-store"
expect_sum "trailing=0" "exactly one response on the connection"
len=$(sed -n 's/.*length=\([0-9]*\) body_bytes=\([0-9]*\).*/\1 \2/p' "$WORK/sum")
[ -n "$len" ] && [ "${len% *}" = "${len#* }" ] && pass "Content-Length is the body's length ($len)" ||
	fail "Content-Length and body: '$len'"
[ "$(body_codes)" = "0 0" ] && pass "the body: each line's JSON" || fail "body codes '$(body_codes)'"
expect_no_text ERR "ok   tcp" "no human line on the connection (stderr was the connection)"

# ---- 503: a line failed; every line runs; nothing else on the connection ------------------------
exchange --send "$GET" -- run "$WORK/fail.conf" --http-response
expect_sum "status=503" "a failing chain: 503"
expect_sum "exit=0" "503 exits 0: the answer carries the result"
[ "$(body_codes)" = "60 40 0" ] && pass "every line ran, as if --keep-going (60 40 0)" ||
	fail "body codes '$(body_codes)'"
expect_sum "trailing=0" "503: exactly one response on the connection"
for word in FAIL hunter2 preflight: password; do
	[[ "$RESP" != *"$word"* ]] && pass "503: no '$word' on the connection" ||
		fail "503: '$word' reached the connection"
done
# With stderr elsewhere (StandardError=journal, a file), the human lines and the warning go there.
exchange --send "$GET" --stderr "$WORK/stderr" -- run "$WORK/fail.conf" --http-response
expect_sum "status=503" "stderr a file: 503"
diag=$(cat "$WORK/stderr")
[[ "$diag" == *"FAIL tcp 127.0.0.1:$PORT_FREE"* ]] && pass "stderr a file: it has the FAIL line" ||
	fail "stderr a file: no FAIL line in: $diag"
[[ "$diag" == *"password"* && "$diag" != *"hunter2"* ]] &&
	pass "stderr a file: the parse warning, without the password" || fail "stderr: $diag"
[[ "$diag" == *"--http-response: GET /health: 503 Service Unavailable"* ]] &&
	pass "stderr a file: the request and its answer, one line" || fail "stderr: $diag"

# ---- over loopback TCP, HEAD, absolute-form, HTTP/1.0 -------------------------------------------
exchange --tcp --send "$GET" -- run "$WORK/ok.conf" --http-response
expect_sum "status=200" "over loopback TCP: 200"
exchange --send 'HEAD / HTTP/1.1\r\nHost: t\r\n\r\n' -- run "$WORK/ok.conf" --http-response
expect_sum "status=200" "HEAD: 200"
[[ "$SUM" =~ length=[1-9][0-9]*\ body_bytes=0\ trailing=0 ]] &&
	pass "HEAD: the GET's Content-Length, no body" || fail "HEAD: $SUM"
exchange --send 'GET http://t/x HTTP/1.1\r\nHost: t\r\n\r\n' -- run "$WORK/ok.conf" --http-response
expect_sum "status=200" "absolute-form target: 200"
exchange --send 'GET / HTTP/1.0\r\n\r\n' -- run "$WORK/ok.conf" --http-response
expect_sum "status=200" "HTTP/1.0 without Host: 200"
exchange --send 'GET / HTTP/1.1\nHost: t\n\n' -- run "$WORK/ok.conf" --http-response
expect_sum "status=200" "bare LF line ends: 200"
exchange --tcp --send 'GET / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello' -- \
	run "$WORK/ok.conf" --http-response
expect_sum "status=200" "bytes after the headers: 200, read and dropped (no reset)"
expect_no_text ERR "recv:" "bytes after the headers: the client got its answer whole"

# ---- errors: nothing runs ----------------------------------------------------------------------
check_status() { # STATUS REQUEST DESCRIPTION
	rm -f "$WORK/ran"
	exchange --send "$2" -- run "$WORK/side.conf" --http-response
	expect_sum "status=$1" "$3: $1"
	[ ! -e "$WORK/ran" ] && pass "$3: the chain did not run" || fail "$3: the chain ran"
}
check_status 405 'POST / HTTP/1.1\r\nHost: t\r\n\r\n' "POST"
expect_sum "header Allow: GET, HEAD" "405 says Allow: GET, HEAD"
check_status 405 'DELETE / HTTP/1.1\r\nHost: t\r\n\r\n' "DELETE"
check_status 400 'GET / HTTP/1.1\r\n\r\n' "HTTP/1.1 without Host"
check_status 400 'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n' "two Host headers"
check_status 400 'GET /\r\n\r\n' "no version"
check_status 400 'GET relative HTTP/1.1\r\nHost: t\r\n\r\n' "a target that is no path"
check_status 400 'GET / HTTP/1.1\r\nHost : t\r\n\r\n' "a space before the colon"
check_status 400 'GET / HTTP/1.1\r\nHost: t\r\n folded\r\n\r\n' "a folded header"
check_status 400 'GET / HTTP/1.1\r\nX: a\x00b\r\n\r\n' "a NUL byte"
check_status 400 '\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03' "a TLS ClientHello"
check_status 505 'GET / HTTP/2.0\r\n\r\n' "HTTP/2.0"
printf 'GET / HTTP/1.1\r\nHost: t\r\nX-Fill: %s\r\n\r\n' "$(head -c 9000 /dev/zero | tr '\0' a)" \
	>"$WORK/huge"
rm -f "$WORK/ran"
exchange --send-file "$WORK/huge" -- run "$WORK/side.conf" --http-response
expect_sum "status=431" "a 9 KB header: 431"
[ ! -e "$WORK/ran" ] && pass "431: the chain did not run" || fail "431: the chain ran"
head -c 20000 /dev/zero | tr '\0' b | sed 's/^/GET \//' >"$WORK/longline"
exchange --send-file "$WORK/longline" -- run "$WORK/side.conf" --http-response
expect_sum "status=431" "a 20 KB request line: 431"
# And the mark appears when the request is good: the side effect is a real proof.
rm -f "$WORK/ran"
exchange --send "$GET" -- run "$WORK/side.conf" --http-response
expect_sum "status=200" "the side-effect chain: 200 for a good request"
[ -e "$WORK/ran" ] && pass "the side-effect chain ran for it" || fail "no mark after a good request"

# ---- time: 408 -----------------------------------------------------------------------------------
rm -f "$WORK/ran"
exchange -- run "$WORK/side.conf" --http-response
expect_sum "status=408" "a client that sends nothing: 408"
expect_elapsed 4900 5500 "408 at the 5 s bound"
exchange --drip 0.4 --send 'GET / HTTP/1.1\r\nHost: t\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n' -- \
	run "$WORK/side.conf" --http-response
expect_sum "status=408" "a client that drips a byte each 0.4 s: 408"
expect_elapsed 4900 5500 "the dripping client's 408 at the 5 s bound, from the start"
[ ! -e "$WORK/ran" ] && pass "408: the chain did not run" || fail "408: the chain ran"
exchange --send 'GET / HTTP/1.1\r\n' -- run "$WORK/side.conf" --http-response
expect_sum "status=408" "headers that never end: 408"

# A client that never reads an answer larger than the socket's buffer: the write has 5 s.
for i in $(seq 300); do echo "tcp 127.0.0.1:$PORT_FREE --invert"; done >"$WORK/many.conf"
exchange --no-read --sndbuf 4096 --stderr "$WORK/stderr" --send "$GET" -- \
	run "$WORK/many.conf" --http-response
expect_elapsed 4900 5800 "a client that never reads: preflight gives up writing at 5 s"
expect_sum "exit=0" "a client that never reads: exit 0 (the client's doing)"
grep -q 'did not take the 200 answer within 5000 ms' "$WORK/stderr" &&
	pass "a client that never reads: stderr says so" || fail "stderr: $(tail -2 "$WORK/stderr")"
exchange --sndbuf 4096 --send "$GET" -- run "$WORK/many.conf" --http-response
expect_sum "status=200" "the same answer to a client that reads: 200"
expect_sum "body_bytes=$(sed -n 's/.*length=\([0-9]*\).*/\1/p' "$WORK/sum")" \
	"the same answer to a client that reads: the whole body, $(wc -l <"$WORK/many.conf") lines"

# ---- the client goes away; the chain file is broken ---------------------------------------------
python3 -c '
import socket, subprocess, sys
a, b = socket.socketpair()
p = subprocess.Popen(sys.argv[1:], stdin=b, stdout=b, stderr=subprocess.DEVNULL)
b.close()
a.sendall(b"GET / HT")
a.close()
sys.exit(p.wait())' "$PREFLIGHT" run "$WORK/ok.conf" --http-response
RC=$?
expect_code 0 "a client that leaves mid-request: no one to answer, exit 0"
exchange --send "$GET" --stderr "$WORK/stderr" -- run "$WORK/broken.conf" --http-response
expect_sum "status=500" "a broken chain file: 500"
expect_sum "exit=6" "a broken chain file: exit 6, as run's"
grep -q 'broken.conf:1' "$WORK/stderr" && pass "a broken chain file: stderr names FILE:LINE" ||
	fail "a broken chain file: stderr $(cat "$WORK/stderr")"
exchange --send "$GET" -- run "$WORK/nosuch.conf" --http-response
expect_sum "status=500" "a missing chain file: 500"
expect_sum "trailing=0" "a missing chain file: the one answer, no error line on the connection"

# ---- --parallel, stdin not the chain -------------------------------------------------------------
exchange --send "$GET" -- run "$WORK/fail.conf" --http-response --parallel
expect_sum "status=503" "--parallel: 503"
[ "$(body_codes)" = "60 40 0" ] && pass "--parallel: every line, in file order" ||
	fail "--parallel: body codes '$(body_codes)'"

finish
