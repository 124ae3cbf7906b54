# shellcheck shell=bash
# Two Guaranteed pods asking for one exclusive CPU each
# (numa-runtime.io/cpu-allocation=exclusive, a limit of one whole CPU) get
# disjoint cpusets, inside and in their scopes.
one_cpu='{"cpu_period":100000,"cpu_quota":100000,"cpu_shares":1024,"memory_limit_in_bytes":134217728}'
ann='{"numa-runtime.io/cpu-allocation":"exclusive"}'
pods=()
for p in excl-a excl-b; do
	pod_out "$p"
	check "Guaranteed pod $p with one exclusive CPU starts" \
		pod_up "$(pod_spec "$p" guaranteed "$ann" "$(container_json "$p" '' "$one_cpu")")" && pods+=("$POD")
done

disjoint() {
	[ "${#pods[@]}" = 2 ] || fail "only ${#pods[@]} of the 2 pods started" || return
	local p name id inside scope all=()
	for p in "${pods[@]}"; do
		name=$(jq -r '.containers | keys[0]' <<<"$p")
		id=$(pod_ctr "$name" "$p")
		POD_OUT=$OUT_ROOT/$RT-$name
		inside=$(result "$name" Cpus_allowed_list)
		scope=$(cat "$(cgroup_dir "$id")/cpuset.cpus.effective")
		expect_eq "$scope" "$inside" "$name: scope cpuset.cpus.effective vs inside" || return
		case $(cgroup_dir "$id") in
		*/kubepods.slice/kubepods-pod*.slice/*) ;;
		*) fail "$name: cgroup $(cgroup_dir "$id") is not under kubepods-pod<uid>.slice" || return ;;
		esac
		[[ $inside =~ ^[0-9]+$ ]] || fail "$name: cpuset '$inside' is not one CPU" || return
		echo "$name: cpu $inside"
		all+=("$inside")
	done
	[ "${all[0]}" != "${all[1]}" ] || fail "both pods got CPU ${all[0]}"
}
check "the two exclusive cpusets are single CPUs and disjoint" disjoint
for p in "${pods[@]}"; do
	check "pod $(jq -r '.containers | keys[0]' <<<"$p") is removed" pod_down "$p"
done
