#!/usr/bin/env bats
# numa-runtime says nothing runc would not say (issue 12 items 10 and 12):
# for every verb runc lists, help, version and unknown verbs, and through
# a whole container lifecycle with the real runc and a busybox bundle,
# numa-runtime's stdout, stderr and exit status equal runc's own; every
# flag runc's and crun's --help list is read the way they read it.

load helpers

setup() {
	require_root
	require_runc
	nr_setup
}

teardown() { nr_teardown; }

# norm: what differs between two calls of the same runc (log time stamps).
norm() { sed -E 's/time="[^"]*"/time=T/g; s/"time":"[^"]*"/"time":"T"/g'; }

# in_dir DIR CMD...: CMD run in DIR with stdin from /dev/null.
in_dir() {
	local dir=$1
	shift
	mkdir -p "$dir"
	(cd "$dir" && exec timeout "$NR_TIMEOUT" "$@" </dev/null)
}

# same_as_runc ARGS...: `numa-runtime ARGS` and `runc ARGS` (this test's
# --root; each in its own new directory, as `spec` writes there) print
# the same on stdout and stderr and exit with the same status.
N_CMP=0
# (same_as_runtime RUNTIME ARGS... does the same for another runtime, which
# numa-runtime's config must name.)
same_as_runc() { same_as_runtime "$RUNC" "$@"; }
same_as_runtime() {
	local runtime=$1
	shift
	N_CMP=$((N_CMP + 1))
	run --separate-stderr in_dir "$T/cwd.nr.$N_CMP" "$NUMA_RUNTIME" --root "$RUNC_ROOT" "$@"
	local nr_status=$status nr_out nr_err
	nr_out=$(norm <<<"$output")
	nr_err=$(norm <<<"$stderr")
	run --separate-stderr in_dir "$T/cwd.runc.$N_CMP" "$runtime" --root "$RUNC_ROOT" "$@"
	[ "$nr_status" -eq "$status" ] ||
		fail "\`$*\`: exit status $nr_status, runc's $status" "numa-runtime's stderr: $nr_err" "runc's: $stderr"
	[ "$nr_out" = "$(norm <<<"$output")" ] ||
		fail "\`$*\`: stdout differs from runc's:" "$(diff <(norm <<<"$output") <(echo "$nr_out") | head -n 20)"
	[ "$nr_err" = "$(norm <<<"$stderr")" ] ||
		fail "\`$*\`: stderr differs from runc's:" "runc:         $stderr" "numa-runtime: $nr_err"
	assert_equal "$(ls -A "$T/cwd.nr.$N_CMP")" "$(ls -A "$T/cwd.runc.$N_CMP")" "files left in the working directory by \`$*\`"
}

# runc_verbs: the COMMANDS runc's own --help lists ("help, h" gives both).
runc_verbs() {
	"$RUNC" --help | awk '/^COMMANDS:/ { on = 1; next } on && /^[^ ]/ { exit }
		on && NF { sub(/^ +/, ""); split($0, w, /  +/); n = split(w[1], v, /, /); for (i = 1; i <= n; i++) print v[i] }'
}

@test "every flag runc's --help lists is read as runc reads it (tests/runtime-flags.sh)" {
	run "$TESTS_DIR/runtime-flags.sh" "$RUNC"
	printf '%s\n' "$output" | grep -v '^ok' >&2 || true
	assert_success
	assert_output_contains "0 failed"
}

@test "every flag crun's --help lists is read as crun reads it (tests/runtime-flags.sh)" {
	local crun
	crun=$(command -v crun) || nr_skip "crun is not installed (contrib/quickstart.sh installs it)"
	run "$TESTS_DIR/runtime-flags.sh" "$crun"
	printf '%s\n' "$output" | grep -v '^ok' >&2 || true
	assert_success
	assert_output_contains "0 failed"
}

