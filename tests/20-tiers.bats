#!/usr/bin/env bats
# Memory tiers on fixture machines (tests/fixtures/gen-sysfs.sh) through
# tests/fake-runtime: the memory-tiers modes, NUMA_MEMORY_NODES, the
# ledger's charge on memory-only nodes, status, device memory, and the
# topology cache.  cxl-box: nodes 0-1 have 16 CPUs and 64 GiB each, nodes
# 2-3 are 256 GiB CXL expanders without CPUs (2 near 0, 3 near 1).
# The real kernel's side is tests/vm (scenario tiers).

load helpers
load policy-helpers

GiB=1073741824

setup_file() {
	FX=$BATS_FILE_TMPDIR/fx
	for m in cxl-box hbm-snc gb200 sixty-four; do
		sh "$FIXTURES/gen-sysfs.sh" "$m" "$FX/$m" >/dev/null || return 1
	done
	export FX
}

setup() {
	nr_setup
	use_fake_runtime
	machine cxl-box
}

# machine NAME [EXTRA_INI]: NAME's sys/ and proc/ as the topology.
machine() {
	CFG_SYSFS=$FX/$1/sys
	CFG_EXTRA="[topology]
proc_root = $FX/$1/proc
${2:-}"
	# proc_root belongs in [topology]: sysfs_root is written there first.
	write_config
}

# bundle DIR GIB [ANNOTATION_VALUE]: 2 CPUs, GIB GiB of memory, and the
# memory-tiers annotation when given.
bundle() {
	spec_bundle "$1"
	local tmp=$1/config.json.tmp
	jq --argjson m "$(($2 * GiB))" --arg t "${3:-}" '
		.linux.resources.memory.limit = $m
		| .linux.resources.cpu = {quota: 200000, period: 100000}
		| if $t != "" then .annotations["numa-runtime.io/memory-tiers"] = $t else . end' \
		"$1/config.json" >"$tmp" && mv "$tmp" "$1/config.json"
}

# place ID GIB [ANNOTATION]: create; prints "mems cpus NUMA_NODE NUMA_MEMORY_NODES".
place() {
	bundle "$T/$1" "$2" "${3:-}"
	run --separate-stderr nr create --bundle "$T/$1" "$1"
	assert_success
	jq -r '[.linux.resources.cpu.mems, .linux.resources.cpu.cpus,
		(.process.env[] | select(startswith("NUMA_NODE=")) | ltrimstr("NUMA_NODE=")),
		(.process.env[] | select(startswith("NUMA_MEMORY_NODES=")) | ltrimstr("NUMA_MEMORY_NODES="))]
		| join(" ")' "$T/$1/config.json"
}

@test "spill (default): a 300 GiB container gets its CPUs on node 0 and the CXL node next to it" {
	assert_equal "$(place c1 300)" "0,2 0-7,16-23 0 0,2"
	assert_equal "$(ledger_jq -r '.containers[0] | [.nodes, .mems, .memory_local] | join(" ")')" \
		"0 0,2 $((64 * GiB))"
	# Charged on both nodes: 64 GiB on node 0, the rest on node 2.
	assert_equal "$(ledger_jq -r '[.nodes[] | "\(.node)=\(.memory)/\(.containers)"] | join(" ")')" \
		"0=$((64 * GiB))/1 2=$((236 * GiB))/1"
	run nr status --json
	assert_success
	assert_equal "$(jq -r '[.nodes[] | "\(.node):\(.memory_allocated)"] | join(" ")' <<<"$output")" \
		"0:$((64 * GiB)) 1:0 2:$((236 * GiB)) 3:0"
}

@test "spill: what fits its CPU node stays there, exactly as without tiers" {
	assert_equal "$(place c1 8)" "0 0-7,16-23 0 0"
	assert_equal "$(ledger_jq -r '.containers[0] | has("mems")')" false
}

@test "spill: 100 GiB takes the close CXL node rather than spanning both sockets" {
	assert_equal "$(place c1 100)" "0,2 0-7,16-23 0 0,2"
}

@test "off, from the config or the annotation: CPU nodes only, as before" {
	machine cxl-box "[memory]
tiers = off"
	assert_equal "$(place c1 100)" "0-1 0-31 0-1 0-1"
	nr delete c1 >/dev/null
	machine cxl-box
	assert_equal "$(place c2 100 off)" "0-1 0-31 0-1 0-1"
}

@test "an annotation [annotations] honoured does not name is ignored with a warning" {
	machine cxl-box "[annotations]
honoured = policy"
	bundle "$T/c1" 100 off
	run --separate-stderr nr create --bundle "$T/c1" c1
	assert_success
	[[ "$stderr" == *"memory-tiers"*"not honoured"* ]] || fail "no warning: $stderr"
	assert_equal "$(jq -r .linux.resources.cpu.mems "$T/c1/config.json")" "0,2"
}

