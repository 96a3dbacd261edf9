"""Booking through mgmtd's API as organisers use it: create, get, list,
extend, cancel, access requests; admission control with the earliest start
that fits; 200 requests at once competing for capacity 100; and the feed a
confd long-polls: a booking for now reaches it within a second, with the
participants' credentials, and a restarted mgmtd gives it all back."""
import threading
import time

from harness import Tap
from kannel_util import Capture, code2_of, decode, wait_for
from mgmtd_util import (ORGANISERS, SECRETS, Mgmtd, book, heartbeat,
                        next_slot, parse_time, register, rfc3339)

t = Tap()
ALICE = ORGANISERS["alice"]
# Code 2 goes by SMS: a capture script is the [sms] command.
cap = Capture()
m = Mgmtd(servers=("s1",), booking="policy = pack", extra=cap.ini())


def codes_of(st, js, phone):
    """What the access's code 1 and the code 2 sent to phone decode to."""
    acc = js["access"] if st == 201 else {}
    msgs = wait_for(lambda: [x for p, x in cap.messages() if p == phone],
                    lambda v: v, 5) or []
    return decode(acc.get("code1", ""), code2_of(msgs[-1]) if msgs else "")
t.ok(m.start(), "mgmtd starts", m.log())
a = m.api()
st, js, text, _ = register(a, "s1", capacity=100, ports=(40000, 40299))
t.ok(st == 200, "s1 registers with capacity 100", text)
st, js, text, _ = a.call("GET", "/v1/servers/s1/feed", token=SECRETS["s1"])
t.ok(st == 200 and js["type"] == "snapshot" and js["version"] == 0 and
     js["conferences"] == [], "a new store's feed is an empty snapshot", text)
t0 = time.monotonic()
st, js, text, _ = a.call("GET", "/v1/servers/s1/feed?since=0&epoch=%s&"
                         "timeout=1" % js["epoch"], token=SECRETS["s1"])
t.ok(st == 200 and js["type"] == "changes" and js["conferences"] == [] and
     time.monotonic() - t0 >= 0.9,
     "at version 0 with the epoch, the feed waits for changes", text)

# --- The life of one booking.
start = next_slot(time.time(), ahead=4)
st, js, text, h = book(a, rfc3339(start), 1800, 10,
                       ["+4930111111", "+4930222222"])
b = js["booking"] if st == 201 else {}
t.ok(st == 201 and b["state"] == "booked" and b["server"] == "s1" and
     b["start"] == rfc3339(start) and b["end"] == rfc3339(start + 1800) and
     b["capacity"] == 10 and h.get("Location") == "/v1/bookings/" + b["id"],
     "a booking is created (201, Location)", text)
bid = b.get("id", "none")
st, js, text, _ = a.call("GET", "/v1/bookings/" + bid, token=ALICE)
t.ok(st == 200 and js["booking"] == b, "it reads back the same", text)
st, js, text, _ = a.call("GET", "/v1/bookings/" + bid,
                         token=ORGANISERS["bob"])
t.ok(st == 404 and js["error"]["code"] == "not_found",
     "another organiser does not see it", text)
st, js, text, _ = a.call("GET", "/v1/bookings", token=ALICE)
t.ok(st == 200 and [x["id"] for x in js["bookings"]] == [bid],
     "it is in alice's list", text)
st, js, text, _ = a.call("GET", "/v1/bookings", token=ORGANISERS["bob"])
t.ok(st == 200 and js["bookings"] == [], "and not in bob's", text)
st, js, text, _ = a.call("POST", "/v1/bookings/%s/extend" % bid,
                         {"by": 900}, token=ALICE)
t.ok(st == 200 and js["booking"]["end"] == rfc3339(start + 2700) and
     js["booking"]["duration"] == 2700, "extended by 15 minutes", text)

st, js, text, _ = a.call("POST", "/v1/bookings/%s/access" % bid,
                         {"phone": "+4930111111"}, token=ALICE)
cred = codes_of(st, js, "+4930111111") or {}
t.ok(st == 201 and cred.get("ok") and cred["address"] == "127.0.0.1" and
     40000 <= cred["port"] <= 40299 and 0 < cred["ssrc"] < 2 ** 32 and
     len(cred["key_up"]) == 40 and len(cred["key_down"]) == 40 and
     cred["key_up"] != cred["key_down"],
     "an invitee gets access codes: ssrc, two 30-byte keys, address, port",
     text)
