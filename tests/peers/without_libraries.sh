#!/bin/bash
# Runs a command on a machine where some shared libraries are not installed: their files do not
# exist, as on a host without the package, while every other file is the machine's own.
#
# Usage: without_libraries.sh SONAME... -- COMMAND [ARGS...]
#   SONAME is a name as `ldconfig -p` lists it (libcurl.so.4, libhiredis.so.0.14): the file it
#   names and the file that resolves to are removed.
#
# COMMAND runs inside `unshare --mount` (needs root). Each directory that holds such a file gets
# an overlay: the directory itself as the lower layer, a tmpfs as the upper one, and the files are
# removed in the overlay (whiteouts on the tmpfs), so in the namespace they are absent: opening
# them says "No such file or directory". Not a bind mount of an empty file over them: that file
# exists, and the loader says "file too short", which is a library installed but broken.
# ld.so.cache still names the removed files; the loader finds nothing there and nothing in its
# default directories, as when the package was removed and ldconfig not run.
# Exits with COMMAND's exit code, or 125 when the setup itself fails. Nothing changes outside the
# namespace.
set -u
sonames=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do sonames+=("$1"); shift; done
[ $# -gt 0 ] && shift
[ ${#sonames[@]} -gt 0 ] && [ $# -gt 0 ] ||
	{ echo "usage: without_libraries.sh SONAME... -- COMMAND [ARGS...]" >&2; exit 125; }
[ "$(id -u)" -eq 0 ] || { echo "without_libraries: needs root (unshare --mount)" >&2; exit 125; }

# Every path to remove, directories resolved (/lib is a symlink to /usr/lib on Debian 12).
paths=()
for soname in "${sonames[@]}"; do
	while read -r listed; do
		for f in "$listed" "$(readlink -f "$listed")"; do
			[ -e "$f" ] || [ -L "$f" ] || continue
			paths+=("$(readlink -f "$(dirname "$f")")/$(basename "$f")")
		done
	done < <(ldconfig -p | awk -v n="$soname" '$1 == n { print $NF }')
done
[ ${#paths[@]} -gt 0 ] || { echo "without_libraries: no file for ${sonames[*]} in ldconfig -p" >&2; exit 125; }

# The overlays' upper layers: a tmpfs mounted here inside the namespace only.
scratch=$(mktemp -d /tmp/without-libraries.XXXXXX) || exit 125
trap 'rmdir "$scratch"' EXIT
unshare --mount --propagation private -- /bin/bash -c '
	scratch=$1
	shift
	mount -t tmpfs tmpfs "$scratch" || exit 125
	n=0
	while [ "$1" != -- ]; do
		dir=$(dirname "$1")
		if ! mountpoint -q "$dir"; then
			n=$((n + 1))
			mkdir "$scratch/upper$n" "$scratch/work$n" &&
				mount -t overlay overlay \
					-o "lowerdir=$dir,upperdir=$scratch/upper$n,workdir=$scratch/work$n" "$dir" ||
				exit 125
		fi
		rm -f "$1" || exit 125
		shift
	done
	shift
	exec "$@"' bash "$scratch" "${paths[@]}" -- "$@"
