#!/bin/sh
# Total the automake test results (*.trs) under the given directories and
# print "N passed, N failed, N skipped"; exit 1 when anything failed.
# Before that line, each failed test again with the diagnostics that
# followed it (at most 20 lines a test): the end of a long CI log then
# says what failed.  Before both, what contrib/quickstart.sh installed, when
# it left tests/quickstart-packages.txt in one of the directories.
# With --times first (make check-all), also the slowest suites: from the
# birth of a suite's .log (its driver creates it as the suite starts) to
# its .trs's mtime; where the file system keeps no birth time, the time
# between the end of the suite before it and its own end (right for the
# suites make check runs one after another, not for those run side by side).
times=0
if [ "${1:-}" = --times ]; then
  times=1
  shift
fi
passed=0 failed=0 skipped=0
results=$(find "$@" -name '*.trs' -exec cat {} + 2>/dev/null)
while read -r tag result _; do
  [ "$tag" = ":test-result:" ] || continue
  case "$result" in
    PASS|XFAIL) passed=$((passed + 1)) ;;
    SKIP) skipped=$((skipped + 1)) ;;
    *) failed=$((failed + 1)) ;;
  esac
done <<EOF2
$results
EOF2
for dir in "$@"; do
  [ -f "$dir/quickstart-packages.txt" ] || continue
  echo "---- packages (contrib/quickstart.sh)"
  fold -s -w 120 "$dir/quickstart-packages.txt"
done
if [ "$times" = 1 ]; then
  find "$@" -name '*.trs' 2>/dev/null | while read -r trs; do
    birth=$(stat -c %W "${trs%.trs}.log" 2>/dev/null) || birth=0
    echo "$(stat -c %Y "$trs") ${birth:-0} $trs"
  done | sort -n |
    awk '$2 > 0 && $2 <= $1 { printf "%6d s  %s\n", $1 - $2, $3 }
      !($2 > 0 && $2 <= $1) && NR > 1 { printf "%6d s  %s\n", $1 - prev, $3 }
      { prev = $1 }' |
    sort -rn | head -n 10 >"${TMPDIR:-/tmp}/summarize.$$"
  if [ -s "${TMPDIR:-/tmp}/summarize.$$" ]; then
    echo "---- slowest suites (seconds)"
    sed 's/\.trs$//' "${TMPDIR:-/tmp}/summarize.$$"
  fi
  rm -f "${TMPDIR:-/tmp}/summarize.$$"
fi
if [ "$failed" -gt 0 ]; then
  echo "---- what failed"
  find "$@" -name '*.trs' -exec grep -l -E '^:test-result: (FAIL|XPASS|ERROR)' {} + 2>/dev/null |
    sort | while read -r trs; do
      log=${trs%.trs}.log
      [ -f "$log" ] || continue
      awk -v name="$log" '
        /^(FAIL|XPASS|ERROR): / { print; next }
        /^(PASS|SKIP|XFAIL): / { next }
        /^not ok / { shown = 0; on = 1; next }
        /^ok / { on = 0; next }
        on && shown < 20 { print "    " $0; shown++ }
      ' "$log"
    done
  echo "----"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
