# shellcheck shell=bash
# A pod lands on its devices' node as kubelet hands devices over: the
# sandbox first, with no device, then a container given the node-1 NVMe as
# a CRI device (linux.devices).  Without kubelet's knowledge the pod moves
# when that container comes: the sandbox's entry is re-placed and its scope
# updated through the runtime's `update`, and a later device-less container
# follows.  With kubelet's device manager checkpoint written before the pod
# (as kubelet writes it after the device plugin's Allocate) the sandbox
# lands on node 1 at once.
CHECKPOINT=/var/lib/kubelet/device-plugins/kubelet_internal_checkpoint
NVME_DEVICE='[{"host":"/dev/nvme0n1","container":"/dev/nvme-data","permissions":"r"}]'
# 0.4 CPU and 128 MiB a container: a node of this VM has one CPU, and a pod
# moves only when the whole of it (sandbox included) fits where it goes.
SMALL='{"cpu_period":100000,"cpu_quota":40000,"cpu_shares":410,"memory_limit_in_bytes":134217728}'

pod_out poddev
devpod=$(pod_spec poddev burstable '{}')
check "a pod's sandbox starts alone and lands on node 0 by load" pod_up "$devpod" || return 0
devpod_sid=$(pod_sandbox)
sandbox_on_0() { expect_eq "$(ledger_node "$devpod_sid")" 0 "the sandbox's ledger node"; }
check "the sandbox is on node 0 before any container" sandbox_on_0

# add_containers SID POD_SPEC CONTAINER_JSON...: CRI CreateContainer and
# StartContainer of each, in order, as kubelet does; POD as pod_up sets it.
add_containers() {
	local sid=$1 spec=$2 out
	shift 2
	spec=$(printf '%s\n' "$@" | jq -cs --argjson s "$spec" '$s + {containers: .}')
	out=$(cri add "$sid" "$spec") || fail "cri add: $out" || return
	POD=$(jq -c --arg s "$sid" '{sandbox_id: $s, containers: .containers}' <<<"$out")
}
check "a container given the node-1 NVMe, then a device-less one, are added to it" \
	add_containers "$devpod_sid" "$devpod" \
	"$(container_json dev "" "$SMALL" | jq -c --argjson d "$NVME_DEVICE" '.devices = $d')" \
	"$(container_json later "" "$SMALL")"

# on_node_1 SID: the sandbox's entry and scope, and both containers, on 1.
on_node_1() {
	local sid=$1 cpus cg c
	cpus=$(node_cpus 1)
	expect_eq "$(ledger_node "$sid")" 1 "the sandbox's ledger node" || return
	cg=$(cgroup_dir "$sid")
	expect_eq "$(cat "$cg/cpuset.cpus.effective")" "$cpus" "the sandbox's $cg/cpuset.cpus.effective" || return
	expect_eq "$(cat "$cg/cpuset.mems.effective")" 1 "the sandbox's $cg/cpuset.mems.effective" || return
	for c in dev later; do
		expect_eq "$(ledger_node "$(pod_ctr "$c")")" 1 "ledger node of $c" || return
		expect_eq "$(result "$c" NUMA_NODE)" 1 "NUMA_NODE inside $c" || return
		expect_eq "$(result "$c" Mems_allowed_list)" 1 "Mems_allowed_list inside $c" || return
		expect_eq "$(cat "$(cgroup_dir "$(pod_ctr "$c")")/cpuset.mems.effective")" 1 \
			"$c's scope cpuset.mems.effective" || return
	done
}
check "the pod moved: NVMe container, sandbox scope and the later container on node 1" \
	on_node_1 "$devpod_sid"
check "the moving pod is removed" pod_down

# kubelet's checkpoint, in its format, giving the pod's container "dev"
# the NVMe on node 1 under a made-up resource.
write_checkpoint() { # POD_UID
	mkdir -p "${CHECKPOINT%/*}" &&
		jq -cn --arg uid "$1" '{Data: {PodDeviceEntries: [
			{PodUID: $uid, ContainerName: "dev", ResourceName: "example.com/nvme",
			 DeviceIDs: {"1": ["nvme0n1"]}, AllocResp: "CgA="}],
			RegisteredDevices: {"example.com/nvme": ["nvme0n1"]}}, Checksum: 1}' >"$CHECKPOINT"
}
pod_out podckpt
ckpod=$(pod_spec podckpt burstable '{}')
check "kubelet's device checkpoint for the pod is written before it" write_checkpoint "$(jq -r .uid <<<"$ckpod")"
check "with the checkpoint, the pod's sandbox starts" pod_up "$ckpod" || { rm -f "$CHECKPOINT"; return 0; }
ckpod_sid=$(pod_sandbox)
sandbox_on_1() {
	expect_eq "$(ledger_node "$ckpod_sid")" 1 "the sandbox's ledger node" &&
		expect_eq "$(cat "$(cgroup_dir "$ckpod_sid")/cpuset.mems.effective")" 1 "the sandbox's cpuset.mems.effective"
}
check "the sandbox lands on node 1 directly, from kubelet's checkpoint" sandbox_on_1
check "its NVMe container and a later one are added" add_containers "$ckpod_sid" "$ckpod" \
	"$(container_json dev | jq -c --argjson d "$NVME_DEVICE" '.devices = $d')" \
	"$(container_json later)"
check "all of it is on node 1" on_node_1 "$ckpod_sid"
rm -f "$CHECKPOINT"
check "the checkpoint pod is removed" pod_down

# The SR-IOV network device plugin's way: no device node, only the PCI
# function's address in the container's env (PCIDEVICE_<RESOURCE>); the
# NVMe's function on node 1 stands in for a VF.  The pod moves as for a
# device.
nvme_pci=$(basename "$(readlink -f /sys/class/nvme/nvme0/device)")
pod_out podpci
pcipod=$(pod_spec podpci burstable '{}')
check "a pod's sandbox starts alone (PCIDEVICE case)" pod_up "$pcipod" || return 0
pcipod_sid=$(pod_sandbox)
check "a container given the NVMe's PCI function $nvme_pci by PCIDEVICE_*, then a device-less one, are added" \
	add_containers "$pcipod_sid" "$pcipod" \
	"$(container_json dev "" "$SMALL" | jq -c --arg a "$nvme_pci" '. + {env: {PCIDEVICE_EXAMPLE_COM_NVME: $a}}')" \
	"$(container_json later "" "$SMALL")"
check "the pod moved to the PCI function's node: its container, the sandbox scope and the later container on node 1" \
	on_node_1 "$pcipod_sid"
check "the PCIDEVICE pod is removed" pod_down
