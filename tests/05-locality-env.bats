#!/usr/bin/env bats
# Devices handed over other than by a plain linux.devices entry, end to
# end: numa-runtime create on the dgx and gb200-gi machines of
# tests/fixtures/gen-sysfs.sh with tests/fake-runtime.  dgx: node 0 holds
# GPUs 0-3 in bus order (0000:07, 0f, 47, 4e; minors 6 7 4 5), node 1
# GPUs 4-7 (0000:87, 90, b7, bd; minors 2 3 0 1), the ConnectX VFs
# 0000:8b:00.1-3 (00.3 in a no-IOMMU group) and the AMD GPU's CPX
# partitions.  An empty ledger alone would place on node 0, so every
# "lands on node 1" is the device's doing.

load helpers

setup_file() {
	DGX=$BATS_FILE_TMPDIR/dgx
	GI=$BATS_FILE_TMPDIR/gb200-gi
	sh "$FIXTURES/gen-sysfs.sh" dgx "$DGX"
	sh "$FIXTURES/gen-sysfs.sh" gb200-gi "$GI"
	export DGX GI
}

setup() {
	nr_setup
	use_fake_runtime
	use_machine "$DGX"
	LOG=$T/log.json
	NODE0_CPUS=$(cat "$DGX/sys/devices/system/node/node0/cpulist")
	NODE1_CPUS=$(cat "$DGX/sys/devices/system/node/node1/cpulist")
}

# bundle DIR ENV_JSON [DEVICES_JSON [JQ_EXTRA]]: a spec_bundle whose
# process.env gets ENV_JSON's entries and linux.devices DEVICES_JSON.
bundle() {
	spec_bundle "$1"
	jq --argjson env "$2" --argjson devices "${3:-[]}" \
		".process.env += \$env | .linux.devices = \$devices ${4:+| $4}" \
		"$1/config.json" >"$1/config.json.new" && mv "$1/config.json.new" "$1/config.json"
}

create() {
	run --separate-stderr nr --debug --log "$LOG" --log-format json create --bundle "$2" "$1"
}

create_ok() {
	create "$@"
	assert_success
}

log_has() {
	jq -r --arg level "$1" 'select(.level == $level) | .msg' "$LOG" | grep -qF -- "$2" ||
		fail "no $1 line in the log with: $2" "log:" "$(cat "$LOG" 2>/dev/null)"
}

# The GPU with minor 0 (0000:b7:00.0, node 1) and bus index 0 (node 0).
UUID_NODE1=GPU-5eed0000-0000-4000-8000-000000000001
UUID_NODE0=GPU-5eed0006-0000-4000-8000-000000000007

@test "a single container with NVIDIA_VISIBLE_DEVICES=<uuid of a node-1 GPU> lands on node 1, under every policy" {
	for policy in best-effort restricted single-numa-node; do
		use_machine "$DGX" "$policy"
		bundle "$T/b-$policy" "[\"NVIDIA_VISIBLE_DEVICES=$UUID_NODE1\"]"
		create_ok "c-$policy" "$T/b-$policy"
		assert_placed "$(fake_config "c-$policy")" 1 "$NODE1_CPUS"
	done
	log_has debug "locality hint node 1: gpu $UUID_NODE1 (NVIDIA_VISIBLE_DEVICES, 0000:b7:00.0)"
}

@test "NVIDIA_VISIBLE_DEVICES indices are bus order, not minors, and beat load" {
	# Node 1 gets busy first; GPU 7 still pulls there, GPU 0 to node 0
	# although /dev/nvidia0 is on node 1.
	bundle "$T/b1" '["NVIDIA_VISIBLE_DEVICES=7"]'
	create_ok c1 "$T/b1"
	assert_placed "$(fake_config c1)" 1 "$NODE1_CPUS"
	bundle "$T/b2" '["NVIDIA_VISIBLE_DEVICES=5"]'
	create_ok c2 "$T/b2"
	assert_placed "$(fake_config c2)" 1 "$NODE1_CPUS"
	bundle "$T/b3" '["NVIDIA_VISIBLE_DEVICES=0"]'
	create_ok c3 "$T/b3"
	assert_placed "$(fake_config c3)" 0 "$NODE0_CPUS"
}

