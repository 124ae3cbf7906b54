#!/bin/bash
# build-image.sh [CACHE]: the node suite's guest, built once per content.
#
# Debootstraps Debian's newest suite (unstable: the one carrying containerd
# >= 2.0, runc >= 1.3 and crun >= 1.24) with the packages in
# tests/node/guest-packages, turns it into an ext4 image with mkfs.ext4 -d
# (no loop mount), and next to it the guest's kernel, a small hand-made
# initrd (busybox + the ext4/virtio_blk modules, switch_root) and
# versions.txt.  Prints the image directory.
#
# The image lives in CACHE/<key> (default
# ${XDG_CACHE_HOME:-~/.cache}/numa-runtime-node), where <key> hashes this
# script and the package list, so a second run reuses it and a change to
# either builds a new one (older images are then removed).  Boot it with
# qemu -snapshot: it is never written to.
#
# Failure: one line "build-image: <step> failed" on stderr, the tail of the
# step's log after it, exit 1.  Needs root (debootstrap), debootstrap,
# mkfs.ext4 (e2fsprogs >= 1.43 for -d), cpio, gzip, xz.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${1:-${XDG_CACHE_HOME:-$HOME/.cache}/numa-runtime-node}
suite=${NUMA_NODE_SUITE:-sid}
packages_file=$here/guest-packages

key=$(cat "$0" "$packages_file" | sha256sum | cut -c1-16)-$suite
out=$cache/$key
if [ -f "$out/done" ]; then
	echo "$out"
	exit 0
fi

mkdir -p "$cache"
work=$(mktemp -d "$cache/build.XXXXXX")
trap 'rm -rf "$work"' EXIT
log=$work/log

# step NAME CMD...: run CMD with its output in the log; on failure, one line
# naming the step, then the log's tail.
step() {
	local name=$1
	shift
	echo "== $name" >>"$log"
	if ! "$@" >>"$log" 2>&1; then
		echo "build-image: $name failed" >&2
		tail -n 25 "$log" | sed 's/^/  /' >&2
		exit 1
	fi
}

packages=$(grep -v '^#' "$packages_file" | tr -s ' \n' ',' | sed 's/^,//; s/,$//')
root=$work/root
step "debootstrap $suite (minbase + $packages)" \
	debootstrap --variant=minbase --include="$packages" "$suite" "$root"

kver=$(ls "$root/usr/lib/modules")
[ "$(echo "$kver" | wc -w)" = 1 ] || step "find the guest kernel (got: $kver)" false

# --- the guest's configuration --------------------------------------------
configure() {
	echo numa-node >"$root/etc/hostname"
	printf '127.0.0.1 localhost\n127.0.1.1 numa-node\n' >"$root/etc/hosts"
	cat >"$root/etc/fstab" <<-'EOF'
		/dev/vda / ext4 rw,noatime 0 0
		LABEL=numa-payload /payload ext4 ro,nofail,x-systemd.device-timeout=60s 0 0
	EOF
	mkdir -p "$root/payload"
	# The serial console carries the kernel's log; a getty there would hang
	# it up.  Timers and scrubbers only cost boot time in a throw-away VM.
	local unit
	for unit in serial-getty@ttyS0.service serial-getty@ttyS1.service getty@tty1.service \
		getty.target apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer \
		e2scrub_reap.service fstrim.timer dpkg-db-backup.timer systemd-tmpfiles-clean.timer \
		systemd-timesyncd.service systemd-networkd-wait-online.service; do
		ln -sf /dev/null "$root/etc/systemd/system/$unit"
	done
	# The suite: runs the payload's guest/suite.sh, which writes TAP to
	# /dev/ttyS1 (a file on the host), then powers the VM off either way.
	cat >"$root/etc/systemd/system/numa-node-suite.service" <<-'EOF'
		[Unit]
		Description=numa-runtime node suite (tests/node)
		After=local-fs.target dbus.socket containerd.service
		Wants=dbus.socket
		RequiresMountsFor=/payload
		SuccessAction=poweroff-force
		FailureAction=poweroff-force

		[Service]
		Type=oneshot
		ExecStart=/payload/guest/suite.sh
		StandardOutput=journal+console
		StandardError=journal+console
		TimeoutStartSec=infinity

		[Install]
		WantedBy=multi-user.target
	EOF
	ln -sf ../numa-node-suite.service \
		"$root/etc/systemd/system/multi-user.target.wants/numa-node-suite.service"
	# What the guest never needs: Debian's initrd (ours is hand-made), the
	# package cache, documentation.
	rm -f "$root"/boot/initrd.img-*
	rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* \
		"$root"/usr/share/doc "$root"/usr/share/man "$root"/usr/share/locale
}
step "configure the guest" configure

