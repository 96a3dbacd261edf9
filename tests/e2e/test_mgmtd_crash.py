"""kill -9 of mgmtd in the middle of a stream of bookings: every booking
that was acknowledged is there after a restart, and the capacity it took
is still taken."""
import threading
import time

from harness import Tap
from mgmtd_util import (ORGANISERS, Mgmtd, book, heartbeat, next_slot,
                        register, rfc3339)

t = Tap()
ALICE = ORGANISERS["alice"]
m = Mgmtd(servers=("s1",))
t.ok(m.start(), "mgmtd starts", m.log())
a = m.api()
st, js, text, _ = register(a, "s1", capacity=60000, ports=(1024, 65535))
t.ok(st == 200, "s1 registers", text)

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


threads = [threading.Thread(target=stream) for _ in range(4)]
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
t.ok(stored >= len(acked) and stored <= len(acked) + 4,
     "the store holds the %d acknowledged, and at most the 4 in flight "
     "(%d)" % (len(acked), stored))
# The idle table was rebuilt from the store: what is booked is taken.
heartbeat(a, "s1")
st, js, text, _ = book(a, rfc3339(slot), 900, 60000 - stored)
t.ok(st == 201, "exactly the rest of the capacity is free", text)
st, js, text, _ = book(a, rfc3339(slot), 900, 1)
t.ok(st == 409 and js["error"]["code"] == "no_capacity",
     "and then nothing more", text)
rc, _ = m.stop()
t.ok(rc == 0, "mgmtd stops with status 0", m.log())
t.done()
