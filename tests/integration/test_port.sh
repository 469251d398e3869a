#!/bin/bash
# The port check against real sockets that tests/peers/listen.py opens on loopback:
# every exit code it can give (0, 2, 20, 21), holders, dual-stack, UDP, --wait, --invert, --json.
. "$(dirname "$0")/lib.sh"
require_root "a port below 1024 for code 21, and processes of other users"

LISTEN="$PEERS/listen.py"
BINDV6ONLY=$(cat /proc/sys/net/ipv6/bindv6only)
UNPRIVILEGED_START=$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start)

# One peer with every kind of socket; the kernel picks the ports.
start_peer python3 "$LISTEN" tcp/127.0.0.1/0 tcp/0.0.0.0/0 tcp/::/0/dual tcp/::/0/v6only \
	tcp/::1/0 udp/127.0.0.1/0 udp/::/0/v6only udp/0.0.0.0/0 || exit 1
HOLDER=$PEER_PID
read -r _ P_LO P_ANY P_DUAL P_V6ONLY P_V6LO U_LO U_V6ONLY U_ANY <<<"$PEER_OUT"
BY_PEER="python3 (pid $HOLDER)"

# Free ports.
FREE=$(free_port tcp)
run_preflight port "$FREE"; expect_code 0 "a free port"; expect_text ERR "ok   port $FREE/tcp free" "the line says free"
run_preflight port "$FREE/tcp" "127.0.0.1:$FREE" "[::1]:$FREE" "[::]:$FREE"; expect_code 0 "a free port in four forms"
FREE_UDP=$(free_port udp)
run_preflight port "$FREE_UDP/udp"; expect_code 0 "a free UDP port"

# TCP, IPv4.
run_preflight port "127.0.0.1:$P_LO"; expect_code 20 "the exact address is in use"
expect_text ERR "FAIL port 127.0.0.1:$P_LO/tcp in use by $BY_PEER on 127.0.0.1:$P_LO [20]" "the holder's name and pid"
run_preflight port "127.0.0.2:$P_LO"; expect_code 0 "another IPv4 address on the same port is free"
run_preflight port "0.0.0.0:$P_LO"; expect_code 20 "the IPv4 wildcard conflicts with a held address"
run_preflight port "$P_LO"; expect_code 20 "a bare port conflicts with any held address"
run_preflight port "[::1]:$P_LO"; expect_code 0 "an IPv6 address does not conflict with a held IPv4 one"
run_preflight port "127.0.0.1:$P_ANY"; expect_code 20 "a held IPv4 wildcard blocks an address"
expect_text ERR "in use by $BY_PEER on 0.0.0.0:$P_ANY" "the held wildcard is shown"
run_preflight port "[::1]:$P_ANY"; expect_code 0 "a held IPv4 wildcard does not block [::1]"
# A [::] bind takes IPv4 too unless net.ipv6.bindv6only=1.
run_preflight port "[::]:$P_ANY"; expect_code $([ "$BINDV6ONLY" = 0 ] && echo 20 || echo 0) "[::] against a held 0.0.0.0 (bindv6only=$BINDV6ONLY)"

# TCP, IPv6: a dual-stack [::] listener blocks IPv4; an IPv6-only one does not.
run_preflight port "0.0.0.0:$P_DUAL"; expect_code 20 "a dual-stack [::] listener blocks the IPv4 wildcard"
expect_text ERR "in use by $BY_PEER on [::]:$P_DUAL (an IPv6 socket that takes IPv4 too)" "says why"
run_preflight port "127.0.0.1:$P_DUAL"; expect_code 20 "a dual-stack [::] listener blocks 127.0.0.1"
run_preflight port "0.0.0.0:$P_V6ONLY"; expect_code 0 "an IPv6-only [::] listener leaves IPv4 free"
expect_text ERR "free (the socket on [::]:$P_V6ONLY is IPv6-only)" "says it is IPv6-only"
run_preflight port "127.0.0.1:$P_V6ONLY"; expect_code 0 "an IPv6-only [::] listener leaves 127.0.0.1 free"
run_preflight port "$P_V6ONLY"; expect_code 20 "a bare port is not free beside an IPv6-only listener"
run_preflight port "[::1]:$P_V6ONLY"; expect_code 20 "a held [::] blocks [::1]"
run_preflight port "[::1]:$P_V6LO"; expect_code 20 "the exact IPv6 address"
expect_text ERR "on [::1]:$P_V6LO" "the IPv6 address is bracketed"
run_preflight port "127.0.0.1:$P_V6LO"; expect_code 0 "a held [::1] leaves IPv4 free"
run_preflight port "[::ffff:127.0.0.1]:$P_LO"; expect_code 20 "a v4-mapped spec is its IPv4 address"

