"""mgmtd's own configuration checks, beyond the option table: the TLS
files of an enabled API, secrets and keys, the slot geometry.  Each is
reported as file: what is wrong, by -n and before a start."""
import os

from harness import Tap, free_port, prog, run, tmpdir
from mgmtd_util import conf, make_cert

t = Tap()
d = tmpdir("mgmtd-config")
cert, key = make_cert(d)
other = tmpdir("mgmtd-config-other")
cert2, key2 = make_cert(other)
port = free_port()


def check(text):
    path = os.path.join(d, "mgmtd.ini")
    with open(path, "w") as f:
        f.write(text)
    rc, out = run([prog("mgmtd"), "-n", "-f", path])
    return rc, out, path


rc, out, path = check(conf(d, port, cert, key))
t.ok(rc == 0 and "configuration OK" in out,
     "-n accepts an API with a good certificate and key", out)

rc, out, path = check(conf(d, port, os.path.join(d, "none.crt"), key))
t.ok(rc == 78 and ("%s: [api]: %s: cannot read: No such file or directory"
                   % (path, os.path.join(d, "none.crt"))) in out,
     "-n reports a missing certificate file", out)
rc, out, path = check(conf(d, port, cert, key2))
t.ok(rc == 78 and "not a PEM private key of the certificate" in out and
     "key values mismatch" in out,
     "-n reports a key that is not the certificate's", out)
rc, out, path = check(conf(d, port, key, key))
t.ok(rc == 78 and "not a PEM certificate" in out,
     "-n reports a file that is no certificate", out)
rc, out, path = check(conf(d, port, cert, key).replace(
    "port = %d" % port, "port = 0").replace(cert, "/nonexistent.crt"))
t.ok(rc == 0, "without the API the TLS files are not read", out)

text = conf(d, port, cert, key).replace(
    "secret = secret-of-server-s1", "secret = short")
text += "[organiser carol]\nkey = key-of-the-operator-ops\n"
text = text.replace("[booking]\n", "[booking]\nslot = 7m\nhorizon = 1h\n")
rc, out, path = check(text)
t.ok(rc == 78 and
     path + ": [server s1] secret: shorter than 16 characters" in out and
     path + ": [operator ops] key: the same as the key of [organiser "
     "carol]" in out or
     path + ": [organiser carol] key: the same as the key of [operator "
     "ops]" in out, "short secrets and shared keys are reported", out)
t.ok(path + ": [booking] horizon: must be a whole number of slots" in out,
     "a horizon that is not whole slots is reported", out)
t.ok("short" not in out.replace("shorter", ""),
     "a secret is never shown", out)
rc, out = run([prog("mgmtd"), "-d", "-f", path], timeout=10)
t.ok(rc == 78 and "not starting" in out, "and mgmtd does not start", out)
t.done()
