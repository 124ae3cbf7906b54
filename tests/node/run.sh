#!/bin/bash
# run.sh [--timeout SECONDS] [--log-dir DIR] [--verbose]
#
# The node suite: boots a Debian unstable guest (systemd, cgroup v2 only,
# containerd 2.x, runc, crun; built by build-image.sh and cached) under
# qemu TCG with 4 NUMA nodes and an NVMe on node 1, installs numa-runtime
# into it the way an operator does, and runs tests/node/guest/checks/* for
# runc and then for crun behind numa-runtime, driving pods over CRI as
# kubelet does.  One TAP stream on stdout (plan last); exit 0 when every
# check passed.  See tests/node/README.md.
#
# Environment: NUMA_RUNTIME (binary under test, default <top>/src/numa-runtime),
# NUMA_NODE_CACHE (image cache, default ${XDG_CACHE_HOME:-~/.cache}/numa-runtime-node),
# NUMA_TEST_STRICT (1, the default: a missing prerequisite fails, else skips),
# QEMU (qemu binary), NUMA_NODE_RUNTIMES (default "runc crun") and
# NUMA_NODE_CHECKS (check files to run, as shell globs on their names, e.g.
# "30-* 35-*"; default all): a subset, to chase one failure.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
nr_bin=${NUMA_RUNTIME:-$top/src/numa-runtime}
timeout_s=1500
log_dir=
verbose=0
qemu=${QEMU:-qemu-system-x86_64}

while [ $# -gt 0 ]; do
	case $1 in
	--timeout) timeout_s=$2; shift 2 ;;
	--log-dir) log_dir=$2; shift 2 ;;
	--verbose | -v) verbose=1; shift ;;
	*) sed -n '2p' "$0" >&2; exit 2 ;;
	esac
done

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
t_start=$(now)

# One failing check naming the step: a node suite that cannot run must
# say so, never pass quietly.
fail_step() {
	echo "not ok 1 - node suite: $*"
	echo "1..1"
	exit 1
}
missing() {
	if [ "${NUMA_TEST_STRICT:-1}" = 1 ]; then
		fail_step "prerequisite missing: $*"
	fi
	echo "1..0 # SKIP $*"
	exit 0
}

[ "$(id -u)" = 0 ] || missing "needs root (debootstrap, mkfs.ext4 -d of a root tree)"
for tool in "$qemu" debootstrap mkfs.ext4 cpio gzip xz gcc node npm jq busybox timeout; do
	command -v "$tool" >/dev/null 2>&1 || missing "$tool not found"
