#!/usr/bin/env python3
"""make bench: preflight against the tools people use today, side by side, on this machine.

Each comparison runs its competitors alternately in one run (spawn_timer, a small C helper),
many times, and reports medians and ratios of medians: the machines are shared and noisy, so a
single absolute time means little. The load (about 100,000 loopback TCP sockets, a redis-server,
an HTTP server, peers that hang) is started here and stopped at the end, whatever happens.

Usage: run.py --preflight PATH --helpers DIR [--markdown FILE] [--repeat F] [--quick] [--strict]
              [--only SECTION,...]
  --helpers   where spawn_timer, socket_load and no_netlink were built (make bench builds them)
  --markdown  also write the tables there (the README's Performance section is that file)
  --repeat F  F times the default repetitions of each comparison (make bench BENCH_REPEAT=F);
              3 for steadier medians on a busy machine
  --quick     a fifth of the repetitions (--repeat 0.2), for trying the benchmark itself out
  --strict    exit 3 when a goal is missed (by default only the table says so)
  --only      run these sections alone (make bench BENCH_ONLY=...): startup, host, dns, exec,
              file, port, redis, mysql, postgres, http, deadlines, parallel; deadlines.CHECK runs only
              CHECK's rows of the deadline table (deadlines.postgres,deadlines.mysql)
Exit status: 0, 3 (a goal missed, with --strict), 1 (the benchmark could not run: a server did
not start, a command gave an unexpected answer).
"""
import argparse
import atexit
import ctypes
import os
import platform
import selectors
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PEERS = os.path.join(ROOT, "tests", "peers")

PR_SET_PDEATHSIG = 1
LIBC = ctypes.CDLL(None, use_errno=True)
BENCH_PID = os.getpid()

# About 100,000 sockets: each socket_load holds CLIENTS connections, both ends (2 * CLIENTS + 1
# descriptors, under the 20,000 a process may hold here), on its own 127.0.N.1 listener, so no
# destination runs out of ephemeral ports (about 28,000 each).
LOAD_PROCESSES = 6
LOAD_CLIENTS = 9000


class BenchError(Exception):
    """The benchmark cannot go on: its message says what went wrong."""


@dataclass
class Samples:
    """What spawn_timer measured for one command."""
    label: str
    times_ms: list = field(default_factory=list)
    rss_kib: list = field(default_factory=list)
    statuses: set = field(default_factory=set)

    @property
    def median(self):
        return statistics.median(self.times_ms)

    @property
    def quartiles(self):
        q = statistics.quantiles(self.times_ms, n=4)
        return q[0], q[2]

    @property
    def rss_median(self):
        return statistics.median(self.rss_kib)


@dataclass
class Command:
    label: str
    argv: list
    codes: tuple = (0,)  # the exit codes that mean it gave the expected answer


class Children:
    """Every process the benchmark starts, stopped by PID at exit (normal, error or signal)."""

    def __init__(self, logdir):
        self.procs = []
        self.logdir = logdir

    def start(self, name, argv, ready=True, timeout=30.0):
        """Starts argv; with ready, waits for a line starting "ready" and returns its words."""
        log = open(os.path.join(self.logdir, name + ".err"), "wb")
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=log, preexec_fn=die_with_parent)
        log.close()
        self.procs.append(proc)
        if not ready:
            return proc, []
        words = wait_ready(proc, timeout)
        if words is not None:
            return proc, words
        raise BenchError(f"{name} did not start ({' '.join(argv)}): {self.log_tail(name)}")

    def log_tail(self, name):
        try:
            with open(os.path.join(self.logdir, name + ".err"), errors="replace") as f:
                return f.read()[-500:].strip() or "no message"
        except OSError:
            return "no message"

    def stop(self, proc):
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if proc.stdout:
            proc.stdout.close()
        if proc in self.procs:
            self.procs.remove(proc)

    def stop_all(self):
        for proc in list(reversed(self.procs)):
            self.stop(proc)


