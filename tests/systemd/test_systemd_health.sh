#!/bin/bash
# `preflight run FILE --http-response` under a real systemd 252 (README.md, "Health endpoint:
# socket activation"): socket units with Accept=yes on free loopback ports (the test system
# shares this machine's network namespace, so curl reaches them from here), one preflight per
# connection with StandardInput=socket. Asserts 200 and 503 with JSON Lines and the headers, ten
# requests at once, a silent client's 408 within the bound, a huge request's 431 with the chain
# not run, HEAD, a bad method, and that nothing but the one HTTP answer reaches the connection
# while the diagnostics go to the journal.
#
# PREFLIGHT names the binary under test. Prints "ok - ..." / "not ok - ..." lines and a final
# "health: N passed, N failed" line; exit status as test_systemd.sh's.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SUITE=health
# shellcheck source=lib.sh
. "$HERE/lib.sh"

command -v curl >/dev/null || not_run "curl is not installed (packaging/deps.sh installs it)"
PORT_OK=$(free_port)
PORT_FAIL=$(free_port)
PORT_SIDE=$(free_port)
PORT_FREE=$(free_port)
stage_files "$HERE/health/units" "$HERE/health/files" -e "s|@PORT_OK@|$PORT_OK|g" \
	-e "s|@PORT_FAIL@|$PORT_FAIL|g" -e "s|@PORT_SIDE@|$PORT_SIDE|g" -e "s|@PORT_FREE@|$PORT_FREE|g"
# The packaged example pair, as shipped but for the port, the binary and the chain file.
PORT_PKG=$(free_port)
for unit in preflight-health.socket preflight-health@.service; do
	sed -e "s|127.0.0.1:9101|127.0.0.1:$PORT_PKG|" -e "s|/usr/bin/preflight|$INSIDE_PREFLIGHT|" \
		-e "s|run myapp|run /run/preflight-test/ok.conf|" "$HERE/../../packaging/units/$unit" \
		>"$STAGE/units/$unit"
done
boot_test_system pf-health.target
CLIENT="$TESTS_DIR/peers/http_client.py"
WORK=$STAGE/work
mkdir -p "$WORK"

for kind in ok fail side; do
	sctl start "pf-health-$kind.socket"
	expect_prop "pf-health-$kind.socket" ActiveState active "pf-health-$kind.socket listens"
done

# get PORT [CURL-ARGS]: curl's status in CODE, headers in $WORK/h, body in $WORK/b.
get() {
	local port=$1
	shift
	CODE=$(curl -sS --max-time 20 -D "$WORK/h" -o "$WORK/b" -w '%{http_code}' "$@" \
		"http://127.0.0.1:$port/health")
}
header() { tr -d '\r' <"$WORK/h" | sed -n "s/^$1: //Ip" | head -1; }
# JSON Lines: every line an object with the keys --json prints; prints "N lines, codes C C ...".
json_lines() {
	python3 -c '
import json, sys
codes = []
for line in open(sys.argv[1], encoding="utf-8"):
    o = json.loads(line)
    assert {"check", "target", "ok", "code", "message", "elapsed_ms", "attempts"} <= o.keys(), o
    codes.append(str(o["code"]))
print(len(codes), "lines, codes", " ".join(codes))' "$1" 2>&1
}

# ---- a passing chain: 200, JSON Lines, the headers ----------------------------------------------
get "$PORT_OK"
echo "# \$ curl -i http://127.0.0.1:$PORT_OK/health"
tr -d '\r' <"$WORK/h" | sed 's/^/#   /'
sed 's/^/#   /' "$WORK/b"
[ "$CODE" = 200 ] && pass "a passing chain answers 200" || fail "a passing chain answered '$CODE'"
expect_contains "$(head -1 "$WORK/h")" "HTTP/1.1 200 OK" "the status line is HTTP/1.1 200 OK"
[ "$(header Content-Type)" = application/x-ndjson ] && pass "Content-Type: application/x-ndjson" ||
	fail "Content-Type is '$(header Content-Type)'"
