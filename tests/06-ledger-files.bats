#!/usr/bin/env bats
# The ledger's files (docs/LEDGER.md): the index $LEDGER naming shard files
# in $LEDGER.d, version 1 files read and rewritten, damaged shards, files
# left by killed writers.  Its lifecycle is tests/06-ledger.bats.  Runs
# with tests/fast-runtime, which keeps <root>/<id>/state.json the way runc
# does; no root needed.

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

# --- the files: an index naming shard files (docs/LEDGER.md) ------------------

# v1_from_ledger: the ledger's entries as numa-runtime 1.x wrote them: one
# file, a header line, then one line per entry.
v1_from_ledger() {
	ledger_jq -r '
		"{\"version\":1,\"boot_id\":\(.boot_id | tojson),\"reclaim_cursor\":0,\"nodes\":\(.nodes | tojson),\"containers\":[",
		(.containers | map(tojson) | join(",\n")),
		"]}"'
}

# shard_path SHARD GENERATION: where the shard file written by that
# generation of the index lives.
shard_path() {
	printf '%s.d/%02d-%d.json\n' "$LEDGER" "$1" "$2"
}

@test "a version 1 ledger is read, and the next create rewrites it as version 2 keeping its entries" {
	create_ok c1 "$T/b1"
	create_ok c2 "$T/b2"
	v1_from_ledger >"$T/v1.json"
	ledger_jq -S '.containers | sort_by(.id)' >"$T/entries.json"
	rm -r "$LEDGER.d"
	cat "$T/v1.json" >"$LEDGER"

	run --separate-stderr nr status --json
	assert_success
	assert_equal "$(jq -c '[.containers[].id] | sort' <<<"$output")" '["c1","c2"]' "containers status --json shows"

	create_ok c3 "$T/b3"
	assert_equal "$(jq .version "$LEDGER")" 2 "version of the index"
	assert_v2_layout
	assert_entries_in_their_shards
	assert_ledger_ids c1 c2 c3
	assert_equal "$(ledger_jq -S '[.containers[] | select(.id != "c3")] | sort_by(.id)')" \
		"$(cat "$T/entries.json")" "the entries of the version 1 ledger"
	assert_equal "$(ledger_jq '[.nodes[].containers] | add')" 3 "containers in the sums"
}

@test "a version 1 ledger in another JSON shape (pretty-printed, no sums) is read and rewritten too" {
	create_ok c1 "$T/b1"
	ledger_jq '{version: 1, boot_id, containers}' >"$T/v1.json"
	rm -r "$LEDGER.d"
	cat "$T/v1.json" >"$LEDGER"

	create_ok c2 "$T/b2"
	assert_v2_layout
	assert_ledger_ids c1 c2
	assert_equal "$(ledger_jq '[.nodes[].containers] | add')" 2 "containers in the sums"
	assert_equal "$(ledger_jq '[.nodes[].memory] | add')" 268435456 "memory in the sums"
}

@test "after each create and delete the shard directory holds exactly the files the index lists, 0600 in a 0700 directory" {
	umask 000
	create_ok c1 "$T/b1"
	assert_v2_layout
	local s1 g old twin other
	s1=$(entry_shard c1)
	g=$(jq .generation "$LEDGER")
	old=$(shard_path "$s1" "$g")
	assert_equal "$(dirname "$LEDGER")/$(shard_file "$s1")" "$old" "c1's shard file"

	# A second container in c1's shard: the shard is written anew, named
	# after the new generation, and the file it replaces is removed.
	twin=$(id_in_shard "$s1" twin)
	create_ok "$twin" "$T/b2"
	assert_v2_layout
	(($(jq .generation "$LEDGER") > g)) || fail "the generation did not grow: $(cat "$LEDGER")"
	g=$(jq .generation "$LEDGER")
	assert_equal "$(dirname "$LEDGER")/$(shard_file "$s1")" "$(shard_path "$s1" "$g")" "shard $s1's file"
	[ ! -e "$old" ] || fail "superseded $old left behind"
	assert_equal "$(jq --argjson s "$s1" '.shards[] | select(.shard == $s) | .entries' "$LEDGER")" 2 \
		"entries of shard $s1"

	other=$(id_in_shard $(((s1 + 1) % $(jq .shard_count "$LEDGER"))) other)
	create_ok "$other" "$T/b3"
	assert_v2_layout

	# Deleting one of two: the shard's other entry moves to a new file.
	old=$(dirname "$LEDGER")/$(shard_file "$s1")
	run --separate-stderr nr delete c1
	assert_success
	assert_v2_layout
	[ ! -e "$old" ] || fail "superseded $old left behind"
	assert_equal "$(jq --argjson s "$s1" '.shards[] | select(.shard == $s) | .entries' "$LEDGER")" 1 \
		"entries of shard $s1"

	# Deleting the last: the shard is no longer listed, its file is gone.
	old=$(dirname "$LEDGER")/$(shard_file "$s1")
	run --separate-stderr nr delete "$twin"
	assert_success
	assert_v2_layout
	[ ! -e "$old" ] || fail "$old left behind"
	assert_equal "$(shard_file "$s1")" "" "file of the emptied shard $s1"
	assert_entries_in_their_shards
	assert_ledger_ids "$other"
}

