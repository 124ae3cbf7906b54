#!/bin/bash
# suite.sh: the node suite inside the guest (run at boot by
# numa-node-suite.service from the payload disk; the unit powers the VM off
# when it ends).  Sets the node up as an operator would, then runs every
# checks/NN-*.sh once with runc and once with crun behind numa-runtime.
#
# TAP goes to /dev/ttyS1 (fd 3); "@@step NAME" lines say how far setup got,
# "@@done@@" that the suite ran to its end.  A setup step that fails is one
# "not ok - setup: STEP" line and ends the suite.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
exec 3>/dev/ttyS1
# shellcheck source=lib.sh
. "$here/lib.sh"
RT=setup
mkdir -p "$OUT_ROOT"

t_suite=$(uptime_s)
# step NAME FUNCTION: a setup step; its failure ends the suite.
step() {
	local name=$1
	shift
	tap "@@step $name"
	if ! check "setup: $name" "$@"; then
		tap "# setup failed at: $name"
		tap "@@done@@"
		exit 1
	fi
}

versions() {
	tap "# guest: kernel $(uname -r), systemd $(systemctl --version | sed -n '1s/^systemd \([^ ]*\).*/\1/p')," \
		"$(containerd --version | awk '{print $1, $3}'), $(runc --version | head -n1)," \
		"$(crun --version | head -n1), node $(node --version)"
	tap "# guest: cgroup $(stat -fc %T /sys/fs/cgroup), nodes $(cat /sys/devices/system/node/online)," \
		"memory tiers: $(for t in /sys/devices/virtual/memory_tiering/memory_tier*; do
			printf '%s=%s ' "${t##*/}" "$(cat "$t/nodelist")"
		done)"
}
versions

topology() {
	expect_eq "$(cat /sys/devices/system/node/online)" 0-3 "online nodes" &&
		expect_eq "$(node_cpus 0)" 0 "node0 cpus" &&
		expect_eq "$(node_cpus 1)" 1 "node1 cpus" &&
		expect_eq "$(node_cpus 2)" "" "node2 cpus" &&
		expect_eq "$(stat -fc %T /sys/fs/cgroup)" cgroup2fs "cgroup filesystem (v2 only)" &&
		expect_eq "$(readlink /proc/1/exe)" /usr/lib/systemd/systemd "PID 1"
}
step "4 NUMA nodes (CPUs on 0 and 1), cgroup v2 only, systemd as PID 1" topology

# The kernel code switched by static keys that the checks would otherwise
# switch on and off under running CPUs, switched once here (see trace_setup
# in lib.sh: qemu TCG can run a stale int3 after such a patch): the trace
# events, and a unit holding a CPU quota and a cpuset for the whole suite
# (the keys cfs_bandwidth_used, in the scheduler's accounting, and
# cpusets_enabled, in the page allocator, are on while any cgroup has one;
# pods' scopes come and go).  The unit limits nothing: all CPUs, 2 CPUs' time.
kernel_keys() {
	trace_setup || fail "tracefs: the set_mempolicy and exec events not enabled" || return
	systemd-run --quiet --unit=numa-test-keys --property=CPUQuota=200% \
		--property=AllowedCPUs="$(cat /sys/devices/system/cpu/online)" sleep infinity || return
	wait_for 20 grep -qx "200000 100000" /sys/fs/cgroup/system.slice/numa-test-keys.service/cpu.max ||
		fail "numa-test-keys.service has no CPU quota: $(cat /sys/fs/cgroup/system.slice/numa-test-keys.service/cpu.max 2>&1)"
}
step "the kernel's static keys switched once: trace events, a CPU quota, a cpuset" kernel_keys

nvme() {
	wait_for 60 test -b /dev/nvme0n1 || fail "no /dev/nvme0n1 after 60 s"
	expect_eq "$(cat /sys/block/nvme0n1/device/numa_node 2>/dev/null ||
		cat /sys/block/nvme0n1/device/device/numa_node)" 1 "the NVMe's numa_node" || return
	mkfs.ext4 -q -F -L numa-nvme /dev/nvme0n1 && mkdir -p /mnt/nvme &&
		mount /dev/nvme0n1 /mnt/nvme && mkdir -p /mnt/nvme/data
}
step "the NVMe on node 1 formatted and mounted at /mnt/nvme" nvme

step "the CRI client started (one Node.js for the whole suite)" cri_server_start

containerd_ready() {
	wait_for 120 cri_ready || fail "containerd's CRI does not answer after 120 s" \
		"$(systemctl status containerd --no-pager 2>&1 | tail -n 15)"
}
step "containerd answers CRI" containerd_ready
tap "# timing: containerd ready $(uptime_s) s after the kernel started"