@test "a bad memory-tiers value is refused under restricted, config.json and ledger untouched" {
	CFG_POLICY=restricted machine cxl-box
	bundle "$T/c1" 8 sideways
	cp "$T/c1/config.json" "$T/before.json"
	run --separate-stderr nr create --bundle "$T/c1" c1
	assert_failure
	[[ "$stderr" == "numa-runtime: "*"memory-tiers"*"spill, off, tiered or interleave"* ]] ||
		fail "stderr: $stderr"
	cmp "$T/before.json" "$T/c1/config.json" || fail "config.json changed"
	[ ! -e "$LEDGER" ] || assert_equal "$(ledger_jq '.containers | length')" 0
}

@test "tiered: the nearest CXL node is always added, charged nothing while the CPU node holds it" {
	assert_equal "$(place c1 8 tiered)" "0,2 0-7,16-23 0 0,2"
	assert_equal "$(ledger_jq -r '.containers[0] | [.mems, .memory_local] | join(" ")')" "0,2 $((8 * GiB))"
	assert_equal "$(ledger_jq -r '[.nodes[] | "\(.node)=\(.memory)/\(.containers)"] | join(" ")')" \
		"0=$((8 * GiB))/1 2=0/1"
}

@test "interleave: MPOL_WEIGHTED_INTERLEAVE in linux.memoryPolicy when the runtime lists it; charge by weight 3:1" {
	export FAKE_FEATURES=$FEATURES_WITH_MEMORY_POLICY
	assert_equal "$(place c1 8 interleave)" "0,2 0-7,16-23 0 0,2"
	assert_equal "$(jq -c .linux.memoryPolicy "$T/c1/config.json")" \
		'{"mode":"MPOL_WEIGHTED_INTERLEAVE","nodes":"0,2","flags":["MPOL_F_STATIC_NODES"]}'
	assert_equal "$(ledger_jq -r '.containers[0].memory_local')" "$((6 * GiB))"
}

@test "interleave: plain MPOL_INTERLEAVE on a kernel without weights" {
	export FAKE_FEATURES=$FEATURES_WITH_MEMORY_POLICY
	cp -a "$FX/cxl-box" "$T/old-kernel"
	rm -rf "$T/old-kernel/sys/kernel/mm/mempolicy"
	CFG_SYSFS=$T/old-kernel/sys
	write_config
	assert_equal "$(place c1 8 interleave)" "0,2 0-7,16-23 0 0,2"
	assert_equal "$(jq -r .linux.memoryPolicy.mode "$T/c1/config.json")" MPOL_INTERLEAVE
	assert_equal "$(ledger_jq -r '.containers[0].memory_local')" "$((4 * GiB))"
}

@test "interleave: no memoryPolicy for a runtime that does not list the mode (set_mempolicy is for the host's own topology)" {
	place c1 8 interleave >/dev/null
	assert_equal "$(jq -c .linux.memoryPolicy "$T/c1/config.json")" null
}

@test "restricted and single-numa-node: a CPU node and its CXL node are one domain; a refusal lists tier memory" {
	CFG_POLICY=single-numa-node machine cxl-box
	assert_equal "$(place c1 300)" "0,2 0-7,16-23 0 0,2"
	CFG_POLICY=restricted machine cxl-box
	bundle "$T/c2" 400
	cp "$T/c2/config.json" "$T/before.json"
	run --separate-stderr nr create --bundle "$T/c2" c2
	assert_failure
	[[ "$stderr" == *"node 1: "*"64.0 GiB free + 256.0 GiB tier memory (node 3)"* ]] ||
		fail "refusal does not list node 1's tier memory: $stderr"
	cmp "$T/before.json" "$T/c2/config.json" || fail "config.json changed"
	assert_equal "$(ledger_jq -r '[.containers[].id] | join(" ")')" c1
}

@test "status shows has-CPU and tier per node" {
	run --separate-stderr nr status
	assert_success
	assert_equal "$(head -n1 <<<"$output" | awk '{ print $(NF - 3), $(NF - 2), $(NF - 1) }')" "HAS-CPU TIER MEMORY"
	# The node table ends at the first blank line (cache groups follow).
	assert_equal "$(awk 'NR > 1 && ! NF { exit } NR > 1 { print $1, $(NF - 3), $(NF - 2), $(NF - 1) }' <<<"$output" | paste -sd, -)" \
		"0 yes 4 cpu,1 yes 4 cpu,2 no 22 tier,3 no 22 tier"
	run --separate-stderr nr status --json
	assert_equal "$(jq -c '[.nodes[] | [.node, .has_cpu, .tier, .memory_kind]]' <<<"$output")" \
		'[[0,true,4,"cpu"],[1,true,4,"cpu"],[2,false,22,"tier"],[3,false,22,"tier"]]'
}

@test "gb200: GPU memory nodes are device memory, never spilled onto; status says why" {
	machine gb200
	assert_equal "$(place c1 600)" "0-1 0-7 0-1 0-1"
	run --separate-stderr nr status --json
	assert_equal "$(jq -r '[.nodes[] | select(.memory_kind == "device") | .node] | join(",")' <<<"$output")" \
		"2,10,18,26"
	assert_equal "$(jq -r '.nodes[] | select(.node == 2) | .memory_kind_why' <<<"$output")" \
		"device memory (generic initiator or GPU driver)"
	run --separate-stderr nr status
	[[ "$output" == *"node 10: memory not used for containers: device memory"* ]] || fail "$output"
}

