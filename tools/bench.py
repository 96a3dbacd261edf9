#!/usr/bin/env python3
"""bench: how many participants confd mixes on one core (`make bench`).

Starts the release build/confd pinned to core 0 (taskset -c 0) with
standalone rooms on consecutive ports, and drives it with build/tests/tload
pinned to core 1: real SRTP-protected Opus at 50 packets a second per
participant, with a talk pattern of mostly one speaker per conference (see
tests/tools/tload.c).  For each conference size it raises the number of
participants (doubling, guided by the CPU used, then bisecting) until confd
no longer keeps up: more than 0.1 % of packets lost in either direction, or
a mixing delay p99 over 20 ms (confd's own confd_mix_delay_ms histogram,
from two scrapes of /metrics around the measured window).  At 80 % of the
largest load it kept up with, a fresh confd is measured again for CPU per
participant, delay, loss and memory.  Then 1,000s of idle rooms (their CPU
must be nil), then mgmtd's figures if build/tests/bench_mgmtd exists.
BENCH_WORKERS=2 runs confd with two media threads ([media] workers), and
by default lets it and the load generator share every core: on a machine
of two cores that is the capacity of the machine, load included.

Environment (defaults in brackets; BENCH_QUICK=1 makes a run of about two
minutes):
  BENCH_SIZES      conference sizes [5,10,50]
  BENCH_GCM_SIZE   size measured again with AEAD_AES_128_GCM, 0: none [10]
  BENCH_SECONDS    measured window of a step [10; quick 3]
  BENCH_WARMUP     warm-up before it [2; quick 1]
  BENCH_START      participants of the first step [200; quick 400]
  BENCH_MAX        most participants tried [4000]
  BENCH_RES        bisection stops within this fraction [0.05; quick 0.2]
  BENCH_LOSS_MAX   loss that fails a step, % [0.1]
  BENCH_DELAY_MAX  mixing delay p99 that fails a step, ms [20]
  BENCH_COVERAGE_MIN  mixes received per frame in which another member
                   talked, below which a step fails [0.98]
  BENCH_MGMTD_TIMEOUT  seconds bench_mgmtd may take [240; quick 60]
  BENCH_MGMTD      0: leave mgmtd's figures out [1]
  BENCH_BUSY_PCT   share of a core other processes may take before a step
                   is disturbed [10]
  BENCH_QUIET_WAIT seconds to wait for a quiet machine before a step
                   [30; quick 5]
  BENCH_RETRIES    runs again of a failing step, which fails only when
                   every run does [1; quick 0]
  BENCH_RT         who runs SCHED_FIFO (chrt -f 50): load, the load
                   generator, whose timing must not depend on the
                   scheduler; all, confd too, shielded from the other
                   processes of a shared machine; 0, neither [load]
  BENCH_PHASES     room: a conference's participants send together, each
                   conference at its own phase of the 20 ms period;
                   participant: each participant at its own phase [room]
  BENCH_IDLE_ROOMS idle rooms [10000; quick 1000]
  BENCH_IDLE_SECONDS how long they are watched [10; quick 5]
  BENCH_PORT       first room port, below the ephemeral range [20000]
  BENCH_WORKERS    confd's media threads, [media] workers [1]
  BENCH_CONFD_CPU, BENCH_LOAD_CPU  cores of confd and tload, as taskset
                   -c takes them [0 and 1; with BENCH_WORKERS above 1,
                   every core for both: on a machine of two cores confd's
                   workers and the load generator share them]
  BENCH_OUT        directory of the logs and results.json [build/bench]
"""
import base64
import json
import math
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
BUILD = os.path.join(TOP, "build")
CONFD = os.path.join(BUILD, "confd")
TLOAD = os.path.join(BUILD, "tests", "tload")
BENCH_MGMTD = os.path.join(BUILD, "tests", "bench_mgmtd")
HZ = os.sysconf("SC_CLK_TCK")
QUICK = os.environ.get("BENCH_QUICK", "") not in ("", "0")


def env(name, default, quick=None, kind=int):
    if name in os.environ and os.environ[name] != "":
        return kind(os.environ[name])
    return quick if QUICK and quick is not None else default


SIZES = [int(s) for s in
         os.environ.get("BENCH_SIZES", "5,10,50").split(",") if s]
