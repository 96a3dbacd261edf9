"""Forwarding: while one participant alone is heard, confd sends the others
its own Opus packets instead of encoding a mix.  What the participants hear
must not change: the listeners hear the talker, the talker never hears
itself, and when a second talker comes in everyone hears the right mix."""
import time

from confd_util import (Confd, free_udp_port, new_key, tparty, tparty_start,
                        tparty_wait)
from harness import Tap

t = Tap()
OWN_MAX = 0.02
A, B, C, D = 0x0A0A0A0A, 0x0B0B0B0B, 0x0C0C0C0C, 0x0D0D0D0D


def room_metric(cd, name, room):
    return cd.metric(name, room=room)


# One talker, two quiet listeners: everything the listeners hear is
# forwarded, and nothing is encoded.
key = new_key()
port = free_udp_port()
cd = Confd({"solo": {"port": port, "key": key}})
t.ok(cd.start(), "confd is ready", cd.log())
res, rc, out = tparty(port, key, [(A, 400), (B, 0), (C, 0)], 4,
                      args=["-L", "-F", "400"])
t.ok(rc == 0 and len(res) == 3, "three participants ran", out)
for s in (B, C):
    r = res.get(s, {"ratios": {}, "received": 0})
    t.ok(r["ratios"].get("400", 0) >= 0.9 and r["received"] >= 150,
         "listener %08x hears the talker's 400 Hz" % s, r)
r = res.get(A, {"ratios": {}, "received": -1})
t.ok(r["received"] == 0, "the talker is sent nothing: it hears nobody", r)
fwd = room_metric(cd, "confd_forwarded_total", "solo")
enc = room_metric(cd, "confd_encoded_total", "solo")
t.ok(fwd >= 150 and enc == 0,
     "a lone talker is forwarded, not encoded (%d forwarded, %d encoded)"
     % (fwd, enc), cd.log())
cd.stop()

# A second talker comes in and leaves: the mix takes over and both are
# heard; the talkers hear each other and never themselves.
key = new_key()
port = free_udp_port()
cd = Confd({"duo": {"port": port, "key": key}})
t.ok(cd.start(), "confd is ready", cd.log())
p1 = tparty_start(port, key, [(A, 400), (B, 0)], 6,
                  args=["-L", "-F", "400", "-F", "800"])
time.sleep(2)
p2 = tparty_start(port, key, [(D, 800)], 2.5, args=["-L", "-F", "400"])
r2, rc2, out2 = tparty_wait(p2)
r1, rc1, out1 = tparty_wait(p1)
t.ok(rc1 == 0 and rc2 == 0, "both runs ended", out1 + out2)
b = r1.get(B, {"ratios": {}})
t.ok(b["ratios"].get("400", 0) >= 0.3 and b["ratios"].get("800", 0) >= 0.1,
     "the listener heard both talkers", b)
a = r1.get(A, {"ratios": {}})
t.ok(a["ratios"].get("800", 0) >= 0.9 and
     a["ratios"].get("400", 1) <= OWN_MAX,
     "the first talker heard the second, not itself", a)
d = r2.get(D, {"ratios": {}})
t.ok(d["ratios"].get("400", 0) >= 0.9 and
     d["ratios"].get("800", 1) <= OWN_MAX,
     "the second talker heard the first, not itself", d)
fwd = room_metric(cd, "confd_forwarded_total", "duo")
enc = room_metric(cd, "confd_encoded_total", "duo")
t.ok(fwd >= 50 and enc >= 50,
     "forwarded alone, mixed together (%d forwarded, %d encoded)"
     % (fwd, enc), cd.log())
cd.stop()

# Two talkers at once and a listener: the listener hears the shared mix,
# one encode a tick; each talker hears the other's own packets, no encode.
key = new_key()
port = free_udp_port()
cd = Confd({"pair": {"port": port, "key": key}})
t.ok(cd.start(), "confd is ready", cd.log())
res, rc, out = tparty(port, key, [(A, 400), (D, 800), (B, 0)], 4,
                      args=["-L", "-F", "400", "-F", "800"])
a, d, b = (res.get(s, {"ratios": {}, "received": 0}) for s in (A, D, B))
t.ok(a["ratios"].get("800", 0) >= 0.9 and a["ratios"].get("400", 1) <=
     OWN_MAX and a["received"] >= 150, "talker A hears talker D alone", a)
t.ok(d["ratios"].get("400", 0) >= 0.9 and d["ratios"].get("800", 1) <=
     OWN_MAX and d["received"] >= 150, "talker D hears talker A alone", d)
t.ok(b["ratios"].get("400", 0) >= 0.3 and b["ratios"].get("800", 0) >= 0.3,
     "the listener hears both", b)
fwd = room_metric(cd, "confd_forwarded_total", "pair")
enc = room_metric(cd, "confd_encoded_total", "pair")
ticks = min(a["received"], d["received"])
t.ok(fwd >= 2 * ticks * 0.9 and enc <= ticks * 1.2,
     "each talker's packets go to the other as they came (%d forwarded, "
     "%d encoded, %d ticks)" % (fwd, enc, ticks), cd.log())
cd.stop()

# Turned off, the same talker is mixed and encoded like any other.
key = new_key()
port = free_udp_port()
cd = Confd({"off": {"port": port, "key": key}},
           extra="[mixer]\nforward = no\n")
t.ok(cd.start(), "confd with forward = no is ready", cd.log())
res, rc, out = tparty(port, key, [(A, 400), (B, 0)], 3,
                      args=["-L", "-F", "400"])
r = res.get(B, {"ratios": {}})
t.ok(r["ratios"].get("400", 0) >= 0.9, "the listener hears the talker", r)
fwd = room_metric(cd, "confd_forwarded_total", "off")
enc = room_metric(cd, "confd_encoded_total", "off")
t.ok(fwd == 0 and enc >= 100, "nothing forwarded (%d), %d encoded"
     % (fwd, enc), cd.log())
cd.stop()
t.done()
