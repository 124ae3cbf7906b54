#!/usr/bin/env bats
# `numa-runtime hook prestart|poststop`: the OCI hook mode, called directly
# with a state document, then from runc itself.

load integration-lib

setup() {
	it_setup
	[ -x "$NUMA_RUNTIME" ] || fail "numa-runtime not found at $NUMA_RUNTIME"
	require_cmd jq jq
	it_runc_config "$T/run/ledger.json"
	SLEEPER=
}

teardown() {
	[ -z "$SLEEPER" ] || kill "$SLEEPER" 2>/dev/null || true
	runc_delete_all "$T/runc-root"
	it_teardown
}

# ledger_with ID:CPUS...: a ledger of this boot holding those entries,
# written by hand in the version 1 layout (one file), which numa-runtime
# reads and rewrites in its own layout on its first change.
ledger_with() {
	local boot item entries=
	boot=$(cat /proc/sys/kernel/random/boot_id)
	for item in "$@"; do
		entries="$entries${entries:+,}{\"id\":\"${item%%:*}\",\"nodes\":\"0\",\"cpus\":\"${item#*:}\"}"
	done
	mkdir -p "$(dirname "$LEDGER")"
	printf '{"version":1,"boot_id":"%s","containers":[%s]}\n' "$boot" "$entries" >"$LEDGER"
}

state() { # state ID [PID]
	printf '{"ociVersion":"1.0.2","id":"%s","status":"created","pid":%s,"bundle":"%s","annotations":{"a":"b"}}' \
		"$1" "${2:-0}" "$T"
}

