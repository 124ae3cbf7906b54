#!/usr/bin/env bats
# A pod lands on its devices' node, as kubelet hands devices over: the
# sandbox first, without devices, then a container with one.  On the
# two-socket machine of tests/fixtures/gen-sysfs.sh (GPU 1 and nvme1n1 on
# node 1, GPU 0 on node 0), generated at test time, with tests/fake-runtime
# recording every call numa-runtime makes, the runtime's `update`s too.
# kubelet's device manager checkpoint is built in kubelet's format
# (tests/fixtures/kubelet/README).

load helpers

setup_file() {
	MACHINE=$BATS_FILE_TMPDIR/two-socket
	sh "$FIXTURES/gen-sysfs.sh" two-socket "$MACHINE"
	export MACHINE
}

POD_UID=6d6a3c1e-0f5b-4b8e-9a51-2c3d4e5f6a7b
GPU1='[{"path": "/dev/nvidia1", "type": "c", "major": 195, "minor": 1}]'
GPU0='[{"path": "/dev/nvidia0", "type": "c", "major": 195, "minor": 0}]'

setup() {
	nr_setup
	use_fake_runtime
	KUBELET=$T/kubelet
	mkdir -p "$KUBELET/device-plugins"
	pod_config best-effort
	LOG=$T/log.json
	NODE0_CPUS=$(cat "$MACHINE/sys/devices/system/node/node0/cpulist")
	NODE1_CPUS=$(cat "$MACHINE/sys/devices/system/node/node1/cpulist")
}

# pod_config POLICY [EXTRA]: the machine, POLICY, kubelet's root in $KUBELET.
pod_config() {
	CFG_SYSFS=$MACHINE/sys
	CFG_POLICY=$1
	CFG_EXTRA=${2:-}
	write_config
	printf '\n[topology]\nproc_root = %s\n\n[kubelet]\nroot = %s\n' \
		"${PROC:-$MACHINE/proc}" "$KUBELET" >>"$NUMA_RUNTIME_CONFIG"
}

# pod_bundle DIR TYPE DEVICES [MILLICPUS]: a bundle of the pod "sb" as
# containerd's CRI writes it: TYPE sandbox or container.
pod_bundle() {
	local quota=$((${4:-500} * 100))
	spec_bundle "$1"
	jq --arg type "$2" --argjson devices "$3" --arg uid "$POD_UID" --argjson quota "$quota" '
		.linux.devices = $devices
		| .linux.resources.cpu = {quota: $quota, period: 100000}
		| .annotations = {"io.kubernetes.cri.container-type": $type,
			"io.kubernetes.cri.sandbox-id": "sb",
			"io.kubernetes.cri.sandbox-uid": $uid}
		| if $type == "container" then .annotations["io.kubernetes.cri.container-name"] = "app" else . end' \
		"$1/config.json" >"$1/config.json.new" && mv "$1/config.json.new" "$1/config.json"
}

create() {
	run --separate-stderr nr --log "$LOG" --log-format json create --bundle "$2" "$1"
}

# update_calls ID: the runtime's update calls for ID, one JSON argv a line.
update_calls() {
	[ -f "$FAKE_RUNTIME_LOG" ] || return 0
	jq -c --arg id "$1" 'select(index("update") != null and .[-1] == $id)' "$FAKE_RUNTIME_LOG"
}

# checkpoint NODE [UID]: kubelet's checkpoint giving container "app" of
# the pod GPU-1 on NODE.
checkpoint() {
	jq -cn --arg uid "${2:-$POD_UID}" --arg node "$1" '{Data: {PodDeviceEntries: [
		{PodUID: $uid, ContainerName: "app", ResourceName: "nvidia.com/gpu",
		 DeviceIDs: {($node): ["GPU-1"]}, AllocResp: "CgA="}],
		RegisteredDevices: {"nvidia.com/gpu": ["GPU-0", "GPU-1"]}}, Checksum: 1}' \
		>"$KUBELET/device-plugins/kubelet_internal_checkpoint"
}

