"""The fuzz regression of DEVELOPERS.md rule 10: every libFuzzer target of
tests/fuzz/ runs once over its committed corpus and every crash input kept
in tests/fuzz/crashes/, then fuzzes for a few seconds from that corpus.

The fuzzers are built with clang into build/fuzz/ (`make fuzz-build`), apart
from the ASan tree the other tests use.  A target that does not build, or
a crash, sanitizer report, leak or broken property, fails the target's case
with the compiler's or the sanitizer's report; a crash found by the short
run is kept in tests/fuzz/crashes/ (see tests/fuzz/README.md), so that it
fails every run after until it is fixed.  Without clang this fails: a fuzz
regression that silently does not run cannot catch anything.
"""
import glob
import os
import re
import shutil
import signal
import subprocess
import sys

from harness import TOP, Tap

SECONDS = int(os.environ.get("FUZZ_REGRESS_SECONDS", "5"))
CC = os.environ.get("FUZZ_CC", "clang")

# A make run of our own, not a part of whatever make started the tests.
ENV = {k: v for k, v in os.environ.items()
       if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}


def make(*args, timeout=300):
    """Runs make in the top directory; returns (exit status, output).
    It runs in a process group of its own, so that a timeout ends the
    fuzzer under it too, not make alone."""
    p = subprocess.Popen(["make", "-C", TOP, "--no-print-directory"] +
                         list(args), stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, env=ENV, text=True,
                         errors="replace", start_new_session=True)
    try:
        out, _ = p.communicate(timeout=timeout)
        return p.returncode, out
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, _ = p.communicate()
        return -1, out + "\n(timed out after %d s)" % timeout


# The lines of a libFuzzer run that say what broke and where: the report's
# first line, the project's stack frames (not libFuzzer's or libc's), the
# summary and where the input was written.
KEEP = re.compile(r"ERROR:|\berror:|runtime error:|property does not hold|"
                  r"SUMMARY:|Test unit written to|READ of|WRITE of|leak of|"
                  r"Direct leak|Indirect leak|timeout after|out-of-memory|"
                  r"^make: \*\*\*")
FRAME = re.compile(r"^\s*#\d+ 0x[0-9a-f]+ in ")
SKIP_FRAME = re.compile(r"fuzzer::|libc\.so|libc_start|_start |"
                        r"__sanitizer|__asan|__ubsan|compiler-rt")


def diagnose(name, out):
    """The part of a failed run worth reading, and how to replay it."""
    lines = []
    for line in out.splitlines():
        if KEEP.search(line) or (FRAME.match(line) and
                                 not SKIP_FRAME.search(line)):
            lines.append(line.rstrip())
    if not lines:
        lines = out.rstrip().splitlines()[-30:]
    # A kept input that fails again, or a new crash the fuzzing kept.
    inputs = re.findall(r"^Running: (\S+)", out, re.M)[-1:]
    if "-max_total_time=" in out.split("Running: ")[-1]:
        inputs = []
    inputs += re.findall(r"Test unit written to (tests/fuzz/crashes/\S+)",
                         out)
    for path in inputs:
        lines.append("replay: build/fuzz/%s %s" % (name, path))
    return lines[:80]


t = Tap()
names = sorted(os.path.basename(p)[:-2] for p in
               glob.glob(os.path.join(TOP, "tests", "fuzz", "fuzz_*.c")))
t.ok(len(names) > 0, "there are fuzz targets in tests/fuzz/")

if shutil.which(CC) is None:
    t.ok(False, "fuzzers build: %s is needed (Debian: apt-get install clang "
         "libclang-rt-14-dev, or make deps)" % CC)
    t.done()

# Everything that builds, on every core; a target that does not build
# fails below, in its own case, with the compiler's words.
make("-k", "-j%d" % max(2, os.cpu_count() or 2), "fuzz-build", timeout=600)


def kept(kind, name):
    return len(glob.glob(os.path.join(TOP, "tests", "fuzz", kind, name,
                                      "*")))


for name in names:
    rc, out = make("fuzz-regress-" + name,
                   "FUZZ_REGRESS_SECONDS=%d" % SECONDS,
                   timeout=120 + 2 * SECONDS)
    ok = t.ok(rc == 0, "%s: corpus (%d), crashes (%d) and %d s of fuzzing"
              % (name, kept("corpus", name), kept("crashes", name),
                 SECONDS))
    if not ok:
        if "libclang_rt.fuzzer" in out:
            print("#   libFuzzer is missing: apt-get install "
                  "libclang-rt-14-dev")
        for line in diagnose(name, out):
            print("#   " + line)
    else:
        # The speed, so that a target that slowed down shows in the log.
        m = re.search(r"stat::average_exec_per_sec:\s+(\d+)", out)
        if m:
            print("# %s: %s inputs a second" % (name, m.group(1)))
    sys.stdout.flush()
t.done()
