#!/usr/bin/env bats
# Hostile input (issue 12, items 1-9): config.json, the ledger, sysfs and
# the INI config written by someone else.  Each refusal: exit status 1,
# exactly one line on stderr starting "numa-runtime: ", nothing on stdout,
# config.json byte-identical, the ledger unchanged, the runtime not called,
# and no hang (every call runs under a timeout).  A damaged ledger is not
# refused: it is set aside and rebuilt, as docs/CONTRACT.md says.
# The limits are listed in docs/CONTRACT.md, "Limits".

load helpers
load ledger-helpers

setup() {
	nr_setup
	use_fake_runtime
	# A copy of the fixture, so that tests can damage it.
	cp -a "$FIXTURES/twonode" "$T/sys"
	use_sysfs "$T/sys"
	NR_TIMEOUT=20
	seed_one_entry
	# The seed's create cached the topology next to the ledger, keyed on
	# what CPU and memory hot-plug change; the tests below damage the
	# fixture in place, which no kernel does: start each from sysfs.
	rm -f "$(dirname "$LEDGER")/topology-cache"
	snapshot
}

teardown() {
	# A FIFO left open by a test must not keep anything waiting.
	nr_teardown
}

# snapshot: remember config.json, the ledger and the runtime calls.
snapshot() {
	rm -rf "$T/snap"
	mkdir -p "$T/snap"
	[ ! -f "$B/config.json" ] || [ -L "$B/config.json" ] || cp -p "$B/config.json" "$T/snap/config.json"
	[ ! -e "$LEDGER" ] || cp -p "$LEDGER" "$T/snap/ledger.json"
	[ ! -e "$LEDGER.d" ] || cp -a "$LEDGER.d" "$T/snap/ledger.json.d"
	CALLS_BEFORE=$(fake_calls | tr -d ' ')
}

# finished ARGS...: numa-runtime ARGS comes to an end of its own: not
# blocked until the timeout, not killed by a signal.
finished() {
	run --separate-stderr nr "$@"
	[ "$status" -ne 124 ] || fail "numa-runtime did not finish within $NR_TIMEOUT s (blocked?)"
	[ "$status" -lt 128 ] || fail "numa-runtime died of signal $((status - 128))" "stderr: $stderr"
}

# refused ARGS...: numa-runtime ARGS fails the way the contract says.
refused() {
	finished "$@"
	assert_refusal
	if [ -e "$T/snap/config.json" ]; then
		assert_file_same "$B/config.json" "$T/snap/config.json"
	fi
	if [ -e "$T/snap/ledger.json" ]; then
		assert_file_same "$LEDGER" "$T/snap/ledger.json"
		diff -r "$T/snap/ledger.json.d" "$LEDGER.d" >&2 || fail "the ledger's shards changed"
	fi
	assert_equal "$(fake_calls | tr -d ' ')" "$CALLS_BEFORE" "number of runtime calls"
}

# says TEXT: the one stderr line contains TEXT.
says() {
	case ${stderr_lines[0]} in
	*"$1"*) ;;
	*) fail "stderr does not say \"$1\": ${stderr_lines[0]:0:500}" ;;
	esac
}

# edit_spec JQ_FILTER: rewrite $B/config.json through jq, then snapshot.
edit_spec() {
	jq "$@" "$B/config.json" >"$T/c.json" || return
	cat "$T/c.json" >"$B/config.json"
	snapshot
}

# put_in_spec TEXT: replace the value of .annotations with raw TEXT.
put_in_spec() {
	jq -c '.annotations = "@@"' "$B/config.json" | awk -v t="$1" '{ sub(/"@@"/, t); print }' >"$T/c.json"
	cat "$T/c.json" >"$B/config.json"
	snapshot
}

# nested N: an array nested N levels deep.
nested() {
	printf '%*s' "$1" '' | tr ' ' '['
	printf '%*s' "$1" '' | tr ' ' ']'
}

# --- config.json: the file itself -----------------------------------------

