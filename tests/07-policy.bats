#!/usr/bin/env bats
# Policy plumbing with a recording fake runtime: memory policy (spec field or
# set_mempolicy), the seccomp rule, `update` narrowing, annotations.

load policy-helpers

setup() { policy_setup; }
teardown() { nr_teardown; }

# create_ok ID BUNDLE: a create that must succeed quietly.
create_ok() {
	run --separate-stderr nr create --bundle "$2" "$1"
	assert_success
	assert_equal "$stderr" "" "stderr of create $1"
}

# ---- memory policy ----------------------------------------------------------

@test "memoryPolicy is written when the runtime's features list it" {
	export FAKE_FEATURES=$FEATURES_WITH_MEMORY_POLICY
	spec_bundle "$T/b"
	create_ok c1 "$T/b"
	run jq -c '.linux.memoryPolicy' "$(fake_config c1)"
	assert_equal "$output" '{"mode":"MPOL_BIND","nodes":"0","flags":["MPOL_F_STATIC_NODES"]}'
	# Handed over in the spec: nothing set on the runtime's process.
	assert_equal "$(fake_mempolicy c1)" default
}

@test "memoryPolicy follows [memory] policy and the memory-policy annotation" {
	export FAKE_FEATURES=$FEATURES_WITH_MEMORY_POLICY
	config_extra $'[memory]\npolicy = preferred'
	spec_bundle "$T/b1"
	policy_bundle "$T/b2" '.annotations = {"numa-runtime.io/memory-policy": "interleave"}'
	create_ok c1 "$T/b1"
	create_ok c2 "$T/b2"
	assert_equal "$(jq -c '.linux.memoryPolicy' "$(fake_config c1)")" '{"mode":"MPOL_PREFERRED","nodes":"0","flags":["MPOL_F_STATIC_NODES"]}'
	assert_equal "$(jq -c '.linux.memoryPolicy' "$(fake_config c2)")" '{"mode":"MPOL_INTERLEAVE","nodes":"1","flags":["MPOL_F_STATIC_NODES"]}'
}

@test "memoryPolicy is absent when the runtime does not know it" {
	spec_bundle "$T/b"
	create_ok c1 "$T/b"
	assert_equal "$(jq -c '.linux.memoryPolicy' "$(fake_config c1)")" null
	# Fixture topology: its nodes mean nothing to this kernel, so no
	# set_mempolicy either.
	assert_equal "$(fake_mempolicy c1)" default
}

@test "memoryPolicy is applied with set_mempolicy on the host topology when the runtime does not know it" {
	[ -d /sys/devices/system/node/node0 ] || nr_skip "host has no NUMA sysfs"
	CFG_SYSFS=/sys
	write_config
	spec_bundle "$T/b"
	create_ok c1 "$T/b"
	assert_equal "$(jq -c '.linux.memoryPolicy' "$(fake_config c1)")" null
	node=$(jq -r '.linux.resources.cpu.mems' "$(fake_config c1)")
	assert_equal "$(fake_mempolicy c1)" "bind=static:$node" "policy inherited by the runtime"
}

@test "an existing linux.memoryPolicy is kept" {
	export FAKE_FEATURES=$FEATURES_WITH_MEMORY_POLICY
	policy_bundle "$T/b" '.linux.memoryPolicy = {"mode": "MPOL_LOCAL"}'
	create_ok c1 "$T/b"
	assert_equal "$(jq -c '.linux.memoryPolicy' "$(fake_config c1)")" '{"mode":"MPOL_LOCAL"}'
}

@test "features is asked once per runtime binary and cached next to the ledger" {
	export FAKE_FEATURES=$FEATURES_WITH_MEMORY_POLICY
	for i in 1 2 3; do
		spec_bundle "$T/b$i"
		create_ok c$i "$T/b$i"
	done
	assert_equal "$(fake_count features)" 1 "features calls"
	[ -s "$(dirname "$LEDGER")/runtime-features" ] || fail "no cache file next to the ledger"
	# A changed binary is asked again.
	cp "$FAKE_RUNTIME" "$T/runtime"
	echo "# changed" >>"$T/runtime"
	CFG_RUNTIME=$T/runtime
	write_config
	spec_bundle "$T/b4"
	create_ok c4 "$T/b4"
	assert_equal "$(fake_count features)" 2 "features calls"
}

