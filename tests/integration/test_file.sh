#!/bin/bash
# file: every exit code, on real files, directories, sockets, ACLs (setfacl) and mounts (tmpfs,
# bind mounts, read-only binds, a filesystem that never answers) made in private mount
# namespaces, as root, as nobody (setpriv) and for nobody (--as).
. "$(dirname "$0")/lib.sh"
require_root "chown, setfacl, setpriv, and mounts in a private mount namespace"
command -v setfacl >/dev/null || skip_file "setfacl is not installed (apt-get install acl)"

D=$WORK/file
mkdir -p "$D"
chmod 755 "$D"

# in_ns SETUP CMD...: runs CMD in a private mount namespace after the shell commands SETUP
# (mounts made there vanish with it), keeping RC, OUT and ERR as run_cmd does.
in_ns() {
	local setup=$1
	shift
	run_cmd unshare --mount --propagation private -- /bin/bash -c "${setup:-true}"' || exit 125; exec "$@"' ns "$@"
}

# ---- usage: 2 ----
run_preflight file; expect_code 2 "no path"
run_preflight file /etc/passwd --type pipe; expect_code 2 "an unknown type"; expect_text ERR "--type: 'pipe'" "names the value"
run_preflight file /etc/passwd --mode u=rw; expect_code 2 "a symbolic mode"; expect_text ERR "--mode: 'u=rw' is not an octal mode" "says octal"
run_preflight file /etc/passwd --mode 0644 --mode-max 0640; expect_code 2 "--mode beyond --mode-max"; expect_text ERR "could never pass" "says why"
run_preflight file /etc/passwd --as nobody; expect_code 2 "--as alone"; expect_text ERR "--readable, --writable or --executable" "says what is missing"
run_cmd as_nobody "$PREFLIGHT" file /etc/passwd --as root --readable; expect_code 2 "--as as another user, not root"; expect_text ERR "only root" "says who may"
run_preflight file --help; expect_code 0 "--help"; expect_text OUT "--free-inodes" "--help lists the options"

# ---- 100: missing ----
run_preflight file "$D/none"; expect_code 100 "a missing path"; expect_text ERR "does not exist" "says so"
expect_text ERR "fix: " "with a fix"
ln -s "$D/nowhere" "$D/dangling"
run_preflight file "$D/dangling"; expect_code 100 "a dangling symlink"; expect_text ERR "a symlink to '$D/nowhere', which does not exist" "names where it points"
run_preflight file "$D/dangling" --type symlink; expect_code 0 "--type symlink: the link itself"
: >"$D/empty"
run_preflight file "$D/empty" --not-empty; expect_code 100 "--not-empty: an empty file"; expect_text ERR "exists but is empty" "says so"
mkdir "$D/emptydir"
run_preflight file "$D/emptydir" --not-empty; expect_code 100 "--not-empty: an empty directory"
echo data >"$D/data"
run_preflight file "$D/data" --not-empty --type file; expect_code 0 "--not-empty: a file with data"
run_preflight file "$D/none" -t 1s --wait --json; expect_code 100 "--wait: still missing at the deadline"
expect_took 1000 "--wait ends at the deadline"
expect_attempts -gt 1 "missing is retried under --wait"

# --wait for a socket a real server creates later (python3, after 1.2 s)
sock=$D/server.sock
python3 -c '
import socket, sys, time
time.sleep(1.2)
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(1); time.sleep(10)' "$sock" &
STARTED_PIDS+=($!)
run_preflight file "$sock" --type socket --wait -t 10s --json; expect_code 0 "--wait: the socket appears when its server starts"
expect_attempts -gt 1 "after a few attempts"
expect_elapsed 1100 1800 "about when the server bound it"
run_preflight file "$sock" --type file; expect_code 101 "a socket is not a regular file"; expect_text ERR "is a socket, not a regular file" "says what it is"

