#!/bin/bash
# --format nagios: the monitoring-plugins report and exit codes (0 OK, 1 WARNING, 2 CRITICAL,
# 3 UNKNOWN) from real checks, each output read by a strict parser written from the plugin
# guidelines (tests/peers/nagios_output.py); then the same plugin run by a real Icinga 2 daemon
# (one start, in a directory of its own), whose parsed state, output and perfdata are read back
# through the engine's own functions.
. "$(dirname "$0")/lib.sh"

READER="$PEERS/nagios_output.py"

# plugin DESCRIPTION EXPECTED_CODE ARGS...: runs preflight with ARGS, checks the exit code, that
# stderr is empty, and that the strict reader accepts stdout; PARSED holds the reader's JSON.
plugin() {
	local desc=$1 want=$2
	shift 2
	run_preflight "$@"
	expect_code "$want" "$desc"
	[ -z "$ERR" ] && pass "$desc: nothing on stderr" || fail "$desc: stderr: $ERR"
	if PARSED=$(printf '%s\n' "$OUT" | python3 "$READER" "$RC" 2>"$WORK/reader.err"); then
		pass "$desc: the output follows the plugin guidelines"
	else
		fail "$desc: $(cat "$WORK/reader.err")"
		printf '    stdout: %s\n' "$OUT"
	fi
}
# field EXPRESSION: a value of PARSED, by a Python expression over d.
field() {
	python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$PARSED" "$1"
}
expect_field() { # EXPRESSION EXPECTED DESCRIPTION
	local got
	got=$(field "$1")
	[ "$got" = "$2" ] && pass "$3" || fail "$3: $1 is '$got', expected '$2'"
}

