#!/bin/bash
# The libraries preflight loads with dlopen() only when a check needs them: libcurl for http,
# hiredis for redis, libsystemd for why. Not installed (the library's file absent) is 5, with the package to install;
# installed but not loadable (out of address space under ulimit -v or LimitAS=, a dependency
# broken or absent) is 1, with the loader's own words, and no package to install: installing it
# again would fix nothing. Every other check runs either way. Real loads by the real loader: the
# files are removed in a private mount namespace (lib.sh's without_libraries), shadowed
# through LD_LIBRARY_PATH, or cannot be mapped under ulimit -v.
. "$(dirname "$0")/lib.sh"

REFUSED=$(free_port)
HTTP=(http "http://127.0.0.1:$REFUSED/")
REDIS=(redis "127.0.0.1:$REFUSED")
CURL_SONAMES=(libcurl.so.4 libcurl-gnutls.so.4) # the check's sonames, in the order it tries them
HIREDIS_SONAMES=(libhiredis.so.0.14) # the only soname the check loads
UNLOADABLE_FIX="LimitAS= (or ulimit -v)"

# needed_by LIBRARY_FILE: the sonames the loader maps for it (ldd), one a line.
needed_by() {
	ldd "$1" | awk '$2 == "=>" { print $1 }' | sort -u
}
library_file() { # SONAME: the file ldconfig knows it by, resolved; empty when it has none
	local listed
	listed=$(ldconfig -p | awk -v n="$1" '$1 == n { print $NF; exit }')
	[ -n "$listed" ] && readlink -f "$listed"
}

# expect_unloadable WHAT DESCRIPTION: the last run is the "installed but cannot be loaded" answer
# for WHAT (libcurl, hiredis): exit 1, the loader's words, a fix that is not a package.
expect_unloadable() {
	expect_code 1 "$2: 1, not 5"
	expect_text ERR "$1 is installed but cannot be loaded: " "$2: says installed but not loadable"
	expect_text ERR "$UNLOADABLE_FIX" "$2: the fix points at the address-space limit, not a package"
	expect_no_text ERR "apt-get install" "$2: no package to install"
}

run_cmd ldd "$PREFLIGHT"
expect_no_text OUT libcurl "the binary is not linked with libcurl"
expect_no_text OUT libhiredis "the binary is not linked with hiredis"

# The controls: here both libraries load, and the checks answer for the refused port.
run_preflight "${HTTP[@]}"; expect_code 50 "control: http loads libcurl and finds the port refused"
run_preflight "${REDIS[@]}"; expect_code 40 "control: redis loads hiredis and finds the port refused"

# A dependency of libcurl that preflight itself does not need at start-up, for both libcurl
# sonames (else the second would load instead of the first).
curl_file=$(library_file "${CURL_SONAMES[0]}")
gnutls_file=$(library_file "${CURL_SONAMES[1]}")
own=$(needed_by "$PREFLIGHT")
DEP=$(comm -23 <(needed_by "$curl_file") <(printf '%s\n' "$own") |
	{ if [ -n "$gnutls_file" ]; then comm -12 - <(needed_by "$gnutls_file"); else cat; fi } |
	grep -v '^libc\.so' | head -1)
[ -n "$DEP" ] && pass "libcurl depends on $DEP, which preflight does not load at start-up" ||
	fail "no dependency of libcurl outside preflight's own: $curl_file"

# ---- a broken file first on the loader's path (LD_LIBRARY_PATH): installed, not loadable: 1 ----
mkdir "$WORK/broken"
printf 'not a shared object\n' >"$WORK/broken/$DEP"
run_cmd env LD_LIBRARY_PATH="$WORK/broken" "$PREFLIGHT" "${HTTP[@]}"
expect_unloadable libcurl "a broken $DEP for libcurl"
expect_text ERR "$WORK/broken/$DEP: file too short" "... in the loader's words, naming the file"
run_cmd env LD_LIBRARY_PATH="$WORK/broken" "$PREFLIGHT" user root
expect_code 0 "... and the user check still runs with that path"
for soname in "${HIREDIS_SONAMES[@]}"; do printf 'not a shared object\n' >"$WORK/broken/$soname"; done
run_cmd env LD_LIBRARY_PATH="$WORK/broken" "$PREFLIGHT" "${REDIS[@]}"
expect_unloadable hiredis "a broken file by hiredis's name"
expect_text ERR "$WORK/broken/${HIREDIS_SONAMES[0]}: file too short" "... in the loader's words, naming the file"

# ---- out of address space (ulimit -v): installed, not loadable: 1 ----
# lowest_answering_limit CHECK ARGS...: the lowest `ulimit -v` (KiB, to a page) under which
# preflight CHECK ARGS still gives CHECK's answer line at all (a FAIL line, or for http, which
# loads libcurl when it parses its URL, the check's own error line, other than "out of memory"); below it the process cannot even
# start or set up. Found by bisection, so no number measured on one machine is built in: at that
# limit the first large mapping the check makes, its library, is what fails.
answers_under() { # LIMIT CHECK ARGS...
	local limit=$1
	shift
	sh -c 'ulimit -v "$0" && exec "$@"' "$limit" "$PREFLIGHT" "$@" 2>&1 >/dev/null |
		grep -e "^FAIL $1 " -e "^preflight: $1: " | grep -qv "out of memory"
}
lowest_answering_limit() {
	local low=1024 high=1048576 middle
	answers_under "$low" "$@" && { echo 0; return; }
	answers_under "$high" "$@" || { echo 0; return; }
	while [ $((high - low)) -gt 4 ]; do
		middle=$(((low + high) / 2))
		if answers_under "$middle" "$@"; then high=$middle; else low=$middle; fi
	done
	echo "$high"
}
if [ "$SANITIZED" = 1 ]; then
	# One case of this file, not the file: ASan reserves terabytes of address space for its shadow
	# memory when the process starts, so a sanitized preflight cannot start under any ulimit -v.
	# The plain build's run of this file tests it.
	echo "# SKIPPED LOUDLY (this case only, under ASan): the libraries under ulimit -v"
