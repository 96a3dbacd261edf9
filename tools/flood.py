#!/usr/bin/env python3
"""flood: how many hostile datagrams a second confd sheds while its
conferences go on undisturbed (`make bench-flood`).

Starts the release build/confd pinned to core 0 (taskset -c 0) with one
target conference and a few more, all standalone rooms under one key on
consecutive ports.  On core 1 run the legitimate participants: tparty in
the target conference (three parties sending a tone each and two silent
ones: each must hear the others' tones and not its own) and tload in the
others (real SRTP-protected Opus, 50 packets a second each, the load of
`make bench`).  Then build/tests/tabuse (storm mode, sendmmsg() on
absolute deadlines, also on core 1) sends the target conference's port,
and optionally every port, one kind of garbage at rising rates:

  random      random bytes of random length (1..200)
  unknown     RTP from ever new SSRCs with a random tag: confd looks the
              SSRC up and checks the tag under the room's admission context
  known       RTP with a target participant's SSRC and a random tag and
              sequence number: its own context's replay window, then tag
  rtcp        SRTCP-looking receiver reports from ever new SSRCs
  rtcp-known  SRTCP-looking receiver reports with a participant's SSRC

For each step it reports what the generator sent, what confd counted as
dropped (per reason, from /metrics) and what the kernel dropped at confd's
sockets (/proc/net/udp), confd's CPU, and whether the audio stayed clean:
loss below 0.1 % both ways (tload's sequence gaps, confd_lost_total,
tparty's lost frames), mixes for at least 98 % of the frames in which
another member talked, confd's mixing delay p99 (confd_mix_delay_ms) under
20 ms or, when it was over that already without a flood, at most
FLOOD_DELAY_SLACK over that (the target conference's tparty parties each
send at a phase of their own, so their frames wait up to a frame for the
room's tick: that p99 is the room's, not the flood's), tload's decode check, and every tparty party hearing the others'
tones (at least 20 % of what it hears each) and not its own (at most 2 %).
The figure: per kind, the highest rate at which the audio stayed clean,
and the CPU confd spent per dropped datagram, over a step with no flood.

Environment (defaults in brackets; BENCH_QUICK=1 makes a run of about
three minutes):
  FLOOD_KINDS      kinds, in order [random,unknown,known,rtcp,rtcp-known]
  FLOOD_RATES      datagrams a second, rising
                   [10000,25000,50000,100000,200000,400000,800000;
                    quick 25000,100000,400000]
  FLOOD_ALL        also flood every room's port with the kinds that need no
                   participant's SSRC [1; quick 0]
  FLOOD_SECONDS    flood of a step, and its measured window [8; quick 3]
  FLOOD_WARMUP     warm-up before it [3; quick 2]
  FLOOD_PARTS      tload participants besides the target conference [50]
  FLOOD_SIZE       their conference size [10]
  FLOOD_LOSS_MAX   loss that fails a step, % [0.1]
  FLOOD_DELAY_MAX  mixing delay p99 that fails a step, ms [20]
  FLOOD_DELAY_SLACK  or, when the step without a flood was over that, how
                   much over its p99 a step may be, ms [2]
  FLOOD_RETRIES    runs again of a failing step, which fails only when
                   every run does [1; quick 0]
  FLOOD_QUIET_WAIT seconds to wait before a step for other processes to
                   leave both cores nearly idle [10; quick 3]
  FLOOD_RT         who runs SCHED_FIFO (chrt -f 50): load, the
                   participants (not the flood); all, confd too; 0,
                   neither [load]
  FLOOD_PORT       first room port [21000]
  FLOOD_CONFD_CPU, FLOOD_LOAD_CPU  cores of confd and the rest [0, 1]
  FLOOD_OUT        directory of the logs and results.json [build/flood]
"""
import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import (core_busy_s, fmt, free_tcp_port, histogram,  # noqa: E402
                   machine, ports_free, proc_cpu_s, quantile, udp_drops)
