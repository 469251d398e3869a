#!/usr/bin/env python3
"""A SCRIPTED peer, not a Redis: it plays the few things a real redis-server cannot be made to do
on demand, for tests/integration/test_redis.sh. Everything else is tested against redis-server.

Listens on 127.0.0.1 (a port the kernel picks), prints "ready PORT", serves until killed.

Modes:
  loading        answers every command with -LOADING, as a server reading a big RDB file does
  loading:N      -LOADING to the first N connections, then a healthy server's answers
  silent         accepts connections and never answers (a stuck server)
  garbage        answers with an HTTP error page: something that is not Redis on the port
  drip           answers +PONG one byte a second (a deadline must cover the whole reply)
  full-backlog   listen(0) and its accept queue filled by its own clients: new connects hang
  full-backlog-unix:PATH   the same on a unix socket at PATH, where Linux refuses at once
                 (EAGAIN) instead of letting the connect hang

Hostile modes (tests/integration/test_hostile.sh): a SCRIPTED HOSTILE peer, answering the first
command with what no Redis sends, to prove the deadline, the exit code and memory still hold:
  bulk-absurd      $9999999999999 (a 9 TB bulk string announced), then nothing
  bulk-endless     the same announcement, then bytes as fast as the socket takes them, forever
  count-absurd     *2147483647, then ':1' elements as fast as the socket takes them, forever
  count-tiny       *87000 and its 87000 elements, each '+' alone (3 bytes, a 48-byte object)
  count-negative   *-5 (only *-1 exists)
  bulk-negative    $-7 (only $-1 exists)
  status-endless   '+' and then bytes as fast as the socket takes them, never a line end
  status-lines     '+x' lines as fast as the socket takes them, forever
  error-huge       one -ERR line of 64 MiB
  close-mid        '+PO' and then the connection is closed
  pong-always      +PONG to every command, whatever it was
  pong-extra       +PONG and, in the same write, replies nobody asked for
  echo-password    -ERR that repeats every word of AUTH (the password too); PING gets -NOAUTH
"""
import socket
import sys
import threading
import time

LOADING = b"-LOADING Redis is loading the dataset in memory\r\n"
FLOOD = b"x" * 65536
HOSTILE = ("bulk-absurd", "bulk-endless", "count-absurd", "count-tiny", "count-negative",
           "bulk-negative", "status-endless", "status-lines", "error-huge", "close-mid",
           "pong-always", "pong-extra", "echo-password")


def hostile(conn, mode, words):
    """Answers one command as a hostile peer would; returns False to hang up."""
    if mode == "bulk-absurd":
        conn.sendall(b"$9999999999999\r\n")
        while conn.recv(4096):
            pass
        return False
    if mode in ("bulk-endless", "count-absurd", "status-endless", "status-lines"):
        head = {"bulk-endless": b"$9999999999999\r\n", "count-absurd": b"*2147483647\r\n",
                "status-endless": b"+"}.get(mode, b"")
        conn.sendall(head)
        flood = {"status-lines": b"+x\r\n" * 16384,
                 "count-absurd": b":1\r\n" * 16384}.get(mode, FLOOD)
        while True:
            conn.sendall(flood)  # ends with an OSError when the client hangs up
    if mode == "count-tiny":
        conn.sendall(b"*87000\r\n" + b"+\r\n" * 87000)
    elif mode == "count-negative":
        conn.sendall(b"*-5\r\n")
    elif mode == "bulk-negative":
        conn.sendall(b"$-7\r\n")
    elif mode == "error-huge":
        # Written in 64 KiB pieces: the line is as long, and the peer answers at once even on a
        # loaded machine (building 64 MiB first took over a second there).
        conn.sendall(b"-ERR ")
        for _ in range((64 << 20) // len(FLOOD)):
            conn.sendall(FLOOD)
        conn.sendall(b"\r\n")
    elif mode == "close-mid":
        conn.sendall(b"+PO")
        return False
    elif mode == "pong-always":
        conn.sendall(b"+PONG\r\n")
    elif mode == "pong-extra":
        conn.sendall(b"+PONG\r\n+PONG\r\n:1\r\n$5\r\nextra\r\n")
    elif mode == "echo-password":
        if words and words[0].upper() == b"AUTH":
            conn.sendall(b"-ERR wrong pass " + b" ".join(words[1:]) + b"\r\n")
        else:
            conn.sendall(b"-NOAUTH Authentication required (you sent " + b" ".join(words) +
                         b")\r\n")
    return True


def read_command(conn, buf):
    """Reads one RESP command (an array of bulk strings); returns (words, rest) or (None, b"")."""
    while True:
        words = parse(buf)
        if words is not None:
            return words
        chunk = conn.recv(4096)
        if not chunk:
            return None, b""
        buf += chunk


def parse(buf):
    """(words, rest) when buf starts with a whole command, else None."""
    if not buf.startswith(b"*") or b"\r\n" not in buf:
        return None
    head, rest = buf.split(b"\r\n", 1)
    words = []
    for _ in range(int(head[1:])):
        if b"\r\n" not in rest:
            return None
        size_line, rest = rest.split(b"\r\n", 1)
        size = int(size_line[1:])
        if len(rest) < size + 2:
            return None
        words.append(rest[:size])
        rest = rest[size + 2:]
    return words, rest


def healthy_answer(words):
    name = words[0].upper() if words else b""
    if name == b"PING":
        return b"+PONG\r\n"
    if name == b"ROLE":
        return b"*3\r\n$6\r\nmaster\r\n:0\r\n*0\r\n"
    return b"+OK\r\n"


def serve(conn, mode, number, loading_first):
    buf = b""
    try:
        if mode == "silent":
            while conn.recv(4096):
                pass
            return
        while True:
            words, buf = read_command(conn, buf)
            if words is None:
                return
            if mode == "garbage":
                conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
                return
            if mode in HOSTILE:
                if not hostile(conn, mode, words):
                    return
                continue
            if mode == "drip":
                for byte in b"+PONG\r\n":
                    conn.sendall(bytes([byte]))
                    time.sleep(1)
                continue
            if mode == "loading" and (loading_first is None or number <= loading_first):
                conn.sendall(LOADING)
                continue
            conn.sendall(healthy_answer(words))
    except OSError:
        pass
    finally:
        conn.close()


def full_backlog_unix(path):
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(0)
    held = []
    while True:
        c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        c.setblocking(False)
        try:
            c.connect(path)
        except BlockingIOError:
            c.close()
            break
        held.append(c)
    print(f"ready {path}", flush=True)
    while True:
        time.sleep(3600)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    mode, _, extra = sys.argv[1].partition(":")
    if mode not in ("loading", "silent", "garbage", "drip", "full-backlog",
                    "full-backlog-unix") + HOSTILE:
        sys.exit(f"fake_redis.py: unknown mode {mode!r}\n{__doc__}")
    if mode == "full-backlog-unix":
        full_backlog_unix(extra)
    loading_first = int(extra) if extra else None

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    held = []
    if mode == "full-backlog":
        listener.listen(0)
        # With a backlog of 0 the queue holds one connection; a second one fills the SYN side.
        for _ in range(2):
            c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            c.setblocking(False)
            c.connect_ex(("127.0.0.1", port))
            held.append(c)
        time.sleep(0.2)
        print(f"ready {port}", flush=True)
        while True:
            time.sleep(3600)
    listener.listen(64)
    print(f"ready {port}", flush=True)
    number = 0
    while True:
        conn, _ = listener.accept()
        number += 1
        threading.Thread(target=serve, args=(conn, mode, number, loading_first),
                         daemon=True).start()


if __name__ == "__main__":
    main()
