#!/usr/bin/env bats
# The topology view inside a container (issue 20 §4), with the real runc
# and a busybox rootfs: with [placement] topology_view = container or the
# annotation numa-runtime.io/topology-view: container, the container's
# /sys/devices/system/node lists only its node, cut to its cpuset, and
# read-only; meminfo is the live file; the generated tree is gone after
# delete, gc and a create that fails.

load helpers

setup() {
	nr_setup # the real runc, the host's /sys
	require_root
	require_runc
	require_busybox
}

teardown() { nr_teardown; }

# split_machine: a two-node sysfs at $T/sys with this host's CPUs 0 and 1,
# node 0 holding CPU 1 and node 1 CPU 0 (the twonode fixture's memory), so
# that a container pinned to node 0 gets a cpuset (1) and mems (0) runc can
# set here, and a view differing from the machine's.
split_machine() {
	cp -a "$FIXTURES/twonode" "$T/sys"
	local n=$T/sys/devices/system/node c=$T/sys/devices/system/cpu
	echo 1 >"$n/node0/cpulist"
	echo 0 >"$n/node1/cpulist"
	echo 0-1 >"$c/online"
	echo 0-1 >"$c/possible"
	echo 0-1 >"$c/present"
	rm -rf "$c"/cpu[2-9]
	use_sysfs "$T/sys"
}

VIEW_PROBE='cd /sys/devices/system/node && for f in online possible has_cpu has_memory has_normal_memory node0/cpulist node0/cpumap node0/distance; do echo "$f=$(cat $f)"; done; echo "ls=$(ls | tr "\n" " ")"; echo "meminfo=$(head -n 1 node0/meminfo)"; echo x >online 2>/dev/null && echo writable; grep -c " /sys/devices/system/node" /proc/self/mountinfo'

# view_bundle DIR ANNOTATIONS_JSON: a busybox bundle running VIEW_PROBE.
view_bundle() {
	busybox_bundle "$1" sh -c "$VIEW_PROBE"
	jq --argjson a "$2" '.annotations = $a' "$1/config.json" >"$1/c.json" && mv "$1/c.json" "$1/config.json"
}

views_dir() { echo "$T/topology-views"; }

# wait_stopped ID: until runc says ID has stopped (at most 30 s).
wait_stopped() {
	local i
	for i in $(seq 1 300); do
		[ "$("$RUNC" --root "$RUNC_ROOT" state "$1" 2>/dev/null | jq -r .status)" = stopped ] && return 0
		sleep 0.1
	done
	fail "container $1 did not stop"
}

@test "annotation topology-view container: only its node, cut to its cpuset, read-only; delete removes the tree" {
	split_machine
	view_bundle "$T/b" '{"numa-runtime.io/topology-view":"container","numa-runtime.io/nodes":"0"}'
	nr_detached create --bundle "$T/b" c1 || fail "create failed" "$(cat "$T/detached.err")"
	assert_equal "$(jq -r .linux.resources.cpu.cpus "$T/b/config.json")" 1 "the container's cpuset"
	[ -f "$(views_dir)/c1/node/node0/cpulist" ] || fail "no tree under $(views_dir)/c1"
	run --separate-stderr nr start c1
	assert_success
	wait_stopped c1
	run cat "$T/detached.out"
	echo "$output"
	assert_output_contains "online=0"
	assert_output_contains "possible=0"
	assert_output_contains "has_cpu=0"
	assert_output_contains "has_memory=0"
	assert_output_contains "has_normal_memory=0"
	assert_output_contains "node0/cpulist=1"
	assert_output_contains "node0/cpumap=2"
	assert_output_contains "node0/distance=10"
	assert_output_contains "ls=has_cpu has_memory has_normal_memory node0 online possible "
	assert_output_contains "meminfo=$(head -n 1 "$T/sys/devices/system/node/node0/meminfo")"
	[[ $output != *writable* ]] || fail "the view is writable" "$output"
	# The tree and node0/meminfo (the fixture has no numastat).
	[[ $output == *$'\n'2 || $output == 2 ]] || fail "not two mounts under /sys/devices/system/node" "$output"
	run --separate-stderr nr delete c1
	assert_success
	[ ! -e "$(views_dir)/c1" ] || fail "the tree is still there after delete" "$(find "$(views_dir)")"
}

