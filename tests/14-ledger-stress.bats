#!/usr/bin/env bats
# The ledger under load and under SIGKILL: tests/stress/parallel.sh (64
# workers, 2,000 creates and deletes, every committed version checked) and
# tests/stress/sigkill.sh (500 runs killed at random moments).  About a
# minute together on two idle cores; STRESS_SCALE=N divides the work by N
# for a quick look.  Their summaries are printed to the TAP stream.

bats_require_minimum_version 1.5.0

setup() {
	STRESS=$BATS_TEST_DIRNAME/stress
	scale=${STRESS_SCALE:-1}
	command -v jq >/dev/null 2>&1 || skip "needs jq"
	command -v bc >/dev/null 2>&1 || skip "needs bc"
	command -v "${CC:-cc}" >/dev/null 2>&1 || skip "needs a C compiler for the stress helpers"
}

report() {
	local line
	while IFS= read -r line; do
		printf '# %s\n' "$line" >&3
	done <<<"$output"
}

@test "64 parallel workers, 2,000 creates and deletes: every ledger version is consistent" {
	run "$STRESS/parallel.sh" -w $((64 / scale)) -n $((2000 / scale))
	report
	[ "$status" -eq 0 ]
}

@test "500 runs SIGKILLed at random moments: the ledger is always the old or the new one" {
	run "$STRESS/sigkill.sh" -r $((500 / scale))
	report
	[ "$status" -eq 0 ]
}
