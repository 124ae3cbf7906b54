# shellcheck shell=bash
# The memory policy goes through the runtime when it can: with crun (its
# `features` lists linux.memoryPolicy) config.json carries
# linux.memoryPolicy and numa-runtime makes no set_mempolicy call; with runc
# 1.3 (no memoryPolicy in `features`) numa-runtime calls set_mempolicy just
# before exec'ing runc.  Never both.  Inside, the container's policy is
# MPOL_BIND on its node either way.  The kernel's syscall tracepoints
# (tracefs) watch set_mempolicy and exec while the container is added to a
# running sandbox: a call is
# numa-runtime's own when the task exec'd numa-runtime and not yet the
# runtime.
pod_out mpol
spec=$(pod_spec mpol burstable '{}' "$(container_json mp)")
sandbox_only=$(jq -c '.containers = []' <<<"$spec")
check "the sandbox of a pod starts" pod_up "$sandbox_only" || return 0
sid=$(pod_sandbox)
trace=$OUT_ROOT/$RT-mpol.trace

features_say() {
	local listed
	listed=$("$RT" features | jq -r '.linux.memoryPolicy // empty | length > 0')
	case $RT in
	crun) expect_eq "$listed" true "crun features lists linux.memoryPolicy" ;;
	runc) expect_eq "$listed" "" "runc 1.3 features lists no linux.memoryPolicy" ;;
	esac
}
check "$RT features: memoryPolicy $([ "$RT" = crun ] && echo listed || echo absent)" features_say

traced_start() {
	traced_add "$sid" "$spec" "$trace" || return
	result mp NUMA_NODE >/dev/null
}
check "a container added to it with set_mempolicy and exec traced" traced_start || { cri down "$sid"; return 0; }
mp=$(pod_ctr mp)

via_runtime() {
	local mpol calls n
	n=$(result mp NUMA_NODE)
	mpol=$(jq -c '.linux.memoryPolicy // empty' "$(bundle_config "$mp")")
	nr_then_runtime "$trace" "$(command -v "$RT")" ||
		fail "the trace shows no exec of numa-runtime followed by $RT" "$(head -n 20 "$trace")" || return
	calls=$(mempolicy_calls "$trace")
	case $RT in
	crun)
		expect_eq "$mpol" "{\"mode\":\"MPOL_BIND\",\"nodes\":\"$n\",\"flags\":[\"MPOL_F_STATIC_NODES\"]}" "linux.memoryPolicy in config.json" || return
		[ -z "$calls" ] || fail "numa-runtime called set_mempolicy although crun applies the policy:" "$calls"
		;;
	*)
		[ -z "$mpol" ] || fail "config.json carries linux.memoryPolicy $mpol for runc 1.3, which ignores it" || return
		# MPOL_BIND (2) | MPOL_F_STATIC_NODES (0x8000), by the task that
		# then exec'd runc.
		local pid
		pid=$(awk '$2 ~ /^(0x)?0*8002$/ { print $1; exit }' <<<"$calls")
		[ -n "$pid" ] || fail "numa-runtime made no set_mempolicy(MPOL_BIND|MPOL_F_STATIC_NODES):" \
			"${calls:-no call}" "$(head -n 30 "$trace")" || return
		grep -q "sched_process_exec: filename=/usr/sbin/runc pid=$pid " "$trace" ||
			fail "the task $pid that called set_mempolicy did not exec runc" "$(head -n 30 "$trace")"
		;;
	esac
}
check "$([ "$RT" = crun ] && echo "config.json carries linux.memoryPolicy, numa-runtime makes no set_mempolicy" ||
	echo "no linux.memoryPolicy in config.json, numa-runtime calls set_mempolicy before exec'ing runc")" via_runtime

inside_policy() {
	local n
	n=$(result mp NUMA_NODE)
	result mp mempolicy | grep -Eq "^mode=MPOL_BIND flags=[^ ]+ nodes=$n\$" ||
		fail "policy inside: $(result mp mempolicy), expected MPOL_BIND on node $n"
	result mp mempolicy
}
check "inside, get_mempolicy says MPOL_BIND on the container's node" inside_policy
check "the pod is removed" pod_down