@test "[placement] topology_view = container on this host's /sys: live meminfo, cpulist of its cpuset; gc removes the tree of a gone container" {
	CFG_EXTRA=$'topology_view = container\n'
	write_config
	view_bundle "$T/b" '{"numa-runtime.io/cpu-allocation":"exclusive"}'
	jq '.linux.resources.cpu = {"quota": 100000, "period": 100000}' "$T/b/config.json" >"$T/b/c.json" && mv "$T/b/c.json" "$T/b/config.json"
	run --separate-stderr timeout 60 "$NUMA_RUNTIME" --root "$RUNC_ROOT" run --bundle "$T/b" c2 </dev/null
	assert_success
	echo "$output"
	cpus=$(jq -r .linux.resources.cpu.cpus "$T/b/config.json")
	mems=$(jq -r .linux.resources.cpu.mems "$T/b/config.json")
	assert_equal "$mems" 0 "mems on this one-node host"
	assert_output_contains "online=0"
	assert_output_contains "node0/cpulist=$cpus"
	assert_output_contains "meminfo=Node 0 MemTotal:"
	assert_output_contains "$(head -n 1 /sys/devices/system/node/node0/meminfo)"
	[[ $output == *$'\n'3 ]] || fail "not three mounts (tree, meminfo, numastat)" "$output"
	# `run` without --detach: runc deleted the container itself, so no
	# `delete` came through numa-runtime; gc finds the entry dead.
	[ -d "$(views_dir)/c2" ] || fail "no tree for c2"
	run --separate-stderr nr gc
	assert_success
	assert_output_contains "removed 1 topology views of gone containers"
	[ ! -e "$(views_dir)/c2" ] || fail "gc left the tree of c2"
}

@test "the default (host) adds no mount and writes no tree; a create whose exec fails leaves no tree" {
	split_machine
	view_bundle "$T/b" '{"numa-runtime.io/nodes":"0"}'
	nr_detached create --bundle "$T/b" c3 || fail "create failed" "$(cat "$T/detached.err")"
	assert_equal "$(jq '[.mounts[] | select(.destination | startswith("/sys/devices"))] | length' "$T/b/config.json")" 0 "view mounts"
	[ ! -e "$(views_dir)" ] || fail "a tree without the view asked"
	run --separate-stderr nr delete --force c3
	assert_success

	# A runtime that cannot be exec'd: create rolls back, tree included.
	printf '#!/nonexistent/interpreter\n' >"$T/broken-runtime"
	chmod +x "$T/broken-runtime"
	use_runtime "$T/broken-runtime"
	view_bundle "$T/b4" '{"numa-runtime.io/topology-view":"container","numa-runtime.io/nodes":"0"}'
	cp "$T/b4/config.json" "$T/b4/before.json"
	run --separate-stderr nr create --bundle "$T/b4" c4
	assert_failure
	assert_file_same "$T/b4/before.json" "$T/b4/config.json"
	[ ! -e "$(views_dir)/c4" ] || fail "a failed create left its tree" "$(find "$(views_dir)")"
}

# pin_bundle DIR ANNOTATIONS_JSON: a busybox bundle running pin-cpus, with
# one exclusive CPU of this host's two.
pin_bundle() {
	busybox_bundle "$1" /bin/pin-cpus
	cp "$PIN_CPUS" "$1/rootfs/bin/pin-cpus"
	jq --argjson a "$2" '.annotations = $a | .linux.resources.cpu = {"quota": 100000, "period": 100000}' \
		"$1/config.json" >"$1/c.json" && mv "$1/c.json" "$1/config.json"
}

@test "a thread pinned to each CPU sysfs lists: EINVAL under the host's view, every pin takes under the container's" {
	PIN_CPUS=${PIN_CPUS:-$TESTS_DIR/progs/pin-cpus}
	if [ ! -x "$PIN_CPUS" ]; then
		PIN_CPUS=$T/pin-cpus
		cc -static -pthread -O2 -o "$PIN_CPUS" "$TESTS_DIR/progs/pin-cpus.c" ||
			nr_skip "cannot build a static tests/progs/pin-cpus (make check builds it)"
	fi
	[ "$(nproc --all)" -ge 2 ] || nr_skip "needs two CPUs, so that one container's cpuset leaves one out"
	pin_bundle "$T/host" '{"numa-runtime.io/cpu-allocation":"exclusive"}'
	run --separate-stderr timeout 60 "$NUMA_RUNTIME" --root "$RUNC_ROOT" run --bundle "$T/host" p1 </dev/null
	echo "host view: $output"
	assert_failure
	assert_output_contains "Invalid argument"
	pin_bundle "$T/view" '{"numa-runtime.io/cpu-allocation":"exclusive","numa-runtime.io/topology-view":"container"}'
	run --separate-stderr timeout 60 "$NUMA_RUNTIME" --root "$RUNC_ROOT" run --bundle "$T/view" p2 </dev/null
	echo "container view: $output"
	assert_success
	assert_output "pinned 1 threads: node 0 cpu $(jq -r .linux.resources.cpu.cpus "$T/view/config.json")"
}
