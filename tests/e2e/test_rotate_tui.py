#!/usr/bin/python3
"""e2e: the rotation screen driven end to end against the demo's azsim.

Write mode: `:rotate` completes the group, the plan lists the secondary's
steps before the primary's, apply asks a reason and the group's name (a wrong
name stays), the steps turn done one by one while the screen keeps drawing,
the outcome is "done", the transcript is exported, the topology then shows the
new protector, and a second plan is refused up front (the key name is taken)
in a red box. Read-only: the plan is shown, apply is not offered, `:resume`
is refused and no resume is offered. Resume: a rotation cut short by quitting
is offered at the next start (same state folder) and resumed to "done".

No screen capture, journal or transcript holds the demo principal's client
secret or any private key text.

The demo runs at --time-scale 360, so the watch phase (30 simulated minutes)
takes 5 s."""

import glob
import os
import re
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tmuxrun  # noqa: E402
from tmuxrun import footer, header, split_lines  # noqa: E402

SRC = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
ARGS = ("--demo", "--time-scale", "360")
GROUP = "fog-sql-prod"
# Long enough for a whole rotation under the sanitizer build on a loaded machine.
RUN_TIMEOUT = 150


def demo_secret():
    """DEMO_OPERATOR_KEY from tests/integration/fixture.h: the demo principal's secret."""
    with open(os.path.join(SRC, "tests", "integration", "fixture.h")) as f:
        m = re.search(r'#define DEMO_OPERATOR_KEY\s+"([^"]+)"', f.read())
    assert m, "DEMO_OPERATOR_KEY not found in fixture.h"
    return m.group(1)


SECRET = demo_secret()


class Screens:
    """Every screen a test looked at, for the secret checks at the end."""

    def __init__(self, c):
        self.c = c
        self.seen = []

    def grab(self):
        s = self.c.screen()
        self.seen.append(s)
        return s

    def assert_clean(self, case):
        for s in self.seen:
            case.assertNotIn(SECRET, s)
            case.assertNotIn("PRIVATE KEY", s)


def assert_file_clean(case, path):
    with open(path, errors="replace") as f:
        text = f.read()
    case.assertNotIn(SECRET, text, path)
    case.assertNotIn("PRIVATE KEY", text, path)


def plan_text(c, shots):
    """The whole plan: the textview paged from top to bottom."""
    c.keys("Home")
    text = ""
    for _ in range(20):
        time.sleep(0.2)
        screen = shots.grab()
        text += screen
        if re.search(r"\d+\. Watch both instances", screen):
            break
        c.keys("NPage")
    return text


def state_dir(c):
    return os.path.join(c.home, ".local", "state", "tdectl")


def start_apply(case, c, shots):
    """a, a reason, the group's name: the run starts."""
    c.keys("a")
    c.wait_for(r"Type the reason for the change")
    c.wait_line(-1, r"^reason:")
    c.type("e2e: rotate the demo's protector")
    c.keys("Enter")
    c.wait_for(r"Type the failover group's name, fog-sql-prod, exactly")
    c.wait_line(-1, r"^confirm group name:")
    c.type(GROUP)
    c.keys("Enter")
    c.wait_for(r" RUNNING\s*$", where=lambda s: split_lines(s)[1])
    shots.grab()


def watch_to_end(case, c, shots):
    """Polls the screen until the run ends; the states each step showed on the way."""
    states = {}
    deadline = time.monotonic() + RUN_TIMEOUT
    while True:
        screen = shots.grab()
        for m in re.finditer(r"[|\u2502]\s+(\d+)  (pending|running|done|skipped|failed) ",
                             screen):
            states.setdefault(int(m.group(1)), set()).add(m.group(2))
        if re.search(r" ENDED\s*$", split_lines(screen)[1]):
            return states, screen
        if c.exited() or time.monotonic() > deadline:
            raise AssertionError("the rotation did not end within %d s; screen:\n%s"
                                 % (RUN_TIMEOUT, screen))
        time.sleep(0.3)


