"""A confd that dies for good: mgmtd, with two confd registered, declares
it failed after [registry] failover_after, moves its running conference to
the other server, sends each participant a new code 2 by SMS and keeps the
new code 1 sealed for the holder of the old one; `confcli moved` picks it
up, and the participants, joining with the new codes, hear each other on
the new server.  A wrong or unknown code 1 gets a clear answer.  Then kill
-9 of mgmtd in the middle of a failover of many bookings: after the
restart every booking is either moved, with all its new codes, or not
yet, and the failover completes."""
import json
import os
import subprocess
import time

from confd_util import Confd, free_udp_range
from harness import Tap, prog
from kannel_util import Capture
from mgmtd_util import OPERATOR, ORGANISERS, SECRETS, Mgmtd, book

t = Tap()
ALICE = ORGANISERS["alice"]
PHONES = ["+4930700001", "+4930700002"]
FREQS = [500, 800]


def wait(pred, timeout, step=0.05):
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v or time.monotonic() >= deadline:
            return v
        time.sleep(step)


cap = Capture()
m = Mgmtd(servers=("s1", "s2"),
          registry="heartbeat_timeout = 1s\nfailover_after = 2s\n",
          api="access_per_address = 1000\naccess_per_phone = 1000\n",
          extra=cap.ini("retry_min = 200ms\n"))
t.ok(m.start(), "mgmtd starts with failover_after = 2s", m.log())
api = m.api()
ranges = {"s1": free_udp_range(40), "s2": free_udp_range(40)}
confds = {}


def start_confd(name):
    lo, hi = ranges[name]
    extra = ("[mgmtd]\naddress = 127.0.0.1\nport = %d\nca_file = %s\n"
             "secret = %s\nport_min = %d\nport_max = %d\ncapacity = 50\n"
             "[mixer]\nmax_speakers = 0\n"
             % (m.port, m.cert, SECRETS[name], lo, hi))
    cd = confds.get(name) or Confd({}, extra=extra, server_id=name)
    confds[name] = cd
    ok = cd.start() and cd.wait_log("registered with mgmtd")
    return ok


def server_state(name):
    st, js, _, _ = api.call("GET", "/v1/servers/" + name, token=OPERATOR)
    return js["server"]["state"] if st == 200 else None


for name in ("s1", "s2"):
    t.ok(start_confd(name), "confd %s starts and registers" % name,
         confds[name].log())
t.ok(wait(lambda: server_state("s1") == "active" and
          server_state("s2") == "active", 5), "both servers are active")


def get_booking(bid):
    st, js, _, _ = api.call("GET", "/v1/bookings/" + bid, token=ALICE)
    return js["booking"] if st == 200 else None


def access(bid, phone):
    st, js, text, _ = api.call("POST", "/v1/bookings/%s/access" % bid,
                               {"phone": phone}, token=ALICE)
    return js["access"]["code1"] if st == 201 else None


def sms_for(phone, moved, n=1):
    """The code 2 of the nth last SMS to phone of that kind, or None."""
    lead = "Conference moved, new code 2: " if moved else \
        "Conference code 2: "
    found = [text.split(lead)[1].split()[0] for ph, text in cap.messages()
             if ph == phone and text.startswith(lead)]
    return found[-n] if len(found) >= n else None


def codes_show(code1, code2):
    p = subprocess.run([prog("confcli"), "codes", "show", "--json", code1,
                        code2], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE)
    return json.loads(p.stdout) if p.returncode == 0 else None


def confcli_moved(code1):
    p = subprocess.run([prog("confcli"), "moved", "--mgmtd",
                        "https://127.0.0.1:%d" % m.port, "--ca", m.cert,
                        code1], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, env={"HOME": m.dir,
                                                    "PATH": "/usr/bin"})
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def parties(creds, seconds=3):
    """Runs tparty for each credential; {ssrc: result}, output."""
    port = creds[0]["port"]
    args = ["%d:%d:%s:%s" % (c["ssrc"], f, c["key_send"], c["key_receive"])
            for c, f in zip(creds, FREQS)]
    p = subprocess.run([prog("tests/tparty"), "-a", "127.0.0.1", "-p",
                        str(port), "-d", str(seconds)] + args,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=60)
    res = {}
    for line in p.stdout.decode().splitlines():
        if line.startswith("{"):
            j = json.loads(line)
            res[j["ssrc"]] = j
    return res, p.stdout.decode() + p.stderr.decode()


