"""vg: run tdectl and azsim under valgrind from any test, and read what it found.

make_wrappers(outdir, logdir) writes outdir/tdectl and outdir/azsim: shell scripts
that exec valgrind on the real binaries ($TDECTL, $AZSIM, resolved now) with
memcheck's leak check, each run logging to logdir/<name>.<pid>.log. A test that
takes its binaries from $TDECTL and $AZSIM runs them under valgrind when those
point to the wrappers (bench/valgrind_e2e.sh does that for the whole e2e suite).
The paths are written into the scripts because the e2e harnesses start tdectl
with an environment built from nothing (env -i).

A run with a memory error or a definite or indirect leak exits EXIT_CODE (99);
still-reachable memory (ncurses, libedit, OpenSSL and curl keep some until exit)
is neither an error nor reported. tests/valgrind/tdectl.supp holds the few
suppressions, each with its reason.

summarize(logdir) reads the logs back: one dict per process with its errors,
definite and indirect leak bytes and whether valgrind printed its summary.
"""

import glob
import os
import re
import shlex
import stat

VALGRIND = "/usr/bin/valgrind"
EXIT_CODE = 99
SUPP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "valgrind", "tdectl.supp")


def options(logfile):
    opts = ["--tool=memcheck", "--leak-check=full", "--show-leak-kinds=definite,indirect",
            "--errors-for-leak-kinds=definite,indirect", "--error-exitcode=%d" % EXIT_CODE,
            "--num-callers=30", "--child-silent-after-fork=yes", "--log-file=" + logfile]
    if os.path.exists(SUPP):
        opts.append("--suppressions=" + os.path.abspath(SUPP))
    return opts


def make_wrappers(outdir, logdir, names=("tdectl", "azsim")):
    """Writes a valgrind wrapper per binary; a dict name -> wrapper path."""
    os.makedirs(outdir, exist_ok=True)
    os.makedirs(logdir, exist_ok=True)
    out = {}
    for name in names:
        real = os.path.abspath(os.environ[name.upper()])
        cmd = [VALGRIND] + options(os.path.join(os.path.abspath(logdir), name + ".%p.log"))
        path = os.path.join(outdir, name)
        with open(path, "w") as f:
            f.write("#!/bin/sh\n# %s under valgrind (tests/pylib/vg.py)\nexec %s %s \"$@\"\n"
                    % (name, " ".join(shlex.quote(c) for c in cmd), shlex.quote(real)))
        os.chmod(path, stat.S_IRWXU | stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH)
        out[name] = path
    return out


def _bytes(text, what):
    m = re.search(r"%s: ([\d,]+) bytes" % what, text)
    return int(m.group(1).replace(",", "")) if m else 0


def summarize(logdir):
    """One dict per log: file, name, pid, errors, definite, indirect, complete."""
    runs = []
    for path in sorted(glob.glob(os.path.join(logdir, "*.log"))):
        with open(path, errors="replace") as f:
            text = f.read()
        m = re.search(r"ERROR SUMMARY: ([\d,]+) errors", text)
        base = os.path.basename(path)
        runs.append({
            "file": path,
            "name": base.split(".")[0],
            "errors": int(m.group(1).replace(",", "")) if m else 0,
            "definite": _bytes(text, "definitely lost"),
            "indirect": _bytes(text, "indirectly lost"),
            "complete": m is not None,
        })
    return runs


def bad(runs):
    """The runs with an error or a definite or indirect leak."""
    return [r for r in runs if r["errors"] or r["definite"] or r["indirect"]]


def report(run):
    """The log of one run, for a failure message."""
    with open(run["file"], errors="replace") as f:
        return f.read()[-6000:]
