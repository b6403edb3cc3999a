#!/usr/bin/env bash
# Mechanical style checks (STYLE.md rule 13), run by ctest:
#   format   every C file matches the committed .clang-format
#   banned   no sprintf/strcpy/strcat/strtok/atoi/gets
#   layers   core/ never includes ncurses nor prints to the terminal
#   tls      TLS verification is never turned off in tdectl (core, cli, tui):
#            CURLOPT_SSL_VERIFYPEER only ever 1L, CURLOPT_SSL_VERIFYHOST only
#            2L, both set, and nothing that weakens it (OpenSSL verify modes or
#            callbacks, proxy verification, SSL_VERIFY_NONE) appears at all
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
  tls)
    tdectl_src=(core cli tui)
    for opt in "CURLOPT_SSL_VERIFYPEER:1L" "CURLOPT_SSL_VERIFYHOST:2L"; do
      name=${opt%%:*}
      want=${opt##*:}
      if ! grep -rnE "\b${name}, ${want}\)" "${tdectl_src[@]}" >/dev/null; then
        echo "${name} is not set to ${want} anywhere"
        status=1
      fi
      if grep -rnE "\b${name}\b" "${tdectl_src[@]}" | grep -vE "\b${name}, ${want}\);"; then
        echo "${name} may only ever be set to ${want}"
        status=1
      fi
    done
    if grep -rnE '\b(SSL_VERIFY_NONE|SSL_CTX_set_verify|SSL_set_verify|SSL_CTX_set_cert_verify_callback|X509_STORE_set_verify_cb|CURLOPT_PROXY_SSL_VERIFY(PEER|HOST)|CURLOPT_SSL_VERIFYSTATUS|CURLOPT_PROTOCOLS\b|CURLSSLOPT_ALLOW_BEAST|CURLSSLOPT_NO_PARTIALCHAIN)' "${tdectl_src[@]}"; then
      echo "TLS verification must not be weakened"
      status=1
    fi
    # The transport speaks https only (plain http: IMDS and loopback requests); the demo's
    # control connection to its own azsim child (tui/demo.c) is loopback http by design.
    if grep -rnE 'CURLOPT_PROTOCOLS_STR' core cli | grep -vE 'plain \? "http" : "https"'; then
      echo "the transport speaks https only"
      status=1
    fi
    ;;
  *)
    echo "usage: check.sh SOURCE_DIR format|banned|layers|tls"
    exit 2
    ;;
esac
exit $status
