"""Hostile answers against the whole binary: `tdectl check` (text and --json), `tdectl
watch` (its metrics endpoint) and the console (tmux), behind tests/pylib/hostile.py, a
TLS proxy in front of azsim's demo that misbehaves on one endpoint only (a vault, the
token endpoint, ARM's instance list) while the rest of the sweep is served normally.

Each hostile mode (huge body, endless chunks, a gzip bomb, slow-loris headers and body,
a server that never answers, invalid UTF-8 and terminal escapes, JSON nested 30 000
deep, every value of the wrong type, duplicate keys, garbage / truncated / silent TLS)
must give: the exit status of a sweep that could not read (3, UNKNOWN) with a finding
that names the endpoint and the failure (too large, timed out, not valid JSON ...);
the rest of the estate read (the other vault up); a wall time bounded by the configured
timeouts; a bounded peak memory (ru_maxrss of the finished process, VmHWM of a running
one) while the server offers a gigabyte or an endless stream; output that is valid
UTF-8 without control characters; no signal, no sanitizer report.

The figures (wall time, peak memory, bytes the server sent) are printed to stderr, one
line per case. Cases run in parallel threads, each with its own proxy (and port) in
front of one azsim. Run with Debian's /usr/bin/python3; environment (ctest): TDECTL,
AZSIM.
"""

import concurrent.futures
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

import jsonschema
import requests

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "pylib"))
sys.path.insert(0, HERE)
import azsim  # noqa: E402
import hostile  # noqa: E402
import tmuxrun  # noqa: E402

ROOT = os.path.join(HERE, "..", "..")
TDECTL = os.environ.get("TDECTL", os.path.join(ROOT, "build", "tui", "tdectl"))
DEMO = os.path.join(ROOT, "sim", "scenarios", "demo.json")
SCHEMA = os.path.join(ROOT, "docs", "check-schema.json")

TENANT = "1fc969be-ee9e-424f-9ec5-a33b1d15ab71"
SUBSCRIPTION = "558aba93-77f9-4064-aa55-4db325ca1cbf"
MONITOR_ID = "62a50920-39f7-44ce-af52-b5ad5ff7b541"
MONITOR_SECRET = "demo-monitor-nthFMjndfT_W0t965DXzzIsbiZBFLBLF"

# Short limits: one attempt 1.5 s, retries stop after 2 s, answers over 64 KiB refused.
HTTP = {"connect_timeout_ms": 1000, "timeout_ms": 1500, "retry_budget_ms": 2000,
        "max_response_bytes": 65536}
# A check's wall time: the retry budget plus one attempt (3.5 s) per endpoint in a row,
# process start and the rest of the sweep; a loaded 2-core runner with the sanitizers.
WALL_MAX_S = 12.0


def sanitized_build():
    with open(TDECTL, "rb") as f:
        return b"__asan_init" in f.read()


ASAN = sanitized_build()
# Peak resident memory. tdectl needs ~14 MB for the demo (~42-48 MB in the sanitized
# build: shadow memory, quarantine); buffering what the server offers (1 GiB, or endless)
# would need far more: with http.max_response_bytes at 256 MiB instead of 64 KiB, the
# chunked case peaks at 270 MB.
RSS_MAX_MB = 128 if ASAN else 64

VAULT = r"^kv-tde-eus2\.vault\."
LOGIN = r"^login\."
ARM = r"^management\."
INSTANCES = r"/providers/Microsoft\.Sql/managedInstances\?"

TOO_LARGE = r"larger than the 65536-byte limit"
TIMED_OUT = r"[Tt]imed out|timeout"
NOT_JSON = r"not valid JSON|not JSON"
TLS = r"SSL|TLS"

