#!/usr/bin/python3
"""e2e: tdectl --demo --wall: every failover group as a tile with its status in
large letters, read-only, nothing actionable; an incident injected in azsim
turns the tile CRITICAL and the countdown shows; clearing it brings it back."""

import glob
import json
import os
import sys
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tmuxrun  # noqa: E402
from tmuxrun import footer, header  # noqa: E402


def control(c, method, path, body=None):
    """azsim's control interface, found through the demo's ready file in the console's TMPDIR."""
    ready = glob.glob(os.path.join(c.tmp, "tdectl-demo-*", "ready.json"))
    assert ready, "the demo's ready file is not in " + c.tmp
    with open(ready[0]) as f:
        info = json.load(f)
    req = urllib.request.Request(
        "http://127.0.0.1:%d%s" % (info["control_port"], path), method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": "Bearer " + info["control_token"],
                 "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read() or b"null")


class Wall(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.c = tmuxrun.Console(160, 45)
        try:
            cls.c.start(("--demo", "--wall"))
            cls.c.wait_for("fog-sql-prod", 90)
            cls.c.wait_for(r"O K", 90)
        except BaseException:
            cls.c.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.c.cleanup()

    def test_01_tile_and_mode(self):
        c = self.c
        screen = c.screen()
        self.assertIn("[READ-ONLY]", header(screen))
        self.assertRegex(screen, r"eastus2\s+sqlmi-prod-eus2\s+ok")
        self.assertRegex(screen, r"centralus\s+sqlmi-prod-cus\s+ok")
        self.assertRegex(screen, r"kv-tde-eus2 UP\s+kv-tde-cus UP")
        hints = footer(screen)
        self.assertIn("help", hints)
        self.assertIn("quit", hints)
        self.assertNotIn("refresh", hints)
        self.assertNotIn("practice", hints)

    def test_02_nothing_actionable(self):
        c = self.c
        for key in ("4", "V", "P", ":", "r"):
            c.keys(key)
            c.wait_for(r"wall screen: view only", where=footer)
            c.keys("C-c")
        self.assertNotIn("Practice: rehearse", c.screen())
        self.assertRegex(c.screen(), r"O K")

    def test_03_incident_turns_the_tile(self):
        c = self.c
        ids = [control(c, "POST", "/faults", {"kind": "refused", "target": "vault:" + v})["id"]
               for v in ("kv-tde-eus2", "kv-tde-cus")]
        try:
            c.wait_for(r"C R I T I C A L|U N K N O W N", 60)
            c.wait_for(r"kv-tde-eus2 DOWN", 60)
        finally:
            for fid in ids:
                control(c, "DELETE", "/faults/" + fid)
        c.wait_for(r"kv-tde-eus2 UP\s+kv-tde-cus UP", 60)

    def test_99_quit(self):
        self.c.stop()


if __name__ == "__main__":
    unittest.main()
