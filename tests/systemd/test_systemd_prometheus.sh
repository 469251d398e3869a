#!/bin/bash
# run --prometheus under a real systemd (README.md, "Monitoring: Prometheus"): the shipped
# packaging/units/preflight-metrics@.service and .timer, as they are but for the binary's path,
# write their textfile into /var/lib/prometheus/node-exporter (inside the test system a bind mount
# of a directory of its own /run, so the machine's is never written), started by hand and by
# the timer; a prometheus-node-exporter started in the test system as nobody reads it, and curl
# scrapes it over loopback. Prints "ok - ..." / "not ok - ..." lines and a final
# "prometheus: N passed, N failed" line.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SUITE=prometheus
# shellcheck source=lib.sh
. "$HERE/lib.sh"

TEXTFILE_DIR=/var/lib/prometheus/node-exporter
for tool in prometheus-node-exporter curl; do
	command -v "$tool" >/dev/null || not_run "$tool is not installed (packaging/deps.sh installs it)"
done
# The package makes the directory; the test mounts over it, and never makes it on the machine.
[ -d "$TEXTFILE_DIR" ] || not_run "$TEXTFILE_DIR is missing (prometheus-node-exporter makes it)"

FREE_PORT=$(free_port)
EXPORTER_PORT=$(free_port)
python3 -u "$TESTS_DIR/peers/listen.py" tcp/127.0.0.1/0 >"$STAGE/listener.out" 2>&1 &
LISTENER=$!
for i in $(seq 100); do grep -q '^ready' "$STAGE/listener.out" && break; sleep 0.05; done
BUSY_PORT=$(sed -n 's/^ready //p' "$STAGE/listener.out")
stop_listener() { kill "$LISTENER" 2>/dev/null; wait "$LISTENER" 2>/dev/null; }

stage_files "$HERE/prometheus/units" "$HERE/prometheus/files" \
	-e "s|@FREE_PORT@|$FREE_PORT|g" -e "s|@BUSY_PORT@|$BUSY_PORT|g"
# The example units as shipped, with the binary the test system has.
for unit in "$(dirname "$TESTS_DIR")"/packaging/units/preflight-metrics@.*; do
	sed -e "s|/usr/bin/preflight|$INSIDE_PREFLIGHT|g" "$unit" >"$STAGE/units/$(basename "$unit")"
done
boot_test_system pf-prom.target

# The test system's own textfile directory, in its own mount namespace.
inside mkdir -p /run/pf-textfile
inside chmod 755 /run/pf-textfile
inside mount --bind /run/pf-textfile "$TEXTFILE_DIR"
# Drop-ins for the test system only: no sysinit.target to pull in, the chain files from the
# staged directory, and a first run of the timer a second after it starts (its own OnBootSec=30s
# and OnUnitActiveSec=1min stay).
inside mkdir -p /run/systemd/system/preflight-metrics@.service.d /run/systemd/system/preflight-metrics@.timer.d
inside sh -c 'printf "[Unit]\nDefaultDependencies=no\n[Service]\nEnvironment=PREFLIGHT_CONFIG_DIR=/run/preflight-test\n" \
	>/run/systemd/system/preflight-metrics@.service.d/test.conf'
inside sh -c 'printf "[Unit]\nDefaultDependencies=no\n[Timer]\nOnActiveSec=1s\n" \
	>/run/systemd/system/preflight-metrics@.timer.d/test.conf'
sctl daemon-reload

# ---- the service: a failing chain ----
sctl start preflight-metrics@web.service 2>/dev/null && fail "a failing chain's unit started fine"
expect_prop preflight-metrics@web.service Result exit-code "a failing line fails the oneshot unit"
expect_prop preflight-metrics@web.service ExecMainStatus 20 "with the first failing line's code"
prom=$(inside cat "$TEXTFILE_DIR/preflight-web.prom" 2>&1)
expect_contains "$prom" "preflight_check_exit_code{chain=\"web\",line=\"3\",check=\"port\",target=\"$BUSY_PORT/tcp\"} 20" \
	"the unit wrote the busy port's series under ProtectSystem=strict"
expect_contains "$prom" "preflight_check_ok{chain=\"web\",line=\"4\",check=\"tcp\",target=\"127.0.0.1:$BUSY_PORT\"} 1" \
	"and the line after it (every line runs)"
out=$(wait_journal preflight-metrics@web.service "FAIL port $BUSY_PORT/tcp" -p err)
expect_contains "$out" "FAIL port $BUSY_PORT/tcp" "the failing line is in the unit's journal"
out=$(journal preflight-metrics@web.service)
expect_absent "$out" "ok   port" "--quiet: the passing lines are not"
mode=$(inside stat -c %a "$TEXTFILE_DIR/preflight-web.prom")
[ "$mode" = 644 ] && pass "the file is mode 0644" || fail "the file is mode $mode"

