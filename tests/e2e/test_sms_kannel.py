"""Code 2 through a real Kannel (bearerbox, smsbox and the fake SMS centre
of kannel-extras on 127.0.0.1).  While Kannel is down the SMS stays queued
and is retried with a growing delay, also across a kill -9 of mgmtd; once
Kannel is up it is sent, reaches the SMS centre once, and its delivery
report makes it delivered.  Its code 2 and the access's code 1 decode to
the credential in the feed.  Forged reports are refused; Kannel refusing
the credentials fails the SMS at once; a 503 is retried."""
import http.server
import socket
import threading
import time
import urllib.error
import urllib.request

from harness import Tap, free_port
from kannel_util import (PASSWORD, Kannel, available, code2_of, decode,
                         wait_for)
from mgmtd_util import ORGANISERS, SECRETS, Mgmtd, book, register

t = Tap()
ALICE = ORGANISERS["alice"]
PHONES = ["+4930300001", "+4930300002", "+4930300003"]
if not t.ok(available(), "Kannel and kannel-extras are installed "
            "(tools/deps.sh installs them)"):
    t.done()

k = Kannel()
dlr_port = free_port()
RETRY = "retry_min = 200ms\nretry_max = 800ms\nmax_attempts = 100\n"
m = Mgmtd(extra=k.ini(dlr_port, RETRY))
t.ok(m.start(), "mgmtd with [sms] channel = kannel starts, Kannel down",
     m.log())
a = m.api()
register(a, "s1")
st, js, text, _ = book(a, "now", 1800, 3, PHONES)
t.ok(st == 201, "a conference is booked for now", text)
bid = js["booking"]["id"] if st == 201 else "none"


def access(api, phone, booking=None):
    st, js, text, _ = api.call("POST", "/v1/bookings/%s/access" % (
        booking or bid), {"phone": phone}, token=ALICE)
    return js["access"] if st == 201 else None


def sms_of(api, acc_id, booking=None):
    st, js, text, _ = api.call("GET", "/v1/bookings/%s/access" % (
        booking or bid), token=ALICE)
    for x in js["accesses"] if st == 200 else []:
        if x["id"] == acc_id:
            return x["sms"]
    return None


def wait_sms(api, acc_id, pred, timeout=15, booking=None):
    return wait_for(lambda: sms_of(api, acc_id, booking),
                    lambda s: s is not None and pred(s), timeout)


def dlr(query):
    """A delivery report as anyone could send one: (status, body)."""
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d/dlr?%s" % (
                dlr_port, query), timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


# --- Kannel down: queued, retried with a growing delay.
acc = access(a, PHONES[0])
t.ok(acc is not None and acc["sms"]["state"] == "queued" and
     acc["sms"]["channel"] == "kannel", "an access's SMS is queued", acc)
sms = wait_sms(a, acc["id"], lambda s: s["attempts"] >= 3)
t.ok(sms is not None and sms["state"] == "queued" and
     "Kannel at 127.0.0.1 port %d: no connection" % k.sendsms
     in (sms["last_error"] or "") and sms["next_attempt"] is not None,
     "with Kannel down it stays queued, attempts counted, the error shown",
     sms)
t0 = time.monotonic()
n0 = sms["attempts"] if sms else 0
sms = wait_sms(a, acc["id"], lambda s: s["attempts"] >= n0 + 2)
t.ok(sms is not None and time.monotonic() - t0 >= 0.8,
     "later attempts come 800 ms apart, the longest delay (%.2f s for 2)"
     % (time.monotonic() - t0), sms)

# --- kill -9 while it is pending: nothing is lost.
m.daemon.kill()
t.ok(m.daemon.proc.returncode == -9, "mgmtd is killed (-9)")
t.ok(m.start(), "mgmtd starts again, Kannel still down", m.log())
a.close()
sms = wait_sms(a, acc["id"], lambda s: s["attempts"] >= n0 + 3)
t.ok(sms is not None and sms["state"] == "queued",
     "the SMS is still queued and retried after the restart", sms)

