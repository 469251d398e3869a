#!/usr/bin/env python3
"""Plays systemd's side of sd_notify: binds a unix datagram socket, prints "ready", and appends
every datagram it receives to LOG as one line "pid=PID MESSAGE", PID being the sender's as the
kernel reports it (SCM_CREDENTIALS), so a test can tell the main process from its children.

Usage: notify_listener.py SOCKET LOG
       notify_listener.py --full SOCKET
  SOCKET  a path (/run/x/notify) or, starting with @, a name in the abstract namespace
A newline inside a datagram is written as \\n, so one datagram is always one line.

--full plays a manager that stopped reading, which a real systemd cannot be made to do on
demand: it fills its own receive queue until a send would block, prints "ready", and never reads.
"""
import os
import signal
import socket
import struct
import sys


def bind(name):
    address = "\0" + name[1:] if name.startswith("@") else name
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
    if not name.startswith("@") and os.path.exists(name):
        os.unlink(name)
    sock.bind(address)
    return sock, address


def fill_and_never_read(name):
    sock, address = bind(name)
    # Each sender can only have so much in flight, so fresh senders fill on until even a fresh
    # one is refused: then the receiver's own queue is full.
    senders, sent = [], 0
    while True:
        sender = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        senders.append(sender)
        sent_by_this_one = 0
        try:
            while True:
                sender.sendto(b"STATUS=filler", socket.MSG_DONTWAIT, address)
                sent_by_this_one += 1
        except BlockingIOError:
            pass
        sent += sent_by_this_one
        if sent_by_this_one == 0:
            break
    print(f"ready {sent}", flush=True)
    while True:
        signal.pause()


def main():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    if len(sys.argv) == 3 and sys.argv[1] == "--full":
        fill_and_never_read(sys.argv[2])
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    name, log_path = sys.argv[1], sys.argv[2]
    sock, _ = bind(name)
    creds_size = struct.calcsize("3i")
    with open(log_path, "a", encoding="utf-8", errors="backslashreplace") as log:
        print("ready", flush=True)
        while True:
            data, ancillary, _, _ = sock.recvmsg(65536, socket.CMSG_SPACE(creds_size))
            pid = "?"
            for level, kind, payload in ancillary:
                if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                    pid = struct.unpack("3i", payload[:creds_size])[0]
            text = data.decode("utf-8", "backslashreplace").replace("\n", "\\n")
            log.write(f"pid={pid} {text}\n")
            log.flush()


if __name__ == "__main__":
    main()
