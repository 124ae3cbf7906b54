#!/usr/bin/env bats
# Device and storage locality end to end: numa-runtime create on the
# two-socket fixture machine (tests/fixtures/gen-sysfs.sh: node 0 has
# nvme0n1, GPU 0; node 1 has nvme1n1, GPU 1, NIC ens1f0) with a recording
# fake runtime.  The placement rule under test: a container whose hints
# are all on one node lands on that node, even when it is the busier one.
#
# Self-contained (no helpers.bash): the fake runtime is written per test.

bats_require_minimum_version 1.5.0

NUMA_RUNTIME=${NUMA_RUNTIME:-$BATS_TEST_DIRNAME/../src/numa-runtime}

setup_file() {
	command -v jq >/dev/null || {
		echo "jq is required by these tests" >&2
		return 1
	}
	MACHINE=$BATS_FILE_TMPDIR/two-socket
	sh "$BATS_TEST_DIRNAME/fixtures/gen-sysfs.sh" two-socket "$MACHINE"
	export MACHINE
}

setup() {
	[ -x "$NUMA_RUNTIME" ] || fail "numa-runtime not found at $NUMA_RUNTIME"
	T=$(mktemp -d "$BATS_TEST_TMPDIR/loc.XXXXXX")
	LOG=$T/log.json
	export FAKE_LOG=$T/fake.log
	write_fake_runtime "$T/fake-runtime"
	write_config best-effort "$MACHINE"
	NODE0_CPUS=$(cat "$MACHINE/sys/devices/system/node/node0/cpulist")
	NODE1_CPUS=$(cat "$MACHINE/sys/devices/system/node/node1/cpulist")
}

teardown() {
	rm -rf "$T"
}

fail() {
	printf '%s\n' "$@" >&2
	return 1
}

# write_fake_runtime PATH: a runc stand-in that appends its argv to
# $FAKE_LOG and keeps the config.json it was handed as $FAKE_LOG.<id>.json.
write_fake_runtime() {
	cat >"$1" <<'EOF'
#!/bin/sh
printf '%s\n' "$*" >>"$FAKE_LOG"
bundle=. id=
while [ $# -gt 0 ]; do
	case $1 in
	--bundle | -b) bundle=$2; shift 2 ;;
	--root | --log | --log-format | --pid-file | --console-socket) shift 2 ;;
	--bundle=*) bundle=${1#*=}; shift ;;
	-*) shift ;;
	create | run) shift ;;
	*) id=$1; shift ;;
	esac
done
[ -z "$id" ] || cp "$bundle/config.json" "$FAKE_LOG.$id.json"
EOF
	chmod +x "$1"
}

# write_config POLICY MACHINE_DIR
write_config() {
	export NUMA_RUNTIME_CONFIG=$T/numa-runtime.conf
	cat >"$NUMA_RUNTIME_CONFIG" <<EOF
[runtime]
path = $T/fake-runtime
[ledger]
path = $T/ledger.json
[topology]
sysfs_root = $2/sys
proc_root = $2/proc
[placement]
policy = $1
EOF
}

