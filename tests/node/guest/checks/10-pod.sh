# shellcheck shell=bash
# A burstable pod (sandbox + two containers) under kubelet's systemd slice:
# one node for all three; each container sees it from the inside
# (NUMA_NODE, Cpus/Mems_allowed_list) and its scope agrees from the host
# side (cpuset.*.effective, systemd's AllowedCPUs/AllowedMemoryNodes).
pod_out pod
spec=$(pod_spec pod burstable '{}' "$(container_json app)" "$(container_json sidecar)")
check "a pod with two containers starts through handler numa" pod_up "$spec" || return 0
sid=$(pod_sandbox)

same_node() {
	local n c id
	n=$(ledger_node "$sid")
	[ -n "$n" ] || fail "the sandbox $sid has no ledger entry" "$(ledger_doc)" || return
	for c in app sidecar; do
		id=$(pod_ctr "$c")
		expect_eq "$(ledger_node "$id")" "$n" "ledger node of $c" || return
		expect_eq "$(result "$c" NUMA_NODE)" "$n" "NUMA_NODE inside $c" || return
	done
	echo "pod on node $n"
}
check "sandbox and both containers share one node (ledger and NUMA_NODE)" same_node

inside_and_scope() { # NAME
	local id n cpus cg
	id=$(pod_ctr "$1")
	n=$(result "$1" NUMA_NODE)
	cpus=$(node_cpus "$n")
	expect_eq "$(result "$1" Cpus_allowed_list)" "$cpus" "Cpus_allowed_list inside" || return
	expect_eq "$(result "$1" Mems_allowed_list)" "$n" "Mems_allowed_list inside" || return
	cg=$(cgroup_dir "$id")
	case $cg in
	*/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod*.slice/cri-containerd-"$id".scope) ;;
	*) fail "cgroup $cg is not kubelet's systemd layout" || return ;;
	esac
	expect_eq "$(cat "$cg/cpuset.cpus.effective")" "$cpus" "$cg/cpuset.cpus.effective" || return
	expect_eq "$(cat "$cg/cpuset.mems.effective")" "$n" "$cg/cpuset.mems.effective" || return
	expect_eq "$(scope_prop "$id" AllowedCPUs)" "$cpus" "systemctl show -p AllowedCPUs" || return
	expect_eq "$(scope_prop "$id" AllowedMemoryNodes)" "$n" "systemctl show -p AllowedMemoryNodes"
}
check "app: placement inside equals its scope's cpuset and systemd's Allowed*" inside_and_scope app
check "sidecar: placement inside equals its scope's cpuset and systemd's Allowed*" inside_and_scope sidecar

gone() {
	local ids scopes
	ids="$sid $(pod_ctr app) $(pod_ctr sidecar)"
	pod_down || return
	for id in $ids; do
		ledger_lacks "$id" || fail "ledger still holds $id" || return
		scopes=$(scopes_left "$(scope_of "$id")")
		[ -z "$scopes" ] || fail "scope left behind: $scopes" || return
	done
}
check "removing the pod releases its three entries and its scopes" gone
