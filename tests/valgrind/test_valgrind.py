#!/usr/bin/python3
"""e2e.valgrind: the real tdectl under valgrind's memcheck, end to end, against a
live azsim on the demo scenario: check, doctor, info, backup, watch (SIGTERM after
its first sweeps) and the console in tmux (every view, help, quit). Each run must
exit as it does without valgrind, with no memory error and no definite or
indirect leak (tests/pylib/vg.py says what is counted). azsim runs natively here;
bench/valgrind_e2e.sh runs the whole e2e suite with both binaries under valgrind.

Plain build only (valgrind and ASan do not mix). Environment (ctest): TDECTL, AZSIM.
"""

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "pylib"))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
import azsim  # noqa: E402
import tmuxrun  # noqa: E402
import vg  # noqa: E402

ROOT = os.path.join(HERE, "..", "..")
DEMO = os.path.join(ROOT, "sim", "scenarios", "demo.json")
OPERATOR_SECRET = azsim.DEMO_OPERATOR_SECRET


class Valgrind(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if shutil.which("valgrind") is None:
            raise RuntimeError("valgrind is not installed (./dev deps installs it)")
        cls.sim = azsim.Azsim(DEMO).start()
        cls.tmp = tempfile.TemporaryDirectory(prefix="tdectl-vg-")
        cls.config = os.path.join(cls.tmp.name, "config.json")
        config = cls.sim.tdectl_config(azsim.DEMO_OPERATOR_ID, read_only=False)
        with open(cls.config, "w") as f:
            json.dump(config, f)
        os.chmod(cls.config, stat.S_IRUSR | stat.S_IWUSR)

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()
        cls.tmp.cleanup()

    def setUp(self):
        self.logs = tempfile.mkdtemp(prefix="logs-", dir=self.tmp.name)
        self.wrap = vg.make_wrappers(os.path.join(self.logs, "bin"), self.logs, ("tdectl",))

    def env(self):
        return {"PATH": "/usr/bin:/bin", "HOME": self.tmp.name,
                "XDG_STATE_HOME": os.path.join(self.tmp.name, "state"),
                "AZURE_CLIENT_SECRET": OPERATOR_SECRET}

    def clean(self, processes=1):
        """Every valgrind run of this test completed with no error and no leak."""
        runs = vg.summarize(self.logs)
        self.assertEqual(len(runs), processes, runs)
        for r in runs:
            self.assertTrue(r["complete"], "valgrind printed no summary:\n" + vg.report(r))
        for r in vg.bad(runs):
            self.fail("%s: %d errors, %d bytes definitely and %d indirectly lost\n%s"
                      % (r["name"], r["errors"], r["definite"], r["indirect"], vg.report(r)))

    def tdectl(self, *args, timeout=180):
        return subprocess.run([self.wrap["tdectl"]] + list(args), capture_output=True,
                              text=True, env=self.env(), timeout=timeout)

    def test_check(self):
        p = self.tdectl("check", "--config", self.config, "--timeout", "120")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertTrue(p.stdout.startswith("OK: 0 critical"), p.stdout)
        self.clean()

    def test_doctor(self):
        p = self.tdectl("doctor", "--config", self.config, "--timeout", "120")
        self.assertNotEqual(p.returncode, vg.EXIT_CODE, p.stdout + p.stderr)
        self.assertIn("auth.token", p.stdout, p.stderr)
        self.clean()

    def test_info(self):
        p = self.tdectl("info", "--config", self.config)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.clean()

    def test_backup(self):
        p = self.tdectl("backup", "--group", "fog-sql-prod", "--json", "--config", self.config)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual(json.loads(p.stdout)["result"], "done")
        self.clean()

    def test_watch_sigterm(self):
        err = open(os.path.join(self.logs, "watch.stderr"), "w")
        proc = subprocess.Popen([self.wrap["tdectl"], "watch", "--metrics", "127.0.0.1:0",
                                 "--config", self.config], stdout=subprocess.DEVNULL,
                                stderr=err, env=self.env())
        time.sleep(8)  # start-up under valgrind, then a sweep or two
        proc.send_signal(signal.SIGTERM)
        try:
            rc = proc.wait(timeout=120)
        finally:
            proc.kill()
            err.close()
        with open(err.name) as f:
            text = f.read()
        self.assertEqual(rc, 0, text)
        self.clean()

    def test_console(self):
        real = os.environ["TDECTL"]
        os.environ["TDECTL"] = self.wrap["tdectl"]  # tmuxrun reads it when it starts tdectl
        c = tmuxrun.Console()
        try:
            c.start()
            c.wait_for("fog-sql-prod", 120)
            for key, title in (("2", "Vaults"), ("3", "Keys"), ("4", "Instances"),
                               ("5", "Findings"), ("6", "Activity"), ("1", "Topology")):
                c.keys(key)
                c.wait_for(title, 60)
            c.keys("?")
            c.wait_for("quit", 60)
            c.keys("Escape")
            c.stop(timeout=120)
        finally:
            os.environ["TDECTL"] = real
            c.cleanup()
        # tdectl --demo and the azsim it starts natively ($AZSIM is the real one here)
        self.clean()


if __name__ == "__main__":
    unittest.main(verbosity=2)
