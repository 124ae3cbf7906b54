#!/usr/bin/env bats
# Device and storage locality end to end: numa-runtime create on the
# two-socket machine of tests/fixtures/gen-sysfs.sh (node 0: nvme0n1,
# GPU 0; node 1: nvme1n1, GPU 1, NIC ens1f0, VFIO group 42), generated at
# test time, with tests/fake-runtime recording what it is handed.  The
# placement rule these rely on: hints all on one node -> that node, even
# when it is the busier one.

load helpers

setup_file() {
	MACHINE=$BATS_FILE_TMPDIR/two-socket
	sh "$FIXTURES/gen-sysfs.sh" two-socket "$MACHINE"
	export MACHINE
}

setup() {
	nr_setup
	use_fake_runtime
	use_machine "$MACHINE"
	LOG=$T/log.json
	NODE0_CPUS=$(cat "$MACHINE/sys/devices/system/node/node0/cpulist")
	NODE1_CPUS=$(cat "$MACHINE/sys/devices/system/node/node1/cpulist")
}

# bundle DIR DEVICES_JSON [ANNOTATIONS_JSON [MOUNTS_JSON]]: spec_bundle with
# linux.devices, annotations and extra mounts.
bundle() {
	local annotations='{}' mounts='[]'
	[ $# -lt 3 ] || annotations=$3
	[ $# -lt 4 ] || mounts=$4
	spec_bundle "$1"
	jq --argjson devices "$2" --argjson annotations "$annotations" --argjson mounts "$mounts" \
		'.linux.devices = $devices | .annotations = $annotations | .mounts += $mounts' \
		"$1/config.json" >"$1/config.json.new" && mv "$1/config.json.new" "$1/config.json"
}

# create ID BUNDLE: create with debug logging to $LOG.
create() {
	run --separate-stderr nr --debug --log "$LOG" --log-format json create --bundle "$2" "$1"
}

# create_ok ID BUNDLE
create_ok() {
	create "$@"
	assert_success
	assert_runtime_argv --root "$RUNC_ROOT" --debug --log "$LOG" --log-format json \
		create --bundle "$2" "$1"
}

# log_has LEVEL TEXT: a LEVEL line of $LOG whose msg contains TEXT.
log_has() {
	jq -r --arg level "$1" 'select(.level == $level) | .msg' "$LOG" | grep -qF -- "$2" ||
		fail "no $1 line in the log with: $2" "log:" "$(cat "$LOG" 2>/dev/null)"
}

log_lacks() {
	! jq -r '.msg' "$LOG" | grep -F -- "$1" || fail "the log has: $1"
}

GPU1='[{"path": "/dev/nvidia1", "type": "c", "major": 195, "minor": 1, "fileMode": 438}]'
GPU0='[{"path": "/dev/nvidia0", "type": "c", "major": 195, "minor": 0}]'
PSEUDO='[{"path": "/dev/null", "type": "c", "major": 1, "minor": 3},
	{"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229},
	{"path": "/dev/nvidiactl", "type": "c", "major": 195, "minor": 255}]'

@test "a container given /dev/nvidia1 gets a hint for the GPU's node in the debug log" {
	bundle "$T/b1" "$GPU1"
	create_ok c1 "$T/b1"
	log_has debug "container c1: locality hint node 1: gpu /dev/nvidia1 (0000:86:00.0)"
}

@test "a container given /dev/nvidia1 lands on node 1, the GPU's node" {
	# The placement rule (hints on one node: that node); an empty ledger
	# alone would choose node 0.
	bundle "$T/b1" "$GPU1"
	create_ok c1 "$T/b1"
	assert_placed "$(fake_config c1)" 1 "$NODE1_CPUS"
}

@test "a device's node wins over the less loaded node" {
	bundle "$T/b1" "$GPU1"
	create_ok c1 "$T/b1"
	# Node 1 now carries c1; another container for GPU 1 still goes there,
	# one without devices to node 0, one for GPU 0 too.
	bundle "$T/b2" "$GPU1"
	create_ok c2 "$T/b2"
	assert_placed "$(fake_config c2)" 1 "$NODE1_CPUS"
	bundle "$T/b3" '[]'
	create_ok c3 "$T/b3"
	assert_placed "$(fake_config c3)" 0 "$NODE0_CPUS"
	bundle "$T/b4" "$GPU0"
	create_ok c4 "$T/b4"
	assert_placed "$(fake_config c4)" 0 "$NODE0_CPUS"
}

@test "a VFIO group pulls the container to its device's node" {
	bundle "$T/b1" '[{"path": "/dev/vfio/42", "type": "c", "major": 244, "minor": 0},
		{"path": "/dev/vfio/vfio", "type": "c", "major": 10, "minor": 196}]'
	create_ok c1 "$T/b1"
	log_has debug "container c1: locality hint node 1: vfio /dev/vfio/42 (iommu group 42, 0000:81:00.1)"
	log_lacks "/dev/vfio/vfio"
	assert_placed "$(fake_config c1)" 1 "$NODE1_CPUS"
}

@test "pseudo devices and control nodes give no hint" {
	bundle "$T/b1" "$PSEUDO"
	create_ok c1 "$T/b1"
	log_lacks "locality hint"
	assert_placed "$(fake_config c1)" 0 "$NODE0_CPUS"
}

@test "a NIC named by annotation pulls the container to its node" {
	bundle "$T/b1" '[]' '{"numa-runtime.io/nics": "ens1f0"}'
	create_ok c1 "$T/b1"
	log_has debug "container c1: locality hint node 1: nic ens1f0"
	assert_placed "$(fake_config c1)" 1 "$NODE1_CPUS"
}

@test "a bind-mounted directory pulls the container to its disk's node" {
	# Make this test directory's filesystem (its st_dev) nvme1n1 in a copy
	# of the machine: the real stat () path, then fixture sysfs.
	local st_dev dev
	st_dev=$(stat -c '%d' "$T")
	# glibc's major()/minor() of a 64-bit dev_t, as numa-runtime sees it
	dev=$(((st_dev >> 8) & 0xfff | (st_dev >> 32) & ~0xfff)):$(((st_dev & 0xff) | (st_dev >> 12) & ~0xff))
	cp -a "$MACHINE" "$T/machine"
	[ ! -e "$T/machine/sys/dev/block/$dev" ] ||
		nr_skip "this filesystem's device $dev is already a disk of the fixture"
	ln -s ../../devices/pci0000:80/0000:80:03.0/0000:83:00.0/nvme/nvme1/nvme1n1 \
		"$T/machine/sys/dev/block/$dev"
	use_machine "$T/machine"
	mkdir "$T/data"
	bundle "$T/b1" '[]' '{}' "[{\"destination\": \"/data\", \"type\": \"bind\", \"source\": \"$T/data\", \"options\": [\"rbind\", \"rw\"]},
		{\"destination\": \"/etc/hostname\", \"type\": \"bind\", \"source\": \"$T/numa-runtime.conf\", \"options\": [\"rbind\", \"ro\"]}]"
	create_ok c1 "$T/b1"
	log_has debug "container c1: locality hint node 1: volume /data (nvme1n1)"
	# A bind-mounted file (hosts, hostname, resolv.conf...) gives none.
	log_lacks "/etc/hostname"
	assert_placed "$(fake_config c1)" 1 "$NODE1_CPUS"
}

@test "a malformed NIC annotation is a warning under best-effort" {
	bundle "$T/b1" "$GPU1" '{"numa-runtime.io/nics": "ens1f0,../../../etc"}'
	create_ok c1 "$T/b1"
	log_has warning "annotation numa-runtime.io/nics: invalid interface name \`../../../etc\`"
	# The devices still count; the interfaces do not.
	log_has debug "container c1: locality hint node 1: gpu /dev/nvidia1"
	log_lacks "nic ens1f0"
	assert_placed "$(fake_config c1)" 1 "$NODE1_CPUS"
}

@test "a malformed NIC annotation refuses the container under restricted" {
	use_machine "$MACHINE" restricted
	bundle "$T/b1" "$GPU1" '{"numa-runtime.io/nics": "ens1f0/x"}'
	cp "$T/b1/config.json" "$T/config.before"
	create c1 "$T/b1"
	assert_failure 1
	assert_equal "$output" "" "stdout"
	[[ "$stderr" == "numa-runtime: "*"invalid interface name \`ens1f0/x\`"* ]] ||
		fail "stderr: $stderr"
	log_has error "invalid interface name"
	assert_runtime_not_called
	assert_file_same "$T/b1/config.json" "$T/config.before"
	assert_ledger_ids
}

@test "a device sysfs cannot resolve is a warning, not a failure" {
	cp -a "$MACHINE" "$T/machine"
	ln -s /etc "$T/machine/sys/dev/char/99:1"
	use_machine "$T/machine" restricted
	bundle "$T/b1" '[{"path": "/dev/odd", "type": "c", "major": 99, "minor": 1}]'
	create_ok c1 "$T/b1"
	log_has warning "container c1: device /dev/odd (99:1): "
	log_has warning "outside the sysfs root"
}

@test "a valid NIC annotation is accepted under restricted and single-numa-node" {
	for policy in restricted single-numa-node; do
		use_machine "$MACHINE" "$policy"
		bundle "$T/b-$policy" '[]' '{"numa-runtime.io/nics": "ens1f0"}'
		create_ok "c-$policy" "$T/b-$policy"
		assert_placed "$(fake_config "c-$policy")" 1 "$NODE1_CPUS"
	done
}

@test "single-numa-node refuses a GPU and a NIC on different nodes, naming both; restricted spans them" {
	use_machine "$MACHINE" single-numa-node
	bundle "$T/b1" "$GPU0" '{"numa-runtime.io/nics": "ens1f0"}'
	run --separate-stderr nr_raw --log "$LOG" --log-format json create --bundle "$T/b1" c1
	assert_failure 1
	case $stderr in
	*TopologyAffinityError*"gpu /dev/nvidia0"*"on node 0"*"nic ens1f0 on node 1"*) ;;
	*) fail "refusal does not name both devices: $stderr" ;;
	esac
	assert_runtime_not_called
	use_machine "$MACHINE" restricted
	create_ok c1 "$T/b1"
	assert_equal "$(cfg_mems "$(fake_config c1)")" 0-1 "mems under restricted"
}
