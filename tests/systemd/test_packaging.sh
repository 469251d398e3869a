#!/bin/bash
# Install and packages, end to end: `make install` with DESTDIR and PREFIX (the binary, links, man
# pages, example units), the man pages (every installed page renders without warnings; preflight(1)
# documents every check, option and exit code the binary has, each preflight-CHECK(1) its own),
# bash completion (driven as bash would), `make deb` (the source package built by dpkg-buildpackage
# from a copy of the tree, lintian --pedantic on it and its .dsc, then dpkg -i, apt-get remove and
# purge, dpkg -r and -P into overlays of /usr, /var and /etc in a private mount namespace, so the
# machine itself is not changed) and `make rpm` (rpmlint on the binary and source RPMs).
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
command -v rpmlint >/dev/null || missing="$missing rpmlint"
command -v dh >/dev/null || missing="$missing debhelper"
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
	if [ "$(readlink "$p/bin/preflight-$c")" = preflight ] && [ -f "$p/share/man/man1/preflight-$c.1" ] &&
		[ ! -L "$p/share/man/man1/preflight-$c.1" ] &&
		[ -L "$p/share/bash-completion/completions/preflight-$c" ]; then
		pass "preflight-$c: command link, a man page of its own, completion link"
	else
		fail "preflight-$c: the link, its man page or its completion link is missing"
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
check "preflight.conf(5) installed" test -f "$p/share/man/man5/preflight.conf.5"
# Every example unit, socket and timer in packaging/units/, whatever other parts add there.
n_units=0 n_src=0
for u in packaging/units/*.service packaging/units/*.socket packaging/units/*.timer; do
	[ -e "$u" ] || continue
	n_src=$((n_src + 1))
	if cmp -s "$u" "$p/share/doc/preflight/examples/units/${u##*/}"; then
		n_units=$((n_units + 1))
	else
		fail "example unit ${u##*/} is not installed under share/doc/preflight/examples/units"
	fi
done
[ "$n_units" -ge 5 ] && [ "$n_units" -eq "$n_src" ] &&
	pass "example units, sockets and timers installed ($n_units of $n_src)" ||
	fail "example units: $n_units of $n_src installed"
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

# Every page make install installs renders without a warning.
n_pages=0
while IFS= read -r page; do
	n_pages=$((n_pages + 1))
	w=$(man --warnings -l "$page" 2>&1 >/dev/null)
	[ -z "$w" ] || fail "man --warnings ${page#"$p"/}: $w"
done < <(find "$p/share/man" -type f -name '*.[0-9]' | sort)
n_checks=$("$PREFLIGHT" list | wc -l)
[ "$n_pages" -eq $((n_checks + 2)) ] &&
	pass "man --warnings is silent on all $n_pages installed pages (preflight.1, preflight.conf.5, one per check)" ||
	fail "installed man pages: $n_pages, expected $((n_checks + 2))"
# Each check's own page has its summary, every option of its --help and its own exit codes.
for c in $("$PREFLIGHT" list | awk '{print $1}'); do
	page="$p/share/man/man1/preflight-$c.1"
	[ -f "$page" ] || continue
	MANWIDTH=200 man -l -P cat "$page" 2>/dev/null | tr -s ' ' >"$WORK/page.txt"
	missing_here=""
	grep -q "^ preflight-$c - " "$WORK/page.txt" || missing_here="$missing_here NAME"
	for opt in $("$PREFLIGHT" "$c" --help | sed -n 's/^ \{2,\}\(-[[:alnum:]], \)\{0,1\}\(--[[:alnum:]][[:alnum:]-]*\).*/\2/p'); do
		grep -q -- "$opt\b" "$WORK/page.txt" || missing_here="$missing_here $opt"
	done
	for code in $("$PREFLIGHT" exit-codes | awk -v c="$c: " 'NR == 1 { at = index($0, "MEANING") } $1 ~ /^[0-9]+$/ && index(substr($0, at), c) == 1 { print $1 }'); do
		grep -q "^ $code " "$WORK/page.txt" || missing_here="$missing_here code-$code"
	done
	[ -z "$missing_here" ] && pass "preflight-$c(1): its summary, every option of --help and its own codes" ||
		fail "preflight-$c(1) lacks:$missing_here"
