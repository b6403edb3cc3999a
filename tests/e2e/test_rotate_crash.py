"""tdectl rotate against the demo's azsim: killed with SIGKILL at every step boundary
and in the middle of a request, then resumed; faults during apply; rollback;
refusals; and no secret in any output, journal, audit log or transcript.

After every kill the test asserts against azsim itself (its control interface's
/model after a check of both instances, Key Vault and ARM as the operator):
every instance still reaches its protector, no database is Inaccessible or ever
was, the new key has at most one version in each vault, the old protector
versions are enabled and still registered, and each protector is the old key
or the new one, never anything else.

Every test has its own azsim and state folder; run as a script without arguments
the tests run four at a time (they wait on latency faults, long-running operations
and retries, not on the CPU), slowest first. With arguments (RotateCase.test_01...)
unittest runs the named tests one after another.

Tests marked known_bug reproduce a bug open in core/rotate*.c (KNOWN_BUGS says
which): they are expected to fail, and once the fix lands their unexpected success
fails the run until the marker is removed. None is open now: B3 (a failed read-back
ended verify-failed) and B5 (a write cut off by the kill landing after the resume
read back) were fixed, and their tests 04d and 02b now pass as they are.

Run with Debian's /usr/bin/python3 (requests, cryptography). Environment (ctest):
TDECTL and AZSIM, the binaries under test. For debugging: ROTATE_CRASH_KEEP=1 keeps
each test's folder (journals, backups, audit log), ROTATE_CRASH_TIMES=1 prints when
each tdectl run ended.
"""

import glob
import json
import os
import re
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
import unittest

import requests

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "pylib"))
import azsim  # noqa: E402

ROOT = os.path.join(HERE, "..", "..")
TDECTL = os.environ.get("TDECTL", os.path.join(ROOT, "build", "tui", "tdectl"))
DEMO = os.path.join(ROOT, "sim", "scenarios", "demo.json")

TENANT = "1fc969be-ee9e-424f-9ec5-a33b1d15ab71"
SUBSCRIPTION = "558aba93-77f9-4064-aa55-4db325ca1cbf"
OPERATOR_ID = "7d248692-5828-4a0d-ae0c-8333f4a54257"
OPERATOR_SECRET = "demo-operator-dsWtHlPD2JMSTgzJ8QjRa9BXYmxbV4O3"  # tests/integration/fixture.h
ESCROW_PASS = "escrow-Passphrase-5q9wVb2K"
GROUP = "fog-sql-prod"
PRI, SEC = "sqlmi-prod-eus2", "sqlmi-prod-cus"
PRI_VAULT, SEC_VAULT = "kv-tde-eus2", "kv-tde-cus"
RG = {PRI: "rg-sql-eus2", SEC: "rg-sql-cus"}
OLD_PROTECTOR = "tde-protector-2025_b70b487d725c442b8df2ba78d8564211"
# Every version of the old keys, in both vaults: always enabled, always registered.
OLD_KEYS = {"tde-protector-2024": ["be840004f7614e71a52746bd5d8bd374"],
            "tde-protector-2025": ["b417ab04797548cab6319fcee93a5f57",
                                   "b70b487d725c442b8df2ba78d8564211"]}
SQL_API = "2023-08-01"
KV_API = "7.4"
VAULT_STEPS = ["preconditions", "lock", "name-free", "create", "backup", "restore",
               "verify-material", "prove-material", "register-secondary", "register-primary",
               "protect-secondary", "protect-primary", "watch"]
SECRETS = [OPERATOR_SECRET, ESCROW_PASS, "PRIVATE KEY", "eyJ"]
SANITIZER = ("AddressSanitizer", "LeakSanitizer", "runtime error:")

# Bugs in core/rotate*.c these tests found, open when this file was written. A test marked
# with one is expected to fail; when the fix lands it passes, which fails the run (an
# unexpected success) until its marker is removed.
KNOWN_BUGS = {}

# Rough seconds per test, so the slowest start first in the parallel run.
SLOW = {"test_02c_killed_during_the_secondary_protector_call": 50,
        "test_04a_429_storm_on_the_secondary_vault": 50,
        "test_02b_killed_during_the_create_call_resumed_at_once": 40,
        "test_04d_vault_outage_during_apply": 40,
        "test_02a_killed_during_the_create_call": 30,
        "test_04e_short_vault_outage_is_retried": 30,
        "test_01_killed_at_every_step_boundary": 25}


def known_bug(bug):
    assert bug in KNOWN_BUGS
    return unittest.expectedFailure


def instance_id(name):
    return ("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Sql/managedInstances/%s"
            % (SUBSCRIPTION, RG[name], name))


