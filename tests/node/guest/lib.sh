# shellcheck shell=bash
# Helpers for the node suite's checks, sourced by suite.sh inside the guest.
#
# TAP goes to file descriptor 3 (the guest's /dev/ttyS1, a file on the
# host): `ok - ...`, `not ok - ...` and `# ...` lines; run.sh numbers them.
# $RT is the runtime numa-runtime execs for this round (runc or crun).

PAYLOAD=${PAYLOAD:-/payload}
# fail, ledger_doc (the ledger as one document, under its shared lock): the
# tests' one library, tests/lib/common.sh.
# shellcheck source=../../lib/common.sh
. "$PAYLOAD/lib/common.sh"
LEDGER=/run/numa-runtime/ledger.json
NR_CONF=/etc/numa-runtime/numa-runtime.conf
OUT_ROOT=/run/numa-node-test
TEST_IMAGE=$(cat "$PAYLOAD/images/test-image")
export CRI_IMAGE=$TEST_IMAGE
export NODE_PATH=$PAYLOAD/cri/node_modules
export CRI_PROTO=$PAYLOAD/cri/cri-subset.proto

# --- TAP ------------------------------------------------------------------
tap() { printf '%s\n' "$*" >&3; }
diag() { sed 's/^/# /' >&3; }
uptime_s() { cut -d' ' -f1 /proc/uptime; }

# check DESCRIPTION FUNCTION [ARGS...]: one TAP line for FUNCTION's status;
# its output becomes diagnostics when it fails.  FUNCTION runs in this
# shell, so the variables it sets (POD, ...) stay set.
check() {
	local desc=$1 rc=0
	shift
	"$@" >"$OUT_ROOT/check.out" 2>&1 || rc=$?
	if [ "$rc" = 0 ]; then
		tap "ok - [$RT] $desc"
	else
		tap "not ok - [$RT] $desc"
		tail -n 40 "$OUT_ROOT/check.out" | diag
	fi
	return "$rc"
}

expect_eq() { # actual expected what
	[ "$1" = "$2" ] || fail "$3: expected '$2', got '$1'"
}

# wait_for SECONDS COMMAND...: until COMMAND succeeds (polls every 0.5 s;
# the clock is bash's $EPOCHSECONDS, no date process per poll).
wait_for() {
	local end=$((EPOCHSECONDS + $1))
	shift
	until "$@"; do
		[ "$EPOCHSECONDS" -lt "$end" ] || return 1
		sleep 0.5
	done
}

# --- topology -------------------------------------------------------------
node_cpus() { cat "/sys/devices/system/node/node$1/cpulist"; }

# --- the ledger -----------------------------------------------------------
ledger_node() { # ID: the nodes of ID's entry
	ledger_doc | jq -r --arg id "$1" '.containers[]? | select(.id == $id) | .nodes // .node // empty'
}
ledger_has() { ledger_ids | grep -qxF "$1"; }
ledger_lacks() { ! ledger_ids | grep -qxF "$1"; }

# --- pods over CRI ----------------------------------------------------------
# cri COMMAND ARGS...: cri-node.js COMMAND, answered by the one client
# suite.sh started (cri_server_start): its JSON answer on stdout, or its
# one-line error on stderr and status 1 (2: usage).
cri_server_start() {
	rm -f "$OUT_ROOT/cri.req" "$OUT_ROOT/cri.resp"
	mkfifo "$OUT_ROOT/cri.req" "$OUT_ROOT/cri.resp" || return
	node "$PAYLOAD/cri/cri-node.js" serve <"$OUT_ROOT/cri.req" >"$OUT_ROOT/cri.resp" \
		2>"$OUT_ROOT/cri-server.err" &
	exec 5>"$OUT_ROOT/cri.req" 6<"$OUT_ROOT/cri.resp"
}
cri() {
	local reply
	jq -cn '$ARGS.positional' --args "$@" >&5 || fail "cri: the client is gone" || return
	IFS= read -r reply <&6 || fail "cri: the client is gone: $(cat "$OUT_ROOT/cri-server.err")" || return
	# One jq for the whole answer ("ok OUT" or "STATUS ERROR"): a process
	# costs under TCG, and every pod is a few of these.
	reply=$(jq -r 'if .ok == true then "ok " + (.out | tojson) else "\(.status) \(.error)" end' <<<"$reply") || return
	case $reply in
	"ok "*) printf '%s\n' "${reply#ok }" ;;
	*)
		echo "cri-node.js: ${reply#* }" >&2
		return "${reply%% *}"
		;;
	esac
}