@test "a sandbox, then a node-1 device: the pod moves to node 1 and its sandbox is updated" {
	pod_bundle "$T/sb" sandbox '[]'
	create sb "$T/sb"
	assert_success
	assert_placed "$(fake_config sb)" 0 "$NODE0_CPUS"

	pod_bundle "$T/app" container "$GPU1"
	run --separate-stderr nr --debug --log "$LOG" --log-format json create --bundle "$T/app" app
	assert_success
	assert_placed "$(fake_config app)" 1 "$NODE1_CPUS"
	assert_equal "$(ledger_field sb nodes)" 1 "the sandbox's ledger nodes"
	assert_equal "$(ledger_field sb cpus)" "$NODE1_CPUS" "the sandbox's ledger cpus"
	assert_equal "$(update_calls sb)" "$(json_argv --root "$RUNC_ROOT" update \
		--cpuset-cpus "$NODE1_CPUS" --cpuset-mems 1 sb)" "the sandbox's update"
	jq -r 'select(.level == "info") | .msg' "$LOG" | grep -qF "container app: its pod moves to node(s) 1" ||
		fail "no info line about the move" "$(cat "$LOG")"

	# The rest of the pod follows, and nothing moves again.
	pod_bundle "$T/later" container '[]'
	create later "$T/later"
	assert_success
	assert_placed "$(fake_config later)" 1 "$NODE1_CPUS"
	assert_equal "$(update_calls sb | wc -l)" 1 "updates of the sandbox"
}

@test "a pod that moves takes its containers' topology views along" {
	local view='.annotations["numa-runtime.io/topology-view"] = "container"
		| .mounts = [{destination: "/sys", type: "sysfs", source: "sysfs", options: ["nosuid", "noexec", "nodev", "ro"]}]'
	local tree=$T/topology-views/early/node
	pod_bundle "$T/sb" sandbox '[]'
	create sb "$T/sb"
	assert_success
	pod_bundle "$T/early" container '[]'
	jq "$view" "$T/early/config.json" >"$T/early/c.json" && mv "$T/early/c.json" "$T/early/config.json"
	create early "$T/early"
	assert_success
	assert_equal "$(cat "$tree/online")" 0 "the nodes early's view lists before the move"
	assert_equal "$(cat "$tree/node0/cpulist")" "$NODE0_CPUS" "node 0's CPUs in early's view"

	pod_bundle "$T/app" container "$GPU1"
	create app "$T/app"
	assert_success
	assert_equal "$(cfg_mems "$(fake_config app)")" 1 "app's mems (the pod moved)"
	assert_equal "$(cat "$tree/online")" 1 "the nodes early's view lists after the move"
	assert_equal "$(cat "$tree/has_cpu")" 1 "has_cpu in early's view"
	assert_equal "$(cat "$tree/node1/cpulist")" "$NODE1_CPUS" "node 1's CPUs in early's view"
	[ ! -e "$tree/node0" ] || fail "early's view still has node 0" "$(ls "$tree")"
	grep -q "^Node 1 MemTotal:" "$tree/node1/meminfo" || fail "no copy of node 1's meminfo" "$(ls -l "$tree/node1")"
	[ -z "$(find "$tree" -name '*.new')" ] || fail "the rewrite left files behind" "$(find "$tree")"
}

@test "the pod moves under restricted and single-numa-node too, and metrics count pod_moved" {
	for policy in restricted single-numa-node; do
		rm -rf "$LEDGER" "$LEDGER".* "$FAKE_RUNTIME_LOG" "$FAKE_RUNTIME_LOG.d"
		pod_config "$policy"
		pod_bundle "$T/sb" sandbox '[]'
		create sb "$T/sb"
		assert_success
		pod_bundle "$T/app" container "$GPU1"
		create app "$T/app"
		assert_success
		assert_placed "$(fake_config app)" 1 "$NODE1_CPUS"
		assert_equal "$(ledger_field sb nodes)" 1 "$policy: the sandbox's ledger nodes"
		[ -n "$(update_calls sb)" ] || fail "$policy: no update of the sandbox"
		run nr metrics
		assert_success
		grep -qx "numa_runtime_creates_total{policy=\"$policy\",outcome=\"pod_moved\"} 1" <<<"$output" ||
			fail "$policy: pod_moved not counted" "$(grep creates_total <<<"$output")"
	done
}