# ---- seccomp ------------------------------------------------------------------

RULE='{"names":["mbind","set_mempolicy","get_mempolicy","set_mempolicy_home_node"],"action":"SCMP_ACT_ALLOW"}'

@test "seccomp: a blocking profile without CAP_SYS_NICE gets the mempolicy rule, nothing else changes" {
	policy_bundle "$T/b" "$SECCOMP_BLOCKING"
	cp "$T/b/config.json" "$T/original.json"
	create_ok c1 "$T/b"
	got=$(fake_config c1)
	assert_equal "$(jq -c '.linux.seccomp.syscalls[-1]' "$got")" "$RULE"
	assert_equal "$(jq -c '.linux.seccomp | del(.syscalls[-1])' "$got")" \
		"$(jq -c '.linux.seccomp' "$T/original.json")" "the rest of the profile"
	# Every name resolves on x86_64 with libseccomp, as runc will need.
	if command -v scmp_sys_resolver >/dev/null; then
		for name in $(jq -r '.linux.seccomp.syscalls[-1].names[]' "$got"); do
			n=$(scmp_sys_resolver -a x86_64 "$name")
			[ "$n" -ge 0 ] || fail "$name does not resolve: $n"
		done
	fi
}

@test "seccomp: unchanged with CAP_SYS_NICE, a permissive profile, or [seccomp] allow_mempolicy = false" {
	policy_bundle "$T/nice" "$SECCOMP_BLOCKING | .process.capabilities.bounding += [\"CAP_SYS_NICE\"]"
	policy_bundle "$T/allow" "$SECCOMP_BLOCKING | .linux.seccomp.defaultAction = \"SCMP_ACT_ALLOW\""
	spec_bundle "$T/none"
	create_ok nice "$T/nice"
	create_ok allow "$T/allow"
	create_ok none "$T/none"
	assert_equal "$(jq -c '.linux.seccomp' "$(fake_config nice)")" "$(jq -c '.linux.seccomp' "$T/nice/config.json")"
	assert_equal "$(jq -c '.linux.seccomp' "$(fake_config allow)")" "$(jq -c '.linux.seccomp' "$T/allow/config.json")"
	assert_equal "$(jq -c '.linux.seccomp' "$(fake_config none)")" null

	config_extra $'[seccomp]\nallow_mempolicy = false'
	policy_bundle "$T/off" "$SECCOMP_BLOCKING"
	create_ok off "$T/off"
	assert_equal "$(jq -c '.linux.seccomp.syscalls | length' "$(fake_config off)")" 1
}

# ---- update -------------------------------------------------------------------

RESOURCES='{"memory":{"limit":1073741824},"cpu":{"shares":1024,"quota":200000,"period":100000,"cpus":"0-7","mems":""}}'

@test "update --resources=- narrows a re-sent cpuset to the container's node" {
	spec_bundle "$T/b"
	create_ok c1 "$T/b"
	run --separate-stderr nr update --resources=- c1 <<<"$RESOURCES"
	assert_success
	got=$(fake_update c1)
	assert_equal "$(jq -c '.cpu' "$got")" '{"shares":1024,"quota":200000,"period":100000,"cpus":"0-3","mems":"0"}'
	assert_equal "$(jq -c '.memory' "$got")" '{"limit":1073741824}'
	assert_equal "$(fake_last_argv)" "$(json_argv --root "$RUNC_ROOT" update --resources=- c1)" "argv"
}