@test "config.json a symbolic link: refused, link and target untouched" {
	mv "$B/config.json" "$T/real.json"
	ln -s "$T/real.json" "$B/config.json"
	cp "$T/real.json" "$T/real.orig"
	snapshot
	refused create --bundle "$B" c1
	says "symbolic link"
	[ -L "$B/config.json" ] || fail "the link was replaced"
	assert_file_same "$T/real.json" "$T/real.orig"
}

@test "config.json a FIFO: refused at once, never blocks" {
	rm "$B/config.json"
	mkfifo "$B/config.json"
	snapshot
	refused create --bundle "$B" c1
	says "not a regular file"
	[ -p "$B/config.json" ] || fail "the FIFO was replaced"
}

@test "config.json a directory: refused" {
	rm "$B/config.json"
	mkdir "$B/config.json"
	snapshot
	refused create --bundle "$B" c1
	[ -d "$B/config.json" ]
}

@test "config.json over 4 MiB: refused" {
	head -c 4200000 /dev/zero | tr '\0' x >"$T/pad"
	edit_spec --rawfile pad "$T/pad" '.annotations = {"pad": $pad}'
	refused create --bundle "$B" c1
	says "over the limit"
}

# --- config.json: nesting (item 1) ----------------------------------------

@test "nesting 100 levels deep is accepted and written back whole" {
	put_in_spec "$(nested 99)"
	run --separate-stderr nr create --bundle "$B" c1
	assert_success
	jq -e '.linux.resources.cpu.cpus' "$B/config.json" >/dev/null || fail "not placed"
	assert_equal "$(jq -c .annotations "$B/config.json")" "$(nested 99)" "the nested value"
}

@test "nesting 101 levels deep: refused before anything is written" {
	put_in_spec "$(nested 100)"
	refused create --bundle "$B" c1
	says "nested deeper than 100 levels"
}

@test "nesting 127 levels (where yajl's generator gave up): refused, not truncated" {
	put_in_spec "$(nested 126)"
	refused create --bundle "$B" c1
	says "nested deeper"
}

@test "nesting 1,000,000 levels: one line, no crash" {
	nested 1000000 >"$B/config.json"
	snapshot
	refused create --bundle "$B" c1
	says "nested deeper"
}

@test "update --resources nested 1,000,000 levels: no crash" {
	nested 1000000 >"$T/res.json"
	run --separate-stderr nr update --resources "$T/res.json" c0
	[ "$status" -lt 128 ] || fail "numa-runtime died of signal $((status - 128))"
	assert_ledger_ids c0
}

# --- config.json: strings and numbers -------------------------------------

@test "duplicate keys, the last of the wrong type: refused" {
	jq -c . "$B/config.json" | sed 's/}$/,"linux":{"resources":7}}/' >"$T/c.json"
	cat "$T/c.json" >"$B/config.json"
	snapshot
	refused create --bundle "$B" c1
	says "linux.resources"
}

@test "invalid UTF-8 in a string: refused" {
	jq -c '.annotations = {"a": "@@"}' "$B/config.json" | sed "s/@@/$(printf 'a\xff\xfeb')/" >"$T/c.json"
	cat "$T/c.json" >"$B/config.json"
	snapshot
	refused create --bundle "$B" c1
}

@test "NaN as a number: refused" {
	put_in_spec '{"x": NaN}'
	refused create --bundle "$B" c1
	says "invalid JSON"
}

@test "a CPU quota beyond int64: refused, not read as no limit" {
	jq -c '.linux.resources.cpu = {"quota": "@@", "period": 100000}' "$B/config.json" |
		sed 's/"@@"/99999999999999999999/' >"$T/c.json"
	cat "$T/c.json" >"$B/config.json"
	snapshot
	refused create --bundle "$B" c1
	says "linux.resources.cpu.quota"
}

@test "a memory limit of the wrong type: refused" {
	edit_spec '.linux.resources.memory = {"limit": "1G"}'
	refused create --bundle "$B" c1
	says "linux.resources.memory.limit"
}

@test "a CPU quota of 2^63-1 is a huge request, not no limit (restricted: refused)" {
	CFG_POLICY=restricted write_config
	edit_spec '.linux.resources.cpu = {"quota": 9223372036854775807, "period": 100000}'
	refused create --bundle "$B" c1
}

