#!/bin/bash
# Install and packages, end to end: `make install` with DESTDIR and PREFIX, the man page (renders
# without warnings, and documents every check, option and exit code the binary has), bash
# completion (driven as bash would), `make deb` (lintian, then dpkg -i into overlays of /usr, /var
# and /etc in a private mount namespace, so the machine itself is not changed) and `make rpm`.
# Prints "ok - ..." / "not ok - ..." lines and a final "packaging: N passed, N failed" line.
#
# PREFLIGHT names the binary under test (make package-check sets it and BUILD).
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
BUILD=${BUILD:-build}
PREFLIGHT=${PREFLIGHT:-$TOP/$BUILD/preflight}
PASSED=0
FAILED=0
STARTED=$(date +%s%N)
WORK=$(mktemp -d /tmp/preflight-packaging.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

# shellcheck source=../skip.sh
. "$HERE/../skip.sh"
pass() { PASSED=$((PASSED + 1)); echo "ok - $*"; }
fail() { FAILED=$((FAILED + 1)); echo "not ok - $*"; }
check() { # check DESCRIPTION COMMAND...: passes when COMMAND succeeds
	local desc=$1
	shift
	if "$@" >"$WORK/last.out" 2>&1; then pass "$desc"; else
		fail "$desc"
		sed 's/^/#     /' "$WORK/last.out" | head -20
	fi
}

cd "$TOP" || exit 1
if [ ! -x "$PREFLIGHT" ]; then
	echo "not ok - the binary under test '$PREFLIGHT' does not exist (build it, or set PREFLIGHT)"
	echo "packaging: 0 passed, 1 failed"
	exit 1
fi
VERSION=$(sed -n 's/^VERSION := //p' Makefile)

# Tools these tests drive. As root they are installed like packaging/deps.sh installs the rest.
missing=""
command -v lintian >/dev/null || missing="$missing lintian"
command -v rpmbuild >/dev/null || missing="$missing rpm"
command -v man >/dev/null || missing="$missing man-db"
[ -f /usr/share/bash-completion/bash_completion ] || missing="$missing bash-completion"
if [ -n "$missing" ]; then
	if [ "$(id -u)" -eq 0 ]; then
		echo "# installing:$missing"
		# shellcheck disable=SC2086 # one package a word
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing \
			>"$WORK/apt.log" 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -qq --no-install-recommends $missing >"$WORK/apt.log" 2>&1; } ||
			fail "apt-get install$missing: $(tail -1 "$WORK/apt.log")"
	else
		skipped "packaging" "the tests that need$missing (run: apt-get install -y$missing)" ||
			fail "packaging tests not run, and CI is set: not root to install$missing"
	fi
fi

# ---- make install ------------------------------------------------------------------------------
dest="$WORK/dest"
check "make install DESTDIR= PREFIX=/usr/local" \
	make --no-print-directory BUILD="$BUILD" DESTDIR="$dest" PREFIX=/usr/local install
p="$dest/usr/local"
check "the binary is installed in PREFIX/bin" test -x "$p/bin/preflight"
out=$("$p/bin/preflight" --version 2>&1)
[ "$out" = "preflight $VERSION" ] && pass "the installed binary says 'preflight $VERSION'" ||
	fail "the installed binary says '$out', expected 'preflight $VERSION'"
for c in $("$PREFLIGHT" list | awk '{print $1}'); do
	if [ "$(readlink "$p/bin/preflight-$c")" = preflight ] && [ -L "$p/share/man/man1/preflight-$c.1" ] &&
		[ -L "$p/share/bash-completion/completions/preflight-$c" ]; then
		pass "preflight-$c: command, man page and completion links"
	else
		fail "preflight-$c: a link is missing"
	fi
done
"$p/bin/preflight-user" root >/dev/null 2>&1
rc=$?
[ "$rc" -eq 0 ] && pass "the installed preflight-user link runs the user check" ||
	fail "installed preflight-user root exited $rc"
