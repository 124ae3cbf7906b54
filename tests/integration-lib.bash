# integration-lib.bash: shared by the packaging and engine integration
# tests (09-13).  Each test gets its own directory $T, removed in teardown
# whatever happened.
#
# Environment (all optional):
#   NUMA_RUNTIME    binary under test (default: ../src/numa-runtime from here)
#   TOP_SRCDIR      source tree (default: the parent of this directory)
#   TOP_BUILDDIR    configured build tree (default: TOP_SRCDIR)
#   NUMA_TEST_STRICT  1: a skip is a failure

bats_require_minimum_version 1.5.0

TESTS_DIR=$(cd "$BATS_TEST_DIRNAME" && pwd)
TOP_SRCDIR=${TOP_SRCDIR:-$(cd "$TESTS_DIR/.." && pwd)}
TOP_BUILDDIR=${TOP_BUILDDIR:-$TOP_SRCDIR}
NUMA_RUNTIME=${NUMA_RUNTIME:-$TOP_BUILDDIR/src/numa-runtime}
export NUMA_RUNTIME

# fail, the strict skip (nr_skip), require_root, require_cmd, ledger_doc,
# busybox_rootfs and busybox_bundle come from the one test library.
# shellcheck source=tests/lib/common.sh
. "$TESTS_DIR/lib/common.sh"

# it_skip REASON: this file's older name for nr_skip.
it_skip() { nr_skip "$@"; }

it_setup() {
	T=$(mktemp -d "${BATS_TEST_TMPDIR:-${TMPDIR:-/tmp}}/it.XXXXXX")
	export T
}

# it_runc_config LEDGER: export LEDGER and NUMA_RUNTIME_CONFIG ($T/numa-
# runtime.conf), a config running runc on PATH with its ledger at LEDGER.
it_runc_config() {
	LEDGER=$1
	NUMA_RUNTIME_CONFIG=$T/numa-runtime.conf
	export LEDGER NUMA_RUNTIME_CONFIG
	cat >"$NUMA_RUNTIME_CONFIG" <<-EOF
		[runtime]
		path = $(command -v runc || echo /nonexistent/runc)
		[ledger]
		path = $LEDGER
	EOF
}

it_teardown() {
	[ -n "${T:-}" ] || return 0
	cd / || true
	rm -rf "$T"
}
