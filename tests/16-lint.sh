#!/bin/sh
# make lint as one TAP test: the code is in the project's clang-format style
# and cppcheck finds nothing.
top=${TOP_BUILDDIR:?TOP_BUILDDIR is set by make check}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
echo "1..1"
if env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES make -C "$top" lint >"$log" 2>&1; then
	echo "ok 1 - make lint (clang-format, cppcheck)"
else
	echo "not ok 1 - make lint (clang-format, cppcheck)"
	tail -n 40 "$log" | sed 's/^/# /'
fi
