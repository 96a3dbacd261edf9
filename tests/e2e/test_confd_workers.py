"""confd with two media threads: four standalone rooms shared between the
workers, everyone in every room hears the others and not itself, both
workers do the work, /metrics adds up over the workers, a conference booked
through mgmtd opens and closes on a worker, a SIGHUP reloads without a
hitch (and says that [media] workers needs a restart), and SIGTERM stops
every thread with every room's summary logged."""
import json
import os
import signal
import time

from confd_util import (Confd, free_udp_port, free_udp_range, new_key,
                        tparty_booked, tparty_start, tparty_wait,
                        udp_port_taken)
from harness import Tap, prog, run
from mgmtd_util import (ORGANISERS, SECRETS, Mgmtd, book, sms_code2,
                        sms_to_file)

t = Tap()
OWN_MAX = 0.02
OTHER_MIN = 0.2     # each of two others should be about a half
ROOMS = ["r0", "r1", "r2", "r3"]
FREQS = {"r0": [400, 600, 800], "r1": [500, 700, 900],
         "r2": [450, 650, 850], "r3": [550, 750, 950]}


def wait(pred, timeout):
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if pred():
            return time.monotonic() - t0
        time.sleep(0.01)
    return None


def threads(pid):
    """{thread name: utime + stime in ticks} of a process."""
    out = {}
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/comm" % (pid, tid)) as f:
                name = f.read().strip()
            with open("/proc/%d/task/%s/stat" % (pid, tid)) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            out[name] = int(fields[11]) + int(fields[12])
        except OSError:
            continue
    return out


def metric_sum(m, name):
    return sum(v for (n, labels), v in m.items()
               if n == name and len(labels) == 1)


rooms = {}
for i, name in enumerate(ROOMS):
    rooms[name] = {"port": free_udp_port(), "key": new_key(), "capacity": 5}
cd = Confd(rooms, extra="workers = 2\n[mixer]\nmax_speakers = 0\n")
t.ok(cd.start(), "confd with four rooms and two workers is ready", cd.log())
t.ok("2 media threads" in cd.log(), "confd says it runs two media threads",
     cd.log())
names = sorted(n for n in threads(cd.proc.pid) if n.startswith("confd-w"))
t.ok(names == ["confd-w0", "confd-w1"], "confd has the threads confd-w0 "
     "and confd-w1 (%s)" % names)
on = {}
for name in ROOMS:
    for line in cd.log().splitlines():
        if "%s: open on port" % name in line:
            on[name] = line.rsplit("worker ", 1)[1]
t.ok(sorted(on.values()) == ["0", "0", "1", "1"],
     "the rooms are shared evenly between the workers (%s)" % on, cd.log())

before = threads(cd.proc.pid)
procs = {}
for n, name in enumerate(ROOMS):
    parties = [(0x10000000 * (n + 1) + k, f)
               for k, f in enumerate(FREQS[name])]
    procs[name] = tparty_start(rooms[name]["port"], rooms[name]["key"],
                               parties, 4)
m_during = None
time.sleep(2.5)
try:
    m_during = cd.metrics()
except OSError as e:
    m_during = {"error": str(e)}
results = {name: tparty_wait(p) for name, p in procs.items()}
after = threads(cd.proc.pid)

for name in ROOMS:
    res, rc, out = results[name]
    t.ok(rc == 0 and len(res) == 3, "%s: three participants ran" % name, out)
    for ssrc, r in sorted(res.items()):
        f = int(r["freq"])
        others = [g for g in FREQS[name] if g != f]
        t.ok(all(r["ratios"][str(g)] >= OTHER_MIN for g in others) and
             r["ratios"][str(f)] <= OWN_MAX and r["auth_fail"] == 0,
             "%s: %d Hz hears %s and not itself" % (name, f, others), r)

for w in ("confd-w0", "confd-w1"):
    used = after.get(w, 0) - before.get(w, 0)
    t.ok(used > 0, "%s did media work (%d ticks of CPU)" % (w, used))

t.ok(all(m_during.get(("confd_participants", frozenset({("room", n)})), 0)
         == 3 for n in ROOMS),
     "during the call /metrics shows three participants in every room",
     m_during)
m = cd.metrics()
sent = sum(r["sent"] for res, _, _ in results.values()
           for r in res.values())
heard = sum(r["received"] for res, _, _ in results.values()
            for r in res.values())
rx = metric_sum(m, "confd_packets_received_total")
tx = metric_sum(m, "confd_packets_sent_total")
t.ok(sent > 0 and 0.98 * sent <= rx <= sent,
     "confd_packets_received_total over the rooms of both workers is what "
     "the participants sent (%d of %d)" % (rx, sent))
t.ok(heard > 0 and heard <= tx <= 1.02 * heard + 12,
     "confd_packets_sent_total over the rooms is what the participants "
     "received (%d, %d)" % (tx, heard))
