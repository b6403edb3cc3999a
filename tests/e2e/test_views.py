#!/usr/bin/python3
"""e2e: the six views, the instances view's panels, moving the selection, the
filter line, the help overlay and C-c, on one `tdectl --demo` at 160x45."""

import os
import re
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tmuxrun  # noqa: E402
from tmuxrun import footer, split_lines, tabline  # noqa: E402

SRC = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))

SGR = re.compile(r"\x1b\[[0-9;]*m")


def keymap_action_names():
    """The action names of tui/keymap.c's table, in order."""
    with open(os.path.join(SRC, "tui", "keymap.c")) as f:
        text = f.read()
    table = text[text.index("actions[] = {"):text.index("#define NACTIONS")]
    names = re.findall(r'\{ACT_[A-Z_]+,\s*"([a-z-]+)"', table)
    assert len(names) > 20, "keymap.c's table was not understood: %r" % names
    return names


def help_rows(screen):
    """(keys, name) of each action row the help box shows."""
    rows = []
    for line in split_lines(screen):
        m = re.search(r"[|\u2502] {3}(\S.{13}) ([a-z][a-z-]*) +\S", line)
        if m:
            rows.append((m.group(1).strip(), m.group(2)))
    return rows


TITLES = ["Topology", "Vaults", "Keys", "Instances", "Findings", "Activity"]


def selected_tabs(styled_tabline):
    """The tabs drawn in a style of their own (the current view's)."""
    styles = {}
    for n, title in enumerate(TITLES, 1):
        styles.setdefault(tmuxrun.style_at(styled_tabline, " %d %s" % (n, title)), []).append(title)
    return [titles[0] for titles in styles.values() if len(titles) == 1]


