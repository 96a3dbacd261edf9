"""Hostile and broken input on a live conference port: a wrong key,
replayed and tampered packets, garbage, truncated packets, a flood of
unknown SSRCs, and a rate-paced storm of RTCP from unknown SSRCs (tabuse's
storm mode, which `make bench-flood` drives).  Each is dropped and counted,
and the conference's audio is unaffected."""
import json
import os
import signal
import socket
import subprocess
import time

from confd_util import (Confd, free_udp_port, new_key, tparty_start,
                        tparty_wait)
from harness import Tap, prog

t = Tap()
FREQS = [400, 800, 1200]
SSRCS = [0x0b000001, 0x0b000002, 0x0b000003]
key = new_key()
port = free_udp_port()
cd = Confd({"target": {"port": port, "key": key}},
           extra="[mixer]\nmax_speakers = 0\n")
t.ok(cd.start(), "confd is ready", cd.log())

call = tparty_start(port, key, list(zip(SSRCS, FREQS)), 7)


def abuse(mode, count, ssrc=None, pps=2000):
    cmd = [prog("tests/tabuse"), "-a", "127.0.0.1", "-p", str(port), "-k",
           key, "-m", mode, "-n", str(count), "-r", str(pps)]
    if mode == "storm":
        cmd += ["-K", "rtcp", "-t", "1"]
    if ssrc is not None:
        cmd += ["-s", str(ssrc)]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=60)
    return p.returncode, p.stdout.decode()


time.sleep(1.5)     # let the participants join first
for mode, n, ssrc in (("wrongkey", 200, None), ("garbage", 500, None),
                      ("truncated", 300, None), ("replay", 100, 0x0c0c0c0c),
                      ("tamper", 100, SSRCS[0]), ("flood", 5000, None)):
    rc, out = abuse(mode, n, ssrc)
    t.ok(rc == 0, "tabuse %s sent %d datagrams" % (mode, n), out)
# A second of SRTCP-looking reports from ever new SSRCs, paced by
# sendmmsg() batches: each one is looked up and counted, none admitted.
rtcp0 = cd.metric("confd_unknown_ssrc_total", room="target")
rc, out = abuse("storm", 0, pps=3000)
storm = json.loads(out.strip().splitlines()[-1]) if rc == 0 else {}
t.ok(rc == 0 and storm.get("kind") == "rtcp" and
     2400 <= storm.get("sent", 0) <= 3000,
     "tabuse storm sent about 3,000 datagrams in a second", out)
res, rc, out = tparty_wait(call)
t.ok(rc == 0 and len(res) == 3, "the participants ran to the end", out)
for s, f in zip(SSRCS, FREQS):
    r = res[s]
    others = [g for g in FREQS if g != f]
    t.ok(all(r["ratios"][str(g)] >= 0.2 for g in others)
         and r["ratios"][str(f)] <= 0.02,
         "%d Hz hears %s and not itself, as if nothing happened"
         % (f, others), r)
room = {"room": "target"}
t.ok(cd.metric("confd_unknown_ssrc_total", **room) >= 200 + 5000,
     "wrong-key and flood packets counted as unknown SSRCs (%d)"
     % cd.metric("confd_unknown_ssrc_total", **room))
t.ok(cd.metric("confd_unknown_ssrc_total", **room) - rtcp0 >=
     storm.get("sent", 1),
     "every report of the storm counted as from an unknown SSRC (%d)"
     % (cd.metric("confd_unknown_ssrc_total", **room) - rtcp0))
t.ok(cd.metric("confd_garbage_total", **room) > 0,
     "garbage counted (%d)" % cd.metric("confd_garbage_total", **room))
# libsrtp checks the replay window before the tag: a forged sequence number
# far behind the participant's is refused as too old, any other as forged.
# The participants have left: their counters live on in the room's totals.
af = cd.metric("confd_auth_failures_total", room="target")
rp = cd.metric("confd_replays_total", room="target") - 99
t.ok(af > 0 and af + rp >= 100,
     "tampered packets of a participant are refused (%d forged, %d too old)"
     % (af, rp))
t.ok(cd.metric("confd_replays_total", room="target",
               ssrc="%08x" % 0x0c0c0c0c) >= 99,
     "a replayed packet is accepted once and refused 99 times")
t.ok(cd.proc.poll() is None, "confd is still running")

# A stopped confd's socket fills up: what the kernel drops is counted, and
# shows once confd reads again.
t.ok(cd.metric("confd_socket_drops_total", room="target") == 0,
     "no datagram was dropped by the kernel so far")
os.kill(cd.proc.pid, signal.SIGSTOP)
try:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for i in range(20000):
            s.sendto(b"\x00" * 32, ("127.0.0.1", port))
finally:
    os.kill(cd.proc.pid, signal.SIGCONT)
time.sleep(0.5)
with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
    s.sendto(b"\x00" * 32, ("127.0.0.1", port))
time.sleep(0.3)
drops = cd.metric("confd_socket_drops_total", room="target")
t.ok(drops > 1000, "the kernel's drops are counted (%d of 20,000)" % drops)
rc, _ = cd.stop()
t.ok(rc == 0, "confd stops cleanly", cd.log())
t.done()
