#!/bin/sh
# fetch-kernel.sh [--suite SUITE] [CACHE_DIR]
#
# Makes sure a Debian 12 amd64 kernel (vmlinuz + modules) is unpacked under
# CACHE_DIR and prints the directory holding it.  The version is the one the
# linux-image-amd64 metapackage currently depends on, so the cache follows
# Debian's point releases; an already unpacked kernel is reused as is.
#
# --suite SUITE (e.g. unstable): that suite's kernel instead, through a
# private apt configuration under CACHE_DIR/apt-SUITE (its own source list,
# package lists and cache; the host's apt state is not touched).  The
# archive is the one the host's own sources name (/etc/apt/sources.list and
# sources.list.d), so no mirror is written down here.
#
# Layout printed dir:  DIR/boot/vmlinuz-VER, DIR/lib/modules/VER/...,
#                      DIR/version (VER on one line)
set -eu

suite=
if [ "${1:-}" = --suite ]; then
	suite=$2
	shift 2
fi
cache_dir=${1:-${XDG_CACHE_HOME:-$HOME/.cache}/numa-runtime-vm}

log() { printf 'fetch-kernel: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

# host_archive: the first Debian archive URI the host's apt sources name
# (deb822 "URIs:" or one-line "deb URI"), the security archive left out.
host_archive() {
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list; do
		[ -r "$f" ] || continue
		awk '/^[[:space:]]*#/ { next }
			$1 == "URIs:" { for (i = 2; i <= NF; i++) print $i }
			$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z+]+:\/\//) { print $i; break } }' "$f"
	done | grep -E '/debian/?$' | grep -v -- '-security' | head -n1
}

apt_opts=
if [ -n "$suite" ]; then
	aptdir=$cache_dir/apt-$suite
	archive=$(host_archive)
	[ -n "$archive" ] || die "no Debian archive in the host's apt sources"
	mkdir -p "$aptdir/lists/partial" "$aptdir/cache/archives/partial" "$aptdir/parts"
	printf 'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] %s %s main\n' \
		"$archive" "$suite" >"$aptdir/sources.list"
	apt_opts="-o Dir::Etc::SourceList=$aptdir/sources.list -o Dir::Etc::SourceParts=$aptdir/parts
		-o Dir::State::Lists=$aptdir/lists -o Dir::Cache=$aptdir/cache"
	# Lists younger than a day are good enough.
	if [ -z "$(find "$aptdir/lists" -maxdepth 1 -name '*_Packages*' -mtime -1 2>/dev/null)" ]; then
		log "updating the $suite package lists"
		# shellcheck disable=SC2086 # options: split on purpose
		apt-get $apt_opts -q update >&2 || log "apt-get update for $suite failed"
	fi
fi

# Is DIR a is_unpacked unpacked kernel?  (version file written last)
is_unpacked() {
	[ -f "$1/version" ] || return 1
	v=$(cat "$1/version")
	[ -f "$1/boot/vmlinuz-$v" ] && [ -f "$1/lib/modules/$v/modules.dep" ]
}

mkdir -p "$cache_dir"

# Resolve the versioned package from the metapackage.  apt-cache works
# offline from the package lists; without them fall back to what is cached.
# shellcheck disable=SC2086 # options: split on purpose
pkg=$(apt-cache $apt_opts depends linux-image-amd64 2>/dev/null |
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
# Newer kernels split the image: linux-image-VER only depends on
# linux-binary-VER (vmlinuz), linux-modules-VER and linux-base-VER (modules.builtin).
# shellcheck disable=SC2086 # options: split on purpose
parts=$(apt-cache $apt_opts depends "$pkg" 2>/dev/null |
	sed -n 's/^ *Depends: *\(linux-\(binary\|modules\|base\)-[0-9][^ ]*\)$/\1/p' | sort -u | tr '\n' ' ')
# shellcheck disable=SC2086 # package list and options: split on purpose
(cd "$tmp" && apt-get $apt_opts download -q -o "APT::Sandbox::User=$sandbox_user" "$pkg" $parts >&2) ||
	die "apt-get download $pkg $parts failed"
[ -n "$(find "$tmp" -maxdepth 1 -name '*.deb')" ] || die "apt-get download produced no .deb"

mkdir "$tmp/root"
for deb in "$tmp"/*.deb; do
	dpkg -x "$deb" "$tmp/root"
done
# Merged /usr: modules (and, split, vmlinuz) under usr/lib/modules/VER.
if [ ! -d "$tmp/root/lib/modules" ] && [ -d "$tmp/root/usr/lib/modules" ]; then
	mkdir -p "$tmp/root/lib"
	mv "$tmp/root/usr/lib/modules" "$tmp/root/lib/modules"
fi
for v in "$tmp"/root/lib/modules/*; do
	if [ -f "$v/vmlinuz" ] && [ ! -f "$tmp/root/boot/vmlinuz-${v##*/}" ]; then
		mkdir -p "$tmp/root/boot"
		mv "$v/vmlinuz" "$tmp/root/boot/vmlinuz-${v##*/}"
	fi
done
deb=$tmp/$pkg.deb
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
