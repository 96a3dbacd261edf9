"""The configuration as an operator meets it: every mistake reported with
its line before the daemon starts, the shipped examples complete and valid."""
import os
import re

from harness import TOP, Tap, prog, run, tmpdir

t = Tap()
d = tmpdir("config")

# Three mistakes, three "file:line:" errors, exit status 78.
for name in ("mgmtd", "confd"):
    bad = os.path.join(d, name + "-bad.ini")
    with open(bad, "w") as f:
        f.write("[general]\nlog_level = loud\n\nfrobnicate = yes\n"
                "[no-such-section]\nx = 1\n")
    rc, out = run([prog(name), "-n", "-f", bad])
    t.ok(rc == 78, name + ": a config with three mistakes exits 78", out)
    lines = [l for l in out.splitlines() if l.startswith(bad + ":")]
    t.ok(len(lines) == 3, name + ": three file:line errors", out)
    t.ok(bad + ":2: [general] log_level: 'loud' is not one of err, "
         "warning, notice, info or debug" in out and
         bad + ":4: [general]: unknown key 'frobnicate'" in out and
         bad + ":5: unknown section [no-such-section]" in out,
         name + ": each error names its line and what is wrong", out)
    t.ok("3 errors in the configuration, not starting" in out,
         name + ": says it does not start", out)

    # The same mistakes stop a real start, not only -n.
    rc, out = run([prog(name), "-d", "-f", bad], timeout=10)
    t.ok(rc == 78 and "not starting" in out,
         name + ": does not start on a bad config", out)

    rc, out = run([prog(name), "-n", "-f", os.path.join(d, "missing.ini")])
    t.ok(rc == 78 and "missing.ini: cannot open: No such file" in out,
         name + ": a missing file is a config error", out)

    # The shipped example is complete (every option of the table, from the
    # generator) and accepted by -n.
    example = os.path.join(TOP, "etc", name + ".ini")
    rc, out = run([prog(name), "-n", "-f", example])
    t.ok(rc == 0 and "configuration OK" in out,
         name + ": -n accepts etc/" + name + ".ini", out)
    rc, gen = run([prog("cfgdoc"), "ini", name])
    with open(example) as f:
        t.ok(rc == 0 and f.read() == gen,
             name + ": etc/" + name + ".ini lists every option of the "
             "table (run 'make docs')")
    keys = re.findall(r"^#?([a-z_]+) = ", gen, re.M)
    t.ok(len(keys) >= 2, name + ": the table has options", gen)
    with open(os.path.join(TOP, "docs", name + ".ini.5")) as f:
        man = f.read()
    t.ok(all(("\n.B %s\n" % k) in man for k in keys),
         name + ": " + name + ".ini(5) documents every option")
    with open(os.path.join(TOP, "docs", name + ".ini.5.in")) as f:
        rc, page = run([prog("cfgdoc"), "man", name], stdin=f)
    t.ok(page == man, name + ": " + name + ".ini(5) is up to date "
         "(run 'make docs')")

rc, out = run([prog("mgmtd"), "-x"])
t.ok(rc == 64 and "usage:" in out, "an unknown flag prints usage, exits 64",
     out)
t.done()
