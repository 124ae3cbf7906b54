#!/usr/bin/env bats
# Placement on the two-node fixture (tests/fixtures/twonode: node0 cpus 0-3,
# node1 cpus 4-7) with tests/fake-runtime, and what create does and does not
# change in config.json.

load helpers

setup() {
	nr_setup
	use_fake_runtime
	use_fixture twonode
}

# create_ok ID BUNDLE: numa-runtime create succeeds silently (with
# ALLOW_WARNINGS=1: stderr may hold "numa-runtime: warning: " lines).
create_ok() {
	run --separate-stderr nr create --bundle "$2" "$1"
	assert_success
	assert_output ""
	if [ "${ALLOW_WARNINGS:-0}" = 1 ]; then
		! printf '%s\n' "$stderr" | grep -v -e '^numa-runtime: warning: ' -e '^$' >&2 ||
			fail "stderr of create $1 has more than warnings:" "$stderr"
	else
		assert_equal "$stderr" "" "stderr of create $1"
	fi
	assert_runtime_argv --root "$RUNC_ROOT" create --bundle "$2" "$1"
}

delete_ok() {
	run --separate-stderr nr delete "$1"
	assert_success
	assert_runtime_argv --root "$RUNC_ROOT" delete "$1"
}

# A config.json with what a JSON library might lose: unknown fields at every
# level, integers beyond 2^53 and 2^63, floats in several spellings, escapes.
write_tricky_config() {
	cat >"$1/config.json" <<'EOF'
{
  "ociVersion": "1.0.2-dev",
  "x-unknown-top": {
    "numbers": [0, -1, 2.50, -0.0, 1e-7, 6.02E+23, 1.0, 0.1, 18446744073709551615, -9223372036854775808, 123456789012345678901234567890],
    "literals": [true, false, null, [], {}, ""],
    "text": "caf\u00e9 \u2603 \ud83d\ude00 \"quoted\" back\\slash \/ tab\t nl\n ctl\u001f"
  },
  "process": {
    "terminal": false,
    "user": {"uid": 0, "gid": 0, "additionalGids": [4294967295]},
    "args": ["sh", "-c", "echo \"$NUMA_NODE\""],
    "env": ["PATH=/bin", "LANG=C.UTF-8", "GREETING=gr\u00fc\u00df dich"],
    "cwd": "/",
    "x-process-extra": {"weight": 0.25}
  },
  "root": {"path": "rootfs", "readonly": true},
  "hostname": "tricky",
  "annotations": {
    "io.kubernetes.cri.container-type": "container",
    "org.example/\u00fc": "\u0001"
  },
  "linux": {
    "resources": {
      "memory": {"limit": 9223372036854775807, "swap": 18446744073709551615, "x-ratio": 1.5e300},
      "cpu": {"shares": 1024, "quota": -1, "period": 100000, "x-cpu-extra": "kept"},
      "devices": [{"allow": false, "access": "rwm"}],
      "unified": {"memory.high": "max"}
    },
    "namespaces": [{"type": "pid"}, {"type": "mount"}],
    "x-linux-extra": {"z": 1, "a": 2, "m": 3}
  },
  "x-unknown-last": 18446744073709551615
}
EOF
}

@test "two containers in turn land on node 0, then node 1" {
	spec_bundle "$T/b1"
	spec_bundle "$T/b2"
	create_ok c1 "$T/b1"
	assert_placed "$(fake_config c1)" 0 0-3
	create_ok c2 "$T/b2"
	assert_placed "$(fake_config c2)" 1 4-7
	# what the runtime got is what is in the bundle
	assert_file_same "$T/b1/config.json" "$(fake_config c1)"
	assert_file_same "$T/b2/config.json" "$(fake_config c2)"
	assert_ledger_ids c1 c2
	assert_equal "$(ledger_field c1 nodes)" 0 "ledger nodes of c1"
	assert_equal "$(ledger_field c1 cpus)" 0-3 "ledger cpus of c1"
	assert_equal "$(ledger_field c2 nodes)" 1 "ledger nodes of c2"
	assert_equal "$(ledger_field c2 cpus)" 4-7 "ledger cpus of c2"
}

