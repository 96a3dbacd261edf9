"""A room's life as an operator sees it: capacity refuses the extra
participant, a BYE or silence removes one, IPv6 works as IPv4 does, and an
empty room costs no mixing at all."""
import os
import signal
import time

from confd_util import (Confd, free_udp_port, new_key, tparty,
                        tparty_start, wait_metric)
from harness import Tap

t = Tap()
key = new_key()
p_small, p_v6, p_idle = free_udp_port(), free_udp_port(), free_udp_port()
cd = Confd({"small": {"port": p_small, "key": key, "capacity": 2},
            "six": {"port": p_v6, "key": key},
            "idle": {"port": p_idle, "key": key}},
           extra="idle_timeout = 1s\n[mixer]\nmax_speakers = 0\n")
t.ok(cd.start(), "confd with three rooms is ready", cd.log())
time.sleep(0.3)
t.ok(cd.metric("confd_ticks_total") == 0,
     "rooms nobody joined cost no mixing: the clock has not ticked")

# Capacity 2: the third participant is refused and hears nothing.
res, rc, out = tparty(p_small, key, [(0x0e01, 400), (0x0e02, 800),
                                     (0x0e03, 1200)], 4,
                      args=["-D", "300"])
t.ok(rc == 0 and len(res) == 3, "three participants ran", out)
t.ok(res[0x0e01]["ratios"]["800"] >= 0.3 and
     res[0x0e02]["ratios"]["400"] >= 0.3,
     "the first two hear each other", res)
t.ok(res[0x0e03]["received"] == 0, "the third got nothing", res[0x0e03])
t.ok(res[0x0e01]["ratios"]["1200"] <= 0.02 and
     res[0x0e02]["ratios"]["1200"] <= 0.02,
     "and nobody hears the refused participant", res)
t.ok(cd.metric("confd_refused_total", room="small") > 0,
     "confd counted the refusals")
# tparty ends with an RTCP BYE: the room empties at once.
t.ok(wait_metric(cd, lambda v: v == 0, "confd_participants",
                 room="small") == 0,
     "a BYE removes participants at once", cd.log())
t.ok("left (BYE)" in cd.log(), "and the log says they left with a BYE",
     cd.log())

# IPv6.
res, rc, out = tparty(p_v6, key, [(0x0f01, 600), (0x0f02, 1000)], 3,
                      addr="::1")
t.ok(rc == 0 and res[0x0f01]["ratios"]["1000"] >= 0.3 and
     res[0x0f02]["ratios"]["600"] >= 0.3,
     "two participants over IPv6 hear each other", out)

# A participant that vanishes without a BYE is removed after idle_timeout.
p = tparty_start(p_idle, key, [(0x1001, 400)], 30)
t.ok(wait_metric(cd, lambda v: v == 1, "confd_participants", timeout=5,
                 room="idle") == 1,
     "a participant joined the idle room")
os.kill(p.pid, signal.SIGKILL)
p.wait()
t.ok(wait_metric(cd, lambda v: v == 0, "confd_participants", timeout=4,
                 room="idle") == 0 and
     "left (silent too long)" in cd.log(),
     "a silent participant is removed after idle_timeout", cd.log())

# Empty again: the clock stops.
a = cd.metric("confd_ticks_total")
time.sleep(0.3)
b = cd.metric("confd_ticks_total")
t.ok(a == b, "with every room empty the clock is stopped (%d, %d)" % (a, b))
rc, _ = cd.stop()
t.ok(rc == 0, "confd stops cleanly", cd.log())
t.done()
