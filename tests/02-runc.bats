#!/usr/bin/env bats
# numa-runtime in front of the real runc on this host's own topology (/sys).
# The first container on an empty ledger goes to node 0.

load helpers

setup() {
	require_root
	require_runc
	require_busybox
	nr_setup
	[ -r /sys/devices/system/node/node0/cpulist ] ||
		nr_skip "host has no /sys/devices/system/node/node0 (kernel without NUMA support)"
	HOST_NODE0_CPUS=$(cat /sys/devices/system/node/node0/cpulist)
}

# wait_status ID STATUS: poll `numa-runtime state` until STATUS (5 s max).
wait_status() {
	local _ got=
	for _ in $(seq 50); do
		got=$(nr state "$1" 2>/dev/null | jq -r .status) || got=
		[ "$got" = "$2" ] && return 0
		sleep 0.1
	done
	fail "container $1 did not reach status $2 (last: ${got:-<no state>})"
}

@test "run: the container sees NUMA_NODE=0 and node 0's cpus and memory" {
	busybox_bundle "$T/bundle" sh -c 'echo "NUMA_NODE=$NUMA_NODE"; grep -E "^(Cpus|Mems)_allowed_list:" /proc/self/status'
	run --separate-stderr nr run --bundle "$T/bundle" r1 </dev/null
	assert_success
	local numa cpus mems
	numa=$(printf '%s\n' "$output" | sed -n 's/^NUMA_NODE=//p')
	cpus=$(printf '%s\n' "$output" | sed -n 's/^Cpus_allowed_list:[[:space:]]*//p')
	mems=$(printf '%s\n' "$output" | sed -n 's/^Mems_allowed_list:[[:space:]]*//p')
	assert_equal "$numa" 0 "NUMA_NODE inside the container"
	assert_equal "$cpus" "$HOST_NODE0_CPUS" "Cpus_allowed_list inside the container (host node0/cpulist)"
	assert_equal "$mems" 0 "Mems_allowed_list inside the container"
	assert_equal "$stderr" "" "stderr"
}

@test "create, start, state, kill, delete through numa-runtime" {
	busybox_bundle "$T/bundle" sleep 600

	nr_detached create --bundle "$T/bundle" c1 ||
		fail "create failed: $(cat "$T/detached.err")"
	assert_equal "$(cat "$T/detached.out")" "" "stdout of create"
	assert_equal "$(cat "$T/detached.err")" "" "stderr of create"
	assert_ledger_ids c1
	assert_equal "$(ledger_field c1 nodes)" 0 "ledger nodes of c1"
	assert_equal "$(ledger_field c1 cpus)" "$HOST_NODE0_CPUS" "ledger cpus of c1"
	assert_placed "$T/bundle/config.json" 0 "$HOST_NODE0_CPUS"

	run --separate-stderr nr state c1
	assert_success
	assert_equal "$(echo "$output" | jq -r .status)" created "status after create"
	assert_equal "$(echo "$output" | jq -r .id)" c1 "id in state"

	nr_detached start c1 || fail "start failed: $(cat "$T/detached.err")"
	wait_status c1 running
	assert_ledger_ids c1

	run --separate-stderr nr kill c1 KILL
	assert_success
	wait_status c1 stopped
	assert_ledger_ids c1

	run --separate-stderr nr delete c1
	assert_success
	assert_output ""
	assert_ledger_ids
	run "$RUNC" --root "$RUNC_ROOT" state c1
	assert_failure
}

@test "delete --force of a running container releases its ledger entry" {
	busybox_bundle "$T/bundle" sleep 600
	nr_detached create --bundle "$T/bundle" c1 || fail "create failed: $(cat "$T/detached.err")"
	nr_detached start c1 || fail "start failed: $(cat "$T/detached.err")"
	wait_status c1 running
	run --separate-stderr nr delete --force c1
	assert_success
	assert_ledger_ids
}

@test "two containers at once both get an entry, each config.json placed" {
	busybox_bundle "$T/b1" sleep 600
	busybox_bundle "$T/b2" sleep 600
	nr_detached create --bundle "$T/b1" c1 || fail "create c1 failed: $(cat "$T/detached.err")"
	nr_detached create --bundle "$T/b2" c2 || fail "create c2 failed: $(cat "$T/detached.err")"
	assert_ledger_ids c1 c2
	# one node on this host: both land on it
	if [ "$(cat /sys/devices/system/node/online)" = 0 ]; then
		assert_placed "$T/b1/config.json" 0 "$HOST_NODE0_CPUS"
		assert_placed "$T/b2/config.json" 0 "$HOST_NODE0_CPUS"
	fi
	run --separate-stderr nr delete c1
	assert_success
	assert_ledger_ids c2
}

# cpus_seen BUNDLE ID: run ID to completion, print its Cpus_allowed_list.
cpus_seen() {
	nr run --bundle "$1" "$2" </dev/null 2>"$T/$2.err" | sed -n 's/^Cpus_allowed_list:[[:space:]]*//p'
}

@test "exclusive CPUs: held while the container lives, back in the shared pool after delete" {
	[ "$(nproc --all)" -ge 2 ] && [ "$(wc -w <<<"$(tr ',-' '  ' <<<"$HOST_NODE0_CPUS")")" -ge 2 ] ||
		nr_skip "needs node 0 to have two CPUs or more"
	CFG_EXTRA=$'cpu_allocation = exclusive'
	write_config
	local report='grep -E "^Cpus_allowed_list:" /proc/self/status'
	busybox_bundle "$T/excl" sh -c "$report; sleep 600"
	jq '.linux.resources.cpu = {"quota": 100000, "period": 100000}' "$T/excl/config.json" >"$T/c.json" &&
		mv "$T/c.json" "$T/excl/config.json"
	nr_detached create --bundle "$T/excl" excl || fail "create failed: $(cat "$T/detached.err")"
	local held
	held=$(ledger_field excl exclusive_cpus)
	[ -n "$held" ] && [ "$held" != null ] || fail "no exclusive CPU held:" "$(ledger_doc "$LEDGER")"
	assert_equal "$(cfg_cpus "$T/excl/config.json")" "$held" "the container's cpuset is its exclusive CPU"

	# A shared container meanwhile runs on the rest of the node.
	busybox_bundle "$T/s1" sh -c "$report"
	local shared
	shared=$(cpus_seen "$T/s1" s1)
	[ -n "$shared" ] || fail "s1 printed no Cpus_allowed_list: $(cat "$T/s1.err")"
	[ "$shared" != "$HOST_NODE0_CPUS" ] || fail "shared container sees every CPU, the held $held too: $shared"
	case ",$shared," in *",$held,"*) fail "shared container sees the held CPU $held: $shared" ;; esac
	nr delete s1 >/dev/null 2>&1 || true

	run --separate-stderr nr delete --force excl
	assert_success
	busybox_bundle "$T/s2" sh -c "$report"
	assert_equal "$(cpus_seen "$T/s2" s2)" "$HOST_NODE0_CPUS" "after delete the held CPU is shared again"
	nr delete s2 >/dev/null 2>&1 || true
}
