#!/usr/bin/env bats
# numa-runtime under containerd's runc.v2 shim, driven with ctr.
#
# Each file starts a private containerd (see lib.bash); numa-runtime finds its
# config (and so its ledger) through NUMA_RUNTIME_CONFIG in containerd's
# environment.  Run: bats tests/containerd/10-ctr.bats

load lib

NS=numa-ctr

setup_file() {
  check_containerd_prereqs
  [[ -n "$NUMA_TEST_SKIP" ]] && return 0
  start_containerd
  import_busybox_image "$NS"
}

setup() {
  skip_if_unavailable
}

teardown_file() {
  stop_containerd
}

teardown() {
  # Whatever a test left running or registered.
  if [[ -n "${CTD_SOCK:-}" && -S "$CTD_SOCK" ]]; then
    dump_debug_on_failure
    remove_all_containers "$NS"
  fi
  return 0
}

# The probe every container runs: the node it was told, and what the kernel
# lets it use.
# shellcheck disable=SC2016 # expanded inside the container
PROBE='echo "NUMA_NODE=${NUMA_NODE:-}"; grep -E "^(Cpus|Mems)_allowed_list" /proc/self/status'

# check_placement OUTPUT: NUMA_NODE names a host node whose CPUs and memory
# are exactly what the container may use.
check_placement() {
  local out=$1 node cpus mems nnodes
  node=$(sed -n 's/^NUMA_NODE=//p' <<< "$out" | tr -d '\r')
  cpus=$(awk '/^Cpus_allowed_list:/ { print $2 }' <<< "$out")
  mems=$(awk '/^Mems_allowed_list:/ { print $2 }' <<< "$out")
  [[ "$node" =~ ^[0-9]+$ ]] || fail "NUMA_NODE not set to a node number:" "$out"
  [[ -d /sys/devices/system/node/node$node ]] || fail "NUMA_NODE=$node is not a host node"
  assert_equal "$cpus" "$(node_cpulist "$node")" "Cpus_allowed_list"
  assert_equal "$mems" "$node" "Mems_allowed_list"
  nnodes=$(host_nodes | wc -l)
  if ((nnodes == 1)); then
    assert_equal "$node" "$(host_nodes)" "NUMA_NODE on a single-node host"
  fi
}

@test "ctr run --runc-binary numa-runtime: container is put on a NUMA node" {
  local id=ctr-run-$RANDOM
  run ctr_run "$NS" "$NUMA_RUNTIME" "$id" --rm \
    "$TEST_IMAGE" "$id" sh -c "$PROBE"
  echo "$output"
  [ "$status" -eq 0 ]
  check_placement "$output"
  # --rm deleted the task, so numa-runtime delete released the entry.
  ledger_lacks "$id" || fail "ledger still holds $id:" "$(ledger_dump)"
}

@test "ctr run: the bundle's config.json and the ledger describe the placement" {
  local id=ctr-bundle-$RANDOM cfg node
  run ctr_run "$NS" "$NUMA_RUNTIME" "$id" -d \
    "$TEST_IMAGE" "$id" sh -c 'while :; do sleep 1; done'
  echo "$output"
  [ "$status" -eq 0 ]
  wait_task_status "$NS" "$id" RUNNING

  ledger_has "$id" || fail "ledger lacks $id:" "$(ledger_dump)"
  node=$(ledger_field "$id" nodes)
  [[ -n "$node" ]] || fail "ledger entry of $id has no nodes:" "$(ledger_dump)"
  assert_equal "$(ledger_field "$id" cpus)" "$(node_cpulist "$node")" "ledger cpus"

  cfg=$(bundle_config "$NS" "$id")
  assert_equal "$(jq -r '.linux.resources.cpu.cpus' "$cfg")" "$(node_cpulist "$node")" "config.json cpus"
  assert_equal "$(jq -r '.linux.resources.cpu.mems' "$cfg")" "$node" "config.json mems"
  assert_equal "$(jq -r '[.process.env[] | select(startswith("NUMA_NODE="))] | join(",")' "$cfg")" \
    "NUMA_NODE=$node" "config.json NUMA_NODE"
}