class RotateWrite(tmuxrun.ConsoleCase):
    ARGS = ARGS

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.shots = Screens(cls.c)

    def test_01_help_lists_K(self):
        c = self.c
        self.neutral("1")
        c.keys("?")
        c.wait_for(r"Keys \(from the keymap in use")
        c.wait_for(r"\bK\s+rotate\s+topology view: the rotation wizard")
        c.keys("Escape")
        c.wait_gone(r"Esc closes")

    def test_02_command_completes_and_plans(self):
        c = self.c
        self.neutral("1")
        c.keys(":")
        c.wait_line(-1, r"^:")
        c.type("rotate fog")
        c.keys("Tab")
        c.wait_input(":rotate fog-sql-prod ")
        c.type("va")
        c.keys("Tab")
        c.wait_input(":rotate fog-sql-prod vault ")
        c.keys("Enter")
        c.wait_for(r"Rotate the TDE protector of fog-sql-prod +\(origin: vault\)")
        c.wait_for(r" PLAN\s*$", where=lambda s: split_lines(s)[1], timeout=60)
        c.wait_for(r"a:apply", where=footer)
        text = plan_text(c, self.shots)
        order = [
            r"Create fog-sql-prod-tde-\d+ \(\S+ \d+\) in kv-tde-cus, the secondary's vault",
            r"Restore the backup into kv-tde-eus2, the primary's vault",
            r"Register both copies on sqlmi-prod-cus \(the secondary\)",
            r"Register both copies on sqlmi-prod-eus2 \(the primary\)",
            r"Set the protector of sqlmi-prod-cus \(the secondary\)",
            r"Set the protector of sqlmi-prod-eus2 \(the primary\)",
            r"Watch both instances",
        ]
        at = []
        for rx in order:
            m = re.search(rx, text)
            self.assertIsNotNone(m, "%r not in the plan:\n%s" % (rx, text))
            at.append(m.start())
        self.assertEqual(at, sorted(at), "the plan's steps are out of order")
        self.assertNotIn("REFUSED", text)

    def test_03_wrong_name_stays_then_esc_cancels(self):
        c = self.c
        c.keys("a")
        c.wait_line(-1, r"^reason:")
        c.type("checking the confirmation")
        c.keys("Enter")
        c.wait_line(-1, r"^confirm group name:")
        c.type("fog-sql")
        c.keys("Enter")
        c.wait_for(r"Not confirmed: that is not fog-sql-prod")
        c.wait_line(-1, r"^confirm group name:")  # still asking
        c.keys("Escape")
        c.wait_for(r"cancelled: nothing was changed", where=footer)
        c.wait_for(r" PLAN\s*$", where=lambda s: split_lines(s)[1])
        self.assertFalse(glob.glob(os.path.join(state_dir(c), "wizards", "*.jsonl")),
                         "a cancelled apply must not start a journal")

    def test_04_apply_runs_to_done(self):
        c = self.c
        start_apply(self, c, self.shots)
        started = time.monotonic()
        c.wait_for(r"s:stop \(resumable\)", where=footer)
        states, end = watch_to_end(self, c, self.shots)
        sys.stderr.write("\n  rotation ran %.1f s\n" % (time.monotonic() - started))
        self.assertRegex(end, r"Outcome: done: both instances are on the new protector")
        self.assertRegex(end, r"(\d+) of \1 done")
        steps = max(states)
        self.assertGreaterEqual(steps, 10)
        for n in range(1, steps + 1):
            self.assertIn("done", states.get(n, set()), "step %d never showed done" % n)
        # The screen kept drawing while the run went on: steps were seen running.
        self.assertTrue(any("running" in s for s in states.values()), states)
        self.assertRegex(end, r"Journal: \S+/wizards/rotate-\S+\.jsonl")
        self.assertRegex(end, r"request id [0-9a-f-]{8,}")
        c.wait_for(r"x:export transcript", where=footer)

    def test_05_export_transcript(self):
        c = self.c
        c.keys("x")
        m = c.wait_for(r"transcript: (\S+\.md) and \.jsonl", where=footer)
        md = m.group(1)
        self.assertTrue(os.path.isfile(md), md)
        self.assertTrue(os.path.isfile(md[:-3] + ".jsonl"))
        with open(md) as f:
            self.assertIn(GROUP, f.read())
        for path in [md, md[:-3] + ".jsonl"] + glob.glob(
                os.path.join(state_dir(c), "wizards", "*.jsonl")):
            assert_file_clean(self, path)
        self.shots.grab()

    def test_06_topology_shows_the_new_protector(self):
        c = self.c
        c.keys("Escape")
        c.wait_gone(r"Rotate the TDE protector")
        self.neutral("1")
        c.wait_for(r"protector kv-tde-eus2/fog-sql-prod-tde-\d+/", timeout=60)
        c.wait_for(r"protector kv-tde-cus/fog-sql-prod-tde-\d+/", timeout=60)
        self.shots.grab()

    def test_07_second_plan_refused_in_a_red_box(self):
        c = self.c
        self.neutral("1")
        c.keys("K")  # the selected group: fog-sql-prod
        c.wait_for(r"Rotate the TDE protector of fog-sql-prod")
        c.wait_for(r"REFUSED: apply would be refused", timeout=60)
        c.wait_for(r"the key name fog-sql-prod-tde-\d+ is taken")
        c.keys("a")
        c.wait_for(r"apply would be refused now", where=footer)
        self.assertNotIn("Type the reason", c.screen())
        self.shots.grab()
        c.keys("Escape")
        c.wait_gone(r"Rotate the TDE protector")

    def test_98_no_secret_on_screen(self):
        self.shots.assert_clean(self)

    def test_99_quit(self):
        self.neutral(None)
        self.c.stop()


