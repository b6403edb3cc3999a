"""azsim as a process: start-up errors, the port-0 mode, the built-in demo,
clean shutdown, and --state (what survives a restart, what a kill -9 leaves,
how damaged or exposed state is refused)."""

import json
import os
import random
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import unittest

from azsim import AZSIM, Azsim, base_scenario, unique


def run_azsim(*args, timeout=60):
    return subprocess.run([AZSIM, *args], capture_output=True, text=True, timeout=timeout)


class StartupTest(unittest.TestCase):
    def write(self, tmp, scenario):
        path = os.path.join(tmp, "s.json")
        with open(path, "w") as f:
            f.write(scenario if isinstance(scenario, str) else json.dumps(scenario))
        return path

    def test_bad_scenarios_name_the_field_and_exit_nonzero(self):
        cases = []
        s = base_scenario()
        s["vaults"][1]["retention_days"] = 3
        cases.append((s, "vaults[1].retention_days"))
        s = base_scenario()
        s["vaults"][0]["purge_protectoin"] = True
        cases.append((s, "vaults[0].purge_protectoin: unknown field"))
        s = base_scenario()
        s["vaults"][0]["keys"][0]["versions"][0]["material"] = "missing"
        cases.append((s, "vaults[0].keys[0].versions[0]: no material 'missing'"))
        s = base_scenario()
        s["principals"][0]["client_id"] = "not-a-guid"
        cases.append((s, "principals[0].client_id: expected a GUID"))
        cases.append(('{"name": "x",\n  "regions": [\n  }', "line 3"))
        with tempfile.TemporaryDirectory() as tmp:
            for scenario, needle in cases:
                with self.subTest(needle=needle):
                    r = run_azsim("--scenario", self.write(tmp, scenario), "--check")
                    self.assertEqual(r.returncode, 1, r.stderr)
                    self.assertIn(needle, r.stderr)
                    self.assertIn("s.json", r.stderr)  # the file is named too
            r = run_azsim("--scenario", os.path.join(tmp, "absent.json"), "--check")
            self.assertEqual(r.returncode, 1)
            self.assertIn("cannot open", r.stderr)

    def test_bad_options_exit_2(self):
        for args in (["--port", "70000"], ["--time-scale", "0"], ["--bogus"], ["stray"]):
            with self.subTest(args=args):
                r = run_azsim(*args)
                self.assertEqual(r.returncode, 2, r.stderr)
                self.assertIn("usage: azsim", r.stderr)

    def test_builtin_demo_is_valid(self):
        r = run_azsim("--check")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn('scenario "demo" is valid', r.stdout)
        self.assertIn("4 vaults", r.stdout)

    def test_port_zero_prints_the_port_and_serves_the_demo(self):
        with Azsim("demo") as sim:
            with open(sim.stdout_path) as f:
                first = f.readline()
            m = re.match(r"azsim listening on port (\d+):", first)
            self.assertIsNotNone(m, first)
            self.assertEqual(int(m.group(1)), sim.info["port"])
            self.assertNotEqual(sim.info["port"], 0)
            self.assertIn("kv-tde-eus2", sim.info["vaults"])
            # The demo's read-only monitor can list but not create.
            import requests
            token = requests.post(
                "%s/1fc969be-ee9e-424f-9ec5-a33b1d15ab71/oauth2/v2.0/token" % sim.authority,
                verify=sim.ca_file,
                data={"grant_type": "client_credentials",
                      "client_id": "62a50920-39f7-44ce-af52-b5ad5ff7b541",
                      "client_secret": "demo-monitor-nthFMjndfT_W0t965DXzzIsbiZBFLBLF",
                      "scope": sim.vault_resource + "/.default"}).json()["access_token"]
            r = sim.kv("GET", "kv-tde-cus", "/keys/tde-protector-2025/versions", token=token)
            self.assertEqual(r.status_code, 200, r.text)
            self.assertEqual(len(r.json()["value"]), 2)
            r = sim.kv("POST", "kv-tde-cus", "/keys/x/create", token=token, body={"kty": "RSA"})
            self.assertEqual(r.status_code, 403)
            self.assertEqual(r.json()["error"]["innererror"]["code"], "AccessDenied")

    def test_port_in_use_is_a_clear_error(self):
        with Azsim() as sim:
            r = run_azsim("--port", str(sim.info["port"]), "--imds-port", "0")
            self.assertEqual(r.returncode, 1)
            self.assertIn("cannot listen", r.stderr)

    def test_sigint_also_stops_cleanly(self):
        sim = Azsim().start()
        sim.proc.send_signal(signal.SIGINT)
        self.assertEqual(sim.proc.wait(timeout=60), 0, sim.stderr())
        sim.proc = None
        sim.tmp.cleanup()


