"""Access requests as organisers make them.  Each issues a pair of access
codes: the answer carries code 1 only, code 2 goes to the phone by SMS
(here through [sms] channel = exec and a capture script), and the two
decode, with tests/tools/tacode, into exactly the credential that the feed
gives confd; code 1 alone decodes to nothing.  A new request replaces the
old access, an extension leaves issued codes as they are, a cancellation
cancels the SMS not sent, and without a channel nothing is sent.  Neither
code is in mgmtd's log, and code 2 leaves the store once sent."""
import glob
import os
import time

from harness import Tap
from kannel_util import Capture, code2_of, decode, tacode, wait_for
from mgmtd_util import (ORGANISERS, SECRETS, Mgmtd, book, parse_time,
                        register, rfc3339)

t = Tap()
ALICE = ORGANISERS["alice"]
PHONES = ["+4930100001", "+4930100002", "+4930100003", "+4930100004"]
cap = Capture()
m = Mgmtd(extra=cap.ini("retry_min = 200ms\nretry_max = 200ms\n"
                        "max_attempts = 3\n"))
t.ok(m.start(), "mgmtd with [sms] channel = exec starts", m.log())
a = m.api()
st, js, text, _ = register(a, "s1", addresses=("127.0.0.1", "::1"))
t.ok(st == 200, "s1 registers with an IPv4 and an IPv6 address", text)
st, js, text, _ = book(a, "now", 1200, 4, PHONES)
t.ok(st == 201, "a conference is booked for now", text)
bid = js["booking"]["id"] if st == 201 else "none"
end = parse_time(js["booking"]["end"]) if st == 201 else 0


def access(phone, booking=None):
    return a.call("POST", "/v1/bookings/%s/access" % (booking or bid),
                  {"phone": phone}, token=ALICE)


def accesses(booking=None):
    st, js, text, _ = a.call("GET", "/v1/bookings/%s/access" % (
        booking or bid), token=ALICE)
    return js["accesses"] if st == 200 else []


def sms_of(acc_id, booking=None):
    for x in accesses(booking):
        if x["id"] == acc_id:
            return x["sms"]
    return None


def wait_sms(acc_id, pred, timeout=10, booking=None):
    return wait_for(lambda: sms_of(acc_id, booking), pred, timeout)


def feed_parts():
    st, js, text, _ = a.call("GET", "/v1/servers/s1/feed",
                             token=SECRETS["s1"])
    for c in js["conferences"]:
        if c["id"] == bid:
            return c, {p["id"]: p for p in c["participants"]}
    return {}, {}


codes1, codes2 = [], []

# --- One access: code 1 in the answer, code 2 by SMS.
st, js, text, _ = access(PHONES[0])
acc = js["access"] if st == 201 else {}
codes1.append(acc.get("code1", ""))
t.ok(st == 201 and sorted(acc) == ["booking", "code1", "created", "expires",
                                   "id", "phone", "sms"] and
     acc["booking"] == bid and acc["phone"] == PHONES[0] and
     acc["code1"][0] == "1" and len(acc["code1"]) == 101,
     "an access request answers with code 1 (IPv4: 101 characters)", text)
t.ok(acc.get("sms", {}).get("state") == "queued" and
     acc["sms"]["attempts"] == 0 and acc["sms"]["channel"] == "exec" and
     [h["state"] for h in acc["sms"]["history"]] == ["queued"],
     "and with its SMS queued", text)
