"""tdectl check against azsim: every fault kind moves the exit status and the
findings, and clearing it brings back OK; the JSON always validates against
docs/check-schema.json.

Run with Debian's /usr/bin/python3 (jsonschema, requests). Environment (ctest):
TDECTL and AZSIM, the binaries under test.
"""

import json
import os
import stat
import subprocess
import sys
import tempfile
import time
import unittest

import jsonschema

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "pylib"))
import azsim  # noqa: E402

ROOT = os.path.join(HERE, "..", "..")
TDECTL = os.environ.get("TDECTL", os.path.join(ROOT, "build", "tui", "tdectl"))
DEMO = os.path.join(ROOT, "sim", "scenarios", "demo.json")
SCHEMA = os.path.join(ROOT, "docs", "check-schema.json")

TENANT = "1fc969be-ee9e-424f-9ec5-a33b1d15ab71"
SUBSCRIPTION = "558aba93-77f9-4064-aa55-4db325ca1cbf"
MONITOR_ID = "62a50920-39f7-44ce-af52-b5ad5ff7b541"
MONITOR_SECRET = "demo-monitor-nthFMjndfT_W0t965DXzzIsbiZBFLBLF"
PROTECTOR = "tde-protector-2025"
VERSION = "b70b487d725c442b8df2ba78d8564211"

# (fault spec, a text the findings must contain). Network and service faults on one
# vault, or on ARM and sign-in, leave tdectl unable to read: UNKNOWN or worse.
FAULTS = [
    ({"kind": "refused", "target": "vault:kv-tde-eus2"}, "kv-tde-eus2"),
    ({"kind": "blackhole", "target": "vault:kv-tde-eus2"}, "kv-tde-eus2"),
    ({"kind": "latency", "target": "vault:kv-tde-cus", "ms": 4000}, "kv-tde-cus"),
    ({"kind": "reset", "target": "vault:kv-tde-cus"}, "kv-tde-cus"),
    ({"kind": "slow", "target": "vault:kv-tde-cus", "bytes_per_second": 20}, "kv-tde-cus"),
    ({"kind": "throttle", "target": "vault:kv-tde-eus2@console", "rate": 1, "retry_after": 1},
     "kv-tde-eus2"),
    ({"kind": "error", "target": "vault:kv-tde-eus2", "rate": 1, "status": 503}, "kv-tde-eus2"),
    ({"kind": "malformed", "target": "vault:kv-tde-eus2", "rate": 1}, "kv-tde-eus2"),
    ({"kind": "truncated", "target": "vault:kv-tde-eus2", "rate": 1}, "kv-tde-eus2"),
    ({"kind": "oversized", "target": "vault:kv-tde-eus2", "bytes": 300000}, "kv-tde-eus2"),
    ({"kind": "throttle", "target": "arm", "rate": 1, "retry_after": 1}, "D01"),
    ({"kind": "error", "target": "login", "rate": 1, "status": 503}, "D01"),
    ({"kind": "tls", "target": "listener:https"}, "D01"),
    ({"kind": "key-disable", "vault": "kv-tde-eus2", "key": PROTECTOR, "version": VERSION},
     "disabled"),
    ({"kind": "key-expire", "vault": "kv-tde-eus2", "key": PROTECTOR, "version": VERSION},
     "kv-tde-eus2"),
    ({"kind": "key-delete", "vault": "kv-tde-cus", "key": PROTECTOR}, "kv-tde-cus"),
    ({"kind": "vault-delete", "vault": "kv-tde-cus"}, "kv-tde-cus"),
    ({"kind": "revoke", "vault": "kv-tde-eus2", "principal": "sqlmi-eus2"}, "kv-tde-eus2"),
    ({"kind": "rbac-flip", "vault": "kv-tde-eus2"}, "kv-tde-eus2"),
    ({"kind": "pe-state", "pe": "pe-kv-tde-eus2-in-eus2", "status": "Disconnected"},
     "pe-kv-tde-eus2-in-eus2"),
]


class CheckTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sim = azsim.Azsim(DEMO).start()
        cls.tmp = tempfile.TemporaryDirectory(prefix="tdectl-check-")
        cls.config = os.path.join(cls.tmp.name, "config.json")
        info = cls.sim.info
        config = {
            "cloud": "custom",
            "endpoints": {"authority": info["authority"], "arm": info["management_resource"],
                          "vault_resource": info["vault_resource"]},
            "ca_file": os.path.abspath(cls.sim.ca_file),
            "auth": {"mode": "secret", "tenant_id": TENANT, "client_id": MONITOR_ID},
            "subscriptions": [SUBSCRIPTION],
            # Short limits, so faults that hold or slow a connection end the sweep quickly.
            "http": {"connect_timeout_ms": 1000, "timeout_ms": 1500, "retry_budget_ms": 2000,
                     "max_response_bytes": 65536},
            # The config may say write mode: check runs read-only regardless.
            "read_only": False,
        }
        with open(cls.config, "w") as f:
            json.dump(config, f)
        os.chmod(cls.config, stat.S_IRUSR | stat.S_IWUSR)
        with open(SCHEMA) as f:
            cls.schema = json.load(f)

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()
        cls.tmp.cleanup()

    def check(self, *args):
        env = {"PATH": "/usr/bin:/bin", "HOME": self.tmp.name,
               "XDG_STATE_HOME": os.path.join(self.tmp.name, "state"),
               "AZURE_CLIENT_SECRET": MONITOR_SECRET,
               "ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", "")}
        p = subprocess.run([TDECTL, "check", "--config", self.config, "--timeout", "60"] +
                           list(args), capture_output=True, text=True, env=env, timeout=120)
        self.assertNotIn("AddressSanitizer", p.stderr)
        self.assertNotIn("runtime error:", p.stderr)
        self.assertNotIn(MONITOR_SECRET, p.stdout + p.stderr)
        return p

    def check_json(self, *args):
        p = self.check("--json", *args)
        doc = json.loads(p.stdout)
        jsonschema.validate(doc, self.schema)
        self.assertEqual(doc["status"]["exit_code"], p.returncode, p.stdout)
        return p.returncode, doc

    def test_01_healthy_is_ok(self):
        rc, doc = self.check_json()
        self.assertEqual(rc, 0, json.dumps(doc["findings"], indent=1))
        self.assertEqual(doc["status"]["name"], "OK")
        self.assertTrue(doc["sweep"]["complete"])
        self.assertEqual({i["name"] for i in doc["instances"]},
                         {"sqlmi-prod-eus2", "sqlmi-prod-cus"})
        self.assertTrue(all(i["key_access"] == "ok" for i in doc["instances"]))
        self.assertTrue(all(v["reachability"] == "up" for v in doc["vaults"]))
        text = self.check()
        self.assertEqual(text.returncode, 0)
        self.assertTrue(text.stdout.startswith("OK: 0 critical"), text.stdout)
        self.assertIn("sqlmi-prod-eus2", text.stdout)

    def test_02_group_scope(self):
        rc, doc = self.check_json("--group", "fog-sql-prod")
        self.assertEqual(rc, 0)
        self.assertEqual(doc["group"], "fog-sql-prod")
        p = self.check("--group", "fog-nowhere")
        self.assertEqual(p.returncode, 3)
        self.assertIn("fog-nowhere", p.stderr)

    def test_03_every_fault_kind_moves_the_status_and_clears(self):
        for spec, needle in FAULTS:
            with self.subTest(fault=spec):
                fid = self.sim.control("POST", "/faults", spec)["id"]
                try:
                    rc, doc = self.wait_status(lambda rc: rc != 0)
                    self.assertIn(rc, (1, 2, 3), json.dumps(doc, indent=1))
                    self.assertNotEqual(doc["status"]["name"], "OK")
                    said = json.dumps(doc["findings"])
                    self.assertIn(needle, said, "findings do not mention %s" % needle)
                finally:
                    self.sim.clear_fault(fid)
                rc, doc = self.wait_status(lambda rc: rc == 0)
                self.assertEqual(rc, 0, "still %s after clearing %s: %s" % (
                    doc["status"]["name"], spec["kind"], json.dumps(doc["findings"], indent=1)))

    def wait_status(self, want):
        # azsim reopens a listener (the tls fault) on its once-a-second maintenance
        # pass, so the first check after a change may still meet the old certificate.
        deadline = time.time() + 5
        while True:
            rc, doc = self.check_json()
            if want(rc) or time.time() > deadline:
                return rc, doc
            time.sleep(0.5)

    def test_04_state_faults_are_critical(self):
        # A key SQL cannot use, a vault gone: an instance loses key access now.
        for spec in (FAULTS[13][0], FAULTS[16][0], FAULTS[17][0]):
            with self.subTest(fault=spec):
                fid = self.sim.control("POST", "/faults", spec)["id"]
                try:
                    rc, doc = self.check_json()
                    self.assertEqual(rc, 2, json.dumps(doc["findings"], indent=1))
                    self.assertTrue(any(f["severity"] == "CRIT" for f in doc["findings"]))
                finally:
                    self.sim.clear_fault(fid)

    def test_05_invisible_faults_say_ok(self):
        # A read-only vault (Key Vault's regional failover) serves every read and the
        # instances keep their key: nothing to report, and check says so.
        fid = self.sim.control("POST", "/faults", {"kind": "read-only", "vault": "kv-tde-eus2"})["id"]
        try:
            rc, doc = self.check_json()
            self.assertEqual(rc, 0, json.dumps(doc["findings"], indent=1))
        finally:
            self.sim.clear_fault(fid)

    def test_06_usage_errors_are_unknown(self):
        p = self.check("--bogus")
        self.assertEqual(p.returncode, 3)
        p = subprocess.run([TDECTL, "check", "--config", "/nonexistent/config.json"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 3)
        self.assertIn("/nonexistent/config.json", p.stderr)


if __name__ == "__main__":
    unittest.main()