"$p/bin/preflight-user" nobody >/dev/null 2>&1
rc=$?
[ "$rc" -eq 10 ] && pass "the installed preflight-user nobody exits 10" ||
	fail "installed preflight-user nobody exited $rc, expected 10"
check "man page installed" test -f "$p/share/man/man1/preflight.1"
check "bash completion installed" test -f "$p/share/bash-completion/completions/preflight"
check "zsh completion installed" test -f "$p/share/zsh/site-functions/_preflight"
check "fish completion installed" test -f "$p/share/fish/vendor_completions.d/preflight.fish"
for s in bash zsh fish; do
	case $s in
	bash) f=$p/share/bash-completion/completions/preflight ;;
	zsh) f=$p/share/zsh/site-functions/_preflight ;;
	fish) f=$p/share/fish/vendor_completions.d/preflight.fish ;;
	esac
	"$PREFLIGHT" completion "$s" | cmp -s - "$f" &&
		pass "the installed $s completion is what preflight completion $s prints" ||
		fail "the installed $s completion differs from preflight completion $s"
done
check "README installed under share/doc" test -f "$p/share/doc/preflight/README.md"
n_units=$(ls "$p"/share/doc/preflight/examples/units/*.service 2>/dev/null | wc -l)
[ "$n_units" -ge 4 ] && pass "example units installed ($n_units)" || fail "example units: $n_units installed"
n_confs=$(ls configs/*.conf 2>/dev/null | wc -l)
n_inst=$(ls "$p"/share/doc/preflight/examples/chains/*.conf 2>/dev/null | wc -l)
[ "$n_inst" -eq "$n_confs" ] && pass "example chains installed ($n_inst of $n_confs)" ||
	fail "example chains: $n_inst installed, configs/ has $n_confs"
outside=$(cd "$dest" && find . -mindepth 1 -maxdepth 2 | grep -v '^\./usr$\|^\./usr/local$')
[ -z "$outside" ] && pass "nothing installed outside DESTDIR/PREFIX" || fail "installed outside PREFIX: $outside"
check "make install PREFIX=/opt/preflight" \
	make --no-print-directory BUILD="$BUILD" DESTDIR="$WORK/dest2" PREFIX=/opt/preflight install
check "PREFIX is honoured" test -x "$WORK/dest2/opt/preflight/bin/preflight"

# ---- the man page ------------------------------------------------------------------------------
warnings=$(man --warnings -l packaging/preflight.1 2>&1 >/dev/null)
[ -z "$warnings" ] && pass "man --warnings renders preflight.1 without a warning" ||
	fail "man --warnings: $warnings"
grep -q "^\.TH PREFLIGHT 1 .* \"preflight $VERSION\"" packaging/preflight.1 &&
	pass "the man page is for preflight $VERSION" || fail "the man page's .TH line is not for preflight $VERSION"
MANWIDTH=200 man -l -P cat packaging/preflight.1 2>/dev/null | tr -s ' ' >"$WORK/man.txt"
for c in $("$PREFLIGHT" list | awk '{print $1}'); do
	grep -q "^ $c " "$WORK/man.txt" || grep -q "^ $c$" "$WORK/man.txt" ||
		fail "man page: no section for the check $c"
	for opt in $("$PREFLIGHT" "$c" --help | sed -n 's/^ \{2,\}\(-[[:alnum:]], \)\{0,1\}\(--[[:alnum:]][[:alnum:]-]*\).*/\2/p'); do
		grep -q -- "$opt\b" "$WORK/man.txt" && pass "man page documents $c $opt" ||
			fail "man page: $c $opt (from preflight $c --help) is missing"
	done
done
for opt in $("$PREFLIGHT" run --help | sed -n 's/^ \{2,\}\(-[[:alnum:]], \)\{0,1\}\(--[[:alnum:]][[:alnum:]-]*\).*/\2/p'); do
	grep -q -- "$opt\b" "$WORK/man.txt" && pass "man page documents run $opt" ||
		fail "man page: run $opt (from preflight run --help) is missing"
done
sed -n '/^EXIT STATUS/,/^ENVIRONMENT/p' "$WORK/man.txt" >"$WORK/man-codes.txt"
n_codes=0
while read -r code _ rest; do
	[[ "$code" =~ ^[0-9]+$ ]] || continue
	kind=
	case "$rest" in permanent\ * | transient\ *) kind=${rest%% *} rest=${rest#* } ;; esac
	want=" $code $rest${kind:+ ($kind)}"
	if grep -qF -- "$want" "$WORK/man-codes.txt"; then
		n_codes=$((n_codes + 1))
	else
		fail "man page: exit code line '$want' (from preflight exit-codes) is missing"
	fi
done < <("$PREFLIGHT" exit-codes | tr -s ' ')
[ "$n_codes" -ge 20 ] && pass "man page lists the $n_codes exit codes exactly as preflight exit-codes" ||
	fail "man page: only $n_codes exit codes match preflight exit-codes"
rpe=$("$PREFLIGHT" exit-codes | grep '^RestartPreventExitStatus=')
grep -qF -- "$rpe" "$WORK/man.txt" && pass "man page gives the same $rpe" ||
	fail "man page: '$rpe' is missing"

# ---- bash completion ---------------------------------------------------------------------------
# complete LINE: what bash completion offers at the end of LINE, one per line.
complete_line() {
	PATH="$p/bin:$PATH" PREFLIGHT_CONFIG_DIR="$WORK/chains" bash --norc --noprofile -c '
		. /usr/share/bash-completion/bash_completion
		. "$1"
		line=$2
		read -ra COMP_WORDS <<<"$line"
		[[ $line == *" " ]] && COMP_WORDS+=("")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		COMP_LINE=$line
		COMP_POINT=${#line}
		_preflight "${COMP_WORDS[0]}" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
		printf "%s\n" "${COMPREPLY[@]}"' _ "$p/share/bash-completion/completions/preflight" "$1" 2>&1
}
# expect_completion LINE WORD: WORD is among the completions of LINE.
expect_completion() {
	local got
	got=$(complete_line "$1")
	if printf '%s\n' "$got" | grep -qx -- "$2"; then
		pass "completion: '$1' offers $2"
	else
		fail "completion: '$1' does not offer $2; offered: $(echo "$got" | tr "\n" " ")"
	fi
}
mkdir -p "$WORK/chains"
touch "$WORK/chains/myapp.conf"
if [ -f /usr/share/bash-completion/bash_completion ]; then
	for c in $("$PREFLIGHT" list | awk '{print $1}'); do expect_completion "preflight " "$c"; done
	expect_completion "preflight " run
	expect_completion "preflight ex" exit-codes
	expect_completion "preflight w" why
	expect_completion "preflight why --j" --json
	expect_completion "preflight why --u" --user
	expect_completion "preflight port 8080 --ti" --timeout
	expect_completion "preflight http --expect-st" --expect-status
	expect_completion "preflight user --not" --not-root
	expect_completion "preflight user --group roo" root
	expect_completion "preflight user roo" root
	expect_completion "preflight cap net_bind" net_bind_service
	expect_completion "preflight limit nof" "nofile>="
	expect_completion "preflight limit --ha" --hard
	expect_completion "preflight sysctl vm.max_map" vm.max_map_count
	expect_completion "preflight cap cap_net_b" cap_net_bind_service
	expect_completion "preflight cap --set amb" ambient
	expect_completion "preflight dns db.test --fam" --family
	expect_completion "preflight dns db.test --family ipv" ipv6
	expect_completion "preflight dns local" localhost
	expect_completion "preflight run my" myapp
	expect_completion "preflight run myapp --keep" --keep-going
	expect_completion "preflight run myapp --as" --as-unit
	expect_completion "preflight port 8080 --as" --as-unit
	expect_completion "preflight port 8080 --as-unit systemd-journ" systemd-journald.service
	expect_completion "preflight run myapp --as-unit systemd-journ" systemd-journald.service
	expect_completion "preflight run myapp --dry" --dry-run
	expect_completion "preflight explain 2" 20
	expect_completion "preflight user root -- slee" sleep
	expect_completion "preflight-port 80 --inv" --invert
	expect_completion "preflight-user --gr" --group
	expect_completion "preflight-user --group nog" nogroup
	got=$(complete_line "preflight port --timeout ")
	printf '%s\n' "$got" | grep -qx -- 5s && ! printf '%s\n' "$got" | grep -q -- '^--' &&
		pass "completion: after --timeout come spans, not options" ||
		fail "completion: after --timeout: $(echo "$got" | tr "\n" " ")"
	got=$(complete_line "preflight http --expect-header --")
	[ -z "$got" ] && pass "completion: after --expect-header comes its value, not options" ||
		fail "completion: after --expect-header: $(echo "$got" | tr "\n" " ")"
else
	fail "completion: bash-completion is not installed, completion cannot be tested"
fi

# ---- make deb ----------------------------------------------------------------------------------
deb_build="$WORK/debbuild"
deb=$(make --no-print-directory BUILD="$deb_build" deb 2>"$WORK/deb.err" | tail -1)
if [ -f "$deb" ]; then
	pass "make deb builds $(basename "$deb")"
else
	fail "make deb: $(tail -5 "$WORK/deb.err")"
fi
if [ -f "$deb" ]; then
	depends=$(dpkg-deb -f "$deb" Depends)
	[[ "$depends" == *libc6* && "$depends" == *libcap2* ]] &&
		pass "the .deb depends on the libraries it links: $depends" || fail "Depends: $depends"
	recommends=$(dpkg-deb -f "$deb" Recommends)
	[[ "$recommends" == *libcurl4* && "$recommends" == *libhiredis* ]] &&
		pass "the .deb recommends the libraries it loads: $recommends" || fail "Recommends: $recommends"
	[ "$(dpkg-deb -f "$deb" Version)" = "$VERSION-1" ] && pass "the .deb's version is $VERSION-1" ||
		fail "the .deb's version is $(dpkg-deb -f "$deb" Version)"
	if command -v lintian >/dev/null; then
		lintian --pedantic "$deb" 2>&1 | grep -v 'running with root privileges' >"$WORK/lintian.txt"
		if grep -q '^[EW]:' "$WORK/lintian.txt"; then
			fail "lintian finds errors or warnings:"
			sed 's/^/#     /' "$WORK/lintian.txt"
		else
			pass "lintian --pedantic: no error, no warning ($(grep -c '^[IPX]:' "$WORK/lintian.txt") notes)"
			sed 's/^/#     /' "$WORK/lintian.txt"
		fi
	else
		fail "lintian is not installed: the .deb was not checked"
	fi
fi

# dpkg -i for real, into overlays: the machine's /usr, /var and /etc are only the lower layers.
machine_has_preflight() { dpkg-query -W -f='${Status}' preflight 2>/dev/null || echo absent; }
if [ -f "$deb" ] && [ "$(id -u)" -eq 0 ]; then
	machine_had_preflight=$(machine_has_preflight)
	ov="$WORK/overlay"
	for d in usr var etc; do mkdir -p "$ov/$d.up" "$ov/$d.work"; done
	unshare --mount --propagation private bash -c '
		set -u
		ov=$1 deb=$2 version=$3
		for d in usr var etc; do
			mount -t overlay overlay -o "lowerdir=/$d,upperdir=$ov/$d.up,workdir=$ov/$d.work" "/$d" ||
				{ echo "not ok - overlay on /$d"; exit 0; }
		done
		t() { local d=$1; shift; if "$@" >/tmp/.pf-out 2>&1; then echo "ok - $d"; else echo "not ok - $d: $(head -3 /tmp/.pf-out)"; fi; }
		t "dpkg -i installs the .deb (its dependencies are met)" dpkg -i "$deb"
		t "dpkg -s: preflight is installed" sh -c "dpkg -s preflight | grep -q \"^Status: install ok installed\""
		t "/usr/bin/preflight --version says $version" sh -c "/usr/bin/preflight --version | grep -qx \"preflight $version\""
		t "a check runs from the package: preflight user root" /usr/bin/preflight user root
		t "preflight-user nobody exits 10 from the package" sh -c "/usr/bin/preflight-user nobody; test \$? -eq 10"
		t "preflight port runs from the package" sh -c "/usr/bin/preflight port 1/udp --json | grep -q \"\\\"check\\\":\\\"port\\\"\""
		t "man -w finds the packaged man page" sh -c "man -w preflight | grep -q /usr/share/man/man1/preflight.1.gz"
		t "the package ships bash, zsh and fish completion" sh -c "test -f /usr/share/bash-completion/completions/preflight && test -f /usr/share/zsh/vendor-completions/_preflight && test -f /usr/share/fish/vendor_completions.d/preflight.fish"
		t "man -w preflight-port finds a page too" sh -c "man -w preflight-port | grep -q \"^/usr/share/man/man1/preflight.*\\.1\\.gz$\""
		t "the packaged man page renders" sh -c "man preflight 2>&1 | grep -q \"check that a host is ready\""
		t "dpkg -r removes it" dpkg -r preflight
		t "/usr/bin/preflight is gone after dpkg -r" sh -c "! test -e /usr/bin/preflight"
	' _ "$ov" "$deb" "$VERSION" >"$WORK/dpkg.txt" 2>&1
	while IFS= read -r line; do
		case "$line" in
		"ok - "*) pass "${line#ok - }" ;;
		"not ok - "*) fail "${line#not ok - }" ;;
		esac
	done <"$WORK/dpkg.txt"
	grep -q '^ok - dpkg -i' "$WORK/dpkg.txt" || { fail "dpkg -i in the overlay did not run:"; sed 's/^/#     /' "$WORK/dpkg.txt" | tail -10; }
	if [ -e "$ov/var.up/lib/dpkg/status" ] && [ "$machine_had_preflight" = "$(machine_has_preflight)" ]; then
		pass "dpkg wrote into the overlay only: the machine's own dpkg database is as it was"
	else
		fail "dpkg -i in the overlay changed the machine (or wrote nothing to the overlay)"
	fi
