#!/usr/bin/env python3
"""Driver of bench/gameday.sh: a game day on azsim's demo (tests/pylib/gameday.py)
for --seconds, watch --metrics and the console on the same configuration at the
same time. Prints the log on stderr, then one JSON line of figures and the
summary lines `bench gameday ...` on stdout. Exit 0 when nothing went wrong
(no crash, no hang, no fault missed, stuck or falsely ok, RSS flat), 1 otherwise.

Run with Debian's /usr/bin/python3 (requests); TDECTL and AZSIM name the binaries.
"""

import argparse
import json
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..")
sys.path.insert(0, os.path.join(ROOT, "tests", "pylib"))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
import gameday  # noqa: E402

RSS_GROWTH_KB = 2048  # after the warm-up, per process (the test's bound)
# The console also keeps its activity log (the last 5,000 calls, for view 6): it grows by
# about 0.8 kB a call (measured: 1212 kB for 1516 calls) until full. Each call logged
# after the warm-up adds this much to the console's bound, up to the log's size.
ACTIVITY_KB_PER_CALL = 1.0
ACTIVITY_ENTRIES = 5000


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seconds", type=float, default=600)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--warmup", type=float, default=60)
    p.add_argument("--key-every", type=float, default=2)
    a = p.parse_args(argv)
    tdectl = os.environ["TDECTL"]
    with tempfile.TemporaryDirectory(prefix="tdectl-gameday-") as tmp:
        r = gameday.run_demo(tdectl, os.path.join(ROOT, "sim", "scenarios", "demo.json"), tmp,
                             a.seed, a.seconds, warmup=a.warmup, key_every=a.key_every,
                             log=lambda line: print(line, file=sys.stderr, flush=True))
    s = r.get("summary") or {}
    bound = 2 * RSS_GROWTH_KB if gameday.sanitized(tdectl) else RSS_GROWTH_KB
    growth = {who: (s["rss_kb"][who][2] - s["rss_kb"][who][0])
              if s and s["rss_kb"][who][0] is not None else None for who in ("watch", "console")}
    calls = [c for t, _, _, c in s.get("rss_timeline", []) if c is not None and t >= a.warmup]
    logged = min(calls[-1] - calls[0], ACTIVITY_ENTRIES) if len(calls) > 1 else 0
    bounds = {"watch": bound, "console": bound + int(ACTIVITY_KB_PER_CALL * logged)}
    ok = bool(s) and r.get("alive") and r.get("alive_end") and r.get("watch_exit") == 0 and \
        r.get("watch_clean") and r.get("console_exit") == 0 and not r.get("problems") and \
        s["scrape_failures"] == 0 and s["healthz_not_ok"] == 0 and \
        s["key_ms"]["over_bound"] == 0 and \
        all(growth[w] is not None and growth[w] < bounds[w] for w in growth)
    print(json.dumps({"bench": "gameday", "seconds": a.seconds, "seed": a.seed,
                      "summary": s, "problems": r.get("problems"), "alive": r.get("alive"),
                      "watch_exit": r.get("watch_exit"), "console_exit": r.get("console_exit"),
                      "rss_growth_kb": growth, "events": r.get("events"),
                      "console_status_early": r.get("console_status_early"),
                      "console_stderr_tail": r.get("console_stderr_tail"),
                      "watch_stderr_tail": r.get("watch_stderr_tail")}), flush=True)
    if s:
        for line in gameday.report_lines("bench gameday", a.seed, s):
            print(line)
    for t, w, c, calls in (s.get("rss_timeline") or []):
        print("bench gameday rss_timeline t=%s watch_kb=%s console_kb=%s console_calls=%s"
              % (t, w, c, calls))
    for line in r.get("problems") or []:
        print("bench gameday PROBLEM " + line)
    print("bench gameday unobservable: " + "; ".join(
        "%s (%s)" % kv for kv in sorted(gameday.UNOBSERVABLE.items())))
    print("bench gameday summary: %s; watch exit %s, console exit %s, RSS growth after "
          "warm-up watch %s kB (bound %d) console %s kB (bound %d: %d + %d calls logged)" % (
              "OK" if ok else "FAILED", r.get("watch_exit"), r.get("console_exit"),
              growth["watch"], bounds["watch"], growth["console"], bounds["console"], bound,
              logged))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
