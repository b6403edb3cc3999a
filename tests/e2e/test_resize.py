#!/usr/bin/python3
"""e2e: resizing the terminal redraws the header, tabs, view and footer at the
new width; below 60x12 the console shows a note instead; overlays and the
`:` line survive resizes; a burst of resizes ends drawn at the last size."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tmuxrun  # noqa: E402
from tmuxrun import split_lines  # noqa: E402


class Resize(tmuxrun.ConsoleCase):
    def assert_drawn_at(self, width, height):
        """Waits until the frame is drawn for width x height, then checks it:
        right-aligned texts end at the new last column, the topology block
        spans the new width, the footer is there."""
        c = self.c
        counts = width >= 80  # narrower, the header has no room for its counts

        def fits():
            lines = split_lines(c.screen())
            if len(lines) != height or not lines[0].startswith(" tdectl "):
                return False
            if not lines[-1].startswith("?:help"):
                return False
            block = [ln for ln in lines if "fog-sql-prod" in ln]
            if not block or len(block[0]) != width:
                return False
            # The counts are right-aligned, with one cell of padding at the edge.
            return len(lines[1]) == width - 1 and (len(lines[0]) == width - 1 or not counts)

        c.wait_until(fits, "the frame drawn at %dx%d" % (width, height))
        lines = split_lines(c.screen())
        if counts:
            self.assertRegex(lines[0], r"\d+ CRIT +\d+ HIGH$|left to restore key access$")
        self.assertIn(" 1 Topology ", lines[1])
        self.assertRegex(lines[1], r" \d+$")
        block = [ln for ln in lines if "fog-sql-prod" in ln][0]
        self.assertRegex(block, r"^\S.*fog-sql-prod.*\S$")
        for ln in lines:
            self.assertLessEqual(len(ln), width)

    def test_01_shrink_to_80x24(self):
        self.neutral("1")
        self.c.resize(80, 24)
        self.assert_drawn_at(80, 24)
        self.c.wait_for(r"sqlmi-prod-eus2")

    def test_02_grow_to_200x50(self):
        self.neutral("1")
        self.c.resize(200, 50)
        self.assert_drawn_at(200, 50)
        # The wider footer has room for every hint again.
        self.c.wait_for(r"q:quit", where=tmuxrun.footer)

    def test_03_too_small(self):
        c = self.c
        self.neutral("1")
        c.resize(40, 10)
        c.wait_for(r"tdectl needs 60x12")
        screen = c.screen()
        self.assertNotIn("fog-sql-prod", screen)
        self.assertNotIn("?:help", screen)
        # Keys still work while it is too small: switch to the vaults view.
        c.keys("2")
        c.resize(160, 45)
        self.assert_drawn_at_view(160, 45, r"PRIV-ENDPOINTS")
        c.keys("1")
        self.assert_drawn_at(160, 45)

    def assert_drawn_at_view(self, width, height, pattern):
        self.c.wait_for(pattern)
        self.c.wait_until(lambda: len(split_lines(self.c.screen())[1]) == width - 1,
                          "the tab line's count at column %d" % (width - 2))
        self.assertEqual(len(split_lines(self.c.screen())), height)

    def test_04_minimum_size(self):
        self.neutral("1")
        self.c.resize(60, 12)
        self.assert_drawn_at(60, 12)
        self.c.resize(59, 12)
        self.c.wait_for(r"tdectl needs 60x12")
        self.c.resize(60, 11)
        self.c.wait_for(r"tdectl needs 60x12; this terminal is 60x11")
        self.c.resize(160, 45)
        self.assert_drawn_at(160, 45)

    def test_05_overlays_survive_resizes(self):
        c = self.c
        self.neutral("1")
        c.keys("?")
        c.wait_for(r"Keys \(from the keymap in use")
        for w, h in ((80, 24), (60, 12), (40, 10), (120, 30)):
            c.resize(w, h)
            if w >= 60 and h >= 12:
                c.wait_for(r"Help")
            else:
                c.wait_for(r"tdectl needs 60x12")
        c.wait_for(r"Keys \(from the keymap in use")
        c.keys("Escape")
        c.wait_gone(r"Keys \(from the keymap in use")
        # The `:` line too, with what was typed.
        c.keys(":")
        c.type("goto kv")
        c.wait_line(-1, r"^:goto kv$")
        c.resize(70, 20)
        c.wait_line(-1, r"^:goto kv$")
        self.assertEqual(len(split_lines(c.screen())), 20)
        c.keys("Escape")
        c.wait_line(-1, r"^\?:help")
        # The practice menu and the revalidate dialog.
        c.keys("P")
        c.wait_for(r"Practice")
        c.resize(100, 30)
        c.wait_for(r"vault-outage-eus2")
        c.keys("Escape")
        c.wait_gone(r"Practice:")
        c.keys("4")
        c.wait_for(r"INSTANCE")
        c.keys("V")
        c.wait_for(r"Revalidate")
        c.resize(64, 14)
        c.wait_line(-1, r"^confirm name:")
        c.keys("Escape")
        c.wait_line(-1, r"^\?:help")
        c.keys("1")
        c.resize(160, 45)
        self.assert_drawn_at(160, 45)

    def test_06_a_burst_of_resizes(self):
        c = self.c
        self.neutral("1")
        for w, h in ((100, 30), (61, 13), (170, 48), (80, 24), (30, 8), (140, 40), (90, 26)):
            c.resize(w, h)
        self.assert_drawn_at(90, 26)
        c.keys("C-l")  # a repaint changes nothing
        self.assert_drawn_at(90, 26)

    def test_99_quit(self):
        self.neutral(None)
        self.c.stop()


if __name__ == "__main__":
    unittest.main(verbosity=2)
