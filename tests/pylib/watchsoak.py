"""Soak harness for `tdectl watch`: a seeded schedule of azsim faults coming and
going while /metrics and /healthz are scraped, with the process's RSS and CPU
sampled from /proc. Used by bench/watch_soak.py (the large generated estate,
default cadences) and, for its fault catalogue, scraping and judging, by
tests/pylib/gameday.py (the game day: watch and the console together,
tests/e2e/test_gameday.py and bench/gameday.sh).

A fault is injected, held until the metrics show it (or its detection bound
passes: a miss), held a little longer, cleared, and then the metrics must come
back to the healthy values (or its clear bound passes: a miss) before the next
fault. One fault at a time, so every signal is the fault's own.

What "the metrics show it" means per fault (the signals, found by injecting each
kind against the demo and reading the series that moved):
  down:V     tdectl_vault_up{vault=V} == 0 (the tokenless probe failed)
  slow:V     tdectl_vault_probe_latency_seconds{vault=V} >= 0.5 (latency 800 ms)
  judged     the judgement moved: a vault_up or instance_key_access series, or a
             non-zero finding other than D01 (D01 is data age: it flaps with time)
  errors     tdectl_api_requests_total{class="error"} or read failures went up
  5xx        tdectl_api_requests_total{class="5xx"} went up
  throttled  tdectl_api_throttled_total went up
  failures   tdectl_engine_read_failures_total went up
Back to healthy: the judged series equal the healthy baseline, no probe latency
of 0.5 s or more, and for a fault seen through counters, a full or health sweep
has succeeded since it was cleared (tdectl_sweep_last_success_timestamp_seconds
moved past the clear): counters never go back down.

Bounds: a fault is due within one cycle of the sweep that sees it (probe for
what the tokenless probe meets, health for the rest), the cycle's jitter, and
SLACK seconds (retries, timeouts, the scrape period). The way back may take two
health cycles for counter faults: the sweep in flight when the fault clears
still counts the failures it met.

Standard library plus requests; runs under Debian's /usr/bin/python3.
"""

import json
import os
import re
import signal
import subprocess
import time

import requests

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)$')
SERVING = re.compile(r"serving http://([0-9.]+):([0-9]+)/metrics")
SLOW_S = 0.5  # a probe latency this high is the latency fault (800 ms injected)
CLK_TCK = os.sysconf("SC_CLK_TCK")

API = 'tdectl_api_requests_total{class="%s"}'
FAILURES = "tdectl_engine_read_failures_total"
THROTTLED = "tdectl_api_throttled_total"
LAST_SUCCESS = "tdectl_sweep_last_success_timestamp_seconds"


def parse(text):
    """{'name{labels}': value} of every sample line."""
    samples = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            m = SAMPLE.match(line)
            if not m:
                raise AssertionError("not a sample line: %r" % line)
            samples[m.group(1) + (m.group(2) or "")] = float(m.group(3))
    return samples


# -- /proc -----------------------------------------------------------------------------------

def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS for %d" % pid)