GCM_SIZE = env("BENCH_GCM_SIZE", 10)
SECONDS = env("BENCH_SECONDS", 10, 3, float)
WARMUP = env("BENCH_WARMUP", 2, 1, float)
START = env("BENCH_START", 200, 400)
MAXP = env("BENCH_MAX", 4000)
RES = env("BENCH_RES", 0.05, 0.2, float)
LOSS_MAX = env("BENCH_LOSS_MAX", 0.1, None, float)
DELAY_MAX = env("BENCH_DELAY_MAX", 20, None, float)
COVERAGE_MIN = env("BENCH_COVERAGE_MIN", 0.98, None, float)
MGMTD_TIMEOUT = env("BENCH_MGMTD_TIMEOUT", 240, 60, float)
MGMTD = env("BENCH_MGMTD", 1)
BUSY_PCT = env("BENCH_BUSY_PCT", 10, None, float)
QUIET_WAIT = env("BENCH_QUIET_WAIT", 30, 5, float)
RETRIES = env("BENCH_RETRIES", 1, 0)
# Real-time priority shields confd and the load from other processes on a
# shared machine; the kernel still leaves those 5 % of each core.
RT_MODE = os.environ.get("BENCH_RT", "load")
RT_LOAD = ["chrt", "-f", "50"] if RT_MODE in ("load", "all", "1") else []
RT = ["chrt", "-f", "50"] if RT_MODE in ("all", "1") else []
OWN_PHASE = os.environ.get("BENCH_PHASES", "room") == "participant"
IDLE_ROOMS = env("BENCH_IDLE_ROOMS", 10000, 1000)
IDLE_SECONDS = env("BENCH_IDLE_SECONDS", 10, 5, float)
PORT = env("BENCH_PORT", 20000)
WORKERS = env("BENCH_WORKERS", 1)
ALL_CPUS = "0-%d" % ((os.cpu_count() or 1) - 1)
CONFD_CPU = os.environ.get("BENCH_CONFD_CPU") or (
    "0" if WORKERS == 1 else ALL_CPUS)
LOAD_CPU = os.environ.get("BENCH_LOAD_CPU") or (
    "1" if WORKERS == 1 else ALL_CPUS)
# Absolute: sd_notify() ignores a NOTIFY_SOCKET that is a relative path.
OUT = os.path.abspath(os.environ.get("BENCH_OUT") or
                      os.path.join(BUILD, "bench"))

SUITES = {"AES_CM_128_HMAC_SHA1_80": 30, "AEAD_AES_128_GCM": 28}


def say(text=""):
    print(text, flush=True)


def free_tcp_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ports_free(base, n):
    """Whether UDP ports base..base+n-1 can be bound on 127.0.0.1."""
    socks = []
    try:
        for p in range(base, base + n):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            socks.append(s)
            s.bind(("127.0.0.1", p))
        return True
    except OSError:
        return False
    finally:
        for s in socks:
            s.close()


