#!/usr/bin/env bats
# The operator's commands: `topology` (no flag, --json) shows the machine
# of tests/fixtures/gen-sysfs.sh as numa-runtime sees it, checked against
# the generator's devices.tsv (what the kernel's sysfs says of each
# device); `explain` runs create's pipeline and placement without writing
# anything or calling the runtime (tests/fake-runtime records every call).

load helpers

setup_file() {
	MACHINES=$BATS_FILE_TMPDIR/machines
	sh "$FIXTURES/gen-sysfs.sh" all "$MACHINES" >/dev/null
	export MACHINES
}

setup() {
	nr_setup
	use_fake_runtime
	use_fixture two-socket
}

# use_fixture NAME [POLICY]: the fixture machine NAME (use_machine).
use_fixture() {
	MACHINE=$MACHINES/$1
	use_machine "$MACHINE" "${2:-best-effort}"
}

# section TITLE: the lines of $output's section starting with line TITLE.
section() {
	printf '%s\n' "$output" | awk -v t="$1" '$0 == t { on = 1; next } /^$/ { on = 0 } on'
}

# The listed devices of devices.tsv (block, NICs but lo, NVIDIA GPUs, DRM,
# uverbs, VFIO) as "KEY<TAB>NODES-JSON": KEY is M:m, or the NIC's name.
expected_devices() {
	while IFS="$(printf '\t')" read -r path type mm node _how _dir; do
		case $node in none) continue ;; -1) nodes='[]' ;; *) nodes="[$node]" ;; esac
		case $type:$path in
		b:*) key=$mm ;;
		-:net:*) key=${path#net:} ;;
		c:/dev/nvidia[0-9]* | c:/dev/dri/* | c:/dev/infiniband/* | c:/dev/vfio/*) key=$mm ;;
		*) continue ;;
		esac
		printf '%s\t%s\n' "$key" "$nodes"
	done <"$MACHINE/devices.tsv"
}

# assert_every_device: `topology --json` lists every device of
# devices.tsv with exactly the nodes the generator says, and no other.
assert_every_device() {
	run --separate-stderr nr topology --json
	assert_success
	local got want
	got=$(printf '%s\n' "$output" |
		jq -r '.devices[] | "\(.dev // .name)\t\(.nodes | tojson)"' | sort)
	want=$(expected_devices | sort)
	[ -n "$want" ] || fail "devices.tsv lists no device of a listed class"
	[ "$got" = "$want" ] || fail "devices differ" "want:" "$want" "got:" "$got"
}

@test "topology --json lists every device of the two-socket box under the node sysfs gives it" {
	assert_every_device
}

@test "topology --json lists dm over md over NVMe under both nodes, the LVM volume under node 1" {
	use_fixture dm-md-nvme
	assert_every_device
	jq -e '.devices[] | select(.name == "dm-1") | .detail == "dm vg1-scratch over nvme1n1p1"' \
		<<<"$output" >/dev/null || fail "dm-1's detail" "$output"
	jq -e '.devices[] | select(.name == "nvme1n1p1") | .parent == "nvme1n1"' \
		<<<"$output" >/dev/null || fail "the partition's parent" "$output"
}

@test "topology --json lists the DGX's and the GB200s' GPUs, NICs and VFIO, and a cloud VM's devices on no node" {
	for m in dgx gb200 gb200-gi cloud-vm nps4 eight-node; do
		use_fixture "$m"
		assert_every_device
	done
}

@test "topology shows devices under their node: partitions indented, SR-IOV VF count, GPU UUID" {
	run --separate-stderr nr topology
	assert_success
	local node0 node1 uuid
	node0=$(section "node 0 devices:")
	node1=$(section "node 1 devices:")
	grep -Eq '^  block +nvme0n1 +259:0 +0 ' <<<"$node0" || fail "nvme0n1 not under node 0" "$output"
	grep -Eq '^  block +  nvme0n1p1 +259:1 ' <<<"$node0" || fail "partition not indented" "$output"
	grep -Eq '^  block +nvme1n1 +259:2 +1 ' <<<"$node1" || fail "nvme1n1 not under node 1" "$output"
	grep -Eq '^  net +ens1f0 .*SR-IOV PF with 1 VFs \(of 64\)' <<<"$node1" || fail "PF" "$output"
	grep -Eq '^  rdma +mlx5_0 +231:192 +1 ' <<<"$node1" || fail "RDMA" "$output"
	grep -Eq '^  vfio +vfio/42 +244:0 +1 +IOMMU group 42: 0000:81:00.1' <<<"$node1" || fail "VFIO" "$output"
	grep -Eq '^  drm +renderD129 +226:129 +1 +NVIDIA 0000:86:00.0' <<<"$node1" || fail "DRM" "$output"
	uuid=$(sed -n 's/^GPU UUID: *\t* *//p' "$MACHINE/proc/driver/nvidia/gpus/0000:86:00.0/information")
	grep -Eq "^  gpu +nvidia1 +195:1 +1 +.*0000:86:00.0, $uuid\$" <<<"$node1" || fail "GPU" "$output"
	! grep -q nvme1n1 <<<"$node0" || fail "nvme1n1 under node 0" "$output"
	[ -z "$(section "devices on no node:")" ] || fail "a device on no node" "$output"
}

