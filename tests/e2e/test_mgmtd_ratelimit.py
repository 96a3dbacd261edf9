"""Access requests cost an SMS each, so they are rate limited per phone
and per source address: past the allowance, a clear 429 with Retry-After,
and nothing is issued or sent."""
from harness import Tap
from mgmtd_util import ORGANISERS, Mgmtd, book, register

t = Tap()
m = Mgmtd(api="access_per_phone = 2\naccess_phone_period = 1h\n"
          "access_per_address = 5\naccess_address_period = 1h\n")
t.ok(m.start(), "mgmtd is ready", m.log())
api = m.api()
st, _, text, _ = register(api, "s1")
t.ok(st == 200, "a server registers", text)
phones = ["+4930200%03d" % i for i in range(6)]
st, js, text, _ = book(api, "now", capacity=10, invitees=phones)
t.ok(st == 201, "a booking for six invitees", text)
bid = js["booking"]["id"]


def access(phone):
    return api.call("POST", "/v1/bookings/%s/access" % bid,
                    {"phone": phone}, token=ORGANISERS["alice"])


for i in range(2):
    st, js, text, _ = access(phones[0])
    t.ok(st == 201, "access %d for one phone is granted" % (i + 1), text)
st, js, text, hdr = access(phones[0])
t.ok(st == 429 and js["error"]["code"] == "rate_limited" and
     "too many access requests for %s: try again in" % phones[0] in
     js["error"]["message"],
     "the third for the same phone within the hour gets 429", text)
t.ok(int(hdr.get("Retry-After", "0")) > 0, "with a Retry-After header", hdr)
st, js, text, _ = api.call("GET", "/v1/bookings/%s/access" % bid,
                           token=ORGANISERS["alice"])
t.ok(st == 200 and len(js["accesses"]) == 1,
     "the refused request issued nothing (still one access)", text)

# Three requests so far from this address (the refused one counts): two
# more pass, a sixth does not, whatever the phone.
for ph in phones[1:3]:
    st, _, text, _ = access(ph)
    t.ok(st == 201, "another phone from the same address is granted", text)
st, js, text, _ = access(phones[3])
t.ok(st == 429 and "too many access requests from 127.0.0.1" in
     js["error"]["message"],
     "past the address's allowance every phone gets 429", text)
rc, _ = m.stop()
t.ok(rc == 0, "mgmtd stops cleanly", m.log())
t.done()
