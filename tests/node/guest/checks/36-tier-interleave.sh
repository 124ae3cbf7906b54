# shellcheck shell=bash
# Memory tiers, interleave (annotation numa-runtime.io/memory-tiers):
# the container's memory may use its CPU node and the nearest node without
# CPUs, and its pages are spread over both by the kernel's weighted
# interleave (/sys/kernel/mm/mempolicy/weighted_interleave/nodeN, from
# HMAT: 4 on the CPU nodes, 1 on the tier nodes here).  The policy goes
# through the runtime when it can, as in 30-mempolicy.sh: crun gets
# linux.memoryPolicy MPOL_WEIGHTED_INTERLEAVE (with MPOL_F_STATIC_NODES)
# in config.json and sets it itself (numa-runtime makes no set_mempolicy); runc 1.3 gets none and
# numa-runtime calls set_mempolicy before exec'ing runc.  The container is
# added to a running sandbox under the kernel's tracepoints.
# Enough memory that the 2 MiB transparent huge pages (Debian's kernel
# backs anonymous memory with them) interleave finely: 96 of them at 4:1,
# one more or less on a node is 5% of the tier node's share.
IL_MIB=192
pod_out il
spec=$(pod_spec il burstable '{"numa-runtime.io/memory-tiers":"interleave"}' \
	"$(container_json il "/t/touch-mem $IL_MIB > /out/touch.txt 2>&1 &")")
check "the sandbox of a pod annotated memory-tiers=interleave starts" \
	pod_up "$(jq -c '.containers = []' <<<"$spec")" || return 0
sid=$(pod_sandbox)
trace=$OUT_ROOT/$RT-il.trace

il_start() {
	traced_add "$sid" "$spec" "$trace" || return
	result il NUMA_NODE >/dev/null
}
check "a container added to it with set_mempolicy and exec traced" il_start || { cri down "$sid"; return 0; }
il=$(pod_ctr il)
n=$(result il NUMA_NODE)
t=$(nearest_memory_node "$n")

il_nodes() {
	[ -n "$t" ] || fail "no node without CPUs near node $n" || return
	expect_eq "$(result il NUMA_MEMORY_NODES)" "$n,$t" "NUMA_MEMORY_NODES inside" &&
		expect_eq "$(result il Mems_allowed_list)" "$n,$t" "Mems_allowed_list inside" &&
		expect_eq "$(cat "$(cgroup_dir "$il")/cpuset.mems.effective")" "$n,$t" "scope cpuset.mems.effective"
}
check "NUMA_MEMORY_NODES, Mems_allowed_list and cpuset.mems are the CPU node $n and its tier node $t" il_nodes

il_via_runtime() {
	local mpol nr_calls rt_calls pid
	mpol=$(jq -c '.linux.memoryPolicy // empty' "$(bundle_config "$il")")
	nr_then_runtime "$trace" "$(command -v "$RT")" ||
		fail "the trace shows no exec of numa-runtime followed by $RT" "$(head -n 20 "$trace")" || return
	nr_calls=$(mempolicy_calls "$trace" nr)
	rt_calls=$(mempolicy_calls "$trace" other)
	echo "config.json linux.memoryPolicy: ${mpol:-none}; set_mempolicy by numa-runtime: ${nr_calls:-none};" \
		"by others: ${rt_calls:-none}"
	case $RT in
	crun)
		expect_eq "$mpol" "{\"mode\":\"MPOL_WEIGHTED_INTERLEAVE\",\"nodes\":\"$n,$t\",\"flags\":[\"MPOL_F_STATIC_NODES\"]}" \
			"linux.memoryPolicy in config.json" || return
		[ -z "$nr_calls" ] ||
			fail "numa-runtime called set_mempolicy although crun applies the policy:" "$nr_calls" || return
		# crun's own call: MPOL_WEIGHTED_INTERLEAVE (6) | MPOL_F_STATIC_NODES
		# (0x8000), the flags of the spec or'ed into the mode.
		awk '$2 ~ /^(0x)?0*8006$/ { found = 1 } END { exit !found }' <<<"$rt_calls" ||
			fail "no set_mempolicy(MPOL_WEIGHTED_INTERLEAVE|MPOL_F_STATIC_NODES) by crun in the trace" \
				"$(head -n 30 "$trace")"
		;;
	*)
		[ -z "$mpol" ] || fail "config.json carries linux.memoryPolicy $mpol for runc 1.3, which ignores it" || return
		# MPOL_WEIGHTED_INTERLEAVE (6) | MPOL_F_STATIC_NODES (0x8000), by
		# the task that then exec'd runc.
		pid=$(awk '$2 ~ /^(0x)?0*8006$/ { print $1; exit }' <<<"$nr_calls")
		[ -n "$pid" ] || fail "numa-runtime made no set_mempolicy(MPOL_WEIGHTED_INTERLEAVE|MPOL_F_STATIC_NODES)" \
			"$(head -n 30 "$trace")" || return
		grep -q "sched_process_exec: filename=/usr/sbin/runc pid=$pid " "$trace" ||
			fail "the task $pid that called set_mempolicy did not exec runc" "$(head -n 30 "$trace")"
		;;
	esac
}
check "$([ "$RT" = crun ] && echo "config.json carries linux.memoryPolicy MPOL_WEIGHTED_INTERLEAVE and crun sets it, numa-runtime makes no set_mempolicy" ||
	echo "no linux.memoryPolicy in config.json, numa-runtime calls set_mempolicy(MPOL_WEIGHTED_INTERLEAVE) before exec'ing runc")" \
	il_via_runtime