@test "topology shows each node's CPUs, memory and kind, and the SLIT table, as sysfs gives them" {
	use_fixture gb200
	run --separate-stderr nr topology
	assert_success
	local n0 mem
	n0=$(cat "$MACHINE/sys/devices/system/node/node0/cpulist")
	mem=$(awk '/MemTotal/ { print int($4 / 1024) }' "$MACHINE/sys/devices/system/node/node0/meminfo")
	grep -qx "node 0 cpus: $n0" <<<"$output" || fail "node 0 cpus" "$output"
	grep -qx "node 0 size: $mem MB" <<<"$output" || fail "node 0 size" "$output"
	grep -qx "node 0 memory: cpu, has CPUs, memory_tier4" <<<"$output" || fail "kind" "$output"
	grep -qx "node 2 memory: device, no CPUs, memory_tier4" <<<"$output" || fail "GPU memory" "$output"
	# Row 0 of the distance table is node0/distance.
	[ "$(printf '%s\n' "$output" | sed -n 's/^  0://p' | tr -s ' ' | sed 's/^ //')" = \
		"$(cat "$MACHINE/sys/devices/system/node/node0/distance")" ] || fail "SLIT row 0" "$output"
	run --separate-stderr nr topology --json
	assert_success
	[ "$(jq -r '.nodes[0].distances | join(" ")' <<<"$output")" = \
		"$(cat "$MACHINE/sys/devices/system/node/node0/distance")" ] || fail "JSON SLIT" "$output"
	[ "$(jq -r '.nodes | length' <<<"$output")" = \
		"$(ls -d "$MACHINE"/sys/devices/system/node/node[0-9]* | wc -l)" ] || fail "nodes"
	jq -e '.nodes[2] | .has_cpu == false and .memory_kind == "device" and .memory_tier == 4' \
		<<<"$output" >/dev/null || fail "node 2" "$output"
}

@test "topology --nrt is unchanged; a bad argument is one line on stderr and nothing on stdout" {
	run --separate-stderr nr topology --nrt --node-name worker-1
	assert_success
	jq -e '.kind == "NodeResourceTopology" and .metadata.name == "worker-1"' <<<"$output" >/dev/null
	run --separate-stderr nr topology --bogus
	assert_failure
	[ -z "$output" ] || fail "stdout: $output"
	[ "$(printf '%s\n' "$stderr" | wc -l)" = 1 ] || fail "stderr: $stderr"
	grep -q '^numa-runtime: topology: unknown argument `--bogus`' <<<"$stderr" || fail "$stderr"
}

# ---- explain ----------------------------------------------------------------

# bundle DIR JQ: spec_bundle, edited by the jq filter JQ.
bundle() {
	spec_bundle "$1"
	jq "$2" "$1/config.json" >"$1/config.json.new" && mv "$1/config.json.new" "$1/config.json"
}

GPU1='.linux.devices = [{"path": "/dev/nvidia1", "type": "c", "major": 195, "minor": 1}]'
SMALL='.linux.resources.cpu = {"quota": 200000, "period": 100000} | .linux.resources.memory = {"limit": 1073741824}'

# snapshot: every byte of the ledger (index, shards, lock) and the fake
# runtime's log, to compare after explain.
snapshot() {
	(cd "$T" && find . -path ./snap -prune -o -type f -print | sort | xargs -r sha256sum)
}