# What an operator does on a containerd 2.x node: the default (version 3)
# config with the systemd cgroup driver, as Kubernetes' docs say, then the
# numa-runtime installer.
install_node() {
	containerd config default >/etc/containerd/config.toml || return
	sed -i 's/^\([[:space:]]*SystemdCgroup[[:space:]]*=\).*/\1 true/' /etc/containerd/config.toml
	grep -q '^version = 3' /etc/containerd/config.toml || fail "containerd config default is not version 3" || return
	NUMA_RUNTIME_BINARY=$PAYLOAD/bin/numa-runtime NUMA_RUNTIME_CONF=$PAYLOAD/installer/numa-runtime.conf \
		HOST_ROOT=/ RESTART_CONTAINERD=1 sh "$PAYLOAD/installer/install.sh" || return
	wait_for 120 cri_ready || fail "containerd's CRI does not answer after the restart"
	containerd config dump >/run/containerd-config-dump.toml 2>&1
	grep -A8 'runtimes.numa\]' /run/containerd-config-dump.toml | tr -d ' ' |
		grep -qx "BinaryName='/usr/local/bin/numa-runtime'" ||
		fail "containerd's merged config has no numa handler running /usr/local/bin/numa-runtime" \
			"$(grep -A12 'runtimes.numa\]' /run/containerd-config-dump.toml)"
	grep -A12 'runtimes.numa.options\]' /run/containerd-config-dump.toml | tr -d ' ' |
		grep -qx 'SystemdCgroup=true' ||
		fail "the numa handler does not use the systemd cgroup driver" \
			"$(grep -A12 'runtimes.numa.options\]' /run/containerd-config-dump.toml)"
}
step "install.sh registers the numa handler (config version 3, SystemdCgroup) and restarts containerd" install_node

images() {
	ctr -n k8s.io images import "$PAYLOAD/images/busybox-oci.tar" >/dev/null || return
	# The sandbox image containerd's CRI is configured with, from the local
	# busybox one: no registry is reachable.
	local pause
	pause=$(sed -n "s/^[[:space:]]*sandbox[[:space:]]*=[[:space:]]*['\"]\(.*\)['\"]/\1/p" \
		/run/containerd-config-dump.toml | head -n1)
	[ -n "$pause" ] || fail "no sandbox image in containerd's config"
	ctr -n k8s.io images tag --force docker.io/numa-test/pause:latest "$pause" >/dev/null
}
step "the busybox test image and the sandbox image imported" images

runtime_round() { # RUNTIME
	local rt=$1 f t_file
	RT=$rt
	check "numa-runtime's [runtime] path set to $(command -v "$rt")" set_runtime "$(command -v "$rt")"
	local ran=0
	for f in "$here"/checks/[0-9][0-9]-*.sh; do
		selected "${f##*/}" || continue
		ran=$((ran + 1))
		tap "@@step $rt ${f##*/}"
		t_file=$(uptime_s)
		# shellcheck source=/dev/null
		(. "$f") || true
		tap "# timing: [$rt] ${f##*/} $(awk -v a="$t_file" -v b="$(uptime_s)" 'BEGIN { printf "%.0f", b - a }') s"
	done
	# A selection that runs nothing must not pass as a clean round.
	check "$rt: $ran check files ran (NUMA_NODE_CHECKS=\"$NUMA_NODE_CHECKS\")" test "$ran" -gt 0
}

# The subset run.sh was asked for (select.env: NUMA_NODE_RUNTIMES, and
# NUMA_NODE_CHECKS as globs on the check files' names).
NUMA_NODE_RUNTIMES="runc crun" NUMA_NODE_CHECKS="*"
# shellcheck source=/dev/null
[ ! -f "$here/select.env" ] || . "$here/select.env"
selected() {
	local glob globs
	# Split into words without expanding them: "*" unquoted would expand
	# to the names in the current directory and select nothing.
	read -r -a globs <<<"$NUMA_NODE_CHECKS"
	for glob in "${globs[@]}"; do
		# shellcheck disable=SC2053 # a glob, on purpose
		[[ $1 == $glob ]] && return 0
	done
	return 1
}
# 80-runtime-flags.sh's probes run in the background from here on (lib.sh).
if selected 80-runtime-flags.sh; then
	# shellcheck disable=SC2086 # a list of runtimes
	flags_start $NUMA_NODE_RUNTIMES
fi
for rt in $NUMA_NODE_RUNTIMES; do
	t0=$(uptime_s)
	runtime_round "$rt"
	tap "# timing: $rt round $(awk -v a="$t0" -v b="$(uptime_s)" 'BEGIN { printf "%.0f", b - a }') s"
done
tap "# timing: suite $(awk -v a="$t_suite" -v b="$(uptime_s)" 'BEGIN { printf "%.0f", b - a }') s in the guest"
tap "@@done@@"
