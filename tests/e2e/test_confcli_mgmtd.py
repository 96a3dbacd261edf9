"""confcli against the real mgmtd (HTTPS) and a confd registered with it,
the whole journey of docs/confcli.1: an operator lists and drains
servers; an organiser books, lists, extends and cancels; asks for an
invitee's codes (code 1 in the answer, code 2 by SMS, here through an
[sms] command that writes a file); two invitees join from their codes and
hear each other.  Every refusal gets its exit status and a message a
person understands: a wrong key, an untrusted certificate, no capacity, a
cancelled booking, a phone that is not invited."""
import array
import json
import math
import os
import re
import stat
import subprocess
import time
import wave

from confd_util import Confd, free_udp_range
from harness import Tap, prog, run
from mgmtd_util import OPERATOR, ORGANISERS, SECRETS, Mgmtd

t = Tap()
ALICE = ORGANISERS["alice"]


def tone_ratios(path, freqs, skip=1.0):
    """Goertzel: the share of a WAV file's energy at each frequency."""
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
        out[f] = (2 * (s1 * s1 + s2 * s2 - k * s1 * s2) / (len(x) * energy)
                  if energy else 0.0)
    return out


# mgmtd sends code 2 through a command that appends to a file, when it
# has an [sms] channel; an older mgmtd refuses the section.
m = Mgmtd()
sms_file = os.path.join(m.dir, "sms.txt")
script = os.path.join(m.dir, "sms.sh")
with open(script, "w") as f:
    f.write("#!/bin/sh\nprintf '%%s\\n' \"$*\" >> %s\n" % sms_file)
os.chmod(script, stat.S_IRWXU)
sms_conf = "[sms]\nchannel = exec\ncommand = %s\n" % script
with open(m.daemon.conf) as f:
    text = f.read()
m.daemon.write_conf(text + sms_conf)
rc, out = run([prog("mgmtd"), "-n", "-f", m.daemon.conf])
has_sms = rc == 0
if not has_sms:
    print("# this mgmtd has no [sms] channel: %s"
          % " / ".join(out.strip().splitlines())[:200])
    m.daemon.write_conf(text)
t.ok(m.start(), "mgmtd with TLS is ready", m.log())
lo, hi = free_udp_range()
cd = Confd({}, server_id="s1", extra=(
    "[mgmtd]\naddress = 127.0.0.1\nport = %d\nca_file = %s\nsecret = %s\n"
    "port_min = %d\nport_max = %d\ncapacity = 50\n[mixer]\nmax_speakers = 0\n"
    % (m.port, m.cert, SECRETS["s1"], lo, hi)))
t.ok(cd.start(), "confd is ready", cd.log())
t.ok(cd.wait_log("registered with mgmtd"), "confd registers", cd.log())

HOME = os.path.join(m.dir, "home")
os.makedirs(HOME)
ENV = {k: v for k, v in os.environ.items() if not k.startswith("CONFCLI_")}
ENV.update(HOME=HOME, CONFCLI_MGMTD="https://127.0.0.1:%d" % m.port,
           CONFCLI_CA=m.cert, CONFCLI_KEY=ALICE)
ENV.pop("XDG_CONFIG_HOME", None)


def cli(*args, env=None, timeout=60):
    e = dict(ENV)
    e.update(env or {})
    p = subprocess.run([prog("confcli")] + list(args), env=e,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=timeout)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


# ---- The operator --------------------------------------------------------
deadline = time.monotonic() + 5
while time.monotonic() < deadline:
    rc, out, err = cli("servers", "--json", env={"CONFCLI_KEY": OPERATOR})
    if rc == 0 and json.loads(out)["servers"][0]["state"] == "active":
        break
    time.sleep(0.1)
rc, out, err = cli("servers", env={"CONFCLI_KEY": OPERATOR})
t.ok(rc == 0 and re.search(r"^s1 +active .*127\.0\.0\.1\S* +%d-%d" % (lo, hi),
                           out, re.M),
     "servers: s1, active, its address and ports", out + err)
rc, out, err = cli("servers")
t.ok(rc == 77 and "operator's" in err,
     "servers with an organiser's key: 77, says an operator's key is "
     "needed", err)
rc, out, err = cli("server", "s1", env={"CONFCLI_KEY": OPERATOR})
t.ok(rc == 0 and "server s1 (active)" in out and "50 participants" in out,
     "server s1 shows its state and capacity", out + err)
rc, out, err = cli("server", "s9", env={"CONFCLI_KEY": OPERATOR})
t.ok(rc == 65 and "s9" in err, "an unknown server: 65", err)
rc, out, err = cli("drain", "s1", env={"CONFCLI_KEY": OPERATOR})
t.ok(rc == 0 and "draining" in out, "drain s1", out + err)
rc, out, err = cli("book", "--duration", "15m", "--capacity", "2")
t.ok(rc == 3 and "cannot book" in err,
     "nothing to book on a drained server: status 3", err)
rc, out, err = cli("undrain", "s1", env={"CONFCLI_KEY": OPERATOR})
t.ok(rc == 0 and "active" in out, "undrain s1", out + err)

# ---- Trust and keys -------------------------------------------------------
rc, out, err = cli("bookings", env={"CONFCLI_CA": ""})
t.ok(rc == 69 and "not trusted" in err and "--ca" in err,
     "mgmtd's certificate without its CA: not trusted, says --ca, 69", err)
rc, out, err = cli("--mgmtd", "https://localhost:%d" % m.port, "bookings")
t.ok(rc == 69 and "not trusted" in err and "mismatch" in err,
     "a certificate for another name: mismatch, 69", err)