def proc_cpu_s(pid):
    """utime + stime of a process, in seconds."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / HZ


def proc_rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def cpu_set(spec):
    """The cores of a taskset -c list: "0", "0,1", "0-3"."""
    out = set()
    for part in str(spec).split(","):
        lo, _, hi = part.partition("-")
        out.update(range(int(lo), int(hi or lo) + 1))
    return out


def core_busy_s(spec):
    """Seconds the cores of spec were busy with anything, from /proc/stat."""
    cores = cpu_set(spec)
    total = 0.0
    with open("/proc/stat") as f:
        for line in f:
            name = line.split(" ", 1)[0]
            if name[3:].isdigit() and int(name[3:]) in cores:
                v = [int(x) for x in line.split()[1:]]
                # user nice system idle iowait irq softirq steal
                total += (v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / HZ
    return total


# When confd and the load share cores, what others took is counted once,
# over all of them, net of both.
SHARED = bool(cpu_set(CONFD_CPU) & cpu_set(LOAD_CPU))
# The cores confd's CPU alone could fill: its workers', at most its own.
CONFD_CORES = min(WORKERS, len(cpu_set(CONFD_CPU)))


def udp_drops(lo, hi):
    """Datagrams the kernel dropped at sockets bound to ports lo..hi-1."""
    total = 0
    for path in ("/proc/net/udp", "/proc/net/udp6"):
        try:
            with open(path) as f:
                next(f)
                for line in f:
                    c = line.split()
                    port = int(c[1].rsplit(":", 1)[1], 16)
                    if lo <= port < hi:
                        total += int(c[-1])
        except OSError:
            pass
    return total


def new_key(suite):
    return base64.b64encode(os.urandom(SUITES[suite])).decode()


class Confd:
    """A release confd on core CONFD_CPU with n standalone rooms."""

    def __init__(self, name, nrooms, size, suite, key):
        self.dir = os.path.join(OUT, name)
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(self.dir)
        self.nrooms = nrooms
        self.metrics_port = free_tcp_port()
        self.base = PORT
        while not ports_free(self.base, nrooms):
            self.base += 97
            if self.base + nrooms > 32768:
                sys.exit("bench: no %d free UDP ports below 32768" % nrooms)
        # info: one line per participant that leaves, with its buffer.
        text = ["[general]\nlog_level = info\nserver_id = bench\n"
                "[media]\nipv4 = 127.0.0.1\nipv6 =\nidle_timeout = 3s\n"
                "max_rooms = %d\nmax_total_participants = 1000000\n"
                "workers = %d\n"
                "[metrics]\nport = %d\n" % (max(nrooms, 1), WORKERS,
                                             self.metrics_port)]
        for i in range(nrooms):
            text.append("[room b%d]\nport = %d\ncapacity = %d\nsuite = %s\n"
                        "key = %s\n" % (i, self.base + i, size, suite, key))
        self.conf = os.path.join(self.dir, "confd.ini")
        with open(self.conf, "w") as f:
            f.write("".join(text))
        self.proc = None

    def start(self, timeout=120):
        notify_path = os.path.join(self.dir, "notify.sock")
        if os.path.exists(notify_path):
            os.unlink(notify_path)
        notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        notify.bind(notify_path)
        t0 = time.monotonic()
        self.log = open(os.path.join(self.dir, "confd.log"), "ab")
        self.proc = subprocess.Popen(
            ["taskset", "-c", CONFD_CPU] + RT + [CONFD, "-d", "-f",
                                                      self.conf],
            stdout=self.log, stderr=subprocess.STDOUT,
            env=dict(os.environ, NOTIFY_SOCKET=notify_path))
        try:
            while time.monotonic() - t0 < timeout:
                if self.proc.poll() is not None:
                    break
                notify.settimeout(0.2)
                try:
                    data = notify.recv(4096).decode()
                except socket.timeout:
                    continue
                if "READY=1" in data.split("\n"):
                    self.ready_s = time.monotonic() - t0
                    return True
            return False
        finally:
            notify.close()

    @property
    def pid(self):
        return self.proc.pid

    def metrics(self):
        """{(name, labels string): value} of the lines per room and per
        process; the lines per participant are skipped, cheaply, since
        this runs on the load generator's core."""
        url = "http://127.0.0.1:%d/metrics" % self.metrics_port
        t0 = time.monotonic()
        with urllib.request.urlopen(url, timeout=30) as r:
            text = r.read().decode()
        self.scrape_ms = 1000 * (time.monotonic() - t0)
        self.scrape_kib = len(text) / 1024
        out = {}
        for line in text.splitlines():
            if not line or line[0] == "#" or 'ssrc="' in line:
                continue
            m = re.match(r'^([a-zA-Z_:]+)(\{[^}]*\})? (\S+)$', line)
            if m:
                out[(m.group(1), m.group(2) or "")] = float(m.group(3))
        return out

    def stop(self):
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


def room_sum(m, name):
    """The sum of a family's per-room lines (not its per-SSRC lines)."""
    return sum(v for (n, lab), v in m.items()
               if n == name and "room=" in lab and "ssrc=" not in lab)


def histogram(m, name):
    """[(upper bound, cumulative count)] of a Prometheus histogram."""
    out = []
    for (n, lab), v in m.items():
        if n == name + "_bucket":
            le = re.search(r'le="([^"]*)"', lab).group(1)
            out.append((math.inf if le == "+Inf" else float(le), v))
    return sorted(out)


def quantile(before, after, q):
    """The q-quantile of what a histogram counted between two scrapes,
    interpolated linearly within its bucket, as Prometheus does."""
    if not after:
        return None
    b = dict(before)
    diff = [(le, c - b.get(le, 0)) for le, c in after]
    total = diff[-1][1]
    if total <= 0:
        return None
    rank = q * total
    prev_le, prev_c = 0.0, 0.0
    for le, c in diff:
        if c >= rank:
            if math.isinf(le):
                return prev_le          # beyond the last bound: at least
            if c == prev_c:
                return le
            return prev_le + (le - prev_le) * (rank - prev_c) / (c - prev_c)
        prev_le, prev_c = le, c
    return prev_le


