"""kill -9 of mgmtd in the middle of concurrent bookings and access
requests: every booking and every access that was acknowledged is there
after a restart, the capacity taken is still taken, and nothing is half
written: every access has its credential in the feed and its SMS."""
import threading
import time

from harness import Tap
from kannel_util import Capture
from mgmtd_util import (ORGANISERS, SECRETS, Mgmtd, book, heartbeat,
                        next_slot, register, rfc3339)

t = Tap()
ALICE = ORGANISERS["alice"]
PHONES = ["+49301%06d" % i for i in range(300)]
cap = Capture()
m = Mgmtd(servers=("s1",),
          api="access_per_phone = 1000000\naccess_per_address = 1000000\n",
          extra=cap.ini())
t.ok(m.start(), "mgmtd starts", m.log())
a = m.api()
st, js, text, _ = register(a, "s1", capacity=60000, ports=(1024, 65535))
t.ok(st == 200, "s1 registers", text)
st, js, text, _ = book(a, "now", 3600, 300, PHONES)
t.ok(st == 201, "a conference of 300 invitees is booked for now", text)
conf_id = js["booking"]["id"] if st == 201 else "none"
granted = {}            # phone: the access ids acknowledged, in order

slot = next_slot(time.time(), ahead=8)
acked = []
lock = threading.Lock()
stop = threading.Event()


def stream():
    api = m.api(timeout=10)
    n = 0
    while not stop.is_set() and n < 5000:
        n += 1
        try:
            st, js, text, _ = book(api, rfc3339(slot), 900, 1)
        except Exception:
            return      # the daemon is gone: this answer never came
        if st == 201:
            with lock:
                acked.append(js["booking"]["id"])


def accesses(k):
    """Access requests for a share of the phones, over and over."""
    api = m.api(timeout=10)
    n = 0
    while not stop.is_set() and n < 5000:
        phone = PHONES[(n * 2 + k) % len(PHONES)]
        n += 1
        try:
            st, js, text, _ = api.call(
                "POST", "/v1/bookings/%s/access" % conf_id,
                {"phone": phone}, token=ALICE)
        except Exception:
            return
        if st == 200 or st == 201:
            with lock:
                granted.setdefault(phone, []).append(js["access"]["id"])


threads = [threading.Thread(target=stream) for _ in range(3)]
threads += [threading.Thread(target=accesses, args=(k,)) for k in range(2)]
for th in threads:
    th.start()
time.sleep(1.5)
m.daemon.kill()         # SIGKILL, mid-stream
stop.set()
for th in threads:
    th.join()
rc = m.daemon.proc.returncode
t.ok(rc == -9, "mgmtd died of SIGKILL (status %s)" % rc)
t.ok(len(acked) >= 20, "%d bookings were acknowledged first" % len(acked))
t.ok(sum(len(v) for v in granted.values()) >= 20,
     "%d access requests were acknowledged first"
     % sum(len(v) for v in granted.values()))

t.ok(m.start(), "mgmtd starts again on the same store", m.log())
a = m.api()
missing = []
for bid in acked:
    st, js, text, _ = a.call("GET", "/v1/bookings/" + bid, token=ALICE)
    if st != 200 or js["booking"]["state"] != "booked":
        missing.append((bid, st, text))
t.ok(not missing, "every acknowledged booking is there after the restart",
     missing[:5])
st, js, text, _ = a.call("GET", "/v1/bookings", token=ALICE)
stored = len(js["bookings"]) if st == 200 else -1
t.ok(stored >= len(acked) + 1 and stored <= len(acked) + 1 + 3,
     "the store holds the %d acknowledged, and at most the 3 in flight "
     "(%d)" % (len(acked), stored - 1))

# Each phone's access is the last one acknowledged, or one requested after
# it whose answer was lost with the daemon; never an older one, never one
# without its SMS, and its credential is the one confd is fed.
st, js, text, _ = a.call("GET", "/v1/bookings/%s/access" % conf_id,
                         token=ALICE)
listed = {x["phone"]: x for x in js.get("accesses", [])} if st == 200 else {}
st, js, text, _ = a.call("GET", "/v1/servers/s1/feed", token=SECRETS["s1"])
fed = set()
for c in js.get("conferences", []) if st == 200 else []:
    if c["id"] == conf_id:
        fed = {p["id"] for p in c["participants"]}
bad = []
for phone, ids in granted.items():
    x = listed.get(phone)
    if x is None or x["id"] < ids[-1]:
        bad.append((phone, ids[-1], x and x["id"]))
t.ok(not bad, "every acknowledged access is there, or a later one",
     bad[:5])
half = [x["phone"] for x in listed.values()
        if x["id"] not in fed or not x.get("sms") or
        x["sms"]["state"] not in ("queued", "sent", "buffered", "delivered")]
t.ok(listed and not half, "each of the %d accesses has its credential in "
     "the feed and its SMS" % len(listed), half[:5])
# The idle table was rebuilt from the store: what is booked is taken.
heartbeat(a, "s1")
st, js, text, _ = book(a, rfc3339(slot), 900, 60000 - (stored - 1))
t.ok(st == 201, "exactly the rest of the capacity is free", text)
st, js, text, _ = book(a, rfc3339(slot), 900, 1)
t.ok(st == 409 and js["error"]["code"] == "no_capacity",
     "and then nothing more", text)
rc, _ = m.stop()
t.ok(rc == 0, "mgmtd stops with status 0", m.log())
t.done()
