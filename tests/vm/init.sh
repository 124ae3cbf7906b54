#!/bin/sh
# /init of the numa-runtime test VM (busybox sh).
#
# Stage 1 (on the initramfs): copy everything into a tmpfs and switch_root
# there, so runc can pivot_root normally (it cannot from the initramfs).
# Stage 2: mount the API filesystems and cgroup2, load the disk modules,
# run /opt/numa-test/checks.sh (TAP on the console), power off.
#
# Kernel command line: nt_scenario=NAME nt_nodes=N nt_disk_node=N
# nt_dist0=D,D,...  (read by checks.sh from /proc/cmdline).
export PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root

if [ "${1:-}" != stage2 ]; then
	mkdir -p /dev /newroot
	mount -t devtmpfs devtmpfs /dev
	# The initramfs holds no /dev/console node, so the kernel could not give
	# us a console; take it now.
	exec </dev/console >/dev/console 2>&1
	mount -t tmpfs -o mode=0755 tmpfs /newroot
	for f in /* /.[!.]*; do
		case $f in
		/newroot | /dev | /proc | /sys | '/.[!.]*') continue ;;
		esac
		cp -a "$f" /newroot/
	done
	mkdir -p /newroot/dev /newroot/proc /newroot/sys
	mount --move /dev /newroot/dev
	# shellcheck disable=SC2093 # the lines after it only run if exec fails
	exec switch_root /newroot /init stage2
	echo "init: switch_root failed" >&2
	exec sh
fi

mount -t proc proc /proc
mount -t sysfs sysfs /sys
grep -q ' /dev ' /proc/mounts || mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t tmpfs -o mode=0755 tmpfs /run
mount -t cgroup2 cgroup2 /sys/fs/cgroup
# runc enables what it needs per level too; doing it here makes failures
# visible early.
for c in cpuset cpu memory pids io; do
	grep -qw "$c" /sys/fs/cgroup/cgroup.controllers &&
		echo "+$c" >/sys/fs/cgroup/cgroup.subtree_control
done
# The first cgroup with a cpuset or a CPU quota makes the kernel patch its
# own text live (static keys: cpusets_enabled in the page allocator,
# cfs_bandwidth_used in the scheduler), and the last one's removal patches
# it back.  Under TCG a vCPU running that code meanwhile has died of an int3
# in the page allocator, and a guest of 8 vCPUs once stopped dead at its
# first container.  A cgroup holding both keys from here, while nothing
# else runs, leaves the checks' containers no kernel text to patch.
mkdir /sys/fs/cgroup/numa-test-keys
echo "800000 100000" >/sys/fs/cgroup/numa-test-keys/cpu.max
hostname numa-test
ip link set lo up 2>/dev/null

while read -r m; do
	insmod "/lib/modules/numa-test/$m" || echo "init: insmod $m failed" >&2
done </lib/modules/numa-test/load.list

echo "init: $(uname -r), nodes $(cat /sys/devices/system/node/online), cpus $(cat /sys/devices/system/cpu/online)"
/opt/numa-test/checks.sh
echo "@@tap-done@@ checks.sh exit $?"
sync
poweroff -f
# Not reached unless poweroff fails; panic=-1 turns init's exit into a reset
# and qemu -no-reboot into an exit.
exit 1