@test "update with a cpuset outside the container's node is refused, never reported done (issue 12 item 11)" {
	spec_bundle "$T/b1"
	spec_bundle "$T/b2"
	create_ok c1 "$T/b1"
	create_ok c2 "$T/b2" # node 1: CPUs 4-7
	local calls
	calls=$(fake_calls)
	# --resources: the JSON on stdin
	run --separate-stderr nr update -r - c2 <<<'{"cpu":{"cpus":"0-1"}}'
	assert_failure 1
	assert_equal "$output" "" "stdout"
	assert_equal "${#stderr_lines[@]}" 1 "lines on stderr"
	[[ $stderr == "numa-runtime: update c2: cpuset \`0-1\` holds none of CPUs 4-7 of node(s) 1,"* ]] ||
		fail "stderr: $stderr"
	# the flag form, as an operator types it
	run --separate-stderr nr update --cpuset-cpus 1 c2
	assert_failure 1
	assert_equal "${#stderr_lines[@]}" 1 "lines on stderr"
	assert_equal "$(fake_calls)" "$calls" "runtime calls (the runtime must not run)"
	assert_equal "$(ledger_field c2 cpus)" 4-7 "ledger cpus of c2"
	# a cpuset that holds some of the node's CPUs is narrowed to them
	run nr update -r - c2 <<<'{"cpu":{"cpus":"2-5"}}'
	assert_success
	assert_equal "$(jq -c '.cpu' "$(fake_update c2)")" '{"cpus":"4-5","mems":"1"}'
}

@test "update of a container whose cpuset kubelet chose passes through: kubelet owns it" {
	policy_bundle "$T/b" '.linux.resources.cpu.cpus = "5-6"'
	create_ok c1 "$T/b"
	assert_equal "$(cfg_cpus "$(fake_config c1)")" "5-6" "kubelet's cpuset kept at create"
	assert_equal "$(ledger_field c1 kubelet_cpus)" true
	run --separate-stderr nr update --resources=- c1 <<<"$RESOURCES"
	assert_success
	assert_equal "$(jq -c '.cpu.cpus' "$(fake_update c1)")" '"0-7"' "kubelet's new pool reaches the runtime"
}

@test "update passes through: unknown container, no cpuset, pass-through config" {
	spec_bundle "$T/b"
	create_ok c1 "$T/b"
	printf '%s' "$RESOURCES" >"$T/res.json"

	run nr update --resources=- stranger <"$T/res.json"
	assert_success
	cmp "$T/res.json" "$(fake_update stranger)" || fail "changed for an unknown container"

	printf '%s' '{"memory":{"limit":5}}' >"$T/mem.json"
	run nr update --resources=- c1 <"$T/mem.json"
	cmp "$T/mem.json" "$(fake_update c1)" || fail "changed without a cpuset"

	config_extra $'[placement]\nupdate_cpuset = pass-through'
	run nr update --resources=- c1 <"$T/res.json"
	assert_success
	cmp "$T/res.json" "$(fake_update c1)" || fail "changed under pass-through"
}

@test "update with a resources file: the edited JSON goes on stdin, the file is untouched" {
	spec_bundle "$T/b"
	create_ok c1 "$T/b"
	printf '%s' "$RESOURCES" >"$T/res.json"
	cp "$T/res.json" "$T/res.orig"
	run nr update --resources "$T/res.json" c1
	assert_success
	cmp "$T/res.json" "$T/res.orig" || fail "caller's file changed"
	assert_equal "$(jq -r '.cpu.cpus' "$(fake_update c1)")" 0-3
	assert_equal "$(fake_last_argv)" "$(json_argv --root "$RUNC_ROOT" update --resources - c1)" "argv"
}

@test "update --cpuset-cpus flag form is narrowed in argv" {
	spec_bundle "$T/b"
	create_ok c1 "$T/b"
	run nr update --cpuset-cpus 0-7 --cpuset-mems=0-1 --memory 1G c1
	assert_success
	assert_equal "$(fake_last_argv)" \
		"$(json_argv --root "$RUNC_ROOT" update --cpuset-cpus 0-3 --cpuset-mems=0 --memory 1G c1)" "argv"
	run nr update --cpuset-cpus=1-2 c1
	assert_equal "$(fake_last_argv)" "$(json_argv --root "$RUNC_ROOT" update --cpuset-cpus=1-2 c1)" "argv"
}