@test "explain places a container with GPU 1 on node 1, says why, writes nothing and runs nothing" {
	bundle "$T/first" "$SMALL"
	run --separate-stderr nr create --bundle "$T/first" c0
	assert_success
	bundle "$T/b" "$SMALL | $GPU1"
	cp "$T/b/config.json" "$T/config.orig"
	before=$(snapshot) calls=$(fake_calls)
	run --separate-stderr nr explain --bundle "$T/b"
	assert_success
	[ "$(snapshot)" = "$before" ] || fail "explain changed a file" "$(snapshot)"
	cmp -s "$T/b/config.json" "$T/config.orig" || fail "config.json changed"
	[ "$(fake_calls)" = "$calls" ] || fail "the runtime was called" "$(cat "$FAKE_RUNTIME_LOG")"
	local cpus1
	cpus1=$(cat "$MACHINE/sys/devices/system/node/node1/cpulist")
	printf '%s\n' "$output" | grep -qx 'decision: placed' || fail "$output"
	printf '%s\n' "$output" | grep -qx '  nodes: 1' || fail "$output"
	printf '%s\n' "$output" | grep -qx "  cpus: $cpus1" || fail "$output"
	printf '%s\n' "$output" | grep -qx '  memory policy: MPOL_BIND over node(s) 1' || fail "$output"
	printf '%s\n' "$output" | grep -qx '  env: NUMA_NODE=1' || fail "$output"
	printf '%s\n' "$output" | grep -qx '  1. locality hint: node 1 from gpu /dev/nvidia1 (0000:86:00.0)' || fail "$output"
	printf '%s\n' "$output" | grep -qx "  2. policy best-effort, from \[placement\] policy of $NUMA_RUNTIME_CONFIG" || fail "$output"
	printf '%s\n' "$output" | grep -qx '  4. chosen: node(s) 1 hold its devices and volumes, and it fits there' || fail "$output"
	# c0 holds 2 CPUs of node 0: the offers say so.
	printf '%s\n' "$output" | grep -q '^       node 0: 14 of 16 CPUs free' || fail "$output"
}

@test "explain --json agrees with what create then does, from stdin as from --bundle" {
	bundle "$T/b" "$SMALL | $GPU1"
	run --separate-stderr nr explain --json <"$T/b/config.json"
	assert_success
	jq -e '.placed and .nodes == "1" and .env == ["NUMA_NODE=1", "NUMA_MEMORY_NODES=1"]
		and .hints == [{"node": 1, "source": "gpu /dev/nvidia1 (0000:86:00.0)"}]
		and .offers[1].hints == 1 and .error == null' <<<"$output" >/dev/null || fail "$output"
	local cpus
	cpus=$(jq -r .cpus <<<"$output")
	run --separate-stderr nr create --bundle "$T/b" c1
	assert_success
	[ "$(jq -r .linux.resources.cpu.cpus "$(fake_config c1)")" = "$cpus" ] || fail "create differs"
}

@test "explain refuses as create would, with the same TopologyAffinityError, exit 1, ledger as it was" {
	use_fixture two-socket single-numa-node
	bundle "$T/b" "$GPU1 | .linux.resources.memory = {\"limit\": 107374182400}"
	bundle "$T/first" "$SMALL"
	run --separate-stderr nr create --bundle "$T/first" c0
	assert_success
	before=$(snapshot) calls=$(fake_calls)
	run --separate-stderr nr explain --id c9 --bundle "$T/b"
	[ "$status" = 1 ] || fail "exit $status" "$output" "$stderr"
	[ "$(snapshot)" = "$before" ] || fail "explain changed a file"
	[ "$(fake_calls)" = "$calls" ] || fail "the runtime was called"
	printf '%s\n' "$output" | grep -qx 'decision: refused' || fail "$output"
	local refusal
	refusal=$(sed -n 's/^  4\. refused: //p' <<<"$output")
	[[ $refusal == "TopologyAffinityError: container c9 cannot be placed under policy single-numa-node"* ]] ||
		fail "$output"
	run --separate-stderr nr explain --id c9 --json --bundle "$T/b"
	[ "$status" = 1 ]
	[ "$(jq -r .error <<<"$output")" = "$refusal" ] || fail "JSON error differs" "$output"
	run --separate-stderr nr create --bundle "$T/b" c9
	assert_failure
	[ "$stderr" = "numa-runtime: create \`c9\`: $refusal" ] || fail "create said" "$stderr"
}

