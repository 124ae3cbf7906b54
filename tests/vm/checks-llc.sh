#!/bin/sh
# checks-llc.sh: the checks of scenario llc, sourced by checks.sh (busybox
# sh; it gives bundle, start, stop, field, check_eq, diag, node_cpus,
# list_expand, list_union, rt, $REPORT, $NR, $NR_CONF).
#
# The guest's node 0 has its CPUs in more than one L3 cache (run.sh: -smp
# dies=2 under an Intel vendor).  An exclusive container must get CPUs of
# one L3 group, as the guest kernel lists the groups in sysfs; its CPUs are
# read inside it (Cpus_allowed_list) and in its cgroup (cpuset.cpus).  Each
# request is made beside a container holding part of the first group, where
# the in-order pick of the free CPUs would straddle two groups (checked as
# well), so a placement that ignored the caches fails here.

# l3_of CPU: the CPUs sharing CPU's level-3 unified cache, in the kernel's
# list form; nothing when the kernel shows none.
l3_of() {
	for d in /sys/devices/system/cpu/cpu"$1"/cache/index*; do
		if [ "$(cat "$d/level" 2>/dev/null)" = 3 ] && [ "$(cat "$d/type")" = Unified ]; then
			cat "$d/shared_cpu_list"
			return
		fi
	done
}

# groups_of LIST: the L3 groups of the CPUs of LIST, one a line.
groups_of() { for c in $(list_expand "$1"); do l3_of "$c"; done | sort -n -u; }

# straddles LIST: "yes" when the CPUs of LIST are in more than one L3 group.
straddles() { [ "$(groups_of "$1" | grep -c .)" -gt 1 ] && echo yes || echo no; }

# in_order_pick COUNT HELD: the first COUNT CPUs of node 0 outside HELD,
# what a placement blind to the caches takes (one thread a core here).
in_order_pick() {
	held=$(list_expand "$2")
	list_union "$(for c in $(list_expand "$(node_cpus 0)"); do
		printf '%s\n' "$held" | grep -qx "$c" || echo "$c"
	done | head -n "$1" | paste -sd, -)"
}

# excl_start NAME COUNT: NAME asks for COUNT exclusive CPUs (that many
# whole CPUs of quota, cpu-allocation exclusive).  Sets $b; $why on failure.
excl_start() {
	b=$(bundle "$1" ".annotations = {\"numa-runtime.io/cpu-allocation\": \"exclusive\"} |
		.linux.resources.cpu = {quota: $(($2 * 100000)), period: 100000}" \
		"$REPORT; exec sleep 100000")
	[ -n "$why" ] || start nr "$1" "$b"
}

# check_one_group LABEL NAME COUNT: NAME (bundle $b) holds COUNT CPUs, its
# cgroup's cpuset.cpus is what it sees inside, and they are in one L3
# group.  Sets $cpus.
check_one_group() {
	cpus=$(field "$b/out" Cpus_allowed_list)
	cg_cpus=
	if [ -z "$why" ]; then
		pid=$(rt nr state "$2" | jq -r .pid)
		cg=$(sed -n 's/^0:://p' "/proc/$pid/cgroup")
		cg_cpus=$(cat "/sys/fs/cgroup$cg/cpuset.cpus")
		diag "$2: Cpus_allowed_list $cpus, cgroup $cg cpuset.cpus $cg_cpus," \
			"L3 groups: $(groups_of "$cpus" | paste -sd' ' -)"
	fi
	check_eq "$1: its cgroup's cpuset.cpus is what it sees inside" "$cg_cpus" "$cpus"
	check_eq "$1: $3 CPUs" "$(list_expand "$cpus" | grep -c .)" "$3"
	check_eq "$1: L3 groups of the guest it is in" "$(groups_of "$cpus" | grep -c .)" 1
}

# held_per_group HELD: for each L3 group of node 0, how many CPUs of HELD
# it has, comma-separated in the order of groups_of.
held_per_group() {
	held=$(list_expand "$1")
	for grp in $(groups_of "$(node_cpus 0)"); do
		list_expand "$grp" | grep -cxF "$held"
	done | paste -sd, -
}

llc_checks() {
	why=
	[ -x "$NR" ] || why="numa-runtime binary missing"
	node=$(node_cpus 0)
	for c in $(list_expand "$node"); do
		diag "cpu$c: L3 shared_cpu_list $(l3_of "$c")"
	done
	groups=$(groups_of "$node")
	first=$(l3_of "$(list_expand "$node" | head -n1)")
	size=$(list_expand "$first" | grep -c .)
	check_eq "the guest kernel shows node 0's CPUs ($node) in more than one L3 group" \
		"$(straddles "$node")" yes
	check_eq "status --json lists the guest's L3 groups of node 0" \
		"$(NUMA_RUNTIME_CONFIG=$NR_CONF "$NR" status --json 2>&1 |
			jq -r '.nodes[] | select(.node == 0) | .llc_groups[].cpus' 2>&1 | sort -n)" "$groups"
	# Below 3 CPUs a group leaves no request smaller than it that the
	# in-order pick could split.
	if [ -z "$why" ] && { [ "$(straddles "$node")" = no ] || [ "$size" -lt 3 ]; }; then
		why="node 0 shows no two L3 groups of 3 CPUs or more"
	fi
	base_why=$why

	# Part of the first group taken: one CPU of it is left.
	excl_start llc-part $((size - 1))
	check_one_group "exclusive, $((size - 1)) CPUs on the empty node" llc-part $((size - 1))
	part=$cpus

	# Less than a group: best fit is a group it fits in, not the rest of
	# the first one plus the next.
	why=$base_why
	naive=$(in_order_pick $((size - 1)) "$part")
	check_eq "the in-order pick of $((size - 1)) more CPUs ($naive) straddles L3 groups" \
		"$(straddles "$naive")" yes
	excl_start llc-less $((size - 1))
	check_one_group "exclusive, $((size - 1)) CPUs (less than a group) beside it" llc-less $((size - 1))
	stop nr llc-less

	# A group's worth: a whole free group.
	why=$base_why
	naive=$(in_order_pick "$size" "$part")
	check_eq "the in-order pick of $size CPUs ($naive) straddles L3 groups" "$(straddles "$naive")" yes
	excl_start llc-whole "$size"
	check_one_group "exclusive, $size CPUs (a group's worth) beside it" llc-whole "$size"
	check_eq "exclusive, $size CPUs: a whole L3 group" "$cpus" "$(l3_of "$(list_expand "$cpus" | head -n1)")"
	check_eq "status --json counts each L3 group's exclusive CPUs ($part and $cpus)" \
		"$(NUMA_RUNTIME_CONFIG=$NR_CONF "$NR" status --json 2>&1 |
			jq -r '[.nodes[] | select(.node == 0) | .llc_groups[] | .cpus_exclusive] | join(",")' 2>&1)" \
		"$(held_per_group "$(list_union "$part" "$cpus")")"
	stop nr llc-whole
	stop nr llc-part
}
