"""Game day: a seeded schedule over every azsim fault kind, against `tdectl watch
--metrics` and the console (`tdectl` in tmux) at the same time, on the same
azsim with the same configuration. Used by tests/e2e/test_gameday.py (short,
in ctest) and bench/gameday.py (GAMEDAY_SECONDS, default 600).

Each second: /metrics and /healthz are scraped (timed), the console's screen
is captured (the vaults view: header, API budget line, one row per vault), and
the RSS of both processes is read from /proc. Every key_every seconds two key
presses go to the console (6, the activity view, whose line counts the calls
by answer, sign-in included; then 2, back to the vaults) and the time until
the screen shows each view is measured.

Faults come from a catalogue covering every kind in sim/fault.c (CATALOGUE
below, with the signal each shows in /metrics and on the console); the kinds
and targets tdectl cannot observe by design are in UNOBSERVABLE with the
reason. Every kind runs once before any runs twice (a seeded shuffle). A fault
whose only signal is one vault's reachability or latency may be joined by a
second such fault on the other vault (overlapping, different targets); every
other fault runs alone, because its signals (the judged series, the request
counters) are estate-wide and could not be told apart.

For each fault and each of the two channels (metrics, console):
  detected  its signal shows within one cycle of the sweep that sees it
            (cadence x (1 + jitter) + slack) of the injection;
  no false ok  after the first detection and until it is cleared, every
            scrape / screen still shows a level signal of it (a vault down or
            slow, the judged picture differing from the healthy one). Counter
            signals only rise; a fault seen only through counters has no level
            to fall back from, so this check is for the level signals;
  cleared   its own signal is gone within the clear bound of its clear, and
            once the last fault of a wave is cleared the whole picture is back
            to the healthy baseline (metrics: watchsoak.back_to_healthy;
            console: the judged screen equals the baseline's).
The results: .events (one dict per fault), .summary().

Standard library plus requests; runs under Debian's /usr/bin/python3.
"""

import os
import re
import time

import requests

import watchsoak

# -- the catalogue ---------------------------------------------------------------------------

# Every kind of sim/fault.c's kind_names (test_gameday checks the list against the source).
ALL_KINDS = ("refused", "blackhole", "latency", "tls", "reset", "slow", "throttle", "error",
             "malformed", "truncated", "oversized", "key-disable", "key-expire", "key-delete",
             "vault-delete", "revoke", "rbac-flip", "pe-state", "read-only")

# What tdectl cannot see, by design: never injected, listed with the reason.
UNOBSERVABLE = {
    "read-only": "a regional failover refusing changes (503 on writes): watch and a read-only "
                 "console never write, so nothing they do meets it",
    "target imds, listener:imds": "the managed-identity endpoint: the game day's configuration "
                                  "signs in with a client secret, as a monitoring principal "
                                  "does; tdectl never calls IMDS then",
    "target vault:NAME@REGION": "only the instances' path through a private endpoint: tdectl's "
                                "own path is untouched, and the instance's key check reports "
                                "it through ARM after its own 10-minute cadence, not within a "
                                "poll cycle",
}

LEVEL = ("down:", "slow:", "judged")


def is_level(signal):
    return signal.startswith(LEVEL)


def local(fault):
    """The vault of a fault whose only signals are that vault's reachability or latency."""
    vaults = {s.split(":", 1)[1] for s in fault.signals if s.startswith(("down:", "slow:"))}
    if len(vaults) == 1 and all(s.startswith(("down:", "slow:")) for s in fault.signals):
        return vaults.pop()
    return None


