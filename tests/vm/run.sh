#!/bin/bash
# run.sh [--numa-runtime PATH] [--scenario NAME]... [--timeout SECONDS]
#        [--log-dir DIR] [--sequential] [--verbose]
#
# Boots multi-NUMA qemu VMs (TCG) and runs tests/vm/checks.sh in each; prints
# one TAP stream (plan last) on stdout, exits 0 when every check passed.
#
# Scenarios:
#   two-node   2 nodes (cpus 0-1 / 2-3, 512 MiB each, distance 21); the
#              test disk is a virtio-blk behind a pxb bridge on node 1
#   four-node  4 nodes (one cpu, 512 MiB each); the disk on node 2
#   tiers      memory tiers, on Debian unstable's kernel (>= 6.9, fetched
#              with fetch-kernel.sh --suite unstable): nodes 0-1 with one
#              cpu each, nodes 2-3 without cpus (2 near 0, 3 near 1), 512
#              MiB each; HMAT (-machine hmat=on) makes 2-3 slower and
#              narrower, so the kernel puts them in a lower memory tier and
#              derives interleave weights from the bandwidths; only the
#              tier checks (checks-tiers.sh) run there
#   llc        one node of 8 cpus in two L3 caches of 4 (-smp dies=2 with an
#              Intel vendor: qemu's CPUID leaf 4 gives the L3 per die), 512
#              MiB; only the cache-group checks (checks-llc.sh) run there
#
# --numa-runtime PATH  binary to test (default $NUMA_RUNTIME, else
#                      <top>/src/numa-runtime); missing: its checks fail
# --scenario NAME      run only these scenarios (repeatable)
# --timeout SECONDS    per VM (default 240); a hang becomes a failing check
# --log-dir DIR        keep the serial console logs there
# --sequential         boot the scenarios one after the other (default: all at
#                      once, so a hang costs one timeout, not one per VM)
# --verbose            copy each console log to stderr
#
# Environment: NUMA_VM_CACHE (kernel cache dir, see fetch-kernel.sh),
# KERNEL_DIR (an unpacked kernel; skips fetching), QEMU (qemu binary).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)

nr_bin=${NUMA_RUNTIME:-$top/src/numa-runtime}
scenarios=()
timeout_s=240
log_dir=
parallel=1
verbose=0

usage() { sed -n '2,3p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
	case $1 in
	--numa-runtime) nr_bin=$2; shift 2 ;;
	--numa-runtime=*) nr_bin=${1#*=}; shift ;;
	--scenario) scenarios+=("$2"); shift 2 ;;
	--scenario=*) scenarios+=("${1#*=}"); shift ;;
	--timeout) timeout_s=$2; shift 2 ;;
	--timeout=*) timeout_s=${1#*=}; shift ;;
	--log-dir) log_dir=$2; shift 2 ;;
	--log-dir=*) log_dir=${1#*=}; shift ;;
	--parallel) parallel=1; shift ;;
	--sequential) parallel=0; shift ;;
	--verbose | -v) verbose=1; shift ;;
	-h | --help) usage ;;
	*) echo "run.sh: unknown argument $1" >&2; usage ;;
	esac
done
[ ${#scenarios[@]} -gt 0 ] || scenarios=(two-node four-node tiers llc)

qemu=${QEMU:-qemu-system-x86_64}

# TAP for "cannot run here": a skipped plan, not a failure -- except in
# strict mode (NUMA_TEST_STRICT=1, the default under make), where a missing
# prerequisite fails the suite, as it does in the bats suites.
skip_all() {
	if [ "${NUMA_TEST_STRICT:-0}" = 1 ]; then
		echo "1..1"
		echo "not ok 1 - multi-NUMA VM suite cannot run (NUMA_TEST_STRICT=1): $*"
		exit 1
	fi
	echo "1..0 # SKIP $*"
	exit 0
}
for tool in "$qemu" mkfs.ext4 cpio gzip gcc runc jq busybox timeout; do
	command -v "$tool" >/dev/null 2>&1 || skip_all "$tool not found"
done

# scenario_args NAME: sets nodes, cpus_per_node, disk_node, dist (SLIT rows,
# ';' between rows), cpu_nodes (nodes with CPUs, the first ones), suite
# (the Debian suite of the kernel; "" = the host's), and cpu_model and
# cpu_layout (qemu's -cpu, and the -smp topology after the CPU count; ""
# = qemu's defaults) for NAME.  Every node gets 512 MiB.
scenario_args() {
	cpu_nodes='' suite='' cpu_model='' cpu_layout=''
	case $1 in
	two-node)
		nodes=2 cpus_per_node=2 disk_node=1 dist="10,21;21,10" ;;
	four-node)
		# Two packages of two nodes each.
		nodes=4 cpus_per_node=1 disk_node=2
		dist="10,21,31,31;21,10,31,31;31,31,10,21;31,31,21,10" ;;
	tiers)
		# Memory tiers need kernel >= 6.9 for weighted interleave.
		nodes=4 cpus_per_node=1 cpu_nodes=2 disk_node=0 suite=unstable
		dist="10,21,17,28;21,10,28,17;17,28,10,28;28,17,28,10" ;;
	llc)
		# Two L3 groups in one node.  qemu 7.2 gives an Intel guest
		# (CPUID leaf 4) one L3 per die; an AMD model (qemu64, EPYC*)
		# shows one L3 for the package under TCG, which lacks topoext.
		# dies=2,cores=3 hangs the guest at boot (README.md).
		nodes=1 cpus_per_node=8 disk_node=0 dist=10
		cpu_model=qemu64,vendor=GenuineIntel
		cpu_layout=sockets=1,dies=2,cores=4,threads=1 ;;
	*) return 1 ;;
	esac
	: "${cpu_nodes:=$nodes}"
}