# A pod uid as kubelet's systemd driver spells it in slice names.
new_uid() { cat /proc/sys/kernel/random/uuid | tr -d '-'; }

# The container program: every second, write what it sees of its placement
# to /out/NAME.txt (NUMA_NODE, NUMA_MEMORY_NODES, Cpus/Mems_allowed_list,
# its memory policy),
# after running EXTRA once (e.g. touch-mem in the background).
probe_cmd() { # NAME [EXTRA]
	local name=$1 extra=${2:-}
	printf '%s' "$extra"'
trap "exit 0" TERM INT
while :; do
  { echo "NUMA_NODE=${NUMA_NODE:-}"
    echo "NUMA_MEMORY_NODES=${NUMA_MEMORY_NODES:-}"
    grep -E "^(Cpus|Mems)_allowed_list" /proc/self/status
    echo "mempolicy: $(/t/getmempolicy)"; } > /out/'"$name"'.tmp
  mv /out/'"$name"'.tmp /out/'"$name"'.txt
  sleep 1
done'
}

# container_json NAME [EXTRA] [RESOURCES_JSON] [MOUNTS_JSON]: a probe
# container with /out (the pod's result directory) and /t (helpers).
container_json() {
	local name=$1 extra=${2:-} res=${3:-'{"cpu_period":100000,"cpu_quota":100000,"cpu_shares":512,"memory_limit_in_bytes":268435456}'}
	local mounts=${4:-'[]'}
	jq -cn --arg n "$name" --arg cmd "$(probe_cmd "$name" "$extra")" --argjson r "$res" \
		--argjson m "$mounts" --arg out "$POD_OUT" --arg t "$PAYLOAD/bin" '{
		name: $n, command: ["/bin/sh", "-c", $cmd], resources: $r,
		mounts: ([{host: $out, container: "/out"}, {host: $t, container: "/t", readonly: true}] + $m)}'
}

# pod_spec NAME QOS ANNOTATIONS_JSON CONTAINER_JSON...: a pod under
# kubelet's systemd cgroup parent for QOS (burstable, besteffort or
# guaranteed), handler numa.
pod_spec() {
	local name=$1 qos=$2 ann=$3 uid parent
	shift 3
	uid=$(new_uid)
	case $qos in
	guaranteed) parent=kubepods-pod$uid.slice ;;
	*) parent=kubepods-$qos-pod$uid.slice ;;
	esac
	printf '%s\n' "$@" | jq -cs --arg n "$name" --arg u "$uid" --arg p "$parent" --argjson a "$ann" '{
		name: $n, uid: $u, handler: "numa", cgroup_parent: $p, annotations: $a,
		containers: .}'
}

# pod_out NAME: makes and sets POD_OUT, the pod's result directory.
pod_out() {
	POD_OUT=$OUT_ROOT/$RT-$1
	rm -rf "$POD_OUT"
	mkdir -p "$POD_OUT"
}

