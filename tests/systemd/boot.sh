#!/bin/sh
# Becomes the systemd of a private test system. Run by test_systemd.sh as the first process of new
# PID, mount, UTS and cgroup namespaces (unshare --pid --fork --mount --mount-proc --uts --cgroup),
# as README.md's "What the systemd tests prove" says:  boot.sh STAGING_DIR TARGET_UNIT
# (PREFLIGHT_SYSTEMD_ARGS in the environment: more arguments for systemd)
# STAGING_DIR holds units/ (copied to /run/systemd/system) and files/ (copied to /run/preflight-test).
set -eu
staging=$1
target=$2

# Nothing mounted from here on may reach the machine's own mount table.
mount --make-rprivate /

# systemd's tmpfiles and journald clean and fill these: they must be private and empty. /run
# comes first so the staged files are copied before /tmp (where they may live) is covered.
mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs /run
mkdir -p /run/systemd/system /run/preflight-test
cp -R "$staging/units/." /run/systemd/system/
cp -R "$staging/files/." /run/preflight-test/
for dir in /tmp /var/tmp; do
	mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$dir"
done
for dir in /var/log /var/lib/systemd /var/cache; do
	mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs "$dir"
done

# The cgroup hierarchies, mounted again inside our cgroup namespace so that systemd sees the
# cgroups test_systemd.sh made for it as the root, and creates its own beneath them, and so that
# whatever systemd adds to /sys/fs/cgroup lands on a private tmpfs, not the machine's.
cgroup_mounts=$(awk '$5 ~ "^/sys/fs/cgroup/" {
	for (i = 7; $i != "-"; i++) ;
	if ($(i + 1) == "cgroup" || $(i + 1) == "cgroup2") print $5, $(i + 1), $(i + 3)
}' /proc/self/mountinfo)
if [ -n "$cgroup_mounts" ]; then
	mount -t tmpfs -o mode=0755,nosuid,nodev,noexec tmpfs /sys/fs/cgroup
	echo "$cgroup_mounts" | while read -r point type options; do
		mkdir -p "$point"
		if [ "$type" = cgroup2 ]; then
			mount -t cgroup2 cgroup2 "$point"
		else
			# The superblock options name the hierarchy (rw,memory or rw,name=systemd).
			mount -t cgroup -o "${options#rw,}" cgroup "$point"
		fi
	done
elif grep -q ' /sys/fs/cgroup cgroup2 ' /proc/self/mounts; then
	mount -t cgroup2 cgroup2 /sys/fs/cgroup
fi

# PREFLIGHT_SYSTEMD_ARGS: more arguments for systemd, split on spaces (the why suite gives
# --log-target=journal-or-kmsg, so that PID 1's own lines about units are in the journal).
# shellcheck disable=SC2086
exec env container=preflight-test /lib/systemd/systemd --system --unit="$target" \
	${PREFLIGHT_SYSTEMD_ARGS:-}
