#!/bin/bash
# sigkill.sh [-r RUNS] [-p PREFILL]: numa-runtime killed at random moments.
#
# RUNS (default 500) times, a numa-runtime create or delete (through
# tests/fast-runtime) is started and SIGKILLed, with its process group,
# after a random 0-3 ms: before, during or after its ledger update.  The
# ledger starts with PREFILL (default 300) entries of live containers,
# turned into the sharded version 2 layout by a `gc` before the first run,
# so that the update takes long enough to be hit.  After each run:
#   - the ledger reads completely with tests/ledger-doc.sh (every shard the
#     index lists exists, parses and holds the entries the index says), its
#     index is well formed, and it passes ledger-checks.jq (no
#     double-booked exclusive CPU, header sums match the entries);
#   - its ids are exactly those before the operation or exactly those after
#     it (an operation that exited 0 must show its effect);
#   - `numa-runtime gc` then releases what the interrupted operation left
#     (an entry whose create died before the runtime wrote state, or whose
#     container was deleted before the entry went) and removes the files it
#     left (LEDGER.tmp, shard files in LEDGER.d that the index does not
#     list): when gc commits nothing it reports exactly as many as there
#     were, never more; afterwards LEDGER.d holds exactly the files the
#     index lists and LEDGER.tmp is gone;
#   - the ledger then equals the runtime's state directories (checked
#     against the files at the start of the next run).
# At the end every entry is in its shard (FNV-1a-32(id) % shard_count) and
# no ledger was set aside as corrupt.
# KEEP=1 keeps the work directory.  Exit status 0 when every run passed.
set -euo pipefail
export LC_ALL=C # ids sorted bytewise, by jq and by the shell alike

runs=500
prefill=300
# shellcheck source=tests/stress/lib.sh
. "$(dirname "$0")/lib.sh"
script_options "r:runs p:prefill" "$@"
stress_setup sigkill exclusive

BUNDLE=$W/bundle
mkdir -p "$BUNDLE/rootfs"
make_sysfs "$SYSFS" 2 32
spec=$(spec_json 1 67108864)

# Live containers of other pods: their state directories exist, so the gc
# that converts the ledger keeps every entry.
gen_ledger "$prefill" "$ROOT" >"$LEDGER" 2>"$W/prefill.ids"
(cd "$ROOT" && xargs -r mkdir <"$W/prefill.ids")
convert_ledger "$LEDGER" "$ROOT" "$prefill"

# check: the ledger as ledger-doc.sh reads it, judged by one jq:
# violations as "V <message>" lines, then "G <generation>" and
# "I <sorted ids>".
check() {
	ledger_doc "$LEDGER" | jq -r -L "$STRESS_DIR" --arg base "${LEDGER##*/}" 'include "ledger-checks";
		((if .version != 2 then "version \(.version), not 2" else empty end),
		 index_violations($base), violations | "V \(.)"),
		"G \(.generation)",
		"I \([.containers[].id] | sort | join(" "))"'
}
# ids_of CHECK_OUTPUT: the ids line's ids.
ids_of() { sed -n 's/^I //p' <<<"$1"; }
state_ids() {
	local d found=()
	for d in "$ROOT"/*; do
		[ -e "$d" ] && found+=("${d##*/}")
	done
	echo "${found[*]}"
}

