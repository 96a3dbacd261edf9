"""kannel_util: the SMS side of the end-to-end tests.

A real Kannel on 127.0.0.1 (Debian's bearerbox and smsbox, and the fake
SMS centre of kannel-extras), started as three foreground processes in
the order Kannel wants, with ports from the ephemeral range and a
generated kannel.conf in a temporary directory, and stopped by their PIDs;
the SMS that reach the fake SMS centre, read back from its output.

Also the other channel of mgmtd, [sms] channel = exec: a capture script
that appends each SMS to a file (and fails on purpose while a flag file
exists), and tacode, which decodes a pair of access codes into the
credential they grant (tests/tools/tacode.c).
"""
import json
import os
import re
import signal
import socket
import stat
import subprocess
import time
import urllib.error
import urllib.request

from harness import free_port, prog, tmpdir

BEARERBOX = "/usr/sbin/bearerbox"
SMSBOX = "/usr/sbin/smsbox"
FAKESMSC = "/usr/lib/kannel/test/fakesmsc"
USER = "mgmtd-test"
PASSWORD = "pw-of-the-sendsms-user"
SENDER = "4930999000"

CODE2_RE = re.compile(r"Conference code 2: ([0-9A-Z-]+) valid until "
                      r"(\d{4}-\d\d-\d\d \d\d:\d\d) UTC")


def available():
    """Whether Kannel and its fake SMS centre are installed."""
    return all(os.access(p, os.X_OK) for p in (BEARERBOX, SMSBOX, FAKESMSC))


