"""tdectl watch against azsim's demo: /metrics and /healthz answer, the series
say what the estate is, promtool accepts the text, a real Prometheus scrapes
it, an injected fault moves the series within a poll cycle and clearing it
brings them back; bad addresses are usage errors; SIGTERM and SIGINT end it
cleanly.

Run with Debian's /usr/bin/python3 (requests). Environment (ctest): TDECTL
and AZSIM, the binaries under test. promtool and prometheus come from
Debian's `prometheus` package, which ./dev installs: missing, the test fails.
"""

import json
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
import unittest

import requests

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "pylib"))
import azsim  # noqa: E402

ROOT = os.path.join(HERE, "..", "..")
TDECTL = os.environ.get("TDECTL", os.path.join(ROOT, "build", "tui", "tdectl"))
DEMO = os.path.join(ROOT, "sim", "scenarios", "demo.json")
DOCS = os.path.join(ROOT, "docs", "monitoring.md")

TENANT = "1fc969be-ee9e-424f-9ec5-a33b1d15ab71"
SUBSCRIPTION = "558aba93-77f9-4064-aa55-4db325ca1cbf"
MONITOR_ID = "62a50920-39f7-44ce-af52-b5ad5ff7b541"
MONITOR_SECRET = "demo-monitor-nthFMjndfT_W0t965DXzzIsbiZBFLBLF"

EUS2_ACCESS = 'tdectl_instance_key_access{managed_instance="sqlmi-prod-eus2",state="%s"}'
SERVING = re.compile(r"serving http://([0-9.]+):([0-9]+)/metrics")
SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)$')


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def parse(text):
    """{'name{labels}': value} of every sample; the families' TYPE lines."""
    samples, types = {}, {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            types[name] = kind
        elif line and not line.startswith("#"):
            m = SAMPLE.match(line)
            assert m, "not a sample line: %r" % line
            samples[m.group(1) + (m.group(2) or "")] = float(m.group(3))
    return samples, types


def wait_for(what, fn, timeout):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(0.25)
    raise AssertionError("%s: not within %d s (last: %r)" % (what, timeout, last))


class Watch:
    """One tdectl watch process; its stderr in a file."""

    def __init__(self, tmp, config, address="127.0.0.1:0"):
        self.err_path = os.path.join(tmp, "watch-%d.stderr" % time.monotonic_ns())
        env = {"PATH": "/usr/bin:/bin", "HOME": tmp,
               "XDG_STATE_HOME": os.path.join(tmp, "state"),
               "AZURE_CLIENT_SECRET": MONITOR_SECRET,
               "ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", "")}
        with open(self.err_path, "w") as err:
            self.proc = subprocess.Popen([TDECTL, "watch", "--metrics", address,
                                          "--config", config],
                                         stdout=subprocess.DEVNULL, stderr=err, env=env)

    def stderr(self):
        with open(self.err_path) as f:
            return f.read()

    def address(self):
        def found():
            if self.proc.poll() is not None:
                raise AssertionError("watch exited with %d: %s" % (self.proc.returncode,
                                                                   self.stderr()))
            m = SERVING.search(self.stderr())
            return m and "%s:%s" % (m.group(1), m.group(2))
        return wait_for("watch serving", found, 20)

    def stop(self, sig=signal.SIGTERM):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("watch did not end on %s" % sig.name)
        return rc


class WatchTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sim = azsim.Azsim(DEMO).start()
        cls.tmp = tempfile.TemporaryDirectory(prefix="tdectl-watch-")
        cls.config = os.path.join(cls.tmp.name, "config.json")
        info = cls.sim.info
        config = {
            "cloud": "custom",
            "endpoints": {"authority": info["authority"], "arm": info["management_resource"],
                          "vault_resource": info["vault_resource"]},
            "ca_file": os.path.abspath(cls.sim.ca_file),
            "auth": {"mode": "secret", "tenant_id": TENANT, "client_id": MONITOR_ID},
            "subscriptions": [SUBSCRIPTION],
            "poll": {"probe_seconds": 5, "health_seconds": 10},
            "http": {"connect_timeout_ms": 1000, "timeout_ms": 1500, "retry_budget_ms": 2000},
            "read_only": False,  # watch runs read-only regardless
        }
        with open(cls.config, "w") as f:
            json.dump(config, f)
        os.chmod(cls.config, stat.S_IRUSR | stat.S_IWUSR)
        cls.watch = Watch(cls.tmp.name, cls.config)
        cls.base = "http://%s" % cls.watch.address()
        wait_for("/healthz ok", lambda: requests.get(cls.base + "/healthz", timeout=5).ok, 30)

    @classmethod
    def tearDownClass(cls):
        try:
            rc = cls.watch.stop()
            err = cls.watch.stderr()
            assert rc == 0, "watch ended with %d: %s" % (rc, err)
            assert "AddressSanitizer" not in err and "runtime error:" not in err, err
            assert MONITOR_SECRET not in err
        finally:
            cls.sim.stop()
            cls.tmp.cleanup()

    def scrape(self):
        r = requests.get(self.base + "/metrics", timeout=10)
        self.assertEqual(r.status_code, 200)
        self.assertEqual(r.headers["Content-Type"], "text/plain; version=0.0.4; charset=utf-8")
        return r.text

    def values(self):
        return parse(self.scrape())[0]

    def test_01_healthy_estate(self):
        text = self.scrape()
        s, types = parse(text)
        self.assertEqual(s['tdectl_build_info{version="0.1.0"}'], 1)
        for vault in ("kv-tde-eus2", "kv-tde-cus"):
            self.assertEqual(s['tdectl_vault_up{vault="%s"}' % vault], 1)
            self.assertGreaterEqual(s['tdectl_vault_probe_latency_seconds{vault="%s"}' % vault], 0)
        for mi in ("sqlmi-prod-eus2", "sqlmi-prod-cus"):
            access = 'tdectl_instance_key_access{managed_instance="%s",state="%%s"}' % mi
            dbs = 'tdectl_instance_databases{managed_instance="%s",status="%%s"}' % mi
            self.assertEqual(s[access % "ok"], 1)
            self.assertEqual(s[access % "lost"], 0)
            self.assertEqual(s[dbs % "Online"], 3)
            self.assertEqual(s[dbs % "Inaccessible"], 0)
        expiries = [k for k in s if k.startswith("tdectl_key_expires_in_seconds{")]
        self.assertTrue(expiries and all(s[k] > 86400 for k in expiries), expiries)
        self.assertFalse(any(k.startswith("tdectl_instance_inaccessible_clock") for k in s))
        self.assertEqual(s['tdectl_findings{rule="I06",severity="CRIT"}'], 0)
        self.assertGreater(s['tdectl_api_requests_total{class="2xx"}'], 0)
        self.assertGreaterEqual(s['tdectl_sweeps_total{kind="full"}'], 1)
        self.assertGreater(s["tdectl_sweep_last_success_timestamp_seconds"], time.time() - 120)
        self.assertLess(s["tdectl_data_age_seconds"], 60)
        self.assertEqual(types["tdectl_api_requests_total"], "counter")
        # Every family is documented.
        with open(DOCS) as f:
            docs = f.read()
        for name in types:
            self.assertIn("`%s`" % name, docs, "docs/monitoring.md does not list %s" % name)

    def test_02_promtool_accepts_it(self):
        promtool = shutil.which("promtool")
        self.assertIsNotNone(promtool, "promtool is missing: ./dev deps installs prometheus")
        p = subprocess.run([promtool, "check", "metrics"], input=self.scrape(),
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual(p.stdout + p.stderr, "")
        # The alert rules the docs show are valid too.
        with open(DOCS) as f:
            blocks = re.findall(r"```yaml\n(.*?)```", f.read(), re.S)
        rules = [b for b in blocks if b.startswith("groups:")]
        self.assertTrue(rules, "docs/monitoring.md shows no alert rules")
        path = os.path.join(self.tmp.name, "rules.yml")
        with open(path, "w") as f:
            f.write(rules[0])
        p = subprocess.run([promtool, "check", "rules", path], capture_output=True, text=True,
                           timeout=60)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)

    def test_03_http(self):
        r = requests.get(self.base + "/healthz", timeout=5)
        self.assertEqual((r.status_code, r.text), (200, "ok\n"))
        r = requests.get(self.base + "/nothing", timeout=5)
        self.assertEqual(r.status_code, 404)
        r = requests.get(self.base + "/", timeout=5)
        self.assertEqual(r.status_code, 404)
        for method in ("POST", "PUT", "DELETE"):
            r = requests.request(method, self.base + "/metrics", data="x" * 5000, timeout=5)
            self.assertEqual(r.status_code, 405, method)
            self.assertEqual(r.headers["Allow"], "GET, HEAD")
        r = requests.head(self.base + "/metrics", timeout=5)
        self.assertEqual((r.status_code, r.content), (200, b""))
        r = requests.get(self.base + "/healthz", data="x" * 100000, timeout=5)
        self.assertEqual((r.status_code, r.text), (200, "ok\n"))
        r = requests.get(self.base + "/metrics?debug=1", timeout=5)
        self.assertEqual(r.status_code, 200)
        self.assertIn("tdectl_vault_up", r.text)

    def test_04_prometheus_scrapes_it(self):
        prometheus = shutil.which("prometheus")
        self.assertIsNotNone(prometheus, "prometheus is missing: ./dev deps installs it")
        d = tempfile.mkdtemp(prefix="prom-", dir=self.tmp.name)
        with open(os.path.join(d, "prometheus.yml"), "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                    "scrape_configs:\n  - job_name: tdectl\n    static_configs:\n"
                    "      - targets: ['%s']\n" % self.base[len("http://"):])
        port = free_port()
        with open(os.path.join(d, "stderr"), "w") as err:
            proc = subprocess.Popen([prometheus,
                                     "--config.file=" + os.path.join(d, "prometheus.yml"),
                                     "--storage.tsdb.path=" + os.path.join(d, "data"),
                                     "--web.listen-address=127.0.0.1:%d" % port],
                                    stdout=err, stderr=subprocess.STDOUT)
        api = "http://127.0.0.1:%d/api/v1/query" % port

        def query(q):
            try:
                r = requests.get(api, params={"query": q}, timeout=5)
            except requests.ConnectionError:
                return None
            if proc.poll() is not None:
                with open(os.path.join(d, "stderr")) as f:
                    raise AssertionError("prometheus exited: " + f.read()[-3000:])
            result = r.json()["data"]["result"] if r.ok else []
            return result and result[0]["value"][1]

        try:
            self.assertEqual(wait_for("prometheus has the series",
                                      lambda: query('tdectl_vault_up{vault="kv-tde-eus2"}'), 30),
                             "1")
            self.assertEqual(query('up{job="tdectl"}'), "1")
            self.assertEqual(query('tdectl_instance_key_access{managed_instance="sqlmi-prod-cus",'
                                   'state="ok"}'), "1")
            self.assertEqual(query('sum(tdectl_instance_databases{status="Online"})'), "6")
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def test_05_a_fault_moves_the_series_and_clearing_restores_them(self):
        before = self.values()
        fid = self.sim.fault("refused", "vault:kv-tde-eus2")
        try:
            # The probe runs every 5 s (the config): within a cycle the vault is down and
            # sqlmi-prod-eus2 is predicted to use its copy in the other vault.
            s = wait_for("kv-tde-eus2 down", lambda: (
                lambda v: v if v['tdectl_vault_up{vault="kv-tde-eus2"}'] == 0 else None)(
                    self.values()), 15)
            self.assertEqual(s['tdectl_vault_up{vault="kv-tde-cus"}'], 1)
            self.assertNotIn('tdectl_vault_probe_latency_seconds{vault="kv-tde-eus2"}', s)
            self.assertEqual(s[EUS2_ACCESS % "fallback"], 1)
            self.assertEqual(s[EUS2_ACCESS % "ok"], 0)
            self.assertGreater(s['tdectl_api_requests_total{class="error"}'],
                               before['tdectl_api_requests_total{class="error"}'])
            self.assertGreater(s["tdectl_engine_read_failures_total"],
                               before["tdectl_engine_read_failures_total"])
        finally:
            self.sim.clear_fault(fid)
        s = wait_for("kv-tde-eus2 back", lambda: (
            lambda v: v if v['tdectl_vault_up{vault="kv-tde-eus2"}'] == 1 else None)(
                self.values()), 15)
        self.assertEqual(s[EUS2_ACCESS % "ok"], 1)
        self.assertGreaterEqual(s['tdectl_vault_probe_latency_seconds{vault="kv-tde-eus2"}'], 0)
        self.assertEqual(requests.get(self.base + "/healthz", timeout=5).status_code, 200)

    def test_06_usage_errors(self):
        for bad in ("localhost:9464", "127.0.0.1", "127.0.0.1:", "127.0.0.1:99999",
                    "127.0.0.1:-1", "127.0.0.1:94x", "1.2.3:9464", "::1:9464", "[::1]",
                    "[nope]:9464", "", ":9464"):
            with self.subTest(address=bad):
                p = subprocess.run([TDECTL, "watch", "--metrics", bad, "--config", self.config],
                                   capture_output=True, text=True, timeout=30)
                self.assertEqual(p.returncode, 2, p.stderr)
                self.assertIn("--metrics takes a numeric address", p.stderr)
        p = subprocess.run([TDECTL, "watch", "--bogus"], capture_output=True, text=True,
                           timeout=30)
        self.assertEqual(p.returncode, 2)
        self.assertIn("usage: tdectl watch", p.stderr)
        p = subprocess.run([TDECTL, "watch", "--config", "/nonexistent/config.json"],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 1)
        self.assertIn("/nonexistent/config.json", p.stderr)
        # The address the first watch holds is in use: a clear error, exit 1.
        taken = self.base[len("http://"):]
        p = subprocess.run([TDECTL, "watch", "--metrics", taken, "--config", self.config],
                           capture_output=True, text=True, timeout=30,
                           env={"PATH": "/usr/bin:/bin", "HOME": self.tmp.name,
                                "AZURE_CLIENT_SECRET": MONITOR_SECRET})
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("cannot listen on %s" % taken, p.stderr)

    def test_07_healthz_before_the_first_sweep_and_sigint(self):
        # Sign-in held (a blackhole): the first sweep cannot end for a while, /healthz
        # says why; SIGINT in the middle of it ends watch cleanly all the same.
        with open(self.config) as f:
            config = json.load(f)
        config["http"] = {"connect_timeout_ms": 1000, "timeout_ms": 20000,
                          "retry_budget_ms": 20000}
        path = os.path.join(self.tmp.name, "slow.json")
        with open(path, "w") as f:
            json.dump(config, f)
        os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)
        fid = self.sim.fault("blackhole", "login")
        try:
            w = Watch(self.tmp.name, path)
            base = "http://%s" % w.address()
            r = requests.get(base + "/healthz", timeout=5)
            self.assertEqual(r.status_code, 503)
            self.assertIn("the first full sweep has not ended yet", r.text)
            s, _ = parse(requests.get(base + "/metrics", timeout=5).text)
            self.assertEqual(s['tdectl_sweeps_total{kind="full"}'], 0)
            self.assertEqual(w.stop(signal.SIGINT), 0, w.stderr())
            self.assertNotIn("AddressSanitizer", w.stderr())
        finally:
            self.sim.clear_fault(fid)

if __name__ == "__main__":
    unittest.main()
