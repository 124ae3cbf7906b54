#!/bin/sh
# The CLI suites 01-07 once more, against numa-runtime built with ASan and
# UBSan (tests/numa-runtime-asan): the same outcome with or without the
# sanitizers, and no sanitizer report anywhere.  Reports go to files
# (log_path), not to the stderr the tests read, so that a report in a
# call whose failure a test expects still fails this run: the last TAP
# line says whether any report was written, and shows it.
#   NUMA_RUNTIME_ASAN  the binary (default: tests/numa-runtime-asan in the
#                      build tree)
#   ASAN_CLI_SUITES    the bats files (default: tests/0[1-7]-*.bats)
set -u
srcdir=${TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
builddir=${TOP_BUILDDIR:-$srcdir}
bin=${NUMA_RUNTIME_ASAN:-$builddir/tests/numa-runtime-asan}
if [ ! -x "$bin" ]; then
	echo "1..0 # SKIP no ASan build of numa-runtime at $bin (configured --disable-sanitizers?)"
	exit 0
fi
logs=$(mktemp -d "${TMPDIR:-/tmp}/nr-asan-cli.XXXXXX") || exit 1
trap 'rm -rf "$logs"' EXIT
# shellcheck disable=SC2086 # a list of files
suites=${ASAN_CLI_SUITES:-$(ls "$srcdir"/tests/0[1-7]-*.bats)}

# detect_leaks=0: numa-runtime's normal end is an exec of the runtime or
# an exit right after its work; the unit tests under ASan check leaks.
ASAN_OPTIONS="log_path=$logs/asan:detect_leaks=0:abort_on_error=0:exitcode=99" \
	UBSAN_OPTIONS="log_path=$logs/ubsan:print_stacktrace=1:halt_on_error=1" \
	NUMA_RUNTIME=$bin \
	bats --tap $suites >"$logs/tap" 2>&1
status=$?

plan=$(sed -n 's/^1\.\.\([0-9][0-9]*\)$/\1/p' "$logs/tap" | head -n 1)
[ -n "$plan" ] || plan=0
echo "1..$((plan + 1))"
grep -v '^1\.\.[0-9]*$' "$logs/tap"
reports=$(find "$logs" -name 'asan.*' -o -name 'ubsan.*')
if [ -z "$reports" ]; then
	echo "ok $((plan + 1)) no ASan or UBSan report from numa-runtime"
else
	echo "not ok $((plan + 1)) sanitizer reports from numa-runtime"
	for r in $reports; do sed 's/^/# /' "$r"; done
	status=1
fi
exit "$status"