# hmat_args: HMAT latency and bandwidth for every initiator (CPU node) and
# target: its own node 100 ns / 20 GiB/s, the other CPU node 150 ns /
# 15 GiB/s, its own CPU-less node 300 ns / 5 GiB/s, the other one 400 ns /
# 4 GiB/s.  Prints one qemu argument a line.
hmat_args() {
	local i t lat bw
	for ((i = 0; i < cpu_nodes; i++)); do
		for ((t = 0; t < nodes; t++)); do
			if [ "$t" = "$i" ]; then lat=100 bw=20G
			elif [ "$t" -lt "$cpu_nodes" ]; then lat=150 bw=15G
			elif [ $((t % cpu_nodes)) = "$i" ]; then lat=300 bw=5G
			else lat=400 bw=4G; fi
			echo "-numa"
			echo "hmat-lb,initiator=$i,target=$t,hierarchy=memory,data-type=access-latency,latency=$lat"
			echo "-numa"
			echo "hmat-lb,initiator=$i,target=$t,hierarchy=memory,data-type=access-bandwidth,bandwidth=$bw"
		done
	done
}

for s in "${scenarios[@]}"; do
	scenario_args "$s" || { echo "run.sh: unknown scenario $s" >&2; exit 2; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/numa-vm.XXXXXX")
pids=()
cleanup() {
	local p f
	for f in "$tmp"/*.pid; do
		[ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true
	done
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	for p in "${pids[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
t_start=$(now)

# ------------------------------------------------------------------ kernel, initramfs
need_host_kernel=0 need_suite_kernel=0
for s in "${scenarios[@]}"; do
	scenario_args "$s"
	if [ -n "$suite" ]; then need_suite_kernel=1; else need_host_kernel=1; fi
done
if [ -z "${KERNEL_DIR:-}" ] && [ "$need_host_kernel" = 1 ]; then
	KERNEL_DIR=$("$here/fetch-kernel.sh" ${NUMA_VM_CACHE:+"$NUMA_VM_CACHE"}) ||
		skip_all "no kernel (fetch-kernel.sh failed)"
fi
# The tiers scenario's kernel: Debian unstable's, through a private apt
# configuration (fetch-kernel.sh --suite); SUITE_KERNEL_DIR skips fetching.
# Not found: that scenario fails (it is not skipped).
suite_kernel_why=
if [ "$need_suite_kernel" = 1 ] && [ -z "${SUITE_KERNEL_DIR:-}" ]; then
	SUITE_KERNEL_DIR=$("$here/fetch-kernel.sh" --suite unstable ${NUMA_VM_CACHE:+"$NUMA_VM_CACHE"}) ||
		suite_kernel_why="no unstable kernel (fetch-kernel.sh --suite unstable failed)"
fi
[ -n "${KERNEL_DIR:-}" ] || KERNEL_DIR=${SUITE_KERNEL_DIR:-}
[ -n "$KERNEL_DIR" ] || skip_all "no kernel"
export KERNEL_DIR
kver=$(cat "$KERNEL_DIR/version")
vmlinuz=$KERNEL_DIR/boot/vmlinuz-$kver

if [ -e "$nr_bin" ]; then
	nr_bin=$(cd "$(dirname "$nr_bin")" && pwd)/$(basename "$nr_bin")
	echo "# numa-runtime: $nr_bin"
else
	echo "# numa-runtime: $nr_bin does not exist; its checks will fail"
	nr_bin=
fi
"$here/build-initramfs.sh" "$tmp/initramfs.gz" "$nr_bin" 2>"$tmp/build.log" || {
	sed 's/^/# /' "$tmp/build.log"
	echo "1..1"
	echo "not ok 1 - build the VM initramfs"
	exit 1
}
echo "# kernel $kver, initramfs $(du -k "$tmp/initramfs.gz" | cut -f1) KiB," \
	"built in $(elapsed "$t_start" "$(now)") s"
if [ "$need_suite_kernel" = 1 ] && [ -z "$suite_kernel_why" ]; then
	suite_kver=$(cat "$SUITE_KERNEL_DIR/version")
	if KERNEL_DIR=$SUITE_KERNEL_DIR "$here/build-initramfs.sh" "$tmp/initramfs-suite.gz" "$nr_bin" \
		2>"$tmp/build-suite.log"; then
		echo "# unstable kernel $suite_kver for the tiers scenario"
	else
		sed 's/^/# /' "$tmp/build-suite.log"
		suite_kernel_why="building the initramfs for kernel $suite_kver failed"
	fi
fi

# ------------------------------------------------------------------ scenarios

# boot NAME: runs scenario NAME's VM to completion or timeout; console in
# $tmp/NAME.console, qemu's stderr in $tmp/NAME.qemu, seconds in $tmp/NAME.time.
# A guest that oopses or stops responding (the timeout) before the checks
# are done is booted once more: under TCG the Debian kernel has been seen
# to die of an int3 in the page allocator (code patched by one vCPU while
# another runs it; init.sh now leaves it nothing to patch), and a guest of
# 8 vCPUs to stop dead at its first container, nothing the checks did (each
# runtime call is killed after 60 s, a check that waits fails by itself).
# The first console is kept, and the retry and the first console's end are
# said in the TAP output; a second failure is reported as usual.
boot() {
	local name=$1 rc why
	boot_once "$name"
	grep -q '@@tap-done@@' "$tmp/$name.console" && return
	read -r rc _ <"$tmp/$name.time"
	if grep -qE 'Kernel panic|Oops:' "$tmp/$name.console"; then
		why="guest kernel oopsed ($(grep -m1 -E 'Oops:|Kernel panic' "$tmp/$name.console" | tr -d '\r' | sed 's/^\[ *[0-9.]*\] //'))"
	elif [ "$rc" = 124 ]; then
		why="guest stopped responding (timed out after $timeout_s s)"
	else
		return
	fi
	mv "$tmp/$name.console" "$tmp/$name.first.console"
	boot_once "$name"
	# The retry said first, so that the second boot's own end stays last.
	{
		echo "@@tap@@ # the first boot's $why before the checks were done; booted again"
		# (its own markers dropped: they would be read as this boot's)
		sh "$here/../console-excerpt.sh" "$tmp/$name.first.console" "" |
			sed 's/@@tap[a-z-]*@@ *//g; s/^/@@tap@@ # first boot: /'
		cat "$tmp/$name.console"
	} >"$tmp/$name.console.new"
	mv "$tmp/$name.console.new" "$tmp/$name.console"
	if [ -n "$log_dir" ]; then
		mkdir -p "$log_dir" && cp "$tmp/$name.first.console" "$log_dir/$name.first.console.log" || true
	fi
}