class Bench:
    def __init__(self, args):
        self.preflight = os.path.abspath(args.preflight)
        self.helpers = os.path.abspath(args.helpers)
        self.scale = 0.2 if args.quick else args.repeat
        self.work = tempfile.mkdtemp(prefix="preflight-bench.")
        os.chmod(self.work, 0o755)
        self.children = Children(self.work)
        self.sections = []  # markdown lines, in order
        self.goals = []  # (goal, measured text, met)
        self.memory = {}  # label -> Samples, for the max RSS table
        self.only, self.deadline_checks = parse_only(args.only)

    def cleanup(self):
        self.children.stop_all()
        shutil.rmtree(self.work, ignore_errors=True)

    def rounds(self, n):
        return max(3, int(n * self.scale))

    def pf(self, *args):
        return [self.preflight, *args]

    # ---- running and measuring -------------------------------------------------------------

    def verify(self, cmd, expect_output=None):
        """Runs cmd once, outside the timing, and checks its exit code (and output)."""
        r = subprocess.run(cmd.argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=60)
        out = (r.stdout + r.stderr).decode(errors="replace")
        if r.returncode not in cmd.codes:
            raise BenchError(f"{cmd.label}: exit {r.returncode}, expected {cmd.codes}: "
                             f"{out.strip()[:500]}")
        if expect_output is not None and expect_output not in out:
            raise BenchError(f"{cmd.label}: {expect_output!r} not in its output: "
                             f"{out.strip()[:500]}")
        return out

    def measure(self, commands, rounds, warmup=3, prefix=()):
        """Runs the commands alternately, rounds times each; returns Samples by label. prefix
        runs spawn_timer itself (with_silent_resolver.sh: all of them in one namespace)."""
        argv = [*prefix, os.path.join(self.helpers, "spawn_timer"), "-n", str(rounds), "-w",
                str(warmup), "--"]
        for i, cmd in enumerate(commands):
            argv += ([":::"] if i else []) + cmd.argv
        r = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           preexec_fn=die_with_parent)
        if r.returncode != 0:
            raise BenchError(f"spawn_timer failed: {r.stderr.strip()}")
        samples = {cmd.label: Samples(cmd.label) for cmd in commands}
        for line in r.stdout.splitlines():
            index, ns, rss, status = (int(w) for w in line.split())
            s = samples[commands[index].label]
            s.times_ms.append(ns / 1e6)
            s.rss_kib.append(rss)
            s.statuses.add(status)
        for cmd in commands:
            s = samples[cmd.label]
            if len(s.times_ms) != rounds:
                raise BenchError(f"{cmd.label}: {len(s.times_ms)} runs measured, not {rounds}")
            wrong = s.statuses - set(cmd.codes)
            if wrong:
                raise BenchError(f"{cmd.label}: exit {sorted(wrong)} during the runs, "
                                 f"expected {cmd.codes}")
        return samples

    def remember_memory(self, samples, *labels):
        for label in labels:
            self.memory[label] = samples[label]

    def goal(self, text, measured, met):
        self.goals.append((text, measured, met))

    def table(self, title, note, samples, baseline, rounds, extra_ratio=None, base_name=None):
        """A markdown table of medians, quartiles and the ratio to the baseline's median."""
        base = samples[baseline].median
        lines = [f"### {title}", "", note, "",
                 f"| command | median | q1–q3 | × `{base_name or baseline}` |",
                 "| --- | ---: | ---: | ---: |"]
        for s in samples.values():
            q1, q3 = s.quartiles
            lines.append(f"| `{s.label}` | {ms(s.median)} | {ms(q1)}–{ms(q3)} | "
                         f"{s.median / base:.2f}× |")
        if extra_ratio:
            lines += ["", extra_ratio]
        lines += ["", f"{rounds} runs of each, alternating.", ""]
        self.sections += lines

    # ---- the benchmarks --------------------------------------------------------------------

    def startup(self):
        user = subprocess.run(["id", "-un"], capture_output=True, text=True).stdout.strip()
        root = os.geteuid() == 0
        cmds = [
            Command(f"preflight user {user}", self.pf("user", user)),
            # Not root, no capability is effective: the check fails (30), the start-up is the same.
            Command("preflight cap net_bind_service", self.pf("cap", "net_bind_service"),
                    (0,) if root else (30,)),
            # The binary alone, no check: what start-up costs before a check does anything.
            Command("preflight --version", self.pf("--version")),
            Command("/bin/true", ["/bin/true"]),
        ]
        for c in cmds:
            self.verify(c)
        n = self.rounds(400)
        s = self.measure(cmds, n)
        true = s["/bin/true"].median
        for c in cmds[:2]:
            ratio = s[c.label].median / true
            self.goal(f"`{c.label.rsplit(' ', 1)[0]}` start-up ≤ 1.5× `/bin/true`",
                      f"{ratio:.2f}×", ratio <= 1.5)
        self.table("Start-up: user and cap",
                   "No network library is loaded for these checks; `preflight --version` is the "
                   "binary alone (libc and libcap, no check run).",
                   s, "/bin/true", n)
        self.remember_memory(s, *(c.label for c in cmds))

    def host_settings(self):
        # The nofile and vm.max_map_count floors are 1: every host passes them, so the start-up
        # measured is one getrlimit() and one bounded read of /proc/sys.
        cmds = [
            Command("preflight limit nofile>=1", self.pf("limit", "nofile>=1")),
            Command("preflight sysctl vm.max_map_count>=1",
                    self.pf("sysctl", "vm.max_map_count>=1")),
            Command("/bin/true", ["/bin/true"]),
        ]
        for c in cmds:
            self.verify(c)
        n = self.rounds(400)
        s = self.measure(cmds, n)
        true = s["/bin/true"].median
        for c in cmds[:2]:
            ratio = s[c.label].median / true
            self.goal(f"`{c.label.split(' ')[0]} {c.label.split(' ')[1]}` start-up ≤ 1.5× "
                      "`/bin/true`", f"{ratio:.2f}×", ratio <= 1.5)
        self.table("Start-up: limit and sysctl",
                   "One getrlimit(2); one read of a /proc/sys file (at most 4 KiB).",
                   s, "/bin/true", n)
        self.remember_memory(s, *(c.label for c in cmds[:2]))

    def dns(self):
        """dns localhost against getent ahosts localhost, both in with_silent_resolver.sh's
        namespace: /etc/hosts has localhost for IPv4 and IPv6, so no query leaves the
        process (the only name server is one that never answers, which would show)."""
        goal = "`preflight dns localhost` ≤ 1.0× `getent ahosts localhost`"
        if os.geteuid() != 0:
            self.goal(goal, "not measured: the namespace needs root", False)
            return
        hosts = os.path.join(self.work, "hosts")
        with open(hosts, "w") as f:
            f.write("127.0.0.1 localhost\n::1 localhost\n")
        os.chmod(hosts, 0o644)
        ns = [os.path.join(PEERS, "with_silent_resolver.sh"), "--hosts-file", hosts]
        cmds = [Command("preflight dns localhost", self.pf("dns", "localhost")),
                Command("getent ahosts localhost", ["getent", "ahosts", "localhost"])]
        self.verify(Command(cmds[0].label, ns + cmds[0].argv), "resolves to ::1, 127.0.0.1")
        self.verify(Command(cmds[1].label, ns + cmds[1].argv), "::1")
        n = self.rounds(300)
        s = self.measure(cmds, n, prefix=ns)
        ratio = s[cmds[0].label].median / s[cmds[1].label].median
        self.goal(goal, f"{ratio:.2f}×", ratio <= 1.0)
        self.table("DNS: localhost from /etc/hosts",
                   "Both in a mount namespace whose /etc/hosts names localhost (127.0.0.1, ::1) "
                   "and whose only name server never answers; preflight resolves on its "
                   "bounded resolver thread.", s, cmds[1].label, n, base_name="getent")
        self.remember_memory(s, *(c.label for c in cmds))

    def exec_check(self):
        cmds = [
            Command("preflight exec /bin/true", self.pf("exec", "/bin/true")),
            Command("preflight --version", self.pf("--version")),
            Command("/bin/true", ["/bin/true"]),
        ]
        for c in cmds:
            self.verify(c)
        n = self.rounds(400)
        s = self.measure(cmds, n)
        extra = s["preflight exec /bin/true"].median - s["/bin/true"].median
        self.goal("`preflight exec /bin/true` ≤ 1 ms more than `/bin/true`", f"+{ms(extra)}",
                  extra <= 1.0)
        self.table("exec: the command's own cost and preflight's around it",
                   "preflight starts /bin/true from vfork in its own process group with its "
                   "output on a pipe, waits on a pidfd, and looks for anything left behind in "
                   "/proc/self/task/*/children.", s, "/bin/true", n)

    def file_check(self):
        """The file check: one stat, owner and mode, and access(2) plus an open for reading, all
        on the attempt's worker thread; then mountinfo and statvfs; then --as, a forked child
        that takes nobody's ids (root only); then --mode-max on a file with an ACL, which loads
        libacl."""
        acl_file = os.path.join(self.work, "acl-file")
        with open(acl_file, "w") as f:
            f.write("x\n")
        os.chmod(acl_file, 0o640)
        has_acl = shutil.which("setfacl") and subprocess.run(
            ["setfacl", "-m", "u:nobody:r", acl_file], capture_output=True).returncode == 0
        plain = Command("preflight file /etc/passwd --type file --mode-max 0644 --readable",
                        self.pf("file", "/etc/passwd", "--type", "file", "--mode-max", "0644",
                                "--readable"))
        cmds = [plain,
                # A name to look up (glibc's name service), as the user check does.
                Command("preflight file /etc/passwd --owner root:root",
                        self.pf("file", "/etc/passwd", "--owner", "root:root")),
                Command("preflight file / --mounted --free 1K --free-inodes 1",
                        self.pf("file", "/", "--mounted", "--free", "1K", "--free-inodes", "1"))]
        if os.geteuid() == 0:
            cmds.append(Command("preflight file /etc/passwd --as nobody --readable",
                                self.pf("file", "/etc/passwd", "--as", "nobody", "--readable")))
        if has_acl:
            cmds.append(Command("preflight file ACL-FILE --mode-max 0644 (loads libacl)",
                                self.pf("file", acl_file, "--mode-max", "0644")))
        cmds.append(Command("/bin/true", ["/bin/true"]))
        for c in cmds:
            self.verify(c)
        n = self.rounds(400)
        s = self.measure(cmds, n)
        true = s["/bin/true"].median
        ratio = s[plain.label].median / true
        self.goal("`preflight file` start-up ≤ 1.5× `/bin/true`", f"{ratio:.2f}×", ratio <= 1.5)
        self.table("Start-up: file",
                   "Each attempt runs on a worker thread that the deadline may abandon (a hung "
                   "filesystem blocks stat(2) in the kernel); `--as` adds a forked child; libacl "
                   "is loaded only for a file that has an ACL.", s, "/bin/true", n)
        self.remember_memory(s, plain.label)

    def port(self):
        loads = []
        start = time.monotonic()
        for i in range(LOAD_PROCESSES):
            proc, _ = self.children.start(
                f"socket_load{i}", [os.path.join(self.helpers, "socket_load"),
                                    f"127.0.{i + 1}.1", str(LOAD_CLIENTS)], ready=False)
            loads.append(proc)
        for i, proc in enumerate(loads):  # they connect at once; wait for each in turn
            words = wait_ready(proc, 60)
            if words is None:
                raise BenchError(f"socket_load{i} did not start: "
                                 f"{self.children.log_tail(f'socket_load{i}')}")
        setup_s = time.monotonic() - start
        established = count_established()
        if established < LOAD_PROCESSES * LOAD_CLIENTS * 2:
            raise BenchError(f"only {established} established TCP sockets, expected "
                             f"{LOAD_PROCESSES * LOAD_CLIENTS * 2}")
        load_note = (f"Under load: {established:,} established loopback TCP sockets held by "
                     f"{LOAD_PROCESSES} processes (set up in {setup_s:.1f} s).")

        free = free_port()
        spec = f"sport = :{free}"
        cmds = [Command("preflight port P", self.pf("port", str(free))),
                Command("ss -tlnH 'sport = :P'", ["ss", "-tlnH", spec]),
                Command("/bin/true", ["/bin/true"])]
        self.verify(cmds[0], "free")
        if self.verify(cmds[1]).strip():
            raise BenchError(f"ss lists a listener on the free port {free}")
        n = self.rounds(200)
        s = self.measure(cmds, n)
        pf, ss, true = (s[c.label].median for c in cmds)
        self.goal("`preflight port` at ~100k sockets ≤ 1.5× `/bin/true`", f"{pf / true:.2f}×",
                  pf / true <= 1.5)
        self.goal("`preflight port` at ~100k sockets ≥ 10× faster than `ss`", f"{ss / pf:.1f}×",
                  ss / pf >= 10)
        self.table("Port: a free port, ~100k sockets open", f"{load_note} P = {free}, free.",
                   s, "/bin/true", n,
                   f"`ss` takes {ss / pf:.1f}× as long as `preflight port`.")
        self.remember_memory(s, cmds[0].label, cmds[1].label)

        # A port in use: the holder is started after the load, so the search for its process
        # reads the descriptors of every load process first (about 108,000 links).
        holder, words = self.children.start("holder", ["python3", os.path.join(PEERS,
                                                        "listen.py"), "tcp/127.0.0.1/0"])
        busy = words[0]
        spec = f"sport = :{busy}"
        cmds = [Command("preflight port Q", self.pf("port", busy), (20,)),
                Command("ss -tlnpH 'sport = :Q'", ["ss", "-tlnpH", spec]),
                Command("ss -tlnH 'sport = :Q'", ["ss", "-tlnH", spec]),
                Command("/bin/true", ["/bin/true"])]
        self.verify(cmds[0], f"(pid {holder.pid})")
        self.verify(cmds[1], f"pid={holder.pid},")
        if f"127.0.0.1:{busy}" not in self.verify(cmds[2]):
            raise BenchError(f"ss does not list the listener on {busy}")
        n = self.rounds(30)
        s = self.measure(cmds, n)
        self.table("Port: a port in use, its holder found behind ~100k descriptors",
                   f"{load_note} Q = {busy}, held by a listener started after the load, so "
                   "finding its process (preflight names it, as `ss -p` does) reads the "
                   "descriptors of every load process first.", s, "/bin/true", n)
        self.children.stop(holder)

        # The fallback without sock_diag (RestrictAddressFamilies= without AF_NETLINK).
        wrap = os.path.join(self.helpers, "no_netlink")
        cmds = [Command("no_netlink preflight port P", [wrap] + self.pf("port", str(free))),
                Command("no_netlink /bin/true", [wrap, "/bin/true"])]
        self.verify(cmds[0], "free")
        n = self.rounds(150)
        s = self.measure(cmds, n)
        self.table("Port: the /proc/net/tcp fallback (no AF_NETLINK), ~100k sockets open",
                   f"{load_note} P = {free}, free. /proc/net/tcp is read up to its last "
                   "listener; tcp6, with no IPv6 connection to stop at, is read to its end: "
                   "the kernel walks its whole established table for it.",
                   s, "no_netlink /bin/true", n)
        for proc in loads:
            self.children.stop(proc)

    def redis(self):
        port = free_port()
        proc, _ = self.children.start("redis-server", [
            "redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
            "--appendonly", "no", "--daemonize", "no",
            "--logfile", os.path.join(self.work, "redis-server.err")], ready=False)
        if not wait_redis(port, proc, 10):
            raise BenchError("redis-server did not start: "
                             f"{self.children.log_tail('redis-server')}")
        target = f"127.0.0.1:{port}"
        cmds = [Command("preflight redis 127.0.0.1:R", self.pf("redis", target)),
                Command("redis-cli -h 127.0.0.1 -p R ping",
                        ["redis-cli", "-h", "127.0.0.1", "-p", str(port), "ping"]),
                Command("preflight tcp 127.0.0.1:R", self.pf("tcp", target))]
        self.verify(cmds[0], "PONG")
        self.verify(cmds[1], "PONG")
        self.verify(cmds[2])
        n = self.rounds(300)
        s = self.measure(cmds, n)
        ratio = s[cmds[0].label].median / s[cmds[1].label].median
        self.goal("`preflight redis` ≤ 1.0× `redis-cli ping`", f"{ratio:.2f}×", ratio <= 1.0)
        self.table("Redis: PING a local redis-server", f"redis-server {redis_version()} on "
                   f"127.0.0.1, port R = {port}; preflight loads hiredis with dlopen, redis-cli "
                   "links it. `preflight tcp` (connect and close) shown for scale.",
                   s, cmds[1].label, n, base_name="redis-cli")
        self.remember_memory(s, *(c.label for c in cmds))
        self.children.stop(proc)

    def mysql(self):
        """preflight mysql --ping against mariadb-admin ping, on a MariaDB of the bench's own (as
        the mysql system user, in the bench's directory, on a free loopback port)."""
        if not shutil.which("mariadbd"):
            raise BenchError("mariadbd is missing (make deps, packaging/deps.sh, installs it)")
        data = os.path.join(self.work, "mariadb")
        os.mkdir(data)
        shutil.chown(data, "mysql", "mysql")
        as_mysql = ["setpriv", "--reuid=mysql", "--regid=mysql", "--clear-groups", "--"]
        r = subprocess.run(as_mysql + [
            "mariadb-install-db", "--no-defaults", f"--datadir={data}/data",
            "--auth-root-authentication-method=normal", "--skip-test-db",
            "--skip-name-resolve"], capture_output=True, timeout=120)
        if r.returncode != 0:
            raise BenchError(f"mariadb-install-db failed: {r.stderr.decode()[-500:]}")
        port = free_port()
        proc, _ = self.children.start("mariadbd", as_mysql + [
            "mariadbd", "--no-defaults", f"--datadir={data}/data", f"--socket={data}/s.sock",
            f"--port={port}", "--bind-address=127.0.0.1", f"--pid-file={data}/pid",
            f"--log-error={data}/error.log", "--skip-name-resolve",
            "--innodb-buffer-pool-size=16M"], ready=False)
        admin = ["mariadb-admin", "--no-defaults", "-h", "127.0.0.1", "-P", str(port), "-u",
                 "root", "ping"]
        end = time.monotonic() + 30
        while subprocess.run(admin, capture_output=True).returncode != 0:
            if time.monotonic() > end or proc.poll() is not None:
                raise BenchError("mariadbd did not start")
            time.sleep(0.1)
        target = f"127.0.0.1:{port}"
        cmds = [Command("preflight mysql 127.0.0.1:M --ping",
                        self.pf("mysql", target, "--user", "root", "--ping")),
                Command("mariadb-admin -h 127.0.0.1 -P M ping", admin),
                Command("preflight mysql 127.0.0.1:M", self.pf("mysql", target, "--user", "root"))]
        self.verify(cmds[0], "answers")
        self.verify(cmds[1], "alive")
        self.verify(cmds[2], "accepts root")
        n = self.rounds(300)
        s = self.measure(cmds, n)
        ratio = s[cmds[0].label].median / s[cmds[1].label].median
        self.goal("`preflight mysql --ping` ≤ 1.0× `mariadb-admin ping`", f"{ratio:.2f}×",
                  ratio <= 1.0)
        self.table("MySQL: ping a local MariaDB", f"MariaDB {mariadb_version()} on 127.0.0.1, "
                   f"port M = {port}, as root without a password (both log in); preflight "
                   "loads Connector/C with dlopen, mariadb-admin links it. The full check "
                   "(login and SELECT 1) shown too.", s, cmds[1].label, n,
                   base_name="mariadb-admin")
        self.remember_memory(s, *(c.label for c in cmds))
        self.children.stop(proc)
    def postgres(self):
        """--ping against pg_isready, a full login against psql: the same local PostgreSQL 15."""
        if not os.path.exists(os.path.join(PGBIN, "initdb")):
            raise BenchError("PostgreSQL 15 is missing (make deps installs postgresql-15)")
        base = tempfile.mkdtemp(prefix="preflight-bench-pg.")
        sock, data = os.path.join(base, "sock"), os.path.join(base, "data")
        os.mkdir(sock)
        as_pg = []
        if os.getuid() == 0:  # initdb refuses root: the server runs as the postgres user
            as_pg = ["runuser", "-u", "postgres", "--"]
            os.chmod(base, 0o755)
            for d in (base, sock):
                shutil.chown(d, "postgres", "postgres")
        pg_ctl = [os.path.join(PGBIN, "pg_ctl"), "-D", data]
        port = free_port()
        try:
            subprocess.run(as_pg + [os.path.join(PGBIN, "initdb"), "-D", data, "-U", "postgres",
                                    "-A", "trust", "--no-sync"], check=True,
                           capture_output=True)
            subprocess.run(as_pg + pg_ctl + ["-l", os.path.join(base, "log"), "-w", "-t", "30",
                                             "-o", f"-p {port} -k {sock} -c fsync=off "
                                             "-c listen_addresses=127.0.0.1", "start"],
                           check=True, capture_output=True)
            subprocess.run(as_pg + ["psql", "-qAt", "-h", sock, "-p", str(port), "-U",
                                    "postgres", "-c", "CREATE ROLE app LOGIN"], check=True,
                           capture_output=True)
        except subprocess.CalledProcessError as e:
            raise BenchError(f"PostgreSQL did not start: {(e.stdout + e.stderr).decode()[:500]}")
        try:
            self.postgres_measure(port)
        finally:
            subprocess.run(as_pg + pg_ctl + ["-m", "immediate", "stop"], capture_output=True)
            shutil.rmtree(base, ignore_errors=True)

    def postgres_measure(self, port):
        target, login = f"127.0.0.1:{port}", ["--user", "app", "--dbname", "postgres"]
        cmds = [Command("preflight postgres 127.0.0.1:P --ping",
                        self.pf("postgres", target, *login, "--ping")),
                Command("pg_isready -h 127.0.0.1 -p P",
                        [os.path.join(PGBIN, "pg_isready"), "-q", "-h", "127.0.0.1", "-p",
                         str(port), "-U", "app", "-d", "postgres"]),
                Command("preflight postgres 127.0.0.1:P (login, SELECT 1)",
                        self.pf("postgres", target, *login)),
                Command("psql -qAt -c 'SELECT 1'",
                        ["psql", "-qAt", "-h", "127.0.0.1", "-p", str(port), "-U", "app", "-d",
                         "postgres", "-c", "SELECT 1"])]
        self.verify(cmds[0], "answers")
        self.verify(cmds[1])
        self.verify(cmds[2], "accepts app@postgres")
        self.verify(cmds[3], "1")
        n = self.rounds(200)
        s = self.measure(cmds, n)
        ping = s[cmds[0].label].median / s[cmds[1].label].median
        full = s[cmds[2].label].median / s[cmds[3].label].median
        self.goal("`preflight postgres --ping` ≤ 1.0× `pg_isready`", f"{ping:.2f}×", ping <= 1.0)
        self.goal("`preflight postgres` (login) ≤ 1.0× `psql -c 'SELECT 1'`", f"{full:.2f}×",
                  full <= 1.0)
        self.table("PostgreSQL: --ping and a full login against a local server",
                   f"PostgreSQL 15 on 127.0.0.1, port P = {port}, trust authentication for "
                   "role app (the same login for every command); preflight loads libpq with "
                   f"dlopen, pg_isready ({PGBIN}, not Debian's wrapper) and psql link it. "
                   f"Login: preflight {full:.2f}× psql.", s, cmds[1].label, n,
                   base_name="pg_isready")
        self.remember_memory(s, *(c.label for c in cmds))

    def http(self, port):
        url = f"http://127.0.0.1:{port}/ok"
        cmds = [Command("preflight http URL", self.pf("http", url)),
                Command("curl -sf -o /dev/null URL", ["curl", "-sf", "-o", "/dev/null", url])]
        self.verify(cmds[0], "answered 200")
        self.verify(cmds[1])
        n = self.rounds(300)
        s = self.measure(cmds, n)
        ratio = s[cmds[0].label].median / s[cmds[1].label].median
        self.goal("`preflight http` ≤ 1.0× `curl`", f"{ratio:.2f}×", ratio <= 1.0)
        self.table("HTTP: GET from a local HTTP server",
                   f"URL = {url}, the same server process for both (tests/peers/http_server.py, "
                   "python3 http.server); preflight loads libcurl with dlopen, curl links it.",
                   s, cmds[1].label, n, base_name="curl")
        self.remember_memory(s, *(c.label for c in cmds))

    def deadlines(self, http_port):
        _, words = self.children.start("hung_listener", ["python3", os.path.join(
            PEERS, "hung_listener.py")])
        hung = f"127.0.0.1:{words[0]}"
        _, words = self.children.start("fake_redis-silent", ["python3", os.path.join(
            PEERS, "fake_redis.py"), "silent"])
        silent = f"127.0.0.1:{words[0]}"
        _, words = self.children.start("fake_redis-drip", ["python3", os.path.join(
            PEERS, "fake_redis.py"), "drip"])
        drip = f"127.0.0.1:{words[0]}"
        _, words = self.children.start("mysql_peer-silent", ["python3", os.path.join(
            PEERS, "mysql_peer.py"), "silent"])
        mysql_silent = f"127.0.0.1:{words[0]}"
        _, words = self.children.start("mysql_peer-drip", ["python3", os.path.join(
            PEERS, "mysql_peer.py"), "drip"])
        mysql_drip = f"127.0.0.1:{words[0]}"
        _, words = self.children.start("fake_postgres-silent", ["python3", os.path.join(
            PEERS, "fake_postgres.py"), "silent"])
        pg_silent = f"127.0.0.1:{words[0]}"
        _, words = self.children.start("fake_postgres-drip", ["python3", os.path.join(
            PEERS, "fake_postgres.py"), "drip"])
        pg_drip = f"127.0.0.1:{words[0]}"
        web = f"http://127.0.0.1:{http_port}"
        cases = [  # (server, check, argv, code)
            ("full accept queue", "tcp", ["tcp", hung], 61),
            ("full accept queue", "redis", ["redis", hung], 41),
            ("full accept queue", "http", ["http", f"http://{hung}/"], 51),
            ("full accept queue", "mysql", ["mysql", hung], 91),
            ("silent server", "redis", ["redis", silent], 41),
            ("silent server", "http", ["http", f"{web}/slow?seconds=30"], 51),
            ("dripping server", "redis", ["redis", drip], 41),
            ("dripping server", "http", ["http", f"{web}/drip"], 51),
            ("silent server", "mysql", ["mysql", mysql_silent], 91),
            ("dripping server", "mysql", ["mysql", mysql_drip], 91),
            ("silent server", "postgres", ["postgres", pg_silent], 81),
            ("dripping server", "postgres", ["postgres", pg_drip], 81),
        ]
        if self.deadline_checks:
            cases = [case for case in cases if case[1] in self.deadline_checks]
        cmds = [Command(f"{server}: {check}", self.pf(*argv, "-t", "1s"), (code,))
                for server, check, argv, code in cases]
        n = self.rounds(8)
        s = self.measure(cmds, n, warmup=0)
        lines = ["### Deadlines: overshoot of `-t 1s`", "",
                 "Time past 1 s until the process had exited, from the outside (process start "
                 "and exit included). Full accept queue: tests/peers/hung_listener.py (SYNs "
                 "dropped); silent: fake_redis.py silent, http_server.py /slow; dripping: "
                 "fake_redis.py drip (+PONG a byte a second), http_server.py /drip (a body byte "
                 "a second); mysql_peer.py silent and drip (a greeting byte every 200 ms); "
                 "postgres: fake_postgres.py silent, and drip (a login's error "
                 "message a byte every 50 ms).", "",
                 "| server | check | exit | min | median | max |",
                 "| --- | --- | ---: | ---: | ---: | ---: |"]
        medians, worst = [], 0.0
        for (server, check, _, code), cmd in zip(cases, cmds):
            over = [t - 1000.0 for t in s[cmd.label].times_ms]
            medians.append(statistics.median(over))
            worst = max(worst, max(over))
            lines.append(f"| {server} | {check} | {code} | {min(over):.1f} ms | "
                         f"{statistics.median(over):.1f} ms | {max(over):.1f} ms |")
        lines += ["", f"{n} runs of each, alternating.", ""]
        self.sections += lines
        self.goal("deadline overshoot ≤ 100 ms at the median (each case)",
                  f"{max(medians):.1f} ms (the largest median)", max(medians) <= 100)
        self.goal("deadline overshoot ≤ 300 ms at the worst", f"{worst:.1f} ms", worst <= 300)

    def parallel(self):
        refused = free_port()  # nothing listens: each line retries until its deadline
        line = f"tcp 127.0.0.1:{refused} --wait -t 1s\n"
        three = os.path.join(self.work, "three.conf")
        ten = os.path.join(self.work, "ten.conf")
        for path, count in ((three, 3), (ten, 10)):
            with open(path, "w") as f:
                f.write(line * count)
            os.chmod(path, 0o644)  # as root, a chain file others may write is refused
        cmds = [Command("run three.conf --parallel", self.pf("run", three, "--parallel",
                                                             "--keep-going"), (60,)),
                Command("run three.conf (in sequence)", self.pf("run", three, "--keep-going"),
                        (60,)),
                Command("run ten.conf --parallel", self.pf("run", ten, "--parallel",
                                                           "--keep-going"), (60,))]
        out = self.verify(cmds[0])
        if out.count("FAIL tcp") != 3:
            raise BenchError(f"the parallel chain did not report its 3 lines: {out[:500]}")
        n = self.rounds(5)
        s = self.measure(cmds, n, warmup=0)
        par = s[cmds[0].label].median
        self.goal("`--parallel` chain of 3 lines each waiting 1 s < 1.3 s", f"{par / 1000:.3f} s",
                  par < 1300)
        lines = ["### Chains: `--parallel` against the same chain in sequence", "",
                 f"Each line is `{line.strip()}` (nothing listens: it retries until its "
                 "deadline). `--keep-going` in both, so the sequence runs every line.", "",
                 "| command | median | min | max |", "| --- | ---: | ---: | ---: |"]
        for c in cmds:
            t = s[c.label].times_ms
            lines.append(f"| `preflight {c.label}` | {statistics.median(t) / 1000:.3f} s | "
                         f"{min(t) / 1000:.3f} s | {max(t) / 1000:.3f} s |")
        lines += ["", f"{n} runs of each, alternating.", ""]
        self.sections += lines

    def why(self):
        """preflight why against systemctl status, on the same failed unit of a test systemd
        (tests/bench/why.sh boots it, as the why suite does, and runs spawn_timer inside)."""
        if os.geteuid() != 0:
            raise BenchError("the why benchmark boots a test systemd in namespaces: run as root")
        if not os.path.exists("/lib/systemd/systemd"):
            raise BenchError("systemd is missing (apt-get install systemd)")
        unit = "pf-why-bench.service"
        inside = "/run/preflight-test/bin/preflight"  # the copy the test system runs
        cmds = [Command(f"preflight why {unit}", [inside, "why", unit]),
                Command(f"systemctl status {unit}", ["systemctl", "status", "--no-pager", unit],
                        (3,)),
                Command(f"systemctl status -n 0 {unit}",
                        ["systemctl", "status", "--no-pager", "-n", "0", unit], (3,))]
        n = self.rounds(200)
        s = self.measure(cmds, n, prefix=(os.path.join(ROOT, "tests", "bench", "why.sh"),))
        ratio = s[cmds[0].label].median / s[cmds[1].label].median
        self.goal("`preflight why UNIT` ≤ 1.0× `systemctl status UNIT`", f"{ratio:.2f}×",
                  ratio <= 1.0)
        self.table("why: a failed unit, against systemctl status",
                   "A test systemd 252 in namespaces, root on /run/systemd/private (no D-Bus "
                   "daemon), the unit failed in ExecStartPre= with one FAIL line in the journal. "
                   "Both read the unit over sd-bus and the journal: `preflight why` two GetAll "
                   "calls and the warning and error lines of the last invocation "
                   "(_SYSTEMD_INVOCATION_ID, and the manager's INVOCATION_ID lines); "
                   "`systemctl status` its properties and the unit's last 10 lines "
                   "(journalctl -u's matches). `-n 0`: systemctl status without the journal.",
                   s, cmds[1].label, n, base_name="systemctl status")
        self.remember_memory(s, cmds[0].label, cmds[1].label)

    def memory_table(self):
        lines = ["### Peak memory (max RSS)", "",
                 "Median of getrusage()'s ru_maxrss over the runs above. Counted from the "
                 "spawning process's own size (about 1 MiB, spawn_timer), so `/bin/true` "
                 "shows the floor.", "",
                 "| command | max RSS |", "| --- | ---: |"]
        for label, s in self.memory.items():
            lines.append(f"| `{label}` | {s.rss_median / 1024:.1f} MiB |")
        lines.append("")
        self.sections += lines

    def run(self):
        for name, section in (("startup", self.startup), ("host", self.host_settings),
                              ("dns", self.dns), ("exec", self.exec_check),
                              ("file", self.file_check), ("port", self.port),
                              ("redis", self.redis), ("mysql", self.mysql),
                              ("postgres", self.postgres)):
            if self.selected(name):
                section()
        if self.selected("http") or self.selected("deadlines"):
            _, words = self.children.start("http_server", ["python3", os.path.join(
                PEERS, "http_server.py"), "--port", "0"])
            if self.selected("http"):
                self.http(words[0])
            if self.selected("deadlines"):
                self.deadlines(words[0])
        if self.selected("parallel"):
            self.parallel()
        if self.selected("why"):
            self.why()
        if self.memory:
            self.memory_table()

    def selected(self, section):
        return self.only is None or section in self.only

    def report(self, started, load_before):
        version = subprocess.run(self.pf("--version"), capture_output=True,
                                 text=True).stdout.strip()
        header = ["## Performance", "",
                  f"`make bench` on {time.strftime('%Y-%m-%d')}: {version}, "
                  f"Linux {platform.release()}, {cpu_model()}, {os.cpu_count()} CPUs; "
                  f"load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after; "
                  f"{time.monotonic() - started:.0f} s in all. {tool_versions()}.", "",
                  "### Goals", "", "| goal | measured | met |", "| --- | --- | --- |"]
        for text, measured, met in self.goals:
            header.append(f"| {text} | {measured} | {'yes' if met else '**MISSED**'} |")
        header.append("")
        return "\n".join(header + self.sections)