def cpu_seconds(pid):
    """utime + stime of every thread of the process, in seconds."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def percentile(values, p):
    if not values:
        return None
    v = sorted(values)
    k = (len(v) - 1) * p / 100.0
    lo, hi = int(k), min(int(k) + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


# -- azsim's control interface ---------------------------------------------------------------

class Control:
    """azsim's fault API, from the ready file's fields (control_port, control_token)."""

    def __init__(self, info):
        self.url = "http://127.0.0.1:%d" % info["control_port"]
        self.headers = {"Authorization": "Bearer " + info["control_token"]}

    def _call(self, method, path, body=None):
        r = requests.request(method, self.url + path, json=body, headers=self.headers,
                             timeout=30)
        if r.status_code >= 400:
            raise AssertionError("azsim control %s %s: %d %s" % (method, path, r.status_code,
                                                                r.text))
        return r.json() if r.content else None

    def fault(self, spec):
        return self._call("POST", "/faults", spec)["id"]

    def clear(self, fault_id=None):
        self._call("DELETE", "/faults/%s" % fault_id if fault_id else "/faults")


# -- tdectl watch ----------------------------------------------------------------------------

class Watch:
    """One `tdectl watch --metrics 127.0.0.1:0` process; stderr in a file."""

    def __init__(self, tdectl, config, tmp, env):
        self.err_path = os.path.join(tmp, "watch-%d.stderr" % time.monotonic_ns())
        with open(self.err_path, "w") as err:
            self.proc = subprocess.Popen([tdectl, "watch", "--metrics", "127.0.0.1:0",
                                          "--config", config],
                                         stdout=subprocess.DEVNULL, stderr=err, env=env)
        self.pid = self.proc.pid
        self.base = None

    def stderr(self):
        with open(self.err_path, errors="replace") as f:
            return f.read()

    def wait_serving(self, timeout):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("watch exited with %d: %s" % (self.proc.returncode,
                                                                   self.stderr()))
            m = SERVING.search(self.stderr())
            if m:
                self.base = "http://%s:%s" % (m.group(1), m.group(2))
                return self.base
            time.sleep(0.1)
        raise AssertionError("watch did not say where it serves within %d s" % timeout)

    def wait_healthy(self, timeout):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("watch exited with %d: %s" % (self.proc.returncode,
                                                                   self.stderr()))
            try:
                if requests.get(self.base + "/healthz", timeout=5).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.25)
        raise AssertionError("/healthz not ok within %d s" % timeout)

    def stop(self, timeout=30):
        """SIGTERM; the exit status (-9 when it had to be killed)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return -9


# -- faults ----------------------------------------------------------------------------------

class Fault:
    """One fault of the catalogue: azsim's spec, the cycle that sees it, its signals."""

    COUNTERS = ("errors", "5xx", "throttled", "failures")

    def __init__(self, spec, cycle, signals):
        self.spec = spec
        self.cycle = cycle  # "probe" or "health"
        self.signals = signals
        self.counter = any(s in self.COUNTERS for s in signals)

    @property
    def kind(self):
        return self.spec["kind"]

    def label(self):
        rest = {k: v for k, v in self.spec.items() if k not in ("kind", "target")}
        text = self.spec["kind"] + (" " + self.spec["target"] if "target" in self.spec else "")
        return text + "".join(" %s=%s" % kv for kv in sorted(rest.items()))


NETWORK = ("refused", "blackhole", "latency", "throttle", "error", "malformed", "truncated",
           "reset")
STATE = ("key-disable", "key-expire", "key-delete", "revoke", "rbac-flip", "pe-state",
         "vault-delete")
KINDS = NETWORK + STATE


def network_fault(kind, target, slow_ms=3000):
    """A network fault on vault:NAME, arm or login, with the signals it shows.

    Latency is 800 ms on a vault (the probe measures it) and slow_ms elsewhere
    (over the request timeout: reads fail). On a vault, the tokenless probe
    meets refused, blackhole, reset, latency, throttle and error at once; a
    malformed or truncated body is still an answer to it, so the health sweep's
    key reads show those. Token requests go to login only at the health sweep,
    and a failed renewal is tolerated while the old token lasts: only the
    request counters move."""
    spec = {"kind": kind, "target": target}
    vault = target[len("vault:"):] if target.startswith("vault:") else None
    if kind == "latency":
        spec.update(ms=800 if vault else slow_ms)
    if vault:
        probe = {"refused": ["down:" + vault], "blackhole": ["down:" + vault],
                 "reset": ["down:" + vault], "latency": ["slow:" + vault],
                 "throttle": ["throttled"], "error": ["5xx"]}
        if kind in probe:
            return Fault(spec, "probe", probe[kind])
        return Fault(spec, "health", ["failures"])
    signals = {"throttle": ["throttled"], "error": ["5xx"], "malformed": ["failures"],
               "truncated": ["failures"]}.get(kind, ["errors"])
    return Fault(spec, "health", signals)


def state_fault(kind, vault, key=None, principal=None, pe=None, status=None,
                signals=("judged",)):
    spec = {"kind": kind}
    if kind == "pe-state":
        spec.update(pe=pe, status=status)
    else:
        spec["vault"] = vault
    if kind in ("key-disable", "key-expire", "key-delete"):
        spec["key"] = key
    if kind == "revoke":
        spec["principal"] = principal
    # A deleted vault stops resolving: the probe sees it first.
    return Fault(spec, "probe" if kind == "vault-delete" else "health", list(signals))


