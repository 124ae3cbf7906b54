#!/bin/bash
# parallel.sh [-w WORKERS] [-n OPERATIONS] [-c CPUS_PER_NODE]: many creates
# and deletes at once.
#
# WORKERS (default 64) shell workers share OPERATIONS (default 2,000)
# numa-runtime creates and deletes through tests/fast-runtime, with
# cpu_allocation = exclusive, policy = restricted and whole-CPU requests
# (quota/period of 1 or 2 CPUs), so that exclusive CPUs are handed out.
# Each worker keeps up to two containers of its own and picks create or
# delete at random; two nodes of CPUS_PER_NODE (default 48) CPUs cannot
# hold them all at the peak, so some creates are refused for capacity.
# Checked:
#   - every committed ledger version: snapshot-shim.so keeps, right before
#     numa-runtime's commit (the rename of the index LEDGER.tmp over LEDGER,
#     under the lock), the new index and hard links to every shard file it
#     lists, as a directory laid out like the ledger's own.  Each version
#     reads completely (every listed shard exists at the commit, parses and
#     holds the number of entries the index says), its index is well formed
#     (shards once each, ascending, none empty, files named NN-G.json with
#     G no later than the index's generation), it lists no id twice, gives
#     no CPU to two entries' exclusive_cpus and has header sums equal to the
#     entries' sums.  The versions are read in one jq run; ledger-doc.sh
#     reads a sample of them and must agree;
#   - every entry of every version is in its shard: FNV-1a-32(id) %
#     shard_count;
#   - from one version to the next the generation grows by one, at most one
#     entry is added, and an entry only ever goes once its container's
#     delete has begun (a create's reclaim may take it between the runtime's
#     delete and numa-runtime's ledger update; never earlier, which would
#     hand out a live container's CPUs), and never comes back;
#   - a reader running throughout, holding `flock -s LEDGER.lock` for each
#     whole read of index and shards as docs/LEDGER.md asks of outside
#     readers, sees a complete, valid ledger on each read;
#   - afterwards the ledger holds exactly the containers alive (created, not
#     deleted) and those are exactly the runtime's state directories;
#     LEDGER.d holds exactly the files the index lists, and no LEDGER.tmp
#     or LEDGER.corrupt-* is left;
#   - every operation succeeded or failed with a message.
# KEEP=1 keeps the work directory.  Exit status 0 when all holds.
set -euo pipefail

workers=64
operations=2000
cpus_per_node=48
# shellcheck source=tests/stress/lib.sh
. "$(dirname "$0")/lib.sh"
script_options "w:workers n:operations c:cpus_per_node" "$@"
stress_setup parallel exclusive restricted

SNAPSHOTS=$W/snapshots
mkdir -p "$SNAPSHOTS" "$W/ops" "$W/bundles" "$W/deleting"
make_sysfs "$SYSFS" 2 "$cpus_per_node" 67108864
# The snapshot shim needs a dynamically linked numa-runtime (the default
# build is static-pie); make check hands over a shared-linked build of the
# same code, an in-tree build has it next to the tests.
OBSERVED_RUNTIME=${NUMA_RUNTIME_SHARED:-}
if [ -z "$OBSERVED_RUNTIME" ]; then
	OBSERVED_RUNTIME=$NUMA_RUNTIME
	[ ! -x "$TESTS_DIR/numa-runtime-shared" ] || OBSERVED_RUNTIME=$TESTS_DIR/numa-runtime-shared
fi
case $(ldd "$OBSERVED_RUNTIME" 2>&1) in
*"statically linked"* | *"not a dynamic executable"*)
	die "$OBSERVED_RUNTIME is statically linked: LD_PRELOAD cannot watch its commits (set NUMA_RUNTIME_SHARED to a shared-linked build)" ;;
esac
export NR_SNAPSHOT_LEDGER=$LEDGER NR_SNAPSHOT_DIR=$SNAPSHOTS NR_SNAPSHOT_MARKERS=$W/deleting
specs=("$(spec_json 1 67108864)" "$(spec_json 2 134217728)")

