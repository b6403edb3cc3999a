#!/usr/bin/python3
"""Drives tdectl (the console) in a pseudo-terminal and prints its performance figures.

Run by bench/tui_bench.sh, which makes the estate, starts azsim and writes the
config; this program only runs tdectl against it. Standard library only.

Phases (the first argument, one per invocation; --snapshot-copy, when given, is
copied over the snapshot before every start, so every run starts alike):

  warmup       the console's own cold sweep: start without a snapshot, wait
               until the first full sweep has ended (the header says "data
               ... old" and the snapshot file is there), quit with q (tdectl
               saves the snapshot). tui_bench.sh seeds the snapshot with
               bench/snapshot_seed instead; this phase is there to time it.
  first-frame  --starts times: start with the snapshot; the frame trace's
               "first-frame" figure (from the start of main) and the time seen
               from outside (fork+exec to the output that completes the header
               text " tdectl "); quit each with q
  keys         one session (--keys-config: a config that polls often) started
               in --view: its row count from the tab line, then --keys
               keystrokes (j, k, PgDn, PgUp, a filter typed and cleared), each
               sent when the previous one's frame is out, --spacing-ms apart,
               for at most --keys-seconds: per key the trace's "key <us>" (key
               read to doupdate done), the time from writing the key to the
               last bytes before its trace line (its frame) and to the first
               bytes back
  idle         start --read-only, wait for the first full sweep to end (up to
               --timeout), then --idle-seconds without a key: CPU time
               (utime+stime of /proc/PID/stat) over wall time; peak RSS
               (VmHWM) just before quitting

The terminal is a pseudo-terminal of --cols x --rows; a small screen model
(Screen) reads back the header and the tab line from what ncurses writes.
Each phase prints JSON lines (one figure set per line) to stdout, all with
"bench": "tui". `summary FILE` reads such lines and prints the medians and the
goals (met / not met).
"""

import argparse
import codecs
import fcntl
import json
import os
import re
import select
import shutil
import signal
import statistics
import struct
import sys
import termios
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")


# ---- a small terminal: enough of xterm for what ncurses sends, to read the screen back ----

