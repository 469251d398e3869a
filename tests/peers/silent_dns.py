#!/usr/bin/env python3
"""A name server that reads DNS queries and never answers: scripted peer for resolver timeouts.

No real DNS server can be made to stay silent on demand, so this UDP socket stands in for one
that is down or firewalled: the client's resolver waits for an answer that never comes. It binds
a loopback address only (any 127.0.0.0/8 address: with_silent_resolver.sh picks a random one so
that several tests can run at once) on port 53 by default, which needs root or
CAP_NET_BIND_SERVICE.

Usage: silent_dns.py [--address 127.A.B.C|random] [--port 53]
Prints "ready ADDRESS PORT" once bound, then "query NAME" for each query it swallows (so a test
can tell the resolver really asked). SIGTERM/SIGINT end it quietly.
"""
import argparse
import ipaddress
import random
import signal
import socket
import sys


def query_name(packet):
    """The first question's name of a DNS query, or '?' when the packet is not one."""
    labels, at = [], 12
    try:
        while packet[at] != 0:
            length = packet[at]
            if length > 63:
                return "?"
            labels.append(packet[at + 1:at + 1 + length].decode("ascii", "replace"))
            at += 1 + length
    except IndexError:
        return "?"
    return ".".join(labels) or "."


def bind(address, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((address, port))
    return s


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--address", default="random")
    parser.add_argument("--port", type=int, default=53)
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))

    if args.address == "random":
        for _ in range(50):
            # 127.0.0.53 is systemd-resolved's: stay in 127.100-199.x.x.
            address = f"127.{random.randint(100, 199)}.{random.randint(0, 255)}.{random.randint(1, 254)}"
            try:
                sock = bind(address, args.port)
                break
            except OSError:
                continue
        else:
            sys.exit("silent_dns: no loopback address was free")
    else:
        if not ipaddress.ip_address(args.address).is_loopback:
            sys.exit("silent_dns: loopback addresses only")
        address = args.address
        sock = bind(address, args.port)

    print(f"ready {address} {args.port}", flush=True)
    try:
        while True:
            packet, _ = sock.recvfrom(4096)
            print(f"query {query_name(packet)}", flush=True)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