@test "help, version, no arguments, unknown verbs: runc's answer exactly" {
	same_as_runc
	same_as_runc --help
	same_as_runc -h
	same_as_runc --version
	same_as_runc -v
	same_as_runc frobnicate
	same_as_runc frobnicate c1
	same_as_runc --debug frobnicate
	same_as_runc help create
	same_as_runc --help create --bundle "$T" c1
	same_as_runc -v run c1
}

@test "every verb runc lists: alone, with --help, -h, and with an unknown id" {
	local verbs verb
	verbs=$(runc_verbs)
	[ "$(wc -l <<<"$verbs")" -ge 15 ] || fail "runc --help lists too few commands:" "$verbs"
	for verb in $verbs; do
		same_as_runc "$verb"
		same_as_runc "$verb" --help
		same_as_runc "$verb" -h
		case $verb in
		# create/run read the bundle first: without one they fail in
		# numa-runtime's words (tests/04-errors.bats); covered below.
		create | run) ;;
		*) same_as_runc "$verb" no-such-container ;;
		esac
	done
	# the ones the issue names, whatever runc lists
	same_as_runc create -h
	same_as_runc run --help
	same_as_runc delete -h
	same_as_runc update -h
	same_as_runc create -h c1
	same_as_runc delete --help c1
	# and what numa-runtime leaves to runc to refuse
	same_as_runc create
	same_as_runc run a b
	same_as_runc create --no-such-flag --bundle "$T" c1
	same_as_runc create c1 --bundle
}

@test "crun behind numa-runtime: help, version, unknown verbs and every verb's help are crun's exactly" {
	local crun verbs verb
	crun=$(command -v crun) || nr_skip "crun is not installed (contrib/quickstart.sh installs it)"
	use_runtime "$crun"
	same_as_runtime "$crun" --help
	same_as_runtime "$crun" '-?'
	same_as_runtime "$crun" --usage
	same_as_runtime "$crun" --version
	same_as_runtime "$crun" -v
	same_as_runtime "$crun" frobnicate
	same_as_runtime "$crun" --help create c1
	verbs=$("$crun" --help | awk '/^COMMANDS:/ { on = 1; next } on && /^[ \t]+[a-z]/ { print $1; next } on { exit }')
	[ "$(wc -l <<<"$verbs")" -ge 10 ] || fail "crun --help lists too few commands:" "$verbs"
	for verb in $verbs; do
		same_as_runtime "$crun" "$verb" --help
		same_as_runtime "$crun" "$verb" '-?'
		same_as_runtime "$crun" "$verb" --usage
	done
	same_as_runtime "$crun" create
	same_as_runtime "$crun" run a b
	same_as_runtime "$crun" create --no-such-flag c1
	same_as_runtime "$crun" delete no-such-container
	same_as_runtime "$crun" update no-such-container
}

# step WHO STEP ARGS...: run `numa-runtime ARGS` (WHO=nr) or `runc ARGS`
# (WHO=runc) with stdio on files, as an engine does; what it printed and
# its status go to $T/WHO.STEP.{out,err,status}.
step() {
	local who=$1 name=$2
	shift 2
	local bin=$RUNC
	[ "$who" = runc ] || bin=$NUMA_RUNTIME
	local rc=0
	timeout "$NR_TIMEOUT" "$bin" --root "$RUNC_ROOT" "$@" </dev/null \
		>"$T/$who.$name.out" 2>"$T/$who.$name.err" 3>&- || rc=$?
	echo "$rc" >"$T/$who.$name.status"
}

# same_step STEP [FILTER]: numa-runtime's STEP printed what runc's did
# (stdout through the jq FILTER when given) and exited the same way.
same_step() {
	local name=$1 filter=${2:-}
	assert_equal "$(cat "$T/nr.$name.status")" "$(cat "$T/runc.$name.status")" "exit status of $name"
	assert_equal "$(cat "$T/runc.$name.status")" 0 "runc's exit status of $name"
	if [ -n "$filter" ]; then
		assert_equal "$(jq -c "$filter" "$T/nr.$name.out")" "$(jq -c "$filter" "$T/runc.$name.out")" "stdout of $name ($filter)"
	else
		assert_equal "$(cat "$T/nr.$name.out")" "$(cat "$T/runc.$name.out")" "stdout of $name"
	fi
	assert_equal "$(norm <"$T/nr.$name.err")" "$(norm <"$T/runc.$name.err")" "stderr of $name"
	assert_equal "$(cat "$T/nr.$name.err")" "" "numa-runtime's stderr of $name"
}

