#!/bin/bash
# sigkill.sh [-r RUNS] [-p PREFILL]: numa-runtime killed at random moments.
#
# RUNS (default 500) times, a numa-runtime create or delete (through
# tests/fast-runtime) is started and SIGKILLed, with its process group,
# after a random 0-3 ms: before, during or after its ledger update.  The
# ledger starts with PREFILL (default 300) entries of live containers so
# that the update takes long enough to be hit.  After each run:
#   - the ledger parses and passes check-ledger.jq (no double-booked
#     exclusive CPU, header sums match the entries);
#   - its ids are exactly those before the operation or exactly those after
#     it (an operation that exited 0 must show its effect);
#   - `numa-runtime gc` then releases what the interrupted operation left
#     (an entry whose create died before the runtime wrote state, or whose
#     container was deleted before the entry went) and the ledger equals the
#     runtime's state directories (checked against the file at the start
#     of the next run).
# KEEP=1 keeps the work directory.  Exit status 0 when every run passed.
set -euo pipefail
export LC_ALL=C # ids sorted bytewise, by jq and by the shell alike

runs=500
prefill=300
while getopts r:p:h opt; do
	case $opt in
	r) runs=$OPTARG ;;
	p) prefill=$OPTARG ;;
	*) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 2 ;;
	esac
done

# shellcheck source=tests/stress/lib.sh
. "$(dirname "$0")/lib.sh"
stress_init sigkill

LEDGER=$W/ledger/ledger.json
ROOT=$W/root
BUNDLE=$W/bundle
mkdir -p "$W/ledger" "$ROOT" "$BUNDLE/rootfs"
chmod 700 "$W/ledger"
make_sysfs "$W/sys" 2 32
export NUMA_RUNTIME_CONFIG=$W/numa-runtime.conf
stress_config "$NUMA_RUNTIME_CONFIG" "$LEDGER" "$W/sys" exclusive
spec=$(spec_json 1 67108864)

# Live containers of other pods: their state directories exist.
gen_ledger "$prefill" "$ROOT" >"$LEDGER" 2>"$W/prefill.ids"
(cd "$ROOT" && xargs -r mkdir <"$W/prefill.ids")

# check: one jq over the ledger; violations as "V <message>" lines, then
# "I <sorted ids>".
check() {
	jq -r -L "$STRESS_DIR" 'include "ledger-checks";
		(violations | "V \(.)"), "I \([.containers[].id] | sort | join(" "))"' "$LEDGER"
}
# ids_of CHECK_OUTPUT: the ids line's ids.
ids_of() { sed -n 's/^I //p' <<<"$1"; }
state_ids() {
	local d out=()
	for d in "$ROOT"/*; do
		[ -e "$d" ] && out+=("${d##*/}")
	done
	echo "${out[*]}"
}

failures=0
failure() {
	printf 'FAIL run %d (%s %s, killed after %d us, %s): %s\n' "$run" "$op" "$id" "$delay" "$outcome" "$1"
	shift
	[ $# -eq 0 ] || printf '  %s\n' "$@"
	failures=$((failures + 1))
}

killed=0 exited=0 kept_old=0 got_new=0 temps=0 released=0 seq=0
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
		failure "the ledger does not parse" "$out"
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

	# Clean up after the interruption, then ledger == runtime state.
	gc_out=$("$NUMA_RUNTIME" --root "$ROOT" gc 2>/dev/null) || failure "gc failed"
	[[ $gc_out =~ removed\ ([0-9]+)\ stale ]] && temps=$((temps + BASH_REMATCH[1]))
	# What gc says it released is gone; the next run's check reads the
	# file and holds it to this.
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

printf 'sigkill: %d runs in %.1f s: %d killed mid-way, %d finished first\n' \
	"$((run - 1))" "$(echo "$end - $start" | bc)" "$killed" "$exited"
printf 'sigkill: ledger showed the old state %d times and the new state %d times; gc released %d leftover entries and %d temp files of writes cut short\n' \
	"$kept_old" "$got_new" "$released" "$temps"
if [ "$failures" -gt 0 ]; then
	printf 'sigkill: %d failures\n' "$failures"
	exit 1
fi
echo "sigkill: ok"