class StateTest(unittest.TestCase):
    def setUp(self):
        self.parent = tempfile.TemporaryDirectory()
        self.state = os.path.join(self.parent.name, "state")

    def tearDown(self):
        self.parent.cleanup()

    def test_everything_survives_a_restart(self):
        name, gone = unique("kept"), unique("gone")
        with Azsim(state_dir=self.state) as sim:
            kc = sim.key_client("kv-a")
            first = kc.create_rsa_key(name, size=2048, tags={"t": "1"})
            kc.rotate_key(name)
            kc.update_key_properties(name, first.properties.version, enabled=False)
            blob = kc.backup_key(name)
            kc.create_rsa_key(gone, size=2048)
            kc.begin_delete_key(gone).wait()
            token = sim.token()
            with open(sim.ca_file) as f:
                ca_before = f.read()
            versions = sorted(p.version for p in kc.list_properties_of_key_versions(name))
            port = sim.info["port"]
        for f in os.listdir(self.state):
            mode = os.stat(os.path.join(self.state, f)).st_mode & 0o777
            self.assertEqual(mode, 0o600, f)
        self.assertEqual(os.stat(self.state).st_mode & 0o777, 0o700)
        self.assertEqual(sorted(f for f in os.listdir(self.state) if not f.startswith(".")),
                         ["ca-key.pem", "ca.pem", "master.key", "signing-key.pem", "state.json"])

        # Same port: a token's audience names the port (https://vault.localhost:PORT).
        with Azsim(state_dir=self.state, args=["--port", str(port)]) as sim:
            with open(sim.stdout_path) as f:
                self.assertIn("resumed from state", f.readline())
            with open(sim.ca_file) as f:
                self.assertEqual(f.read(), ca_before)  # same CA: clients keep trusting it
            # A token minted before the restart is still good (same signing key).
            r = sim.kv("GET", "kv-a", "/keys/" + name, token=token)
            self.assertEqual(r.status_code, 200, r.text)
            kc = sim.key_client("kv-a")
            self.assertEqual(sorted(p.version for p in kc.list_properties_of_key_versions(name)),
                             versions)
            self.assertFalse(kc.get_key(name, first.properties.version).properties.enabled)
            self.assertEqual(kc.get_key(name, first.properties.version).properties.tags, {"t": "1"})
            self.assertEqual(kc.get_deleted_key(gone).name, gone)
            # A blob sealed before the restart still opens (same master key).
            restored = sim.key_client("kv-b").restore_key_backup(blob)
            self.assertEqual(restored.name, name)

    def test_damaged_state_is_refused_and_left_alone(self):
        with Azsim(state_dir=self.state):
            pass
        path = os.path.join(self.state, "state.json")
        with open(path, "r+") as f:
            text = f.read()
            f.seek(0)
            f.write(text[: len(text) // 2])
            f.truncate()
        with open(path, "rb") as f:
            damaged = f.read()
        sim = Azsim(state_dir=self.state)
        with self.assertRaises(RuntimeError) as ctx:
            sim.start()
        self.assertIn("state.json is damaged", str(ctx.exception))
        with open(path, "rb") as f:
            self.assertEqual(f.read(), damaged)
        sim.tmp.cleanup()

    def test_state_folder_readable_by_others_is_refused(self):
        os.makedirs(self.state, mode=0o755)
        os.chmod(self.state, 0o755)
        sim = Azsim(state_dir=self.state)
        with self.assertRaises(RuntimeError) as ctx:
            sim.start()
        self.assertIn("can be read by other users", str(ctx.exception))
        sim.tmp.cleanup()

    def test_kill_during_writes_leaves_readable_state_with_every_acknowledged_key(self):
        sim = Azsim(state_dir=self.state).start()
        kc = sim.key_client("kv-a")
        acknowledged = []
        stop = threading.Event()

        def writer():
            while not stop.is_set():
                n = unique("w")
                try:
                    kc.import_key(n, FIXED_JWK)
                except Exception:
                    return
                acknowledged.append(n)

        threads = [threading.Thread(target=writer) for _ in range(3)]
        for t in threads:
            t.start()
        time.sleep(1.5 + random.random())
        sim.proc.kill()  # SIGKILL: no chance to flush anything
        sim.proc.wait()
        stop.set()
        for t in threads:
            t.join()
        sim.proc = None
        sim.tmp.cleanup()
        self.assertGreater(len(acknowledged), 5)
        with Azsim(state_dir=self.state) as again:
            names = {p.name for p in again.key_client("kv-a").list_properties_of_keys()}
            missing = [n for n in acknowledged if n not in names]
            self.assertEqual(missing, [], "acknowledged writes lost by a kill -9")


def _fixed_jwk():
    from cryptography.hazmat.primitives.asymmetric import rsa

    from azsim import jwk_from_private_key
    return jwk_from_private_key(rsa.generate_private_key(public_exponent=65537, key_size=2048))


FIXED_JWK = _fixed_jwk()

if __name__ == "__main__":
    unittest.main()
