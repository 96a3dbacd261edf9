"""Bad input to mgmtd's API: malformed JSON, wrong types, unknown fields,
bad times, huge bodies, missing or wrong keys.  Each gets a 4xx with a JSON
error that says what is wrong; none crashes the daemon or changes a thing."""
import socket
import ssl
import time

from harness import Tap
from mgmtd_util import (ORGANISERS, SECRETS, Mgmtd, book, next_slot,
                        parse_time, register, rfc3339)

t = Tap()
ALICE = ORGANISERS["alice"]
m = Mgmtd(servers=("s1",), booking="horizon = 2d\nmax_duration = 4h")
t.ok(m.start(), "mgmtd starts", m.log())
a = m.api()
st, js, text, _ = register(a, "s1", capacity=50)
t.ok(st == 200, "s1 registers", text)
future = rfc3339(next_slot(time.time(), ahead=4))


def expect(what, status, code, method="POST", path="/v1/bookings",
           body=None, raw=None, token=ALICE, headers=None, says=None):
    st, js, text, _ = a.call(method, path, body=body, raw=raw, token=token,
                             headers=headers)
    err = js.get("error", {}) if isinstance(js, dict) else {}
    t.ok(st == status and err.get("code") == code and
         isinstance(err.get("message"), str) and
         (says is None or says in err["message"]),
         "%s: %d %s" % (what, status, code), text)


good = {"start": future, "duration": 900, "capacity": 2}

# Not JSON, or not an object.
for raw in (b"{", b"[1, 2", b"nul", b"\xff\xfe\x00", b'{"a": 1} x',
            b'{"start": "now", "start": "now"}', b'"\xc3\x28"',
            b"[" * 5000 + b"]" * 5000):
    expect("malformed %r" % raw[:12], 400, "malformed_json", raw=raw)
for raw in (b"[]", b'"text"', b"42", b"null"):
    expect("not an object: %s" % raw.decode(), 400, "invalid_body", raw=raw)
expect("no body", 400, "missing_body", raw=b"")
expect("a body where none is taken", 400, "unexpected_body", "GET",
       "/v1/bookings", raw=b"{}")
expect("not JSON by its type", 415, "unsupported_media_type", raw=b"{}",
       headers={"Content-Type": "text/plain"})

# Wrong types, unknown and missing fields.
for field, value, kind in (("capacity", "10", "an integer"),
                           ("capacity", 2.5, "an integer"),
                           ("duration", None, "an integer"),
                           ("start", 1796119200, "a string"),
                           ("invitees", "+4930111111", "an array"),
                           ("region", ["eu"], "a string")):
    body = dict(good)
    body[field] = value
    expect("%s as %r" % (field, value), 400, "invalid_field", body=body,
           says="'%s' must be %s" % (field, kind))
expect("an unknown field", 400, "unknown_field",
       body=dict(good, colour="red"), says="unknown field 'colour'")
expect("a missing field", 400, "missing_field",
       body={"start": future, "duration": 900}, says="'capacity'")
for field, value in (("capacity", 0), ("capacity", 70000),
                     ("capacity", 2 ** 62), ("duration", 0),
                     ("duration", 4 * 3600 + 1), ("duration", -5),
                     ("invitees", ["4930111111"]), ("invitees", ["+49"]),
                     ("invitees", ["+4930111111", "+4930111111"]),
                     ("invitees", [1234]), ("region", "eu west"),
                     ("region", "x" * 64)):
    expect("%s = %r" % (field, value if len(str(value)) < 30 else "long"),
           400, "invalid_field", body=dict(good, **{field: value}))

# Bad times.
for bad in ("tomorrow", "2026-02-30T10:00:00Z", "2026-12-01T10:00:00+01:00",
            "2026-12-01 10:00:00Z", "2026-12-01T10:00Z", ""):
    expect("start %r" % bad, 400, "invalid_field",
           body=dict(good, start=bad), says="'start' must be")
expect("a start in the past", 400, "invalid_start",
       body=dict(good, start=rfc3339(time.time() - 3600)), says="past")
expect("an end past the horizon", 400, "beyond_horizon",
       body=dict(good, start=rfc3339(next_slot(time.time(), ahead=200))),
       says="horizon")

# Bodies over [api] max_body, and over evhttp's own limit.
expect("a 100 KiB body", 413, "body_too_large",
       raw=b'{"x": "' + b"a" * 100000 + b'"}', says="65536")
