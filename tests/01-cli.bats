#!/usr/bin/env bats
# Command-line handling, against tests/fake-runtime and the two-node fixture:
# pass-through subcommands reach the runtime with argv unchanged, create/run
# are found wherever the flags put them and keep their argv too.

load helpers

setup() {
	nr_setup
	use_fake_runtime
	use_fixture twonode
	spec_bundle "$T/bundle"
	B=$T/bundle
}

# passes ARGS...: numa-runtime ARGS hands exactly ARGS to the runtime, which
# exits 0; nothing is placed.
passes() {
	run --separate-stderr nr_raw "$@"
	assert_success
	assert_runtime_argv "$@"
	assert_equal "$(fake_calls | tr -d ' ')" 1 "number of runtime calls"
	assert_ledger_ids
}

# --- pass-through subcommands ---------------------------------------------

@test "--version reaches the runtime unchanged" {
	passes --version
	assert_output_contains "fake-runtime version"
}

@test "--help reaches the runtime unchanged" {
	passes --help
}

@test "features: argv unchanged, stdout exactly the runtime's" {
	local want
	want=$(FAKE_RUNTIME_LOG='' "$FAKE_RUNTIME" features)
	passes features
	assert_output "$want"
	assert_equal "$stderr" "" "stderr"
}

@test "state ID: argv unchanged, stdout exactly the runtime's" {
	local want
	fake_container c1 "$B"
	want=$("$FAKE_RUNTIME" state c1)
	rm -f "$FAKE_RUNTIME_LOG"
	passes state c1
	assert_output "$want"
	assert_equal "$stderr" "" "stderr"
	echo "$output" | jq -e '.status == "created"' >/dev/null || fail "state output is not the runtime's JSON: $output"
}

@test "kill ID KILL reaches the runtime unchanged" {
	passes kill c1 KILL
}

@test "kill --all ID 9 reaches the runtime unchanged" {
	passes kill --all c1 9
}

@test "exec with flags, quoting and a command reaches the runtime unchanged" {
	passes exec --env 'A=b c' --cwd / -e "Q=\"x\" 'y'" c1 sh -c 'echo "$A" | cat; exit 3' -- --root x create
}

@test "exec --process FILE --detach reaches the runtime unchanged" {
	passes exec --process "$T/process.json" --detach --pid-file "$T/exec.pid" c1
}

@test "update --resources=- ID: argv unchanged and stdin reaches the runtime" {
	local res='{"cpu":{"cpus":"0-1","shares":512},"memory":{"limit":1073741824}}'
	run --separate-stderr bash -c 'printf "%s" "$1" | timeout "$NR_TIMEOUT" "$NUMA_RUNTIME" update --resources=- c1' _ "$res"
	assert_success
	assert_runtime_argv update --resources=- c1
	[ -f "$FAKE_RUNTIME_LOG.d/c1.update.json" ] || fail "runtime did not get the resources on stdin"
	assert_equal "$(cat "$FAKE_RUNTIME_LOG.d/c1.update.json")" "$res" "resources JSON on the runtime's stdin"
}

@test "update --cpuset-cpus --memory ID reaches the runtime unchanged" {
	passes update --cpuset-cpus 0-1 --memory 1G c1
}

@test "pass-through keeps the runtime's exit status" {
	FAKE_EXIT_STATUS=7 run --separate-stderr nr_raw kill c1 TERM
	assert_failure 7
	assert_runtime_argv kill c1 TERM
}

@test "pass-through keeps the runtime's stderr and status for an unknown container" {
	run --separate-stderr nr_raw state nosuch
	assert_failure 1
	assert_runtime_argv state nosuch
	assert_equal "$stderr" "fake-runtime: container does not exist" "stderr"
	assert_output ""
}

# --- global flag forms ----------------------------------------------------

@test "global --root X before a pass-through subcommand" {
	passes --root "$T/r" kill c1 KILL
}

@test "global --root=X" {
	passes --root="$T/r" kill c1 KILL
}

@test "global -root X (single dash)" {
	passes -root "$T/r" kill c1 KILL
}

@test "global -root=X (single dash, =)" {
	passes -root="$T/r" kill c1 KILL
}

@test "global --log X --log-format json" {
	passes --log "$T/log.json" --log-format json kill c1 KILL
}

@test "global --log=X --log-format=json" {
	passes --log="$T/log.json" --log-format=json kill c1 KILL
}

@test "global --debug" {
	passes --debug kill c1 KILL
}

@test "global --systemd-cgroup" {
	passes --systemd-cgroup kill c1 KILL
}

@test "global --criu X --rootless false" {
	passes --criu /usr/sbin/criu --rootless false kill c1 KILL
}

@test "all global flags at once, containerd's order" {
	passes --root "$T/r" --log "$T/log.json" --log-format json --systemd-cgroup --debug kill c1 KILL
}

@test "a global flag value spelled 'create' does not make it a create" {
	cp "$B/config.json" "$T/orig.json"
	cd "$B"
	passes --log create kill c1 KILL
	rm -f "$FAKE_RUNTIME_LOG"
	passes --root create kill c1 KILL
	assert_file_same "$B/config.json" "$T/orig.json"
}

