#!/bin/sh
# make distcheck from the build tree, as one TAP test: the tarball builds,
# installs, uninstalls and passes its unit tests (configured
# --disable-integration-tests, so this test does not run itself again).
top=${TOP_BUILDDIR:?TOP_BUILDDIR is set by make check}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
echo "1..1"
# Not the outer make's flags: its check-TESTS passes TEST_LOGS on the
# command line, and through MAKEFLAGS the tarball's own make check would run
# every suite of this one (this test included) again.
if env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES make -C "$top" distcheck >"$log" 2>&1; then
	echo "ok 1 - make distcheck"
else
	echo "not ok 1 - make distcheck"
	tail -n 40 "$log" | sed 's/^/# /'
fi
