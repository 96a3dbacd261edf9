"""confd_util: what the confd end-to-end tests share: a confd with rooms on
ephemeral ports, its /metrics, and tparty, the test participant program."""
import base64
import json
import os
import random
import re
import socket
import subprocess
import urllib.request

from harness import Daemon, free_port, prog


def new_key(n=30):
    return base64.b64encode(os.urandom(n)).decode()


def free_udp_port():
    """A UDP port free on both 127.0.0.1 and ::1."""
    while True:
        p = free_port(socket.SOCK_DGRAM)
        try:
            with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as s:
                s.bind(("::1", p))
            return p
        except OSError:
            continue


def udp_port_taken(port):
    """Whether some process holds UDP port on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.bind(("127.0.0.1", port))
            return False
        except OSError:
            return True


def free_udp_range(n=20):
    """n consecutive UDP ports that are free now: a confd's port range."""
    while True:
        base = random.randrange(42000, 60000 - n)
        if not any(udp_port_taken(p) for p in range(base, base + n)):
            return base, base + n - 1


class Confd(Daemon):
    """A confd with the given rooms: {name: {"port":, "key":, ...}}."""

    def __init__(self, rooms, extra="", level="info", server_id="test"):
        self.metrics_port = free_port()
        self.rooms = rooms
        text = ("[general]\nlog_level = %s\nserver_id = %s\n"
                "[media]\nipv4 = 127.0.0.1\nipv6 = ::1\n%s\n"
                "[metrics]\nport = %d\n"
                % (level, server_id, extra, self.metrics_port))
        for name, r in rooms.items():
            text += "[room %s]\n" % name
            for k, v in r.items():
                text += "%s = %s\n" % (k, v)
        Daemon.__init__(self, "confd", text)

    def metrics(self):
        """{(name, frozenset(labels)): value} from /metrics."""
        url = "http://127.0.0.1:%d/metrics" % self.metrics_port
        with urllib.request.urlopen(url, timeout=5) as r:
            text = r.read().decode()
        out = {}
        for line in text.splitlines():
            if not line or line.startswith("#"):
                continue
            m = re.match(r'^([a-z_]+)(?:\{(.*)\})? (\S+)$', line)
            if not m:
                raise ValueError("bad metrics line: " + line)
            labels = frozenset(re.findall(r'(\w+)="([^"]*)"', m.group(2) or ""))
            out[(m.group(1), labels)] = float(m.group(3))
        return out

    def metric(self, name, **labels):
        return self.metrics().get((name, frozenset(labels.items())), 0.0)


def tparty(port, key, parties, seconds, addr="127.0.0.1", args=(),
           timeout=120):
    """Runs tparty; returns ({ssrc: result}, exit status, output)."""
    cmd = [prog("tests/tparty"), "-a", addr, "-p", str(port), "-k", key,
           "-d", str(seconds)] + list(args)
    cmd += ["%d:%d" % (s, f) for s, f in parties]
    return _tparty_run(cmd, timeout)


def _tparty_run(cmd, timeout):
    """Runs a tparty command line; ({ssrc: result}, status, output)."""
    return tparty_wait(subprocess.Popen(cmd, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE), timeout)


def tparty_booked(port, parties, seconds, timeout=60):
    """Runs tparty with keys of their own: parties are (ssrc, freq,
    key_up, key_down); returns ({ssrc: result}, exit status, output)."""
    cmd = [prog("tests/tparty"), "-a", "127.0.0.1", "-p", str(port),
           "-d", str(seconds)] + ["%d:%d:%s:%s" % p for p in parties]
    return _tparty_run(cmd, timeout)


def tparty_start(port, key, parties, seconds, addr="127.0.0.1", args=()):
    """Starts tparty in the background; tparty_wait() collects it."""
    cmd = [prog("tests/tparty"), "-a", addr, "-p", str(port), "-k", key,
           "-d", str(seconds)] + list(args)
    cmd += ["%d:%d" % (s, f) for s, f in parties]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)


def tparty_wait(p, timeout=120):
    out, err = p.communicate(timeout=timeout)
    res = {}
    for line in out.decode().splitlines():
        if line.startswith("{"):
            j = json.loads(line)
            res[j["ssrc"]] = j
    return res, p.returncode, out.decode() + err.decode()


def hears(result, freq, others_min=0.08):
    return result["ratios"].get(str(freq), 0.0) >= others_min


def wait_metric(cd, pred, name, timeout=2.0, **labels):
    """Polls a metric until pred(value) holds; returns the last value."""
    import time
    deadline = time.monotonic() + timeout
    while True:
        v = cd.metric(name, **labels)
        if pred(v) or time.monotonic() > deadline:
            return v
        time.sleep(0.05)
