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
#   - every committed ledger version (copied by snapshot-shim.so right before
#     numa-runtime's rename, under the lock) parses, lists no id twice, gives
#     no CPU to two entries' exclusive_cpus and has header sums equal to the
#     entries' sums;
#   - from one version to the next at most one entry is added, and an entry
#     only ever goes once its container's delete has begun (a create's
#     reclaim may take it between the runtime's delete and numa-runtime's
#     ledger update; never earlier, which would hand out a live
#     container's CPUs), and never comes back;
#   - a reader running throughout sees a complete, valid ledger on each read;
#   - afterwards the ledger holds exactly the containers alive (created, not
#     deleted) and those are exactly the runtime's state directories;
#   - every operation succeeded or failed with a message.
# KEEP=1 keeps the work directory.  Exit status 0 when all holds.
set -euo pipefail

workers=64
operations=2000
cpus_per_node=48
while getopts w:n:c:h opt; do
	case $opt in
	w) workers=$OPTARG ;;
	n) operations=$OPTARG ;;
	c) cpus_per_node=$OPTARG ;;
	*) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 2 ;;
	esac
done

# shellcheck source=tests/stress/lib.sh
. "$(dirname "$0")/lib.sh"
stress_init parallel

LEDGER=$W/ledger/ledger.json
ROOT=$W/root
SNAPSHOTS=$W/snapshots
mkdir -p "$SNAPSHOTS" "$W/ops" "$W/bundles" "$W/deleting"
make_sysfs "$W/sys" 2 "$cpus_per_node" 67108864
# The snapshot shim needs a dynamically linked numa-runtime (the default
# build is static-pie); make check hands over a shared-linked build of the
# same code.
OBSERVED_RUNTIME=${NUMA_RUNTIME_SHARED:-$NUMA_RUNTIME}
case $(ldd "$OBSERVED_RUNTIME" 2>&1) in
*"statically linked"* | *"not a dynamic executable"*)
	die "$OBSERVED_RUNTIME is statically linked: LD_PRELOAD cannot watch its commits (set NUMA_RUNTIME_SHARED to a shared-linked build)" ;;
esac
export NUMA_RUNTIME_CONFIG=$W/numa-runtime.conf
stress_config "$NUMA_RUNTIME_CONFIG" "$LEDGER" "$W/sys" exclusive restricted
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

# reader: check the ledger file as it is, over and over, until told to stop.
reader() {
	local reads=0 bad=0
	while [ ! -e "$W/stop" ]; do
		if [ ! -e "$LEDGER" ]; then
			sleep 0.01
			continue
		fi
		if ! out=$(check_ledgers "$LEDGER" 2>&1) || [ -n "$out" ]; then
			bad=$((bad + 1))
			printf '%s\n' "${out:-does not parse}" >>"$W/reader.errors"
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
	[ $# -eq 0 ] || printf '  %s\n' "$@"
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

# The end state: ledger == containers alive == runtime state.
cat "$W"/ops/*.live | sort >"$W/live.ids"
jq -r '.containers[].id' "$LEDGER" | sort >"$W/ledger.ids"
ls "$ROOT" 2>/dev/null | sort >"$W/state.ids"
cmp -s "$W/live.ids" "$W/ledger.ids" ||
	problem "ledger differs from the live containers:" "$(diff "$W/live.ids" "$W/ledger.ids" | head -10)"
cmp -s "$W/live.ids" "$W/state.ids" ||
	problem "runtime state differs from the live containers:" "$(diff "$W/live.ids" "$W/state.ids" | head -10)"

# Every committed version.
snapshots=$(find "$SNAPSHOTS" -name '*.json' | wc -l)
if ! violations=$(find "$SNAPSHOTS" -name '*.json' -print0 | sort -z |
	xargs -0 -r jq -r -L "$STRESS_DIR" -f "$STRESS_DIR/check-ledger.jq" 2>&1); then
	problem "a committed ledger does not parse: $violations"
elif [ -n "$violations" ]; then
	problem "$(echo "$violations" | wc -l) violations in committed ledgers:" "$(echo "$violations" | head -5)"
fi
# Transitions between consecutive versions (see the top of this file).
find "$SNAPSHOTS" -name '*.json' -print0 | sort -z |
	xargs -0 -r jq -r '[input_filename, (.containers | map(.id) | join(" "))] | @tsv' >"$W/versions.tsv"
transitions=$(awk -F'\t' '
	{
		markers = $1
		sub(/\.json$/, ".markers", markers)
		delete deleting
		while ((getline m < markers) > 0)
			deleting[m] = 1
		close(markers)
		delete now
		n = split($2, ids, " ")
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
cut -f2 "$W/versions.tsv" | tr ' ' '\n' | sed '/^$/d' | sort -u >"$W/seen.ids"
missing=$(comm -23 "$W/created.ids" "$W/seen.ids" | wc -l)
[ "$missing" -eq 0 ] || problem "$missing created containers never appeared in a committed version"
exclusive_handed_out=$(find "$SNAPSHOTS" -name '*.json' -print0 | xargs -0 -r cat |
	grep -c '"exclusive_cpus":"[0-9]' || true)
read -r reads bad_reads <"$W/reader.count"
[ "$bad_reads" -eq 0 ] || problem "$bad_reads of $reads concurrent reads were invalid:" "$(head -5 "$W/reader.errors")"

printf 'parallel: %d operations in %.1f s (%.0f/s): %d creates ok, %d failed; %d deletes ok, %d failed\n' \
	"$total" "$(echo "$end - $start" | bc)" "$(echo "$total / ($end - $start)" | bc -l)" \
	"$creates_ok" "$creates_failed" "$deletes_ok" "$deletes_failed"
printf 'parallel: %d committed versions checked, %d concurrent reads checked; %d containers left, ledger matches\n' \
	"$snapshots" "$reads" "$(wc -l <"$W/live.ids")"
printf 'parallel: %d lines with exclusive CPUs across all versions%s\n' "$exclusive_handed_out" \
	"$([ "$exclusive_handed_out" -gt 0 ] || echo ' (none: placement does not hand out exclusive CPUs yet)')"
if [ "$problems" -gt 0 ]; then
	printf 'parallel: %d problems\n' "$problems"
	exit 1
fi
echo "parallel: ok"
