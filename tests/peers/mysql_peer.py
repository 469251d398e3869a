#!/usr/bin/env python3
"""SCRIPTED PEER for the mysql check: what a real MySQL or MariaDB cannot be made to do on demand.
Loopback only. Prints "ready PORT", then serves each connection on a thread of its own until
killed.

Usage: mysql_peer.py MODE
  silent   accepts and never sends a byte (a hung server: the greeting never comes)
  drip     announces a greeting of 200 bytes, then sends one byte every 200 ms
  garbage  answers with an HTTP response, then holds the connection open
  flood    announces packets of 16 MiB and sends bytes as fast as the client reads them
"""
import socket
import sys
import threading
import time


def serve(conn, mode):
    try:
        if mode == "silent":
            time.sleep(3600)
        elif mode == "drip":
            conn.sendall(b"\xc8\x00\x00\x00")  # a 200-byte packet, sequence 0
            while True:
                conn.sendall(b"\x0a")
                time.sleep(0.2)
        elif mode == "garbage":
            conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
            time.sleep(3600)
        elif mode == "flood":
            chunk = b"\xff\xff\xff\x00" + b"\x0a" * 65532
            while True:
                conn.sendall(chunk)
    except OSError:
        pass
    finally:
        conn.close()


def main():
    mode = sys.argv[1]
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    print("ready", srv.getsockname()[1], flush=True)
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=serve, args=(conn, mode), daemon=True).start()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
