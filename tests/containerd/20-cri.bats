#!/usr/bin/env bats
# numa-runtime as a Kubernetes runtime handler: containerd's CRI service is
# driven like kubelet would (cri/cri-pod.js over gRPC), with the handler
# registered from contrib/containerd/config-v2.toml.
# Run: bats tests/containerd/20-cri.bats   (needs node >= 18 and npm)

load lib

CRI_NS=k8s.io # containerd's namespace for everything CRI creates
CRI_DIR="$CTD_TESTS_DIR/cri"

setup_file() {
  check_containerd_prereqs
  [[ -n "$NUMA_TEST_SKIP" ]] && return 0
  if ! command -v node > /dev/null || ! command -v npm > /dev/null; then
    NUMA_TEST_SKIP="node and npm are needed for the CRI client"
  elif (($(node -p 'process.versions.node.split(".")[0]') < 18)); then
    NUMA_TEST_SKIP="node >= 18 is needed for the CRI client"
  elif ! (cd "$CRI_DIR" && npm ci --no-audit --no-fund --loglevel=error) > "${TMPDIR:-/tmp}/numa-cri-npm.log" 2>&1; then
    NUMA_TEST_SKIP="npm ci failed (npm registry unreachable?): $(tail -n 3 "${TMPDIR:-/tmp}/numa-cri-npm.log" | tr '\n' ' ')"
  fi
  rm -f "${TMPDIR:-/tmp}/numa-cri-npm.log"
  if [[ -n "$NUMA_TEST_SKIP" ]]; then
    [[ "${NUMA_TEST_STRICT:-0}" == 1 ]] && fail "NUMA_TEST_STRICT=1 and: $NUMA_TEST_SKIP"
    return 0
  fi
  start_containerd
  import_busybox_image "$CRI_NS"
}

teardown_file() {
  stop_containerd
}

setup() {
  skip_if_unavailable
  POD_OUT=$CTD_TMP/pod-$BATS_TEST_NUMBER
}

teardown() {
  if [[ -n "${CTD_SOCK:-}" && -S "$CTD_SOCK" ]]; then
    dump_debug_on_failure
    cri down-all > /dev/null 2>&1 || true
    remove_all_containers "$CRI_NS"
  fi
  return 0
}

# cri COMMAND [OPTIONS]: the CRI client against the private containerd.
cri() {
  node "$CRI_DIR/cri-pod.js" "$1" --socket "$CTD_SOCK" "${@:2}"
}

# pod_up HANDLER [OPTIONS]: start the probe pod; its JSON answer is in $POD.
pod_up() {
  local handler=$1
  cri up --handler "$handler" --image "$TEST_IMAGE" --out "$POD_OUT/out" \
    --log-dir "$POD_OUT/logs" --cgroup-parent "/$CTD_CGROUP" \
    --annotation numa-runtime.io/test=yes --annotation other.example.com/ignored=1 \
    "${@:2}" > "$POD_OUT.json" 2> "$POD_OUT.err"
  local rc=$?
  cat "$POD_OUT.err" >&2
  POD=$(cat "$POD_OUT.json")
  return $rc
}

pod_field() {
  jq -r "$1" <<< "$POD"
}

@test "CRI pod on handler numa: sandbox and container are placed on one node" {
  local sandbox container node
  mkdir -p "$POD_OUT"
  pod_up numa
  echo "$POD"
  sandbox=$(pod_field .sandbox_id)
  container=$(pod_field .container_id)

  # What the container saw.
  node=$(pod_field .result.NUMA_NODE)
  [[ "$node" =~ ^[0-9]+$ ]] || fail "NUMA_NODE not set to a node number: $POD"
  assert_equal "$(pod_field .result.Cpus_allowed_list)" "$(node_cpulist "$node")" "Cpus_allowed_list"
  assert_equal "$(pod_field .result.Mems_allowed_list)" "$node" "Mems_allowed_list"

  # The ledger, while the pod lives: both the sandbox and the app container,
  # on the same node.
  ledger_dump
  ledger_has "$sandbox" || fail "ledger lacks the sandbox $sandbox"
  ledger_has "$container" || fail "ledger lacks the container $container"
  assert_equal "$(ledger_field "$sandbox" nodes)" "$node" "sandbox's ledger node"
  assert_equal "$(ledger_field "$container" nodes)" "$node" "container's ledger node"

  run cri down --sandbox "$sandbox"
  echo "$output"
  [ "$status" -eq 0 ]
  ledger_lacks "$sandbox" || fail "ledger still holds the sandbox"
  ledger_lacks "$container" || fail "ledger still holds the container"
}