t.ok(acc.get("expires") == rfc3339(-(-end // 60) * 60),
     "the codes expire at the booking's end, rounded up to the minute",
     (acc.get("expires"), end))
t.ok(not any(k in text for k in ("key", "ssrc", "code2", "share")),
     "the answer holds no key, SSRC, share or code 2", text)
msgs = cap.wait_messages(1)
phone, sms_text = msgs[0] if msgs else (None, "")
c2 = code2_of(sms_text)
codes2.append(c2 or "")
t.ok(phone == PHONES[0] and c2 is not None and len(sms_text) <= 160 and
     sms_text.endswith(" UTC") and len(c2) == 95,
     "the command gets the phone and one SMS holding code 2", msgs)
t.ok(cap.call_log()[0][1] == 2, "the command gets two arguments",
     cap.call_log())
t.ok(c2 is not None and c2 not in text and acc.get("code1") not in sms_text,
     "code 2 is not in the answer, code 1 not in the SMS")
sms = wait_sms(acc.get("id"), lambda s: s and s["state"] == "sent")
t.ok(sms is not None and sms["attempts"] == 1 and
     sms["next_attempt"] is None and sms["last_error"] is None and
     [h["state"] for h in sms["history"]] == ["queued", "sent"],
     "the SMS is sent at the first attempt, both states in its history",
     sms)

# --- The two codes are the credential confd gets.
d = decode(acc.get("code1", ""), c2 or "")
conf, parts = feed_parts()
p = parts.get(acc.get("id"))
t.ok(d is not None and d["ok"] and d["address"] == "127.0.0.1" and
     d["port"] == conf.get("port") and
     d["expires"] == parse_time(acc["expires"]),
     "the codes decode to the server's first address and the port", d)
t.ok(p is not None and p["ssrc"] == d["ssrc"] and
     p["key_up"] == d["key_up"] and p["key_down"] == d["key_down"] and
     p["key_up"] != p["key_down"],
     "the feed's SSRC and keys are what the codes derive", (p, d))
t.ok(p is not None and p["key_up"] not in text and
     p["key_down"] not in text,
     "the keys confd gets are not in the access answer")
rc, js1, out = tacode("check", 1, acc.get("code1", ""))
t.ok(rc == 0 and js1["ok"], "code 1 is well formed on its own", out)
rc, js1, out = tacode("decode", acc.get("code1", ""), "")
t.ok(rc == 1 and js1 is not None and not js1["ok"] and
     "code 2" in js1["why"], "code 1 alone decodes to nothing", out)

st, js, text, _ = access(PHONES[1])
acc2 = js["access"] if st == 201 else {}
codes1.append(acc2.get("code1", ""))
msgs = cap.wait_messages(2)
c2b = code2_of(msgs[1][1]) if len(msgs) > 1 else None
codes2.append(c2b or "")
rc, js1, out = tacode("decode", acc.get("code1", ""), c2b or "")
t.ok(st == 201 and c2b is not None and rc == 1 and js1 is not None and
     not js1["ok"] and "do not belong together" in js1["why"],
     "code 1 with another access's code 2 decodes to nothing", out)
d2 = decode(acc2.get("code1", ""), c2b or "")
t.ok(d2 is not None and d2["ok"] and d2["ssrc"] != d["ssrc"] and
     d2["ssrc"] != (~d["ssrc"] & 0xffffffff) and d2["key_up"] != d["key_up"],
     "a second access has its own SSRC and keys", d2)

# --- IPv6: code 1 of the first address, whatever its family.
st, js, text, _ = register(a, "s1", addresses=("::1", "127.0.0.1"))
t.ok(st == 200, "s1 registers again, IPv6 first", text)
st, js, text, _ = access(PHONES[2])
acc3 = js["access"] if st == 201 else {}
codes1.append(acc3.get("code1", ""))
msgs = cap.wait_messages(3)
c2c = code2_of(msgs[2][1]) if len(msgs) > 2 else ""
codes2.append(c2c or "")
d3 = decode(acc3.get("code1", ""), c2c or "")
t.ok(st == 201 and acc3["code1"][0] == "3" and len(acc3["code1"]) == 131 and
     d3 is not None and d3["ok"] and d3["address"] == "::1",
     "with an IPv6 address first, code 1 carries it (131 characters)", d3)

# --- A new request for the same phone replaces the access.
st, js, text, _ = access(PHONES[0])
acc1b = js["access"] if st == 201 else {}
codes1.append(acc1b.get("code1", ""))
msgs = cap.wait_messages(4)
codes2.append(code2_of(msgs[3][1]) if len(msgs) > 3 else "")
conf, parts = feed_parts()
listed = accesses()
t.ok(st == 201 and acc1b["id"] != acc["id"] and acc["id"] not in parts and
     acc1b["id"] in parts and
     [x["phone"] for x in listed].count(PHONES[0]) == 1,
     "a new request replaces the phone's access; the old one leaves the "
     "feed", (sorted(parts), [x["id"] for x in listed]))
t.ok(len(listed) == 3 and all("code1" not in x for x in listed) and
     all(x["sms"] is not None for x in listed),
     "the list shows the three accesses without code 1", listed)
st, js, text, _ = a.call("GET", "/v1/bookings/" + bid, token=ALICE)
t.ok(st == 200 and js["booking"]["credentials"] == 3,
     "the booking counts three credentials", text)

# --- An extension: codes issued keep their expiry; new ones get the end.
st, js, text, _ = a.call("POST", "/v1/bookings/%s/extend" % bid,
                         {"by": 900}, token=ALICE)
new_end = parse_time(js["booking"]["end"]) if st == 200 else 0
t.ok(st == 200 and new_end == end + 900, "the booking is extended", text)
old = {x["id"]: x["expires"] for x in accesses()}
t.ok(old.get(acc1b.get("id")) == acc1b.get("expires"),
     "codes issued before keep their expiry", old)
st, js, text, _ = access(PHONES[3])
acc4 = js["access"] if st == 201 else {}
codes1.append(acc4.get("code1", ""))
t.ok(st == 201 and acc4["expires"] == rfc3339(-(-new_end // 60) * 60),
     "a new access gets the new end", text)
msgs = cap.wait_messages(5)
codes2.append(code2_of(msgs[4][1]) if len(msgs) > 4 else "")

# --- A cancelled booking cancels its SMS not yet sent.
st, js, text, _ = book(a, "now", 600, 2, [PHONES[0]])
bid2 = js["booking"]["id"] if st == 201 else "none"
cap.fail(True)
st, js, text, _ = access(PHONES[0], bid2)
acc5 = js["access"] if st == 201 else {}
sms = wait_sms(acc5.get("id"), lambda s: s and s["attempts"] >= 1 and
               s["last_error"], booking=bid2)
t.ok(sms is not None and sms["state"] == "queued" and
     "exited with status 3" in sms["last_error"],
     "a failing command leaves the SMS queued for a retry", sms)
st, js, text, _ = a.call("DELETE", "/v1/bookings/" + bid2, token=ALICE)
sms = sms_of(acc5.get("id"), bid2)
t.ok(st == 200 and sms is not None and sms["state"] == "cancelled" and
     [h["state"] for h in sms["history"]] == ["queued", "cancelled"] and
     sms["last_error"] == "the booking was cancelled",
     "cancelling the booking cancels its SMS", sms)
# A command started just before may still log its run: then count.
time.sleep(0.3)
calls = cap.calls()
time.sleep(0.6)
t.ok(cap.calls() == calls and sms_of(acc5.get("id"), bid2)["state"] ==
     "cancelled", "and no attempt follows")
cap.fail(False)

# --- A restart keeps the accesses and their SMS.
before = accesses()
rc, _ = m.stop()
t.ok(rc == 0, "mgmtd stops", m.log())
t.ok(m.start(), "mgmtd starts again", m.log())
a.close()
after = accesses()
t.ok(after == before and len(after) == 4,
     "after a restart the accesses and their SMS states are the same",
     (before, after))

# --- Nothing of either code in the log; code 2 not in the store.
log = m.log()
leaked = [c for c in codes1 + codes2 if c and c in log]
t.ok(len([c for c in codes1 + codes2 if c]) == 10 and not leaked,
     "neither code of any access is in mgmtd's log", leaked)
store = b""
for path in glob.glob(os.path.join(m.dir, "state", "mgmtd.db*")):
    with open(path, "rb") as f:
        store += f.read()
t.ok(len(store) > 0 and not [c for c in codes2 if c and c.encode() in store]
     and not [c for c in codes1 if c and c.encode() in store],
     "no code 1 or code 2 is left in the store's files (%d bytes)"
     % len(store))
rc, _ = m.stop()
t.ok(rc == 0, "mgmtd stops with status 0", m.log())

# --- Without a channel nothing is sent, and the log says so.
n = Mgmtd()
t.ok(n.start(), "mgmtd without [sms] starts", n.log())
na = n.api()
register(na, "s1")
st, js, text, _ = book(na, "now", 600, 2, [PHONES[0]])
nb = js["booking"]["id"] if st == 201 else "none"
st, js, text, _ = na.call("POST", "/v1/bookings/%s/access" % nb,
                          {"phone": PHONES[0]}, token=ALICE)
sms = js["access"]["sms"] if st == 201 else {}
t.ok(st == 201 and sms["state"] == "unsent" and sms["channel"] == "none" and
     "channel is none" in sms["last_error"] and sms["attempts"] == 0,
     "with channel none the SMS is unsent, and says why", text)
t.ok("code 2 of new accesses is sent to nobody" in n.log(),
     "mgmtd warns at start that nobody can join", n.log())
rc, _ = n.stop()
t.ok(rc == 0, "that mgmtd stops with status 0", n.log())
t.done()
