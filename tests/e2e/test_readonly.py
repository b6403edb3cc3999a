#!/usr/bin/python3
"""e2e: --read-only offers nothing that changes Azure (badge, help, V, the
`:revalidate` command); write mode shows [WRITE] and V opens the typed
confirmation, which Esc, C-c and a wrong name all leave unconfirmed. Nothing
here ever confirms a revalidate."""

import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tmuxrun  # noqa: E402
from tmuxrun import footer, header  # noqa: E402


def whole_help(c):
    """The help overlay's text from its top to its end (it scrolls)."""
    c.keys("?")
    c.wait_for(r"Keys \(from the keymap in use")
    screen = text = c.screen()
    for _ in range(10):
        if "Filter (/)" in screen:
            break
        c.keys("NPage")
        time.sleep(0.2)
        screen = c.screen()
        text += screen
    c.keys("End")
    c.wait_for(r"Filter \(/\)")
    text += c.screen()
    c.keys("Escape")
    c.wait_gone(r"Keys \(from the keymap in use|Esc closes")
    return text


class ReadOnly(tmuxrun.ConsoleCase):
    ARGS = ("--demo", "--read-only")

    def test_01_badge(self):
        self.neutral("1")
        head = header(self.c.screen())
        self.assertIn("[READ-ONLY]", head)
        self.assertNotIn("[WRITE]", head)

    def test_02_help_offers_no_revalidate(self):
        self.neutral("1")
        text = whole_help(self.c)
        self.assertNotIn("revalidate", text)
        self.assertNotIn("resume [N|GROUP]", text)  # the commands that write are not listed
        self.assertIn("rotate GROUP [vault|offline|file] [FILE]", text)  # plans still are
        self.assertIn("[READ-ONLY]: nothing that changes Azure is offered", text)
        self.assertRegex(text, r"\s+P\s+practice\s")  # the demo's actions still are

    def test_03_V_is_not_offered(self):
        c = self.c
        self.neutral("4")
        c.wait_for(r"KEY ACCESS NOW")
        c.keys("V")
        c.wait_for(r"read-only: revalidate is not offered \(start without --read-only\)",
                   where=footer)
        self.assertNotIn("Revalidate the TDE protector", c.screen())
        self.assertNotIn("confirm name:", c.screen())

    def test_04_revalidate_command_refused(self):
        c = self.c
        self.neutral("4")
        c.command("revalidate sqlmi-prod-eus2")
        c.wait_for(r"read-only: revalidate is not offered", where=footer)
        self.assertNotIn("Revalidate the TDE protector", c.screen())
        # Nothing was sent: the activity log has no revalidate call.
        c.keys("6")
        c.wait_for(r"REQUEST ID")
        c.keys("/")
        c.type("revalidate")
        c.wait_line(1, r" /revalidate/ 0 of \d+$")
        c.keys("Escape")

    def test_99_quit(self):
        self.neutral(None)
        self.c.stop()


class WriteMode(tmuxrun.ConsoleCase):
    def test_01_badge(self):
        self.neutral("1")
        head = header(self.c.screen())
        self.assertIn("[WRITE]", head)
        self.assertNotIn("[READ-ONLY]", head)

    def test_02_help_offers_revalidate(self):
        self.neutral("1")
        text = whole_help(self.c)
        self.assertRegex(text, r"\s+V\s+revalidate\s")
        self.assertIn("revalidate INSTANCE", text)

    def open_dialog(self):
        c = self.c
        self.neutral("4")
        c.wait_for(r"KEY ACCESS NOW")
        c.keys("Home")
        c.wait_for(r"Databases of sqlmi-prod-eus2 ")
        c.keys("V")
        c.wait_for(r"Revalidate the TDE protector")
        screen = c.screen()
        self.assertIn("Type the instance name", screen)
        self.assertIn("(sqlmi-prod-eus2) to confirm", screen)
        self.assertRegex(screen, r"encryptionProtector/current/revalidate")
        # The safe button has the focus.
        self.assertRegex(screen, r"\[ Cancel \]\s+Revalidate")
        c.wait_line(-1, r"^confirm name:")

    def test_03_V_opens_the_typed_confirmation_Esc_cancels(self):
        c = self.c
        self.open_dialog()
        c.keys("Escape")
        c.wait_gone(r"Revalidate the TDE protector")
        c.wait_line(-1, r"^\?:help")
        self.assertNotRegex(footer(c.screen()), r"revalidate sent")

    def test_04_C_c_cancels_too(self):
        c = self.c
        self.open_dialog()
        c.keys("C-c")
        c.wait_gone(r"Revalidate the TDE protector")
        self.assertFalse(c.exited())

    def test_05_a_wrong_name_does_not_confirm(self):
        c = self.c
        self.open_dialog()
        c.type("sqlmi-prod-cus")  # the other instance's name
        c.wait_line(-1, r"^confirm name: sqlmi-prod-cus$")
        c.keys("Tab")
        c.wait_for(r"Cancel\s+\[ Revalidate \]")
        c.keys("Enter")
        c.wait_gone(r"Revalidate the TDE protector")
        c.wait_for(r"not confirmed: the name typed was not sqlmi-prod-eus2", where=footer)
        # Nothing was sent.
        c.keys("6")
        c.wait_for(r"REQUEST ID")
        c.keys("/")
        c.type("revalidate")
        c.wait_line(1, r" /revalidate/ 0 of \d+$")
        c.keys("Escape")

    def test_06_revalidate_command_opens_the_dialog(self):
        c = self.c
        self.neutral("1")
        c.command("revalidate sqlmi-prod-cus")
        c.wait_for(r"Revalidate the TDE protector")
        self.assertIn("(sqlmi-prod-cus) to confirm", c.screen())
        c.keys("Escape")
        c.wait_gone(r"Revalidate the TDE protector")
        c.command("revalidate no-such-instance")
        c.wait_for(r"no instance named no-such-instance", where=footer)

    def test_99_quit(self):
        self.neutral(None)
        self.c.stop()


if __name__ == "__main__":
    unittest.main(verbosity=2)