elif [ -f "$deb" ]; then
	skipped "packaging" "dpkg -i of the package: not root" ||
		fail "dpkg -i not tested, and CI is set: not root"
fi

# ---- make rpm ----------------------------------------------------------------------------------
if command -v rpmbuild >/dev/null; then
	rpm_file=$(make --no-print-directory BUILD="$deb_build" rpm 2>"$WORK/rpm.err" | tail -1)
	if [ -f "$rpm_file" ]; then
		pass "make rpm builds $(basename "$rpm_file")"
		files=$(rpm -qlp "$rpm_file" 2>/dev/null)
		for f in /usr/bin/preflight /usr/bin/preflight-port /usr/share/man/man1/preflight.1 \
			/usr/share/bash-completion/completions/preflight /usr/share/zsh/site-functions/_preflight \
			/usr/share/fish/vendor_completions.d/preflight.fish; do
			printf '%s\n' "$files" | grep -q "^$f" && pass "the RPM holds $f" || fail "the RPM lacks $f"
		done
		rpm -qp --requires "$rpm_file" 2>/dev/null | grep -q 'libcap.so.2' &&
			pass "the RPM requires libcap.so.2" || fail "the RPM does not require libcap.so.2"
	else
		fail "make rpm: $(tail -5 "$WORK/rpm.err")"
	fi
else
	fail "rpmbuild is not installed (apt-get install rpm): the RPM was not built"
fi

echo "# packaging tests took $((($(date +%s%N) - STARTED) / 1000000))ms"
echo "packaging: $PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
