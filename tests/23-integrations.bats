#!/usr/bin/env bats
# Living beside what users already run, on the two-node fixture (node 0:
# CPUs 0-3, node 1: CPUs 4-7, 16 GiB each) with the recording fake
# runtime: a device plugin's NUMA_NODE in the spec's env, the
# topology-aware scheduling guide's annotations, and kubelet's static CPU
# and Memory Managers' checkpoints under [kubelet] root.

load policy-helpers

setup() {
	policy_setup
	KUBELET=$T/kubelet
	mkdir -p "$KUBELET"
	# Only [kubelet] root: the rest of the config comes from policy_setup.
	config_extra $'[kubelet]\nroot = '"$KUBELET"
	# A kubelet node with both managers' policy none, as kubelet writes
	# them when nothing is configured.
	cpu_state '{}' none
	memory_state 0 0
}
teardown() { nr_teardown; }

# create_ok ID BUNDLE: a create that must succeed quietly.
create_ok() {
	run --separate-stderr nr create --bundle "$2" "$1"
	assert_success
	assert_equal "$stderr" "" "stderr of create $1"
}

# set_policy POLICY: the configured [placement] policy.
set_policy() {
	CFG_POLICY=$1
	write_config
}

# env_bundle DIR VALUE [JQ_FILTER]: a bundle whose env already holds
# NUMA_NODE=VALUE, as numa-resource-plugin's Allocate leaves it.
env_bundle() {
	policy_bundle "$1" '.process.env += ["NUMA_NODE='"$2"'"]'
	[ $# -lt 3 ] || edit_config "$1" "$3"
}

# cpu_state ENTRIES [POLICY]: kubelet's cpu_manager_state (v2) with ENTRIES.
cpu_state() {
	printf '{"policyName":"%s","defaultCpuSet":"2-7","entries":%s,"checksum":2768479024}\n' \
		"${2:-static}" "$1" >"$KUBELET/cpu_manager_state"
}

# memory_state RESERVED0 RESERVED1: kubelet's memory_manager_state with
# RESERVED0/RESERVED1 bytes of memory reserved on node 0/1.
memory_state() {
	local node
	{
		printf '{"policyName":"Static","machineState":{'
		for node in 0 1; do
			[ "$node" = 0 ] || printf ','
			printf '"%s":{"numberOfAssignments":1,"memoryMap":{"memory":{"total":17179869184,"systemReserved":0,"allocatable":17179869184,"reserved":%s,"free":0}},"cells":[%s]}' \
				"$node" "$([ "$node" = 0 ] && echo "$1" || echo "$2")" "$node"
		done
		printf '},"entries":{},"checksum":1}\n'
	} >"$KUBELET/memory_manager_state"
}

# status_pinned_by ID: pinned_by of ID in status --json.
status_pinned_by() {
	nr status --json | jq -r --arg id "$1" '.containers[] | select(.id == $id) | .pinned_by'
}

# ---- NUMA_NODE in the spec's env ------------------------------------------

@test "NUMA_NODE=1 in the spec's env places the container on node 1 under every policy" {
	for policy in best-effort restricted single-numa-node; do
		set_policy "$policy"
		env_bundle "$T/b-$policy" 1
		run --separate-stderr nr --debug --log "$T/log-$policy" --log-format json create --bundle "$T/b-$policy" "c-$policy"
		assert_success
		assert_placed "$(fake_config "c-$policy")" 1 4-7
		assert_equal "$(ledger_field "c-$policy" pinned_by)" "env NUMA_NODE" "ledger pinned_by ($policy)"
		assert_equal "$(status_pinned_by "c-$policy")" "env NUMA_NODE" "status --json pinned_by ($policy)"
		grep -q 'pinned to node(s) 1 by NUMA_NODE' "$T/log-$policy" || fail "the log does not say where the pin came from:" "$(cat "$T/log-$policy")"
	done
	run nr status
	assert_output_contains "c-restricted (pinned by env NUMA_NODE)"
}

@test "a NUMA_NODE that cannot be met is a TopologyAffinityError under restricted and single-numa-node" {
	for policy in restricted single-numa-node; do
		set_policy "$policy"
		env_bundle "$T/b-$policy" 5
		cp "$T/b-$policy/config.json" "$T/before.json"
		run --separate-stderr nr create --bundle "$T/b-$policy" "c-$policy"
		assert_refusal
		case $stderr in
		*TopologyAffinityError*"(NUMA_NODE in its env: 5)"*) ;;
		*) fail "refusal does not name the pin: $stderr" ;;
		esac
		assert_file_same "$T/b-$policy/config.json" "$T/before.json"
	done
	# kubelet's own cpuset on node 0 against NUMA_NODE=1.
	set_policy restricted
	env_bundle "$T/bk" 1 '.linux.resources.cpu = {"cpus": "0-1"}'
	run --separate-stderr nr create --bundle "$T/bk" ck
	assert_refusal
	assert_ledger_ids ""
}

