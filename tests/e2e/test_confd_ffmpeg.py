"""A real third-party participant: Debian's ffmpeg sends SRTP-protected
Opus with the room key, and the others hear it."""
import shutil
import subprocess

from confd_util import (Confd, free_udp_port, new_key, tparty_start,
                        tparty_wait)
from harness import Tap

t = Tap()
if not shutil.which("ffmpeg"):
    print("# ffmpeg is not installed: tools/deps.sh installs it")
    t.ok(False, "ffmpeg is available")
    t.done()

key = new_key()
port = free_udp_port()
cd = Confd({"ff": {"port": port, "key": key}},
           extra="[mixer]\nmax_speakers = 0\n")
t.ok(cd.start(), "confd is ready", cd.log())
parties = [(0x0d000001, 400), (0x0d000002, 800)]
call = tparty_start(port, key, parties, 7,
                    args=["-F", "500"])   # also measure 500 Hz
src = free_udp_port()
ff = subprocess.run(
    ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-re",
     "-f", "lavfi", "-i", "sine=frequency=500:duration=6:sample_rate=48000",
     # lavfi's sine is at 1/8 of full scale; tparty's tones at 1/4.
     "-af", "volume=2", "-ac", "1", "-ar", "48000", "-c:a", "libopus", "-b:a", "32k",
     "-frame_duration", "20", "-application", "voip", "-f", "rtp",
     "-payload_type", "111", "-ssrc", "4660", "-rtpflags", "skip_rtcp",
     "-srtp_out_suite", "AES_CM_128_HMAC_SHA1_80", "-srtp_out_params", key,
     "srtp://127.0.0.1:%d?localrtpport=%d&localaddr=127.0.0.1" % (port, src)],
    stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
t.ok(ff.returncode == 0, "ffmpeg sent its tone", ff.stdout.decode())
res, rc, out = tparty_wait(call)
t.ok(rc == 0 and len(res) == 2, "the participants ran", out)
for s, f in parties:
    r = res[s]
    # Unheard, a tone measures about 0.0001; heard, a third or more.
    t.ok(r["ratios"].get("500", 0) >= 0.1,
         "%d Hz participant hears ffmpeg's 500 Hz (%.2f)"
         % (f, r["ratios"].get("500", 0)), r)
t.ok(cd.metric("confd_packets_received_total", room="ff",
               ssrc="%08x" % 4660) > 200,
     "confd received ffmpeg's packets as participant 00001234")
rc, _ = cd.stop()
t.ok(rc == 0, "confd stops cleanly", cd.log())
t.done()
