#!/bin/sh
# Total the automake test results (*.trs) under the given directories and
# print "N passed, N failed, N skipped"; exit 1 when anything failed.
passed=0 failed=0 skipped=0
results=$(find "$@" -name '*.trs' -exec cat {} + 2>/dev/null)
while read -r tag result _; do
  [ "$tag" = ":test-result:" ] || continue
  case "$result" in
    PASS|XFAIL) passed=$((passed + 1)) ;;
    SKIP) skipped=$((skipped + 1)) ;;
    *) failed=$((failed + 1)) ;;
  esac
done <<EOF
$results
EOF
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
