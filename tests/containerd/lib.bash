# shellcheck shell=bash
# Helpers for the containerd and CRI integration tests of numa-runtime.
#
# Each test file runs its own containerd with root, state, sockets, runc
# state and the numa-runtime ledger under one `mktemp -d` directory; the
# system containerd (/run/containerd, /var/lib/containerd) is never used.
# Everything a test file creates is removed by stop_containerd, also after a
# failure: tasks, shims, mounts, cgroups, the temporary directory.
#
# Environment (all optional):
#   NUMA_RUNTIME   numa-runtime binary under test (default <repo>/src/numa-runtime)
#   REAL_RUNTIME   runtime numa-runtime execs (default: runc on PATH)
#   BUSYBOX        statically linked busybox used to build the test image
#   CONTAINERD     containerd binary (default: containerd on PATH)
#   CTR            ctr binary (default: ctr on PATH)
#   NUMA_TEST_KEEP=1  keep the temporary directory (containerd is still stopped)

CTD_TESTS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$CTD_TESTS_DIR/../.." && pwd)"
NUMA_RUNTIME="${NUMA_RUNTIME:-$REPO_ROOT/src/numa-runtime}"
REAL_RUNTIME="${REAL_RUNTIME:-$(command -v runc || true)}"
BUSYBOX="${BUSYBOX:-$(command -v busybox || true)}"
CONTAINERD="${CONTAINERD:-$(command -v containerd || true)}"
CTR="${CTR:-$(command -v ctr || true)}"
export NUMA_RUNTIME REAL_RUNTIME BUSYBOX CONTAINERD CTR

# Image names as containerd's CRI normalises them.
TEST_IMAGE="docker.io/numa-test/busybox:latest"
PAUSE_IMAGE="docker.io/numa-test/pause:latest"
export TEST_IMAGE PAUSE_IMAGE

# fail, nr_skip (the strict skip), require_root, ledger_doc, busybox_rootfs
# and busybox_missing_reason come from the one test library.
# shellcheck source=tests/lib/common.sh
. "$CTD_TESTS_DIR/../lib/common.sh"

# --- small assertions (print what differed, then fail) ---------------------

assert_contains() { # haystack needle [what]
  [[ "$1" == *"$2"* ]] || fail "${3:-output} does not contain '$2':" "$1"
}

# --- prerequisites ---------------------------------------------------------

# Prints why containerd tests cannot run here, or nothing if they can.
containerd_missing_reason() {
  [[ $(id -u) == 0 ]] || { echo "needs root"; return; }
  [[ -x "$CONTAINERD" ]] || { echo "containerd not found"; return; }
  [[ -x "$CTR" ]] || { echo "ctr not found"; return; }
  command -v containerd-shim-runc-v2 > /dev/null || { echo "containerd-shim-runc-v2 not found"; return; }
  [[ -x "$REAL_RUNTIME" ]] || { echo "runc not found"; return; }
  command -v jq > /dev/null || { echo "jq not found"; return; }
  local busybox_why
  busybox_why=$(busybox_missing_reason)
  [[ -z "$busybox_why" ]] || { echo "$busybox_why"; return; }
  [[ -x "$NUMA_RUNTIME" ]] || { echo "numa-runtime not built: $NUMA_RUNTIME"; return; }
}

# bats 1.8 cannot skip from setup_file, so setup_file records the reason
# and every test's setup skips with it.  NUMA_TEST_STRICT=1 turns a missing
# prerequisite into a failure (for CI, where a skip would hide a problem).
check_containerd_prereqs() {
  NUMA_TEST_SKIP=$(containerd_missing_reason)
  export NUMA_TEST_SKIP
  if [[ -n "$NUMA_TEST_SKIP" && "${NUMA_TEST_STRICT:-0}" == 1 ]]; then
    fail "NUMA_TEST_STRICT=1 and: $NUMA_TEST_SKIP"
    return 1
  fi
}

# skip_if_unavailable: from setup(); skips with the recorded reason.
skip_if_unavailable() {
  [[ -z "${NUMA_TEST_SKIP:-}" ]] || nr_skip "$NUMA_TEST_SKIP"
}

# --- topology --------------------------------------------------------------

