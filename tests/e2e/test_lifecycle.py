"""The daemons' lifecycle under a service manager: READY=1 through their
own NOTIFY_SOCKET, SIGHUP applying a new log level, SIGTERM ending them
cleanly within a second, the watchdog kept alive."""
import os
import signal
import time

from harness import Daemon, Tap, tmpdir

t = Tap()


# An option each daemon can only apply at a restart.
RESTART_KEY = {"mgmtd": "state_dir", "confd": "server_id"}


def conf(name, d, level="info", other=False):
    value = d + ("/other" if other else "")
    return ("[general]\nlog_level = %s\n%s = %s\n"
            % (level, RESTART_KEY[name], value))


for name in ("mgmtd", "confd"):
    d = tmpdir(name)
    dm = Daemon(name, conf(name, d), workdir=d,
                env={"WATCHDOG_USEC": "200000"})
    t.ok(dm.start(), name + ": READY=1 on its NOTIFY_SOCKET", dm.log())
    t.ok(any("STATUS=" in m for m in dm.messages),
         name + ": sends a STATUS= line", dm.messages)
    t.ok(dm.wait_notify("WATCHDOG=1", 2),
         name + ": sends WATCHDOG=1 when the watchdog is on", dm.messages)

    # SIGHUP applies a new log level: at "warning" the notice that a
    # SIGTERM would log is no longer written.
    dm.write_conf(conf(name, d, level="debug"))
    dm.send(signal.SIGHUP)
    t.ok(dm.wait_log("[general] log_level: changed"),
         name + ": SIGHUP reloads and reports the changed option", dm.log())
    t.ok(dm.wait_log("log level is now debug"),
         name + ": the new level is in force", dm.log())

    dm.write_conf(conf(name, d, level="warning", other=True))
    dm.send(signal.SIGHUP)
    t.ok(dm.wait_log("[general] %s: changed, but takes effect only "
                     "after a restart" % RESTART_KEY[name]),
         name + ": SIGHUP reports what needs a restart", dm.log())

    dm.write_conf("[general]\nlog_level = shouty\n")
    dm.send(signal.SIGHUP)
    t.ok(dm.wait_log("reload refused: 1 error; still running"),
         name + ": a bad config on SIGHUP is refused, the daemon goes on",
         dm.log())
    t.ok(dm.proc.poll() is None, name + ": still running after a bad reload")

    before = dm.log()
    rc, took = dm.stop(signal.SIGTERM)
    t.ok(rc == 0, name + ": SIGTERM ends it with status 0", dm.log())
    t.ok(took < 1.0, name + ": idle stop takes under 1 s (%.3f s)" % took)
    t.ok(any("STOPPING=1" in m for m in dm.messages),
         name + ": STOPPING=1 sent", dm.messages)
    after = dm.log()[len(before):]
    t.ok("SIGTERM: stopping" not in after,
         name + ": the reloaded level (warning) hides notices", after)

    # SIGINT stops just as cleanly.
    dm2 = Daemon(name, conf(name, d), workdir=tmpdir(name))
    t.ok(dm2.start(), name + ": starts again", dm2.log())
    rc, took = dm2.stop(signal.SIGINT)
    t.ok(rc == 0 and "SIGINT: stopping" in dm2.log(),
         name + ": SIGINT ends it with status 0", dm2.log())
t.done()
