#!/usr/bin/env bash
# cppcheck over our code (core cli themes widgets tui sim), as compiled: the
# compile database of a configured build (CMAKE_EXPORT_COMPILE_COMMANDS), cut to
# those folders. Run by ctest as style.cppcheck; by hand:
#     tests/style/cppcheck.sh SOURCE_DIR BUILD_DIR [JOBS]
# Checks: warning, style, performance, portability. A deliberate case carries an
# inline "cppcheck-suppress ID ; why" comment on the line before. Turned off here:
#   missingIncludeSystem  cppcheck reads no system header (it has --library for those)
#   variableScope         "declare it in a narrower block": a preference, never a bug
#   readdirCalled         it proposes readdir_r, which glibc deprecated; readdir on a
#                         DIR of one's own is thread-safe
# Exit 1 on any finding.
set -euo pipefail
command -v cppcheck >/dev/null || { echo "cppcheck is not installed (./dev deps installs it)"; exit 2; }
src=$(cd "$1" && pwd)
build=$(cd "$2" && pwd)
jobs=${3:-2}
db="$build/compile_commands.json"
[ -f "$db" ] || { echo "no $db: configure with CMake first"; exit 2; }
work="$build/cppcheck"
mkdir -p "$work"
/usr/bin/python3 - "$db" "$src" "$work/compile_commands.json" <<'PY'
import json, os, sys
db, src, out = sys.argv[1:]
dirs = ("core", "cli", "themes", "widgets", "tui", "sim")
keep = [e for e in json.load(open(db))
        if os.path.relpath(e["file"], src).split(os.sep)[0] in dirs]
json.dump(keep, open(out, "w"))
print(f"cppcheck: {len(keep)} files")
PY
cd "$src"
exec cppcheck --project="$work/compile_commands.json" -j"$jobs" --quiet \
  --library=posix,libcurl,openssl,tests/style/cppcheck-cjson.cfg \
  --enable=warning,style,performance,portability --inline-suppr \
  --suppress=missingIncludeSystem --suppress=variableScope --suppress=readdirCalled \
  --template='{file}:{line}: {severity}: {id}: {message}' --error-exitcode=1