# ---- the timer: a passing chain ----
sctl start preflight-metrics@ok.timer
expect_prop preflight-metrics@ok.timer ActiveState active "the timer is active"
timers=$(prop preflight-metrics@ok.timer TimersMonotonic)
expect_contains "$timers" "OnBootUSec" "the shipped OnBootSec= is loaded"
expect_contains "$timers" "OnUnitActiveUSec" "the shipped OnUnitActiveSec= is loaded"
wait_prop preflight-metrics@ok.service Result success 10
for i in $(seq "$(polls 100)"); do
	inside test -f "$TEXTFILE_DIR/preflight-ok.prom" && break
	sleep 0.1
done
expect_prop preflight-metrics@ok.service Result success "the timer ran the service, which passed"
prom=$(inside cat "$TEXTFILE_DIR/preflight-ok.prom" 2>&1)
expect_contains "$prom" 'preflight_chain_exit_code{chain="ok"} 0' "the timer's run wrote the file"
next=$(prop preflight-metrics@ok.timer NextElapseUSecMonotonic)
[ -n "$next" ] && [ "$next" != 0 ] && pass "the timer has its next run ($next)" ||
	fail "the timer has no next run: '$next'"
listing=$(inside ls -A "$TEXTFILE_DIR")
[ "$(echo $listing)" = "preflight-ok.prom preflight-web.prom" ] && pass "nothing but the two files in the directory" ||
	fail "the directory holds: $(echo $listing)"

# ---- a directory the unit may not write ----
# ProtectSystem=strict without ReadWritePaths=: read-only for the unit. The chain passes, so the
# failed write is the exit code (1), said in the journal, and the file stays as it was.
before=$(inside cat "$TEXTFILE_DIR/preflight-ok.prom")
# (No --wait: that needs D-Bus, which this test system has not; a failed unit stays loaded.)
inside systemd-run --quiet --unit=pf-prom-readonly -p DefaultDependencies=no -p Type=oneshot \
	-p ProtectSystem=strict -p Environment=PREFLIGHT_CONFIG_DIR=/run/preflight-test \
	"$INSIDE_PREFLIGHT" run ok --quiet --prometheus "$TEXTFILE_DIR/preflight-ok.prom" 2>/dev/null
wait_prop pf-prom-readonly.service Result exit-code 10
expect_prop pf-prom-readonly.service ExecMainStatus 1 "a read-only textfile directory fails the unit with 1"
out=$(wait_journal pf-prom-readonly.service "Read-only file system" -p err)
expect_contains "$out" "--prometheus $TEXTFILE_DIR/preflight-ok.prom: cannot create a temporary file in its directory: Read-only file system; the file is left as it was" \
	"the journal names the file and why"
after=$(inside cat "$TEXTFILE_DIR/preflight-ok.prom")
[ "$before" = "$after" ] && pass "the old file is left as it was" || fail "the old file changed"

# ---- node_exporter reads them ----
inside systemd-run --quiet --unit=pf-node-exporter -p DefaultDependencies=no -p User=nobody \
	/usr/bin/prometheus-node-exporter --web.listen-address="127.0.0.1:$EXPORTER_PORT" \
	--collector.disable-defaults --collector.textfile --collector.textfile.directory="$TEXTFILE_DIR"
scrape=
for i in $(seq "$(polls 100)"); do
	scrape=$(curl -sf "http://127.0.0.1:$EXPORTER_PORT/metrics") && break
	sleep 0.1
done
expect_contains "$scrape" "node_textfile_scrape_error 0" "node_exporter (as nobody, under systemd) read both files"
expect_contains "$scrape" "preflight_check_exit_code{chain=\"web\",check=\"port\",line=\"3\",target=\"$BUSY_PORT/tcp\"} 20" \
	"the scrape has the failing chain's series"
expect_contains "$scrape" 'preflight_chain_exit_code{chain="ok"} 0' "and the passing chain's"
printf '%s\n' "$scrape" | grep '^preflight_\|^node_textfile' | sed 's/^/# scrape: /'
sctl stop pf-node-exporter.service

stop_listener
if [ -z "$(find "$TEXTFILE_DIR" -maxdepth 1 -name 'preflight-*' 2>/dev/null)" ]; then
	pass "the machine's $TEXTFILE_DIR was not written (the test system had its own)"
else fail "the machine's $TEXTFILE_DIR holds preflight files"; fi
finish_suite
