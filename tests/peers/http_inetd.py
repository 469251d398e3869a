#!/usr/bin/env python3
"""Runs a command as inetd (or systemd's Accept=yes with StandardInput=socket) would: one end of a
connected socket pair on its fds 0, 1 and 2; plays an HTTP client on the other end.

Usage: http_inetd.py [OPTIONS] -- COMMAND [ARGS]

--send TEXT        what the client sends (Python escapes: \\r\\n, \\x00), then it waits
--send-file FILE   the bytes of FILE instead
--drip SECONDS     send TEXT one byte at a time, SECONDS apart
--stderr FILE      the command's fd 2 is FILE instead of the socket
--tcp              a TCP connection over loopback instead of a socket pair
--no-read          the client never reads (to test the write bound); it waits for the command
--sndbuf BYTES     the command's end gets this SO_SNDBUF (and the client's a small SO_RCVBUF),
                   so that an answer larger than that cannot be written until the client reads
--wait SECONDS     give up on the command after this long (default 30)

Prints the raw bytes received to stdout, and on stderr: "exit=N elapsed_ms=M", then, parsed
with http.client: "status=S length=L body_bytes=B trailing=T" (T: bytes after the one response,
which must be 0), each header as "header NAME: VALUE".
"""
import http.client
import io
import socket
import subprocess
import sys
import time


class FakeSocket:
    def __init__(self, data):
        self.file = io.BytesIO(data)

    def makefile(self, *args, **kwargs):
        return self.file


def main():
    args = sys.argv[1:]
    send, drip, stderr_path, tcp, no_read, wait, sndbuf = b"", 0.0, None, False, False, 30.0, 0
    while args and args[0] != "--":
        opt = args.pop(0)
        if opt == "--send":
            send = args.pop(0).encode("latin-1").decode("unicode_escape").encode("latin-1")
        elif opt == "--send-file":
            with open(args.pop(0), "rb") as f:
                send = f.read()
        elif opt == "--drip":
            drip = float(args.pop(0))
        elif opt == "--stderr":
            stderr_path = args.pop(0)
        elif opt == "--tcp":
            tcp = True
        elif opt == "--no-read":
            no_read = True
        elif opt == "--wait":
            wait = float(args.pop(0))
        elif opt == "--sndbuf":
            sndbuf = int(args.pop(0))
        else:
            sys.exit(f"http_inetd.py: unknown option {opt}")
    command = args[1:]
    if tcp:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        client = socket.create_connection(listener.getsockname())
        server, _ = listener.accept()
        listener.close()
        if no_read:
            client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    else:
        client, server = socket.socketpair()
    if sndbuf:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, sndbuf)
        client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, sndbuf)
    err = open(stderr_path, "wb") if stderr_path else server
    start = time.monotonic()
    proc = subprocess.Popen(command, stdin=server, stdout=server, stderr=err)
    server.close()
    if stderr_path:
        err.close()
    try:
        if drip:
            for b in send:
                client.sendall(bytes([b]))
                time.sleep(drip)
        elif send:
            client.sendall(send)
    except (BrokenPipeError, ConnectionResetError):
        pass
    data = b""
    if no_read:
        rc = proc.wait(timeout=wait)
    else:
        client.settimeout(wait)
        try:
            while True:
                chunk = client.recv(65536)
                if not chunk:
                    break
                data += chunk
        except (ConnectionResetError, socket.timeout) as e:
            print(f"recv: {e}", file=sys.stderr)
        rc = proc.wait(timeout=wait)
    elapsed = int((time.monotonic() - start) * 1000)
    client.close()
    sys.stdout.buffer.write(data)
    print(f"exit={rc} elapsed_ms={elapsed}", file=sys.stderr)
    if data:
        resp = http.client.HTTPResponse(FakeSocket(data), method="HEAD" if send.startswith(b"HEAD") else "GET")
        try:
            resp.begin()
            body = resp.read()
            trailing = len(resp.fp.read()) if resp.fp else 0
            print(f"status={resp.status} length={resp.getheader('Content-Length')} "
                  f"body_bytes={len(body)} trailing={trailing}", file=sys.stderr)
            for name, value in resp.getheaders():
                print(f"header {name}: {value}", file=sys.stderr)
        except Exception as e:  # noqa: BLE001 - any failure to parse is the finding
            print(f"unparsable: {e!r}", file=sys.stderr)


if __name__ == "__main__":
    main()
