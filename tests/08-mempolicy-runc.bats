#!/usr/bin/env bats
# Memory policy with the real runc (root): the set_mempolicy path (runc 1.1
# does not know linux.memoryPolicy) and the seccomp rule that lets numactl
# work inside a container with a default-style profile.

load policy-helpers

GETMEMPOLICY=${GETMEMPOLICY:-$TESTS_DIR/progs/getmempolicy}

setup() {
	nr_setup # the real runc, the host's /sys
	require_root
	require_runc
	require_busybox
	if [ ! -x "$GETMEMPOLICY" ]; then
		GETMEMPOLICY=$T/getmempolicy
		cc -static -O2 -o "$GETMEMPOLICY" "$TESTS_DIR/progs/getmempolicy.c" ||
			nr_skip "cannot build a static tests/progs/getmempolicy (make check builds it)"
	fi
}

teardown() { nr_teardown; }

# bundle_with_probe DIR JQ_FILTER ARG...: busybox bundle with getmempolicy
# in /bin, edited by JQ_FILTER.
bundle_with_probe() {
	local dir=$1 filter=$2
	shift 2
	busybox_bundle "$dir" "$@"
	cp "$GETMEMPOLICY" "$dir/rootfs/bin/getmempolicy"
	edit_config "$dir" "$filter"
}

# run_container ID BUNDLE: `numa-runtime run`, output in $output.
run_container() {
	run --separate-stderr timeout 60 "$NUMA_RUNTIME" --root "$RUNC_ROOT" --log "$T/log.json" \
		run --bundle "$2" "$1" </dev/null
}

# runc_knows_memory_policy: runc >= 1.5 lists linux.memoryPolicy in its
# features; numa-runtime then writes the field instead of calling
# set_mempolicy, and the flags differ (static nodes only on our path).
runc_knows_memory_policy() {
	"$RUNC" features 2>/dev/null | jq -e '.linux.memoryPolicy' >/dev/null
}

@test "the container starts bound to its node (set_mempolicy for runc without linux.memoryPolicy)" {
	bundle_with_probe "$T/b" . sh -c 'getmempolicy; grep Mems_allowed_list /proc/self/status'
	run_container c1 "$T/b"
	assert_success
	node=$(jq -r '.linux.resources.cpu.mems' "$T/b/config.json")
	if runc_knows_memory_policy; then
		assert_equal "$(jq -c '.linux.memoryPolicy' "$T/b/config.json")" "{\"mode\":\"MPOL_BIND\",\"nodes\":\"$node\",\"flags\":[\"MPOL_F_STATIC_NODES\"]}"
		assert_contains "$output" "mode=MPOL_BIND flags=- nodes=$node"
	else
		assert_equal "$(jq -c '.linux.memoryPolicy' "$T/b/config.json")" null "linux.memoryPolicy in config.json"
		assert_contains "$output" "mode=MPOL_BIND flags=static nodes=$node"
	fi
	assert_contains "$output" "Mems_allowed_list:	$node"
}

@test "the memory-policy annotation reaches the container (preferred)" {
	bundle_with_probe "$T/b" '.annotations = {"numa-runtime.io/memory-policy": "preferred"}' getmempolicy
	run_container c1 "$T/b"
	assert_success
	assert_contains "$output" "mode=MPOL_PREFERRED"
	assert_contains "$output" "nodes=0"
}

@test "set_mempolicy inside a container with a default-style seccomp profile works (rule added)" {
	bundle_with_probe "$T/b" "$(seccomp_default_style)" getmempolicy --bind 0
	run_container c1 "$T/b"
	assert_success
	assert_contains "$output" "mode=MPOL_BIND flags=- nodes=0"
	assert_equal "$(jq -c '.linux.seccomp.syscalls[-1].names' "$T/b/config.json")" \
		'["mbind","set_mempolicy","get_mempolicy","set_mempolicy_home_node"]'
}

@test "numactl --membind=0 works inside a container with a default-style seccomp profile" {
	command -v numactl >/dev/null || nr_skip "needs numactl on the host (copied into the rootfs)"
	bundle_with_probe "$T/b" "$(seccomp_default_style)" numactl --membind=0 getmempolicy
	copy_with_libs "$T/b/rootfs" "$(command -v numactl)"
	run_container c1 "$T/b"
	assert_success
	assert_contains "$output" "mode=MPOL_BIND"
}

@test "numactl --membind=0 fails with EPERM there when [seccomp] allow_mempolicy = false" {
	command -v numactl >/dev/null || nr_skip "needs numactl on the host (copied into the rootfs)"
	config_extra $'[seccomp]\nallow_mempolicy = false'
	bundle_with_probe "$T/b" "$(seccomp_default_style)" numactl --membind=0 true
	copy_with_libs "$T/b/rootfs" "$(command -v numactl)"
	run_container c1 "$T/b"
	assert_failure
	assert_contains "$output$stderr" "set_mempolicy: Operation not permitted"

	# The static probe says the same: the rule is what makes the difference.
	bundle_with_probe "$T/b2" "$(seccomp_default_style)" getmempolicy --bind 0
	run_container c2 "$T/b2"
	assert_failure 1
	assert_contains "$output" "set_mempolicy: Operation not permitted"
}
