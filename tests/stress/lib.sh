# shellcheck shell=bash
# lib.sh: shared by the ledger stress scripts and contrib/bench-ledger.sh
# (bash; source it).  Provides:
#   stress_init NAME     work dir $W on tmpfs (/dev/shm, else /run, else
#                        $TMPDIR), removed on exit unless KEEP=1; finds
#                        $NUMA_RUNTIME; builds $FAST_RUNTIME, $KILL_AT and
#                        $SNAPSHOT_SHIM from their sources into $W/bin
#   stress_setup NAME [CPU_ALLOCATION [POLICY]]   stress_init NAME, then in
#                        $W: ROOT (the runtime root), LEDGER (in a 0700
#                        directory), SYSFS (not filled: make_sysfs) and
#                        NUMA_RUNTIME_CONFIG naming them (stress_config),
#                        exported
#   make_sysfs DIR NODES CPUS_PER_NODE [MEM_KB]    a fixture sysfs tree
#   stress_config FILE LEDGER SYSFS [CPU_ALLOCATION [POLICY]]
#   spec_json CPUS MEMORY                          a one-line config.json
#   gen_ledger N ROOT    a version 1 ledger of N entries on stdout (numa-
#                        runtime converts it to version 2 on its first
#                        commit), their ids on stderr
#   convert_ledger LEDGER ROOT N   turn the version 1 ledger at LEDGER into
#                        version 2 with `numa-runtime --root ROOT gc` (the
#                        entries' state directories must exist) and check
#                        that it then holds N entries
#   save_ledger LEDGER DIR   copy the index and its shard directory into
#                        DIR (bench-ledger.sh puts them back before each run)
#   ledger_doc LEDGER    the ledger as one document (tests/lib/common.sh,
#                        the one test library, sourced here)
#   ledger_stream        for each ledger path read on stdin, its index and
#                        the files the index lists, each after a marker
#                        line, for ledger-checks.jq's `ledgers`
#   check_ledgers LEDGER...  every violation found (check-ledger.jq), one a
#                        line; fails when a file does not parse
#   ledger_scan LEDGER   LEDGER_LISTED: the files the index lists;
#                        LEDGER_GENERATION: its generation
#   ledger_leftovers LEDGER  what a writer cut short may leave: LEDGER.tmp
#                        and anything in LEDGER.d the index does not list,
#                        one path a line, relative to LEDGER's directory
#   ledger_missing LEDGER    the files the index lists that do not exist
#   shard_of ID COUNT    FNV-1a-32(ID) % COUNT, the shard an id belongs in
#   check_placement      reads "COUNT SHARD ID" lines; prints one line per
#                        entry found in another shard than shard_of's

STRESS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TESTS_DIR=$(cd "$STRESS_DIR/.." && pwd)
# shellcheck source=tests/lib/common.sh
. "$TESTS_DIR/lib/common.sh"

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