versions() {
	local p
	echo "kernel $kver"
	for p in systemd containerd runc crun nodejs; do
		echo "$p $(chroot "$root" dpkg-query -W -f '${Version}' "$p")"
	done
}
step "read the package versions" versions
versions >"$work/versions.txt"

# --- initrd: busybox, ext4 and virtio_blk, switch_root -------------------
initrd() {
	local ird=$work/initrd m dep
	mkdir -p "$ird"/{bin,dev,proc,sys,newroot,lib/modules}
	cp "$root/bin/busybox" "$ird/bin/busybox"
	ln -s busybox "$ird/bin/sh"
	# Dependencies first, in modules.dep's order.
	local mods=()
	for m in ext4 virtio_blk; do
		dep=$(grep -E "/$m\.ko(\.[a-z]+)?:" "$root/usr/lib/modules/$kver/modules.dep")
		# shellcheck disable=SC2206
		local deps=(${dep#*:})
		local i
		for ((i = ${#deps[@]} - 1; i >= 0; i--)); do mods+=("${deps[i]}"); done
		mods+=("${dep%%:*}")
	done
	local n=0 f
	for m in "${mods[@]}"; do
		n=$((n + 1))
		f=$ird/lib/modules/$(printf '%02d' $n)-$(basename "$m")
		cp "$root/usr/lib/modules/$kver/$m" "$f"
		case $f in
		*.xz) xz -d "$f" ;;
		*.zst) zstd -q -d --rm "$f" ;;
		*.gz) gzip -d "$f" ;;
		esac
	done
	cat >"$ird/init" <<-'EOF'
		#!/bin/sh
		export PATH=/bin
		busybox mount -t proc proc /proc
		busybox mount -t sysfs sysfs /sys
		busybox mount -t devtmpfs devtmpfs /dev
		for m in /lib/modules/*.ko; do busybox insmod "$m"; done
		i=0
		while [ ! -b /dev/vda ] && [ $i -lt 300 ]; do busybox sleep 0.1; i=$((i + 1)); done
		busybox mount -t ext4 -o rw,noatime /dev/vda /newroot || {
			echo "initrd: cannot mount /dev/vda" >&2
			busybox poweroff -f
		}
		busybox umount /proc /sys
		busybox mount --move /dev /newroot/dev
		exec busybox switch_root /newroot /sbin/init "$@"
	EOF
	chmod 0755 "$ird/init"
	(cd "$ird" && find . | cpio -o -H newc --quiet | gzip -1) >"$work/initrd.gz"
}
step "make the initrd" initrd
cp "$root/boot/vmlinuz-$kver" "$work/vmlinuz"

step "make the root image (mkfs.ext4 -d)" \
	mkfs.ext4 -q -F -L numa-root -E lazy_itable_init=1 -d "$root" "$work/root.ext4" 3G
rm -rf "$root"

mkdir -p "$out.new"
mv "$work/root.ext4" "$work/vmlinuz" "$work/initrd.gz" "$work/versions.txt" "$out.new/"
rm -rf "$out"
mv "$out.new" "$out"
touch "$out/done"
# Older images of this suite are dead weight.
for old in "$cache"/*-"$suite"; do
	[ "$old" = "$out" ] || rm -rf "$old"
done
echo "$out"