@test "MIG devices and the volume-mounts strategy count as their GPU" {
	bundle "$T/b1" "[\"NVIDIA_VISIBLE_DEVICES=MIG-$UUID_NODE1/2/0\"]"
	create_ok c1 "$T/b1"
	assert_placed "$(fake_config c1)" 1 "$NODE1_CPUS"
	bundle "$T/b2" '["NVIDIA_VISIBLE_DEVICES=6:1"]'
	create_ok c2 "$T/b2"
	assert_placed "$(fake_config c2)" 1 "$NODE1_CPUS"
	bundle "$T/b3" '[]' '[]' '.mounts += [{"destination": "/var/run/nvidia-container-devices/'"$UUID_NODE1"'",
		"type": "bind", "source": "/dev/null", "options": ["bind", "ro"]}]'
	create_ok c3 "$T/b3"
	assert_placed "$(fake_config c3)" 1 "$NODE1_CPUS"
	log_has debug "locality hint node 1: gpu $UUID_NODE1 (volume-mounts, 0000:b7:00.0)"
}

@test "all, none, void and empty NVIDIA_VISIBLE_DEVICES give no hint" {
	for v in all none void ''; do
		bundle "$T/b-$v" "[\"NVIDIA_VISIBLE_DEVICES=$v\"]"
		create_ok "c-$v" "$T/b-$v"
	done
	! grep -q "locality hint" "$LOG" || fail "a hint: $(grep "locality hint" "$LOG")"
}

@test "a VF named by PCIDEVICE_* pulls the container to its node; its _INFO twin is not read" {
	bundle "$T/b1" '["PCIDEVICE_INTEL_COM_SRIOV_NETDEVICE=0000:8b:00.1",
		"PCIDEVICE_INTEL_COM_SRIOV_NETDEVICE_INFO={\"0000:07:00.0\":{}}"]'
	create_ok c1 "$T/b1"
	assert_placed "$(fake_config c1)" 1 "$NODE1_CPUS"
	log_has debug "locality hint node 1: pci 0000:8b:00.1 (PCIDEVICE_INTEL_COM_SRIOV_NETDEVICE)"
}

@test "a VFIO no-IOMMU group and an AMD CPX partition pull the container to their node" {
	use_machine "$DGX" single-numa-node
	bundle "$T/b1" '[]' '[{"path": "/dev/vfio/noiommu-53", "type": "c", "major": 244, "minor": 1}]'
	create_ok c1 "$T/b1"
	assert_placed "$(fake_config c1)" 1 "$NODE1_CPUS"
	bundle "$T/b2" '[]' '[{"path": "/dev/dri/renderD137", "type": "c", "major": 226, "minor": 137}]'
	create_ok c2 "$T/b2"
	assert_placed "$(fake_config c2)" 1 "$NODE1_CPUS"
	log_has debug "locality hint node 1: gpu partition /dev/dri/renderD137 (kfd node 3, 0000:d3:00.0)"
}

@test "GPUs on both nodes by environment: refused under single-numa-node; restricted and best-effort span both nodes" {
	local policy=single-numa-node
	use_machine "$DGX" "$policy"
	bundle "$T/b-$policy" '["NVIDIA_VISIBLE_DEVICES=0,7"]'
	cp "$T/b-$policy/config.json" "$T/before"
	run --separate-stderr nr_raw --log "$LOG" --log-format json create --bundle "$T/b-$policy" "c-$policy"
	assert_refusal
	[[ $stderr == *"gpu 0 (NVIDIA_VISIBLE_DEVICES, 0000:07:00.0) on node 0"*"gpu 7 (NVIDIA_VISIBLE_DEVICES, 0000:bd:00.0) on node 1"* ]] ||
		fail "the refusal does not name both GPUs: $stderr"
	assert_file_same "$T/b-$policy/config.json" "$T/before"
	assert_runtime_not_called
	# Issue 18 §4: a container with devices on several nodes spans exactly
	# those nodes where the policy allows it.
	for policy in restricted best-effort; do
		use_machine "$DGX" "$policy"
		bundle "$T/b-$policy" '["NVIDIA_VISIBLE_DEVICES=0,7"]'
		create_ok "c-$policy" "$T/b-$policy"
		assert_equal "$(cfg_mems "$(fake_config "c-$policy")")" 0-1 "mems under $policy"
	done
}

