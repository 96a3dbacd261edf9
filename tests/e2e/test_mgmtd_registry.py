"""mgmtd's registry of conference servers, as a confd and an operator see
it: registration with a per-server secret, heartbeats, down after the
heartbeat timeout and back with the next heartbeat, draining (existing
bookings kept, no new ones), revoking one server on SIGHUP."""
import signal
import time

from harness import Tap
from mgmtd_util import (OPERATOR, ORGANISERS, SECRETS, Mgmtd, book,
                        heartbeat, next_slot, register, rfc3339)

t = Tap()
m = Mgmtd(servers=("s1", "s2"), regions={"s2": "eu"},
          registry="heartbeat_timeout = 1s")
t.ok(m.start(), "mgmtd starts with TLS", m.log())
a = m.api()


def server(name):
    st, js, text, _ = a.call("GET", "/v1/servers/" + name, token=OPERATOR)
    return js["server"] if st == 200 else text


# Before registering, a server is known but not bookable.
t.ok(server("s1")["state"] == "unregistered",
     "a configured server starts unregistered", server("s1"))
st, js, text, _ = heartbeat(a, "s1")
t.ok(st == 409 and js["error"]["code"] == "not_registered",
     "a heartbeat before registering is refused", text)

# Wrong secrets, unknown servers and no secret at all are refused alike.
st, js, text, h = a.call("POST", "/v1/servers/s1/register",
                         {"addresses": ["127.0.0.1"], "port_min": 40000,
                          "port_max": 40009, "capacity": 10},
                         token=SECRETS["s2"])
t.ok(st == 401 and js["error"]["code"] == "unauthorized" and
     h.get("WWW-Authenticate") == "Bearer",
     "another server's secret is refused (401)", text)
st, js, text, _ = a.call("POST", "/v1/servers/s9/register",
                         {"addresses": ["127.0.0.1"], "port_min": 40000,
                          "port_max": 40009, "capacity": 10},
                         token=SECRETS["s1"])
t.ok(st == 401, "an unknown server is refused (401)", text)
st, js, text, _ = a.call("POST", "/v1/servers/s1/heartbeat",
                         {"participants": 0, "cpu": 0})
t.ok(st == 401, "no secret is refused (401)", text)
st, js, text, _ = a.call("GET", "/v1/servers", token=ORGANISERS["alice"])
t.ok(st == 401, "an organiser's key is not an operator's", text)

# Registration: addresses, ports, capacity, region.
st, js, text, _ = register(a, "s1", capacity=10, ports=(40000, 40009),
                           addresses=("127.0.0.1", "::1"), region="us")
t.ok(st == 200 and js["server"]["state"] == "active" and
     js["server"]["addresses"] == ["127.0.0.1", "::1"] and
     js["server"]["capacity"] == 10 and js["server"]["region"] == "us" and
     js["heartbeat_interval_ms"] == 333,
     "s1 registers and is active", text)
st, js, text, _ = register(a, "s2", capacity=10, region="us")
t.ok(st == 409 and js["error"]["code"] == "region_mismatch" and
     "'eu'" in js["error"]["message"],
     "a region other than mgmtd.ini's is refused", text)
st, js, text, _ = register(a, "s2", capacity=10, ports=(41000, 41009))
t.ok(st == 200 and js["server"]["region"] == "eu",
     "s2 registers and gets the region of mgmtd.ini", text)

# No heartbeat for longer than heartbeat_timeout: down, then back.
heartbeat(a, "s2")
time.sleep(1.4)
t.ok(server("s1")["state"] == "down" and server("s2")["state"] == "down",
     "no heartbeat for 1 s: down", [server("s1"), server("s2")])
t.ok(m.daemon.wait_log("server s1 is down: no heartbeat"),
     "going down is logged", m.log())
st, js, text, _ = book(a, "now", 600, 2)
t.ok(st == 409 and js["error"]["code"] == "no_capacity" and
     "no conference server is active" in js["error"]["message"],
     "nothing is booked on servers that are down", text)
