#!/usr/bin/python3
"""e2e: tdectl starts, draws the topology with the group name, takes keys and
quits with status 0 under several terminal types (tmux, xterm, screen, the
Linux console, a vt100), with NO_COLOR, and draws Unicode or ASCII by the
locale. An unknown TERM is a clear error, not a crash."""

import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tmuxrun  # noqa: E402
from tmuxrun import header, split_lines  # noqa: E402

BOX_DRAWING = re.compile("[\u2500-\u257f]")


def frame_line(screen):
    return [ln for ln in split_lines(screen) if "fog-sql-prod" in ln][0]


class Terms(unittest.TestCase):
    def run_console(self, term, env=None, lang="C.UTF-8", args=("--demo",), check=None):
        c = tmuxrun.Console(100, 30)
        try:
            c.start(args, env=env, term=term, lang=lang)
            c.wait_for(r"fog-sql-prod", 90)
            c.wait_for(r"sqlmi-prod-eus2 +Ready")
            c.wait_for(r"sqlmi-prod-cus +Ready")
            self.assertIn(" tdectl demo (azsim) ", header(c.screen()))
            # Keys arrive: another view, the help, back.
            c.keys("4")
            c.wait_for(r"INSTANCE +REGION +ROLE")
            c.keys("?")
            c.wait_for(r"Keys \(from the keymap in use")
            c.keys("Escape")
            c.wait_gone(r"Keys \(from the keymap in use")
            c.keys("1")
            c.wait_for(r"fog-sql-prod")
            if check:
                check(c)
            c.stop()
        finally:
            c.cleanup()

    def test_terms(self):
        for term in ("tmux-256color", "xterm-256color", "screen-256color", "linux", "vt100"):
            with self.subTest(TERM=term):
                self.run_console(term)

    def test_no_color(self):
        def no_colour(c):
            styled = c.styled()
            self.assertFalse(tmuxrun.has_colour(styled), repr(styled[:400]))
            # Still not colour alone: the selected tab stands out by attribute.
            self.assertRegex(styled, r"\x1b\[[0-9;]*[17][;m]")

        with self.subTest("NO_COLOR=1"):
            self.run_console("xterm-256color", env={"NO_COLOR": "1"}, check=no_colour)
        with self.subTest("--no-color"):
            self.run_console("tmux-256color", args=("--demo", "--no-color"), check=no_colour)

    def test_colour_by_default(self):
        def colour(c):
            self.assertTrue(tmuxrun.has_colour(c.styled()))

        self.run_console("tmux-256color", check=colour)

    def test_ascii_without_utf8(self):
        def ascii_only(c):
            screen = c.screen()
            self.assertTrue(all(ord(ch) < 128 for ch in screen), frame_line(screen))
            self.assertRegex(frame_line(screen), r"^\+-+ fog-sql-prod -+")

        self.run_console("tmux-256color", lang="C", check=ascii_only)

    def test_ascii_flag(self):
        def ascii_only(c):
            self.assertTrue(all(ord(ch) < 128 for ch in c.screen()))

        self.run_console("tmux-256color", args=("--demo", "--ascii"), check=ascii_only)

    def test_unicode_with_utf8(self):
        def unicode_frame(c):
            self.assertRegex(frame_line(c.screen()), BOX_DRAWING)

        self.run_console("tmux-256color", lang="C.UTF-8", check=unicode_frame)

    def test_unknown_term(self):
        c = tmuxrun.Console(100, 30)
        try:
            c.start(("--demo",), term="no-such-terminal")
            status = c.wait_exit(90)
            # ncurses' newterm() leaks its half-made screen when it fails (libtinfo's
            # new_prescr); everything of tdectl's own must be freed.
            c.check_stderr(allow_leaks_in=("libtinfo", "libncurses"))
            self.assertNotEqual(status, 0)
            self.assertIn("no-such-terminal", c.stderr())
            leftovers = [n for n in os.listdir(c.tmp) if n.startswith("tdectl-demo-")]
            self.assertEqual(leftovers, [], "the demo's scratch folder stayed")
        finally:
            c.cleanup()


if __name__ == "__main__":
    unittest.main(verbosity=2)