# start_sleeper: SLEEPER, a process to name in the state, and
# SLEEPER_CPUS, the CPUs its cpuset allows.
start_sleeper() {
	sleep 600 &
	SLEEPER=$!
	SLEEPER_CPUS=$(sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' "/proc/$SLEEPER/status")
}

# --- poststop ----------------------------------------------------------------

@test "poststop without a ledger succeeds silently and creates nothing" {
	run -0 "$NUMA_RUNTIME" hook poststop <<<"$(state c1)"
	[ -z "$output" ]
	[ ! -e "$T/run" ]
}

@test "poststop releases the container's entry and only that one" {
	ledger_with c1:0 c2:0
	run -0 "$NUMA_RUNTIME" hook poststop <<<"$(state c1)"
	[ -z "$output" ]
	assert_equal "$(ledger_ids)" c2 "ledger ids"
	[ "$(ledger_doc "$LEDGER" | jq -r '.nodes[0].containers')" = 1 ]
}

@test "poststop is idempotent and quiet when there is no entry" {
	ledger_with c2:0
	cp "$LEDGER" "$T/before"
	run -0 "$NUMA_RUNTIME" hook poststop <<<"$(state c1)"
	[ -z "$output" ]
	run -0 "$NUMA_RUNTIME" hook poststop <<<"$(state c1)"
	[ -z "$output" ]
	cmp "$T/before" "$LEDGER"
}

# --- prestart ----------------------------------------------------------------

@test "prestart is silent when the process's cpuset is the one chosen" {
	start_sleeper
	ledger_with "c1:$SLEEPER_CPUS"
	run -0 --separate-stderr "$NUMA_RUNTIME" hook prestart <<<"$(state c1 "$SLEEPER")"
	[ -z "$output" ]
	[ -z "$stderr" ]
}

@test "prestart warns about a cpuset mismatch but exits 0" {
	start_sleeper
	# A cpuset the process cannot have: a CPU number past any real one.
	ledger_with "c1:4000"
	run -0 --separate-stderr "$NUMA_RUNTIME" hook prestart <<<"$(state c1 "$SLEEPER")"
	[ -z "$output" ]
	[[ $stderr == *"numa-runtime: warning: container c1: its cgroup allows CPUs $SLEEPER_CPUS, but numa-runtime placed it on CPUs 4000"* ]]
	# Verifying changes nothing.
	assert_equal "$(ledger_ids)" c1 "ledger ids"
}

@test "prestart with --log FILE writes the warning to the file as JSON" {
	start_sleeper
	ledger_with "c1:4000"
	run -0 --separate-stderr "$NUMA_RUNTIME" --log "$T/hooks.log" hook prestart <<<"$(state c1 "$SLEEPER")"
	[ -z "$stderr" ]
	[ "$(jq -r .level "$T/hooks.log")" = warning ]
	[[ $(jq -r .msg "$T/hooks.log") == "numa-runtime: container c1: its cgroup allows CPUs "*", but numa-runtime placed it on CPUs 4000"* ]]
}

@test "prestart without an entry or a ledger is silent" {
	start_sleeper
	run -0 "$NUMA_RUNTIME" hook prestart <<<"$(state c1 "$SLEEPER")"
	[ -z "$output" ]
	[ ! -e "$T/run" ]
	ledger_with c2:0
	run -0 "$NUMA_RUNTIME" hook prestart <<<"$(state c1 "$SLEEPER")"
	[ -z "$output" ]
}

@test "prestart for a vanished process warns and exits 0" {
	ledger_with c1:0
	run -0 --separate-stderr "$NUMA_RUNTIME" hook prestart <<<"$(state c1 2147483647)"
	[[ $stderr == *"warning: prestart c1: cannot verify the cpuset"* ]]
}

# --- malformed input -----------------------------------------------------------

@test "malformed state on stdin exits 1 with a numa-runtime: line" {
	local stage
	for stage in prestart poststop; do
		run -1 "$NUMA_RUNTIME" hook "$stage" <<<'not json'
		[[ $output == "numa-runtime: hook $stage: container state on stdin: invalid JSON"* ]]
		run -1 "$NUMA_RUNTIME" hook "$stage" </dev/null
		[ "$output" = "numa-runtime: hook $stage: no container state on stdin" ]
		run -1 "$NUMA_RUNTIME" hook "$stage" <<<'{"pid":1}'
		[ "$output" = "numa-runtime: hook $stage: container state on stdin has no \`id\`" ]
		run -1 "$NUMA_RUNTIME" hook "$stage" <<<'[1,2]'
		[ "$output" = "numa-runtime: hook $stage: container state on stdin is not a JSON object" ]
		run -1 "$NUMA_RUNTIME" hook "$stage" <<<'{"id":"c1","pid":"12"}'
		[[ $output == *"\`pid\` is not a process id" ]]
	done
	run -1 "$NUMA_RUNTIME" hook prestart <<<'{"id":"c1"}'
	[ "$output" = "numa-runtime: hook prestart: container state on stdin has no \`pid\`" ]
}

@test "an unknown or missing hook stage exits 1" {
	run -1 "$NUMA_RUNTIME" hook poststart <<<"$(state c1)"
	[ "$output" = "numa-runtime: hook: expected \`prestart\` or \`poststop\`, got \`poststart\`" ]
	run -1 "$NUMA_RUNTIME" hook </dev/null
	[[ $output == *"expected \`prestart\` or \`poststop\`"* ]]
}

# --- from runc ---------------------------------------------------------------

# hooked_bundle DIR ARG...: a busybox bundle whose config.json runs both
# hooks with this test's config.
hooked_bundle() {
	local dir=$1
	shift
	busybox_bundle "$dir" "$@"
	jq --arg bin "$NUMA_RUNTIME" --arg env "NUMA_RUNTIME_CONFIG=$NUMA_RUNTIME_CONFIG" '
		.hooks = {
			prestart: [{path: $bin, args: ["numa-runtime", "hook", "prestart"], env: [$env]}],
			poststop: [{path: $bin, args: ["numa-runtime", "hook", "poststop"], env: [$env]}]
		}' "$dir/config.json" >"$dir/config.json.new"
	mv "$dir/config.json.new" "$dir/config.json"
}

@test "runc run through numa-runtime: prestart passes, poststop releases the entry runc's own cleanup leaves" {
	require_root
	require_cmd runc runc
	hooked_bundle "$T/bundle" sh -c 'echo "node=$NUMA_NODE"; grep Cpus_allowed_list /proc/self/status'
	# `run` in the foreground: runc deletes the container itself when it
	# exits, so numa-runtime never sees a delete; only the hook can release.
	run -0 timeout 60 "$NUMA_RUNTIME" --root "$T/runc-root" run --bundle "$T/bundle" hooked1
	[[ $output == *"node=0"* ]]
	[[ $output != *warning* ]]
	assert_equal "$(ledger_ids)" "" "ledger ids"
}

@test "without the poststop hook the same run leaves its entry behind" {
	require_root
	require_cmd runc runc
	busybox_bundle "$T/bundle" true
	run -0 timeout 60 "$NUMA_RUNTIME" --root "$T/runc-root" run --bundle "$T/bundle" plain1
	assert_equal "$(ledger_ids)" plain1 "ledger ids"
	# The hook, run by hand as an engine would, cleans it up.
	run -0 "$NUMA_RUNTIME" hook poststop <<<"$(state plain1)"
	assert_equal "$(ledger_ids)" "" "ledger ids"
}

@test "runc with a cpuset other than the ledger's still starts the container" {
	require_root
	require_cmd runc runc
	[ "$(nproc)" -ge 2 ] || it_skip "needs 2 CPUs to make a mismatch"
	hooked_bundle "$T/bundle" sh -c 'grep Cpus_allowed_list /proc/self/status'
	jq '.linux.resources.cpu = {cpus: "0", mems: "0"}' "$T/bundle/config.json" >"$T/c.json"
	mv "$T/c.json" "$T/bundle/config.json"
	# The ledger claims CPU 1; runc (called directly, not through the
	# wrapper) applies CPU 0.
	ledger_with mismatch1:1
	run -0 timeout 60 runc --root "$T/runc-root" run --bundle "$T/bundle" mismatch1
	[[ $output == *"Cpus_allowed_list:"*0* ]]
	# poststop ran too.
	assert_equal "$(ledger_ids)" "" "ledger ids"
}
