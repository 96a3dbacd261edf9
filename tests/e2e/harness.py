"""harness: what the end-to-end tests share.

Starts the real daemons on 127.0.0.1 with generated configurations and
ephemeral ports, each with its own NOTIFY_SOCKET so that readiness is the
daemon's own READY=1, and stops them checking a clean exit.  Results are TAP
lines that tests/run counts.
"""
import atexit
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time

TOP = os.environ.get("TOP") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("BUILD") or os.path.join(TOP, "build")


class Tap:
    """Numbered TAP results; the plan is printed at the end."""

    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, name, diag=None):
        self.n += 1
        print("%s %d - %s" % ("ok" if cond else "not ok", self.n, name))
        if not cond:
            self.failed += 1
            if diag:
                for line in str(diag).rstrip().splitlines()[-40:]:
                    print("#   " + line)
        sys.stdout.flush()
        return cond

    def done(self):
        print("1..%d" % self.n)
        sys.exit(1 if self.failed else 0)


def free_port(kind=socket.SOCK_STREAM, family=socket.AF_INET):
    """A port the kernel just handed out; free again when returned."""
    with socket.socket(family, kind) as s:
        s.bind(("127.0.0.1" if family == socket.AF_INET else "::1", 0))
        return s.getsockname()[1]


def tmpdir(prefix):
    return tempfile.mkdtemp(prefix=prefix + ".")


# Daemons a test started and has not stopped: a test that dies half-way
# must not leave them running.
_running = set()


@atexit.register
def _stop_leftovers():
    for d in list(_running):
        d.kill()


class Daemon:
    """One mgmtd or confd process with its config and notify socket."""

    def __init__(self, prog, ini_text, workdir=None, env=None, args=()):
        self.prog = prog
        self.dir = workdir or tmpdir(prog)
        self.conf = os.path.join(self.dir, prog + ".ini")
        self.write_conf(ini_text)
        self.log_path = os.path.join(self.dir, prog + ".log")
        self.notify_path = os.path.join(self.dir, "notify.sock")
        self.env = dict(os.environ)
        self.env.update(env or {})
        self.args = list(args)
        self.prog_path = os.path.join(BUILD, prog)
        self.proc = None
        self.notify = None
        self.messages = []

    def write_conf(self, text):
        # CONFD_WORKERS=N runs every confd of a suite with N media threads
        # (tests/run build confd, once with the default and once with 1).
        workers = os.environ.get("CONFD_WORKERS")
        if (self.prog == "confd" and workers
                and not re.search(r"^\s*workers\s*=", text, re.M)):
            text += "\n[media]\nworkers = %s\n" % workers
        with open(self.conf, "w") as f:
            f.write(text)

    def start(self, wait_ready=True, timeout=15):
        if os.path.exists(self.notify_path):
            os.unlink(self.notify_path)
        # Notifications of an earlier run must not pass for this one's.
        self.messages = []
        self.notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.notify.bind(self.notify_path)
        env = dict(self.env)
        env["NOTIFY_SOCKET"] = self.notify_path
        self.logf = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [self.prog_path, "-d", "-f", self.conf]
            + self.args, stdout=self.logf, stderr=subprocess.STDOUT,
            env=env)
        _running.add(self)
        if wait_ready:
            return self.wait_notify("READY=1", timeout)
        return True

    def wait_notify(self, what, timeout=10):
        """Waits for a notify datagram holding the line what."""
        deadline = time.monotonic() + timeout
        for m in self.messages:
            if what in m.split("\n"):
                return True
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            self.notify.settimeout(max(0.01, min(0.2,
                                       deadline - time.monotonic())))
            try:
                data = self.notify.recv(4096).decode()
            except socket.timeout:
                continue
            self.messages.append(data)
            if what in data.split("\n"):
                return True
        return False

    def send(self, sig):
        self.proc.send_signal(sig)

    def stop(self, sig=signal.SIGTERM, timeout=5):
        """Stops the daemon; returns (exit status, seconds it took)."""
        _running.discard(self)
        if self.proc is None or self.proc.poll() is not None:
            return (self.proc.returncode if self.proc else None, 0.0)
        t0 = time.monotonic()
        self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        took = time.monotonic() - t0
        self.logf.close()
        if self.notify:
            self.notify.setblocking(False)
            try:
                while True:
                    self.messages.append(self.notify.recv(4096).decode())
            except (BlockingIOError, OSError):
                pass
            self.notify.close()
            self.notify = None
        return (rc, took)

    def kill(self):
        _running.discard(self)
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def wait_log(self, text, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.log():
                return True
            time.sleep(0.02)
        return False


def run(args, **kw):
    """Runs a program to completion; returns (status, stdout+stderr)."""
    p = subprocess.run(args, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, **kw)
    return p.returncode, p.stdout.decode(errors="replace")


def prog(name):
    return os.path.join(BUILD, name)
