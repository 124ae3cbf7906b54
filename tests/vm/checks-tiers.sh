#!/bin/sh
# checks-tiers.sh: the checks of scenario tiers, sourced by checks.sh
# (busybox sh; it gives bundle, start, stop, wait_for, field, check_eq,
# diag, rt, $REPORT, $NR, $NR_CONF).
#
# Scenario tiers: nodes 0-1 have a CPU each, nodes 2-3 none (2 nearest 0,
# 3 nearest 1); HMAT makes 2-3 slower and narrower.  numa-runtime's
# container memory: spill (the default) fills the CPU node first and puts
# the rest on its tier node, interleave splits pages by the kernel's
# weights, off keeps every page on the CPU node.

# node_kb NODE KEY: NODE's meminfo KEY in kB.
node_kb() { awk -v k="$2:" '$3 == k { print $4 }' "/sys/devices/system/node/node$1/meminfo"; }

# tier_of NODE: N of the memory_tierN holding NODE, "-" when none.
tier_of() {
	for d in /sys/devices/virtual/memory_tiering/memory_tier*; do
		[ -r "$d/nodelist" ] || continue
		for n in $(tr ',' '\n' <"$d/nodelist" | awk -F- 'NF { e = NF > 1 ? $2 : $1; for (i = $1; i <= e; i++) print i }'); do
			[ "$n" = "$1" ] && { echo "${d##*memory_tier}"; return; }
		done
	done
	echo -
}

# anon_by_node PID: "N0 N1 N2 N3", the anonymous pages of PID's cgroup per
# node, from its memory.numa_stat (what the kernel charged the container;
# numa_maps also counts a couple of pages mapped before the process
# entered the cgroup).
anon_by_node() {
	cg=$(sed -n 's/^0:://p' "/proc/$1/cgroup")
	awk '$1 == "anon" { for (i = 2; i <= NF; i++) if ($i ~ /^N[0-9]+=/) {
			split(substr($i, 2), kv, "="); p[kv[1]] = int(kv[2] / 4096) } }
		END { printf "%d %d %d %d\n", p[0], p[1], p[2], p[3] }' "/sys/fs/cgroup$cg/memory.numa_stat"
}

# maps_by_node PID: the same from /proc/PID/numa_maps, for the log.
maps_by_node() {
	awk '/ anon=/ { for (i = 1; i <= NF; i++) if ($i ~ /^N[0-9]+=/) {
			split(substr($i, 2), kv, "="); p[kv[1]] += kv[2] } }
		END { printf "%d %d %d %d\n", p[0], p[1], p[2], p[3] }' "/proc/$1/numa_maps"
}

# tier_container NAME MIB LIMIT_MIB [MODE]: start touch-mem MIB in a
# container with memory limit LIMIT_MIB and memory-tiers MODE; sets $b
# and $pid, or $why.
tier_container() {
	why=
	filter=".linux.resources.memory = {limit: $(($3 * 1048576))}"
	[ -z "${4:-}" ] || filter="$filter | .annotations = {\"numa-runtime.io/memory-tiers\": \"$4\"}"
	b=$(bundle "$1" "$filter" "$REPORT; exec /touch-mem $2")
	start nr "$1" "$b" || return
	wait_for "$b/out" "ready.*" || { why="touch-mem did not report ready"; return; }
	pid=$(rt nr state "$1" | jq -r .pid)
}

