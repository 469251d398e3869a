#!/bin/sh
# Builds the RPM from packaging/preflight.spec: `make rpm` runs
#   packaging/build-rpm.sh VERSION BUILD_DIR
# It makes preflight-VERSION.tar.gz from the files git tracks in this tree (as they are now, with
# uncommitted changes) and runs rpmbuild with its top directory in BUILD_DIR/rpm. On Debian
# (apt-get install rpm) the build dependencies are not in the RPM database, so --nodeps, and there
# is no debuginfo tooling, so no debuginfo package; on Fedora or RHEL run rpmbuild on the spec.
# The source RPM is built too: the last lines are the .src.rpm's path, then the binary RPM's.
set -eu
version=${1:?usage: build-rpm.sh VERSION BUILD_DIR}
build=${2:?usage: build-rpm.sh VERSION BUILD_DIR}
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")

if ! command -v rpmbuild >/dev/null; then
	echo "build-rpm.sh: rpmbuild is missing; run: apt-get install -y rpm" >&2
	exit 1
fi
spec_version=$(sed -n 's/^Version:[[:space:]]*//p' "$here/preflight.spec")
if [ "$spec_version" != "$version" ]; then
	echo "build-rpm.sh: packaging/preflight.spec says Version: $spec_version, not $version" >&2
	exit 1
fi

cd "$top"
mkdir -p "$build"
build=$(cd "$build" && pwd)
topdir="$build/rpm"
rm -rf "$topdir"
mkdir -p "$topdir/SOURCES" "$topdir/SPECS"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	files=$(git ls-files --cached --others --exclude-standard | grep -v '^build')
else
	files=$(find . -type f ! -path './build*' ! -path './.git/*' | sed 's|^\./||')
fi
# shellcheck disable=SC2086 # one file per word: paths in this tree have no spaces
tar --create --gzip --file "$topdir/SOURCES/preflight-$version.tar.gz" \
	--transform "s|^|preflight-$version/|" --owner=0 --group=0 $files
cp "$here/preflight.spec" "$topdir/SPECS/"
# Debian's brp-compress (the step that gzips man pages, as on Fedora) uses bash's read -d under
# #!/bin/sh, which is dash on Debian, and so compresses nothing: it is run with bash.
rpmbuild -ba --nodeps --define "_topdir $topdir" --define "debug_package %{nil}" \
	--define "__brp_compress bash %{_rpmconfigdir}/brp-compress %{?_prefix}" \
	"$topdir/SPECS/preflight.spec" >"$topdir/rpmbuild.log" 2>&1 || {
	tail -30 "$topdir/rpmbuild.log" >&2
	exit 1
}
find "$topdir/SRPMS" -name "*.rpm" -print
find "$topdir/RPMS" -name "*.rpm" -print
