#!/usr/bin/env bash
# The whole e2e suite (tests/e2e/test_*.py) with tdectl under valgrind's memcheck
# (wrappers from tests/pylib/vg.py; the tmux harness waits TDECTL_TEST_TIMEOUT_SCALE
# times longer). VG_AZSIM=1 puts azsim under valgrind too: its start-up (key generation)
# then outlasts the 60 s the Python harness and the 20 s tdectl --demo wait for it, so
# most tests fail to start; azsim's own leak checks are its ASan build's job. Prints one line per test: pass/fail, its wall time, how many processes
# valgrind watched, their errors and definite/indirect leak bytes, and the processes
# that ended before valgrind could print its summary (killed). Logs stay in $OUT.
#
#   BUILD=build JOBS=2 SCALE=6 [VG_AZSIM=1] bench/valgrind_e2e.sh [test_name ...]
#
# Needs the plain build (not build-asan).
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
BUILD=${BUILD:-build}
JOBS=${JOBS:-2}
SCALE=${SCALE:-6}
OUT=${OUT:-$(mktemp -d /tmp/tdectl-vg-e2e-XXXXXX)}
export TDECTL_REAL="$root/$BUILD/tui/tdectl" AZSIM_REAL="$root/$BUILD/sim/azsim"
[ -x "$TDECTL_REAL" ] && [ -x "$AZSIM_REAL" ] || { echo "build $BUILD first (./dev build)"; exit 2; }
if [ $# -gt 0 ]; then tests=("$@"); else
  mapfile -t tests < <(cd tests/e2e && ls test_*.py | sed 's/\.py$//')
fi

one() {
  local t=$1 dir="$OUT/$1"
  mkdir -p "$dir"
  TDECTL="$TDECTL_REAL" AZSIM="$AZSIM_REAL" /usr/bin/python3 -c '
import sys; sys.path.insert(0, sys.argv[1])
import vg; vg.make_wrappers(sys.argv[2] + "/bin", sys.argv[2], sys.argv[3:])' \
    "$root/tests/pylib" "$dir" tdectl ${VG_AZSIM:+azsim}
  local start=$SECONDS rc azsim="$AZSIM_REAL"
  [ -n "${VG_AZSIM:-}" ] && azsim="$dir/bin/azsim"
  TDECTL="$dir/bin/tdectl" AZSIM="$azsim" TDECTL_TEST_TIMEOUT_SCALE=$SCALE \
    PYTHONDONTWRITEBYTECODE=1 timeout 3600 /usr/bin/python3 "tests/e2e/$t.py" >"$dir/output.txt" 2>&1
  rc=$?
  echo "$rc $((SECONDS - start))" >"$dir/result"
}
export -f one
export OUT SCALE root VG_AZSIM
printf '%s\n' "${tests[@]}" | xargs -P "$JOBS" -I{} bash -c 'one {}'

/usr/bin/python3 - "$OUT" "$root/tests/pylib" "${tests[@]}" <<'PY'
import os, sys
out, pylib, tests = sys.argv[1], sys.argv[2], sys.argv[3:]
sys.path.insert(0, pylib)
import vg
print("%-22s %-4s %6s %5s %7s %10s %10s %7s" % ("test", "", "wall s", "procs", "errors",
                                                 "definite B", "indirect B", "killed"))
passed = failed = 0
totals = [0, 0, 0, 0]
for t in tests:
    rc, wall = open(os.path.join(out, t, "result")).read().split()
    runs = vg.summarize(os.path.join(out, t))
    e = sum(r["errors"] for r in runs)
    d = sum(r["definite"] for r in runs)
    i = sum(r["indirect"] for r in runs)
    k = sum(not r["complete"] for r in runs)
    ok = rc == "0"
    passed += ok
    failed += not ok
    for n, v in enumerate((len(runs), e, d, i)):
        totals[n] += v
    print("%-22s %-4s %6s %5d %7d %10d %10d %7d" % (t, "pass" if ok else "FAIL", wall, len(runs),
                                                     e, d, i, k))
print("%-22s %-4s %6s %5d %7d %10d %10d" % ("total", "", "", *totals))
print("logs: %s (per test: output.txt, tdectl.PID.log, azsim.PID.log)" % out)
print("%d passed, %d failed" % (passed, failed))
PY
