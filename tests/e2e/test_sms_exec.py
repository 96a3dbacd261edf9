"""The exec channel of the SMS of code 2: mgmtd runs a command with the
phone number and the text, without a shell, and watches it on its event
loop.  Exit 0 is sent; a failing command is retried with a growing delay,
then failed; a command that hangs is killed at [sms] timeout and retried;
a message pending when mgmtd is killed (-9) is sent after the restart; many
at once all arrive, each with its own code 2.  And the [sms] options that
go with a channel are checked before anything starts."""
import os
import signal
import time

from harness import Tap, free_port, prog, run, tmpdir
from kannel_util import Capture, code2_of, decode, wait_for
from mgmtd_util import ORGANISERS, Mgmtd, book, conf, register

t = Tap()
ALICE = ORGANISERS["alice"]

# --- The checks of the [sms] options, by -n.
d = tmpdir("sms-config")
port = free_port()
cap = Capture()


def check(sms):
    path = os.path.join(d, "mgmtd.ini")
    with open(path, "w") as f:
        f.write(conf(d, port, extra=sms))
    rc, out = run([prog("mgmtd"), "-n", "-f", path])
    return rc, out, path


rc, out, path = check(cap.ini())
t.ok(rc == 0 and "configuration OK" in out, "-n accepts the exec channel",
     out)
rc, out, path = check("[sms]\nchannel = exec\n")
t.ok(rc == 78 and "%s: [sms] command: required with channel = exec" % path
     in out, "-n wants a command for the exec channel", out)
rc, out, path = check("[sms]\nchannel = exec\ncommand = send-sms\n")
t.ok(rc == 78 and "[sms] command: 'send-sms' is not an absolute path" in out,
     "-n refuses a command without its path", out)
rc, out, path = check("[sms]\nchannel = exec\ncommand = %s\n" % d)
t.ok(rc == 78 and "[sms] command: %s: not an executable file" % d in out,
     "-n refuses a directory as the command", out)
rc, out, path = check("[sms]\nchannel = exec\ncommand = %s/none\n" % d)
t.ok(rc == 78 and "No such file or directory" in out,
     "-n refuses a command that is not there", out)
rc, out, path = check("[sms]\nchannel = kannel\n")
t.ok(rc == 78 and "[sms] kannel_username: required with channel = kannel"
     in out and "[sms] kannel_password: required" in out,
     "-n wants Kannel's username and password", out)
rc, out, path = check("[sms]\nchannel = kannel\nkannel_username = u\n"
                      "kannel_password = p\ndlr_address = 0.0.0.0\n"
                      "dlr_port = 13080\n")
t.ok(rc == 78 and "[sms] dlr_address: Kannel cannot call back '0.0.0.0'"
     in out, "-n refuses a wildcard address for delivery reports", out)
rc, out, path = check(cap.ini("retry_min = 2s\nretry_max = 1s\n"))
t.ok(rc == 78 and "[sms] retry_min: longer than retry_max" in out,
     "-n refuses a first delay longer than the longest", out)
rc, out, path = check("[sms]\nchannel = fax\n")
t.ok(rc == 78 and "channel" in out and "none, kannel or exec" in out,
     "-n names the channels", out)

# --- A daemon with the exec channel: retries after 0.3, 0.6, 1 s.
m = Mgmtd(extra=cap.ini("retry_min = 300ms\nretry_max = 1s\n"
                        "max_attempts = 4\ntimeout = 1s\n"))
t.ok(m.start(), "mgmtd with the exec channel starts", m.log())
a = m.api()
register(a, "s1")
PHONES = ["+4930200%03d" % i for i in range(30)]
st, js, text, _ = book(a, "now", 1800, 30, PHONES)
t.ok(st == 201, "a conference for 30 is booked", text)
bid = js["booking"]["id"] if st == 201 else "none"


def access(phone):
    st, js, text, _ = a.call("POST", "/v1/bookings/%s/access" % bid,
                             {"phone": phone}, token=ALICE)
    return js["access"] if st == 201 else None