@test "ctr task kill, task delete, container rm: the ledger drops the container" {
  local id=ctr-life-$RANDOM
  run ctr_run "$NS" "$NUMA_RUNTIME" "$id" -d \
    "$TEST_IMAGE" "$id" sh -c 'while :; do sleep 1; done'
  echo "$output"
  [ "$status" -eq 0 ]
  wait_task_status "$NS" "$id" RUNNING
  ledger_has "$id" || fail "ledger lacks $id while it runs:" "$(ledger_dump)"

  run ctrc -n "$NS" tasks kill -s SIGKILL "$id"
  [ "$status" -eq 0 ]
  wait_task_status "$NS" "$id" STOPPED

  run ctrc -n "$NS" tasks delete "$id"
  echo "$output"
  [ "$status" -eq 0 ]
  ledger_lacks "$id" || fail "ledger still holds $id after task delete:" "$(ledger_dump)"

  run ctrc -n "$NS" containers rm "$id"
  echo "$output"
  [ "$status" -eq 0 ]
  ledger_lacks "$id" || fail "ledger holds $id after container rm:" "$(ledger_dump)"
  [[ -z "$(ctrc -n "$NS" containers ls -q)" ]]
}

@test "containers created at the same time are all recorded, then all released" {
  local ids=() id pids=() pid n=3 i
  for ((i = 0; i < n; i++)); do
    id=ctr-par-$i-$RANDOM
    ids+=("$id")
    ctr_run "$NS" "$NUMA_RUNTIME" "$id" -d "$TEST_IMAGE" "$id" \
      sh -c 'while :; do sleep 1; done' > "$CTD_TMP/$id.out" 2>&1 &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do
    wait "$pid" || fail "a concurrent ctr run failed:" "$(cat "$CTD_TMP"/ctr-par-*.out)"
  done
  for id in "${ids[@]}"; do
    wait_task_status "$NS" "$id" RUNNING
    ledger_has "$id" || fail "ledger lacks $id:" "$(ledger_dump)"
  done
  for id in "${ids[@]}"; do
    ctrc -n "$NS" tasks kill -s SIGKILL "$id"
  done
  for id in "${ids[@]}"; do
    wait_task_status "$NS" "$id" STOPPED
    ctrc -n "$NS" tasks delete "$id"
    ctrc -n "$NS" containers rm "$id"
  done
  for id in "${ids[@]}"; do
    ledger_lacks "$id" || fail "ledger still holds $id:" "$(ledger_dump)"
  done
}

@test "ctr run without numa-runtime (plain runc.v2) is not placed and not recorded" {
  # ctr cannot name a CRI runtime handler: `--runtime` takes a shim
  # (io.containerd.runc.v2), and the handler's BinaryName applies to CRI
  # only (20-cri.bats).  This is the control: the same shim with plain runc.
  local id=ctr-plain-$RANDOM before
  before=$(ledger_ids | sort)
  run ctr_run "$NS" "$REAL_RUNTIME" "$id" --rm \
    "$TEST_IMAGE" "$id" sh -c "$PROBE"
  echo "$output"
  [ "$status" -eq 0 ]
  assert_contains "$output" "NUMA_NODE="$'\n'
  assert_equal "$(ledger_ids | sort)" "$before" "ledger ids"
}

@test "a refused create shows numa-runtime's error in ctr's output" {
  # Same binary, but with a config whose [runtime] path does not exist.
  local id=ctr-refused-$RANDOM before
  before=$(ledger_ids | sort)

  run ctr_run "$NS" "$NUMA_REFUSING" "$id" --rm \
    "$TEST_IMAGE" "$id" sh -c "$PROBE"
  echo "$output"
  ((status != 0)) || fail "ctr run with a refusing numa-runtime succeeded"
  # The shim reports the last error line numa-runtime wrote to --log.
  assert_refusal_reported "$output"
  [[ "$output" != *NUMA_NODE=* ]] || fail "the container ran"
  assert_equal "$(ledger_ids | sort)" "$before" "ledger ids"
}

@test "stopping the harness leaves no containerd, shim, mount, cgroup or directory" {
  local id=ctr-left-$RANDOM
  # Leave a running container behind on purpose.
  run ctr_run "$NS" "$NUMA_RUNTIME" "$id" -d \
    "$TEST_IMAGE" "$id" sh -c 'while :; do sleep 1; done'
  [ "$status" -eq 0 ]
  wait_task_status "$NS" "$id" RUNNING
  stop_containerd
  assert_nothing_left
}
