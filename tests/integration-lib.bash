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

fail() {
	printf '%s\n' "$@" >&2
	return 1
}

# it_skip REASON: skip, or fail under NUMA_TEST_STRICT=1.
it_skip() {
	if [ "${NUMA_TEST_STRICT:-0}" = 1 ]; then
		fail "skip turned into failure (NUMA_TEST_STRICT=1): $*"
		return 1
	fi
	skip "$*"
}

require_root() {
	[ "$(id -u)" -eq 0 ] || it_skip "needs root (running as uid $(id -u))"
}

# require_cmd CMD [PACKAGE]: skip unless CMD is on PATH.
require_cmd() {
	command -v "$1" >/dev/null 2>&1 ||
		it_skip "needs $1${2:+ (Debian package $2)}"
}

it_setup() {
	T=$(mktemp -d "${BATS_TEST_TMPDIR:-${TMPDIR:-/tmp}}/it.XXXXXX")
	export T
}

it_teardown() {
	[ -n "${T:-}" ] || return 0
	cd / || true
	rm -rf "$T"
}

# ledger_doc LEDGER: the whole ledger at LEDGER (its index and every shard
# it lists; a version 1 file as it is) as one JSON document, read under a
# shared lock once the lock file exists (see tests/ledger-doc.sh).  A
# missing ledger is an empty one.
ledger_doc() {
	local rc=0
	if [ -e "$1.lock" ]; then
		flock -s -w 30 -E 75 "$1.lock" "$TESTS_DIR/ledger-doc.sh" "$1" || rc=$?
		[ "$rc" -ne 75 ] || echo "ledger_doc: $1.lock held by someone else for 30 s" >&2
	else
		"$TESTS_DIR/ledger-doc.sh" "$1" || rc=$?
	fi
	return "$rc"
}

# busybox_rootfs DIR: a root filesystem holding Debian's static busybox and
# one symlink per applet.
busybox_rootfs() {
	local dir=$1 busybox applet
	busybox=${BUSYBOX:-$(command -v busybox || true)}
	[ -n "$busybox" ] || { it_skip "needs a static busybox (busybox-static)"; return; }
	if ldd "$busybox" >/dev/null 2>&1; then
		it_skip "$busybox is dynamically linked: install busybox-static"
		return
	fi
	mkdir -p "$dir/bin" "$dir/proc" "$dir/sys" "$dir/dev" "$dir/tmp" "$dir/etc"
	cp "$busybox" "$dir/bin/busybox"
	for applet in $("$busybox" --list); do
		[ "$applet" = busybox ] || ln -sf busybox "$dir/bin/$applet"
	done
	printf 'root:x:0:0:root:/:/bin/sh\n' >"$dir/etc/passwd"
	printf 'root:x:0:\n' >"$dir/etc/group"
}

# busybox_bundle DIR ARG...: an OCI bundle (runc spec, no terminal) running
# ARG... in a busybox rootfs.
busybox_bundle() {
	local dir=$1
	shift
	busybox_rootfs "$dir/rootfs"
	(cd "$dir" && runc spec) || return 1
	jq '.process.terminal = false | .process.args = $ARGS.positional' \
		"$dir/config.json" --args -- "$@" >"$dir/config.json.new" &&
		mv "$dir/config.json.new" "$dir/config.json"
}