rc, out, err = cli("bookings", env={"CONFCLI_KEY": "not-the-key-of-anyone"})
t.ok(rc == 77 and "not-the-key" not in out + err and "CONFCLI_KEY" in err,
     "a wrong key: 77, says where the key came from, never shows it", err)

# ---- The organiser --------------------------------------------------------
phones = ["+4930100001", "+4930100002"]
rc, out, err = cli("book", "--duration", "15m", "--capacity", "3",
                   "--invite", phones[0], "--invite", phones[1])
m_id = re.search(r"^booking ([0-9a-f]{20}) \(booked\)", out, re.M)
t.ok(rc == 0 and m_id and "server     s1" in out and
     "+4930100001, +4930100002" in out and "15 min" in out,
     "book: the booking, its server, window and invitees", out + err)
bid = m_id.group(1) if m_id else "0" * 20
rc, out, err = cli("bookings")
t.ok(rc == 0 and bid in out and "booked" in out, "bookings lists it", out)
rc, out, err = cli("booking", bid, "--json")
t.ok(rc == 0 and json.loads(out)["booking"]["invitees"] == phones,
     "booking --json is mgmtd's booking object", out + err)
rc, out, err = cli("extend", bid, "15m")
t.ok(rc == 0 and "now ends at" in out and "30 min" in out,
     "extend by 15m: 30 minutes in all", out + err)
rc, out, err = cli("booking", "0" * 20)
t.ok(rc == 65 and "no booking" in err, "an unknown booking: 65", err)
rc, out, err = cli("book", "--duration", "15m", "--capacity", "1000")
t.ok(rc == 3 and "no server has room" in err,
     "more participants than any server holds: status 3", err)
rc, out, err = cli("book", "--start", "2000-01-01T00:00:00Z",
                   "--duration", "15m", "--capacity", "2")
t.ok(rc == 65 and "past" in err, "a start in the past: 65", err)
rc, out, err = cli("access", bid, "+4930100009")
t.ok(rc == 77, "codes for a phone that is not invited: 77", err)

# ---- Codes and joining ----------------------------------------------------
rc, out, err = cli("access", bid, phones[0])
code1 = re.search(r"^([13][0-9A-Z]{4}(?:-[0-9A-Z]{5}){16,21})$", out, re.M)
t.ok(rc == 0 and code1 and "code 2 goes by SMS to %s" % phones[0] in out,
     "code 1 arrives, code 2 goes by SMS", out + err)
rc2, out2, err2 = cli("access", bid, phones[1], "--json")
a2 = json.loads(out2)["access"] if rc2 == 0 else {}
t.ok(rc2 == 0 and a2.get("phone") == phones[1] and
     a2.get("sms", {}).get("state") in ("queued", "sent"),
     "access --json: mgmtd's access object, with the SMS", out2 + err2)
codes1 = [code1.group(1) if code1 else "", a2.get("code1", "")]


def sms_code2(phone):
    """code 2 of phone from the file the [sms] command writes."""
    pat = re.compile(r"2[0-9A-Z]{4}(?:-[0-9A-Z]{5}){15}")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if os.path.exists(sms_file):
            for line in open(sms_file):
                if phone in line and pat.search(line):
                    return pat.search(line).group(0)
        time.sleep(0.1)
    return ""


codes2 = [sms_code2(p) for p in phones]
t.ok(has_sms and all(codes2), "code 2 reaches the [sms] command",
     open(sms_file).read() if os.path.exists(sms_file) else m.log())
recs = [os.path.join(m.dir, "heard-%d.wav" % i) for i in (0, 1)]
procs = [subprocess.Popen(
    [prog("confcli"), "join", codes1[i], codes2[i], "--tone", str(f),
     "--record", recs[i], "--duration", "4"], env=ENV,
    stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    for i, f in ((0, 500), (1, 700))]
outs = [p.communicate(timeout=60) for p in procs]
t.ok(all(p.returncode == 0 for p in procs),
     "two invitees join from their codes",
     "".join((o + e).decode() for o, e in outs))
ok = all(p.returncode == 0 for p in procs)
r0 = tone_ratios(recs[0], (500, 700)) if ok else {500: 1, 700: 0}
r1 = tone_ratios(recs[1], (500, 700)) if ok else {500: 0, 700: 1}
t.ok(r0[700] >= 0.2 and r0[500] <= 0.02 and
     r1[500] >= 0.2 and r1[700] <= 0.02,
     "each hears the other and not itself (%s, %s)" % (r0, r1))
rc, out, err = cli("access", bid)
t.ok(rc == 0 and all(re.search(r"^\%s +(sent|delivered|buffered) " % p,
                               out, re.M) for p in phones),
     "access lists both phones, their SMS sent", out + err)
rc, out, err = cli("access", bid, phones[0])
rc, out, err = cli("join", codes1[0], codes2[0], "--duration", "1")
t.ok(rc == 69, "codes replaced by a new request let nobody in", out + err)

# ---- Cancelling -----------------------------------------------------------
rc, out, err = cli("cancel", bid)
t.ok(rc == 0 and "cancelled booking %s" % bid in out, "cancel", out + err)
rc, out, err = cli("booking", bid)
t.ok(rc == 0 and "(cancelled)" in out, "the booking shows cancelled", out)
rc, out, err = cli("cancel", bid)
t.ok(rc == 65 and "cancel" in err, "cancelling twice: 65", err)

# ---- mgmtd away ------------------------------------------------------------
rc, _ = cd.stop()
t.ok(rc == 0, "confd stops cleanly", cd.log())
rc, _ = m.stop()
t.ok(rc == 0, "mgmtd stops cleanly", m.log())
rc, out, err = cli("bookings")
t.ok(rc == 69 and "does not answer" in err,
     "mgmtd stopped: 'does not answer', 69", err)
t.done()