class Snapshot:
    """What is read of confd and the machine at one edge of the window."""

    def __init__(self, cd, first):
        # The scrape's own work stays outside the window: scrape, then
        # clocks at the start; clocks, then scrape at the end.
        if first:
            self.m = cd.metrics()
        self.t = time.monotonic()
        self.cpu = proc_cpu_s(cd.pid)
        self.core = core_busy_s(CONFD_CPU)
        self.lcore = core_busy_s(LOAD_CPU)
        self.rss = proc_rss_kib(cd.pid)
        self.drops = udp_drops(cd.base, cd.base + cd.nrooms)
        if not first:
            self.m = cd.metrics()


class Bench:
    def __init__(self):
        self.salt = 0
        self.results = {"machine": machine(), "quick": QUICK,
                        "seconds": SECONDS, "warmup": WARMUP, "configs": []}

    def step(self, cd, size, suite, key, n):
        """A run of n participants, on a quiet machine if one comes soon.
        A step that fails runs again, up to RETRIES times, and fails only
        if every run does: one stall of a shared machine must not end the
        search."""
        for attempt in range(RETRIES + 1):
            # Under SCHED_FIFO others only get the time we leave.
            quiet = RT or wait_quiet(QUIET_WAIT)
            r = self.run_step(cd, size, suite, key, n)
            r["disturbed"] = not RT and (
                r["others_on_core_pct"] >= BUSY_PCT or
                r["others_on_load_core_pct"] >= BUSY_PCT)
            r["attempt"] = attempt + 1
            if not r["fail"]:
                break
            if attempt < RETRIES:
                say("    (again%s)" % (
                    "" if not r["disturbed"] else
                    ": other processes were busy" if quiet else
                    ": other processes had been busy for %.0f s"
                    % QUIET_WAIT))
        return r

    def run_step(self, cd, size, suite, key, n):
        """One run of n participants; returns the figures of its window."""
        # The previous run's participants said BYE: wait for them to go.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if room_sum(cd.metrics(), "confd_participants") == 0:
                break
            time.sleep(0.2)
        self.salt = (self.salt + 1) % 2048
        cmd = ["taskset", "-c", LOAD_CPU] + RT_LOAD + [
               TLOAD, "-a", "127.0.0.1",
               "-p", str(cd.base), "-r", str(cd.nrooms), "-S", str(size),
               "-P", str(n), "-k", key, "-s", suite, "-d", str(SECONDS),
               "-w", str(WARMUP), "-x", str(self.salt)] + (
                   ["-o"] if OWN_PHASE else [])
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        a = b = res = None
        for line in p.stdout:
            line = line.strip()
            if line == "measure start":
                a = Snapshot(cd, True)
            elif line == "measure end":
                b = Snapshot(cd, False)
            elif line.startswith("{"):
                res = json.loads(line)
        err = p.stderr.read()
        p.wait()
        if p.returncode != 0 or a is None or b is None or res is None:
            sys.exit("bench: tload failed (status %s): %s"
                     % (p.returncode, err.strip()))
        if cd.proc.poll() is not None:
            sys.exit("bench: confd exited; see %s" % cd.dir)
        dt = b.t - a.t
        cpu = 100 * (b.cpu - a.cpu) / dt
        h0 = histogram(a.m, "confd_mix_delay_ms")
        h1 = histogram(b.m, "confd_mix_delay_ms")
        w0 = histogram(a.m, "confd_work_delay_ms")
        w1 = histogram(b.m, "confd_work_delay_ms")
        up_lost = (room_sum(b.m, "confd_lost_total")
                   - room_sum(a.m, "confd_lost_total"))
        if SHARED:
            others = max(0.0, 100 * (b.core - a.core) / dt - cpu
                         - res["cpu_pct"])
            others_load = others
        else:
            others = max(0.0, 100 * (b.core - a.core) / dt - cpu)
            others_load = max(0.0, 100 * (b.lcore - a.lcore) / dt
                              - res["cpu_pct"])
        r = {
            "participants": n, "size": size, "suite": suite,
            "workers": WORKERS,
            "cpu_pct": cpu, "cpu_per_part": cpu / n,
            "others_on_core_pct": others,
            "others_on_load_core_pct": others_load,
            "p50": quantile(h0, h1, 0.5), "p99": quantile(h0, h1, 0.99),
            # The tick's own work: frames taken to the last packet sent.
            "work_p50": quantile(w0, w1, 0.5),
            "work_p99": quantile(w0, w1, 0.99),
            "has_delay": bool(h1),
            "delay_hist": [[le if not math.isinf(le) else "+Inf",
                            c - dict(h0).get(le, 0)] for le, c in h1],
            "down_loss_pct": res["loss_pct"],
            "up_lost": up_lost,
            "up_loss_pct": 100 * up_lost / max(1, res["sent"]),
            "confd_rx": room_sum(b.m, "confd_packets_received_total")
            - room_sum(a.m, "confd_packets_received_total"),
            "confd_late": room_sum(b.m, "confd_late_total")
            - room_sum(a.m, "confd_late_total"),
            "confd_drops": b.drops - a.drops,
            "ticks_late": b.m.get(("confd_ticks_late_total", ""), 0)
            - a.m.get(("confd_ticks_late_total", ""), 0),
            "rss_kib": b.rss,
            "scrape_ms": cd.scrape_ms, "scrape_kib": cd.scrape_kib,
            "tload": res,
        }
        r["loss_pct"] = max(r["down_loss_pct"], r["up_loss_pct"])
        r["gen_limited"] = (res["skipped"] > 0 or res["cpu_pct"] > 90 or
                            res["late_10ms"] > 0.01 * res["sent"] / size)
        r["audio_ok"] = res["check_ok"] == res["checked"]
        why = []
        if r["loss_pct"] > LOSS_MAX:
            why.append("loss %.3f %%" % r["loss_pct"])
        # Ticks confd skips lose audio without a gap in sequence numbers:
        # the mixes that came fall short of the frames others talked in
        # (the ends of turns, mixed while a speaker is held, add ~1 %).
        if res["coverage"] < COVERAGE_MIN:
            why.append("mixes missing (%.1f %% of frames with a talker)"
                       % (100 * res["coverage"]))
        if r["p99"] is not None and r["p99"] > DELAY_MAX:
            why.append("delay p99 %.1f ms" % r["p99"])
        if res["auth_fail"] > 0:
            why.append("%d auth failures" % res["auth_fail"])
        if not r["audio_ok"]:
            why.append("audio check %d/%d" % (res["check_ok"],
                                              res["checked"]))
        r["fail"] = why
        say("  %5d participants: confd %5.1f %% CPU (%.3f %%/part), "
            "delay p50 %s p99 %s ms (work p99 %s), loss down %.3f %% "
            "up %.3f %%, audio %d/%d, tload %.0f %% CPU%s%s%s"
            % (n, cpu, cpu / n, fmt(r["p50"]), fmt(r["p99"]),
               fmt(r["work_p99"]), r["down_loss_pct"], r["up_loss_pct"],
               res["check_ok"], res["checked"], res["cpu_pct"],
               busy(r),
               " [load generator limited]" if r["gen_limited"] else "",
               " -> FAIL: " + ", ".join(why) if why else " -> ok"))
        return r

    def config(self, size, suite):
        """The search for one conference size and suite."""
        say("conferences of %d, %s" % (size, suite))
        key = new_key(suite)
        nrooms = (MAXP + size - 1) // size
        name = "s%d-%s" % (size, "gcm" if "GCM" in suite else "cm")
        cd = Confd(name, nrooms, size, suite, key)
        if not cd.start():
            sys.exit("bench: confd did not start; see %s" % cd.dir)
        steps = []
        try:
            lo, hi = 0, None
            n = max(size, START // size * size)
            while True:
                r = self.step(cd, size, suite, key, n)
                steps.append(r)
                # A load the generator could not keep up with says
                # nothing of confd, unless confd was saturated as well.
                if r["gen_limited"] and (not r["fail"] or
                                         r["cpu_pct"] < 90):
                    say("  the load generator cannot go further")
                    hi = None
                    if not r["fail"]:
                        lo = n
                    break
                if r["fail"]:
                    hi = n
                else:
                    lo = n
                if hi is None:
                    if n >= MAXP:
                        break
                    # Double, or less when the CPU says the end is near.
                    grow = 2.0
                    if r["cpu_pct"] > 0:
                        grow = min(2.0, max(1.25, 95.0 / r["cpu_pct"]))
                    n = min(MAXP, max(n + size,
                                      int(n * grow) // size * size))
                    continue
                if hi - lo <= max(size, lo * RES):
                    break
                n = (lo + hi) // 2 // size * size
                if n <= lo:
                    break
        finally:
            cd.stop()
        out = {"size": size, "suite": suite, "max": lo, "limit_found":
               hi is not None, "steps": steps}
        if lo == 0:
            say("  %s even %d participants" % (
                "confd did not keep up with" if hi is not None else
                "the load generator could not drive", n))
            self.results["configs"].append(out)
            return out
        # A fresh confd at 80 %: CPU, delay and memory idle and loaded.
        n80 = max(size, int(0.8 * lo) // size * size)
        say("  at 80 %% of %d: %d participants, fresh confd" % (lo, n80))
        cd = Confd(name + "-80", nrooms, size, suite, key)
        if not cd.start():
            sys.exit("bench: confd did not start; see %s" % cd.dir)
        try:
            time.sleep(1)
            idle = proc_rss_kib(cd.pid)
            r = self.step(cd, size, suite, key, n80)
        finally:
            cd.stop()
        r["rss_idle_kib"] = idle
        r["rss_delta_kib"] = r["rss_kib"] - idle
        r["kib_per_part"] = r["rss_delta_kib"] / n80
        r["conferences"] = (n80 + size - 1) // size
        r["kib_per_conf"] = r["rss_delta_kib"] / r["conferences"]
        out["at80"] = r
        self.results["configs"].append(out)
        return out

    def idle(self):
        """Booked-but-idle rooms: as many INI rooms, their CPU over time."""
        for nrooms in sorted({IDLE_ROOMS, 1000}, reverse=True):
            say("%d idle rooms" % nrooms)
            cd = Confd("idle-%d" % nrooms, nrooms, 10,
                       "AES_CM_128_HMAC_SHA1_80",
                       new_key("AES_CM_128_HMAC_SHA1_80"))
            if not cd.start(timeout=120):
                cd.stop()
                say("  confd did not start with %d rooms; see %s"
                    % (nrooms, cd.dir))
                continue
            try:
                time.sleep(1)
                c0, t0 = proc_cpu_s(cd.pid), time.monotonic()
                time.sleep(IDLE_SECONDS)
                c1, t1 = proc_cpu_s(cd.pid), time.monotonic()
                rss = proc_rss_kib(cd.pid)
            finally:
                cd.stop()
            r = {"rooms": nrooms, "ready_s": cd.ready_s, "seconds": t1 - t0,
                 "cpu_pct": 100 * (c1 - c0) / (t1 - t0), "rss_kib": rss}
            say("  ready in %.2f s, %.3f %% CPU over %.0f s, RSS %d KiB "
                "(%.1f KiB per room)" % (r["ready_s"], r["cpu_pct"],
                                         r["seconds"], rss, rss / nrooms))
            self.results["idle"] = r
            return r
        return None


def wait_quiet(limit, cpus=None, busy_pct=None):
    """Waits until other processes leave both cores (confd's and the load
    generator's, or cpus) nearly idle, a second under busy_pct (BUSY_PCT)
    each, at most limit seconds; whether they did."""
    cpus = cpus if cpus is not None else (CONFD_CPU, LOAD_CPU)
    pct = busy_pct if busy_pct is not None else BUSY_PCT
    deadline = time.monotonic() + limit
    while True:
        b0, t0 = [core_busy_s(c) for c in cpus], time.monotonic()
        time.sleep(1)
        dt = time.monotonic() - t0
        if all(100 * (core_busy_s(c) - b) / dt < pct
               for c, b in zip(cpus, b0)):
            return True
        if time.monotonic() >= deadline:
            return False


def busy(r):
    """A warning when other processes took a share of the cores."""
    out = ""
    if r["others_on_core_pct"] >= BUSY_PCT / 2:
        out += ", others on core %s: %.0f %%" % (CONFD_CPU,
                                                 r["others_on_core_pct"])
    if r["others_on_load_core_pct"] >= BUSY_PCT / 2 and not SHARED:
        out += ", others on core %s: %.0f %%" % (
            LOAD_CPU, r["others_on_load_core_pct"])
    return out


def run_mgmtd():
    """Runs bench_mgmtd, printing what it says as it says it."""
    d = tempfile.mkdtemp(prefix="bench_mgmtd.", dir="/var/tmp")
    p = subprocess.Popen([BENCH_MGMTD, d], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True)
    lines, deadline = [], time.monotonic() + MGMTD_TIMEOUT
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                p.kill()
                p.wait()
                say("  stopped after %.0f s (BENCH_MGMTD_TIMEOUT)"
                    % MGMTD_TIMEOUT)
                return {"status": None, "output": "\n".join(lines)}
            ready, _, _ = select.select([p.stdout], [], [], min(left, 1))
            if not ready:
                continue
            line = p.stdout.readline()
            if line == "":
                break
            lines.append(line.rstrip("\n"))
            say("  " + lines[-1])
        p.wait()
        if p.returncode != 0:
            say("  bench_mgmtd exited with status %d" % p.returncode)
        return {"status": p.returncode, "output": "\n".join(lines)}
    finally:
        shutil.rmtree(d, ignore_errors=True)


def fmt(v, spec="%.1f"):
    return "-" if v is None else spec % v


def machine():
    model = ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    vers = {}
    for pkg in ("opus", "libsrtp2", "libevent"):
        try:
            vers[pkg] = subprocess.run(
                ["pkg-config", "--modversion", pkg], capture_output=True,
                text=True).stdout.strip()
        except OSError:
            pass
    try:
        rev = subprocess.run(["git", "-C", TOP, "describe", "--always",
                              "--dirty"], capture_output=True,
                             text=True).stdout.strip()
    except OSError:
        rev = ""
    return {"cpus": os.cpu_count(), "model": model,
            "kernel": os.uname().release, "versions": vers, "source": rev,
            "confd_built": time.strftime(
                "%Y-%m-%d %H:%M:%S", time.localtime(os.path.getmtime(CONFD)))}


def fit_memory(configs):
    """KiB per participant and per conference, by least squares over the
    80 % runs: delta = a * participants + b * conferences."""
    pts = [(c["at80"]["participants"], c["at80"]["conferences"],
            c["at80"]["rss_delta_kib"]) for c in configs if "at80" in c]
    if len(pts) < 2:
        return None
    spp = sum(p * p for p, _, _ in pts)
    src = sum(p * r for p, r, _ in pts)
    srr = sum(r * r for _, r, _ in pts)
    spy = sum(p * y for p, _, y in pts)
    sry = sum(r * y for _, r, y in pts)
    det = spp * srr - src * src
    if abs(det) < 1e-9:
        return None
    return ((spy * srr - sry * src) / det, (spp * sry - src * spy) / det)


def table(res):
    say()
    say("confd with %d worker%s on core %s, load generator on core %s; "
        "%.0f s windows after %.0f s of warm-up"
        % (WORKERS, "" if WORKERS == 1 else "s", CONFD_CPU, LOAD_CPU,
           SECONDS, WARMUP))
    say("limit: loss > %.2f %% either way, or mixing delay p99 > %.0f ms"
        % (LOSS_MAX, DELAY_MAX))
    say()
    hdr = ("%-4s %-24s %9s %6s %10s %8s %8s %8s %9s %9s %9s"
           % ("size", "suite", "max/core" if WORKERS == 1 else "max",
              "at 80%", "CPU %/part",
              "CPU-only", "p50 ms", "p99 ms", "loss %", "KiB/part",
              "KiB/conf"))
    say(hdr)
    say("-" * len(hdr))
    for c in res["configs"]:
        a = c.get("at80")
        mx = ("%d" % c["max"]) + ("" if c["limit_found"] else "+")
        if any(st.get("disturbed") for st in
               c["steps"] + ([a] if a else [])):
            mx += "*"
        if a is None:
            say("%-4d %-24s %9s" % (c["size"], c["suite"], mx))
            continue
        say("%-4d %-24s %9s %6d %10.3f %8d %8s %8s %9.3f %9.1f %9.1f"
            % (c["size"], c["suite"], mx, a["participants"],
               a["cpu_per_part"], 100 * CONFD_CORES / a["cpu_per_part"],
               fmt(a["p50"]),
               fmt(a["p99"]), a["loss_pct"], a["kib_per_part"],
               a["kib_per_conf"]))
    f = res.get("memory_fit")
    if f:
        say()
        say("memory, fitted over the 80 %% runs: %.1f KiB per participant "
            "+ %.1f KiB per active conference" % f)
    i = res.get("idle")
    if i:
        say("idle: %d rooms declared, %.3f %% CPU over %.0f s, RSS %d KiB"
            % (i["rooms"], i["cpu_pct"], i["seconds"], i["rss_kib"]))
    say("CPU-only: participants at which confd's CPU alone would fill "
        "its %d core%s, from the\nCPU per participant at 80 %%."
        % (CONFD_CORES, "" if CONFD_CORES == 1 else "s"))
    say("'+': no limit found up to BENCH_MAX or the load generator's own;"
        " '*': other processes\ntook over %.0f %% of a core during some "
        "step that counted." % BUSY_PCT)


def main():
    for path in (CONFD, TLOAD):
        if not os.access(path, os.X_OK):
            sys.exit("bench: %s is missing: run `make all tests`" % path)
    if shutil.which("taskset") is None:
        sys.exit("bench: taskset (util-linux) is needed")
    if os.cpu_count() is None or os.cpu_count() < 2:
        say("bench: fewer than two cores: confd and the load share one")
    # This script stays off confd's core; it mostly sleeps anyway.
    try:
        os.sched_setaffinity(0, cpu_set(LOAD_CPU))
    except OSError:
        pass
    os.makedirs(OUT, exist_ok=True)
    b = Bench()
    m = b.results["machine"]
    say("bench: %d cores (%s), kernel %s, opus %s, libsrtp2 %s%s"
        % (m["cpus"], m["model"], m["kernel"], m["versions"].get("opus"),
           m["versions"].get("libsrtp2"), ", QUICK" if QUICK else ""))
    say("source %s, build/confd of %s%s%s"
        % (m["source"], m["confd_built"], ", confd and tload SCHED_FIFO"
           if RT else ", tload SCHED_FIFO" if RT_LOAD else "",
           ", a phase per participant" if OWN_PHASE else ""))
    b.results["rt"] = "all" if RT else "load" if RT_LOAD else "none"
    b.results["workers"] = WORKERS
    b.results["confd_cpu"] = CONFD_CPU
    b.results["load_cpu"] = LOAD_CPU
    b.results["own_phase"] = OWN_PHASE
    # Other work on the machine makes every figure worse: say so.
    c0, l0, w0 = core_busy_s(CONFD_CPU), core_busy_s(LOAD_CPU), \
        time.monotonic()
    time.sleep(2)
    w = time.monotonic() - w0
    pre = (100 * (core_busy_s(CONFD_CPU) - c0) / w,
           100 * (core_busy_s(LOAD_CPU) - l0) / w)
    b.results["busy_before"] = pre
    say("before the start, other processes kept core %s %.0f %% and core "
        "%s %.0f %% busy%s" % (CONFD_CPU, pre[0], LOAD_CPU, pre[1],
                               ": the figures will be low" if max(pre) >= 5
                               else ""))
    t0 = time.monotonic()
    cm = "AES_CM_128_HMAC_SHA1_80"
    for size in SIZES:
        b.config(size, cm)
    if GCM_SIZE:
        b.config(GCM_SIZE, "AEAD_AES_128_GCM")
    b.results["memory_fit"] = fit_memory(
        [c for c in b.results["configs"] if c["suite"] == cm])
    b.idle()
    table(b.results)
    if any(not c["steps"][0]["has_delay"] for c in b.results["configs"]
           if c["steps"]):
        say("note: confd has no confd_mix_delay_ms histogram: only loss "
            "limited the search")
    say()
    if not MGMTD:
        say("mgmtd: left out (BENCH_MGMTD=0)")
    elif os.access(BENCH_MGMTD, os.X_OK):
        say("mgmtd (build/tests/bench_mgmtd, at most %.0f s):"
            % MGMTD_TIMEOUT)
        b.results["mgmtd"] = run_mgmtd()
    else:
        say("mgmtd: build/tests/bench_mgmtd is not built: skipped")
    with open(os.path.join(OUT, "results.json"), "w") as f:
        json.dump(b.results, f, indent=1)
    say()
    say("bench: done in %.0f s; figures in %s"
        % (time.monotonic() - t0, os.path.join(OUT, "results.json")))


if __name__ == "__main__":
    main()
