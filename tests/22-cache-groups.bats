#!/usr/bin/env bats
# Cache groups end to end: numa-runtime create on the epyc-ccx4 machine of
# tests/fixtures/gen-sysfs.sh (one node, 64 cores x 2 threads, 16 L3s of 4
# cores, CPUs 60-63,124-127 isolated), generated at test time, with
# tests/fake-runtime recording what it is handed.  What a group is comes
# from the fixture's own cpuN/cache/index3/shared_cpu_list.

load helpers

setup_file() {
	MACHINE=$BATS_FILE_TMPDIR/epyc-ccx4
	sh "$FIXTURES/gen-sysfs.sh" epyc-ccx4 "$MACHINE" >/dev/null
	export MACHINE
}

setup() {
	nr_setup
	use_fake_runtime
	CFG_SYSFS=$MACHINE/sys
	CFG_EXTRA=$'cpu_allocation = exclusive'
	write_config
}

# l3_of CPU: the fixture's L3 shared_cpu_list of CPU.
l3_of() { cat "$MACHINE/sys/devices/system/cpu/cpu$1/cache/index3/shared_cpu_list"; }

@test "an exclusive container one L3 large gets exactly one L3 group" {
	excl_bundle "$T/a" 2
	nr create --bundle "$T/a" a
	excl_bundle "$T/b" 8
	nr create --bundle "$T/b" b
	local got first
	got=$(cfg_cpus "$T/b/config.json")
	first=${got%%[-,]*}
	assert_equal "$got" "$(l3_of "$first")" "b's cpuset is one whole L3 group"
	assert_equal "$(ledger_field b exclusive_cpus)" "$got" "the ledger holds that group for b"
}

@test "a smaller container fills the partly used group first (best fit)" {
	excl_bundle "$T/a" 2
	nr create --bundle "$T/a" a
	excl_bundle "$T/b" 6
	nr create --bundle "$T/b" b
	local a b
	a=$(cfg_cpus "$T/a/config.json")
	b=$(cfg_cpus "$T/b/config.json")
	assert_equal "$(l3_of "${b%%[-,]*}")" "$(l3_of "${a%%[-,]*}")" "a ($a) and b ($b) share one L3"
}

@test "isolated CPUs are in no shared cpuset; status shows groups and isolated CPUs" {
	CFG_EXTRA=
	write_config
	spec_bundle "$T/s"
	nr create --bundle "$T/s" s
	assert_equal "$(cfg_cpus "$T/s/config.json")" "0-59,64-123" "the shared pool without the isolated CPUs"
	run --separate-stderr nr status --json
	assert_success
	assert_equal "$(jq -r '.nodes[0].isolated_cpus' <<<"$output")" "60-63,124-127" "isolated CPUs"
	assert_equal "$(jq -c '[.nodes[0].llc_groups[] | .cpus_total] | unique' <<<"$output")" "[8]" \
		"16 groups of 8 CPUs"
	assert_equal "$(jq '.nodes[0].llc_groups | length' <<<"$output")" 16 "16 groups"
	run --separate-stderr nr status
	assert_success
	[[ "$output" == *"isolated CPUs (in no pool): 60-63,124-127"* ]] || fail "no isolated line: $output"
}

@test "metrics: numa_runtime_llc_* gauges per group, isolated CPUs per node" {
	excl_bundle "$T/b" 8
	nr create --bundle "$T/b" b
	run --separate-stderr nr metrics
	assert_success
	assert_equal "$(grep -c '^numa_runtime_llc_cpus{node="0",llc="[0-9]*"} 8$' <<<"$output")" 16 "16 groups of 8"
	assert_equal "$(grep '^numa_runtime_llc_exclusive_cpus' <<<"$output" | awk '{ s += $2 } END { print s }')" 8 \
		"b's 8 CPUs held in the groups"
	assert_equal "$(grep -c '^numa_runtime_llc_exclusive_cpus{.*} 8$' <<<"$output")" 1 "in exactly one group"
	assert_equal "$(sed -n 's/^numa_runtime_node_isolated_cpus{node="0"} //p' <<<"$output")" 8 "isolated"
}

@test "isolated CPUs go to an exclusive container that asks only when the admin allows it" {
	excl_bundle "$T/i" 4 '{"numa-runtime.io/isolated-cpus": "true"}'
	cp "$T/i/config.json" "$T/i/config.orig"
	CFG_POLICY=restricted
	write_config
	run --separate-stderr nr create --bundle "$T/i" i
	assert_failure
	[[ "$stderr" == *"isolated_cpus is never"* ]] || fail "unexpected error: $stderr"
	cmp "$T/i/config.json" "$T/i/config.orig" || fail "config.json changed on a refusal"
	CFG_EXTRA=$'cpu_allocation = exclusive\nisolated_cpus = annotated'
	write_config
	nr create --bundle "$T/i" i
	assert_equal "$(cfg_cpus "$T/i/config.json")" "60-61,124-125" "two isolated cores"
}

@test "topology --nrt names the cache alignment as kubelet does, only where caches group cores" {
	run --separate-stderr nr topology --nrt --node-name worker-1
	assert_success
	assert_equal "$(jq -r '.attributes[] | select(.name == "prefer-align-cpus-by-uncorecache") | .value' <<<"$output")" \
		true "kubelet's option name on a machine with 16 L3s"
	# Ampere Altra's kernel shows no cache shared by two cores: no claim.
	sh "$FIXTURES/gen-sysfs.sh" altra "$T/altra" >/dev/null
	CFG_SYSFS=$T/altra/sys
	write_config
	run --separate-stderr nr topology --nrt --node-name worker-1
	assert_success
	assert_equal "$(jq -c '[.attributes[].name]' <<<"$output")" \
		'["topologyManagerPolicy","topologyManagerScope"]' "no cache attribute without cache groups"
}
