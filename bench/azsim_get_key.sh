#!/usr/bin/env bash
# Benchmark: azsim's throughput for "GET key" (the call a console polls most)
# over keep-alive TLS with many concurrent connections, measured with wrk.
# Prints one line of figures per run and a summary line (median of the runs):
#
#   bench azsim_get_key run=1 connections=64 rps=12345.6 p50_ms=4.1 p99_ms=11.0 errors=0
#   bench azsim_get_key summary runs=5 connections=64 median_rps=12000.0 ...
#
# Usage: bench/azsim_get_key.sh [runs] [seconds] [connections]
# Environment: AZSIM (binary, default build/sim/azsim).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-5}
SECONDS_PER_RUN=${2:-10}
CONNS=${3:-64}
AZSIM=${AZSIM:-build/sim/azsim}
PY=/usr/bin/python3
command -v wrk >/dev/null || { echo "bench: wrk is not installed (apt-get install wrk)" >&2; exit 2; }

tmp=$(mktemp -d)
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$tmp"' EXIT
"$AZSIM" --quiet --port 0 --imds-port 0  --ready-file "$tmp/ready.json" \
  --ca-out "$tmp/ca.pem" >"$tmp/out" 2>"$tmp/err" &
pid=$!
for _ in $(seq 1 300); do [ -s "$tmp/ready.json" ] && break; sleep 0.05; done
[ -s "$tmp/ready.json" ] || { echo "bench: azsim did not start"; cat "$tmp/err"; exit 1; }

read -r authority vault < <($PY -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["authority"], r["vaults"]["kv-tde-eus2"])' "$tmp/ready.json")
# The demo's read-only monitor principal (sim/scenarios/demo.json).
token=$(curl -sS --cacert "$tmp/ca.pem" "$authority/1fc969be-ee9e-424f-9ec5-a33b1d15ab71/oauth2/v2.0/token" \
  -d grant_type=client_credentials -d client_id=62a50920-39f7-44ce-af52-b5ad5ff7b541 \
  -d client_secret=demo-monitor-nthFMjndfT_W0t965DXzzIsbiZBFLBLF \
  --data-urlencode "scope=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["vault_resource"])' "$tmp/ready.json")/.default" |
  $PY -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
url="$vault/keys/tde-protector-2025/?api-version=7.4"
code=$(curl -sS -o /dev/null -w '%{http_code}' --cacert "$tmp/ca.pem" -H "Authorization: Bearer $token" "$url")
[ "$code" = 200 ] || { echo "bench: GET key answered $code"; exit 1; }

echo "bench azsim_get_key setup cpus=$(nproc) wrk_threads=2 seconds=$SECONDS_PER_RUN url_path=/keys/{name}/"
rates=()
for run in $(seq 1 "$RUNS"); do
  out=$(wrk -t2 -c"$CONNS" -d"${SECONDS_PER_RUN}s" --latency -H "Authorization: Bearer $token" "$url")
  rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  errors=$(awk '/Non-2xx/ {print $5} /Socket errors/ {print $0}' <<<"$out" | tr '\n' ' ')
  echo "bench azsim_get_key run=$run connections=$CONNS rps=$rps p50=$p50 p99=$p99 errors=${errors:-0}"
  rates+=("$rps")
done
median=$(printf '%s\n' "${rates[@]}" | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}')
echo "bench azsim_get_key summary runs=$RUNS connections=$CONNS median_rps=$median min_rps=$(printf '%s\n' "${rates[@]}" | sort -g | head -1) max_rps=$(printf '%s\n' "${rates[@]}" | sort -g | tail -1)"