class Demo:
    """A fresh azsim with the demo estate, a tdectl config as the demo operator and a
    private state folder (journals, backups, audit.jsonl)."""

    def __init__(self, case, http=None, **config):
        self.case = case
        self.sim = azsim.Azsim(DEMO).start()
        self.tmp = tempfile.TemporaryDirectory(prefix="tdectl-rotcrash-")
        self.home = self.tmp.name
        self.state = os.path.join(self.home, "state")
        self.outputs = []  # every stdout and stderr, for the secrets check
        info = self.sim.info
        cfg = {
            "cloud": "custom",
            "endpoints": {"authority": info["authority"], "arm": info["management_resource"],
                          "vault_resource": info["vault_resource"]},
            "ca_file": os.path.abspath(self.sim.ca_file),
            "auth": {"mode": "secret", "tenant_id": TENANT, "client_id": OPERATOR_ID},
            "subscriptions": [SUBSCRIPTION],
            "http": http or {"connect_timeout_ms": 1000, "timeout_ms": 10000,
                             "retry_budget_ms": 4000},
            "read_only": False,
        }
        cfg.update(config)
        self.config = os.path.join(self.home, "config.json")
        with open(self.config, "w") as f:
            json.dump(cfg, f)
        os.chmod(self.config, stat.S_IRUSR | stat.S_IWUSR)
        self.tokens = {}
        self.t0 = time.time()

    def close(self):
        try:
            self.sim.stop()
        finally:
            self.sim.tmp.cleanup()
            if os.environ.get("ROTATE_CRASH_KEEP"):  # debugging: keep the state folder
                sys.stderr.write("  kept %s\n" % self.home)
                self.tmp._finalizer.detach()
            else:
                self.tmp.cleanup()

    # -- tdectl ------------------------------------------------------------------------------
    def env(self, crash=None, extra=None):
        e = {"PATH": "/usr/bin:/bin", "HOME": self.home, "USER": "crashtest",
             "XDG_STATE_HOME": self.state, "AZURE_CLIENT_SECRET": OPERATOR_SECRET,
             "ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", ""),
             "UBSAN_OPTIONS": os.environ.get("UBSAN_OPTIONS", "")}
        if crash:
            e["TDECTL_CRASH_AT"] = crash
        e.update(extra or {})
        return e

    def argv(self, args):
        return [TDECTL, "rotate", "--config", self.config] + list(args)

    def rotate(self, *args, crash=None, env=None, timeout=180):
        p = subprocess.run(self.argv(args), capture_output=True, text=True,
                           env=self.env(crash, env), timeout=timeout)
        self.seen(p.stdout, p.stderr, p.returncode)
        return p

    def start(self, *args, crash=None, env=None):
        """apply in the background (for kills in the middle of a request)."""
        out = open(os.path.join(self.home, "bg.out"), "w+")
        err = open(os.path.join(self.home, "bg.err"), "w+")
        proc = subprocess.Popen(self.argv(args), stdout=out, stderr=err, text=True,
                                env=self.env(crash, env))
        proc.files = (out, err)
        return proc

    def finish(self, proc, timeout=180):
        rc = proc.wait(timeout=timeout)
        texts = []
        for f in proc.files:
            f.seek(0)
            texts.append(f.read())
            f.close()
        self.seen(texts[0], texts[1], rc)
        return subprocess.CompletedProcess(proc.args, rc, texts[0], texts[1])

    def seen(self, out, err, rc, what=None):
        if os.environ.get("ROTATE_CRASH_TIMES"):  # debugging: where the time goes
            sys.stderr.write("  %s: exit %d at %.1f s\n" % (self.case._testMethodName, rc,
                                                           time.time() - self.t0))
        self.outputs += [out, err]
        if rc != -signal.SIGKILL:
            for s in SANITIZER:
                self.case.assertNotIn(s, err, err[-4000:])

    def plan_args(self, origin="vault", *more):
        return ["--group", GROUP, "--origin", origin, "--watch-seconds", "2"] + list(more)

    def apply_args(self, origin="vault", *more):
        return self.plan_args(origin, *more) + ["--apply", "--confirm", GROUP,
                                                "--reason", "CHG-4711 crash test"]

    # -- the state folder ----------------------------------------------------------------------
    def journals(self):
        return sorted(glob.glob(os.path.join(self.state, "tdectl", "wizards", "rotate-*.jsonl")))

    def journal(self, path=None):
        path = path or self.journals()[-1]
        with open(path) as f:
            return [json.loads(line) for line in f if line.strip()]

    def journal_has(self, step, phase, path=None):
        try:
            return any(r.get("type") == "step" and r.get("step") == step and
                       r.get("phase") == phase for r in self.journal(path))
        except (IndexError, ValueError, OSError):
            return False

    def wait_journal(self, step, phase, proc=None, timeout=90):
        deadline = time.time() + timeout
        while not self.journal_has(step, phase):
            if proc is not None and proc.poll() is not None:
                self.case.fail("tdectl ended (%d) before %s:%s" % (proc.returncode, step, phase))
            if time.time() > deadline:
                self.case.fail("no %s:%s in the journal after %d s" % (step, phase, timeout))
            time.sleep(0.02)

    def state_texts(self):
        """Every file tdectl wrote in its state folder (journals, audit log, backups)."""
        texts = {}
        for root, _, files in os.walk(self.state):
            for name in files:
                path = os.path.join(root, name)
                with open(path, "rb") as f:
                    text = f.read().decode("utf-8", "replace")
                if name.endswith(".tdkb.json"):
                    # A Key Vault backup blob is opaque base64 (it may well start "eyJ"):
                    # everything else in the file is checked.
                    doc = json.loads(text)
                    doc.pop("blob", None)
                    text = json.dumps(doc)
                texts[path] = text
        return texts

    def assert_no_secrets(self, extra=()):
        where = {"output %d" % i: t for i, t in enumerate(self.outputs)}
        where.update(self.state_texts())
        for path in extra:
            with open(path, "rb") as f:
                where[path] = f.read().decode("utf-8", "replace")
        for name, text in where.items():
            for s in SECRETS:
                self.case.assertNotIn(s, text, "%r appears in %s" % (s, name))

    # -- Azure, as the operator ------------------------------------------------------------------
    def token(self, resource):
        if resource not in self.tokens:
            r = requests.post("%s/%s/oauth2/v2.0/token" % (self.sim.authority, TENANT),
                              verify=self.sim.ca_file, timeout=30,
                              data={"grant_type": "client_credentials", "client_id": OPERATOR_ID,
                                    "client_secret": OPERATOR_SECRET,
                                    "scope": resource + "/.default"})
            r.raise_for_status()
            self.tokens[resource] = r.json()["access_token"]
        return self.tokens[resource]

    def kv(self, vault, path):
        r = requests.get(self.sim.vault_url(vault) + path, params={"api-version": KV_API},
                         verify=self.sim.ca_file, timeout=30, headers={
                             "Authorization": "Bearer " + self.token(self.sim.vault_resource)})
        if r.status_code == 401:  # simulated time moved past the token's life
            self.tokens.clear()
            return self.kv(vault, path)
        return r

    def arm(self, path):
        url = self.sim.management_url + path
        r = requests.get(url, params={"api-version": SQL_API}, verify=self.sim.ca_file,
                         timeout=30, headers={
                             "Authorization": "Bearer " + self.token(self.sim.management_url)})
        if r.status_code == 401:
            self.tokens.clear()
            return self.arm(path)
        self.case.assertEqual(r.status_code, 200, r.text)
        return r.json()

    def versions(self, vault, key):
        """{version: (enabled, modulus)} of key in vault ({} when it does not exist)."""
        r = self.kv(vault, "/keys/%s/versions" % key)
        self.case.assertEqual(r.status_code, 200, r.text)
        out = {}
        for item in r.json().get("value", []):
            version = item["kid"].rstrip("/").rsplit("/", 1)[1]
            k = self.kv(vault, "/keys/%s/%s" % (key, version))
            self.case.assertEqual(k.status_code, 200, k.text)
            out[version] = (k.json()["attributes"]["enabled"], k.json()["key"]["n"])
        return out

    def server_keys(self, inst):
        return {k["name"] for k in self.arm(instance_id(inst) + "/keys")["value"]}

    def protector(self, inst):
        return self.arm(instance_id(inst) + "/encryptionProtector/current")["properties"][
            "serverKeyName"]

    def model(self):
        """Both instances as azsim's model has them after every due check ran."""
        self.sim.control("POST", "/model/check")
        return {i["name"]: i for i in self.sim.model()}


