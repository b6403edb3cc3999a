"""tdectl backup and tdectl restore against azsim (the demo estate): a group's
keys backed up to verified files (0600 in a 0700 folder); --verify and --list;
tampered and truncated files refused with exit 4 before any request; a restore
plan that changes nothing; a restore test into the scratch vault; the same
restore again, and one into the West Europe vault, refused with exit 1 (the
latter without a single request to that vault); a copy whose fingerprints
differ from its file is exit 4; read-only mode refuses with exit 1; usage
errors exit 3. No client secret and no blob bytes in stdout, stderr, the
journals, the transcripts or the audit log.

Run with Debian's /usr/bin/python3. Environment (ctest): TDECTL and AZSIM, the
binaries under test.
"""

import glob
import hashlib
import json
import os
import stat
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "pylib"))
import azsim  # noqa: E402

ROOT = os.path.join(HERE, "..", "..")
TDECTL = os.environ.get("TDECTL", os.path.join(ROOT, "build", "tui", "tdectl"))
DEMO = os.path.join(ROOT, "sim", "scenarios", "demo.json")

TENANT = "1fc969be-ee9e-424f-9ec5-a33b1d15ab71"
SUBSCRIPTION = "558aba93-77f9-4064-aa55-4db325ca1cbf"
OPERATOR_ID = "7d248692-5828-4a0d-ae0c-8333f4a54257"
OPERATOR_SECRET = "demo-operator-dsWtHlPD2JMSTgzJ8QjRa9BXYmxbV4O3"
PROTECTOR = "tde-protector-2025"
SCRATCH = "kv-tde-scratch-eus2"
WEU = "kv-tde-weu"


def canonical_sha256(doc):
    """The sha256 member of a backup file (core/bkfile.h: compact JSON without it)."""
    body = {k: v for k, v in doc.items() if k != "sha256"}
    return hashlib.sha256(json.dumps(body, separators=(",", ":")).encode()).hexdigest()


