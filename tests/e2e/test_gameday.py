"""Game day: tdectl watch --metrics and the console (tdectl in tmux), on the same
configuration against the same azsim demo, through a seeded random schedule of
faults over every azsim fault kind (tests/pylib/gameday.py: the catalogue, the
signals, the bounds; the kinds tdectl cannot see by design are listed there
with the reason). Faults come and go, two at a time on different vaults when
their signals are the vaults' own.

Asserts: both processes stay up and exit cleanly (watch on SIGTERM, the console
on q; status 0, no sanitizer report, no secret on stderr); every scrape of
/metrics answers within 5 s and /healthz stays ok; every console key press
(view 6 and back to 2, every 2 s) shows within 5 s; RSS of both is flat after
the warm-up; every fault is seen in /metrics and on the console within one
cycle of the sweep that sees it, is not shown healthy again while it lasts,
and is gone within its clear bound after it is cleared.

GAMEDAY_SECONDS (default 75) of faults; the seed (GAMEDAY_SEED, default the
day's number, so the days rotate through the kinds) is printed first: rerun a
failure with GAMEDAY_SEED=that. Cost: about 95 s (the faults, the first sweep,
the last wave seen through), one azsim, one watch, one console.

Run with Debian's /usr/bin/python3. Environment (ctest): TDECTL and AZSIM.
"""

import json
import os
import re
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "pylib"))
sys.path.insert(0, HERE)
import gameday  # noqa: E402

ROOT = os.path.join(HERE, "..", "..")
TDECTL = os.environ.get("TDECTL", os.path.join(ROOT, "build", "tui", "tdectl"))
DEMO = os.path.join(ROOT, "sim", "scenarios", "demo.json")
FAULT_C = os.path.join(ROOT, "sim", "fault.c")

SECONDS = float(os.environ.get("GAMEDAY_SECONDS", "75"))
SEED = int(os.environ.get("GAMEDAY_SEED", str(int(time.time() // 86400))))
WARMUP_SECONDS = 20

# RSS after the warm-up may grow by this much at most, for each process (as the watch
# soak measured: under 0.25 MB release, 0.6 to 1.5 MB ASan with its quarantine capped;
# the console adds the activity log's ring and ncurses' screens, both full in the warm-up).
RSS_GROWTH_KB = 2048
RSS_GROWTH_KB_ASAN = 4096
KEY_BOUND_MS = 5000
SCRAPE_BOUND_MS = 5000


class CatalogueTest(unittest.TestCase):
    def test_every_kind_of_azsim_is_injected_or_listed(self):
        with open(FAULT_C) as f:
            src = f.read()
        names = re.search(r"kind_names\[FAULT_KIND_COUNT\] = \{(.*?)\};", src, re.S).group(1)
        kinds = re.findall(r'"([a-z-]+)"', names)
        self.assertEqual(sorted(kinds), sorted(gameday.ALL_KINDS),
                         "sim/fault.c's kinds changed: update gameday.ALL_KINDS")
        for k in kinds:
            self.assertTrue(k in gameday.observable_kinds() or k in gameday.UNOBSERVABLE, k)
        # Every observable kind can be picked (pick knows it) on the demo.
        import random
        rng = random.Random(1)
        for k in gameday.observable_kinds():
            f = gameday.pick(rng, k, gameday.DEMO_VAULTS, gameday.DEMO_KEY,
                             gameday.DEMO_READER, gameday.DEMO_PES)
            self.assertEqual(f.kind, k)
            self.assertTrue(f.signals, k)


class GamedayTest(unittest.TestCase):
    def test_gameday(self):
        print("gameday: GAMEDAY_SECONDS=%g GAMEDAY_SEED=%d" % (SECONDS, SEED), flush=True)
        with tempfile.TemporaryDirectory(prefix="tdectl-gd-") as tmp:
            r = gameday.run_demo(TDECTL, DEMO, tmp, SEED, SECONDS, warmup=WARMUP_SECONDS,
                                 log=lambda line: print(line, flush=True))
        s = r.get("summary")
        if s:
            for line in gameday.report_lines("gameday", SEED, s):
                print(line, flush=True)
        for line in r.get("problems", []):
            print("gameday PROBLEM " + line, flush=True)
        self.assertTrue(r.get("alive") and r.get("alive_end"),
                        "a process died: watch stderr %s" % r.get("watch_stderr_tail"))
        self.assertEqual(r["watch_exit"], 0, r.get("watch_stderr_tail"))
        self.assertTrue(r["watch_clean"], r.get("watch_stderr_tail"))
        self.assertEqual(r["console_exit"], 0)
        self.assertGreaterEqual(s["faults"], 3, "too few faults ran to judge anything")
        self.assertEqual(r["problems"], [], "seed %d: %s" % (SEED, json.dumps(r["events"])))
        self.assertEqual(s["scrape_failures"], 0)
        self.assertEqual(s["healthz_not_ok"], 0)
        self.assertLess(s["scrape_ms"]["max"], SCRAPE_BOUND_MS)
        self.assertGreater(s["key_ms"]["presses"], 0)
        self.assertEqual(s["key_ms"]["over_bound"], 0, "the console did not answer a key")
        self.assertLess(s["key_ms"]["max"], KEY_BOUND_MS)
        bound = RSS_GROWTH_KB_ASAN if gameday.sanitized(TDECTL) else RSS_GROWTH_KB
        for who in ("watch", "console"):
            first, _, peak = s["rss_kb"][who]
            self.assertIsNotNone(first, "no RSS sample of %s after the warm-up" % who)
            self.assertLess(peak - first, bound, "%s RSS grew from %d kB to %d kB (peak) "
                            "after the warm-up (bound %d kB)" % (who, first, peak, bound))


if __name__ == "__main__":
    unittest.main()
