#!/usr/bin/env bash
# Mechanical style checks (STYLE.md rule 13), run by ctest:
#   format   every C file matches the committed .clang-format
#   banned   no sprintf/strcpy/strcat/strtok/atoi/gets
#   layers   core/ never includes ncurses nor prints to the terminal
set -uo pipefail
cd "$1"
mapfile -t files < <(find core cli widgets themes tui sim tests bench fuzz -name '*.[ch]' 2>/dev/null | sort)
status=0
case "$2" in
  format)
    for f in "${files[@]}"; do
      if ! clang-format --dry-run -Werror "$f" >/dev/null 2>&1; then
        echo "not clang-formatted: $f (run clang-format -i $f)"
        status=1
      fi
    done
    echo "checked ${#files[@]} files"
    ;;
  banned)
    if grep -nE '\b(sprintf|vsprintf|strcpy|strcat|strtok|atoi|gets)\s*\(' "${files[@]}"; then
      echo "banned functions in use (see STYLE.md rule 13)"
      status=1
    fi
    ;;
  layers)
    if [ -d core ]; then
      if grep -rnE '#include *[<"](n?curses|ncursesw?/|panel|menu|form)\.h' core; then
        echo "core/ must not include ncurses"
        status=1
      fi
      if grep -rnE '\b(printf|puts|putchar)\s*\(|fprintf\s*\(\s*stdout' core; then
        echo "core/ must not print to the terminal"
        status=1
      fi
    fi
    if [ -d cli ] && grep -rnE '#include *[<"](n?curses|ncursesw?/|panel|menu|form)\.h' cli; then
      echo "cli/ is headless: no ncurses"
      status=1
    fi
    ;;
  *)
    echo "usage: check.sh SOURCE_DIR format|banned|layers"
    exit 2
    ;;
esac
exit $status
