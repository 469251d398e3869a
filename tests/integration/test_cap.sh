#!/bin/bash
# cap: every exit code, for processes whose capabilities setpriv sets exactly, and for files
# whose capabilities setcap sets.
. "$(dirname "$0")/lib.sh"
require_root "setpriv and setcap set the capabilities under test"

# An unprivileged process that holds CAP_NET_BIND_SERVICE, as AmbientCapabilities= makes one.
as_nobody_with_bind() {
	setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all,+net_bind_service \
		--ambient-caps=+net_bind_service -- "$@"
}

# ---- usage: 2 ----
run_preflight cap; expect_code 2 "no capability"
run_preflight cap foo; expect_code 2 "unknown name"; expect_text ERR "'foo'" "the unknown name is named"
run_preflight cap net_bind_service nosuch; expect_code 2 "one unknown name among good ones"
expect_no_text ERR "ok " "nothing runs when one name is bad"
run_preflight cap net-bind-service; expect_code 2 "dashes"; expect_text ERR "did you mean 'net_bind_service'" "suggests the spelling"
run_preflight cap 12; expect_code 2 "a number is not a name"
run_preflight cap 'chown,kill'; expect_code 2 "a list in one word"
run_preflight cap "$(printf 'chown\033[2J')"; expect_code 2 "escape in a name"; expect_text ERR '\x1b' "shown escaped"
run_preflight cap chown --set bogus; expect_code 2 "unknown set"; expect_text ERR "--set: 'bogus'" "the bad set is named"
run_preflight cap chown --file "$WORK/missing"; expect_code 2 "--file that does not exist"
expect_text ERR "--file: '$WORK/missing'" "the missing file is named"
run_preflight cap chown --file /bin/true --set ambient; expect_code 2 "--file with --set ambient"
run_preflight cap chown --file /bin/true --set bounding; expect_code 2 "--file with --set bounding"
run_preflight cap --help; expect_code 0 "--help"; expect_text OUT "--set SET" "--help lists --set"

# ---- the process: root ----
run_preflight cap net_bind_service; expect_code 0 "root holds net_bind_service"
expect_text ERR "ok   cap CAP_NET_BIND_SERVICE in the effective set" "the line names the capability and set"
run_preflight cap CAP_NET_BIND_SERVICE Cap_Chown kill; expect_code 0 "any case, with or without cap_"
run_preflight cap net_bind_service --set permitted; expect_code 0 "permitted as root"
run_preflight cap net_bind_service --set bounding; expect_code 0 "bounding as root"
run_preflight cap chown --json; expect_code 0 "--json"
expect_text OUT '"target":"CAP_CHOWN"' "JSON target is the canonical name"
run_preflight cap chown --invert; expect_code 30 "--invert of a held capability is 30"
run_cmd setpriv --inh-caps=-all --ambient-caps=-all -- "$PREFLIGHT" cap chown --set ambient
expect_code 30 "root without ambient capabilities: ambient 30"
expect_text ERR "missing from the ambient set" "names the ambient set"
run_cmd setpriv --inh-caps=+chown -- "$PREFLIGHT" cap chown --set inheritable
expect_code 0 "inheritable chown given by setpriv"
run_cmd setpriv --inh-caps=+chown -- "$PREFLIGHT" cap net_raw --set inheritable
expect_code 30 "inheritable: only what was given"
run_cmd setpriv --bounding-set=-net_raw -- "$PREFLIGHT" cap net_raw --set bounding
expect_code 30 "dropped from the bounding set"
expect_text ERR "CapabilityBoundingSet=" "the bounding fix names CapabilityBoundingSet="
run_cmd setpriv --bounding-set=-net_raw -- "$PREFLIGHT" cap chown net_raw --set bounding
expect_code 30 "one of two missing: 30"; expect_text ERR "ok   cap CAP_CHOWN" "the held one is ok"
expect_text ERR "FAIL cap CAP_NET_RAW" "the dropped one fails"

