"""confcli as a participant uses it: the command line and its errors, the
access codes (shown for a standard SRTP client, refused with a message
that names the mistake), and joining a real confd from the two codes:
two participants hear each other and not themselves, Ctrl-C leaves with
an RTCP BYE, a made-up code is refused, a server that does not answer is
named, and ffmpeg joins with the command line `codes show` prints.

confd admits a booked participant only with a credential from mgmtd's
feed.  So that these tests do not depend on mgmtd, a small stand-in here
serves the feed to confd with the credentials of codes made by
tests/tools/tcodes (acode_issue, as mgmtd makes them); the journey through
the real mgmtd is in test_confcli_mgmtd.py."""
import array
import http.server
import json
import math
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.parse
import wave

from confd_util import Confd
from harness import Tap, free_port, prog, tmpdir

t = Tap()
D = tmpdir("confcli")
HOME = os.path.join(D, "home")
os.makedirs(HOME)
# No configuration of the user who runs the tests may leak in.
ENV = {k: v for k, v in os.environ.items() if not k.startswith("CONFCLI_")}
ENV["HOME"] = HOME
ENV.pop("XDG_CONFIG_HOME", None)


def cli(*args, stdin=None, env=None, timeout=60):
    """Runs confcli; returns (status, stdout, stderr)."""
    e = dict(ENV)
    e.update(env or {})
    p = subprocess.run([prog("confcli")] + list(args), input=stdin,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       env=e, timeout=timeout)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def codes(addr, port, expires):
    out = subprocess.run([prog("tests/tcodes"), "issue", addr, str(port),
                          str(int(expires))], stdout=subprocess.PIPE,
                         check=True).stdout
    return json.loads(out)


def tone_ratios(path, freqs, skip=1.0):
    """Goertzel: the share of the energy of a WAV file at each frequency,
    after skip seconds; and the mean energy per sample (full scale 1)."""
    with wave.open(path) as w:
        rate = w.getframerate()
        x = array.array("h", w.readframes(w.getnframes()))
    x = x[int(skip * rate):]
    energy = sum(float(v) * v for v in x)
    out = {}
    for f in freqs:
        k = 2 * math.cos(2 * math.pi * f / rate)
        s1 = s2 = 0.0
        for v in x:
            s1, s2 = v + k * s1 - s2, s1
        power = s1 * s1 + s2 * s2 - k * s1 * s2
        out[f] = 2 * power / (len(x) * energy) if energy else 0.0
    return out, (energy / len(x) / 32768.0 ** 2 if x else 0.0)


def write_wav(path, freq, secs, rate=48000, amp=0.25):
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(array.array("h", (
            int(amp * 32767 * math.sin(2 * math.pi * freq * i / rate))
            for i in range(int(secs * rate)))).tobytes())


# ---- The command line ---------------------------------------------------
rc, out, err = cli()
t.ok(rc == 64 and "no command" in err and "usage:" in err,
     "no command: usage on stderr, status 64", err)
rc, out, err = cli("--help")
t.ok(rc == 0 and all(v in out for v in ("book", "access", "join", "codes",
                                         "servers", "drain")),
     "--help lists the commands", out)
rc, out, err = cli("join", "--help")
t.ok(rc == 0 and "--tone" in out and "--record" in out,
     "join --help shows its options", out)
rc, out, err = cli("version")
t.ok(rc == 0 and out.startswith("confcli "), "version", out)
rc, out, err = cli("frobnicate")
t.ok(rc == 64 and "unknown command 'frobnicate'" in err,
     "an unknown command is named, status 64", err)
rc, out, err = cli("book", "--capacity", "3", "--key", "k" * 20)
t.ok(rc == 64 and "--duration" in err, "book without --duration: 64", err)
rc, out, err = cli("book", "--duration", "1x", "--capacity", "3")
t.ok(rc == 64 and "'1x' is not a duration" in err,
     "a malformed duration is named", err)
rc, out, err = cli("book", "--duration", "1h", "--capacity", "3",
                   "--invite", "004930123456")
t.ok(rc == 64 and "E.164" in err, "a malformed phone number is named", err)
rc, out, err = cli("booking", "not-an-id")
t.ok(rc == 64 and "not a booking id" in err, "a malformed booking id", err)
rc, out, err = cli("join", "1000H")
t.ok(rc == 64 and "both codes" in err, "join with one code: 64", err)
rc, out, err = cli("join", "--tone", "abc", "A", "B")
t.ok(rc == 64 and "--tone" in err, "join --tone abc: 64", err)
rc, out, err = cli("bookings", "--bogus")
t.ok(rc == 64 and "--bogus" in err, "an unknown option is named", err)
rc, out, err = cli("bookings")
t.ok(rc == 78 and "no API key" in err, "no API key: says where to put one, "
     "status 78", err)
