#!/bin/bash
# bench-metrics.sh [-r RUNS] [-w WARMUP] [-s "SIZES"] [-l LOCALITY]
#
# What `metrics` and `topology --nrt` cost against `status` (the target:
# no more), and what counting a refusal costs a refused create.  For each
# size (default "10 1000") a ledger of that many entries shaped like a busy
# Kubernetes node is generated (as bench-ledger.sh does) on a two-node
# sysfs tree, and hyperfine times, without a shell:
#   numa-runtime status --json        every entry read and judged alive
#   numa-runtime status               the table
#   numa-runtime metrics              the index's sums and counters only
#   numa-runtime topology --nrt       the same, as NodeResourceTopology
#   create refused under restricted   placement refuses; the counter goes
#                                     into an index-only commit
# Then, with LOCALITY (default 200) entries each given a cgroup in a
# fixture cgroup v2 tree ([topology] cgroup_root) holding a two-node
# memory.numa_stat, `status --json` and `metrics` again: what reading
# every container's memory.numa_stat costs (target: under 50 ms).
# With NUMA_RUNTIME_BASE set (a build without the counters), the refused
# create is timed with it too: the difference is what counting refusals
# costs.  Work dir and ledger live on tmpfs, as under /run on a node.
# Environment: NUMA_RUNTIME (default ../src/numa-runtime), NUMA_RUNTIME_BASE,
# KEEP=1.
set -euo pipefail

runs=100
warmup=5
sizes="10 1000"
locality=200
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/stress/lib.sh
. "$here/../tests/stress/lib.sh"
script_options "r:runs w:warmup s:sizes l:locality" "$@"
command -v hyperfine >/dev/null 2>&1 || die "hyperfine not found"
stress_setup bench-metrics shared restricted

mkdir -p "$W/big/rootfs"
make_sysfs "$SYSFS" 2 32
# 40 CPUs: more than a 32-CPU node, refused under restricted
spec_json 40 268435456 >"$W/big/config.json"

# time LABEL ARGV...: hyperfine's median and min in ms.
time_it() {
	local label=$1
	shift
	hyperfine -N --style none --runs "$runs" --warmup "$warmup" --export-json "$W/t.json" \
		-i "$*" >/dev/null 2>"$W/hyperfine.err" || die "hyperfine failed: $(cat "$W/hyperfine.err")"
	printf '%-44s median %7.3f ms   min %7.3f ms\n' "$label" \
		"$(jq '.results[0].median * 1000' "$W/t.json")" "$(jq '.results[0].min * 1000' "$W/t.json")"
}

printf 'bench-metrics: %d runs after %d warm-up runs, load average %s\n' "$runs" "$warmup" \
	"$(cut -d' ' -f1-3 /proc/loadavg)"
for n in $sizes; do
	rm -rf "$LEDGER" "$LEDGER.d" "${ROOT:?}"/*
	gen_ledger "$n" "$ROOT" >"$LEDGER" 2>"$W/ids.$n"
	(cd "$ROOT" && xargs -r mkdir -p <"$W/ids.$n")
	convert_ledger "$LEDGER" "$ROOT" "$n"
	echo "-- $n entries"
	time_it "status --json" "$NUMA_RUNTIME" --root "$ROOT" status --json
	time_it "status" "$NUMA_RUNTIME" --root "$ROOT" status
	time_it "metrics" "$NUMA_RUNTIME" --root "$ROOT" metrics
	time_it "metrics --textfile" "$NUMA_RUNTIME" --root "$ROOT" metrics --textfile "$W/m.prom"
	time_it "topology --nrt" "$NUMA_RUNTIME" --root "$ROOT" topology --nrt --node-name bench
	time_it "create refused (counted)" "$NUMA_RUNTIME" --root "$ROOT" create --bundle "$W/big" refused
	if [ -n "${NUMA_RUNTIME_BASE:-}" ]; then
		time_it "create refused, NUMA_RUNTIME_BASE" "$NUMA_RUNTIME_BASE" --root "$ROOT" create \
			--bundle "$W/big" refused
	fi
done

# Measured locality: every entry's cgroupsPath names a fixture cgroup.
if [ "$locality" -gt 0 ]; then
	rm -rf "$LEDGER" "$LEDGER.d" "${ROOT:?}"/* "$W/cg"
	gen_ledger "$locality" "$ROOT" >"$W/ledger.v1" 2>"$W/ids.loc"
	jq -c '.containers |= map(.cgroup = "/bench/" + .id)' "$W/ledger.v1" >"$LEDGER"
	(cd "$ROOT" && xargs -r mkdir -p <"$W/ids.loc")
	mkdir -p "$W/cg" && : >"$W/cg/cgroup.controllers"
	while read -r id; do
		mkdir -p "$W/cg/bench/$id"
		printf 'anon N0=50331648 N1=1048576\nfile N0=4096 N1=0\nkernel_stack N0=16384 N1=0\nshmem N0=0 N1=0\n' \
			>"$W/cg/bench/$id/memory.numa_stat"
	done <"$W/ids.loc"
	printf '[topology]\ncgroup_root = %s\n' "$W/cg" >>"$NUMA_RUNTIME_CONFIG"
	convert_ledger "$LEDGER" "$ROOT" "$locality"
	samples=$("$NUMA_RUNTIME" --root "$ROOT" metrics | grep -c '^numa_runtime_container_local_ratio{')
	[ "$samples" -eq "$locality" ] || die "metrics has $samples local_ratio samples, not $locality"
	echo "-- $locality entries, each with a cgroup and its memory.numa_stat"
	time_it "status --json (memory_by_node, local_ratio)" "$NUMA_RUNTIME" --root "$ROOT" status --json
	time_it "metrics (per-container memory)" "$NUMA_RUNTIME" --root "$ROOT" metrics
fi
