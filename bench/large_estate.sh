#!/usr/bin/env bash
# Benchmark: a cold sweep of a large estate (bench/gen_estate.py: 100 failover
# groups, 200 instances, 200 vaults, 20 versions a key by default), read by
# Microsoft's SDK (bench/sdk_sweep.py, sequential and 16 threads) and by
# tdectl's core (bench/core_sweep, once the lead has built it), against one
# azsim. Prints azsim's load time, the model's health after start, one JSON
# line per client, mode and run, and a summary of medians:
#
#   bench large_estate setup groups=100 instances=200 vaults=200 versions=20 ...
#   bench large_estate azsim check_seconds=0.41 ready_seconds=0.52
#   bench large_estate model instances=200 ok=200 databases=600 online=600
#   {"client": "sdk", "mode": "sequential", "run": 1, "seconds": 8.4, ...}
#   ...
#   bench large_estate summary client=sdk mode=sequential runs=3 median_seconds=8.4 ...
#
# Usage: bench/large_estate.sh
# Environment: BUILD (build folder, default build), AZSIM (default $BUILD/sim/azsim),
#   FAILOVER_GROUPS (100), VERSIONS (20), RUNS (3, per client and mode), THREADS (16),
#   PEM_DIR (keep the generated RSA materials there between runs; default: a temp dir).
# The scenario raises azsim's ARM read bucket for both clients (see gen_estate.py).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
AZSIM=${AZSIM:-$BUILD/sim/azsim}
GROUPS_N=${FAILOVER_GROUPS:-100}
VERSIONS=${VERSIONS:-20}
RUNS=${RUNS:-3}
THREADS=${THREADS:-16}
PY=/usr/bin/python3 # Debian's: the one with python3-azure
CORE_SWEEP=$BUILD/bench/core_sweep
[ -x "$AZSIM" ] || { echo "bench: no azsim at $AZSIM (build it, or set AZSIM)" >&2; exit 2; }

tmp=$(mktemp -d)
pid=
# shellcheck disable=SC2317 # (called by the trap)
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

# -- the estate ---------------------------------------------------------------------------
gen=$($PY bench/gen_estate.py --out "$tmp/estate.json" --groups "$GROUPS_N" \
  --versions "$VERSIONS" ${PEM_DIR:+--pem-dir "$PEM_DIR"})
