#!/usr/bin/env python3
"""SCRIPTED PEER for the mysql check: what a real MySQL or MariaDB cannot be made to do on demand.
Loopback only. Prints "ready PORT", then serves each connection on a thread of its own until
killed.

Usage: mysql_peer.py MODE [N]
  silent   accepts and never sends a byte (a hung server: the greeting never comes)
  drip     announces a greeting of 200 bytes, then sends one byte every 200 ms
  garbage  answers with an HTTP response, then holds the connection open
  flood    announces packets of 16 MiB and sends bytes as fast as the client reads them
  shutdown a TEST DOUBLE of a server shutting down: a real greeting (protocol 10,
           mysql_native_password), then error 1053 (ER_SERVER_SHUTDOWN, SQLSTATE 08S01, "Server
           shutdown in progress") in place of the login's OK, as a server that has begun to shut
           down answers a login. With N, the first N logins get 1053 and every later one is
           answered as a server answers: OK for the login (any user, any password), a result
           set of one row for any query (SELECT 1 gives 1), nothing for COM_QUIT. A real
           MariaDB 10.11 cannot be made to answer 1053 on demand: a login held open by
           init_connect='DO SLEEP(30)' and a query running when the server was stopped both saw
           the connection closed (2013, lost connection), never 1053.
"""
import socket
import struct
import sys
import threading
import time

SHUTDOWN_ERROR = 1053
LOGINS = {"refused": 0}  # how many logins the shutdown double has answered with 1053
LOGINS_LOCK = threading.Lock()


def packet(seq, payload):
    return struct.pack("<I", len(payload))[:3] + bytes([seq]) + payload


def read_packet(conn):
    """One client packet: (sequence, payload), or None when the client closed."""
    head = b""
    while len(head) < 4:
        more = conn.recv(4 - len(head))
        if not more:
            return None
        head += more
    length = int.from_bytes(head[:3], "little")
    body = b""
    while len(body) < length:
        more = conn.recv(length - len(body))
        if not more:
            return None
        body += more
    return head[3], body


def greeting():
    # CLIENT_LONG_PASSWORD (MySQL's flavour of the greeting: no MariaDB capability bytes),
    # LONG_FLAG, CONNECT_WITH_DB, PROTOCOL_41, TRANSACTIONS, SECURE_CONNECTION, MULTI_RESULTS,
    # PLUGIN_AUTH. No SSL: the client asks for TLS only with --ssl-ca.
    caps = 0x1 | 0x4 | 0x8 | 0x200 | 0x2000 | 0x8000 | 0x20000 | 0x80000
    scramble = b"abcdefgh" + b"ijklmnopqrst"
    return (b"\x0a" + b"5.5.5-10.11.0-MariaDB-shutdown-double\0" + struct.pack("<I", 7) +
            scramble[:8] + b"\0" + struct.pack("<H", caps & 0xffff) + b"\x21" +
            struct.pack("<H", 2) + struct.pack("<H", caps >> 16) + bytes([21]) + b"\0" * 10 +
            scramble[8:] + b"\0" + b"mysql_native_password\0")


def lenenc_text(text):
    return bytes([len(text)]) + text


def answer_queries(conn):
    """After an OK login: a result set of one row, the value 1, for each query."""
    eof = b"\xfe" + struct.pack("<HH", 0, 2)
    column = (lenenc_text(b"def") + lenenc_text(b"") * 3 + lenenc_text(b"1") + lenenc_text(b"") +
              b"\x0c" + struct.pack("<HIBHB", 63, 1, 8, 0x81, 0) + b"\0\0")
    while True:
        got = read_packet(conn)
        if got is None or got[1][:1] == b"\x01":  # closed, or COM_QUIT
            return
        if got[1][:1] != b"\x03":  # anything but COM_QUERY: OK
            conn.sendall(packet(1, b"\0\0\0" + struct.pack("<HH", 2, 0)))
            continue
        conn.sendall(packet(1, b"\x01") + packet(2, column) + packet(3, eof) +
                     packet(4, lenenc_text(b"1")) + packet(5, eof))


def shutting_down(conn, refuse):
    conn.sendall(packet(0, greeting()))
    got = read_packet(conn)  # the client's handshake response
    if got is None:
        return
    with LOGINS_LOCK:
        refused = refuse is None or LOGINS["refused"] < refuse
        if refused:
            LOGINS["refused"] += 1
    if refused:
        conn.sendall(packet(got[0] + 1, b"\xff" + struct.pack("<H", SHUTDOWN_ERROR) + b"#08S01" +
                            b"Server shutdown in progress"))
        return
    conn.sendall(packet(got[0] + 1, b"\0\0\0" + struct.pack("<HH", 2, 0)))
    answer_queries(conn)


def serve(conn, mode, count):
    try:
        if mode == "shutdown":
            shutting_down(conn, count)
        elif mode == "silent":
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
    count = int(sys.argv[2]) if len(sys.argv) > 2 else None
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    print("ready", srv.getsockname()[1], flush=True)
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=serve, args=(conn, mode, count), daemon=True).start()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
