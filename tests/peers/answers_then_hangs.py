#!/usr/bin/env python3
"""SCRIPTED PEER: answers the first N connections with a fixed HTTP reply, then accepts and never
answers. A real server cannot be made to turn silent on demand; this one stands in for a service
that answered 503 and then hung, to test what --wait reports when the deadline cuts the last
attempt short. Loopback only. Prints "ready PORT"."""
import socket
import sys
import time

answers = int(sys.argv[1]) if len(sys.argv) > 1 else 1
reply = b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 8\r\nConnection: close\r\n\r\nstarting"
srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", 0))
srv.listen(16)
print("ready", srv.getsockname()[1], flush=True)
held = []
while True:
    conn, _ = srv.accept()
    if answers > 0:
        answers -= 1
        conn.recv(65536)
        conn.sendall(reply)
        conn.close()
    else:
        held.append(conn)  # keep it open, say nothing
        time.sleep(0.01)