import bench  # noqa: E402

TOP = bench.TOP
BUILD = bench.BUILD
CONFD = bench.CONFD
TLOAD = bench.TLOAD
TPARTY = os.path.join(BUILD, "tests", "tparty")
TABUSE = os.path.join(BUILD, "tests", "tabuse")
QUICK = bench.QUICK


def env(name, default, quick=None, kind=int):
    if name in os.environ and os.environ[name] != "":
        return kind(os.environ[name])
    return quick if QUICK and quick is not None else default


def env_list(name, default, quick=None, kind=str):
    v = os.environ.get(name, "")
    if v == "":
        v = quick if QUICK and quick is not None else default
    return [kind(x) for x in v.split(",") if x]


KINDS = env_list("FLOOD_KINDS", "random,unknown,known,rtcp,rtcp-known")
RATES = env_list("FLOOD_RATES", "10000,25000,50000,100000,200000,400000,"
                 "800000", "25000,100000,400000", int)
ALL = env("FLOOD_ALL", 1, 0)
SECONDS = env("FLOOD_SECONDS", 8, 3, float)
WARMUP = env("FLOOD_WARMUP", 3, 2, float)
PARTS = env("FLOOD_PARTS", 50)
SIZE = env("FLOOD_SIZE", 10)
LOSS_MAX = env("FLOOD_LOSS_MAX", 0.1, None, float)
DELAY_MAX = env("FLOOD_DELAY_MAX", 20, None, float)
DELAY_SLACK = env("FLOOD_DELAY_SLACK", 2, None, float)
COVERAGE_MIN = 0.98
HEAR_MIN, SELF_MAX = 0.2, 0.02
QUIET_WAIT = env("FLOOD_QUIET_WAIT", 10, 3, float)
RETRIES = env("FLOOD_RETRIES", 1, 0)
BUSY_PCT = 10
RT_MODE = os.environ.get("FLOOD_RT", "load")
RT_LOAD = ["chrt", "-f", "50"] if RT_MODE in ("load", "all", "1") else []
RT = ["chrt", "-f", "50"] if RT_MODE in ("all", "1") else []
PORT = env("FLOOD_PORT", 21000)
CONFD_CPU = env("FLOOD_CONFD_CPU", 0)
LOAD_CPU = env("FLOOD_LOAD_CPU", 1)
OUT = os.path.abspath(os.environ.get("FLOOD_OUT") or
                      os.path.join(BUILD, "flood"))

# The target conference: three tones and two silent parties.  Their SSRCs
# are at or above 2^31, tload's below, so that no stream under the shared
# key repeats another's; each step takes new ones (see Flood.parties()).
TONES = [400, 700, 1100, 0, 0]
# Kinds that need no participant's SSRC, which a flood of every port uses.
ANY_PORT_KINDS = ("random", "unknown", "rtcp")
# What confd counts as dropped, per reason: per-room families.
REASONS = [("garbage", "confd_garbage_total"),
           ("unknown_ssrc", "confd_unknown_ssrc_total"),
           ("auth_fail", "confd_auth_failures_total"),
           ("replay", "confd_replays_total"),
           ("malformed", "confd_malformed_total"),
           ("bad_pt", "confd_bad_payload_type_total")]


def say(text=""):
    print(text, flush=True)


def new_key():
    return base64.b64encode(os.urandom(30)).decode()


