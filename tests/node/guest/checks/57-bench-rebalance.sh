# shellcheck shell=bash
# A benchmark, not a check: it runs only when NUMA_NODE_CHECKS names it
# (`make bench-rebalance`), never in a whole-suite run.  A container
# touches 256 MiB on its node (not the issue's 1 GiB: a CPU node here holds
# 768 MiB and the guest uses about 300 of them); its scope's cpuset.mems is
# widened to the other CPU node and numactl's migratepages moves the pages
# there (timed: the kernel's own rate on this VM, the baseline); then
# `numa-runtime rebalance` brings them home (timed: its rate, runc's or
# crun's update of the cpuset included).  Under TCG only the ratio of the
# two rates means anything.
case " $NUMA_NODE_CHECKS " in
*" 57-"*) ;;
*) return 0 ;;
esac
NR_BIN=${NR_BIN:-/usr/local/bin/numa-runtime}
mib=256
pod_out rebalbench
res=$(jq -cn --argjson m $(((mib + 128) * 1048576)) \
	'{cpu_period: 100000, cpu_quota: 100000, cpu_shares: 512, memory_limit_in_bytes: $m}')
spec=$(pod_spec rebalbench burstable '{}' "$(container_json mem "/t/touch-mem $mib > /out/touch.txt 2>&1 &" "$res")")
check "a pod holding $mib MiB starts" pod_up "$spec" || return 0
mem=$(pod_ctr mem)
home=$(ledger_node "$mem")
away=$((1 - home))

on_node() { # NODE: bytes of mem's entry on NODE in status --json
	"$NR_BIN" status --json | jq --arg id "$mem" --arg n "$1" '.containers[] | select(.id == $id) | .memory_by_node[$n] // 0'
}
rate() { # BYTES T0 T1
	awk -v b="$1" -v a="$2" -v z="$3" 'BEGIN { printf "%.0f MiB in %.2f s: %.1f MiB/s", b / 1048576, z - a, b / 1048576 / (z - a) }'
}

bench() {
	local dir pids m0 m1 r0 r1 out moved away_bytes
	wait_for 600 grep -q ready "$POD_OUT/touch.txt" || fail "touch-mem not ready" "$(cat "$POD_OUT/touch.txt")" || return
	dir=$(cgroup_dir "$mem")
	echo "$home,$away" >"$dir/cpuset.mems" || fail "cannot widen $dir/cpuset.mems" || return
	pids=$(find "$dir" -name cgroup.procs -exec cat {} + | sort -u)
	m0=$(date +%s.%N)
	for pid in $pids; do migratepages "$pid" "$home" "$away" || true; done
	m1=$(date +%s.%N)
	wait_for 30 awk -v b="$(on_node "$away")" -v m="$mib" 'BEGIN { exit !(b >= m * 1048576 * 0.9) }' ||
		fail "migratepages left most pages home: $(on_node "$away") bytes on node $away" || return
	away_bytes=$(on_node "$away")
	r0=$(date +%s.%N)
	out=$("$NR_BIN" rebalance "$mem") || fail "rebalance failed: $out" || return
	r1=$(date +%s.%N)
	echo "rebalance: $out"
	moved=$(sed -n 's/.*moved \([0-9]*\) bytes.*/\1/p' <<<"$out")
	[ "${moved:-0}" -gt 0 ] || fail "rebalance moved nothing" || return
	tap "# bench: [$RT] numactl migratepages (baseline): $(rate "$away_bytes" "$m0" "$m1")"
	tap "# bench: [$RT] numa-runtime rebalance: $(rate "$moved" "$r0" "$r1")"
}
check "rebalance of $mib MiB timed against migratepages" bench
check "the bench pod is removed" pod_down
