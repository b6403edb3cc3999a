#!/usr/bin/env bash
# Fuzzes every target of fuzz/ for a while and prints one line per target
# (docs/fuzzing.md):
#
#   bench/fuzz.sh [TARGET ...]       FUZZ_SECONDS=60 FUZZ_JOBS=2 by default
#
# Builds build-fuzz (CC=clang, -DTDECTL_FUZZ=ON) if needed. Each target grows a
# persistent corpus in build-fuzz/corpus/TARGET, starting from the committed
# seeds (fuzz/seeds, fuzz/regress) and those made from the shared Azure files;
# a crash, leak, timeout or out-of-memory input lands in
# build-fuzz/artifacts/TARGET. Two targets run at a time (FUZZ_JOBS). Exits 1
# when any target found one.
set -uo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${FUZZ_SECONDS:-60}
JOBS=${FUZZ_JOBS:-2}
B=build-fuzz
ALL=(armparse kvparse challenge token headers config keymap theme journal bkfile snapshot)
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=("${ALL[@]}")

if [ ! -f $B/CMakeCache.txt ]; then
  CC=clang cmake -S . -B $B -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTDECTL_FUZZ=ON >/dev/null || exit 1
fi
cmake --build $B -j2 >/dev/null || { echo "fuzz.sh: build failed" >&2; exit 1; }
shared=$(sed -n 's/^TDECTL_SHARED_DIR:PATH=//p' $B/CMakeCache.txt)
/usr/bin/python3 fuzz/mkseeds.py "$shared" $B/fuzz/seeds themes >/dev/null || exit 1

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

run() { # one target, its log in $B/logs/TARGET.log
  local t=$1 dirs=() dict=()
  mkdir -p "$B/corpus/$t" "$B/artifacts/$t" "$B/logs"
  for d in "fuzz/seeds/$t" "fuzz/regress/$t" "$B/fuzz/seeds/$t"; do
    [ -d "$d" ] && dirs+=("$d")
  done
  [ -f "fuzz/$t.dict" ] && dict=(-dict="fuzz/$t.dict")
  "$B/fuzz/fuzz_$t" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 \
    -max_len=65536 -print_final_stats=1 -artifact_prefix="$B/artifacts/$t/" "${dict[@]}" \
    "$B/corpus/$t" "${dirs[@]}" >"$B/logs/$t.log" 2>&1
  echo $? >"$B/logs/$t.rc"
}

start=$(date +%s)
running=0
for t in "${targets[@]}"; do
  rm -f "$B/logs/$t.rc"
  run "$t" &
  running=$((running + 1))
  if [ $running -ge "$JOBS" ]; then
    wait -n
    running=$((running - 1))
  fi
done
wait

status=0
printf '%-10s %12s %8s %6s %7s %7s %8s\n' target execs exec/s cov ft corpus crashes
for t in "${targets[@]}"; do
  log=$B/logs/$t.log
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  last=$(grep -E '^#[0-9]+' "$log" | grep -E 'cov: ' | tail -1)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  corpus=$(find "$B/corpus/$t" -type f | wc -l)
  crashes=$(grep -cE '^artifact_prefix=.*Test unit written to' "$log")
  rc=$(cat "$B/logs/$t.rc" 2>/dev/null || echo 1)
  [ "$rc" -ne 0 ] && [ "$crashes" -eq 0 ] && crashes=1
  printf '%-10s %12s %8s %6s %7s %7s %8s\n' "$t" "${execs:-?}" "${eps:-?}" "${cov:-?}" \
    "${ft:-?}" "$corpus" "$crashes"
  if [ "$crashes" -ne 0 ]; then
    status=1
    grep -E 'Test unit written to|SUMMARY' "$log" | sed "s/^/  $t: /" >&2
  fi
done
echo "fuzz.sh: ${#targets[@]} targets, ${SECONDS_EACH}s each, $JOBS at a time, $(($(date +%s) - start))s"
exit $status