done
MANWIDTH=200 man -l -P cat "$p/share/man/man5/preflight.conf.5" 2>/dev/null | tr -s ' ' >"$WORK/conf5.txt"
for want in 'PREFLIGHT_CONFIG_DIR' '${NAME:-DEFAULT}' 'defaults' 'chown root FILE' 'chmod go-w FILE' \
	'/etc/preflight/NAME.conf' 'byte order mark' '--dry-run'; do
	grep -qF -- "$want" "$WORK/conf5.txt" || fail "preflight.conf(5) does not mention $want"
done
pass "preflight.conf(5) covers lookup, expansion, defaults, validation and root's safety rules"

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

# ---- make deb: the source package built by dpkg-buildpackage ------------------------------------
# The unit tests run inside the build (debian/rules' override_dh_auto_test): ~10 s of a ~30 s build,
# and the one proof that the packaged tree passes them; nocheck is asserted from the rules alone.
deb_build="$WORK/debbuild"
# What make install installs (PREFIX=/usr), as the packages should hold it: man pages and README
# compressed in the .deb; man pages in the RPM too.
make --no-print-directory BUILD="$BUILD" DESTDIR="$WORK/staged" PREFIX=/usr install >/dev/null 2>&1
(cd "$WORK/staged" && find . ! -type d | sed 's|^\.||' | sort) >"$WORK/installed.txt"
tree_before=$(git status --porcelain 2>/dev/null)
deb=$(make --no-print-directory BUILD="$deb_build" deb 2>"$WORK/deb.err" | tail -1)
if [ -f "$deb" ]; then
	pass "make deb builds $(basename "$deb") with dpkg-buildpackage -us -uc -b"
else
	fail "make deb: $(tail -5 "$WORK/deb.err")"
fi
[ "$(git status --porcelain 2>/dev/null)" = "$tree_before" ] &&
	pass "make deb leaves the working tree as it was (it builds in a copy)" ||
	fail "make deb changed the working tree: $(git status --porcelain | head -5)"
