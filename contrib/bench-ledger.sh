#!/bin/bash
# bench-ledger.sh [-r RUNS] [-w WARMUP] [-s "SIZES"] [-c]
#
# What the ledger's size costs a create.  For each size (default
# "10 1000 10000") a ledger is generated with that many entries shaped like
# a busy Kubernetes node (64-hex container and pod ids, containerd's
# runtime root, live state directories), turned into numa-runtime's sharded
# version 2 layout (index + shard directory) by one `numa-runtime gc`, and
# kept aside.  `numa-runtime create` is then timed with hyperfine against
# it: the runtime is tests/fast-runtime (writes nothing, exits 0) and
# --prepare puts that version 2 ledger (index and shard directory) and
# config.json back before every run, so each run is a create against an
# N-entry version 2 ledger (never a conversion), the entry count stays
# fixed and the id created is new to the ledger each time.  After the runs
# the ledger must still be version 2, read (tests/ledger-doc.sh) with N + 1
# entries, and differ from the kept one by one new shard file.  (The argv is
# fixed so that hyperfine runs numa-runtime without a shell: on a busy
# machine the shell-start-up correction is noisier than the 10-entry
# create itself.)  Also timed: the fast runtime alone (the exec
# numa-runtime ends with).  Work dir, ledger and bundle are on tmpfs, as
# under /run on a node.
#
# Prints hyperfine's median and min per size with the size on disk of the
# index and of the largest shard file, the cost per 1,000 entries between sizes, and
# verdicts on the targets: < 2 ms median at 10,000 entries, growth no worse
# than linear.  -c: exit 1 when a target is missed.
# Environment: NUMA_RUNTIME (default ../src/numa-runtime), KEEP=1.
set -euo pipefail

runs=60
warmup=5
sizes="10 1000 10000"
check=0
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/stress/lib.sh
. "$here/../tests/stress/lib.sh"
script_options "r:runs w:warmup s:sizes c=check" "$@"
command -v hyperfine >/dev/null 2>&1 || die "hyperfine not found"
stress_setup bench-ledger

BUNDLE=$W/bundle
mkdir -p "$BUNDLE/rootfs"
make_sysfs "$SYSFS" 2 32
spec_json 1 268435456 >"$W/config.json"
export FAST_RUNTIME_NO_STATE=1

# median_ms/min_ms JSON: from hyperfine's --export-json.
median_ms() { jq '.results[0].median * 1000' "$1"; }
min_ms() { jq '.results[0].min * 1000' "$1"; }
# size FILE: its size on disk, human-readable.
size() { du -h "$1" | cut -f1; }

printf 'bench-ledger: %d runs per size after %d warm-up runs, work dir %s\n' "$runs" "$warmup" "$W"
printf 'bench-ledger: load average %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"

hyperfine -N --style none --runs "$runs" --warmup "$warmup" --export-json "$W/runtime.json" \
	"$FAST_RUNTIME --root $ROOT create --bundle $BUNDLE bench-0" >/dev/null 2>&1 ||
	die "hyperfine failed on the fast runtime"
printf '%-34s median %7.3f ms   min %7.3f ms\n' "fast runtime alone (exec + exit)" \
	"$(median_ms "$W/runtime.json")" "$(min_ms "$W/runtime.json")"

