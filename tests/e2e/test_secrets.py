"""Secrets never leave tdectl, and TLS verification cannot be turned off.

One run of each front end against azsim's demo estate, with the credentials
the demo uses (the operator's and the monitor's client secrets, the Entra
tokens azsim issues for them) plus a certificate credential (a PEM with an
RSA private key, registered as the monitor's certificate): tdectl check,
check --json, check with the certificate, watch (its /metrics, /healthz and
stderr), doctor, doctor --json, info, backup, and the console in tmux (every
screen of a short session: each view, the activity view, help, a `:`
command). Then every stdout and stderr, every file under the home (config and
state folders), every screen capture and TMPDIR (an empty folder given to
every run) are searched for each secret: the client secrets, the private
key's base64 lines, "PRIVATE KEY", and "eyJ" (how every JWT starts; a token
azsim issued is fetched to prove the prefix). Key Vault backup files are
opaque base64 that may start "eyJ", so only that one pattern skips them.
Every file tdectl created is 0600, every folder 0700, and TMPDIR is left
empty. The escrow passphrase of a rotation is checked the same way by
e2e.test_rotate_crash (test_07).

TLS: a config with ca_file naming a CA that did not sign azsim's certificate,
and one naming azsim's CA but a host name its certificate does not carry,
both make `tdectl check` fail (UNKNOWN, exit 3) with curl's certificate
error in the finding and every request failed; config keys that would turn verification off
(insecure, verify, tls.verify, ssl_verify, http.insecure) are refused by the
strict parser, naming the key; and no environment variable changes that
(TDECTL_INSECURE, CURL_INSECURE ...).

Cost: about 25 s (one azsim, ten short tdectl runs, a 10 s console session).
"""

import base64
import datetime
import json
import os
import re
import signal
import stat
import subprocess
import sys
import tempfile
import time
import unittest

import requests

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "pylib"))
sys.path.insert(0, HERE)
import azsim  # noqa: E402
import tmuxrun  # noqa: E402

ROOT = os.path.join(HERE, "..", "..")
TDECTL = os.environ.get("TDECTL", os.path.join(ROOT, "build", "tui", "tdectl"))
DEMO = os.path.join(ROOT, "sim", "scenarios", "demo.json")

TENANT = azsim.DEMO_TENANT
MONITOR_ID, MONITOR_SECRET = azsim.DEMO_MONITOR_ID, azsim.DEMO_MONITOR_SECRET
OPERATOR_ID, OPERATOR_SECRET = azsim.DEMO_OPERATOR_ID, azsim.DEMO_OPERATOR_SECRET
SERVING = re.compile(r"serving http://([0-9.]+):([0-9]+)/metrics")


def wait_for(what, fn, timeout):
    deadline = time.monotonic() + timeout
    while True:
        try:
            v = fn()
        except requests.RequestException:
            v = None
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(0.1)