def all_hear(creds, res):
    for c, f in zip(creds, FREQS):
        r = res.get(c["ssrc"], {"ratios": {}})["ratios"]
        other = [g for g in FREQS if g != f][0]
        if r.get(str(other), 0) < 0.2 or r.get(str(f), 1) > 0.02:
            return False
    return True


# --- One conference, two participants, its server killed for good.
st, js, text, _ = book(api, "now", 1800, 4, PHONES)
t.ok(st == 201, "a conference for now is booked", text)
bid = js["booking"]["id"] if st == 201 else "none"
old_srv = js["booking"]["server"] if st == 201 else "s1"
new_srv = "s2" if old_srv == "s1" else "s1"
code1s = [access(bid, ph) for ph in PHONES]
code2s = [wait(lambda ph=ph: sms_for(ph, False), 5) for ph in PHONES]
t.ok(all(code1s) and all(code2s), "both phones got code 1 and code 2",
     cap.messages())
creds = [codes_show(a, b) for a, b in zip(code1s, code2s)]
t.ok(all(creds), "the codes decode")
res, out = parties(creds) if all(creds) else ({}, "")
t.ok(all_hear(creds, res) if all(creds) else False,
     "on %s both participants hear each other" % old_srv, out)

confds[old_srv].kill()
t0 = time.monotonic()
b = wait(lambda: (get_booking(bid) or {}).get("server") == new_srv and
         get_booking(bid), 15)
took = time.monotonic() - t0
t.ok(b and b["moved_from"] == old_srv and b["moved_at"] is not None and
     b["placement"] == "placed" and b["credentials"] == 2,
     "within %.1f s of the kill -9 the booking moved from %s to %s"
     % (took, old_srv, new_srv), b)
t.ok(took >= 2.5, "not before heartbeat_timeout + failover_after (%.1f s)"
     % took)
t.ok("server %s has failed" % old_srv in m.log() and
     "%s: moved from failed server %s to %s" % (bid, old_srv, new_srv)
     in m.log(), "mgmtd logs the failure and the move", m.log()[-3000:])
new_code2s = [wait(lambda ph=ph: sms_for(ph, True), 10) for ph in PHONES]
t.ok(all(new_code2s), "each phone got an SMS: 'Conference moved, new code "
     "2: ...'", cap.messages())

rc, out, err = confcli_moved(code1s[0])
new1 = out.strip()
t.ok(rc == 0 and new1.startswith("1") and new1 != code1s[0] and
     "the conference moved to another server" in err and
     "a new code 2 was sent by SMS" in err,
     "confcli moved fetches the new code 1 with the old one", out + err)
rc2, out2, err2 = confcli_moved(code1s[0].lower().replace("-", " "))
t.ok(rc2 == 0 and out2.strip() == new1,
     "the old code 1 typed in another spelling gives the same", out2 + err2)
rc, out, err = confcli_moved(code1s[1])
new1b = out.strip()
new_codes = [new1, new1b]
new_creds = [codes_show(a, b or "-") for a, b in zip(new_codes, new_code2s)]
lo, hi = ranges[new_srv]
t.ok(all(new_creds) and all(lo <= c["port"] <= hi for c in new_creds),
     "the new codes decode and lead to %s's ports" % new_srv, new_creds)
t.ok(all(new_creds) and creds[0]["ssrc"] != new_creds[0]["ssrc"],
     "with a new SSRC and new keys")
res, out = parties(new_creds) if all(new_creds) else ({}, "")
t.ok(all(new_creds) and all_hear(new_creds, res),
     "on %s, with the new codes, both hear each other" % new_srv, out)

# The API answers: the new code is not a moved one; unknown and typos.
st, js, text, _ = api.call("POST", "/v1/access/moved", {"code1": new1})
t.ok(st == 404 and js["error"]["code"] == "not_moved" and
     "has not moved" in js["error"]["message"],
     "a code 1 that did not move gets 404 not_moved", text)
