#!/bin/bash
# run --prometheus FILE: the textfile a chain writes, checked by promtool (Debian's prometheus
# package), replaced atomically (new inode, no temporary file left, the old file intact when the
# write fails, SIGTERM mid-write waits for the rename), and read back by a real
# prometheus-node-exporter, started here on a free loopback port and scraped with curl.
. "$(dirname "$0")/lib.sh"

for tool in promtool prometheus-node-exporter curl strace; do
	command -v "$tool" >/dev/null ||
		skip_file "$tool is needed (packaging/deps.sh installs prometheus, prometheus-node-exporter, curl, strace)"
done

TEXTFILES="$WORK/textfile"
mkdir -p "$TEXTFILES"
chmod 755 "$TEXTFILES"
PROM="$TEXTFILES/myapp.prom"

# expect_in_file FILE TEXT DESCRIPTION / expect_not_in_file FILE TEXT DESCRIPTION
expect_in_file() {
	if grep -qF -- "$2" "$1" 2>/dev/null; then pass "$3"; else
		fail "$3: '$2' not in $1"
		sed 's/^/    /' "$1" 2>/dev/null
	fi
}
expect_not_in_file() {
	if ! grep -qF -- "$2" "$1" 2>/dev/null; then pass "$3"; else fail "$3: '$2' in $1"; fi
}

# promtool_clean FILE DESCRIPTION: `promtool check metrics` passes and has nothing to say.
promtool_clean() {
	local said
	said=$(promtool check metrics <"$1" 2>&1)
	if [ $? -eq 0 ] && [ -z "$said" ]; then pass "$2: promtool check metrics passes, no lint"; else
		fail "$2: promtool check metrics: $said"
	fi
}

# The directory holds FILE alone: no temporary file left beside it.
only_file() { # DESCRIPTION
	local listing
	listing=$(ls -A "$TEXTFILES")
	if [ "$listing" = "myapp.prom" ]; then pass "$1: no temporary file left"; else
		fail "$1: the directory holds: $(echo $listing)"
	fi
}

