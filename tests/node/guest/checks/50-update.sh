# shellcheck shell=bash
# UpdateContainerResources with a cpuset, as kubelet's CPU Manager
# reconcile loop sends the shared pool: the container stays on its node
# (inside and in its scope), and the other resources are applied.
pod_out upd
check "a pod to update starts" pod_up "$(pod_spec upd burstable '{}' "$(container_json upd)")" || return 0
id=$(pod_ctr upd)

update_keeps_node() {
	local n cpus cg
	n=$(result upd NUMA_NODE)
	cpus=$(node_cpus "$n")
	cri update "$id" '{"cpu_period":100000,"cpu_quota":150000,"cpu_shares":768,"memory_limit_in_bytes":268435456,"cpuset_cpus":"0-1"}' >/dev/null || return
	cg=$(cgroup_dir "$id")
	expect_eq "$(cat "$cg/cpu.max")" "150000 100000" "cpu.max after the update" || return
	expect_eq "$(cat "$cg/cpuset.cpus.effective")" "$cpus" "scope cpuset.cpus.effective after the update" || return
	expect_eq "$(cat "$cg/cpuset.mems.effective")" "$n" "scope cpuset.mems.effective after the update" || return
	sleep 2
	expect_eq "$(result upd Cpus_allowed_list)" "$cpus" "Cpus_allowed_list inside after the update" || return
	expect_eq "$(ledger_node "$id")" "$n" "ledger node after the update"
	echo "stayed on node $n (cpus $cpus)"
}
check "UpdateContainerResources with cpuset 0-1 keeps the container on its node" update_keeps_node
check "the pod is removed" pod_down
