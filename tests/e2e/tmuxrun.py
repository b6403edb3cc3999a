"""tmuxrun: the real tdectl binary in a private tmux server, for end-to-end tests.

One Console is one tmux server (its own socket, no config file: -f /dev/null)
running one tdectl in a pane of a fixed size. Keys go in with send-keys, the
screen comes back with capture-pane; wait_for polls the screen until a regex
matches (tests never sleep a fixed time where a wait can do).

The environment tdectl sees is built from nothing (env -i): HOME, XDG_CONFIG_HOME,
XDG_STATE_HOME, XDG_CACHE_HOME and TMPDIR point into the console's own temporary
folder, so the command history, the state folder and the demo's scratch folder
are private to the test; TERM and LANG are set per console; the sanitizer
options of the caller (ASAN_OPTIONS ...) are passed through.

tdectl's stderr goes to a file; stop() quits tdectl, asserts that it exited 0
and that the file holds no sanitizer report, then kills the tmux server.

The binaries come from $TDECTL and $AZSIM (ctest sets both).
"""

import os
import re
import shlex
import shutil
import subprocess
import tempfile
import time
import unittest

TMUX = shutil.which("tmux") or "/usr/bin/tmux"

# What a sanitizer report starts with (ASan, LSan, UBSan).
SANITIZER_MARKERS = (
    "ERROR: AddressSanitizer",
    "ERROR: LeakSanitizer",
    "runtime error:",
    "WARNING: AddressSanitizer",
)

# Variables passed through to tdectl when the caller has them.
PASS_THROUGH = (
    "ASAN_OPTIONS",
    "UBSAN_OPTIONS",
    "LSAN_OPTIONS",
    "ASAN_SYMBOLIZER_PATH",
    "LLVM_SYMBOLIZER_PATH",
)

# A loaded 2-core machine running the sanitizer build: be generous.
DEFAULT_TIMEOUT = 30.0
# Every wait is this many times longer: bench/valgrind_e2e.sh runs tdectl under valgrind.
SCALE = float(os.environ.get("TDECTL_TEST_TIMEOUT_SCALE", "1"))
POLL = 0.1


def binary(name):
    """The path of a binary from the environment ($TDECTL, $AZSIM)."""
    path = os.environ.get(name)
    if not path:
        raise RuntimeError("%s is not set (ctest sets it; see tests/e2e/CMakeLists.txt)" % name)
    if not os.access(path, os.X_OK):
        raise RuntimeError("%s=%s is not an executable" % (name, path))
    return path


class WaitTimeout(AssertionError):
    pass


