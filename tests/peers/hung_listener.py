#!/usr/bin/env python3
"""A TCP listener on which new connects hang: scripted peer for connect timeouts.

A real server cannot be told to stop answering SYNs, so this one does what an overloaded one
does: it listens with listen(fd, 0) and never accepts, then fills its own accept queue with
client connections it holds open. The kernel then drops every further SYN, so a client's
connect() neither succeeds nor is refused: it waits until its own deadline. Loopback only.

Usage: hung_listener.py [--host 127.0.0.1|::1] [--port N]
  --port 0 (the default) lets the kernel pick a free port.
Prints "ready PORT" on stdout once a probe connect is seen to hang, then sleeps until killed
(SIGTERM/SIGINT end it quietly). Used by the tcp, redis and http tests.
"""
import argparse
import ipaddress
import signal
import socket
import sys
import time


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    if not ipaddress.ip_address(args.host).is_loopback:
        sys.exit("hung_listener: loopback addresses only")
    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((args.host, args.port))
    listener.listen(0)
    port = listener.getsockname()[1]

    # Connect until one connect does not complete: the queue is then full and stays so, because
    # nothing ever accepts. The clients stay open for as long as this process lives.
    clients = []
    for _ in range(64):
        client = socket.socket(family, socket.SOCK_STREAM)
        client.settimeout(0.3)
        clients.append(client)
        try:
            client.connect((args.host, port))
        except socket.timeout:
            break
    else:
        sys.exit("hung_listener: the accept queue never filled")

    print(f"ready {port}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