boot_once() {
	local name=$1 nodes cpus_per_node disk_node dist cpu_nodes suite cpu_model cpu_layout
	scenario_args "$name"
	local disk=$tmp/$name.disk
	truncate -s 64M "$disk"
	mkfs.ext4 -q -F -L numadisk "$disk"

	local kernel=$vmlinuz initrd=$tmp/initramfs.gz machine=pc
	local smp=$((cpu_nodes * cpus_per_node))
	if [ -n "$suite" ]; then
		kernel=$SUITE_KERNEL_DIR/boot/vmlinuz-$suite_kver initrd=$tmp/initramfs-suite.gz
		machine=pc,hmat=on
		# One socket per CPU node, else the kernel warns of LLC siblings
		# across nodes.
		smp="$smp,sockets=$cpu_nodes,cores=$cpus_per_node,threads=1"
	fi
	[ -z "$cpu_layout" ] || smp="$smp,$cpu_layout"
	local args=(-machine "$machine" -accel tcg -smp "$smp" -m $((nodes * 512))
		-nic none -display none -monitor none -no-reboot
		-serial "file:$tmp/$name.console")
	[ -z "$cpu_model" ] || args+=(-cpu "$cpu_model")
	local i j row
	for ((i = 0; i < nodes; i++)); do
		args+=(-object "memory-backend-ram,id=m$i,size=512M")
		if [ "$i" -lt "$cpu_nodes" ]; then
			args+=(-numa "node,nodeid=$i,cpus=$((i * cpus_per_node))-$(((i + 1) * cpus_per_node - 1)),memdev=m$i")
		else
			# Memory only, reached from the CPU node it belongs to.
			args+=(-numa "node,nodeid=$i,memdev=m$i,initiator=$((i % cpu_nodes))")
		fi
	done
	[ -z "$suite" ] || mapfile -t -O "${#args[@]}" args < <(hmat_args)
	IFS=';' read -r -a rows <<<"$dist"
	for ((i = 0; i < nodes; i++)); do
		IFS=',' read -r -a row <<<"${rows[i]}"
		for ((j = i + 1; j < nodes; j++)); do
			args+=(-numa "dist,src=$i,dst=$j,val=${row[j]}")
		done
	done
	# The disk sits behind a PCI expander bridge bound to $disk_node, which is
	# how the guest's sysfs comes to give it that numa_node.
	args+=(-device "pxb,id=b1,bus_nr=16,numa_node=$disk_node"
		-drive "file=$disk,if=none,id=d1,format=raw,cache=unsafe"
		-device "virtio-blk-pci,drive=d1,bus=b1,addr=1,serial=numadisk"
		-kernel "$kernel" -initrd "$initrd"
		-append "console=ttyS0 quiet loglevel=4 panic=-1 nt_scenario=$name nt_nodes=$nodes nt_disk_node=$disk_node nt_dist0=${rows[0]}")

	local t0 rc=0
	t0=$(now)
	: >"$tmp/$name.console"
	if [ -n "$suite" ] && [ -n "$suite_kernel_why" ]; then
		echo "@@tap@@ not ok 1 - $suite_kernel_why" >"$tmp/$name.console"
		echo "1 0" >"$tmp/$name.time"
		return
	fi
	# timeout runs in its own process group; cleanup() kills it by this pid
	# and it passes the signal on to qemu.
	timeout -k 10 "$timeout_s" "$qemu" "${args[@]}" </dev/null >"$tmp/$name.qemu" 2>&1 &
	echo $! >"$tmp/$name.pid"
	wait $! || rc=$?
	rm -f "$tmp/$name.pid"
	echo "$rc $(elapsed "$t0" "$(now)")" >"$tmp/$name.time"
}

