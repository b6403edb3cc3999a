#!/usr/bin/env bash
# Game day: `tdectl watch --metrics` and the console (`tdectl` in tmux) on the
# same configuration against the same azsim demo, through GAMEDAY_SECONDS of a
# seeded random schedule of faults over every azsim fault kind, coming and
# going, two at a time on different vaults when their signals allow
# (tests/pylib/gameday.py; the short version is ctest's e2e.test_gameday).
# Prints figures: faults injected, detected, missed, detection and clear
# latency p50/p90/p99/max in /metrics and on the console, RSS start/end/peak
# of both processes, scrapes and the slowest, console key-press latency.
#
# Usage: bench/gameday.sh
# Environment: BUILD (build folder, default build), TDECTL, AZSIM (binaries,
#   default under $BUILD), GAMEDAY_SECONDS (600), GAMEDAY_SEED (1),
#   GAMEDAY_WARMUP (60: RSS start is the first sample after it).
# Output: the log on stderr; on stdout one JSON line (every fault's timings),
#   then the `bench gameday ...` lines and `bench gameday summary: OK|FAILED`.
# Exit status: 0 when the summary is OK, 1 when not, 2 when binaries are missing.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
export TDECTL=${TDECTL:-$PWD/$BUILD/tui/tdectl}
export AZSIM=${AZSIM:-$PWD/$BUILD/sim/azsim}
SECONDS_=${GAMEDAY_SECONDS:-600}
SEED=${GAMEDAY_SEED:-1}
WARMUP=${GAMEDAY_WARMUP:-60}
for bin in "$TDECTL" "$AZSIM"; do
  [ -x "$bin" ] || { echo "bench: no $bin (build tdectl and azsim, or set BUILD)" >&2; exit 2; }
done
command -v tmux >/dev/null || { echo "bench: tmux is needed (./dev installs it)" >&2; exit 2; }
build_type=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$BUILD/CMakeCache.txt" 2>/dev/null || true)
echo "bench gameday setup seconds=$SECONDS_ seed=$SEED warmup=$WARMUP cpus=$(nproc)" \
  "build=$BUILD build_type=${build_type:-?} tdectl=$TDECTL"
exec /usr/bin/python3 bench/gameday.py --seconds "$SECONDS_" --seed "$SEED" --warmup "$WARMUP"