@test "a pod that cannot fit on its device's node is refused under single-numa-node, nothing changed" {
	pod_config single-numa-node
	pod_bundle "$T/sb" sandbox '[]'
	create sb "$T/sb"
	assert_success
	# Node 1 (the GPU's) taken by a container as big as the node.
	local n1
	n1=$(tr ',' '\n' <<<"$NODE1_CPUS" | awk -F- '{ n += ($2 == "" ? 1 : $2 - $1 + 1) } END { print n }')
	spec_bundle "$T/big"
	jq --argjson q "$((n1 * 100000))" '.linux.resources.cpu = {quota: $q, period: 100000}
		| .annotations = {"numa-runtime.io/nodes": "1"}' "$T/big/config.json" >"$T/big/c.json" &&
		mv "$T/big/c.json" "$T/big/config.json"
	create big "$T/big"
	assert_success
	assert_equal "$(ledger_field big nodes)" 1 "big's node"

	pod_bundle "$T/app" container "$GPU1"
	cp "$T/app/config.json" "$T/app.orig"
	ledger_jq -S .containers >"$T/ledger.before"
	create app "$T/app"
	assert_refusal
	case ${stderr_lines[0]} in
	*TopologyAffinityError*"its pod does not fit on its devices' node(s) 1"*"gpu /dev/nvidia1"*"on node 1"*) ;;
	*) fail "refusal does not name the device and its node: ${stderr_lines[0]}" ;;
	esac
	assert_file_same "$T/app/config.json" "$T/app.orig"
	ledger_jq -S .containers >"$T/ledger.after"
	assert_file_same "$T/ledger.after" "$T/ledger.before"
	assert_equal "$(update_calls sb)" "" "updates of the sandbox"

	# best-effort: the container follows its pod, with a warning.
	pod_config best-effort
	create app "$T/app"
	assert_success
	assert_placed "$(fake_config app)" 0 "$NODE0_CPUS"
	jq -r 'select(.level == "warning") | .msg' "$LOG" | grep -qF "its pod does not fit on its devices' node(s) 1" ||
		fail "no warning" "$(cat "$LOG")"
}

@test "with kubelet's checkpoint the sandbox lands on its pod's device node at once" {
	checkpoint 1
	pod_bundle "$T/sb" sandbox '[]'
	run --separate-stderr nr --debug --log "$LOG" --log-format json create --bundle "$T/sb" sb
	assert_success
	assert_placed "$(fake_config sb)" 1 "$NODE1_CPUS"
	jq -r '.msg' "$LOG" | grep -qF "container sb: locality hint node 1: kubelet device nvidia.com/gpu GPU-1" ||
		fail "no hint from the checkpoint" "$(cat "$LOG")"
	pod_bundle "$T/app" container "$GPU1"
	create app "$T/app"
	assert_success
	assert_placed "$(fake_config app)" 1 "$NODE1_CPUS"
	assert_equal "$(update_calls sb)" "" "updates of the sandbox (no move)"
}

@test "another pod's checkpoint entry, or one from another boot, is no signal" {
	checkpoint 1 0b9e8d7c-6a5b-4c3d-2e1f-0a9b8c7d6e5f
	pod_bundle "$T/sb" sandbox '[]'
	create sb "$T/sb"
	assert_success
	assert_placed "$(fake_config sb)" 0 "$NODE0_CPUS"

	# A /proc whose boot id kubelet's BootID (kubelet >= 1.36) is compared with.
	PROC=$T/proc
	mkdir -p "$PROC/sys/kernel/random"
	echo this-boot >"$PROC/sys/kernel/random/boot_id"
	pod_config best-effort
	for boot in another-boot this-boot; do
		rm -rf "$LEDGER" "$LEDGER".*
		checkpoint 1
		jq --arg boot "$boot" '.BootID = $boot' "$KUBELET/device-plugins/kubelet_internal_checkpoint" >"$T/c" &&
			mv "$T/c" "$KUBELET/device-plugins/kubelet_internal_checkpoint"
		pod_bundle "$T/sb-$boot" sandbox '[]'
		create "sb-$boot" "$T/sb-$boot"
		assert_success
	done
	assert_placed "$(fake_config sb-another-boot)" 0 "$NODE0_CPUS"
	assert_placed "$(fake_config sb-this-boot)" 1 "$NODE1_CPUS"
}

@test "a hostile or truncated checkpoint is a warning and is ignored" {
	local cp=$KUBELET/device-plugins/kubelet_internal_checkpoint
	for kind in truncated fifo deep bad-node huge; do
		rm -f "$cp"
		case $kind in
		truncated) printf '{"Data":{"PodDeviceEntries":[{"PodUID":"%s","Cont' "$POD_UID" >"$cp" ;;
		fifo) mkfifo "$cp" ;;
		deep) printf '%*s' 200000 '' | tr ' ' '[' >"$cp" ;;
		bad-node) checkpoint 99999999999999999999 ;;
		huge) truncate -s 17M "$cp" ;;
		esac
		rm -rf "$LEDGER" "$LEDGER".*
		pod_bundle "$T/sb-$kind" sandbox '[]'
		run --separate-stderr timeout 10 "$NUMA_RUNTIME" --log "$LOG" --log-format json \
			create --bundle "$T/sb-$kind" "sb-$kind"
		assert_success
		assert_equal "$output" "" "$kind: stdout"
		assert_placed "$(fake_config "sb-$kind")" 0 "$NODE0_CPUS"
		jq -r 'select(.level == "warning") | .msg' "$LOG" | grep -F "sb-$kind" | grep -qF "kubelet's checkpoint" ||
			fail "$kind: no warning" "$(cat "$LOG")"
	done
}

