#!/usr/bin/env python3
"""demo: the whole journey, for real, on 127.0.0.1.

Starts Kannel (with its fake SMS centre standing in for the phone network),
mgmtd with HTTPS, and two confd that register with it.  An organiser books a
conference for three people with confcli; each one's code 1 comes back in
the HTTPS answer and code 2 goes out by SMS; three confcli participants join
with their two codes and speak (each its own tone) for about ten seconds.
Then it prints who heard whom, writes a spectrogram of what each one heard,
and stops everything.  Run through `make demo`.
"""
import array
import json
import math
import os
import shutil
import subprocess
import sys
import time
import wave

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
# The release build; the journey test runs it on the sanitizer build.
BUILD = os.environ.get("BUILD") or os.path.join(TOP, "build")
os.environ["BUILD"] = BUILD
os.environ["TOP"] = TOP
sys.path.insert(0, os.path.join(TOP, "tests", "e2e"))

from harness import Daemon, free_port, tmpdir  # noqa: E402
from kannel_util import CODE2_RE, Kannel  # noqa: E402
from mgmtd_util import ORGANISERS, SECRETS, conf, make_cert  # noqa: E402

PEOPLE = [("alice", "+4930555001", 440), ("bob", "+4930555002", 660),
          ("carol", "+4930555003", 880)]
SECONDS = 10


def say(text=""):
    print(text, flush=True)


def confcli(env, *args, timeout=60):
    p = subprocess.run([os.path.join(BUILD, "confcli")] + list(args),
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       env=env, timeout=timeout)
    return p.returncode, p.stdout.decode()


def tone_share(path, hz, skip=1.0, block=4800):
    """The share of a recording's energy at hz: Goertzel over 100 ms
    blocks, whose 10 Hz bins forgive a tone that is a hair off."""
    with wave.open(path) as w:
        rate = w.getframerate()
        x = array.array("h", w.readframes(w.getnframes()))[int(skip * rate):]
    energy = sum(float(v) * v for v in x)
    if not energy:
        return 0.0
    k = 2 * math.cos(2 * math.pi * hz / rate)
    power = 0.0
    for i in range(0, len(x) - block + 1, block):
        s1 = s2 = 0.0
        for v in x[i:i + block]:
            s1, s2 = v + k * s1 - s2, s1
        power += 2 * (s1 * s1 + s2 * s2 - k * s1 * s2) / block
    return power / energy