il_inside() {
	result il mempolicy
	result il mempolicy | grep -Eq "^mode=MPOL_WEIGHTED_INTERLEAVE flags=[^ ]+ nodes=$n,$t\$" ||
		fail "expected MPOL_WEIGHTED_INTERLEAVE on $n,$t"
}
check "inside, get_mempolicy says MPOL_WEIGHTED_INTERLEAVE on $n,$t" il_inside

# The split by the kernel's weights: each node's share within 10% of its
# expected page count (the container's sh and helpers are interleaved too;
# a huge page is one interleave step).
il_pages() {
	local w=/sys/kernel/mm/mempolicy/weighted_interleave wn wt on_n on_t all other want_n want_t x dn dt
	local -a p
	wait_for 300 grep -q ready "$POD_OUT/touch.txt" ||
		fail "touch-mem not ready after 300 s" "$(cat "$POD_OUT/touch.txt")" || return
	wn=$(cat "$w/node$n") wt=$(cat "$w/node$t")
	read -r -a p <<<"$(anon_pages "$il")"
	on_n=${p[$n]} on_t=${p[$t]}
	all=0
	for x in "${p[@]}"; do all=$((all + x)); done
	other=$((all - on_n - on_t))
	want_n=$(((on_n + on_t) * wn / (wn + wt))) want_t=$(((on_n + on_t) * wt / (wn + wt)))
	dn=$((on_n - want_n)) dt=$((on_t - want_t))
	tap "# [$RT] interleave: anon pages (memory.numa_stat) node $n $on_n, node $t $on_t, elsewhere $other;" \
		"weights $wn:$wt, expected $want_n:$want_t, ratio $(awk -v a="$on_n" -v b="$on_t" 'BEGIN { printf "%.2f", b ? a / b : 0 }'):1;" \
		"$(grep '^anon_thp ' "$(cgroup_dir "$il")/memory.numa_stat")"
	[ "$wn" -gt 0 ] && [ "$wt" -gt 0 ] || fail "the kernel has no interleave weights ($wn, $wt)" || return
	[ $(((on_n + on_t) * 100)) -ge $((IL_MIB * 256 * 99)) ] || fail "only $((on_n + on_t)) pages on nodes $n and $t" || return
	[ "$other" -lt 256 ] || fail "$other pages on other nodes" || return
	[ "${dn#-}" -le $((want_n / 10)) ] && [ "${dt#-}" -le $((want_t / 10)) ] ||
		fail "split $on_n:$on_t is not within 10% of $want_n:$want_t"
}
check "the $IL_MIB MiB touched are split over $n and $t by the kernel's weights (within 10%)" il_pages
check "the interleave pod is removed" pod_down
