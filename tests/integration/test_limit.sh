#!/bin/bash
# limit: every exit code, on limits prlimit and ulimit lower for the process under test (never
# raised: that needs CAP_SYS_RESOURCE), as root and as nobody.
. "$(dirname "$0")/lib.sh"

# lowered SOFT HARD CMD...: runs CMD with RLIMIT_NOFILE lowered to SOFT:HARD.
lowered() {
	local soft=$1 hard=$2
	shift 2
	prlimit --nofile="$soft:$hard" -- "$@"
}

# ---- usage: 2 ----
run_preflight limit; expect_code 2 "no expression"
run_preflight limit nofile; expect_code 2 "a name without a comparison"
expect_text ERR "'nofile' is not NAME>=VALUE" "the argument is named"
run_preflight limit 'nofiles>=1'; expect_code 2 "an unknown limit"; expect_text ERR "'nofiles>=1': not a resource limit" "names it"
run_preflight limit 'nofile>1'; expect_code 2 "> is not a comparison"
run_preflight limit 'nofile!=1'; expect_code 2 "!= is not taken"; expect_text ERR "the comparison is >=, <= or =" "says which are"
run_preflight limit 'nofile>=64K'; expect_code 2 "a count with a size suffix"; expect_text ERR "the value of nofile is a whole number" "says what nofile takes"
run_preflight limit 'memlock>=1X'; expect_code 2 "a bad size"; expect_text ERR "powers of 1024" "says how sizes are read"
run_preflight limit 'cpu<=soon'; expect_code 2 "a bad span"
run_preflight limit 'nproc>=1' 'nofile>=x'; expect_code 2 "one bad expression among good ones"; expect_no_text ERR "ok " "nothing runs"
run_preflight limit "$(printf 'no\033[2Jfile>=1')"; expect_code 2 "an escape in a name"; expect_text ERR '\x1b' "shown escaped"
run_preflight limit 'nofile>=1' --bogus; expect_code 2 "an unknown option"
run_preflight limit --help; expect_code 0 "--help"; expect_text OUT "--hard" "--help lists --hard"

# ---- soft limits: what prlimit set ----
run_cmd lowered 1024 4096 "$PREFLIGHT" limit 'nofile>=1024'; expect_code 0 "soft 1024 >= 1024"
expect_text ERR "ok   limit nofile>=1024 the soft limit is 1024" "the line shows the soft limit"
run_cmd lowered 1024 4096 "$PREFLIGHT" limit 'nofile>=1025'; expect_code 31 "soft 1024 < 1025"
expect_text ERR "FAIL limit nofile>=1025 the soft limit is 1024, needs >= 1025" "the line says what it needs"
run_cmd lowered 1024 4096 "$PREFLIGHT" limit 'LimitNOFILE>=65535' -v; expect_code 31 "systemd's spelling"
expect_text ERR "fix: LimitNOFILE=65535 in the unit" "the fix is LimitNOFILE= in the unit"
expect_text ERR "1024 is systemd's soft default since 240 (hard 524288)" "systemd's soft default is explained"
expect_text ERR "ulimit -Sn 65535" "and the shell's way"
run_cmd lowered 1024 4096 "$PREFLIGHT" limit 'RLIMIT_NOFILE>=2048' -v; expect_code 31 "the kernel's spelling"
expect_text ERR "the program may raise its soft limit itself" "a soft limit below a high-enough hard limit is said so"
run_cmd lowered 1000 4096 "$PREFLIGHT" limit 'nofile>=2048'; expect_code 31 "soft 1000"
expect_no_text ERR "systemd's soft default" "the 1024 explanation only for 1024"
run_cmd lowered 1024 4096 "$PREFLIGHT" limit 'nofile<=1024' 'nofile=1024' 'NOFILE<=4096'; expect_code 0 "<= and ="
run_cmd lowered 1024 4096 "$PREFLIGHT" limit 'nofile<=1000'; expect_code 31 "<= fails"
expect_text ERR "needs <= 1000" "says so"

# ---- --hard ----
run_cmd lowered 1024 4096 "$PREFLIGHT" limit 'nofile>=4096' --hard; expect_code 0 "--hard: hard 4096"
expect_text ERR "the hard limit is 4096" "the line shows the hard limit"
run_cmd lowered 1024 4096 "$PREFLIGHT" limit 'nofile>=4097' --hard; expect_code 31 "--hard: 4096 < 4097"
expect_text ERR "ulimit -Hn 4097" "the shell fix sets the hard limit"

