# shellcheck shell=bash
# containerd restarted through systemd while pods run: the ledger is
# unchanged and later deletes still release the entries.  A pod whose shim
# is SIGKILLed: its entries are reclaimed.
pod_out rst
check "a pod runs before the restart" pod_up "$(pod_spec rst burstable '{}' "$(container_json rst)")" || return 0
rst_pod=$POD

restart_keeps_ledger() {
	local before after
	before=$(ledger_doc | jq -S '.containers')
	systemctl restart containerd || return
	wait_for 120 cri_ready || fail "containerd's CRI does not answer after the restart" || return
	after=$(ledger_doc | jq -S '.containers')
	[ "$before" = "$after" ] || fail "the ledger changed across the restart:" "$before" "$after"
}
check "systemctl restart containerd leaves the ledger unchanged" restart_keeps_ledger

delete_after_restart() {
	local ids
	ids="$(pod_sandbox "$rst_pod") $(pod_ctr rst "$rst_pod")"
	pod_down "$rst_pod" || return
	for id in $ids; do
		ledger_lacks "$id" || fail "ledger still holds $id after the delete" || return
	done
}
check "removing the pod after the restart releases its entries" delete_after_restart

pod_out kill
check "a pod whose shim will be killed starts" pod_up "$(pod_spec kill burstable '{}' "$(container_json kill)")" || return 0
kill_pod=$POD

shim_killed() {
	local sid shim id root=/run/containerd/runc/k8s.io
	sid=$(pod_sandbox "$kill_pod")
	id=$(pod_ctr kill "$kill_pod")
	ledger_has "$id" || fail "$id not in the ledger before the kill" || return
	shim=$(shim_pid "$sid") || fail "no shim for $sid" || return
	kill -KILL "$shim"
	echo "killed shim $shim of pod $sid (container $id)"
	# What kubelet does next: the sandbox is no longer ready, so it stops
	# and removes the pod.  containerd cleans up the dead shim's own task
	# (the sandbox: numa-runtime delete runs); the pod's other containers
	# are left running with their runtime state, their process outside any
	# shim (containerd 2.1 with one shim per pod).
	# containerd refuses RemoveContainer ("still running") until it has
	# taken in the shim's death, which takes from nothing to seconds: kubelet
	# retries its teardown, and so do we (up to 90 s).  From the 10th
	# attempt on, the container left running without a shim is removed with
	# the plain runtime, as a node cleanup would.
	local try=0
	until cri down "$sid" >"$OUT_ROOT/down.out" 2>&1; do
		try=$((try + 1))
		[ "$try" -lt 90 ] || {
			cat "$OUT_ROOT/down.out"
			fail "the pod of the killed shim could not be removed in 90 attempts"
			return
		}
		if [ "$try" -ge 10 ] && [ -d "$root/$id" ]; then
			echo "containerd left container $id behind; removing it with plain $RT, as a node cleanup would"
			"$RT" --root "$root" --systemd-cgroup delete --force "$id" || true
		fi
		sleep 1
	done
	echo "the pod was removed after $try failed attempt(s)"
	if [ -d "$root/$id" ]; then
		echo "containerd left container $id behind; removing it with plain $RT, as a node cleanup would"
		"$RT" --root "$root" --systemd-cgroup delete --force "$id" || return
	fi
	# The entry's process and runtime state are gone without numa-runtime's
	# delete: the next create reclaims it.
	pod_out kill-next
	pod_up "$(pod_spec kill-next burstable '{}' "$(container_json kill-next)")" || return
	pod_down || return
	ledger_lacks "$sid" || fail "ledger still holds the sandbox $sid after its shim was killed" || return
	ledger_lacks "$id" || fail "ledger still holds $id after its shim was killed" "$(ledger_doc | jq -c '.containers[]')"
}
check "a shim killed with SIGKILL: the sandbox entry released, the container entry reclaimed" shim_killed
