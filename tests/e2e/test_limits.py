"""Limits: connections to mgmtd's API, request sizes, file descriptors,
conferences and participants on confd.  Past each limit the client or the
operator gets a clear answer or log line, never a hang, and the daemon
serves again once the load is gone."""
import os
import resource
import socket
import ssl
import subprocess
import time

from confd_util import (Confd, free_udp_port, free_udp_range, new_key, tparty,
                        udp_port_taken, wait_metric)
import random

from harness import Tap, free_port, prog, run, tmpdir
from mgmtd_util import SECRETS, Mgmtd, book

t = Tap()


def wait(pred, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.05)
    return False


def health(m, timeout=5):
    """(status, JSON, headers) of GET /v1/health on a new connection."""
    a = m.api(timeout=timeout)
    try:
        st, js, _, h = a.call("GET", "/v1/health")
        return st, js, h
    except (OSError, ConnectionError) as e:
        return None, str(e), {}
    finally:
        a.close()


def hold(m, n):
    """n connections that are accepted (TLS: handshake done) and idle."""
    out = []
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", m.port), timeout=5)
        if m.cert:
            ctx = ssl.create_default_context(cafile=m.cert)
            s = ctx.wrap_socket(s, server_hostname="127.0.0.1")
        out.append(s)
    return out


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# --- mgmtd: [api] max_connections, with TLS ---------------------------------
m = Mgmtd(api="max_connections = 4\nmax_body = 1024\nmax_headers = 2048")
t.ok(m.start(), "mgmtd with max_connections = 4 is ready", m.log())
st, _, _ = health(m)
t.ok(st == 200, "it answers while under the limit", st)
held = hold(m, 4)
t0 = time.monotonic()
st, js, h = health(m)
took = time.monotonic() - t0
err = js.get("error", {}) if isinstance(js, dict) else {}
t.ok(st == 503 and err.get("code") == "too_many_connections" and
     "max_connections" in err.get("message", ""),
     "a fifth connection gets 503 too_many_connections", (st, js))
t.ok(h.get("Retry-After") == "1", "with Retry-After: 1", h)
t.ok(took < 3, "at once, not after a wait (%.2f s)" % took)
t.ok(m.daemon.wait_log("the most [api] max_connections allows", 3),
     "the log says the limit was reached", m.log()[-2000:])
# Past the connections answered 503 (64), the next are closed at once.
extra = []
for _ in range(70):
    s = socket.create_connection(("127.0.0.1", m.port), timeout=5)
    extra.append(s)
closed = 0
for s in extra[-4:]:
    s.settimeout(3)
    try:
        closed += s.recv(100) == b""
    except ConnectionResetError:
        closed += 1
    except socket.timeout:
        pass
t.ok(closed >= 3, "connections past the 503 ones are closed at once "
     "(%d of 4)" % closed)
for s in held + extra:
    s.close()
t.ok(wait(lambda: health(m)[0] == 200, 8),
     "once they close, mgmtd answers again", m.log()[-2000:])

# --- request sizes -----------------------------------------------------------
a = m.api()
st, js, text, _ = a.call("POST", "/v1/bookings", raw=b"{" + b" " * 2000 +
                         b"}", token="key-of-organiser-alice")
t.ok(st == 413 and js and js["error"]["code"] == "body_too_large",
     "a body over [api] max_body gets 413 body_too_large", text[:300])
a.close()
a = m.api()
try:
    st, js, text, _ = a.call("GET", "/v1/health",
                             headers={"X-Filler": "x" * 4000})
except (OSError, ConnectionError) as e:
    st, text = None, str(e)
# libevent 2.1's evhttp answers these itself, before any handler runs.
t.ok(st == 400 and "Bad Request" in text,
     "headers over [api] max_headers get 400 Bad Request", (st, text[:300]))
a.close()
t.ok(health(m)[0] == 200, "mgmtd still answers after both")
rc, took = m.stop()
t.ok(rc == 0, "mgmtd stops cleanly", m.log()[-2000:])

