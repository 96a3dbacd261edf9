"""confd and mgmtd together, as an operator deploys them: confd registers
over HTTPS and follows the feed; a booking for now becomes an open port on
confd within a second, its invitees' credentials let them in and nobody
else; a cancelled booking closes; a restarted confd gets its conferences
back by itself; confd keeps serving while mgmtd is away."""
import json
import os
import random
import socket
import stat
import subprocess
import time

from confd_util import Confd, free_udp_range, udp_port_taken
from harness import Tap, prog, run
from mgmtd_util import OPERATOR, ORGANISERS, SECRETS, Mgmtd, book

t = Tap()


def wait(pred, timeout):
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if pred():
            return time.monotonic() - t0
        time.sleep(0.01)
    return None


# Code 2 goes out through an [sms] command that appends to a file.
m = Mgmtd()
sms_file = os.path.join(m.dir, "sms.txt")
script = os.path.join(m.dir, "sms.sh")
with open(script, "w") as f:
    f.write("#!/bin/sh\nprintf '%%s\\n' \"$*\" >> %s\n" % sms_file)
os.chmod(script, stat.S_IRWXU)
with open(m.daemon.conf) as f:
    m.daemon.write_conf(f.read() + "[sms]\nchannel = exec\ncommand = %s\n"
                        % script)
t.ok(m.start(), "mgmtd with TLS is ready", m.log())
api = m.api()
lo, hi = free_udp_range()
confd_extra = ("[mgmtd]\naddress = 127.0.0.1\nport = %d\nca_file = %s\n"
               "secret = %s\nport_min = %d\nport_max = %d\ncapacity = 50\n"
               "[mixer]\nmax_speakers = 0\n"
               % (m.port, m.cert, SECRETS["s1"], lo, hi))
cd = Confd({}, extra=confd_extra, server_id="s1")
t.ok(cd.start(), "confd is ready", cd.log())
t.ok(cd.wait_log("registered with mgmtd"), "confd registers with mgmtd",
     cd.log())


def server_state():
    st, js, _, _ = api.call("GET", "/v1/servers/s1", token=OPERATOR)
    return js["server"]["state"] if st == 200 else None


t.ok(wait(lambda: server_state() == "active", 5) is not None,
     "mgmtd lists the server as active")

# A booking for now opens its port on confd within a second.
phones = ["+4930100001", "+4930100002", "+4930100003"]
t0 = time.monotonic()
st, js, text, _ = book(api, "now", duration=900, capacity=3,
                       invitees=phones)
t.ok(st == 201, "booked a conference for now", text)
bid = js["booking"]["id"]