@test "CRI: the pod annotation reaches the config.json numa-runtime edits" {
  local sandbox container id cfg node
  mkdir -p "$POD_OUT"
  pod_up numa
  sandbox=$(pod_field .sandbox_id)
  container=$(pod_field .container_id)
  node=$(pod_field .result.NUMA_NODE)
  [[ "$node" =~ ^[0-9]+$ ]] || fail "NUMA_NODE not set to a node number: $POD"

  for id in "$sandbox" "$container"; do
    cfg=$(bundle_config "$CRI_NS" "$id")
    [[ -f "$cfg" ]] || fail "no bundle config for $id: $cfg"
    assert_equal "$(jq -r '.annotations["numa-runtime.io/test"] // "missing"' "$cfg")" yes \
      "numa-runtime.io/test in $id's config.json"
    # Only annotations matching pod_annotations are passed through.
    assert_equal "$(jq -r '.annotations["other.example.com/ignored"] // "absent"' "$cfg")" absent \
      "other.example.com/ignored in $id's config.json"
    assert_equal "$(jq -r '.linux.resources.cpu.cpus' "$cfg")" "$(node_cpulist "$node")" "$id cpus"
    assert_equal "$(jq -r '.linux.resources.cpu.mems' "$cfg")" "$node" "$id mems"
  done
  assert_equal "$(jq -r '.annotations["io.kubernetes.cri.container-type"]' "$(bundle_config "$CRI_NS" "$sandbox")")" \
    sandbox "sandbox's container-type"
  # The app container keeps its own CFS limits next to the cpuset.
  assert_equal "$(jq -r '.linux.resources.cpu.quota' "$(bundle_config "$CRI_NS" "$container")")" \
    100000 "container's cpu quota"
  assert_equal "$(jq -r '.linux.resources.memory.limit' "$(bundle_config "$CRI_NS" "$container")")" \
    67108864 "container's memory limit"
}

@test "CRI: a whole pod lifecycle leaves the ledger empty" {
  mkdir -p "$POD_OUT"
  run cri run --handler numa --image "$TEST_IMAGE" --out "$POD_OUT/out" \
    --cgroup-parent "/$CTD_CGROUP" --annotation numa-runtime.io/test=yes
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$(jq -r .result.NUMA_NODE <<< "$output")" =~ ^[0-9]+$ ]] || fail "pod was not placed"
  [[ -z "$(ledger_ids)" ]] || fail "ledger not empty after the pod:" "$(ledger_dump)"
}

@test "CRI: a pod on the default handler does not go through numa-runtime" {
  local before
  mkdir -p "$POD_OUT"
  before=$(ledger_ids | sort)
  pod_up runc
  echo "$POD"
  assert_equal "$(pod_field .result.NUMA_NODE)" "" "NUMA_NODE"
  assert_equal "$(ledger_ids | sort)" "$before" "ledger ids"
}

@test "CRI: a refused create fails RunPodSandbox with numa-runtime's message" {
  local before
  mkdir -p "$POD_OUT"
  before=$(ledger_ids | sort)
  run pod_up numa-refuse
  echo "$output"
  ((status != 0)) || fail "RunPodSandbox on numa-refuse succeeded"
  # What kubelet would show in the pod's events.
  assert_refusal_reported "$output"
  assert_equal "$(ledger_ids | sort)" "$before" "ledger ids"
}

@test "CRI: stopping the harness leaves no containerd, shim, mount, cgroup or directory" {
  mkdir -p "$POD_OUT"
  # Leave a running pod behind on purpose.
  pod_up numa
  stop_containerd
  assert_nothing_left
}