[ "$(header Content-Length)" = "$(stat -c %s "$WORK/b")" ] &&
	pass "Content-Length is the body's size ($(header Content-Length))" ||
	fail "Content-Length '$(header Content-Length)', body $(stat -c %s "$WORK/b") bytes"
[ "$(header Connection)" = close ] && pass "Connection: close" || fail "Connection is '$(header Connection)'"
[ "$(header Cache-Control)" = no-store ] && pass "Cache-Control: no-store" ||
	fail "Cache-Control is '$(header Cache-Control)'"
out=$(json_lines "$WORK/b")
[ "$out" = "2 lines, codes 0 0" ] && pass "the body is the chain's JSON Lines ($out)" ||
	fail "the body: $out"

# ---- a failing chain: 503, every line, nothing but the answer on the connection ---------------
get "$PORT_FAIL"
echo "# \$ curl -i http://127.0.0.1:$PORT_FAIL/health"
tr -d '\r' <"$WORK/h" | sed 's/^/#   /'
sed 's/^/#   /' "$WORK/b"
[ "$CODE" = 503 ] && pass "a failing chain answers 503" || fail "a failing chain answered '$CODE'"
out=$(json_lines "$WORK/b")
[ "$out" = "3 lines, codes 20 40 0" ] &&
	pass "every line ran and is in the body, as a monitor wants the whole picture ($out)" ||
	fail "the body of the failing chain: $out"
# stdout and stderr of this unit are the connection (StandardInput=socket alone); the redis line
# warns at parse time and two lines fail: read the raw connection to its end.
raw=$(python3 "$CLIENT" 127.0.0.1 "$PORT_FAIL" --send 'GET / HTTP/1.1\r\nHost: t\r\n\r\n' \
	2>"$WORK/summary" | tr -d '\0' | tr -d '\r')
summary=$(cat "$WORK/summary")
expect_contains "$summary" "status=503" "raw: the connection carries a 503"
expect_contains "$summary" "trailing=0" "raw: exactly one HTTP response, nothing after its body"
expect_absent "$raw" "FAIL" "raw: no human line on the connection"
expect_absent "$raw" "preflight:" "raw: no diagnostic on the connection"
expect_absent "$raw" "hunter2" "raw: the password is not on the connection"
# The request's line is each instance's last: once it is in, the lines before it are too.
out=$(wait_journal 'pf-health-fail@*' "GET /health: 503")
expect_contains "$out" "FAIL port 127.0.0.1:$PORT_FAIL/tcp in use" "journal: the FAIL line is there"
expect_contains "$out" "password" "journal: the parse warning is there"
expect_contains "$out" "--http-response: GET /health: 503" "journal: the request and its answer"
out=$(journal 'pf-health-fail@*' -p err)
expect_contains "$out" "FAIL port" "journal: FAIL lines carry priority err (journalctl -p err)"
expect_absent "$(journal 'pf-health-fail@*')" "hunter2" "journal: the password is not there either"

# ---- ten at once ----------------------------------------------------------------------------------
pids=()
for i in $(seq 10); do
	curl -sS --max-time 30 -o "$WORK/c$i.body" -w '%{http_code}\n' \
		"http://127.0.0.1:$PORT_OK/" >"$WORK/c$i.code" 2>&1 &
	pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid"; done
good=0
for i in $(seq 10); do
	[ "$(cat "$WORK/c$i.code")" = 200 ] && [ "$(json_lines "$WORK/c$i.body")" = "2 lines, codes 0 0" ] &&
		good=$((good + 1))
done
[ "$good" = 10 ] && pass "10 concurrent requests: all 10 answered 200 with the whole body" ||
	fail "10 concurrent requests: $good answered correctly"

# What one request costs, connection to close (systemd starting an instance, the chain, the
# answer): reported, not asserted.
times=$(for i in $(seq 10); do
	curl -sS --max-time 20 -o /dev/null -w '%{time_total}\n' "http://127.0.0.1:$PORT_OK/"
done | sort -n | awk '{ t[NR] = $1 } END { printf "median %.1f ms, max %.1f ms", t[5] * 1000, t[NR] * 1000 }')
echo "# 10 requests one after another: $times"