@test "under best-effort an unmeetable NUMA_NODE is said, and the env then tells the truth" {
	env_bundle "$T/b" 5
	run --separate-stderr nr create --bundle "$T/b" c1
	assert_success
	case $stderr in
	*"NUMA_NODE in its env 5: no such node with CPUs"*"rewritten to NUMA_NODE=0"*) ;;
	*) fail "no warning about the rewrite: $stderr" ;;
	esac
	assert_placed "$(fake_config c1)" 0 0-3
}

@test "[annotations] numa_node_env = false: NUMA_NODE is no request, and its rewrite is said" {
	config_extra $'[annotations]\nnuma_node_env = false'
	env_bundle "$T/b" 1
	run --separate-stderr nr create --bundle "$T/b" c1
	assert_success
	assert_contains "$stderr" "rewritten to NUMA_NODE=0"
	assert_placed "$(fake_config c1)" 0 0-3
	assert_equal "$(ledger_jq -c '.containers[] | select(.id == "c1") | has("pinned_by")')" false "c1 has pinned_by"
}

@test "NUMA_NODE outside [annotations] allowed_nodes is refused when strict" {
	config_extra $'[annotations]\nallowed_nodes = 0'
	set_policy single-numa-node
	env_bundle "$T/b" 1
	run --separate-stderr nr create --bundle "$T/b" c1
	assert_refusal
	assert_contains "$stderr" "allowed_nodes = 0"
}

# ---- the guide's annotations ---------------------------------------------

@test "cpu-set.kubernetes.io/numa-node and kubernetes.io/topology-policy are aliases" {
	policy_bundle "$T/b1" '.annotations = {"cpu-set.kubernetes.io/numa-node": "1"}'
	create_ok c1 "$T/b1"
	assert_placed "$(fake_config c1)" 1 4-7
	assert_equal "$(ledger_field c1 pinned_by)" "cpu-set.kubernetes.io/numa-node"
	# restricted through the alias: a node that does not exist is refused.
	policy_bundle "$T/b2" '.annotations = {"kubernetes.io/topology-policy": "restricted", "cpu-set.kubernetes.io/numa-node": "7"}'
	run --separate-stderr nr create --bundle "$T/b2" c2
	assert_refusal
	assert_contains "$stderr" "TopologyAffinityError"
	assert_contains "$stderr" "policy restricted"
}

@test "the aliases obey the admin's bounds" {
	config_extra $'[annotations]\nallowed_nodes = 0'
	set_policy restricted
	policy_bundle "$T/b1" '.annotations = {"cpu-set.kubernetes.io/numa-node": "1"}'
	run --separate-stderr nr create --bundle "$T/b1" c1
	assert_refusal
	assert_contains "$stderr" "annotation cpu-set.kubernetes.io/numa-node = \`1\`"
	policy_bundle "$T/b2" '.annotations = {"kubernetes.io/topology-policy": "none"}'
	run --separate-stderr nr create --bundle "$T/b2" c2
	assert_refusal
	assert_contains "$stderr" "allow_weaker_policy is false"
}

# ---- kubelet's CPU and Memory Managers -----------------------------------

@test "CPUs kubelet gave another pod are never handed out, shared or exclusive" {
	cpu_state '{"0aa8c4f2-6c55-4b55-9d0e-1f0e2f7f5c01":{"db":"0-1"}}' none
	policy_bundle "$T/b1" '.annotations = {"numa-runtime.io/nodes": "0"}'
	create_ok c1 "$T/b1"
	assert_placed "$(fake_config c1)" 0 2-3
	# Exclusive: never 0 or 1 (with kubelet's policy none, numa-runtime
	# may hold CPUs itself).
	policy_bundle "$T/b2" '.annotations = {"numa-runtime.io/nodes": "0", "numa-runtime.io/cpu-allocation": "exclusive"} | .linux.resources.cpu = {"quota": 100000, "period": 100000}'
	create_ok c2 "$T/b2"
	got=$(ledger_field c2 exclusive_cpus)
	assert_equal "$got" 2 "exclusive CPUs of c2"
	# Without kubelet's entries the same request on an empty ledger gets
	# CPU 0: the test sees the checkpoint's effect, not a coincidence.
	cpu_state '{}' none
	use_ledger "$T/other-ledger.json"
	LEDGER=$T/other-ledger.json
	policy_bundle "$T/b3" '.annotations = {"numa-runtime.io/nodes": "0", "numa-runtime.io/cpu-allocation": "exclusive"} | .linux.resources.cpu = {"quota": 100000, "period": 100000}'
	create_ok c3 "$T/b3"
	assert_equal "$(ledger_field c3 exclusive_cpus)" 0 "exclusive CPUs of c3"
}