# pod_up SPEC: RunPodSandbox + containers; POD (the answer JSON) on success,
# POD_ERR (the client's error line) on failure.  Says how long it took.
pod_up() {
	local t0 rc=0
	t0=$(date +%s.%N)
	POD_ERR=
	POD=$(cri up "$1" 2>"$OUT_ROOT/cri.err") || rc=$?
	POD_ERR=$(cat "$OUT_ROOT/cri.err")
	tap "# timing: [$RT] $(jq -r '"pod \(.name) with \(.containers | length) container(s)"' <<<"$1"):" \
		"$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s$([ "$rc" = 0 ] || echo ' (refused)')" \
		"$([ "$rc" != 0 ] || jq -r '"(" + (.timings | join(", ")) + ")"' <<<"$POD")"
	[ "$rc" = 0 ] || fail "pod did not start: $POD_ERR"
}
pod_sandbox() { jq -r .sandbox_id <<<"${1:-$POD}"; }
pod_ctr() { jq -r --arg n "$1" '.containers[$n]' <<<"${2:-$POD}"; }
pod_down() { cri down "$(pod_sandbox "${1:-$POD}")" >/dev/null; }

# result NAME KEY: a value the probe container NAME wrote (waits up to 60 s).
result() {
	local f=$POD_OUT/$1.txt
	wait_for 60 test -s "$f" || fail "container $1 wrote no $f" || return
	sed -n "s/^$2[=:][[:space:]]*//p" "$f"
}

# --- the host side of a container's cgroup ----------------------------------
scope_of() { echo "cri-containerd-$1.scope"; }
cgroup_dir() { echo "/sys/fs/cgroup$(systemctl show -P ControlGroup "$(scope_of "$1")")"; }
# scopes_left PATTERN: the container scopes systemd still has loaded,
# waiting up to 10 s for them to go: a stopped transient unit is unloaded
# by systemd's garbage collection, a moment after the runtime's delete.
scopes_left() {
	local left i
	for i in $(seq 20); do
		left=$(systemctl list-units --all --plain --no-legend "$1" | grep -v not-found || true)
		[ -n "$left" ] || return 0
		sleep 0.5
	done
	echo "$left"
}
# systemd's AllowedCPUs=/AllowedMemoryNodes= of the scope.
scope_prop() { systemctl show -P "$2" "$(scope_of "$1")"; }

# bundle_config ID: the config.json containerd handed the runtime.
bundle_config() {
	echo "/run/containerd/io.containerd.runtime.v2.task/k8s.io/$1/config.json"
}

# shim_pid SANDBOX_ID: the runc.v2 shim serving that pod.
shim_pid() {
	local p
	for p in /proc/[0-9]*; do
		if tr '\0' ' ' <"$p/cmdline" 2>/dev/null | grep -q "containerd-shim-runc-v2 .*-id $1\b"; then
			echo "${p#/proc/}"
			return 0
		fi
	done
	return 1
}

# cri_ready: containerd answers CRI Version.
cri_ready() { cri version >/dev/null 2>&1; }

# set_runtime PATH: numa-runtime's [runtime] path (its config is read at
# every call, so no restart is needed).
set_runtime() {
	sed -i -e '/^\[runtime\]/,/^\[/{/^#\{0,1\}path *=.*/d}' "$NR_CONF"
	sed -i -e "/^\[runtime\]/a path = $1" "$NR_CONF"
}

