#!/usr/bin/env bats
# The ledger's lifecycle: reclaim of gone containers (and not of ones being
# created), failed creates, reboots, corruption, status/gc, file modes and
# locks left by killed processes.  Its files (the index naming shard files,
# version 1 files, damaged shards, files left by killed writers) are
# tests/06-ledger-files.bats.  Runs with tests/fast-runtime, which keeps
# <root>/<id>/state.json the way runc does; no root needed.

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
	# Housekeeping, not an operator's business: nothing on stderr.
	assert_equal "$stderr" "" "stderr of gc"

	# Nothing left to release: gc changes nothing, neither the index nor
	# any shard file.
	cp "$LEDGER" "$T/before.json"
	cp -a "$LEDGER.d" "$T/before.d"
	run --separate-stderr nr gc
	assert_success
	assert_output_contains "gc: released 0 of 2 ledger entries, 2 remain"
	cmp -s "$LEDGER" "$T/before.json" || fail "gc rewrote an unchanged ledger"
	diff -r "$T/before.d" "$LEDGER.d" || fail "gc changed the shard files of an unchanged ledger"
}

@test "an entry whose creator runs and whose state is not written yet is not reclaimed" {
	# The runtime takes 4 s to write its state, like a slow runc create:
	# numa-runtime has committed the entry and exec'd it in the same pid.
	FAST_RUNTIME_CREATE_SLEEP_MS=4000 "$NUMA_RUNTIME" --root "$RUNC_ROOT" \
		create --bundle "$T/b1" slow 3>&- &
	local creator=$! started
	wait_for ledger_has slow
	# Read while the creator surely runs (each ledger read below starts jq).
	started=$(sed 's/.*) //' "/proc/$creator/stat" | cut -d' ' -f20)
	[ ! -e "$RUNC_ROOT/slow" ] || fail "state written too early for this test"

	# The creator is recorded by pid and start time (field 22 of stat).
	assert_equal "$(ledger_field slow pid)" "$creator" "creator pid"
	assert_equal "$(ledger_field slow pid_start)" "$started" "creator start time"

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

	# Reclaim is housekeeping: logged at debug level with --debug, silent
	# on stderr (issue 12 item 12).
	run --separate-stderr nr --log "$T/log.json" --log-format json --debug create --bundle "$T/b2" good
	assert_success
	assert_equal "$stderr" "" "stderr of the create that reclaims"
	assert_ledger_ids good
	jq -se 'any(.[]; .level == "debug" and (.msg | endswith("reclaimed ledger entry bad: container gone")))' \
		"$T/log.json" >/dev/null || fail "no debug line in the log:" "$(cat "$T/log.json")"
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

@test "entries from before the last boot are dropped, and their shard files removed" {
	create_ok c1 "$T/b1"
	create_ok c2 "$T/b2"
	assert_equal "$(ledger_jq -r .boot_id)" "$(cat /proc/sys/kernel/random/boot_id)" "boot id"
	# The index holds the boot id.
	sed -i '1s/"boot_id":"[^"]*"/"boot_id":"00000000-0000-0000-0000-000000000000"/' "$LEDGER"

	create_ok c3 "$T/b3"
	assert_ledger_ids c3
	assert_equal "$(ledger_jq -r .boot_id)" "$(cat /proc/sys/kernel/random/boot_id)" "boot id"
	assert_equal "$(ledger_jq '[.nodes[].containers] | add')" 1 "containers in the sums"
	assert_v2_layout
}

@test "a corrupt ledger is moved aside, logged loudly and rebuilt; create keeps working" {
	create_ok c1 "$T/b1"
	create_ok c2 "$T/b2"
	local c1_entry c2_entry shards
	c1_entry=$(placement_of c1)
	c2_entry=$(placement_of c2)
	shards=$(shard_dir_files)
	printf '{"version":1,"containers":[{"id":"c1","nodes"' >"$LEDGER"

	run --separate-stderr nr --log "$T/log.json" create --bundle "$T/b3" c3
	assert_success
	[[ $stderr == *"numa-runtime: the ledger \`$LEDGER\` is unreadable: keeping it as"* ]] ||
		fail "not logged on stderr: $stderr"
	jq -se 'any(.[]; .level == "error" and (.msg | contains("is unreadable")))' "$T/log.json" >/dev/null ||
		fail "not logged in the log file:" "$(cat "$T/log.json")"

	# The index as it was, and the shard directory with it.
	find_aside
	[[ $stderr == *"keeping it as \`$ASIDE\`"* ]] || fail "stderr does not name $ASIDE: $stderr"
	[ "$(cat "$ASIDE")" = '{"version":1,"containers":[{"id":"c1","nodes"' ]
	[ -d "$ASIDE.d" ] || fail "the shard directory was not kept as $ASIDE.d"
	assert_equal "$(cd "$ASIDE.d" && ls -A | sort)" "$(echo "$shards" | sed 's|.*/||')" "shard files kept in $ASIDE.d"

	# Rebuilt from <root>/<id>/state.json -> bundle -> config.json.
	assert_ledger_ids c1 c2 c3
	assert_equal "$(placement_of c1)" "$c1_entry" "rebuilt c1"
	assert_equal "$(placement_of c2)" "$c2_entry" "rebuilt c2"
	assert_equal "$(ledger_jq '[.nodes[].containers] | add')" 3 "containers in the sums"
	assert_equal "$(ledger_jq '[.nodes[].memory] | add')" 268435456 "memory in the sums"
	assert_v2_layout

	# And the rebuilt ledger is an ordinary one.
	run --separate-stderr nr delete c1
	assert_success
	assert_ledger_ids c2 c3
	assert_v2_layout
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

@test "ledger files are 0600 in 0700 directories; a symlinked ledger is refused, a symlinked shard directory not followed" {
	LEDGER=$T/run/numa/ledger.json
	ledger_config
	umask 022
	create_ok c1 "$T/b1"
	assert_equal "$(stat -c %a "$T/run")" 700 "mode of $T/run"
	assert_equal "$(stat -c %a "$T/run/numa")" 700 "mode of the ledger directory"
	assert_equal "$(stat -c %a "$LEDGER")" 600 "mode of the ledger"
	assert_equal "$(stat -c %a "$LEDGER.lock")" 600 "mode of the lock file"
	# (and the shard directory 0700, its files 0600)
	assert_v2_layout
	umask 000
	create_ok c2 "$T/b2"
	assert_equal "$(stat -c %a "$LEDGER")" 600 "mode of the ledger under umask 000"
	assert_v2_layout

	echo '{"elsewhere": true}' >"$T/target"
	mv "$LEDGER" "$T/index"
	ln -s "$T/target" "$LEDGER"
	run --separate-stderr nr create --bundle "$T/b3" c3
	assert_failure 1
	[[ $stderr == *"open the ledger"* ]] || fail "stderr: $stderr"
	[ "$(cat "$T/target")" = '{"elsewhere": true}' ]

	# A symlink in place of the shard directory is not followed: the
	# ledger is unreadable, set aside and rebuilt in a real directory.
	rm "$LEDGER"
	mv "$T/index" "$LEDGER"
	mv "$LEDGER.d" "$T/shards"
	ln -s "$T/shards" "$LEDGER.d"
	cp -a "$T/shards" "$T/shards-before"
	run --separate-stderr nr create --bundle "$T/b3" c3
	assert_success
	[[ $stderr == *"is unreadable: keeping it as"* ]] || fail "stderr: $stderr"
	diff -r "$T/shards-before" "$T/shards" || fail "numa-runtime wrote through the symlinked $LEDGER.d"
	assert_ledger_ids c1 c2 c3
	assert_v2_layout
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

	# numa-runtime itself killed while it holds the lock.  A FIFO at the
	# ledger path is damage, which it reports on stderr right after taking
	# the lock; its stderr is a pipe already full, so that write blocks
	# until the kill.
	mv "$LEDGER" "$T/saved.json"
	mkfifo "$LEDGER" "$T/stderr.pipe"
	exec 5<>"$T/stderr.pipe"
	head -c 65536 /dev/zero >&5
	"$NUMA_RUNTIME" --root "$RUNC_ROOT" create --bundle "$T/b3" c3 2>&5 3>&- 5>&- &
	local stuck=$!
	wait_for lock_is_held
	kill -9 "$stuck"
	wait "$stuck" || true
	exec 5>&-
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
	held=$(ledger_jq -c '[.containers[] | {id, exclusive_cpus}] | sort_by(.id)')
	[ "$(ledger_field x2 exclusive_cpus)" != "" ] || fail "placement handed out no exclusive CPUs: $held"

	run --separate-stderr nr status --json
	assert_success
	assert_equal "$(echo "$output" | jq -c '[.nodes[].exclusive_cpus]')" \
		"$(ledger_jq -c '[.nodes[] | .exclusive_cpus]')" "exclusive CPUs per node"
	assert_equal "$(echo "$output" | jq -c '[.containers[] | {id, exclusive_cpus}] | sort_by(.id)')" \
		"$held" "exclusive CPUs per container"

	echo garbage >"$LEDGER"
	run --separate-stderr nr gc
	assert_success
	assert_equal "$(ledger_jq -c '[.containers[] | {id, exclusive_cpus}] | sort_by(.id)')" \
		"$held" "exclusive CPUs after the rebuild"
	# And they stay out of the next container's reach.
	ledger_bundle "$T/e3" 1
	create_ok x3 "$T/e3"
	# (ledger-checks.jq: no CPU in two entries' exclusive_cpus, sums match.)
	run ledger_violations
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
	cp -a "$LEDGER.d" "$T/shards-before"
	run --separate-stderr nr hook poststop <<<'{"ociVersion":"1.0.2","id":"c9","status":"stopped","bundle":"/"}'
	assert_success
	[ "$(cat "$LEDGER")" = garbage ]
	diff -r "$T/shards-before" "$LEDGER.d" || fail "poststop changed the shard directory"
	[ -z "$(ls -d "$LEDGER".corrupt-* 2>/dev/null)" ] || fail "poststop set something aside:" "$(ls -d "$LEDGER".corrupt-*)"

	# delete reports it, keeps it aside and rebuilds from the runtime state.
	run --separate-stderr nr delete c1
	assert_success
	[[ $stderr == *"is unreadable: keeping it as"* ]] || fail "stderr: $stderr"
	find_aside
	[ "$(cat "$ASIDE")" = garbage ]
	diff -r "$T/shards-before" "$ASIDE.d" || fail "the shard directory was not kept as $ASIDE.d"
	assert_ledger_ids c2 c3
	assert_v2_layout
}
