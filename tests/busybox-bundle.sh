#!/bin/sh
# busybox-bundle.sh DIR [ARG...]
#
# Builds an OCI bundle for runc at DIR: rootfs/ holds a static busybox and a
# symlink per applet, config.json comes from `runc spec` with terminal off
# and process.args set to ARG... (default: sh).  DIR may exist; an existing
# rootfs/ and config.json in it are replaced.  Prints nothing on success.
# The command-line face of busybox_bundle in tests/lib/common.sh.
#
# Environment: BUSYBOX (default: busybox on PATH, must be statically linked,
# Debian's busybox-static), RUNC (default: runc on PATH).
set -eu

[ $# -ge 1 ] || {
	echo "usage: busybox-bundle.sh DIR [ARG...]" >&2
	exit 1
}
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/lib/common.sh"
busybox_bundle "$@"
