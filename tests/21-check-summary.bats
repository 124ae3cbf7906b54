#!/usr/bin/env bats
# make check-all's last lines (tests/summarize.sh): the totals of every
# suite's results, and, when something failed, which test and why, right
# above the totals, where the end of a long CI log shows them; and what a
# VM suite shows there of a guest that stopped (tests/console-excerpt.sh).

load helpers

setup() {
	R=$(mktemp -d "${BATS_TEST_TMPDIR:-${TMPDIR:-/tmp}}/sum.XXXXXX")
	mkdir -p "$R/unit" "$R/node"
	printf ':global-test-result: PASS\n:test-result: PASS\n:test-result: PASS\n:test-result: SKIP\n' >"$R/unit/a.trs"
	printf 'ok 1 - first\nPASS: unit/a 1 - first\n' >"$R/unit/a.log"
}

# A node suite log as automake's TAP driver writes it: the raw TAP, each
# result line followed by the driver's own.
failed_node_suite() {
	printf ':global-test-result: FAIL\n:test-result: PASS\n:test-result: FAIL\n:test-result: PASS\n' >"$R/node/run.trs"
	cat >"$R/node/run.log" <<'LOG'
ok 1 - [runc] the pod starts
PASS: tests/node/run.sh 1 - [runc] the pod starts
not ok 2 - [runc] the spill pod is removed
FAIL: tests/node/run.sh 2 - [runc] the spill pod is removed
# crictl said: context deadline exceeded
# ledger: 1 entry left
ok 3 - node VM ran the suite and powered off
# a comment after a passing test
PASS: tests/node/run.sh 3 - node VM ran the suite and powered off
LOG
}

@test "all passed: one line of totals, exit 0" {
	run sh "$TOP_SRCDIR/tests/summarize.sh" "$R"
	assert_success
	assert_equal "$output" "2 passed, 0 failed, 1 skipped" "summary"
}

@test "a failure: the failed test and its diagnostics just above the totals, exit 1" {
	failed_node_suite
	run sh "$TOP_SRCDIR/tests/summarize.sh" "$R"
	assert_failure
	assert_equal "${lines[-1]}" "4 passed, 1 failed, 1 skipped" "last line"
	assert_output_contains "FAIL: tests/node/run.sh 2 - [runc] the spill pod is removed"
	assert_output_contains "# crictl said: context deadline exceeded"
	assert_output_contains "# ledger: 1 entry left"
	[[ $output != *"a comment after a passing test"* ]] || fail "a passing test's comment is shown: $output"
	[[ $output != *"PASS:"* ]] || fail "passing tests are listed: $output"
}

@test "what contrib/quickstart.sh installed is shown above the totals, which stay last" {
	printf 'installed now (2): crun jq\nthe list (3), as dpkg has them: crun=1.8.1-1+deb12u1 jq=1.6-2.1 runc=1.1.5+ds1-1+deb12u1\n' \
		>"$R/quickstart-packages.txt"
	run sh "$TOP_SRCDIR/tests/summarize.sh" "$R"
	assert_success
	[[ $output == *"---- packages (contrib/quickstart.sh)"*"installed now (2): crun jq"*"crun=1.8.1-1+deb12u1"* ]] ||
		fail "no packages block in: $output"
	assert_equal "${lines[-1]}" "2 passed, 0 failed, 1 skipped" "last line"
}

@test "--times: the slowest suites by the time from the previous suite's end to their own" {
	printf ':test-result: PASS\n' >"$R/node/run.trs"
	mkdir -p "$R/vm"
	printf ':test-result: PASS\n' >"$R/vm/run.trs"
	touch -d '2026-01-01 10:00:00' "$R/unit/a.trs"
	touch -d '2026-01-01 10:07:00' "$R/node/run.trs"
	touch -d '2026-01-01 10:07:30' "$R/vm/run.trs"
	run sh "$TOP_SRCDIR/tests/summarize.sh" --times "$R"
	assert_success
	assert_equal "${lines[0]}" "---- slowest suites (seconds)" "heading"
	assert_equal "$(echo "${lines[1]}" | tr -s ' ')" " 420 s $R/node/run" "slowest first"
	assert_equal "$(echo "${lines[2]}" | tr -s ' ')" " 30 s $R/vm/run" "then the next"
	assert_equal "${lines[-1]}" "4 passed, 0 failed, 1 skipped" "last line"
	run sh "$TOP_SRCDIR/tests/summarize.sh" "$R"
	[[ $output != *"slowest"* ]] || fail "times shown without --times: $output"
}

@test "--times: a suite run beside others, from its log's birth to its end" {
	rm -f "$R/unit/a.log"
	printf 'ok 1 - first\n' >"$R/unit/a.log"
	birth=$(stat -c %W "$R/unit/a.log")
	[ "${birth:-0}" -gt 0 ] || skip "$R keeps no birth time (stat %W is 0)"
	mkdir -p "$R/asan"
	printf ':test-result: PASS\n' >"$R/asan/cli.trs"
	printf 'ok 1 - cli\n' >"$R/asan/cli.log"
	# a.trs ends 200 s after its log was made, cli.trs 10 s after a.trs:
	# cli ran beside a, so the gap since a's end is not its time.
	touch -d "@$((birth + 200))" "$R/unit/a.trs"
	touch -d "@$((birth + 210))" "$R/asan/cli.trs"
	run sh "$TOP_SRCDIR/tests/summarize.sh" --times "$R"
	assert_success
	assert_equal "$(echo "${lines[1]}" | tr -s ' ')" " 210 s $R/asan/cli" "slowest first"
	assert_equal "$(echo "${lines[2]}" | tr -s ' ')" " 200 s $R/unit/a" "then the next"
}

# A serial console of N lines "line 1".."line N", \r\n-terminated as
# qemu writes them, with TEXT as line AT when given.
console_of() {
	local n=$1 at=${2:-0} text=${3:-} i
	for ((i = 1; i <= n; i++)); do
		if [ "$i" = "$at" ]; then printf '%s\r\n' "$text"; else printf 'line %d\r\n' "$i"; fi
	done >"$R/console"
}

@test "a guest that stopped: its console from just before the kernel's first complaint" {
	console_of 60 30 "[   41.2] watchdog: BUG: soft lockup - CPU#3 stuck for 22s! [runc:3]"
	run sh "$TOP_SRCDIR/tests/console-excerpt.sh" "$R/console"
	assert_success
	assert_equal "${lines[0]}" "# console: line 27" "starts 3 lines before"
	assert_equal "${lines[3]}" "# console: [   41.2] watchdog: BUG: soft lockup - CPU#3 stuck for 22s! [runc:3]" "the complaint"
	assert_equal "${#lines[@]}" 18 "lines shown"
	[[ $output != *$'\r'* ]] || fail "carriage returns kept"
}

@test "a guest that stopped with no complaint: its console's last 18 lines, under the prefix given" {
	console_of 60
	run sh "$TOP_SRCDIR/tests/console-excerpt.sh" "$R/console" "# [llc] console: "
	assert_success
	assert_equal "${lines[0]}" "# [llc] console: line 43" "first shown"
	assert_equal "${lines[-1]}" "# [llc] console: line 60" "last shown"
	assert_equal "${#lines[@]}" 18 "lines shown"
}
