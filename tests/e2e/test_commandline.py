#!/usr/bin/python3
"""e2e: the `:` command line (Tab completion of commands and names, goto,
unknown commands), theme switching, and the command history, which outlives
the process (it is saved in $XDG_STATE_HOME/tdectl/history)."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tmuxrun  # noqa: E402
from tmuxrun import footer, header, split_lines  # noqa: E402


def above_footer(screen):
    """The line above the `:` line, where candidates and errors show."""
    return split_lines(screen)[-2]


class CommandLine(tmuxrun.ConsoleCase):
    def open_line(self):
        self.c.keys(":")
        self.c.wait_line(-1, r"^:$")

    def test_01_complete_command_name(self):
        c = self.c
        self.neutral("1")
        self.open_line()
        c.type("the")
        c.wait_input(":the")
        c.keys("Tab")
        # One match: the word completes and a space follows for the argument.
        c.wait_input(":theme ")
        # Tab on the argument lists the themes.
        c.keys("Tab")
        c.wait_for(r"default dark light high-contrast mono", where=above_footer)
        c.type("hi")
        c.keys("Tab")
        c.wait_input(":theme high-contrast ")
        c.keys("Escape")
        c.wait_line(-1, r"^\?:help")
        # Several matches: the common prefix, and the candidates above the line.
        self.open_line()
        c.type("pa")
        c.keys("Tab")
        c.wait_for(r"page-up|page-down|pause", where=above_footer)
        c.keys("C-u")
        c.type("zzz")
        c.keys("Tab")
        c.wait_for(r"no completion", where=above_footer)
        c.keys("Escape")
        c.wait_line(-1, r"^\?:help")

    def test_02_goto_completes_and_jumps(self):
        c = self.c
        self.neutral("1")
        self.open_line()
        c.type("goto kv-tde-c")
        c.keys("Tab")
        c.wait_input(":goto kv-tde-cus ")
        c.keys("Enter")
        c.wait_for(r"PRIV-ENDPOINTS")  # the vaults view ...
        self.assertEqual(c.copy_selected(), "kv-tde-cus")  # ... with the vault selected
        c.command("goto sqlmi-prod-cus")
        c.wait_for(r"KEY ACCESS NOW")
        c.wait_for(r"Databases of sqlmi-prod-cus ")
        c.command("goto fog-sql-prod")
        c.wait_for(r"fog-sql-prod\W.*failover, grace")
        c.command("goto no-such-thing")
        c.wait_for(r"nothing named no-such-thing", where=footer)

    def test_03_unknown_command(self):
        c = self.c
        self.neutral("1")
        c.command("frobnicate now")
        c.wait_for(r"unknown command: frobnicate now", where=footer)
        self.assertFalse(c.exited())

    def test_04_themes(self):
        c = self.c
        self.neutral("1")
        c.command("theme mono")
        c.wait_for(r"theme mono", where=footer)
        # The footer's message and the header's repaint may reach the pane apart: wait for
        # the header itself (under load the test read it in between, 1 run in the suite).
        c.wait_until(lambda: not tmuxrun.has_colour(split_lines(c.styled())[0]),
                     "the mono theme draws the header without colour")
        c.command("theme light")
        c.wait_for(r"theme light", where=footer)
        c.wait_until(lambda: tmuxrun.has_colour(split_lines(c.styled())[0]),
                     "the light theme draws the header in colour")
        c.command("theme no-such-theme")
        c.wait_for(r"theme no-such-theme not found", where=footer)
        # The theme in use stays.
        self.assertTrue(tmuxrun.has_colour(split_lines(c.styled())[0]))
        c.command("theme default")
        c.wait_for(r"theme default", where=footer)
        self.assertRegex(header(c.screen()), r"tdectl demo \(azsim\) \[WRITE\] \[DEMO\]")

    def test_05_history(self):
        c = self.c
        self.neutral("1")
        c.command("goto kv-tde-eus2")
        c.wait_for(r"PRIV-ENDPOINTS")
        c.command("topology")
        c.wait_for(r"fog-sql-prod\W.*failover, grace")
        self.open_line()
        c.keys("Up")
        c.wait_input(":topology")
        c.keys("Up")
        c.wait_input(":goto kv-tde-eus2")
        c.keys("Down")
        c.wait_input(":topology")
        c.keys("Escape")
        c.wait_line(-1, r"^\?:help")
        history = os.path.join(c.home, ".local", "state", "tdectl", "history")
        self.assertTrue(os.path.exists(history), "no history file at " + history)
        self.assertEqual(os.stat(history).st_mode & 0o777, 0o600)

    def test_06_history_survives_a_restart(self):
        first = self.c
        first.stop()
        again = tmuxrun.Console(self.WIDTH, self.HEIGHT, home=first.home)
        try:
            again.start(self.ARGS, term=self.TERM)
            again.wait_for(r"fog-sql-prod", 90)
            again.keys(":")
            again.wait_line(-1, r"^:$")
            again.keys("Up")
            again.wait_input(":topology")
            again.keys("Up")
            again.wait_input(":goto kv-tde-eus2")
            again.keys("Enter")
            again.wait_for(r"PRIV-ENDPOINTS")
            again.stop()
        finally:
            again.cleanup()


if __name__ == "__main__":
    unittest.main(verbosity=2)