class Confd(bench.Confd):
    """A release confd on core CONFD_CPU: room t (the target, capacity 10)
    on the first port, then the rooms of tload."""

    def __init__(self, name, nrooms, size, key):
        self.dir = os.path.join(OUT, name)
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(self.dir)
        self.nrooms = nrooms + 1
        self.metrics_port = free_tcp_port()
        self.base = PORT
        while not ports_free(self.base, self.nrooms):
            self.base += 97
            if self.base + self.nrooms > 32768:
                sys.exit("flood: no %d free UDP ports below 32768"
                         % self.nrooms)
        text = ["[general]\nlog_level = info\nserver_id = flood\n"
                "[media]\nipv4 = 127.0.0.1\nipv6 =\nidle_timeout = 3s\n"
                "[metrics]\nport = %d\n" % self.metrics_port,
                "[room t]\nport = %d\ncapacity = 10\nkey = %s\n"
                % (self.base, key)]
        for i in range(nrooms):
            text.append("[room b%d]\nport = %d\ncapacity = %d\nkey = %s\n"
                        % (i, self.base + 1 + i, size, key))
        self.conf = os.path.join(self.dir, "confd.ini")
        with open(self.conf, "w") as f:
            f.write("".join(text))
        self.proc = None

    def start(self, timeout=120):
        # bench.Confd.start() pins to bench's core and priority: ours.
        saved = bench.CONFD_CPU, bench.RT
        bench.CONFD_CPU, bench.RT = str(CONFD_CPU), RT
        try:
            return bench.Confd.start(self, timeout)
        finally:
            bench.CONFD_CPU, bench.RT = saved


def room_val(m, name, room):
    return m.get((name, '{room="%s"}' % room), 0.0)


def rooms_sum(m, name):
    return sum(v for (n, lab), v in m.items()
               if n == name and lab.startswith('{room="'))


class Snapshot:
    """confd and the cores at one edge of the window; as in bench.py, the
    scrape stays outside the CPU figure."""

    def __init__(self, cd, first):
        if first:
            self.m = cd.metrics()
        self.t = time.monotonic()
        self.cpu = proc_cpu_s(cd.pid)
        self.core = core_busy_s(CONFD_CPU)
        self.lcore = core_busy_s(LOAD_CPU)
        self.drops = udp_drops(cd.base, cd.base + cd.nrooms)
        self.tdrops = udp_drops(cd.base, cd.base + 1)
        if not first:
            self.m = cd.metrics()


