#!/bin/sh
# build-initramfs.sh OUT [NUMA_RUNTIME_BIN]
#
# Builds the test VM's initramfs (cpio newc, gzip) at OUT:
#   /init                         tests/vm/init.sh (PID 1)
#   /opt/numa-test/checks.sh      tests/vm/checks.sh (the checks, TAP)
#   /opt/numa-test/checks-llc.sh  tests/vm/checks-llc.sh (scenario llc's,
#                                 sourced by checks.sh)
#   /opt/numa-test/checks-tiers.sh tests/vm/checks-tiers.sh (scenario
#                                 tiers', sourced by checks.sh)
#   /opt/numa-test/lib/common.sh  tests/lib/common.sh (the test library
#                                 checks.sh sources: ledger_doc)
#   /opt/numa-test/rootfs/        busybox rootfs shared by all test containers,
#                                 with /touch-mem (static, from touch-mem.c)
#   /usr/sbin/runc, /usr/bin/jq, /usr/local/bin/numa-runtime (if given)
#                                 plus their shared libraries and ld.so
#   busybox-static with its applet links (busybox_rootfs, as every
#                                 container rootfs of the tests)
#   /lib/modules/numa-test/       virtio-pci, virtio-blk, ext4 (+ deps),
#                                 decompressed, load order in load.list
#
# NUMA_RUNTIME_BIN may be empty or missing: checks.sh then reports every
# numa-runtime check as failed ("numa-runtime binary missing").
#
# Environment: KERNEL_DIR (from fetch-kernel.sh; fetched when unset),
#              RUNC (default: runc on PATH), BUSYBOX (default: busybox on PATH,
#              must be static), CC (default: gcc).
set -eu

here=$(cd "$(dirname "$0")" && pwd)

# shellcheck source=tests/lib/common.sh
. "$here/../lib/common.sh"