def sms_of(acc_id):
    st, js, text, _ = a.call("GET", "/v1/bookings/%s/access" % bid,
                             token=ALICE)
    for x in js["accesses"] if st == 200 else []:
        if x["id"] == acc_id:
            return x["sms"]
    return None


def wait_sms(acc_id, pred, timeout=15):
    return wait_for(lambda: sms_of(acc_id), lambda s: s is not None and
                    pred(s), timeout)


def sent_to(phone):
    return [text for p, text in cap.messages() if p == phone]


# A command that always fails: four attempts, then failed.
cap.fail(True)
calls = len(cap.call_log())
acc = access(PHONES[0])
sms = wait_sms(acc["id"], lambda s: s["state"] == "failed")
log = cap.call_log()[calls:]
t.ok(sms is not None and sms["attempts"] == 4 and len(log) == 4 and
     sms["last_error"] == "gave up after 4 attempts: the command exited "
     "with status 3" and sms["next_attempt"] is None and
     [h["state"] for h in sms["history"]] == ["queued", "failed"],
     "a failing command is tried 4 times, then the SMS failed", (sms, log))
gaps = [round(b[0] - a_[0], 3) for a_, b in zip(log, log[1:])]
# The times are the command's own: each starts a little after its attempt.
# A busy machine only makes gaps longer, so lower bounds that double prove
# the backoff grows without depending on the load.
t.ok(len(gaps) == 3 and gaps[0] >= 0.2 and gaps[1] >= 0.45 and
     gaps[2] >= 0.9,
     "the delays between attempts grow: %s s" % gaps)
t.ok("send-sms: failing on purpose" in m.log(),
     "the command's own output goes to mgmtd's log")

# It fails twice, then works: sent at the third attempt, once.
acc = access(PHONES[1])
t.ok(m.daemon.wait_log("(access %d): attempt 2 failed" % acc["id"]),
     "a command fails twice", m.log())
cap.fail(False)
sms = wait_sms(acc["id"], lambda s: s["state"] == "sent")
t.ok(sms is not None and sms["attempts"] == 3 and
     "exited with status 3" in sms["last_error"] and
     len(sent_to(PHONES[1])) == 1,
     "a command that recovers sends the SMS once, at the next attempt", sms)

# A command that hangs is killed at the timeout and tried again.
cap.slow(True)
acc = access(PHONES[2])
sms = wait_sms(acc["id"], lambda s: s["attempts"] >= 1 and s["last_error"])
t.ok(sms is not None and sms["state"] == "queued" and
     "ran longer than [sms] timeout and was killed" in sms["last_error"],
     "a command that hangs is killed after [sms] timeout", sms)
cap.slow(False)
sms = wait_sms(acc["id"], lambda s: s["state"] == "sent")
t.ok(sms is not None and len(sent_to(PHONES[2])) == 1,
     "and the SMS is sent at the next attempt", sms)

# The conference ends first: the SMS fails when no attempt is left.  Its
# fourth attempt falls 1.9 s in, about when the 2 s conference ends, so
# what tells the two causes apart is the reason given, not the count.
cap.fail(True)
st, js, text, _ = book(a, "now", 2, 1, [PHONES[4]])
short = js["booking"]["id"] if st == 201 else "none"
st, js, text, _ = a.call("POST", "/v1/bookings/%s/access" % short,
                         {"phone": PHONES[4]}, token=ALICE)
acc = js["access"] if st == 201 else {"id": 0}


def short_sms():
    st, js, text, _ = a.call("GET", "/v1/bookings/%s/access" % short,
                             token=ALICE)
    return js["accesses"][0]["sms"] if st == 200 and js["accesses"] else None


sms = wait_for(short_sms, lambda s: s is not None and s["state"] ==
               "failed", 10)
t.ok(sms is not None and sms["last_error"].startswith(
     "the conference ends before it could be sent; last error: the "
     "command exited with status 3") and sms["attempts"] <= 4,
     "an SMS that cannot be sent before the conference ends fails",
     short_sms())

# --- kill -9 while an SMS waits for its next attempt.
cap.fail(True)
acc = access(PHONES[3])
code1 = acc["code1"]
t.ok(m.daemon.wait_log("(access %d): attempt 1 failed" % acc["id"]),
     "an attempt fails", m.log())