failures=0
failure() {
	printf 'FAIL run %d (%s %s, killed after %d us, %s): %s\n' "$run" "$op" "$id" "$delay" "$outcome" "$1"
	shift
	[ $# -eq 0 ] || printf '%s\n' "$@" | sed 's/^/  /'
	failures=$((failures + 1))
}

killed=0 exited=0 kept_old=0 got_new=0 released=0 seq=0
left_tmp=0 left_shards=0 removed=0
declare -a ours=()
before=$(ids_of "$(check)")
printf 'sigkill: %d runs, %d entries prefilled, work dir %s\n' "$runs" "$prefill" "$W"
start=$(date +%s.%N)
for ((run = 1; run <= runs; run++)); do
	padded=" $before "
	if ((${#ours[@]} == 0)) || { ((${#ours[@]} < 40)) && ((RANDOM % 2)); }; then
		op=create
		id=k$seq
		seq=$((seq + 1))
		printf '%s' "$spec" >"$BUNDLE/config.json"
		args=(create --bundle "$BUNDLE" "$id")
	else
		op=delete
		id=${ours[RANDOM % ${#ours[@]}]}
		args=(delete "$id")
	fi
	delay=$((RANDOM % 3001))
	outcome=$("$KILL_AT" "$delay" "$NUMA_RUNTIME" --root "$ROOT" "${args[@]}" 2>/dev/null)
	case $outcome in
	killed) killed=$((killed + 1)) ;;
	*) exited=$((exited + 1)) ;;
	esac

	if ! out=$(check 2>&1); then
		failure "the ledger does not read" "$out"
		break
	fi
	[[ $out != *"V "* ]] || failure "the ledger breaks an invariant" "$(grep '^V ' <<<"$out" | head -3)"
	now=" $(ids_of "$out") "
	# The operation's effect: the id is in (create) or out (delete) and
	# nothing else changed.
	if [ "$op" = create ]; then
		[[ $now == *" $id "* ]] && has_effect=1 || has_effect=0
	else
		[[ $now != *" $id "* ]] && has_effect=1 || has_effect=0
	fi
	if [ "$now" = "$padded" ]; then
		kept_old=$((kept_old + 1))
		[ "$outcome" != "exited 0" ] || failure "finished, but the ledger shows no effect"
	elif [ "$has_effect" = 1 ] && [ "${now/ $id / }" = "${padded/ $id / }" ]; then
		got_new=$((got_new + 1))
	else
		failure "the ledger is neither the state before nor after" \
			"$(diff <(tr ' ' '\n' <<<"$padded") <(tr ' ' '\n' <<<"$now") | head -5)"
	fi

	# What the interrupted writer left behind: its temporary index, shard
	# files written for a commit that never happened, superseded ones it
	# had no time to unlink.
	leftovers=$(ledger_leftovers "$LEDGER")
	n_tmp=0 n_shards=0
	if [ -n "$leftovers" ]; then
		! grep -qxF "${LEDGER##*/}.tmp" <<<"$leftovers" || n_tmp=1
		n_shards=$(($(wc -l <<<"$leftovers") - n_tmp))
	fi
	left_tmp=$((left_tmp + n_tmp))
	left_shards=$((left_shards + n_shards))
	generation_before=$(sed -n 's/^G //p' <<<"$out")

	# Clean up after the interruption.
	gc_out=$("$NUMA_RUNTIME" --root "$ROOT" gc 2>/dev/null) || failure "gc failed"
	gc_removed=0
	if [[ $gc_out =~ removed\ ([0-9]+)\ stale ]]; then
		gc_removed=${BASH_REMATCH[1]}
	fi
	removed=$((removed + gc_removed))
	ledger_scan "$LEDGER"
	if [ "$LEDGER_GENERATION" = "$generation_before" ]; then
		# gc committed nothing, so it removed every leftover itself.
		[ "$gc_removed" -eq $((n_tmp + n_shards)) ] ||
			failure "gc reported $gc_removed stale files removed; $((n_tmp + n_shards)) were left" "$leftovers"
	else
		# Its own commit may have replaced the temporary index, or a
		# leftover shard file of the same name, before the sweep.
		[ "$gc_removed" -le $((n_tmp + n_shards)) ] ||
			failure "gc reported $gc_removed stale files removed; only $((n_tmp + n_shards)) were left" "$leftovers"
	fi
	after=$(ledger_leftovers "$LEDGER")
	[ -z "$after" ] || failure "after gc, the ledger's directory holds files the index does not list" "$after"
	after=$(ledger_missing "$LEDGER")
	[ -z "$after" ] || failure "after gc, the index lists files that do not exist" "$after"
	# What gc says it released is gone; the next run's check reads the
	# files and holds them to this.
	while read -r word gone _; do
		if [ "$word" = released ]; then
			now=${now/ $gone / }
			released=$((released + 1))
		fi
	done <<<"$gc_out"
	before=$(echo $now)
	state=$(state_ids)
	[ "$before" = "$state" ] ||
		failure "after gc the ledger differs from the runtime state" \
			"$(diff <(tr ' ' '\n' <<<"$state") <(tr ' ' '\n' <<<"$before") | head -5)"
	ours=()
	for d in "$ROOT"/k*; do
		[ -e "$d" ] && ours+=("${d##*/}")
	done
done
end=$(date +%s.%N)
final=$(ids_of "$(check)")
[ "$final" = "$before" ] || failure "after the last gc the ledger is not what gc reported" \
	"$(diff <(tr ' ' '\n' <<<"$before") <(tr ' ' '\n' <<<"$final") | head -5)"
placed=$(echo "$LEDGER" | ledger_stream | jq -n -r -L "$STRESS_DIR" 'include "ledger-checks";
	ledgers | select(.doc != null) | .doc.shard_count as $count | .placed[] | "\($count) \(.[0]) \(.[1])"')
misplaced=$(check_placement <<<"$placed")
[ -z "$misplaced" ] || failure "$(wc -l <<<"$misplaced") entries in the wrong shard" "$(head -5 <<<"$misplaced")"
corrupt=$(find "$W/ledger" -maxdepth 1 -name "${LEDGER##*/}.corrupt-*")
[ -z "$corrupt" ] || failure "a ledger was set aside as corrupt" "$corrupt"

printf 'sigkill: %d runs in %.1f s: %d killed mid-way, %d finished first\n' \
	"$((run - 1))" "$(echo "$end - $start" | bc)" "$killed" "$exited"
printf 'sigkill: ledger showed the old state %d times and the new state %d times; gc released %d leftover entries\n' \
	"$kept_old" "$got_new" "$released"
printf 'sigkill: writes cut short left %d temporary indexes and %d unlisted shard files; gc removed %d of them, its own commits the rest; %d final entries in their shards\n' \
	"$left_tmp" "$left_shards" "$removed" "$(grep -c . <<<"$placed" || true)"
if [ "$failures" -gt 0 ]; then
	printf 'sigkill: %d failures\n' "$failures"
	exit 1
fi
echo "sigkill: ok"
