#!/usr/bin/env bats
# The ledger's lifecycle: reclaim of gone containers (and not of ones being
# created), failed creates, reboots, corruption, status/gc, file modes and
# locks left by killed processes.  Runs with tests/fast-runtime, which
# keeps <root>/<id>/state.json the way runc does; no root needed.

load ledger-helpers

setup() {
	ledger_setup
	ledger_bundle "$T/b1" 1 268435456
	ledger_bundle "$T/b2" 2
	ledger_bundle "$T/b3"
}

teardown() {
	nr_teardown
}

create_ok() {
	run --separate-stderr nr create --bundle "$2" "$1"
	assert_success
}

# wait_for CONDITION...: retry CONDITION for up to 10 s.
wait_for() {
	local i
	for ((i = 0; i < 200; i++)); do
		"$@" && return 0
		sleep 0.05
	done
	fail "timed out waiting for: $*"
}

ledger_has() { ledger_ids | grep -qx "$1"; }
lock_is_held() { ! flock -n "$LEDGER.lock" true; }

@test "delete releases the container's entry" {
	create_ok c1 "$T/b1"
	create_ok c2 "$T/b2"
	run --separate-stderr nr delete c1
	assert_success
	assert_ledger_ids c2
	[ ! -e "$RUNC_ROOT/c1" ]
}

@test "gc releases the entries of containers that no longer exist" {
	create_ok c1 "$T/b1"
	create_ok c2 "$T/b2"
	create_ok c3 "$T/b3"
	# Deleted behind numa-runtime's back (runc delete called directly).
	rm -rf "$RUNC_ROOT/c2"

	run --separate-stderr nr gc
	assert_success
	assert_output_contains "released c2 (node "
	assert_output_contains "gc: released 1 of 3 ledger entries, 2 remain"
	assert_ledger_ids c1 c3
	[[ $stderr == *"reclaimed ledger entry c2: container gone"* ]] || fail "no warning: $stderr"

	# Nothing left to release: gc changes nothing.
	cp "$LEDGER" "$T/before.json"
	run --separate-stderr nr gc
	assert_success
	assert_output_contains "gc: released 0 of 2 ledger entries, 2 remain"
	cmp -s "$LEDGER" "$T/before.json" || fail "gc rewrote an unchanged ledger"
}

@test "an entry whose creator runs and whose state is not written yet is not reclaimed" {
	# The runtime takes 2 s to write its state, like a slow runc create:
	# numa-runtime has committed the entry and exec'd it in the same pid.
	FAST_RUNTIME_CREATE_SLEEP_MS=2000 "$NUMA_RUNTIME" --root "$RUNC_ROOT" \
		create --bundle "$T/b1" slow 3>&- &
	local creator=$!
	wait_for ledger_has slow
	[ ! -e "$RUNC_ROOT/slow" ] || fail "state written too early for this test"

	# The creator is recorded by pid and start time (field 22 of stat).
	assert_equal "$(ledger_field slow pid)" "$creator" "creator pid"
	assert_equal "$(ledger_field slow pid_start)" \
		"$(sed 's/.*) //' "/proc/$creator/stat" | cut -d' ' -f20)" "creator start time"

	create_ok other "$T/b2"
	run --separate-stderr nr gc
	assert_success
	assert_output_contains "gc: released 0 of 2"
	assert_ledger_ids slow other

	wait "$creator" || fail "slow create failed"
	[ -d "$RUNC_ROOT/slow" ]
	run --separate-stderr nr gc
	assert_success
	assert_ledger_ids slow other
}