# ---- bytes, infinity, seconds: ulimit in a shell lowers them ----
run_cmd bash -c "ulimit -S -l 64 && exec \"\$0\" limit 'memlock>=64K' 'memlock<=64K' 'memlock=65536'" "$PREFLIGHT"
expect_code 0 "ulimit -l 64 (KiB) is 64K"
run_cmd bash -c "ulimit -S -l 64 && exec \"\$0\" limit memlock=infinity" "$PREFLIGHT"
expect_code 31 "memlock 64K is not infinity"; expect_text ERR "fix: LimitMEMLOCK=infinity in the unit" "the fix names LimitMEMLOCK=infinity"
run_cmd bash -c "ulimit -S -c 0 && exec \"\$0\" limit core=0" "$PREFLIGHT"; expect_code 0 "core=0 after ulimit -c 0"
# (fsize, not core, for the failing case: ASan sets a sanitized binary's own core limit to 0.)
run_cmd bash -c "ulimit -S -f 1 && exec \"\$0\" limit fsize=0" "$PREFLIGHT"; expect_code 31 "fsize 1K is not 0"
expect_text ERR "the soft limit is 1K" "bash's ulimit -f counts KiB; shown with its suffix"
run_cmd bash -c "ulimit -S -s 8192 && exec \"\$0\" limit 'stack<=8M' 'stack>=8M'" "$PREFLIGHT"; expect_code 0 "stack 8M"
run_cmd prlimit --cpu=30:60 -- "$PREFLIGHT" limit 'cpu<=30' 'cpu<=30s' 'cpu>=0.5min'; expect_code 0 "cpu 30 s in seconds and spans"
run_cmd prlimit --cpu=30:60 -- "$PREFLIGHT" limit 'cpu>=1min'; expect_code 31 "cpu 30 s < 1min"
run_cmd prlimit --cpu=30:60 -- "$PREFLIGHT" limit 'cpu>=1min' --hard; expect_code 0 "cpu hard 60 s >= 1min"
run_cmd prlimit --rttime=500000:500000 -- "$PREFLIGHT" limit 'rttime=500ms' 'rttime=500000'; expect_code 0 "rttime in microseconds and spans"
# (nice can only be lowered, and it is 0 here: 0 is nice level +20, which no process may have.)
run_cmd prlimit --nice=0:0 -- "$PREFLIGHT" limit 'nice=0' 'LimitNICE<=+19'; expect_code 0 "nice 0: the raw number and a nice level with a sign"
run_cmd prlimit --nice=0:0 -- "$PREFLIGHT" limit 'nice>=-5'; expect_code 31 "nice 0 is below a nice level of -5 (25)"
expect_text ERR "LimitNICE=25" "the fix gives the raw number"
run_cmd prlimit --nproc=100:100 -- "$PREFLIGHT" limit 'nproc>=4096'; expect_code 31 "nproc 100 < 4096"
expect_text ERR "LimitNPROC=4096" "the fix names LimitNPROC="

# ---- every limit prlimit knows reads back as prlimit shows it ----
for name in as core cpu data fsize locks memlock msgqueue nice nofile nproc rss rtprio rttime sigpending stack; do
	soft=$(prlimit --noheadings --raw --output SOFT --"$name" --pid $$ | tr -d ' ')
	[ "$soft" = unlimited ] && soft=infinity
	run_preflight limit "$name=$soft"; expect_code 0 "$name: the soft limit prlimit shows ($soft)"
done

# ---- as nobody: the limits go with the process, not the user ----
run_cmd lowered 512 1024 setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$PREFLIGHT" limit 'nofile>=512' 'nofile<=512'
expect_code 0 "nobody sees the lowered limit"
run_cmd lowered 512 1024 setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$PREFLIGHT" limit 'nofile>=65535'
expect_code 31 "nobody: 512 < 65535"
run_cmd lowered 512 1024 setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$PREFLIGHT" limit 'nofile>=1024' --hard
expect_code 0 "nobody: the hard limit 1024"

# ---- shared options ----
run_cmd lowered 1024 4096 "$PREFLIGHT" limit 'nofile>=65535' --json; expect_code 31 "--json"
expect_text OUT '"target":"nofile>=65535"' "JSON target is the expression"
run_cmd lowered 1024 4096 "$PREFLIGHT" limit 'nofile>=65535' --invert; expect_code 0 "--invert of a failing limit passes"
run_cmd lowered 1024 4096 "$PREFLIGHT" limit 'nofile>=1' --invert; expect_code 31 "--invert of a passing limit is 31"
run_cmd lowered 1024 4096 "$PREFLIGHT" limit 'nofile>=65535' --wait -t 3s --json; expect_code 31 "--wait does not retry a limit"
expect_attempts -eq 1 "it answers at once"
run_cmd lowered 1024 4096 "$(dirname "$PREFLIGHT")/preflight-limit" 'nofile>=1024'; expect_code 0 "as preflight-limit"

finish