# ---- 101: type, owner, mode, ACL ----
run_preflight file "$D/data" --type dir; expect_code 101 "a file, not a directory"
chown root:root "$D/data"; chmod 0644 "$D/data"
run_preflight file "$D/data" --owner nobody; expect_code 101 "wrong owner"; expect_text ERR "owned by root:root (0:0), not nobody" "names both"
expect_text ERR "fix: chown nobody $D/data" "the fix is chown"
run_preflight file "$D/data" --owner root:nogroup; expect_code 101 "wrong group"
run_preflight file "$D/data" --owner root:root --owner 0:0; expect_code 0 "the owner by name and by number"
# Users and groups are looked up when the check runs (one made at boot by sysusers.d counts).
run_preflight file "$D/data" --owner nosuchuser; expect_code 101 "an owner that does not exist"
expect_text ERR "--owner names a user, 'nosuchuser', that does not exist on this host" "names it"
run_preflight run --dry-run - <<<"file $D/data --owner nosuchuser --as nosuchuser --readable"
expect_code 0 "--dry-run does not look users up"
run_preflight file "$D/data" --owner root:nosuchgroup; expect_code 101 "a group that does not exist"
run_preflight file "$D/data" --owner 4000000:4000001; expect_code 101 "numbers need no entry"
expect_text ERR "not 4000000:4000001" "shown as given"
run_preflight file "$D/data" --mode 0640; expect_code 101 "--mode: 0644 is not 0640"; expect_text ERR "mode 0644, not 0640" "says both"
expect_text ERR "fix: chmod 0640" "the fix is chmod"
run_preflight file "$D/data" --mode 644; expect_code 0 "--mode 644 without its 0"
run_preflight file "$D/data" --mode-max 0640; expect_code 101 "--mode-max: others may read"; expect_text ERR "(0004: others)" "says who gets too much"
chmod 0640 "$D/data"
run_preflight file "$D/data" --mode-max 0640; expect_code 0 "--mode-max 0640 on 0640"
run_preflight file "$D/data" --mode-max 0644; expect_code 0 "--mode-max 0644 on 0640"
setfacl -m u:nobody:r "$D/data"
run_preflight file "$D/data" --mode-max 0640; expect_code 101 "an ACL entry lets nobody read it"
expect_text ERR "its ACL entry user:nobody:r-- gives more than --mode-max 0640" "names the entry"
expect_text ERR "fix: setfacl -x u:nobody $D/data" "the fix removes it"
run_preflight file "$D/data" --mode-max 0644; expect_code 0 "an ACL read entry within 0644 (others may read)"
# Without libacl: a file with an ACL cannot be judged (5, the package named); one without an ACL
# never needs it.
run_cmd without_libraries "libacl.so.1" "$PREFLIGHT" file "$D/data" --mode-max 0644
expect_code 5 "--mode-max on a file with an ACL, libacl not installed"; expect_text ERR "apt-get install libacl1" "names the package"
run_cmd without_libraries "libacl.so.1" "$PREFLIGHT" file /etc/passwd --mode-max 0644
expect_code 0 "--mode-max on a file without an ACL needs no libacl"
setfacl -m m::--- "$D/data"
run_preflight file "$D/data" --mode-max 0600; expect_code 0 "the mask takes the entry's read away"
setfacl -b "$D/data"; chmod 0640 "$D/data"
setfacl -m g:nogroup:rw "$D/data"
run_preflight file "$D/data" --mode-max 0660; expect_code 101 "a named group with rw is not within 0660"; expect_text ERR "group:nogroup:rw-" "names it"
setfacl -b "$D/data"

