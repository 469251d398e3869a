#!/bin/bash
# Runs each fuzz target for a while on its seed corpus and what it finds from there.
#
# Usage: tests/fuzz/run.sh FUZZ_BUILD SECONDS NAME...   (make fuzz calls it; FUZZ_SECONDS=600
#        for a long run). Each NAME is a target FUZZ_BUILD/NAME built from tests/fuzz/NAME.c,
#        with its seeds in tests/fuzz/corpus/NAME without the fuzz_ prefix.
# The seeds (crash inputs kept as regression tests among them) are run first, every one; then
# libFuzzer mutates for SECONDS. New inputs go to FUZZ_BUILD/corpus/NAME, never into the tree:
# copy the interesting ones into tests/fuzz/corpus/NAME by hand. A crash, a leak, a sanitizer
# report, a broken property or an input that takes more than 10 s fails the run; the input is
# kept as FUZZ_BUILD/artifacts/NAME-crash-HASH (or -leak-, -timeout-, -oom-), and replayed
# once to show what broke: FUZZ_BUILD/NAME FILE does the same by hand.
set -u
[ $# -ge 3 ] || { echo "usage: $0 FUZZ_BUILD SECONDS NAME..." >&2; exit 2; }
build=$1 seconds=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
failed=()
for name in "$@"; do
	short=${name#fuzz_}
	seeds=$here/corpus/$short
	work=$build/corpus/$short
	artifacts=$build/artifacts
	log=$build/$name.log
	mkdir -p "$work" "$artifacts"
	[ -d "$seeds" ] || { echo "not ok - $name: no seed corpus in $seeds"; failed+=("$name"); continue; }
	start=$(date +%s)
	# -close_fd_mask=3: the targets' own output (chain errors, warnings) stays out of the log;
	# sanitizer reports still reach it.
	"$build/$name" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
		-close_fd_mask=3 -print_final_stats=1 -artifact_prefix="$artifacts/$name-" \
		"$work" "$seeds" >"$log" 2>&1
	rc=$?
	took=$(($(date +%s) - start))
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
	seeds_n=$(find "$seeds" -type f | wc -l)
	if [ "$rc" -eq 0 ]; then
		echo "ok - $name: $seeds_n seeds, ${runs:-?} runs in ${took}s, ${cov:-cov: ?}"
		continue
	fi
	failed+=("$name")
	crash=$(sed -n "s/.*Test unit written to \(.*\)$/\1/p" "$log" | tail -1)
	echo "not ok - $name: exit $rc after ${took}s, input ${crash:-not kept} (log: $log)"
	# Below the line, indented: what broke, from a replay of the input (the run's own output
	# went to /dev/null), and only the stack frames in preflight's code, not libFuzzer's.
	if [ -n "$crash" ] && [ -f "$crash" ]; then
		"$build/$name" "$crash" 2>&1 |
			grep -aE "fuzz property|ERROR: |runtime error|SUMMARY: [A-Z]|#[0-9]+ .* $here/|#[0-9]+ .* [^ ]*(core|checks|tests/fuzz)/" |
			grep -av 'libFuzzer: deadly signal' | head -12 | cat -v | sed 's/^/    /'
	else
		grep -E 'ERROR|SUMMARY' "$log" | head -6 | sed 's/^/    /'
	fi
done
if [ ${#failed[@]} -gt 0 ]; then
	echo "fuzz: ${#failed[@]} of $# failed: ${failed[*]}"
	exit 1
fi
echo "fuzz: $# targets, ${seconds}s each, all passed"