@test "an exclusive container on both nodes is charged on each for the CPUs it holds there" {
	# b, six CPUs, spans: all four of node 0, two of node 1.  Node 1 then
	# has its core 6-7 free; charged half of b's six (3 CPUs) it would show
	# 3 of its 4 CPUs taken, and c (two CPUs) would find no room on either.
	CFG_EXTRA='cpu_allocation = exclusive'
	write_config
	excl_bundle "$T/b" 6
	excl_bundle "$T/c" 2
	ALLOW_WARNINGS=1 create_ok b "$T/b" # "spanning 2 nodes"
	assert_equal "$(cfg_cpus "$T/b/config.json")" "0-5" "b: all of node 0, two CPUs of node 1"
	run --separate-stderr nr status --json
	assert_success
	assert_equal "$(jq -c '[.nodes[] | .load]' <<<"$output")" "[4000,2000]" "load per node: the CPUs each holds"
	create_ok c "$T/c"
	assert_equal "$(cfg_cpus "$T/c/config.json")" "6-7" "c: the core b left on node 1"
	assert_equal "$(ledger_field c exclusive_cpus)" "6-7" "the ledger holds it for c"
}

# shared_nodes_trace: on the two-node fixture, s1 (half a CPU) shares node
# 0's pool, a holds two CPUs of node 0 (pinned), then s2 (half a CPU)
# comes: the node it gets is printed.
shared_nodes_trace() {
	CFG_EXTRA="cpu_allocation = exclusive
$1"
	write_config
	excl_bundle "$T/s1" 0.5
	excl_bundle "$T/a" 2 '{"numa-runtime.io/nodes": "0"}'
	excl_bundle "$T/s2" 0.5
	excl_bundle "$T/b" 4 '{"numa-runtime.io/policy": "single-numa-node"}'
	create_ok s1 "$T/s1"
	create_ok a "$T/a"
	assert_equal "$(ledger_field a nodes)" 0 "a is pinned to node 0"
	create_ok s2 "$T/s2"
}

@test "shared containers spread by headroom by default, and then no node is whole" {
	shared_nodes_trace ""
	assert_equal "$(ledger_field s2 nodes)" 1 "s2 on the emptier node"
	assert_equal "$(cfg_cpus "$T/s2/config.json")" 4-7
	run --separate-stderr nr create --bundle "$T/b" b
	assert_failure
	assert_output ""
	[[ $stderr == *TopologyAffinityError*"it fits on no single node"* ]] ||
		fail "b: not the refusal expected" "$stderr"
	assert_ledger_ids s1 a s2
}

@test "shared_nodes = gather: a shared container joins a pool that has sharers, and a node stays whole" {
	shared_nodes_trace "shared_nodes = gather"
	assert_equal "$(ledger_field s2 nodes)" 0 "s2 beside s1"
	assert_equal "$(ledger_field a exclusive_cpus)" 0-1
	assert_equal "$(ledger_field s2 cpus)" 2-3 "node 0's pool, less a's CPUs"
	create_ok b "$T/b"
	assert_equal "$(cfg_cpus "$T/b/config.json")" 4-7 "b: all of node 1"
	assert_equal "$(ledger_field b exclusive_cpus)" 4-7
}