# (mode, host, path, what the finding must say). The vault cases: kv-tde-eus2 misbehaves.
VAULT_CASES = [
    ("huge", VAULT, ".", TOO_LARGE),
    ("chunked", VAULT, ".", TOO_LARGE),
    ("gzip", VAULT, ".", TOO_LARGE),
    ("slow-headers", VAULT, ".", TIMED_OUT),
    ("slow-body", VAULT, ".", TIMED_OUT),
    ("silent", VAULT, ".", TIMED_OUT),
    ("bad-utf8", VAULT, ".", r"HTTP 403"),
    ("deep", VAULT, ".", NOT_JSON),
    ("retype", VAULT, ".", r"expected a JSON object"),
    ("dupkeys", VAULT, ".", r"value: expected an array"),
    ("tls-garbage", VAULT, ".", TLS),
    ("tls-truncated", VAULT, ".", TLS),
    ("tls-silent", VAULT, ".", TIMED_OUT),
]
# Sign-in and ARM: nothing can be read (login), or no instance (ARM's list).
OTHER_CASES = [
    ("huge", LOGIN, "/oauth2/", TOO_LARGE),
    ("slow-body", LOGIN, "/oauth2/", TIMED_OUT),
    ("deep", LOGIN, "/oauth2/", NOT_JSON),
    ("retype", LOGIN, "/oauth2/", r"."),
    ("bad-utf8", LOGIN, "/oauth2/", r"HTTP 403"),
    ("tls-garbage", LOGIN, ".", TLS),
    ("chunked", ARM, INSTANCES, TOO_LARGE),
    ("silent", ARM, INSTANCES, TIMED_OUT),
    ("deep", ARM, INSTANCES, NOT_JSON),
    ("dupkeys", ARM, INSTANCES, r"."),
]

# Runs a command and writes its exit status (-N: killed by signal N) and its ru_maxrss
# (kB) to a file. A process starts with its parent's memory counted (fork, then exec):
# a fresh `python3 -S` (~8 MB) instead of the test's threaded interpreter (~50 MB)
# keeps that floor low.
LAUNCHER = """
import os, sys
pid = os.fork()
if pid == 0:
    try:
        os.execv(sys.argv[2], sys.argv[2:])
    finally:
        os._exit(127)
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as f:
    f.write("%d %d" % (os.waitstatus_to_exitcode(status), usage.ru_maxrss))
"""

CONTROL = re.compile(rb"[\x00-\x08\x0b-\x1f\x7f]")


def report(line):
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


def vm_hwm_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


class HostileTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sim = azsim.Azsim(DEMO).start()
        cls.tmp = tempfile.TemporaryDirectory(prefix="tdectl-hostile-")
        with open(SCHEMA) as f:
            cls.schema = json.load(f)
        cls.env = {"PATH": "/usr/bin:/bin", "HOME": cls.tmp.name,
                   "XDG_STATE_HOME": os.path.join(cls.tmp.name, "state"),
                   "AZURE_CLIENT_SECRET": MONITOR_SECRET}
        for name in tmuxrun.PASS_THROUGH:
            if name in os.environ:
                cls.env[name] = os.environ[name]
        report("hostile: %s build, peak memory bound %d MB, wall bound %.0f s"
               % ("sanitized" if ASAN else "plain", RSS_MAX_MB, WALL_MAX_S))

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()
        cls.tmp.cleanup()

    # ---- helpers ----
    def proxy(self, mode=None, host=".*", path="."):
        """A started hostile proxy with one rule, and a config file pointing tdectl at it."""
        d = tempfile.mkdtemp(dir=self.tmp.name)
        h = hostile.Hostile(self.sim, d).start()
        if mode:
            h.rule(mode, host=host, path=path)
        config = os.path.join(d, "config.json")
        with open(config, "w") as f:
            json.dump({"cloud": "custom", "endpoints": h.endpoints(), "ca_file": h.ca_file,
                       "auth": {"mode": "secret", "tenant_id": TENANT, "client_id": MONITOR_ID},
                       "subscriptions": [SUBSCRIPTION], "http": HTTP,
                       "poll": {"probe_seconds": 5, "health_seconds": 10},
                       "read_only": True}, f)
        os.chmod(config, stat.S_IRUSR | stat.S_IWUSR)
        return h, config

    def run_tdectl(self, args):
        """(exit status, wall s, ru_maxrss MB, stdout bytes, stderr text) of one tdectl."""
        start = time.monotonic()
        fd, usage = tempfile.mkstemp(dir=self.tmp.name)
        os.close(fd)
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            subprocess.run([sys.executable, "-S", "-c", LAUNCHER, usage, TDECTL] + args,
                           stdout=out, stderr=err, env=self.env, timeout=120, check=True)
            wall = time.monotonic() - start
            out.seek(0)
            err.seek(0)
            with open(usage) as f:
                status, maxrss_kb = (int(x) for x in f.read().split())
            return (status, wall, maxrss_kb / 1024.0, out.read(),
                    err.read().decode("utf-8", "replace"))

    def assert_clean(self, name, rc, stdout, stderr):
        self.assertGreaterEqual(rc, 0, "%s: tdectl died of signal %d" % (name, -rc))
        for marker in tmuxrun.SANITIZER_MARKERS:
            self.assertNotIn(marker, stderr, "%s: sanitizer report:\n%s" % (name, stderr))
        self.assertNotIn(MONITOR_SECRET, stderr)
        try:
            stdout.decode("utf-8")
        except UnicodeDecodeError as e:
            self.fail("%s: output is not UTF-8 (%s): %r" % (name, e, stdout[:400]))
        m = CONTROL.search(stdout)
        self.assertIsNone(m, "%s: a control character in the output: %r"
                          % (name, stdout[max(0, m.start() - 60):m.start() + 20] if m else b""))

    def check_case(self, mode, host, path):
        """Runs check and check --json behind a proxy in this mode: the figures."""
        h, config = self.proxy(mode, host, path)
        try:
            base = ["check", "--config", config, "--timeout", "30"]
            text = self.run_tdectl(base)
            js = self.run_tdectl(base + ["--json"])
            return {"text": text, "json": js, "stats": h.stats().get(mode, {})}
        finally:
            h.stop()

    def run_cases(self, cases):
        with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
            futures = [pool.submit(self.check_case, m, h, p) for m, h, p, _ in cases]
            return [f.result() for f in futures]

    def assert_check(self, case, result, subject):
        mode, host, _, phrase = case
        name = "%s on %s" % (mode, host)
        rc, wall, rss, out, err = result["text"]
        jrc, jwall, jrss, jout, jerr = result["json"]
        stats = result["stats"]
        report("hostile: check %-13s %-22s exit %d/%d  wall %.2f/%.2f s  peak %.1f/%.1f MB  "
               "server sent %d bytes in %d answers"
               % (mode, host, rc, jrc, wall, jwall, rss, jrss, stats.get("bytes", 0),
                  stats.get("hits", 0)))
        self.assertGreater(stats.get("hits", 0), 0, "%s: the proxy never misbehaved" % name)
        self.assert_clean(name, rc, out, err)
        self.assert_clean(name + " --json", jrc, jout, jerr)
        self.assertEqual(rc, 3, "%s: exit %d:\n%s\n%s" % (name, rc, out.decode(), err))
        self.assertEqual(jrc, 3, name)
        self.assertLess(max(wall, jwall), WALL_MAX_S, name)
        self.assertLess(max(rss, jrss), RSS_MAX_MB, name)
        doc = json.loads(jout)
        jsonschema.validate(doc, self.schema)
        self.assertEqual(doc["status"]["name"], "UNKNOWN", name)
        said = [f["evidence"] for f in doc["findings"] if f["rule"] == "D01" and
                subject in f["subject"]]
        self.assertTrue(said, "%s: no D01 finding about %s: %s"
                        % (name, subject, json.dumps(doc["findings"], indent=1)))
        self.assertTrue(any(re.search(phrase, e) for e in said),
                        "%s: the finding does not say %r: %s" % (name, phrase, said))
        self.assertRegex(out.decode(), phrase, name)
        return doc

    # ---- the tests ----
    def test_01_check_hostile_vault(self):
        """A hostile vault: UNKNOWN, the vault's D01 names the failure; the other vault and
        the instance using it are read as usual."""
        for case, result in zip(VAULT_CASES, self.run_cases(VAULT_CASES)):
            with self.subTest(mode=case[0]):
                doc = self.assert_check(case, result, "vault kv-tde-eus2")
                vaults = {v["name"]: v for v in doc["vaults"]}
                self.assertEqual(vaults["kv-tde-cus"]["reachability"], "up", case[0])
                cus = [i for i in doc["instances"] if i["name"] == "sqlmi-prod-cus"]
                self.assertEqual(cus[0]["key_access"], "ok", case[0])

    def test_02_check_hostile_login_and_arm(self):
        """A hostile token endpoint or ARM instance list: UNKNOWN, D01 names the failure."""
        for case, result in zip(OTHER_CASES, self.run_cases(OTHER_CASES)):
            with self.subTest(mode=case[0], host=case[1]):
                self.assert_check(case, result, "")

    def test_03_check_hostile_names(self):
        """ARM names, locations, types and states and Key Vault key ids carrying invalid
        UTF-8 and terminal escapes: the text and the JSON stay UTF-8 without control
        characters, and a garbled key id is not read as another key's."""
        cases = [("evil-names", ARM, ".", None), ("evil-names", VAULT, ".", None),
                 ("evil-strings", ARM, ".", None), ("evil-strings", VAULT, ".", None)]
        for case, result in zip(cases, self.run_cases(cases)):
            with self.subTest(host=case[1]):
                rc, wall, rss, out, err = result["text"]
                jrc, jwall, jrss, jout, jerr = result["json"]
                report("hostile: check %-13s %-22s exit %d/%d  wall %.2f/%.2f s  "
                       "peak %.1f/%.1f MB" % (case[0], case[1], rc, jrc, wall, jwall, rss, jrss))
                self.assertGreater(result["stats"].get("hits", 0), 0)
                self.assert_clean(case[0], rc, out, err)
                self.assert_clean(case[0] + " --json", jrc, jout, jerr)
                self.assertEqual(rc, jrc)
                self.assertIn(rc, (0, 1, 2, 3))
                if case[:2] == ("evil-names", VAULT):
                    # Garbled kids make the key list unreadable (UNKNOWN, D01), never a
                    # key that is not there (a missing protector key is CRITICAL).
                    self.assertEqual(rc, 3, out)
                    self.assertIn(b"not a Key Vault key identifier", out)
                if case[:2] == ("evil-names", ARM):
                    # Garbled locations are dropped: key access cannot be judged, so
                    # UNKNOWN with D01 naming the region, never a silent OK.
                    self.assertEqual(rc, 3, out)
                    self.assertIn(b"location missing or not a region name", out)
                jsonschema.validate(json.loads(jout), self.schema)
                self.assertLess(max(wall, jwall), WALL_MAX_S)
                self.assertLess(max(rss, jrss), RSS_MAX_MB)

    def test_04_watch(self):
        """tdectl watch behind a vault that streams without end, stalls, then heals:
        /metrics keeps answering at once, the vault's series go to 0 and back, memory
        stays bounded."""
        h, config = self.proxy("chunked", VAULT)
        err_path = os.path.join(self.tmp.name, "watch.stderr")
        with open(err_path, "w") as err:
            proc = subprocess.Popen([TDECTL, "watch", "--metrics", "127.0.0.1:0",
                                     "--config", config], stdout=subprocess.DEVNULL,
                                    stderr=err, env=self.env)
        try:
            base = "http://%s" % self.wait(lambda: self.watch_address(proc, err_path),
                                           "watch serving", 30)
            up = 'tdectl_vault_up{vault="%s"}'

            def scrape():
                t = time.monotonic()
                r = requests.get(base + "/metrics", timeout=5)
                took = time.monotonic() - t
                self.assertEqual(r.status_code, 200)
                self.assertLess(took, 1.0, "/metrics took %.2f s" % took)
                return {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
                        for line in r.text.splitlines() if line and not line.startswith("#")}

            def vault_up(want):
                # The other vault's series appears with its first probe: wait for it too.
                s = scrape()
                return s if (s.get(up % "kv-tde-eus2") == want and
                             s.get(up % "kv-tde-cus") == 1) else None

            for mode in ("chunked", "silent"):  # an endless body, then a stall
                h.clear()
                h.rule(mode, host=VAULT)
                before = h.stats().get(mode, {}).get("hits", 0)
                self.wait(lambda: vault_up(0), "kv-tde-eus2 down, kv-tde-cus up (%s)" % mode, 30)
                # The next probe of the hostile vault: /metrics answers while it runs.
                self.wait(lambda: h.stats().get(mode, {}).get("hits", 0) > before,
                          "a probe meeting %s" % mode, 30)
                for _ in range(4):
                    scrape()
                    time.sleep(0.25)
                report("hostile: watch %-13s kv-tde-eus2 down, /metrics answering, "
                       "server sent %d bytes, peak %.1f MB"
                       % (mode, h.stats()[mode]["bytes"], vm_hwm_kb(proc.pid) / 1024.0))
            h.clear()
            self.wait(lambda: vault_up(1), "kv-tde-eus2 back up", 30)
            hwm = vm_hwm_kb(proc.pid) / 1024.0
            self.assertLess(hwm, RSS_MAX_MB)
            self.assertIsNone(proc.poll(), "watch exited")
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
            try:
                rc = proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                rc = None
            h.stop()
        with open(err_path, errors="replace") as f:
            err = f.read()
        self.assertEqual(rc, 0, "watch ended with %s: %s" % (rc, err[-3000:]))
        for marker in tmuxrun.SANITIZER_MARKERS:
            self.assertNotIn(marker, err)

    def test_05_console(self):
        """The console behind a hostile vault body: the findings view says what failed,
        a key press changes the frame at once, memory stays bounded, q quits with 0."""
        cases = [("huge", TOO_LARGE), ("chunked", TOO_LARGE), ("gzip", TOO_LARGE),
                 ("deep", NOT_JSON), ("retype", r"expected a JSON object"),
                 ("bad-utf8", r"HTTP 403"), ("slow-body", TIMED_OUT)]
        with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
            futures = [pool.submit(self.console_case, m, p) for m, p in cases]
            futures.append(pool.submit(self.console_escapes))
            results = [f.result() for f in futures]
        for (mode, _), (error, hwm, key_s) in zip(cases + [("evil-strings", None)], results):
            with self.subTest(mode=mode):
                if error:
                    raise error
                self.assertLess(hwm, RSS_MAX_MB, mode)
                self.assertLess(key_s, 3.0, mode)

    # ---- the console and watch helpers ----
    def console_case(self, mode, phrase):
        """(an exception or None, peak MB, seconds from a key press to the new frame)."""
        h, config = self.proxy(mode, VAULT)
        c = tmuxrun.Console(160, 45)
        try:
            env = {k: v for k, v in self.env.items() if k == "AZURE_CLIENT_SECRET"}
            c.start(["--config", config], env=env)
            c.wait_for(r"primary\s+kv-tde-cus UP", 60)
            c.keys("5")
            c.wait_for(r"HIGH +D01 +vault kv-tde-eus2", 30)
            c.wait_for(r"Evidence: .*kv-tde-eus2|Evidence: .*(%s)" % phrase, 30)
            screen = c.screen()
            self.assertRegex(screen, phrase)
            # While the vault keeps misbehaving (probes every 5 s), keys still work.
            t = time.monotonic()
            c.keys("2")
            c.wait_for(r"^kv-tde-eus2 +eastus2 +(DOWN|UP)", 10)
            key_s = time.monotonic() - t
            hwm = vm_hwm_kb(self.console_pid(c)) / 1024.0
            report("hostile: console %-11s findings say %r; key to frame %.2f s, peak %.1f MB"
                   % (mode, re.search(phrase, screen).group(0), key_s, hwm))
            c.stop()
            return None, hwm, key_s
        except BaseException as e:  # reported by the main thread, with the screen
            return AssertionError("%s: %s\n%s" % (mode, e, c.screen() if c.started else "")), 0, 0
        finally:
            c.cleanup()
            h.stop()

    def console_escapes(self):
        """ARM's states and types carrying terminal escapes (clear screen, window title,
        OSC 52 clipboard): shown as text, never acted on."""
        h, config = self.proxy("evil-strings", ARM)
        c = tmuxrun.Console(160, 45)
        try:
            env = {k: v for k, v in self.env.items() if k == "AZURE_CLIENT_SECRET"}
            c.start(["--config", config], env=env)
            c.wait_for(r"protector AzureKeyVaultbad \?\? .*\[2J .*\]0;pwned", 60)
            t = time.monotonic()
            c.keys("5")
            c.wait_for(r"SEV +RULE +SUBJECT +FINDING", 10)
            key_s = time.monotonic() - t
            title = c.tmux("display-message", "-p", "-t", "e2e", "#{pane_title}")
            self.assertNotIn("pwned", title)  # OSC 0 would have set it
            self.assertEqual(c.tmux("list-buffers", check=False).strip(), "")  # OSC 52
            hwm = vm_hwm_kb(self.console_pid(c)) / 1024.0
            report("hostile: console evil-strings escapes shown as text, title %r, no paste "
                   "buffer; key to frame %.2f s, peak %.1f MB" % (title.strip(), key_s, hwm))
            c.stop()
            return None, hwm, key_s
        except BaseException as e:
            screen = c.screen() if c.started else ""
            return AssertionError("evil-strings: %s\n%s" % (e, screen)), 0, 0
        finally:
            c.cleanup()
            h.stop()

    @staticmethod
    def console_pid(c):
        """tdectl's pid: the child of the pane's shell (the shell's env exec'd it)."""
        shell = int(c.tmux("display-message", "-p", "-t", "e2e", "#{pane_pid}").strip())
        with open("/proc/%d/task/%d/children" % (shell, shell)) as f:
            return int(f.read().split()[0])

    @staticmethod
    def watch_address(proc, err_path):
        if proc.poll() is not None:
            raise AssertionError("watch exited with %d" % proc.returncode)
        with open(err_path) as f:
            m = re.search(r"serving http://([0-9.]+:[0-9]+)/metrics", f.read())
        return m and m.group(1)

    @staticmethod
    def wait(fn, what, timeout):
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            last = fn()
            if last:
                return last
            time.sleep(0.2)
        raise AssertionError("%s: not within %d s (last: %r)" % (what, timeout, last))


if __name__ == "__main__":
    unittest.main()