# UDP: every bound socket counts; TCP and UDP are separate.
run_preflight port "127.0.0.1:$U_LO/udp"; expect_code 20 "a bound UDP socket"
expect_text ERR "port 127.0.0.1:$U_LO/udp in use by $BY_PEER on 127.0.0.1:$U_LO" "UDP holder named"
run_preflight port "$U_LO/udp"; expect_code 20 "a bare UDP port"
run_preflight port "$U_LO"; expect_code 0 "the same number over TCP is free"
run_preflight port "$P_LO/udp"; expect_code 0 "a TCP listener leaves the UDP port free"
run_preflight port "0.0.0.0:$U_V6ONLY/udp"; expect_code 0 "an IPv6-only UDP socket leaves IPv4 free"
run_preflight port "[::]:$U_V6ONLY/udp"; expect_code 20 "the same IPv6 wildcard over UDP"
run_preflight port "127.0.0.1:$U_ANY/udp"; expect_code 20 "a UDP IPv4 wildcard"

# UDP sockets come from sock_diag too (as ss lists them), connected ones included: a connected UDP
# socket is bound to its local address and port as much as an unconnected one.
run_preflight port "127.0.0.1:$U_LO/udp" -v; expect_code 20 "UDP from sock_diag: a bound socket"
expect_text ERR "bound IPv4 sockets (from sock_diag) and " "UDP from sock_diag: --verbose says so"
start_peer python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
s.connect(("127.0.0.1", 9))
print("ready", s.getsockname()[1], flush=True)
time.sleep(600)' || exit 1
CONNECTED_PID=$PEER_PID
read -r _ U_CONNECTED <<<"$PEER_OUT"
run_preflight port "$U_CONNECTED/udp"; expect_code 20 "UDP from sock_diag: a connected socket"
expect_text ERR "in use by python3 (pid $CONNECTED_PID) on 127.0.0.1:$U_CONNECTED" "the connected socket's holder"

# Without AF_NETLINK (as RestrictAddressFamilies=AF_INET AF_INET6 leaves a unit), sock_diag is
# refused and the sockets are read from /proc/self/net/tcp, tcp6, udp and udp6: the same answers.
cat >"$WORK/no_netlink.py" <<'PYTHON'
"""Runs a command with socket(AF_NETLINK, ...) failing with EAFNOSUPPORT (a seccomp filter)."""
import ctypes, os, platform, struct, sys
ARCH = {"x86_64": (0xC000003E, 41), "aarch64": (0xC00000B7, 198)}
audit_arch, socket_nr = ARCH[platform.machine()]
ALLOW, ERRNO_EAFNOSUPPORT = 0x7FFF0000, 0x00050000 | 97
LD_W_ABS, JEQ_K, RET_K = 0x20, 0x15, 0x06
program = [
    (LD_W_ABS, 0, 0, 4), (JEQ_K, 0, 4, audit_arch),  # another ABI: allow
    (LD_W_ABS, 0, 0, 0), (JEQ_K, 0, 2, socket_nr),   # not socket(): allow
    (LD_W_ABS, 0, 0, 16), (JEQ_K, 1, 0, 16),         # socket(AF_NETLINK, ...): refuse
    (RET_K, 0, 0, ALLOW), (RET_K, 0, 0, ERRNO_EAFNOSUPPORT),
]
code = ctypes.create_string_buffer(b"".join(struct.pack("=HBBI", *i) for i in program))
fprog = ctypes.create_string_buffer(struct.pack("=HxxxxxxQ", len(program), ctypes.addressof(code)))
libc = ctypes.CDLL(None, use_errno=True)
libc.prctl.argtypes = [ctypes.c_int] + [ctypes.c_ulong] * 4  # a pointer must not be cut to int
if libc.prctl(38, 1, 0, 0, 0) != 0 or libc.prctl(22, 2, ctypes.addressof(fprog), 0, 0) != 0:
    sys.exit("no_netlink.py: cannot install the filter: " + os.strerror(ctypes.get_errno()))