@test "explain --pod places a member on the node its pod's sandbox holds" {
	bundle "$T/sb" "$SMALL | .annotations = {\"io.kubernetes.cri.container-type\": \"sandbox\", \"io.kubernetes.cri.sandbox-id\": \"podA\"}"
	bundle "$T/first" "$SMALL"
	run --separate-stderr nr create --bundle "$T/first" c0
	assert_success
	run --separate-stderr nr create --bundle "$T/sb" podA
	assert_success
	local pod_node
	pod_node=$(jq -r '.env[] | select(startswith("NUMA_NODE=")) | ltrimstr("NUMA_NODE=")' \
		<<<"$(jq .process "$(fake_config podA)")")
	[ "$pod_node" = 1 ] || fail "the sandbox went to node $pod_node"
	bundle "$T/m" "$SMALL"
	before=$(snapshot)
	run --separate-stderr nr explain --pod podA --bundle "$T/m"
	assert_success
	[ "$(snapshot)" = "$before" ] || fail "explain changed a file"
	printf '%s\n' "$output" | grep -qx '  nodes: 1' || fail "$output"
	printf '%s\n' "$output" | grep -qx '  4. chosen: its pod podA already holds node(s) 1' || fail "$output"
	# Without --pod the same bundle goes elsewhere: node 1 is the busier.
	run --separate-stderr nr explain --bundle "$T/m"
	assert_success
	printf '%s\n' "$output" | grep -qx '  nodes: 0' || fail "$output"
}

@test "explain creates no ledger where there is none, and leaves an opted-out container alone" {
	CFG_EXTRA=$(printf '[annotations]\nallow_weaker_policy = true')
	use_fixture two-socket
	bundle "$T/b" "$SMALL | .annotations = {\"numa-runtime.io/disable\": \"true\"}"
	run --separate-stderr nr explain --bundle "$T/b"
	assert_success
	printf '%s\n' "$output" | grep -q '^decision: left alone (annotation numa-runtime.io/disable)' || fail "$output"
	bundle "$T/c" "$SMALL"
	run --separate-stderr nr explain --bundle "$T/c"
	assert_success
	[ ! -e "$LEDGER" ] && [ ! -e "$LEDGER.d" ] || fail "explain created the ledger"
	local written
	written=$(cd "$T" && find . -mindepth 1 -maxdepth 1 ! -name numa-runtime.conf ! -name b ! -name c)
	[ -z "$written" ] || fail "explain wrote: $written"
	assert_runtime_not_called
}

@test "explain: bad input is one line on stderr and nothing on stdout" {
	run --separate-stderr nr explain <<<'{"process": '
	assert_failure
	[ -z "$output" ] || fail "stdout: $output"
	[ "$(printf '%s\n' "$stderr" | wc -l)" = 1 ] || fail "stderr: $stderr"
	grep -q '^numa-runtime: explain: config.json on stdin' <<<"$stderr" || fail "$stderr"
	run --separate-stderr nr explain --bundle "$T/nonexistent"
	assert_failure
	grep -q '^numa-runtime: explain: open .*No such file' <<<"$stderr" || fail "$stderr"
	run --separate-stderr nr explain --frobnicate
	assert_failure
	grep -q 'unknown argument `--frobnicate`' <<<"$stderr" || fail "$stderr"
	assert_runtime_not_called
}

@test "topology groups each node's CPUs by their last-level cache, as sysfs gives the groups" {
	use_fixture epyc-ccx4
	run --separate-stderr nr topology
	assert_success
	local want got
	want=$(cat "$MACHINE"/sys/devices/system/cpu/cpu*/cache/index3/shared_cpu_list | sort -u)
	got=$(sed -n 's/^node 0 L3 [0-9]* cpus: //p' <<<"$output" | sort)
	assert_equal "$got" "$want" "node 0's L3 groups (text)"
	run --separate-stderr nr topology --json
	assert_success
	got=$(jq -r '.nodes[0].cache_groups[]' <<<"$output" | sort)
	assert_equal "$got" "$want" "node 0's cache_groups (JSON)"
	use_fixture two-socket
	run --separate-stderr nr topology --json
	assert_success
	assert_equal "$(jq -c '[.nodes[].cache_groups | length]' <<<"$output")" "[1,1]" "one L3 a socket"
}