# ---- the process: unprivileged ----
run_cmd as_nobody "$PREFLIGHT" cap net_bind_service; expect_code 30 "nobody lacks net_bind_service"
expect_text ERR "missing from the effective set" "names the effective set"
expect_text ERR "AmbientCapabilities=CAP_NET_BIND_SERVICE" "the fix is AmbientCapabilities="
run_cmd as_nobody "$PREFLIGHT" cap net_bind_service --set bounding; expect_code 0 "nobody still has it in the bounding set"
run_cmd as_nobody "$PREFLIGHT" cap net_bind_service --invert; expect_code 0 "--invert as nobody"
run_cmd as_nobody "$PREFLIGHT" cap net_bind_service --wait -t 5s --json; expect_code 30 "--wait does not retry a missing capability"
expect_attempts -eq 1 "and answers at once"
run_cmd as_nobody_with_bind "$PREFLIGHT" cap net_bind_service; expect_code 0 "nobody with the ambient capability"
for set in effective permitted inheritable ambient bounding; do
	run_cmd as_nobody_with_bind "$PREFLIGHT" cap net_bind_service --set "$set"
	expect_code 0 "nobody with AmbientCapabilities=: in the $set set"
done
run_cmd as_nobody_with_bind "$PREFLIGHT" cap net_bind_service chown; expect_code 30 "but not chown"
expect_text ERR "ok   cap CAP_NET_BIND_SERVICE" "reported per capability"

# ---- files ----
cp /bin/true "$WORK/app"
run_preflight cap net_bind_service --file "$WORK/app"; expect_code 30 "a file without capabilities"
expect_text ERR "has no file capabilities" "says the file has none"
expect_text ERR "setcap cap_net_bind_service=+ep $WORK/app" "the fix is the setcap line"
setcap cap_net_bind_service=+ep "$WORK/app"
run_preflight cap net_bind_service --file "$WORK/app"; expect_code 0 "after setcap =+ep"
run_cmd as_nobody "$PREFLIGHT" cap net_bind_service --file "$WORK/app"; expect_code 0 "nobody can check a file too"
run_preflight cap net_bind_service --file "$WORK/app" --set permitted; expect_code 0 "+ep: permitted"
run_preflight cap net_bind_service --file "$WORK/app" --set inheritable; expect_code 30 "+ep: not inheritable"
expect_text ERR "=+ei" "the inheritable fix sets +ei"
run_preflight cap chown --file "$WORK/app"; expect_code 30 "another capability of the file is missing"
expect_text ERR "setcap cap_chown=+ep" "its fix names it"
setcap cap_net_bind_service=+p "$WORK/app"
run_preflight cap net_bind_service --file "$WORK/app"; expect_code 30 "+p only: not effective"
run_preflight cap net_bind_service --file "$WORK/app" --set permitted; expect_code 0 "+p only: permitted"
cp "$WORK/app" "$WORK/my app"; setcap cap_net_bind_service=+ep "$WORK/my app"
run_preflight cap chown --file "$WORK/my app"; expect_code 30 "a path with a space"
expect_text ERR "setcap cap_chown=+ep '$WORK/my app'" "the fix quotes the path for a shell"

# The fix works: a copy of preflight given the capability by setcap holds it when nobody runs
# it, exactly as the --file check said beforehand.
mkdir -m 755 "$WORK/capped"; cp "$PREFLIGHT" "$WORK/capped/preflight"
run_cmd as_nobody "$WORK/capped/preflight" cap net_bind_service; expect_code 30 "the copy as nobody: missing"
run_preflight cap net_bind_service --file "$WORK/capped/preflight"; expect_code 30 "--file agrees before setcap"
setcap cap_net_bind_service=+ep "$WORK/capped/preflight"
run_preflight cap net_bind_service --file "$WORK/capped/preflight"; expect_code 0 "--file after setcap"
run_cmd as_nobody "$WORK/capped/preflight" cap net_bind_service; expect_code 0 "and the process started from it holds it"

finish