if [ -f "$deb" ]; then
	log="$deb_build/dpkg-buildpackage.log"
	grep -q '^100%: Checks: [0-9]*, Failures: 0, Errors: 0' "$log" &&
		pass "dh_auto_test ran the unit tests in the build: $(grep -o '^100%: Checks: [0-9]*' "$log")" ||
		fail "the unit tests did not run (or failed) in the build"
	rules="$deb_build/deb-src/preflight-$VERSION/debian/rules"
	(cd "$(dirname "$(dirname "$rules")")" && DEB_BUILD_OPTIONS=nocheck make -s -n -f debian/rules override_dh_auto_test) >"$WORK/nocheck.txt" 2>&1
	(cd "$(dirname "$(dirname "$rules")")" && make -s -n -f debian/rules override_dh_auto_test) >"$WORK/check.txt" 2>&1
	! grep -q unit "$WORK/nocheck.txt" && grep -q 'unit' "$WORK/check.txt" &&
		pass "DEB_BUILD_OPTIONS=nocheck skips make unit (debian/rules)" ||
		fail "nocheck: '$(cat "$WORK/nocheck.txt")', without: '$(cat "$WORK/check.txt")'"
	grep -q 'debhelper-compat (= 13)' packaging/debian/control && grep -q "^$(printf '\t')dh \\\$@\$" packaging/debian/rules &&
		[ "$(cat packaging/debian/source/format)" = "3.0 (native)" ] &&
		pass "debian/: debhelper compat 13, dh, 3.0 (native)" || fail "debian/: compat, dh or format is not as documented"
	depends=$(dpkg-deb -f "$deb" Depends)
	[[ "$depends" == *libc6* && "$depends" == *libcap2* ]] &&
		pass "the .deb depends on the libraries it links: $depends" || fail "Depends: $depends"
	# Every soname a check loads with dlopen() (the sources' "lib*.so.N" strings), by the package
	# that ships it on this machine, must be recommended.
	recommends=$(dpkg-deb -f "$deb" Recommends)
	for soname in $(grep -rhoE '"lib[a-z0-9_+-]+\.so\.[0-9.]+"' core checks unit | tr -d '"' | sort -u); do
		owner=$(dpkg -S "*/$soname" 2>/dev/null | head -1 | cut -d: -f1)
		if [ -z "$owner" ]; then
			fail "no package on this machine ships $soname (packaging/deps.sh installs them)"
		elif [[ ", $recommends," == *[\ \|]"$owner"[\ ,]* ]]; then
			pass "the .deb recommends $owner ($soname, loaded with dlopen())"
		else
			fail "Recommends: lacks $owner for $soname: $recommends"
		fi
	done
	[ "$(dpkg-deb -f "$deb" Version)" = "$VERSION" ] && pass "the .deb's version is $VERSION (native)" ||
		fail "the .deb's version is $(dpkg-deb -f "$deb" Version)"
	# Every file make install installs is in the .deb (man pages and README as .gz, zsh's
	# completion where Debian's zsh looks), and the .deb holds nothing else but Debian's
	# copyright and changelog.
	dpkg-deb -c "$deb" | awk '$1 !~ /^d/ { print $6 }' | sed 's|^\.||; s| ->.*||' | sort >"$WORK/deb-files.txt"
	sed -E -e 's#^(/usr/share/man/.*|/usr/share/doc/preflight/README\.md)$#\1.gz#' \
		-e 's#^/usr/share/zsh/site-functions/#/usr/share/zsh/vendor-completions/#' \
		"$WORK/installed.txt" | sort >"$WORK/want-deb.txt"
	extra=$(comm -13 "$WORK/want-deb.txt" "$WORK/deb-files.txt" | grep -v '^/usr/share/doc/preflight/\(copyright\|changelog\.gz\)$')
	lacking=$(comm -23 "$WORK/want-deb.txt" "$WORK/deb-files.txt")
	[ -z "$lacking" ] && [ -z "$extra" ] &&
		pass "the .deb holds every file make install installs ($(wc -l <"$WORK/want-deb.txt")), and only those" ||
		fail "the .deb lacks: $(echo $lacking) / has more: $(echo $extra)"
	if command -v lintian >/dev/null; then
		lintian --pedantic -I "$deb" "${deb%.deb}.changes" 2>&1 | grep -v 'running with root privileges' >"$WORK/lintian.txt"
		if grep -q '^[EWIPX]:' "$WORK/lintian.txt"; then
			fail "lintian --pedantic finds something in the .deb or its .changes:"
			sed 's/^/#     /' "$WORK/lintian.txt"
		else
			pass "lintian --pedantic -I on the .deb and .changes: nothing, not even an info tag"
		fi
		[ ! -e packaging/debian/preflight.lintian-overrides ] && [ ! -e packaging/debian/source/lintian-overrides ] &&
			pass "no lintian override" || fail "a lintian override is back: each must be explained in its file"
		dsc=$(make --no-print-directory BUILD="$WORK/debsrc" deb-source 2>"$WORK/dsc.err" | tail -1)
		if [ -f "$dsc" ]; then
			pass "make deb-source builds $(basename "$dsc") ($(cd "$(dirname "$dsc")" && ls preflight_"$VERSION".tar.*))"
			lintian --pedantic -I "$dsc" 2>&1 | grep -v 'running with root privileges' >"$WORK/lintian-src.txt"
			if grep -q '^[EWIPX]:' "$WORK/lintian-src.txt"; then
				fail "lintian --pedantic finds something in the source package:"
				sed 's/^/#     /' "$WORK/lintian-src.txt"
			else
				pass "lintian --pedantic -I on the source package (.dsc): nothing"
			fi
		else
			fail "make deb-source: $(tail -5 "$WORK/dsc.err")"
		fi
	else
		fail "lintian is not installed: the .deb was not checked"
	fi
fi

