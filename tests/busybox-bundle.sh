#!/bin/sh
# busybox-bundle.sh DIR [ARG...]
#
# Builds an OCI bundle for runc at DIR: rootfs/ holds a static busybox and a
# symlink per applet, config.json comes from `runc spec` with terminal off
# and process.args set to ARG... (default: sh).  DIR may exist; an existing
# rootfs/ and config.json in it are replaced.  Prints nothing on success.
#
# Environment: BUSYBOX (default: busybox on PATH, must be statically linked,
# Debian's busybox-static), RUNC (default: runc on PATH).
set -eu

prog='busybox-bundle.sh'
die() { printf '%s: %s\n' "$prog" "$*" >&2; exit 1; }

[ $# -ge 1 ] || die "usage: $prog DIR [ARG...]"
dir=$1
shift

busybox=${BUSYBOX:-$(command -v busybox || true)}
runc=${RUNC:-$(command -v runc || true)}
[ -n "$busybox" ] && [ -x "$busybox" ] || die "busybox not found (install busybox-static or set BUSYBOX)"
[ -n "$runc" ] && [ -x "$runc" ] || die "runc not found (set RUNC)"
command -v jq >/dev/null 2>&1 || die "jq not found"

# A dynamically linked busybox would not run inside an empty rootfs.  Ask
# the dynamic loader instead of relying on file(1) being installed.
if ldd "$busybox" >/dev/null 2>&1; then
	die "$busybox is dynamically linked; install busybox-static or set BUSYBOX"
fi

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
rm -rf "$dir/rootfs" "$dir/config.json"
mkdir -p "$dir/rootfs/bin" "$dir/rootfs/proc" "$dir/rootfs/sys" \
	"$dir/rootfs/dev" "$dir/rootfs/tmp" "$dir/rootfs/etc"
cp "$busybox" "$dir/rootfs/bin/busybox"
chmod 0755 "$dir/rootfs/bin/busybox"

# One symlink per applet; `busybox --list` prints bare names.
"$busybox" --list | while IFS= read -r applet; do
	case $applet in
	'' | busybox | */*) continue ;;
	esac
	ln -sf busybox "$dir/rootfs/bin/$applet"
done
printf 'root:x:0:0:root:/:/bin/sh\n' >"$dir/rootfs/etc/passwd"
printf 'root:x:0:\n' >"$dir/rootfs/etc/group"

(cd "$dir" && "$runc" spec) || die "runc spec failed in $dir"

[ $# -gt 0 ] || set -- sh
tmp=$(mktemp "$dir/.config.json.XXXXXX")
if ! jq '.process.terminal = false | .process.args = $ARGS.positional' \
	"$dir/config.json" --args -- "$@" >"$tmp"; then
	rm -f "$tmp"
	die "cannot rewrite $dir/config.json"
fi
chmod 0644 "$tmp"
mv -f "$tmp" "$dir/config.json"