# node_cpulist N: the host's CPU list of NUMA node N.
node_cpulist() {
  cat "/sys/devices/system/node/node$1/cpulist"
}

# host_nodes: the host's online NUMA nodes, one per line.
host_nodes() {
  local n
  for n in /sys/devices/system/node/node[0-9]*; do
    [[ -d $n ]] && echo "${n##*node}"
  done | sort -n
}

# dump_debug_on_failure: from teardown; after a failed test, show the
# ledger and the end of containerd's log (bats prints a failed test's
# output, including teardown's stderr).
dump_debug_on_failure() {
  [[ -z "${BATS_TEST_COMPLETED:-}" ]] || return 0
  {
    echo "--- ledger $NUMA_LEDGER (index and shards):"
    ledger_dump
    echo "--- last error lines of containerd's log:"
    grep 'level=error' "$CTD_TMP/containerd.log" 2> /dev/null | grep -v 'failed to load cni' | tail -n 15
  } >&2
  return 0
}

# assert_refusal_reported OUTPUT: numa-runtime (run as $NUMA_REFUSING)
# refused by the contract -- a "numa-runtime: " line on stderr and a JSON
# error line in --log -- and OUTPUT (what the engine's user sees) holds the
# message of that JSON line.  Clears the records for the next test.
assert_refusal_reported() {
  local out=$1 msg
  [[ -s "$NUMA_REFUSED_STDERR" ]] || fail "numa-runtime printed nothing on stderr" || return 1
  grep -q '^numa-runtime: ' "$NUMA_REFUSED_STDERR" ||
    fail "no 'numa-runtime: ' line on stderr:" "$(cat "$NUMA_REFUSED_STDERR")" || return 1
  [[ -s "$NUMA_REFUSED_LOG" ]] || fail "numa-runtime wrote nothing to --log" || return 1
  msg=$(jq -rs '[.[] | select(.level == "error")] | last | .msg // empty' "$NUMA_REFUSED_LOG") ||
    fail "--log is not JSON lines:" "$(cat "$NUMA_REFUSED_LOG")" || return 1
  [[ -n "$msg" ]] || fail "no error line in --log:" "$(cat "$NUMA_REFUSED_LOG")" || return 1
  jq -es '[.[] | select(.level == "error")] | last | .time | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}")' \
    "$NUMA_REFUSED_LOG" > /dev/null || fail "error line lacks an RFC 3339 time:" "$(cat "$NUMA_REFUSED_LOG")" || return 1
  assert_contains "$out" "$msg" "the engine's error" || return 1
  rm -f "$NUMA_REFUSED_STDERR" "$NUMA_REFUSED_LOG"
}

# --- the ledger ------------------------------------------------------------

# ledger_doc (tests/lib/common.sh) reads $NUMA_LEDGER, the index, and every
# shard it lists under a shared lock: containerd may run numa-runtime at any
# moment, and a writer removes the shards it replaced right after its commit.

# ledger_dump: the ledger for a failure message (or why it cannot be read).
ledger_dump() {
  local doc
  if doc=$(ledger_doc "$NUMA_LEDGER" 2>&1); then
    jq . <<< "$doc"
  else
    echo "$doc"
  fi
}

# ledger_has ID / ledger_lacks ID: the ledger can be read and holds ID /
# does not hold it (both fail when the ledger cannot be read).
ledger_has() {
  local ids
  ids=$(ledger_ids) || return
  grep -qxF -- "$1" <<< "$ids"
}

ledger_lacks() {
  local ids
  ids=$(ledger_ids) || return
  ! grep -qxF -- "$1" <<< "$ids"
}

# bundle_config NS ID: path of the config.json the runtime was given.
bundle_config() {
  echo "$CTD_STATE/io.containerd.runtime.v2.task/$1/$2/config.json"
}

# --- numa-runtime's config -------------------------------------------------

# write_numa_config FILE [RUNTIME_PATH]: a numa-runtime config whose ledger
# lives in the test's temporary directory.
write_numa_config() {
  local file=$1 runtime=${2:-$REAL_RUNTIME}
  cat > "$file" << EOF
# numa-runtime config written by tests/containerd/lib.bash
[runtime]
path = $runtime

[ledger]
path = $NUMA_LEDGER

[topology]
sysfs_root = /sys

[placement]
policy = best-effort
EOF
}