st, js, text, _ = a.call("POST", "/v1/bookings/%s/access" % bid,
                         {"phone": "+4930333333"}, token=ALICE)
t.ok(st == 403 and js["error"]["code"] == "not_invited",
     "a phone that is not invited gets none", text)

# --- Admission control: the earliest start that fits.
st, js, text, _ = book(a, rfc3339(start), 900, 91)
t.ok(st == 409 and js["error"]["code"] == "no_capacity" and
     js["error"]["earliest_start"] == rfc3339(start + 2700) and
     rfc3339(start + 2700) in js["error"]["message"],
     "91 more do not fit; the error names when they would", text)
st, js, text, _ = book(a, rfc3339(start), 900, 90)
t.ok(st == 201, "90 more fit beside the 10", text)
other = js["booking"]["id"] if st == 201 else "none"
st, js, text, _ = a.call("POST", "/v1/bookings/%s/extend" % bid,
                         {"by": 900}, token=ALICE)
t.ok(st == 200, "extending into free slots works", text)
st, js, text, _ = a.call("POST", "/v1/bookings/%s/extend" % other,
                         {"by": 900}, token=ALICE)
t.ok(st == 200, "the 90 are extended to 30 minutes", text)
st, js, text, _ = a.call("POST", "/v1/bookings/%s/extend" % other,
                         {"by": 3600}, token=ALICE)
t.ok(st == 200, "and to 90 minutes, where the 10 have ended", text)
st, js, text, _ = a.call("DELETE", "/v1/bookings/" + other, token=ALICE)
t.ok(st == 200 and js["booking"]["state"] == "cancelled",
     "a booking is cancelled", text)
st, js, text, _ = a.call("DELETE", "/v1/bookings/" + other, token=ALICE)
t.ok(st == 409 and js["error"]["code"] == "cancelled",
     "cancelling twice is refused", text)
st, js, text, _ = a.call("POST", "/v1/bookings/%s/access" % other,
                         {"phone": "+4930111111"}, token=ALICE)
t.ok(st == 409, "a cancelled booking issues no credential", text)
st, js, text, _ = book(a, rfc3339(start), 900, 90)
t.ok(st == 201, "its capacity is free again", text)
a.call("DELETE", "/v1/bookings/" + js["booking"]["id"], token=ALICE)

# --- 200 requests at once for capacity 100: exactly 100 get it.
race = next_slot(time.time(), ahead=40)
results = []
lock = threading.Lock()
gate = threading.Barrier(200)


def racer(i):
    api = m.api(timeout=60)
    api.connect()
    api.conn.connect()      # the TLS handshake, before the gate opens
    gate.wait()
    st, js, text, _ = book(api, rfc3339(race), 900, 1)
    with lock:
        results.append((st, js))
    api.close()


threads = [threading.Thread(target=racer, args=(i,)) for i in range(200)]
for th in threads:
    th.start()
for th in threads:
    th.join()
won = [js for st, js in results if st == 201]
lost = [js for st, js in results if st == 409]
t.ok(len(results) == 200 and len(won) == 100 and len(lost) == 100,
     "200 concurrent requests: 100 booked, 100 refused",
     "%d results, %d won, %d lost, others %s" % (
         len(results), len(won), len(lost),
         [r for r in results if r[0] not in (201, 409)][:3]))
t.ok(all(js["error"]["code"] == "no_capacity" and
         js["error"]["earliest_start"] == rfc3339(race + 900)
         for js in lost), "each refusal is no_capacity, naming the next slot",
     lost[:2])
st, js, text, _ = book(a, rfc3339(race), 900, 1)
t.ok(st == 409, "and the slot is full afterwards", text)
st, js, text, _ = a.call("GET", "/v1/servers/s1/feed?since=0",
                         token=SECRETS["s1"])
ports = [c["port"] for c in js["conferences"]
         if c["start"] == rfc3339(race)]
t.ok(len(ports) == 100 and len(set(ports)) == 100,
     "the 100 have 100 different ports", ports)

# --- The feed: a booking for now is in the confd's hands within 1 s.
st, js, text, _ = a.call("GET", "/v1/servers/s1/feed?since=0",
                         token=SECRETS["s1"])
t.ok(st == 200 and js["type"] == "snapshot" and js["protocol"] == 1 and
     js["server"] == "s1" and len(js["epoch"]) == 16,
     "a feed without a version is a snapshot", text[:300])
epoch, version = js["epoch"], js["version"]
feed = {}