rc, out, err = cli("--config", os.path.join(D, "nonexistent.ini"),
                   "bookings")
t.ok(rc == 78 and "nonexistent.ini" in err,
     "a named configuration file that is missing: 78", err)
bad_ini = os.path.join(D, "bad.ini")
with open(bad_ini, "w") as f:
    f.write("[mgmtd]\nurl = https://127.0.0.1:1\nsecret = x\n")
rc, out, err = cli("--config", bad_ini, "bookings")
t.ok(rc == 78 and "bad.ini:3:" in err,
     "a wrong line of the configuration file is named as file:line", err)
rc, out, err = cli("--mgmtd", "http://192.0.2.1:8080", "--key", "k" * 20,
                   "bookings")
t.ok(rc == 78 and "https://" in err,
     "plain HTTP to another machine is refused: it would show the key", err)
rc, out, err = cli("--mgmtd", "ftp://127.0.0.1", "--key", "k" * 20,
                   "bookings")
t.ok(rc == 78 and "not a URL" in err, "a wrong URL is named", err)
closed = free_port()
rc, out, err = cli("--mgmtd", "https://127.0.0.1:%d" % closed, "--key",
                   "k" * 20, "bookings")
t.ok(rc == 69 and "does not answer" in err and "refused" in err,
     "mgmtd not listening: 'does not answer', status 69", err)
# The key comes from the configuration file when nothing else gives it.
os.makedirs(os.path.join(HOME, ".config"))
with open(os.path.join(HOME, ".config", "confcli.ini"), "w") as f:
    f.write("[mgmtd]\nurl = https://127.0.0.1:%d\nkey = %s\n"
            % (closed, "a-key-from-the-file"))
os.chmod(os.path.join(HOME, ".config", "confcli.ini"), 0o600)
rc, out, err = cli("bookings")
t.ok(rc == 69 and "127.0.0.1:%d" % closed in err and
     "a-key-from-the-file" not in out + err,
     "settings come from ~/.config/confcli.ini; the key is never shown", err)
rc, out, err = cli("bookings", env={"CONFCLI_MGMTD": "https://127.0.0.1:1"})
t.ok(rc == 69 and "127.0.0.1:1 " in err,
     "CONFCLI_MGMTD goes before the configuration file", err)
rc, out, err = cli("--mgmtd", "https://127.0.0.1:2", "bookings",
                   env={"CONFCLI_MGMTD": "https://127.0.0.1:1"})
t.ok(rc == 69 and "127.0.0.1:2 " in err,
     "--mgmtd goes before CONFCLI_MGMTD", err)
os.unlink(os.path.join(HOME, ".config", "confcli.ini"))

# ---- The codes ----------------------------------------------------------
now = time.time()
pair = codes("127.0.0.1", 40123, now + 3600)
rc, out, err = cli("codes", "show", pair["code1"], pair["code2"], "--json")
js = json.loads(out) if rc == 0 else {}
t.ok(rc == 0 and js.get("address") == "127.0.0.1" and
     js.get("port") == 40123 and js.get("ssrc") == pair["ssrc"] and
     js.get("server_ssrc") == pair["server_ssrc"] and
     js.get("key_send") == pair["key_c2s"] and
     js.get("key_receive") == pair["key_s2c"] and
     js.get("suite") == "AES_CM_128_HMAC_SHA1_80",
     "codes show --json: address, port, both SSRCs, suite and both keys",
     out + err)
rc, out, err = cli("codes", "show", pair["code1"], pair["code2"])
signed = pair["ssrc"] - (1 << 32) if pair["ssrc"] >= 1 << 31 else pair["ssrc"]
t.ok(rc == 0 and "127.0.0.1 port 40123" in out and
     str(pair["ssrc"]) in out and str(pair["server_ssrc"]) in out and
     pair["key_c2s"] in out and pair["key_s2c"] in out and
     "-ssrc %d " % signed in out and "srtp://127.0.0.1:40123" in out,
     "codes show: for a person, with the ffmpeg command line", out + err)
rc, out, err = cli("codes", "show", pair["code1"], pair["sms"], "--json")
t.ok(rc == 0 and json.loads(out)["port"] == 40123,
     "code 2 may be the whole SMS, pasted", out + err)
rc, out, err = cli("codes", "show", "-", "-", "--json",
                   stdin=(pair["code1"] + "\n" + pair["code2"] + "\n").encode())
