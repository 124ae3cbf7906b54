# shellcheck shell=bash
# Memory tiers, spill (the default [memory] tiers): a pod whose container
# has a memory limit above what any CPU node has, and touches more than
# its CPU node's MemTotal, may use that node and the nearest node without
# CPUs (nodes 2 and 3 here, the kernel's lower tier).  Its pages fill the
# CPU node first and the rest land on that tier node, nowhere else, and it
# is not OOM-killed; NUMA_MEMORY_NODES inside names both nodes.
pod_out spill
spill_mib=0
for n in $(seq 0 3); do
	[ -n "$(node_cpus "$n")" ] || continue
	[ "$(node_mib "$n" MemTotal)" -le "$spill_mib" ] || spill_mib=$(node_mib "$n" MemTotal)
done
# 64 MiB more than the larger CPU node holds; the limit 64 MiB above that.
spill_mib=$((spill_mib + 64))
spill_res=$(jq -cn --argjson l $(((spill_mib + 64) * 1048576)) \
	'{cpu_period: 100000, cpu_quota: 100000, cpu_shares: 512, memory_limit_in_bytes: $l}')
free_before=()
for n in 0 1 2 3; do free_before+=("$(node_mib "$n" MemFree)"); done
tap "# [$RT] spill: touching $spill_mib MiB under a limit of $((spill_mib + 64)) MiB;" \
	"MemFree of nodes 0-3 before: ${free_before[*]} MiB"
spec=$(pod_spec spill burstable '{}' \
	"$(container_json spill "/t/touch-mem $spill_mib > /out/touch.txt 2>&1 &" "$spill_res")")
spill_t0=$(uptime_s)
check "a pod whose container's limit ($((spill_mib + 64)) MiB) is above every CPU node's memory starts" \
	pod_up "$spec" || return 0
spill=$(pod_ctr spill)

spill_nodes() {
	local n t
	n=$(result spill NUMA_NODE)
	[ -n "$n" ] && [ -n "$(node_cpus "$n")" ] || fail "NUMA_NODE '$n' is not a CPU node" || return
	t=$(nearest_memory_node "$n")
	[ -n "$t" ] || fail "no node without CPUs near node $n" || return
	echo "NUMA_NODE $n, its nearest node without CPUs $t; ledger: $(ledger_doc |
		jq -c --arg id "$spill" '.containers[] | select(.id == $id)')"
	expect_eq "$(result spill NUMA_MEMORY_NODES)" "$n,$t" "NUMA_MEMORY_NODES inside" &&
		expect_eq "$(result spill Mems_allowed_list)" "$n,$t" "Mems_allowed_list inside" &&
		expect_eq "$(cat "$(cgroup_dir "$spill")/cpuset.mems.effective")" "$n,$t" "scope cpuset.mems.effective" &&
		{ result spill mempolicy | grep -Eq "^mode=MPOL_BIND flags=[^ ]+ nodes=$n,$t\$" ||
			fail "policy inside: $(result spill mempolicy), expected MPOL_BIND on $n,$t"; }
}
check "NUMA_NODE is a CPU node; NUMA_MEMORY_NODES, Mems_allowed_list, cpuset.mems and MPOL_BIND name it and its nearest tier node" \
	spill_nodes

# Does memory.numa_stat count 99% of the pages touched on nodes $1 and $2?
spill_counted() {
	local -a q
	read -r -a q <<<"$(anon_pages "$spill")"
	[ $(((q[$1] + q[$2]) * 100)) -ge $((spill_mib * 256 * 99)) ]
}

spill_pages() {
	local n t cg pages on_n on_t all other free_n x
	local -a p
	n=$(result spill NUMA_NODE)
	t=$(nearest_memory_node "$n")
	cg=$(cgroup_dir "$spill")
	# Until touch-mem is ready, or an OOM kill ended it.
	wait_for 600 eval "grep -q ready '$POD_OUT/touch.txt' || ! grep -qx 'oom_kill 0' '$cg/memory.events'" ||
		fail "touch-mem not ready after 600 s" || return
	tap "# timing: [$RT] spill: touch-mem ready $(awk -v a="$spill_t0" -v b="$(uptime_s)" 'BEGIN { printf "%.0f", b - a }') s after the pod was asked for"
	grep -q ready "$POD_OUT/touch.txt" ||
		fail "touch-mem was OOM-killed before it was ready" "$(cat "$POD_OUT/touch.txt")" \
			"$(cat "$cg/memory.events")" "$(dmesg | grep -i -A3 'invoked oom-killer' | tail -n 8)" || return
	# memory.numa_stat is flushed lazily: a read just after "ready" can
	# miss the last pages touched (crun once saw 747 of 818 MiB, no OOM,
	# nothing elsewhere).  Give it up to 30 s; the checks below judge what
	# it says then.
	wait_for 30 spill_counted "$n" "$t" || true
	pages=$(anon_pages "$spill")
	read -r -a p <<<"$pages"
	on_n=${p[$n]} on_t=${p[$t]}
	all=0
	for x in "${p[@]}"; do all=$((all + x)); done
	other=$((all - on_n - on_t))
	free_n=$(node_mib "$n" MemFree)
	tap "# [$RT] spill: anon pages per node (memory.numa_stat) $pages: node $n $((on_n / 256)) MiB," \
		"node $t $((on_t / 256)) MiB, elsewhere $other pages; node $n MemTotal $(node_mib "$n" MemTotal) MiB," \
		"MemFree now $free_n MiB; memory.events: $(tr '\n' ' ' <"$cg/memory.events")"
	grep -qx 'oom_kill 0' "$cg/memory.events" || fail "the container's cgroup saw an OOM kill" || return
	# crun puts the processes in a child cgroup of the scope ("container").
	while read -r x; do
		[ "$(cat "/proc/$x/comm" 2>/dev/null)" != touch-mem ] || x=running
		[ "$x" != running ] || break
	done < <(find "$cg" -name cgroup.procs -exec cat {} +)
	[ "$x" = running ] || fail "touch-mem is no longer running in the container" || return
	# memory.numa_stat is flushed lazily: 99% of the pages touched.
	[ $(((on_n + on_t) * 100)) -ge $((spill_mib * 256 * 99)) ] ||
		fail "only $(((on_n + on_t) / 256)) MiB on nodes $n and $t, $spill_mib MiB touched" || return
	[ "$other" -lt 256 ] || fail "$other pages on other nodes" || return
	[ "$on_t" -ge $(((spill_mib - $(node_mib "$n" MemTotal)) * 256)) ] ||
		fail "node $t holds $((on_t / 256)) MiB, less than what node $n cannot hold" || return
	# Filled first: the container got at least three quarters of what was
	# free on the CPU node before it started, and more there than on the
	# tier node.  (What is free on the node afterwards is not checked: it
	# depends on how far kswapd has got, 48 to 79 MiB of 712 in runs here.)
	[ $((on_n * 4)) -ge $((free_before[n] * 256 * 3)) ] ||
		fail "node $n got only $((on_n / 256)) MiB of its ${free_before[n]} MiB free before the rest went to node $t" || return
	[ "$on_n" -gt "$on_t" ] ||
		fail "node $t got more ($((on_t / 256)) MiB) than the CPU node $n ($((on_n / 256)) MiB): not filled first"
}
check "$spill_mib MiB touched: the CPU node filled first, the rest on its tier node, nothing elsewhere, no OOM kill" \
	spill_pages
check "the spill pod is removed" pod_down
