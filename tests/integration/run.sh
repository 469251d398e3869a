#!/bin/bash
# Runs every tests/integration/test_*.sh against $PREFLIGHT and adds up their results.
set -u
cd "$(dirname "$0")"
total_pass=0
total_fail=0
for t in test_*.sh; do
	[ -n "${ONLY:-}" ] && [[ "$t" != *"$ONLY"* ]] && continue
	echo "# $t"
	out=$(bash "$t" 2>&1)
	rc=$?
	echo "$out" | grep -v '^RESULT '
	line=$(echo "$out" | grep '^RESULT ' | tail -1)
	if [ -z "$line" ]; then
		echo "not ok - $t ended without a result (exit $rc)"
		total_fail=$((total_fail + 1))
		continue
	fi
	read -r _ p f <<<"$line"
	total_pass=$((total_pass + p))
	total_fail=$((total_fail + f))
done
echo "integration: $total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