else
	for check in http redis; do
		if [ "$check" = http ]; then args=("${HTTP[@]}") what=libcurl; else args=("${REDIS[@]}") what=hiredis; fi
		limit=$(lowest_answering_limit "${args[@]}")
		if [ "$limit" -gt 0 ]; then
			pass "$check: the lowest ulimit -v under which it answers is $limit KiB"
			run_cmd sh -c 'ulimit -v "$0" && exec "$@"' "$limit" "$PREFLIGHT" "${args[@]}"
			expect_unloadable "$what" "$check under ulimit -v $limit"
			expect_text ERR "failed to map segment from shared object" "... in the loader's words"
		else
			fail "$check: no ulimit -v between 1 MiB and 1 GiB under which it starts and answers"
		fi
	done
fi

# ---- absent: the library's files do not exist: 5, and the package to install ----
if [ "$(id -u)" -ne 0 ]; then
	skip_case "removing the libraries' files needs root (unshare --mount)"
	finish
	exit
fi
run_cmd without_libraries "${CURL_SONAMES[*]}" "$PREFLIGHT" "${HTTP[@]}"
expect_code 5 "no libcurl installed: 5"
expect_text ERR "libcurl is not installed: ${CURL_SONAMES[0]}: cannot open shared object file: No such file or directory" \
	"... says so in the loader's words"
expect_text ERR "apt-get install libcurl4" "... and names the package"
run_cmd without_libraries "${CURL_SONAMES[*]}" "$PREFLIGHT" "${HTTP[@]}" --invert
expect_code 5 "--invert does not turn a missing libcurl into a pass"
run_cmd without_libraries "${CURL_SONAMES[*]}" "$PREFLIGHT" "${HTTP[@]}" --wait -t 5s --json
expect_code 5 "no libcurl under --wait: 5"
# libcurl parses the URL, so its absence is found before any attempt: no result line at all.
expect_no_text OUT '"check"' "... found while the URL is parsed: no attempt, no JSON result"
expect_text ERR "preflight: http: libcurl is not installed" "... said as the line's own error"
run_cmd without_libraries "${CURL_SONAMES[*]}" "$PREFLIGHT" user root
expect_code 0 "without libcurl, the user check still runs"
if [ -n "$gnutls_file" ]; then
	run_cmd without_libraries "${CURL_SONAMES[0]}" "$PREFLIGHT" "${HTTP[@]}"
	expect_code 50 "without ${CURL_SONAMES[0]}, ${CURL_SONAMES[1]} is loaded: the port is found refused"
else
	skip_case "libcurl3-gnutls is not installed: the second libcurl soname is not tested (packaging/deps.sh installs it)"
fi
run_cmd without_libraries "$DEP" "$PREFLIGHT" "${HTTP[@]}"
expect_unloadable libcurl "libcurl installed, its dependency $DEP absent"
expect_text ERR "$DEP: cannot open shared object file: No such file or directory" "... in the loader's words"

run_cmd without_libraries "${HIREDIS_SONAMES[*]}" "$PREFLIGHT" "${REDIS[@]}"
expect_code 5 "no hiredis installed: 5"
expect_text ERR "hiredis (${HIREDIS_SONAMES[0]}) is not installed: ${HIREDIS_SONAMES[0]}: cannot open shared object file: No such file or directory" \
	"... says so in the loader's words"
expect_text ERR "apt-get install libhiredis0.14" "... and names the package"
run_cmd without_libraries "${HIREDIS_SONAMES[*]}" "$PREFLIGHT" "${REDIS[@]}" --wait -t 5s --json
expect_code 5 "no hiredis under --wait: 5"
expect_attempts -eq 1 "... answered at once: a missing library is not retried"
run_cmd without_libraries "${HIREDIS_SONAMES[*]}" "$PREFLIGHT" user root
expect_code 0 "without hiredis, the user check still runs"

# libsystemd, which `preflight why` alone loads.
run_cmd ldd "$PREFLIGHT"
expect_no_text OUT libsystemd "the binary is not linked with libsystemd"
run_cmd without_libraries libsystemd.so.0 "$PREFLIGHT" why some.service
expect_code 5 "no libsystemd installed: why exits 5"
expect_text ERR "libsystemd (libsystemd.so.0) is not installed: libsystemd.so.0: cannot open shared object file" \
	"... says so in the loader's words"
expect_text ERR "apt-get install libsystemd0" "... and names the package"
run_cmd without_libraries libsystemd.so.0 "$PREFLIGHT" user root
expect_code 0 "without libsystemd, the user check still runs"

finish