class RotateCase(unittest.TestCase):
    """One fresh azsim per test (tests do not share keys or locks)."""

    def setUp(self):
        self.demo = Demo(self)

    def tearDown(self):
        self.demo.close()

    # -- invariants --------------------------------------------------------------------------
    def assert_safe(self, new_key, when, allow_versions=1):
        """What must hold after any kill, fault or failure (when: for the message)."""
        d = self.demo
        models = d.model()
        self.check_instances(models, new_key, when)
        # A full check interval later both instances have tried their protector again.
        self.demo.sim.advance(601)
        models = d.model()
        self.check_instances(models, new_key, when)
        for vault in (PRI_VAULT, SEC_VAULT):
            mine = d.versions(vault, new_key) if new_key else {}
            self.assertLessEqual(len(mine), allow_versions,
                                 "%s: %s holds %d versions of %s" % (when, vault, len(mine),
                                                                     new_key))
            for key, versions in OLD_KEYS.items():
                have = d.versions(vault, key)
                for v in versions:
                    self.assertIn(v, have, "%s: %s/%s/%s is gone" % (when, vault, key, v))
                    self.assertTrue(have[v][0], "%s: %s/%s/%s disabled" % (when, vault, key, v))
        for inst in (PRI, SEC):
            keys = d.server_keys(inst)
            for vault in (PRI_VAULT, SEC_VAULT):
                for key, versions in OLD_KEYS.items():
                    for v in versions:
                        self.assertIn("%s_%s_%s" % (vault, key, v), keys,
                                      "%s: %s lost a registration" % (when, inst))
        return models

    def check_instances(self, models, new_key, when):
        own = {PRI: PRI_VAULT, SEC: SEC_VAULT}
        for inst in (PRI, SEC):
            m = models[inst]
            self.assertIn(m["access"], ("ok", "secondary"), "%s: %s: %s" % (when, inst, m))
            self.assertTrue(m["serving"], "%s: %s serves nothing: %s" % (when, inst, m))
            self.assertEqual(m["inaccessible_events"], 0, "%s: %s" % (when, m))
            self.assertEqual(m["lost_events"], 0, "%s: %s" % (when, m))
            for db in m["databases"]:
                self.assertNotEqual(db["status"], "Inaccessible", "%s: %s" % (when, m))
            old = "%s_%s" % (own[inst], OLD_PROTECTOR)
            ok = m["protector"] == old or (new_key and m["protector"].startswith(
                "%s_%s_" % (own[inst], new_key)))
            self.assertTrue(ok, "%s: %s has protector %s" % (when, inst, m["protector"]))

    def assert_rotated(self, new_key):
        """Both instances on the new key, in their own vault, with identical material."""
        d = self.demo
        models = d.model()
        for inst, vault in ((PRI, PRI_VAULT), (SEC, SEC_VAULT)):
            self.assertTrue(models[inst]["protector"].startswith("%s_%s_" % (vault, new_key)),
                            models[inst])
            self.assertEqual(models[inst]["serving"], models[inst]["protector"])
        material = {}
        for vault, inst in ((PRI_VAULT, PRI), (SEC_VAULT, SEC)):
            v = d.versions(vault, new_key)
            version = models[inst]["protector"].rsplit("_", 1)[1]
            self.assertIn(version, v)
            self.assertTrue(v[version][0])
            material[vault] = v[version][1]
            # Each instance holds both copies: its own vault's and the fallback.
            for other in (PRI_VAULT, SEC_VAULT):
                self.assertTrue(any(k.startswith("%s_%s_" % (other, new_key))
                                    for k in d.server_keys(inst)), (inst, other))
        self.assertEqual(material[PRI_VAULT], material[SEC_VAULT])
        return models

    def new_key(self, plan_stdout):
        m = re.search(r"new key\s+(\S+),", plan_stdout)
        self.assertIsNotNone(m, plan_stdout)
        return m.group(1)

    def plan(self, origin="vault", *more):
        p = self.demo.rotate(*self.demo.plan_args(origin, *more), "--plan")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        return self.new_key(p.stdout), re.search(r"plan id\s+(\w+)", p.stdout).group(1)

    def listed(self):
        p = self.demo.rotate("--list")
        self.assertEqual(p.returncode, 0, p.stderr)
        return [line for line in p.stdout.splitlines() if line.endswith(".jsonl")]

    def last_end(self, path=None):
        ends = [r for r in self.demo.journal(path) if r.get("type") == "end"]
        return ends[-1] if ends else None

    # -- 1. kill at every step boundary --------------------------------------------------------
    def test_01_killed_at_every_step_boundary(self):
        d = self.demo
        key, _ = self.plan()
        p = d.rotate(*d.apply_args(), crash="preconditions:begin")
        self.assertEqual(p.returncode, -signal.SIGKILL, p.stdout + p.stderr[-3000:])
        journal = d.journals()[-1]
        steps = [s["id"] for s in d.journal(journal)[0]["plan"]["steps"]]
        for must in VAULT_STEPS:
            self.assertIn(must, steps)
        order = [steps.index(s) for s in ("create", "restore", "register-secondary",
                                          "register-primary", "protect-secondary",
                                          "protect-primary", "watch")]
        self.assertEqual(order, sorted(order), steps)
        boundaries = ["%s:%s" % (s, ph) for s in steps for ph in ("begin", "done")]
        for n, at in enumerate(boundaries):
            with self.subTest(boundary=at):
                if n == 0:
                    pass  # the apply above
                else:
                    # Killed by the hook, not mid-request: nothing is on the wire to wait for.
                    p = d.rotate("--resume", journal, "--settle-seconds", "1", crash=at)
                self.assertEqual(p.returncode, -signal.SIGKILL,
                                 "%s: not killed there: %s" % (at, p.stdout + p.stderr[-3000:]))
                step, phase = at.split(":")
                self.assertTrue(d.journal_has(step, phase, journal),
                                "%s: the journal lacks the record" % at)
                self.assertIsNone(self.last_end(journal))
                models = self.assert_safe(key, "killed at " + at)
                self.assertEqual(self.listed(), [journal], at)
                # The operator lock stays on the primary while the run is unfinished.
                locked = models[PRI]["tags"].get("tdectl-lock-run", "")
                if n >= boundaries.index("lock:done"):
                    self.assertIn(os.path.basename(journal)[:-len(".jsonl")], locked, at)
        p = d.rotate("--resume", "latest")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr[-4000:])
        self.assertIn("done:", p.stdout)
        self.assertEqual(self.last_end(journal)["outcome"], "done")
        self.assert_safe(key, "after the final resume")
        models = self.assert_rotated(key)
        self.assertEqual(self.listed(), [])
        self.assertFalse([t for t in models[PRI]["tags"] if t.startswith("tdectl-lock")],
                         "the lock outlived the rotation: %s" % models[PRI]["tags"])
        # One backup: a resume reads the file's path back from the journal, never backs up again.
        backups = glob.glob(os.path.join(d.state, "tdectl", "backups", "*.tdkb.json"))
        self.assertEqual(len(backups), 1, backups)
        d.assert_no_secrets()

    # -- 2. kill in the middle of a request ------------------------------------------------------
    def kill_mid_request(self, fault, stop_at, step, key, landed=None):
        """Stops the run at stop_at (the hook), slows the service step writes to, resumes in
        the background and kills the process while that write is on the wire. azsim holds a
        delayed request, then carries it out although its client is gone, as a service
        does: landed() says it has (the resume starts after it; None: at once)."""
        d = self.demo
        p = d.rotate(*d.apply_args(), crash=stop_at)
        self.assertEqual(p.returncode, -signal.SIGKILL, p.stdout + p.stderr[-3000:])
        self.assertFalse(d.journal_has(step, "begin"))
        fid = d.sim.control("POST", "/faults", fault)["id"]
        proc = d.start("--resume", "latest")
        try:
            d.wait_journal(step, "begin", proc)
            time.sleep(1.0)  # the write is on the wire, its answer held back
            self.assertIsNone(proc.poll(), "tdectl ended before the kill")
            proc.send_signal(signal.SIGKILL)
            d.finish(proc)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            d.sim.clear_fault(fid)
        self.assertIsNone(self.last_end())
        if landed:
            deadline = time.time() + 20
            while not landed():
                self.assertLess(time.time(), deadline, "the write in flight never landed")
                time.sleep(0.2)
            self.assert_safe(key, "killed during %s" % step)
        p = d.rotate("--resume", "latest")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr[-4000:])
        self.assert_safe(key, "resumed after a kill during %s" % step)
        self.assert_rotated(key)

    def test_02a_killed_during_the_create_call(self):
        key, _ = self.plan()
        self.kill_mid_request({"kind": "latency", "target": "vault:%s@console" % SEC_VAULT,
                               "ms": 3000}, "name-free:done", "create", key,
                              landed=lambda: self.demo.versions(SEC_VAULT, key))

    def test_02b_killed_during_the_create_call_resumed_at_once(self):
        # The held create lands 5 s after the kill, while the resume is under way.
        key, _ = self.plan()
        self.kill_mid_request({"kind": "latency", "target": "vault:%s@console" % SEC_VAULT,
                               "ms": 6000}, "name-free:done", "create", key)

    def test_02c_killed_during_the_secondary_protector_call(self):
        key, _ = self.plan()
        self.kill_mid_request({"kind": "latency", "target": "arm", "ms": 3000},
                              "register-primary:done", "protect-secondary", key,
                              landed=lambda: self.demo.protector(SEC).startswith(
                                  "%s_%s_" % (SEC_VAULT, key)))

    # -- 3. offline origin -------------------------------------------------------------------
    def test_03a_offline_with_escrow_resumes_from_the_escrow(self):
        d = self.demo
        escrow = os.path.join(d.home, "escrow", "new-key.p8")
        os.makedirs(os.path.dirname(escrow), mode=0o700)
        key, _ = self.plan("offline", "--escrow", escrow)
        env = {"TDECTL_ESCROW_PASSPHRASE": ESCROW_PASS}
        p = d.rotate(*d.apply_args("offline", "--escrow", escrow), crash="import-secondary:done",
                     env=env)
        self.assertEqual(p.returncode, -signal.SIGKILL, p.stdout + p.stderr[-3000:])
        self.assertEqual(stat.S_IMODE(os.stat(escrow).st_mode), 0o600)
        self.assert_safe(key, "offline killed after import-secondary")
        self.assertEqual(len(d.versions(SEC_VAULT, key)), 1)
        p = d.rotate("--resume", "latest", env=env)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr[-4000:])
        self.assert_safe(key, "offline resumed")
        self.assert_rotated(key)
        # The escrow's material is what both vaults hold.
        from cryptography.hazmat.primitives import serialization
        with open(escrow, "rb") as f:
            priv = serialization.load_pem_private_key(f.read(), ESCROW_PASS.encode())
        n = priv.public_key().public_numbers().n
        import base64
        for vault in (PRI_VAULT, SEC_VAULT):
            v = d.versions(vault, key)
            self.assertEqual(len(v), 1, "%s: %s" % (vault, v))
            (enabled, modulus), = v.values()
            raw = base64.urlsafe_b64decode(modulus + "=" * (-len(modulus) % 4))
            self.assertEqual(int.from_bytes(raw, "big"), n, vault)
        d.assert_no_secrets([escrow + ".sha256"] if os.path.exists(escrow + ".sha256") else [])

    def test_03b_offline_without_escrow_regenerates(self):
        d = self.demo
        key, _ = self.plan("offline")
        p = d.rotate(*d.apply_args("offline"), crash="import-secondary:done")
        self.assertEqual(p.returncode, -signal.SIGKILL, p.stdout + p.stderr[-3000:])
        self.assert_safe(key, "offline killed after import-secondary")
        first = d.versions(SEC_VAULT, key)
        self.assertEqual(len(first), 1)
        p = d.rotate("--resume", "latest")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr[-4000:])
        # The material imported first died with the process: the secondary's vault keeps
        # that version, unused and unregistered, beside the one in use.
        self.assert_safe(key, "offline resumed", allow_versions=2)
        models = self.assert_rotated(key)
        sec = d.versions(SEC_VAULT, key)
        self.assertEqual(len(sec), 2)
        self.assertEqual(len(d.versions(PRI_VAULT, key)), 1)
        (orphan,) = first.keys()
        self.assertTrue(sec[orphan][0], "the orphan version was disabled")
        self.assertNotIn(orphan, models[SEC]["protector"])
        for inst in (PRI, SEC):
            for name in d.server_keys(inst):
                self.assertNotIn(orphan, name, "%s registered the orphan version" % inst)
        notes = [r.get("text", "") for r in d.journal() if r.get("type") == "note"]
        self.assertTrue(any("lost with that process" in t and "unused and unregistered" in t
                            for t in notes), notes)
        d.assert_no_secrets()

    # -- 4. faults during apply -----------------------------------------------------------------
    def test_04a_429_storm_on_the_secondary_vault(self):
        d = self.demo
        key, _ = self.plan()
        proc = d.start(*d.apply_args())
        # From the lock step on (after the preconditions, which a throttled read would fail):
        # the lock's ARM calls leave time to put the storm in place before name-free's and
        # create's calls to the secondary's vault. Waiting for name-free:done raced with
        # create itself, the very next call (the storm was missed once in the ASan pass).
        d.wait_journal("lock", "begin", proc)
        # tdectl's own calls (@console): throttling the instances' path too makes SQL fail
        # the registration with AzureKeyVaultConnectionFailed, which tdectl takes as final.
        # Every call for 4 s: at half the calls, the steps could all miss it.
        fid = d.sim.control("POST", "/faults", {"kind": "throttle", "rate": 1, "retry_after": 1,
                                                "duration_seconds": 4,
                                                "target": "vault:%s@console" % SEC_VAULT})["id"]
        try:
            d.wait_journal("restore", "done", proc)
        finally:  # it ends by itself after 4 s
            if any(f["id"] == fid for f in d.sim.control("GET", "/faults")["value"]):
                d.sim.clear_fault(fid)
        p = d.finish(proc)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr[-4000:])
        # The storm was met: calls waited out Retry-After, or reads were retried.
        self.assertTrue(any(r.get("elapsed_ms", 0) >= 900 or
                            any(w in r.get("text", "") for w in ("retrying", "reading again"))
                            for r in d.journal()))
        self.assert_safe(key, "after a 429 storm")
        self.assert_rotated(key)

    def test_04b_permission_revoked_before_apply(self):
        # apply reads the group again before anything: a vault it may not read refuses.
        d = self.demo
        key, _ = self.plan()
        before = self.azure_state()
        fid = d.sim.control("POST", "/faults", {"kind": "revoke", "vault": PRI_VAULT,
                                                "principal": "operator"})["id"]
        try:
            p = d.rotate(*d.apply_args())
            self.assertEqual(p.returncode, 1, p.stdout + p.stderr[-4000:])
            self.assertTrue(p.stdout.startswith("refused: "), p.stdout)
            self.assertIn("Forbidden", p.stdout)
            self.assertIn(PRI_VAULT, p.stdout)
        finally:
            d.sim.clear_fault(fid)
        self.assertEqual(self.azure_state(), before)
        self.assertEqual(self.listed(), [])
        self.assert_safe(key, "refused for a revoked permission")

    def test_04c_permission_revoked_during_apply(self):
        # Stopped after the backup; then the operator may no longer read the primary's vault:
        # the resume stops (exit 2, the run stays unfinished and listed), and resumes later.
        d = self.demo
        key, _ = self.plan()
        p = d.rotate(*d.apply_args(), crash="backup:done")
        self.assertEqual(p.returncode, -signal.SIGKILL, p.stderr[-3000:])
        fid = d.sim.control("POST", "/faults", {"kind": "revoke", "vault": PRI_VAULT,
                                                "principal": "operator"})["id"]
        try:
            p = d.rotate("--resume", "latest")
            self.assertEqual(p.returncode, 2, p.stdout + p.stderr[-4000:])
            self.assertIn("Forbidden", p.stdout)
            self.assertIn("resume:", p.stdout)
            self.assertEqual(self.last_end()["outcome"], "failed")
        finally:
            d.sim.clear_fault(fid)
        self.assert_safe(key, "failed for a revoked permission")
        self.assertEqual(len(self.listed()), 1)
        p = d.rotate("--resume", "latest")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr[-4000:])
        self.assert_rotated(key)
        self.assertEqual(self.listed(), [])

    def test_04d_vault_outage_during_apply(self):
        # The restore into the primary's vault is accepted, then that vault goes down before
        # it can be read back: the run stops failed (resumable), and resumes once it is back.
        d = self.demo
        key, _ = self.plan()
        p = d.rotate(*d.apply_args(), crash="backup:done")
        self.assertEqual(p.returncode, -signal.SIGKILL, p.stderr[-3000:])
        slow = d.sim.control("POST", "/faults", {"kind": "latency", "ms": 3000,
                                                 "target": "vault:%s@console" % PRI_VAULT})["id"]
        proc = d.start("--resume", "latest")
        down = None
        try:
            d.wait_journal("restore", "begin", proc)
            time.sleep(1.0)  # the restore is in azsim's hands (held 3 s), not on its way
            down = d.sim.control("POST", "/faults", {"kind": "refused",
                                                     "target": "vault:%s@console" % PRI_VAULT})
            p = d.finish(proc)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            d.sim.clear_fault()
        self.assertEqual(p.returncode, 2, p.stdout + p.stderr[-4000:])
        self.assertIn(PRI_VAULT, p.stdout)
        self.assertIn("resume:", p.stdout)
        self.assertEqual(self.last_end()["outcome"], "failed")
        self.assertIsNotNone(down)
        del slow
        self.assert_safe(key, "failed for a vault outage")
        self.assertEqual(len(self.listed()), 1)
        p = d.rotate("--resume", "latest")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr[-4000:])
        self.assert_rotated(key)

    def test_04e_short_vault_outage_is_retried(self):
        # The primary's vault goes down after the key was created and comes back 6 s later:
        # the run retries (reading back first, never blindly) and completes.
        d = self.demo
        key, _ = self.plan()
        proc = d.start(*d.apply_args())
        try:
            d.wait_journal("create", "done", proc)
            d.sim.control("POST", "/faults", {"kind": "refused",
                                              "target": "vault:%s@console" % PRI_VAULT})
            time.sleep(6)
            self.assertIsNone(proc.poll(), "tdectl gave up within 6 s")
        finally:
            d.sim.clear_fault()
        p = d.finish(proc)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr[-4000:])
        self.assertTrue(any(r.get("type") == "note" and ("retrying" in r.get("text", "") or
                                                         "reading again" in r.get("text", ""))
                            for r in d.journal()))
        self.assert_safe(key, "after a short outage")
        self.assert_rotated(key)

    # -- 5. rollback ----------------------------------------------------------------------------
    def test_05_rollback_after_a_done_rotation(self):
        d = self.demo
        key, _ = self.plan()
        before = {inst: d.protector(inst) for inst in (PRI, SEC)}
        p = d.rotate(*d.apply_args())
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr[-4000:])
        self.assert_rotated(key)
        journal = d.journals()[-1]
        p = d.rotate("--rollback", "latest", "--reason", "x")
        self.assertNotEqual(p.returncode, 0, "latest names only unfinished runs")
        p = d.rotate("--rollback", journal, "--reason", "x")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr[-4000:])
        self.assertIn("rolled-back", p.stdout)
        self.assertEqual({inst: d.protector(inst) for inst in (PRI, SEC)}, before)
        models = self.assert_safe(key, "rolled back")
        for inst in (PRI, SEC):
            self.assertEqual(models[inst]["protector"], before[inst])
        # Secondary first, in the journal too.
        order = [r["step"] for r in d.journal(journal)
                 if r.get("type") == "step" and r.get("phase") == "done" and
                 r["step"].startswith("rollback-")]
        self.assertEqual(order, ["rollback-secondary", "rollback-primary"])
        # The new key stays: rollback deletes nothing.
        self.assertEqual(len(d.versions(SEC_VAULT, key)), 1)
        self.assertEqual(len(d.versions(PRI_VAULT, key)), 1)
        d.assert_no_secrets()

    # -- 6. refusals ----------------------------------------------------------------------------
    def azure_state(self):
        d = self.demo
        return ({inst: (d.protector(inst), sorted(d.server_keys(inst))) for inst in (PRI, SEC)},
                {v: sorted(d.kv(v, "/keys").json()["value"], key=lambda k: k["kid"])
                 for v in (PRI_VAULT, SEC_VAULT)},
                {i["name"]: i["tags"] for i in d.sim.model()})

    def test_06_refusals_change_nothing(self):
        d = self.demo
        key, plan_id = self.plan()
        before = self.azure_state()
        p = d.rotate(*d.plan_args(), "--apply", "--confirm", "fog-sql-pro", "--reason", "x")
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr[-3000:])
        self.assertIn("confirmation", p.stdout)
        p = d.rotate(*d.plan_args(), "--apply", "--confirm", GROUP, "--reason", " ")
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr[-3000:])
        self.assertEqual(self.azure_state(), before)
        # Read-only configuration.
        with open(d.config) as f:
            cfg = json.load(f)
        cfg["read_only"] = True
        ro = os.path.join(d.home, "ro.json")
        with open(ro, "w") as f:
            json.dump(cfg, f)
        os.chmod(ro, 0o600)
        p = subprocess.run([TDECTL, "rotate", "--config", ro] + d.apply_args(),
                           capture_output=True, text=True, env=d.env(), timeout=120)
        d.seen(p.stdout, p.stderr, p.returncode)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr[-3000:])
        self.assertIn("read-only", p.stdout + p.stderr)
        self.assertEqual(self.azure_state(), before)
        # A stale plan: the group changed after --plan printed its id (another operator
        # moved the secondary's protector to the other key).
        self.assertEqual(d.journals(), [])
        other = "%s_tde-protector-2024_%s" % (SEC_VAULT, OLD_KEYS["tde-protector-2024"][0])
        r = requests.put(d.sim.management_url + instance_id(SEC) + "/encryptionProtector/current",
                         params={"api-version": SQL_API}, verify=d.sim.ca_file, timeout=30,
                         json={"properties": {"serverKeyType": "AzureKeyVault",
                                              "serverKeyName": other}},
                         headers={"Authorization": "Bearer " + d.token(d.sim.management_url)})
        self.assertIn(r.status_code, (200, 201, 202), r.text)
        deadline = time.time() + 30
        while d.protector(SEC) != other:
            self.assertLess(time.time(), deadline, "the protector did not move")
            time.sleep(0.2)
        before = self.azure_state()
        p = d.rotate(*d.apply_args(), "--plan-id", plan_id)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr[-3000:])
        self.assertIn("stale", p.stdout)
        self.assertEqual(self.azure_state(), before)
        d.assert_no_secrets()

    # -- 7. secrets -----------------------------------------------------------------------------
    def test_07_no_secret_in_outputs_journal_audit_or_transcript(self):
        d = self.demo
        escrow = os.path.join(d.home, "escrow.p8")
        env = {"TDECTL_ESCROW_PASSPHRASE": ESCROW_PASS}
        key, _ = self.plan("offline", "--escrow", escrow)
        p = d.rotate(*d.apply_args("offline", "--escrow", escrow), crash="register-primary:begin",
                     env=env)
        self.assertEqual(p.returncode, -signal.SIGKILL, p.stderr[-3000:])
        p = d.rotate("--resume", "latest", env=env)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr[-4000:])
        journal = d.journals()[-1]
        out = os.path.join(d.home, "ticket")
        p = d.rotate("--transcript", journal, "--out", out)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        exported = sorted(glob.glob(os.path.join(out, "*")))
        self.assertEqual([os.path.splitext(f)[1] for f in exported], [".jsonl", ".md"])
        with open([f for f in exported if f.endswith(".md")][0]) as f:
            md = f.read()
        self.assertIn(key, md)
        self.assertIn("CHG-4711", md)
        audit = os.path.join(d.state, "tdectl", "audit.jsonl")
        with open(audit) as f:
            events = [json.loads(line) for line in f if line.strip()]
        self.assertEqual([e.get("event") for e in events], ["start", "resume", "end"], events)
        self.assertEqual(events[0].get("reason"), "CHG-4711 crash test")
        self.assertEqual(events[-1].get("outcome"), "done")
        with open(escrow, "rb") as f:
            self.assertIn(b"ENCRYPTED PRIVATE KEY", f.read())  # the grep below would see it
        d.assert_no_secrets(exported)