done
[ -x "$nr_bin" ] || missing "numa-runtime not built: $nr_bin"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/numa-node.XXXXXX")
qemu_pid=
cleanup() {
	[ -z "$qemu_pid" ] || kill "$qemu_pid" 2>/dev/null || true
	[ -z "$qemu_pid" ] || wait "$qemu_pid" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

# --- the guest image (cached) ---------------------------------------------
t0=$(now)
image=$("$here/build-image.sh" ${NUMA_NODE_CACHE:+"$NUMA_NODE_CACHE"} 2>"$tmp/image.err") || {
	sed 's/^/# /' "$tmp/image.err"
	fail_step "$(grep -m1 '^build-image:' "$tmp/image.err" || echo "build-image.sh failed")"
}
echo "# guest image $image ready in $(elapsed "$t0" "$(now)") s"
sed 's/^/# tested: /' "$image/versions.txt"

# --- the payload disk: what this run installs and runs -------------------
payload() {
	local p=$tmp/payload
	mkdir -p "$p/bin" "$p/lib" "$p/installer" "$p/cri" "$p/images"
	cp -r "$here/guest" "$p/guest"
	printf 'NUMA_NODE_RUNTIMES=%q\nNUMA_NODE_CHECKS=%q\n' \
		"${NUMA_NODE_RUNTIMES:-runc crun}" "${NUMA_NODE_CHECKS:-*}" >"$p/guest/select.env"
	cp "$nr_bin" "$p/bin/numa-runtime"
	cp "$top/tests/lib/common.sh" "$p/lib/common.sh"
	gcc -O2 -static -o "$p/bin/touch-mem" "$top/tests/vm/touch-mem.c"
	gcc -O2 -static -o "$p/bin/getmempolicy" "$top/tests/progs/getmempolicy.c"
	gcc -O2 -static -pthread -o "$p/bin/pin-cpus" "$top/tests/progs/pin-cpus.c"
	cp "$top/contrib/installer/install.sh" "$top/contrib/installer/snippet-v2.toml" \
		"$top/contrib/installer/snippet-v3.toml" "$p/installer/"
	# The metrics timer install.sh puts in place, from ../systemd as in the
	# source tree.
	mkdir -p "$p/systemd"
	cp "$top"/contrib/systemd/numa-runtime-metrics.* "$p/systemd/"
	cp "$top/config/numa-runtime.conf" "$p/installer/numa-runtime.conf"
	# tests/runtime-flags.sh with what it runs next to it: the fake runtime
	# and the two-node fixture topology.
	mkdir -p "$p/flags/fixtures"
	cp "$top/tests/runtime-flags.sh" "$top/tests/fake-runtime" "$p/flags/"
	cp -a "$top/tests/fixtures/twonode" "$p/flags/fixtures/"
	# The CRI client and its gRPC modules (npm ci as tests/containerd does).
	local cri=$top/tests/containerd/cri
	if [ ! -d "$cri/node_modules/@grpc/grpc-js" ]; then
		(cd "$cri" && npm ci --no-audit --no-fund --loglevel=error) >"$tmp/npm.log" 2>&1 || {
			cat "$tmp/npm.log" >&2
			return 1
		}
	fi
	cp "$here/cri/cri-node.js" "$cri/cri-client.js" "$cri/cri-subset.proto" "$p/cri/"
	cp -r "$cri/node_modules" "$p/cri/node_modules"
	# The busybox images (test image and sandbox image) as tests/containerd
	# builds them.
	(
		# shellcheck disable=SC2034 # read by build_busybox_image
		CTD_TMP=$tmp
		# shellcheck source=../containerd/lib.bash
		. "$top/tests/containerd/lib.bash"
		build_busybox_image "$p/images/busybox-oci.tar"
	)
	echo "$TEST_IMAGE_NAME" >"$p/images/test-image"
	mkfs.ext4 -q -F -L numa-payload -d "$p" "$tmp/payload.ext4" 512M
}
TEST_IMAGE_NAME=docker.io/numa-test/busybox:latest
payload >"$tmp/payload.log" 2>&1 || {
	sed 's/^/# /' "$tmp/payload.log"
	fail_step "building the payload disk failed"
}
# The NVMe the guest formats and a container bind-mounts.
truncate -s 256M "$tmp/nvme.img"

# --- the VM ---------------------------------------------------------------
# The console (a file) gets the kernel's errors (loglevel 4: OOM kills
# too) and systemd's failed units, for the lines shown after an early stop.
# Nodes 0 and 1: one CPU (one socket) and 768 MiB each; nodes 2 and 3:
# 512 MiB without CPUs, slower and narrower in HMAT, so the kernel puts them
# in a lower memory tier.  The CPU nodes are as small as the guest (about
# 300 MiB in use with containerd up) and the checks' pods allow: the tier
# spill check touches more than a CPU node holds, under TCG.  The NVMe sits behind a PCI expander bridge on node 1;
# the other disks go on pci.0 explicitly (qemu refuses if=virtio next to a
# pxb).
# shellcheck disable=SC2054 # qemu takes comma-separated option lists
args=(-machine pc,hmat=on -accel tcg -smp 2,sockets=2,cores=1,threads=1 -m 2560M
	-object memory-backend-ram,id=m0,size=768M -object memory-backend-ram,id=m1,size=768M
	-object memory-backend-ram,id=m2,size=512M -object memory-backend-ram,id=m3,size=512M
	-numa node,nodeid=0,cpus=0,memdev=m0,initiator=0
	-numa node,nodeid=1,cpus=1,memdev=m1,initiator=1
	-numa node,nodeid=2,memdev=m2,initiator=0
	-numa node,nodeid=3,memdev=m3,initiator=1
	-numa dist,src=0,dst=1,val=21 -numa dist,src=0,dst=2,val=17 -numa dist,src=0,dst=3,val=28
	-numa dist,src=1,dst=2,val=28 -numa dist,src=1,dst=3,val=17 -numa dist,src=2,dst=3,val=28)
for i in 0 1; do
	for t in 0 1 2 3; do
		if [ "$t" -lt 2 ]; then lat=100 bw=20G; else lat=300 bw=5G; fi
		args+=(-numa "hmat-lb,initiator=$i,target=$t,hierarchy=memory,data-type=access-latency,latency=$lat"
			-numa "hmat-lb,initiator=$i,target=$t,hierarchy=memory,data-type=access-bandwidth,bandwidth=$bw")
	done
done
# shellcheck disable=SC2054 # qemu takes comma-separated option lists
args+=(-snapshot
	-drive "file=$image/root.ext4,if=none,id=root,format=raw"
	-device virtio-blk-pci,drive=root,bus=pci.0,addr=0x4
	-drive "file=$tmp/payload.ext4,if=none,id=payload,format=raw"
	-device virtio-blk-pci,drive=payload,bus=pci.0,addr=0x5
	-device pxb,id=p1,bus_nr=64,numa_node=1,bus=pci.0
	-drive "file=$tmp/nvme.img,if=none,id=nv0,format=raw"
	-device nvme,serial=numanvme,drive=nv0,bus=p1
	-kernel "$image/vmlinuz" -initrd "$image/initrd.gz"
	-append "console=ttyS0 quiet loglevel=4 systemd.show_status=error panic=-1"
	-nic none -display none -monitor none -no-reboot
	-serial "file:$tmp/console.log" -serial "file:$tmp/tap.log")

# boot_once: one run of the VM; its serial ports go to console.log and
# tap.log, rc to $rc and its time to $vm_secs.
boot_once() {
	local t0
	t0=$(now)
	rc=0
	timeout -k 10 "$timeout_s" "$qemu" "${args[@]}" </dev/null >"$tmp/qemu.log" 2>&1 &
	qemu_pid=$!
	wait "$qemu_pid" || rc=$?
	qemu_pid=
	vm_secs=$(elapsed "$t0" "$(now)")
}
# A guest that oopsed or timed out before the suite's end is booted once
# more, from the same images (-snapshot: nothing of the first run stays),
# as tests/vm/run.sh does: qemu's multi-threaded TCG can run a stale int3
# after the guest kernel patches its own code (an "Oops: int3" in CI), a
# fault of the emulator, not of the checks.  Only the second run's results
# count; the retry, why, and the first console's excerpt are said as TAP
# comments before them, and the first console is kept in --log-dir.  A
# fault of numa-runtime's own making happens again and fails as usual.
retry_note=
boot_once
if ! grep -q '^@@done@@' "$tmp/tap.log" 2>/dev/null; then
	why=
	if grep -qE 'Kernel panic|Oops:|BUG:' "$tmp/console.log"; then
		why="guest kernel oopsed ($(grep -m1 -E 'Oops:|Kernel panic|BUG:' "$tmp/console.log" |
			tr -d '\r' | sed 's/.*\(Oops:\|Kernel panic\|BUG:\)/\1/'))"
	elif [ "$rc" = 124 ]; then
		why="guest stopped responding (timed out after $timeout_s s)"
	fi
	if [ -n "$why" ]; then
		last=$(tr -d '\r' <"$tmp/tap.log" | grep -E '^@@step ' | tail -n1 || true)
		mv "$tmp/console.log" "$tmp/first.console.log"
		mv "$tmp/tap.log" "$tmp/first.tap.log"
		retry_note="# the first boot's $why after $vm_secs s${last:+ (last step: ${last#@@step })}; booted again"
		boot_once
	fi
