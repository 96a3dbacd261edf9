#!/usr/bin/env python3
"""demo: a real conference on 127.0.0.1.

Starts mgmtd and confd, lets three participants (alice, bob and carol) talk
for about ten seconds, each sending its own tone, prints who heard whom,
writes a spectrogram of what each one heard, and stops everything cleanly.
Run through `make demo`.
"""
import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
BUILD = os.path.join(TOP, "build")
PEOPLE = [("alice", 0x0A11CE01, 440), ("bob", 0x0B0B0B02, 660),
          ("carol", 0x0CA201E3, 880)]
SECONDS = 10


def free_port(kind):
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def say(text):
    print(text, flush=True)


class Daemon:
    def __init__(self, name, conf, work):
        self.name = name
        self.path = os.path.join(work, name + ".ini")
        with open(self.path, "w") as f:
            f.write(conf)
        self.notify_path = os.path.join(work, name + ".notify")
        self.log_path = os.path.join(work, name + ".log")
        self.proc = None

    def start(self):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(self.notify_path)
        sock.settimeout(10)
        env = dict(os.environ, NOTIFY_SOCKET=self.notify_path)
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [os.path.join(BUILD, self.name), "-d", "-f", self.path],
            stdout=self.log, stderr=subprocess.STDOUT, env=env)
        try:
            while b"READY=1" not in sock.recv(4096):
                pass
        except socket.timeout:
            sys.exit("demo: %s did not become ready; see %s"
                     % (self.name, self.log_path))
        finally:
            sock.close()
        say("  %-6s ready (pid %d), log in %s" % (self.name, self.proc.pid,
                                                self.log_path))

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            rc = self.proc.wait(10)
            say("  %-6s stopped, exit status %d" % (self.name, rc))


def main():
    work = tempfile.mkdtemp(prefix="conference-demo.")
    key = base64.b64encode(os.urandom(30)).decode()
    port = free_port(socket.SOCK_DGRAM)
    say("Starting the daemons on 127.0.0.1 (files in %s):" % work)
    mgmtd = Daemon("mgmtd", "[general]\nstate_dir = %s\n" % work, work)
    confd = Daemon("confd", "[general]\nserver_id = demo\n"
                   "[media]\nipv4 = 127.0.0.1\nipv6 =\n"
                   "[metrics]\nport = %d\n[room demo]\nport = %d\n"
                   "key = %s\n" % (free_port(socket.SOCK_STREAM), port, key),
                   work)
    daemons = [mgmtd, confd]
    try:
        for d in daemons:
            d.start()
        say("\nA conference on 127.0.0.1 port %d; three participants talk "
            "for %d seconds:" % (port, SECONDS))
        for name, ssrc, hz in PEOPLE:
            say("  %-6s says a %d Hz tone (SSRC %08x)" % (name, hz, ssrc))
        p = subprocess.run(
            [os.path.join(BUILD, "tests", "tparty"), "-a", "127.0.0.1",
             "-p", str(port), "-k", key, "-d", str(SECONDS), "-L",
             "-w", work] + ["%d:%d" % (s, f) for _, s, f in PEOPLE],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
        if p.returncode != 0:
            sys.exit("demo: the participants failed:\n" + p.stderr.decode())
        res = {}
        for line in p.stdout.decode().splitlines():
            j = json.loads(line)
            res[j["ssrc"]] = j
        say("\nWho heard whom (share of the sound each one heard):")
        say("  %-8s" % "" + "".join("%10s" % n for n, _, _ in PEOPLE))
        ok = True
        for name, ssrc, hz in PEOPLE:
            r = res[ssrc]
            row = "  %-8s" % name
            for other, _, ohz in PEOPLE:
                v = r["ratios"][str(ohz)]
                row += "%9.0f%%" % (100 * v)
                heard = v >= 0.1
                if heard == (other == name):
                    ok = False
            say(row + "   (%d packets, %d lost)" % (r["received"],
                                                    r["lost"]))
        say("  Everyone hears the other two and not itself: %s"
            % ("yes" if ok else "NO"))
        if shutil.which("sox"):
            say("\nSpectrograms of what each one heard:")
            for name, ssrc, _ in PEOPLE:
                wav = os.path.join(work, "party-%08x.wav" % ssrc)
                png = os.path.join(work, "heard-by-%s.png" % name)
                subprocess.run(["sox", wav, "-n", "rate", "4k", "spectrogram",
                                "-t", "what %s heard" % name, "-o", png],
                               check=True)
                say("  " + png)
        say("\nStopping:")
    finally:
        for d in reversed(daemons):
            d.stop()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
