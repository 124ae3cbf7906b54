# shellcheck shell=bash
# tests/runtime-flags.sh against each runtime as the node ships it (runc
# 1.3, crun 1.2x): every flag its own --help lists, global and for create,
# run, delete and update, in every spelling it accepts, is read by the
# installed numa-runtime the way the runtime reads it.  The script takes
# only the --help texts from the runtime; its probes go through
# numa-runtime to tests/fake-runtime on the two-node fixture topology (its
# directory on the payload keeps the layout it expects), and touch neither
# containerd nor the node's ledger.  So suite.sh starts it for every
# runtime before the first round (flags_start in lib.sh: one sequential
# script per runtime, in the background while the other checks run), and
# each round waits here for its own runtime's and reports it: one TAP line
# when every probe passed, else one per failed probe.
flags_out=$OUT_ROOT/runtime-flags-$RT.out
# Not started by suite.sh (this file sourced on its own): start it now.
[ -e "$OUT_ROOT/runtime-flags-$RT.started" ] || flags_start "$RT"
flags_t0=$(uptime_s)
flags_rc="none (still running after 1200 s here)"
if wait_for 1200 test -e "$OUT_ROOT/runtime-flags-$RT.rc"; then
	flags_rc=$(cat "$OUT_ROOT/runtime-flags-$RT.rc")
	tap "# timing: runtime-flags.sh for $RT in the background:" \
		"$(awk -v a="$(cat "$OUT_ROOT/runtime-flags-$RT.started")" -v b="$(cat "$OUT_ROOT/runtime-flags-$RT.ended")" \
			'BEGIN { printf "%.0f", b - a }') s, waited for here" \
		"$(awk -v a="$flags_t0" -v b="$(uptime_s)" 'BEGIN { printf "%.0f", b - a }') s"
fi
flags_summary=$(grep -m1 '^# .*: [0-9]* probes, ' "$flags_out")
flags_version=$("$RT" --version | head -n1)
tap "${flags_summary:-# $RT: runtime-flags.sh printed no summary}"

flags_all_passed() {
	cat "$flags_out"
	[ "$flags_rc" = 0 ] || fail "runtime-flags.sh exited with status $flags_rc" || return
	grep -q '^# .*: [1-9][0-9]* probes, [0-9]* passed, 0 failed$' <<<"$flags_summary" ||
		fail "no summary with probes and none failed: ${flags_summary:-none}"
}
if [ "$flags_rc" = 1 ] && grep -q '^not ok - ' "$flags_out"; then
	# Each failed probe is a TAP line of its own.
	while IFS= read -r flags_line; do
		check "runtime-flags.sh: ${flags_line#not ok - }" fail "$flags_summary"
	done < <(grep '^not ok - ' "$flags_out")
else
	check "runtime-flags.sh: every flag $flags_version --help lists is read as $RT reads it (${flags_summary#"# "})" \
		flags_all_passed
fi