# report NAME: renumbered TAP lines of scenario NAME on stdout.
n=0
failed=0
report() {
	local name=$1 rc secs
	read -r rc secs <"$tmp/$name.time"
	local tap=$tmp/$name.tap
	tr -d '\r' <"$tmp/$name.console" | sed -n 's/^.*@@tap@@ //p' |
		awk -v n="$n" -v tag="[$name]" '
			/^(not )?ok( |$)/ {
				status = ($1 == "not") ? "not ok" : "ok"
				rest = $0
				sub(/^(not )?ok( +[0-9]+)?/, "", rest)
				sub(/^ *-? */, "", rest)
				print status " " ++n " - " tag " " rest
				next
			}
			/^#/ { sub(/^# ?/, ""); print "# " tag " " $0; next }
			{ print "# " tag " " $0 }' >"$tap"
	cat "$tap"
	local got bad
	got=$(grep -Ec '^(not )?ok ' "$tap" || true)
	bad=$(grep -c '^not ok ' "$tap" || true)
	n=$((n + got))
	n=$((n + 1))
	if grep -q '@@tap-done@@' "$tmp/$name.console"; then
		echo "ok $n - [$name] VM ran checks.sh and powered off ($secs s)"
	else
		bad=$((bad + 1))
		local what="qemu exited with status $rc"
		[ "$rc" = 124 ] && what="timed out after $timeout_s s"
		echo "not ok $n - [$name] VM ran checks.sh and powered off ($what)"
		# Why the guest stopped, where a CI summary shows it (its
		# "checks: ..." lines say which command it was in).
		sh "$here/../console-excerpt.sh" "$tmp/$name.console" "# [$name] console: "
	fi
	if [ "$bad" -gt 0 ]; then
		failed=1
	fi
	if [ "$bad" -gt 0 ] || [ "$verbose" = 1 ]; then
		{
			echo "----- [$name] qemu output"
			cat "$tmp/$name.qemu"
			echo "----- [$name] console (last 80 lines)"
			tr -d '\r' <"$tmp/$name.console" | tail -n 80
			echo "-----"
		} | sed 's/^/# /' >&2
	fi
	if [ -n "$log_dir" ]; then
		mkdir -p "$log_dir"
		cp "$tmp/$name.console" "$log_dir/$name.console.log"
	fi
}

if [ "$parallel" = 1 ]; then
	for s in "${scenarios[@]}"; do
		boot "$s" &
		pids+=($!)
	done
	for p in "${pids[@]}"; do
		wait "$p" || true
	done
	pids=()
	for s in "${scenarios[@]}"; do
		report "$s"
	done
else
	for s in "${scenarios[@]}"; do
		boot "$s" &
		pids=($!)
		wait "${pids[0]}" || true
		pids=()
		report "$s"
	done
fi

echo "# total $(elapsed "$t_start" "$(now)") s"
echo "1..$n"
exit $failed
