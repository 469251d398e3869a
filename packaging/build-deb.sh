#!/bin/sh
# Builds preflight_VERSION-1_ARCH.deb from this tree with dpkg-deb: `make deb` runs
#   packaging/build-deb.sh VERSION BUILD_DIR
# The binary is built again with Debian's hardening flags (dpkg-buildflags) in BUILD_DIR/deb-objects,
# installed with `make install PREFIX=/usr` into BUILD_DIR/deb-pkg/debian/preflight, stripped, its
# man pages and changelog compressed as Debian policy asks; the package lands in BUILD_DIR/.
set -eu
version=${1:?usage: build-deb.sh VERSION BUILD_DIR}
build=${2:?usage: build-deb.sh VERSION BUILD_DIR}
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
debian_version="$version-1"

for tool in dpkg-deb dpkg-buildflags dpkg-shlibdeps; do
	if ! command -v "$tool" >/dev/null; then
		echo "build-deb.sh: $tool is missing; run: apt-get install -y dpkg-dev" >&2
		exit 1
	fi
done

changelog_version=$(sed -n '1s/^preflight (\([^)]*\)).*/\1/p' "$here/debian/changelog")
if [ "$changelog_version" != "$debian_version" ]; then
	echo "build-deb.sh: packaging/debian/changelog starts with $changelog_version," \
		"not $debian_version: add an entry for this version" >&2
	exit 1
fi

cd "$top"
mkdir -p "$build"
build=$(cd "$build" && pwd)
objects="$build/deb-objects"
# The package tree sits where dpkg-shlibdeps expects a package's files: debian/PACKAGE.
pkg="$build/deb-pkg"
root="$pkg/debian/preflight"
rm -rf "$pkg"
mkdir -p "$root"
# CPPFLAGS go in CFLAGS: the Makefile adds its own -I and -D to CPPFLAGS, a command-line
# CPPFLAGS would replace them.
# A clean build: objects built earlier with other flags would be linked as they are.
rm -rf "$objects"
# hardening=+all adds bind-now to the default relro, PIE, stack protector and fortify.
export DEB_BUILD_MAINT_OPTIONS=hardening=+all
make --no-print-directory BUILD="$objects" \
	CFLAGS="$(dpkg-buildflags --get CFLAGS) $(dpkg-buildflags --get CPPFLAGS)" \
	LDFLAGS="$(dpkg-buildflags --get LDFLAGS)" "$objects/preflight" >/dev/null
make --no-print-directory BUILD="$objects" PREFIX=/usr DESTDIR="$root" \
	ZSH_COMPLETIONSDIR=/usr/share/zsh/vendor-completions install >/dev/null

strip --strip-unneeded --remove-section=.comment --remove-section=.note "$root/usr/bin/preflight"

# Man pages compressed, and each preflight-CHECK.1 link pointing at the compressed page.
gzip -9n "$root/usr/share/man/man1/preflight.1"
for link in "$root"/usr/share/man/man1/preflight-*.1; do
	rm "$link"
	ln -s preflight.1.gz "$link.gz"
done

doc="$root/usr/share/doc/preflight"
install -m 644 "$here/debian/copyright" "$doc/copyright"
gzip -9nc "$here/debian/changelog" >"$doc/changelog.Debian.gz"
chmod 644 "$doc/changelog.Debian.gz"
gzip -9n "$doc/README.md"
install -d "$root/usr/share/lintian/overrides"
install -m 644 "$here/debian/lintian-overrides" "$root/usr/share/lintian/overrides/preflight"

# Depends: from the libraries the binary links (libc, libcap). hiredis and libcurl are opened
# with dlopen() by the checks that use them, so they are Recommends, named in control.in.
# (dpkg-shlibdeps knows a package directory by its DEBIAN/.)
mkdir -p "$root/DEBIAN"
printf 'Source: preflight\n\nPackage: preflight\nArchitecture: any\n' >"$pkg/debian/control"
depends=$(cd "$pkg" && dpkg-shlibdeps -O "debian/preflight/usr/bin/preflight" |
	sed -n 's/^shlibs:Depends=//p')
[ -n "$depends" ] || { echo "build-deb.sh: dpkg-shlibdeps found no dependencies" >&2; exit 1; }

arch=$(dpkg --print-architecture)
size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
sed -e "s|@VERSION@|$debian_version|" -e "s|@ARCH@|$arch|" -e "s|@SIZE@|$size|" \
	-e "s|@DEPENDS@|$depends|" "$here/debian/control.in" >"$root/DEBIAN/control"
(cd "$root" && find usr -type f -print0 | sort -z | xargs -0 md5sum) >"$root/DEBIAN/md5sums"
chmod 644 "$root/DEBIAN/control" "$root/DEBIAN/md5sums"
find "$root" -type d -exec chmod 755 {} +

deb="$build/preflight_${debian_version}_$arch.deb"
dpkg-deb --root-owner-group --build "$root" "$deb" >/dev/null
echo "$deb"
