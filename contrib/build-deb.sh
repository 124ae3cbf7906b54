#!/bin/bash
# build-deb.sh OUTDIR: build the numa-runtime Debian package from a clean
# copy of this source tree and put the .deb (and .buildinfo/.changes) in
# OUTDIR.
#
# The copy holds the files git knows about (tracked, or new and not
# ignored), as they are in the work tree, so uncommitted edits are built
# but no build output is; outside a git checkout (an unpacked release
# tarball) the whole tree is copied.  contrib/debian becomes debian/ in the
# copy, then `dpkg-buildpackage -us -uc -b` builds it; the build log is
# printed when it fails.
#
# Needs dpkg-dev, debhelper and the Build-Depends of contrib/debian/control
# (dpkg-buildpackage checks them and lists what is missing).
# Environment: KEEP_BUILD_DIR=1 keeps the temporary tree for inspection.
set -euo pipefail

prog=build-deb.sh
die() {
	printf '%s: %s\n' "$prog" "$*" >&2
	exit 1
}

[ $# -eq 1 ] || die "usage: $prog OUTDIR"
mkdir -p "$1"
outdir=$(cd "$1" && pwd)
srcdir=$(cd "$(dirname "$0")/.." && pwd)
command -v dpkg-buildpackage >/dev/null || die "dpkg-buildpackage not found (apt-get install dpkg-dev debhelper)"

version=$(dpkg-parsechangelog -l "$srcdir/contrib/debian/changelog" -S Version)
work=$(mktemp -d "${TMPDIR:-/tmp}/numa-runtime-deb.XXXXXX")
cleanup() {
	if [ "${KEEP_BUILD_DIR:-0}" = 1 ]; then
		printf '%s: kept %s\n' "$prog" "$work" >&2
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT
tree=$work/numa-runtime-$version
mkdir -p "$tree"

if git -C "$srcdir" rev-parse --show-toplevel 2>/dev/null | grep -qxF "$srcdir"; then
	# Files deleted in the work tree but still in the index are skipped.
	(cd "$srcdir" &&
		git ls-files -z --cached --others --exclude-standard |
		while IFS= read -r -d '' f; do
			[ -e "$f" ] || [ -L "$f" ] || continue
			printf '%s\0' "$f"
		done |
		tar --null -T - -cf -) | tar -C "$tree" -xf -
else
	tar -C "$srcdir" --exclude-vcs -cf - . | tar -C "$tree" -xf -
fi
[ ! -e "$tree/debian" ] || die "the source tree has a debian/ directory; contrib/debian is the packaging"
cp -r "$tree/contrib/debian" "$tree/debian"

# A clean build: nothing from a make that may be running us (make check
# passes its command-line variables down through MAKEFLAGS).
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES
parallel=$(nproc 2>/dev/null || echo 1)
printf '%s: building numa-runtime %s in %s\n' "$prog" "$version" "$work" >&2
if ! (cd "$tree" && DEB_BUILD_OPTIONS="parallel=$parallel ${DEB_BUILD_OPTIONS:-}" \
	dpkg-buildpackage -us -uc -b) >"$work/build.log" 2>&1; then
	tail -n 60 "$work/build.log" >&2
	die "dpkg-buildpackage failed (full log above, last 60 lines)"
fi

shopt -s nullglob
debs=("$work"/*.deb)
[ ${#debs[@]} -gt 0 ] || die "dpkg-buildpackage made no .deb"
cp "${debs[@]}" "$work"/*.buildinfo "$work"/*.changes "$outdir"/
for deb in "${debs[@]}"; do
	printf '%s\n' "$outdir/$(basename "$deb")"
done
