#!/bin/sh
# numa-runtime: replay every committed fuzz input (tests/fuzz/corpus/TARGET/)
# through the harness built with gcc and ASan+UBSan, no libFuzzer: every
# seed, and every input that ever crashed or broke a property, so that a
# fixed bug stays fixed.  TAP, one test per target.
src=${TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${TOP_BUILDDIR:-$src}
targets="spec conf annotations cpuset driver-info ledger ledger-codec kubelet-cpu kubelet-memory hook resources args placement env-devices numastat create update sysfs checkpoint"
set -- $targets
echo "1..$#"
i=0
for t in $targets; do
	i=$((i + 1))
	n=$(find "$src/tests/fuzz/corpus/$t" -type f 2>/dev/null | wc -l)
	if [ "$n" -eq 0 ]; then
		echo "not ok $i - replay $t: no corpus"
	elif out=$(ASAN_OPTIONS=detect_leaks=1 "$build/tests/fuzz/replay-$t" "$src/tests/fuzz/corpus/$t" 2>&1); then
		echo "ok $i - replay $t ($n inputs)"
	else
		echo "not ok $i - replay $t"
		echo "$out" | tail -n 30 | sed 's/^/# /'
	fi
done