@test "delete ID / -f ID / --force ID reach the runtime unchanged" {
	local form
	for form in "delete c1" "delete -f c1" "delete --force c1"; do
		rm -f "$FAKE_RUNTIME_LOG"
		fake_container c1
		# shellcheck disable=SC2086
		run --separate-stderr nr_raw $form
		assert_success
		# shellcheck disable=SC2086
		assert_runtime_argv $form
	done
}

# --- create / run ---------------------------------------------------------

# creates ID ARGS...: numa-runtime ARGS succeeds, the runtime got exactly
# ARGS, and the config.json it saw for ID is placed on node 0 (empty ledger).
creates() {
	local id=$1
	shift
	run --separate-stderr nr_raw "$@"
	assert_success
	assert_output ""
	assert_runtime_argv "$@"
	assert_placed "$(fake_config "$id")" 0 0-3
	assert_ledger_ids "$id"
}

@test "create --bundle B ID" {
	creates c1 --root "$RUNC_ROOT" create --bundle "$B" c1
}

@test "create -b B ID" {
	creates c1 --root "$RUNC_ROOT" create -b "$B" c1
}

@test "create --bundle=B ID" {
	creates c1 --root "$RUNC_ROOT" create --bundle="$B" c1
}

@test "create -bundle B ID (single dash)" {
	creates c1 create -bundle "$B" c1
}

@test "create -b=B ID" {
	creates c1 create -b="$B" c1
}

@test "create ID without a bundle uses the current directory" {
	cd "$B"
	creates c1 --root "$RUNC_ROOT" create c1
	assert_placed "$B/config.json" 0 0-3
}

@test "create with a relative bundle path" {
	cd "$T"
	creates c1 create --bundle bundle c1
	assert_placed "$B/config.json" 0 0-3
}

@test "create with a bundle directory named 'create'" {
	spec_bundle "$T/create"
	cd "$T"
	creates c1 --root "$RUNC_ROOT" create --bundle create c1
	assert_placed "$T/create/config.json" 0 0-3
}

@test "create with id 'create' in a bundle directory named 'create'" {
	spec_bundle "$T/create"
	cd "$T/create"
	creates create create create
	assert_placed "$T/create/config.json" 0 0-3
}

@test "create with flags after the id" {
	creates c1 --root "$RUNC_ROOT" create c1 --bundle "$B" --pid-file "$T/c1.pid"
	[ -s "$T/c1.pid" ] || fail "--pid-file after the id did not reach the runtime"
}

@test "create with every create flag (containerd / CRI-O shape)" {
	creates c1 --root "$RUNC_ROOT" --log "$B/log.json" --log-format json --systemd-cgroup \
		create --bundle "$B" --pid-file "$B/init.pid" --console-socket "$T/console.sock" \
		--no-pivot --no-new-keyring --preserve-fds 0 c1
}

@test "create with --debug and -root=X global flags" {
	creates c1 --debug -root="$RUNC_ROOT" create -b "$B" c1
}

@test "run --detach --bundle B ID is placed like create" {
	creates c1 --root "$RUNC_ROOT" run --detach --bundle "$B" c1
}

@test "run -d -b B ID is placed like create" {
	creates c1 run -d -b "$B" c1
}

# --- flags of current runtimes, help (issue 12 items 10 and 12) --------------

@test "create --pidfd-socket PATH ID (runc >= 1.2): ID is the id, PATH is not" {
	creates c1 --root "$RUNC_ROOT" create --pidfd-socket "$T/pidfd.sock" --bundle "$B" c1
}

@test "run with runc >= 1.2's and crun's flags: --keep --no-subreaper --pidfd-socket=P --preserve-fds=N" {
	creates c1 --root "$RUNC_ROOT" run --keep --no-subreaper --pidfd-socket="$T/p.sock" \
		--preserve-fds=2 -d -b "$B" c1
}

@test "crun's global --cgroup-manager X --log-level debug and create -f config.json" {
	creates c1 --root "$RUNC_ROOT" --cgroup-manager cgroupfs --log-level debug \
		create -f config.json --bundle "$B" c1
}

@test "run -h, create --help, delete -h, update -h, -? and --usage: argv to the runtime untouched, nothing placed" {
	local args
	for args in "run -h" "create --help" "create --bundle $B -h c1" "delete -h c1" "update -h c1" \
		"run -? c1" "create --usage" "--version create --bundle $B c1"; do
		rm -f "$FAKE_RUNTIME_LOG"
		# shellcheck disable=SC2086 # ARGS is split on purpose
		passes $args
		assert_equal "$stderr" "" "stderr of $args"
	done
	assert_equal "$(cfg_numa_env "$B/config.json")" "" "NUMA_NODE in config.json"
}

@test "delete -h ID keeps ID's ledger entry (the runtime printed help, deleted nothing)" {
	creates c1 --root "$RUNC_ROOT" create --bundle "$B" c1
	run --separate-stderr nr delete -h c1
	assert_success
	assert_ledger_ids c1
}
