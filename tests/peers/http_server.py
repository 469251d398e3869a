#!/usr/bin/env python3
"""A real HTTP server process (python3 http.server) with the routes the http check is tested on.

Listens on 127.0.0.1:PORT (--port 0: the kernel picks one), or on a unix socket (--unix PATH),
optionally with TLS (--tls CERT KEY [--client-ca CA]: then a client certificate signed by CA is
required). Prints "ready PORT" (or "ready PATH") once it accepts connections; serves until killed.

Routes (GET, HEAD and POST alike):
  /ok                 200 "ready", header X-Ready: yes
  /status/NNN         answers NNN with the body "status NNN"
  /redirect?to=URL[&code=NNN]   a redirect (302 unless code is given) to URL, any scheme
  /hops/N             redirects to /hops/N-1 ... /hops/0, which answers 200 "arrived"
  /slow?seconds=S     sleeps S seconds (default 30), then 200
  /big?mib=N          200 with an N MiB body (default 64), streamed in 64 KiB writes
  /headers            200 with X-Ready: yes, X-Version: 1.2.3, two Set-Cookie lines
  /drip               200 with a body of one byte a second (60 bytes)
  /drip-head          the status line and headers themselves, one byte a second
  /echo               200, the body is the request line and headers as received
  /method             200, the body is the method and the request body length
  /control            200, a body with terminal escapes, a NUL byte and a line break
  /long               200, a body of 1000 'x'
Anything else is 404 "not found".

Routes under /hostile/ make this a SCRIPTED HOSTILE peer (tests/integration/test_hostile.sh):
they write raw bytes no well-behaved server sends, to prove the deadline, the exit code, memory
and secrets still hold:
  /hostile/endless-headers   200, then header lines as fast as the socket takes them, forever
  /hostile/huge-header       200, then one header line that never ends
  /hostile/garbage-status    a first line that is not an HTTP status line
  /hostile/status-9999       HTTP/1.1 9999 (three digits are all HTTP has)
  /hostile/length?value=V    200 with Content-Length: V (negative, absurd) and a short body
  /hostile/chunked-endless   chunked, 64 KiB chunks as fast as the socket takes them, forever
  /hostile/chunked-drip      chunked, a one-byte chunk a second, forever
  /hostile/chunk-absurd      chunked, a first chunk size of 2^72
  /hostile/loop              302 to itself
  /hostile/reflect           the request's Authorization and X-Token headers repeated in the
                             status line's reason, in a header (X-Echo) and in the body
"""
import argparse
import os
import socketserver
import ssl
import sys
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "preflight-test-server"

    def log_message(self, fmt, *args):
        pass  # keep the test output clean (and unix-socket clients have no address to log)

    def answer(self, status, body=b"", headers=()):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query)
        path = url.path
        try:
            self.route(path, query)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            self.close_connection = True  # the client stopped reading: expected for /big

    do_HEAD = do_GET

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        self.request_body = self.rfile.read(length) if length else b""
        self.do_GET()

    def route(self, path, query):
        if path == "/ok":
            self.answer(200, b"ready\n", [("X-Ready", "yes"), ("Content-Type", "text/plain")])
        elif path.startswith("/status/") and path[8:].isdigit():
            code = int(path[8:])
            self.answer(code, f"status {code}\n".encode())
        elif path == "/redirect":
            code = int(query.get("code", ["302"])[0])
            self.answer(code, b"moved\n", [("Location", query.get("to", ["/ok"])[0])])
        elif path.startswith("/hops/") and path[6:].isdigit():
            left = int(path[6:])
            if left == 0:
                self.answer(200, b"arrived\n")
            else:
                self.answer(302, b"", [("Location", f"/hops/{left - 1}")])
        elif path == "/slow":
            time.sleep(float(query.get("seconds", ["30"])[0]))
            self.answer(200, b"slow but ready\n")
        elif path == "/big":
            self.send_big(int(query.get("mib", ["64"])[0]))
        elif path == "/headers":
            self.answer(200, b"{}\n", [("X-Ready", "yes"), ("X-Version", "1.2.3"),
                                       ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2"),
                                       ("Content-Type", "application/json")])
        elif path == "/drip":
            self.drip_body()
        elif path == "/drip-head":
            self.drip_bytes(b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nready\n")
        elif path == "/echo":
            received = self.requestline + "\n" + str(self.headers)
            self.answer(200, received.encode())
        elif path == "/method":
            length = len(getattr(self, "request_body", b""))
            self.answer(200, f"method {self.command} body {length}\n".encode())
        elif path == "/control":
            self.answer(200, b"\x1b[31mred\x1b[0m\rline\nnext\x00after-nul ready\n")
        elif path.startswith("/hostile/"):
            self.hostile(path[9:], query)
        elif path == "/long":
            self.answer(200, b"x" * 1000)
        else:
            self.answer(404, b"not found\n")

    def hostile(self, name, query):
        out = self.wfile
        self.close_connection = True
        if name == "endless-headers":
            out.write(b"HTTP/1.1 200 OK\r\n")
            line = b"X-Flood: " + b"y" * 100 + b"\r\n"
            while True:
                out.write(line * 512)
        elif name == "huge-header":
            out.write(b"HTTP/1.1 200 OK\r\nX-Huge: ")
            while True:
                out.write(b"z" * 65536)
        elif name == "garbage-status":
            out.write(b"\x00\x01 not http at all\r\nContent-Length: 0\r\n\r\n")
        elif name == "status-9999":
            out.write(b"HTTP/1.1 9999 Weird\r\nContent-Length: 2\r\n\r\nok")
        elif name == "length":
            value = query.get("value", ["-1"])[0].encode()
            out.write(b"HTTP/1.1 200 OK\r\nContent-Length: " + value + b"\r\n\r\nready\n")
        elif name in ("chunked-endless", "chunked-drip", "chunk-absurd"):
            out.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
            if name == "chunk-absurd":
                out.write(b"1000000000000000000\r\nready\r\n")
                time.sleep(30)
            while name == "chunked-endless":
                out.write(b"10000\r\n" + b"c" * 65536 + b"\r\n")
            while True:
                out.write(b"1\r\nd\r\n")
                out.flush()
                time.sleep(1)
        elif name == "loop":
            self.answer(302, b"", [("Location", "/hostile/loop")])
        elif name == "reflect":
            said = " ".join(self.headers.get(h, "") for h in ("Authorization", "X-Token"))
            said = said.encode("latin-1", "replace")
            body = b"you sent " + said + b"\n" + str(self.headers).encode("latin-1", "replace")
            out.write(b"HTTP/1.1 401 " + said + b"\r\nX-Echo: " + said +
                      b"\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
        else:
            self.answer(404, b"no such hostile route\n")

    def send_big(self, mib):
        chunk = b"0123456789abcdef" * 4096  # 64 KiB
        self.send_response(200)
        self.send_header("Content-Length", str(mib * 1024 * 1024))
        self.end_headers()
        if self.command == "HEAD":
            return
        for _ in range(mib * 16):
            self.wfile.write(chunk)

    def drip_body(self):
        self.send_response(200)
        self.send_header("Content-Length", "60")
        self.end_headers()
        self.wfile.flush()
        self.drip_bytes(b"r" * 60)

    def drip_bytes(self, data):
        for i in range(len(data)):
            self.wfile.write(data[i:i + 1])
            self.wfile.flush()
            time.sleep(1)
        self.close_connection = True


class QuietErrors:
    def handle_error(self, request, client_address):
        pass  # failed handshakes and clients that hang up are part of the tests


class UnixHTTPServer(QuietErrors, socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True

    def get_request(self):
        request, _ = super().get_request()
        return request, ("unix", 0)  # BaseHTTPRequestHandler expects a (host, port) address


class LoopbackHTTPServer(QuietErrors, ThreadingHTTPServer):
    daemon_threads = True


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--unix", metavar="PATH")
    parser.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    parser.add_argument("--client-ca", metavar="CA")
    args = parser.parse_args()

    # Headers and body go out in two writes; without TCP_NODELAY the second waits for a delayed
    # ACK (40 ms) on a reused connection, which would distort the timings taken against it.
    Handler.disable_nagle_algorithm = not args.unix
    if args.unix:
        if os.path.exists(args.unix):
            os.unlink(args.unix)
        server = UnixHTTPServer(args.unix, Handler)
        where = args.unix
    else:
        server = LoopbackHTTPServer(("127.0.0.1", args.port), Handler)
        where = str(server.server_address[1])
    if args.tls:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.tls[0], args.tls[1])
        if args.client_ca:
            context.verify_mode = ssl.CERT_REQUIRED
            context.load_verify_locations(args.client_ca)
        # The handshake happens in the handler's thread, so a client that never finishes it
        # cannot block the accept loop.
        server.socket = context.wrap_socket(server.socket, server_side=True,
                                            do_handshake_on_connect=False)
    print("ready", where, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