def _port_open(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


class Kannel:
    """bearerbox, fakesmsc and smsbox on 127.0.0.1, with fixed ports.

    The ports are chosen once, so that mgmtd can be configured for a
    Kannel that is not running yet, and the same Kannel started later.
    """

    def __init__(self, workdir=None):
        self.dir = workdir or tmpdir("kannel")
        self.admin = free_port()
        self.boxport = free_port()
        self.fakeport = free_port()
        self.sendsms = free_port()
        self.status_pw = "status-pw"
        self.conf = os.path.join(self.dir, "kannel.conf")
        self.fake_out = os.path.join(self.dir, "fakesmsc.out")
        self.procs = {}
        self.logs = []
        self.write_conf()

    def write_conf(self):
        d = self.dir
        text = """group = core
admin-port = %(admin)d
admin-interface = 127.0.0.1
admin-password = admin-pw
status-password = %(status)s
smsbox-port = %(box)d
smsbox-interface = 127.0.0.1
box-allow-ip = "127.0.0.1"
log-file = "%(d)s/bearerbox.log"
log-level = 0
access-log = "%(d)s/access.log"

group = smsc
smsc = fake
smsc-id = fake
host = 127.0.0.1
port = %(fake)d
connect-allow-ip = "127.0.0.1"

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = %(box)d
sendsms-port = %(sendsms)d
sendsms-interface = 127.0.0.1
global-sender = %(sender)s
log-file = "%(d)s/smsbox.log"
log-level = 0

group = sendsms-user
username = %(user)s
password = %(pw)s
user-allow-ip = "127.0.0.1"
concatenation = true

group = sms-service
keyword = default
text = "This number takes no messages."
""" % {"admin": self.admin, "status": self.status_pw, "box": self.boxport,
       "fake": self.fakeport, "sendsms": self.sendsms, "d": d,
       "sender": SENDER, "user": USER, "pw": PASSWORD}
        with open(self.conf, "w") as f:
            f.write(text)

    def status(self):
        """bearerbox's status.txt, or '' while it does not answer."""
        try:
            with urllib.request.urlopen(
                    "http://127.0.0.1:%d/status.txt?password=%s" % (
                        self.admin, self.status_pw), timeout=1) as r:
                return r.read().decode(errors="replace")
        except (OSError, urllib.error.URLError):
            return ""

    def _spawn(self, name, args):
        log = open(os.path.join(self.dir, name + ".out"), "ab")
        self.logs.append(log)
        self.procs[name] = subprocess.Popen(
            args, stdout=log, stderr=subprocess.STDOUT, cwd=self.dir)

    def _wait(self, pred, timeout, what):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, p in self.procs.items():
                if p.poll() is not None:
                    raise RuntimeError("%s exited with %s while waiting "
                                       "for %s" % (name, p.returncode, what))
            if pred():
                return
            time.sleep(0.05)
        raise RuntimeError("Kannel: no %s after %d s" % (what, timeout))

    def start(self, timeout=15):
        """Starts the three in order; raises when one does not come up."""
        self._spawn("bearerbox", [BEARERBOX, "-v", "1", self.conf])
        self._wait(lambda: "bearerbox" in self.status(), timeout,
                   "bearerbox status")
        # -m 0: send nothing; -v 0: received messages are debug lines.
        self._spawn("fakesmsc", [FAKESMSC, "-H", "127.0.0.1", "-r",
                                 str(self.fakeport), "-m", "0", "-v", "0",
                                 "100 200 text unused"])
        self._wait(lambda: "FAKE:%d (online" % self.fakeport in self.status(),
                   timeout, "fake SMS centre online")
        self._spawn("smsbox", [SMSBOX, "-v", "1", self.conf])
        self._wait(lambda: "smsbox:" in self.status() and
                   _port_open(self.sendsms), timeout, "smsbox")

    def stop(self, timeout=10):
        """SIGINT to bearerbox; the others follow.  Returns the statuses."""
        bb = self.procs.get("bearerbox")
        if bb is not None and bb.poll() is None:
            bb.send_signal(signal.SIGINT)
        deadline = time.monotonic() + timeout
        codes = {}
        for name, p in self.procs.items():
            try:
                codes[name] = p.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
                codes[name] = p.wait()
        self.procs = {}
        for log in self.logs:
            log.close()
        self.logs = []
        return codes

    def running(self):
        return bool(self.procs) and all(p.poll() is None
                                        for p in self.procs.values())

    def messages(self):
        """(receiver, text) of every SMS the fake SMS centre got."""
        try:
            with open(os.path.join(self.dir, "fakesmsc.out"), "rb") as f:
                out = f.read().decode(errors="replace")
        except OSError:
            return []
        got = []
        for m in re.finditer(r"Got message \d+: <(\S+) (\S+) text (.*)>$",
                             out, re.M):
            got.append((m.group(2), m.group(3)))
        return got

    def wait_messages(self, n, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.messages()
            if len(got) >= n:
                return got
            time.sleep(0.05)
        return self.messages()

    def log(self):
        out = []
        for name in ("bearerbox", "fakesmsc", "smsbox"):
            for suffix in (".out", ".log"):
                path = os.path.join(self.dir, name + suffix)
                if os.path.exists(path):
                    with open(path, "rb") as f:
                        out.append("== %s%s\n%s" % (
                            name, suffix,
                            f.read().decode(errors="replace")[-3000:]))
        return "\n".join(out)

    def ini(self, dlr_port=None, extra=""):
        """The [sms] section of a mgmtd that sends through this Kannel."""
        text = ("[sms]\nchannel = kannel\nkannel_address = 127.0.0.1\n"
                "kannel_port = %d\nkannel_username = %s\n"
                "kannel_password = %s\n" % (self.sendsms, USER, PASSWORD))
        if dlr_port:
            text += "dlr_address = 127.0.0.1\ndlr_port = %d\n" % dlr_port
        return text + extra


class Capture:
    """The command of [sms] channel = exec: appends each SMS to a file."""

    def __init__(self, workdir=None):
        self.dir = workdir or tmpdir("sms-capture")
        self.path = os.path.join(self.dir, "send-sms")
        self.out = os.path.join(self.dir, "sms.txt")
        # Each run is logged (time, argument count, pid) to calls.txt; the
        # flag files fail (exit 3) and slow (hang) make it misbehave.
        with open(self.path, "w") as f:
            f.write("#!/bin/sh\n"
                    "# The SMS of a test: '$1 TAB $2' appended to sms.txt.\n"
                    "d=$(dirname \"$0\")\n"
                    "echo \"$(date +%s.%N) $# $$\" >> \"$d/calls.txt\"\n"
                    "if [ -e \"$d/slow\" ]; then\n"
                    "\texec sleep 30\n"
                    "fi\n"
                    "if [ -e \"$d/fail\" ]; then\n"
                    "\techo 'send-sms: failing on purpose' >&2\n"
                    "\texit 3\n"
                    "fi\n"
                    "printf '%s\\t%s\\n' \"$1\" \"$2\" >> \"$d/sms.txt\"\n")
        os.chmod(self.path, stat.S_IRWXU)

    def _flag(self, name, on):
        path = os.path.join(self.dir, name)
        if on:
            open(path, "w").close()
        elif os.path.exists(path):
            os.unlink(path)

    def fail(self, on):
        """While on, the command exits with status 3."""
        self._flag("fail", on)

    def slow(self, on):
        """While on, the command hangs for 30 s."""
        self._flag("slow", on)

    def call_log(self):
        """(time, number of arguments, pid) of every run of the command."""
        try:
            with open(os.path.join(self.dir, "calls.txt")) as f:
                return [(float(a), int(b), int(c)) for a, b, c in
                        (line.split() for line in f if line.strip())]
        except OSError:
            return []

    def calls(self):
        """How many times the command ran."""
        return len(self.call_log())

    def messages(self):
        """(phone, text) of every SMS the command was given."""
        try:
            with open(self.out) as f:
                return [tuple(line.rstrip("\n").split("\t", 1))
                        for line in f if "\t" in line]
        except OSError:
            return []

    def wait_messages(self, n, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.messages()
            if len(got) >= n:
                return got
            time.sleep(0.02)
        return self.messages()

    def ini(self, extra=""):
        return "[sms]\nchannel = exec\ncommand = %s\n%s" % (self.path, extra)


def wait_for(get, pred, timeout=10, step=0.02):
    """Polls get() until pred holds of its value; the last value or None."""
    deadline = time.monotonic() + timeout
    while True:
        v = get()
        if pred(v):
            return v
        if time.monotonic() >= deadline:
            return None
        time.sleep(step)


def code2_of(text):
    """Code 2 in the text of an SMS, or None."""
    m = CODE2_RE.search(text or "")
    return m.group(1) if m else None


def tacode(*args):
    """Runs tacode; returns (exit status, its JSON or None, its output)."""
    p = subprocess.run([prog("tests/tacode")] + [str(a) for a in args],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = p.stdout.decode(errors="replace")
    try:
        js = json.loads(out.splitlines()[0]) if out else None
    except ValueError:
        js = None
    return p.returncode, js, out


def decode(code1, code2, now=None):
    """What a pair of codes grants (tacode decode), as a dict."""
    args = ["decode", code1, code2] + ([now] if now is not None else [])
    return tacode(*args)[1]