@test "update passes the runtime's exit status through" {
	spec_bundle "$T/b"
	create_ok c1 "$T/b"
	FAKE_EXIT_STATUS=5 run nr update --resources=- c1 <<<"$RESOURCES"
	assert_failure 5
	FAKE_EXIT_STATUS=6 run nr update --resources=- stranger <<<"$RESOURCES"
	assert_failure 6
}

# ---- annotations ----------------------------------------------------------------

@test "a malformed annotation is an error under restricted: nothing changes, runtime not called" {
	CFG_POLICY=restricted
	write_config
	policy_bundle "$T/b" '.annotations = {"numa-runtime.io/nodes": "zero"}'
	cp "$T/b/config.json" "$T/original.json"
	run --separate-stderr nr --log "$T/log.json" create --bundle "$T/b" c1
	assert_failure 1
	assert_contains "$stderr" 'annotation numa-runtime.io/nodes = `zero`'
	cmp "$T/b/config.json" "$T/original.json" || fail "config.json changed"
	assert_equal "$(fake_count create)" 0 "create calls"
	assert_equal "$(jq -r 'select(.level == "error") | .msg' "$T/log.json" | tail -n 1 | grep -c 'numa-runtime.io/nodes')" 1
}

@test "a malformed annotation is a warning under best-effort, and the container is placed" {
	policy_bundle "$T/b" '.annotations = {"numa-runtime.io/nodes": "zero", "numa-runtime.io/spread": "sideways"}'
	run --separate-stderr nr --log "$T/log.json" create --bundle "$T/b" c1
	assert_success
	assert_equal "$stderr" ""
	warnings=$(jq -r 'select(.level == "warning") | .msg' "$T/log.json")
	assert_contains "$warnings" 'container c1: ignoring annotation numa-runtime.io/nodes = `zero`'
	assert_contains "$warnings" 'numa-runtime.io/spread = `sideways`'
	assert_equal "$(jq -r '.linux.resources.cpu.mems' "$(fake_config c1)")" 0
}

@test "weakening annotations need allow_weaker_policy" {
	CFG_POLICY=restricted
	write_config
	policy_bundle "$T/b" '.annotations = {"numa-runtime.io/disable": "true"}'
	run --separate-stderr nr create --bundle "$T/b" c1
	assert_failure 1
	assert_contains "$stderr" "allow_weaker_policy"

	config_extra $'[annotations]\nallow_weaker_policy = true'
	cp "$T/b/config.json" "$T/original.json"
	create_ok c1 "$T/b"
	# Opted out: handed over untouched, not in the ledger.
	cmp "$(fake_config c1)" "$T/original.json" || fail "config.json changed for an opted-out container"
	assert_ledger_ids
}

@test "annotations are ignored when [annotations] enabled = false" {
	CFG_POLICY=restricted
	config_extra $'[annotations]\nenabled = false'
	policy_bundle "$T/b" '.annotations = {"numa-runtime.io/nodes": "zero", "numa-runtime.io/disable": "true"}'
	create_ok c1 "$T/b"
	assert_equal "$(jq -r '.linux.resources.cpu.mems' "$(fake_config c1)")" 0
}

@test "annotation values never reach the runtime's argv" {
	policy_bundle "$T/b" '.annotations = {"numa-runtime.io/nodes": "1 --debug", "numa-runtime.io/policy": "$(touch /tmp/nr-pwned)"}'
	run --separate-stderr nr create --bundle "$T/b" c1
	assert_success
	assert_equal "$(fake_last_argv)" "$(json_argv --root "$RUNC_ROOT" create --bundle "$T/b" c1)" "argv"
	[ ! -e /tmp/nr-pwned ] || fail "an annotation value was run"
}