st, js, text, _ = api.call("POST", "/v1/access/moved", {"code1": code1s[0]})
t.ok(st == 200 and js["moved"]["code1"] == new1 and
     js["moved"]["booking"] == bid and js["moved"]["sms"]["state"] in
     ("queued", "sent"), "the API answers the new code 1 and its SMS",
     text)
UNKNOWN = ("1000H-G40RZ-40M3N-0E20K-91856-GR389-E1X71-9J2BP-H2068-Q7W1R-"
           "50JFD-H7VCQ-P2NTG-MNC8N-RZ8HQ-Z0TC9-Q0003")
rc, out, err = confcli_moved(UNKNOWN)
t.ok(rc == 65 and out == "" and
     "no conference moved away from this code 1" in err,
     "an unknown code 1: exit 65 and a clear 404 message", out + err)
typo = code1s[0][:12] + ("X" if code1s[0][12] != "X" else "Y") + \
    code1s[0][13:]
rc, out, err = confcli_moved(typo)
t.ok(rc == 65 and "typo in group 3" in err,
     "a mistyped code 1 is refused before mgmtd is asked", err)
st, js, text, _ = api.call("POST", "/v1/access/moved", {"code1": "12"})
t.ok(st == 400 and "code 1 is too short" in js["error"]["message"],
     "the API refuses a malformed code 1 with acode's reason", text)

# --- kill -9 of mgmtd in the middle of a failover of many bookings.
t.ok(start_confd(old_srv), "confd %s is back (a new machine)" % old_srv,
     confds[old_srv].log())
t.ok(wait(lambda: server_state(old_srv) == "active", 5), "and active")
api.call("PUT", "/v1/servers/%s/state" % old_srv, {"state": "draining"},
         token=OPERATOR)
many = []
for i in range(16):
    st, js, text, _ = book(api, "now", 1800, 2, PHONES)
    if st == 201:
        many.append(js["booking"]["id"])
        for ph in PHONES:
            access(many[-1], ph)
t.ok(len(many) == 16 and all(get_booking(x)["server"] == new_srv
                             for x in many),
     "16 more conferences with 2 participants each on %s" % new_srv)
api.call("PUT", "/v1/servers/%s/state" % old_srv, {"state": "active"},
         token=OPERATOR)
old_srv, new_srv = new_srv, old_srv
confds[old_srv].kill()
mark = len(m.log())
hit = wait(lambda: "moved from failed server %s" % old_srv
           in m.log()[mark:], 15, step=0.005)
m.daemon.kill()
t.ok(hit, "mgmtd starts moving them from %s ..." % old_srv)
moved_before = m.log()[mark:].count("moved from failed server")
t.ok(m.start(), "... and is killed -9 after %d moves, then restarted"
     % moved_before, m.log()[-2000:])
api = m.api()
states = [get_booking(x) for x in many + [bid]]
t.ok(all(s and s["server"] in (old_srv, new_srv) and
         s["credentials"] == 2 and
         (s["server"] == old_srv) == (s["moved_from"] != old_srv)
         for s in states),
     "after the restart each booking is either moved or not, whole",
     states)
done = wait(lambda: all((get_booking(x) or {}).get("server") == new_srv
                        for x in many + [bid]), 20)
t.ok(done, "the restarted mgmtd completes the failover to %s" % new_srv,
     m.log()[-3000:])
bad = []
for x in many:
    st, js, text, _ = api.call("GET", "/v1/bookings/%s/access" % x,
                               token=ALICE)
    if st != 200 or len(js["accesses"]) != 2:
        bad.append((x, text))
t.ok(not bad, "every moved booking has its two accesses", bad[:3])
# The first conference's first participant: old code 1 and an SMS.
lo, hi = ranges[new_srv]
c1 = confcli_moved(code1s[0])[1].strip()
cred = None
for n in range(1, 60):
    c2 = sms_for(PHONES[0], True, n)
    if c2 is None or cred:
        break
    cred = codes_show(c1, c2)
t.ok(cred is not None and lo <= cred["port"] <= hi,
     "the first conference's participant, moved twice, still picks up a "
     "code 1 that pairs with its latest SMS, for %s" % new_srv, cred)
for name, cd in confds.items():
    cd.stop()
rc, _ = m.stop()
t.ok(rc == 0, "mgmtd stops cleanly", m.log()[-2000:])
t.done()
