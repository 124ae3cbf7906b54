# ledger-helpers.bash: what the ledger tests need on top of helpers.bash.
# Adds:
#   FAST_RUNTIME          tests/fast-runtime (built from fast-runtime.c
#                         when missing or stale): a runc stand-in that keeps
#                         <root>/<id>/state.json like runc does
#   make_sysfs DIR NODES CPUS_PER_NODE [MEM_KB]   a fixture sysfs tree
#   ledger_config [KEY=VALUE...]                  (re)write the config
#   ledger_bundle DIR [CPUS [MEMORY]]             a bundle whose config.json
#                         asks for CPUS (quota/period) and MEMORY bytes

# make_sysfs, shared with the stress scripts and bench-ledger.sh.  Both
# files source the one test library (tests/lib/common.sh), so ledger_doc
# is the same function whichever came last.
# shellcheck source=tests/stress/lib.sh
. "$BATS_TEST_DIRNAME/stress/lib.sh"
load helpers

# build_fast_runtime: set FAST_RUNTIME, compiling tests/fast-runtime.c
# into the bats run's temp dir when no up-to-date build is next to it.
build_fast_runtime() {
	local src=$TESTS_DIR/fast-runtime.c built=$TESTS_DIR/fast-runtime
	if [ -n "${FAST_RUNTIME:-}" ] && [ -x "$FAST_RUNTIME" ]; then
		return 0
	fi
	if [ -x "$built" ] && ! [ "$src" -nt "$built" ]; then
		FAST_RUNTIME=$built
	else
		FAST_RUNTIME=${BATS_RUN_TMPDIR:-${TMPDIR:-/tmp}}/fast-runtime
		[ -x "$FAST_RUNTIME" ] ||
			${CC:-cc} -O2 -o "$FAST_RUNTIME" "$src" || fail "cannot build $src"
	fi
	export FAST_RUNTIME
}

# ledger_config [SECTION.KEY=VALUE...]: write $NUMA_RUNTIME_CONFIG with the
# fast runtime, $LEDGER and $SYSFS, plus the given placement settings.
# The bats files pass the arguments; shellcheck sees only this file.
# shellcheck disable=SC2120
ledger_config() {
	local kv policy=best-effort alloc=shared proc=/proc
	for kv in "$@"; do
		case $kv in
		policy=*) policy=${kv#*=} ;;
		cpu_allocation=*) alloc=${kv#*=} ;;
		proc_root=*) proc=${kv#*=} ;;
		*) fail "ledger_config: unknown setting $kv" ;;
		esac
	done
	cat >"$NUMA_RUNTIME_CONFIG" <<EOF
[runtime]
path = $FAST_RUNTIME

[ledger]
path = $LEDGER

[topology]
sysfs_root = $SYSFS
proc_root = $proc

[placement]
policy = $policy
cpu_allocation = $alloc
EOF
}

# ledger_bundle DIR [CPUS [MEMORY]]: a minimal bundle for the fast runtime.
ledger_bundle() {
	local dir=$1 cpus=${2:-0} mem=${3:-0} cpu='' memory=''
	mkdir -p "$dir/rootfs"
	[ "$cpus" = 0 ] || cpu="\"cpu\": {\"quota\": $((cpus * 100000)), \"period\": 100000},"
	[ "$mem" = 0 ] || memory="\"memory\": {\"limit\": $mem},"
	cat >"$dir/config.json" <<EOF
{
	"ociVersion": "1.0.2-dev",
	"process": {"args": ["sh"], "env": ["PATH=/bin"], "cwd": "/"},
	"root": {"path": "rootfs"},
	"linux": {
		"resources": {
			$cpu
			$memory
			"devices": [{"allow": false, "access": "rwm"}]
		}
	}
}
EOF
}

# ledger_setup: per-test dir, two nodes of four CPUs, the fast runtime.
ledger_setup() {
	nr_setup
	build_fast_runtime
	SYSFS=$T/sys
	export SYSFS
	make_sysfs "$SYSFS" 2 4
	ledger_config
}

# --- the files of the version 2 layout (docs/LEDGER.md) ----------------------
# These look at the index $LEDGER and the shard directory $LEDGER.d as
# files, for the tests of the layout itself; what the ledger holds is read
# with ledger_doc / ledger_ids / ledger_field (helpers.bash).

