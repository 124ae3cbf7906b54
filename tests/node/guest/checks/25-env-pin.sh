# shellcheck shell=bash
# numa-resource-plugin's case: its Allocate answers with NUMA_NODE=1 in the
# container's envs (the node the scheduler counted the pod's device on),
# which reach config.json through CRI.  numa-runtime takes it as a pin
# request: the container runs on node 1 (inside and in its scope), the
# ledger says what pinned it, and the env still says 1.  The sandbox, with
# no such env, is placed as any (node 0 on this empty node), so the
# container does not simply follow its pod.
pod_out envpin
ctr=$(container_json app | jq -c '. + {env: {NUMA_NODE: "1"}}')
spec=$(pod_spec envpin burstable '{}' "$ctr")
check "a pod whose container carries NUMA_NODE=1 in its CRI envs starts" pod_up "$spec" || return 0

on_node_1() {
	local id cg
	id=$(pod_ctr app)
	cg=$(cgroup_dir "$id")
	echo "sandbox on node $(ledger_node "$(pod_sandbox)")"
	expect_eq "$(result app NUMA_NODE)" 1 "NUMA_NODE inside" &&
		expect_eq "$(result app Cpus_allowed_list)" "$(node_cpus 1)" "Cpus_allowed_list inside" &&
		expect_eq "$(result app Mems_allowed_list)" 1 "Mems_allowed_list inside" &&
		expect_eq "$(cat "$cg/cpuset.mems.effective")" 1 "scope cpuset.mems.effective" &&
		expect_eq "$(ledger_node "$id")" 1 "ledger node" &&
		expect_eq "$(ledger_doc | jq -r --arg id "$id" '.containers[] | select(.id == $id) | .pinned_by')" \
			"env NUMA_NODE" "ledger pinned_by"
}
check "NUMA_NODE=1 from the CRI envs pins the container to node 1 (inside, scope, ledger)" on_node_1

check "removing the NUMA_NODE pod" pod_down