# --- tests/runtime-flags.sh in the background ------------------------------
# The script takes only the --help texts from a runtime; its probes go
# through the installed numa-runtime to tests/fake-runtime on the twonode
# fixture, with their own config, ledger and runtime root under /tmp: no
# containerd, no node ledger, no cgroup.  So suite.sh starts it for every
# runtime before the first round, one sequential script per runtime (one
# per guest CPU), and 80-runtime-flags.sh collects each round's result:
# the probes use the CPU time the checks leave idle while they wait for
# containerd, systemd and their containers.  At nice 10 the checks' own
# work comes first; a probe still gets a tenth of a busy CPU, far inside
# its 30 s timeout.  The probes run a copy of the installed binary at a
# path of its own: the traced checks (30-mempolicy, 36-tier-interleave)
# tell numa-runtime's tasks by their exec of /usr/local/bin/numa-runtime,
# and a probe's set_mempolicy before it execs the fake runtime must not
# count as the traced container's.
FLAGS_NUMA_RUNTIME=$OUT_ROOT/flags-bin/numa-runtime
flags_start() { # RUNTIME...
	local rt
	if ! mkdir -p "${FLAGS_NUMA_RUNTIME%/*}" || ! cp /usr/local/bin/numa-runtime "$FLAGS_NUMA_RUNTIME"; then
		for rt in "$@"; do
			echo "# cannot copy numa-runtime to $FLAGS_NUMA_RUNTIME" >"$OUT_ROOT/runtime-flags-$rt.out"
			uptime_s | tee "$OUT_ROOT/runtime-flags-$rt.started" >"$OUT_ROOT/runtime-flags-$rt.ended"
			echo 1 >"$OUT_ROOT/runtime-flags-$rt.rc"
		done
		return 1
	fi
	for rt in "$@"; do
		uptime_s >"$OUT_ROOT/runtime-flags-$rt.started"
		(
			rc=0
			NUMA_RUNTIME=$FLAGS_NUMA_RUNTIME nice -n 10 bash "$PAYLOAD/flags/runtime-flags.sh" \
				"$(command -v "$rt")" >"$OUT_ROOT/runtime-flags-$rt.out" 2>&1 || rc=$?
			uptime_s >"$OUT_ROOT/runtime-flags-$rt.ended"
			# The status last, whole: its presence says the run is over.
			echo "$rc" >"$OUT_ROOT/runtime-flags-$rt.rc.tmp" &&
				mv "$OUT_ROOT/runtime-flags-$rt.rc.tmp" "$OUT_ROOT/runtime-flags-$rt.rc"
		) </dev/null 3>&- 5>&- 6>&- &
	done
}

# --- the kernel's view of a create: set_mempolicy and exec ----------------
# Tracing without patching the running kernel.  Enabling a trace event, and
# with it ftrace's comm recording (a probe on sched_switch), rewrites kernel
# code under running CPUs (static keys: int3, then the new bytes).  Under
# qemu's multi-threaded TCG a vCPU can still run the int3 after the patch is
# done: CI lost guests that way, an "Oops: int3" in __schedule (the
# sched_switch tracepoint) right after a traced add, and earlier a silent
# hang right after enabling syscalls:sys_enter_set_mempolicy.  So
# trace_setup, a setup step, enables the two events once, before any pod,
# with comm recording off, and traced_add only switches tracing_on (a flag,
# no code patched).  set_mempolicy is watched through raw_syscalls:sys_enter
# filtered on its number: the long-standing path, registers only.
TRACEFS=/sys/kernel/tracing
NR_SET_MEMPOLICY=238 # x86_64
trace_setup() {
	[ -d "$TRACEFS/events" ] || mount -t tracefs nodev "$TRACEFS" || return
	echo 0 >"$TRACEFS/tracing_on" &&
		echo 0 >"$TRACEFS/options/record-cmd" &&
		echo "id == $NR_SET_MEMPOLICY" >"$TRACEFS/events/raw_syscalls/sys_enter/filter" &&
		echo 1 >"$TRACEFS/events/raw_syscalls/sys_enter/enable" &&
		echo 1 >"$TRACEFS/events/sched/sched_process_exec/enable"
}
# traced_add SANDBOX_ID SPEC TRACE: CRI add of SPEC's containers to the
# running sandbox while tracefs records set_mempolicy and
# sched_process_exec; those events go to TRACE, and POD is set as pod_up
# sets it.  Tasks are named "<...>-PID" in TRACE (no comm recording).
traced_add() {
	local sid=$1 spec=$2 trace=$3 rc=0
	[ "$(cat "$TRACEFS/events/sched/sched_process_exec/enable" 2>/dev/null)" = 1 ] ||
		fail "tracing is not set up (trace_setup)" || return
	: >"$TRACEFS/trace" && echo 1 >"$TRACEFS/tracing_on" || return
	cri add "$sid" "$spec" >"$OUT_ROOT/traced-add.json" || rc=$?
	echo 0 >"$TRACEFS/tracing_on"
	grep -E "sys_enter: NR $NR_SET_MEMPOLICY |sched_process_exec" "$TRACEFS/trace" >"$trace"
	[ "$rc" = 0 ] || return "$rc"
	POD=$(jq -c --arg s "$sid" '{sandbox_id: $s, containers: .containers}' "$OUT_ROOT/traced-add.json")
}