def pick(rng, kind, vaults, key, reader, pes, slow_ms=3000):
    """A fault of any kind but read-only on a random part of the estate.

    The kinds watchsoak knows (its KINDS) come from watchsoak.pick; the others:
      tls        listener:https served with a certificate nobody trusts: every
                 call fails the TLS handshake, so every vault's probe fails;
      refused    sometimes on listener:https (the socket closed): the same;
      slow       the body trickles at 50 bytes a second: a vault's answers (the
                 probe's 401 challenge is ~200 bytes, a key ~1 kB) outlast the
                 request timeout, so the probe fails;
      oversized  valid JSON padded to 20 MB: over tdectl's answer limit, the
                 reads fail (the probe's challenge has no JSON body: it stays up)."""
    names = sorted(vaults)
    # Every call fails: the vaults are down at the next probe, and the reads fail, so the
    # picture is back only after the sweeps that read it again (a counter fault's bound).
    every_down = ["down:" + v for v in names] + ["failures"]
    if kind == "tls":
        return watchsoak.Fault({"kind": "tls", "target": "listener:https"}, "probe", every_down)
    if kind == "refused" and rng.random() < 0.2:
        return watchsoak.Fault({"kind": "refused", "target": "listener:https"}, "probe",
                               every_down)
    if kind == "slow":
        vault = rng.choice(names)
        return watchsoak.Fault({"kind": "slow", "target": "vault:" + vault,
                                "bytes_per_second": 50}, "probe", ["down:" + vault])
    if kind == "oversized":
        vault = rng.choice(names)
        return watchsoak.Fault({"kind": "oversized", "target": "vault:" + vault,
                                "bytes": 20 * 1024 * 1024}, "health", ["failures"])
    return watchsoak.pick(rng, kind, vaults, key, reader, pes, slow_ms=slow_ms)


def observable_kinds():
    return [k for k in ALL_KINDS if k not in UNOBSERVABLE]


# -- the console -----------------------------------------------------------------------------

ACTIVITY = re.compile(r"(\d+) calls: (\d+) ok, (\d+) 4xx, (\d+) throttled \(429\), (\d+) 5xx, "
                      r"(\d+) without an answer")
ACTIVITY_FIELDS = ("calls", "ok", "4xx", "429", "5xx", "none")
BUDGET = re.compile(r"(\d+) reads \((\d+) failed\).*?(\d+) x 429")
VAULT_COLUMNS = ("VAULT", "REGION", "HEALTH", "SOFT-DEL", "429/10m", "WHY")


def parse_vaults_screen(text):
    """The vaults view (2) as a dict, or None when the screen is not it (yet).

    header: the right side of the header line with times blanked (the CRIT
    and HIGH counts, or the Inaccessible clock); stale: the header says reads
    are failing; reads, failed, throttled: the API budget line; rows: {vault:
    {"health", "ms", "judged"}} where judged is the row's settled columns
    (health, soft delete ... keys), not its latency, 429s or findings count."""
    lines = text.split("\n")
    head = next((i for i, line in enumerate(lines) if line.startswith("VAULT ")), None)
    if head is None or not lines[0].strip():
        return None
    cols = {name: lines[head].find(name) for name in VAULT_COLUMNS}
    if min(cols.values()) < 0:
        return None
    header = lines[0]
    m = re.search(r"data \S+ old(.*)$", header)
    right = m.group(1) if m else header
    view = {"header": re.sub(r"\d+(:\d+)+|\d+[smhd]\b", "T", right).split(), "stale":
            "reads are failing" in header, "rows": {}}
    b = next((BUDGET.search(line) for line in lines[:head] if BUDGET.search(line)), None)
    if b is None:
        return None
    view["reads"], view["failed"], view["throttled"] = (int(x) for x in b.groups())
    for line in lines[head + 1:]:
        if not line.strip() or line.startswith(("?:", " ")):
            break
        name = line[:cols["REGION"]].strip()
        rest = line[cols["HEALTH"]:cols["SOFT-DEL"]].split()
        if not name or not rest:
            continue
        ms = int(rest[1]) if len(rest) > 1 and rest[1].isdigit() else None
        settled = line[cols["SOFT-DEL"]:cols["429/10m"]].split()
        # (FINDINGS is left out: it counts every severity, D01's data age and LOW notes
        # that outlive a fault by a cycle or two; the header's CRIT and HIGH are judged.)
        view["rows"][name] = {"health": rest[0], "ms": ms, "judged": [rest[0]] + settled}
    return view if view["rows"] else None


def console_judged(view):
    return {"header": view["header"], "stale": view["stale"],
            "rows": {k: r["judged"] for k, r in view["rows"].items()}}


def console_diff(healthy, view):
    now = console_judged(view)
    out = []
    if now["header"] != healthy["header"] or now["stale"] != healthy["stale"]:
        out.append("header %s -> %s" % (" ".join(healthy["header"]), " ".join(now["header"])))
    for k in sorted(set(healthy["rows"]) | set(now["rows"])):
        if healthy["rows"].get(k) != now["rows"].get(k):
            out.append("%s: %s -> %s" % (k, healthy["rows"].get(k), now["rows"].get(k)))
    return out