# ---- 102: not usable by the user ----
echo secret >"$D/secret"; chown root:root "$D/secret"; chmod 0600 "$D/secret"
run_preflight file "$D/secret" --as nobody --readable; expect_code 102 "--as nobody: a 0600 root file"
expect_text ERR "not readable by user nobody (uid 65534)" "names the user"
expect_text ERR "fix: setfacl -m u:nobody:r $D/secret" "the fix is an ACL entry for the user"
run_cmd as_nobody "$PREFLIGHT" file "$D/secret" --readable; expect_code 102 "as nobody itself: a 0600 root file"
expect_text ERR "this process (uid 65534)" "names this process"
run_preflight file "$D/secret" --readable --writable; expect_code 0 "root may read and write it"
run_preflight file "$D/secret" --as nosuchuser --readable; expect_code 102 "--as a user that does not exist"
expect_text ERR "--as names a user, 'nosuchuser', that does not exist" "names it"
run_preflight file "$D/secret" --as 4000000 --readable; expect_code 102 "--as a uid with no entry: no group but its own number"
expect_text ERR "user 4000000 (uid 4000000)" "names the uid"
run_preflight file "$D/secret" --as root --readable; expect_code 0 "--as root is this process: no child"
setfacl -m u:nobody:r "$D/secret"
run_preflight file "$D/secret" --as nobody --readable; expect_code 0 "--as nobody: an ACL entry lets nobody read it"
run_cmd as_nobody "$PREFLIGHT" file "$D/secret" --readable; expect_code 0 "as nobody itself, through the ACL"
run_preflight file "$D/secret" --as nobody --writable; expect_code 102 "the ACL gives read, not write"
expect_text ERR "not writable by user nobody" "says write"
setfacl -b "$D/secret"; chmod 0600 "$D/secret"
mkdir -p "$D/locked/inner"; echo x >"$D/locked/inner/conf"; chmod 0644 "$D/locked/inner/conf"; chmod 0700 "$D/locked"
run_preflight file "$D/locked/inner/conf" --as nobody --readable; expect_code 102 "a directory on the way nobody cannot search"
expect_text ERR "cannot search '$D/locked', a directory on the way" "names the directory"
expect_text ERR "setfacl -m u:nobody:x $D/locked" "the fix opens that directory"
run_cmd as_nobody "$PREFLIGHT" file "$D/locked/inner/conf"; expect_code 102 "as nobody, stat itself is refused on the way"
expect_text ERR "cannot search '$D/locked'" "names the directory too"
mkdir -p "$D/state"; chown root:root "$D/state"; chmod 0755 "$D/state"
run_preflight file "$D/state" --type dir --as nobody --writable; expect_code 102 "a root directory nobody cannot write"
expect_text ERR "files cannot be made in it" "says what write means for a directory"
chown nobody:nogroup "$D/state"; chmod 0700 "$D/state"
run_preflight file "$D/state" --type dir --owner nobody:nogroup --mode 0700 --as nobody --writable --readable --executable
expect_code 0 "nobody's own 0700 directory: read, write, search"
expect_text ERR "listable, writable, searchable by nobody" "the line says what was judged"
printf '#!/bin/sh\n' >"$D/tool"; chmod 0744 "$D/tool"
run_preflight file "$D/tool" --as nobody --executable; expect_code 102 "not executable by nobody"
run_preflight file "$D/tool" --executable; expect_code 0 "executable by root (an x bit)"

# ---- 103: mounts, read-only, space ----
mkdir -p "$D/vol" "$D/plain" "$D/src" "$D/volbind"
in_ns "" "$PREFLIGHT" file "$D/plain" --mounted; expect_code 103 "--mounted: a plain directory"
expect_text ERR "is not a mount point: a directory of the filesystem mounted at" "says so"
expect_text ERR "RequiresMountsFor=$D/plain" "the fix names RequiresMountsFor="
in_ns "mount -t tmpfs -o size=4m tmpfs '$D/vol'" "$PREFLIGHT" file "$D/vol" --mounted --free 1M --free-inodes 10
expect_code 0 "--mounted: a tmpfs mounted there, with room"
expect_text ERR "mounted (tmpfs tmpfs)" "the line names the filesystem"
in_ns "mount --bind '$D/src' '$D/plain'" "$PREFLIGHT" file "$D/plain" --mounted
expect_code 103 "--mounted: a bind mount of a mere directory (what ReadWritePaths= makes)"
expect_text ERR "is a bind mount of the directory" "says it is a bind of a directory"
in_ns "mount -t tmpfs tmpfs '$D/vol' && mount --bind '$D/vol' '$D/volbind'" "$PREFLIGHT" file "$D/volbind" --mounted
expect_code 0 "--mounted: a bind mount of a mounted filesystem's root"
in_ns "mount -t tmpfs -o size=1m tmpfs '$D/vol' && (dd if=/dev/zero of='$D/vol/fill' bs=64k 2>/dev/null; true)" \
	"$PREFLIGHT" file "$D/vol" --free 1K
expect_code 103 "--free: a full tmpfs"; expect_text ERR "only 0 free for unprivileged users of 1M (0%), needs 1K" "says how much is left"
in_ns "mount -t tmpfs -o size=8m tmpfs '$D/vol' && dd if=/dev/zero of='$D/vol/fill' bs=1M count=6 2>/dev/null" \
	"$PREFLIGHT" file "$D/vol" --free 50%
expect_code 103 "--free 50%: 25% left"; expect_text ERR "(25%), needs 50%" "in percent"
in_ns "mount -t tmpfs -o size=8m tmpfs '$D/vol'" "$PREFLIGHT" file "$D/vol" --free 50%
expect_code 0 "--free 50%: an empty tmpfs"
in_ns "mount -t tmpfs -o nr_inodes=5 tmpfs '$D/vol' && touch '$D/vol/a' '$D/vol/b'" "$PREFLIGHT" file "$D/vol" --free-inodes 4
expect_code 103 "--free-inodes: a tmpfs of 5 inodes with 3 used"; expect_text ERR "only 2 inodes free" "says how many"
in_ns "mount --bind -o ro '$D/state' '$D/state'" "$PREFLIGHT" file "$D/state" --writable
expect_code 103 "--writable on a read-only bind mount"
expect_text ERR "read-only mount" "says the mount is read-only"; expect_text ERR "ReadWritePaths=" "the fix names ReadWritePaths="
in_ns "mount --bind -o ro '$D/state' '$D/state'" "$PREFLIGHT" file "$D/state" --as nobody --writable
expect_code 103 "--as nobody --writable on a read-only bind mount"
in_ns "mount -t tmpfs -o ro tmpfs '$D/vol'" "$PREFLIGHT" file "$D/vol" --writable
expect_code 103 "--writable on a read-only filesystem"; expect_text ERR "mount -o remount,rw" "the fix remounts it"