def pick(rng, kind, vaults, key, reader, pes, targets_extra=("arm", "login"), slow_ms=3000):
    """A fault of this kind on a random part of the estate.

    vaults: {vault: identity of the instance whose protector it holds}; key: the
    protector's key name in each vault; reader: tdectl's own principal (revoking
    it shows as failed reads); pes: private endpoint names; slow_ms: the latency
    injected on ARM or login, over the configured request timeout."""
    vault = rng.choice(sorted(vaults))
    if kind in NETWORK:
        targets = ["vault:" + vault] + list(targets_extra)
        # login cannot be seen with a malformed or truncated answer: the renewal fails
        # and the old token, still valid, carries on (no series moves).
        if kind in ("malformed", "truncated") and "login" in targets:
            targets.remove("login")
        return network_fault(kind, rng.choice(targets), slow_ms)
    if kind == "revoke":
        if rng.random() < 0.5:
            return state_fault(kind, vault, principal=vaults[vault])
        return state_fault(kind, vault, principal=reader, signals=("failures", "judged"))
    if kind == "pe-state":
        return state_fault(kind, None, pe=rng.choice(pes),
                           status=rng.choice(["Disconnected", "Rejected", "Pending"]))
    if kind == "vault-delete":
        return state_fault(kind, vault, signals=("down:" + vault, "judged"))
    return state_fault(kind, vault, key=key)


# -- judging the metrics ---------------------------------------------------------------------

def judged_view(s):
    """The series that judge the estate: vault_up, key access, non-zero findings but D01."""
    out = {}
    for k, v in s.items():
        if k.startswith(("tdectl_vault_up{", "tdectl_instance_key_access{")):
            out[k] = v
        elif k.startswith("tdectl_findings{") and 'rule="D01"' not in k and v != 0:
            out[k] = v
    return out


def view_diff(healthy, s):
    now = judged_view(s)
    keys = sorted(set(healthy) | set(now))
    return ["%s: %s -> %s" % (k, healthy.get(k), now.get(k)) for k in keys
            if healthy.get(k) != now.get(k)]


def signal_seen(name, before, s, healthy):
    if name.startswith("down:"):
        return s.get('tdectl_vault_up{vault="%s"}' % name[5:]) == 0
    if name.startswith("slow:"):
        return s.get('tdectl_vault_probe_latency_seconds{vault="%s"}' % name[5:], 0) >= SLOW_S
    if name == "judged":
        return judged_view(s) != healthy

    def up(key):
        return s.get(key, 0) > before.get(key, 0)
    if name == "errors":
        return up(API % "error") or up(FAILURES)
    if name == "5xx":
        return up(API % "5xx")
    if name == "throttled":
        return up(THROTTLED)
    if name == "failures":
        return up(FAILURES)
    raise AssertionError("unknown signal " + name)


def back_to_healthy(fault, s, healthy, cleared_at):
    if judged_view(s) != healthy:
        return False
    if any(v >= SLOW_S for k, v in s.items()
           if k.startswith("tdectl_vault_probe_latency_seconds{")):
        return False
    return not fault.counter or s.get(LAST_SUCCESS, 0) >= cleared_at


# -- the soak --------------------------------------------------------------------------------