@test "a create that fails in the runtime leaves its entry until the next create reclaims it" {
	# numa-runtime execs the runtime, so nobody is left to roll back: the
	# entry stays (holding its CPUs, the safe side) until reclaim sees the
	# creator gone and no state.  See docs/LEDGER.md.
	FAST_RUNTIME_CREATE_STATUS=1 run --separate-stderr nr create --bundle "$T/b1" bad
	assert_failure 1
	[[ $stderr == *"create bad failed"* ]] || fail "runtime's message lost: $stderr"
	assert_ledger_ids bad

	run --separate-stderr nr --log "$T/log.json" create --bundle "$T/b2" good
	assert_success
	assert_ledger_ids good
	jq -se 'any(.[]; .level == "warning" and (.msg | endswith("reclaimed ledger entry bad: container gone")))' \
		"$T/log.json" >/dev/null || fail "no warning in the log:" "$(cat "$T/log.json")"
}

@test "gc releases the entry of a failed create" {
	FAST_RUNTIME_CREATE_STATUS=1 run --separate-stderr nr create --bundle "$T/b1" bad
	assert_failure 1
	create_ok good "$T/b2"
	# The create above already checked every entry (budget 64 > 2).
	assert_ledger_ids good
	FAST_RUNTIME_CREATE_STATUS=1 run --separate-stderr nr create --bundle "$T/b1" bad2
	assert_failure 1
	run --separate-stderr nr gc
	assert_success
	assert_output_contains "released bad2"
	assert_ledger_ids good
}

@test "entries from before the last boot are dropped" {
	create_ok c1 "$T/b1"
	create_ok c2 "$T/b2"
	[ "$(jq -r .boot_id "$LEDGER")" = "$(cat /proc/sys/kernel/random/boot_id)" ]
	sed -i '1s/"boot_id":"[^"]*"/"boot_id":"00000000-0000-0000-0000-000000000000"/' "$LEDGER"

	create_ok c3 "$T/b3"
	assert_ledger_ids c3
	[ "$(jq -r .boot_id "$LEDGER")" = "$(cat /proc/sys/kernel/random/boot_id)" ]
	[ "$(jq '[.nodes[].containers] | add' "$LEDGER")" = 1 ]
}

@test "a corrupt ledger is moved aside, logged loudly and rebuilt; create keeps working" {
	create_ok c1 "$T/b1"
	create_ok c2 "$T/b2"
	local c1_entry c2_entry
	c1_entry=$(jq -c '.containers[] | select(.id == "c1") | {nodes, cpus, memory, millicpus}' "$LEDGER")
	c2_entry=$(jq -c '.containers[] | select(.id == "c2") | {nodes, cpus, memory, millicpus}' "$LEDGER")
	printf '{"version":1,"containers":[{"id":"c1","nodes"' >"$LEDGER"

	run --separate-stderr nr --log "$T/log.json" create --bundle "$T/b3" c3
	assert_success
	[[ $stderr == *"numa-runtime: the ledger \`$LEDGER\` is unreadable: keeping it as"* ]] ||
		fail "not logged on stderr: $stderr"
	jq -se 'any(.[]; .level == "error" and (.msg | contains("is unreadable")))' "$T/log.json" >/dev/null ||
		fail "not logged in the log file:" "$(cat "$T/log.json")"

	local aside
	aside=$(ls "$LEDGER".corrupt-*)
	[[ $aside =~ \.corrupt-[0-9]{8}T[0-9]{6}Z-[0-9]+$ ]] || fail "no timestamp in $aside"
	[ "$(cat "$aside")" = '{"version":1,"containers":[{"id":"c1","nodes"' ]

	# Rebuilt from <root>/<id>/state.json -> bundle -> config.json.
	assert_ledger_ids c1 c2 c3
	assert_equal "$(jq -c '.containers[] | select(.id == "c1") | {nodes, cpus, memory, millicpus}' "$LEDGER")" \
		"$c1_entry" "rebuilt c1"
	assert_equal "$(jq -c '.containers[] | select(.id == "c2") | {nodes, cpus, memory, millicpus}' "$LEDGER")" \
		"$c2_entry" "rebuilt c2"
	assert_equal "$(jq '[.nodes[].containers] | add' "$LEDGER")" 3 "containers in the sums"
	assert_equal "$(jq '[.nodes[].memory] | add' "$LEDGER")" 268435456 "memory in the sums"

	# And the rebuilt ledger is an ordinary one.
	run --separate-stderr nr delete c1
	assert_success
	assert_ledger_ids c2 c3
}