# dpkg -i, apt-get remove and purge, dpkg -r and -P for real, into overlays: the machine's /usr,
# /var and /etc are only the lower layers. After each removal the list of paths under /usr, /etc
# and /var must be what it was before the install, but for the package managers' own records
# (dpkg's database and log, apt's cache and logs) and man-db's index, which any install updates.
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
		paths() {
			find /usr /etc /var -xdev 2>/dev/null | grep -v -e "^/var/lib/dpkg/" -e "^/var/log/" \
				-e "^/var/cache/apt/" -e "^/var/lib/apt/" -e "^/var/cache/man/" -e "^/var/cache/debconf/" |
				sort
		}
		# left NAME: the paths added or removed since before the install, counting only what this
		# namespace did (a path in an upper layer, or a whiteout there): the lower layers are the
		# machine itself, which other programs may change meanwhile (/var/tmp).
		left() {
			paths >"$ov/after-$1.txt"
			diff "$ov/before.txt" "$ov/after-$1.txt" | sed -n "s/^\([<>]\) /\1 /p" |
				while read -r op path; do
					top=${path#/} ; d=${top%%/*} ; rest=${top#*/}
					u="$ov/$d.up/$rest"
					if [ "$op" = ">" ] && { [ -e "$u" ] || [ -L "$u" ]; }; then echo "added $path"; fi
					if [ "$op" = "<" ] && [ -c "$u" ]; then echo "removed $path"; fi
				done >"$ov/diff-$1.txt"
			[ ! -s "$ov/diff-$1.txt" ]
		}
		export DEBIAN_FRONTEND=noninteractive
		paths >"$ov/before.txt"
		t "dpkg -i installs the .deb (its dependencies are met)" dpkg -i "$deb"
		t "dpkg -s: preflight is installed" sh -c "dpkg -s preflight | grep -q \"^Status: install ok installed\""
		t "/usr/bin/preflight --version says $version" sh -c "/usr/bin/preflight --version | grep -qx \"preflight $version\""
		t "a check runs from the package: preflight user root" /usr/bin/preflight user root
		t "preflight-user nobody exits 10 from the package" sh -c "/usr/bin/preflight-user nobody; test \$? -eq 10"
		t "preflight port runs from the package" sh -c "/usr/bin/preflight port 1/udp --json | grep -q \"\\\"check\\\":\\\"port\\\"\""
		t "man -w finds the packaged man page" sh -c "man -w preflight | grep -q /usr/share/man/man1/preflight.1.gz"
		t "man -w preflight-port finds its own page" sh -c "man -w preflight-port | grep -qx /usr/share/man/man1/preflight-port.1.gz"
		t "man 5 preflight.conf finds the chain-file page" sh -c "man -w 5 preflight.conf | grep -qx /usr/share/man/man5/preflight.conf.5.gz"
		t "the package ships bash, zsh and fish completion" sh -c "test -f /usr/share/bash-completion/completions/preflight && test -f /usr/share/zsh/vendor-completions/_preflight && test -f /usr/share/fish/vendor_completions.d/preflight.fish"
		t "the packaged man page renders" sh -c "man preflight 2>&1 | grep -q \"check that a host is ready\""
		t "man preflight-port renders its page" sh -c "man preflight-port 2>/dev/null | grep -q \"in use\""
		t "apt-get remove removes it" apt-get remove -y -qq preflight
		t "/usr/bin/preflight is gone after apt-get remove" sh -c "! test -e /usr/bin/preflight"
		t "apt-get remove leaves nothing behind (no conffile, no directory)" left remove
		t "dpkg -i installs it again" dpkg -i "$deb"
		t "apt-get purge purges it" apt-get purge -y -qq preflight
		t "dpkg knows no preflight after apt-get purge" sh -c "! dpkg -s preflight 2>/dev/null | grep -q \"^Status: .* installed\""
		t "apt-get purge leaves nothing behind" left purge
		t "dpkg -i installs it a third time" dpkg -i "$deb"
		t "dpkg -r removes it" dpkg -r preflight
		t "dpkg -r leaves nothing behind" left dpkg-r
		t "dpkg -P purges what dpkg -r left" dpkg -P preflight
		t "dpkg -P leaves nothing behind" left dpkg-P
		t "no /var/lib/dpkg/info/preflight.* is left" sh -c "! ls /var/lib/dpkg/info/preflight.* 2>/dev/null"
		# The comparison itself: a file left on purpose is seen.
		touch /etc/preflight-left-on-purpose
		if left probe; then echo "not ok - a file left behind on purpose was not seen"; else
			grep -qx "added /etc/preflight-left-on-purpose" "$ov/diff-probe.txt" &&
				echo "ok - the comparison sees a file left behind (made on purpose)" ||
				echo "not ok - the comparison saw: $(cat "$ov/diff-probe.txt")"
		fi
		rm -f /etc/preflight-left-on-purpose "$ov/diff-probe.txt"
		for n in remove purge dpkg-r dpkg-P; do
			[ -s "$ov/diff-$n.txt" ] && { echo "# $n left:"; sed "s/^/#     /" "$ov/diff-$n.txt" | head -10; }
		done
		echo "# paths compared: $(wc -l <"$ov/before.txt")"
	' _ "$ov" "$deb" "$VERSION" >"$WORK/dpkg.txt" 2>&1
	while IFS= read -r line; do
		case "$line" in
		"ok - "*) pass "${line#ok - }" ;;
		"not ok - "*) fail "${line#not ok - }" ;;
		"# "*) echo "$line" ;;
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
	make --no-print-directory BUILD="$deb_build" rpm >"$WORK/rpm.out" 2>"$WORK/rpm.err"
	rpm_file=$(grep '\.x86_64\.rpm$\|\.[a-z0-9_]*\.rpm$' "$WORK/rpm.out" | grep -v '\.src\.rpm$' | tail -1)
	srpm=$(grep '\.src\.rpm$' "$WORK/rpm.out" | tail -1)
	if [ -f "$rpm_file" ] && [ -f "$srpm" ]; then
		pass "make rpm builds $(basename "$rpm_file") and $(basename "$srpm")"
		# Every file make install installs is in the RPM (man pages gzipped by brp-compress),
		# beside the licence file.
		rpm -qlp "$rpm_file" 2>/dev/null | sort >"$WORK/rpm-files.txt"
		sed -E 's#^(/usr/share/man/.*)$#\1.gz#' "$WORK/installed.txt" | sort >"$WORK/want-rpm.txt"
		lacking=$(comm -23 "$WORK/want-rpm.txt" "$WORK/rpm-files.txt")
		[ -z "$lacking" ] && pass "the RPM holds every file make install installs ($(wc -l <"$WORK/want-rpm.txt"))" ||
			fail "the RPM lacks: $(echo $lacking)"
		rpm -qp --requires "$rpm_file" 2>/dev/null | grep -q 'libcap.so.2' &&
			pass "the RPM requires libcap.so.2" || fail "the RPM does not require libcap.so.2"
		weak=$(rpm -qp --recommends "$rpm_file" 2>/dev/null | sort | tr '\n' ' ')
		[ "$weak" = "hiredis libacl libcurl libpq mariadb-connector-c pcre2 systemd-libs " ] &&
			pass "the RPM recommends every library it loads: $weak" || fail "the RPM recommends: $weak"
		grep -q '^+ make BUILD=build-rpm unit' "$deb_build/rpm/rpmbuild.log" &&
			grep -q '^100%: Checks: [0-9]*, Failures: 0' "$deb_build/rpm/rpmbuild.log" &&
			pass "%check ran the unit tests" || fail "%check did not run the unit tests"
		if command -v rpmlint >/dev/null; then
			rpmlint -r packaging/preflight.rpmlintrc "$rpm_file" "$srpm" packaging/preflight.spec >"$WORK/rpmlint.txt" 2>&1
			rc=$?
			summary=$(grep 'packages and .* checked' "$WORK/rpmlint.txt")
			if [ "$rc" -eq 0 ] && [[ "$summary" == *" 0 errors, 0 warnings"* ]]; then
				pass "rpmlint (packaging/preflight.rpmlintrc): ${summary# }"
			else
				fail "rpmlint exited $rc:"
				grep -v '^$' "$WORK/rpmlint.txt" | sed 's/^/#     /'
			fi
			# Each filter of the rpmlintrc comes after a comment that explains it.
			awk '/^addFilter/ && prev !~ /^#/ { print; bad = 1 } { prev = $0 } END { exit bad }' \
				packaging/preflight.rpmlintrc && pass "every rpmlintrc filter has its comment" ||
				fail "an rpmlintrc filter without a comment above it"
		else
			fail "rpmlint is not installed (apt-get install rpmlint): the RPM was not checked"
		fi
	else
		fail "make rpm: $(tail -5 "$WORK/rpm.err")"
	fi
else
	fail "rpmbuild is not installed (apt-get install rpm): the RPM was not built"
fi

echo "# packaging tests took $((($(date +%s%N) - STARTED) / 1000000))ms"
echo "packaging: $PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