tiers_checks() {
	W=/sys/kernel/mm/mempolicy/weighted_interleave
	tiers=$(for d in /sys/devices/virtual/memory_tiering/memory_tier*; do
		printf '%s=%s ' "${d##*/}" "$(cat "$d/nodelist")"; done)
	weights=$(for n in 0 1 2 3; do cat "$W/node$n" 2>/dev/null || echo -; done | paste -sd, -)
	diag "kernel $(uname -r): tiers: $tiers; weighted-interleave weights: $weights ($(cat "$W/auto" 2>/dev/null || echo no) auto)"
	check_eq "nodes with CPUs (has_cpu)" "$(cat /sys/devices/system/node/has_cpu)" 0-1
	check_eq "nodes with memory (has_memory)" "$(cat /sys/devices/system/node/has_memory)" 0-3
	t0=$(tier_of 0) t2=$(tier_of 2)
	lower=no
	[ "$t0" != - ] && [ "$t2" != - ] && [ "$t2" -gt "$t0" ] && [ "$(tier_of 3)" = "$t2" ] && lower=yes
	check_eq "HMAT puts nodes 2-3 in a lower memory tier than 0-1 ($tiers)" "$lower" yes
	w0=$(cat "$W/node0" 2>/dev/null || echo 0) w2=$(cat "$W/node2" 2>/dev/null || echo 0)
	check_eq "the kernel has interleave weights, node 0's above node 2's ($weights)" \
		"$([ "$w0" -gt "$w2" ] && [ "$w2" -gt 0 ] && echo yes || echo no)" yes
	st=$(NUMA_RUNTIME_CONFIG=$NR_CONF "$NR" status --json)
	check_eq "status: has_cpu, tier, memory kind per node" \
		"$(printf '%s' "$st" | jq -c '[.nodes[] | [.node, .has_cpu, .memory_kind]]')" \
		'[[0,true,"cpu"],[1,true,"cpu"],[2,false,"tier"],[3,false,"tier"]]'

	# spill: more than either CPU node holds, under a limit above it.
	total0=$(($(node_kb 0 MemTotal) / 1024)) total1=$(($(node_kb 1 MemTotal) / 1024))
	[ "$total1" -le "$total0" ] || total0=$total1
	mib=$((total0 + 96))
	tier_container spill "$mib" $((mib + 64))
	k=$(field "$b/out" NUMA_NODE)
	diag "spill: a CPU node holds at most $total0 MiB; touching $mib MiB on NUMA_NODE $k"
	check_eq "spill: the container's memory may use its CPU node and the nearest tier node" \
		"$k $(field "$b/out" Mems_allowed_list)" "$k $k,$((k + 2))"
	if [ -z "$why" ]; then
		state=$(rt nr state spill | jq -r .status)
		pages=$(anon_by_node "$pid")
		diag "spill: memory.numa_stat anon pages per node $pages (numa_maps: $(maps_by_node "$pid"));" \
			"node $k MemFree $(($(node_kb "$k" MemFree) / 1024)) MiB"
	fi
	check_eq "spill: $mib MiB touched, more than its CPU node's $total0 MiB, and not OOM-killed" \
		"${state:-}" running
	on_cpu=0 on_tier=0
	# shellcheck disable=SC2086 # four numbers: split on purpose
	set -- ${pages:-0 0 0 0}
	eval "on_cpu=\${$((k + 1))} on_tier=\${$((k + 3))}"
	other=$(($1 + $2 + $3 + $4 - on_cpu - on_tier))
	check_eq "spill: all $mib MiB on the CPU node and its tier node, none elsewhere" \
		"$([ $((on_cpu + on_tier)) -ge $((mib * 256)) ] && [ "$other" -lt 256 ] && echo yes || echo "no: $*")" yes
	# Filled first: the CPU node has (almost) nothing left, and got at
	# least half of what it holds before anything went to the tier node.
	free_k=$(($(node_kb "$k" MemFree) / 1024))
	check_eq "spill: the CPU node is filled first (MemFree $free_k MiB, $((on_cpu / 256)) MiB there)" \
		"$([ "$free_k" -lt $((total0 / 8)) ] && [ $((on_cpu / 256)) -ge $((total0 / 2)) ] && echo yes || echo no)" yes
	check_eq "spill: the rest is on the nearest tier node ($((on_tier / 256)) MiB on node $((k + 2)))" \
		"$([ "$on_tier" -ge $(((mib - total0) * 256)) ] && echo yes || echo no)" yes
	stop nr spill

	# interleave: split by the kernel's weights.
	mib=192
	tier_container il "$mib" 256 interleave
	k=$(field "$b/out" NUMA_NODE)
	check_eq "interleave: mems are the CPU node and its tier node" \
		"$(field "$b/out" Mems_allowed_list)" "$k,$((k + 2))"
	check_eq "interleave: task policy is weighted interleave over them" \
		"$(sed -n 's/^mempolicy //p' "$b/out" | head -n1)" "weighted_interleave $k,$((k + 2))"
	if [ -z "$why" ]; then
		# shellcheck disable=SC2046 # four numbers: split on purpose
		set -- $(anon_by_node "$pid")
		eval "on_cpu=\${$((k + 1))} on_tier=\${$((k + 3))}"
		wk=$(cat "$W/node$k") wt=$(cat "$W/node$((k + 2))")
		all=$((on_cpu + on_tier))
		want_cpu=$((all * wk / (wk + wt))) want_tier=$((all * wt / (wk + wt)))
		diag "interleave: memory.numa_stat: node $k $on_cpu pages, node $((k + 2)) $on_tier (weights $wk:$wt; expected $want_cpu:$want_tier; numa_maps: $(maps_by_node "$pid"))"
		within=no
		d1=$((on_cpu - want_cpu)) d2=$((on_tier - want_tier))
		[ "${d1#-}" -le $((want_cpu / 10)) ] && [ "${d2#-}" -le $((want_tier / 10)) ] &&
			[ "$all" -ge $((mib * 256)) ] && within=yes
	fi
	check_eq "interleave: pages split by the kernel's weights within 10%" "${within:-no}" yes
	stop nr il

	# off: every page on the CPU node.
	tier_container off 128 256 off
	k=$(field "$b/out" NUMA_NODE)
	check_eq "off: mems are the CPU node alone" "$(field "$b/out" Mems_allowed_list)" "$k"
	if [ -z "$why" ]; then
		# shellcheck disable=SC2046 # four numbers: split on purpose
		set -- $(anon_by_node "$pid")
		eval "on_cpu=\${$((k + 1))}"
		all=$(($1 + $2 + $3 + $4))
		diag "off: memory.numa_stat: $on_cpu of $all anon pages on node $k (numa_maps: $(maps_by_node "$pid"))"
	fi
	check_eq "off: every page on the CPU node" \
		"$([ "${all:-0}" -ge $((128 * 256)) ] && [ "${on_cpu:-0}" = "${all:-x}" ] && echo yes || echo no)" yes
	stop nr off
}
