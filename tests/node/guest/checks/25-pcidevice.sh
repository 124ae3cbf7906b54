# shellcheck shell=bash
# A container handed a PCI function by environment, as the SR-IOV device
# plugin hands VFs over (PCIDEVICE_<RESOURCE>=<address>), lands on that
# function's node: the NVMe behind pxb on node 1, whose sysfs the guest
# kernel lays out.  One container run by ctr through containerd's runc
# shim (no pod sandbox: a pod follows its sandbox, which is the other
# half of issue 18), the round's runtime behind numa-runtime.
pcidev_addr=$(basename "$(readlink -f /sys/class/nvme/nvme0/device)")

pcidev_on_1() {
	local out
	out=$(timeout 180 ctr -n k8s.io run --rm --runc-binary /usr/local/bin/numa-runtime \
		--env "PCIDEVICE_NUMA_TEST_NVME=$pcidev_addr" "$TEST_IMAGE" "pcidev-$RT" \
		sh -c 'echo "NUMA_NODE=$NUMA_NODE"; grep Mems_allowed_list /proc/self/status' 2>&1) ||
		fail "ctr run failed: $out" || return
	echo "$out"
	expect_eq "$(sed -n 's/^NUMA_NODE=//p' <<<"$out")" 1 "NUMA_NODE inside" &&
		expect_eq "$(sed -n 's/^Mems_allowed_list:[[:space:]]*//p' <<<"$out")" 1 "Mems_allowed_list inside"
}
check "a container given the node-1 NVMe's PCI function $pcidev_addr by PCIDEVICE_* lands on node 1" pcidev_on_1
check "its ledger entry is gone after ctr run --rm" ledger_lacks "pcidev-$RT"