start_peer python3 -u "$PEERS/listen.py" tcp/127.0.0.1/0
busy=${PEER_OUT#ready }
free=$(free_port)
refused=$(free_port)

# A chain with passing and failing lines; line 5 holds a password, quotes and a backslash.
cat >"$WORK/myapp.conf" <<EOF
# myapp
port $free
port $busy
tcp 127.0.0.1:$busy
tcp 127.0.0.1:$refused
http "http://app:s3cret-pw@127.0.0.1:$refused/a\\"b\\\\c" -t 2s
tcp 127.0.0.1:$busy 127.0.0.1:$busy
EOF

# ---- the file's content ----
umask 077
run_preflight run "$WORK/myapp.conf" --prometheus "$PROM"
umask 022
expect_code 20 "the chain's code is its first failing line's (port $busy in use)"
expect_text ERR "FAIL tcp 127.0.0.1:$refused" "--prometheus runs every line (implies --keep-going)"
expect_no_text ERR "later line" "no line is left unrun"
expect_in_file "$PROM" "preflight_check_ok{chain=\"myapp\",line=\"2\",check=\"port\",target=\"$free/tcp\"} 1" "free port: ok 1"
expect_in_file "$PROM" "preflight_check_ok{chain=\"myapp\",line=\"3\",check=\"port\",target=\"$busy/tcp\"} 0" "busy port: ok 0"
expect_in_file "$PROM" "preflight_check_exit_code{chain=\"myapp\",line=\"3\",check=\"port\",target=\"$busy/tcp\"} 20" "busy port: exit code 20"
expect_in_file "$PROM" "preflight_check_ok{chain=\"myapp\",line=\"4\",check=\"tcp\",target=\"127.0.0.1:$busy\"} 1" "listening tcp: ok 1"
expect_in_file "$PROM" "preflight_check_exit_code{chain=\"myapp\",line=\"4\",check=\"tcp\",target=\"127.0.0.1:$busy\"} 0" "listening tcp: exit code 0"
expect_in_file "$PROM" "preflight_check_exit_code{chain=\"myapp\",line=\"5\",check=\"tcp\",target=\"127.0.0.1:$refused\"} 60" "refused tcp: exit code 60"
expect_in_file "$PROM" "preflight_check_exit_code{chain=\"myapp\",line=\"6\",check=\"http\",target=\"http://app:***@127.0.0.1:$refused/a\\\"b\\\\c\"} 50" "quotes and backslash escaped in the target label"
expect_not_in_file "$PROM" "s3cret" "the password is not in the file"
expect_in_file "$PROM" "preflight_chain_exit_code{chain=\"myapp\"} 20" "the chain's exit code"
expect_in_file "$PROM" 'preflight_chain_last_run_timestamp_seconds{chain="myapp"} ' "the chain's timestamp"
for family in preflight_check_ok preflight_check_exit_code preflight_check_duration_seconds \
	preflight_chain_exit_code preflight_chain_duration_seconds preflight_chain_last_run_timestamp_seconds; do
	expect_in_file "$PROM" "# TYPE $family gauge" "$family has # TYPE gauge"
	expect_in_file "$PROM" "# HELP $family " "$family has # HELP"
done
stamp=$(sed -n 's/^preflight_chain_last_run_timestamp_seconds{chain="myapp"} //p' "$PROM")
now=$(date +%s)
if [ -n "$stamp" ] && [ "${stamp%.*}" -ge $((now - 60)) ] && [ "${stamp%.*}" -le "$now" ]; then
	pass "the timestamp is now ($stamp, date says $now)"
else fail "the timestamp '$stamp' is not now ($now)"; fi
if grep -qE '^preflight_check_duration_seconds\{chain="myapp",line="6",check="http",.*\} [0-9]+\.[0-9]{3}$' "$PROM"; then
	pass "durations in seconds"
else fail "no duration in seconds for line 6"; fi
n=$(grep -c '^preflight_check_ok{chain="myapp",line="7"' "$PROM")
[ "$n" -eq 1 ] && pass "a target given twice on a line is one series" || fail "line 7 has $n series"
promtool_clean "$PROM" "the chain's file"
mode=$(stat -c %a "$PROM")
[ "$mode" = 644 ] && pass "mode 0644 under umask 077 (node_exporter runs as another user)" ||
	fail "mode $mode, not 644"
only_file "after a run"

# The chain label: NAME, or FILE's base name without .conf; stdin.
mkdir -p "$WORK/conf.d"
cp "$WORK/myapp.conf" "$WORK/conf.d/web.conf"
run_cmd env PREFLIGHT_CONFIG_DIR="$WORK/conf.d" "$PREFLIGHT" run web --prometheus "$WORK/web.prom"
expect_in_file "$WORK/web.prom" 'preflight_chain_exit_code{chain="web"} 20' "a NAME is the chain label"
run_cmd sh -c "echo 'tcp 127.0.0.1:$busy' | \"\$0\" run - --prometheus \"\$1\"" "$PREFLIGHT" "$WORK/stdin.prom"
expect_code 0 "a chain from stdin"
expect_in_file "$WORK/stdin.prom" 'preflight_chain_exit_code{chain="stdin"} 0' "stdin's chain label is stdin"

# A label value with a newline and bytes that are not UTF-8 (exec's target is the command).
printf 'exec "/bin/echo a\\\\b\\"c" "\xff\xfe"\n' >"$WORK/odd.conf"
run_preflight run "$WORK/odd.conf" --prometheus "$WORK/odd.prom"
promtool_clean "$WORK/odd.prom" "odd bytes in a target"
if LC_ALL=C.UTF-8 iconv -f UTF-8 -t UTF-8 "$WORK/odd.prom" >/dev/null 2>&1; then
	pass "the file is UTF-8 whatever the target held"
else fail "the file is not UTF-8"; fi

# --parallel: the same series.
run_preflight run "$WORK/myapp.conf" --parallel --prometheus "$WORK/parallel.prom"
expect_code 20 "--parallel --prometheus: the same code"
for f in "$PROM" "$WORK/parallel.prom"; do
	grep -E '^preflight_check_(ok|exit_code)' "$f" >"$WORK/$(basename "$f").series"
done
cmp -s "$WORK/myapp.prom.series" "$WORK/parallel.prom.series" && pass "--parallel writes the same ok and exit-code series" ||
	fail "--parallel's series differ: $(diff "$WORK/myapp.prom.series" "$WORK/parallel.prom.series" | head -5)"

# --dry-run runs nothing and writes nothing.
run_preflight run "$WORK/myapp.conf" --dry-run --prometheus "$WORK/dry.prom"
expect_code 0 "--dry-run --prometheus"
[ ! -e "$WORK/dry.prom" ] && pass "--dry-run writes no file" || fail "--dry-run wrote a file"

# A chain file that cannot be used: the chain's series alone, exit code 6.
printf 'tcp 127.0.0.1:%s\nbogus-check x\n' "$busy" >"$WORK/broken.conf"
run_preflight run "$WORK/broken.conf" --prometheus "$WORK/broken.prom"
expect_code 6 "a broken chain file is 6"
expect_in_file "$WORK/broken.prom" 'preflight_chain_exit_code{chain="broken"} 6' "a broken chain file writes exit code 6"
expect_not_in_file "$WORK/broken.prom" 'preflight_check_ok' "and no line's series (none ran)"
promtool_clean "$WORK/broken.prom" "a broken chain's file"

# ---- atomic replacement ----
inode1=$(stat -c %i "$PROM")
run_preflight run "$WORK/myapp.conf" --prometheus "$PROM"
inode2=$(stat -c %i "$PROM")
[ "$inode1" != "$inode2" ] && pass "the file is replaced by a rename (inode $inode1 -> $inode2), never rewritten in place" ||
	fail "the same inode $inode1: written in place"
only_file "after a second run"

# A reader that reads the file over and over while chains replace it never sees part of one.
python3 - "$PROM" >"$WORK/reader.out" 2>&1 <<'EOF' &
import sys, time
path, seen, bad = sys.argv[1], 0, 0
end = time.time() + 3
while time.time() < end:
    with open(path) as f:
        text = f.read()
    seen += 1
    if not text.endswith("\n") or 'preflight_chain_last_run_timestamp_seconds{chain="myapp"}' not in text:
        bad += 1
print(seen, bad)
EOF
reader=$!
STARTED_PIDS+=("$reader")
for i in $(seq 20); do "$PREFLIGHT" run "$WORK/myapp.conf" -q --prometheus "$PROM" 2>/dev/null; done
wait "$reader"
read -r seen bad <"$WORK/reader.out"
[ "${bad:-1}" -eq 0 ] && [ "${seen:-0}" -gt 0 ] && pass "a reader read the file $seen times during 20 replacements and never saw a half file" ||
	fail "reader: $(cat "$WORK/reader.out")"
only_file "after 20 replacements"

# A directory this user may not write: the error names the file, the old file stays.
cp "$PROM" "$WORK/before.prom"
printf 'tcp 127.0.0.1:%s\n' "$busy" >"$WORK/passing.conf"
run_cmd as_nobody "$PREFLIGHT" run "$WORK/passing.conf" --prometheus "$PROM"
expect_code 1 "the chain passed but the file cannot be written: 1"
expect_text ERR "preflight: run: --prometheus $PROM: cannot create a temporary file in its directory: Permission denied; the file is left as it was" "the error names the file and why"
cmp -s "$PROM" "$WORK/before.prom" && pass "the old file is intact" || fail "the old file changed"
run_cmd as_nobody "$PREFLIGHT" run "$WORK/myapp.conf" --prometheus "$PROM"
expect_code 20 "the chain failed and the file cannot be written: the chain's code stays"
expect_text ERR "cannot create a temporary file" "the write failure is said all the same"
only_file "after refused writes"
run_preflight run "$WORK/passing.conf" --prometheus "$WORK/no-such-dir/x.prom"
expect_code 1 "a directory that does not exist: 1"
expect_text ERR "--prometheus $WORK/no-such-dir/x.prom: cannot create a temporary file in its directory: No such file or directory" "names the file"
mkdir -p "$WORK/isdir.prom"
run_preflight run "$WORK/passing.conf" --prometheus "$WORK/isdir.prom"
expect_code 1 "FILE is a directory: 1"
expect_text ERR "cannot rename the temporary file over it: Is a directory" "says the rename failed"
if [ -z "$(find "$WORK" -maxdepth 1 -name '.isdir.prom.*')" ]; then pass "no temporary file left when the rename fails"; else fail "a temporary file was left"; fi

# SIGTERM while the file is written: fsync is held for 1.5 s (strace's syscall delay), the
# signal comes meanwhile; preflight finishes the rename, then ends as SIGTERM says.
rm -f "$PROM"
# (env, not no_leak_check: strace must be the background job's own PID, preflight its child.)
env ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" strace -f -qq -o /dev/null -e trace=fsync -e inject=fsync:delay_enter=1500000 \
	"$PREFLIGHT" run "$WORK/myapp.conf" -q --prometheus "$PROM" 2>/dev/null &
tracer=$!
STARTED_PIDS+=("$tracer")
target=""
for i in $(seq 100); do
	target=$(pgrep -P "$tracer" -x preflight)
	[ -n "$target" ] && [ -n "$(find "$TEXTFILES" -name '.myapp.prom.*')" ] && break
	sleep 0.05
done
sleep 0.3
[ -n "$target" ] && kill -TERM "$target"
wait "$tracer"
status=$?
[ "$status" -eq 143 ] && pass "SIGTERM mid-write ends preflight as SIGTERM does (status $status), once written" ||
	fail "SIGTERM mid-write: status $status"
[ -f "$PROM" ] && promtool_clean "$PROM" "the file written under SIGTERM" || fail "no file after SIGTERM mid-write"
only_file "after SIGTERM mid-write"

# ---- a real node_exporter reads it ----
run_preflight run "$WORK/myapp.conf" --prometheus "$PROM"
port=$(free_port)
# setpriv itself in the background (not lib.sh's as_nobody, a function: $! would be a subshell,
# and killing it would leave node_exporter running); setpriv execs node_exporter, same PID.
setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all -- \
	prometheus-node-exporter --web.listen-address="127.0.0.1:$port" \
	--collector.disable-defaults --collector.textfile \
	--collector.textfile.directory="$TEXTFILES" >"$WORK/node_exporter.log" 2>&1 &
exporter=$!
STARTED_PIDS+=("$exporter")
for i in $(seq 100); do
	curl -sf "http://127.0.0.1:$port/metrics" -o "$WORK/scrape" && break
	sleep 0.1
done
if [ -s "$WORK/scrape" ]; then pass "node_exporter (as nobody) answers on 127.0.0.1:$port"; else
	fail "node_exporter did not answer: $(tail -5 "$WORK/node_exporter.log")"
fi
grep '^preflight_\|^node_textfile' "$WORK/scrape" >"$WORK/scrape.preflight"
sed 's/^/# scrape: /' "$WORK/scrape.preflight"
# node_exporter sorts the labels by name.
expect_in_file "$WORK/scrape" "preflight_check_ok{chain=\"myapp\",check=\"port\",line=\"2\",target=\"$free/tcp\"} 1" "scrape: free port ok 1"
expect_in_file "$WORK/scrape" "preflight_check_exit_code{chain=\"myapp\",check=\"port\",line=\"3\",target=\"$busy/tcp\"} 20" "scrape: busy port exit code 20"
expect_in_file "$WORK/scrape" "preflight_check_exit_code{chain=\"myapp\",check=\"tcp\",line=\"5\",target=\"127.0.0.1:$refused\"} 60" "scrape: refused tcp 60"
expect_in_file "$WORK/scrape" "preflight_check_exit_code{chain=\"myapp\",check=\"http\",line=\"6\",target=\"http://app:***@127.0.0.1:$refused/a\\\"b\\\\c\"} 50" "scrape: the escaped target label comes back as written"
expect_in_file "$WORK/scrape" 'preflight_chain_exit_code{chain="myapp"} 20' "scrape: the chain's exit code"
expect_in_file "$WORK/scrape" 'preflight_chain_last_run_timestamp_seconds{chain="myapp"} ' "scrape: the chain's timestamp"
expect_in_file "$WORK/scrape" "preflight_check_duration_seconds{chain=\"myapp\",check=\"tcp\",line=\"4\"" "scrape: durations"
expect_not_in_file "$WORK/scrape" "s3cret" "scrape: no password"
expect_in_file "$WORK/scrape" "node_textfile_scrape_error 0" "node_textfile_scrape_error is 0"
expect_in_file "$WORK/scrape" "# TYPE preflight_check_ok gauge" "scrape: the family is a gauge"
kill "$exporter" 2>/dev/null
wait "$exporter" 2>/dev/null
kill -0 "$exporter" 2>/dev/null && fail "node_exporter still runs" || pass "node_exporter is stopped"

stop_peer "$PEER_PID"
finish