st, js, text, _ = heartbeat(a, "s1", participants=3, cpu=0.25)
t.ok(st == 200 and js["server"]["state"] == "active" and
     js["server"]["participants"] == 3 and js["server"]["cpu"] == 0.25,
     "a heartbeat brings it back, with its live load", text)
heartbeat(a, "s2")

# Drain s1: its booking stays (also in its feed), new ones go to s2.
future = rfc3339(next_slot(time.time(), ahead=4))
st, js, text, _ = book(a, future, 900, 4, region="us")
t.ok(st == 201 and js["booking"]["server"] == "s1",
     "a booking for region us goes to s1", text)
kept = js["booking"]["id"] if st == 201 else None
st, js, text, _ = a.call("PUT", "/v1/servers/s1/state",
                         {"state": "draining"}, token=OPERATOR)
t.ok(st == 200 and js["server"]["state"] == "draining" and
     js["server"]["draining"] is True, "the operator drains s1", text)
st, js, text, _ = a.call("PUT", "/v1/servers/s1/state",
                         {"state": "sleeping"}, token=OPERATOR)
t.ok(st == 400 and js["error"]["code"] == "invalid_field",
     "an unknown state is refused", text)
for i in range(3):
    st, js, text, _ = book(a, future, 900, 3, region="us")
    t.ok(st == 201 and js["booking"]["server"] == "s2",
         "new booking %d goes to s2, not to draining s1" % i, text)
st, js, text, _ = book(a, future, 900, 4)
t.ok(st == 409 and js["error"]["code"] == "no_capacity",
     "with s2 full and s1 draining there is no room", text)
st, js, text, _ = a.call("GET", "/v1/bookings/%s" % kept,
                         token=ORGANISERS["alice"])
t.ok(st == 200 and js["booking"]["state"] == "booked" and
     js["booking"]["server"] == "s1",
     "the booking on the draining server is kept", text)
heartbeat(a, "s1")
st, js, text, _ = a.call("GET", "/v1/servers/s1/feed?since=0",
                         token=SECRETS["s1"])
t.ok(st == 200 and [c["id"] for c in js["conferences"]] == [kept],
     "and s1's feed still holds it", text)

# Draining is kept over a restart; the servers are down until they speak.
rc, _ = m.stop()
t.ok(rc == 0, "mgmtd stops with status 0", m.log())
t.ok(m.start(), "mgmtd starts again", m.log())
a.close()
t.ok(server("s1")["state"] == "down" and server("s1")["draining"],
     "after a restart s1 is down and still draining", server("s1"))
heartbeat(a, "s1")
t.ok(server("s1")["state"] == "draining",
     "its heartbeat makes it draining, not active", server("s1"))
st, js, text, _ = a.call("PUT", "/v1/servers/s1/state",
                         {"state": "active"}, token=OPERATOR)
t.ok(st == 200 and js["server"]["state"] == "active",
     "the operator makes it active again", text)
st, js, text, _ = book(a, future, 900, 4)
t.ok(st == 201 and js["booking"]["server"] == "s1",
     "and it takes bookings again", text)

# Revoking s2 alone: its secret stops working on SIGHUP, s1's does not.
with open(m.daemon.conf) as f:
    text = f.read()
m.daemon.write_conf(text.replace(
    "[server s2]\nsecret = %s\nregion = eu\n" % SECRETS["s2"], ""))
m.daemon.send(signal.SIGHUP)
t.ok(m.daemon.wait_log("server s2 revoked"), "SIGHUP revokes s2", m.log())
st, js, text, _ = heartbeat(a, "s2")
t.ok(st == 401, "the revoked server's secret is refused", text)
st, js, text, _ = heartbeat(a, "s1")
t.ok(st == 200, "the other server goes on", text)
t.ok(server("s2")["state"] == "revoked", "s2 shows as revoked",
     server("s2"))

rc, took = m.stop()
t.ok(rc == 0, "mgmtd stops with status 0", m.log())
t.done()