# fnv1a32_hash STRING: the 32-bit FNV-1a hash of STRING's bytes, in decimal.
fnv1a32_hash() {
	local LC_ALL=C s=$1 h=2166136261 i c
	for ((i = 0; i < ${#s}; i++)); do
		printf -v c '%d' "'${s:i:1}"
		h=$((((h ^ (c & 255)) * 16777619) & 0xffffffff))
	done
	echo "$h"
}

# entry_shard ID: the shard ID's entry belongs in, FNV-1a-32(ID) modulo
# the index's shard_count.
entry_shard() {
	local n
	n=$(jq -er .shard_count "$LEDGER") || fail "no shard_count in $LEDGER" || return
	echo $(($(fnv1a32_hash "$1") % n))
}

# id_in_shard SHARD PREFIX: the first of PREFIX1, PREFIX2, ... whose entry
# belongs in SHARD.
id_in_shard() {
	local n i
	n=$(jq -er .shard_count "$LEDGER") || fail "no shard_count in $LEDGER" || return
	for ((i = 1; i < 100000; i++)); do
		if (($(fnv1a32_hash "$2$i") % n == $1)); then
			echo "$2$i"
			return 0
		fi
	done
	fail "no id $2<N> falls in shard $1"
}

# shard_file SHARD: the file the index lists for SHARD (relative to the
# ledger's directory), empty when it lists none.
shard_file() {
	jq -r --argjson s "$1" '.shards[] | select(.shard == $s) | .file' "$LEDGER"
}

# shard_dir_files: what the shard directory holds, as the index would name
# each file (ledger.json.d/NAME), sorted.
shard_dir_files() {
	local base
	base=$(basename "$LEDGER").d
	[ -d "$LEDGER.d" ] || return 0
	find "$LEDGER.d" -mindepth 1 -maxdepth 1 -printf "$base/%P\n" | sort
}

# assert_v2_layout: the ledger is in the version 2 layout, complete and
# tidy: the index (mode 0600) has version 2 and lists non-empty shards in
# ascending order, each file named NN-G.json after its shard and a
# generation no later than the index's; the shard directory (mode 0700)
# holds exactly those files (none superseded or left over), each a regular
# file of mode 0600; no LEDGER.tmp is left.
assert_v2_layout() {
	local base listed present f problems
	base=$(basename "$LEDGER").d
	[ -f "$LEDGER" ] || fail "no ledger index at $LEDGER" || return
	problems=$(jq -r --arg base "$base" '
		. as $index
		| if .version != 2 then "version is \(.version), not 2" else empty end,
		if (.shards | type) != "array" then "no \"shards\" array"
		else
			(.shards | map(.shard)) as $n
			| (if $n != ($n | unique) then "shards not in ascending order: \($n)" else empty end),
			(.shards[] | select(.entries < 1) | "shard \(.shard) listed with \(.entries) entries"),
			(.shards[] | select(.shard >= $index.shard_count) | "shard \(.shard) is beyond shard_count \($index.shard_count)"),
			(.shards[] as $s
			 | ([$s.file | capture("^" + $base + "/(?<nn>[0-9]{2})-(?<g>[0-9]+)\\.json$")] | first) as $m
			 | if $m == null then "shard \($s.shard): file \($s.file) is not named \($base)/NN-G.json"
			   elif ($m.nn | tonumber) != $s.shard then "shard \($s.shard) is in \($s.file)"
			   elif ($m.g | tonumber) > $index.generation then "\($s.file) is newer than the index (generation \($index.generation))"
			   else empty end)
		end' "$LEDGER" 2>&1 | sed 's/^/  /')
	[ -z "$problems" ] || fail "index $LEDGER:" "$problems" "index: $(head -c 2000 "$LEDGER")" || return
	assert_equal "$(stat -c %a "$LEDGER")" 600 "mode of the index $LEDGER" || return
	[ -d "$LEDGER.d" ] && [ ! -L "$LEDGER.d" ] || fail "no shard directory $LEDGER.d" || return
	assert_equal "$(stat -c %a "$LEDGER.d")" 700 "mode of the shard directory" || return
	listed=$(jq -r '.shards[].file' "$LEDGER" | sort)
	present=$(shard_dir_files)
	[ "$present" = "$listed" ] || fail "the shard directory holds other files than the index lists" \
		"index lists: $(echo $listed)" "directory:   $(echo $present)" || return
	for f in $present; do
		f=$(dirname "$LEDGER")/$f
		[ -f "$f" ] && [ ! -L "$f" ] || fail "$f is not a regular file" || return
		assert_equal "$(stat -c %a "$f")" 600 "mode of $f" || return
	done
	[ ! -e "$LEDGER.tmp" ] || fail "$LEDGER.tmp left behind"
}

# assert_entries_in_their_shards: every entry is in the file of the shard
# its id hashes to, and each shard file holds as many entries as the index
# says.
assert_entries_in_their_shards() {
	local n shard file want id count
	n=$(jq -er .shard_count "$LEDGER") || fail "no shard_count in $LEDGER" || return
	while read -r shard file want; do
		count=0
		for id in $(jq -r '.containers[].id' "$(dirname "$LEDGER")/$file"); do
			count=$((count + 1))
			(($(fnv1a32_hash "$id") % n == shard)) ||
				fail "$id is in $file (shard $shard), it belongs in shard $(($(fnv1a32_hash "$id") % n))" || return
		done
		assert_equal "$count" "$want" "entries in $file" || return
	done < <(jq -r '.shards[] | "\(.shard) \(.file) \(.entries)"' "$LEDGER")
}

# find_aside: ASIDE, the one index kept as LEDGER.corrupt-<UTC stamp>-<pid>.
find_aside() {
	local f
	ASIDE=
	for f in "$LEDGER".corrupt-*; do
		case $f in
		*.d) ;;
		*)
			[ -z "$ASIDE" ] || fail "more than one index set aside: $ASIDE $f" || return
			ASIDE=$f
			;;
		esac
	done
	[ -f "$ASIDE" ] || fail "no index kept as $LEDGER.corrupt-*; the directory holds:" \
		"$(ls -A "$(dirname "$LEDGER")")" || return
	[[ $ASIDE =~ \.corrupt-[0-9]{8}T[0-9]{6}Z-[0-9]+$ ]] || fail "no UTC stamp and pid in $ASIDE"
}

# ledger_violations: what tests/stress/ledger-checks.jq finds wrong with the
# whole ledger (unique ids, no CPU held exclusively twice, node sums equal
# to the entries'), one line each; nothing when all is well.
ledger_violations() {
	ledger_jq -r -L "$STRESS_DIR" 'include "ledger-checks"; violations'
}

# create_ok ID BUNDLE: a create that succeeds.
create_ok() {
	run --separate-stderr nr create --bundle "$2" "$1"
	assert_success
}

# placement_of ID: what ID's entry holds of its placement, as compact JSON.
placement_of() {
	ledger_jq -c --arg id "$1" '.containers[] | select(.id == $id) | {nodes, cpus, memory, millicpus}'
}