SECTIONS = ("startup", "host", "dns", "exec", "file", "port", "redis", "mysql", "postgres",
            "http", "deadlines", "parallel", "why")
DEADLINE_CHECKS = ("tcp", "redis", "http", "mysql", "postgres")


def parse_only(text):
    """--only's list: (the sections to run, or None for all; the checks whose deadline rows to
    run, or None for all). A word it does not know is an error that names it."""
    if text is None:
        return None, None
    only, checks, every_row = set(), set(), False
    for word in text.split(","):
        word = word.strip()
        section, _, check = word.partition(".")
        if section not in SECTIONS or (check and (section != "deadlines"
                                                  or check not in DEADLINE_CHECKS)):
            raise ValueError(f"--only: unknown section {word!r} (sections: "
                             f"{', '.join(SECTIONS)}; deadlines.CHECK for CHECK in "
                             f"{', '.join(DEADLINE_CHECKS)})")
        only.add(section)
        if check:
            checks.add(check)
        elif section == "deadlines":
            every_row = True
    return only, (None if every_row or not checks else checks)


def die_with_parent():
    """In a child before exec: SIGTERM when the benchmark dies, even by SIGKILL, when its
    atexit cleanup cannot run; so no server or load outlives it."""
    if LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) != 0:
        os._exit(126)
    if os.getppid() != BENCH_PID:  # the benchmark is already gone
        os._exit(126)


