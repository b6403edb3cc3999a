"""tdectl info: every path and setting in use, secrets never shown.

Run with Debian's /usr/bin/python3. Environment (ctest): TDECTL.
"""

import json
import os
import subprocess
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
TDECTL = os.environ.get("TDECTL", os.path.join(HERE, "..", "..", "build", "tui", "tdectl"))
SECRET = "info-test-secret-3f9a7c"


class InfoTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="tdectl-info-")
        self.home = self.tmp.name
        os.makedirs(os.path.join(self.home, ".config", "tdectl"), mode=0o700)
        self.config = os.path.join(self.home, ".config", "tdectl", "config.json")

    def tearDown(self):
        self.tmp.cleanup()

    def info(self, *args, config=None):
        if config is not None:
            fd = os.open(self.config, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(config)
        env = {"PATH": "/usr/bin:/bin", "HOME": self.home, "AZURE_CLIENT_SECRET": SECRET,
               "AZURE_TENANT_ID": "1fc969be-ee9e-424f-9ec5-a33b1d15ab71",
               "ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", "")}
        p = subprocess.run([TDECTL, "info"] + list(args), capture_output=True, text=True,
                           env=env, timeout=60)
        self.assertNotIn(SECRET, p.stdout + p.stderr)
        self.assertNotIn("AddressSanitizer", p.stderr)
        return p

    def test_paths_options_environment(self):
        p = self.info(config=json.dumps({
            "subscriptions": ["558aba93-77f9-4064-aa55-4db325ca1cbf"], "read_only": True,
            "poll": {"health_seconds": 120}}))
        self.assertEqual(p.returncode, 0, p.stdout)
        out = p.stdout
        self.assertIn(self.config, out)  # the XDG default under HOME
        self.assertIn(os.path.join(self.home, ".config", "tdectl", "keymap.json"), out)
        self.assertIn(os.path.join(self.home, ".local", "state", "tdectl", "history"), out)
        for name in ("wizards", "backups", "transcripts", "audit.jsonl"):
            self.assertIn(os.path.join(self.home, ".local", "state", "tdectl", name), out)
        self.assertIn(os.path.join(self.home, ".local", "state", "tdectl", "snapshot.json"), out)
        lines = {l.split()[0]: l for l in out.splitlines() if l.startswith("  ") and l.split()}
        self.assertNotIn("(default)", lines["read_only"])
        self.assertIn("true", lines["read_only"])
        self.assertIn("120", lines["poll.health_seconds"])
        self.assertIn("(default)", lines["poll.probe_seconds"])
        self.assertIn("(set; not shown)", lines["AZURE_CLIENT_SECRET"])
        self.assertIn("1fc969be-ee9e-424f-9ec5-a33b1d15ab71", lines["AZURE_TENANT_ID"])
        self.assertIn("(not set)", lines["TDECTL_CONFIG"])

    def test_explicit_config_and_errors(self):
        p = self.info("--config", os.path.join(self.home, "nowhere.json"))
        self.assertEqual(p.returncode, 1)
        self.assertIn("could not be read", p.stdout)
        self.assertIn("nowhere.json", p.stdout)  # still shows where it looked
        self.assertIn("state folder", p.stdout)
        p = self.info(config='{"pol": {}}')
        self.assertEqual(p.returncode, 1)
        self.assertIn("pol", p.stdout)
        self.assertEqual(self.info("--bogus").returncode, 2)
        self.assertEqual(self.info("extra").returncode, 2)


if __name__ == "__main__":
    unittest.main()