os.execv(sys.argv[1], sys.argv[1:])
PYTHON
run_cmd python3 "$WORK/no_netlink.py" "$PREFLIGHT" port "127.0.0.1:$P_LO" -v
expect_code 20 "without sock_diag: the exact address is in use"
expect_text ERR "in use by $BY_PEER on 127.0.0.1:$P_LO" "without sock_diag: the holder is named"
expect_text ERR "listening entries of /proc/self/net/tcp (" "without sock_diag: /proc/self/net/tcp was read"
expect_text ERR "sock_diag: Address family not supported" "without sock_diag: --verbose says why"
run_cmd python3 "$WORK/no_netlink.py" "$PREFLIGHT" port "$FREE"; expect_code 0 "without sock_diag: a free port"
run_cmd python3 "$WORK/no_netlink.py" "$PREFLIGHT" port "0.0.0.0:$P_DUAL"; expect_code 20 "without sock_diag: dual-stack [::]"
run_cmd python3 "$WORK/no_netlink.py" "$PREFLIGHT" port "0.0.0.0:$P_V6ONLY"; expect_code 0 "without sock_diag: IPv6-only [::]"
run_cmd python3 "$WORK/no_netlink.py" "$PREFLIGHT" port "[::1]:$P_V6LO"; expect_code 20 "without sock_diag: [::1] from /proc/self/net/tcp6"
run_cmd python3 "$WORK/no_netlink.py" "$PREFLIGHT" port "127.0.0.1:$U_LO/udp" -v
expect_code 20 "without sock_diag: a bound UDP socket"
expect_text ERR "in use by $BY_PEER on 127.0.0.1:$U_LO" "without sock_diag: the UDP holder is named"
expect_text ERR "bound entries of /proc/self/net/udp (read to the end; sock_diag: Address family" \
	"without sock_diag: /proc/self/net/udp was read to the end"
run_cmd python3 "$WORK/no_netlink.py" "$PREFLIGHT" port "$U_CONNECTED/udp"
expect_code 20 "without sock_diag: a connected UDP socket"
run_cmd python3 "$WORK/no_netlink.py" "$PREFLIGHT" port "[::]:$U_V6ONLY/udp"; expect_code 20 "without sock_diag: udp6"
run_cmd python3 "$WORK/no_netlink.py" "$PREFLIGHT" port "$FREE_UDP/udp"; expect_code 0 "without sock_diag: a free UDP port"

# ProcSubset=pid mounts a /proc without /proc/net (and /proc/sys): /proc/self/net stays, so the
# answers are the same with sock_diag and without it. In a mount namespace of its own.
in_pid_subset() { unshare --mount sh -c 'mount -t proc -o subset=pid proc /proc && exec "$@"' sh "$@"; }
run_cmd in_pid_subset test -e /proc/net; expect_code 1 "control: the pid-only /proc has no /proc/net"
run_cmd in_pid_subset "$PREFLIGHT" port "127.0.0.1:$U_LO/udp"; expect_code 20 "pid-only /proc: a bound UDP socket"
expect_text ERR "in use by $BY_PEER on 127.0.0.1:$U_LO" "pid-only /proc: the UDP holder is named"
run_cmd in_pid_subset python3 "$WORK/no_netlink.py" "$PREFLIGHT" port "127.0.0.1:$U_LO/udp" "$P_LO" -v
expect_code 20 "pid-only /proc without sock_diag: a bound UDP socket"
expect_text ERR "in use by $BY_PEER on 127.0.0.1:$U_LO" "pid-only /proc without sock_diag: the UDP holder"
expect_text ERR "FAIL port $P_LO/tcp in use by $BY_PEER on 127.0.0.1:$P_LO" "pid-only /proc without sock_diag: TCP"
expect_text ERR "entries of /proc/self/net/udp (" "pid-only /proc without sock_diag: read /proc/self/net/udp"
run_cmd in_pid_subset python3 "$WORK/no_netlink.py" "$PREFLIGHT" port "$FREE_UDP/udp"
expect_code 0 "pid-only /proc without sock_diag: a free UDP port"

