#!/usr/bin/python3
"""e2e: the key backup/restore screen driven end to end against the demo's azsim.

Write mode: `?` lists B; `:backup` completes the group; `:backup fog-sql-prod`
shows the plan, `a` runs it to "ENDED" and the outcome names the four files
written (each there, 0600); B on the keys view opens a one-key plan;
`:restore-test FILE kv-tde-scratch-eus2` (the file completed by name from
backups/) shows the plan with its checks, `a` asks a reason (an empty one is
refused), runs to the end with every fingerprint compared, and `x` exports the
transcript; `:restore FILE kv-tde-weu` is refused in a red box with the
geography explanation, `a` only says so, and the activity view holds no request
to kv-tde-weu's data plane. Read-only: both plans are shown, running is not
offered (no `a` in the footer, `a` says read-only).

No screen shows the demo principal's client secret, a private key or any part
of a backup blob."""

import json
import os
import re
import stat
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tmuxrun  # noqa: E402
from tmuxrun import footer, split_lines  # noqa: E402

SRC = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
GROUP = "fog-sql-prod"
SCRATCH = "kv-tde-scratch-eus2"
WEU = "kv-tde-weu"
PROTECTOR = "kv-tde-eus2.tde-protector-2025."
RUN_TIMEOUT = 60


def demo_secret():
    """DEMO_OPERATOR_KEY from tests/integration/fixture.h: the demo principal's secret."""
    with open(os.path.join(SRC, "tests", "integration", "fixture.h")) as f:
        m = re.search(r'#define DEMO_OPERATOR_KEY\s+"([^"]+)"', f.read())
    assert m, "DEMO_OPERATOR_KEY not found in fixture.h"
    return m.group(1)


SECRET = demo_secret()


def title(screen):
    return split_lines(screen)[1]


def boxed(screen):
    """The screen's text inside frames, each row's content joined with spaces
    (so a sentence wrapped over rows reads as one)."""
    rows = []
    for line in split_lines(screen):
        m = re.match(r"^[|\u2502] ?(.*?)\s*[|\u2502]\s*$", line)
        if m:
            rows.append(m.group(1))
    return " ".join(rows)


def backups(c):
    return os.path.join(c.home, ".local", "state", "tdectl", "backups")


class Screens:
    """Every screen a test looked at, for the secret checks at the end."""

    def __init__(self, c):
        self.c = c
        self.seen = []

    def grab(self):
        s = self.c.screen()
        self.seen.append(s)
        return s


def close_screen(c):
    c.keys("Escape")
    c.wait_gone(r"^ (Back up|Restore)", where=title)