class Flood:
    def __init__(self, cd, key):
        self.cd = cd
        self.key = key
        self.salt = 0
        self.base_cpu = None
        self.base = None
        self.delay_limit = DELAY_MAX

    def parties(self):
        """New SSRCs for the target conference's parties of this step."""
        self.salt += 1
        return [(0x80000000 | self.salt << 8 | i, f)
                for i, f in enumerate(TONES)]

    def wait_empty(self):
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if rooms_sum(self.cd.metrics(), "confd_participants") == 0:
                return
            time.sleep(0.2)

    def step(self, kind, rate, all_ports):
        """One step: the participants, and from the start of tload's window
        a flood of kind at rate (none when rate is 0)."""
        cd = self.cd
        self.wait_empty()
        if not RT and QUIET_WAIT > 0:
            bench.wait_quiet(QUIET_WAIT, (CONFD_CPU, LOAD_CPU), BUSY_PCT)
        parties = self.parties()
        total = WARMUP + SECONDS + 2
        pin = ["taskset", "-c", str(LOAD_CPU)]
        tp = subprocess.Popen(
            pin + RT_LOAD + [TPARTY, "-a", "127.0.0.1", "-p", str(cd.base),
                             "-k", self.key, "-d", "%.1f" % (total + 0.5),
                             "-L"] + ["%d:%d" % p for p in parties],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        tl = subprocess.Popen(
            pin + RT_LOAD + [TLOAD, "-a", "127.0.0.1",
                             "-p", str(cd.base + 1), "-r",
                             str(cd.nrooms - 1), "-S", str(SIZE),
                             "-P", str(PARTS), "-k", self.key,
                             "-d", str(SECONDS + 1), "-w", str(WARMUP),
                             "-x", str(self.salt % 2048)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        a = b = res = gen = None
        for line in tl.stdout:
            line = line.strip()
            if line == "measure start":
                a = Snapshot(cd, True)
                if rate > 0:
                    gen = self.storm(kind, rate, all_ports, parties)
                else:
                    time.sleep(SECONDS)
                b = Snapshot(cd, False)
            elif line.startswith("{"):
                res = json.loads(line)
        err = tl.stderr.read()
        tl.wait()
        if tl.returncode != 0 or a is None or res is None:
            sys.exit("flood: tload failed (status %s): %s"
                     % (tl.returncode, err.strip()))
        out, terr = tp.communicate(timeout=total + 60)
        heard = [json.loads(x) for x in out.splitlines()
                 if x.startswith("{")]
        if tp.returncode != 0 or len(heard) != len(parties):
            sys.exit("flood: tparty failed (status %s): %s"
                     % (tp.returncode, terr.strip()))
        if cd.proc.poll() is not None:
            sys.exit("flood: confd exited; see %s" % cd.dir)
        return self.figures(kind, rate, all_ports, a, b, res, gen, heard)

    def storm(self, kind, rate, all_ports, parties):
        """Runs tabuse for the window; its JSON line.  The snapshot at the
        end waits for confd to read what is still queued."""
        cmd = ["taskset", "-c", str(LOAD_CPU), TABUSE, "-a", "127.0.0.1",
               "-p", str(self.cd.base), "-k", self.key, "-m", "storm",
               "-K", kind, "-r", str(rate), "-t", str(SECONDS),
               "-s", str(parties[0][0])]
        if all_ports:
            cmd += ["-P", str(self.cd.nrooms)]
        p = subprocess.run(cmd, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True,
                           timeout=SECONDS + 30)
        if p.returncode != 0:
            sys.exit("flood: tabuse failed (status %d): %s"
                     % (p.returncode, p.stderr.strip()))
        time.sleep(0.3)
        return json.loads(p.stdout.strip().splitlines()[-1])

    def figures(self, kind, rate, all_ports, a, b, res, gen, heard):
        dt = b.t - a.t
        cpu = 100 * (b.cpu - a.cpu) / dt

        def d(name, room=None):
            if room is None:
                return rooms_sum(b.m, name) - rooms_sum(a.m, name)
            return room_val(b.m, name, room) - room_val(a.m, name, room)

        h0 = histogram(a.m, "confd_mix_delay_ms")
        h1 = histogram(b.m, "confd_mix_delay_ms")
        w0 = histogram(a.m, "confd_work_delay_ms")
        w1 = histogram(b.m, "confd_work_delay_ms")
        dropped = {why: d(name) for why, name in REASONS}
        r = {
            "kind": kind if rate else "none", "rate": rate,
            "all_ports": all_ports, "seconds": dt,
            "sent": gen["sent"] if gen else 0,
            "gen_pps": gen["pps"] if gen else 0,
            "gen_cpu_pct": gen["cpu_pct"] if gen else 0,
            "gen": gen,
            "dropped": dropped,
            "dropped_total": sum(dropped.values()),
            "kernel_drops": b.drops - a.drops,
            "kernel_drops_target": b.tdrops - a.tdrops,
            "cpu_pct": cpu,
            "others_on_core_pct": max(0.0, 100 * (b.core - a.core) / dt
                                      - cpu),
            "load_core_pct": 100 * (b.lcore - a.lcore) / dt,
            "p50": quantile(h0, h1, 0.5), "p99": quantile(h0, h1, 0.99),
            "work_p99": quantile(w0, w1, 0.99),
            "ticks_late": b.m.get(("confd_ticks_late_total", ""), 0)
            - a.m.get(("confd_ticks_late_total", ""), 0),
            "target_up_lost": d("confd_lost_total", "t"),
            "target_rx": d("confd_packets_received_total", "t"),
            "up_lost": d("confd_lost_total"),
            "rx": d("confd_packets_received_total"),
            "tload": res, "tparty": heard,
        }
        # Loss of the target conference both ways: confd's jitter buffers
        # upstream, the parties' own downstream (over their whole run).
        t_lost = sum(h["lost"] for h in heard)
        t_recv = sum(h["received"] for h in heard)
        r["target_down_loss_pct"] = 100 * t_lost / max(1, t_lost + t_recv)
        r["target_up_loss_pct"] = 100 * r["target_up_lost"] / max(
            1, r["target_up_lost"] + r["target_rx"])
        r["up_loss_pct"] = 100 * r["up_lost"] / max(1, res["sent"])
        r["loss_pct"] = max(res["loss_pct"], r["up_loss_pct"],
                            r["target_down_loss_pct"],
                            r["target_up_loss_pct"])
        tones_ok = True
        for h in heard:
            own = str(h["freq"])
            for f in TONES:
                if f == 0:
                    continue
                v = h["ratios"].get(str(f), 0.0)
                if str(f) == own and v > SELF_MAX:
                    tones_ok = False
                elif str(f) != own and v < HEAR_MIN:
                    tones_ok = False
        r["tones_ok"] = tones_ok
        why = []
        if r["loss_pct"] > LOSS_MAX:
            why.append("loss %.3f %%" % r["loss_pct"])
        if res["coverage"] < COVERAGE_MIN:
            why.append("mixes missing (%.1f %%)" % (100 * res["coverage"]))
        if r["p99"] is not None and r["p99"] > self.delay_limit:
            why.append("delay p99 %.1f ms" % r["p99"])
        if res["auth_fail"] > 0:
            why.append("%d auth failures" % res["auth_fail"])
        if res["check_ok"] != res["checked"]:
            why.append("decode check %d/%d" % (res["check_ok"],
                                               res["checked"]))
        if not tones_ok:
            why.append("tones")
        r["fail"] = why
        r["gen_limited"] = bool(gen) and gen["pps"] < 0.95 * rate
        r["disturbed"] = r["others_on_core_pct"] >= BUSY_PCT
        if gen and self.base_cpu is not None and r["dropped_total"] > 0:
            r["us_per_drop"] = (1e4 * (cpu - self.base_cpu) * dt /
                                r["dropped_total"])
        else:
            r["us_per_drop"] = None
        return r


def show(r):
    dr = r["dropped"]
    reasons = ", ".join("%s %d" % (k, v) for k, v in dr.items() if v > 0)
    say("  %-10s %7d/s: sent %8d (%7.0f/s%s), confd dropped %8d (%s), "
        "kernel %d; confd %5.1f %% CPU%s; delay p50 %s p99 %s ms, loss "
        "%.3f %%, tones %s%s%s"
        % (r["kind"], r["rate"], r["sent"], r["gen_pps"],
           ", gen limited" if r["gen_limited"] else "",
           r["dropped_total"], reasons or "-", r["kernel_drops"],
           r["cpu_pct"], "" if r["us_per_drop"] is None else
           " (%.2f us/drop)" % r["us_per_drop"], fmt(r["p50"]),
           fmt(r["p99"]), r["loss_pct"], "ok" if r["tones_ok"] else "BAD",
           " [others on core %d: %.0f %%]" % (CONFD_CPU,
                                              r["others_on_core_pct"])
           if r["disturbed"] else "",
           (" -> FAIL: " + ", ".join(r["fail"])) if r["fail"] else " -> ok"))


def series(fl, kind, all_ports, results):
    """Rising rates of one kind until the generator or confd saturates or
    audio is lost at two rates in a row (a delay alone goes on: what the
    flood costs is still worth knowing)."""
    say("%s, %s" % (kind, "every port" if all_ports else
                    "the target conference's port"))
    steps, fails = [], 0
    best = 0
    for rate in RATES:
        # A failing step runs again and fails only if every run does: the
        # delay p99 fails by whole frames when one packet is read late, so
        # one stall of a shared machine must not decide the figure.
        for attempt in range(RETRIES + 1):
            r = fl.step(kind, rate, all_ports)
            r["attempt"] = attempt + 1
            show(r)
            if not r["fail"] or r["gen_limited"]:
                break
        steps.append(r)
        if not r["fail"]:
            best = max(best, r["gen_pps"])
            fails = 0
        elif r["kernel_drops"] > 0 or r["loss_pct"] > LOSS_MAX:
            fails += 1
        if r["gen_limited"] or r["cpu_pct"] >= 95 or fails >= 2:
            if r["gen_limited"]:
                say("  the generator reached %.0f/s of %d/s: no further"
                    % (r["gen_pps"], rate))
            break
    # Without the delay: nothing lost, every tone heard.
    whole = [st["gen_pps"] for st in steps if st["loss_pct"] <= LOSS_MAX
             and st["tones_ok"] and st["tload"]["coverage"] >= COVERAGE_MIN
             and st["tload"]["check_ok"] == st["tload"]["checked"]]
    out = {"kind": kind, "all_ports": all_ports, "steps": steps,
           "clean_max_pps": best,
           "lossless_max_pps": max(whole) if whole else 0,
           "clean_at_every_rate": all(not s["fail"] for s in steps),
           "gen_limited": any(s["gen_limited"] for s in steps)}
    out["us_per_drop"] = cost_fit(fl.base, steps)
    results["series"].append(out)
    return out


def cost_fit(base, steps):
    """confd's CPU per dropped datagram, in microseconds: the slope of its
    CPU over the rate of drops, by least squares through the step with no
    flood and the steps of a series that confd kept up with (no kernel
    drops, less than 90 % of its core): at low rates a single step's
    difference is mostly the noise of the machine."""
    pts = [(0.0, base["cpu_pct"])] + [
        (s["dropped_total"] / s["seconds"], s["cpu_pct"]) for s in steps
        if s["kernel_drops"] == 0 and s["cpu_pct"] < 90]
    if len(pts) < 3:
        return None
    n = len(pts)
    mx = sum(x for x, _ in pts) / n
    my = sum(y for _, y in pts) / n
    sxx = sum((x - mx) ** 2 for x, _ in pts)
    if sxx <= 0:
        return None
    # % of a core per datagram a second, times 10^4: microseconds.
    return 1e4 * sum((x - mx) * (y - my) for x, y in pts) / sxx


def table(res):
    say()
    say("confd on core %d; participants and flood on core %d; %.0f s "
        "windows after %.0f s of warm-up" % (CONFD_CPU, LOAD_CPU, SECONDS,
                                             WARMUP))
    say("clean: loss < %.2f %% both ways, mixing delay p99 < %.1f ms, every "
        "tone heard and none heard by its sender" % (LOSS_MAX,
                                                     res["delay_limit_ms"]))
    for name, b in (("before", res.get("baseline")),
                    ("after", res.get("after"))):
        if b:
            say("no flood, %s: confd %.1f %% CPU, delay p99 %s ms, loss "
                "%.3f %%%s" % (name, b["cpu_pct"], fmt(b["p99"]),
                               b["loss_pct"], ", FAIL: " + ", ".join(
                                   b["fail"]) if b["fail"] else ""))
    say()
    hdr = "%-11s %-5s %15s %15s %9s %9s  %s" % (
        "kind", "ports", "clean up to /s", "no loss to /s", "CPU there",
        "us/drop", "then")
    say(hdr)
    say("-" * 88)
    for s in res["series"]:
        last = s["steps"][-1]
        clean = [st for st in s["steps"] if not st["fail"]]
        then = ("%d/s: %s" % (last["rate"], ", ".join(last["fail"]))
                if last["fail"] else "")
        if s["gen_limited"]:
            then = (then + "; " if then else "") + \
                "generator at %.0f/s" % last["gen_pps"]
        elif last["cpu_pct"] >= 95:
            then = (then + "; " if then else "") + "confd's core full"
        mark = "+" if s["clean_at_every_rate"] else ""
        if any(st["disturbed"] for st in s["steps"]):
            mark += "*"
        say("%-11s %-5s %13.0f%-2s %15.0f %9s %9s  %s"
            % (s["kind"], "all" if s["all_ports"] else "one",
               s["clean_max_pps"], mark, s["lossless_max_pps"],
               fmt(clean[-1]["cpu_pct"] if clean else None, "%.0f %%"),
               fmt(s["us_per_drop"], "%.2f"), then))
    say("'*': other processes took more than %d %% of confd's core in some "
        "step." % BUSY_PCT)
    say("no loss: the same without the delay criterion.")
    say("'+': clean at every rate tried; us per drop: the slope of confd's "
        "CPU over the rate\nof datagrams it dropped, from the step with no "
        "flood and the steps it kept up with.")


def main():
    for path in (CONFD, TLOAD, TPARTY, TABUSE):
        if not os.access(path, os.X_OK):
            sys.exit("flood: %s is missing: run `make all tests`" % path)
    if shutil.which("taskset") is None:
        sys.exit("flood: taskset (util-linux) is needed")
    try:
        os.sched_setaffinity(0, {LOAD_CPU})
    except OSError:
        pass
    os.makedirs(OUT, exist_ok=True)
    m = machine()
    say("flood: %d cores (%s), kernel %s, libsrtp2 %s%s"
        % (m["cpus"], m["model"], m["kernel"], m["versions"].get("libsrtp2"),
           ", QUICK" if QUICK else ""))
    say("source %s, build/confd of %s" % (m["source"], m["confd_built"]))
    c0, l0, w0 = core_busy_s(CONFD_CPU), core_busy_s(LOAD_CPU), \
        time.monotonic()
    time.sleep(2)
    w = time.monotonic() - w0
    pre = (100 * (core_busy_s(CONFD_CPU) - c0) / w,
           100 * (core_busy_s(LOAD_CPU) - l0) / w)
    say("before the start, other processes kept core %d %.0f %% and core "
        "%d %.0f %% busy%s" % (CONFD_CPU, pre[0], LOAD_CPU, pre[1],
                               ": the figures will be low" if max(pre) >= 5
                               else ""))
    results = {"machine": m, "quick": QUICK, "seconds": SECONDS,
               "warmup": WARMUP, "participants": PARTS, "size": SIZE,
               "busy_before": pre, "series": []}
    key = new_key()
    cd = Confd("confd", (PARTS + SIZE - 1) // SIZE, SIZE, key)
    if not cd.start():
        sys.exit("flood: confd did not start; see %s" % cd.dir)
    t0 = time.monotonic()
    try:
        fl = Flood(cd, key)
        say("no flood")
        r = fl.step("none", 0, False)
        show(r)
        fl.base_cpu = r["cpu_pct"]
        fl.base = r
        results["baseline"] = r
        if r["p99"] is not None and r["p99"] > DELAY_MAX:
            fl.delay_limit = r["p99"] + DELAY_SLACK
            say("  without a flood the delay p99 is over %.0f ms already: "
                "a step must stay within %.0f ms of it" % (DELAY_MAX,
                                                          DELAY_SLACK))
        results["delay_limit_ms"] = fl.delay_limit
        for kind in KINDS:
            series(fl, kind, False, results)
        if ALL:
            for kind in KINDS:
                if kind in ANY_PORT_KINDS:
                    series(fl, kind, True, results)
        # The floods must leave nothing behind: the same step again.
        say("no flood, after the floods")
        r = fl.step("none", 0, False)
        show(r)
        results["after"] = r
    finally:
        cd.stop()
        with open(os.path.join(OUT, "results.json"), "w") as f:
            json.dump(results, f, indent=1)
    table(results)
    say()
    say("flood: done in %.0f s; figures in %s"
        % (time.monotonic() - t0, os.path.join(OUT, "results.json")))


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(1))
    main()
