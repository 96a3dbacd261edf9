"""The whole journey, as `make demo` shows it, on the build under test:
Kannel, mgmtd over HTTPS, two confd, a booking by confcli, code 1 over
HTTPS and code 2 by SMS, three confcli participants who each hear the
other two and not themselves, and everything stopped cleanly."""
import os
import subprocess
import sys

from harness import TOP, Tap

t = Tap()
p = subprocess.run([sys.executable, os.path.join(TOP, "tools", "demo.py")],
                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                   timeout=240)
out = p.stdout.decode(errors="replace")
t.ok(p.returncode == 0, "the demo's journey ends well", out)
t.ok("confd s1 ready and registered" in out and
     "confd s2 ready and registered" in out,
     "two conference servers registered with mgmtd", out)
t.ok(out.count("code 1 (internet): 1") == 3,
     "three code 1s came back over HTTPS", out)
t.ok(out.count("SMS to +49305550") == 3 and
     out.count("Conference code 2: 2") == 3,
     "three code 2s went out by SMS through Kannel", out)
t.ok("Everyone hears the other two and not itself: yes" in out,
     "each participant heard the other two and not itself", out)
t.ok(out.count("stopped, exit status 0") == 3 and "Kannel stopped" in out,
     "mgmtd and both confd stopped with status 0", out)
t.done()
