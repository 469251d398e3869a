# The one rule for a test that cannot run where it is run (not root, a tool missing), sourced by
# tests/integration/lib.sh and the systemd and packaging suites.
#
# skipped WHAT WHY: prints a banner naming what is not tested and why. Without CI in the
# environment that is all, and it returns 0: a loud skip. With CI set (CI runs
# `CI=true bash .ci/run`) a skip is a failure: the banner says so, and it returns 1 for the caller
# to count one failure. A CI machine is set up to run everything; what it does not run is a hole
# in the results that nobody would read in a passing log.
skipped() {
	local line="################################################################################"
	if [ -n "${CI:-}" ]; then
		printf '%s\n# NOT TESTED, AND CI IS SET, SO THIS IS A FAILURE: %s: %s\n%s\n' "$line" "$1" "$2" "$line"
		return 1
	fi
	printf '%s\n# SKIPPED LOUDLY: %s: %s\n%s\n' "$line" "$1" "$2" "$line"
}
