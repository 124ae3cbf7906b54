#!/usr/bin/env bats
# The ledger under load and under SIGKILL: tests/stress/parallel.sh (64
# workers, 2,000 creates and deletes, every committed version of the
# sharded ledger checked) and tests/stress/sigkill.sh (500 runs killed at
# random moments, as two scripts of 250 runs side by side).  About 50 s
# together on two idle cores;
# STRESS_SCALE=N divides the work by N for a quick look.  Their summaries
# are printed to the TAP stream.  parallel.sh watches commits through
# tests/numa-runtime-shared (NUMA_RUNTIME_SHARED), which make check builds.
# A missing tool skips, and fails under NUMA_TEST_STRICT=1 (make check).

load helpers

setup() {
	STRESS=$BATS_TEST_DIRNAME/stress
	scale=${STRESS_SCALE:-1}
	local tool
	for tool in jq bc flock "${CC:-cc}"; do
		command -v "$tool" >/dev/null 2>&1 || nr_skip "needs $tool"
	done
}

report() {
	local line
	while IFS= read -r line; do
		printf '# %s\n' "$line" >&3
	done <<<"$output"
	# And to the test's own output, which bats shows when it fails.
	printf '%s\n' "$output"
}

@test "64 parallel workers, 2,000 creates and deletes: every ledger version is consistent" {
	NUMA_RUNTIME_SHARED=${NUMA_RUNTIME_SHARED:-$BATS_TEST_DIRNAME/numa-runtime-shared}
	[ -x "$NUMA_RUNTIME_SHARED" ] ||
		nr_skip "needs the shared-linked build $NUMA_RUNTIME_SHARED (make tests/numa-runtime-shared)"
	export NUMA_RUNTIME_SHARED
	run "$STRESS/parallel.sh" -w $((64 / scale)) -n $((2000 / scale))
	report
	[ "$status" -eq 0 ]
}

@test "500 runs SIGKILLed at random moments: the ledger is always the old or the new one" {
	# Two sigkill.sh side by side, each with a ledger of its own and half
	# the runs, one a core: every run and its checks are as in one script
	# of 500 (whose runs each wait for the previous one), in half the time.
	local total=$((500 / scale)) out pids=() lane status=0
	out=$(mktemp -d "${BATS_TEST_TMPDIR:-${TMPDIR:-/tmp}}/sigkill.XXXXXX")
	"$STRESS/sigkill.sh" -r $((total / 2)) >"$out/1" 2>&1 &
	pids+=($!)
	"$STRESS/sigkill.sh" -r $((total - total / 2)) >"$out/2" 2>&1 &
	pids+=($!)
	for lane in 1 2; do
		wait "${pids[lane - 1]}" || status=$?
	done
	output=$(sed 's/^/lane 1: /' "$out/1"; sed 's/^/lane 2: /' "$out/2")
	rm -rf "$out"
	report
	[ "$status" -eq 0 ]
}