class BackupWrite(tmuxrun.ConsoleCase):
    ARGS = ("--demo",)

    @classmethod
    def setUpClass(cls):
        # The read-only console starts now, so its demo comes up while the write tests run.
        cls.ro = tmuxrun.Console(cls.WIDTH, cls.HEIGHT)
        try:
            cls.ro.start(("--demo", "--read-only"))
            super().setUpClass()
        except BaseException:
            cls.ro.cleanup()
            raise
        cls.shots = Screens(cls.c)
        cls.ro_shots = Screens(cls.ro)

    @classmethod
    def tearDownClass(cls):
        cls.ro.cleanup()
        super().tearDownClass()

    def test_01_help_lists_B(self):
        c = self.c
        self.neutral("3")
        c.keys("?")
        c.wait_for(r"Keys \(from the keymap in use")
        c.keys("NPage")  # the view's keys are below the first page
        c.wait_for(r"\bB\s+backup\s+keys view: the backup screen for the selected key")
        c.keys("Escape")
        c.wait_gone(r"Esc closes")

    def test_02_backup_group_runs_to_done(self):
        c = self.c
        self.neutral("1")
        c.keys(":")
        c.wait_line(-1, r"^:")
        c.type("backup fog-s")
        c.keys("Tab")
        c.wait_input(":backup fog-sql-prod ")
        c.keys("Enter")
        c.wait_for(r"^ Back up every key of fog-sql-prod .* PLAN\s*$", where=title, timeout=30)
        c.wait_for(r"Back up 4 keys \(every version of each\)")
        c.wait_for(r"a:back up", where=footer)
        self.shots.grab()
        c.keys("a")
        c.wait_for(r" ENDED\s*$", where=title, timeout=RUN_TIMEOUT)
        end = self.shots.grab()
        self.assertRegex(end, r"OK: 4 keys backed up to \S+/backups, each file read back")
        self.assertRegex(end, r"4 of 4 done")
        files = sorted(os.listdir(backups(c)))
        self.assertEqual(len(files), 4, files)
        for name in files:
            path = os.path.join(backups(c), name)
            self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600, path)
            vault, key = name.split(".")[:2]
            # The outcome names every file with its path.
            self.assertRegex(boxed(end), r"ok +%s/%s -> \S*/backups/%s" % (
                re.escape(vault), re.escape(key), re.escape(name)))
        self.assertEqual(stat.S_IMODE(os.stat(backups(c)).st_mode), 0o700)
        close_screen(c)

    def test_03_B_on_the_keys_view(self):
        c = self.c
        self.neutral("3")
        c.wait_for(r"tde-protector-2025")
        c.keys("B")
        c.wait_for(r"^ Back up kv-tde-\S+/tde-protector-\d+ .* PLAN\s*$", where=title)
        c.wait_for(r"Back up 1 key \(every version of each\)")
        self.shots.grab()
        close_screen(c)

    def test_04_restore_test_runs_to_done(self):
        c = self.c
        self.neutral("1")
        c.keys(":")
        c.wait_line(-1, r"^:")
        c.type("restore-test " + PROTECTOR)
        c.keys("Tab")  # the one file of that key, by name from backups/
        m = c.wait_for(r"^:restore-test (%s\S+\.tdkb\.json)$" % re.escape(PROTECTOR),
                       where=footer)
        BackupWrite.file = m.group(1)
        with open(os.path.join(backups(c), BackupWrite.file), "rb") as f:
            BackupWrite.file_bytes = f.read()
        c.type(SCRATCH)
        c.keys("Enter")
        c.wait_for(r"^ Restore test: \S+ into %s .* PLAN\s*$" % SCRATCH, where=title, timeout=30)
        c.wait_for(r"ok   name-deleted tde-protector-2025 is not among the soft-deleted keys")
        c.wait_for(r"a:run the restore test", where=footer)
        self.shots.grab()
        c.keys("a")
        c.wait_for(r"Run the restore test")
        c.wait_line(-1, r"^reason:")
        c.keys("Enter")
        c.wait_for(r"A reason is required\.")
        c.type("e2e: quarterly restore drill")
        c.keys("Enter")
        c.wait_for(r" ENDED\s*$", where=title, timeout=RUN_TIMEOUT)
        end = self.shots.grab()
        text = boxed(end)
        self.assertIn("OK: restore test passed", text)
        self.assertEqual(len(re.findall(r"ok +version [0-9a-f]{32}  file [0-9a-f]{16}\.\.\.  "
                                        r"%s [0-9a-f]{16}\.\.\." % SCRATCH, text)), 2, text)
        self.assertRegex(text, r"journal: \S+/wizards/restore-\S+\.jsonl")
        self.assertRegex(text, r"call POST \S+/keys/restore -> 200 +request id [0-9a-f-]{8,}")
        c.keys("x")
        m = c.wait_for(r"transcript: (\S+\.md) and \.jsonl", where=footer)
        self.assertTrue(os.path.isfile(m.group(1)), m.group(1))
        close_screen(c)

    def test_05_restore_into_another_geography_refused(self):
        c = self.c
        self.neutral("1")
        c.command("restore %s %s" % (BackupWrite.file, WEU))
        c.wait_for(r"^ Restore \S+ into %s .* REFUSED\s*$" % WEU, where=title, timeout=30)
        c.wait_for(r"REFUSED: nothing was changed")
        screen = self.shots.grab()
        text = boxed(screen)
        self.assertIn("Key Vault restores a backup only into a vault of the same subscription "
                      "and geography (Europe \u2260 United States)", text)
        self.assertIn("import it instead: tdectl rotate --origin file", text)
        self.assertRegex(text, r"FAIL geography +the file's United States")
        self.assertNotIn("a:restore", footer(screen))
        c.keys("a")
        c.wait_for(r"refused before any change", where=footer)
        self.assertNotIn("Restore the key", c.screen())
        close_screen(c)
        # Nothing reached the vault: no request to its data plane in the activity log
        # (while the scratch vault's calls are there).
        c.keys("6")
        c.wait_for(r"REQUEST ID")
        for pattern, want in ((r"%s\.vault" % WEU, r"0"), (r"%s\.vault" % SCRATCH, r"[1-9]\d*")):
            c.keys("/")
            c.wait_line(-1, r"^/")
            c.type(pattern)
            c.wait_line(1, r" /%s/ %s of \d+$" % (re.escape(pattern), want))
            self.shots.grab()
            c.keys("Enter")
            c.keys("Escape")  # clears the filter
            c.wait_gone(r" /%s/" % re.escape(pattern), where=lambda s: split_lines(s)[1])

    def test_06_read_only_plans_only(self):
        """Read-only: the plans are shown; running is offered nowhere. The restore plan uses
        the backup file made above (the same demo subscription), put in this console's
        backups/; the demo's read-only principal may not read the scratch vault's keys, so
        that plan ends refused (AccessDenied), and `a` says read-only first."""
        c, shots = self.ro, self.ro_shots
        tmuxrun.first_data(c)
        c.command("backup " + GROUP)
        c.wait_for(r"\(read-only\) .* PLAN\s*$", where=title, timeout=30)
        c.wait_for(r"read-only: not offered, only the plan")
        self.assertNotIn("a:back up", footer(shots.grab()))
        c.keys("a")
        c.wait_for(r"read-only: the backup is not offered", where=footer)
        close_screen(c)
        os.makedirs(backups(c), mode=0o700, exist_ok=True)
        path = os.path.join(backups(c), BackupWrite.file)
        with open(path, "wb") as f:
            f.write(BackupWrite.file_bytes)
        os.chmod(path, 0o600)
        c.command("restore-test %s %s" % (BackupWrite.file, SCRATCH))
        c.wait_for(r"\(read-only\) .* (PLAN|REFUSED)\s*$", where=title, timeout=30)
        c.wait_for(r"ok   geography")
        c.wait_for(r"read-only: not offered, only the plan")
        self.assertNotIn("a:run", footer(shots.grab()))
        c.keys("a")
        c.wait_for(r"read-only: the restore test is not offered", where=footer)
        self.assertNotIn("Run the restore test", shots.grab())
        close_screen(c)
        c.stop()

    def test_98_no_secret_or_blob_on_screen(self):
        blobs = []
        for name in os.listdir(backups(self.c)):
            with open(os.path.join(backups(self.c), name)) as f:
                blob = json.load(f)["blob"]
            blobs += [blob[i:i + 40] for i in range(0, len(blob) - 40, 400)]
        self.assertGreater(len(blobs), 10)
        self.assertGreaterEqual(len(self.shots.seen), 8)
        for screen in self.shots.seen + self.ro_shots.seen:
            self.assertNotIn(SECRET, screen)
            self.assertNotIn("PRIVATE KEY", screen)
            flat = screen.replace("\n", "")
            for b in blobs:
                self.assertNotIn(b, flat)

    def test_99_quit(self):
        self.neutral(None)
        self.c.stop()


if __name__ == "__main__":
    unittest.main(verbosity=2)