# damaged_shard_is_rebuilt HOW: c1's shard file damaged HOW by hand; the
# next create (of a container in that same shard, so that it must read it)
# succeeds, says so on stderr and at error level in its log, keeps the index
# and the shard directory aside, and rebuilds the live containers' entries.
damaged_shard_is_rebuilt() {
	create_ok c1 "$T/b1"
	create_ok c2 "$T/b2"
	local c1_entry c2_entry s file new
	c1_entry=$(placement_of c1)
	c2_entry=$(placement_of c2)
	s=$(entry_shard c1)
	file=$(dirname "$LEDGER")/$(shard_file "$s")
	case $1 in
	deleted) rm "$file" ;;
	truncated) truncate -s $(($(stat -c %s "$file") / 2)) "$file" ;;
	unparsable) sed -i 's/"id":/"id"=/' "$file" ;;
	miscounted) printf '{"containers":[\n]}\n' >"$file" ;;
	esac
	cp -p "$LEDGER" "$T/index-before"
	cp -a "$LEDGER.d" "$T/shards-before"
	new=$(id_in_shard "$s" c3-)

	run --separate-stderr nr --log "$T/log.json" create --bundle "$T/b3" "$new"
	assert_success
	[[ $stderr == *"numa-runtime: the ledger \`$LEDGER\` is unreadable"* ]] ||
		fail "the damage was not reported on stderr:" "$stderr"
	find_aside
	[[ $stderr == *"keeping it as \`$ASIDE\`"* ]] || fail "stderr does not name $ASIDE:" "$stderr"
	jq -se 'any(.[]; .level == "error" and (.msg | contains("is unreadable")))' "$T/log.json" >/dev/null ||
		fail "not logged at error level in the log file:" "$(cat "$T/log.json")"
	cmp "$T/index-before" "$ASIDE" || fail "$ASIDE is not the index as it was"
	diff -r "$T/shards-before" "$ASIDE.d" || fail "$ASIDE.d is not the shard directory as it was"

	# Rebuilt from <root>/<id>/state.json -> bundle -> config.json.
	assert_ledger_ids c1 c2 "$new"
	assert_equal "$(placement_of c1)" "$c1_entry" "rebuilt c1"
	assert_equal "$(placement_of c2)" "$c2_entry" "rebuilt c2"
	assert_equal "$(ledger_jq '[.nodes[].containers] | add')" 3 "containers in the sums"
	assert_v2_layout
	assert_entries_in_their_shards
}

@test "a shard file deleted by hand: the next create logs the ledger unreadable, keeps it aside and rebuilds it" {
	damaged_shard_is_rebuilt deleted
}

@test "a shard file truncated by hand: the next create logs the ledger unreadable, keeps it aside and rebuilds it" {
	damaged_shard_is_rebuilt truncated
}

@test "a shard file made unparsable by hand: the next create logs the ledger unreadable, keeps it aside and rebuilds it" {
	damaged_shard_is_rebuilt unparsable
}

@test "a shard file holding another number of entries than the index says: the ledger is unreadable, kept aside and rebuilt" {
	damaged_shard_is_rebuilt miscounted
}

