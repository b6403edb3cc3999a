#!/usr/bin/env bash
# Benchmark: the console (tdectl) on a large estate in azsim, driven in a
# pseudo-terminal by bench/tui_bench.py. Prints figures; it is not a test.
#
#   1. The large estate (bench/gen_estate.py: 100 failover groups, 200
#      instances, 200 vaults, 20 versions a key) in azsim; tdectl's snapshot of
#      it written by bench/snapshot_seed (one full sweep with the console's own
#      config and engine, saved where the console reads it).
#   2. First frame from that snapshot, STARTS times: the frame trace's figure
#      (start of main to doupdate, TDECTL_TRACE_FRAMES) and the time seen from
#      outside (fork+exec to the header on the terminal); each run quits with q.
#   3. Idle CPU in monitoring mode: tdectl --read-only with the default poll
#      cadences, after its first sweep, for IDLE_SECONDS; utime+stime over wall
#      time (% of one core); peak RSS (VmHWM) just before quitting.
#   4. Keystrokes in a view of 10,000+ rows: a second estate with KEY_VERSIONS
#      versions a key (the keys view holds groups x (versions + 1) rows), tdectl
#      started in that view with the shortest poll cadences (structure 30 s,
#      health 10 s, probes 5 s), so polling runs all along; KEYS keystrokes (j,
#      k, PgDn, PgUp, a filter typed and cleared), each sent once the previous
#      one's frame is out, SPACING_MS apart: the trace's "key" figure (key read
#      to doupdate) and the time from writing the key to its frame's bytes on
#      the terminal. Stops sending after KEYS_SECONDS.
#
# Output: one JSON line per run or phase ({"bench": "tui", "phase": ...}), then
#   bench tui first_frame runs=7 median_trace_ms=... median_external_ms=...
#   bench tui keys ... / bench tui idle ...
#   bench tui summary (the goals of the issue): one line per goal, met or NOT MET
#
# Usage: bench/tui_bench.sh
# Environment: BUILD (build folder, default build; RelWithDebInfo is what users run),
#   TDECTL, AZSIM, SEED (binaries, default under $BUILD), FAILOVER_GROUPS (100),
#   VERSIONS (20), KEY_VERSIONS (100), STARTS (7), KEYS (200), KEYS_SECONDS (60),
#   SPACING_MS (30), IDLE_SECONDS (60), TIMEOUT (60: seconds allowed for a first
#   frame or a first sweep), SIZE (200x50), PEM_DIR (keep the RSA materials between runs).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
TDECTL=${TDECTL:-$BUILD/tui/tdectl}
AZSIM=${AZSIM:-$BUILD/sim/azsim}
SEED=${SEED:-$BUILD/bench/snapshot_seed}
GROUPS_N=${FAILOVER_GROUPS:-100}
VERSIONS=${VERSIONS:-20}
KEY_VERSIONS=${KEY_VERSIONS:-100}
STARTS=${STARTS:-7}
KEYS=${KEYS:-200}
KEYS_SECONDS=${KEYS_SECONDS:-60}
SPACING_MS=${SPACING_MS:-30}
IDLE_SECONDS=${IDLE_SECONDS:-60}
TIMEOUT=${TIMEOUT:-60}
SIZE=${SIZE:-200x50}
PY=/usr/bin/python3
for bin in "$TDECTL" "$AZSIM" "$SEED"; do
  [ -x "$bin" ] ||
    { echo "bench: no $bin (build tdectl, azsim and snapshot_seed, or set BUILD)" >&2; exit 2; }
done

tmp=$(mktemp -d)
chmod 700 "$tmp"
pid=
# shellcheck disable=SC2317 # (called by the trap)
stop_azsim() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  pid=
}
# shellcheck disable=SC2317
cleanup() {
  stop_azsim
  rm -rf "$tmp"
}
trap cleanup EXIT
pem_dir=${PEM_DIR:-$tmp/pem}
build_type=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$BUILD/CMakeCache.txt" 2>/dev/null || true)
echo "bench tui setup groups=$GROUPS_N versions=$VERSIONS key_versions=$KEY_VERSIONS" \
  "starts=$STARTS keys=$KEYS spacing_ms=$SPACING_MS idle_seconds=$IDLE_SECONDS size=$SIZE" \
  "cpus=$(nproc) build=$BUILD build_type=${build_type:-?} tdectl=$TDECTL"