# A filesystem that never answers: a FUSE mount whose daemon (this shell, holding /dev/fuse)
# never reads a request, as a hung NFS server would. stat() blocks in the kernel.
if [ -c /dev/fuse ]; then
	# (Without LeakSanitizer in a sanitized build: it stops every thread with ptrace to scan it
	# at exit, and the thread left in the filesystem's wait never stops.)
	hang='exec 3<>/dev/fuse && mount -t fuse -o fd=3,rootmode=40000,user_id=0,group_id=0 hang '"'$D/vol'"
	no_leak_check in_ns "$hang" "$PREFLIGHT" file "$D/vol/x" -t 1s
	expect_code 103 "a filesystem that never answers ends at the deadline"; expect_took 1000 "at -t 1s"
	expect_text ERR "its filesystem did not answer within 1.0s" "says so"
	no_leak_check in_ns "$hang" "$PREFLIGHT" file "$D/vol/x" -t 1s --wait --as nobody --readable
	expect_code 103 "the same with --wait and --as"; expect_took 1000 "at -t 1s"
	no_leak_check in_ns "$hang" "$PREFLIGHT" file "$D/vol/x" -t 1s --invert
	expect_code 103 "--invert: a filesystem that does not answer is no missing file"
	# A server that answers stat but takes access(2) and open(2) and never answers them
	# (tests/peers/hung_fuse.py, a test double): the --as child is left in a wait no signal
	# ends, and preflight, another process, ends at the deadline all the same. The server is
	# killed before the namespace goes, which ends that wait.
	run_cmd unshare --mount --propagation private -- /bin/bash -c '
		python3 "$1" "$2" >"$2.out" 2>&1 & server=$!
		for _ in $(seq 100); do grep -q ready "$2.out" 2>/dev/null && break; sleep 0.05; done
		"$3" file "$2/x" -t 1s --as nobody --readable; rc=$?
		kill $server; wait $server; exit $rc' ns "$PEERS/hung_fuse.py" "$D/vol" "$PREFLIGHT"
	expect_code 103 "--as: a child blocked for good in the kernel ends at the deadline"; expect_took 1000 "at -t 1s"
	expect_text ERR "no answer by the deadline while asking as user nobody" "says so"
else
	skip_case "no /dev/fuse: the filesystem that never answers is not tested"
fi

# ---- --invert: no stale PID file ----
run_preflight file "$D/zookeeper_server.pid" --invert; expect_code 0 "--invert: no PID file left behind"
echo 4242 >"$D/zookeeper_server.pid"
run_preflight file "$D/zookeeper_server.pid" --invert; expect_code 100 "--invert: a stale PID file fails with 100"
expect_text ERR "exists (regular file, root:root" "says it exists"
run_preflight file "$D/zookeeper_server.pid" --invert --mode 0600; expect_code 100 "--invert: only whether it exists counts"
run_cmd as_nobody "$PREFLIGHT" file "$D/locked/inner/conf" --invert; expect_code 102 "--invert: a path nobody cannot reach is not missing"

# ---- --json ----
run_preflight file "$D/data" --type file --json; expect_code 0 "--json"
expect_text OUT '"check":"file","target":"'"$D"'/data","ok":true,"code":0' "one JSON line"
run_preflight file "$D/none" "$D/data" --json; expect_code 100 "two paths, the first missing"
expect_text OUT '"ok":false,"code":100' "the missing one fails"; expect_text OUT '"fix":"create it' "with its fix"
[ "$(grep -c '"check":"file"' <<<"$OUT")" -eq 2 ] && pass "one line per path" || fail "one line per path: $OUT"

# ---- a chain ----
printf 'file %s --type dir --as nobody --writable\nfile %s --invert\n' "$D/state" "$D/gone.pid" >"$D/chain.conf"
run_preflight run "$D/chain.conf"; expect_code 0 "a chain of file lines"
run_preflight run "$D/chain.conf" --dry-run; expect_code 0 "--dry-run"

finish
