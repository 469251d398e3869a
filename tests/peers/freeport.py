#!/usr/bin/env python3
"""Prints a loopback port that is free right now (tcp or udp, IPv4 and IPv6)."""
import socket
import sys

kind = socket.SOCK_DGRAM if len(sys.argv) > 1 and sys.argv[1] == "udp" else socket.SOCK_STREAM
for _ in range(50):
    s = socket.socket(socket.AF_INET, kind)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    try:  # make sure the IPv6 side is free too
        s6 = socket.socket(socket.AF_INET6, kind)
        s6.bind(("::", port))
        s6.close()
    except OSError:
        continue
    print(port)
    sys.exit(0)
sys.exit("no free port found")