declare -A median
prev_n='' prev_t=''
for n in $sizes; do
	# The version 2 ledger of n entries, converted once and kept in
	# $W/pristine.$n.
	rm -rf "$LEDGER" "$LEDGER.d" "$LEDGER.tmp"
	gen_ledger "$n" "$ROOT" >"$LEDGER" 2>"$W/ids.$n"
	(cd "$ROOT" && xargs -r mkdir -p <"$W/ids.$n")
	convert_ledger "$LEDGER" "$ROOT" "$n"
	save_ledger "$LEDGER" "$W/pristine.$n"
	largest=$(ls -S "$W/pristine.$n/${LEDGER##*/}.d" | head -n 1)
	[ -n "$largest" ] || die "the converted $n-entry ledger has no shard file"
	# Put back only what a create changed, by hard links (numa-runtime
	# never modifies a shard file or the index in place, it replaces them):
	# copying all 64 shards back before every run would leave the kernel
	# freeing and allocating megabytes of tmpfs pages during the timed
	# create, which no create on a node pays.
	cat >"$W/restore.sh" <<-EOF
		set -e
		cd $LEDGER.d
		for f in *; do [ -e $W/pristine.$n/${LEDGER##*/}.d/\$f ] || rm -f \$f; done
		for f in $W/pristine.$n/${LEDGER##*/}.d/*; do [ -e \${f##*/} ] || ln \$f .; done
		rm -f $LEDGER.tmp
		ln -f $W/pristine.$n/${LEDGER##*/} $LEDGER
		cp $W/config.json $BUNDLE/config.json
	EOF
	hyperfine -N --style none --runs "$runs" --warmup "$warmup" --export-json "$W/create.$n.json" \
		--prepare "sh $W/restore.sh" \
		"$NUMA_RUNTIME --root $ROOT create --bundle $BUNDLE bench-new" \
		>/dev/null 2>"$W/hyperfine.err" || die "hyperfine failed: $(cat "$W/hyperfine.err")"
	# The last run's create must have landed in the version 2 ledger, next
	# to the others.
	[ "$(jq -r .version "$LEDGER")" = 2 ] || die "the ledger is not in the version 2 layout after the $n-entry runs"
	count=$(ledger_doc "$LEDGER" | jq '.containers | length') ||
		die "the ledger does not read after the $n-entry runs"
	[ "$count" -eq $((n + 1)) ] ||
		die "create did not add its entry to the $n-entry ledger ($count entries after it)"
	# ... by writing one shard file: a create, not a conversion.
	written=$(LC_ALL=C comm -13 <(LC_ALL=C ls "$W/pristine.$n/${LEDGER##*/}.d") <(LC_ALL=C ls "$LEDGER.d") | wc -l)
	[ "$written" -eq 1 ] || die "the last create on the $n-entry ledger wrote $written shard files, not one"
	median[$n]=$(median_ms "$W/create.$n.json")
	printf '%-34s median %7.3f ms   min %7.3f ms   index %s, largest shard %s\n' "create, $n entries" \
		"${median[$n]}" "$(min_ms "$W/create.$n.json")" \
		"$(size "$W/pristine.$n/${LEDGER##*/}")" \
		"$(size "$W/pristine.$n/${LEDGER##*/}.d/$largest")"
	if [ -n "$prev_n" ]; then
		printf '%-34s %7.3f ms per 1,000 entries\n' "  growth $prev_n -> $n" \
			"$(echo "(${median[$n]} - $prev_t) * 1000 / ($n - $prev_n)" | bc -l)"
	fi
	prev_n=$n
	prev_t=${median[$n]}
	rm -rf "${ROOT:?}"/*
done

missed=0
set -- $sizes
first=$1
last=${!#}
if [ "$last" -ge 10000 ]; then
	if [ "$(echo "${median[$last]} < 2" | bc -l)" = 1 ]; then
		echo "target: create median at $last entries < 2 ms: met"
	else
		echo "target: create median at $last entries < 2 ms: MISSED (${median[$last]} ms)"
		missed=1
	fi
fi
if [ $# -ge 3 ]; then
	mid=$2
	# Linear: the cost per entry from the middle size to the largest is no
	# more than from the smallest to the middle, with 50% and 0.1 ms over
	# the whole range for noise (a flat cost makes both slopes noise, and
	# the low one may come out negative).
	low=$(echo "(${median[$mid]} - ${median[$first]}) / ($mid - $first)" | bc -l)
	high=$(echo "(${median[$last]} - ${median[$mid]}) / ($last - $mid)" | bc -l)
	floor=$(echo "if ($low > 0) $low else 0" | bc -l)
	if [ "$(echo "$high <= 1.5 * $floor + 0.1 / ($last - $mid)" | bc -l)" = 1 ]; then
		printf 'target: growth no worse than linear: met (%.2f vs %.2f us per entry)\n' \
			"$(echo "$high * 1000" | bc -l)" "$(echo "$low * 1000" | bc -l)"
	else
		printf 'target: growth no worse than linear: MISSED (%.2f vs %.2f us per entry)\n' \
			"$(echo "$high * 1000" | bc -l)" "$(echo "$low * 1000" | bc -l)"
		missed=1
	fi
fi
[ "$check" = 0 ] || [ "$missed" = 0 ]