def make_ca(common_name):
    """A CA certificate (PEM) nobody else uses."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM).decode()


class SecretsTest(unittest.TestCase):
    outputs = []  # (what, text): every stdout, stderr, HTTP body and screen

    @classmethod
    def setUpClass(cls):
        cls.cert_pem, cls.key_pem = azsim.make_certificate("tdectl-secrets-test")
        with open(DEMO) as f:
            scenario = json.load(f)
        for p in scenario["principals"]:
            if p["name"] == "monitor":
                p["certificate"] = cls.cert_pem  # the secret stays too: both credentials
        cls.sim = azsim.Azsim(scenario).start()
        cls.tmpdir = tempfile.TemporaryDirectory(prefix="tdectl-secrets-")
        cls.top = cls.tmpdir.name
        cls.home = os.path.join(cls.top, "home")
        cls.tmp = os.path.join(cls.top, "tmp")  # TMPDIR for every run: must stay empty
        cls.confdir = os.path.join(cls.home, ".config", "tdectl")
        for d in (cls.home, os.path.join(cls.home, ".config"), cls.confdir, cls.tmp):
            os.mkdir(d, 0o700)
        cls.ours = set()  # files the test wrote (not tdectl)
        base = cls.sim.tdectl_config(
            poll={"probe_seconds": 5, "health_seconds": 10},
            http={"connect_timeout_ms": 2000, "timeout_ms": 4000, "retry_budget_ms": 4000})
        cls.key_path = cls.write("monitor.pem", cls.key_pem + cls.cert_pem)
        cls.config = cls.write_config("config.json", base, {
            "mode": "secret", "tenant_id": TENANT, "client_id": OPERATOR_ID})
        cls.config_monitor = cls.write_config("monitor.json", base, {
            "mode": "secret", "tenant_id": TENANT, "client_id": MONITOR_ID})
        cls.config_cert = cls.write_config("cert.json", base, {
            "mode": "certificate", "tenant_id": TENANT, "client_id": MONITOR_ID,
            "certificate_path": cls.key_path})
        # What must never appear: both secrets, the key's body, any JWT.
        cls.token = cls.issued_token()
        key_lines = [l for l in cls.key_pem.splitlines() if l and not l.startswith("-----")]
        cls.secrets = [MONITOR_SECRET, OPERATOR_SECRET, "PRIVATE KEY", "eyJ",
                       cls.token[:40], cls.token[-40:]] + key_lines

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()
        cls.tmpdir.cleanup()

    @classmethod
    def write(cls, name, text):
        path = os.path.join(cls.confdir, name)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, 0o600)
        cls.ours.add(path)
        return path

    @classmethod
    def write_config(cls, name, base, auth):
        return cls.write(name, json.dumps(dict(base, auth=auth)))

    @classmethod
    def issued_token(cls):
        """A token azsim issues for the monitor, as tdectl gets them: proves the eyJ prefix."""
        r = requests.post("%s/%s/oauth2/v2.0/token" % (cls.sim.authority, TENANT),
                          verify=cls.sim.ca_file,
                          data={"grant_type": "client_credentials", "client_id": MONITOR_ID,
                                "client_secret": MONITOR_SECRET,
                                "scope": cls.sim.vault_resource + "/.default"}, timeout=30)
        r.raise_for_status()
        token = r.json()["access_token"]
        assert token.startswith("eyJ"), token[:10]
        return token

    def env(self, secret=OPERATOR_SECRET, extra=None):
        env = {"PATH": "/usr/bin:/bin", "HOME": self.home,
               "XDG_CONFIG_HOME": os.path.join(self.home, ".config"),
               "XDG_STATE_HOME": os.path.join(self.home, ".local", "state"),
               "XDG_CACHE_HOME": os.path.join(self.home, ".cache"),
               "TMPDIR": self.tmp}
        if secret:
            env["AZURE_CLIENT_SECRET"] = secret
        for name in tmuxrun.PASS_THROUGH:
            if name in os.environ:
                env[name] = os.environ[name]
        env.update(extra or {})
        return env

    def run_tdectl(self, *args, secret=OPERATOR_SECRET, extra=None, timeout=120):
        p = subprocess.run([TDECTL] + list(args), capture_output=True, text=True,
                           env=self.env(secret, extra), timeout=timeout)
        what = " ".join(args[:2])
        SecretsTest.outputs.append((what + " stdout", p.stdout))
        SecretsTest.outputs.append((what + " stderr", p.stderr))
        for marker in tmuxrun.SANITIZER_MARKERS:
            self.assertNotIn(marker, p.stderr)
        return p

    # -- 1. the front ends, with every credential ---------------------------------------------
    def test_01_check(self):
        p = self.run_tdectl("check", "--config", self.config, "--timeout", "60")
        self.assertIn(p.returncode, (0, 1, 2), p.stderr)
        p = self.run_tdectl("check", "--json", "--config", self.config_monitor, "--timeout",
                            "60", secret=MONITOR_SECRET)
        self.assertTrue(json.loads(p.stdout)["sweep"]["complete"], p.stdout[:2000])

    def test_02_check_with_the_certificate(self):
        p = self.run_tdectl("check", "--json", "--config", self.config_cert, "--timeout", "60",
                            secret=None)
        doc = json.loads(p.stdout)
        self.assertTrue(doc["sweep"]["complete"], p.stdout[:2000] + p.stderr)

    def test_03_watch(self):
        err_path = os.path.join(self.top, "watch.stderr")
        with open(err_path, "w") as err:
            proc = subprocess.Popen([TDECTL, "watch", "--metrics", "127.0.0.1:0", "--config",
                                     self.config_monitor], stdout=subprocess.DEVNULL,
                                    stderr=err, env=self.env(MONITOR_SECRET))
        try:
            def serving():
                with open(err_path) as f:
                    m = SERVING.search(f.read())
                return m and "http://%s:%s" % (m.group(1), m.group(2))
            base = wait_for("watch serving", serving, 30)
            wait_for("/healthz ok", lambda: requests.get(base + "/healthz", timeout=5).ok, 60)
            for path in ("/metrics", "/healthz"):
                r = requests.get(base + path, timeout=10)
                SecretsTest.outputs.append(("watch " + path, r.text + str(r.headers)))
        finally:
            proc.send_signal(signal.SIGTERM)
            self.assertEqual(proc.wait(timeout=30), 0)
        with open(err_path) as f:
            SecretsTest.outputs.append(("watch stderr", f.read()))

    def test_04_doctor_and_info(self):
        p = self.run_tdectl("doctor", "--config", self.config, "--timeout", "60")
        self.assertIn(p.returncode, (0, 1), p.stdout + p.stderr)
        self.run_tdectl("doctor", "--json", "--config", self.config_cert, "--timeout", "60",
                        secret=None)
        p = self.run_tdectl("info", "--config", self.config)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.run_tdectl("info", "--config", self.config_cert, secret=None)

    def test_05_backup(self):
        p = self.run_tdectl("backup", "--vault", "kv-tde-eus2", "--key", "tde-protector-2025",
                            "--config", self.config, "--json", "--timeout", "60")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)

    def test_06_console(self):
        c = tmuxrun.Console(160, 45, home=self.home)
        c.tmp = self.tmp
        screens = []
        try:
            c.start(("--config", self.config), env={"AZURE_CLIENT_SECRET": OPERATOR_SECRET,
                                                    "TMPDIR": self.tmp})
            c.wait_for("fog-sql-prod", 60)
            steps = ["2", "3", "4", "5", "6", "?", "Escape", "1"]
            for key in steps:
                c.keys(key)
                end = time.monotonic() + 0.8
                while time.monotonic() < end:  # every frame we can catch
                    screens.append(c.screen())
                    screens.append(c.styled())
                    time.sleep(0.1)
            c.command("refresh")
            c.wait_for("refreshed", 60)
            screens.append(c.screen())
            c.stop()
            SecretsTest.outputs.append(("console stderr", c.stderr()))
        finally:
            c.cleanup()
        self.assertGreater(len(screens), 50)
        for i, s in enumerate(screens):
            SecretsTest.outputs.append(("console screen %d" % i, s))

    # -- 2. the search --------------------------------------------------------------------------
    def test_90_no_secret_anywhere(self):
        self.assertGreater(len(self.outputs), 20)
        for what, text in self.outputs:
            for s in self.secrets:
                self.assertNotIn(s, text, "%s shows a secret (%s...)" % (what, s[:8]))
        files = []
        for top in (self.home, self.tmp):
            for d, _, names in os.walk(top):
                files += [os.path.join(d, n) for n in names]
        backups = [f for f in files if "/backups/" in f]
        self.assertTrue(backups, "the backup wrote no file")
        self.assertTrue(any(f.endswith("snapshot.json") for f in files), files)
        for path in files:
            if path in self.ours:
                continue
            with open(path, "rb") as f:
                data = f.read()
            for s in self.secrets:
                if s == "eyJ" and path in backups:
                    continue  # a Key Vault backup blob is opaque base64, it may start eyJ
                self.assertNotIn(s.encode(), data, "%s holds a secret (%s...)" % (path, s[:8]))
            # Nor base64 of the secrets (a token cache or a blob could hide them so).
            for s in (MONITOR_SECRET, OPERATOR_SECRET):
                self.assertNotIn(base64.b64encode(s.encode())[:40], data, path)

    def test_91_modes_and_empty_tmpdir(self):
        self.assertEqual(os.listdir(self.tmp), [], "TMPDIR is not left empty")
        made = 0
        for d, dirs, names in os.walk(self.home):
            for n in dirs:
                path = os.path.join(d, n)
                self.assertEqual(stat.S_IMODE(os.lstat(path).st_mode), 0o700, path)
            for n in names:
                path = os.path.join(d, n)
                if path in self.ours:
                    continue
                made += 1
                st = os.lstat(path)
                self.assertTrue(stat.S_ISREG(st.st_mode), path)
                self.assertEqual(stat.S_IMODE(st.st_mode), 0o600, path)
        self.assertGreaterEqual(made, 3)  # snapshot, history, backup files at least

    # -- 3. TLS cannot be turned off -------------------------------------------------------------
    def tls_check(self, config):
        path = self.write("tls-%d.json" % time.monotonic_ns(), json.dumps(config))
        p = self.run_tdectl("check", "--json", "--config", path, "--timeout", "30")
        return p

    def base_config(self):
        with open(self.config) as f:
            return json.load(f)

    def test_20_untrusted_ca_refused(self):
        cfg = self.base_config()
        cfg["ca_file"] = self.write("other-ca.pem", make_ca("not azsim's CA"))
        # Environment variables that turn verification off in other tools change nothing.
        p = self.tls_check(cfg)
        self.assertEqual(p.returncode, 3, p.stdout + p.stderr)  # UNKNOWN: nothing could be read
        doc = json.loads(p.stdout)
        text = json.dumps(doc)
        self.assertIn("SSL certificate problem: self-signed certificate in certificate chain",
                      text, text[:3000])
        self.assertEqual(doc["sweep"]["failures"], doc["sweep"]["requests"])  # not one answer

    def test_21_wrong_host_name_refused(self):
        cfg = self.base_config()
        # login.localhost is in azsim's certificate, a.login.localhost is not (curl resolves
        # every *.localhost to the loopback address).
        cfg["endpoints"]["authority"] = cfg["endpoints"]["authority"].replace(
            "login.localhost", "a.login.localhost")
        p = self.tls_check(cfg)
        self.assertEqual(p.returncode, 3, p.stdout + p.stderr)
        doc = json.loads(p.stdout)
        text = json.dumps(doc)
        self.assertRegex(text, r"SSL: no alternative certificate subject name matches target "
                         r"host name 'a\.login\.localhost'", text[:3000])
        self.assertEqual(doc["sweep"]["failures"], doc["sweep"]["requests"])

    def test_22_no_env_turns_verification_off(self):
        cfg = self.base_config()
        cfg["ca_file"] = self.write("other-ca2.pem", make_ca("still not azsim's CA"))
        path = self.write("tls-env.json", json.dumps(cfg))
        extra = {"TDECTL_INSECURE": "1", "TDECTL_TLS_VERIFY": "0", "CURL_INSECURE": "1",
                 "CURLOPT_SSL_VERIFYPEER": "0", "PYTHONHTTPSVERIFY": "0", "NODE_TLS_REJECT_"
                 "UNAUTHORIZED": "0", "SSL_CERT_FILE": self.sim.ca_file + ".missing",
                 "CURL_CA_BUNDLE": self.sim.ca_file, "REQUESTS_CA_BUNDLE": self.sim.ca_file}
        p = self.run_tdectl("check", "--json", "--config", path, "--timeout", "30", extra=extra)
        self.assertEqual(p.returncode, 3, p.stdout + p.stderr)

    def test_23_config_keys_that_would_turn_it_off_are_refused(self):
        for key, value in (("insecure", True), ("verify", False), ("ssl_verify", False),
                           ("tls", {"verify": False}), ("http", {"insecure": True}),
                           ("http", {"verify_peer": False})):
            cfg = self.base_config()
            if isinstance(value, dict) and key in cfg:
                cfg[key] = dict(cfg[key], **value)
            else:
                cfg[key] = value
            p = self.tls_check(cfg)
            self.assertNotEqual(p.returncode, 0)
            name = key
            if isinstance(value, dict) and key == "http":
                name = "http." + next(iter(value))
            self.assertRegex(p.stderr, r"\.json: %s: unknown field" % re.escape(name), p.stderr)
            self.assertEqual(p.stdout, "")  # refused before anything is read or sent


if __name__ == "__main__":
    unittest.main(verbosity=2)
