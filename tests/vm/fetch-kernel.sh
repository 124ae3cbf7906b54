#!/bin/sh
# fetch-kernel.sh [CACHE_DIR]
#
# Makes sure a Debian 12 amd64 kernel (vmlinuz + modules) is unpacked under
# CACHE_DIR and prints the directory holding it.  The version is the one the
# linux-image-amd64 metapackage currently depends on, so the cache follows
# Debian's point releases; an already unpacked kernel is reused as is.
#
# Layout printed dir:  DIR/boot/vmlinuz-VER, DIR/lib/modules/VER/...,
#                      DIR/version (VER on one line)
set -eu

cache_dir=${1:-${XDG_CACHE_HOME:-$HOME/.cache}/numa-runtime-vm}

log() { printf 'fetch-kernel: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

# Is DIR a is_unpacked unpacked kernel?  (version file written last)
is_unpacked() {
	[ -f "$1/version" ] || return 1
	v=$(cat "$1/version")
	[ -f "$1/boot/vmlinuz-$v" ] && [ -f "$1/lib/modules/$v/modules.dep" ]
}

mkdir -p "$cache_dir"

# Resolve the versioned package from the metapackage.  apt-cache works
# offline from the package lists; without them fall back to what is cached.
pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
	sed -n 's/^ *Depends: *\(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -n1) || pkg=
if [ -z "$pkg" ]; then
	for d in "$cache_dir"/linux-image-*; do
		if is_unpacked "$d"; then
			log "apt-cache could not resolve linux-image-amd64, using cached $d"
			printf '%s\n' "$d"
			exit 0
		fi
	done
	die "cannot resolve linux-image-amd64 (apt-get update?) and nothing cached in $cache_dir"
fi

kdir=$cache_dir/$pkg
if is_unpacked "$kdir"; then
	printf '%s\n' "$kdir"
	exit 0
fi

tmp=$(mktemp -d "$cache_dir/.fetch.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM HUP

log "downloading $pkg"
# apt-get download writes into the current directory; as root it drops to
# the _apt user, which must be able to write there.
chmod 0777 "$tmp"
# ... unless its parents are private (e.g. /root/.cache): then download as root.
sandbox_user=_apt
[ "$(id -u)" = 0 ] && sandbox_user=root
(cd "$tmp" && apt-get download -q -o "APT::Sandbox::User=$sandbox_user" "$pkg" >&2) ||
	die "apt-get download $pkg failed"
deb=$(ls "$tmp"/*.deb 2>/dev/null | head -n1)
[ -n "$deb" ] || die "apt-get download produced no .deb"

mkdir "$tmp/root"
dpkg -x "$deb" "$tmp/root"
ver=$(ls "$tmp/root/lib/modules" | head -n1)
if [ -z "$ver" ] || [ ! -f "$tmp/root/boot/vmlinuz-$ver" ]; then
	die "unexpected layout in $deb"
fi
# The .deb ships no modules.dep (its postinst runs depmod); make one here so
# build-initramfs.sh can resolve module dependencies.
if [ ! -f "$tmp/root/lib/modules/$ver/modules.dep" ]; then
	depmod=$(command -v depmod || echo /sbin/depmod)
	"$depmod" -b "$tmp/root" "$ver" || die "depmod failed (is kmod installed?)"
fi
printf '%s\n' "$ver" >"$tmp/root/version"

# Publish atomically so a concurrent or interrupted run never sees half a tree.
rm -rf "$kdir"
mv "$tmp/root" "$kdir"
printf '%s\n' "$kdir"