sms = sms_of(acc["id"])
t.ok(sms is not None and sms["state"] == "queued" and sms["attempts"] == 1,
     "the SMS waits for its next attempt", sms)
m.daemon.kill()
t.ok(m.daemon.proc.returncode == -9, "mgmtd is killed (-9)")
cap.fail(False)
t.ok(m.start(), "mgmtd starts again", m.log())
a.close()
sms = wait_sms(acc["id"], lambda s: s["state"] == "sent")
texts = sent_to(PHONES[3])
d3 = decode(code1, code2_of(texts[0]) if texts else "")
t.ok(sms is not None and sms["attempts"] >= 2 and len(texts) == 1 and
     d3 is not None and d3["ok"],
     "after the restart it is sent, once, and its code 2 fits code 1",
     (sms, texts, d3))

# --- Many at once: every one arrives with its own code 2.
t0 = time.monotonic()
accs = [access(p) for p in PHONES[10:30]]
ok = wait_for(lambda: [sms_of(x["id"]) for x in accs],
              lambda v: all(s and s["state"] == "sent" for s in v), 20)
pairs = []
for x in accs:
    texts = sent_to(x["phone"])
    pairs.append(decode(x["code1"], code2_of(texts[0])) if len(texts) == 1
                 else None)
t.ok(ok is not None and all(p and p["ok"] for p in pairs) and
     len({p["ssrc"] for p in pairs}) == 20,
     "20 accesses at once: 20 SMS sent in %.1f s, each code 2 fits its "
     "code 1" % (time.monotonic() - t0), pairs[:3])

# --- Stopped while a command runs: a clean stop, tried again at start.
cap.slow(True)
calls = cap.calls()
acc = access(PHONES[6])
ran = wait_for(cap.calls, lambda n: n > calls, 5)
rc, took = m.stop()
t.ok(ran is not None and rc == 0 and took < 2,
     "mgmtd stops cleanly while a command runs (%.2f s)" % took, m.log())
hung = cap.call_log()[-1][2] if ran else None
try:
    if hung:
        os.kill(hung, signal.SIGKILL)   # the test's own sleep 30
except ProcessLookupError:
    pass
cap.slow(False)
t.ok(m.start(), "mgmtd starts again", m.log())
a.close()
sms = wait_sms(acc["id"], lambda s: s["state"] == "sent")
t.ok(sms is not None and sms["attempts"] == 2 and
     len(sent_to(PHONES[6])) == 1,
     "the SMS whose command was running is sent after the restart", sms)
rc, _ = m.stop()
t.ok(rc == 0, "mgmtd stops with status 0", m.log())

# --- [sms] max_age: an SMS not sent in time fails, attempts left or not.
cap.fail(True)
old = Mgmtd(extra=cap.ini("retry_min = 300ms\nretry_max = 1s\n"
                          "max_attempts = 100\nmax_age = 1s\n"))
t.ok(old.start(), "mgmtd with max_age = 1s starts", old.log())
oa = old.api()
register(oa, "s1")
st, js, text, _ = book(oa, "now", 600, 1, [PHONES[5]])
ob = js["booking"]["id"] if st == 201 else "none"
st, js, text, _ = oa.call("POST", "/v1/bookings/%s/access" % ob,
                          {"phone": PHONES[5]}, token=ALICE)


def old_sms():
    st, js, text, _ = oa.call("GET", "/v1/bookings/%s/access" % ob,
                              token=ALICE)
    return js["accesses"][0]["sms"] if st == 200 and js["accesses"] else None


sms = wait_for(old_sms, lambda s: s is not None and s["state"] == "failed",
               10)
t.ok(sms is not None and 2 <= sms["attempts"] <= 3 and
     sms["last_error"].startswith("not sent within [sms] max_age, after "),
     "an SMS not sent within max_age fails", old_sms())
cap.fail(False)
rc, _ = old.stop()
t.ok(rc == 0, "that mgmtd stops with status 0", old.log())
t.done()
