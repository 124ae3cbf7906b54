# shellcheck shell=bash
# The Elasticsearch-on-NVMe case: a container bind-mounting the NVMe's
# filesystem lands on the NVMe's node (1) and the 64 MiB it touches sit
# there (memory.numa_stat of its scope); a plain container started next to
# it goes to the other node (0).
#
# Over CRI the sandbox is created (and placed) before any container, and
# the pod's containers follow it; the sandbox's config.json holds none of
# the containers' mounts.  So the pod names its storage with the
# numa-runtime.io/volumes annotation, which reaches the sandbox: sysfs
# then says where that storage is.  The container's own bind mount points
# to the same node.
pod_out nvme
big='{"cpu_period":100000,"cpu_quota":100000,"cpu_shares":512,"memory_limit_in_bytes":536870912}'
data='[{"host":"/mnt/nvme/data","container":"/data"}]'
spec=$(pod_spec nvme burstable '{"numa-runtime.io/volumes":"/mnt/nvme/data"}' \
	"$(container_json es '/t/touch-mem 64 > /out/touch.txt 2>&1 &' "$big" "$data")")
check "a pod bind-mounting the NVMe's filesystem starts" pod_up "$spec" || return 0
nvme_pod=$POD
es=$(pod_ctr es)

on_nvme_node() {
	expect_eq "$(ledger_node "$(pod_sandbox)")" 1 "the sandbox's ledger node" &&
		expect_eq "$(result es NUMA_NODE)" 1 "NUMA_NODE inside" &&
		expect_eq "$(result es Mems_allowed_list)" 1 "Mems_allowed_list inside" &&
		expect_eq "$(cat "$(cgroup_dir "$es")/cpuset.mems.effective")" 1 "scope cpuset.mems.effective" &&
		expect_eq "$(ledger_node "$es")" 1 "ledger node"
}
check "the NVMe pod (sandbox and container) is placed on the NVMe's node 1" on_nvme_node

numa_stat_on_1() {
	wait_for 120 grep -q ready "$POD_OUT/touch.txt" || fail "touch-mem not ready" "$(cat "$POD_OUT/touch.txt")" || return
	local stat anon n1 total
	stat=$(cat "$(cgroup_dir "$es")/memory.numa_stat")
	anon=$(grep '^anon ' <<<"$stat")
	n1=$(tr ' ' '\n' <<<"$anon" | sed -n 's/^N1=//p')
	total=$(tr ' ' '\n' <<<"$anon" | awk -F= '/^N[0-9]+=/ { t += $2 } END { print t + 0 }')
	echo "memory.numa_stat: $anon"
	[ "$n1" -ge $((64 * 1024 * 1024 * 99 / 100)) ] || fail "only $n1 bytes of anon memory on node 1 ($anon)" || return
	[ $((n1 * 100)) -ge $((total * 99)) ] || fail "node 1 holds less than 99% of the anon memory ($anon)"
}
check ">= 99% of the 64 MiB the NVMe container touches is on node 1 (memory.numa_stat)" numa_stat_on_1

plain_on_0() {
	POD_OUT=$OUT_ROOT/$RT-plain
	mkdir -p "$POD_OUT"
	pod_up "$(pod_spec plain burstable '{}' "$(container_json plain)")" || return
	local n
	n=$(result plain NUMA_NODE)
	pod_down
	expect_eq "$n" 0 "NUMA_NODE of the plain container"
}
check "a plain container next to it goes to node 0" plain_on_0
POD=$nvme_pod
check "the NVMe pod is removed" pod_down