class Soak:
    """Runs the schedule; everything it saw is in .events, .samples, .scrape_failures.

    rng: random.Random(seed); choose(rng) -> Fault; cadences: {"probe": s, "health": s};
    jitter: poll.jitter_percent / 100; slack: seconds added to each bound; seconds: how
    long faults are injected (the last one is seen through); period: scrape period."""

    def __init__(self, watch, control, rng, choose, cadences, jitter=0.10, slack=5.0,
                 seconds=60, period=1.0, scrape_timeout=5.0, log=None):
        self.watch, self.control, self.rng, self.choose = watch, control, rng, choose
        self.cadences, self.jitter, self.slack = cadences, jitter, slack
        self.seconds, self.period, self.scrape_timeout = seconds, period, scrape_timeout
        self.log = log or (lambda line: None)
        self.events = []           # one dict per fault
        self.samples = []          # (t since start, rss_kb, cpu_s)
        self.scrape_failures = []  # (t, what)
        self.scrapes = 0
        self.healthz_not_ok = []   # (t, status, text)
        self.scrape_ms = []
        self.timeline = []         # (t, reads queued, reads in flight, health sweeps ended)
        self.last = {}
        self.start = None
        self.healthy = None

    def detect_bound(self, fault):
        return self.cadences[fault.cycle] * (1 + self.jitter) + self.slack

    def clear_bound(self, fault):
        cycles = 2 if fault.counter else 1
        cycle = max(self.cadences[fault.cycle], self.cadences["health"] if fault.counter else 0)
        return cycles * cycle * (1 + self.jitter) + self.slack

    def now(self):
        return time.monotonic() - self.start

    def scrape(self):
        """One scrape of /metrics and /healthz; the samples, or None (recorded)."""
        t = self.now()
        self.scrapes += 1
        try:
            t0 = time.monotonic()
            r = requests.get(self.watch.base + "/metrics", timeout=self.scrape_timeout)
            self.scrape_ms.append((time.monotonic() - t0) * 1000)
            if r.status_code != 200:
                self.scrape_failures.append((t, "/metrics answered %d" % r.status_code))
                return None
            s = parse(r.text)
            h = requests.get(self.watch.base + "/healthz", timeout=self.scrape_timeout)
            if h.status_code != 200:
                self.healthz_not_ok.append((round(t, 1), h.status_code, h.text.strip()))
        except requests.RequestException as e:
            self.scrape_failures.append((t, "%s: %s" % (type(e).__name__, e)))
            return None
        self.last = s
        self.timeline.append((round(t), s.get("tdectl_engine_reads_queued"),
                              s.get("tdectl_engine_reads_in_flight"),
                              s.get('tdectl_sweeps_total{kind="health"}')))
        return s

    def sample(self):
        pid = self.watch.pid
        try:
            self.samples.append((self.now(), rss_kb(pid), cpu_seconds(pid)))
        except (OSError, AssertionError):
            pass

    def alive(self):
        return self.watch.proc.poll() is None

    def run(self):
        self.start = time.monotonic()
        s = None
        while s is None and self.now() < 30:
            s = self.scrape()
            time.sleep(0.2)
        if s is None:
            raise AssertionError("no scrape answered: %s" % self.scrape_failures[-3:])
        self.healthy = judged_view(s)
        self.log("soak healthy baseline: %d judged series" % len(self.healthy))
        phase, ev, next_at, tick = "gap", None, 1.0, 0
        while True:
            tick += 1
            time.sleep(max(0.0, tick * self.period - self.now()))
            if not self.alive():
                self.log("soak: watch died (status %s)" % self.watch.proc.returncode)
                return False
            self.sample()
            s = self.scrape()
            if s is None:
                continue
            t = self.now()
            if phase == "gap":
                # No new fault in the last few seconds; the last one is seen through, so
                # a run ends a typical fault's length (10 to 15 s at the test's
                # cadences) after the soak time at most.
                if t >= self.seconds - 5:
                    return True
                if t < next_at:
                    continue
                fault = self.choose(self.rng)
                ev = {"fault": fault.label(), "kind": fault.kind, "cycle": fault.cycle,
                      "signals": fault.signals, "before": s, "obj": fault}
                ev["id"] = self.control.fault(fault.spec)
                ev["injected"] = self.now()
                self.events.append(ev)
                phase = "inject"
                self.log("soak +%5.1f inject %s" % (ev["injected"], ev["fault"]))
            elif phase == "inject":
                fault = ev["obj"]
                seen = [n for n in fault.signals if signal_seen(n, ev["before"], s, self.healthy)]
                if seen:
                    ev["detected"] = t
                    ev["seen"] = seen
                    ev["hold_until"] = t + self.rng.uniform(1.0, 3.0)
                    phase = "hold"
                elif t - ev["injected"] > self.detect_bound(fault):
                    ev["missed"] = "not seen within %.1f s (%s)" % (self.detect_bound(fault),
                                                                     ", ".join(fault.signals))
                    ev["hold_until"] = t
                    phase = "hold"
            if phase == "hold" and t >= ev["hold_until"]:
                self.control.clear(ev["id"])
                ev["cleared"] = self.now()
                ev["cleared_wall"] = time.time()
                phase = "clearing"
                self.log("soak +%5.1f clear  %s (%s)" % (
                    ev["cleared"], ev["fault"],
                    "seen after %.1f s: %s" % (ev["detected"] - ev["injected"],
                                               ",".join(ev["seen"]))
                    if "detected" in ev else "MISSED"))
            elif phase == "clearing":
                fault = ev["obj"]
                if back_to_healthy(fault, s, self.healthy, ev["cleared_wall"]):
                    ev["healthy"] = t
                    phase, next_at = "gap", t + self.rng.uniform(0.5, 2.0)
                    self.log("soak +%5.1f back   %s after %.1f s" % (t, ev["fault"],
                                                                       t - ev["cleared"]))
                elif t - ev["cleared"] > self.clear_bound(fault):
                    ev["stuck"] = "not back to healthy within %.1f s of the clear: %s" % (
                        self.clear_bound(fault), "; ".join(view_diff(self.healthy, s)[:6]) or
                        "no sweep succeeded since (last success %.0f s before the clear)"
                        % (ev["cleared_wall"] - s.get(LAST_SUCCESS, 0)))
                    phase, next_at = "gap", t + 1.0
                    self.healthy = judged_view(s)  # go on from here rather than fail every next
                    self.log("soak +%5.1f STUCK  %s: %s" % (t, ev["fault"], ev["stuck"]))

    # -- results -------------------------------------------------------------------------------

    def misses(self):
        """One line per fault not seen in time or not cleared in time, with its timings."""
        out = []
        for ev in self.events:
            for what in ("missed", "stuck"):
                if what in ev:
                    out.append("%s (injected at +%.1f s, cleared at +%.1f s): %s" % (
                        ev["fault"], ev["injected"], ev.get("cleared", -1), ev[what]))
        return out

    def detection_latencies(self):
        return [ev["detected"] - ev["injected"] for ev in self.events if "detected" in ev]

    def recovery_latencies(self):
        return [ev["healthy"] - ev["cleared"] for ev in self.events if "healthy" in ev]

    def rss_window(self, start, end=None):
        """(first, last, max) VmRSS in kB of the samples from start to end seconds."""
        window = [r for t, r, _ in self.samples if t >= start and (end is None or t <= end)]
        return (window[0], window[-1], max(window)) if window else (None, None, None)

    def cpu_percent(self, start, end=None):
        window = [(t, c) for t, _, c in self.samples if t >= start and (end is None or t <= end)]
        if len(window) < 2 or window[-1][0] <= window[0][0]:
            return None
        return 100.0 * (window[-1][1] - window[0][1]) / (window[-1][0] - window[0][0])

    def summary(self):
        det = self.detection_latencies()
        rec = self.recovery_latencies()
        kinds = sorted({ev["kind"] for ev in self.events})
        return {"faults": len(self.events),
                "detected": sum(1 for ev in self.events if "detected" in ev),
                "missed": sum(1 for ev in self.events if "missed" in ev),
                "stuck": sum(1 for ev in self.events if "stuck" in ev),
                "kinds": kinds,
                "detect_p50_s": percentile(det, 50), "detect_p90_s": percentile(det, 90),
                "detect_max_s": max(det) if det else None,
                "recover_p50_s": percentile(rec, 50), "recover_max_s": max(rec) if rec else None,
                "scrapes": self.scrapes, "scrape_failures": len(self.scrape_failures),
                "healthz_not_ok": len(self.healthz_not_ok),
                "scrape_p50_ms": percentile(self.scrape_ms, 50),
                "scrape_max_ms": max(self.scrape_ms) if self.scrape_ms else None}


def write_config(path, info, tenant, client_id, subscription, poll=None, http=None):
    """tdectl's configuration for azsim (azsim.tdectl_config), written 0600: it names a
    principal."""
    import azsim
    fields = {k: v for k, v in (("poll", poll), ("http", http)) if v}
    config = azsim.tdectl_config(info, client_id=client_id, tenant=tenant,
                                 subscription=subscription, **fields)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(config, f, indent=1)
    return path