# bundle DIR DEVICES_JSON [ANNOTATIONS_JSON [MOUNTS_JSON]]: a minimal bundle.
bundle() {
	local annotations='{}' mounts='[]'
	[ $# -lt 3 ] || annotations=$3
	[ $# -lt 4 ] || mounts=$4
	mkdir -p "$1/rootfs"
	jq -n --argjson devices "$2" --argjson annotations "$annotations" --argjson mounts "$mounts" '{
		ociVersion: "1.0.2-dev",
		process: {args: ["sh"], env: ["PATH=/bin"], cwd: "/"},
		root: {path: "rootfs"},
		annotations: $annotations,
		mounts: ([{destination: "/proc", type: "proc", source: "proc"}] + $mounts),
		linux: {devices: $devices, resources: {cpu: {shares: 1024}}}
	}' >"$1/config.json"
}

# create ID BUNDLE: numa-runtime create with debug logging to $LOG.
create() {
	run --separate-stderr "$NUMA_RUNTIME" --debug --log "$LOG" --log-format json \
		--root "$T/state" create --bundle "$2" "$1"
}

assert_created() {
	[ "$status" -eq 0 ] || fail "create failed ($status): $stderr"
	[ -f "$FAKE_LOG.$1.json" ] || fail "the runtime never got $1"
}

# assert_placed ID NODE CPUS: the runtime got ID pinned to NODE.
assert_placed() {
	local config=$FAKE_LOG.$1.json
	[ "$(jq -r '.linux.resources.cpu.mems' "$config")" = "$2" ] ||
		fail "$1: mems $(jq -r '.linux.resources.cpu.mems' "$config"), want $2" "$(cat "$LOG")"
	[ "$(jq -r '.linux.resources.cpu.cpus' "$config")" = "$3" ] ||
		fail "$1: cpus $(jq -r '.linux.resources.cpu.cpus' "$config"), want $3"
	[ "$(jq -r '.process.env[] | select(startswith("NUMA_NODE="))' "$config")" = "NUMA_NODE=$2" ] ||
		fail "$1: wrong NUMA_NODE in process.env"
}

# log_has LEVEL TEXT: a LEVEL line of $LOG whose msg contains TEXT.
log_has() {
	jq -r --arg level "$1" 'select(.level == $level) | .msg' "$LOG" | grep -qF -- "$2" ||
		fail "no $1 line with: $2" "log:" "$(cat "$LOG" 2>/dev/null)"
}

GPU1='[{"path": "/dev/nvidia1", "type": "c", "major": 195, "minor": 1, "fileMode": 438}]'
GPU0='[{"path": "/dev/nvidia0", "type": "c", "major": 195, "minor": 0}]'
PSEUDO='[{"path": "/dev/null", "type": "c", "major": 1, "minor": 3},
	{"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229},
	{"path": "/dev/nvidiactl", "type": "c", "major": 195, "minor": 255}]'

@test "a container given /dev/nvidia1 gets a hint for the GPU's node in the debug log" {
	bundle "$T/b1" "$GPU1"
	create c1 "$T/b1"
	assert_created c1
	log_has debug "container c1: locality hint node 1: gpu /dev/nvidia1 (0000:86:00.0)"
}

@test "a container given /dev/nvidia1 lands on node 1, the GPU's node" {
	# Needs the placement rule from main (hints on one node: that node); an
	# empty ledger alone would choose node 0.
	bundle "$T/b1" "$GPU1"
	create c1 "$T/b1"
	assert_created c1
	assert_placed c1 1 "$NODE1_CPUS"
}

@test "a device's node wins over the less loaded node" {
	bundle "$T/b1" "$GPU1"
	create c1 "$T/b1"
	assert_created c1
	# Node 1 now carries c1; a second container for GPU 1 still goes there,
	# one without devices goes to node 0, one for GPU 0 too.
	bundle "$T/b2" "$GPU1"
	create c2 "$T/b2"
	assert_created c2
	assert_placed c2 1 "$NODE1_CPUS"
	bundle "$T/b3" '[]'
	create c3 "$T/b3"
	assert_created c3
	assert_placed c3 0 "$NODE0_CPUS"
	bundle "$T/b4" "$GPU0"
	create c4 "$T/b4"
	assert_created c4
	assert_placed c4 0 "$NODE0_CPUS"
}

@test "pseudo devices and control nodes give no hint" {
	bundle "$T/b1" "$PSEUDO"
	create c1 "$T/b1"
	assert_created c1
	! jq -r '.msg' "$LOG" | grep -F "locality hint" || fail "unexpected hint"
	assert_placed c1 0 "$NODE0_CPUS"
}

@test "a NIC named by annotation pulls the container to its node" {
	bundle "$T/b1" '[]' '{"numa-runtime.io/nics": "ens1f0"}'
	create c1 "$T/b1"
	assert_created c1
	log_has debug "container c1: locality hint node 1: nic ens1f0"
	assert_placed c1 1 "$NODE1_CPUS"
}

@test "a bind-mounted directory pulls the container to its disk's node" {
	# Make this test directory's filesystem (its st_dev) nvme1n1 of a copy of
	# the machine: the real stat () path, then fixture sysfs.
	local st_dev dev
	st_dev=$(stat -c '%d' "$T")
	# glibc's major()/minor() of a 64-bit dev_t (as numa-runtime sees it)
	dev=$(((st_dev >> 8) & 0xfff | (st_dev >> 32) & ~0xfff)):$(((st_dev & 0xff) | (st_dev >> 12) & ~0xff))
	cp -a "$MACHINE" "$T/machine"
	[ ! -e "$T/machine/sys/dev/block/$dev" ] ||
		skip "this filesystem's device $dev is already a fixture disk"
	ln -s ../../devices/pci0000:80/0000:80:03.0/0000:83:00.0/nvme/nvme1/nvme1n1 \
		"$T/machine/sys/dev/block/$dev"
	write_config best-effort "$T/machine"
	mkdir "$T/data"
	bundle "$T/b1" '[]' '{}' "[{\"destination\": \"/data\", \"type\": \"bind\", \"source\": \"$T/data\", \"options\": [\"rbind\", \"rw\"]}]"
	create c1 "$T/b1"
	assert_created c1
	log_has debug "container c1: locality hint node 1: volume /data (nvme1n1)"
	assert_placed c1 1 "$NODE1_CPUS"
}

@test "a malformed NIC annotation is a warning under best-effort" {
	bundle "$T/b1" "$GPU1" '{"numa-runtime.io/nics": "ens1f0,../../../etc"}'
	create c1 "$T/b1"
	assert_created c1
	log_has warning "invalid interface name"
	# The devices still count; the interfaces do not.
	log_has debug "container c1: locality hint node 1: gpu /dev/nvidia1"
	! jq -r '.msg' "$LOG" | grep -F "nic ens1f0" || fail "an interface was followed"
	assert_placed c1 1 "$NODE1_CPUS"
}

@test "a malformed NIC annotation refuses the container under restricted" {
	write_config restricted "$MACHINE"
	bundle "$T/b1" "$GPU1" '{"numa-runtime.io/nics": "ens1f0/x"}'
	cp "$T/b1/config.json" "$T/config.before"
	create c1 "$T/b1"
	[ "$status" -eq 1 ] || fail "create: status $status, want 1"
	[[ "$stderr" == "numa-runtime: "*"invalid interface name"* ]] || fail "stderr: $stderr"
	log_has error "invalid interface name"
	[ ! -s "$FAKE_LOG" ] || fail "the runtime was called: $(cat "$FAKE_LOG")"
	cmp "$T/config.before" "$T/b1/config.json" || fail "config.json changed"
	[ ! -f "$T/ledger.json" ] || [ "$(jq '[.containers[] | select(.id == "c1")] | length' "$T/ledger.json")" -eq 0 ] ||
		fail "c1 is in the ledger"
}

@test "a device sysfs cannot resolve is a warning, not a failure" {
	cp -a "$MACHINE" "$T/machine"
	ln -s /etc "$T/machine/sys/dev/char/99:1"
	write_config restricted "$T/machine"
	bundle "$T/b1" '[{"path": "/dev/odd", "type": "c", "major": 99, "minor": 1}]'
	create c1 "$T/b1"
	assert_created c1
	log_has warning "device /dev/odd (99:1)"
	log_has warning "outside the sysfs root"
}