class StopAndResume(unittest.TestCase):
    """A run stalled by a fault (kv-tde-eus2 refuses writes with 503) keeps running behind
    the console and is stopped where it is; once the fault is cleared, :resume continues it
    to the end, skipping what is in place. Its journal, copied while it was unfinished into a
    fresh state folder, is offered at the next write-mode start (and neither offered nor
    resumable read-only). The copy is not resumed there: a new demo is a new azsim on other
    ports, which the journal's plan does not name."""

    def start(self, args, home=None):
        c = tmuxrun.Console(160, 45, home=home)
        self.consoles.append(c)
        c.start(args)
        tmuxrun.first_data(c)
        return c

    def setUp(self):
        self.consoles = []

    def tearDown(self):
        for c in self.consoles:
            c.cleanup()

    def stall_and_stop(self, c, shots):
        c.command("practice vault-read-only-eus2")
        c.wait_for(r"\[PRACTICE: ", where=header)
        c.command("rotate %s vault" % GROUP)
        c.wait_for(r" PLAN\s*$", where=lambda s: split_lines(s)[1], timeout=60)
        start_apply(self, c, shots)
        c.wait_for(r"\b6  running +Restore the backup into kv-tde-eus2", timeout=RUN_TIMEOUT)
        c.wait_for(r"call POST \S+/keys/restore -> 503", timeout=RUN_TIMEOUT)
        # Esc hides the screen; the run goes on and the header says so; q asks first.
        c.keys("Escape")
        c.wait_for(r"\[ROTATING fog-sql-prod\]", where=header)
        c.wait_for(r"keeps running: :rotate shows it", where=footer)
        c.keys("q")
        c.wait_for(r"Quit tdectl\?")
        c.wait_for(r"a rotation is running")
        c.keys("Enter")  # Stay
        c.wait_gone(r"Quit tdectl\?")
        c.command("rotate")
        c.wait_for(r" RUNNING\s*$", where=lambda s: split_lines(s)[1])
        c.wait_for(r"s:stop \(resumable\)", where=footer)
        c.keys("s")
        c.wait_for(r"Stop the rotation\?")
        c.wait_for(r"\[ Keep running \]\s+Stop")  # the safe button first
        c.keys("Tab")
        c.wait_for(r"Keep running\s+\[ Stop \]")
        c.keys("Enter")
        c.wait_for(r" LOADED\s*$", where=lambda s: split_lines(s)[1])
        c.wait_for(r"u:resume", where=footer)
        shots.grab()

    def test_stop_resume_and_the_offer(self):
        c = self.start(ARGS)
        shots = Screens(c)
        self.stall_and_stop(c, shots)
        journals = glob.glob(os.path.join(state_dir(c), "wizards", "rotate-*.jsonl"))
        self.assertEqual(len(journals), 1)
        # A copy of the unfinished journal for the starts below.
        other = os.path.join(c.dir, "other-home")
        wizards = os.path.join(other, ".local", "state", "tdectl", "wizards")
        os.makedirs(wizards, mode=0o700)
        with open(journals[0], "rb") as src, open(
                os.path.join(wizards, os.path.basename(journals[0])), "wb") as dst:
            dst.write(src.read())

        c.keys("Escape")
        c.wait_gone(r"Rotate the TDE protector")
        # The stopped run keeps its operator lock; the topology shows who holds it, and why.
        c.keys("1")
        c.keys("r")
        c.wait_for(r"LOCKED: rotate \"e2e: rotate the demo.s protector\" until \d\d:\d\d UTC by \S+@",
                   timeout=60)
        c.command("practice clear")
        c.wait_gone(r"\[PRACTICE: ", where=header)
        c.command("resume")
        c.wait_for(r"Resume the rotation\?")
        c.wait_for(r"\[ Later \]\s+Resume")
        c.keys("Tab")
        c.wait_for(r"Later\s+\[ Resume \]")
        c.keys("Enter")
        c.wait_for(r"resumed from its journal")
        states, end = watch_to_end(self, c, shots)
        self.assertRegex(end, r"Outcome: done: both instances are on the new protector")
        # What was in place was read back and skipped, not done twice.
        self.assertRegex(end, r"\b4  skipped +Create fog-sql-prod-tde-")
        self.assertRegex(end, r"\b6  done +Restore the backup into kv-tde-eus2")
        c.keys("Escape")
        c.wait_gone(r"Rotate the TDE protector")
        c.command("resume")
        c.wait_for(r"no unfinished rotation", where=footer)
        c.stop()
        shots.assert_clean(self)
        assert_file_clean(self, journals[0])

        # Read-only: no offer, :resume refused, the plan without apply.
        ro = self.start(ARGS + ("--read-only",), home=other)
        ro_shots = Screens(ro)
        self.assertNotIn("Resume the rotation?", ro_shots.grab())
        ro.command("resume")
        ro.wait_for(r"read-only: resume is not offered", where=footer)
        ro.command("rotate %s" % GROUP)
        ro.wait_for(r" PLAN\s*$", where=lambda s: split_lines(s)[1], timeout=60)
        ro.wait_for(r"read-only: apply is not offered")
        self.assertNotIn("a:apply", footer(ro_shots.grab()))
        ro.keys("a")
        ro.wait_for(r"read-only: apply is not offered \(start without --read-only\)",
                    where=footer)
        self.assertNotIn("Type the reason", ro_shots.grab())
        ro.keys("Escape")
        ro.wait_gone(r"Rotate the TDE protector")
        ro.stop()
        ro_shots.assert_clean(self)

        # Write mode: the offer, at start; Later leaves it, :resume asks again.
        w = self.start(ARGS, home=other)
        w_shots = Screens(w)
        w.wait_for(r"Resume the rotation\?")
        w.wait_for(r"An unfinished rotation of fog-sql-prod \(started")
        w.wait_for(r"\[ Later \]\s+Resume")
        w.keys("Enter")  # Later
        w.wait_gone(r"Resume the rotation\?")
        w.command("resume")
        w.wait_for(r"Resume the rotation\?")
        w_shots.grab()
        w.keys("Escape")
        w.wait_gone(r"Resume the rotation\?")
        w.stop()
        w_shots.assert_clean(self)