@test "status shows each node and container; status --json is the documented object" {
	create_ok c1 "$T/b1"
	create_ok c2 "$T/b2"
	create_ok c3 "$T/b3"
	rm -rf "$RUNC_ROOT/c3"

	run --separate-stderr nr status
	assert_success
	[[ ${lines[0]} == "NODE "*"CPUS"*"EXCLUSIVE"*"MEM-TOTAL"*"MEM-ALLOC"*"MEM-FREE"*"CONTAINERS" ]] ||
		fail "table header: ${lines[0]}"
	[[ ${lines[1]} == "0     0-3 "* ]] || fail "node 0 row: ${lines[1]}"
	[[ ${lines[2]} == "1     4-7 "* ]] || fail "node 1 row: ${lines[2]}"
	[[ ${lines[1]} == *" 16.0G "* ]] || fail "node 0 memory total: ${lines[1]}"
	assert_output_contains " live  c1"
	assert_output_contains " live  c2"
	assert_output_contains " gone  c3"

	run --separate-stderr nr status --json
	assert_success
	echo "$output" | jq -e '
		(.nodes | length) == 2
		and (.nodes | map(.node)) == [0, 1]
		and (.nodes | map(.cpus)) == ["0-3", "4-7"]
		and all(.nodes[]; .memory_total == 17179869184
			and .memory_free == .memory_total - .memory_reserved - .memory_allocated
			and (.exclusive_cpus | type) == "string"
			and (.containers | type) == "number")
		and ([.nodes[].memory_allocated] | add) == 268435456
		and ([.nodes[].containers] | add) == 3
		and (.containers | map(.id) | sort) == ["c1", "c2", "c3"]
		and (.containers | map(select(.alive | not)) | map(.id)) == ["c3"]
		and all(.containers[]; has("nodes") and has("cpus") and has("exclusive_cpus")
			and has("memory") and has("millicpus") and has("pod") and has("root") and has("created"))
	' >/dev/null || fail "status --json:" "$output"
	# status reads; it never releases anything itself.
	assert_ledger_ids c1 c2 c3
}

@test "ledger files are 0600 in a 0700 directory; a symlinked ledger is refused" {
	LEDGER=$T/run/numa/ledger.json
	ledger_config
	umask 022
	create_ok c1 "$T/b1"
	assert_equal "$(stat -c %a "$T/run")" 700 "mode of $T/run"
	assert_equal "$(stat -c %a "$T/run/numa")" 700 "mode of the ledger directory"
	assert_equal "$(stat -c %a "$LEDGER")" 600 "mode of the ledger"
	assert_equal "$(stat -c %a "$LEDGER.lock")" 600 "mode of the lock file"
	umask 000
	create_ok c2 "$T/b2"
	assert_equal "$(stat -c %a "$LEDGER")" 600 "mode of the ledger under umask 000"

	echo '{"elsewhere": true}' >"$T/target"
	rm "$LEDGER"
	ln -s "$T/target" "$LEDGER"
	run --separate-stderr nr create --bundle "$T/b3" c3
	assert_failure 1
	[[ $stderr == *"open the ledger"* ]] || fail "stderr: $stderr"
	[ "$(cat "$T/target")" = '{"elsewhere": true}' ]
}

