#!/bin/sh
# Builds the Debian package from this tree's source package: `make deb` runs
#   packaging/build-deb.sh VERSION BUILD_DIR [-S]
# The files git tracks (as they are now, with uncommitted changes; untracked files that are not
# ignored too) are copied to BUILD_DIR/deb-src/preflight-VERSION with packaging/debian/ as
# debian/ at the top, so the working tree stays clean; dpkg-buildpackage -us -uc -b builds it
# there (debian/rules: dh, the unit tests unless DEB_BUILD_OPTIONS=nocheck). The .deb (and the
# .buildinfo and .changes) are moved to BUILD_DIR/; the last line printed is the .deb's path.
# With -S (`make deb-source`) it builds the source package instead (dpkg-buildpackage -S -us -uc
# -d: the .dsc and .tar.xz, for a builder or a chroot) and prints the .dsc's path.
set -eu
version=${1:?usage: build-deb.sh VERSION BUILD_DIR}
build=${2:?usage: build-deb.sh VERSION BUILD_DIR}
mode=${3:--b}
case "$mode" in -b | -S) ;; *) echo "usage: build-deb.sh VERSION BUILD_DIR [-S]" >&2; exit 2 ;; esac
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")

for tool in dpkg-buildpackage dh; do
	if ! command -v "$tool" >/dev/null; then
		echo "build-deb.sh: $tool is missing; run: apt-get install -y dpkg-dev debhelper" >&2
		exit 1
	fi
done

changelog_version=$(sed -n '1s/^preflight (\([^)]*\)).*/\1/p' "$here/debian/changelog")
if [ "$changelog_version" != "$version" ]; then
	echo "build-deb.sh: packaging/debian/changelog starts with $changelog_version," \
		"not $version: add an entry for this version" >&2
	exit 1
fi

cd "$top"
mkdir -p "$build"
build=$(cd "$build" && pwd)
src_top="$build/deb-src"
src="$src_top/preflight-$version"
rm -rf "$src_top"
mkdir -p "$src"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	git ls-files -z --cached --others --exclude-standard | grep -zv '^build' |
		xargs -0 sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' _ |
		tar --create --null --files-from=- | tar --extract --directory "$src"
else
	tar --create --exclude='./build*' --exclude=./.git . | tar --extract --directory "$src"
fi
mv "$src/packaging/debian" "$src/debian"

arch=$(dpkg --print-architecture)
# -d with -S: the source package needs no build dependency installed to be made.
flags="-us -uc $mode"
[ "$mode" = -S ] && flags="$flags -d"
# shellcheck disable=SC2086 # one flag a word
(cd "$src" && dpkg-buildpackage $flags) >"$build/dpkg-buildpackage.log" 2>&1 || {
	tail -30 "$build/dpkg-buildpackage.log" >&2
	echo "build-deb.sh: dpkg-buildpackage failed; the whole log: $build/dpkg-buildpackage.log" >&2
	exit 1
}
for f in "$src_top"/preflight*_"$version"[._]*; do
	[ -e "$f" ] && mv "$f" "$build/"
done
if [ "$mode" = -S ]; then
	[ -f "$build/preflight_$version.dsc" ] || { echo "build-deb.sh: no .dsc made" >&2; exit 1; }
	echo "$build/preflight_$version.dsc"
	exit 0
fi
deb="$build/preflight_${version}_$arch.deb"
[ -f "$deb" ] || { echo "build-deb.sh: dpkg-buildpackage made no $deb" >&2; exit 1; }
echo "$deb"
