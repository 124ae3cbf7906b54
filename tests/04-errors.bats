#!/usr/bin/env bats
# Failures before the runtime is exec'd: exit status 1, exactly one line on
# stderr starting "numa-runtime: ", nothing on stdout, config.json and the
# ledger untouched, the runtime not called, and with --log F --log-format
# json an error line appended to F.

load helpers

setup() {
	nr_setup
	use_fake_runtime
	use_fixture twonode
	# a ledger with one entry, so "unchanged" means something
	spec_bundle "$T/b0"
	run --separate-stderr nr create --bundle "$T/b0" c0
	assert_success
	assert_ledger_ids c0
	spec_bundle "$T/bundle"
	B=$T/bundle
	LOG=$T/log.json
	snapshot
}

# snapshot: remember config.json, ledger and runtime calls as they are now.
snapshot() {
	rm -rf "$T/snap"
	mkdir -p "$T/snap"
	[ ! -e "$B/config.json" ] || cp -p "$B/config.json" "$T/snap/config.json"
	[ ! -e "$LEDGER" ] || cp -p "$LEDGER" "$T/snap/ledger.json"
	[ ! -e "$LEDGER.d" ] || cp -a "$LEDGER.d" "$T/snap/ledger.json.d"
	CALLS_BEFORE=$(fake_calls | tr -d ' ')
}

# fails ARGS...: numa-runtime --log $LOG --log-format json ARGS fails the
# way the contract says, touching nothing.
fails() {
	run --separate-stderr nr_raw --log "$LOG" --log-format json "$@"
	check_failure
}

check_failure() {
	# 124: killed by timeout, e.g. exec'ing itself forever
	[ "$status" -ne 124 ] || fail "numa-runtime did not finish within $NR_TIMEOUT s"
	assert_failure 1
	assert_equal "$output" "" "stdout"
	[ "${#stderr_lines[@]}" -eq 1 ] ||
		fail "expected exactly one line on stderr, got ${#stderr_lines[@]}:" "$stderr"
	case ${stderr_lines[0]} in
	"numa-runtime: "?*) ;;
	*) fail "stderr does not start with \"numa-runtime: \": ${stderr_lines[0]}" ;;
	esac
	if [ -e "$T/snap/config.json" ]; then
		assert_file_same "$B/config.json" "$T/snap/config.json"
		assert_equal "$(stat -c '%a %Y' "$B/config.json")" "$(stat -c '%a %Y' "$T/snap/config.json")" \
			"mode and mtime of config.json"
	else
		[ ! -e "$B/config.json" ] || fail "config.json was created in $B"
	fi
	# The ledger: its index and every shard file, none added or removed.
	if [ -e "$T/snap/ledger.json" ]; then
		assert_file_same "$LEDGER" "$T/snap/ledger.json"
	else
		[ ! -e "$LEDGER" ] || fail "ledger $LEDGER was created"
	fi
	if [ -e "$T/snap/ledger.json.d" ]; then
		diff -r "$T/snap/ledger.json.d" "$LEDGER.d" >&2 ||
			fail "the ledger's shard directory $LEDGER.d changed"
	else
		[ ! -e "$LEDGER.d" ] || fail "shard directory $LEDGER.d was created"
	fi
	assert_equal "$(fake_calls | tr -d ' ')" "$CALLS_BEFORE" "number of runtime calls"
	check_error_log
}

# check_error_log: $LOG's last line is {"level":"error","msg":...,"time":...}
check_error_log() {
	[ -s "$LOG" ] || fail "--log $LOG: nothing was written"
	local last
	last=$(tail -n 1 "$LOG")
	echo "$last" | jq -e . >/dev/null 2>&1 || fail "last line of $LOG is not JSON: $last"
	assert_equal "$(echo "$last" | jq -r .level)" error "level in $LOG"
	echo "$last" | jq -e '(.msg | type) == "string" and (.msg | length) > 0' >/dev/null ||
		fail "no msg in the log line: $last"
	echo "$last" | jq -e '.time | type == "string" and test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$")' \
		>/dev/null || fail "time in the log line is not RFC 3339: $last"
}

# --- bad bundles ----------------------------------------------------------

@test "truncated config.json" {
	head -c 200 "$B/config.json" >"$T/trunc.json"
	cat "$T/trunc.json" >"$B/config.json"
	snapshot
	fails create --bundle "$B" c1
}