@test "lone high surrogate \\ud800: refused" {
	put_in_spec '{"s": "a\ud800b"}'
	refused create --bundle "$B" c1
	says "lone UTF-16 surrogate"
}

@test "lone low surrogate \\udc00: refused; a proper pair is fine" {
	put_in_spec '{"s": "\udc00"}'
	refused create --bundle "$B" c1
	says "lone UTF-16 surrogate"
	put_in_spec '{"s": "\ud83d\ude00"}'
	run --separate-stderr nr create --bundle "$B" c1
	assert_success
	assert_equal "$(jq -r .annotations.s "$B/config.json")" "$(printf '\xf0\x9f\x98\x80')" "the pair"
}

# --- config.json: limits --------------------------------------------------

@test "a container id over 255 bytes: refused" {
	refused create --bundle "$B" "$(head -c 256 /dev/zero | tr '\0' a)"
	says "longer than 255 bytes"
}

@test "more than 16384 env entries: refused" {
	edit_spec '.process.env = [range(16385) | "V\(.)=x"]'
	refused create --bundle "$B" c1
	says "process.env"
}

@test "more than 4096 mounts: refused" {
	edit_spec '.mounts = [range(4097) | {"destination": "/m\(.)", "type": "tmpfs", "source": "tmpfs"}]'
	refused create --bundle "$B" c1
	says "mounts"
}

@test "more than 4096 devices: refused" {
	edit_spec '.linux.devices = [range(4097) | {"path": "/dev/x\(.)", "type": "c", "major": 1, "minor": 3}]'
	refused create --bundle "$B" c1
	says "linux.devices"
}

@test "an annotation value over 64 KiB: refused" {
	edit_spec --arg v "$(head -c 65537 /dev/zero | tr '\0' v)" '.annotations = {"k": $v}'
	refused create --bundle "$B" c1
	says "annotation"
}

# --- the ledger directory and files (item 9) ------------------------------

@test "ledger directory writable by others (0777): refused" {
	chmod 0777 "$T"
	refused create --bundle "$B" c1
	says "writable by others"
	chmod 0700 "$T"
}

@test "ledger directory writable by its group: refused" {
	chmod 0770 "$T"
	refused create --bundle "$B" c1
	says "writable by its group"
	chmod 0700 "$T"
}

@test "ledger directory owned by someone else: refused" {
	require_root
	chown 65534 "$T"
	refused create --bundle "$B" c1
	says "owned by uid 65534"
	chown 0 "$T"
}

@test "ledger directory a symbolic link: refused" {
	mkdir -m 0700 "$T/real-ledger"
	ln -s "$T/real-ledger" "$T/ledger-link"
	use_ledger "$T/ledger-link/ledger.json"
	LEDGER=$T/ledger-link/ledger.json
	snapshot
	refused create --bundle "$B" c1
	says "symbolic link"
	[ -z "$(ls -A "$T/real-ledger")" ] || fail "something was written through the link"
}

@test "ledger index a symbolic link: refused, its target untouched" {
	mv "$LEDGER" "$T/elsewhere.json"
	ln -s "$T/elsewhere.json" "$LEDGER"
	cp "$T/elsewhere.json" "$T/elsewhere.orig"
	snapshot
	refused create --bundle "$B" c1
	[ -L "$LEDGER" ] || fail "the link was replaced"
	assert_file_same "$T/elsewhere.json" "$T/elsewhere.orig"
}

@test "ledger lock file a symbolic link: refused" {
	rm -f "$LEDGER.lock"
	ln -s "$T/lock-target" "$LEDGER.lock"
	snapshot
	refused create --bundle "$B" c1
	[ ! -e "$T/lock-target" ] || fail "the lock was created through the link"
}

@test "ledger index a FIFO: never blocks" {
	rm "$LEDGER"
	mkfifo "$LEDGER"
	finished create --bundle "$B" c1
}

# --- a hostile index (items 2-4): damage, set aside, never a crash --------