@test "a lock held by a process killed with SIGKILL does not block the next create" {
	create_ok c1 "$T/b1"

	# Some process holding the lock: creates wait for it...
	flock -o "$LEDGER.lock" sleep 600 3>&- &
	local holder=$!
	wait_for lock_is_held
	# flock's child must not outlive the test.
	local sleeper
	sleeper=$(pgrep -P "$holder")
	run timeout 1 "$NUMA_RUNTIME" --root "$RUNC_ROOT" create --bundle "$T/b2" c2
	assert_failure 124
	# ...until it dies, whatever the way: the kernel drops the flock.
	kill -9 "$holder"
	wait "$holder" || true
	[ -z "$sleeper" ] || kill -9 "$sleeper" 2>/dev/null || true
	run --separate-stderr timeout 5 "$NUMA_RUNTIME" --root "$RUNC_ROOT" create --bundle "$T/b2" c2
	assert_success

	# numa-runtime itself killed while it holds the lock: a FIFO at the
	# ledger path makes it block in open () right after taking the lock.
	mv "$LEDGER" "$T/saved.json"
	mkfifo "$LEDGER"
	"$NUMA_RUNTIME" --root "$RUNC_ROOT" create --bundle "$T/b3" c3 3>&- &
	local stuck=$!
	wait_for lock_is_held
	kill -9 "$stuck"
	wait "$stuck" || true
	rm "$LEDGER"
	mv "$T/saved.json" "$LEDGER"
	run --separate-stderr timeout 5 "$NUMA_RUNTIME" --root "$RUNC_ROOT" create --bundle "$T/b3" c3
	assert_success
	assert_ledger_ids c1 c2 c3
}

@test "exclusive CPUs: status shows them per node, a rebuild keeps them held" {
	ledger_config cpu_allocation=exclusive
	ledger_bundle "$T/e2" 2 268435456
	ledger_bundle "$T/e1" 1
	ledger_bundle "$T/shared"
	create_ok x2 "$T/e2"
	create_ok x1 "$T/e1"
	create_ok s1 "$T/shared"
	local held
	held=$(jq -c '[.containers[] | {id, exclusive_cpus}] | sort_by(.id)' "$LEDGER")
	[ "$(ledger_field x2 exclusive_cpus)" != "" ] || fail "placement handed out no exclusive CPUs: $held"

	run --separate-stderr nr status --json
	assert_success
	assert_equal "$(echo "$output" | jq -c '[.nodes[].exclusive_cpus]')" \
		"$(jq -c '[.nodes[] | .exclusive_cpus]' "$LEDGER")" "exclusive CPUs per node"
	assert_equal "$(echo "$output" | jq -c '[.containers[] | {id, exclusive_cpus}] | sort_by(.id)')" \
		"$held" "exclusive CPUs per container"

	echo garbage >"$LEDGER"
	run --separate-stderr nr gc
	assert_success
	assert_equal "$(jq -c '[.containers[] | {id, exclusive_cpus}] | sort_by(.id)' "$LEDGER")" \
		"$held" "exclusive CPUs after the rebuild"
	# And they stay out of the next container's reach.
	ledger_bundle "$T/e3" 1
	create_ok x3 "$T/e3"
	# (check_ledgers: no CPU in two entries' exclusive_cpus, sums match.)
	run check_ledgers "$LEDGER"
	assert_success
	assert_equal "$output" "" "ledger invariants"
}

@test "a corrupt ledger found by delete or the poststop hook is rebuilt, not lost" {
	create_ok c1 "$T/b1"
	create_ok c2 "$T/b2"
	create_ok c3 "$T/b3"

	# poststop finds nothing to release in a broken ledger: it leaves the
	# file for the next command rather than leaving no ledger at all.
	echo garbage >"$LEDGER"
	run --separate-stderr nr hook poststop <<<'{"ociVersion":"1.0.2","id":"c9","status":"stopped","bundle":"/"}'
	assert_success
	[ "$(cat "$LEDGER")" = garbage ]

	# delete reports it, keeps it aside and rebuilds from the runtime state.
	run --separate-stderr nr delete c1
	assert_success
	[[ $stderr == *"is unreadable: keeping it as"* ]] || fail "stderr: $stderr"
	[ "$(cat "$LEDGER".corrupt-*)" = garbage ]
	assert_ledger_ids c2 c3
}