# --- containerd ------------------------------------------------------------

# Replace `key = ...` inside one [table] of a TOML file.  The table header
# must be matched exactly; only the first matching key is changed.
toml_set() { # file table key value(TOML literal)
  local file=$1 table=$2 key=$3 value=$4
  awk -v table="[$table]" -v key="$key" -v value="$value" '
    /^[[:space:]]*\[/ { hdr = $0; gsub(/^[[:space:]]+|[[:space:]]+$/, "", hdr); in_table = (hdr == table) }
    (table == "[]" && !seen_table || in_table) && !done {
      if (match($0, "^[[:space:]]*" key "[[:space:]]*=")) {
        indent = $0; sub(/[^[:space:]].*$/, "", indent)
        print indent key " = " value; done = 1; next
      }
    }
    /^[[:space:]]*\[/ { seen_table = 1 }
    { print }
    END { if (!done) { print "toml_set: " key " not found in " table > "/dev/stderr"; exit 1 } }
  ' "$file" > "$file.new" && mv "$file.new" "$file"
}

# write_containerd_config FILE: `containerd config default` with every path
# moved under $CTD_TMP, the numa handler from contrib/ merged in with
# BinaryName pointing at $NUMA_RUNTIME, a local sandbox image and no CNI.
write_containerd_config() {
  local file=$1 cri='plugins."io.containerd.grpc.v1.cri"'
  "$CONTAINERD" config default > "$file" || return 1
  toml_set "$file" "" root "\"$CTD_ROOT\""
  toml_set "$file" "" state "\"$CTD_STATE\""
  toml_set "$file" grpc address "\"$CTD_SOCK\""
  toml_set "$file" ttrpc address "\"$CTD_TMP/containerd.sock.ttrpc\""
  toml_set "$file" debug address '""'
  toml_set "$file" metrics address '""'
  toml_set "$file" 'plugins."io.containerd.internal.v1.opt"' path "\"$CTD_TMP/opt\""
  toml_set "$file" "$cri" sandbox_image "\"$PAUSE_IMAGE\""
  # runc cannot set a negative oom_score_adj without CAP_SYS_RESOURCE.
  toml_set "$file" "$cri" restrict_oom_score_adj true
  # Only host-network pods are run: point CNI at empty directories.
  toml_set "$file" "$cri.cni" bin_dir "\"$CTD_TMP/cni/bin\""
  toml_set "$file" "$cri.cni" conf_dir "\"$CTD_TMP/cni/conf\""
  mkdir -p "$CTD_TMP/cni/bin" "$CTD_TMP/cni/conf" "$CTD_TMP/opt"

  # The default handler (plain runc) keeps its state out of /run too.
  toml_set "$file" "$cri.containerd.runtimes.runc.options" Root "\"$CTD_TMP/runc-plain\""

  # The handler exactly as shipped, but running the binary under test and
  # keeping runc's state under $CTD_TMP (the shim's default is
  # /run/containerd/runc).
  {
    echo
    echo "# --- from contrib/containerd/config-v2.toml (BinaryName, Root: tests) ---"
    sed -e '/^version[[:space:]]*=/d' \
      -e "s|^\([[:space:]]*\)BinaryName[[:space:]]*=.*|\1BinaryName = \"$NUMA_RUNTIME\"\n\1Root = \"$CTD_RUNC_ROOT\"|" \
      "$REPO_ROOT/contrib/containerd/config-v2.toml"
    # A second handler whose numa-runtime must refuse every create: its
    # config names a runtime that does not exist.
    cat << EOF

# --- tests only: numa-runtime with a broken [runtime] path ---
[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.numa-refuse]
  runtime_type = "io.containerd.runc.v2"
  pod_annotations = ["numa-runtime.io/*"]
  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.numa-refuse.options]
    BinaryName = "$NUMA_REFUSING"
    Root = "$CTD_RUNC_ROOT"
EOF
  } >> "$file"
}

# write_refusing_runtime: $NUMA_REFUSING, numa-runtime run with a config
# whose [runtime] path does not exist, so that every create is refused.
# It records what numa-runtime printed on stderr in $NUMA_REFUSED_STDERR
# and, after it exits, appends its --log file to $NUMA_REFUSED_LOG (the
# shim deletes the bundle, and the log with it, after a failed create).
write_refusing_runtime() {
  local bad_cfg=$CTD_TMP/numa/refusing.conf
  write_numa_config "$bad_cfg" /nonexistent/numa-test/runc
  cat > "$NUMA_REFUSING" << EOF
#!/bin/bash
export NUMA_RUNTIME_CONFIG=$(printf %q "$bad_cfg")
log= prev=
for a in "\$@"; do
  case \$prev in --log | -log) log=\$a ;; esac
  case \$a in --log=* | -log=*) log=\${a#*=} ;; esac
  prev=\$a
done
err=\$(mktemp)
$(printf %q "$NUMA_RUNTIME") "\$@" 2> "\$err"
rc=\$?
cat "\$err" >&2
cat "\$err" >> $(printf %q "$NUMA_REFUSED_STDERR")
rm -f "\$err"
[[ -n \$log && -f \$log ]] && cat "\$log" >> $(printf %q "$NUMA_REFUSED_LOG")
exit \$rc
EOF
  chmod +x "$NUMA_REFUSING"
}