@test "a privileged container holding every GPU is placed by load under single-numa-node" {
	use_machine "$DGX" single-numa-node
	local caps devices
	caps=$(jq -nc '[range(0; 41)] | map(["CAP_CHOWN","CAP_DAC_OVERRIDE","CAP_DAC_READ_SEARCH",
		"CAP_FOWNER","CAP_FSETID","CAP_KILL","CAP_SETGID","CAP_SETUID","CAP_SETPCAP",
		"CAP_LINUX_IMMUTABLE","CAP_NET_BIND_SERVICE","CAP_NET_BROADCAST","CAP_NET_ADMIN",
		"CAP_NET_RAW","CAP_IPC_LOCK","CAP_IPC_OWNER","CAP_SYS_MODULE","CAP_SYS_RAWIO",
		"CAP_SYS_CHROOT","CAP_SYS_PTRACE","CAP_SYS_PACCT","CAP_SYS_ADMIN","CAP_SYS_BOOT",
		"CAP_SYS_NICE","CAP_SYS_RESOURCE","CAP_SYS_TIME","CAP_SYS_TTY_CONFIG","CAP_MKNOD",
		"CAP_LEASE","CAP_AUDIT_WRITE","CAP_AUDIT_CONTROL","CAP_SETFCAP","CAP_MAC_OVERRIDE",
		"CAP_MAC_ADMIN","CAP_SYSLOG","CAP_WAKE_ALARM","CAP_BLOCK_SUSPEND","CAP_AUDIT_READ",
		"CAP_PERFMON","CAP_BPF","CAP_CHECKPOINT_RESTORE"][.])')
	devices=$(jq -nc '[range(0; 8)] | map({path: "/dev/nvidia\(.)", type: "c", major: 195, minor: .})')
	bundle "$T/b1" '[]' "$devices" ".process.capabilities.bounding = $caps | .linux.maskedPaths = []"
	create_ok c1 "$T/b1"
	assert_placed "$(fake_config c1)" 0 "$NODE0_CPUS"
	log_has debug "container c1: privileged: linux.devices gives no locality hint"
	# The same devices without privilege: GPUs on two nodes, refused.
	bundle "$T/b2" '[]' "$devices"
	run --separate-stderr nr_raw --log "$LOG" --log-format json create --bundle "$T/b2" c2
	assert_refusal
}

@test "a GPU whose numa_node is its own CPU-less memory node counts for the nearest CPU node" {
	use_machine "$GI" single-numa-node
	NODE1_CPUS=$(cat "$GI/sys/devices/system/node/node1/cpulist")
	bundle "$T/b1" '[]' '[{"path": "/dev/nvidia3", "type": "c", "major": 195, "minor": 3}]'
	create_ok c1 "$T/b1"
	assert_placed "$(fake_config c1)" 1 "$NODE1_CPUS"
	log_has debug "locality hint node 1: gpu /dev/nvidia3 (0039:01:00.0, nearest to node 26)"
	bundle "$T/b2" '["NVIDIA_VISIBLE_DEVICES=2"]'
	create_ok c2 "$T/b2"
	assert_placed "$(fake_config c2)" 1 "$NODE1_CPUS"
}

@test "a numa_node naming no node of the host is a warning" {
	cp -a "$DGX" "$T/machine"
	echo 5 >"$T/machine/sys/bus/pci/devices/0000:bd:00.0/numa_node"
	use_machine "$T/machine" single-numa-node
	bundle "$T/b1" '["NVIDIA_VISIBLE_DEVICES=7"]'
	create_ok c1 "$T/b1"
	log_has warning "container c1: 0000:bd:00.0: numa_node 5 is no node of this host"
}

@test "hostile environment values are warnings under single-numa-node, and place by load" {
	use_machine "$DGX" single-numa-node
	local huge
	huge=$(head -c 5000 /dev/zero | tr '\0' '1')
	bundle "$T/b1" "[\"NVIDIA_VISIBLE_DEVICES=$huge\", \"NVIDIA_VISIBLE_DEVICES=GPU-../../etc\",
		\"PCIDEVICE_X=/sys/../etc/passwd\", \"PCIDEVICE_Y=0000:8b:00.1,$(printf '0000:8b:00.1,%.0s' {1..70})\"]"
	create_ok c1 "$T/b1"
	assert_placed "$(fake_config c1)" 0 "$NODE0_CPUS"
	log_has warning "environment NVIDIA_VISIBLE_DEVICES: a value over 4096 bytes"
	log_has warning "environment NVIDIA_VISIBLE_DEVICES: item 1: not a GPU index or UUID"
	log_has warning "environment PCIDEVICE_X: item 1: not a PCI address"
	log_has warning "environment PCIDEVICE_Y: more than 64 devices"
}