field() { $PY -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$gen" "$1"; }
tenant=$(field tenant)
subscription=$(field subscription)
client_id=$(field client_id)
client_secret=$(field client_secret)
echo "bench large_estate setup groups=$GROUPS_N instances=$(field instances)" \
  "vaults=$(field vaults) versions=$VERSIONS databases=$(field databases)" \
  "private_endpoints=$(field private_endpoints) materials=$(field materials)" \
  "scenario_bytes=$(field bytes) runs=$RUNS threads=$THREADS cpus=$(nproc) azsim=$AZSIM"

# -- azsim: load time (--check, median of 3), then start it on free ports ------------------
check_seconds=$($PY - "$AZSIM" "$tmp/estate.json" <<'EOF'
import statistics, subprocess, sys, time
times = []
for _ in range(3):
    t = time.perf_counter()
    subprocess.run([sys.argv[1], "--quiet", "--check", "--scenario", sys.argv[2]], check=True,
                   stdout=subprocess.DEVNULL)
    times.append(time.perf_counter() - t)
print("%.3f" % statistics.median(times))
EOF
)
started=$(date +%s%N)
"$AZSIM" --quiet --scenario "$tmp/estate.json" --port 0 --imds-port 0 --control-port 0 \
  --ready-file "$tmp/ready.json" --ca-out "$tmp/ca.pem" >"$tmp/azsim.out" 2>"$tmp/azsim.err" &
pid=$!
for _ in $(seq 1 1200); do
  [ -s "$tmp/ready.json" ] && break
  kill -0 "$pid" 2>/dev/null || { echo "bench: azsim exited:"; cat "$tmp/azsim.err"; exit 1; }
  sleep 0.01
done
[ -s "$tmp/ready.json" ] || { echo "bench: azsim did not start"; cat "$tmp/azsim.err"; exit 1; }
ready_seconds=$(awk -v a="$started" -v b="$(date +%s%N)" 'BEGIN {printf "%.3f", (b - a) / 1e9}')
echo "bench large_estate azsim check_seconds=$check_seconds ready_seconds=$ready_seconds"

# -- every instance healthy after start (azsim's model, checks run now) --------------------
$PY - "$tmp/ready.json" <<'EOF'
import json, sys, urllib.request
ready = json.load(open(sys.argv[1]))
req = urllib.request.Request("http://127.0.0.1:%d/model/check" % ready["control_port"],
                             data=b"", method="POST",
                             headers={"Authorization": "Bearer " + ready["control_token"]})
instances = json.load(urllib.request.urlopen(req, timeout=120))["instances"]
dbs = [d for i in instances for d in i["databases"]]
ok = [i for i in instances if i["access"] == "ok" and not i["last_error"]]
online = [d for d in dbs if d["status"] == "Online"]
print("bench large_estate model instances=%d ok=%d databases=%d online=%d"
      % (len(instances), len(ok), len(dbs), len(online)))
if len(ok) != len(instances) or len(online) != len(dbs):
    bad = [i for i in instances if i not in ok][:3]
    sys.exit("bench: the estate is not healthy: %s" % json.dumps(bad))
EOF

# -- the sweeps -------------------------------------------------------------------------------
creds=(--ready-file "$tmp/ready.json" --subscription "$subscription" --tenant "$tenant"
  --client-id "$client_id" --client-secret "$client_secret")
: >"$tmp/figures.jsonl"
$PY bench/sdk_sweep.py "${creds[@]}" --threads "$THREADS" --runs "$RUNS" |
  tee -a "$tmp/figures.jsonl" || echo "bench: the SDK sweep reported errors (see its lines)"
if [ -x "$CORE_SWEEP" ]; then
  for _ in $(seq 1 "$RUNS"); do
    "$CORE_SWEEP" "${creds[@]}" | tee -a "$tmp/figures.jsonl" ||
      echo "bench: core_sweep failed"
  done
else
  echo "tdectl: (core sweep benchmark not built yet)"
fi

# -- all figures together: medians per client and mode ---------------------------------------
$PY - "$tmp/figures.jsonl" <<'EOF'
import collections, json, statistics, sys
runs = collections.defaultdict(list)
for line in open(sys.argv[1]):
    try:
        x = json.loads(line)
    except ValueError:
        continue
    if x.get("run") == "median":
        continue
    runs[(x.get("client", "tdectl"), x.get("mode"))].append(x)
def show(v):
    return "%g" % round(v, 3) if isinstance(v, (int, float)) else v
for (client, mode), xs in runs.items():
    med = lambda k: show(statistics.median(x[k] for x in xs if x.get(k) is not None)) \
        if any(x.get(k) is not None for x in xs) else "-"
    print("bench large_estate summary client=%s mode=%s runs=%d median_seconds=%s "
          "median_client_cpu_seconds=%s median_requests=%s median_objects=%s "
          "max_peak_rss_kb=%s median_azsim_cpu_seconds=%s"
          % (client, mode, len(xs), med("seconds"), med("client_cpu_seconds"), med("requests"),
             med("objects"), max((x.get("peak_rss_kb") or 0) for x in xs),
             med("azsim_cpu_seconds")))
# How many times faster tdectl's cold sweep is than each SDK mode (wall clock and client CPU).
def median_of(client, mode, key):
    xs = [x[key] for x in runs.get((client, mode), []) if x.get(key) is not None]
    return statistics.median(xs) if xs else None
cold = median_of("tdectl", "cold", "seconds")
cold_cpu = median_of("tdectl", "cold", "client_cpu_seconds")
for mode in ("sequential", "parallel"):
    sdk, sdk_cpu = median_of("sdk", mode, "seconds"), median_of("sdk", mode, "client_cpu_seconds")
    if cold and sdk:
        print("bench large_estate ratio sdk_%s/tdectl_cold wall=%.1fx client_cpu=%s"
              % (mode, sdk / cold,
                 "%.1fx" % (sdk_cpu / cold_cpu) if sdk_cpu and cold_cpu else "-"))
EOF
grep -q . "$tmp/azsim.err" && { echo "bench: azsim's warnings:"; tail -n 5 "$tmp/azsim.err"; }
exit 0