class Passphrases(unittest.TestCase):
    """The offline origin with an escrow copy asks its passphrase twice (too short and
    different entries are refused and asked again); the file origin asks an encrypted key
    file's passphrase before planning. Both show one * per character, never the text, and
    run to "done"."""

    ESCROW_PASS = "correct horse battery staple"
    FILE_PASS = "file-pass-0123456789"

    def setUp(self):
        self.consoles = []

    def tearDown(self):
        for c in self.consoles:
            c.cleanup()

    def start(self):
        c = tmuxrun.Console(160, 45)
        self.consoles.append(c)
        c.start(ARGS)
        tmuxrun.first_data(c)
        return c

    def type_secret(self, c, prompt, text):
        c.wait_line(-1, "^" + re.escape(prompt.rstrip()) + "$")  # empty: the field is cleared
        c.type(text)
        c.wait_line(-1, "^%s%s$" % (re.escape(prompt), r"\*" * len(text)))

    def finish(self, c, shots, secret):
        states, end = watch_to_end(self, c, shots)
        self.assertRegex(end, r"Outcome: done: both instances are on the new protector")
        for screen in shots.seen:
            self.assertNotIn(secret, screen)
        shots.assert_clean(self)
        for path in glob.glob(os.path.join(state_dir(c), "wizards", "*.jsonl")):
            assert_file_clean(self, path)
            with open(path) as f:
                self.assertNotIn(secret, f.read())
        c.keys("Escape")
        c.wait_gone(r"Rotate the TDE protector")
        c.stop()

    def test_offline_escrow_asked_twice(self):
        c = self.start()
        shots = Screens(c)
        escrow = os.path.join(c.dir, "escrow.pem")
        c.command("rotate %s offline %s" % (GROUP, escrow))
        c.wait_for(r" PLAN\s*$", where=lambda s: split_lines(s)[1], timeout=60)
        c.wait_for(r"Generate RSA \d+ with OpenSSL")
        c.keys("a")
        c.wait_line(-1, r"^reason:")
        c.type("e2e: offline material with escrow")
        c.keys("Enter")
        c.wait_line(-1, r"^confirm group name:")
        c.type(GROUP)
        c.keys("Enter")
        c.wait_for(r"Escrow passphrase")
        c.wait_for(r"at least 12")
        self.type_secret(c, "escrow passphrase: ", "short")
        shots.grab()
        c.keys("Enter")
        c.wait_for(r"Too short: at least 12 characters")
        self.type_secret(c, "escrow passphrase: ", self.ESCROW_PASS)
        shots.grab()
        c.keys("Enter")
        self.type_secret(c, "once more: ", self.ESCROW_PASS + "!")
        c.keys("Enter")
        c.wait_for(r"The two entries differ")
        self.type_secret(c, "escrow passphrase: ", self.ESCROW_PASS)
        c.keys("Enter")
        self.type_secret(c, "once more: ", self.ESCROW_PASS)
        shots.grab()
        c.keys("Enter")
        c.wait_for(r" RUNNING\s*$", where=lambda s: split_lines(s)[1])
        self.finish(c, shots, self.ESCROW_PASS)
        self.assertTrue(os.path.isfile(escrow))
        self.assertEqual(os.stat(escrow).st_mode & 0o777, 0o600)
        with open(escrow) as f:
            self.assertIn("ENCRYPTED PRIVATE KEY", f.read())

    def test_file_origin_encrypted_key(self):
        c = self.start()
        shots = Screens(c)
        key = os.path.join(c.dir, "operator.pem")
        subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt",
                        "rsa_keygen_bits:3072", "-aes256", "-pass", "pass:" + self.FILE_PASS,
                        "-out", key], check=True, capture_output=True)
        c.command("rotate %s file %s" % (GROUP, key))
        c.wait_for(r"Key file passphrase")
        self.type_secret(c, "key file passphrase: ", self.FILE_PASS)
        shots.grab()
        c.keys("Enter")
        c.wait_for(r" PLAN\s*$", where=lambda s: split_lines(s)[1], timeout=60)
        c.wait_for(r"Load the private key from \S+operator.pem")
        start_apply(self, c, shots)
        self.finish(c, shots, self.FILE_PASS)


if __name__ == "__main__":
    unittest.main(verbosity=2)