# ---- HEAD, a bad method ---------------------------------------------------------------------------
python3 "$CLIENT" 127.0.0.1 "$PORT_OK" --send 'HEAD / HTTP/1.1\r\nHost: t\r\n\r\n' >/dev/null \
	2>"$WORK/summary"
summary=$(cat "$WORK/summary")
[[ "$summary" == *"status=200 length="[1-9]*" body_bytes=0 trailing=0"* ]] &&
	pass "HEAD: 200 with the Content-Length of the GET, and no body on the connection" ||
	fail "HEAD: $summary"
get "$PORT_OK" -X DELETE
[ "$CODE" = 405 ] && [ "$(header Allow)" = "GET, HEAD" ] && pass "DELETE: 405 with Allow: GET, HEAD" ||
	fail "DELETE: '$CODE', Allow '$(header Allow)'"

# ---- a silent client: 408 within the bound, and the instance ends -------------------------------
python3 "$CLIENT" 127.0.0.1 "$PORT_OK" --wait 20 >/dev/null 2>"$WORK/summary"
summary=$(cat "$WORK/summary")
ms=$(sed -n 's/^elapsed_ms=//p' "$WORK/summary")
expect_contains "$summary" "status=408" "a client that sends nothing gets 408"
limit=$((6500 * ${PREFLIGHT_TIME_SLACK:-1}))
[ "${ms:-99999}" -ge 4900 ] && [ "${ms:-99999}" -le "$limit" ] &&
	pass "the 408 came after the 5 s bound (${ms} ms)" || fail "the 408 came after ${ms:-?} ms"
left=
for i in $(seq "$(polls 50)"); do
	left=$(sctl list-units --no-legend --state=active,activating,deactivating 'pf-health-ok@*')
	[ -z "$left" ] && break
	sleep 0.1
done
[ -z "$left" ] && pass "every pf-health-ok@ instance has ended" || fail "instances still running: $left"

# ---- a huge request: 431, and the chain did not run ----------------------------------------------
big=$(printf 'X-Fill: %s\\r\\n' "$(head -c 20000 /dev/zero | tr '\0' a)")
python3 "$CLIENT" 127.0.0.1 "$PORT_SIDE" --send "GET / HTTP/1.1\\r\\nHost: t\\r\\n$big\\r\\n" \
	>/dev/null 2>"$WORK/summary"
expect_contains "$(cat "$WORK/summary")" "status=431" "a 20 KB request gets 431"
sleep 0.5
inside test -e /run/preflight-test/ran && fail "the chain ran for the 431 request" ||
	pass "the chain did not run for it (its exec line left no mark)"
get "$PORT_SIDE"
[ "$CODE" = 200 ] && inside test -e /run/preflight-test/ran &&
	pass "a normal request to the same endpoint runs the chain (the mark is there)" ||
	fail "the side-effect chain: '$CODE', mark $(inside cat /run/preflight-test/ran 2>&1)"

# ---- the packaged example: DynamicUser= and its sandbox -----------------------------------------
sctl start preflight-health.socket
get "$PORT_PKG"
out=$(json_lines "$WORK/b")
[ "$CODE" = 200 ] && [ "$out" = "2 lines, codes 0 0" ] &&
	pass "packaging/units/preflight-health.socket and @.service, sandboxed as shipped: 200 ($out)" ||
	fail "the packaged example answered '$CODE': $out $(journal 'preflight-health@*' | tail -5)"
out=$(wait_journal 'preflight-health@*' "GET /health: 200")
expect_contains "$out" "ok   port" "the packaged example: the check lines are in the journal"

# ---- no instance failed: the answer carries the result ------------------------------------------
out=$(sctl list-units --no-legend --state=failed 'pf-health-*')
[ -z "$out" ] && pass "no instance is failed (503 and 4xx exit 0)" || fail "failed instances: $out"

finish_suite