# wait_stopped WHO ID
wait_stopped() {
	local bin=$RUNC i
	[ "$1" = runc ] || bin=$NUMA_RUNTIME
	for i in $(seq 100); do
		[ "$("$bin" --root "$RUNC_ROOT" state "$2" 2>/dev/null | jq -r .status)" = stopped ] && return 0
		sleep 0.1
	done
	fail "$2 did not stop"
}

@test "a whole lifecycle prints exactly what runc prints: create, state, start, exec, kill, delete" {
	busybox_bundle "$T/b.nr" sleep 600
	busybox_bundle "$T/b.runc" sleep 600
	local who id state_filter='del(.id, .pid, .bundle, .rootfs, .created)'
	for who in nr runc; do
		id=life-$who
		step "$who" create create --bundle "$T/b.$who" "$id"
		step "$who" state state "$id"
		step "$who" start start "$id"
		step "$who" state2 state "$id"
		step "$who" exec exec "$id" sh -c 'echo out; echo err >&2'
		step "$who" kill kill "$id" KILL
		wait_stopped "$who" "$id"
		step "$who" delete delete "$id"
	done
	same_step create
	same_step state "$state_filter"
	same_step start
	same_step state2 "$state_filter"
	# exec's output is the container's: the same, and nothing added
	assert_equal "$(cat "$T/nr.exec.status")" "$(cat "$T/runc.exec.status")" "exit status of exec"
	assert_equal "$(cat "$T/nr.exec.out")" out "stdout of exec"
	assert_equal "$(cat "$T/runc.exec.out")" out "runc's stdout of exec"
	assert_equal "$(cat "$T/nr.exec.err")" err "stderr of exec"
	assert_equal "$(cat "$T/runc.exec.err")" err "runc's stderr of exec"
	same_step kill
	same_step delete
	assert_ledger_ids
}

@test "foreground run, twice with one id (the second reclaims the first's entry), and run -d: runc's output exactly" {
	busybox_bundle "$T/fg.nr" sh -c 'echo hello; echo to-stderr >&2; exit 3'
	busybox_bundle "$T/fg.runc" sh -c 'echo hello; echo to-stderr >&2; exit 3'
	busybox_bundle "$T/bg.nr" sleep 600
	busybox_bundle "$T/bg.runc" sleep 600
	local who
	for who in nr runc; do
		step "$who" run1 run --bundle "$T/fg.$who" "fg-$who"
		# runc run deleted its container on exit; numa-runtime's entry
		# for it is reclaimed by the next create, silently
		step "$who" run2 run --bundle "$T/fg.$who" "fg-$who"
		step "$who" rund run -d --bundle "$T/bg.$who" "bg-$who"
		step "$who" kill kill "bg-$who" KILL
		wait_stopped "$who" "bg-$who"
		step "$who" delete delete "bg-$who"
	done
	local name
	for name in run1 run2; do
		assert_equal "$(cat "$T/nr.$name.status")" 3 "exit status of $name (the container's)"
		assert_equal "$(cat "$T/runc.$name.status")" 3 "runc's exit status of $name"
		assert_equal "$(cat "$T/nr.$name.out")" hello "stdout of $name"
		assert_equal "$(cat "$T/runc.$name.out")" hello "runc's stdout of $name"
		assert_equal "$(cat "$T/nr.$name.err")" "$(cat "$T/runc.$name.err")" "stderr of $name"
		assert_equal "$(cat "$T/nr.$name.err")" to-stderr "stderr of $name: the container's line, nothing else"
	done
	same_step rund
	same_step kill
	same_step delete
	assert_ledger_ids
}