# --- mgmtd: out of file descriptors at run time -------------------------------
m = Mgmtd(name="mgmtd-nofd", tls=False, api="max_connections = 500")
t.ok(m.start(), "a second mgmtd (plain HTTP) is ready", m.log())
pid = m.daemon.proc.pid
nopen = len(os.listdir("/proc/%d/fd" % pid))
lim = nopen + 6
resource.prlimit(pid, resource.RLIMIT_NOFILE, (lim, lim))
socks = []
for _ in range(30):
    socks.append(socket.create_connection(("127.0.0.1", m.port), timeout=5))
t.ok(m.daemon.wait_log("out of file descriptors", 5),
     "mgmtd logs that it ran out of file descriptors", m.log()[-2000:])
line = [ln for ln in m.log().splitlines() if "out of file descriptors" in ln]
t.ok(line and ("limit %d" % lim) in line[0] and " open" in line[0],
     "the line says how many are open and the limit", line)
c0 = cpu_seconds(pid)
time.sleep(1.5)
c1 = cpu_seconds(pid)
t.ok(c1 - c0 < 0.5, "it does not spin meanwhile (%.2f s CPU in 1.5 s)"
     % (c1 - c0))
t.ok(m.log().count("out of file descriptors") == 1,
     "one line for the whole burst", m.log()[-3000:])
for s in socks:
    s.close()
t.ok(wait(lambda: health(m)[0] == 200, 10),
     "once the connections close it answers again", m.log()[-2000:])
t.ok(m.daemon.wait_log("accepting connections again", 10),
     "and logs that the burst is over", m.log()[-2000:])
rc, took = m.stop()
t.ok(rc == 0, "mgmtd stops cleanly", m.log()[-2000:])

# --- descriptor limits at startup ----------------------------------------------
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)


def low_limit(n):
    return lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (n, n))


d = tmpdir("mgmtd-hard")
conf = os.path.join(d, "mgmtd.ini")
with open(conf, "w") as f:
    f.write("[general]\nstate_dir = %s/state\n[api]\naddress = 127.0.0.1\n"
            "port = %d\ntls = no\nmax_connections = 1000\n"
            % (d, free_port()))
p = subprocess.run([prog("mgmtd"), "-d", "-f", conf], preexec_fn=low_limit(256),
                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                   timeout=20)
out = p.stdout.decode(errors="replace")
t.ok(p.returncode == 78 and "hard limit (RLIMIT_NOFILE) is 256" in out and
     conf in out, "mgmtd refuses to start when max_connections cannot fit "
     "the hard limit (exit 78)", (p.returncode, out[-1000:]))

if hard >= 2048:
    # A low soft limit is raised: the configuration fits the hard one.
    resource.setrlimit(resource.RLIMIT_NOFILE, (64, hard))
    try:
        m = Mgmtd(name="mgmtd-soft", tls=False,
                  api="max_connections = 1000")
        ok = m.start()
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    t.ok(ok, "mgmtd started with a soft limit of 64 raises it", m.log())
    lines = [ln for ln in m.log().splitlines() if "file descriptors:" in ln]
    t.ok(lines and "limit %d" % hard in lines[0],
         "the log says the limit it raised to", lines)
    m.stop()
else:
    t.ok(True, "# SKIP the hard limit is below 2048")
    t.ok(True, "# SKIP the hard limit is below 2048")

lo = 40000
cd = Confd({}, extra="max_rooms = 5000\n[mgmtd]\naddress = 127.0.0.1\n"
           "secret = %s\nport_min = %d\nport_max = %d\n"
           % (SECRETS["s1"], lo, lo + 1999))
p = subprocess.run([prog("confd"), "-d", "-f", cd.conf],
                   preexec_fn=low_limit(1024), stdout=subprocess.PIPE,
                   stderr=subprocess.STDOUT, timeout=20)
out = p.stdout.decode(errors="replace")
t.ok(p.returncode == 78 and "hard limit (RLIMIT_NOFILE) is 1024" in out,
     "confd refuses to start when 2,000 bookable ports on two families "
     "cannot fit the hard limit (exit 78)", (p.returncode, out[-1000:]))