t.ok(rc == 0 and json.loads(out)["ssrc"] == pair["ssrc"],
     "codes given as - are read from standard input", out + err)
rc, out, err = cli("codes", "show", pair["code1"].lower(),
                   pair["code2"].replace("-", " "), "--json")
t.ok(rc == 0, "codes are read in lower case and with spaces", err)
pair6 = codes("::1", 50000, now + 3600)
rc, out, err = cli("codes", "show", pair6["code1"], pair6["code2"], "--json")
t.ok(rc == 0 and json.loads(out)["address"] == "::1" and
     "srtp://[::1]:50000" in json.loads(out)["ffmpeg"],
     "IPv6: the address and a bracketed URL for ffmpeg", out + err)


def typo(code, group, pos=0):
    """code with the pos-th character of group (from 1) changed."""
    groups = code.split("-")
    g = groups[group - 1]
    c = "X" if g[pos] != "X" else "Y"
    groups[group - 1] = g[:pos] + c + g[pos + 1:]
    return "-".join(groups)


rc, out, err = cli("codes", "show", pair["code1"], typo(pair["code2"], 3, 1))
t.ok(rc == 65 and "code 2: a typo in group 3 (characters 11-15)" in err,
     "a typo in code 2 is named with its group, status 65", err)
rc, out, err = cli("codes", "show", typo(pair["code1"], 5, 2), pair["code2"])
t.ok(rc == 65 and "code 1: a typo in group 5 (characters 21-25)" in err,
     "a typo in code 1 is named with its group", err)
rc, out, err = cli("codes", "show", pair["code1"], pair["code2"][:-3])
t.ok(rc == 65 and "code 2 is too short" in err, "a short code 2", err)
rc, out, err = cli("codes", "show", pair["code2"], pair["code1"])
t.ok(rc == 65 and "the codes are swapped" in err,
     "swapped codes are named as such", err)
rc, out, err = cli("codes", "show", pair["code1"], pair["code1"])
t.ok(rc == 65 and "looks like code 1" in err, "code 1 given twice", err)
other = codes("127.0.0.1", 40123, now + 3600)
rc, out, err = cli("codes", "show", pair["code1"], other["code2"])
t.ok(rc == 65 and "do not belong together" in err,
     "codes of two pairs do not belong together", err)
old = codes("127.0.0.1", 40123, now - 3600)
rc, out, err = cli("codes", "show", old["code1"], old["code2"])
t.ok(rc == 65 and "expired at" in err, "expired codes say when", err)
rc, out, err = cli("codes", "show", pair["code1"] + "U", pair["code2"])
t.ok(rc == 65 and "'U'" in err, "a character outside the alphabet", err)
rc, out, err = cli("codes", "list", "a", "b")
t.ok(rc == 64 and "only 'show'" in err, "codes list: 64", err)
rc, out, err = cli("join", old["code1"], old["code2"])
t.ok(rc == 65 and "expired at" in err, "join refuses expired codes", err)
rc, out, err = cli("join", pair["code1"], pair["code2"], "--mic")
t.ok(rc == 69 and "PulseAudio" in err, "--mic without PulseAudio: 69", err)


# ---- Joining a real confd -----------------------------------------------
class FeedHandler(http.server.BaseHTTPRequestHandler):
    """mgmtd's side of confd's registration, heartbeats and feed, for one
    conference with the credentials of the codes above."""
    protocol_version = "HTTP/1.1"
    conference = None
    stop = threading.Event()

    def log_message(self, *args):
        pass

    def reply(self, body):
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.reply({"server": {"id": "s1", "state": "active"},
                    "heartbeat_interval_ms": 1000})

    def do_GET(self):
        q = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
        msg = {"type": "snapshot", "protocol": 1, "server": "s1",
               "epoch": "0123456789abcdef", "version": 1,
               "conferences": [self.conference]}
        if "epoch" in q:
            # Nothing changes: answer the long poll after a while.
            self.stop.wait(1.0)
            msg.update(type="changes", conferences=[])
        self.reply(msg)


port = None
while port is None:
    p = free_port(socket.SOCK_DGRAM)
    if 1024 < p < 65000:
        port = p
exp = now + 3600
parties = {n: codes("127.0.0.1", port, exp) for n in "ABCDEF"}
FeedHandler.conference = {
    "id": "c0ffee0123456789abcd", "state": "booked", "version": 1,
    "port": port, "start": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                         time.gmtime(now - 60)),
    "end": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(exp)),
    "capacity": 10, "suite": "AES_CM_128_HMAC_SHA1_80",
    "participants": [{"id": i + 1, "ssrc": c["ssrc"], "key_up": c["key_c2s"],
                      "key_down": c["key_s2c"]}
                     for i, c in enumerate(parties.values())]}