@test "a container whose devices sit on both nodes spans them, refused under single-numa-node" {
	spec_bundle "$T/b"
	jq --argjson d "$(jq -cn --argjson a "$GPU0" --argjson b "$GPU1" '$a + $b')" \
		'.linux.devices = $d' "$T/b/config.json" >"$T/b/c.json" && mv "$T/b/c.json" "$T/b/config.json"
	create c1 "$T/b"
	assert_success
	assert_equal "$(cfg_mems "$(fake_config c1)")" 0-1 "mems"
	assert_equal "$(ledger_field c1 nodes)" 0-1 "ledger nodes"
	pod_config single-numa-node
	spec_bundle "$T/b2"
	jq --argjson d "$(jq -cn --argjson a "$GPU0" --argjson b "$GPU1" '$a + $b')" \
		'.linux.devices = $d' "$T/b2/config.json" >"$T/b2/c.json" && mv "$T/b2/c.json" "$T/b2/config.json"
	cp "$T/b2/config.json" "$T/b.orig"
	create c2 "$T/b2"
	assert_refusal
	case ${stderr_lines[0]} in
	*"its devices sit on nodes 0-1"*"/dev/nvidia0"*"on node 0"*"/dev/nvidia1"*"on node 1"*) ;;
	*) fail "refusal does not name each device and its node: ${stderr_lines[0]}" ;;
	esac
	assert_file_same "$T/b2/config.json" "$T/b.orig"
}

@test "a pod whose containers hold devices on both nodes spans them, never leaving one's device; refused under single-numa-node" {
	pod_bundle "$T/sb" sandbox '[]'
	create sb "$T/sb"
	assert_success
	pod_bundle "$T/g0" container "$GPU0"
	create g0 "$T/g0"
	assert_success
	assert_equal "$(ledger_field g0 nodes)" 0 "g0's node (GPU 0's)"
	assert_equal "$(ledger_field g0 device_nodes)" 0 "g0's device nodes in the ledger"
	pod_bundle "$T/g1" container "$GPU1"
	create g1 "$T/g1"
	assert_success
	# Not node 1 alone, which would take g0 away from GPU 0.
	assert_equal "$(cfg_mems "$(fake_config g1)")" 0-1 "g1's mems"
	for id in sb g0 g1; do
		assert_equal "$(ledger_field "$id" nodes)" 0-1 "$id's ledger nodes"
	done
	update_calls g0 | jq -e 'index("--cpuset-mems") as $i | .[$i + 1] == "0-1"' >/dev/null ||
		fail "g0 not updated to mems 0-1" "$(update_calls g0)"

	rm -rf "$LEDGER" "$LEDGER".* "$FAKE_RUNTIME_LOG" "$FAKE_RUNTIME_LOG.d"
	pod_config single-numa-node
	# Fresh bundles: create wrote NUMA_NODE and the cpuset into these.
	pod_bundle "$T/sb" sandbox '[]'
	pod_bundle "$T/g0" container "$GPU0"
	pod_bundle "$T/g1" container "$GPU1"
	create sb "$T/sb"
	assert_success
	create g0 "$T/g0"
	assert_success
	cp "$T/g1/config.json" "$T/g1.orig"
	ledger_jq -S .containers >"$T/ledger.before"
	create g1 "$T/g1"
	assert_refusal
	case ${stderr_lines[0]} in
	*TopologyAffinityError*"its devices sit on node(s) 1 and its pod's other containers' on node(s) 0"*) ;;
	*) fail "refusal does not say the pod's devices are apart: ${stderr_lines[0]}" ;;
	esac
	assert_file_same "$T/g1/config.json" "$T/g1.orig"
	ledger_jq -S .containers >"$T/ledger.after"
	assert_file_same "$T/ledger.after" "$T/ledger.before"
	assert_equal "$(update_calls g0)" "" "updates of g0"
}
