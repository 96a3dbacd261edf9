"""confd killed with SIGKILL in the middle of a conference and started
again, as systemd's Restart= does: the conference is back within two
seconds, and participants that simply keep sending are heard again, and
hear again, without doing anything."""
import math
import os
import struct
import time
import wave

from confd_util import (Confd, free_udp_port, new_key, tparty_start,
                        tparty_wait)
from harness import Tap, tmpdir

t = Tap()


def tone_share(path, hz, start_s, end_s, rate=48000):
    """The share of the energy at hz in [start_s, end_s) of a WAV file."""
    with wave.open(path) as w:
        n = w.getnframes()
        data = struct.unpack("<%dh" % n, w.readframes(n))
    seg = data[int(start_s * rate):int(end_s * rate)]
    if not seg:
        return 0.0
    total = sum(x * x for x in seg) / len(seg)
    if total == 0:
        return 0.0
    # Goertzel over the segment.
    k = 2 * math.cos(2 * math.pi * hz / rate)
    s1 = s2 = 0.0
    for x in seg:
        s0 = x + k * s1 - s2
        s2, s1 = s1, s0
    power = (s1 * s1 + s2 * s2 - k * s1 * s2) * 2 / (len(seg) ** 2)
    return power / total


key = new_key()
port = free_udp_port()
cd = Confd({"sturdy": {"port": port, "key": key}},
           extra="[mixer]\nmax_speakers = 0\n")
t.ok(cd.start(), "confd is ready", cd.log())
rec = tmpdir("restart")
SECONDS = 10
p = tparty_start(port, key, [(0x2001, 500), (0x2002, 900)], SECONDS,
                 args=["-w", rec])
time.sleep(3)
cd.proc.kill()
cd.proc.wait()
killed = time.monotonic()
t.ok(cd.start(), "confd starts again after SIGKILL", cd.log())
t.ok(time.monotonic() - killed < 2.0,
     "the conference is back within 2 s (%.2f s)"
     % (time.monotonic() - killed))
res, rc, out = tparty_wait(p)
t.ok(rc == 0 and len(res) == 2, "the participants ran through", out)
# Whether a participant had to start its receiving context afresh depends
# on where the new stream's random sequence numbers fall; what counts is
# that it hears again, checked below.
print("# resyncs: %s" % {hex(k): v["resyncs"] for k, v in res.items()})
for ssrc, mine, other in ((0x2001, 500, 900), (0x2002, 900, 500)):
    wav = os.path.join(rec, "party-%08x.wav" % ssrc)
    before = tone_share(wav, other, 0.8, 2.8)
    after = tone_share(wav, other, SECONDS - 4, SECONDS - 0.5)
    own = tone_share(wav, mine, SECONDS - 4, SECONDS - 0.5)
    t.ok(before > 0.3, "%d Hz heard %d Hz before the crash (%.2f)"
         % (mine, other, before))
    t.ok(after > 0.3 and own < 0.02,
         "%d Hz hears %d Hz again after the restart (%.2f), not itself"
         % (mine, other, after))
rc, _ = cd.stop()
t.ok(rc == 0, "confd stops cleanly", cd.log())
t.done()