# --- Kannel comes up: sent, received once, delivered.
try:
    k.start()
    up = True
except RuntimeError as e:
    up = False
    print("# %s" % e)
t.ok(up, "Kannel starts: bearerbox, fakesmsc, smsbox", k.log())
msgs = k.wait_messages(1, 15)
sms = wait_sms(a, acc["id"], lambda s: s["state"] == "delivered")
t.ok(sms is not None and [h["state"] for h in sms["history"]] ==
     ["queued", "sent", "delivered"] and sms["next_attempt"] is None,
     "the SMS is sent when Kannel is up, and its report makes it delivered",
     sms)
time.sleep(0.5)
msgs = k.messages()
t.ok(len(msgs) == 1 and msgs[0][0] == PHONES[0],
     "the SMS centre got it once, for the phone", msgs)
c2 = code2_of(msgs[0][1]) if msgs else None
d = decode(acc["code1"], c2 or "")
st, js, text, _ = a.call("GET", "/v1/servers/s1/feed", token=SECRETS["s1"])
parts = [p for c in js["conferences"] for p in c["participants"]
         if p["id"] == acc["id"]] if st == 200 else []
t.ok(d is not None and d["ok"] and len(parts) == 1 and
     parts[0]["ssrc"] == d["ssrc"] and parts[0]["key_up"] == d["key_up"] and
     parts[0]["key_down"] == d["key_down"],
     "its code 2 and code 1 decode to the credential in the feed", (d, parts))

# With Kannel up, the next access is delivered at once.
t0 = time.monotonic()
acc2 = access(a, PHONES[1])
sms = wait_sms(a, acc2["id"] if acc2 else 0,
               lambda s: s["state"] == "delivered")
t.ok(sms is not None and sms["attempts"] == 1 and sms["last_error"] is None,
     "with Kannel up an SMS is delivered in %.2f s, first attempt"
     % (time.monotonic() - t0), sms)
msgs = k.wait_messages(2)
t.ok(len(msgs) == 2 and msgs[1][0] == PHONES[1] and
     code2_of(msgs[1][1]) is not None and
     decode(acc2["code1"], code2_of(msgs[1][1]))["ok"],
     "its code 2 fits its code 1", msgs)

# --- Reports that mgmtd did not ask for change nothing.
sid = sms["id"] if sms else 0
st1, body1 = dlr("id=%d&t=%s&status=2" % (sid, "0" * 32))
st2, body2 = dlr("id=%d&t=%s&status=1" % (sid + 1000, "0" * 32))
st3, body3 = dlr("id=%d&status=1" % sid)
st4, body4 = dlr("id=%d&t=%s&status=3" % (sid, "0" * 32))
st5, body5 = dlr("id=%d&t=%s&status=1&x=1" % (sid, "0" * 32))
t.ok(st1 == 404 and st2 == 404 and "not_found" in body1,
     "a report with a wrong token or for no message: 404", (body1, body2))
t.ok(st3 == 400 and st4 == 400 and st5 == 400 and
     "invalid_query" in body3 and "status 3" in body4,
     "a report without a token, of an unknown type, or with more: 400",
     (body3, body4, body5))
t.ok(sms_of(a, acc2["id"] if acc2 else 0)["state"] == "delivered",
     "the forged reports changed nothing")

log = m.log()
t.ok("/dlr?" not in log and PASSWORD not in log and
     not any(code2_of(x) in log for _, x in k.messages()) and
     acc["code1"] not in log,
     "mgmtd's log holds no report token, Kannel password or code")
rc, _ = m.stop()
t.ok(rc == 0, "mgmtd stops with status 0", m.log())

# --- Kannel refuses the credentials: failed at once, with its reason.
bad = Mgmtd(extra=k.ini(None, RETRY).replace(
    "kannel_password = ", "kannel_password = wrong-"))
