# shellcheck shell=bash
# The memory policy goes through the runtime when it can: with crun (its
# `features` lists linux.memoryPolicy) config.json carries
# linux.memoryPolicy and numa-runtime makes no set_mempolicy call; with runc
# 1.3 (no memoryPolicy in `features`) numa-runtime calls set_mempolicy just
# before exec'ing runc.  Never both.  Inside, the container's policy is
# MPOL_BIND on its node either way.  numa-runtime's calls are watched with
# strace on the pod's shim (one shim per pod: the container's create is a
# child of the shim that already runs the sandbox).
pod_out mpol
spec=$(pod_spec mpol burstable '{}' "$(container_json mp)")
sandbox_only=$(jq -c '.containers = []' <<<"$spec")
check "the sandbox of a pod starts" pod_up "$sandbox_only" || return 0
sid=$(pod_sandbox)
trace=$OUT_ROOT/$RT-mpol.strace

features_say() {
	local listed
	listed=$("$RT" features | jq -r '.linux.memoryPolicy // empty | length > 0')
	case $RT in
	crun) expect_eq "$listed" true "crun features lists linux.memoryPolicy" ;;
	runc) expect_eq "$listed" "" "runc 1.3 features lists no linux.memoryPolicy" ;;
	esac
}
check "$RT features: memoryPolicy $([ "$RT" = crun ] && echo listed || echo absent)" features_say

traced_start() {
	local shim args=() t rc=0 strace_pid
	shim=$(shim_pid "$sid") || fail "no shim for pod $sid" || return
	for t in /proc/"$shim"/task/*; do args+=(-p "${t##*/}"); done
	strace -f -qq -s 256 -e trace=execve,set_mempolicy -o "$trace" "${args[@]}" \
		</dev/null >/dev/null 2>"$OUT_ROOT/strace.err" &
	strace_pid=$!
	sleep 2
	cri add "$sid" "$spec" >"$OUT_ROOT/mpol.json" || rc=$?
	kill "$strace_pid"
	wait "$strace_pid" 2>/dev/null
	[ "$rc" = 0 ] || return "$rc"
	POD=$(jq -c --arg s "$sid" '{sandbox_id: $s, containers: .containers}' "$OUT_ROOT/mpol.json")
	result mp NUMA_NODE >/dev/null
}
check "a container started in it with strace on the pod's shim" traced_start || { cri down "$sid"; return 0; }
mp=$(pod_ctr mp)

# nr_calls: in the process that exec'd numa-runtime for `create ... $mp`,
# the set_mempolicy calls made before it exec'd the real runtime.
nr_calls() {
	awk -v id="$mp" '
		!pid && /execve\("\/usr\/local\/bin\/numa-runtime"/ && /"create"/ && index($0, "\"" id "\"") { pid = $1; next }
		pid && $1 == pid && /set_mempolicy\(/ { print }
		pid && $1 == pid && /execve\(/ { exit }' "$trace"
}

via_runtime() {
	local mpol calls n
	n=$(result mp NUMA_NODE)
	mpol=$(jq -c '.linux.memoryPolicy // empty' "$(bundle_config "$mp")")
	grep -q "execve(\"/usr/local/bin/numa-runtime\".*\"create\".*$mp" "$trace" ||
		fail "strace saw no numa-runtime create for $mp" "$(grep execve "$trace" | head -n 20)" || return
	calls=$(nr_calls)
	case $RT in
	crun)
		expect_eq "$mpol" "{\"mode\":\"MPOL_BIND\",\"nodes\":\"$n\"}" "linux.memoryPolicy in config.json" || return
		[ -z "$calls" ] || fail "numa-runtime called set_mempolicy although crun applies the policy:" "$calls"
		;;
	*)
		[ -z "$mpol" ] || fail "config.json carries linux.memoryPolicy $mpol for runc 1.3, which ignores it" || return
		grep -q "set_mempolicy(MPOL_BIND|MPOL_F_STATIC_NODES, " <<<"$calls" ||
			fail "numa-runtime made no set_mempolicy(MPOL_BIND, node $n) before exec'ing runc:" "${calls:-none}" \
				"$(grep -E "^[0-9]+ +(execve|set_mempolicy)" "$trace" | head -n 30)"
		;;
	esac
}
check "$([ "$RT" = crun ] && echo "config.json carries linux.memoryPolicy, numa-runtime makes no set_mempolicy" ||
	echo "no linux.memoryPolicy in config.json, numa-runtime calls set_mempolicy before exec'ing runc")" via_runtime

inside_policy() {
	local n
	n=$(result mp NUMA_NODE)
	result mp mempolicy | grep -Eq "^mode=MPOL_BIND flags=[^ ]+ nodes=$n\$" ||
		fail "policy inside: $(result mp mempolicy), expected MPOL_BIND on node $n"
	result mp mempolicy
}
check "inside, get_mempolicy says MPOL_BIND on the container's node" inside_policy
check "the pod is removed" pod_down