# damaged_index_recovers: create c1 on a hostile index: it is kept aside
# byte for byte, the ledger is rebuilt (c0 from its runtime state) and
# names only canonical shard files.  (How many lines the damage report
# takes is the logging's business, tests/06-ledger.bats.)
damaged_index_recovers() {
	cp "$LEDGER" "$T/hostile.json"
	run --separate-stderr nr create --bundle "$B" c1
	[ "$status" -lt 128 ] || fail "numa-runtime died of signal $((status - 128))" "${stderr:0:2000}"
	assert_success
	assert_equal "$output" "" "stdout"
	[[ $stderr == *"is unreadable"* ]] || fail "the damage is not reported:" "${stderr:0:2000}"
	find_aside
	assert_file_same "$ASIDE" "$T/hostile.json"
	assert_ledger_ids c0 c1
	jq -e '[.shards[].file | test("^ledger\\.json\\.d/[0-9]+-[0-9]+\\.json$")] | all' "$LEDGER" >/dev/null ||
		fail "the new index names odd files:" "$(cat "$LEDGER")"
}

@test "index naming a 9,000-character shard file (heap overflow): set aside, rebuilt" {
	long=$(head -c 9000 /dev/zero | tr '\0' 9)
	sed -i "s|\"file\":\"ledger.json.d/[^\"]*\"|\"file\":\"ledger.json.d/$long.json\"|" "$LEDGER"
	damaged_index_recovers
}

@test "index with 64 shards of 200-character names: set aside, rebuilt" {
	jq -c --arg n "$(head -c 190 /dev/zero | tr '\0' 1)" \
		'.shards = [range(64) | {"shard": ., "entries": 0, "file": "ledger.json.d/\(.)-\($n).json"}]' \
		"$LEDGER" >"$T/i.json"
	cat "$T/i.json" >"$LEDGER"
	damaged_index_recovers
}

@test "index naming a shard file with an escaped quote: set aside, rebuilt" {
	jq '.shards[0].file |= sub("\\.json$"; "\\\".json")' "$LEDGER" >"$T/i.json"
	cat "$T/i.json" >"$LEDGER"
	damaged_index_recovers
}

@test "index naming one shard file twice: set aside, the file not deleted" {
	jq -c '.shards += [.shards[0] | .shard = (.shard + 1) % 64]' "$LEDGER" >"$T/i.json"
	cat "$T/i.json" >"$LEDGER"
	damaged_index_recovers
}

@test "ledger sums near 2^63 (3 x 2^62-1 bytes): status shows no negative number" {
	for i in 1 2 3; do
		spec_bundle "$T/m$i"
		jq '.linux.resources.memory = {"limit": 4611686018427387903}' "$T/m$i/config.json" >"$T/c.json"
		cat "$T/c.json" >"$T/m$i/config.json"
		run --separate-stderr nr create --bundle "$T/m$i" "m$i"
		[ "$status" -lt 128 ] || fail "died of signal"
	done
	run --separate-stderr nr status --json
	assert_success
	jq -e '[.. | numbers | select(. < 0)] | length == 0' <<<"$output" >/dev/null ||
		fail "a negative number in status:" "$output"
}

# --- sysfs (item 7 and garbage) -------------------------------------------

@test "a sysfs file that is a FIFO: never blocks" {
	rm "$T/sys/devices/system/node/online"
	mkfifo "$T/sys/devices/system/node/online"
	finished create --bundle "$B" c1
	if [ "$status" -ne 0 ]; then refused create --bundle "$B" c1; fi
}

@test "a node's cpulist that is garbage: refused" {
	printf '0-3,x\n' >"$T/sys/devices/system/node/node0/cpulist"
	refused create --bundle "$B" c1
}

@test "the node list that is garbage: refused" {
	printf -- '-1--\n' >"$T/sys/devices/system/node/online"
	refused create --bundle "$B" c1
}

@test "a cyclic symbolic link where a node directory should be: no hang, no crash" {
	rm -rf "$T/sys/devices/system/node/node1"
	ln -s node1 "$T/sys/devices/system/node/node1"
	finished create --bundle "$B" c1
	if [ "$status" -ne 0 ]; then refused create --bundle "$B" c1; fi
}

