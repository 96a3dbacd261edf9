"""`make install` as a packager runs it: a DESTDIR tree whose daemons start
with the installed example configurations, and unit files that systemd's own
checker accepts."""
import os
import re
import shutil
import signal
import subprocess

from harness import BUILD, TOP, Daemon, Tap, free_port, run, tmpdir

t = Tap()
dest = tmpdir("install")
prefix = "/usr/local"
# Install the build under test (the sanitizer tree in `make test`).
b = os.path.relpath(BUILD, TOP)
rc, out = run(["make", "-s", "-C", TOP, "install", "B=" + b, "DESTDIR=" + dest,
               "PREFIX=" + prefix, "SYSCONFDIR=/etc/conference",
               "UNITDIR=/lib/systemd/system"])
t.ok(rc == 0, "make install DESTDIR=... succeeds", out)
want = ["usr/local/sbin/mgmtd", "usr/local/sbin/confd",
        "usr/local/bin/confcli", "etc/conference/mgmtd.ini",
        "etc/conference/confd.ini", "lib/systemd/system/mgmtd.service",
        "lib/systemd/system/confd@.service",
        "usr/local/share/man/man8/mgmtd.8", "usr/local/share/man/man8/confd.8",
        "usr/local/share/man/man1/confcli.1",
        "usr/local/share/man/man5/mgmtd.ini.5",
        "usr/local/share/man/man5/confd.ini.5"]
missing = [w for w in want if not os.path.exists(os.path.join(dest, w))]
t.ok(not missing, "every file is installed", missing)

# The installed daemons accept and start with the installed examples.  The
# examples name system paths (state directories, ports), so the started
# daemons get a copy with only those pointed at the test's own places.
for name in ("mgmtd", "confd"):
    binary = os.path.join(dest, "usr/local/sbin", name)
    example = os.path.join(dest, "etc/conference", name + ".ini")
    rc, out = run([binary, "-n", "-f", example])
    t.ok(rc == 0, name + ": installed binary accepts the installed example",
         out)

    # Start it for real from that example, with only the host-specific
    # values (ports, directories) moved to the test's own.
    work = tmpdir(name + "-installed")
    with open(example) as f:
        text = f.read()
    text = re.sub(r"^port = 9180$", "port = %d" % free_port(), text,
                  flags=re.M)
    text = re.sub(r"^state_dir = .*$", "state_dir = " + work, text,
                  flags=re.M)
    d = Daemon(name, text, workdir=work)
    d.prog_path = binary
    ok = d.start()
    t.ok(ok, name + ": the installed daemon starts and is ready", d.log())
    rc, _ = d.stop()
    t.ok(rc == 0, name + ": and stops cleanly", d.log())

units = os.path.join(dest, "lib/systemd/system")
with open(os.path.join(units, "mgmtd.service")) as f:
    text = f.read()
t.ok("ExecStart=/usr/local/sbin/mgmtd -f /etc/conference/mgmtd.ini" in text,
     "the unit's ExecStart names the installed paths", text)

if shutil.which("systemd-analyze"):
    # verify needs the ExecStart binaries at their real paths, so check a
    # copy of the units whose paths point into the DESTDIR tree.
    vd = tmpdir("units")
    for u in ("mgmtd.service", "confd@.service"):
        with open(os.path.join(units, u)) as f:
            s = f.read().replace("/usr/local/sbin/",
                                 os.path.join(dest, "usr/local/sbin") + "/")
        with open(os.path.join(vd, u), "w") as f:
            f.write(s)
    env = dict(os.environ, MANPATH=os.path.join(dest, "usr/local/share/man"))
    p = subprocess.run(["systemd-analyze", "verify",
                        os.path.join(vd, "mgmtd.service"),
                        os.path.join(vd, "confd@.service")],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       env=env)
    out = p.stdout.decode(errors="replace")
    # verify exits 0 on mere warnings, so its output must be empty too.
    t.ok(p.returncode == 0 and out.strip() == "",
         "systemd-analyze verify accepts both units", out)
    # Every man page renders without warnings.
    for page in ("mgmtd.8", "confd.8", "confcli.1", "mgmtd.ini.5",
                 "confd.ini.5"):
        rc, out = run(["groff", "-man", "-ww", "-z",
                       os.path.join(TOP, "docs", page)])
        t.ok(rc == 0 and out.strip() == "", page + " renders cleanly", out)
else:
    print("# systemd-analyze not installed: unit verification skipped")
t.done()
