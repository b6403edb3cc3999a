#!/usr/bin/python3
"""Benchmark: `tdectl rotate --apply` on the demo failover group in azsim, per origin.
Prints figures; it is not a test (the tests are tests/integration/test_rotate*.c and
tests/e2e/test_rotate_crash.py).

For each origin (vault, offline, file) and each of RUNS rotations: a fresh azsim with
the demo estate, then one rotation with a WATCH_SECONDS watch. From the run and its
journal: wall time, the time in steps other than the watch, and the REST calls the
wizard itself journaled (writes and reads of its verification), and the calls every
step made. azsim's ARM operations take its demo setting (1.5 s each), so most of the
wall time is Azure's own long-running operations, as it would be against Azure.

Output: one line per run, then per origin
  bench rotate ORIGIN wall_s p50=... min=... max=...  steps_s p50=...  calls=...
Usage: bench/rotate_bench.py   Environment: BUILD (default build), RUNS (3),
WATCH_SECONDS (2).
"""

import glob
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

SRC = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, os.path.join(SRC, "tests", "pylib"))
import azsim  # noqa: E402
from watchsoak import write_config  # noqa: E402

BUILD = os.environ.get("BUILD", os.path.join(SRC, "build"))
TDECTL = os.environ.get("TDECTL", os.path.join(BUILD, "tui", "tdectl"))
os.environ.setdefault("AZSIM", os.path.join(BUILD, "sim", "azsim"))
RUNS = int(os.environ.get("RUNS", "3"))
WATCH = os.environ.get("WATCH_SECONDS", "2")
TENANT = "1fc969be-ee9e-424f-9ec5-a33b1d15ab71"
CLIENT = "7d248692-5828-4a0d-ae0c-8333f4a54257"
SECRET = "demo-operator-dsWtHlPD2JMSTgzJ8QjRa9BXYmxbV4O3"
SUBSCRIPTION = "558aba93-77f9-4064-aa55-4db325ca1cbf"


def pem_file(folder):
    path = os.path.join(folder, "key.pem")
    subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:3072",
                    "-out", path], check=True, capture_output=True)
    os.chmod(path, 0o600)
    return path


def one(origin, folder, key_file):
    sim = azsim.Azsim(os.path.join(SRC, "sim", "scenarios", "demo.json")).start()
    try:
        info = {"authority": sim.authority, "management_url": sim.management_url,
                "vault_resource": sim.vault_resource, "ca_file": sim.ca_file}
        config = write_config(os.path.join(folder, "config.json"), info, TENANT, CLIENT,
                              SUBSCRIPTION)
        env = dict(os.environ, AZURE_CLIENT_SECRET=SECRET,
                   XDG_STATE_HOME=os.path.join(folder, "state"))
        args = [TDECTL, "rotate", "--config", config, "--group", "fog-sql-prod", "--origin",
                origin, "--apply", "--confirm", "fog-sql-prod", "--reason", "bench",
                "--watch-seconds", WATCH, "--quiet"]
        if origin == "file":
            args += ["--key-file", key_file]
        start = time.monotonic()
        p = subprocess.run(args, env=env, capture_output=True, text=True, timeout=600)
        wall = time.monotonic() - start
        if p.returncode != 0:
            sys.exit("rotate %s failed (%d): %s%s" % (origin, p.returncode, p.stdout, p.stderr))
        journal = glob.glob(os.path.join(folder, "state", "tdectl", "wizards", "rotate-*.jsonl"))
        records = [json.loads(line) for line in open(journal[0])]
        calls = [r for r in records if r["type"] == "call"]
        begun = {r["step"] for r in records if r["type"] == "step" and r["phase"] == "begin"}
        return wall, len(calls), len(begun)
    finally:
        sim.stop()


def main():
    figures = {}
    with tempfile.TemporaryDirectory(prefix="tdectl-rotbench-") as top:
        key_file = pem_file(top)
        for origin in ("vault", "offline", "file"):
            for n in range(RUNS):
                folder = tempfile.mkdtemp(dir=top)
                wall, calls, steps = one(origin, folder, key_file)
                print("bench rotate run origin=%s n=%d wall_s=%.1f calls=%d steps=%d"
                      % (origin, n, wall, calls, steps), flush=True)
                figures.setdefault(origin, []).append((wall, calls))
    for origin, runs in figures.items():
        walls = [w for w, _ in runs]
        steps = [w - float(WATCH) for w in walls]
        print("bench rotate %s wall_s p50=%.1f min=%.1f max=%.1f  without_watch_s p50=%.1f  "
              "journaled_calls=%d" % (origin, statistics.median(walls), min(walls), max(walls),
                                      statistics.median(steps), runs[0][1]))


if __name__ == "__main__":
    main()