class BackupCliTest(unittest.TestCase):
    outputs = []  # every stdout and stderr, for the secret check at the end

    @classmethod
    def setUpClass(cls):
        cls.sim = azsim.Azsim(DEMO).start()
        cls.tmp = tempfile.TemporaryDirectory(prefix="tdectl-backup-")
        cls.config = os.path.join(cls.tmp.name, "config.json")
        info = cls.sim.info
        config = {
            "cloud": "custom",
            "endpoints": {"authority": info["authority"], "arm": info["management_resource"],
                          "vault_resource": info["vault_resource"]},
            "ca_file": os.path.abspath(cls.sim.ca_file),
            "auth": {"mode": "secret", "tenant_id": TENANT, "client_id": OPERATOR_ID},
            "subscriptions": [SUBSCRIPTION],
            "read_only": False,
        }
        with open(cls.config, "w") as f:
            json.dump(config, f)
        os.chmod(cls.config, stat.S_IRUSR | stat.S_IWUSR)
        cls.state = os.path.join(cls.tmp.name, "state", "tdectl")
        cls.backups = os.path.join(cls.state, "backups")

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()
        cls.tmp.cleanup()

    def tdectl(self, *args, config=True):
        env = {"PATH": "/usr/bin:/bin", "HOME": self.tmp.name,
               "XDG_STATE_HOME": os.path.join(self.tmp.name, "state"),
               "AZURE_CLIENT_SECRET": OPERATOR_SECRET,
               "ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", "")}
        cmd = [TDECTL] + list(args) + (["--config", self.config] if config else [])
        p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)
        self.assertNotIn("AddressSanitizer", p.stderr)
        self.assertNotIn("runtime error:", p.stderr)
        BackupCliTest.outputs.append(p.stdout + p.stderr)
        return p

    def protector_file(self, vault="kv-tde-eus2", key=PROTECTOR):
        files = sorted(glob.glob(os.path.join(self.backups, "%s.%s.*.tdkb.json" % (vault, key))))
        self.assertTrue(files, "no backup of %s/%s" % (vault, key))
        return files[0]

    def weu_requests(self):
        return sum(1 for line in self.sim.stderr().splitlines() if WEU + ".vault" in line)

    def restore_posts(self):
        return sum(1 for line in self.sim.stderr().splitlines()
                   if "POST" in line and "/keys/restore" in line)

    def test_01_backup_group(self):
        p = self.tdectl("backup", "--group", "fog-sql-prod", "--json")
        self.assertEqual(p.returncode, 0, p.stderr)
        doc = json.loads(p.stdout)
        self.assertEqual(doc["result"], "done")
        self.assertEqual(doc["exit_code"], 0)
        self.assertEqual(len(doc["files"]), 4)
        self.assertTrue(all(f["ok"] for f in doc["files"]))
        self.assertEqual({(f["vault"], f["key"]) for f in doc["files"]},
                         {(v, k) for v in ("kv-tde-eus2", "kv-tde-cus")
                          for k in ("tde-protector-2024", PROTECTOR)})
        for f in doc["files"]:
            self.assertEqual(stat.S_IMODE(os.stat(f["file"]).st_mode), 0o600)
        self.assertEqual(stat.S_IMODE(os.stat(self.backups).st_mode), 0o700)
        # Progress: one line per step and per call, with request ids.
        self.assertIn("step 1/4", p.stderr)
        self.assertIn("/backup -> 200  request id ", p.stderr)
        self.assertTrue(os.path.exists(doc["journal"]))
        self.assertTrue(os.path.exists(doc["transcript"]))

    def test_02_verify(self):
        path = self.protector_file()
        p = self.tdectl("backup", "--verify", path, config=False)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("verified      yes", p.stdout)
        self.assertIn("kv-tde-eus2", p.stdout)
        p = self.tdectl("backup", "--verify", path, "--json", config=False)
        doc = json.loads(p.stdout)
        self.assertTrue(doc["verified"])
        self.assertEqual(doc["geography"], "United States")
        self.assertEqual(len(doc["versions"]), 2)
        self.assertTrue(all(len(v["fingerprint"]) == 64 and v["thumbprint"]
                            for v in doc["versions"]))

    def damaged_copies(self):
        """(name, path) of a tampered and a truncated copy of the protector's file."""
        with open(self.protector_file()) as f:
            text = f.read()
        out = os.path.join(self.tmp.name, "damaged")
        os.makedirs(out, exist_ok=True)
        at = text.index('"blob"')
        at = text.index('"', at + 7) + 30
        tampered = text[:at] + ("A" if text[at] != "A" else "B") + text[at + 1:]
        copies = []
        for name, body in (("tampered", tampered), ("truncated", text[:len(text) // 2])):
            path = os.path.join(out, name + ".tdkb.json")
            with open(path, "w") as f:
                f.write(body)
            os.chmod(path, 0o600)
            copies.append((name, path))
        return out, copies

    def test_03_damaged_files_refused_without_a_request(self):
        out, copies = self.damaged_copies()
        for name, path in copies:
            with self.subTest(name=name):
                p = self.tdectl("backup", "--verify", path, config=False)
                self.assertEqual(p.returncode, 4, p.stdout + p.stderr)
                self.assertIn(path, p.stderr)
                before = len(self.sim.stderr().splitlines())
                p = self.tdectl("restore", "--file", path, "--vault", SCRATCH, "--apply",
                                "--reason", "drill")
                self.assertEqual(p.returncode, 4, p.stdout + p.stderr)
                self.assertEqual(len(self.sim.stderr().splitlines()), before)
        p = self.tdectl("backup", "--list", "--out", out, config=False)
        self.assertEqual(p.returncode, 4)
        self.assertIn("BAD", p.stdout)
        p = self.tdectl("backup", "--list", config=False)
        self.assertEqual(p.returncode, 0, p.stdout)
        self.assertIn("4 backup files", p.stdout)

    def test_04_restore_plan_changes_nothing(self):
        journals = glob.glob(os.path.join(self.state, "wizards", "*"))
        posts = self.restore_posts()
        p = self.tdectl("restore", "--file", self.protector_file(), "--vault", SCRATCH, "--plan")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("POST   https://%s.vault" % SCRATCH, p.stdout)
        self.assertIn("/keys/restore  api-version=", p.stdout)
        self.assertIn("ok   name-deleted", p.stdout)
        self.assertIn("nothing was changed", p.stdout)
        self.assertEqual(glob.glob(os.path.join(self.state, "wizards", "*")), journals)
        self.assertEqual(self.restore_posts(), posts)

    def test_05_restore_test(self):
        p = self.tdectl("restore", "--file", self.protector_file(), "--vault", SCRATCH, "--apply",
                        "--test", "--reason", "quarterly restore drill")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("restore test passed", p.stdout)
        self.assertIn("stays in " + SCRATCH, p.stdout)
        self.assertIn("/keys/restore -> 200  request id ", p.stderr)
        with open(os.path.join(self.state, "audit.jsonl")) as f:
            last = json.loads(f.read().splitlines()[-1])
        self.assertEqual(last["action"], "restore-test")
        self.assertEqual(last["reason"], "quarterly restore drill")
        self.assertEqual(last["outcome"], "done")
        self.assertEqual(last["principal"], OPERATOR_ID)

    def test_06_restore_again_refused(self):
        posts = self.restore_posts()
        p = self.tdectl("restore", "--file", self.protector_file(), "--vault", SCRATCH, "--apply",
                        "--reason", "again")
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn("the name is taken", p.stdout)
        self.assertEqual(self.restore_posts(), posts)

    def test_07_other_geography_refused_before_any_call(self):
        before = self.weu_requests()
        p = self.tdectl("restore", "--file", self.protector_file(), "--vault", WEU, "--apply",
                        "--reason", "move to Europe", "--json")
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        doc = json.loads(p.stdout)
        self.assertEqual(doc["result"], "refused")
        self.assertFalse(doc["changed_azure"])
        self.assertIn("(Europe ≠ United States)", doc["detail"])
        self.assertIn("import it instead: tdectl rotate --origin file", doc["detail"])
        self.assertEqual(self.weu_requests(), before)

    def test_08_fingerprints_that_differ_are_exit_4(self):
        # The 2024 key's file, its first fingerprint changed and the file re-sealed: intact, wrong.
        with open(self.protector_file(key="tde-protector-2024")) as f:
            doc = json.load(f)
        doc["versions"][0]["fingerprint"] = "0" * 64
        doc["sha256"] = canonical_sha256(doc)
        path = os.path.join(self.tmp.name, "wrong-fingerprint.tdkb.json")
        with open(path, "w") as f:
            json.dump(doc, f, indent=2)
        os.chmod(path, 0o600)
        p = self.tdectl("backup", "--verify", path, config=False)
        self.assertEqual(p.returncode, 0, p.stderr)
        p = self.tdectl("restore", "--file", path, "--vault", SCRATCH, "--test", "--reason",
                        "drill")
        self.assertEqual(p.returncode, 4, p.stdout + p.stderr)
        self.assertIn("VERIFICATION FAILED", p.stdout)

    def test_09_read_only_refused(self):
        posts = self.restore_posts()
        p = self.tdectl("restore", "--file", self.protector_file(), "--vault", "kv-tde-cus",
                        "--apply", "--reason", "x", "--read-only")
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn("read-only mode: restore changes Azure", p.stdout)
        p = self.tdectl("backup", "--vault", "kv-tde-eus2", "--key", PROTECTOR, "--read-only")
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn("read-only mode", p.stdout)
        self.assertEqual(self.restore_posts(), posts)

    def test_10_usage_errors_exit_3(self):
        path = self.protector_file()
        for args in (["backup"], ["backup", "--bogus"], ["backup", "--vault", "kv-tde-eus2"],
                     ["backup", "--group", "g", "--list"],
                     ["restore", "--file", path, "--vault", SCRATCH],
                     ["restore", "--file", path, "--vault", SCRATCH, "--apply"],
                     ["restore", "--file", path, "--vault", SCRATCH, "--plan", "--apply"],
                     ["restore", "--vault", SCRATCH, "--plan"]):
            with self.subTest(args=args):
                p = self.tdectl(*args, config=False)
                self.assertEqual(p.returncode, 3, p.stdout + p.stderr)
                self.assertIn("usage: tdectl", p.stderr)
        p = self.tdectl("backup", "--help", config=False)
        self.assertEqual(p.returncode, 0)
        self.assertIn("exit status", p.stdout)
        p = self.tdectl("backup", "--group", "fog-nowhere")
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn("fog-nowhere", p.stderr)

    def test_11_no_secret_or_blob_anywhere(self):
        blobs = []
        for path in glob.glob(os.path.join(self.backups, "*.tdkb.json")):
            with open(path) as f:
                blobs.append(json.load(f)["blob"][100:160])
        places = list(BackupCliTest.outputs)
        for pattern in ("wizards/*", "transcripts/*", "audit.jsonl"):
            for path in glob.glob(os.path.join(self.state, pattern)):
                with open(path) as f:
                    places.append(f.read())
        self.assertGreater(len(places), 20)
        for text in places:
            self.assertNotIn(OPERATOR_SECRET, text)
            for blob in blobs:
                self.assertNotIn(blob, text)


if __name__ == "__main__":
    unittest.main(verbosity=2)