def main():
    work = tmpdir("conference-demo")
    say("Files of this run: %s\n" % work)
    say("Starting Kannel (bearerbox, fake SMS centre, smsbox):")
    os.makedirs(os.path.join(work, "kannel"))
    kannel = Kannel(os.path.join(work, "kannel"))
    started = []
    ok = False
    try:
        kannel.start()
        say("  ready: sendsms on 127.0.0.1 port %d" % kannel.sendsms)

        say("Starting mgmtd (HTTPS) and two conference servers:")
        cert, key = make_cert(work)
        api_port = free_port()
        mtext = conf(work, api_port, cert, key, servers=("s1", "s2"),
                     extra=kannel.ini(dlr_port=free_port()))
        mgmtd = Daemon("mgmtd", mtext, workdir=work)
        if not mgmtd.start():
            sys.exit("demo: mgmtd did not start:\n" + mgmtd.log())
        started.append(mgmtd)
        say("  mgmtd  ready: https://127.0.0.1:%d" % api_port)
        for i, name in enumerate(("s1", "s2")):
            d = os.path.join(work, name)
            os.makedirs(d)
            base = 41000 + 1000 * i
            ctext = ("[general]\nserver_id = %s\n[media]\nipv4 = 127.0.0.1\n"
                     "ipv6 =\n[metrics]\nport = %d\n[mgmtd]\n"
                     "address = 127.0.0.1\nport = %d\nca_file = %s\n"
                     "secret = %s\nport_min = %d\nport_max = %d\n"
                     % (name, free_port(), api_port, cert, SECRETS[name],
                        base, base + 99))
            cd = Daemon("confd", ctext, workdir=d)
            if not cd.start() or not cd.wait_log("registered with mgmtd"):
                sys.exit("demo: confd %s did not start:\n%s"
                         % (name, cd.log()))
            started.append(cd)
            say("  confd %s ready and registered, ports %d-%d"
                % (name, base, base + 99))

        env = dict(os.environ, CONFCLI_MGMTD="https://127.0.0.1:%d"
                   % api_port, CONFCLI_CA=cert, CONFCLI_KEY=ORGANISERS["alice"],
                   HOME=work)
        say("\nThe organiser books a conference for now:")
        say("  $ confcli book --duration 15m --capacity 3 --invite %s"
            % ",".join(p for _, p, _ in PEOPLE))
        rc, out = confcli(env, "book", "--json", "--duration", "15m",
                          "--capacity", "3", "--invite",
                          ",".join(p for _, p, _ in PEOPLE))
        if rc != 0:
            sys.exit("demo: booking failed:\n" + out)
        booking = json.loads(out)["booking"]
        say("  booked %s on server %s, %s to %s" % (
            booking["id"], booking["server"], booking["start"],
            booking["end"]))

        say("\nEach participant asks for access: code 1 comes back over "
            "HTTPS, code 2 by SMS:")
        codes = {}
        for name, phone, _ in PEOPLE:
            rc, out = confcli(env, "access", "--json", booking["id"], phone)
            if rc != 0:
                sys.exit("demo: access for %s failed:\n%s" % (name, out))
            code1 = json.loads(out)["access"]["code1"]
            codes[name] = [code1, None]
            say("  %-6s code 1 (internet): %s" % (name, code1))
        msgs = kannel.wait_messages(len(PEOPLE), timeout=20)
        for name, phone, _ in PEOPLE:
            for to, text in msgs:
                if to.lstrip("+") == phone.lstrip("+"):
                    m = CODE2_RE.search(text)
                    if m:
                        codes[name][1] = m.group(1)
                        say("  %-6s SMS to %s: %s" % (name, phone, text))
            if codes[name][1] is None:
                sys.exit("demo: no SMS reached %s:\n%s" % (phone,
                                                            kannel.log()))

        say("\nThree participants join with both codes and talk for %d "
            "seconds:" % SECONDS)
        joins = []
        for name, _, hz in PEOPLE:
            say("  $ confcli join CODE1 CODE2 --tone %d --record %s.wav "
                "--duration %d      (%s)" % (hz, name, SECONDS, name))
            joins.append(subprocess.Popen(
                [os.path.join(BUILD, "confcli"), "join", "--quiet",
                 "--tone", str(hz), "--record",
                 os.path.join(work, name + ".wav"), "--duration",
                 str(SECONDS), codes[name][0], codes[name][1]],
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env))
            time.sleep(0.3)
        for (name, _, _), p in zip(PEOPLE, joins):
            out = p.communicate(timeout=SECONDS + 30)[0].decode()
            say("  %-6s %s" % (name, out.strip().splitlines()[-1]
                               if out.strip() else "(no output)"))

        say("\nWho heard whom (share of what each one heard):")
        say("  %-8s" % "" + "".join("%10s" % n for n, _, _ in PEOPLE))
        ok = True
        for name, _, _ in PEOPLE:
            row = "  %-8s" % name
            for other, _, hz in PEOPLE:
                v = tone_share(os.path.join(work, name + ".wav"), hz)
                row += "%9.0f%%" % (100 * v)
                if (v >= 0.1) == (other == name):
                    ok = False
            say(row)
        say("  Everyone hears the other two and not itself: %s"
            % ("yes" if ok else "NO"))
        if shutil.which("sox"):
            say("\nSpectrograms of what each one heard:")
            for name, _, _ in PEOPLE:
                png = os.path.join(work, "heard-by-%s.png" % name)
                subprocess.run(["sox", os.path.join(work, name + ".wav"),
                                "-n", "rate", "4k", "spectrogram", "-t",
                                "what %s heard" % name, "-o", png],
                               check=True)
                say("  " + png)
    finally:
        say("\nStopping:")
        for d in reversed(started):
            rc, _ = d.stop()
            say("  %-6s stopped, exit status %s" % (d.prog, rc))
        kannel.stop()
        say("  Kannel stopped")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