log() { printf 'build-initramfs: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

[ $# -ge 1 ] && [ $# -le 2 ] || die "usage: $0 OUT [NUMA_RUNTIME_BIN]"
out=$1
nr_bin=${2:-}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/numa-initramfs.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM HUP
root=$tmp/root
mkdir -p "$root"

# ---------------------------------------------------------------- inputs
if [ -z "${KERNEL_DIR:-}" ]; then
	KERNEL_DIR=$("$here/fetch-kernel.sh")
fi
kver=$(cat "$KERNEL_DIR/version")
moddir=$KERNEL_DIR/lib/modules/$kver
[ -f "$moddir/modules.dep" ] || die "no modules.dep in $moddir"

runc_bin=${RUNC:-$(command -v runc || true)}
[ -n "$runc_bin" ] && [ -x "$runc_bin" ] || die "runc not found (set RUNC)"
jq_bin=$(command -v jq || true)
[ -n "$jq_bin" ] || die "jq not found"
busybox_why=$(busybox_missing_reason)
[ -z "$busybox_why" ] || die "$busybox_why"

# A libtool-built program may be a wrapper script; use the real binary.
if [ -n "$nr_bin" ] && [ -f "$nr_bin" ]; then
	if [ "$(head -c 2 "$nr_bin")" = '#!' ]; then
		d=$(dirname "$nr_bin") b=$(basename "$nr_bin")
		for c in "$d/.libs/lt-$b" "$d/.libs/$b"; do
			if [ -x "$c" ]; then nr_bin=$c; break; fi
		done
	fi
elif [ -n "$nr_bin" ]; then
	log "warning: $nr_bin does not exist; building without numa-runtime"
	nr_bin=
fi

# ---------------------------------------------------------------- helpers
# copy_file SRC DEST-IN-ROOT: copy SRC (symlinks followed) to $root/DEST.
copy_file() {
	mkdir -p "$root$(dirname "$2")"
	cp -L "$1" "$root$2"
}

# copy_prog SRC DEST: a dynamically linked program and every library ldd
# resolves for it, each at the path the loader will look for it.
copy_prog() {
	copy_file "$1" "$2"
	ldd "$1" 2>/dev/null | awk '
		$2 == "=>" && $3 ~ /^\// { print $3; next }
		$1 ~ /^\// { print $1 }' | while read -r lib; do
		[ -e "$root$lib" ] || copy_file "$lib" "$lib"
	done
}

# ---------------------------------------------------------------- userland
# The VM's own root: busybox (every applet in /bin, on init.sh's PATH).
busybox_rootfs "$root" || die "cannot build the busybox root"
mkdir -p "$root/run" "$root/mnt" "$root/newroot"

copy_prog "$runc_bin" /usr/sbin/runc
copy_prog "$jq_bin" /usr/bin/jq
if [ -n "$nr_bin" ]; then
	copy_prog "$nr_bin" /usr/local/bin/numa-runtime
	log "numa-runtime: $nr_bin"
else
	log "numa-runtime: none"
fi

cp "$here/init.sh" "$root/init"
chmod 0755 "$root/init"
mkdir -p "$root/opt/numa-test"
cp "$here/checks.sh" "$root/opt/numa-test/checks.sh"
chmod 0755 "$root/opt/numa-test/checks.sh"
cp "$here/checks-llc.sh" "$root/opt/numa-test/checks-llc.sh"
cp "$here/checks-tiers.sh" "$root/opt/numa-test/checks-tiers.sh"
mkdir -p "$root/opt/numa-test/lib"
cp "$here/../lib/common.sh" "$root/opt/numa-test/lib/common.sh"

# Container rootfs: busybox and the memory toucher, nothing else.
crootfs=$root/opt/numa-test/rootfs
busybox_rootfs "$crootfs" || die "cannot build the container rootfs"
mkdir -p "$crootfs/data"
${CC:-gcc} -static -O2 -Wall -Wextra -o "$crootfs/touch-mem" "$here/touch-mem.c" ||
	die "cannot build touch-mem.c statically (libc6-dev installed?)"

# ---------------------------------------------------------------- modules
# Modules to load, by name; dependencies are added from modules.dep.
# crc32c_generic: ext4 asks the crypto API for "crc32c" at mount time, which
# would need modprobe; loading a provider beforehand avoids that.
wanted="virtio_pci virtio_blk crc32c_generic ext4"

# modpath NAME: path of module NAME relative to $moddir, "" if built in.
modpath() {
	awk -v want="$1" '
		function norm(s) { gsub(/-/, "_", s); return s }
		{
			f = $1; sub(/:$/, "", f)
			n = f; sub(/.*\//, "", n); sub(/\.ko(\.(xz|zst|gz))?$/, "", n)
			if (norm(n) == norm(want)) { print f; exit }
		}' "$moddir/modules.dep"
}

# deps_of RELPATH: direct dependencies of a module (paths relative to $moddir).
deps_of() {
	awk -v f="$1:" '$1 == f { for (i = 2; i <= NF; i++) print $i; exit }' \
		"$moddir/modules.dep"
}

mkdir -p "$root/lib/modules/numa-test"
: >"$tmp/loaded"
: >"$root/lib/modules/numa-test/load.list"

# add_module RELPATH: depth first, dependencies before the module itself.
add_module() {
	grep -qxF "$1" "$tmp/loaded" && return 0
	for d in $(deps_of "$1"); do
		add_module "$d"
	done
	grep -qxF "$1" "$tmp/loaded" && return 0
	echo "$1" >>"$tmp/loaded"
	name=$(basename "$1")
	name=${name%.xz} name=${name%.zst} name=${name%.gz}
	dest=$root/lib/modules/numa-test/$name
	case $1 in
	*.ko.xz) xz -dc "$moddir/$1" >"$dest" ;;
	*.ko.zst) zstd -q -dc "$moddir/$1" >"$dest" ;;
	*.ko.gz) gzip -dc "$moddir/$1" >"$dest" ;;
	*.ko) cp "$moddir/$1" "$dest" ;;
	*) die "unknown module format: $1" ;;
	esac
	echo "$name" >>"$root/lib/modules/numa-test/load.list"
}

for m in $wanted; do
	p=$(modpath "$m")
	if [ -z "$p" ]; then
		if grep -q "/$m\.ko" "$moddir/modules.builtin" 2>/dev/null; then
			continue
		fi
		# Kernels from 6.14 on compute crc32c in a library ext4 links
		# against: no crypto provider module to load beforehand.
		if [ "$m" = crc32c_generic ]; then
			log "no crc32c_generic in $kver: ext4 brings its own crc32c"
			continue
		fi
		die "module $m neither in modules.dep nor built in ($kver)"
	fi
	add_module "$p"
done
log "modules: $(tr '\n' ' ' <"$root/lib/modules/numa-test/load.list")"

# ---------------------------------------------------------------- archive
# Root-owned entries whoever builds; /dev/console is created by /init.
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) |
	gzip -6 >"$tmp/initramfs.gz"
mv "$tmp/initramfs.gz" "$out"
log "wrote $out ($(du -k "$out" | cut -f1) KiB)"
