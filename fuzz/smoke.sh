#!/usr/bin/env bash
# One fuzz target's ctest smoke (fuzz/CMakeLists.txt):
#   smoke.sh BINARY NAME FUZZ_SRC_DIR GENERATED_SEEDS WORK_DIR SECONDS
# (1) replays every input of the target's corpora: the committed seeds
#     (fuzz/seeds/NAME), the regression inputs (fuzz/regress/NAME) and the
#     seeds generated from the shared Azure files (GENERATED_SEEDS/NAME);
# (2) fuzzes for SECONDS with a fixed seed, new inputs going to a scratch
#     corpus under WORK_DIR (emptied first). Any crash, leak, timeout or
#     UBSan report fails the test; the input is left in WORK_DIR/NAME-artifacts.
set -euo pipefail
bin=$1 name=$2 src=$3 gen=$4 work=$5 seconds=$6
corpus=$work/$name-corpus artifacts=$work/$name-artifacts
rm -rf "$corpus" "$artifacts"
mkdir -p "$corpus" "$artifacts"
dirs=()
for d in "$src/seeds/$name" "$src/regress/$name" "$gen/$name"; do
  [ -d "$d" ] && dirs+=("$d")
done
dict=()
[ -f "$src/$name.dict" ] && dict=(-dict="$src/$name.dict")
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
common=(-timeout=10 -rss_limit_mb=2048 -max_len=65536 -artifact_prefix="$artifacts/"
        "${dict[@]}")
echo "fuzz.$name: replaying ${dirs[*]}"
# Inputs given as files are run once each; -runs=0 only reads corpus dirs.
files=()
for d in "${dirs[@]}"; do
  while IFS= read -r -d '' f; do files+=("$f"); done < <(find "$d" -type f -print0 | sort -z)
done
if [ ${#files[@]} -gt 0 ]; then
  "$bin" "${common[@]}" "${files[@]}" 2>"$work/$name-replay.log" ||
    { tail -n 60 "$work/$name-replay.log"; exit 1; }
  echo "fuzz.$name: ${#files[@]} inputs replayed"
fi
echo "fuzz.$name: fuzzing ${seconds}s (-seed=1)"
"$bin" "${common[@]}" -seed=1 -max_total_time="$seconds" -print_final_stats=1 \
  "$corpus" "${dirs[@]}" 2>"$work/$name-fuzz.log" ||
  { tail -n 60 "$work/$name-fuzz.log"; exit 1; }
grep -E '^stat::(number_of_executed_units|peak_rss_mb|new_units_added)' "$work/$name-fuzz.log" || true