def console_seen(name, before, view, healthy):
    if name.startswith("down:"):
        row = view["rows"].get(name[5:])
        return row is None or row["health"] in ("DOWN", "DELETED")
    if name.startswith("slow:"):
        row = view["rows"].get(name[5:])
        return row is not None and (row["ms"] or 0) >= watchsoak.SLOW_S * 1000
    if name == "judged":
        return console_judged(view) != healthy

    def act_up(field):
        # The activity view's count of calls by answer (token requests included: a sign-in
        # failing while the cached token still serves shows only there).
        a, b = view.get("act"), before.get("act")
        return a is not None and b is not None and a[field] > b[field]
    failed = view["failed"] > before["failed"]
    if name == "throttled":
        return view["throttled"] > before["throttled"] or act_up("429")
    if name == "errors":
        return failed or act_up("none") or act_up("5xx")
    if name == "5xx":
        return failed or act_up("5xx")
    if name == "failures":
        return failed
    raise AssertionError("unknown signal " + name)


def console_cycle(fault):
    """The sweep whose result the console shows the fault's signal in."""
    if any(s in ("errors", "5xx", "failures") for s in fault.signals):
        return "health"  # a failed call is a failed read at the health sweep
    return fault.cycle


def console_back(view, healthy):
    return console_judged(view) == healthy and not any(
        (r["ms"] or 0) >= watchsoak.SLOW_S * 1000 for r in view["rows"].values())


def own_signal_gone(name, s, view):
    """Whether a vault-local fault's own signal is gone in the metrics and on the screen."""
    vault = name.split(":", 1)[1]
    if name.startswith("down:"):
        m = s.get('tdectl_vault_up{vault="%s"}' % vault) == 1
        row = view["rows"].get(vault) if view else None
        return m, row is not None and row["health"] == "UP"
    m = s.get('tdectl_vault_probe_latency_seconds{vault="%s"}' % vault, 0) < watchsoak.SLOW_S
    row = view["rows"].get(vault) if view else None
    return m, row is not None and (row["ms"] or 0) < watchsoak.SLOW_S * 1000


def child_pid(pid, name):
    """The pid of pid's child whose command is name (tdectl under the pane's shell)."""
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            kids = [int(x) for x in f.read().split()]
    except OSError:
        return None
    for k in kids:
        try:
            with open("/proc/%d/comm" % k) as f:
                if f.read().strip() == name:
                    return k
        except OSError:
            pass
        deeper = child_pid(k, name)
        if deeper:
            return deeper
    return None


class ConsoleProbe:
    """The console under test (a tmuxrun.Console started on view 2) seen from outside."""

    VIEW_MARK = {"2": re.compile(r"^VAULT +REGION +HEALTH", re.M), "6": ACTIVITY}

    def __init__(self, console, key_timeout=5.0):
        self.c = console
        self.key_timeout = key_timeout
        self.pid = None
        self.key_ms = []        # every key press's latency
        self.key_slow = []      # (t, key, ms) over key_timeout: a hang
        self.activity = None    # the activity view's counts at the last press of 6

    def find_pid(self, timeout=30):
        pane = int(self.c.tmux("display-message", "-p", "-t", "e2e", "#{pane_pid}").strip())
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.pid = child_pid(pane, "tdectl")
            if self.pid:
                return self.pid
            time.sleep(0.1)
        raise AssertionError("no tdectl under the console's pane")

    def view(self):
        try:
            return parse_vaults_screen(self.c.screen())
        except RuntimeError:
            return None

    def press(self, key, t):
        """Sends key (a view number), waits for that view; its latency in ms (recorded)."""
        t0 = time.monotonic()
        try:
            self.c.keys(key)
        except RuntimeError:  # the tmux server is gone: the console ended (alive() says)
            return None
        while True:
            try:
                m = self.VIEW_MARK[key].search(self.c.screen())
            except RuntimeError:
                return None
            if m:
                ms = (time.monotonic() - t0) * 1000
                self.key_ms.append(ms)
                if key == "6":
                    self.activity = dict(zip(ACTIVITY_FIELDS, (int(x) for x in m.groups())))
                return ms
            if time.monotonic() - t0 > self.key_timeout:
                self.key_slow.append((round(t, 1), key, None))
                return None
            time.sleep(0.01)

    def alive(self):
        return not self.c.exited()


# -- the game day ----------------------------------------------------------------------------

