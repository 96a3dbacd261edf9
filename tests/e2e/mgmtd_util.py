"""mgmtd_util: what the mgmtd end-to-end tests share.

A self-signed certificate made with the openssl command at test time, the
configuration of a test mgmtd (servers, organisers, an operator), and a
small HTTPS JSON client on http.client and ssl: no third-party packages.
"""
import http.client
import json
import os
import ssl
import subprocess
import time
import calendar

from harness import Daemon, free_port, tmpdir

SECRETS = {"s1": "secret-of-server-s1", "s2": "secret-of-server-s2",
           "s3": "secret-of-server-s3"}
ORGANISERS = {"alice": "key-of-organiser-alice",
              "bob": "key-of-organiser-bob"}
OPERATOR = "key-of-the-operator-ops"


def make_cert(d):
    """A P-256 certificate for 127.0.0.1; returns (cert, key) paths."""
    cert = os.path.join(d, "mgmtd.crt")
    key = os.path.join(d, "mgmtd.key")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
         "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj",
         "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", key, "-out", cert],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return cert, key


def conf(d, port, cert=None, key=None, servers=("s1",), regions=None,
         booking="", registry="", api="", extra=""):
    """The text of a test mgmtd.ini; TLS when cert is given."""
    regions = regions or {}
    out = ["[general]", "log_level = debug", "state_dir = %s/state" % d,
           "[api]", "address = 127.0.0.1", "port = %d" % port]
    if cert:
        out += ["cert = %s" % cert, "key = %s" % key]
    else:
        out += ["tls = no"]
    out += [api, "[booking]", booking, "[registry]", registry, extra]
    for s in servers:
        out += ["[server %s]" % s, "secret = %s" % SECRETS[s]]
        if s in regions:
            out += ["region = %s" % regions[s]]
    for name, k in ORGANISERS.items():
        out += ["[organiser %s]" % name, "key = %s" % k]
    out += ["[operator ops]", "key = %s" % OPERATOR]
    return "\n".join(out) + "\n"


class Api:
    """One keep-alive HTTPS (or HTTP) connection to mgmtd."""

    def __init__(self, port, cert=None, timeout=30):
        self.port = port
        self.cert = cert
        self.timeout = timeout
        self.conn = None

    def connect(self):
        if self.cert:
            ctx = ssl.create_default_context(cafile=self.cert)
            self.conn = http.client.HTTPSConnection(
                "127.0.0.1", self.port, context=ctx, timeout=self.timeout)
        else:
            self.conn = http.client.HTTPConnection(
                "127.0.0.1", self.port, timeout=self.timeout)

    def close(self):
        if self.conn:
            self.conn.close()
            self.conn = None

    def call(self, method, path, body=None, token=None, raw=None,
             headers=None):
        """Returns (status, decoded JSON or None, raw text, headers)."""
        h = dict(headers or {})
        if token:
            h["Authorization"] = "Bearer " + token
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
        if data is not None:
            h.setdefault("Content-Type", "application/json")
        for attempt in (0, 1):
            if self.conn is None:
                self.connect()
            try:
                self.conn.request(method, path, body=data, headers=h)
                r = self.conn.getresponse()
                text = r.read().decode(errors="replace")
                break
            except (http.client.RemoteDisconnected, BrokenPipeError,
                    ConnectionResetError):
                # A kept-alive connection the server closed: once more.
                self.close()
                if attempt:
                    raise
        if r.getheader("Connection", "").lower() == "close":
            self.close()
        try:
            js = json.loads(text)
        except ValueError:
            js = None
        return r.status, js, text, dict(r.getheaders())


def rfc3339(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def parse_time(s):
    return calendar.timegm(time.strptime(s, "%Y-%m-%dT%H:%M:%SZ"))


def next_slot(t, slot=900, ahead=1):
    """The start of the slot ahead slots after the one holding t."""
    return (int(t) // slot + ahead) * slot


class Mgmtd:
    """A test mgmtd with TLS on an ephemeral port, and clients for it."""

    def __init__(self, name="mgmtd", tls=True, **kw):
        self.dir = tmpdir(name)
        self.port = free_port()
        self.cert, self.key = make_cert(self.dir) if tls else (None, None)
        self.kw = kw
        self.daemon = Daemon("mgmtd", conf(self.dir, self.port, self.cert,
                                           self.key, **kw),
                             workdir=self.dir)

    def start(self):
        # Daemon.wait_notify also looks at the messages of an earlier run:
        # without this a restart would seem ready before it is.
        self.daemon.messages = []
        return self.daemon.start()

    def api(self, timeout=30):
        return Api(self.port, self.cert, timeout)

    def stop(self):
        return self.daemon.stop()

    def log(self):
        return self.daemon.log()


def register(api, server, capacity=100, ports=(40000, 40099),
             addresses=("127.0.0.1",), region=None):
    body = {"addresses": list(addresses), "port_min": ports[0],
            "port_max": ports[1], "capacity": capacity}
    if region:
        body["region"] = region
    return api.call("POST", "/v1/servers/%s/register" % server, body,
                    token=SECRETS[server])


def heartbeat(api, server, participants=0, cpu=0.1):
    return api.call("POST", "/v1/servers/%s/heartbeat" % server,
                    {"participants": participants, "cpu": cpu},
                    token=SECRETS[server])


def book(api, start, duration=900, capacity=10, invitees=(), who="alice",
         **extra):
    body = {"start": start, "duration": duration, "capacity": capacity,
            "invitees": list(invitees)}
    body.update(extra)
    return api.call("POST", "/v1/bookings", body, token=ORGANISERS[who])


def sms_to_file(m):
    """Gives a Mgmtd not yet started an [sms] channel whose command
    appends each message to a file; returns the file's path."""
    sms_file = os.path.join(m.dir, "sms.txt")
    script = os.path.join(m.dir, "sms.sh")
    with open(script, "w") as f:
        f.write("#!/bin/sh\nprintf '%%s\\n' \"$*\" >> %s\n" % sms_file)
    os.chmod(script, 0o700)
    with open(m.daemon.conf) as f:
        m.daemon.write_conf(f.read() + "[sms]\nchannel = exec\n"
                            "command = %s\n" % script)
    return sms_file


def sms_code2(sms_file, phone, timeout=5):
    """Code 2 of phone, from the file of sms_to_file(), or None."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if os.path.exists(sms_file):
            for line in open(sms_file):
                if line.startswith(phone + " "):
                    return line.split("code 2: ")[1].split()[0]
        time.sleep(0.05)
    return None
