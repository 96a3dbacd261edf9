"""A bad network on every input: 10 % random loss, reordering and 30 ms of
jitter.  Every tone is still heard, and confd says it concealed or
recovered what was lost."""
from confd_util import Confd, free_udp_port, new_key, tparty
from harness import Tap

t = Tap()
FREQS = [400, 600, 800, 1000]
SSRCS = [0x0a0a0a01, 0x0a0a0a02, 0x0a0a0a03, 0x0a0a0a04]

key = new_key()
port = free_udp_port()
cd = Confd({"rough": {"port": port, "key": key}},
           extra="[mixer]\nmax_speakers = 0\n")
t.ok(cd.start(), "confd is ready", cd.log())
res, rc, out = tparty(port, key, list(zip(SSRCS, FREQS)), 6,
                      args=["-l", "10", "-r", "5", "-j", "30", "-S", "7"])
t.ok(rc == 0 and len(res) == 4, "four impaired participants ran", out)
for s, f in zip(SSRCS, FREQS):
    r = res[s]
    others = [g for g in FREQS if g != f]
    t.ok(all(r["ratios"][str(g)] >= 0.10 for g in others),
         "%d Hz still hears %s through loss and jitter" % (f, others), r)
    t.ok(r["ratios"][str(f)] <= 0.03, "%d Hz still does not hear itself"
         % f, r)

room = {"room": "rough"}
lost = cd.metric("confd_lost_total", **room)
conc = cd.metric("confd_concealed_total", **room)
fec = cd.metric("confd_fec_recovered_total", **room)
late = cd.metric("confd_late_total", **room)
t.ok(lost > 0, "confd counted lost frames (%d)" % lost)
t.ok(conc + fec > 0, "confd concealed (%d) or recovered by FEC (%d) frames"
     % (conc, fec))
rc, _ = cd.stop()
t.ok(rc == 0, "confd stops cleanly", cd.log())
t.done()