# worker W N: N operations; logs "create|delete ID ok|fail MESSAGE" lines
# to ops/W.log and the ids it leaves alive to ops/W.live.
worker() {
	local w=$1 n=$2 i id k seq=0 msg
	local bundle=$W/bundles/$w
	local -a live=()
	RANDOM=$((w * 7919 + 17))
	mkdir -p "$bundle/rootfs"
	for ((i = 0; i < n; i++)); do
		if ((${#live[@]} == 0)) || { ((${#live[@]} < 2)) && ((RANDOM % 2)); }; then
			id=w$w-$seq
			seq=$((seq + 1))
			printf '%s' "${specs[RANDOM % 2]}" >"$bundle/config.json"
			if msg=$(LD_PRELOAD=$SNAPSHOT_SHIM "$OBSERVED_RUNTIME" --root "$ROOT" \
				create --bundle "$bundle" "$id" 2>&1); then
				echo "create $id ok"
				live+=("$id")
			else
				echo "create $id fail ${msg//$'\n'/ }"
			fi
		else
			k=$((RANDOM % ${#live[@]}))
			id=${live[k]}
			: >"$W/deleting/$id"
			if msg=$(LD_PRELOAD=$SNAPSHOT_SHIM "$OBSERVED_RUNTIME" --root "$ROOT" \
				delete "$id" 2>&1); then
				echo "delete $id ok"
				live=("${live[@]:0:k}" "${live[@]:k+1}")
			else
				echo "delete $id fail ${msg//$'\n'/ }"
			fi
		fi
	done >"$W/ops/$w.log"
	printf '%s\n' "${live[@]}" | sed '/^$/d' >"$W/ops/$w.live"
}

# reader: read the ledger as an outside tool does, over and over, until
# told to stop, and check each read.  A read must hold a shared flock on
# LEDGER.lock from the index to the last shard: a writer unlinks the shard
# files its commit superseded right after its rename, so without the lock
# a reader could take an index whose shards are gone by the time it opens
# them (a torn read, though never a torn ledger).  To keep the writers'
# wait short on a busy machine, the read under the lock takes hard links
# to the index and the shard files (they are replaced, never modified, so
# the links hold exactly what was read); ledger-doc.sh and the checks then
# run on them without the lock.
reader() {
	local reads=0 bad=0 out
	while [ ! -e "$W/stop" ]; do
		if [ ! -e "$LEDGER" ]; then
			sleep 0.01
			continue
		fi
		rm -rf "$W/read"
		mkdir "$W/read"
		if ! flock -s "$LEDGER.lock" sh -c 'cp -al "$1" "$3/" && { [ ! -e "$2" ] || cp -al "$2" "$3/"; }' \
			sh "$LEDGER" "$LEDGER.d" "$W/read" 2>"$W/reader.err"; then
			out="cannot read: $(head -c 300 "$W/reader.err")"
		elif ! ledger_doc "$W/read/${LEDGER##*/}" >"$W/reader.doc" 2>"$W/reader.err"; then
			out="unreadable: $(head -c 300 "$W/reader.err")"
		elif ! out=$(jq -r -L "$STRESS_DIR" --arg base "${LEDGER##*/}" 'include "ledger-checks";
			if .version != 2 then "version \(.version), not 2" else index_violations($base), violations end' \
			"$W/reader.doc" 2>&1); then
			out="does not parse: $out"
		fi
		if [ -n "$out" ]; then
			bad=$((bad + 1))
			printf '%s\n' "$out" >>"$W/reader.errors"
		fi
		reads=$((reads + 1))
	done
	echo "$reads $bad" >"$W/reader.count"
}

printf 'parallel: %d workers, %d operations, 2 nodes of %d CPUs, exclusive CPUs, work dir %s\n' \
	"$workers" "$operations" "$cpus_per_node" "$W"
start=$(date +%s.%N)
reader &
reader_pid=$!
pids=()
for ((w = 0; w < workers; w++)); do
	worker "$w" $((operations / workers + (w < operations % workers ? 1 : 0))) &
	pids+=($!)
done
failed_workers=0
for pid in "${pids[@]}"; do
	wait "$pid" || failed_workers=$((failed_workers + 1))
done
end=$(date +%s.%N)
touch "$W/stop"
wait "$reader_pid"

problems=0
problem() {
	printf 'FAIL: %s\n' "$1"
	shift
	[ $# -eq 0 ] || printf '%s\n' "$@" | sed 's/^/  /'
	problems=$((problems + 1))
}

[ "$failed_workers" -eq 0 ] || problem "$failed_workers workers died"
cat "$W"/ops/*.log >"$W/ops.log"
total=$(wc -l <"$W/ops.log")
creates_ok=$(grep -c '^create .* ok$' "$W/ops.log" || true)
creates_failed=$(grep -c '^create .* fail ' "$W/ops.log" || true)
deletes_ok=$(grep -c '^delete .* ok$' "$W/ops.log" || true)
deletes_failed=$(grep -c '^delete .* fail ' "$W/ops.log" || true)
[ "$total" -eq "$operations" ] || problem "$total operations logged, $operations expected"
if grep -E '^(create|delete) [^ ]+ fail *$' "$W/ops.log" >/dev/null; then
	problem "operations failed without a message:" "$(grep -E ' fail *$' "$W/ops.log" | head -5)"
fi
grep ' fail ' "$W/ops.log" | head -5 | sed 's/^/  failed: /' || true

# The end state: ledger == containers alive == runtime state, and nothing
# else in the ledger's directory.
cat "$W"/ops/*.live | sort >"$W/live.ids"
ledger_doc "$LEDGER" | jq -r '.containers[].id' | sort >"$W/ledger.ids" ||
	problem "the final ledger does not read"
ls "$ROOT" 2>/dev/null | sort >"$W/state.ids"
cmp -s "$W/live.ids" "$W/ledger.ids" ||
	problem "ledger differs from the live containers:" "$(diff "$W/live.ids" "$W/ledger.ids" | head -10)"
cmp -s "$W/live.ids" "$W/state.ids" ||
	problem "runtime state differs from the live containers:" "$(diff "$W/live.ids" "$W/state.ids" | head -10)"
[ "$(jq -r .version "$LEDGER")" = 2 ] || problem "the final ledger is not in the version 2 layout"
leftovers=$(ledger_leftovers "$LEDGER")
[ -z "$leftovers" ] || problem "files no commit lists are left in the ledger's directory:" "$(head -5 <<<"$leftovers")"
missing_files=$(ledger_missing "$LEDGER")
[ -z "$missing_files" ] || problem "the final index lists missing files:" "$(head -5 <<<"$missing_files")"
corrupt=$(find "$(dirname "$LEDGER")" -maxdepth 1 -name "${LEDGER##*/}.corrupt-*")
[ -z "$corrupt" ] || problem "a ledger was set aside as corrupt:" "$corrupt"

# Every committed version, read in one jq run (one ledger-doc.sh per
# version would take minutes): for each, its violations ("V"); its
# generation, count of entries holding exclusive CPUs and ids ("T"); and
# the shard of each entry ("S").
snapshots=$(find "$SNAPSHOTS" -mindepth 1 -maxdepth 1 -type d | wc -l)
find "$SNAPSHOTS" -mindepth 2 -maxdepth 2 -name "${LEDGER##*/}" | sort >"$W/snapshot.list"
if ! ledger_stream <"$W/snapshot.list" | jq -n -r -L "$STRESS_DIR" 'include "ledger-checks";
	ledgers
	| (.path | split("/") | .[-2]) as $seq
	| (all_violations | "V\t\($seq): \(.)"),
	  (.doc | select(. != null)
	   | "T\t\($seq)\t\(.generation)\t\([.containers[] | select(.exclusive_cpus != "")] | length)\t\([.containers[].id] | join(" "))"),
	  (select(.doc != null) | .doc.shard_count as $count | .placed[] | "S\t\($count) \(.[0]) \(.[1])")' \
	>"$W/snapshots.out" 2>"$W/snapshots.err"; then
	# Name the first version that does not read.
	while read -r index; do
		if ! ledger_doc "$index" >/dev/null 2>"$W/snapshot.err"; then
			problem "a committed version does not read: $index" "$(head -c 300 "$W/snapshot.err")"
			break
		fi
	done <"$W/snapshot.list"
	problem "the committed versions do not parse:" "$(head -c 300 "$W/snapshots.err")"
fi
violations=$(sed -n 's/^V\t//p' "$W/snapshots.out")
[ -z "$violations" ] ||
	problem "$(echo "$violations" | wc -l) violations in committed versions:" "$(echo "$violations" | head -5)"
sed -n 's/^T\t//p' "$W/snapshots.out" >"$W/versions.tsv"
read_versions=$(wc -l <"$W/versions.tsv")
[ "$read_versions" -eq "$snapshots" ] ||
	problem "$read_versions of $snapshots committed versions could be read"
misplaced=$(sed -n 's/^S\t//p' "$W/snapshots.out" | sort -u | check_placement)
[ -z "$misplaced" ] ||
	problem "$(echo "$misplaced" | wc -l) entries in the wrong shard:" "$(echo "$misplaced" | head -5)"
# ledger-doc.sh, the reader the other tests use, reads a sample of the
# versions (about 20, and the last) as the batch did.
step=$((snapshots / 20 + 1))
sampled=0
while IFS=$'\t' read -r seq generation _ ids; do
	if ((10#$seq % step != 0 && 10#$seq != snapshots)); then
		continue
	fi
	sampled=$((sampled + 1))
	if ! got=$(ledger_doc "$SNAPSHOTS/$seq/${LEDGER##*/}" |
		jq -r '"\(.generation)\t\([.containers[].id] | join(" "))"'); then
		problem "ledger-doc.sh cannot read version $seq"
	elif [ "$got" != "$generation"$'\t'"$ids" ]; then
		problem "ledger-doc.sh reads version $seq differently from the batch check"
	fi
done <"$W/versions.tsv"
# Transitions between consecutive versions (see the top of this file).
transitions=$(awk -F'\t' -v dir="$SNAPSHOTS" '
	{
		markers = dir "/" $1 ".markers"
		delete deleting
		while ((getline m < markers) > 0)
			deleting[m] = 1
		close(markers)
		if (NR > 1 && $2 != generation + 1)
			print $1 ": generation " $2 " after " generation
		generation = $2
		delete now
		n = split($4, ids, " ")
		added = 0
		for (i = 1; i <= n; i++) {
			now[ids[i]] = 1
			if (!(ids[i] in before)) {
				added++
				if (ids[i] in gone)
					print $1 ": " ids[i] " came back"
			}
		}
		if (added > 1)
			print $1 ": " added " entries added in one commit"
		for (id in before)
			if (!(id in now)) {
				gone[id] = 1
				if (!(id in deleting))
					print $1 ": " id " removed before its delete began"
			}
		delete before
		for (id in now)
			before[id] = 1
	}' "$W/versions.tsv")
[ -z "$transitions" ] ||
	problem "$(echo "$transitions" | wc -l) bad transitions:" "$(echo "$transitions" | head -5)"
grep '^create .* ok$' "$W/ops.log" | cut -d' ' -f2 | sort >"$W/created.ids"
cut -f4 "$W/versions.tsv" | tr ' ' '\n' | sed '/^$/d' | sort -u >"$W/seen.ids"
missing=$(comm -23 "$W/created.ids" "$W/seen.ids" | wc -l)
[ "$missing" -eq 0 ] || problem "$missing created containers never appeared in a committed version"
exclusive_handed_out=$(awk -F'\t' '{ n += $3 } END { print n + 0 }' "$W/versions.tsv")
read -r reads bad_reads <"$W/reader.count"
[ "$bad_reads" -eq 0 ] || problem "$bad_reads of $reads concurrent reads were invalid:" "$(head -5 "$W/reader.errors")"

printf 'parallel: %d operations in %.1f s (%.0f/s): %d creates ok, %d failed; %d deletes ok, %d failed\n' \
	"$total" "$(echo "$end - $start" | bc)" "$(echo "$total / ($end - $start)" | bc -l)" \
	"$creates_ok" "$creates_failed" "$deletes_ok" "$deletes_failed"
printf 'parallel: %d committed versions checked (%d also by ledger-doc.sh), %d entry placements checked, %d concurrent reads checked; %d containers left, ledger matches\n' \
	"$snapshots" "$sampled" "$(grep -c '^S' "$W/snapshots.out" || true)" "$reads" "$(wc -l <"$W/live.ids")"
printf 'parallel: %d entries holding exclusive CPUs across all versions%s\n' "$exclusive_handed_out" \
	"$([ "$exclusive_handed_out" -gt 0 ] || echo ' (none: placement does not hand out exclusive CPUs yet)')"
if [ "$problems" -gt 0 ]; then
	printf 'parallel: %d problems\n' "$problems"
	exit 1
fi
echo "parallel: ok"