fi

# --- the report -----------------------------------------------------------
n=0
bad=0
tr -d '\r' <"$tmp/tap.log" >"$tmp/tap.txt"
if [ -n "$retry_note" ]; then
	echo "$retry_note"
	sh "$here/../console-excerpt.sh" "$tmp/first.console.log" "# first boot: "
fi
while IFS= read -r line; do
	case $line in
	"ok "* | "not ok "*)
		n=$((n + 1))
		status=ok
		[ "${line#not ok}" = "$line" ] || { status="not ok"; bad=$((bad + 1)); }
		rest=${line#"$status"}
		rest=${rest# - }
		echo "$status $n - $rest"
		;;
	"#"*) echo "$line" ;;
	@@*) ;;
	*) echo "# $line" ;;
	esac
done <"$tmp/tap.txt"
n=$((n + 1))
if grep -q '^@@done@@' "$tmp/tap.txt"; then
	echo "ok $n - node VM ran the suite and powered off ($vm_secs s)"
else
	bad=$((bad + 1))
	what="qemu exited with status $rc"
	[ "$rc" != 124 ] || what="timed out after $timeout_s s"
	last=$(grep -E '^@@step ' "$tmp/tap.txt" | tail -n1 || true)
	echo "not ok $n - node VM ran the suite and powered off ($what${last:+, last step: ${last#@@step }})"
	# Why the guest stopped, where a CI summary shows it.
	sh "$here/../console-excerpt.sh" "$tmp/console.log"
fi
if [ "$bad" -gt 0 ] || [ "$verbose" = 1 ]; then
	{
		echo "----- qemu output"
		cat "$tmp/qemu.log"
		echo "----- guest console (last 60 lines)"
		tr -d '\r' <"$tmp/console.log" | tail -n 60
	} | sed 's/^/# /' >&2
fi
if [ -n "$log_dir" ]; then
	mkdir -p "$log_dir"
	cp "$tmp/console.log" "$log_dir/console.log"
	cp "$tmp/tap.txt" "$log_dir/tap.log"
	if [ -n "$retry_note" ]; then
		cp "$tmp/first.console.log" "$log_dir/first.console.log"
		tr -d '\r' <"$tmp/first.tap.log" >"$log_dir/first.tap.log"
	fi
fi
echo "# node suite wall time $(elapsed "$t_start" "$(now)") s (VM $vm_secs s)"
echo "1..$n"
[ "$bad" = 0 ]
