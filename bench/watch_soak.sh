#!/usr/bin/env bash
# Benchmark: `tdectl watch` soaked on the large estate in azsim with faults
# coming and going, then left idle. Prints figures; it is not a test (the test
# is tests/e2e/test_watch_soak.py, on the demo with short cadences).
#
#   1. The large estate (bench/gen_estate.py: 100 failover groups, 200
#      instances, 200 vaults, 20 versions a key) in azsim, with its control
#      interface for faults.
#   2. tdectl watch --metrics 127.0.0.1:0 with the default cadences (probe 30 s,
#      health 60 s, structure 300 s) and a config as an operator writes it.
#   3. SOAK_SECONDS of faults (bench/watch_soak.py, tests/pylib/watchsoak.py): a
#      seeded schedule over every kind watch can see on a random failover
#      group's vaults, keys and endpoints or on ARM, one at a time, each held
#      until /metrics shows it, then cleared and seen back to healthy; /metrics
#      and /healthz scraped every second, VmRSS and CPU sampled from /proc.
#   4. IDLE_SECONDS with no fault, scraped every IDLE_SCRAPE_SECONDS: CPU over
#      that tail (utime+stime of the process over wall time, % of one core).
#
# Output: the driver's log on stderr, one JSON line of figures, then
#   bench watch_soak faults injected=... detected=... missed=... stuck=...
#   bench watch_soak detect_s p50=... / rss_kb start=... / cpu_percent soak=... idle=...
#   bench watch_soak summary: idle CPU ... (goal < 0.5 %): met or NOT MET
#
# Usage: bench/watch_soak.sh
# Environment: BUILD (build folder, default build; RelWithDebInfo is what users
#   run: cmake -S . -B build-soak -DCMAKE_BUILD_TYPE=RelWithDebInfo), TDECTL,
#   AZSIM (binaries, default under $BUILD), FAILOVER_GROUPS (100), VERSIONS (20),
#   SOAK_SECONDS (300), IDLE_SECONDS (60), IDLE_SCRAPE_SECONDS (15), SEED (1),
#   PEM_DIR (keep the RSA materials between runs).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
TDECTL=${TDECTL:-$BUILD/tui/tdectl}
AZSIM=${AZSIM:-$BUILD/sim/azsim}
GROUPS_N=${FAILOVER_GROUPS:-100}
VERSIONS=${VERSIONS:-20}
SOAK_SECONDS=${SOAK_SECONDS:-300}
IDLE_SECONDS=${IDLE_SECONDS:-60}
IDLE_SCRAPE_SECONDS=${IDLE_SCRAPE_SECONDS:-15}
SEED=${SEED:-1}
PY=/usr/bin/python3
for bin in "$TDECTL" "$AZSIM"; do
  [ -x "$bin" ] || { echo "bench: no $bin (build tdectl and azsim, or set BUILD)" >&2; exit 2; }
done

tmp=$(mktemp -d)
chmod 700 "$tmp"
pid=
# shellcheck disable=SC2317 # (called by the trap)
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
pem_dir=${PEM_DIR:-$tmp/pem}
build_type=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$BUILD/CMakeCache.txt" 2>/dev/null || true)
echo "bench watch_soak setup groups=$GROUPS_N versions=$VERSIONS soak_seconds=$SOAK_SECONDS" \
  "idle_seconds=$IDLE_SECONDS idle_scrape_seconds=$IDLE_SCRAPE_SECONDS seed=$SEED" \
  "cpus=$(nproc) build=$BUILD build_type=${build_type:-?} tdectl=$TDECTL"

gen=$($PY bench/gen_estate.py --out "$tmp/estate.json" --groups "$GROUPS_N" \
  --versions "$VERSIONS" --pem-dir "$pem_dir")
"$AZSIM" --quiet --scenario "$tmp/estate.json" --port 0 --imds-port 0 --control-port 0 \
  --ready-file "$tmp/ready.json" --ca-out "$tmp/ca.pem" >"$tmp/azsim.out" 2>"$tmp/azsim.err" &
pid=$!
for _ in $(seq 1 1200); do
  [ -s "$tmp/ready.json" ] && break
  kill -0 "$pid" 2>/dev/null || { echo "bench: azsim exited:"; cat "$tmp/azsim.err"; exit 1; }
  sleep 0.01
done
[ -s "$tmp/ready.json" ] || { echo "bench: azsim did not start"; cat "$tmp/azsim.err"; exit 1; }

$PY bench/watch_soak.py --tdectl "$TDECTL" --ready "$tmp/ready.json" --gen "$gen" --tmp "$tmp" \
  --soak-seconds "$SOAK_SECONDS" --idle-seconds "$IDLE_SECONDS" \
  --idle-scrape-seconds "$IDLE_SCRAPE_SECONDS" --seed "$SEED"
exit 0
