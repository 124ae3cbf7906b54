# shellcheck shell=bash
# A create numa-runtime refuses under single-numa-node (two CPUs asked,
# each node has one): the CRI error carries numa-runtime's one-line reason
# and the ledger keeps nothing of the pod.
pod_out refuse
two_cpus='{"cpu_period":100000,"cpu_quota":200000,"cpu_shares":2048,"memory_limit_in_bytes":134217728}'
ann='{"numa-runtime.io/policy":"single-numa-node"}'
spec=$(pod_spec refuse guaranteed "$ann" "$(container_json refuse '' "$two_cpus")")

refused() {
	local before
	before=$(ledger_ids)
	! pod_up "$spec" 2>/dev/null || { pod_down; fail "the pod started"; return; }
	echo "CRI error: $POD_ERR"
	grep -q 'TopologyAffinityError: container [0-9a-f]* cannot be placed under policy single-numa-node: ' <<<"$POD_ERR" ||
		fail "the CRI error lacks numa-runtime's reason" || return
	expect_eq "$(ledger_ids)" "$before" "ledger after the refusal"
}
check "a create refused under single-numa-node shows numa-runtime's reason in the CRI error" refused