@test "kubelet's static policy: numa-runtime holds no exclusive CPUs (refused when strict, shared otherwise)" {
	cpu_state '{"0aa8c4f2-6c55-4b55-9d0e-1f0e2f7f5c01":{"db":"0-1"}}'
	excl='.annotations = {"numa-runtime.io/nodes": "0", "numa-runtime.io/cpu-allocation": "exclusive"} | .linux.resources.cpu = {"quota": 100000, "period": 100000}'
	policy_bundle "$T/b1" "$excl"
	run --separate-stderr nr create --bundle "$T/b1" c1
	assert_success
	assert_contains "$stderr" "sharing the pool"
	assert_placed "$(fake_config c1)" 0 2-3
	assert_equal "$(ledger_field c1 exclusive_cpus)" "" "exclusive CPUs of c1"
	set_policy restricted
	policy_bundle "$T/b2" "$excl"
	run --separate-stderr nr create --bundle "$T/b2" c2
	assert_refusal
	assert_contains "$stderr" "kubelet's CPU Manager runs the static policy"
}

@test "memory the Memory Manager reserved on a node counts as taken" {
	memory_state 15032385536 0 # 14 GiB of node 0's 16
	policy_bundle "$T/b1" '.linux.resources.memory = {"limit": 4294967296}'
	create_ok c1 "$T/b1"
	assert_placed "$(fake_config c1)" 1 4-7
	set_policy single-numa-node
	policy_bundle "$T/b2" '.linux.resources.memory = {"limit": 4294967296} | .annotations = {"numa-runtime.io/nodes": "0"}'
	run --separate-stderr nr create --bundle "$T/b2" c2
	assert_refusal
	assert_contains "$stderr" "TopologyAffinityError"
	# Without the reservation node 0 takes it.
	rm "$KUBELET/memory_manager_state"
	run --separate-stderr nr create --bundle "$T/b2" c2
	assert_success
	assert_placed "$(fake_config c2)" 0 0-3
}

@test "hostile or missing checkpoints are warnings, never failures" {
	set_policy single-numa-node
	local hostile=(
		'garbage'
		'{"policyName":"static","entries":{"p":{"c":"0-99999"}},"machineState":{"0":{"memoryMap":{"memory":{"reserved":-5}}}}}'
		'{"policyName":"Static","entries":{"p":{"c":7}},"machineState":{"0":{"memoryMap":{"memory":{"reserved":18446744073709551615}}}}}'
		'{"policyName":"static","entries":{"p":true},"machineState":{"01":{}}}'
		"$(printf '%0.s[' $(seq 200))"
	)
	local n
	for n in "${!hostile[@]}"; do
		printf '%s' "${hostile[n]}" >"$KUBELET/cpu_manager_state"
		printf '%s' "${hostile[n]}" >"$KUBELET/memory_manager_state"
		spec_bundle "$T/b$n"
		rm -rf "$LEDGER" "$LEDGER.d" # each on an empty node: node 0
		run --separate-stderr nr create --bundle "$T/b$n" "c$n"
		assert_success
		assert_contains "$stderr" "warning: kubelet's $KUBELET/cpu_manager_state"
		assert_contains "$stderr" "warning: kubelet's $KUBELET/memory_manager_state"
		assert_placed "$(fake_config "c$n")" 0 0-3
	done
	# Too big to be kubelet's.
	head -c 1100000 /dev/zero | tr '\0' ' ' >"$KUBELET/cpu_manager_state"
	spec_bundle "$T/big"
	run --separate-stderr nr create --bundle "$T/big" big
	assert_success
	assert_contains "$stderr" "over the limit"
	# A directory, then missing files while kubelet's root exists.
	rm -f "$KUBELET/cpu_manager_state" "$KUBELET/memory_manager_state"
	mkdir "$KUBELET/cpu_manager_state"
	spec_bundle "$T/dir"
	run --separate-stderr nr create --bundle "$T/dir" dir
	assert_success
	assert_contains "$stderr" "cpu_manager_state: Is a directory"
	assert_contains "$stderr" "memory_manager_state: No such file or directory"
}

@test "no kubelet root: nothing read, nothing said" {
	rm -rf "$KUBELET"
	spec_bundle "$T/b"
	create_ok c1 "$T/b"
	assert_placed "$(fake_config c1)" 0 0-3
}
