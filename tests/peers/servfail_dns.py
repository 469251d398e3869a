#!/usr/bin/env python3
"""A name server that answers every query with SERVFAIL: scripted peer for a failing resolver.

A real server answers SERVFAIL only when something behind it is broken (an upstream down, a
DNSSEC failure); this UDP socket stands in for one in that state, so that a client's resolver
reports a temporary failure (glibc's EAI_AGAIN) at once. It binds a loopback address only (any
127.0.0.0/8 address: "random" picks one in 127.100-199.x.x so that several tests can run at
once) on port 53 by default, which needs root or CAP_NET_BIND_SERVICE.

Usage: servfail_dns.py [--address 127.A.B.C|random] [--port 53]
Prints "ready ADDRESS PORT" once bound, then "query NAME" for each query it answers.
SIGTERM/SIGINT end it quietly.
"""
import argparse
import ipaddress
import os
import random
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from silent_dns import bind, query_name  # noqa: E402  the same socket and query parsing

SERVFAIL = 2


def servfail(query):
    """The reply to query: its id and question, QR and RA set, RCODE SERVFAIL, no records."""
    if len(query) < 12:
        return None
    flags = 0x8000 | (query[2] & 0x01) << 8 | 0x0080 | SERVFAIL  # QR, RD copied, RA, RCODE
    return query[:2] + flags.to_bytes(2, "big") + query[4:6] + b"\0\0\0\0\0\0" + query[12:]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--address", default="random")
    parser.add_argument("--port", type=int, default=53)
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))

    if args.address == "random":
        for _ in range(50):
            address = f"127.{random.randint(100, 199)}.{random.randint(0, 255)}.{random.randint(1, 254)}"
            try:
                sock = bind(address, args.port)
                break
            except OSError:
                continue
        else:
            sys.exit("servfail_dns: no loopback address was free")
    else:
        if not ipaddress.ip_address(args.address).is_loopback:
            sys.exit("servfail_dns: loopback addresses only")
        address = args.address
        sock = bind(address, args.port)

    print(f"ready {address} {args.port}", flush=True)
    try:
        while True:
            packet, peer = sock.recvfrom(4096)
            print(f"query {query_name(packet)}", flush=True)
            reply = servfail(packet)
            if reply:
                sock.sendto(reply, peer)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