class Views(tmuxrun.ConsoleCase):
    VIEWS = [
        # key, tab title, the view's distinctive header, what its rows show
        ("2", "Vaults", r"VAULT +REGION +HEALTH .*PRIV-ENDPOINTS", [r"^kv-tde-eus2 ", r"^kv-tde-cus "]),
        ("3", "Keys", r"KEY +A VERSION +A STATE +MATCH +B VERSION", [r"tde-protector-2025",
                                                                     r"tde-protector-2024"]),
        ("4", "Instances", r"INSTANCE +REGION +ROLE .*KEY ACCESS NOW",
         [r"^sqlmi-prod-eus2 +eastus2 +primary", r"^sqlmi-prod-cus +centr\S* +secondary"]),
        ("5", "Findings", r"SEV +RULE +SUBJECT +FINDING", [r"Selected finding"]),
        ("6", "Activity", r"METHOD +RESOURCE +STATUS .*REQUEST ID", [r"\d+ calls: \d+ ok"]),
        ("1", "Topology", r"fog-sql-prod\W.*failover, grace \d+m", [r"PRIMARY +eastus2", r"SECONDARY +centralus",
                                            r"sqlmi-prod-eus2 +Ready"]),
    ]

    def test_01_every_view(self):
        c = self.c
        distinctive = [v[2] for v in self.VIEWS]
        for key, title, head, rows in self.VIEWS:
            with self.subTest(view=title):
                c.keys(key)
                c.wait_for(head)
                for row in rows:
                    c.wait_for(row)
                screen = c.screen()
                for other in distinctive:
                    if other != head:
                        self.assertIsNone(re.search(other, screen),
                                          "%s's header on the %s view" % (other, title))
                # The current view's tab is the one drawn differently.
                styled_tabs = split_lines(c.styled())[1]
                tabs = selected_tabs(styled_tabs)
                self.assertEqual(tabs, [title], repr(styled_tabs))

    def test_02_views_by_command(self):
        c = self.c
        self.neutral("1")
        c.command("keys")
        c.wait_for(r"A VERSION")
        c.command("topology")
        c.wait_for(r"fog-sql-prod")

    def test_03_instances_panels(self):
        c = self.c
        self.neutral("4")
        c.wait_for(r"KEY ACCESS NOW")
        c.keys("Home")
        c.wait_for(r"Databases of sqlmi-prod-eus2 ")

        def title(styled):
            return [ln for ln in split_lines(styled) if "Databases of" in ln][0]

        def row(styled, name):
            return [ln for ln in split_lines(styled) if SGR.sub("", ln).startswith(name)][0]

        before = c.styled()
        # Tab: the databases take the focus (their title is drawn focused) ...
        c.keys("Tab")
        c.wait_until(lambda: title(c.styled()) != title(before), "the databases take the focus")
        focused = c.styled()
        # ... so j moves the database selection, not the instance.
        c.keys("j")
        c.wait_until(lambda: row(c.styled(), "inventory") != row(focused, "inventory"),
                     "j selects the second database")
        self.assertIn("Databases of sqlmi-prod-eus2 ", c.screen())
        # S-Tab gives the focus back to the instances: j now selects the other one.
        c.keys("BTab")
        c.wait_until(lambda: title(c.styled()) == title(before), "the instances take the focus")
        c.keys("j")
        c.wait_for(r"Databases of sqlmi-prod-cus ")
        self.assertIn("sqlmi-prod-cus", c.copy_selected())
        c.keys("k")
        c.wait_for(r"Databases of sqlmi-prod-eus2 ")
        self.assertIn("/managedInstances/sqlmi-prod-eus2", c.copy_selected())

    def test_04_moving_the_selection(self):
        """j/k/PgDn/PgUp/Home/End/g/G on the activity log, frozen by Z so rows stay put."""
        c = self.c
        self.neutral("6")
        c.wait_for(r"REQUEST ID")
        # More rows than one page, so PgDn and End mean something.
        c.wait_until(lambda: int(tabline(c.screen()).split()[-1]) >= 60,
                     "60 entries in the activity log", timeout=120)
        c.keys("Z")
        c.wait_for(r"\[PAUSED\]")
        top = 5  # header, tabs, the counts line, the sign-in line, the column titles

        def on_line(text, n):
            # The request id column is cut ("fcab9bd1-f285-4afe-a657-..."): its start shows.
            return text[:18] in c.lines()[n]

        c.keys("Home")
        first = c.copy_selected()
        self.assertTrue(on_line(first, top), (first, c.screen()))
        c.keys("j")
        second = c.copy_selected()
        self.assertNotEqual(first, second)
        self.assertTrue(on_line(second, top + 1), (second, c.screen()))
        c.keys("k")
        self.assertEqual(c.copy_selected(), first)
        c.keys("End")
        last = c.copy_selected()
        self.assertNotIn(last, (first, second))
        self.assertTrue(on_line(last, self.HEIGHT - 2), (last, c.screen()))
        c.keys("g")
        self.assertEqual(c.copy_selected(), first)
        c.keys("G")
        self.assertEqual(c.copy_selected(), last)
        c.keys("Home")
        c.keys("NPage")
        paged = c.copy_selected()
        self.assertNotIn(paged, (first, second, last))
        self.assertTrue(any(paged[:18] in ln for ln in c.lines()[top:-1]), c.screen())
        self.assertFalse(on_line(first, top), "PgDn did not scroll: " + c.screen())
        c.keys("PPage")
        self.assertEqual(c.copy_selected(), first)
        c.keys("Z")
        c.wait_gone(r"\[PAUSED\]")

    def test_05_filter(self):
        c = self.c
        self.neutral("2")
        c.wait_for(r"PRIV-ENDPOINTS")
        c.wait_line(1, r" 2$")
        # A pattern narrows the rows as it is typed; Enter keeps it.
        c.keys("/")
        c.wait_line(-1, r"^/")
        c.type("eus2")
        c.wait_line(1, r" /eus2/ 1 of 2$")
        c.keys("Enter")
        c.wait_line(-1, r"^\?:help")
        screen = c.screen()
        self.assertRegex(screen, r"(?m)^kv-tde-eus2 ")
        self.assertNotRegex(screen, r"(?m)^kv-tde-cus ")
        # A leading ! inverts.
        c.keys("/")
        c.wait_line(-1, r"^/eus2")
        c.keys("C-u")
        c.type("!eus2")
        c.wait_line(1, r" /!eus2/ 1 of 2$")
        c.keys("Enter")
        c.wait_line(-1, r"^\?:help")
        screen = c.screen()
        self.assertRegex(screen, r"(?m)^kv-tde-cus ")
        self.assertNotRegex(screen, r"(?m)^kv-tde-eus2 ")
        # A regex works too.
        c.keys("/")
        c.keys("C-u")
        c.type("^kv-tde-(e|x)")
        c.wait_line(1, re.escape(" /^kv-tde-(e|x)/ 1 of 2") + "$")
        c.wait_gone(r"(?m)^kv-tde-cus ")
        # A bad regex says so and keeps the last good filter, typed or entered.
        c.keys("C-u")
        c.type("!eus2")
        c.wait_line(1, r" /!eus2/ 1 of 2$")
        c.type("[")
        c.wait_for(r"Invalid regular expression|brackets|unmatched|[Bb]ad", where=lambda s:
                   split_lines(s)[-2])
        self.assertRegex(tabline(c.screen()), r" /!eus2/ 1 of 2$")
        c.keys("Enter")
        c.wait_line(-1, r"^\?:help")
        c.wait_for(r"Invalid regular expression|brackets|unmatched|[Bb]ad", where=footer)
        self.assertRegex(tabline(c.screen()), r" /!eus2/ 1 of 2$")
        # Esc in the line restores the filter it opened with.
        c.keys("/")
        c.keys("C-u")
        c.wait_line(1, r" 2$")
        c.keys("Escape")
        c.wait_line(1, r" /!eus2/ 1 of 2$")
        # Esc in the view clears it.
        c.keys("Escape")
        c.wait_line(1, r" 2$")
        c.wait_for(r"filter cleared", where=footer)
        c.wait_for(r"(?m)^kv-tde-eus2 ")
        c.wait_for(r"(?m)^kv-tde-cus ")

    def test_06_help(self):
        c = self.c
        self.neutral("1")
        c.keys("?")
        c.wait_for(r"Keys \(from the keymap in use")
        seen = help_rows(c.screen())
        for _ in range(10):  # page through: 160x45 does not hold it all
            c.keys("NPage")
            time.sleep(0.2)
            seen += help_rows(c.screen())
            if "Filter (/)" in c.screen():
                break
        c.keys("End")
        c.wait_for(r"Filter \(/\)")
        seen += help_rows(c.screen())
        names = {name for _, name in seen}
        for name in keymap_action_names():
            self.assertIn(name, names, "help lacks the action %s" % name)
        keys = dict((name, k) for k, name in seen)
        self.assertEqual(keys["practice"], "P")
        self.assertEqual(keys["quit"], "q")
        self.assertEqual(keys["cancel"], "C-c")
        self.assertIn("revalidate INSTANCE", c.screen())
        # The command line's section is the commands table itself: syntax, then what it does.
        self.assertRegex(c.screen(), r"restore-test FILE VAULT +the restore screen, as a test")
        self.assertRegex(c.screen(), r"practice \[ID\|clear\] +start a practice drill")
        c.keys("Home")
        c.wait_for(r"Keys \(from the keymap in use")
        c.keys("Escape")
        c.wait_gone(r"Keys \(from the keymap in use|Esc closes")
        c.wait_for(r"fog-sql-prod")

    def test_07_ctrl_c_never_quits(self):
        c = self.c
        self.neutral("1")
        c.keys("C-c")
        c.wait_for(r"C-c never quits: press q to quit", where=footer)
        self.assertFalse(c.exited())
        # In a prompt it cancels the prompt.
        c.keys(":")
        c.type("the")
        c.wait_line(-1, r"^:the")
        c.keys("C-c")
        c.wait_line(-1, r"^\?:help")
        c.keys("?")
        c.wait_for(r"Keys \(from the keymap in use")
        c.keys("C-c")
        c.wait_gone(r"Keys \(from the keymap in use")
        c.keys("C-c")
        c.wait_for(r"C-c never quits", where=footer)
        c.wait_for(r"fog-sql-prod")
        self.assertFalse(c.exited())

    # With a message pending ("copied ..."), opening the `:` line draws the
    # message on the line above it; the view's row under it must not show through.
    def test_08_message_above_the_command_line_is_clean(self):
        c = self.c
        self.neutral("6")
        c.wait_for(r"REQUEST ID")
        c.wait_until(lambda: int(tabline(c.screen()).split()[-1]) >= 60,
                     "60 entries in the activity log", timeout=120)
        c.keys("Home")
        copied = c.copy_selected()
        c.wait_for(re.escape("copied " + copied), where=footer)
        c.keys(":")
        c.wait_line(-1, r"^:$")
        above = split_lines(c.screen())[-2]
        c.keys("Escape")
        c.wait_line(-1, r"^\?:help")
        # Either the message alone, or no message at all (a table row).
        if "copied" in above:
            self.assertEqual(above.rstrip(), "copied " + copied)

    def test_99_quit(self):
        self.neutral(None)
        self.c.stop()


if __name__ == "__main__":
    unittest.main(verbosity=2)