@test "a device whose sysfs entry is a link cycle: a warning, placed all the same" {
	mkdir -p "$T/sys/dev/char"
	ln -s loop-b "$T/sys/dev/char/loop-a"
	ln -s loop-a "$T/sys/dev/char/loop-b"
	ln -s loop-a "$T/sys/dev/char/1:3"
	edit_spec '.linux.devices = [{"path": "/dev/null", "type": "c", "major": 1, "minor": 3}]'
	finished create --bundle "$B" c1
	assert_success
	[ "${#stderr_lines[@]}" -le 1 ] || fail "more than one line:" "$stderr"
	assert_ledger_ids c0 c1
}

# --- the INI config (item 8) ----------------------------------------------

@test "NUMA_RUNTIME_CONFIG naming a directory: refused" {
	NUMA_RUNTIME_CONFIG=$T/sys refused create --bundle "$B" c1
	says "Is a directory"
}

@test "NUMA_RUNTIME_CONFIG naming a FIFO: refused at once" {
	mkfifo "$T/conf.fifo"
	NUMA_RUNTIME_CONFIG=$T/conf.fifo refused create --bundle "$B" c1
	says "not a regular file"
}

@test "INI garbage: refused with its line number" {
	printf '[placement]\npolicy = best-effort\n\x01\x02garbage without equals\n' >>"$NUMA_RUNTIME_CONFIG"
	refused create --bundle "$B" c1
	says "line"
}

@test "INI with a number out of range: refused" {
	CFG_EXTRA='reserved_memory = 99999999999999999999999T' write_config
	refused create --bundle "$B" c1
}

# --- a signal after config.json is saved -----------------------------------

@test "SIGTERM right after config.json is saved: the original is put back, no entry, no runtime" {
	command -v strace >/dev/null || nr_skip "needs strace to deliver a signal at the save"
	# strace raises SIGTERM when numa-runtime renames the edited config.json
	# over the original (the ledger commit uses renameat, not rename).
	run --separate-stderr timeout "$NR_TIMEOUT" strace -qq -o /dev/null -e trace=rename \
		-e inject=rename:signal=SIGTERM "$NUMA_RUNTIME" --root "$RUNC_ROOT" create --bundle "$B" c1
	assert_equal "$status" 143 "exit status (killed by SIGTERM)"
	assert_file_same "$B/config.json" "$T/snap/config.json"
	assert_ledger_ids c0
	assert_equal "$(fake_calls | tr -d ' ')" "$CALLS_BEFORE" "number of runtime calls"
}

# --- issue 22: a race, a NUL, a failing read, a stuck lock, uint64 --------

@test "config.json swapped for a link between any check and the open: refused, nothing copied" {
	shared=${NUMA_RUNTIME_SHARED:-$TESTS_DIR/numa-runtime-shared}
	[ -x "$shared" ] || fail "no shared-linked build at $shared (LD_PRELOAD needs one; make check builds it)"
	cc -shared -fPIC -o "$T/swap.so" "$TESTS_DIR/progs/swap-on-open.c" -ldl || fail "cannot build the shim"
	printf '{"secret": "root only"}\n' >"$T/secret.json"
	chmod 0600 "$T/secret.json"
	chmod 0644 "$B/config.json"
	snapshot
	# The shim renames config.json aside and links it to the secret at the
	# moment numa-runtime opens it: after any check by path, before the read.
	run --separate-stderr env LD_PRELOAD="$T/swap.so" NR_SWAP_PATH="$B/config.json" \
		NR_SWAP_TARGET="$T/secret.json" timeout "$NR_TIMEOUT" "$shared" --root "$RUNC_ROOT" \
		create --bundle "$B" c1
	assert_refusal
	says "symbolic link"
	[ -L "$B/config.json" ] || fail "the link was replaced:" "$(cat "$B/config.json")"
	assert_file_same "$B/config.json.orig" "$T/snap/config.json"
	assert_ledger_ids c0
	assert_equal "$(fake_calls | tr -d ' ')" "$CALLS_BEFORE" "number of runtime calls"
}