buckets = [v for (n, labels), v in m.items()
           if n == "confd_mix_delay_ms_bucket"]
count = m.get(("confd_mix_delay_ms_count", frozenset()), 0)
t.ok(count > 0 and max(buckets) == count and
     m.get(("confd_mix_delay_ms_bucket", frozenset({("le", "+Inf")})))
     == count,
     "the mixing delay histogram sums both workers (%d frames)" % count)
ticks = m.get(("confd_ticks_total", frozenset()), 0)
t.ok(ticks >= 4 * 150, "ticks of all four rooms are counted (%d)" % ticks)
t.ok(m.get(("confd_rooms_open", frozenset()), 0) == 4,
     "confd_rooms_open is 4")

# A reload: [media] workers waits for a restart; the rooms go on.
with open(cd.conf) as f:
    text = f.read()
cd.write_conf(text.replace("workers = 2", "workers = 1"))
cd.send(signal.SIGHUP)
t.ok(cd.wait_log("[media] workers: changed, but takes effect only after a "
                 "restart"), "a reload says [media] workers needs a restart",
     cd.log())
res, rc, out = tparty_wait(tparty_start(
    rooms["r1"]["port"], rooms["r1"]["key"],
    [(0x51, 500), (0x52, 700)], 3))
t.ok(rc == 0 and res.get(0x51, {"ratios": {}})["ratios"].get("700", 0)
     >= 0.3, "after the reload a room still mixes", out)

rc, took = cd.stop()
t.ok(rc == 0, "SIGTERM stops confd and its workers cleanly (%.2f s)" % took,
     cd.log())
log = cd.log()
t.ok(all("%s: closed after" % n in log for n in ROOMS),
     "every room's summary is logged", log)
t.ok("participant 00000051 left" in log,
     "participants' summaries are logged", log)

# A conference booked through mgmtd opens and closes on a worker.
m = Mgmtd()
sms_file = sms_to_file(m)
t.ok(m.start(), "mgmtd is ready", m.log())
api = m.api()
lo, hi = free_udp_range()
cd = Confd({"lobby": {"port": free_udp_port(), "key": new_key()}},
           extra="workers = 2\n[mgmtd]\naddress = 127.0.0.1\nport = %d\n"
           "ca_file = %s\nsecret = %s\nport_min = %d\nport_max = %d\n"
           "capacity = 50\n[mixer]\nmax_speakers = 0\n"
           % (m.port, m.cert, SECRETS["s1"], lo, hi), server_id="s1")
t.ok(cd.start() and cd.wait_log("registered with mgmtd"),
     "confd with two workers registers with mgmtd", cd.log())
phones = ["+4930200001", "+4930200002"]
st, js, text, _ = book(api, "now", duration=900, capacity=2,
                       invitees=phones)
t.ok(st == 201, "booked a conference for now", text)
bid = js["booking"]["id"] if st == 201 else "none"
creds = []
for ph in phones:
    st, js, text, _ = api.call("POST", "/v1/bookings/%s/access" % bid,
                               {"phone": ph}, token=ORGANISERS["alice"])
    code1 = js["access"]["code1"] if st == 201 else "-"
    rc, out = run([prog("confcli"), "codes", "show", "--json", code1,
                   sms_code2(sms_file, ph) or "-"])
    c = json.loads(out) if rc == 0 else {}
    creds.append((c.get("ssrc", 0), c.get("port", 0), c.get("key_send", ""),
                  c.get("key_receive", "")))
port = creds[0][1]
t.ok(lo <= port <= hi and wait(lambda: udp_port_taken(port), 2) is not None,
     "the booked port opens", cd.log())
t.ok(cd.wait_log("%s: open on port %d until the end of its booking, "
                 "worker " % (bid, port)),
     "the booked conference is opened on a worker", cd.log())
res, rc, out = tparty_booked(port, [
    (creds[0][0], 600, creds[0][2], creds[0][3]),
    (creds[1][0], 900, creds[1][2], creds[1][3])], 3)
r = res.get(creds[0][0], {"ratios": {}})
t.ok(r["ratios"].get("900", 0) >= 0.3 and r["ratios"].get("600", 1) <= 0.02,
     "booked participants hear each other and not themselves", out)
st, js, text, _ = api.call("DELETE", "/v1/bookings/%s" % bid,
                           token=ORGANISERS["alice"])
t.ok(st == 200, "cancelled the booking", text)
t.ok(wait(lambda: not udp_port_taken(port), 35) is not None and
     cd.wait_log("%s: closed after" % bid),
     "its worker closes the cancelled conference and logs its summary",
     cd.log())
rc, _ = cd.stop()
t.ok(rc == 0, "confd stops cleanly", cd.log())
rc, _ = m.stop()
t.ok(rc == 0, "mgmtd stops cleanly", m.log())
t.done()