def poll(since, timeout=10):
    api = m.api(timeout=30)
    t0 = time.monotonic()
    st, js, text, _ = api.call(
        "GET", "/v1/servers/s1/feed?since=%d&epoch=%s&timeout=%d" % (
            since, epoch, timeout), token=SECRETS["s1"])
    feed.update(st=st, js=js, text=text, at=time.monotonic(), t0=t0)
    api.close()


th = threading.Thread(target=poll, args=(version,))
th.start()
time.sleep(0.5)
t.ok(th.is_alive(), "with nothing new the feed request waits")
heartbeat(a, "s1")
booked_at = time.monotonic()
st, js, text, _ = book(a, "now", 600, 3, ["+4930444444"])
now_id = js["booking"]["id"] if st == 201 else "none"
th.join(5)
confs = feed.get("js", {}).get("conferences", []) if feed.get("js") else []
t.ok(feed.get("st") == 200 and feed["js"]["type"] == "changes" and
     [c["id"] for c in confs] == [now_id] and
     feed["at"] - booked_at < 1.0,
     "a booking for now reaches the waiting confd within 1 s (%.3f s)" % (
         feed.get("at", 99) - booked_at), feed.get("text"))
c = confs[0] if confs else {}
t.ok(c.get("state") == "booked" and c.get("capacity") == 3 and
     c.get("participants") == [] and
     parse_time(c["end"]) - parse_time(c["start"]) == 600,
     "the conference comes with its port, window and capacity", c)
version = feed["js"]["version"] if feed.get("js") else version

th = threading.Thread(target=poll, args=(version,))
th.start()
time.sleep(0.2)
st, js, text, _ = a.call("POST", "/v1/bookings/%s/access" % now_id,
                         {"phone": "+4930444444"}, token=ALICE)
cred = codes_of(st, js, "+4930444444") or {}
th.join(5)
parts = (feed["js"]["conferences"][0]["participants"]
         if feed.get("js") and feed["js"]["conferences"] else [])
t.ok(len(parts) == 1 and parts[0]["ssrc"] == cred.get("ssrc") and
     parts[0]["key_up"] == cred.get("key_up") and
     parts[0]["key_down"] == cred.get("key_down"),
     "an access request feeds the participant's credential", feed.get("text"))
version = feed["js"]["version"] if feed.get("js") else version

st, js, text, _ = a.call("GET", "/v1/servers/s1/feed?since=%d&epoch=%s&"
                         "timeout=1" % (version, epoch), token=SECRETS["s1"])
t.ok(st == 200 and js["type"] == "changes" and js["conferences"] == [] and
     js["version"] == version, "a quiet feed times out empty", text)
st, js, text, _ = a.call("GET", "/v1/servers/s1/feed?since=%d&epoch=0000"
                         "000000000000" % version, token=SECRETS["s1"])
t.ok(st == 200 and js["type"] == "snapshot",
     "another store's epoch gets a snapshot", text[:200])

# A confd that goes away while waiting costs nothing.
api = m.api()
api.connect()
api.conn.request("GET", "/v1/servers/s1/feed?since=%d&epoch=%s&timeout=20"
                 % (version, epoch),
                 headers={"Authorization": "Bearer " + SECRETS["s1"]})
time.sleep(0.3)
api.close()
time.sleep(0.3)
st, js, text, _ = a.call("DELETE", "/v1/bookings/" + now_id, token=ALICE)
t.ok(st == 200, "a change after a waiting confd left is fine", text)

# --- A restarted mgmtd gives a restarted confd its whole state back.
before = a.call("GET", "/v1/servers/s1/feed?since=0", token=SECRETS["s1"])[1]
rc, _ = m.stop()
t.ok(rc == 0, "mgmtd stops with status 0", m.log())
t.ok(m.start(), "mgmtd starts again", m.log())
a.close()
after = a.call("GET", "/v1/servers/s1/feed?since=0", token=SECRETS["s1"])[1]
t.ok(after is not None and after["conferences"] == before["conferences"] and
     after["epoch"] == before["epoch"] and
     after["version"] == before["version"] and
     len(after["conferences"]) == 101,
     "after a restart the snapshot is the same: %d conferences" % len(
         (after or {}).get("conferences", [])))
st, js, text, _ = book(a, rfc3339(race), 900, 1)
t.ok(st == 409, "and the full slot is still full", text)

rc, _ = m.stop()
t.ok(rc == 0, "mgmtd stops with status 0", m.log())
t.done()