class FeedServer(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass    # confd hung up on a long poll: nothing to report


feed = FeedServer(("127.0.0.1", 0), FeedHandler)
feed.daemon_threads = True
threading.Thread(target=feed.serve_forever, daemon=True).start()
cd = Confd({}, server_id="s1", extra=(
    "[mgmtd]\naddress = 127.0.0.1\nport = %d\ntls = no\nsecret = %s\n"
    "port_min = %d\nport_max = %d\ncapacity = 50\n[mixer]\nmax_speakers = 0\n"
    % (feed.server_address[1], "secret-of-server-s1", port, port)))
t.ok(cd.start(), "confd is ready", cd.log())
t.ok(cd.wait_log("booked on port %d" % port),
     "confd opens the conference of the feed", cd.log())

wav700 = os.path.join(D, "700.wav")
write_wav(wav700, 700, 8)
rec = {n: os.path.join(D, "heard-%s.wav" % n) for n in "ABC"}
A, B, C = parties["A"], parties["B"], parties["C"]
procs = {
    "A": subprocess.Popen(
        [prog("confcli"), "join", A["code1"], A["code2"], "--tone", "500",
         "--record", rec["A"], "--duration", "4"], env=ENV,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE),
    "B": subprocess.Popen(
        [prog("confcli"), "join", B["code1"], B["code2"], "--wav", wav700,
         "--record", rec["B"], "--duration", "4"], env=ENV,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE),
}
# C runs on a terminal, to be seen drawing its status line, and leaves on
# Ctrl-C.
master, slave = os.openpty()
procs["C"] = subprocess.Popen(
    [prog("confcli"), "join", C["code1"], C["code2"], "--tone", "900",
     "--record", rec["C"]], env=ENV, stdin=subprocess.DEVNULL,
    stdout=subprocess.PIPE, stderr=slave)
os.close(slave)
tty = bytearray()


def read_tty():
    while True:
        try:
            data = os.read(master, 4096)
        except OSError:
            return
        if not data:
            return
        tty.extend(data)


reader = threading.Thread(target=read_tty, daemon=True)
reader.start()
results = {}
for n in "AB":
    o, e = procs[n].communicate(timeout=60)
    results[n] = (procs[n].returncode, o.decode(), e.decode())
procs["C"].send_signal(signal.SIGINT)
t0 = time.monotonic()
try:
    o, _ = procs["C"].communicate(timeout=10)
except subprocess.TimeoutExpired:
    procs["C"].kill()
    o, _ = procs["C"].communicate()
took = time.monotonic() - t0
reader.join(5)
os.close(master)
results["C"] = (procs["C"].returncode, o.decode(),
                tty.decode(errors="replace"))
for n in "AB":
    rc, o, e = results[n]
    t.ok(rc == 0 and "left after" in o and "received" in o,
         "participant %s ran 4 s and left with a summary" % n, o + e)
heard = {n: tone_ratios(rec[n], (500, 700, 900)) for n in "ABC"}
ra, ea = heard["A"]
t.ok(ra[700] >= 0.2 and ra[500] <= 0.02,
     "A (500 Hz tone) hears B's 700 Hz WAV and not itself (%s)" % ra)
rb, eb = heard["B"]
t.ok(rb[500] >= 0.2 and rb[700] <= 0.02,
     "B (700 Hz WAV) hears A's 500 Hz and not itself (%s)" % rb)
rc_, _ = heard["C"]
t.ok(rc_[500] >= 0.1 and rc_[700] >= 0.1 and rc_[900] <= 0.02,
     "C (900 Hz) hears A and B and not itself (%s)" % rc_)
t.ok(ra[900] >= 0.1, "A hears C too (%s)" % ra)
rc, o, screen = results["C"]
t.ok(rc == 0 and took < 5, "Ctrl-C: join leaves at once with status 0 "
     "(%.1f s)" % took, o + screen)
t.ok(cd.wait_log("participant %08x left (BYE)" % C["ssrc"], 3),
     "confd logs that C left with an RTCP BYE", cd.log())
t.ok("\r\x1b[K" in screen and "heard [" in screen and "dBov" in screen and
     "someone speaking" in screen and "jitter" in screen and
     "loss" in screen,
     "on a terminal: one status line with level, speaking, loss, jitter",
     screen[-600:])
t.ok("left after" in o, "C prints its summary line", o)

# Alone in the conference confd sends no audio, but its reports show that
# it answers.
rc, out, err = cli("join", parties["F"]["code1"], parties["F"]["code2"],
                   "--duration", "1.5")
t.ok(rc == 0 and "received 0" in out,
     "alone in the conference: nothing heard, but no error", out + err)

# A made-up code 2 with a real code 1.
fake = codes("127.0.0.1", port, exp)
rc, out, err = cli("join", A["code1"], fake["code2"], "--duration", "1")
t.ok(rc == 65 and "do not belong together" in err,
     "join with a real code 1 and a made-up code 2 is refused, 65", err)
rc, out, err = cli("join", A["code1"], typo(A["code2"], 7),
                   "--duration", "1")
t.ok(rc == 65 and "code 2: a typo in group 7 (characters 31-35)" in err,
     "join names a typo in code 2", err)

# A server that does not answer.
silent = codes("127.0.0.1", free_port(socket.SOCK_DGRAM), exp)
rc, out, err = cli("join", silent["code1"], silent["code2"],
                   "--duration", "2")
t.ok(rc == 69 and "does not answer" in err,
     "nobody at the code's port: 'does not answer', status 69", out + err)

# Sound files that cannot be sent.
rc, out, err = cli("join", A["code1"], A["code2"], "--wav",
                   os.path.join(D, "missing.wav"))
t.ok(rc == 66 and "missing.wav" in err, "a missing --wav file: 66", err)
wav44 = os.path.join(D, "44k.wav")
write_wav(wav44, 700, 0.5, rate=44100)
rc, out, err = cli("join", A["code1"], A["code2"], "--wav", wav44)
t.ok(rc == 65 and "48" in err, "a 44.1 kHz file: 65, says 48 kHz", err)

# ffmpeg joins with the command line codes show prints; E listens.
if shutil.which("ffmpeg"):
    E = parties["E"]
    wav600 = os.path.join(D, "in.wav")
    write_wav(wav600, 600, 4)
    rc, out, err = cli("codes", "show", parties["D"]["code1"],
                       parties["D"]["code2"], "--json")
    cmd = shlex.split(json.loads(out)["ffmpeg"]) if rc == 0 else ["false"]
    cmd = [wav600 if a == "in.wav" else a for a in cmd]
    cmd[1:1] = ["-hide_banner", "-loglevel", "error"]
    rec_e = os.path.join(D, "heard-E.wav")
    listener = subprocess.Popen(
        [prog("confcli"), "join", E["code1"], E["code2"], "--record", rec_e,
         "--duration", "5", "-q"], env=ENV, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE)
    time.sleep(0.5)
    ff = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                        timeout=60, cwd=D)
    lo, le = listener.communicate(timeout=60)
    t.ok(ff.returncode == 0, "ffmpeg ran the printed command line",
         ff.stdout.decode())
    re_, ee = tone_ratios(rec_e, (600,))
    t.ok(listener.returncode == 0 and re_[600] >= 0.2,
         "a participant hears ffmpeg's 600 Hz (%.2f)" % re_[600],
         (lo + le).decode())
