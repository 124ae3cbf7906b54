#!/bin/sh
# bench-pod.sh [-r RUNS] [-w WARMUP] [-k]
#
# What a pod's devices cost a create (make bench-pod, part of make bench),
# measured with hyperfine on the two-socket fixture machine of
# tests/fixtures/gen-sysfs.sh, the runtime being /bin/true so that only
# numa-runtime's own work is timed:
#   sandbox     a pod's sandbox create without kubelet's device checkpoint,
#               then with one of 110 pods (kubelet's default pod limit) of
#               two device entries each: the cost of the lookup
#   move        a container of that pod whose GPU is on the sandbox's node
#               (it follows its pod), then one whose GPU is on the other
#               node: the pod moves (its sandbox's entry re-placed and one
#               `update` of the runtime, /bin/true, run)
#   plain       a container outside any pod, for comparison with
#               $NUMA_RUNTIME_BASE (another build, e.g. main's) when set
# Each timed create starts from a fresh ledger holding only the pod's
# sandbox (or nothing) and a pristine config.json, restored by --prepare.
# Environment: NUMA_RUNTIME (default ../src/numa-runtime), BENCH_DIR.
set -eu

prog=bench-pod.sh
die() { printf '%s: %s\n' "$prog" "$*" >&2; exit 1; }

runs=30
warmup=3
keep=0
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/lib/common.sh
. "$here/../tests/lib/common.sh"
script_options "r:runs w:warmup k=keep" "$@"
bin=$(find_numa_runtime "${NUMA_RUNTIME:-}" "$here/../src/numa-runtime") ||
	die "numa-runtime not found (set NUMA_RUNTIME)"
command -v hyperfine >/dev/null 2>&1 || die "hyperfine not found"
command -v jq >/dev/null 2>&1 || die "jq not found"

base=${BENCH_DIR:-/dev/shm}
[ -d "$base" ] && [ -w "$base" ] || base=${TMPDIR:-/tmp}
work=$(mktemp -d "$base/numa-runtime-bench-pod.XXXXXX")
cleanup() { if [ "$keep" = 1 ]; then printf 'kept %s\n' "$work" >&2; else rm -rf "$work"; fi; }
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

sh "$here/../tests/fixtures/gen-sysfs.sh" two-socket "$work/machine" >/dev/null
mkdir -p "$work/root" "$work/kubelet/device-plugins" "$work/empty-kubelet"
uid=6d6a3c1e-0f5b-4b8e-9a51-2c3d4e5f6a7b

# config KUBELET_ROOT: the numa-runtime config, runtime /bin/true.
config() {
	cat >"$work/conf-$(basename "$1")" <<EOF
[runtime]
path = /bin/true
[ledger]
path = $work/ledger
[topology]
sysfs_root = $work/machine/sys
proc_root = $work/machine/proc
[kubelet]
root = $1
EOF
	printf '%s\n' "$work/conf-$(basename "$1")"
}

# bundle NAME TYPE DEVICE_MINOR|-: a pristine config.json of the pod (TYPE
# sandbox or container) or, with TYPE plain, of no pod.
bundle() {
	mkdir -p "$work/$1/rootfs"
	jq -n --arg type "$2" --arg minor "$3" --arg uid "$uid" '{
		ociVersion: "1.0.2", process: {args: ["sh"], cwd: "/", env: ["PATH=/bin"]},
		root: {path: "rootfs"},
		linux: {resources: {cpu: {quota: 50000, period: 100000}},
			devices: (if $minor == "-" then [] else
				[{path: ("/dev/nvidia" + $minor), type: "c", major: 195, minor: ($minor | tonumber)}] end)},
		annotations: (if $type == "plain" then {} else {
			"io.kubernetes.cri.container-type": $type, "io.kubernetes.cri.sandbox-id": "sb",
			"io.kubernetes.cri.sandbox-uid": $uid, "io.kubernetes.cri.container-name": "app"} end)}' \
		>"$work/$1/pristine.json"
	cp "$work/$1/pristine.json" "$work/$1/config.json"
}
bundle sb sandbox -
bundle follow container 0
bundle move container 1
bundle plain plain -

# kubelet's checkpoint: 110 pods of two entries, ours among them.
jq -cn --arg uid "$uid" '{Data: {PodDeviceEntries: ([range(110)] | map(
	{PodUID: (if . == 57 then $uid else "pod-\(.)" end), ContainerName: "app",
	 ResourceName: "nvidia.com/gpu", DeviceIDs: {"\(. % 2)": ["GPU-\(.)"]}, AllocResp: "CgA="},
	{PodUID: (if . == 57 then $uid else "pod-\(.)" end), ContainerName: "side",
	 ResourceName: "example.com/nvme", DeviceIDs: {"-1": ["nvme-\(.)"]}, AllocResp: ""}) | flatten),
	RegisteredDevices: {}}, Checksum: 1}' >"$work/kubelet/device-plugins/kubelet_internal_checkpoint"

with_ckpt=$(config "$work/kubelet")
without=$(config "$work/empty-kubelet")

# prep NAME [SANDBOX_CONFIG]: a fresh ledger, NAME's config.json restored,
# and with SANDBOX_CONFIG the pod's sandbox created (node 0) beforehand.
prep() {
	printf 'rm -rf %s/ledger %s/ledger.*; cp %s/%s/pristine.json %s/%s/config.json' \
		"$work" "$work" "$work" "$1" "$work" "$1"
	[ $# -lt 2 ] || printf '; cp %s/sb/pristine.json %s/sb/config.json; mkdir -p %s/root/sb; NUMA_RUNTIME_CONFIG=%s %s --root %s/root create --bundle %s/sb sb' \
		"$work" "$work" "$work" "$2" "$bin" "$work" "$work"
}

# run_pair TITLE NAME_A CONF_A BIN_A NAME_B CONF_B BIN_B [SANDBOX_CONFIG]
run_pair() {
	title=$1
	shift
	printf '%s\n' "$title"
	hyperfine --style none -N --runs "$runs" --warmup "$warmup" --export-json "$work/out.json" \
		-p "sh -c '$(prep "$1" ${7:+"$7"})'" -n "$1" \
		"env NUMA_RUNTIME_CONFIG=$2 $3 --root $work/root create --bundle $work/$1 c-$1" \
		-p "sh -c '$(prep "$4" ${7:+"$7"})'" -n "$4" \
		"env NUMA_RUNTIME_CONFIG=$5 $6 --root $work/root create --bundle $work/$4 c-$4" \
		>"$work/hyperfine.out" 2>&1 || { cat "$work/hyperfine.out" >&2; die "hyperfine failed"; }
	jq -r '.results[] | "  \(.command | split(" ") | .[-1])  median \(.median * 1e6 | round / 1e3) ms  cpu \((.user + .system) * 1e6 | round / 1e3) ms"' "$work/out.json"
	jq -r '"  difference (median)  \((.results[1].median - .results[0].median) * 1e6 | round / 1e3) ms"' "$work/out.json"
}

run_pair "sandbox create: without kubelet's checkpoint, then with 220 entries" \
	sb "$without" "$bin" sb "$with_ckpt" "$bin"
run_pair "container create: follows its pod, then moves its pod (one update)" \
	follow "$without" "$bin" move "$without" "$bin" "$without"
if [ -n "${NUMA_RUNTIME_BASE:-}" ]; then
	run_pair "plain create: $NUMA_RUNTIME_BASE, then this build" \
		plain "$without" "$NUMA_RUNTIME_BASE" plain "$without" "$bin"
fi
