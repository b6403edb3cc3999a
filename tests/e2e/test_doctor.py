"""tdectl doctor against azsim (the demo estate): healthy is OK everywhere with
latency figures; a wrong client secret fails on auth with a fix about the
secret (never printing it); a revoked vault grant names the vault; a latency
fault shows in that vault's figure; azsim's untrusted certificate fails TLS
with a fix. The clock-skew judgement is unit-tested (tests/cli): azsim's Date
header is the real clock.

Run with Debian's /usr/bin/python3 (requests). Environment (ctest): TDECTL
and AZSIM, the binaries under test.
"""

import json
import os
import time
import stat
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "pylib"))
import azsim  # noqa: E402
import requests  # noqa: E402

ROOT = os.path.join(HERE, "..", "..")
TDECTL = os.environ.get("TDECTL", os.path.join(ROOT, "build", "tui", "tdectl"))
DEMO = os.path.join(ROOT, "sim", "scenarios", "demo.json")

TENANT = "1fc969be-ee9e-424f-9ec5-a33b1d15ab71"
SUBSCRIPTION = "558aba93-77f9-4064-aa55-4db325ca1cbf"
MONITOR_ID = "62a50920-39f7-44ce-af52-b5ad5ff7b541"
MONITOR_OID = "f78ab195-5c4b-4638-909c-9fba4bd80287"
MONITOR_SECRET = "demo-monitor-nthFMjndfT_W0t965DXzzIsbiZBFLBLF"
WRONG_SECRET = "wrong-secret-Zq81xPLm0c9V"
VAULTS = {"kv-tde-eus2", "kv-tde-cus"}


class DoctorTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sim = azsim.Azsim(DEMO).start()
        cls.tmp = tempfile.TemporaryDirectory(prefix="tdectl-doctor-")
        cls.config = os.path.join(cls.tmp.name, "config.json")
        info = cls.sim.info
        config = {
            "cloud": "custom",
            "endpoints": {"authority": info["authority"], "arm": info["management_resource"],
                          "vault_resource": info["vault_resource"]},
            "ca_file": os.path.abspath(cls.sim.ca_file),
            "auth": {"mode": "default", "tenant_id": TENANT, "client_id": MONITOR_ID},
            "subscriptions": [SUBSCRIPTION],
            "http": {"connect_timeout_ms": 1000, "timeout_ms": 5000, "retry_budget_ms": 2000},
            "read_only": False,
        }
        with open(cls.config, "w") as f:
            json.dump(config, f)
        os.chmod(cls.config, stat.S_IRUSR | stat.S_IWUSR)

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()
        cls.tmp.cleanup()

    def doctor(self, *args, secret=MONITOR_SECRET):
        env = {"PATH": "/usr/bin:/bin", "HOME": self.tmp.name,
               "XDG_STATE_HOME": os.path.join(self.tmp.name, "state"),
               "AZURE_CLIENT_SECRET": secret,
               # No IMDS here: the chain must not wait for 169.254.169.254.
               "IMDS_ENDPOINT": "http://127.0.0.1:9",
               "ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", "")}
        p = subprocess.run([TDECTL, "doctor", "--config", self.config, "--timeout", "30"] +
                           list(args), capture_output=True, text=True, env=env, timeout=90)
        self.assertNotIn("AddressSanitizer", p.stderr)
        self.assertNotIn("runtime error:", p.stderr)
        self.assertNotIn(secret, p.stdout + p.stderr)
        return p

    def doctor_json(self, secret=MONITOR_SECRET):
        p = self.doctor("--json", secret=secret)
        doc = json.loads(p.stdout)
        self.assertEqual(doc["schema"], "tdectl.doctor/v1")
        self.assertEqual(doc["status"]["exit_code"], p.returncode, p.stdout)
        for c in doc["checks"]:
            self.assertIn(c["status"], ("OK", "WARN", "FAIL"))
            for field in ("check", "subject", "detail", "fix", "figures"):
                self.assertIn(field, c)
            self.assertEqual(c["fix"] is None, c["status"] == "OK", c)
        counts = [sum(c["status"] == s for c in doc["checks"]) for s in ("OK", "WARN", "FAIL")]
        self.assertEqual(counts, [doc["status"]["ok"], doc["status"]["warn"],
                                  doc["status"]["fail"]])
        return p.returncode, doc

    @staticmethod
    def find(doc, check, subject=None):
        return [c for c in doc["checks"] if c["check"] == check and
                (subject is None or c["subject"] == subject)]

    def test_01_healthy(self):
        rc, doc = self.doctor_json()
        bad = [c for c in doc["checks"] if c["status"] != "OK"]
        self.assertEqual(rc, 0, json.dumps(bad, indent=1))
        self.assertEqual(doc["status"]["name"], "OK")
        self.assertEqual(doc["principal"]["object_id"], MONITOR_OID)
        self.assertEqual(doc["principal"]["credential"], "client secret")
        for audience in ("arm", "key vault"):
            tok = self.find(doc, "auth.token", audience)
            self.assertEqual(len(tok), 1)
            self.assertGreaterEqual(tok[0]["figures"]["latency_ms"], 0)
        self.assertIn("AZURE_CLIENT_SECRET set", self.find(doc, "auth.credential")[0]["detail"])
        for subject in ["authority", "arm"] + sorted(VAULTS):
            net = self.find(doc, "endpoint.network" if subject in ("authority", "arm")
                            else "vault.network", subject)
            self.assertEqual(len(net), 1, subject)
            fig = net[0]["figures"]
            for k in ("dns_ms", "connect_ms", "tls_ms", "total_ms"):
                self.assertIn(k, fig)
            self.assertGreater(fig["tls_ms"], 0, subject)  # a fresh, verified handshake
            self.assertGreaterEqual(fig["total_ms"], fig["tls_ms"])
        self.assertEqual({c["subject"] for c in self.find(doc, "vault.access")}, VAULTS)
        self.assertEqual([c["subject"] for c in self.find(doc, "subscription.access")],
                         [SUBSCRIPTION])
        clock = self.find(doc, "clock")[0]
        self.assertLessEqual(abs(clock["figures"]["skew_s"]), 2)
        text = self.doctor()
        self.assertEqual(text.returncode, 0, text.stdout)
        self.assertTrue(text.stdout.startswith("OK: "), text.stdout)
        self.assertNotIn("fix:", text.stdout)

    def test_02_wrong_secret(self):
        rc, doc = self.doctor_json(secret=WRONG_SECRET)
        self.assertEqual(rc, 2)
        arm = self.find(doc, "auth.token", "arm")[0]
        self.assertEqual(arm["status"], "FAIL")
        self.assertIn("AADSTS7000215", arm["detail"])
        self.assertIn("secret", arm["fix"])
        self.assertEqual(self.find(doc, "discovery")[0]["status"], "FAIL")
        p = self.doctor(secret=WRONG_SECRET)
        self.assertEqual(p.returncode, 2)
        self.assertIn("fix: the client secret", p.stdout)

    def test_03_revoked_vault_access(self):
        fid = self.sim.fault("revoke", vault="kv-tde-eus2", principal="monitor")
        try:
            rc, doc = self.doctor_json()
        finally:
            self.sim.clear_fault(fid)
        self.assertEqual(rc, 2, json.dumps(doc["checks"], indent=1))
        eus2 = self.find(doc, "vault.access", "kv-tde-eus2")[0]
        self.assertEqual(eus2["status"], "FAIL")
        self.assertIn("kv-tde-eus2", eus2["fix"])
        self.assertIn(MONITOR_OID, eus2["fix"])
        self.assertEqual(self.find(doc, "vault.access", "kv-tde-cus")[0]["status"], "OK")
        p = self.doctor()
        self.assertEqual(p.returncode, 0, p.stdout)

    def test_04_vault_latency(self):
        fid = self.sim.fault("latency", "vault:kv-tde-cus@console", ms=1500)
        try:
            rc, doc = self.doctor_json()
        finally:
            self.sim.clear_fault(fid)
        cus = self.find(doc, "vault.network", "kv-tde-cus")[0]
        eus2 = self.find(doc, "vault.network", "kv-tde-eus2")[0]
        self.assertGreaterEqual(cus["figures"]["total_ms"], 1400, cus)
        self.assertLess(eus2["figures"]["total_ms"], 1000, eus2)
        self.assertEqual(cus["status"], "WARN")
        self.assertIn("kv-tde-cus", cus["fix"])
        self.assertEqual(rc, 1, json.dumps([c for c in doc["checks"] if c["status"] != "OK"]))

    def wait_untrusted(self):
        """azsim reopens its listener with the untrusted certificate shortly after the fault."""
        url = self.sim.info["management_resource"] + "/subscriptions?api-version=2022-12-01"
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                requests.get(url, verify=self.sim.ca_file, timeout=5)
            except requests.exceptions.SSLError:
                return
            except requests.exceptions.ConnectionError:
                pass
            time.sleep(0.1)
        self.fail("the tls fault did not take effect")

    def test_05_untrusted_tls(self):
        fid = self.sim.fault("tls", "listener:https")
        try:
            self.wait_untrusted()
            rc, doc = self.doctor_json()
        finally:
            self.sim.clear_fault(fid)
        self.assertEqual(rc, 2)
        for subject in ("authority", "arm"):
            net = self.find(doc, "endpoint.network", subject)[0]
            self.assertEqual(net["status"], "FAIL", json.dumps(doc["checks"], indent=1))
            self.assertIn("TLS verification failed", net["detail"])
            self.assertIn("ca_file", net["fix"])
        self.assertEqual(self.find(doc, "auth.token", "arm")[0]["status"], "FAIL")

    def test_06_usage_and_bad_config(self):
        p = subprocess.run([TDECTL, "doctor", "--bogus"], capture_output=True, text=True)
        self.assertEqual(p.returncode, 2)
        p = subprocess.run([TDECTL, "doctor", "--config", "/nonexistent/tdectl.json"],
                           capture_output=True, text=True,
                           env={"PATH": "/usr/bin:/bin", "HOME": self.tmp.name})
        self.assertEqual(p.returncode, 2)
        self.assertIn("FAIL", p.stdout)
        self.assertIn("fix:", p.stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)
