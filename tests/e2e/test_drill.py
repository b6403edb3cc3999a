#!/usr/bin/python3
"""e2e: a vault outage injected in azsim (`:practice vault-outage-eus2`) shows
on the topology within a poll cycle, with the right what-if and key-access
lines and findings; q asks while the drill is active; clearing it brings the
vault back; quitting through the dialog ends cleanly."""

import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tmuxrun  # noqa: E402
from tmuxrun import footer, header, split_lines  # noqa: E402

# The demo probes vaults every 5 s and reads health every 10 s; the brief
# allows one cycle and some slack, a loaded machine a little more.
POLL_CYCLE = 25


def topology_sides(screen):
    """The text of the left (primary) and right (secondary) halves of the
    first failover group block on the topology view."""
    lines = split_lines(screen)
    head = [ln for ln in lines if "PRIMARY" in ln and "SECONDARY" in ln]
    if not head:
        return "", ""
    cut = head[0].index("SECONDARY") - 1  # the separator column is just before it
    start = lines.index(head[0])
    left, right = [], []
    for ln in lines[start:start + 9]:
        left.append(ln[:cut])
        right.append(ln[cut:])
    return "\n".join(left), "\n".join(right)


def left(screen):
    return topology_sides(screen)[0]


def right(screen):
    return topology_sides(screen)[1]


class Drill(tmuxrun.ConsoleCase):
    def test_01_healthy_first(self):
        c = self.c
        self.neutral("1")
        c.wait_for(r"primary\s+kv-tde-eus2 UP", where=left)
        c.wait_for(r"what-if kv-tde-eus2 down: stays online via kv-tde-cus", where=left)
        c.wait_for(r"what-if kv-tde-cus down: stays online via kv-tde-eus2", where=right)
        c.wait_for(r"key access now: ok via kv-tde-eus2", where=left)
        self.assertNotIn("[PRACTICE", header(c.screen()))

    def test_02_outage_shows_within_a_poll_cycle(self):
        c = self.c
        self.neutral("1")
        c.command("practice vault-outage-eus2")
        started = time.monotonic()
        c.wait_for(r"drill started: kv-tde-eus2 turns unreachable", where=footer)
        c.wait_for(r"\[PRACTICE: Vault outage: kv-tde-eus2 unreachable\]", where=header)
        c.wait_for(r"kv-tde-eus2 DOWN", timeout=POLL_CYCLE)
        seen = time.monotonic() - started
        sys.stderr.write("\n  kv-tde-eus2 DOWN on the topology %.1f s after the drill\n" % seen)
        # Both sides name the vault down, as primary (left) and secondary (right).
        c.wait_for(r"primary\s+kv-tde-eus2 DOWN", where=left, timeout=POLL_CYCLE)
        c.wait_for(r"secondary\s+kv-tde-eus2 DOWN", where=right, timeout=POLL_CYCLE)
        # eus2 reaches its key through the other vault ...
        c.wait_for(r"key access now: kv-tde-eus2 down, FALLBACK via kv-tde-cus", where=left,
                   timeout=POLL_CYCLE)
        # ... and the secondary would lose it if its own primary vault went down too.
        c.wait_for(r"what-if kv-tde-cus down: INACCESSIBLE", where=right, timeout=POLL_CYCLE)
        c.wait_for(r"key access now: ok via kv-tde-cus", where=right)

    def test_03_findings_name_the_vault(self):
        c = self.c
        self.neutral("5")
        c.wait_for(r"SEV +RULE +SUBJECT +FINDING")
        c.wait_for(r"^(CRIT|HIGH|MED)\S*( stale)? +\S+ +vault kv-tde-eus2 +\S", timeout=POLL_CYCLE)
        self.assertRegex(split_lines(c.screen())[1], r" 5 Findings [1-9]")
        self.assertNotRegex(c.screen(), r"(?m)^\S+( stale)? +\S+ +vault kv-tde-cus ")
        # The selected finding's detail (the first, most severe) is about the vault.
        c.keys("Home")
        c.wait_for(r"[|\u2502] (CRIT|HIGH|MED)\S*( stale)? +\S+ +vault kv-tde-eus2: ")

    def test_04_other_views_agree(self):
        c = self.c
        self.neutral("4")
        c.wait_for(r"^sqlmi-prod-eus2 .*FALLBACK via kv-tde-c", timeout=POLL_CYCLE)
        c.wait_for(r"^sqlmi-prod-cus .*ok via kv-tde-cus")
        c.keys("2")
        c.wait_for(r"^kv-tde-eus2 +eastus2 +DOWN", timeout=POLL_CYCLE)
        c.wait_for(r"^kv-tde-cus +\S+ +UP")

    def test_05_q_asks_while_a_drill_is_active(self):
        c = self.c
        self.neutral("1")
        c.keys("q")
        c.wait_for(r"Quit tdectl\?")
        c.wait_for(r"a practice drill is active")
        c.wait_for(r"\[ Stay \]\s+Quit")  # the safe button first
        c.keys("Tab")
        c.wait_for(r"Stay\s+\[ Quit \]")
        c.keys("Tab")
        c.wait_for(r"\[ Stay \]\s+Quit")
        c.keys("Enter")  # Stay
        c.wait_gone(r"Quit tdectl\?")
        c.wait_for(r"fog-sql-prod")
        self.assertFalse(c.exited())
        # Esc is Stay too.
        c.keys("q")
        c.wait_for(r"Quit tdectl\?")
        c.keys("Escape")
        c.wait_gone(r"Quit tdectl\?")
        self.assertFalse(c.exited())

    def test_06_clear_brings_the_vault_back(self):
        c = self.c
        self.neutral("1")
        c.command("practice clear")
        c.wait_for(r"practice cleared", where=footer)
        c.wait_gone(r"\[PRACTICE", where=header)
        c.wait_for(r"primary\s+kv-tde-eus2 UP", where=left, timeout=POLL_CYCLE)
        c.wait_for(r"secondary\s+kv-tde-eus2 UP", where=right, timeout=POLL_CYCLE)
        c.wait_for(r"key access now: ok via kv-tde-eus2", where=left, timeout=POLL_CYCLE)
        c.wait_for(r"what-if kv-tde-cus down: stays online via kv-tde-eus2", where=right,
                   timeout=POLL_CYCLE)

    def test_07_practice_menu_and_quit_through_the_dialog(self):
        c = self.c
        self.neutral("1")
        c.keys("P")
        c.wait_for(r"Practice: rehearse an incident on the demo")
        c.wait_for(r"vault-outage-eus2 +Vault outage: kv-tde-eus2 unreachable")
        c.wait_for(r"entra-outage")
        c.keys("Home")
        c.wait_for(r"Watch for: kv-tde-eus2 turns unreachable")
        c.keys("j")
        c.wait_for(r"Watch for: kv-tde-cus turns unreachable")
        c.keys("Enter")  # the second drill: kv-tde-cus
        c.wait_gone(r"Practice: rehearse an incident")
        c.wait_for(r"\[PRACTICE: Vault outage: kv-tde-cus unreachable\]", where=header)
        c.wait_for(r"primary\s+kv-tde-cus DOWN", where=right, timeout=POLL_CYCLE)
        # q asks; Tab to Quit, Enter: tdectl ends (clearing the drill) with status 0.
        c.keys("q")
        c.wait_for(r"Quit tdectl\?")
        c.keys("Tab")
        c.wait_for(r"Stay\s+\[ Quit \]")
        c.keys("Enter")
        c.stop(quit_keys=())


if __name__ == "__main__":
    unittest.main(verbosity=2)
