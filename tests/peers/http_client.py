#!/usr/bin/env python3
"""A raw HTTP client for the --http-response tests: sends exactly what it is told and reads to
EOF, so that whatever else reached the connection would show.

Usage: http_client.py HOST PORT [--send TEXT] [--wait SECONDS]
  --send TEXT   the bytes to send (Python escapes: \\r\\n); nothing at all without it
  --wait S      give up reading after S seconds (default 30)

Prints the raw bytes received on stdout; on stderr "elapsed_ms=M", then, parsed with
http.client, "status=S length=L body_bytes=B trailing=T" (T: bytes after the one response) and
each header as "header NAME: VALUE", or "unparsable: ..." / "nothing received".
"""
import http.client
import io
import socket
import sys
import time


class FakeSocket:
    def __init__(self, data):
        self.file = io.BytesIO(data)

    def makefile(self, *args, **kwargs):
        return self.file


def summarize(data, method):
    if not data:
        print("nothing received", file=sys.stderr)
        return
    resp = http.client.HTTPResponse(FakeSocket(data), method=method)
    try:
        resp.begin()
        body = resp.read()
        trailing = len(resp.fp.read()) if resp.fp else 0
    except Exception as e:  # noqa: BLE001 - any failure to parse is the finding
        print(f"unparsable: {e!r}", file=sys.stderr)
        return
    print(f"status={resp.status} length={resp.getheader('Content-Length')} "
          f"body_bytes={len(body)} trailing={trailing}", file=sys.stderr)
    for name, value in resp.getheaders():
        print(f"header {name}: {value}", file=sys.stderr)


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    args = sys.argv[3:]
    send, wait = b"", 30.0
    while args:
        opt = args.pop(0)
        if opt == "--send":
            send = args.pop(0).encode("latin-1").decode("unicode_escape").encode("latin-1")
        elif opt == "--wait":
            wait = float(args.pop(0))
        else:
            sys.exit(f"http_client.py: unknown option {opt}")
    start = time.monotonic()
    s = socket.create_connection((host, port), timeout=wait)
    data = b""
    try:
        if send:
            s.sendall(send)
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    except (ConnectionResetError, BrokenPipeError, socket.timeout) as e:
        print(f"recv: {e!r}", file=sys.stderr)
    s.close()
    sys.stdout.buffer.write(data)
    print(f"elapsed_ms={int((time.monotonic() - start) * 1000)}", file=sys.stderr)
    summarize(data, "HEAD" if send.startswith(b"HEAD") else "GET")


if __name__ == "__main__":
    main()