@test "a pod of whole CPUs: its sandbox keeps no CPU shared, its container holds the whole node, a rebuild keeps it so" {
	# kubelet's order: the sandbox first, charged the pod's 4 CPUs (CRI's
	# annotations), then the container of 4 whole CPUs, which follows it.
	# Were the sandbox a sharer, node 0 would keep a CPU for it and the
	# container could hold only 3: "cannot hold 4 CPUs exclusively".
	CFG_POLICY=single-numa-node
	CFG_EXTRA='cpu_allocation = exclusive'
	write_config
	spec_bundle "$T/sb"
	jq '.annotations = {"io.kubernetes.cri.container-type": "sandbox",
		"io.kubernetes.cri.sandbox-id": "sb",
		"io.kubernetes.cri.sandbox-cpu-quota": "400000",
		"io.kubernetes.cri.sandbox-cpu-period": "100000"}' "$T/sb/config.json" >"$T/sb.json" &&
		mv "$T/sb.json" "$T/sb/config.json"
	excl_bundle "$T/app" 4 '{"io.kubernetes.cri.container-type": "container",
		"io.kubernetes.cri.sandbox-id": "sb"}'
	create_ok sb "$T/sb"
	assert_equal "$(ledger_field sb exclusive_pod)" true "the sandbox's entry says so"
	create_ok app "$T/app"
	assert_equal "$(ledger_field app nodes)" "$(ledger_field sb nodes)" "app follows its sandbox"
	assert_equal "$(ledger_field app exclusive_cpus)" "$(cfg_cpus "$T/app/config.json")"
	assert_equal "$(cfg_cpus "$T/app/config.json" | tr -cd ',-')" "-" "one range"
	[ "$(cfg_cpus "$T/app/config.json")" = 0-3 ] || [ "$(cfg_cpus "$T/app/config.json")" = 4-7 ] ||
		fail "app holds $(cfg_cpus "$T/app/config.json"), not a whole node"

	# Rebuilt from the runtime's state, the sandbox is still no sharer.
	echo garbage >"$LEDGER"
	run --separate-stderr nr gc
	assert_success
	assert_equal "$(ledger_field sb exclusive_pod)" true "after the rebuild"
}

@test "run is placed like create" {
	spec_bundle "$T/b1"
	spec_bundle "$T/b2"
	run --separate-stderr nr run --bundle "$T/b1" r1
	assert_success
	assert_placed "$(fake_config r1)" 0 0-3
	run --separate-stderr nr run -d --bundle "$T/b2" r2
	assert_success
	assert_placed "$(fake_config r2)" 1 4-7
}

@test "after deleting the first container the next goes to node 0 again" {
	spec_bundle "$T/b1"
	spec_bundle "$T/b2"
	spec_bundle "$T/b3"
	create_ok c1 "$T/b1"
	create_ok c2 "$T/b2"
	delete_ok c1
	assert_ledger_ids c2
	create_ok c3 "$T/b3"
	assert_placed "$(fake_config c3)" 0 0-3
	assert_ledger_ids c2 c3
}

@test "a failed delete keeps the ledger entry and the runtime's exit status" {
	spec_bundle "$T/b1"
	create_ok c1 "$T/b1"
	FAKE_DELETE_STATUS=3 run --separate-stderr nr delete c1
	assert_failure 3
	assert_runtime_argv --root "$RUNC_ROOT" delete c1
	assert_ledger_ids c1
}

@test "delete of a container the ledger does not know still reaches the runtime" {
	spec_bundle "$T/b1"
	create_ok c1 "$T/b1"
	fake_container other
	delete_ok other
	assert_ledger_ids c1
}

@test "delete -f / --force release the ledger entry" {
	spec_bundle "$T/b1"
	spec_bundle "$T/b2"
	create_ok c1 "$T/b1"
	create_ok c2 "$T/b2"
	run --separate-stderr nr delete -f c1
	assert_success
	assert_runtime_argv --root "$RUNC_ROOT" delete -f c1
	run --separate-stderr nr delete --force c2
	assert_success
	assert_ledger_ids
}

@test "an existing NUMA_NODE in process.env is replaced, not duplicated" {
	spec_bundle "$T/b1"
	# NUMA_NODE=0 is where it goes anyway: another node would be a pin
	# request (tests/23-integrations.bats).
	jq '.process.env = ["PATH=/bin", "NUMA_NODE=0", "MY_NUMA_NODE=keep", "NUMA_NODES=keep", "TERM=xterm"]' \
		"$T/b1/config.json" >"$T/c.json" && mv "$T/c.json" "$T/b1/config.json"
	create_ok c1 "$T/b1"
	assert_placed "$(fake_config c1)" 0 0-3
	assert_equal "$(jq -c '[.process.env[] | select(startswith("NUMA_NODE=") | not)]' "$(fake_config c1)")" \
		'["PATH=/bin","MY_NUMA_NODE=keep","NUMA_NODES=keep","TERM=xterm","NUMA_MEMORY_NODES=0"]' \
		"other env entries (in order; NUMA_MEMORY_NODES added last)"
}

