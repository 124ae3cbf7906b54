# shellcheck shell=bash
# tests/runtime-flags.sh against each runtime as the node ships it (runc
# 1.3, crun 1.2x): every flag its own --help lists, global and for create,
# run, delete and update, in every spelling it accepts, is read by the
# installed numa-runtime the way the runtime reads it.  The script takes
# only the --help texts from the runtime; its probes go through
# numa-runtime to tests/fake-runtime on the two-node fixture topology (its
# directory on the payload keeps the layout it expects), and touch neither
# containerd nor the node's ledger.  So the first round runs it for every
# runtime at once (the guest's two CPUs, one sequential script each) and
# each round reports its own runtime: one TAP line when every probe
# passed, else one per failed probe.
flags_out=$OUT_ROOT/runtime-flags-$RT.out
flags_run() { # RUNTIME
	local rc=0
	NUMA_RUNTIME=/usr/local/bin/numa-runtime bash "$PAYLOAD/flags/runtime-flags.sh" "$(command -v "$1")" \
		>"$OUT_ROOT/runtime-flags-$1.out" 2>&1 || rc=$?
	echo "$rc" >"$OUT_ROOT/runtime-flags-$1.rc"
}
if [ ! -e "$OUT_ROOT/runtime-flags-$RT.rc" ]; then
	flags_t0=$(uptime_s)
	flags_rts=$RT
	for rt in ${NUMA_NODE_RUNTIMES:-runc crun}; do
		[ "$rt" = "$RT" ] || [ -e "$OUT_ROOT/runtime-flags-$rt.rc" ] || flags_rts="$flags_rts $rt"
	done
	for rt in $flags_rts; do flags_run "$rt" & done
	wait
	tap "# timing: runtime-flags.sh for $flags_rts side by side:" \
		"$(awk -v a="$flags_t0" -v b="$(uptime_s)" 'BEGIN { printf "%.0f", b - a }') s"
fi
flags_rc=$(cat "$OUT_ROOT/runtime-flags-$RT.rc")
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