class Gameday:
    """Runs the schedule; results in .events, .key_probes, .summary().

    watch: watchsoak.Watch (serving); console: ConsoleProbe (pid found);
    control: watchsoak.Control; rng: random.Random(seed); choose(rng) -> Fault;
    cadences: {"probe", "health", "structure"} seconds; seconds: how long new
    faults start (the last wave is seen through); overlap: the chance a
    vault-local fault gets a partner on another vault."""

    def __init__(self, watch, console, control, rng, choose, cadences, jitter=0.10, slack=5.0,
                 seconds=60, period=1.0, scrape_timeout=5.0, key_every=2.0, overlap=0.5,
                 hold=(2.0, 8.0), vaults=(), log=None):
        self.partner_vaults = sorted(vaults)
        self.watch, self.console, self.control = watch, console, control
        self.rng, self.choose, self.cadences = rng, choose, cadences
        self.jitter, self.slack, self.seconds, self.period = jitter, slack, seconds, period
        self.key_every, self.overlap, self.hold = key_every, overlap, hold
        self.log = log or (lambda line: None)
        # watchsoak.Soak does the scraping, the /proc samples and the percentiles.
        self.soak = watchsoak.Soak(watch, control, rng, choose, cadences, jitter=jitter,
                                   slack=slack, seconds=seconds, period=period,
                                   scrape_timeout=scrape_timeout)
        self.events = []
        self.console_samples = []  # (t, rss kB)
        self.screens_unreadable = 0
        self.waves = 0
        self.stuck_waves = []
        self.next_key = 0.0
        self.calls = []            # (t, calls in the console's activity count)

    # bounds
    def bound(self, cycle):
        return self.cadences[cycle] * (1 + self.jitter) + self.slack

    def clear_bound(self, fault, channel):
        counter = fault.counter
        if not counter:
            return self.bound(fault.cycle)
        cycles = 2 * self.cadences["health"]
        if channel == "console":
            # The header's HIGH count includes D01 (data age), which falls back only when
            # the parts that failed are read again: ARM's structure at the full sweep.
            cycles = max(cycles, self.cadences["structure"])
        return cycles * (1 + self.jitter) + self.slack

    def now(self):
        return self.soak.now()

    def sample_console(self):
        try:
            self.console_samples.append((self.now(), watchsoak.rss_kb(self.console.pid)))
        except (OSError, AssertionError):
            pass

    def observe(self):
        """One tick: metrics (or None), the console's vaults view (or None)."""
        self.soak.sample()
        self.sample_console()
        s = self.soak.scrape()
        t = self.now()
        if t >= self.next_key:
            # The key-press probe, which also reads the activity view's call counts.
            self.console.press("6", t)
            self.console.press("2", t)
            self.next_key = t + self.key_every
        view = self.console.view()
        if view is None:
            self.screens_unreadable += 1
        else:
            view["act"] = self.console.activity
            if view["act"]:
                self.calls.append((t, view["act"]["calls"]))
        return s, view

    def baseline(self, timeout=60):
        deadline = self.now() + timeout
        while self.now() < deadline:
            s, view = self.observe()
            if s is not None and view is not None and \
                    watchsoak.judged_view(s) and all(r["health"] == "UP"
                                                     for r in view["rows"].values()):
                return s, view
            time.sleep(0.5)
        raise AssertionError("no healthy baseline in metrics and console within %d s" % timeout)

    def inject(self, fault, s, view):
        ev = {"fault": fault.label(), "kind": fault.kind, "obj": fault, "before": s,
              "cbefore": view, "level_lost": [], "clevel_lost": []}
        ev["id"] = self.control.fault(fault.spec)
        ev["injected"] = self.now()
        self.events.append(ev)
        self.log("gameday +%6.1f inject %s" % (ev["injected"], ev["fault"]))
        return ev

    def run(self):
        soak = self.soak
        soak.start = time.monotonic()
        s, view = self.baseline()
        soak.healthy = watchsoak.judged_view(s)
        self.chealthy = console_judged(view)
        self.log("gameday baseline: %d judged series; console %s" % (
            len(soak.healthy), " ".join(self.chealthy["header"])))
        active, partner_at, next_at, tick = [], None, 1.0, 0
        wave_cleared, wave_stuck = None, False
        while True:
            tick += 1
            time.sleep(max(0.0, tick * self.period - self.now()))
            if not soak.alive() or not self.console.alive():
                self.log("gameday: a process died (watch %s, console %s)" % (
                    soak.alive(), self.console.alive()))
                return False
            s, view = self.observe()
            t = self.now()
            if s is None:
                continue
            for ev in active:
                self.step(ev, s, view, t)
            if partner_at is not None and t >= partner_at:
                partner_at = None
                first = active[0] if active else None
                if first and "cleared" not in first:
                    p = self.partner(local(first["obj"]))
                    if p:
                        active.append(self.inject(p, s, view))
            if active and all("done" in ev for ev in active) and partner_at is None:
                if wave_cleared is None:
                    wave_cleared = t
                cb = view is not None and console_back(view, self.chealthy)
                mb = all(watchsoak.back_to_healthy(ev["obj"], s, soak.healthy,
                                                   ev["cleared_wall"]) for ev in active)
                if mb and cb:
                    self.log("gameday +%6.1f wave back to healthy" % t)
                    if wave_stuck:
                        self.log("gameday +%6.1f (late: %.1f s after the last clear)" % (
                            t, t - wave_cleared))
                    active, next_at, wave_cleared = [], t + self.rng.uniform(0.5, 2.0), None
                elif not wave_stuck and t - wave_cleared > max(
                        self.clear_bound(ev["obj"], "console") for ev in active):
                    why = "; ".join(watchsoak.view_diff(soak.healthy, s)[:4] +
                                    (console_diff(self.chealthy, view)[:4] if view else []))
                    self.stuck_waves.append("wave ending +%.1f (%s): %s" % (
                        t, ", ".join(ev["fault"] for ev in active), why or "no sweep succeeded"))
                    self.log("gameday +%6.1f WAVE STUCK %s" % (t, self.stuck_waves[-1]))
                    wave_stuck = True  # recorded; still wait for the way back (below)
                elif wave_stuck and t - wave_cleared > 4 * self.cadences["structure"]:
                    # Never back: go on from here rather than fail every next fault.
                    soak.healthy = watchsoak.judged_view(s)
                    if view:
                        self.chealthy = console_judged(view)
                    active, next_at, wave_cleared = [], t + 1.0, None
            if not active:
                wave_stuck = False
                if t >= self.seconds:
                    return True
                if t < next_at or view is None:
                    continue
                fault = self.choose(self.rng)
                self.waves += 1
                active = [self.inject(fault, s, view)]
                if local(fault) and self.rng.random() < self.overlap:
                    partner_at = t + self.rng.uniform(1.0, 4.0)

    def partner(self, vault):
        """A vault-local fault on another vault than vault, or None."""
        others = [v for v in self.partner_vaults if v != vault]
        if not others:
            return None
        other = self.rng.choice(others)
        kind = self.rng.choice(["refused", "blackhole", "reset", "latency", "slow"])
        if kind == "slow":
            return watchsoak.Fault({"kind": "slow", "target": "vault:" + other,
                                    "bytes_per_second": 50}, "probe", ["down:" + other])
        return watchsoak.network_fault(kind, "vault:" + other)

    def step(self, ev, s, view, t):
        """One observation of one active fault: detection, holding, clearing, clear."""
        fault = ev["obj"]
        if "cleared" not in ev:
            seen = [n for n in fault.signals
                    if watchsoak.signal_seen(n, ev["before"], s, self.soak.healthy)]
            cseen = [n for n in fault.signals if view is not None and
                     console_seen(n, ev["cbefore"], view, self.chealthy)]
            for key, got, bound in (("detected", seen, self.bound(fault.cycle)),
                                    ("cdetected", cseen, self.bound(console_cycle(fault)))):
                if key not in ev and got:
                    ev[key] = t
                    ev[key + "_by"] = got
                elif key not in ev and key + "_missed" not in ev and \
                        t - ev["injected"] > bound:
                    ev[key + "_missed"] = "not seen within %.1f s (%s)" % (
                        bound, ", ".join(fault.signals))
                    self.log("gameday +%6.1f MISSED (%s) %s" % (
                        t, "metrics" if key == "detected" else "console", ev["fault"]))
            # No false ok: once a level signal showed, it keeps showing until the clear.
            if "detected" in ev and any(map(is_level, ev["detected_by"])) and \
                    not any(is_level(n) for n in seen):
                ev["level_lost"].append(round(t, 1))
            if "cdetected" in ev and view is not None and \
                    any(map(is_level, ev["cdetected_by"])) and \
                    not any(is_level(n) for n in cseen):
                ev["clevel_lost"].append(round(t, 1))
            settled = all(k in ev or k + "_missed" in ev for k in ("detected", "cdetected"))
            if settled and "hold_until" not in ev:
                ev["hold_until"] = t + self.rng.uniform(*self.hold)
            if settled and t >= ev["hold_until"]:
                self.control.clear(ev["id"])
                ev["cleared"] = self.now()
                ev["cleared_wall"] = time.time()
                self.log("gameday +%6.1f clear  %s (metrics %s, console %s)" % (
                    ev["cleared"], ev["fault"], self._latency(ev, "detected"),
                    self._latency(ev, "cdetected")))
            return
        if "done" in ev:
            return
        # Cleared: a vault-local fault's own signal must go; any other's is the wave's clear.
        vault = local(fault)
        if vault:
            gone_m, gone_c = own_signal_gone(fault.signals[0], s, view)
        else:
            # (Such a fault runs alone: the whole picture is its own.)
            gone_m = watchsoak.back_to_healthy(fault, s, self.soak.healthy, ev["cleared_wall"])
            gone_c = view is not None and console_back(view, self.chealthy)
        for key, gone, channel in (("back", gone_m, "metrics"), ("cback", gone_c, "console")):
            if key not in ev and gone:
                ev[key] = t
            elif key not in ev and key + "_stuck" not in ev and \
                    t - ev["cleared"] > self.clear_bound(fault, channel):
                ev[key + "_stuck"] = "still showing %.1f s after the clear: %s" % (
                    self.clear_bound(fault, channel),
                    "; ".join((watchsoak.view_diff(self.soak.healthy, s) if channel == "metrics"
                               else console_diff(self.chealthy, view) if view else [])[:6])
                    or "no sweep succeeded since")
                self.log("gameday +%6.1f STUCK (%s) %s" % (t, channel, ev["fault"]))
        if all(k in ev or k + "_stuck" in ev for k in ("back", "cback")):
            ev["done"] = t

    @staticmethod
    def _latency(ev, key):
        return "%.1f s" % (ev[key] - ev["injected"]) if key in ev else "MISSED"

    # -- results -------------------------------------------------------------------------------

    def problems(self):
        """One line per fault missed, stuck or falsely ok, per channel, and stuck waves."""
        out = []
        for ev in self.events:
            where = "%s (injected +%.1f, cleared +%.1f)" % (ev["fault"], ev["injected"],
                                                            ev.get("cleared", -1))
            for key, what in (("detected_missed", "metrics missed"),
                              ("cdetected_missed", "console missed"),
                              ("back_stuck", "metrics not cleared"),
                              ("cback_stuck", "console not cleared")):
                if key in ev:
                    out.append("%s: %s: %s" % (what, where, ev[key]))
            if ev["level_lost"]:
                out.append("metrics false ok: %s: healthy again at %s while active" % (
                    where, ev["level_lost"][:5]))
            if ev["clevel_lost"]:
                out.append("console false ok: %s: healthy again at %s while active" % (
                    where, ev["clevel_lost"][:5]))
        return out + ["stuck: " + w for w in self.stuck_waves]

    def rss_window(self, samples, start):
        window = [r for t, r in samples if t >= start]
        return (window[0], window[-1], max(window)) if window else (None, None, None)

    @staticmethod
    def _at(samples, t):
        """The value of the last (t, value) sample at or before t."""
        got = None
        for ts, v in samples:
            if ts > t:
                break
            got = v
        return got

    def summary(self, warmup):
        pct = watchsoak.percentile

        def lat(key, origin):
            return [ev[key] - ev[origin] for ev in self.events if key in ev and origin in ev]

        out = {"faults": len(self.events), "waves": self.waves,
               "overlapping": sum(1 for i, ev in enumerate(self.events) if i and
                                  self.events[i - 1].get("cleared", 1e9) > ev["injected"]),
               "kinds": sorted({ev["kind"] for ev in self.events})}
        for prefix, det, back in (("metrics", "detected", "back"), ("console", "cdetected",
                                                                     "cback")):
            d, c = lat(det, "injected"), lat(back, "cleared")
            out[prefix] = {
                "detected": len(d), "missed": sum(1 for ev in self.events
                                                  if det + "_missed" in ev),
                "cleared": len(c), "stuck": sum(1 for ev in self.events if back + "_stuck" in ev),
                "false_ok": sum(1 for ev in self.events
                                if ev["level_lost" if prefix == "metrics" else "clevel_lost"]),
                "detect_s": {"p50": pct(d, 50), "p90": pct(d, 90), "p99": pct(d, 99),
                             "max": max(d) if d else None},
                "clear_s": {"p50": pct(c, 50), "p90": pct(c, 90), "p99": pct(c, 99),
                            "max": max(c) if c else None}}
        ws = [(t, r) for t, r, _ in self.soak.samples]
        out["rss_kb"] = {"watch": self.rss_window(ws, warmup),
                         "console": self.rss_window(self.console_samples, warmup)}
        # RSS of both about every minute, and the console's call count (its activity log
        # keeps the last 5,000 calls: it grows until full, then stays flat).
        out["rss_timeline"] = [(round(t), r, self._at(self.console_samples, t),
                                self._at(self.calls, t)) for i, (t, r) in enumerate(ws)
                               if i == 0 or i == len(ws) - 1 or t // 60 != ws[i - 1][0] // 60]
        out["scrapes"] = self.soak.scrapes
        out["scrape_failures"] = len(self.soak.scrape_failures)
        out["healthz_not_ok"] = len(self.soak.healthz_not_ok)
        out["scrape_ms"] = {"p50": pct(self.soak.scrape_ms, 50),
                            "max": max(self.soak.scrape_ms) if self.soak.scrape_ms else None}
        k = self.console.key_ms
        out["key_ms"] = {"presses": len(k) + len(self.console.key_slow),
                         "p50": pct(k, 50), "p90": pct(k, 90), "max": max(k) if k else None,
                         "over_bound": len(self.console.key_slow)}
        out["screens_unreadable"] = self.screens_unreadable
        return out


def report_lines(name, seed, summary):
    """The figures as the lines bench and test print."""
    f = lambda v: "-" if v is None else "%.1f" % v  # noqa: E731
    lines = ["%s seed=%d faults=%d waves=%d overlapping=%d kinds=%s" % (
        name, seed, summary["faults"], summary["waves"], summary["overlapping"],
        ",".join(summary["kinds"]))]
    for ch in ("metrics", "console"):
        c = summary[ch]
        lines.append("%s %s injected=%d detected=%d missed=%d cleared=%d stuck=%d false_ok=%d" % (
            name, ch, summary["faults"], c["detected"], c["missed"], c["cleared"], c["stuck"],
            c["false_ok"]))
        lines.append("%s %s detect_s p50=%s p90=%s p99=%s max=%s clear_s p50=%s p90=%s p99=%s "
                     "max=%s" % ((name, ch) + tuple(f(c["detect_s"][p]) for p in
                                                   ("p50", "p90", "p99", "max")) +
                                 tuple(f(c["clear_s"][p]) for p in ("p50", "p90", "p99", "max"))))
    for who in ("watch", "console"):
        start, end, peak = summary["rss_kb"][who]
        lines.append("%s rss_kb %s start=%s end=%s peak=%s" % (name, who, start, end, peak))
    lines.append("%s scrapes=%d failed=%d healthz_not_ok=%d scrape_ms p50=%s max=%s" % (
        name, summary["scrapes"], summary["scrape_failures"], summary["healthz_not_ok"],
        f(summary["scrape_ms"]["p50"]), f(summary["scrape_ms"]["max"])))
    k = summary["key_ms"]
    lines.append("%s console key_ms presses=%d p50=%s p90=%s max=%s over_bound=%d" % (
        name, k["presses"], f(k["p50"]), f(k["p90"]), f(k["max"]), k["over_bound"]))
    return lines


def sanitizer_clean(text):
    return not any(m in text for m in ("AddressSanitizer", "LeakSanitizer", "runtime error:"))


def env_for(tmp, secret, asan=None):
    env = {"PATH": "/usr/bin:/bin", "HOME": tmp, "XDG_STATE_HOME": os.path.join(tmp, "state"),
           "AZURE_CLIENT_SECRET": secret}
    if asan is not None:
        env["ASAN_OPTIONS"] = asan
    return env


def metrics_text(watch):
    return requests.get(watch.base + "/metrics", timeout=5).text


# -- one game day on the demo ----------------------------------------------------------------

TENANT = "1fc969be-ee9e-424f-9ec5-a33b1d15ab71"
SUBSCRIPTION = "558aba93-77f9-4064-aa55-4db325ca1cbf"
MONITOR_ID = "62a50920-39f7-44ce-af52-b5ad5ff7b541"
MONITOR_SECRET = "demo-monitor-nthFMjndfT_W0t965DXzzIsbiZBFLBLF"
# The demo: each vault holds the protector of one instance (its identity here).
DEMO_VAULTS = {"kv-tde-eus2": "sqlmi-eus2", "kv-tde-cus": "sqlmi-cus"}
DEMO_KEY = "tde-protector-2025"
DEMO_READER = "monitor"
DEMO_PES = ["pe-kv-tde-eus2-in-eus2", "pe-kv-tde-cus-in-eus2", "pe-kv-tde-cus-in-cus",
            "pe-kv-tde-eus2-in-cus"]
POLL = {"probe_seconds": 5, "health_seconds": 10, "structure_seconds": 30}
CADENCES = {"probe": 5, "health": 10, "structure": 30}
HTTP = {"connect_timeout_ms": 1000, "timeout_ms": 1500, "retry_budget_ms": 2000}


def sanitized(path):
    """Whether the binary is the ASan build (its RSS is larger and noisier)."""
    with open(path, "rb") as f:
        return b"__asan_init" in f.read()


def chooser(seed, kinds=None):
    """Every observable kind once, in a seeded order, before any twice."""
    import random
    kinds = list(kinds or observable_kinds())
    random.Random(seed).shuffle(kinds)
    queue = []

    def choose(rng):
        if not queue:
            queue.extend(kinds)
        return pick(rng, queue.pop(0), DEMO_VAULTS, DEMO_KEY, DEMO_READER, DEMO_PES)
    return choose


def run_demo(tdectl, demo_path, tmp, seed, seconds, warmup=20.0, log=print, key_every=2.0):
    """azsim's demo, watch and the console on the same configuration, the game day.

    Returns a dict: summary, problems, alive, watch/console exit statuses and
    stderr verdicts, the RSS growth after warm-up of both."""
    import json
    import random
    import azsim
    import tmuxrun

    with open(demo_path) as f:
        demo = json.load(f)
    # Tokens of a minute (azsim's least) are renewed at every read: the login faults
    # are then met within a health cycle instead of once an hour.
    demo["settings"]["token_lifetime_seconds"] = 60
    sim = azsim.Azsim(demo).start()
    asan = os.environ.get("ASAN_OPTIONS", "")
    if sanitized(tdectl):
        # ASan's quarantine (256 MB) makes RSS climb for minutes; 2 MB fills within the
        # warm-up and still catches a use of what the last reads freed (as the soak did).
        asan = (asan + ":" if asan else "") + "quarantine_size_mb=2"
    out = {"seed": seed}
    watch = console = None
    try:
        config = watchsoak.write_config(os.path.join(tmp, "config.json"), sim.info, TENANT,
                                        MONITOR_ID, SUBSCRIPTION, poll=POLL, http=HTTP)
        watch = watchsoak.Watch(tdectl, config, tmp, env_for(tmp, MONITOR_SECRET, asan))
        console = tmuxrun.Console(width=200, height=30)
        console.start(("--config", config, "--read-only", "--no-snapshot", "--view", "vaults"),
                      env={"AZURE_CLIENT_SECRET": MONITOR_SECRET, "ASAN_OPTIONS": asan or None})
        probe = ConsoleProbe(console)
        probe.find_pid()
        watch.wait_serving(30)
        watch.wait_healthy(60)
        gd = Gameday(watch, probe, watchsoak.Control(sim.info), random.Random(seed),
                     chooser(seed), CADENCES,
                     seconds=seconds, vaults=DEMO_VAULTS, key_every=key_every, log=log)
        out["alive"] = gd.run()
        out["alive_end"] = watch.proc.poll() is None and probe.alive()
        out["summary"] = gd.summary(warmup)
        out["problems"] = gd.problems()
        out["events"] = [{k: v for k, v in ev.items() if k not in ("obj", "before", "cbefore")}
                         for ev in gd.events]
    finally:
        if watch is not None:
            out["watch_exit"] = watch.stop()
            err = watch.stderr()
            out["watch_clean"] = sanitizer_clean(err) and MONITOR_SECRET not in err
            out["watch_stderr_tail"] = err[-2000:]
        if console is not None:
            out["console_stderr_tail"] = console.stderr()[-4000:]
            out["console_status_early"] = console.exit_status()  # None while it runs
            try:
                console.stop()  # q: exit status 0 and no sanitizer report, or it raises
                out["console_exit"] = 0
            except (AssertionError, RuntimeError) as e:
                out["console_exit"] = str(e)[-2000:]
            finally:
                console.cleanup()
        sim.stop()
    return out
