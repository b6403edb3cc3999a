#!/usr/bin/env bash
# clang-tidy with the committed .clang-tidy (the clang static analyzer plus bugprone-*
# and cert-*) over every .c file of core cli themes widgets tui, as compiled: the
# compile database of a configured build. Not sim/ (azsim, the test double): it cost a
# quarter of the run, and cppcheck, the sanitizers and its conformance tests cover it. Run by ctest as style.clang_tidy; by hand:
#     tests/style/clang_tidy.sh SOURCE_DIR BUILD_DIR [JOBS]
# JOBS files at a time (default: every core). A deliberate case carries a
# NOLINT(check) or NOLINTNEXTLINE(check) comment saying why. Exit 1 on any finding;
# the slowest files and the total time are printed either way.
set -uo pipefail
command -v clang-tidy >/dev/null || { echo "clang-tidy is not installed (./dev deps installs it)"; exit 2; }
src=$(cd "$1" && pwd)
build=$(cd "$2" && pwd)
jobs=${3:-$(nproc)}
db="$build/compile_commands.json"
[ -f "$db" ] || { echo "no $db: configure with CMake first"; exit 2; }
out="$build/clang-tidy"
rm -rf "$out"
mkdir -p "$out"
mapfile -t files < <(/usr/bin/python3 - "$db" "$src" <<'PY'
import json, os, sys
db, src = sys.argv[1:]
dirs = ("core", "cli", "themes", "widgets", "tui")  # not sim/: azsim, the test double (cppcheck and the sanitizers cover it)
for e in json.load(open(db)):
    rel = os.path.relpath(os.path.join(e["directory"], e["file"]), src)
    if rel.split(os.sep)[0] in dirs and rel.endswith(".c"):
        print(rel)
PY
)
[ ${#files[@]} -gt 0 ] || { echo "no files in $db"; exit 2; }
start=$(date +%s%N)
cd "$src"
# Each file: its findings in $out/<file>.txt, its seconds in $out/<file>.time.
printf '%s\n' "${files[@]}" | xargs -P "$jobs" -I{} sh -c '
  f=$1; o=$2/$(echo "$f" | tr / _)
  s=$(date +%s%N)
  clang-tidy -p "$3" --quiet "$f" >"$o.txt" 2>&1; echo $? >"$o.rc"
  echo "$((($(date +%s%N) - s) / 1000000)) $f" >"$o.time"' _ {} "$out" "$build"
wall=$((($(date +%s%N) - start) / 1000))
status=0
for rc in "$out"/*.rc; do
  if [ "$(cat "$rc")" != 0 ]; then
    grep -vE '^[0-9]+ warnings? (and [0-9]+ errors? )?generated\.$|^Suppressed [0-9]+ warnings|^Use -header-filter|^Error while processing' "${rc%.rc}.txt"
    status=1
  fi
done
cat "$out"/*.time | sort -rn >"$out/times.txt"
echo "clang-tidy: ${#files[@]} files, $((wall / 1000000)) s wall at -j$jobs," \
  "$(awk '{s += $1} END {printf "%d", s / 1000}' "$out/times.txt") s summed; slowest (ms):"
head -5 "$out/times.txt" | sed 's/^/  /'
[ $status -eq 0 ] && echo "clang-tidy: no findings"
exit $status
