"""A sign-in that fails while the cached token still serves is seen at once.

tdectl renews a token 5 minutes before it expires and, when the renewal
fails, keeps handing out the old one while it has more than 30 s left: the
reads go on working, so nothing else would show the failure until the token
runs out and every read fails at once. This test proves both front ends say
so while it happens.

azsim's demo with tokens of 310 s (a token is fresh for 10 s, then renewed at
every read), `tdectl watch --metrics` and the console (tmux, activity view)
on the same configuration. Healthy first: tdectl_signin_up 1, the time left
on the cached tokens between 4 and 5 minutes, the activity view's "sign-in:"
line. Then Entra ID answers every token request 503 (azsim's error fault on
login): within the 10 s of freshness and a read cycle, tdectl_signin_up is 0
with the time the old token still covers, and reads still get 2xx answers;
the console's header says "SIGN-IN FAILING, token Nm left" and the activity
view gives the time and the cause. Once the fault is cleared both are back
within the 30 s tdectl waits before trying a failed renewal again, plus a read
cycle.

Cost: about 45 s (one azsim, one watch, one console).
"""

import json
import os
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
import watchsoak  # noqa: E402

ROOT = os.path.join(HERE, "..", "..")
TDECTL = os.environ.get("TDECTL", os.path.join(ROOT, "build", "tui", "tdectl"))
DEMO = os.path.join(ROOT, "sim", "scenarios", "demo.json")

TOKEN_LIFETIME = 310  # fresh for 10 s (renewed 300 s before expiry)
POLL = {"probe_seconds": 5, "health_seconds": 10, "structure_seconds": 30}
# Generous timeouts: a loaded machine must not fail reads for reasons of its own.
HTTP = {"connect_timeout_ms": 3000, "timeout_ms": 8000, "retry_budget_ms": 3000}
# Freshness (10 s), a health cycle (10 s), retries and room for a loaded machine.
FAILING_WITHIN = 75
# tdectl tries a failed renewal again 30 s later, at the next read that needs a token.
BACK_WITHIN = 70
BADGE = r"\[SIGN-IN FAILING, token (\d+)m left\]"


class SigninTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp_obj = tempfile.TemporaryDirectory(prefix="tdectl-signin-")
        cls.tmp = cls.tmp_obj.name
        with open(DEMO) as f:
            demo = json.load(f)
        demo["settings"]["token_lifetime_seconds"] = TOKEN_LIFETIME
        cls.sim = azsim.Azsim(demo).start()
        cls.control = watchsoak.Control(cls.sim.info)
        cls.config = watchsoak.write_config(os.path.join(cls.tmp, "config.json"), cls.sim.info,
                                            azsim.DEMO_TENANT, azsim.DEMO_MONITOR_ID,
                                            azsim.DEMO_SUBSCRIPTION, poll=POLL, http=HTTP)
        env = {"PATH": "/usr/bin:/bin", "HOME": cls.tmp,
               "XDG_STATE_HOME": os.path.join(cls.tmp, "state"),
               "AZURE_CLIENT_SECRET": azsim.DEMO_MONITOR_SECRET}
        cls.watch = watchsoak.Watch(TDECTL, cls.config, cls.tmp, env)
        cls.console = tmuxrun.Console(200, 30, home=cls.tmp)
        cls.console.start(("--config", cls.config, "--read-only", "--no-snapshot",
                           "--view", "activity"),
                          env={"AZURE_CLIENT_SECRET": azsim.DEMO_MONITOR_SECRET})

    @classmethod
    def tearDownClass(cls):
        try:
            cls.console.stop()
        finally:
            cls.console.cleanup()
            cls.watch.stop()
            cls.sim.stop()
            cls.tmp_obj.cleanup()

    def scrape(self):
        return watchsoak.parse(requests.get(self.watch.base + "/metrics", timeout=5).text)

    def wait_metrics(self, what, predicate, timeout):
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            last = self.scrape()
            if predicate(last):
                return last
            time.sleep(0.5)
        self.fail("/metrics: %s not within %d s; signin series: %s" % (
            what, timeout, {k: v for k, v in (last or {}).items() if "signin" in k}))

    def assert_reads_go_on(self, m):
        """Reads that need a token still get answers: 2xx keeps rising while every token
        request fails (the tokenless probes get 401s, the token requests 503s)."""
        before = m['tdectl_api_requests_total{class="2xx"}']
        self.wait_metrics("reads answered 2xx with the cached token",
                          lambda n: n['tdectl_api_requests_total{class="2xx"}'] >= before + 5
                          and n.get("tdectl_signin_up") == 0, 40)

    def test_signin_failing_is_shown_and_clears(self):
        self.watch.wait_serving(30)
        self.watch.wait_healthy(60)
        c = self.console

        # Healthy: up, tokens with 4-5 minutes left, the activity view names the credential.
        m = self.wait_metrics("tdectl_signin_up 1", lambda m: m.get("tdectl_signin_up") == 1, 30)
        self.assertEqual(m['tdectl_signin_total{result="failed"}'], 0)
        self.assertGreaterEqual(m['tdectl_signin_total{result="ok"}'], 2)  # ARM and Key Vault
        self.assertGreater(m["tdectl_signin_last_success_timestamp_seconds"], time.time() - 120)
        self.assertGreater(m["tdectl_signin_token_expires_in_seconds"], 200)
        self.assertLessEqual(m["tdectl_signin_token_expires_in_seconds"], TOKEN_LIFETIME - 30)
        c.wait_for(r"sign-in: client secret, last token .*, good for \d+m more", 60)
        self.assertNotIn("SIGN-IN FAILING", c.screen())

        # Entra ID fails every token request: the renewals fail, the old tokens serve.
        fault = self.control.fault({"kind": "error", "target": "login", "status": 503})
        try:
            m = self.wait_metrics("tdectl_signin_up 0",
                                  lambda m: m.get("tdectl_signin_up") == 0, FAILING_WITHIN)
            self.assertGreater(m['tdectl_signin_total{result="failed"}'], 0)
            left = m["tdectl_signin_token_expires_in_seconds"]
            self.assertGreater(left, 120, "the old token should still cover minutes")
            self.assertLessEqual(left, TOKEN_LIFETIME - 40, "the token has aged since its renewal")
            self.assert_reads_go_on(m)
            badge = c.wait_for(BADGE, FAILING_WITHIN)
            self.assertGreaterEqual(int(badge.group(1)), 2, c.screen())
            line = c.wait_for(r"sign-in FAILING since .* the cached token still serves\): .*503",
                              30)
            self.assertIn("token fetches failed", line.group(0))
        finally:
            self.control.clear(fault)

        # Back: the next read's renewal works.
        m = self.wait_metrics("tdectl_signin_up 1 again",
                              lambda m: m.get("tdectl_signin_up") == 1, BACK_WITHIN)
        self.assertGreater(m["tdectl_signin_token_expires_in_seconds"], 200)
        c.wait_gone("SIGN-IN FAILING", BACK_WITHIN)
        c.wait_for(r"sign-in: client secret, last token", 10)
        self.assertIsNone(self.watch.proc.poll(), "watch exited")
        self.assertFalse(c.exited(), "the console exited")


if __name__ == "__main__":
    unittest.main()