@test "a node the firmware lists as a generic initiator is device memory" {
	cp -a "$FX/cxl-box" "$T/gi"
	echo 3 >"$T/gi/sys/devices/system/node/has_generic_initiator"
	CFG_SYSFS=$T/gi/sys
	write_config
	run --separate-stderr nr status --json
	assert_equal "$(jq -r '[.nodes[] | .memory_kind] | join(",")' <<<"$output")" "cpu,cpu,tier,device"
	# Node 1's domain has no tier memory now: 100 GiB twice goes to node 0
	# and node 2 (node 0 full, node 2 holding 136 GiB after the second).
	assert_equal "$(place c1 100)" "0,2 0-7,16-23 0 0,2"
	assert_equal "$(place c2 100)" "0,2 0-7,16-23 0 0,2"
}

@test "the admin's tier_nodes list replaces detection" {
	machine gb200 "[memory]
tier_nodes = 2"
	assert_equal "$(place c1 600)" "0,2 0-3 0 0,2"
	run --separate-stderr nr status --json
	assert_equal "$(jq -r '[.nodes[] | select(.node == 2 or .node == 10) | .memory_kind] | join(",")' <<<"$output")" \
		"tier,unsure"
}

@test "unsure: a kernel without memory tiers gets no spill, and status says why" {
	cp -a "$FX/cxl-box" "$T/no-tiers"
	rm -rf "$T/no-tiers/sys/devices/virtual/memory_tiering"
	CFG_SYSFS=$T/no-tiers/sys
	write_config
	assert_equal "$(place c1 300)" "0 0-7,16-23 0 0"
	run --separate-stderr nr status
	[[ "$output" == *"node 2: memory not used for containers: the kernel lists no memory tiers"* ]] ||
		fail "$output"
}

@test "hbm-snc: a container bigger than its cluster's DDR spills onto that cluster's HBM" {
	machine hbm-snc
	assert_equal "$(place c1 40)" "0,4 0-3,16-19 0 0,4"
	assert_equal "$(place c2 40)" "1,5 4-7,20-23 1 1,5"
}

@test "sixty-four: each container on one node of its own" {
	machine sixty-four
	assert_equal "$(place c1 2)" "0 0-1 0 0"
	assert_equal "$(place c2 2)" "1 2-3 1 1"
	assert_equal "$(place c3 2 tiered)" "2 4-5 2 2"
	run --separate-stderr nr status --json
	assert_equal "$(jq -c '[.nodes[] | select(.containers > 0) | .node]' <<<"$output")" "[0,1,2]"
}

@test "an entry from before tiers (no mems) is charged on its nodes as before" {
	# The host's /proc: the ledger's boot id must be this boot's.
	CFG_EXTRA=
	write_config
	mkdir -p "$(dirname "$LEDGER")"
	printf '{"version":1,"boot_id":"%s","containers":[{"id":"old","nodes":"0-1","cpus":"0-31","load":2000,"millicpus":2000,"memory":%s,"hugepages":0}]}\n' \
		"$(cat /proc/sys/kernel/random/boot_id)" "$((8 * GiB))" >"$LEDGER"
	run --separate-stderr nr status --json
	assert_success
	assert_equal "$(jq -r '.containers[0] | [.nodes, .mems, .memory_local] | join(" ")' <<<"$output")" \
		"0-1 0-1 $((8 * GiB))"
	assert_equal "$(jq -r '[.nodes[] | "\(.node)=\(.memory_allocated)"] | join(" ")' <<<"$output")" \
		"0=$((4 * GiB)) 1=$((4 * GiB)) 2=0 3=0"
	# Written back without the new keys.
	assert_equal "$(ledger_jq -c '.containers[0] | [has("mems"), has("memory_local")]')" "[false,false]"
}

@test "the topology cache sees memory brought online after it was written" {
	cp -a "$FX/cxl-box" "$T/hot"
	local N=$T/hot/sys/devices/system/node
	local TIERS=$T/hot/sys/devices/virtual/memory_tiering
	# The expanders without memory yet, as before `daxctl online-memory`.
	sed -i 's/MemTotal: *[0-9]*/MemTotal:              0/' "$N/node2/meminfo" "$N/node3/meminfo"
	echo 0-1 >"$N/has_memory"
	rm -r "$TIERS/memory_tier22"
	CFG_SYSFS=$T/hot/sys
	write_config
	assert_equal "$(place c1 300)" "0 0-7,16-23 0 0"
	[ -s "$T/topology-cache" ] || fail "no topology cache next to the ledger"
	nr delete c1 >/dev/null
	# Onlined: has_memory changes, so the cache is read again.
	sed -i 's/MemTotal: *0 kB/MemTotal:       268435456 kB/' "$N/node2/meminfo" "$N/node3/meminfo"
	echo 0-3 >"$N/has_memory"
	mkdir "$TIERS/memory_tier22"
	echo 2-3 >"$TIERS/memory_tier22/nodelist"
	assert_equal "$(place c2 300)" "0,2 0-7,16-23 0 0,2"
}
