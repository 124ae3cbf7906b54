# shellcheck shell=bash
# The topology view (issue 20 §4) over CRI: a pod annotated
# numa-runtime.io/topology-view: container.  Inside, the guest's own
# `numactl --hardware` (run with the guest's loader and libraries,
# bind-mounted read-only: the image is busybox) shows only the container's
# node, its CPUs and its size from the live meminfo, and the distance 10;
# /t/pin-cpus pins a thread to each CPU the view lists and every pin
# takes.  The generated tree is under /run/numa-runtime/topology-views
# while the container runs and gone once the pod is removed.
VIEWS=${LEDGER%/*}/topology-views
pod_out topoview
ldso=$(readlink -f /lib64/ld-linux-x86-64.so.2)
numactl_bin=$(readlink -f "$(command -v numactl)")
host_mounts=$(jq -cn --arg lib "${ldso%/*}" --arg n "$numactl_bin" \
	'[{host: $lib, container: "/hostlib", readonly: true}, {host: $n, container: "/hostbin/numactl", readonly: true}]')
probe='/hostlib/'"${ldso##*/}"' --library-path /hostlib /hostbin/numactl --hardware >/out/numactl.txt 2>&1
/t/pin-cpus >/out/pin.txt 2>&1; echo "exit $?" >>/out/pin.txt
ls /sys/devices/system/node | tr "\n" " " >/out/ls.txt
'
spec=$(pod_spec topoview burstable '{"numa-runtime.io/topology-view":"container"}' \
	"$(container_json view "$probe" '' "$host_mounts")")
check "a pod annotated topology-view: container starts" pod_up "$spec" || return 0
view=$(pod_ctr view)
home=$(ledger_node "$view")

# expand LIST: "0-2,5" as "0 1 2 5", as numactl prints a node's CPUs.
expand() {
	tr ',' '\n' <<<"$1" | awk -F- '{ for (i = $1; i <= ($2 == "" ? $1 : $2); i++) printf "%s%d", (n++ ? " " : ""), i }'
}

numactl_inside() {
	local cpus out
	cpus=$(result view Cpus_allowed_list) || return
	wait_for 60 test -s "$POD_OUT/numactl.txt" || fail "no numactl output" || return
	out=$(cat "$POD_OUT/numactl.txt")
	echo "$out"
	echo "ls /sys/devices/system/node: $(cat "$POD_OUT/ls.txt")"
	expect_eq "$(grep '^available:' <<<"$out")" "available: 1 nodes ($home)" "numactl's available line" || return
	expect_eq "$(grep -c '^node [0-9]* cpus:' <<<"$out")" 1 "nodes with a cpus line" || return
	expect_eq "$(grep '^node [0-9]* cpus:' <<<"$out")" "node $home cpus: $(expand "$cpus")" "its CPUs" || return
	expect_eq "$(sed -n "s/^node $home size: \([0-9]*\) MB$/\1/p" <<<"$out")" "$(node_mib "$home" MemTotal)" \
		"its size (the live meminfo)" || return
	grep -Eq "^ *$home: +10 *$" <<<"$out" || fail "no distance row '$home: 10'" || return
	[ -f "$VIEWS/$view/node/online" ] || fail "no tree at $VIEWS/$view"
}
check "inside, numactl --hardware shows only its node, its CPUs, its live size, distance 10" numactl_inside

pins_take() {
	wait_for 60 grep -q '^exit' "$POD_OUT/pin.txt" || fail "pin-cpus did not finish" || return
	cat "$POD_OUT/pin.txt"
	expect_eq "$(tail -n 1 "$POD_OUT/pin.txt")" "exit 0" "pin-cpus' exit status" || return
	grep -q "^pinned [1-9][0-9]* threads: node $home cpu " "$POD_OUT/pin.txt" || fail "pin-cpus pinned nothing on node $home"
}
check "a thread pinned to each CPU the view lists: every pin takes" pins_take

view_removed() {
	pod_down || return
	[ ! -e "$VIEWS/$view" ] || fail "the tree of $view is still there" "$(find "$VIEWS" | head)"
}
check "the pod is removed, and its view with it" view_removed