# estate NAME VERSIONS: the estate in azsim, tdectl's config (and a fast-polling one for
# the keystrokes), a private HOME / XDG folders, the snapshot seeded. Sets $dir and exports
# HOME, XDG_*, AZURE_CLIENT_SECRET.
estate() {
  local name=$1 versions=$2
  dir=$tmp/$name
  mkdir -p "$dir/home/.config/tdectl" "$dir/home/.local/state"
  chmod -R 700 "$dir"
  local gen
  gen=$($PY bench/gen_estate.py --out "$dir/estate.json" --groups "$GROUPS_N" \
    --versions "$versions" --pem-dir "$pem_dir")
  "$AZSIM" --quiet --scenario "$dir/estate.json" --port 0 --imds-port 0 --control-port 0 \
    --ready-file "$dir/ready.json" --ca-out "$dir/ca.pem" >"$dir/azsim.out" 2>"$dir/azsim.err" &
  pid=$!
  for _ in $(seq 1 1200); do
    [ -s "$dir/ready.json" ] && break
    kill -0 "$pid" 2>/dev/null || { echo "bench: azsim exited:"; cat "$dir/azsim.err"; exit 1; }
    sleep 0.01
  done
  [ -s "$dir/ready.json" ] || { echo "bench: azsim did not start"; cat "$dir/azsim.err"; exit 1; }
  export HOME=$dir/home XDG_CONFIG_HOME=$dir/home/.config XDG_STATE_HOME=$dir/home/.local/state
  unset TDECTL_CONFIG NO_COLOR
  AZURE_CLIENT_SECRET=$($PY -c 'import json,sys; print(json.loads(sys.argv[1])["client_secret"])' \
    "$gen")
  export AZURE_CLIENT_SECRET
  # The config as an operator writes it (docs/configuration.md): azsim as a custom cloud.
  $PY - "$gen" "$dir/ready.json" "$XDG_CONFIG_HOME/tdectl" <<'EOF'
import json, os, sys
gen, ready, folder = json.loads(sys.argv[1]), json.load(open(sys.argv[2])), sys.argv[3]
config = {"cloud": "custom",
          "endpoints": {"authority": ready["authority"], "arm": ready["management_url"],
                        "vault_resource": ready["vault_resource"]},
          "ca_file": ready["ca_file"],
          "auth": {"mode": "secret", "tenant_id": gen["tenant"], "client_id": gen["client_id"]},
          "subscriptions": [gen["subscription"]]}
fast = dict(config, poll={"structure_seconds": 30, "health_seconds": 10, "probe_seconds": 5})
for name, c in (("config.json", config), ("config-fast-poll.json", fast)):
    fd = os.open(os.path.join(folder, name), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(c, f, indent=1)
EOF
  local seed
  seed=$("$SEED" --config "$XDG_CONFIG_HOME/tdectl/config.json" \
    --snapshot "$XDG_STATE_HOME/tdectl/snapshot.json" --timeout 300)
  cp "$XDG_STATE_HOME/tdectl/snapshot.json" "$dir/snapshot.seed.json"
  echo "bench tui estate name=$name groups=$GROUPS_N versions=$versions" \
    "instances=$($PY -c 'import json,sys; print(json.loads(sys.argv[1])["instances"])' "$gen")" \
    "snapshot_bytes=$(stat -c %s "$dir/snapshot.seed.json") seed=$seed"
}

drive() {
  $PY bench/tui_bench.py "$@" --tdectl "$TDECTL" --config "$XDG_CONFIG_HOME/tdectl/config.json" \
    --snapshot "$XDG_STATE_HOME/tdectl/snapshot.json" --snapshot-copy "$dir/snapshot.seed.json" \
    --tmp "$dir" --cols "${SIZE%x*}" --rows "${SIZE#*x}" --timeout "$TIMEOUT" |
    tee -a "$tmp/figures.jsonl" || echo "bench: tui_bench.py $1 failed (see above)"
}

: >"$tmp/figures.jsonl"
estate large "$VERSIONS"
drive first-frame --starts "$STARTS"
drive idle --idle-seconds "$IDLE_SECONDS"
stop_azsim

estate rows "$KEY_VERSIONS"
drive keys --keys "$KEYS" --keys-seconds "$KEYS_SECONDS" --spacing-ms "$SPACING_MS" \
  --keys-config "$XDG_CONFIG_HOME/tdectl/config-fast-poll.json"
stop_azsim

$PY bench/tui_bench.py summary "$tmp/figures.jsonl"
exit 0