class Console:
    """One tdectl in one private tmux server."""

    counter = 0

    def __init__(self, width=160, height=45, home=None):
        if not os.access(TMUX, os.X_OK):
            raise RuntimeError("tmux is not installed (./dev deps installs it)")
        Console.counter += 1
        self.width = width
        self.height = height
        # A short path: tmux sockets live under it and sun_path has 108 bytes.
        self.dir = tempfile.mkdtemp(prefix="tdectl-e2e-")
        self.home = home or os.path.join(self.dir, "home")
        self.socket = "tdectl-e2e-%d-%d" % (os.getpid(), Console.counter)
        self.stderr_path = os.path.join(self.dir, "stderr")
        self.rc_path = os.path.join(self.dir, "rc")
        self.tmp = os.path.join(self.dir, "tmp")
        self.started = False
        for d in (self.home, self.tmp):
            os.makedirs(d, exist_ok=True)

    # ---- tmux ----

    def _tmux_env(self):
        env = {
            "PATH": "/usr/bin:/bin",
            "HOME": self.home,
            "LANG": "C.UTF-8",
            "TMUX_TMPDIR": self.dir,
        }
        return env

    def tmux(self, *args, check=True):
        """Runs one tmux command against this console's server; its stdout."""
        cmd = [TMUX, "-u", "-L", self.socket, "-f", "/dev/null"] + list(args)
        r = subprocess.run(cmd, env=self._tmux_env(), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=30)
        if check and r.returncode != 0:
            raise RuntimeError("tmux %s: %s" % (" ".join(args), r.stderr.decode(errors="replace")))
        return r.stdout.decode("utf-8", errors="replace")

    # ---- the console ----

    def environment(self, term="tmux-256color", lang="C.UTF-8", extra=None):
        env = {
            "PATH": "/usr/bin:/bin",
            "HOME": self.home,
            "XDG_CONFIG_HOME": os.path.join(self.home, ".config"),
            "XDG_STATE_HOME": os.path.join(self.home, ".local", "state"),
            "XDG_CACHE_HOME": os.path.join(self.home, ".cache"),
            "TMPDIR": self.tmp,
            "TERM": term,
            "AZSIM": binary("AZSIM"),
        }
        if lang is not None:
            env["LANG"] = lang
        for name in PASS_THROUGH:
            if name in os.environ:
                env[name] = os.environ[name]
        if extra:
            for k, v in extra.items():
                if v is None:
                    env.pop(k, None)
                else:
                    env[k] = v
        return env

    def start(self, args=("--demo",), env=None, term="tmux-256color", lang="C.UTF-8"):
        """Starts tdectl with args in a fresh tmux server.

        env: extra variables for tdectl (a value of None removes one)."""
        assert not self.started, "one tdectl per Console"
        self.args = list(args)
        full_env = self.environment(term=term, lang=lang, extra=env)
        tdectl = binary("TDECTL")
        # The pane runs a small script: tdectl with exactly this environment,
        # stderr to a file, then its exit status written where stop() reads it.
        script = os.path.join(self.dir, "run.sh")
        with open(script, "w") as f:
            f.write("#!/bin/sh\n")
            f.write("cd %s || exit 99\n" % shlex.quote(self.dir))
            # When the server is killed (cleanup after a failure) the hangup ends
            # tdectl cleanly; the shell waits for that and still writes the status.
            f.write("trap : HUP\n")
            f.write("env -i %s %s %s 2>%s\n" % (
                " ".join(shlex.quote("%s=%s" % kv) for kv in sorted(full_env.items())),
                shlex.quote(tdectl),
                " ".join(shlex.quote(a) for a in self.args),
                shlex.quote(self.stderr_path)))
            f.write("echo $? >%s.tmp && mv %s.tmp %s\n" % (
                shlex.quote(self.rc_path), shlex.quote(self.rc_path), shlex.quote(self.rc_path)))
        os.chmod(script, 0o700)
        self.tmux("new-session", "-d", "-s", "e2e", "-x", str(self.width), "-y",
                  str(self.height), "/bin/sh " + shlex.quote(script))
        # OSC 52 from the application becomes a tmux paste buffer (what y copies).
        self.tmux("set-option", "-g", "set-clipboard", "on", check=False)
        self.started = True

    def keys(self, *keys, literal=False):
        """send-keys: tmux key names ("Enter", "Escape", "C-c", "NPage") or, with
        literal=True, text typed as is."""
        for k in keys:
            if literal:
                self.tmux("send-keys", "-t", "e2e", "-l", "--", k)
            else:
                self.tmux("send-keys", "-t", "e2e", "--", k)

    def type(self, text):
        """Types text literally."""
        self.keys(text, literal=True)

    def screen(self, keep_trailing=False):
        """The visible screen as text (capture-pane -p); keep_trailing keeps the
        spaces at the end of each line, so columns can be counted."""
        args = ["capture-pane", "-p", "-t", "e2e"]
        if keep_trailing:
            args.append("-N")
        return self.tmux(*args)

    def lines(self, keep_trailing=False):
        return split_lines(self.screen(keep_trailing))

    def styled(self):
        """The screen with its attributes as escape sequences (capture-pane -e)."""
        return self.tmux("capture-pane", "-p", "-e", "-t", "e2e")

    def buffer(self):
        """The newest tmux paste buffer (what an OSC 52 copy put there), or None."""
        out = subprocess.run([TMUX, "-u", "-L", self.socket, "-f", "/dev/null",
                              "show-buffer"], env=self._tmux_env(), stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, timeout=30)
        return out.stdout.decode("utf-8", errors="replace") if out.returncode == 0 else None

    def copy_selected(self, timeout=DEFAULT_TIMEOUT):
        """Presses y (copy) and returns what arrived on the clipboard: tdectl
        writes OSC 52, which tmux (set-clipboard on) turns into a paste buffer."""
        timeout *= SCALE
        for _ in range(100):  # empty the buffer stack first: the answer is then new
            if subprocess.run([TMUX, "-L", self.socket, "-f", "/dev/null", "delete-buffer"],
                              env=self._tmux_env(), stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, timeout=30).returncode != 0:
                break
        self.keys("y")
        deadline = time.monotonic() + timeout
        while True:
            got = self.buffer()
            if got is not None:
                return got
            if time.monotonic() > deadline:
                raise WaitTimeout("y copied nothing within %.0f s; screen:\n%s"
                                  % (timeout, self.screen()))
            time.sleep(POLL)

    def cursor(self):
        """(x, y) of the terminal cursor in the pane."""
        x, y = self.tmux("display-message", "-p", "-t", "e2e", "#{cursor_x} #{cursor_y}").split()
        return int(x), int(y)

    def wait_input(self, text, timeout=DEFAULT_TIMEOUT):
        """Waits until the bottom line is exactly text (a `:` or `/` line being
        edited) with the cursor right after it, so trailing spaces count too."""
        want = (len(text), self.height - 1)
        self.wait_until(lambda: split_lines(self.screen())[-1] == text.rstrip(" ") and
                        self.cursor() == want, "the line %r, cursor at %s" % (text, want),
                        timeout)

    def line(self, n):
        """Screen line n (0: the header; -1: the footer)."""
        return self.lines()[n]

    def exited(self):
        return os.path.exists(self.rc_path)

    def wait_for(self, pattern, timeout=DEFAULT_TIMEOUT, where=None, flags=re.M):
        """Polls the screen until pattern (a regex) matches; the match.

        where: a function from the screen text to the text to search (a line,
        a region); default the whole screen."""
        timeout *= SCALE
        rx = re.compile(pattern, flags)
        deadline = time.monotonic() + timeout
        text = ""
        while True:
            if self.exited():
                raise WaitTimeout("tdectl exited (status %s) while waiting for %r; stderr:\n%s\n"
                                  "last screen:\n%s" % (self.exit_status(), pattern,
                                                        self.stderr(), text))
            text = self.screen()
            subject = where(text) if where else text
            m = rx.search(subject)
            if m:
                return m
            if time.monotonic() > deadline:
                raise WaitTimeout("no %r on the screen within %.0f s; screen:\n%s"
                                  % (pattern, timeout, text))
            time.sleep(POLL)

    def wait_until(self, predicate, what, timeout=DEFAULT_TIMEOUT):
        """Polls until predicate() is true; what names it in the failure."""
        timeout *= SCALE
        deadline = time.monotonic() + timeout
        while True:
            if predicate():
                return
            if self.exited():
                raise WaitTimeout("tdectl exited (status %s) while waiting for %s; stderr:\n%s"
                                  % (self.exit_status(), what, self.stderr()))
            if time.monotonic() > deadline:
                raise WaitTimeout("%s: not within %.0f s; screen:\n%s"
                                  % (what, timeout, self.screen()))
            time.sleep(POLL)

    def wait_gone(self, pattern, timeout=DEFAULT_TIMEOUT, where=None, flags=re.M):
        """Polls until pattern no longer matches; the screen then."""
        timeout *= SCALE
        rx = re.compile(pattern, flags)
        deadline = time.monotonic() + timeout
        while True:
            text = self.screen()
            if not rx.search(where(text) if where else text):
                return text
            if time.monotonic() > deadline:
                raise WaitTimeout("%r still on the screen after %.0f s; screen:\n%s"
                                  % (pattern, timeout, text))
            time.sleep(POLL)

    def wait_line(self, n, pattern, timeout=DEFAULT_TIMEOUT):
        """Waits until screen line n matches pattern."""
        return self.wait_for(pattern, timeout, where=lambda s: split_lines(s)[n])

    def resize(self, width, height):
        self.tmux("resize-window", "-t", "e2e", "-x", str(width), "-y", str(height))
        self.width, self.height = width, height

    def command(self, text):
        """Runs a `:` command line."""
        self.keys(":")
        self.wait_line(-1, r"^:")
        self.type(text)
        self.wait_line(-1, "^:" + re.escape(text))
        self.keys("Enter")

    # ---- the end ----

    def exit_status(self):
        try:
            with open(self.rc_path) as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            return None

    def stderr(self):
        try:
            with open(self.stderr_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def wait_exit(self, timeout=DEFAULT_TIMEOUT):
        timeout *= SCALE
        deadline = time.monotonic() + timeout
        while not self.exited():
            if time.monotonic() > deadline:
                raise WaitTimeout("tdectl did not exit within %.0f s; screen:\n%s"
                                  % (timeout, self.screen()))
            time.sleep(POLL)
        return self.exit_status()

    def check_stderr(self, allow_leaks_in=()):
        """Fails on any sanitizer report on tdectl's stderr. allow_leaks_in:
        library names (e.g. "libtinfo") whose own leaks are tolerated, for
        failure paths inside a library tdectl cannot make clean."""
        err = self.stderr()
        if allow_leaks_in:
            err = drop_leaks_in(err, allow_leaks_in)
        for marker in SANITIZER_MARKERS:
            if marker in err:
                raise AssertionError("sanitizer report on tdectl's stderr:\n%s" % self.stderr())

    def stop(self, quit_keys=("q",), timeout=DEFAULT_TIMEOUT):
        """Quits tdectl (quit_keys; none when it already exited), asserts exit
        status 0 and a clean stderr, then kills the tmux server."""
        try:
            if not self.exited():
                for k in quit_keys:
                    self.keys(k)
            status = self.wait_exit(timeout)
            self.check_stderr()
            if status != 0:
                raise AssertionError("tdectl exited with status %s; stderr:\n%s"
                                     % (status, self.stderr()))
            leftovers = [n for n in os.listdir(self.tmp) if n.startswith("tdectl-demo-")]
            if leftovers:
                raise AssertionError("the demo left its scratch folder behind: %s" % leftovers)
        finally:
            self.kill()

    def kill(self):
        """Kills the tmux server (and with it tdectl, if it still runs)."""
        if self.started:
            self.tmux("kill-server", check=False)
            self.started = False

    def cleanup(self):
        """Kills the server if it still runs, lets tdectl end (it stops its
        azsim and removes the demo's folder), then removes the temporary folder."""
        was_running = self.started and not self.exited()
        self.kill()
        if was_running:
            deadline = time.monotonic() + 20
            while not self.exited() and time.monotonic() < deadline:
                time.sleep(POLL)
        shutil.rmtree(self.dir, ignore_errors=True)


# ---- helpers for tests ----

def drop_leaks_in(err, libraries):
    """err without the LeakSanitizer report when every leak in it was
    allocated inside one of libraries (the first frame past the allocator)."""
    m = re.search(r"=+\n==\d+==ERROR: LeakSanitizer: detected memory leaks\n(.*?)"
                  r"SUMMARY: AddressSanitizer: [^\n]*leaked[^\n]*\n?", err, re.S)
    if not m:
        return err
    blocks = re.split(r"\n(?=(?:Direct|Indirect) leak of )", m.group(1).strip())
    for block in blocks:
        frames = re.findall(r"#\d+ 0x[0-9a-f]+ in \S+ \(?([^)\s]*)", block)
        frames = [f for f in frames if "sanitizer" not in f and "asan_" not in f]
        if not frames or not any(lib in frames[0] for lib in libraries):
            return err
    return err[:m.start()] + err[m.end():]


def split_lines(screen):
    """capture-pane's text as its lines (each line ends with a newline)."""
    if screen.endswith("\n"):
        screen = screen[:-1]
    return screen.split("\n")


def header(screen):
    return split_lines(screen)[0]


def tabline(screen):
    return split_lines(screen)[1]


def footer(screen):
    return split_lines(screen)[-1]


def first_data(c, timeout=90.0):
    """Waits for the demo's first full read: the group on topology, both vaults probed."""
    c.wait_for("fog-sql-prod", timeout)
    c.wait_for(r"primary\s+kv-tde-eus2 UP", timeout)
    c.wait_for(r"primary\s+kv-tde-cus UP", timeout)


class ConsoleCase(unittest.TestCase):
    """A test class sharing one tdectl (--demo) across its tests, which run in
    name order (test_01_..., test_02_...); the last one quits and checks the
    exit. A failing step leaves the console where it was: each test starts
    from a view key, not from what the test before left."""

    ARGS = ("--demo",)
    WIDTH = 160
    HEIGHT = 45
    TERM = "tmux-256color"
    ENV = None

    @classmethod
    def setUpClass(cls):
        cls.c = Console(cls.WIDTH, cls.HEIGHT)
        try:
            cls.c.start(cls.ARGS, env=cls.ENV, term=cls.TERM)
            first_data(cls.c)
        except BaseException:
            cls.c.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.c.cleanup()

    def neutral(self, view="1"):
        """Closes whatever is in front (C-c cancels prompts, dialogs and
        overlays, and never quits) and shows a view."""
        self.c.keys("C-c")
        self.c.wait_gone(r"Esc closes|Quit tdectl\?|DANGER:")
        self.c.wait_line(-1, r"^\?:help")
        if view:
            self.c.keys(view)


# ---- attributes (capture-pane -e) ----

_ESC = re.compile(r"\x1b\[([0-9;:]*)m")


def _apply_sgr(state, params):
    """state: dict of attribute -> value; params: the SGR's numbers."""
    ps = [int(p) if p else 0 for p in params.replace(":", ";").split(";")] if params else [0]
    i = 0
    while i < len(ps):
        p = ps[i]
        if p == 0:
            state.clear()
        elif p in (1, 2, 3, 4, 5, 7, 8, 9):
            state[p] = True
        elif p == 22:
            state.pop(1, None)
            state.pop(2, None)
        elif p in (23, 24, 25, 27, 28, 29):
            state.pop(p - 20, None)
        elif 30 <= p <= 37 or 90 <= p <= 97:
            state["fg"] = p
        elif 40 <= p <= 47 or 100 <= p <= 107:
            state["bg"] = p
        elif p in (38, 48):
            key = "fg" if p == 38 else "bg"
            if i + 1 < len(ps) and ps[i + 1] == 5 and i + 2 < len(ps):
                state[key] = ("256", ps[i + 2])
                i += 2
            elif i + 1 < len(ps) and ps[i + 1] == 2 and i + 4 < len(ps):
                state[key] = ("rgb",) + tuple(ps[i + 2:i + 5])
                i += 4
        elif p == 39:
            state.pop("fg", None)
        elif p == 49:
            state.pop("bg", None)
        i += 1


def styled_cells(line):
    """One line of capture-pane -e as (character, attributes) pairs; the
    attributes a hashable summary of the SGR state in force."""
    state = {}
    cells = []
    pos = 0
    for m in _ESC.finditer(line):
        for ch in line[pos:m.start()]:
            cells.append((ch, tuple(sorted(state.items(), key=str))))
        _apply_sgr(state, m.group(1))
        pos = m.end()
    for ch in line[pos:]:
        if ch != "\x1b":
            cells.append((ch, tuple(sorted(state.items(), key=str))))
    return cells


def style_at(line, text):
    """The attributes of the first character of text on the styled line, or None."""
    cells = styled_cells(line)
    plain = "".join(ch for ch, _ in cells)
    at = plain.find(text)
    return None if at < 0 else cells[at][1]


def has_colour(styled):
    """Whether a capture-pane -e text sets any foreground or background colour."""
    for m in _ESC.finditer(styled):
        state = {}
        _apply_sgr(state, m.group(1))
        if "fg" in state or "bg" in state:
            return True
    return False