FREE=$(free_port)
start_peer python3 "$PEERS/listen.py" tcp/127.0.0.1/0 || exit 1
BUSY=${PEER_OUT#ready }

# --- exit codes from real checks ---------------------------------------------------------------
plugin "a free port is OK" 0 port "$FREE" --format nagios
expect_text OUT "PREFLIGHT OK - port $FREE/tcp free" "the status line names the target"
expect_field 'd["perf"][0]["label"]' "port $FREE/tcp" "perfdata label: check and target"
expect_field 'd["perf"][0]["uom"]' "s" "perfdata in seconds"
expect_field 'd["perf"][0]["min"]' "0" "perfdata min 0"

plugin "a busy port is CRITICAL" 2 port "$BUSY" --format=nagios
expect_text OUT "PREFLIGHT CRITICAL - port $BUSY/tcp in use by" "the status line says what failed"
expect_field 'd["long"][0].startswith("CRITICAL: port %s/tcp in use" % '"$BUSY"')' True \
	"a long-text line per target, with its state"
expect_text OUT "[20]" "the long text carries preflight's own code"

plugin "a check that passes with a warning is WARNING" 1 \
	exec "sh -c 'sleep 30 & exit 0'" --format nagios
expect_text OUT "PREFLIGHT WARNING - exec" "the status line names the warning"
expect_text OUT "left 1 process" "... and what it is"

plugin "--invert on a free port is CRITICAL (the inverted check fails)" 2 \
	port "$FREE" --invert --format nagios
plugin "--invert on a busy port is OK" 0 port "$BUSY" --invert --format nagios
plugin "--wait until the deadline on a busy port is CRITICAL" 2 \
	port "$BUSY" --wait -t 300ms -i 50ms --format nagios
expect_field 'd["perf"][0]["value"] >= 0.2' True "the perfdata is the time the check took"

# --- UNKNOWN: preflight could not judge --------------------------------------------------------
plugin "a bad option before --format is UNKNOWN" 3 port --bogus "$FREE" --format nagios
expect_text OUT "PREFLIGHT UNKNOWN - port: unknown option '--bogus'" "the usage error is the status"
plugin "a bad option after --format is UNKNOWN" 3 port "$FREE" --format nagios --timeout nope
plugin "an unknown check is UNKNOWN" 3 nosuchcheck --format nagios
plugin "--format nagios with -- COMMAND is UNKNOWN" 3 port "$FREE" --format nagios -- \
	touch "$WORK/ran"
[ ! -e "$WORK/ran" ] && pass "the COMMAND did not run" || fail "the COMMAND ran"
expect_text OUT "a monitor never starts a service" "the refusal says why"
plugin "--format nagios with --as-unit is UNKNOWN" 3 port "$FREE" --format nagios --as-unit x
plugin "run: a missing chain file is UNKNOWN" 3 run "$WORK/missing.conf" --format nagios
expect_text OUT "PREFLIGHT UNKNOWN - run: $WORK/missing.conf: No such file" "names the file"
printf 'port %s\nport 80 --bogus\n' "$FREE" >"$WORK/bad.conf"
plugin "run: a bad line is UNKNOWN, and nothing runs" 3 run "$WORK/bad.conf" --format nagios
expect_text OUT "bad.conf:2:" "names the file and line"
printf 'port %s --format nagios\n' "$FREE" >"$WORK/line.conf"
plugin "run: --format nagios on a line is UNKNOWN" 3 run "$WORK/line.conf" --format nagios
expect_text OUT "goes on the command line" "says where it goes"
run_preflight run "$WORK/line.conf"
expect_code 6 "run: --format nagios on a line, without it on the command line, is 6"
if [ "$(id -u)" -eq 0 ]; then
	run_cmd without_libraries "libcurl.so.4 libcurl-gnutls.so.4" "$PREFLIGHT" \
		http "http://127.0.0.1:$FREE/" --format nagios
	expect_code 3 "a missing library is UNKNOWN"
	printf '%s\n' "$OUT" | python3 "$READER" "$RC" >/dev/null &&
		pass "missing library: the output follows the guidelines" ||
		fail "missing library: $OUT"
	expect_text OUT "PREFLIGHT UNKNOWN - http" "missing library: the status names the check"
	expect_text OUT "apt-get install" "missing library: the fix is in the long text"
else
	skip_case "a missing library needs root (a private mount namespace)"
fi
run_preflight port "$FREE" --format xml
expect_code 2 "--format xml is no format: a usage error, exit 2"
expect_text ERR "--format: 'xml' is not a format (human, json or nagios)" "names the formats"
run_preflight port "$FREE" --format nagios --json
expect_code 0 "the last format given wins (--json after --format nagios)"
expect_text OUT '"check":"port"' "... and JSON it is"
run_preflight port "$FREE" --format json
expect_text OUT '"check":"port"' "--format json is --json"
run_preflight port "$BUSY" --format human
expect_code 20 "--format human: the usual codes"
expect_text ERR "FAIL port $BUSY/tcp" "--format human: the usual lines on stderr"
ln -s "$PREFLIGHT" "$WORK/preflight-port"
run_cmd "$WORK/preflight-port" "$BUSY" --format nagios
expect_code 2 "the preflight-CHECK link takes --format nagios too"

# --- chains: every line runs, one report -------------------------------------------------------
mkdir "$WORK/it's a=b|c::d"
cat >"$WORK/chain.conf" <<EOF
defaults --timeout 2s
port $BUSY
port $FREE
tcp 127.0.0.1:$BUSY
tcp 127.0.0.1:$FREE
file "$WORK/it's a=b|c::d"
EOF
for mode in "" --parallel; do
	plugin "run ${mode:-in order}: a chain with failures is CRITICAL" 2 \
		run "$WORK/chain.conf" --format nagios $mode
	expect_field 'len(d["long"])' 5 "run ${mode:-in order}: every line ran (--keep-going implied)"
	expect_field 'len(d["perf"])' 5 "run ${mode:-in order}: perfdata for every line"
	expect_text OUT "PREFLIGHT CRITICAL - port $BUSY/tcp in use by" \
		"run ${mode:-in order}: the first failing line is the summary"
	expect_text OUT "; 3 of 5 checks ok" "run ${mode:-in order}: the count"
	expect_field '[l.split(":")[0] for l in d["long"]]' \
		"['CRITICAL', 'OK', 'OK', 'CRITICAL', 'OK']" "run ${mode:-in order}: in file order"
done
LABEL5="file $WORK/it\\x27s a\\x3db\\x7cc:\\x3ad"
expect_field 'd["perf"][4]["label"]' "$LABEL5" "a label writes ' = | and :: as \\xNN"
expect_no_text OUT "|c" "no raw '|' in the text"

plugin "run --prometheus FILE beside --format nagios: the report, and the file" 2 \
	run "$WORK/chain.conf" --format nagios --prometheus "$WORK/chain.prom"
grep -q '^preflight_check_ok{chain="chain",line="2",check="port"' "$WORK/chain.prom" 2>/dev/null &&
	pass "--prometheus wrote its file under --format nagios" || fail "no textfile written"
printf 'port %s\n' "$FREE" >"$WORK/ok.conf"
printf 'port %s\n' "$FREE" >>"$WORK/ok.conf"
plugin "run: every line passing is OK" 0 run "$WORK/ok.conf" --format nagios
expect_text OUT "PREFLIGHT OK - 2 of 2 checks ok" "the OK summary counts the checks"
expect_field '[p["label"] for p in d["perf"]]' "['port $FREE/tcp', 'port $FREE/tcp #2']" \
	"the same target twice gets two labels"
plugin "run --dry-run: OK, nothing run" 0 run "$WORK/chain.conf" --format nagios --dry-run
expect_text OUT "5 checks, all valid" "dry run: says so"

# A chain of 1000 lines: the output stays within what Nagios reads.
for i in $(seq 1000); do echo "port $FREE"; done >"$WORK/big.conf"
plugin "run: 1000 lines stay within 8 KiB" 0 run "$WORK/big.conf" --format nagios
[ "${#OUT}" -le 8192 ] && pass "1000 lines: ${#OUT} bytes" || fail "1000 lines: ${#OUT} bytes"
expect_text OUT "not shown)" "1000 lines: says what did not fit"

# --- secrets, and a real Redis that passes with a warning -----------------------------------------
plugin "a password in a URL: CRITICAL, and not in the output" 2 \
	redis "redis://:s3cret-pw@127.0.0.1:$FREE" --format nagios
expect_no_text OUT "s3cret-pw" "the password is in no line and no label"
expect_text OUT "warning: redis:" "the command-line password warning is in the long text"
REDIS_PORT=$(free_port)
start_redis nagios --port "$REDIS_PORT"
if wait_redis -p "$REDIS_PORT"; then
	plugin "a Redis without a password, given one: WARNING" 1 \
		redis "redis://:s3cret-pw@127.0.0.1:$REDIS_PORT" --format nagios
	expect_text OUT "PREFLIGHT WARNING - redis redis://:***@127.0.0.1:$REDIS_PORT answers PONG, but it has no password" "the warning is the status, the password hidden"
	expect_no_text OUT "s3cret-pw" "WARNING: the password is in no line and no label"
	REDISCLI_AUTH=s3cret-pw run_preflight redis "127.0.0.1:$REDIS_PORT" --format nagios -v
	expect_code 1 "REDISCLI_AUTH to a Redis without a password: WARNING"
	expect_no_text OUT "s3cret-pw" "REDISCLI_AUTH: the password is in no line"
	printf 'redis 127.0.0.1:%s\n' "$REDIS_PORT" >"$WORK/redis.conf"
	plugin "run - (stdin): a real Redis is OK" 0 run - --format nagios <"$WORK/redis.conf"
	expect_text OUT "PREFLIGHT OK - redis 127.0.0.1:$REDIS_PORT answers PONG" "stdin chain: the status"
else
	fail "redis-server did not start"
fi

# --- a real monitoring engine: Icinga 2 --------------------------------------------------------
ICINGA2=/usr/lib/x86_64-linux-gnu/icinga2/sbin/icinga2
if [ ! -x "$ICINGA2" ]; then
	skip_case "icinga2 is not installed (packaging/deps.sh installs icinga2-bin)"
	finish
	exit
fi
I=$WORK/icinga
mkdir -p "$I/run/icinga2" "$I/data" "$I/cache" "$I/spool/tmp" "$I/log"
# Services: each a preflight command line; "inspect" reads every other service's last check
# result back through the engine's own parse_performance_data() and writes it as JSON.
cat >"$I/icinga2.conf" <<EOF
object CheckerComponent "checker" { }
object FileLogger "log" { path = "$I/icinga2.log"; severity = "warning" }
object CheckCommand "preflight" {
  command = [ "$PREFLIGHT" ]
  arguments = { "--words" = { value = "\$preflight_words\$"; skip_key = true } }
}
object CheckCommand "none" { command = [ "/bin/true" ] }
object Host "h" { check_command = "none"; enable_active_checks = false }
template Service "fast" { host_name = "h"; check_interval = 1s; retry_interval = 1s; max_check_attempts = 1 }
object Service "ok" { import "fast"; check_command = "preflight"; vars.preflight_words = [ "port", "$FREE", "--format", "nagios" ] }
object Service "critical" { import "fast"; check_command = "preflight"; vars.preflight_words = [ "port", "$BUSY", "--format", "nagios" ] }
object Service "warning" { import "fast"; check_command = "preflight"; vars.preflight_words = [ "exec", "sh -c 'sleep 30 & exit 0'", "--format", "nagios" ] }
object Service "unknown" { import "fast"; check_command = "preflight"; vars.preflight_words = [ "port", "--bogus", "--format", "nagios" ] }
object Service "chain" { import "fast"; check_command = "preflight"; vars.preflight_words = [ "run", "$WORK/chain.conf", "--format", "nagios" ] }
object CheckCommand "inspect" {
  command = [ "/bin/sh", "-c", "printf '%s\\\\n' \"\$\$1\" > $I/inspect.json.tmp && mv $I/inspect.json.tmp $I/inspect.json", "inspect" ]
  arguments = { "--json" = { skip_key = true; value = {{
    var out = {}
    for (name in [ "ok", "critical", "warning", "unknown", "chain" ]) {
      var cr = get_service("h", name).last_check_result
      if (!cr) { return "waiting" }
      var perf = []
      for (p in cr.performance_data) {
        var v = parse_performance_data(p)
        perf.add({ label = v.label, value = v.value, unit = v.unit, min = v.min })
      }
      out[name] = { state = cr.state, exit_status = cr.exit_status, output = cr.output, perf = perf }
    }
    return Json.encode(out)
  }} } }
}
object Service "inspect" { import "fast"; check_command = "inspect" }
EOF
"$ICINGA2" daemon -c "$I/icinga2.conf" -DRunAsUser="$(id -un)" -DRunAsGroup="$(id -gn)" \
	-DInitRunDir="$I/run" -DDataDir="$I/data" -DCacheDir="$I/cache" -DSpoolDir="$I/spool" \
	-DLogDir="$I/log" >"$I/daemon.out" 2>&1 &
ICINGA_PID=$!
STARTED_PIDS+=("$ICINGA_PID")
for _ in $(seq 200); do
	grep -q '^{' "$I/inspect.json" 2>/dev/null && break
	kill -0 "$ICINGA_PID" 2>/dev/null || break
	sleep 0.1
done
if grep -q '^{' "$I/inspect.json" 2>/dev/null; then
	pass "icinga2 ran every service (in ${SECONDS}s of this file)"
else
	fail "icinga2 gave no results: $(tail -5 "$I/daemon.out")"
fi
stop_peer "$ICINGA_PID"
# The daemon's own processes (its umbrella and its command worker) end with it: asserted, and any
# left (this test's own, by PID) stopped.
for _ in $(seq 50); do
	left=$(pgrep -f -- "-c $I/icinga2.conf" || true)
	[ -z "$left" ] && break
	sleep 0.1
done
if [ -z "$left" ]; then
	pass "icinga2 stopped, with all its processes"
else
	fail "icinga2 processes left running: $left"
	kill -9 $left 2>/dev/null || true
fi
PARSED=$(cat "$I/inspect.json" 2>/dev/null || echo '{}')
icinga() { # SERVICE EXPRESSION EXPECTED DESCRIPTION, with s the service's result
	expect_field "(lambda s: $2)(d.get('$1', {}))" "$3" "icinga2: $4"
}
for pair in ok:0 warning:1 critical:2 unknown:3; do
	icinga "${pair%:*}" 's.get("state")' "${pair#*:}" "${pair%:*} service: the engine's state is ${pair#*:}"
	icinga "${pair%:*}" 's.get("exit_status")' "${pair#*:}" "${pair%:*} service: exit status ${pair#*:}"
done
icinga ok 's["output"].split("\n")[0]' "PREFLIGHT OK - port $FREE/tcp free" "the output, status line first"
icinga ok '[(p["label"], p["unit"], p["min"], p["value"] >= 0) for p in s["perf"]]' \
	"[('port $FREE/tcp', 'seconds', 0, True)]" \
	"ok service: the engine's parsed perfdata: the label, unit seconds, min 0, a value"
icinga critical 's["output"].startswith("PREFLIGHT CRITICAL - port %s/tcp in use" % '"$BUSY"')' True \
	"critical service: the status line as the engine keeps it"
icinga unknown 's["output"]' "PREFLIGHT UNKNOWN - port: unknown option '--bogus' (preflight port --help lists them)" \
	"unknown service: the usage error is the engine's output"
icinga chain 'len(s["output"].split("\n"))' 6 "chain: status line and five long-text lines"
icinga chain '"|" in s["output"]' False "chain: the engine took the perfdata out of the text"
icinga chain '" / ".join(p["label"] for p in s["perf"])' \
	"port $BUSY/tcp / port $FREE/tcp / tcp 127.0.0.1:$BUSY / tcp 127.0.0.1:$FREE / $LABEL5" \
	"chain: five perfdata labels as the engine parsed them"
icinga chain 'all(p["unit"] == "seconds" and p["min"] == 0 and p["value"] >= 0 for p in s["perf"])' True \
	"chain: every item in seconds with min 0"
grep -i "perfdata\|performance" "$I/icinga2.log" "$I/daemon.out" >"$WORK/icinga.complaints"
[ ! -s "$WORK/icinga.complaints" ] && pass "icinga2 logged no perfdata complaint" ||
	fail "icinga2 complained: $(head -3 "$WORK/icinga.complaints")"

finish
