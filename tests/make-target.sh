# shellcheck shell=sh
# Sourced by tests that run one make target of the build tree as a single
# TAP test: set TARGET and DESC first.  The outer make's flags are not
# passed on: its check-TESTS puts TEST_LOGS on the command line, and a
# nested make check (distcheck's) would run every suite again.
top=${TOP_BUILDDIR:?TOP_BUILDDIR is set by make check}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
echo "1..1"
# A job a core: distcheck builds and tests the tarball with them.
if env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES make -j"$(nproc)" -C "$top" "$TARGET" >"$log" 2>&1; then
	echo "ok 1 - $DESC"
else
	echo "not ok 1 - $DESC"
	tail -n 40 "$log" | sed 's/^/# /'
fi
