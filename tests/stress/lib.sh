# lib.sh: shared by the ledger stress scripts and contrib/bench-ledger.sh
# (bash; source it).  Provides:
#   stress_init NAME     work dir $W on tmpfs (/dev/shm, else /run, else
#                        $TMPDIR), removed on exit unless KEEP=1; finds
#                        $NUMA_RUNTIME; builds $FAST_RUNTIME, $KILL_AT and
#                        $SNAPSHOT_SHIM from their sources into $W/bin
#   make_sysfs DIR NODES CPUS_PER_NODE [MEM_KB]    a fixture sysfs tree
#   stress_config FILE LEDGER SYSFS [CPU_ALLOCATION [POLICY]]
#   spec_json CPUS MEMORY                          a one-line config.json
#   gen_ledger N ROOT    a ledger of N entries on stdout in numa-runtime's
#                        own layout, their ids on stderr
#   check_ledgers FILE...  every violation found, one a line; fails when
#                        a file does not parse

STRESS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TESTS_DIR=$(cd "$STRESS_DIR/.." && pwd)

die() {
	printf '%s: %s\n' "${0##*/}" "$*" >&2
	exit 1
}

tmpfs_parent() {
	local d
	if [ -n "${STRESS_DIR_PARENT:-}" ]; then
		echo "$STRESS_DIR_PARENT"
		return
	fi
	for d in /dev/shm /run; do
		if [ -d "$d" ] && [ -w "$d" ] && [ "$(stat -f -c %T "$d")" = tmpfs ]; then
			echo "$d"
			return
		fi
	done
	printf '%s: warning: no writable tmpfs, using %s (every commit will fsync)\n' \
		"${0##*/}" "${TMPDIR:-/tmp}" >&2
	echo "${TMPDIR:-/tmp}"
}

stress_init() {
	local name=$1 cc=${CC:-cc}
	command -v jq >/dev/null 2>&1 || die "jq is required"
	NUMA_RUNTIME=${NUMA_RUNTIME:-$TESTS_DIR/../src/numa-runtime}
	[ -x "$NUMA_RUNTIME" ] || die "numa-runtime not found at $NUMA_RUNTIME (build it or set NUMA_RUNTIME)"
	NUMA_RUNTIME=$(cd "$(dirname "$NUMA_RUNTIME")" && pwd)/$(basename "$NUMA_RUNTIME")
	W=$(mktemp -d "$(tmpfs_parent)/nr-$name.XXXXXX")
	if [ "${KEEP:-0}" = 1 ]; then
		printf '%s: keeping %s\n' "${0##*/}" "$W" >&2
	else
		trap 'rm -rf "$W"' EXIT
	fi
	mkdir -p "$W/bin"
	FAST_RUNTIME=$W/bin/fast-runtime
	KILL_AT=$W/bin/kill-at
	SNAPSHOT_SHIM=$W/bin/snapshot-shim.so
	$cc -O2 -o "$FAST_RUNTIME" "$TESTS_DIR/fast-runtime.c" || die "cannot build fast-runtime"
	$cc -O2 -o "$KILL_AT" "$STRESS_DIR/kill-at.c" || die "cannot build kill-at"
	$cc -O2 -shared -fPIC -o "$SNAPSHOT_SHIM" "$STRESS_DIR/snapshot-shim.c" -ldl ||
		die "cannot build snapshot-shim"
	export NUMA_RUNTIME FAST_RUNTIME W
}

make_sysfs() {
	local dir=$1 nodes=$2 per=$3 mem=${4:-16777216} n c first last dist
	mkdir -p "$dir/devices/system/node" "$dir/devices/system/cpu"
	echo "0-$((nodes - 1))" >"$dir/devices/system/node/online"
	echo "0-$((nodes * per - 1))" >"$dir/devices/system/cpu/online"
	for ((n = 0; n < nodes; n++)); do
		first=$((n * per))
		last=$((first + per - 1))
		mkdir -p "$dir/devices/system/node/node$n/hugepages/hugepages-2048kB"
		echo "$first-$last" >"$dir/devices/system/node/node$n/cpulist"
		printf 'Node %d MemTotal:       %d kB\nNode %d MemFree:        %d kB\n' \
			"$n" "$mem" "$n" "$mem" >"$dir/devices/system/node/node$n/meminfo"
		dist=
		for ((c = 0; c < nodes; c++)); do
			dist="$dist $([ "$c" -eq "$n" ] && echo 10 || echo 21)"
		done
		echo "${dist# }" >"$dir/devices/system/node/node$n/distance"
		echo 0 >"$dir/devices/system/node/node$n/hugepages/hugepages-2048kB/nr_hugepages"
		echo 0 >"$dir/devices/system/node/node$n/hugepages/hugepages-2048kB/free_hugepages"
		for ((c = first; c <= last; c++)); do
			mkdir -p "$dir/devices/system/cpu/cpu$c/topology"
			echo "$((c - c % 2)),$((c - c % 2 + 1))" >"$dir/devices/system/cpu/cpu$c/topology/thread_siblings_list"
		done
	done
}

stress_config() {
	printf '%s\n' \
		"[runtime]" "path = $FAST_RUNTIME" "" \
		"[ledger]" "path = $2" "" \
		"[topology]" "sysfs_root = $3" "" \
		"[placement]" "policy = ${5:-best-effort}" "cpu_allocation = ${4:-shared}" >"$1"
}

spec_json() {
	printf '{"ociVersion":"1.0.2-dev","process":{"args":["sh"],"env":["PATH=/bin"],"cwd":"/"},"root":{"path":"rootfs"},"linux":{"resources":{"cpu":{"quota":%d,"period":100000},"memory":{"limit":%d}}}}\n' \
		$(($1 * 100000)) "$2"
}

gen_ledger() {
	awk -v n="$1" -v root="$2" -v boot="$(cat /proc/sys/kernel/random/boot_id)" \
		-f "$STRESS_DIR/gen-ledger.awk"
}

check_ledgers() {
	jq -r -L "$STRESS_DIR" -f "$STRESS_DIR/check-ledger.jq" "$@"
}
