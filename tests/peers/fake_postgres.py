#!/usr/bin/env python3
"""A TCP peer that starts to speak PostgreSQL's protocol and never finishes: scripted peer for
what a real server cannot be made to do on demand. Loopback only.

Usage: fake_postgres.py MODE [--port N]
  silent   accepts and reads, never answers (a hung server, a proxy with no backend)
  drip     answers the SSL request with 'N', then sends an ErrorResponse announced as 20000
           bytes, one byte every 50 ms, forever: a login that never ends
  garbage  answers with an HTTP error page: not PostgreSQL
Prints "ready PORT" on stdout once listening; SIGTERM ends it.
"""
import argparse
import signal
import socket
import struct
import sys
import threading
import time


def serve(conn, mode):
    try:
        conn.recv(8)  # the SSLRequest or StartupMessage's first bytes
        if mode == "silent":
            while conn.recv(4096):
                pass
        elif mode == "garbage":
            conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
            time.sleep(5)
        else:
            conn.sendall(b"N")
            conn.recv(4096)  # the StartupMessage
            conn.sendall(b"E" + struct.pack("!I", 20000))
            while True:
                conn.sendall(b"S")
                time.sleep(0.05)
    except OSError:
        pass
    finally:
        conn.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["silent", "drip", "garbage"])
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", args.port))
    listener.listen(16)
    print("ready", listener.getsockname()[1], flush=True)
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=serve, args=(conn, args.mode), daemon=True).start()


if __name__ == "__main__":
    main()