@test "config.json is opened with O_NOFOLLOW (strace)" {
	command -v strace >/dev/null || nr_skip "needs strace to see the open flags"
	# Not -f: the (fake) runtime it starts reads config.json as it likes.
	run --separate-stderr timeout "$NR_TIMEOUT" strace -qq -o "$T/trace" -e trace=open,openat \
		"$NUMA_RUNTIME" --root "$RUNC_ROOT" create --bundle "$B" c1
	assert_success
	grep -F "\"$B/config.json\"" "$T/trace" >"$T/opens" || fail "config.json never opened?" "$(cat "$T/trace")"
	! grep -v O_NOFOLLOW "$T/opens" || fail "config.json opened following links:" "$(cat "$T/opens")"
}

@test "a NUL byte in a shard line, in a ledger of 2 shards: set aside, rebuilt, no over-read" {
	file=$(jq -r '.shards[0].file' "$LEDGER")
	line=$(sed -n 2p "$T/$file")
	line=${line%,}
	# c0's line with one more member whose value holds a NUL.
	{
		printf '{"containers":[\n%s' "${line%\}}"
		printf ',"x":"a\\0%s"}\n]}\n' "$(head -c 200 /dev/zero | tr '\0' b)"
	} | sed 's/\\0/\x00/' >"$LEDGER.d/0-99.json"
	grep -qaP '\x00' "$LEDGER.d/0-99.json" || fail "no NUL written"
	jq -c '.shard_count = 2 | .shards = [{"shard": 0, "entries": 1, "file": "ledger.json.d/0-99.json"}]' \
		"$LEDGER" >"$T/i.json"
	cat "$T/i.json" >"$LEDGER"
	damaged_index_recovers
}

@test "a config file whose read fails (/proc/self/mem): refused, the runtime not called" {
	NUMA_RUNTIME_CONFIG=/proc/self/mem refused create --bundle "$B" c1
	says "read config \`/proc/self/mem\`"
}

@test "the ledger lock held by a stuck process: refused after [ledger] lock_timeout, naming lock and holder" {
	CFG_EXTRA=$'\n[ledger]\nlock_timeout = 1' write_config
	flock -x "$LEDGER.lock" sleep "$NR_TIMEOUT" &
	holder=$!
	for _ in $(seq 100); do
		flock -n "$LEDGER.lock" true || break
		sleep 0.05
	done
	snapshot
	refused create --bundle "$B" c1
	kill "$(pgrep -P "$holder")" "$holder" 2>/dev/null || true
	wait "$holder" 2>/dev/null || true
	says "the ledger lock \`$LEDGER.lock\` is still held by pid $holder after 1 s"
}

# spec_with_numbers SHARES PERIOD HUGEPAGE_LIMIT: numbers jq would round.
spec_with_numbers() {
	jq -c '.linux.resources.cpu = {"shares": "@S@", "quota": 100000, "period": "@P@"}
		| .linux.resources.hugepageLimits = [{"pageSize": "2MB", "limit": "@H@"}]' "$B/config.json" |
		sed -e "s/\"@S@\"/$1/" -e "s/\"@P@\"/$2/" -e "s/\"@H@\"/$3/" >"$T/c.json"
	cat "$T/c.json" >"$B/config.json"
	snapshot
}

@test "2^64-1 in the uint64 fields cpu.shares, cpu.period, hugepageLimits[].limit: accepted as runc does" {
	max=18446744073709551615
	spec_with_numbers $max $max $max
	run --separate-stderr nr create --bundle "$B" c1
	assert_success
	grep -q "\"period\":$max" "$B/config.json" || fail "the period was not written back as it was"
	assert_ledger_ids c0 c1
}

@test "2^64 in a uint64 field, -1 in cpu.period: refused as runc refuses them" {
	spec_with_numbers 1 100000 18446744073709551616
	refused create --bundle "$B" c1
	says "linux.resources.hugepageLimits[].limit\` is not an integer in the range of uint64"
	spec_with_numbers 1 -1 1
	refused create --bundle "$B" c1
	says "linux.resources.cpu.period\` is not an integer in the range of uint64"
}