def ms(value):
    return f"{value:.2f} ms"


def wait_ready(proc, timeout):
    """Reads proc's stdout until a line starting "ready"; its words, or None."""
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if not sel.select(end - time.monotonic()):
                return None
            line = proc.stdout.readline().decode(errors="replace")
            if not line:
                return None
            if line.startswith("ready"):
                return line.split()[1:]
    return None


def wait_redis(port, proc, timeout):
    end = time.monotonic() + timeout
    while time.monotonic() < end and proc.poll() is None:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                if s.recv(16).startswith(b"+PONG"):
                    return True
        except OSError:
            time.sleep(0.05)
    return False


PGBIN = "/usr/lib/postgresql/15/bin"


def free_port():
    """A TCP port below the ephemeral range, free on 0.0.0.0 and [::] right now."""
    for port in range(21000, 32000, 7):
        try:
            for family, addr in ((socket.AF_INET, "0.0.0.0"), (socket.AF_INET6, "::")):
                with socket.socket(family, socket.SOCK_STREAM) as s:
                    if family == socket.AF_INET6:
                        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                    s.bind((addr, port))
        except OSError:
            continue
        if port not in free_port.given:
            free_port.given.add(port)
            return port
    raise BenchError("no free TCP port between 21000 and 32000")


free_port.given = set()