# start_containerd: start a private containerd; sets and exports CTD_TMP,
# CTD_SOCK, CTD_ROOT, CTD_STATE, CTD_RUNC_ROOT, CTD_PID, CTD_CGROUP (a
# cgroup parent unique to this run), NUMA_RUNTIME_CONFIG, NUMA_LEDGER and
# NUMA_REFUSING.  CRI handlers: "runc" (plain runc), "numa" (the contrib
# snippet) and "numa-refuse" (numa-runtime with a broken config).
start_containerd() {
  CTD_TMP=$(mktemp -d "${TMPDIR:-/tmp}/numa-ctd.XXXXXX") || return 1
  CTD_ROOT=$CTD_TMP/root
  CTD_STATE=$CTD_TMP/state
  CTD_SOCK=$CTD_TMP/containerd.sock
  CTD_RUNC_ROOT=$CTD_TMP/runc
  CTD_CGROUP=numa-test-${CTD_TMP##*.}
  NUMA_LEDGER=$CTD_TMP/numa/ledger.json
  NUMA_RUNTIME_CONFIG=$CTD_TMP/numa/numa-runtime.conf
  NUMA_REFUSING=$CTD_TMP/numa/refusing-wrapper
  NUMA_REFUSED_STDERR=$CTD_TMP/numa/refused.stderr
  NUMA_REFUSED_LOG=$CTD_TMP/numa/refused-log.json
  export CTD_TMP CTD_ROOT CTD_STATE CTD_SOCK CTD_RUNC_ROOT CTD_CGROUP NUMA_LEDGER \
    NUMA_RUNTIME_CONFIG NUMA_REFUSING NUMA_REFUSED_STDERR NUMA_REFUSED_LOG
  mkdir -p "$CTD_TMP/numa" "$CTD_RUNC_ROOT"
  # Remembered so that stop_containerd removes only what this run created.
  [[ -e /run/containerd ]] && touch "$CTD_TMP/.had-run-containerd"

  write_numa_config "$NUMA_RUNTIME_CONFIG"
  write_refusing_runtime
  write_containerd_config "$CTD_TMP/config.toml" || return 1
  # Fail early, with containerd's own message, on a config it cannot parse.
  "$CONTAINERD" --config "$CTD_TMP/config.toml" config dump > "$CTD_TMP/config.dump" 2>&1 ||
    fail "containerd rejects the generated config:" "$(cat "$CTD_TMP/config.dump")" || return 1

  # numa-runtime reads NUMA_RUNTIME_CONFIG; the shim inherits containerd's
  # environment and passes it on to the runtime.
  NUMA_RUNTIME_CONFIG=$NUMA_RUNTIME_CONFIG \
    "$CONTAINERD" --config "$CTD_TMP/config.toml" --log-level debug \
    > "$CTD_TMP/containerd.log" 2>&1 < /dev/null &
  CTD_PID=$!
  export CTD_PID
  echo "$CTD_PID" > "$CTD_TMP/containerd.pid"

  local i
  for ((i = 0; i < 200; i++)); do
    if [[ -S "$CTD_SOCK" ]] && "$CTR" -a "$CTD_SOCK" version > /dev/null 2>&1; then
      return 0
    fi
    kill -0 "$CTD_PID" 2> /dev/null || break
    sleep 0.1
  done
  fail "containerd did not come up; log:" "$(tail -n 30 "$CTD_TMP/containerd.log")"
}

# ctrc ARGS...: ctr on the private containerd.
ctrc() {
  "$CTR" -a "$CTD_SOCK" "$@"
}

# Pids of shims serving this containerd (they outlive it by design).
_shim_pids() {
  local p
  for p in /proc/[0-9]*; do
    tr '\0' ' ' 2> /dev/null < "$p/cmdline" |
      grep -q -- "containerd-shim.* -address $CTD_SOCK " && echo "${p##*/}"
  done
}

# Mount points at or below $CTD_TMP, deepest first.
_tmp_mounts() {
  awk -v d="$CTD_TMP" '$5 == d || index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo |
    sort -r
}

# Cgroup directories of this run (ctr containers and CRI pods use
# CTD_CGROUP as their parent), deepest first.
_tmp_cgroups() {
  [[ -n "${CTD_CGROUP:-}" ]] || return 0
  local top
  for top in /sys/fs/cgroup/*/"$CTD_CGROUP" /sys/fs/cgroup/"$CTD_CGROUP"; do
    [[ -d "$top" ]] && find "$top" -depth -type d
  done
}

# remove_all_containers [NS...]: kill and delete every task and container
# (default: all namespaces of the private containerd).
remove_all_containers() {
  local -
  set +e
  local ns id namespaces=("$@")
  ((${#namespaces[@]})) || mapfile -t namespaces < <(ctrc namespaces ls -q 2> /dev/null)
  for ns in "${namespaces[@]}"; do
    for id in $(ctrc -n "$ns" tasks ls -q 2> /dev/null); do
      ctrc -n "$ns" tasks kill -a -s SIGKILL "$id" > /dev/null 2>&1
    done
    for id in $(ctrc -n "$ns" tasks ls -q 2> /dev/null); do
      ctrc -n "$ns" tasks delete -f "$id" > /dev/null 2>&1
    done
    for id in $(ctrc -n "$ns" containers ls -q 2> /dev/null); do
      ctrc -n "$ns" containers rm "$id" > /dev/null 2>&1
    done
  done
  return 0
}

# stop_containerd: stop the private containerd and remove everything it
# left: containers, shims, container processes, mounts, cgroups and
# $CTD_TMP.  Safe to call twice and after a failed start.
stop_containerd() {
  # Best effort throughout: bats' errexit must not cut the cleanup short.
  local -
  set +e
  [[ -n "${CTD_TMP:-}" && -d "$CTD_TMP" ]] || return 0
  local pid i cg m

  if [[ -S "$CTD_SOCK" ]] && [[ -n "${CTD_PID:-}" ]] && kill -0 "$CTD_PID" 2> /dev/null; then
    remove_all_containers
  fi
  if [[ -n "${CTD_PID:-}" ]] && kill -0 "$CTD_PID" 2> /dev/null; then
    kill -TERM "$CTD_PID"
    for ((i = 0; i < 100; i++)); do
      kill -0 "$CTD_PID" 2> /dev/null || break
      sleep 0.1
    done
    kill -0 "$CTD_PID" 2> /dev/null && kill -KILL "$CTD_PID"
    wait "$CTD_PID" 2> /dev/null
  fi

  # Container processes still in this run's cgroups, then orphaned shims.
  while read -r cg; do
    [[ -n "$cg" && -f "$cg/cgroup.procs" ]] || continue
    while read -r pid; do
      [[ -n "$pid" ]] && kill -KILL "$pid" 2> /dev/null
    done < "$cg/cgroup.procs"
  done < <(_tmp_cgroups)
  for pid in $(_shim_pids); do
    kill -KILL "$pid" 2> /dev/null
  done
  for ((i = 0; i < 50; i++)); do
    [[ -z "$(_shim_pids)" ]] && break
    sleep 0.1
  done

  # Mounts: overlay rootfs, sandbox shm, bind mounts.
  for ((i = 0; i < 3; i++)); do
    for m in $(_tmp_mounts); do
      umount "$m" 2> /dev/null || umount -l "$m" 2> /dev/null
    done
    [[ -z "$(_tmp_mounts)" ]] && break
  done

  # Cgroups: rmdir only works once empty, so retry briefly.
  for ((i = 0; i < 50; i++)); do
    while read -r cg; do
      [[ -n "$cg" ]] && rmdir "$cg" 2> /dev/null
    done < <(_tmp_cgroups)
    [[ -z "$(_tmp_cgroups)" ]] && break
    sleep 0.1
  done

  # containerd 1.6 shims always put their sockets in /run/containerd/s and
  # ctr's default FIFO directory is /run/containerd/fifo; remove those
  # directories again (when empty) only if this run created /run/containerd.
  if [[ ! -e "$CTD_TMP/.had-run-containerd" ]]; then
    rmdir /run/containerd/s /run/containerd/fifo /run/containerd 2> /dev/null
  fi

  if [[ -n "$(_tmp_mounts)" ]]; then
    fail "mounts left under $CTD_TMP:" "$(_tmp_mounts)"
    return 1
  fi
  if [[ "${NUMA_TEST_KEEP:-0}" == 1 ]]; then
    echo "# kept $CTD_TMP" >&3
  else
    # --one-file-system: never descend into anything still mounted.
    rm -rf --one-file-system "$CTD_TMP"
  fi
  if [[ -n "$(_tmp_cgroups)" ]]; then
    fail "cgroups left:" "$(_tmp_cgroups)"
    return 1
  fi
  return 0
}

# assert_nothing_left: after stop_containerd, no process, shim, mount,
# cgroup or directory of this run remains.
assert_nothing_left() {
  if [[ -n "${CTD_PID:-}" ]] && kill -0 "$CTD_PID" 2> /dev/null; then
    fail "containerd $CTD_PID still running"
  fi
  [[ -z "$(_shim_pids)" ]] || fail "shims still running: $(_shim_pids)"
  [[ -z "$(_tmp_mounts)" ]] || fail "mounts left:" "$(_tmp_mounts)"
  [[ -z "$(_tmp_cgroups)" ]] || fail "cgroups left:" "$(_tmp_cgroups)"
  [[ "${NUMA_TEST_KEEP:-0}" == 1 || ! -e "$CTD_TMP" ]] || fail "$CTD_TMP still exists"
}

# --- the test image --------------------------------------------------------

# Go's name for this machine's architecture, as image configs spell it.
_oci_arch() {
  case "$(uname -m)" in
    x86_64) echo amd64 ;;
    aarch64) echo arm64 ;;
    armv7l | armv6l) echo arm ;;
    i?86) echo 386 ;;
    *) uname -m ;;
  esac
}

# _add_blob LAYOUT FILE MEDIATYPE: move FILE into LAYOUT's blobs; prints a
# descriptor (JSON).
_add_blob() {
  local layout=$1 file=$2 media=$3 digest size
  digest=$(sha256sum "$file" | cut -d' ' -f1)
  size=$(stat -c %s "$file")
  mv "$file" "$layout/blobs/sha256/$digest"
  jq -cn --arg m "$media" --arg d "sha256:$digest" --argjson s "$size" \
    '{mediaType: $m, digest: $d, size: $s}'
}

# build_busybox_image OUT.tar: an OCI image archive holding two images made
# of one busybox layer: $TEST_IMAGE (runs /bin/sh) and $PAUSE_IMAGE (sleeps
# until SIGTERM, used as the CRI sandbox image).
build_busybox_image() {
  local out=$1 work layout rootfs layer_desc diff_id arch name cmd cfg_desc man_desc
  local manifests=()
  work=$(mktemp -d "$CTD_TMP/image.XXXXXX")
  layout=$work/layout
  rootfs=$work/rootfs
  mkdir -p "$layout/blobs/sha256" "$rootfs/out"
  busybox_rootfs "$rootfs" || return 1

  tar -C "$rootfs" --numeric-owner --owner=0 --group=0 --sort=name \
    -cf "$work/layer.tar" . || return 1
  diff_id=sha256:$(sha256sum "$work/layer.tar" | cut -d' ' -f1)
  layer_desc=$(_add_blob "$layout" "$work/layer.tar" application/vnd.oci.image.layer.v1.tar)
  arch=$(_oci_arch)

  for name in "$TEST_IMAGE" "$PAUSE_IMAGE"; do
    if [[ "$name" == "$PAUSE_IMAGE" ]]; then
      cmd='["/bin/sh","-c","trap \"exit 0\" TERM INT; while :; do sleep 1; done"]'
    else
      cmd='["/bin/sh"]'
    fi
    jq -cn --arg arch "$arch" --arg diff "$diff_id" --argjson cmd "$cmd" '{
        architecture: $arch, os: "linux",
        config: {Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
                 Cmd: $cmd, WorkingDir: "/"},
        rootfs: {type: "layers", diff_ids: [$diff]}}' > "$work/config.json"
    cfg_desc=$(_add_blob "$layout" "$work/config.json" application/vnd.oci.image.config.v1+json)
    jq -cn --argjson c "$cfg_desc" --argjson l "$layer_desc" '{
        schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json",
        config: $c, layers: [$l]}' > "$work/manifest.json"
    man_desc=$(_add_blob "$layout" "$work/manifest.json" application/vnd.oci.image.manifest.v1+json)
    manifests+=("$(jq -c --arg n "$name" --arg arch "$arch" \
      '. + {platform: {architecture: $arch, os: "linux"},
            annotations: {"io.containerd.image.name": $n,
                          "org.opencontainers.image.ref.name": ($n | sub(".*:"; ""))}}' \
      <<< "$man_desc")")
  done
  printf '%s\n' "${manifests[@]}" | jq -s '{schemaVersion: 2, manifests: .}' > "$layout/index.json"
  echo '{"imageLayoutVersion":"1.0.0"}' > "$layout/oci-layout"
  tar -C "$layout" -cf "$out" oci-layout index.json blobs || return 1
  rm -rf "$work"
}

# import_busybox_image NS: build the test images once per run and import
# them into namespace NS of the private containerd.
import_busybox_image() {
  local ns=$1 archive=$CTD_TMP/busybox-oci.tar
  [[ -s "$archive" ]] || build_busybox_image "$archive" || return 1
  ctrc -n "$ns" images import "$archive" > "$CTD_TMP/import-$ns.log" 2>&1 ||
    fail "image import failed:" "$(cat "$CTD_TMP/import-$ns.log")" || return 1
  ctrc -n "$ns" images ls -q | grep -qxF "$TEST_IMAGE" ||
    fail "$TEST_IMAGE missing after import:" "$(ctrc -n "$ns" images ls)"
}

# --- ctr helpers ----------------------------------------------------------

# ctr_run NS RUNTIME_BINARY ID [RUN_OPTIONS...] IMAGE ID [CMD...]: `ctr run`
# with the runc.v2 shim running RUNTIME_BINARY as its runc, and runc's
# state, the FIFOs and the cgroup kept inside this run's directories.
ctr_run() {
  local ns=$1 binary=$2 id=$3
  shift 3
  ctrc -n "$ns" run --runtime io.containerd.runc.v2 \
    --runc-binary "$binary" --runc-root "$CTD_RUNC_ROOT" \
    --fifo-dir "$CTD_TMP/fifo" --cgroup "/$CTD_CGROUP/$id" "$@"
}

# wait_task_status NS ID STATUS [TENTHS]: wait until `ctr tasks ls` shows
# STATUS (RUNNING, STOPPED, ...) for ID.
wait_task_status() {
  local ns=$1 id=$2 want=$3 tries=${4:-100} i status
  for ((i = 0; i < tries; i++)); do
    status=$(ctrc -n "$ns" tasks ls 2> /dev/null | awk -v id="$id" '$1 == id { print $3 }')
    [[ "$status" == "$want" ]] && return 0
    sleep 0.1
  done
  fail "task $id: status '$status', wanted $want"
}