@test "a \\u0000 in a string is refused, not cut short" {
	jq '.annotations = {"x-nul": "a\u0000b"}' "$B/config.json" >"$T/c.json" && cat "$T/c.json" >"$B/config.json"
	snapshot
	fails create --bundle "$B" c1
	case $stderr in *NUL*) ;; *) fail "stderr does not name the NUL: $stderr" ;; esac
}

@test "config.json that is valid JSON but not an object" {
	echo '["not", "a", "spec"]' >"$B/config.json"
	snapshot
	fails create --bundle "$B" c1
}

@test "empty config.json" {
	: >"$B/config.json"
	snapshot
	fails create --bundle "$B" c1
}

@test "config.json missing" {
	rm "$B/config.json"
	snapshot
	fails create --bundle "$B" c1
}

@test "bundle directory missing" {
	rm -rf "$B"
	snapshot
	fails create --bundle "$B" c1
}

@test "run with a truncated config.json (run is intercepted too)" {
	head -c 200 "$B/config.json" >"$T/trunc.json"
	cat "$T/trunc.json" >"$B/config.json"
	snapshot
	fails run --detach --bundle "$B" c1
}

@test "--log=F --log-format=json forms log the error too" {
	head -c 200 "$B/config.json" >"$T/trunc.json"
	cat "$T/trunc.json" >"$B/config.json"
	snapshot
	run --separate-stderr nr_raw --log="$LOG" --log-format=json create --bundle "$B" c1
	check_failure
}

@test "the error line is appended to an existing log" {
	printf '{"level":"info","msg":"earlier","time":"2024-01-01T00:00:00Z"}\n' >"$LOG"
	rm "$B/config.json"
	snapshot
	fails create --bundle "$B" c1
	assert_equal "$(wc -l <"$LOG" | tr -d ' ')" 2 "lines in $LOG"
	assert_equal "$(head -n 1 "$LOG" | jq -r .msg)" earlier "first line of $LOG"
}

# --- ledger ---------------------------------------------------------------

@test "ledger directory cannot be created (parent is a regular file)" {
	echo "not a directory" >"$T/plainfile"
	cp "$T/plainfile" "$T/plainfile.orig"
	use_ledger "$T/plainfile/sub/ledger.json"
	snapshot
	fails create --bundle "$B" c1
	assert_file_same "$T/plainfile" "$T/plainfile.orig"
}

@test "ledger path's parent is a regular file" {
	echo "not a directory" >"$T/plainfile"
	cp "$T/plainfile" "$T/plainfile.orig"
	use_ledger "$T/plainfile/ledger.json"
	snapshot
	fails create --bundle "$B" c1
	assert_file_same "$T/plainfile" "$T/plainfile.orig"
}

# --- runtime --------------------------------------------------------------

@test "missing runtime: create fails before touching anything" {
	use_runtime /nonexistent/runc
	fails create --bundle "$B" c1
}

@test "missing runtime: a pass-through subcommand fails with one line" {
	use_runtime /nonexistent/runc
	fails state c0
}

@test "missing runtime: delete fails and keeps the ledger entry" {
	use_runtime /nonexistent/runc
	fails delete c0
	assert_ledger_ids c0
}

@test "runtime is not executable" {
	printf '#!/bin/sh\nexit 0\n' >"$T/noexec-runtime"
	chmod 0644 "$T/noexec-runtime"
	use_runtime "$T/noexec-runtime"
	fails create --bundle "$B" c1
}

@test "runtime path is numa-runtime itself: create" {
	use_runtime "$(readlink -f "$NUMA_RUNTIME")"
	NR_TIMEOUT=10 fails create --bundle "$B" c1
}

@test "runtime path is numa-runtime itself: pass-through" {
	use_runtime "$(readlink -f "$NUMA_RUNTIME")"
	NR_TIMEOUT=10 fails state c0
}

@test "runtime path is a symlink to numa-runtime: create" {
	ln -s "$(readlink -f "$NUMA_RUNTIME")" "$T/runc"
	use_runtime "$T/runc"
	NR_TIMEOUT=10 fails create --bundle "$B" c1
}

@test "runtime path is a symlink to numa-runtime: pass-through" {
	ln -s "$(readlink -f "$NUMA_RUNTIME")" "$T/runc"
	use_runtime "$T/runc"
	NR_TIMEOUT=10 fails kill c0 KILL
}