def run_parallel(workers=4):
    """Runs every test in its own thread (each has its own azsim and state folder): the file
    spends its time waiting on latency faults, long-running operations and retries, not on
    the CPU. The longest tests start first. Exit status 1 when anything failed."""
    import concurrent.futures
    import io
    names = sorted(unittest.TestLoader().getTestCaseNames(RotateCase),
                   key=lambda n: (-SLOW.get(n, 0), n))
    out = threading.Lock()
    start = time.time()

    def one(name):
        stream = io.StringIO()
        result = unittest.TextTestResult(unittest.runner._WritelnDecorator(stream), True, 2)
        t = time.time()
        RotateCase(name).run(result)
        result.printErrors()
        for _, tb in result.expectedFailures:  # which assertion the known bug still trips
            said = [line for line in tb.splitlines() if line.startswith("AssertionError")]
            stream.write("\n    known bug: %s" % (said[0] if said else tb.splitlines()[-1])[:240])
        with out:
            sys.stderr.write("[%5.1f s] %s\n" % (time.time() - t, stream.getvalue().strip()))
        return result

    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        results = list(pool.map(one, names))
    ok = all(r.wasSuccessful() for r in results)
    counts = {k: sum(len(getattr(r, k)) for r in results)
              for k in ("failures", "errors", "expectedFailures", "unexpectedSuccesses")}
    sys.stderr.write("Ran %d tests in %.1f s: %s %s\n" % (
        len(names), time.time() - start, "OK" if ok else "FAILED",
        ", ".join("%s=%d" % kv for kv in counts.items() if kv[1])))
    return 0 if ok else 1


if __name__ == "__main__":
    if len(sys.argv) > 1:  # by name, one after another: test_rotate_crash.py RotateCase.test_01
        unittest.main(verbosity=2)
    else:
        sys.exit(run_parallel())