@test "several existing NUMA_NODE entries leave exactly one" {
	spec_bundle "$T/b1"
	jq '.process.env = ["NUMA_NODE=1", "PATH=/bin", "NUMA_NODE=", "NUMA_NODE=0"]' \
		"$T/b1/config.json" >"$T/c.json" && mv "$T/c.json" "$T/b1/config.json"
	create_ok c1 "$T/b1"
	assert_placed "$(fake_config c1)" 0 0-3
}

@test "process.env missing: NUMA_NODE is added" {
	spec_bundle "$T/b1"
	jq 'del(.process.env)' "$T/b1/config.json" >"$T/c.json" && mv "$T/c.json" "$T/b1/config.json"
	create_ok c1 "$T/b1"
	assert_placed "$(fake_config c1)" 0 0-3
}

@test "linux.resources missing: cpu.cpus and cpu.mems are added" {
	spec_bundle "$T/b1"
	jq 'del(.linux.resources)' "$T/b1/config.json" >"$T/c.json" && mv "$T/c.json" "$T/b1/config.json"
	create_ok c1 "$T/b1"
	assert_placed "$(fake_config c1)" 0 0-3
}

@test "unknown fields, big integers, floats and escapes survive (semantically)" {
	mkdir -p "$T/b1/rootfs"
	write_tricky_config "$T/b1"
	cp "$T/b1/config.json" "$T/orig.json"
	create_ok c1 "$T/b1"
	assert_placed "$(fake_config c1)" 0 0-3
	assert_json_same "$(fake_config c1)" "$T/orig.json" "$JQ_STRIP_OWNED"
}

@test "key order and number text survive" {
	mkdir -p "$T/b1/rootfs"
	write_tricky_config "$T/b1"
	cp "$T/b1/config.json" "$T/orig.json"
	create_ok c1 "$T/b1"
	local got want n
	# jq keeps key order without -S
	got=$(jq -c "$JQ_STRIP_OWNED" "$(fake_config c1)")
	want=$(jq -c "$JQ_STRIP_OWNED" "$T/orig.json")
	assert_equal "$got" "$want" "config.json without the owned fields, in key order"
	# jq 1.6 turns big numbers into doubles, so look for the literal text
	for n in 18446744073709551615 -9223372036854775808 9223372036854775807 \
		123456789012345678901234567890 2.50 -0.0 1e-7 6.02E+23 1.0 0.25 1.5e300 4294967295; do
		grep -Eq "[[:space:]:,[]$(printf '%s' "$n" | sed 's/[.+[]/\\&/g')[]},[:space:]]" "$(fake_config c1)" ||
			fail "number $n not found verbatim in the config.json handed to the runtime:" "$(cat "$(fake_config c1)")"
	done
}

@test "file mode and owner of config.json are kept" {
	spec_bundle "$T/b1"
	chmod 0640 "$T/b1/config.json"
	local want_owner
	if [ "$(id -u)" -eq 0 ]; then
		chown 1234:5678 "$T/b1/config.json"
		want_owner=1234:5678
	else
		want_owner=$(stat -c %u:%g "$T/b1/config.json")
	fi
	create_ok c1 "$T/b1"
	assert_placed "$T/b1/config.json" 0 0-3
	assert_equal "$(stat -c %a "$T/b1/config.json")" 640 "mode of config.json"
	assert_equal "$(stat -c %u:%g "$T/b1/config.json")" "$want_owner" "owner of config.json"
}

@test "no temporary files are left in the bundle" {
	spec_bundle "$T/b1"
	create_ok c1 "$T/b1"
	assert_equal "$(cd "$T/b1" && ls -A | tr '\n' ' ')" "config.json rootfs " "bundle contents"
}