else:
    t.ok(False, "ffmpeg is installed (tools/deps.sh installs it)")

rc, _ = cd.stop()
t.ok(rc == 0, "confd stops cleanly", cd.log())
FeedHandler.stop.set()

# The manual page renders cleanly and keeps up with the program.
page = os.path.join(os.environ.get("TOP", "."), "docs", "confcli.1")
if shutil.which("groff"):
    g = subprocess.run(["groff", "-man", "-ww", "-z", page],
                       stderr=subprocess.PIPE)
    t.ok(g.returncode == 0 and not g.stderr,
         "groff -man -ww: confcli.1 renders without a warning",
         g.stderr.decode())
text = open(page).read().replace("\\-", "-")
rc, out, err = cli("help")
verbs = re.findall(r"^  (\w+) ", out, re.M)
t.ok(verbs and all(re.search(r"^\.(B|BI|TP|SS).*\b%s\b" % v, text, re.M)
                   for v in verbs),
     "confcli.1 documents every command of 'confcli help'",
     [v for v in verbs if v not in text])
with open(os.path.join(os.environ.get("TOP", "."), "client",
                       "confcli.h")) as f:
    statuses = re.findall(r"#define CONFCLI_EX_\w+\s+(\d+)", f.read())
exit_sec = text.split(".SH EXIT STATUS")[1].split(".SH ")[0]
t.ok(statuses and all(".B %s\n" % n in exit_sec for n in statuses),
     "confcli.1 documents every exit status", statuses)
feed.shutdown()
t.done()