@test "gc reads every shard: a damaged one is found, kept aside with the index and rebuilt" {
	create_ok c1 "$T/b1"
	create_ok c2 "$T/b2"
	echo garbage >"$(dirname "$LEDGER")/$(shard_file "$(entry_shard c2)")"
	run --separate-stderr nr gc
	assert_success
	[[ $stderr == *"is unreadable: keeping it as"* ]] || fail "stderr: $stderr"
	find_aside
	[ -d "$ASIDE.d" ] || fail "the shard directory was not kept as $ASIDE.d"
	assert_ledger_ids c1 c2
	assert_v2_layout
}

@test "gc removes the shard files the index does not list, left by writers killed before or after their commit, and counts them" {
	create_ok c1 "$T/b1"
	local s1 superseded g
	s1=$(entry_shard c1)
	superseded=$(dirname "$LEDGER")/$(shard_file "$s1")
	cp -p "$superseded" "$T/superseded"
	create_ok "$(id_in_shard "$s1" twin)" "$T/b2"
	[ ! -e "$superseded" ] || fail "superseded $superseded left behind"

	# A writer killed after its commit, before it removed the shard file
	# it replaced...
	cp -p "$T/superseded" "$superseded"
	# ...and one killed before its commit: its new shard file and index.
	g=$(jq .generation "$LEDGER")
	printf '{"containers":[\n{"id":"killed"}\n]}\n' >"$(shard_path "$(entry_shard killed)" $((g + 1)))"
	printf '{"version":2,"gen' >"$LEDGER.tmp"
	local ids
	ids=$(ledger_ids)

	run --separate-stderr nr gc
	assert_success
	assert_output "gc: released 0 of 2 ledger entries, 2 remain, removed 3 stale temporary files"
	assert_v2_layout
	assert_equal "$(ledger_ids)" "$ids" "ledger entries"

	run --separate-stderr nr gc
	assert_success
	assert_output "gc: released 0 of 2 ledger entries, 2 remain"
}

@test "a shard file left by a writer killed before its commit does not block the next create" {
	create_ok c1 "$T/b1"
	local g
	g=$(jq .generation "$LEDGER")
	# Half of the very file the next commit writes for c2's shard.
	printf '{"containers":[\n{"id":"c2","no' >"$(shard_path "$(entry_shard c2)" $((g + 1)))"

	create_ok c2 "$T/b2"
	assert_ledger_ids c1 c2
	assert_v2_layout
	assert_entries_in_their_shards
	[ -z "$(ls -d "$LEDGER".corrupt-* 2>/dev/null)" ] || fail "the ledger was set aside:" "$(ls -d "$LEDGER".corrupt-*)"
}

@test "200 containers over many shards: the index counts all of them, status agrees; deleting them all empties the shard directory" {
	local i
	for ((i = 1; i <= 200; i++)); do
		ledger_bundle "$T/m$i"
		nr create --bundle "$T/m$i" "m$i" >"$T/out" 2>&1 || fail "create m$i failed:" "$(cat "$T/out")"
	done
	assert_v2_layout
	assert_entries_in_their_shards
	assert_equal "$(jq '[.shards[].entries] | add' "$LEDGER")" 200 "entries over all shards of the index"
	(($(jq '.shards | length' "$LEDGER") > 1)) || fail "all 200 entries in one shard: $(cat "$LEDGER")"
	assert_equal "$(ledger_jq '[.containers[].id] | unique | length')" 200 "distinct ids in the ledger"
	assert_equal "$(ledger_jq '[.nodes[].containers] | add')" 200 "containers in the node sums"
	run --separate-stderr nr status --json
	assert_success
	assert_equal "$(jq '.containers | length' <<<"$output")" 200 "containers in status --json"
	assert_equal "$(jq '[.nodes[].containers] | add' <<<"$output")" 200 "containers of the nodes in status --json"

	for ((i = 1; i <= 200; i++)); do
		nr delete "m$i" >"$T/out" 2>&1 || fail "delete m$i failed:" "$(cat "$T/out")"
	done
	assert_equal "$(jq -c .shards "$LEDGER")" '[]' "shards of the emptied ledger"
	[ -d "$LEDGER.d" ] || fail "no shard directory $LEDGER.d"
	assert_equal "$(ls -A "$LEDGER.d")" "" "files in the shard directory"
	assert_v2_layout
	assert_ledger_ids
	run --separate-stderr nr status --json
	assert_success
	assert_equal "$(jq '.containers | length' <<<"$output")" 0 "containers in status --json"
}