# Neither sock_diag nor /proc/self/net: 1 (preflight cannot tell), naming the unit settings.
# no_proc_net CMD...: runs CMD (exec keeps its PID) in a mount namespace whose /proc is a tmpfs
# holding only CMD's own /proc/PID entries, less net/: no table to read, no process to search.
# The rest of /proc/PID stays because a sanitized binary's runtime needs it (its options from
# environ, LeakSanitizer's task/ and maps), and cannot be told otherwise: it reads even
# ASAN_OPTIONS from /proc/self/environ.
no_proc_net() {
	unshare --mount sh -c '
		mkdir -p "$0/realproc" && mount -t proc proc "$0/realproc" && mount -t tmpfs tmpfs /proc &&
		mkdir "/proc/$$" && ln -s "$$" /proc/self &&
		for e in "$0/realproc/$$"/*; do [ "${e##*/}" = net ] || ln -s "$e" "/proc/$$/"; done &&
		exec "$@"' "$WORK" "$@"
}
run_cmd no_proc_net test -e /proc/self/net; expect_code 1 "control: no /proc/self/net in no_proc_net"
run_cmd no_proc_net test -e /proc/self/environ; expect_code 0 "control: no_proc_net keeps the rest of /proc/self"
for spec in "$U_LO/udp" "$P_LO"; do
	proto=${spec#*/}; [ "$proto" = "$spec" ] && proto=tcp
	run_cmd no_proc_net python3 "$WORK/no_netlink.py" "$PREFLIGHT" port "$spec"
	expect_code 1 "no sock_diag, no /proc: $spec cannot be told"
	expect_text ERR "cannot list the ${proto^^} sockets: netlink's sock_diag failed (Address family not supported by protocol: RestrictAddressFamilies= without AF_NETLINK?) and /proc/self/net/$proto cannot be read (No such file or directory" \
		"no sock_diag, no /proc: $spec says why, both ways"
	expect_text ERR "fix: add AF_NETLINK to the unit's RestrictAddressFamilies=, or let the unit see /proc/self/net" \
		"no sock_diag, no /proc: $spec gives the fix"
done
run_cmd no_proc_net "$PREFLIGHT" port "127.0.0.1:$U_LO/udp"; expect_code 20 "no /proc, sock_diag alone: UDP still answered"
expect_text ERR "in use on 127.0.0.1:$U_LO (no process visible here" "no /proc: the holder cannot be searched for"

# Several specs: one line each, the first failure's code.
run_preflight port "$FREE" "127.0.0.1:$P_LO" "$FREE_UDP/udp"; expect_code 20 "three specs, one busy"
[ "$(grep -c '^ok   port' <<<"$ERR")" = 2 ] && [ "$(grep -c '^FAIL port' <<<"$ERR")" = 1 ] &&
	pass "two ok lines and one FAIL line" || fail "expected 2 ok and 1 FAIL lines: $ERR"

# --json and --verbose.
run_preflight port "127.0.0.1:$P_LO" --json; expect_code 20 "--json, busy"
expect_text OUT "\"target\":\"127.0.0.1:$P_LO/tcp\"" "JSON target"
expect_text OUT "\"code\":20" "JSON code"
expect_text OUT "\"message\":\"in use by $BY_PEER on 127.0.0.1:$P_LO\"" "JSON message has the holder"
run_preflight port "$FREE" -v; expect_code 0 "--verbose"
expect_text ERR "listening IPv4 sockets (from sock_diag) and" "--verbose tells where the sockets came from"
run_preflight port "$FREE_UDP/udp" -v
expect_text ERR "bound IPv4 sockets (from sock_diag) and " "--verbose for UDP says sock_diag listed them"

# What another user sees: the port is busy, the process is not visible.
run_cmd as_nobody "$PREFLIGHT" port "127.0.0.1:$P_LO"; expect_code 20 "busy as nobody"
expect_text ERR "holder not visible to this user; the socket belongs to uid 0" "nobody cannot see root's process"
expect_no_text ERR "pid $HOLDER" "and no pid is made up"

# A holder whose name carries control characters cannot forge lines.
start_peer python3 "$LISTEN" --name $'evil\nFAIL x' tcp/127.0.0.1/0 || exit 1
read -r _ P_EVIL <<<"$PEER_OUT"
run_preflight port "127.0.0.1:$P_EVIL"; expect_code 20 "a hostile process name"
expect_text ERR 'in use by evil\x0aFAIL x (pid' "the name is quoted"
[ "$(wc -l <<<"$ERR")" = 1 ] && pass "one line only" || fail "the name split the line: $ERR"

# Code 21: a free port below net.ipv4.ip_unprivileged_port_start, without CAP_NET_BIND_SERVICE.
LOW=
for p in $(seq $((UNPRIVILEGED_START - 1)) -1 $((UNPRIVILEGED_START > 100 ? UNPRIVILEGED_START - 100 : 1))); do
	run_preflight port "$p" "$p/udp"
	if [ "$RC" = 0 ]; then LOW=$p; break; fi
done
if [ -z "$LOW" ]; then
	fail "no free port below $UNPRIVILEGED_START to test code 21"
else
	run_preflight port "$LOW"; expect_code 0 "port $LOW is free for root"
	run_cmd as_nobody "$PREFLIGHT" port "$LOW"; expect_code 21 "port $LOW as nobody"
	expect_text ERR "free, but ports below $UNPRIVILEGED_START need CAP_NET_BIND_SERVICE" "21 says why"
	expect_text ERR "fix: add AmbientCapabilities=CAP_NET_BIND_SERVICE to the unit" "21 gives the fix"
	expect_text ERR "setcap cap_net_bind_service=+ep" "21 names setcap"
	run_cmd as_nobody "$PREFLIGHT" port "$LOW/udp"; expect_code 21 "port $LOW/udp as nobody"
	run_cmd setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=+net_bind_service \
		--ambient-caps=+net_bind_service -- "$PREFLIGHT" port "$LOW"
	expect_code 0 "nobody with CAP_NET_BIND_SERVICE (ambient) may bind $LOW"
	run_cmd as_nobody "$PREFLIGHT" port "$LOW" --invert; expect_code 20 "--invert as nobody: free is still free, not 21"
	expect_text ERR "free (inverted: expected to fail)" "--invert says the port is free"
	start_peer python3 "$LISTEN" "tcp/127.0.0.1/$LOW" || exit 1
	run_cmd as_nobody "$PREFLIGHT" port "$LOW"; expect_code 20 "a busy low port is 20, not 21"
	stop_peer "$PEER_PID"
fi
run_cmd as_nobody "$PREFLIGHT" port "$UNPRIVILEGED_START"
[ "$RC" = 0 ] || [ "$RC" = 20 ] && pass "port $UNPRIVILEGED_START itself needs no privilege (exit $RC)" ||
	fail "port $UNPRIVILEGED_START as nobody: exit $RC: $ERR"

# /proc/sys hidden (ProcSubset=pid) and no CAP_NET_BIND_SERVICE: ip_unprivileged_port_start
# cannot be read, so a trial bind decides. In a network namespace of this test's own (unshare
# --net), whose net.ipv4.ip_unprivileged_port_start is lowered to 80: the machine's stays.
# lowered_start CMD...: CMD as nobody, without capabilities, there, under a pid-only /proc.
lowered_start() {
	unshare --net --mount sh -c 'ip link set lo up && echo 80 >/proc/sys/net/ipv4/ip_unprivileged_port_start &&
		mount -t proc -o subset=pid proc /proc && exec setpriv --reuid=nobody --regid=nogroup --clear-groups \
		--inh-caps=-all --bounding-set=-all -- "$@"' sh "$@"
}
run_cmd lowered_start test -e /proc/sys; expect_code 1 "control: the pid-only /proc has no /proc/sys"
run_cmd lowered_start "$PREFLIGHT" port 443 443/udp 127.0.0.1:443 '[::1]:443' -v
expect_code 0 "sysctl lowered to 80 and hidden: 443 is free for nobody (not a wrong 21)"
expect_text ERR "net.ipv4.ip_unprivileged_port_start cannot be read (/proc/sys is hidden: ProcSubset=pid?), so a trial bind of 0.0.0.0:443 decided (closed at once): this process may bind it" \
	"-v says a trial bind decided"
expect_text ERR "a trial bind of [::1]:443 decided" "the trial binds the address asked, IPv6 too"
run_cmd lowered_start "$PREFLIGHT" port 79 '[::1]:79/udp'
expect_code 21 "sysctl lowered to 80 and hidden: 79 is still 21 for nobody"
expect_text ERR "FAIL port 79/tcp free, but this process may not bind it: a trial bind of 0.0.0.0:79 was refused (Permission denied;" \
	"21 says the trial bind was refused"
expect_text ERR "FAIL port [::1]:79/udp free, but this process may not bind it: a trial bind of [::1]:79 was refused" "21 for UDP on IPv6 too"
expect_text ERR "fix: add AmbientCapabilities=CAP_NET_BIND_SERVICE to the unit" "21 gives the fix"
run_cmd lowered_start "$PREFLIGHT" port 79 --invert; expect_code 20 "--invert: no trial bind, free is still 20"
run_cmd unshare --mount sh -c 'mount -t proc -o subset=pid proc /proc && exec setpriv --reuid=nobody --regid=nogroup \
	--clear-groups --inh-caps=-all --bounding-set=-all -- "$@"' sh "$PREFLIGHT" port "$UNPRIVILEGED_START" -v
[ "$RC" = 0 ] || [ "$RC" = 20 ] && pass "the machine's own start ($UNPRIVILEGED_START), hidden: as the machine says (exit $RC)" ||
	fail "port $UNPRIVILEGED_START under a pid-only /proc as nobody: exit $RC: $ERR"
[ "$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start)" = "$UNPRIVILEGED_START" ] &&
	pass "the machine's net.ipv4.ip_unprivileged_port_start is still $UNPRIVILEGED_START" ||
	fail "the machine's net.ipv4.ip_unprivileged_port_start changed"

# Bad specs: code 2, naming the argument.
for spec in 0 65536 abc 1.2.3.4: '[::1' 80/sctp '::1:80' 'localhost:80' '[::1]:99999'; do
	run_preflight port "$spec"; expect_code 2 "bad spec '$spec'"
	expect_text ERR "'$spec'" "the message names '$spec'"
done
run_preflight port "$FREE" 80/sctp; expect_code 2 "one bad spec among good ones"
run_preflight port; expect_code 2 "no spec at all"

# --wait: a port freed one second after the check starts is noticed.
start_peer python3 "$LISTEN" tcp/127.0.0.1/0 || exit 1
BUSY_PID=$PEER_PID
read -r _ P_WAIT <<<"$PEER_OUT"
(sleep 1; kill "$BUSY_PID") &
KILLER=$!
run_preflight port "127.0.0.1:$P_WAIT" --wait -t 5s -i 100ms; expect_code 0 "--wait: freed after 1s"
expect_took 1000 "--wait ends when the port is freed, after 1 s"
wait "$KILLER" "$BUSY_PID" 2>/dev/null

# --wait on a port that stays busy ends with 20 at the deadline.
run_preflight port "127.0.0.1:$P_LO" -t 1s --wait; expect_code 20 "-t 1s --wait on a busy port"
expect_took 1000 "-t 1s --wait ends in about a second"
expect_text ERR "in use by $BY_PEER" "the last attempt's holder is shown"

# --invert: passes when something listens; --invert --wait waits for a listener.
run_preflight port "127.0.0.1:$P_LO" --invert; expect_code 0 "--invert on a busy port passes"
run_preflight port "$FREE" --invert; expect_code 20 "--invert on a free port fails with 20"
P_LATER=$(free_port tcp)
(sleep 1; exec python3 "$LISTEN" "tcp/127.0.0.1/$P_LATER" >/dev/null) &
STARTED_PIDS+=("$!")
run_preflight port "127.0.0.1:$P_LATER" --invert --wait -t 5s -i 100ms
expect_code 0 "--invert --wait: a listener that comes after 1s"
# The listener is a python3 process started after 1 s: its own start-up (up to ~0.8 s on a loaded
# machine) is in the time, and the interval. Well under the 5 s deadline is what shows the
# listener was noticed.
expect_elapsed 900 1900 "--invert --wait ends when the listener comes"

finish