class Screen:
    """The character cells of a terminal fed with ncurses' output (attributes ignored)."""

    CSI_RE = re.compile(r"\x1b\[([?>=!]?)([0-9;:]*)([ -/]*)([@-~])")

    def __init__(self, cols, rows):
        self.cols, self.rows = cols, rows
        self.cells = [[" "] * cols for _ in range(rows)]
        self.y = self.x = 0
        self.top, self.bottom = 0, rows - 1
        self.saved = (0, 0)
        self.last = " "
        self.pending = ""
        self.decoder = codecs.getincrementaldecoder("utf-8")("replace")

    def text(self, y):
        return "".join(self.cells[y]) if 0 <= y < self.rows else ""

    def _scroll_up(self, n, top=None):
        top = self.top if top is None else top
        for _ in range(n):
            del self.cells[top]
            self.cells.insert(self.bottom, [" "] * self.cols)

    def _scroll_down(self, n, top=None):
        top = self.top if top is None else top
        for _ in range(n):
            del self.cells[self.bottom]
            self.cells.insert(top, [" "] * self.cols)

    def _put(self, ch):
        if self.x >= self.cols:
            self.x = 0
            self._linefeed()
        self.cells[self.y][self.x] = ch
        self.last = ch
        self.x += 1

    def _linefeed(self):
        if self.y == self.bottom:
            self._scroll_up(1)
        elif self.y < self.rows - 1:
            self.y += 1

    def _csi(self, private, params, final):
        nums = [int(p) if p.isdigit() else 0 for p in params.replace(":", ";").split(";")] \
            if params else []
        n = nums[0] if nums and nums[0] > 0 else 1
        clamp = lambda v, hi: max(0, min(v, hi))
        if private:
            return  # modes (?1049h, ?25l, ...): nothing to keep
        if final in "Hf":
            self.y = clamp((nums[0] if nums and nums[0] else 1) - 1, self.rows - 1)
            self.x = clamp((nums[1] if len(nums) > 1 and nums[1] else 1) - 1, self.cols - 1)
        elif final == "A":
            self.y = clamp(self.y - n, self.rows - 1)
        elif final in "Be":
            self.y = clamp(self.y + n, self.rows - 1)
        elif final in "Ca":
            self.x = clamp(self.x + n, self.cols - 1)
        elif final == "D":
            self.x = clamp(self.x - n, self.cols - 1)
        elif final in "G`":
            self.x = clamp(n - 1, self.cols - 1)
        elif final == "d":
            self.y = clamp(n - 1, self.rows - 1)
        elif final == "K":
            mode = nums[0] if nums else 0
            row = self.cells[self.y]
            lo, hi = {0: (self.x, self.cols), 1: (0, self.x + 1), 2: (0, self.cols)}.get(
                mode, (self.x, self.cols))
            for i in range(lo, min(hi, self.cols)):
                row[i] = " "
        elif final == "J":
            mode = nums[0] if nums else 0
            if mode == 0:
                self._csi("", "0", "K")
                for r in range(self.y + 1, self.rows):
                    self.cells[r] = [" "] * self.cols
            elif mode == 1:
                for r in range(0, self.y):
                    self.cells[r] = [" "] * self.cols
                self._csi("", "1", "K")
            else:
                self.cells = [[" "] * self.cols for _ in range(self.rows)]
        elif final == "X":
            for i in range(self.x, min(self.x + n, self.cols)):
                self.cells[self.y][i] = " "
        elif final == "b":
            for _ in range(n):
                self._put(self.last)
        elif final == "P":
            row = self.cells[self.y]
            del row[self.x:self.x + n]
            row.extend([" "] * (self.cols - len(row)))
        elif final == "@":
            row = self.cells[self.y]
            for _ in range(n):
                row.insert(self.x, " ")
            del row[self.cols:]
        elif final == "L" and self.top <= self.y <= self.bottom:
            self._scroll_down(n, self.y)
        elif final == "M" and self.top <= self.y <= self.bottom:
            self._scroll_up(n, self.y)
        elif final == "S":
            self._scroll_up(n)
        elif final == "T":
            self._scroll_down(n)
        elif final == "r":
            self.top = (nums[0] - 1) if nums and nums[0] else 0
            self.bottom = (nums[1] - 1) if len(nums) > 1 and nums[1] else self.rows - 1
            self.top = clamp(self.top, self.rows - 1)
            self.bottom = clamp(self.bottom, self.rows - 1)
            self.y = self.x = 0

    def feed(self, data):
        s = self.pending + self.decoder.decode(data)
        self.pending = ""
        i, n = 0, len(s)
        while i < n:
            c = s[i]
            if c == "\x1b":
                if i + 1 >= n:
                    self.pending = s[i:]
                    return
                nxt = s[i + 1]
                if nxt == "[":
                    m = self.CSI_RE.match(s, i)
                    if m is None:
                        if re.match(r"\x1b\[[?>=!]?[0-9;:]*[ -/]*$", s[i:]):
                            self.pending = s[i:]
                            return
                        i += 2
                        continue
                    self._csi(m.group(1), m.group(2), m.group(4))
                    i = m.end()
                elif nxt == "]":  # OSC ... BEL or ST
                    end = s.find("\x07", i)
                    st = s.find("\x1b\\", i)
                    ends = [e for e in (end, st) if e >= 0]
                    if not ends:
                        self.pending = s[i:]
                        return
                    e = min(ends)
                    i = e + (1 if e == end else 2)
                elif nxt in "()*+":
                    if i + 2 >= n:
                        self.pending = s[i:]
                        return
                    i += 3  # charset designation: line drawing is kept as the bytes sent
                elif nxt == "7":
                    self.saved = (self.y, self.x)
                    i += 2
                elif nxt == "8":
                    self.y, self.x = self.saved
                    i += 2
                elif nxt == "M":
                    if self.y == self.top:
                        self._scroll_down(1)
                    elif self.y > 0:
                        self.y -= 1
                    i += 2
                elif nxt == "D":
                    self._linefeed()
                    i += 2
                elif nxt == "E":
                    self.x = 0
                    self._linefeed()
                    i += 2
                else:
                    i += 2  # ESC =, ESC >, ...
                continue
            if c == "\r":
                self.x = 0
            elif c == "\n":
                self._linefeed()
            elif c == "\b":
                self.x = max(0, self.x - 1)
            elif c == "\t":
                self.x = min(self.cols - 1, (self.x // 8 + 1) * 8)
            elif c >= " " and c != "\x7f":
                self._put(c)
            i += 1


# ---- one tdectl in a pseudo-terminal ----

class Console:
    def __init__(self, argv, env, cols, rows):
        self.screen = Screen(cols, rows)
        self.raw = bytearray()
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.spawned = time.perf_counter()
        pid = os.fork()
        if pid == 0:  # the child: a session of its own, the pty as its terminal
            try:
                os.close(master)
                os.setsid()
                fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
                for fd in (0, 1, 2):
                    os.dup2(slave, fd)
                if slave > 2:
                    os.close(slave)
                os.execve(argv[0], argv, env)
            finally:
                os._exit(127)
        os.close(slave)
        self.pid, self.fd = pid, master
        os.set_blocking(master, False)
        self.first_output = None  # perf_counter of the first byte
        self.last_chunk = None  # perf_counter of the latest bytes
        self.header_at = None  # perf_counter of the output that completed " tdectl "
        self.exit_status = None

    def pump(self, timeout):
        """Reads what tdectl wrote (waiting up to timeout s for the first bytes); returns the
        perf_counter when the first bytes of this call arrived, or None."""
        got = None
        end = time.perf_counter() + timeout
        while True:
            left = end - time.perf_counter()
            r, _, _ = select.select([self.fd], [], [], max(0.0, left) if got is None else 0)
            if not r:
                return got
            try:
                data = os.read(self.fd, 65536)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:  # EIO: the child closed the terminal
                return got
            if not data:
                return got
            now = time.perf_counter()
            self.last_chunk = now
            if got is None:
                got = now
            if self.first_output is None:
                self.first_output = now
            if self.header_at is None:
                self.raw += data
                if b" tdectl " in self.raw:
                    self.header_at = now
                    self.raw = bytearray()
            self.screen.feed(data)

    def wait_for(self, pred, timeout):
        end = time.perf_counter() + timeout
        while not pred():
            if time.perf_counter() > end or not self.alive():
                return pred()
            self.pump(0.05)
        return True

    def sleep(self, seconds):
        """Sleeps while draining the terminal (a full pty would stall tdectl)."""
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            self.pump(min(0.1, max(0.0, end - time.perf_counter())))

    def send(self, data):
        os.write(self.fd, data)
        return time.perf_counter()

    def alive(self):
        if self.exit_status is not None:
            return False
        pid, status = os.waitpid(self.pid, os.WNOHANG)
        if pid == 0:
            return True
        self.exit_status = status
        return False

    def quit(self, timeout=20.0):
        """q, then :q! if a dialog asks, then SIGTERM; returns the exit status."""
        for keys in (b"q", b"\x1b:q!\r"):
            if not self.alive():
                break
            self.send(keys)
            self.wait_for(lambda: not self.alive(), timeout / 2)
        if self.alive():
            os.kill(self.pid, signal.SIGTERM)
            self.wait_for(lambda: not self.alive(), 5)
        if self.alive():
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
            self.exit_status = -9
        self.pump(0)
        os.close(self.fd)
        return self.exit_status

    def header(self):
        return self.screen.text(0)

    def tabs(self):
        return self.screen.text(1)

    def swept(self):
        """The first sweep has ended: the header gives the data's age, not the snapshot's."""
        h = self.header()
        return " tdectl " in h and re.search(r"data \S+ old", h) is not None

    def cpu_seconds(self):
        with open("/proc/%d/stat" % self.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime

    def status_kb(self, name):
        with open("/proc/%d/status" % self.pid) as f:
            for line in f:
                if line.startswith(name + ":"):
                    return int(line.split()[1])
        return None


# ---- the phases ----

def emit(**fields):
    print(json.dumps(dict(bench="tui", **fields)), flush=True)


def trace_lines(path):
    try:
        with open(path) as f:
            return f.read().splitlines()
    except OSError:
        return []


def trace_size(path):
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def start(a, extra=(), trace=None, config=None):
    env = dict(os.environ, TERM="xterm-256color", LANG="C.UTF-8", LC_ALL="C.UTF-8")
    env.pop("NO_COLOR", None)
    env.pop("TDECTL_TRACE_FRAMES", None)
    if trace:
        env["TDECTL_TRACE_FRAMES"] = trace
        if os.path.exists(trace):
            os.unlink(trace)
    argv = [a.tdectl, "--config", config or a.config] + list(extra)
    return Console(argv, env, a.cols, a.rows)


def restore_snapshot(a):
    """Every run starts from the same snapshot (a quit saves what that run read)."""
    if a.snapshot_copy:
        shutil.copyfile(a.snapshot_copy, a.snapshot)


def screen_dump(c):
    return "\n".join(c.screen.text(y).rstrip() for y in range(c.screen.rows)).rstrip()


def quit_timed(c, a):
    """Quits (q, then :q!, then SIGTERM); how long that took, and the exit status."""
    t = time.perf_counter()
    status = c.quit(timeout=a.quit_timeout)
    return round(time.perf_counter() - t, 3), status


def phase_warmup(a):
    """The console's own cold sweep (no snapshot); saves the snapshot on quit."""
    if os.path.exists(a.snapshot):
        os.unlink(a.snapshot)
    c = start(a)
    t = time.perf_counter()
    ok = c.wait_for(lambda: c.swept() and os.path.exists(a.snapshot), a.timeout)
    seconds = time.perf_counter() - t
    cpu = c.cpu_seconds()
    quit_s, status = quit_timed(c, a)
    emit(phase="warmup", ended=ok, cold_sweep_seconds=round(seconds, 3) if ok else None,
         waited_seconds=round(seconds, 3), cpu_seconds=round(cpu, 3), quit_seconds=quit_s,
         exit_status=status,
         snapshot_bytes=os.path.getsize(a.snapshot) if os.path.exists(a.snapshot) else None)
    return 0 if ok else 1


FIRST_RE = re.compile(r"first-frame (\d+) us, (.*), (\d+) instances")


def phase_first_frame(a):
    if not os.path.exists(a.snapshot_copy or a.snapshot):
        sys.exit("tui_bench: no snapshot at %s" % (a.snapshot_copy or a.snapshot))
    trace = os.path.join(a.tmp, "trace-first")
    for run in range(1, a.starts + 1):
        restore_snapshot(a)
        c = start(a, trace=trace)
        found = lambda: FIRST_RE.search("\n".join(trace_lines(trace)))
        ok = c.wait_for(lambda: c.header_at is not None and found(), a.timeout)
        m = found()
        quit_s, status = quit_timed(c, a)
        if not ok or m is None:
            emit(phase="first_frame", run=run, error="no first frame within %d s" % a.timeout)
            return 1
        emit(phase="first_frame", run=run, trace_ms=int(m.group(1)) / 1000,
             external_ms=round((c.header_at - c.spawned) * 1000, 3),
             first_byte_ms=round((c.first_output - c.spawned) * 1000, 3),
             source=m.group(2), instances=int(m.group(3)), quit_seconds=quit_s,
             exit_status=status)
        time.sleep(0.2)
    return 0


def key_plan(n, filter_text):
    """n keystrokes: runs of j, PgDn, k, PgUp, and a filter typed and cleared."""
    pgdn, pgup = b"\x1b[6~", b"\x1b[5~"
    plan = []
    typed = [("filter", b"/")] + [("filter", ch.encode()) for ch in filter_text] + \
        [("filter", b"\r")]
    clear = [("filter", b"/")] + [("filter", b"\x7f")] * len(filter_text) + [("filter", b"\r")]
    cycle = [("j", b"j")] * 20 + [("pgdn", pgdn)] * 10 + [("k", b"k")] * 10 + \
        [("pgup", pgup)] * 5
    i = 0
    while len(plan) < n:
        plan.extend(cycle)
        if i % 2 == 0:
            plan.extend(typed + [("j", b"j")] * 5 + clear)
        i += 1
    return plan[:n]


def key_lines(path):
    return [line for line in trace_lines(path) if line.startswith("key ")]


def one_key(c, trace, data, answered, timeout):
    """Writes one key and waits for the frame it caused: the trace's next "key" line (keys
    go one at a time, so each is a batch of its own). Returns (trace_ms, frame_ms,
    first_byte_ms), None where not seen: frame_ms is when the last bytes before that trace
    line reached the terminal, first_byte_ms when the first bytes after the key did."""
    c.pump(0)  # nothing pending before the key
    size = trace_size(trace)
    t = c.send(data)
    first = last = None
    while time.perf_counter() - t < timeout:
        got = c.pump(0.05)  # returns at once when bytes come (the frame precedes its line)
        if got is not None:
            first = first or got
            last = c.last_chunk
        if trace_size(trace) == size:
            continue
        size = trace_size(trace)
        keys = key_lines(trace)
        if len(keys) > answered:
            ms = int(keys[answered].split()[1]) / 1000
            return ms, (last - t) * 1000 if last else None, (first - t) * 1000 if first else None
    return None, None, (first - t) * 1000 if first else None


def phase_keys(a):
    trace = os.path.join(a.tmp, "trace-keys")
    restore_snapshot(a)
    c = start(a, extra=["--view", a.view], trace=trace, config=a.keys_config)
    if not c.wait_for(lambda: FIRST_RE.search("\n".join(trace_lines(trace))), a.timeout):
        emit(phase="keys", error="no first frame within %d s" % a.timeout)
        c.quit(timeout=a.quit_timeout)
        return 1
    count = lambda: re.search(r"(\d+)\s*$", c.tabs().rstrip())
    c.wait_for(count, 5)
    rows = int(count().group(1)) if count() else None
    plan = key_plan(a.keys, a.filter)
    results = []
    cpu0, t0 = c.cpu_seconds(), time.perf_counter()
    answered = len(key_lines(trace))
    for name, data in plan:
        if time.perf_counter() - t0 > a.keys_seconds:
            break
        t = time.perf_counter()
        trace_ms, frame_ms, first_ms = one_key(c, trace, data, answered, a.per_key_timeout)
        results.append((name, trace_ms, frame_ms, first_ms, c.swept()))
        if trace_ms is None:
            break  # no frame for this key in time: later frames could not be told apart
        answered += 1
        rest = a.spacing_ms / 1000 - (time.perf_counter() - t)
        if rest > 0:
            c.sleep(rest)
    cpu1, t1 = c.cpu_seconds(), time.perf_counter()
    hwm = c.status_kb("VmHWM")
    quit_s, status = quit_timed(c, a)
    pick = lambda i, cond=lambda r: True: [r[i] for r in results if r[i] is not None and cond(r)]
    kinds = {}
    for r in results:
        kinds[r[0]] = kinds.get(r[0], 0) + 1
    emit(phase="keys", view=a.view, rows=rows, planned=len(plan), sent=len(results),
         keys_by_kind=kinds, spacing_ms=a.spacing_ms, seconds=round(t1 - t0, 2),
         cpu_percent=round(100 * (cpu1 - cpu0) / (t1 - t0), 1),
         unanswered=sum(1 for r in results if r[1] is None),
         trace_ms=dist(pick(1)), frame_ms=dist(pick(2)), first_byte_ms=dist(pick(3)),
         trace_ms_by_kind={k: dist(pick(1, lambda r, k=k: r[0] == k)) for k in kinds},
         sent_before_first_sweep_ended=sum(1 for r in results if not r[4]),
         peak_rss_kb=hwm, quit_seconds=quit_s, exit_status=status)
    return 0


def dist(xs):
    if not xs:
        return None
    xs = sorted(xs)
    pick = lambda q: xs[min(len(xs) - 1, int(q * len(xs)))]
    return {"n": len(xs), "median": round(statistics.median(xs), 3), "p90": round(pick(0.9), 3),
            "p99": round(pick(0.99), 3), "max": round(xs[-1], 3)}


def phase_idle(a):
    restore_snapshot(a)
    c = start(a, extra=["--read-only"])
    t = time.perf_counter()
    swept = c.wait_for(c.swept, a.timeout)
    waited = time.perf_counter() - t
    cpu_start = c.cpu_seconds()
    if swept:
        c.sleep(a.settle)
    cpu0, t0 = c.cpu_seconds(), time.perf_counter()
    c.sleep(a.idle_seconds)
    cpu1, t1 = c.cpu_seconds(), time.perf_counter()
    hwm, rss = c.status_kb("VmHWM"), c.status_kb("VmRSS")
    header = c.header().strip()
    quit_s, status = quit_timed(c, a)
    emit(phase="idle", seconds=round(t1 - t0, 2), cpu_seconds=round(cpu1 - cpu0, 3),
         cpu_percent=round(100 * (cpu1 - cpu0) / (t1 - t0), 3),
         first_sweep_ended=swept, first_sweep_seconds=round(waited, 3) if swept else None,
         cpu_seconds_until_then=round(cpu_start, 3), peak_rss_kb=hwm, rss_kb=rss,
         header=re.sub(r"\s+", " ", header), clock_tick_ms=round(1000 / CLK_TCK, 1),
         quit_seconds=quit_s, exit_status=status)
    return 0


# ---- the summary ----

GOALS = {"first_frame_ms": 50, "key_median_ms": 5, "idle_cpu_percent": 0.5, "peak_rss_mb": 40}


def summary(path):
    xs = []
    with open(path) as f:
        for line in f:
            try:
                x = json.loads(line)
            except ValueError:
                continue
            if isinstance(x, dict) and x.get("bench") == "tui":
                xs.append(x)
    by = lambda p: [x for x in xs if x.get("phase") == p]
    verdict = lambda ok: "met" if ok else "NOT MET"
    table = []  # (what, figure, goal, verdict)

    ff = [x for x in by("first_frame") if "trace_ms" in x]
    for x in by("first_frame"):
        if "error" in x:
            print("bench tui first_frame run=%s error=%r" % (x.get("run"), x["error"]))
    if ff:
        med = lambda k: statistics.median(x[k] for x in ff)
        print("bench tui first_frame runs=%d median_trace_ms=%.1f median_external_ms=%.1f "
              "min_trace_ms=%.1f max_trace_ms=%.1f median_first_byte_ms=%.1f "
              "median_quit_seconds=%.2f instances=%d source=%s"
              % (len(ff), med("trace_ms"), med("external_ms"), min(x["trace_ms"] for x in ff),
                 max(x["trace_ms"] for x in ff), med("first_byte_ms"), med("quit_seconds"),
                 ff[0]["instances"], ff[0]["source"].replace(" ", "_")))
        for label, k in (("trace: start of main to doupdate", "trace_ms"),
                         ("outside: exec to the header on the terminal", "external_ms")):
            table.append(("first frame from the snapshot, %s" % label, "%.1f ms" % med(k),
                          "< %d ms" % GOALS["first_frame_ms"],
                          verdict(med(k) < GOALS["first_frame_ms"])))

    for k in by("keys"):
        if "error" in k:
            print("bench tui keys error=%r" % k["error"])
            continue
        d = lambda name: k.get(name) or {}
        t, fr, fb = d("trace_ms"), d("frame_ms"), d("first_byte_ms")
        print("bench tui keys view=%s rows=%s sent=%d of %d seconds=%s unanswered=%d "
              "cpu_percent=%s sent_before_first_sweep_ended=%d"
              % (k["view"], k["rows"], k["sent"], k["planned"], k["seconds"], k["unanswered"],
                 k["cpu_percent"], k["sent_before_first_sweep_ended"]))
        for label, x in (("trace", t), ("frame", fr), ("first_byte", fb)):
            if x:
                print("bench tui keys %s n=%d median_ms=%s p90_ms=%s p99_ms=%s max_ms=%s"
                      % (label, x["n"], x["median"], x["p90"], x["p99"], x["max"]))
        for kind, x in sorted((k.get("trace_ms_by_kind") or {}).items()):
            if x:
                print("bench tui keys trace kind=%s n=%d median_ms=%s p90_ms=%s max_ms=%s"
                      % (kind, x["n"], x["median"], x["p90"], x["max"]))
        for label, x in (("trace: key read to doupdate", t),
                         ("outside: key written to its frame on the terminal", fr)):
            if x:
                table.append(("key to updated frame, %s rows, %s (median)" % (k["rows"], label),
                              "%.2f ms" % x["median"], "< %d ms" % GOALS["key_median_ms"],
                              verdict(x["median"] < GOALS["key_median_ms"])))
        if k["sent"] < k["planned"]:
            table.append(("keys sent within the time allowed", "%d of %d" % (k["sent"],
                                                                             k["planned"]),
                          "all", "NOT MET"))

    rss = []
    for i in by("idle"):
        print("bench tui idle seconds=%s cpu_seconds=%s cpu_percent=%s first_sweep_ended=%s "
              "first_sweep_seconds=%s peak_rss_kb=%s rss_kb=%s quit_seconds=%s"
              % (i["seconds"], i["cpu_seconds"], i["cpu_percent"], i["first_sweep_ended"],
                 i["first_sweep_seconds"], i["peak_rss_kb"], i["rss_kb"], i["quit_seconds"]))
        note = "" if i["first_sweep_ended"] else ", first sweep never ended"
        table.append(("idle CPU, --read-only, default cadences, %.0f s%s" % (i["seconds"], note),
                      "%.2f %%" % i["cpu_percent"], "< %.1f %%" % GOALS["idle_cpu_percent"],
                      verdict(i["cpu_percent"] < GOALS["idle_cpu_percent"])))
        rss.append(("peak RSS (VmHWM), large estate, idle session", i["peak_rss_kb"]))
    for k in by("keys"):
        if k.get("peak_rss_kb"):
            rss.append(("peak RSS (VmHWM), %s-row estate, keys session" % k["rows"],
                        k["peak_rss_kb"]))
    for label, kb in rss:
        table.append((label, "%.1f MB" % (kb / 1024), "< %d MB" % GOALS["peak_rss_mb"],
                      verdict(kb / 1024 < GOALS["peak_rss_mb"])))

    print("bench tui summary (the goals of the issue):")
    width = max((len(t[0]) for t in table), default=0)
    for what, figure, goal, ok in table:
        print("  %-*s  %10s  goal %-8s %s" % (width, what, figure, goal, ok))
    return 0


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("phase", choices=("warmup", "first-frame", "keys", "idle", "summary"))
    p.add_argument("file", nargs="?", help="summary: the file of JSON lines")
    p.add_argument("--tdectl", help="the tdectl binary")
    p.add_argument("--config", help="tdectl's config file")
    p.add_argument("--snapshot", help="where tdectl keeps its snapshot (its default path)")
    p.add_argument("--snapshot-copy", help="a copy restored before every start")
    p.add_argument("--tmp", default="/tmp", help="where the frame traces go")
    p.add_argument("--cols", type=int, default=200)
    p.add_argument("--rows", type=int, default=50)
    p.add_argument("--starts", type=int, default=7, help="first-frame: starts (7)")
    p.add_argument("--keys", type=int, default=200, help="keys: keystrokes (200)")
    p.add_argument("--keys-seconds", type=float, default=60,
                   help="keys: stop sending after this long (60)")
    p.add_argument("--per-key-timeout", type=float, default=30,
                   help="keys: seconds to wait for a key's frame; the phase ends then (30)")
    p.add_argument("--keys-config", help="keys: the config file (faster polling)")
    p.add_argument("--spacing-ms", type=float, default=30, help="keys: between keys (30)")
    p.add_argument("--filter", default="fg05", help="keys: the filter text typed")
    p.add_argument("--view", default="keys", help="keys: the view (--view; keys)")
    p.add_argument("--idle-seconds", type=float, default=60, help="idle: seconds measured (60)")
    p.add_argument("--settle", type=float, default=2, help="idle: seconds after the sweep (2)")
    p.add_argument("--timeout", type=int, default=60,
                   help="seconds allowed for a first frame or a first sweep (60)")
    p.add_argument("--quit-timeout", type=float, default=60, help="seconds allowed to quit")
    a = p.parse_args(argv)
    if a.phase == "summary":
        if not a.file:
            p.error("summary needs the file of JSON lines")
        return summary(a.file)
    if not (a.tdectl and a.config and a.snapshot):
        p.error("--tdectl, --config and --snapshot are needed")
    return {"warmup": phase_warmup, "first-frame": phase_first_frame, "keys": phase_keys,
            "idle": phase_idle}[a.phase](a)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
