"""State on disk survives SIGKILL at any moment, and damage is refused, never
written over blindly.

test_01: the console (its own config against azsim's demo, under a pseudo-
terminal) is started and SIGKILLed KILLS times at random moments (half of them
anywhere in its first 0.3-1.2 s, half around the time a start saves its
snapshot, measured by a first clean run) while it
loads its snapshot, sweeps, saves the snapshot (atomfile: temporary file,
fsync, rename, fsync of the folder) and saves its command history (a `:`
command typed at a random moment). After every kill the snapshot and the
history load: the snapshot is whole JSON of the tdectl-snapshot format, the
history is libedit's, and the next start reads the snapshot without error
(a damaged one would be moved aside as snapshot.json.corrupt-*: none may
appear). Temporary files a kill leaves behind are counted; a minute old, the
next save removes them (shown by ageing them), so they never pile up.
Figures: kills, the seconds they took, snapshot saves seen between kills.

test_02: a damaged snapshot is moved aside to snapshot.json.corrupt-<time>
(bytes kept), the console says so in its activity view naming both files,
starts empty and saves a fresh snapshot; a damaged command history is left
byte for byte as it was although a command was typed.

test_03: a damaged config stops every start (check, the console) with the
file and the line; a journal with a bad line in the middle is refused by
`tdectl rotate --resume` naming the file and the line, and not one byte of
it changes.

Cost: about 35 s (one azsim; 60 console starts and kills in about 10 s).
"""

import fcntl
import glob
import json
import os
import random
import signal
import stat
import struct
import subprocess
import sys
import tempfile
import termios
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "pylib"))
sys.path.insert(0, HERE)
import azsim  # noqa: E402
import tmuxrun  # noqa: E402

ROOT = os.path.join(HERE, "..", "..")
TDECTL = os.environ.get("TDECTL", os.path.join(ROOT, "build", "tui", "tdectl"))
DEMO = os.path.join(ROOT, "sim", "scenarios", "demo.json")

MONITOR_SECRET = azsim.DEMO_MONITOR_SECRET
KILLS = 60
KILL_BUDGET_S = 30.0


class StateCrashTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sim = azsim.Azsim(DEMO).start()
        cls.tmpdir = tempfile.TemporaryDirectory(prefix="tdectl-crash-")
        cls.home = os.path.join(cls.tmpdir.name, "home")
        cls.state = os.path.join(cls.home, ".local", "state", "tdectl")
        cls.tmp = os.path.join(cls.tmpdir.name, "tmp")
        confdir = os.path.join(cls.home, ".config", "tdectl")
        os.makedirs(confdir, mode=0o700)
        os.makedirs(cls.tmp, mode=0o700)
        cls.config = os.path.join(confdir, "config.json")
        with open(cls.config, "w") as f:
            json.dump(cls.sim.tdectl_config(
                read_only=True,
                poll={"probe_seconds": 5, "health_seconds": 10, "structure_seconds": 30}), f)
        os.chmod(cls.config, 0o600)

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()
        cls.tmpdir.cleanup()

    def env(self, extra=None):
        env = {"PATH": "/usr/bin:/bin", "HOME": self.home, "TERM": "xterm-256color",
               "LANG": "C.UTF-8",
               "XDG_CONFIG_HOME": os.path.join(self.home, ".config"),
               "XDG_STATE_HOME": os.path.join(self.home, ".local", "state"),
               "TMPDIR": self.tmp, "AZURE_CLIENT_SECRET": MONITOR_SECRET}
        for name in tmuxrun.PASS_THROUGH:
            if name in os.environ:
                env[name] = os.environ[name]
        env.update(extra or {})
        return env

    # -- the console under a pseudo-terminal ----------------------------------------------------
    def start_console(self):
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 140, 0, 0))
        proc = subprocess.Popen([TDECTL, "--config", self.config], stdin=slave, stdout=slave,
                                stderr=slave, env=self.env(), start_new_session=True,
                                close_fds=True)
        os.close(slave)
        os.set_blocking(master, False)
        return proc, master

    @staticmethod
    def drain(master):
        try:
            while os.read(master, 65536):
                pass
        except (BlockingIOError, OSError):
            pass

    def snapshot_ok(self, path):
        """The snapshot loads (whole JSON of the right format), or is not there yet."""
        if not os.path.exists(path):
            return None
        with open(path) as f:
            doc = json.load(f)  # a torn file would raise here
        self.assertEqual(doc["format"], "tdectl-snapshot")
        self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600)
        return os.stat(path).st_ino

    def history_ok(self, path):
        if os.path.exists(path):
            with open(path, "rb") as f:
                self.assertTrue(f.read().startswith(b"_HiStOrY_V2_\n"), path)

    def temps(self):
        return [n for n in os.listdir(self.state) if n.startswith(".")] \
            if os.path.isdir(self.state) else []

    def test_01_sigkill_at_random_moments(self):
        snap = os.path.join(self.state, "snapshot.json")
        hist = os.path.join(self.state, "history")
        rng = random.Random(os.environ.get("TDECTL_CRASH_SEED") or time.time_ns())
        # One clean run first, to learn how long a start takes to save its snapshot.
        proc, master = self.start_console()
        t0 = time.monotonic()
        while not os.path.exists(snap) and time.monotonic() - t0 < 60:
            self.drain(master)
            time.sleep(0.02)
        first_save = time.monotonic() - t0
        self.assertTrue(os.path.exists(snap), "the console saved no snapshot within 60 s")
        proc.kill()
        proc.wait()
        os.close(master)
        window = min(max(first_save * 1.3, 0.3), 1.2)
        saves, leftovers, started = 0, set(), time.monotonic()
        last = self.snapshot_ok(snap)
        for i in range(KILLS):
            proc, master = self.start_console()
            # Half anywhere in the window, half around when a start saves its snapshot.
            at = rng.uniform(0, window) if i % 2 else max(0.0, rng.gauss(first_save,
                                                                         first_save * 0.2))
            typed = rng.random() < 0.5
            end = time.monotonic() + at
            while time.monotonic() < end:
                if typed and time.monotonic() > end - at / 2:
                    os.write(master, b":refresh\r")  # the history is saved on Enter
                    typed = False
                self.drain(master)
                time.sleep(0.005)
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            os.close(master)
            ino = self.snapshot_ok(snap)
            self.assertIsNotNone(ino, "kill %d: the snapshot is gone" % i)
            saves += ino != last
            last = ino
            self.history_ok(hist)
            leftovers.update(self.temps())
            self.assertEqual(glob.glob(snap + ".corrupt-*"), [],
                             "kill %d: a start found the snapshot damaged" % i)
        took = time.monotonic() - started
        print("\n%d SIGKILLs in %.1f s (kill window 0-%.2f s, first save after %.2f s); "
              "%d snapshot saves between kills; %d temporary files left by kills"
              % (KILLS, took, window, first_save, saves, len(leftovers)), file=sys.stderr)
        self.assertLess(took, KILL_BUDGET_S * 4)  # a hang guard; the figure is printed
        self.assertGreater(saves, 0, "no kill came after a save: the window is wrong")
        self.assertTrue(os.path.exists(hist), "no `:` command reached the history")
        # What the kills left is bounded: age it a minute and one clean save removes it.
        for n in self.temps():
            p = os.path.join(self.state, n)
            os.utime(p, (time.time() - 120, time.time() - 120))
        proc, master = self.start_console()
        t0 = time.monotonic()
        while self.snapshot_ok(snap) == last and time.monotonic() - t0 < 60:
            self.drain(master)
            time.sleep(0.05)
        time.sleep(0.5)  # the sweep of old temporary files follows the rename
        proc.kill()
        proc.wait()
        os.close(master)
        self.assertEqual([n for n in self.temps() if n.startswith(".snapshot.json.")], [])

    # -- damage is moved aside or refused, never written over -----------------------------------
    def test_02_damaged_snapshot_moved_aside_history_left(self):
        snap = os.path.join(self.state, "snapshot.json")
        hist = os.path.join(self.state, "history")
        os.makedirs(self.state, mode=0o700, exist_ok=True)
        damaged = b'{"format": "tdectl-snapshot", "version": 1, "saved_at": 17'
        with open(snap, "wb") as f:
            f.write(damaged)
        junk_history = b"not a history\n:rotate\n"
        with open(hist, "wb") as f:
            f.write(junk_history)
        for old in glob.glob(snap + ".corrupt-*"):
            os.unlink(old)
        c = tmuxrun.Console(160, 45, home=self.home)
        try:
            c.start(("--config", self.config), env={"AZURE_CLIENT_SECRET": MONITOR_SECRET})
            c.wait_for("fog-sql-prod", 60)
            c.keys("6")
            c.keys("G")  # the note came first: the oldest row, at the end
            c.wait_for(r"NOTE\s+damaged snapshot moved aside to /", 30)
            c.keys("Enter")  # the row in full: where to
            c.wait_for(r"snapshot\.json\.corrupt-\d{8}T\d{6}Z", 30)
            c.command("refresh")
            c.wait_for("refreshed", 60)
            c.stop()
        finally:
            c.cleanup()
        aside = glob.glob(snap + ".corrupt-*")
        self.assertEqual(len(aside), 1, aside)
        with open(aside[0], "rb") as f:
            self.assertEqual(f.read(), damaged)
        self.snapshot_ok(snap)  # a fresh one, whole
        with open(hist, "rb") as f:
            self.assertEqual(f.read(), junk_history)

    def test_03_damaged_config_and_journal_refused(self):
        bad = os.path.join(self.tmpdir.name, "bad.json")
        with open(bad, "w") as f:
            f.write('{\n  "cloud": "custom",\n  "read_only": tru\n}\n')
        os.chmod(bad, 0o600)
        p = subprocess.run([TDECTL, "check", "--config", bad], capture_output=True, text=True,
                           env=self.env(), timeout=60)
        self.assertEqual(p.returncode, 3, p.stderr)
        self.assertRegex(p.stderr, r"bad\.json.*line 3", p.stderr)
        p = subprocess.run([TDECTL, "--config", bad], capture_output=True, text=True,
                           env=self.env(), timeout=60, stdin=subprocess.DEVNULL)
        self.assertNotEqual(p.returncode, 0)
        self.assertRegex(p.stderr, r"bad\.json.*line 3", p.stderr)

        jdir = os.path.join(self.tmpdir.name, "journals")
        os.makedirs(jdir, mode=0o700)
        journal = os.path.join(jdir, "rotate-20261130T000000Z-0badc0de.jsonl")
        lines = [b'{"seq":1,"time":"2026-11-30T00:00:00Z","event":"plan"}\n',
                 b'{"seq":2,"time":"2026-11-30T00:00:01Z",oops}\n',
                 b'{"seq":3,"time":"2026-11-30T00:00:02Z","event":"step"}\n']
        with open(journal, "wb") as f:
            f.write(b"".join(lines))
        os.chmod(journal, 0o600)
        before = os.stat(journal)
        p = subprocess.run([TDECTL, "rotate", "--resume", journal, "--config", self.config],
                           capture_output=True, text=True, env=self.env(), timeout=120)
        self.assertNotEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn(journal, p.stderr)
        self.assertRegex(p.stderr, r"line 2", p.stderr)
        with open(journal, "rb") as f:
            self.assertEqual(f.read(), b"".join(lines))
        self.assertEqual(os.stat(journal).st_mtime_ns, before.st_mtime_ns)


if __name__ == "__main__":
    unittest.main(verbosity=2)