st, js, text, _ = a.call("POST", "/v1/bookings", raw=b"a" * (2 << 20),
                         token=ALICE)
t.ok(st == 413, "a 2 MiB body is refused (413) by evhttp itself", text[:200])

# Keys, paths and methods.
expect("no key", 401, "unauthorized", body=good, token=None)
expect("a wrong key", 401, "unauthorized", body=good, token="x" * 30)
expect("a server's secret as a key", 401, "unauthorized", body=good,
       token=SECRETS["s1"])
expect("an unknown path", 404, "not_found", "GET", "/v2/bookings")
expect("an unknown booking", 404, "not_found", "GET",
       "/v1/bookings/0123456789abcdef0123")
expect("an over-long id", 404, "not_found", "GET", "/v1/bookings/" +
       "a" * 300)
expect("a wrong method", 405, "method_not_allowed", "PUT", "/v1/bookings",
       body=good)
expect("a bad query", 400, "invalid_query", "GET",
       "/v1/servers/s1/feed?since=-1", token=SECRETS["s1"])
expect("an unknown query parameter", 400, "invalid_query", "GET",
       "/v1/servers/s1/feed?wait=1", token=SECRETS["s1"])
expect("a too long feed timeout", 400, "invalid_query", "GET",
       "/v1/servers/s1/feed?timeout=3600", token=SECRETS["s1"])
expect("heartbeat cpu 2", 400, "invalid_field",
       path="/v1/servers/s1/heartbeat", body={"participants": 1, "cpu": 2},
       token=SECRETS["s1"])
expect("registration with a host name", 400, "invalid_field",
       path="/v1/servers/s1/register",
       body={"addresses": ["localhost"], "port_min": 40000,
             "port_max": 40010, "capacity": 5}, token=SECRETS["s1"])
expect("registration with ports reversed", 400, "invalid_field",
       path="/v1/servers/s1/register",
       body={"addresses": ["127.0.0.1"], "port_min": 40010,
             "port_max": 40000, "capacity": 5}, token=SECRETS["s1"])

# Plain HTTP and garbage on the TLS port close only that connection.
for junk in (b"GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n",
             b"\x16\x03\x01\x00\x05hello" * 100):
    s = socket.create_connection(("127.0.0.1", m.port), timeout=5)
    s.sendall(junk)
    try:
        s.recv(100)
    except OSError:
        pass
    s.close()
ctx = ssl.create_default_context()
try:
    with socket.create_connection(("127.0.0.1", m.port), timeout=5) as s:
        with ctx.wrap_socket(s, server_hostname="127.0.0.1"):
            pass
    untrusted = "accepted"
except ssl.SSLError as e:
    untrusted = str(e)
t.ok("CERTIFICATE_VERIFY_FAILED" in untrusted,
     "a client that does not trust the certificate is not let in",
     untrusted)

# Nothing of the above booked anything; the daemon is well.
st, js, text, _ = a.call("GET", "/v1/bookings", token=ALICE)
t.ok(st == 200 and js["bookings"] == [], "no bad request booked anything",
     text)
st, js, text, _ = book(a, future, 900, 50, ["+4930111111"])
t.ok(st == 201, "a good booking still works", text)
bid = js["booking"]["id"] if st == 201 else "none"
expect("extend by nothing", 400, "invalid_field",
       path="/v1/bookings/%s/extend" % bid, body={"by": 0})
expect("extend by a string", 400, "invalid_field",
       path="/v1/bookings/%s/extend" % bid, body={"by": "1h"})
expect("access for a bad phone", 400, "invalid_field",
       path="/v1/bookings/%s/access" % bid, body={"phone": "030 111111"})
expect("access with an unknown field", 400, "unknown_field",
       path="/v1/bookings/%s/access" % bid,
       body={"phone": "+4930111111", "pin": 1234})
st, js, text, _ = a.call("GET", "/v1/bookings/" + bid, token=ALICE)
end = rfc3339(parse_time(future) + 900)
t.ok(st == 200 and js["booking"]["end"] == end and
    js["booking"]["credentials"] == 0, "the refused changes changed nothing",
    text)
rc, _ = m.stop()
t.ok(rc == 0, "mgmtd stops with status 0 (no sanitizer report)", m.log())
t.done()
