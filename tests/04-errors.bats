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
	seed_one_entry
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
	assert_refusal
	check_untouched
	assert_equal "$(fake_calls | tr -d ' ')" "$CALLS_BEFORE" "number of runtime calls"
	check_error_log
}

# check_untouched: config.json and the ledger are as snapshot left them.
check_untouched() {
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

# --- the command line (issue 12 items 7, 10, 11) ------------------------------

@test "id with a slash" {
	fails create --bundle "$B" a/b
}

@test "id .." {
	fails create --bundle "$B" ..
}

@test "id ." {
	fails run --bundle "$B" .
}

@test "empty id" {
	fails create --bundle "$B" ""
}

@test "id longer than 255 bytes" {
	fails create --bundle "$B" "$(printf 'x%.0s' $(seq 256))"
	case $stderr in *"longer than 255 bytes"*) ;; *) fail "stderr: $stderr" ;; esac
}

@test "id with a newline: still one line on stderr" {
	fails create --bundle "$B" $'a\nb'
}

@test "id with shell metacharacters" {
	fails create --bundle "$B" 'a;rm -rf x'
}

@test "id with non-ASCII bytes" {
	fails create --bundle "$B" $'caf\xc3\xa9'
}

@test "bundle is a dangling symlink" {
	rm -rf "$B"
	ln -s "$T/nowhere" "$B"
	snapshot
	fails create --bundle "$B" c1
}

@test "bundle is a symlink loop" {
	rm -rf "$B"
	ln -s "$B" "$B"
	snapshot
	fails create --bundle "$B" c1
}

@test "bundle is a regular file" {
	rm -rf "$B"
	echo '{}' >"$B"
	snapshot
	fails create --bundle "$B" c1
}

@test "update --cpuset-cpus with a CPU of another node only (item 11)" {
	# c0 is on node 0 (CPUs 0-3); 4 is node 1's
	fails update --cpuset-cpus 4 c0
	case $stderr in *"holds none of CPUs 0-3 of node(s) 0"*) ;; *) fail "stderr: $stderr" ;; esac
}

@test "update --resources - with cpu.cpus of another node only (item 11)" {
	run --separate-stderr nr_raw --log "$LOG" --log-format json update -r - c0 <<<'{"cpu":{"cpus":"5-7"}}'
	check_failure
}

@test "update --cpuset-cpus that is not a CPU list" {
	fails update --cpuset-cpus 'zero-three' c0
}

@test "update --cpuset-cpus out of range" {
	fails update --cpuset-cpus 99999999 c0
}

@test "update --resources - with a cpu.cpus that is not a CPU list" {
	run --separate-stderr nr_raw --log "$LOG" --log-format json update -r - c0 <<<'{"cpu":{"cpus":"0-x"}}'
	check_failure
}

@test "update --resources - that is not JSON" {
	run --separate-stderr nr_raw --log "$LOG" --log-format json update -r - c0 <<<'cpus: 0-3'
	check_failure
}

@test "update --resources - that is JSON but not an object" {
	run --separate-stderr nr_raw --log "$LOG" --log-format json update -r - c0 <<<'[{"cpu":{"cpus":"0"}}]'
	check_failure
}

@test "--log is a FIFO nobody reads: no hang, the error still on stderr (item 7)" {
	mkfifo "$T/log.fifo"
	rm "$B/config.json"
	snapshot
	run --separate-stderr nr_raw --log "$T/log.fifo" --log-format json create --bundle "$B" c1
	[ "$status" -ne 124 ] || fail "numa-runtime hung on the FIFO"
	assert_failure 1
	assert_equal "$output" "" "stdout"
	assert_equal "${#stderr_lines[@]}" 1 "lines on stderr"
	[ -p "$T/log.fifo" ] || fail "the FIFO was replaced"
	check_untouched
}

@test "--log is a FIFO with a reader: nothing written to it, no hang (item 7)" {
	mkfifo "$T/log.fifo"
	# The test holds the read end (opened read-write, which never blocks).
	exec 8<>"$T/log.fifo"
	rm "$B/config.json"
	snapshot
	run --separate-stderr nr_raw --log "$T/log.fifo" --log-format json create --bundle "$B" c1
	[ "$status" -ne 124 ] || fail "numa-runtime hung on the FIFO"
	assert_failure 1
	assert_equal "${#stderr_lines[@]}" 1 "lines on stderr"
	# A marker written now is the first thing in the FIFO if numa-runtime
	# wrote nothing to it.
	local first
	echo END >&8
	read -r -t 5 first <&8 || first="<nothing>"
	exec 8<&-
	assert_equal "$first" END "first line in the FIFO"
	check_untouched
}

@test "--log is a directory: the error on stderr, one line" {
	mkdir "$T/logdir"
	rm "$B/config.json"
	snapshot
	run --separate-stderr nr_raw --log "$T/logdir" create --bundle "$B" c1
	assert_failure 1
	assert_equal "$output" "" "stdout"
	assert_equal "${#stderr_lines[@]}" 1 "lines on stderr"
	check_untouched
}

# fails_like_runc ARGS...: with the real runc behind it, numa-runtime ARGS
# answers exactly as `runc ARGS` does (stdout, stderr, exit status; runc's
# log time stamps aside), fails, and touches neither config.json nor the
# ledger: what numa-runtime cannot read as runc does is runc's to refuse.
fails_like_runc() {
	require_root
	require_runc
	use_runtime "$RUNC"
	snapshot
	run --separate-stderr nr_raw --root "$RUNC_ROOT" "$@"
	[ "$status" -ne 124 ] || fail "numa-runtime did not finish within $NR_TIMEOUT s"
	local nr_status=$status nr_out=$output nr_err
	nr_err=$(sed 's/^time="[^"]*"/time=T/' <<<"$stderr")
	check_untouched
	run --separate-stderr timeout "$NR_TIMEOUT" "$RUNC" --root "$RUNC_ROOT" "$@"
	assert_equal "$nr_status" "$status" "exit status (numa-runtime vs runc)"
	[ "$status" -ne 0 ] || fail "runc accepted $*; pick a case it refuses"
	assert_equal "$nr_out" "$output" "stdout (numa-runtime vs runc)"
	assert_equal "$nr_err" "$(sed 's/^time="[^"]*"/time=T/' <<<"$stderr")" "stderr (numa-runtime vs runc)"
	[ "${#stderr_lines[@]}" -eq 1 ] || fail "runc wrote ${#stderr_lines[@]} lines on stderr: $stderr"
	check_untouched
}

@test "unknown create flag: runc's own answer, nothing placed" {
	fails_like_runc create --no-such-flag --bundle "$B" c1
}

@test "unknown global flag: runc's own answer" {
	fails_like_runc --no-such-flag create --bundle "$B" c1
}

@test "a value flag without its value (create ... --bundle)" {
	fails_like_runc create c1 --bundle
}

@test "a global value flag without its value (--log at the end)" {
	fails_like_runc --log
}

@test "create with two ids" {
	fails_like_runc create --bundle "$B" c1 c2
}

@test "create without an id" {
	fails_like_runc create --bundle "$B"
}

@test "crun's -bDIR spelling, which runc does not take" {
	fails_like_runc create "-b$B" c1
}

@test "a boolean flag with a value Go does not parse (--detach=maybe)" {
	fails_like_runc run --detach=maybe --bundle "$B" c1
}

@test "delete with an unknown flag keeps the ledger entry" {
	fails_like_runc delete --no-such-flag c0
	assert_ledger_ids c0
}

@test "update with an unknown flag" {
	fails_like_runc update --no-such-flag --cpuset-cpus 0 c0
}