# --- confd: [room] sections past max_rooms ---------------------------------------
rooms = {"r%d" % i: {"port": free_udp_port(), "key": new_key()}
         for i in range(3)}
cd = Confd(rooms, extra="max_rooms = 2")
rc, out = run([prog("confd"), "-n", "-f", cd.conf])
t.ok(rc == 78 and "[media] max_rooms: 2, fewer than the 3 [room] sections"
     in out, "confd -n: three [room] sections and max_rooms = 2", out)

# --- confd: a full room, and max_total_participants ------------------------------
key = new_key()
pa, pb = free_udp_port(), free_udp_port()
cd = Confd({"a": {"port": pa, "key": key, "capacity": 2},
            "b": {"port": pb, "key": key, "capacity": 4}},
           extra="max_total_participants = 3")
t.ok(cd.start(), "confd with max_total_participants = 3 is ready", cd.log())
res, rc, out = tparty(pa, key, [(0x1a01, 400), (0x1a02, 800),
                                (0x1a03, 1200)], 2)
v = wait_metric(cd, lambda x: x > 0, "confd_refused_total", room="a")
t.ok(v > 0, "a third participant of a room of 2 is refused and counted "
     "(%d packets)" % v)
t.ok(cd.log().count("a: full (2 of 2)") == 1,
     "the log says the room is full, once", cd.log()[-2000:])
res, rc, out = tparty(pb, key, [(0x1b01, 400), (0x1b02, 800),
                                (0x1b03, 1200), (0x1b04, 1600)], 2)
# tparty's participants of room a left; here 3 fit and the fourth not.
v = wait_metric(cd, lambda x: x > 0, "confd_server_full_total")
t.ok(v > 0, "a fourth participant over all rooms is refused "
     "(max_total_participants = 3) and counted", cd.metrics())
t.ok("the most [media] max_total_participants allows" in cd.log(),
     "the log says why", cd.log()[-2000:])
t.ok(cd.metric("confd_participants_max") == 3,
     "/metrics shows the limit")
rc, _ = cd.stop()
t.ok(rc == 0, "confd stops cleanly", cd.log()[-2000:])

# --- confd: bookings from mgmtd past max_rooms -----------------------------------
m = Mgmtd(name="mgmtd-rooms")
t.ok(m.start(), "mgmtd for the room limit is ready", m.log())

while True:
    base = random.randrange(42000, 59000)
    if not any(udp_port_taken(q) for q in range(base, base + 10)):
        break
cd = Confd({}, server_id="s1",
           extra="max_rooms = 1\n[mgmtd]\naddress = 127.0.0.1\nport = %d\n"
           "ca_file = %s\nsecret = %s\nport_min = %d\nport_max = %d\n"
           "capacity = 50\n" % (m.port, m.cert, SECRETS["s1"], base,
                                base + 9))
t.ok(cd.start(), "confd with max_rooms = 1 is ready", cd.log())
t.ok(cd.wait_log("registered with mgmtd"), "it registers", cd.log())
api = m.api()
for i in range(2):
    st, js, text, _ = book(api, "now", duration=900, capacity=2)
    t.ok(st == 201, "booking %d for now" % (i + 1), text)
v = wait_metric(cd, lambda x: x >= 1, "confd_rooms_refused_total", 5)
t.ok(v == 1, "one booking cannot open: counted in "
     "confd_rooms_refused_total", cd.metrics())
t.ok(cd.metric("confd_rooms_open") == 1 and
     cd.metric("confd_rooms_max") == 1, "one room is open, of at most 1")
t.ok("the most [media] max_rooms allows" in cd.log(),
     "the log says which booking and why", cd.log()[-2000:])
api.close()
rc, _ = cd.stop()
t.ok(rc == 0, "confd stops cleanly", cd.log()[-2000:])
rc, _ = m.stop()
t.ok(rc == 0, "mgmtd stops cleanly", m.log()[-2000:])
t.done()
