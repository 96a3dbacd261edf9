"""What participants of a standalone room actually hear: four people each
send a tone; each hears the other three and never its own.  With the
default of three speakers, five talkers are cut down to the same three for
everybody."""
from confd_util import Confd, free_udp_port, new_key, tparty
from harness import Tap

t = Tap()
FREQS = [400, 600, 800, 1000]
SSRCS = [0x11111111, 0x22222222, 0x33333333, 0x44444444]
OWN_MAX = 0.02      # of the energy heard: its own tone must be absent
OTHER_MIN = 0.12    # each of three others should be about a third

key = new_key()
port = free_udp_port()
cd = Confd({"four": {"port": port, "key": key, "capacity": 10}},
           extra="[mixer]\nmax_speakers = 0\n")
t.ok(cd.start(), "confd with a standalone room is ready", cd.log())

res, rc, out = tparty(port, key, list(zip(SSRCS, FREQS)), 5)
t.ok(rc == 0 and len(res) == 4, "four participants ran", out)
for ssrc, f in zip(SSRCS, FREQS):
    r = res.get(ssrc)
    if r is None:
        t.ok(False, "%d Hz: has a result" % f, out)
        continue
    others = [g for g in FREQS if g != f]
    t.ok(all(r["ratios"][str(g)] >= OTHER_MIN for g in others),
         "%d Hz participant hears %s" % (f, others), r)
    t.ok(r["ratios"][str(f)] <= OWN_MAX,
         "%d Hz participant does not hear itself (%.4f)"
         % (f, r["ratios"][str(f)]), r)
    t.ok(r["received"] > 200 and r["auth_fail"] == 0,
         "%d Hz participant received the mix over SRTP" % f, r)

m = cd.metrics()
t.ok(m.get(("confd_packets_received_total", frozenset({("room", "four")})),
           0) >= 4 * 200, "confd counted the packets it received")
rc, _ = cd.stop()
t.ok(rc == 0, "confd stops cleanly", cd.log())
t.ok("participant 11111111 left" in cd.log() and "closed after" in cd.log(),
     "confd logged a summary per participant and per room", cd.log())

# Five talkers, at most three speakers: every listener hears the same three
# and each of those three hears the other two.
key = new_key()
port = free_udp_port()
cd = Confd({"five": {"port": port, "key": key}})
t.ok(cd.start(), "confd with max_speakers = 3 is ready", cd.log())
F5 = [400, 600, 800, 1000, 1200]
S5 = [0x51, 0x52, 0x53, 0x54, 0x55]
res, rc, out = tparty(port, key, list(zip(S5, F5)), 5)
t.ok(rc == 0 and len(res) == 5, "five participants ran", out)
heard = {}
for s, f in zip(S5, F5):
    r = res[s]
    heard[f] = {g for g in F5 if r["ratios"][str(g)] >= OTHER_MIN / 2}
    t.ok(f not in heard[f], "%d Hz does not hear itself" % f, r)
speakers = set()
for f in F5:
    if len(heard[f]) == 3:
        speakers |= heard[f]
t.ok(len(speakers) == 3, "listeners hear exactly three speakers: %s"
     % sorted(speakers), heard)
for f in F5:
    want = speakers - {f}
    t.ok(heard[f] == want, "%d Hz hears %s" % (f, sorted(want)), heard)
rc, _ = cd.stop()
t.ok(rc == 0, "confd stops cleanly", cd.log())

# The same with AEAD_AES_128_GCM (RFC 7714): three talkers.
key = new_key(28)
port = free_udp_port()
cd = Confd({"gcm": {"port": port, "key": key,
                    "suite": "AEAD_AES_128_GCM"}})
t.ok(cd.start(), "confd with a GCM room is ready", cd.log())
F3, S3 = [500, 700, 900], [0x51, 0x52, 0x53]
res, rc, out = tparty(port, key, list(zip(S3, F3)), 4,
                      args=["-s", "AEAD_AES_128_GCM"])
for s, f in zip(S3, F3):
    r = res.get(s, {"ratios": {}, "auth_fail": -1})
    others = [g for g in F3 if g != f]
    t.ok(all(r["ratios"].get(str(g), 0) >= 0.2 for g in others) and
         r["ratios"].get(str(f), 1) <= OWN_MAX and r["auth_fail"] == 0,
         "GCM: %d Hz hears %s and not itself" % (f, others), r)
rc, _ = cd.stop()
t.ok(rc == 0, "confd with a GCM room stops cleanly", cd.log())
t.done()