t.ok(bad.start(), "mgmtd with a wrong Kannel password starts", bad.log())
ba = bad.api()
register(ba, "s1")
st, js, text, _ = book(ba, "now", 600, 1, [PHONES[2]])
acc = access(ba, PHONES[2], js["booking"]["id"] if st == 201 else "none")
sms = wait_sms(ba, acc["id"] if acc else 0,
               lambda s: s["state"] == "failed", booking=acc["booking"]
               if acc else None)
t.ok(sms is not None and sms["attempts"] == 1 and
     sms["last_error"].startswith("Kannel refused it: 403: Authorization "
                                  "failed"),
     "Kannel's 403 fails the SMS at the first attempt, with Kannel's reason",
     sms)
rc, _ = bad.stop()
t.ok(rc == 0, "that mgmtd stops", bad.log())
codes = k.stop()
t.ok(codes and all(c is not None for c in codes.values()),
     "Kannel stops on SIGINT to bearerbox: %s" % codes)
t.ok(len(k.messages()) == 2, "and got no SMS but the two", k.messages())

# --- A gateway that answers 503 twice: retried, then sent.
answers = [503, 503, 202]
seen = []


class Gateway(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        code = answers[len(seen)] if len(seen) < len(answers) else 202
        seen.append(self.path)
        body = (b"0: Accepted for delivery" if code == 202 else
                b"Temporary failure, try again")
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


gw = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Gateway)
threading.Thread(target=gw.serve_forever, daemon=True).start()
g = Mgmtd(extra="[sms]\nchannel = kannel\nkannel_port = %d\n"
          "kannel_username = u\nkannel_password = p\n%s"
          % (gw.server_address[1], RETRY))
t.ok(g.start(), "mgmtd with a gateway that answers 503 starts", g.log())
ga = g.api()
register(ga, "s1")
st, js, text, _ = book(ga, "now", 600, 1, [PHONES[2]])
acc = access(ga, PHONES[2], js["booking"]["id"] if st == 201 else "none")
sms = wait_sms(ga, acc["id"] if acc else 0, lambda s: s["state"] == "sent",
               booking=acc["booking"] if acc else None)
t.ok(sms is not None and sms["attempts"] == 3 and len(seen) == 3 and
     sms["last_error"] == "Kannel answered 503: Temporary failure, try "
     "again", "two 503s are retried; the third attempt is sent", sms)
t.ok(all(p.startswith("/cgi-bin/sendsms?username=u&password=p&to=%2B4930"
                      "300003&text=Conference%20code%202%3A%20")
         for p in seen), "each attempt is the same sendsms request", seen[:1])
rc, _ = g.stop()
gw.shutdown()
t.ok(rc == 0, "that mgmtd stops", g.log())

# --- A gateway that never answers: each attempt times out; a stop while
# one is in flight is clean.
silent = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
silent.bind(("127.0.0.1", 0))
silent.listen(16)
q = Mgmtd(extra="[sms]\nchannel = kannel\nkannel_port = %d\n"
          "kannel_username = u\nkannel_password = p\ntimeout = 1s\n%s"
          % (silent.getsockname()[1], RETRY))
t.ok(q.start(), "mgmtd with a gateway that never answers starts", q.log())
qa = q.api()
register(qa, "s1")
st, js, text, _ = book(qa, "now", 600, 1, [PHONES[2]])
acc = access(qa, PHONES[2], js["booking"]["id"] if st == 201 else "none")
sms = wait_sms(qa, acc["id"] if acc else 0,
               lambda s: s["last_error"] is not None,
               booking=acc["booking"] if acc else None)
t.ok(sms is not None and sms["state"] == "queued" and
     sms["last_error"].endswith("no answer within [sms] timeout"),
     "an attempt without an answer times out and is retried", sms)
rc, took = q.stop()
t.ok(rc == 0 and took < 2,
     "mgmtd stops cleanly while a request is in flight (%.2f s)" % took,
     q.log())
silent.close()
t.done()