def sms_code2(phone, timeout=5):
    """Code 2 of phone, from the file the [sms] command writes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if os.path.exists(sms_file):
            for line in open(sms_file):
                if line.startswith(phone + " "):
                    return line.split("code 2: ")[1].split()[0]
        time.sleep(0.05)
    return None


creds = []
for ph in phones:
    st, js, text, _ = api.call("POST", "/v1/bookings/%s/access" % bid,
                               {"phone": ph}, token=ORGANISERS["alice"])
    t.ok(st == 201 and "code1" in js["access"] and
         "code2" not in text and "key" not in text,
         "access for %s: code 1 in the answer, nothing else secret" % ph,
         text)
    code2 = sms_code2(ph)
    rc, out = run([prog("confcli"), "codes", "show", "--json",
                   js["access"]["code1"], code2 or "-"])
    t.ok(rc == 0, "code 2 came by SMS and both decode", out)
    c = json.loads(out) if rc == 0 else {}
    creds.append({"ssrc": c.get("ssrc", 0), "port": c.get("port", 0),
                  "key_up": c.get("key_send", ""),
                  "key_down": c.get("key_receive", "")})
port = creds[0]["port"]
t.ok(lo <= port <= hi, "the port is in confd's registered range")
took = wait(lambda: udp_port_taken(port), 2)
took = None if took is None else time.monotonic() - t0
t.ok(took is not None and took < 1.0,
     "the port is open on confd within 1 s of the booking (%s)"
     % ("%.3f s" % took if took is not None else "never"), cd.log())

# The invitees' credentials let them in; each hears the other two.
FREQS = [500, 700, 900]
parties = [(c["ssrc"], f, c["key_up"], c["key_down"])
           for c, f in zip(creds, FREQS)]


def party_args(ps):
    return ["%d:%d:%s:%s" % p for p in ps]


def run_parties(ps, seconds=4, extra=()):
    cmd = [prog("tests/tparty"), "-a", "127.0.0.1", "-p", str(port),
           "-d", str(seconds)] + list(extra) + party_args(ps)
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=60)
    res = {}
    for line in p.stdout.decode().splitlines():
        if line.startswith("{"):
            j = json.loads(line)
            res[j["ssrc"]] = j
    return res, p.returncode, p.stdout.decode() + p.stderr.decode()


res, rc, out = run_parties(parties)
t.ok(rc == 0 and len(res) == 3, "three booked participants ran", out)
for (ssrc, f, _, _) in parties:
    r = res.get(ssrc, {"ratios": {}})
    others = [g for g in FREQS if g != f]
    t.ok(all(r["ratios"].get(str(g), 0) >= 0.2 for g in others) and
         r["ratios"].get(str(f), 1) <= 0.02,
         "booked participant %d Hz hears %s and not itself" % (f, others), r)

# Someone with an invitee's SSRC but not its keys gets nothing.
fake = (creds[0]["ssrc"], 300, creds[1]["key_up"], creds[1]["key_down"])
res, rc, out = run_parties([fake], seconds=2)
t.ok(res.get(fake[0], {}).get("received", 1) == 0,
     "an SSRC with the wrong keys gets nothing", out)
stranger = (0x7e7e7e7e, 300, creds[1]["key_up"], creds[1]["key_down"])
res, rc, out = run_parties([stranger], seconds=2)
t.ok(res.get(stranger[0], {}).get("received", 1) == 0,
     "an SSRC that was never issued gets nothing", out)

# Restarting confd: it gets its conferences back from mgmtd.
rc, _ = cd.stop()
t.ok(rc == 0, "confd stops cleanly", cd.log())
t.ok(not udp_port_taken(port), "its port is closed while it is down")
t0 = time.monotonic()
t.ok(cd.start(), "confd starts again", cd.log())
took = wait(lambda: udp_port_taken(port), 3)
t.ok(took is not None and time.monotonic() - t0 < 2.0,
     "the restarted confd opens the booked port again within 2 s",
     cd.log())

# mgmtd away: confd goes on serving what it has.
rc, _ = m.stop()
t.ok(rc == 0, "mgmtd stops")
res, rc, out = run_parties(parties[:2], seconds=3)
t.ok(res.get(parties[0][0], {"ratios": {}})["ratios"].get("700", 0) >= 0.3,
     "with mgmtd down the conference still works", out)
t.ok(cd.proc.poll() is None and udp_port_taken(port),
     "confd keeps the conference while mgmtd is away", cd.log())
t.ok(m.start(), "mgmtd is back", m.log())
api = m.api()

# Cancelling closes the port.
t0 = time.monotonic()
st, js, text, _ = api.call("DELETE", "/v1/bookings/%s" % bid,
                           token=ORGANISERS["alice"])
t.ok(st == 200, "cancelled the booking", text)
took = wait(lambda: not udp_port_taken(port), 35)
t.ok(took is not None, "confd closes the cancelled conference's port "
     "(%s)" % ("%.2f s" % took if took is not None else "never"), cd.log())
rc, _ = cd.stop()
t.ok(rc == 0, "confd stops cleanly", cd.log())
rc, _ = m.stop()
t.ok(rc == 0, "mgmtd stops cleanly", m.log())
t.done()