# mempolicy_calls TRACE [nr|other]: the set_mempolicy calls in TRACE as
# "PID MODE" lines (MODE as the tracepoint prints it, hex with the flags):
# nr (default) those numa-runtime made itself, i.e. by a task between its
# exec of numa-runtime and its next exec (the trace names tasks by their
# latest comm, so the exec events decide); other the rest.
mempolicy_calls() {
	awk -v want="${2:-nr}" -v nr="$NR_SET_MEMPOLICY" '
		{ task = $1; sub(/.*-/, "", task) }
		/sched_process_exec: / {
			pid = $0; sub(/.* pid=/, "", pid); sub(/ .*/, "", pid)
			in_nr[pid] = ($0 ~ /filename=\/usr\/local\/bin\/numa-runtime /)
			next
		}
		$0 ~ ("sys_enter: NR " nr " [(]") && (in_nr[task] ? "nr" : "other") == want {
			mode = $0; sub(/.*sys_enter: NR [0-9]+ [(]/, "", mode); sub(/,.*/, "", mode)
			print task, mode
		}' "$1"
}

# nr_then_runtime TRACE PATH: some task exec'd numa-runtime, then PATH (the
# trace covers a create that went through numa-runtime to the runtime).
nr_then_runtime() {
	awk -v rt="$2" '
		/sched_process_exec: / {
			pid = $0; sub(/.* pid=/, "", pid); sub(/ .*/, "", pid)
			if ($0 ~ /filename=\/usr\/local\/bin\/numa-runtime /) nr[pid] = 1
			else if (nr[pid] && index($0, "filename=" rt " ")) found = 1
		}
		END { exit !found }' "$1"
}

# --- memory per node ----------------------------------------------------------
# node_mib NODE KEY: NODE's meminfo KEY (MemTotal, MemFree, ...) in MiB.
node_mib() { awk -v k="$2:" '$3 == k { print int($4 / 1024) }' "/sys/devices/system/node/node$1/meminfo"; }

# anon_pages ID: "N0 N1 N2 N3 ..." (one per online node), the anonymous
# 4 KiB pages charged to container ID's scope on each node, from its
# memory.numa_stat.
anon_pages() {
	awk -v nodes="$(cat /sys/devices/system/node/online)" '
		$1 == "anon" { for (i = 2; i <= NF; i++) if ($i ~ /^N[0-9]+=/) {
			split(substr($i, 2), kv, "="); p[kv[1]] = int(kv[2] / 4096) } }
		END {
			split(nodes, r, "-"); out = ""
			for (n = r[1]; n <= (r[2] == "" ? r[1] : r[2]); n++) out = out (out == "" ? "" : " ") (p[n] + 0)
			print out
		}' "$(cgroup_dir "$1")/memory.numa_stat"
}

# nearest_memory_node NODE: the node without CPUs nearest to NODE (SLIT
# distance from NODE's distance row; ties to the lower id), empty if none.
nearest_memory_node() {
	local n best='' best_d='' d
	local -a row
	read -r -a row <"/sys/devices/system/node/node$1/distance"
	for n in $(seq 0 $((${#row[@]} - 1))); do
		[ -d "/sys/devices/system/node/node$n" ] || continue
		[ -z "$(node_cpus "$n")" ] || continue
		d=${row[$n]}
		if [ -z "$best" ] || [ "$d" -lt "$best_d" ]; then best=$n best_d=$d; fi
	done
	echo "$best"
}
