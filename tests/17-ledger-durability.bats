#!/usr/bin/env bats
# The ledger's durability rule (docs/LEDGER.md, "Durability"), watched with
# strace: on tmpfs (the default, /run) a commit never fsyncs, since the
# files do not outlive the machine anyway; on a disk it fsyncs each new
# shard file and the shard directory before the commit's rename, the new
# index before it, and the directory after it, so that after a power loss
# the index never names a shard that did not reach the disk.  Runs with
# tests/fast-runtime; the disk case mounts an ext4 image when the test
# directory is itself on tmpfs, which needs root.

load ledger-helpers

setup() {
	command -v strace >/dev/null 2>&1 || nr_skip "needs strace"
	ledger_setup
	ledger_bundle "$T/b1" 1 268435456
	ledger_bundle "$T/b2" 1 268435456
	MOUNTED=
}

teardown() {
	if [ -n "${MOUNTED:-}" ]; then
		umount "$MOUNTED" || umount -l "$MOUNTED" || true
	fi
	[ -z "${SHM_DIR:-}" ] || rm -rf "$SHM_DIR"
	nr_teardown
}

fs_type() { stat -f -c %T "$1"; }

# use_ledger_in DIR: the config's ledger moves to DIR/ledger/ledger.json.
use_ledger_in() {
	mkdir -p "$1/ledger"
	LEDGER=$(realpath "$1/ledger")/ledger.json
	export LEDGER
	ledger_config
}

# disk_dir: a directory on a file system that is not tmpfs or ramfs.
disk_dir() {
	case $(fs_type "$T") in
	tmpfs | ramfs) ;;
	*)
		echo "$T/disk"
		return
		;;
	esac
	[ "$(id -u)" = 0 ] || nr_skip "the test directory is on tmpfs and mounting a disk image needs root"
	truncate -s 32M "$T/disk.img"
	mkfs.ext4 -q -F "$T/disk.img" || fail "mkfs.ext4 failed"
	mkdir -p "$T/disk"
	mount -o loop "$T/disk.img" "$T/disk" || nr_skip "cannot loop-mount an ext4 image here"
	MOUNTED=$T/disk
	echo "$T/disk"
}

# traced_create ID BUNDLE: create under strace; the syscalls that matter
# to durability, with the paths of their descriptors, land in $T/trace.
traced_create() {
	strace -f -y -qq -o "$T/trace" -e trace=fsync,fdatasync,rename,renameat,renameat2 \
		"$NUMA_RUNTIME" --root "$RUNC_ROOT" create --bundle "$2" "$1" ||
		fail "create $1 failed under strace"
}

# line_of REGEX: the number of the first line of the trace matching REGEX.
line_of() {
	local n
	n=$(grep -nE -- "$1" "$T/trace" | head -n 1 | cut -d: -f1)
	[ -n "$n" ] || fail "nothing in the trace matches $1" "$(cat "$T/trace")"
	echo "$n"
}

re_quote() { printf '%s' "$1" | sed 's/[][\.*^$+?(){}|/]/\\&/g'; }

@test "on tmpfs a commit never fsyncs the ledger's files" {
	SHM_DIR=$(mktemp -d /dev/shm/nr-durable.XXXXXX) || nr_skip "no /dev/shm here"
	[ "$(fs_type "$SHM_DIR")" = tmpfs ] || nr_skip "/dev/shm is not a tmpfs here"
	use_ledger_in "$SHM_DIR"
	traced_create c1 "$T/b1"
	traced_create c2 "$T/b2"
	# The commit happened (the rename of the index) ...
	line_of "renameat\([0-9]+<$(re_quote "$(dirname "$LEDGER")")>, \"ledger\.json\.tmp\"" >/dev/null
	# ... with no fsync of anything under the ledger's directory.
	if grep -E "fsync|fdatasync" "$T/trace" | grep -F "$(dirname "$LEDGER")"; then
		fail "a commit on tmpfs fsynced a ledger file" "$(cat "$T/trace")"
	fi
	assert_ledger_ids c1 c2
}

@test "on a disk a commit fsyncs the new shard, the shard directory and the index before its rename, and the directory after" {
	local dir shard_dir shard tmp rename dir_sync
	use_ledger_in "$(disk_dir)"
	case $(fs_type "$(dirname "$LEDGER")") in
	tmpfs | ramfs) fail "the disk directory is on $(fs_type "$(dirname "$LEDGER")")" ;;
	esac
	# The second commit, when the shard directory exists already.
	nr create --bundle "$T/b1" c1 2>/dev/null || fail "create c1 failed"
	traced_create c2 "$T/b2"
	dir=$(re_quote "$(dirname "$LEDGER")")
	shard=$(line_of "fsync\([0-9]+<$(re_quote "$LEDGER").d/[0-9]+-[0-9]+\.json>\)")
	shard_dir=$(line_of "fsync\([0-9]+<$(re_quote "$LEDGER").d>\)")
	tmp=$(line_of "fsync\([0-9]+<$(re_quote "$LEDGER").tmp>\)")
	rename=$(line_of "renameat\([0-9]+<$dir>, \"ledger\.json\.tmp\", [0-9]+<$dir>, \"ledger\.json\"")
	dir_sync=$(line_of "fsync\([0-9]+<$dir>\)")
	[ "$shard" -lt "$shard_dir" ] && [ "$shard_dir" -lt "$rename" ] && [ "$tmp" -lt "$rename" ] &&
		[ "$rename" -lt "$dir_sync" ] ||
		fail "fsyncs out of order: shard $shard, shard directory $shard_dir, index $tmp, rename $rename, directory $dir_sync" \
			"$(cat "$T/trace")"
	assert_ledger_ids c1 c2
}
