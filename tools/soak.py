#!/usr/bin/env python3
"""soak: confd under hours of churn, as `make soak` runs it.

Starts the ASan build of confd with ROOMS standalone rooms and keeps about
PARTICIPANTS test participants (tparty) joining and leaving them for
SOAK_SECONDS (default one hour): every participant stays a random 5 to 60
seconds, then leaves with an RTCP BYE, and another takes its place.  In
every room one participant talks (a tone, each room's its own) and the
others are quiet and say so with the RFC 6464 level, as in a real call.
The participants are the release build at Opus complexity 1: they are the
load, not what is under test, and 200 ASan encoders would starve confd on
two cores.  Every
minute it samples confd's resident memory and its mixing clock; at the end
it checks that

- memory did not grow: the last quarter's median RSS is within 10 % (and
  8 MiB) of the second quarter's, after the warm-up;
- the clock did not drift: over the run, confd's ticks kept pace with wall
  time (within 0.1 %);
- every quiet participant heard its room's talker, the talker did not
  hear itself (tparty's tone ratios), and confd reports no leak (LeakSanitizer at exit, exit status 0).

Figures are printed, for docs/performance.md.  Environment: SOAK_SECONDS,
SOAK_PARTICIPANTS (default 200), SOAK_ROOM_SIZE (default 5).
"""
import json
import os
import random
import signal
import subprocess
import sys
import time

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(TOP, "tests", "e2e"))
os.environ.setdefault("BUILD", os.path.join(TOP, "build", "asan"))
os.environ.setdefault("TOP", TOP)
# A small quarantine, so that resident memory shows growth, not ASan's
# holding on to what was freed.
os.environ["ASAN_OPTIONS"] = ("detect_leaks=1:exitcode=66:"
                              "quarantine_size_mb=8")

from confd_util import Confd, free_udp_port, new_key  # noqa: E402

# The participants come from the release build (see above).
TPARTY = os.path.join(TOP, "build", "tests", "tparty")

SECONDS = int(os.environ.get("SOAK_SECONDS", "3600"))
PARTS = int(os.environ.get("SOAK_PARTICIPANTS", "200"))
SIZE = int(os.environ.get("SOAK_ROOM_SIZE", "5"))
FREQS = [300, 420, 540, 660, 780, 900, 1020, 1140]


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def main():
    rooms = max(1, PARTS // SIZE)
    key = new_key()
    ports = [free_udp_port() for _ in range(rooms)]
    cd = Confd({"soak%d" % i: {"port": p, "key": key, "capacity": SIZE + 2}
                for i, p in enumerate(ports)},
               extra="idle_timeout = 5s\n", level="notice")
    if not cd.start():
        sys.exit("soak: confd did not start:\n" + cd.log())
    # Forty participant processes waking every 20 ms would otherwise
    # delay confd by a scheduler slice; an operator gives it priority too.
    os.setpriority(os.PRIO_PROCESS, cd.proc.pid, -10)
    print("soak: %d participants in %d rooms of %d for %d s (confd pid %d)"
          % (PARTS, rooms, SIZE, SECONDS, cd.proc.pid), flush=True)
    rnd = random.Random(1)
    t0 = time.monotonic()
    ticks0 = cd.metric("confd_ticks_total")
    live = {}           # room: (process, stay in seconds)
    samples = []        # (elapsed, rss KiB, participants)
    ssrc = 0x10000
    results = {"runs": 0, "bad": 0, "received": 0, "expected": 0}
    next_sample = 0
    while time.monotonic() - t0 < SECONDS:
        now = time.monotonic()
        # One tparty process per room keeps SIZE parties in it.
        for room, (p, end) in list(live.items()):
            if p.poll() is not None:
                out = p.stdout.read().decode()
                del live[room]
                results["runs"] += 1
                parts = [json.loads(l) for l in out.splitlines()
                         if l.startswith("{")]
                # Packets heard per second tell whether the clock kept
                # time: 50 a second, less what the start takes.
                # (the talker hears silence, which confd does not send).
                for i, r in enumerate(parts):
                    if r["freq"] != 0:
                        continue
                    results["received"] += r["received"]
                    results["expected"] += (end - 0.2 * i) * 50
                # The quiet ones heard the talker; the talker heard
                # nothing of itself.
                talker = max(r["freq"] for r in parts) if parts else 0
                if p.returncode != 0 or len(parts) != SIZE or any(
                        (r["ratios"].get(str(int(talker)), 0) < 0.5
                         if r["freq"] == 0 else
                         r["ratios"].get(str(int(talker)), 1) > 0.1)
                        for r in parts):
                    results["bad"] += 1
                    print("soak: room %d, a run of %d s: %s" % (
                        room, end, out.strip().replace("\n", " | ")),
                        flush=True)
        for room in range(rooms):
            if room in live:
                continue
            stay = rnd.randint(5, 60)
            if now + stay > t0 + SECONDS:
                stay = max(2, int(t0 + SECONDS - now))
            parties = []
            for k in range(SIZE):
                ssrc += 1
                parties.append("%d:%d" % (
                    ssrc, FREQS[room % len(FREQS)] if k == 0 else 0))
            cmd = [TPARTY, "-a", "127.0.0.1", "-p", str(ports[room]), "-k",
                   key, "-d", str(stay), "-D", "200", "-L", "-c", "1"] + \
                parties
            live[room] = (subprocess.Popen(cmd, stdout=subprocess.PIPE,
                                           stderr=subprocess.DEVNULL,
                                           preexec_fn=lambda: os.nice(5)),
                          stay)
        if now - t0 >= next_sample:
            parts = sum(v for (n, _), v in cd.metrics().items()
                        if n == "confd_participants")
            samples.append((now - t0, rss_kib(cd.proc.pid), parts))
            print("soak: %5.0f s  rss %7d KiB  participants %4d"
                  % samples[-1], flush=True)
            next_sample += 60 if SECONDS >= 600 else 10
        time.sleep(0.2)
    for p, _ in live.values():
        p.wait()
    elapsed = time.monotonic() - t0
    late = cd.metric("confd_ticks_late_total")
    ticks = cd.metric("confd_ticks_total") - ticks0
    rc, _ = cd.stop()
    leaks = cd.log().count("leak of")
    n = len(samples)
    q2 = sorted(s[1] for s in samples[n // 4:n // 2]) or [0]
    q4 = sorted(s[1] for s in samples[3 * n // 4:]) or [0]
    m2, m4 = q2[len(q2) // 2], q4[len(q4) // 2]
    growth = m4 - m2
    rate = 50.0 * results["received"] / max(1, results["expected"])
    print("soak: %d tparty runs, %d with a participant that heard nobody"
          % (results["runs"], results["bad"]))
    print("soak: RSS median %d KiB in the second quarter, %d KiB in the "
          "last (%+d KiB)" % (m2, m4, growth))
    print("soak: %d room ticks in %.0f s, %d late; participants heard "
          "%.2f packets a second (50 is exact)" % (ticks, elapsed, late,
                                                   rate))
    print("soak: confd exit status %d, %d leak reports" % (rc, leaks))
    ok = (rc == 0 and leaks == 0 and results["bad"] == 0 and
          growth <= max(8192, m2 // 10))
    print("soak: %s" % ("PASS" if ok else "FAIL"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