stress_setup() {
	stress_init "$1"
	ROOT=$W/root
	LEDGER=$W/ledger/ledger.json
	SYSFS=$W/sys
	mkdir -p "$ROOT" "$W/ledger"
	chmod 700 "$W/ledger"
	export NUMA_RUNTIME_CONFIG=$W/numa-runtime.conf
	stress_config "$NUMA_RUNTIME_CONFIG" "$LEDGER" "$SYSFS" "${2:-shared}" "${3:-best-effort}"
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

# The marker before each file is {"nr_ledger":LEDGER,"nr_file":REL}, REL
# being "" for the index itself and the index's "file" string otherwise.
# Files are printed as they are; a missing file is left out (after its
# marker), for the reader of the stream to report.
ledger_stream() {
	awk '
	function marker(path, rel) {
		printf "{\"nr_ledger\":\"%s\",\"nr_file\":\"%s\"}\n", path, rel
	}
	function emit(file,   line) {
		while ((getline line < file) > 0)
			print line
		close(file)
	}
	{
		path = $0
		dir = path
		if (!sub(/\/[^\/]*$/, "", dir))
			dir = "."
		marker(path, "")
		n = 0
		while ((getline line < path) > 0) {
			print line
			while (match(line, /"file":"[^"]*"/)) {
				rel = substr(line, RSTART + 8, RLENGTH - 9)
				line = substr(line, RSTART + RLENGTH)
				gsub(/\\\//, "/", rel)
				listed[++n] = rel
			}
		}
		close(path)
		for (i = 1; i <= n; i++) {
			marker(path, listed[i])
			emit(dir "/" listed[i])
		}
	}'
}

check_ledgers() {
	printf '%s\n' "$@" | ledger_stream |
		jq -n -r -L "$STRESS_DIR" -f "$STRESS_DIR/check-ledger.jq"
}

# ledger_scan LEDGER: sets LEDGER_LISTED to the files the index lists (its
# "file" strings) and LEDGER_GENERATION to its generation, from the text
# alone: no jq and no other process, as sigkill.sh calls it twice a run.
ledger_scan() {
	local text='' re='"file":"([^"]*)"' rel
	LEDGER_LISTED=()
	LEDGER_GENERATION=
	[ -f "$1" ] || return 0
	IFS= read -r -d '' text <"$1" || true
	[[ ! $text =~ \"generation\":([0-9]+) ]] || LEDGER_GENERATION=${BASH_REMATCH[1]}
	while [[ $text =~ $re ]]; do
		rel=${BASH_REMATCH[1]}
		text=${text#*"${BASH_REMATCH[0]}"}
		LEDGER_LISTED+=("${rel//\\\//\/}")
	done
}

ledger_leftovers() {
	local dir=${1%/*} base=${1##*/} path
	local -A listed=()
	[ "$dir" != "$1" ] || dir=.
	ledger_scan "$1"
	for path in ${LEDGER_LISTED[@]+"${LEDGER_LISTED[@]}"}; do
		listed[$path]=1
	done
	[ ! -e "$1.tmp" ] || echo "$base.tmp"
	for path in "$1.d"/* "$1.d"/.[!.]* "$1.d"/..?*; do
		[ -e "$path" ] || [ -L "$path" ] || continue
		path=$base.d/${path##*/}
		[ -n "${listed[$path]:-}" ] || echo "$path"
	done
}

ledger_missing() {
	local dir=${1%/*} rel
	[ "$dir" != "$1" ] || dir=.
	ledger_scan "$1"
	for rel in ${LEDGER_LISTED[@]+"${LEDGER_LISTED[@]}"}; do
		[ -f "$dir/$rel" ] || echo "$rel"
	done
}

# fnv1a32 STRING: sets REPLY to FNV-1a-32 of STRING's bytes.
fnv1a32() {
	local LC_ALL=C
	local s=$1 h=2166136261 i b
	for ((i = 0; i < ${#s}; i++)); do
		printf -v b '%d' "'${s:i:1}"
		h=$((((h ^ b) * 16777619) & 0xffffffff))
	done
	REPLY=$h
}

shard_of() {
	fnv1a32 "$1"
	echo $((REPLY % $2))
}

check_placement() {
	local count shard id
	while read -r count shard id; do
		if ! [[ $count =~ ^[1-9][0-9]*$ ]]; then
			echo "$id is in shard $shard of a ledger whose shard_count is $count"
			continue
		fi
		fnv1a32 "$id"
		[ $((REPLY % count)) = "$shard" ] ||
			echo "$id is in shard $shard, FNV-1a-32 % $count puts it in $((REPLY % count))"
	done
}

convert_ledger() {
	local ledger=$1 root=$2 n=$3 out count
	out=$("$NUMA_RUNTIME" --root "$root" gc 2>&1) || die "gc to convert the ledger failed: $out"
	[ "$(jq -r .version "$ledger")" = 2 ] ||
		die "gc did not rewrite the version 1 ledger as version 2 (it said: $out)"
	count=$(ledger_doc "$ledger" | jq '.containers | length') || die "the converted ledger does not read"
	[ "$count" -eq "$n" ] || die "the converted ledger holds $count entries, not $n (gc said: $out)"
}

save_ledger() {
	rm -rf "$2"
	mkdir -p "$2"
	cp -a "$1" "$2/" && cp -a "$1.d" "$2/"
}

