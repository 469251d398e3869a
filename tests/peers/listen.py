#!/usr/bin/env python3
"""Opens the sockets it is told to, prints "ready PORT..." and holds them until killed.

Each argument is PROTO/ADDR/PORT[/MODE]:
  tcp/127.0.0.1/8080      a TCP listener (listen() called)
  udp/0.0.0.0/5353        a bound UDP socket
  tcp/::/8080/v6only      an IPv6 socket with IPV6_V6ONLY=1 (as nginx sets it)
  tcp/::/8080/dual        an IPv6 socket with IPV6_V6ONLY=0 (dual-stack)
  tcp/::1/0               port 0: the kernel picks one
An IPv6 socket without a MODE keeps the kernel's default (net.ipv6.bindv6only).
The ports actually bound are printed, in argument order, after "ready".

--name NAME       sets the process name (comm) the kernel reports, e.g. with control
                  characters, to test that messages quote it
--connections N   then connects N loopback clients to the first TCP listener and accepts
                  them (2N descriptors), to fill /proc/net/tcp with ESTABLISHED entries.
"""
import ctypes
import signal
import socket
import sys


def open_socket(spec):
    parts = spec.split("/")
    if len(parts) not in (3, 4) or parts[0] not in ("tcp", "udp"):
        sys.exit(f"listen.py: bad socket spec {spec!r} (PROTO/ADDR/PORT[/v6only|dual])")
    proto, addr, port = parts[0], parts[1], int(parts[2])
    mode = parts[3] if len(parts) == 4 else None
    family = socket.AF_INET6 if ":" in addr else socket.AF_INET
    kind = socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM
    s = socket.socket(family, kind)
    if proto == "tcp":
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if mode is not None:
        if family != socket.AF_INET6 or mode not in ("v6only", "dual"):
            sys.exit(f"listen.py: {mode!r} only applies to IPv6 (v6only or dual)")
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1 if mode == "v6only" else 0)
    s.bind((addr, port))
    if proto == "tcp":
        s.listen(4096)
    return s


def connect_clients(listener, count):
    """Connects count clients to listener and accepts each: count ESTABLISHED pairs."""
    addr = listener.getsockname()
    host = "127.0.0.1" if listener.family == socket.AF_INET else "::1"
    if addr[0] not in ("0.0.0.0", "::"):
        host = addr[0]
    held = []
    for _ in range(count):
        c = socket.create_connection((host, addr[1]))
        a, _ = listener.accept()
        held.append((c, a))
    return held


def set_process_name(name):
    libc = ctypes.CDLL(None, use_errno=True)
    PR_SET_NAME = 15
    if libc.prctl(PR_SET_NAME, name.encode()[:15], 0, 0, 0) != 0:
        sys.exit("listen.py: prctl(PR_SET_NAME) failed")


def main():
    args = sys.argv[1:]
    connections = 0
    if "--name" in args:
        i = args.index("--name")
        set_process_name(args[i + 1])
        del args[i : i + 2]
    if "--connections" in args:
        i = args.index("--connections")
        connections = int(args[i + 1])
        del args[i : i + 2]
    if not args:
        sys.exit(__doc__)
    sockets = [open_socket(a) for a in args]
    held = []
    if connections:
        listeners = [s for s in sockets if s.type == socket.SOCK_STREAM]
        if not listeners:
            sys.exit("listen.py: --connections needs a tcp listener")
        held = connect_clients(listeners[0], connections)  # noqa: F841 (kept open)
    ports = " ".join(str(s.getsockname()[1]) for s in sockets)
    sys.stdout.write(f"ready {ports}\n")
    sys.stdout.flush()
    # Hold everything until killed (SIGTERM ends the process, and the kernel closes all).
    while True:
        signal.pause()


main()