def count_established():
    """ESTABLISHED entries in the kernel's TCP tables, as `ss -s` counts them."""
    r = subprocess.run(["ss", "-s"], capture_output=True, text=True)
    for line in r.stdout.splitlines():
        if line.startswith("TCP:") and "estab" in line:
            return int(line.split("estab")[1].split(",")[0])
    return 0


def redis_version():
    r = subprocess.run(["redis-server", "--version"], capture_output=True, text=True)
    for word in r.stdout.split():
        if word.startswith("v="):
            return word[2:]
    return "?"


def mariadb_version():
    r = subprocess.run(["mariadbd", "--version"], capture_output=True, text=True)
    words = r.stdout.split()
    return words[2] if len(words) > 2 else "?"


def tool_versions():
    def first_line(argv):
        try:
            r = subprocess.run(argv, capture_output=True, text=True)
            return (r.stdout or r.stderr).splitlines()[0].strip()
        except (OSError, IndexError):
            return "?"
    curl = first_line(["curl", "--version"]).split()[:2]
    ss = first_line(["ss", "-V"]).split()[-1]
    return f"ss {ss}, {first_line(['redis-cli', '-v'])}, {' '.join(curl)}"


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.machine()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preflight", required=True)
    parser.add_argument("--helpers", required=True)
    parser.add_argument("--markdown")
    parser.add_argument("--repeat", type=float, default=1.0)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--strict", action="store_true")
    parser.add_argument("--only", metavar="SECTION,...",
                        help="run these sections alone: " + ", ".join(SECTIONS) +
                        "; deadlines.CHECK runs only CHECK's deadline rows")
    args = parser.parse_args()
    if not 0 < args.repeat <= 100:
        parser.error("--repeat must be more than 0 and at most 100")
    try:
        parse_only(args.only)
    except ValueError as e:
        parser.error(str(e))
    for tool in ("ss", "redis-server", "redis-cli", "curl"):
        if not shutil.which(tool):
            sys.exit(f"bench: {tool} is missing (make deps, packaging/deps.sh, installs it)")

    bench = Bench(args)
    atexit.register(bench.cleanup)
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda signum, _: sys.exit(128 + signum))
    started, load_before = time.monotonic(), os.getloadavg()[0]
    try:
        bench.run()
    except BenchError as e:
        print(f"bench: {e}", file=sys.stderr)
        return 1
    text = bench.report(started, load_before)
    print(text)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(text + "\nReproduce: `make bench` (as root on Debian 12; it installs what it "
                    "lacks with apt-get); `make bench BENCH_REPEAT=3` for three times as many "
                    "runs of each.\n")
    missed = [g for g in bench.goals if not g[2]]
    if missed:
        print(f"bench: {len(missed)} goal(s) missed", file=sys.stderr)
    return 3 if missed and args.strict else 0


if __name__ == "__main__":
    sys.exit(main())
