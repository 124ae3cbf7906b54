#!/bin/sh
# checks.sh: the numa-runtime checks, run by /init inside the test VM
# (busybox sh, root, cgroup2 at /sys/fs/cgroup, the test disk as a
# virtio-blk device with serial "numadisk").
#
# Prints TAP lines prefixed with "@@tap@@ " on stdout (the serial console);
# run.sh on the host collects and renumbers them.  Everything else printed
# is diagnostics.  Expectations come from the kernel command line:
#   nt_scenario=NAME  nt_nodes=N  nt_disk_node=N  nt_dist0=10,21,...
#
# Every container reads its placement from the inside: NUMA_NODE from its
# environment, Cpus_allowed_list/Mems_allowed_list from /proc/self/status.
set -u

NR=/usr/local/bin/numa-runtime
RUNC=/usr/sbin/runc
ROOTFS=/opt/numa-test/rootfs
WORK=/run/numa-test
STATE=$WORK/state               # --root for runc and numa-runtime alike
NR_CONF=$WORK/numa-runtime.conf
LEDGER=/run/numa-runtime/ledger.json
DISK_MNT=/mnt/disk
SERIAL=numadisk
WAIT=90                         # seconds for a container to report (TCG is slow)
MEM_MIB=64

# The test library (copied next to this file by build-initramfs.sh):
# ledger_doc.  Its fail (stderr) is not TAP's: checks report with tap_fail.
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/lib/common.sh"

# ------------------------------------------------------------------ TAP
tap_n=0
emit() {
	tap_n=$((tap_n + 1))
	# '#' would start a TAP directive, newlines would end the line.
	echo "@@tap@@ $1 $tap_n - $(printf '%s' "$2" | tr '#\n' '_ ')"
}
pass() { emit ok "$1"; }
tap_fail() { emit "not ok" "$1"; }
# shellcheck disable=SC2317 # for checks that cannot apply in a scenario
skip() { tap_n=$((tap_n + 1)); echo "@@tap@@ ok $tap_n # SKIP $1"; }
diag() { printf '%s\n' "$*" | sed 's/^/@@tap@@ # /'; }

# check_eq DESC GOT WANT: with $why set (an earlier step failed) the check
# fails with that reason instead of comparing.
why=
check_eq() {
	if [ -n "$why" ]; then
		tap_fail "$1 ($why)"
	elif [ "$2" = "$3" ]; then
		pass "$1"
	else
		tap_fail "$1 (got '$2', want '$3')"
	fi
}

# ------------------------------------------------------------------ setup
param() { tr ' ' '\n' </proc/cmdline | sed -n "s/^$1=//p" | tail -n1; }
SCENARIO=$(param nt_scenario)
NODES=$(param nt_nodes)
DISK_NODE=$(param nt_disk_node)
DIST0=$(param nt_dist0 | tr ',' ' ')
: "${SCENARIO:=unknown}" "${NODES:=0}" "${DISK_NODE:=-1}"

node_cpus() { cat "/sys/devices/system/node/node$1/cpulist" 2>/dev/null; }

mkdir -p "$WORK/bundles" "$STATE" "$(dirname "$LEDGER")"
cat >"$NR_CONF" <<EOF
[runtime]
path = $RUNC

[ledger]
path = $LEDGER
EOF

"$RUNC" spec --bundle "$WORK" && mv "$WORK/config.json" "$WORK/base.json"

# progress WHAT: a console line (not TAP) so a hang shows where it was; on
# fd 3, which stays the console whatever stdout/stderr are redirected to.
exec 3>&1
progress() { echo "checks: $(cut -d' ' -f1 /proc/uptime) s: $*" >&3; }

# rt runc|nr ARGS...: the runtime under test, sharing one state root.  KILL,
# because a foreground `run` forwards TERM to the container's PID 1, which
# ignores it.
rt() {
	which=$1
	shift
	progress "$which $*"
	case $which in
	runc) timeout -s KILL 60 "$RUNC" --root "$STATE" "$@" ;;
	nr) NUMA_RUNTIME_CONFIG=$NR_CONF timeout -s KILL 60 "$NR" --root "$STATE" "$@" ;;
	esac
}

# Shell run inside containers to report placement, then "READY".
REPORT='echo "NUMA_NODE=${NUMA_NODE-unset}"; grep -E "^(Cpus|Mems)_allowed_list:" /proc/self/status; echo READY'

# bundle NAME JQ-FILTER SCRIPT: bundle dir for NAME whose config.json is
# runc's default spec, non-terminal, on the shared read-only rootfs, running
# sh -c SCRIPT, edited further by JQ-FILTER ("." for nothing).  Prints the dir.
# (jq 1.6 would take a "-c" among --args for its own option.)
bundle() {
	b=$WORK/bundles/$1
	rm -rf "$b"
	mkdir -p "$b"
	jq --arg root "$ROOTFS" --arg name "$1" --arg script "$3" "
		.process.terminal = false | .root.path = \$root |
		.root.readonly = true | .hostname = \$name |
		.process.args = [\"sh\", \"-c\", \$script] | $2" \
		<"$WORK/base.json" >"$b/config.json" || return 1
	echo "$b"
}

# wait_for FILE WORD: until WORD is a line of FILE, at most $WAIT s.
wait_for() {
	i=0
	while [ $i -lt $((WAIT * 5)) ]; do
		grep -qx "$2" "$1" 2>/dev/null && return 0
		sleep 0.2
		i=$((i + 1))
	done
	return 1
}

# start RUNTIME NAME BUNDLE: create + start, detached; the container's stdout
# goes to BUNDLE/out.  On failure sets $why and prints what went wrong.
start() {
	if ! rt "$1" create --bundle "$3" "$2" >"$3/out" 2>"$3/err"; then
		why="$1 create failed: $(tail -n1 "$3/err")"
	elif ! rt "$1" start "$2" 2>>"$3/err"; then
		why="$1 start failed: $(tail -n1 "$3/err")"
	elif ! wait_for "$3/out" READY; then
		why="$2 did not report within ${WAIT}s"
	else
		return 0
	fi
	diag "$2: $why" "stderr:" "$(cat "$3/err")" "stdout:" "$(cat "$3/out")"
	return 1
}

# field FILE KEY: value of "KEY=v" or "KEY:<tab>v" in a container's report.
field() { sed -n "s/^$2[:=][[:space:]]*//p" "$1" 2>/dev/null | head -n1; }

# check_placement LABEL BUNDLE NODE: NUMA_NODE, cpus and mems seen inside.
check_placement() {
	check_eq "$1: NUMA_NODE is $3" "$(field "$2/out" NUMA_NODE)" "$3"
	check_eq "$1: Cpus_allowed_list is node $3's cpulist" \
		"$(field "$2/out" Cpus_allowed_list)" "$(node_cpus "$3")"
	check_eq "$1: Mems_allowed_list is $3" "$(field "$2/out" Mems_allowed_list)" "$3"
}

# pages_on PID NODE: "ON TOTAL", anonymous pages of PID on NODE and on all
# nodes.  File pages (the binary itself, in the tmpfs root) are left out:
# they were placed when the VM copied its root, not by the container.
pages_on() {
	awk -v node="$2" '
		/ anon=/ {
			for (i = 1; i <= NF; i++)
				if ($i ~ /^N[0-9]+=/) {
					split(substr($i, 2), kv, "=")
					total += kv[2]
					if (kv[1] == node) on += kv[2]
				}
		}
		END { printf "%d %d\n", on, total }' "/proc/$1/numa_maps"
}

# check_memory LABEL RUNTIME NAME NODE: NAME runs touch-mem; at least 99% of
# its anonymous pages (and at least the MEM_MIB it touched) are on NODE.
check_memory() {
	desc="$1: >= 99% of ${MEM_MIB} MiB touched lands on node $4"
	if [ -n "$why" ]; then
		tap_fail "$desc ($why)"
		return
	fi
	pid=$(rt "$2" state "$3" | jq -r .pid)
	pages=$(pages_on "$pid" "$4")
	on=${pages% *} total=${pages#* }
	diag "$desc: $on of $total anonymous pages"
	if [ "$total" -lt $((MEM_MIB * 256)) ]; then
		tap_fail "$desc (only $total anonymous pages found in numa_maps of pid $pid)"
	elif [ $((on * 100)) -ge $((total * 99)) ]; then
		pass "$desc"
	else
		tap_fail "$desc ($on of $total pages)"
	fi
}

stop() { rt "$1" delete --force "$2" >/dev/null 2>&1; }

# list_expand LIST: one number a line.  list_union LISTS...: kernel list form.
list_expand() {
	echo "$1" | tr ',' '\n' | awk -F- 'NF { e = NF > 1 ? $2 : $1; for (i = $1; i <= e; i++) print i }'
}
list_union() {
	for l in "$@"; do list_expand "$l"; done | sort -n | uniq | awk '
		NR == 1 { s = p = $1; next }
		$1 == p + 1 { p = $1; next }
		{ out = out (out ? "," : "") (s == p ? s : s "-" p); s = p = $1 }
		END { if (NR) print out (out ? "," : "") (s == p ? s : s "-" p) }'
}

diag "scenario $SCENARIO: $NODES nodes, disk expected on node $DISK_NODE;" \
	"checks start at uptime $(cut -d" " -f1 /proc/uptime) s"

# Scenario tiers: two CPU nodes and two CPU-less ones; only the memory
# tier checks of checks-tiers.sh run there.
if [ "$SCENARIO" = tiers ]; then
	# shellcheck source=tests/vm/checks-tiers.sh
	. "$(dirname "$0")/checks-tiers.sh"
	tiers_checks
	diag "$tap_n checks done at uptime $(cut -d" " -f1 /proc/uptime) s"
	exit 0
fi

# Scenario llc: one node whose CPUs the kernel shows in two L3 caches;
# only the cache-group checks of checks-llc.sh run there.
if [ "$SCENARIO" = llc ]; then
	# shellcheck source=tests/vm/checks-llc.sh
	. "$(dirname "$0")/checks-llc.sh"
	llc_checks
	diag "$tap_n checks done at uptime $(cut -d" " -f1 /proc/uptime) s"
	exit 0
fi

# ------------------------------------------------------------------ sanity
online=$(ls -d /sys/devices/system/node/node[0-9]* 2>/dev/null | wc -l)
check_eq "VM has $NODES NUMA nodes" "$online" "$NODES"
check_eq "node0 distance row is '$DIST0'" \
	"$(cat /sys/devices/system/node/node0/distance 2>/dev/null)" "$DIST0"

all_cpus=yes
for n in $(seq 0 $((NODES - 1))); do
	[ -n "$(node_cpus "$n")" ] || all_cpus="node$n has none"
done
check_eq "every node has CPUs" "$all_cpus" yes

disk=
for s in /sys/block/*/serial; do
	[ "$(cat "$s" 2>/dev/null)" = "$SERIAL" ] && disk=$(basename "$(dirname "$s")")
done
if [ -n "$disk" ] && [ -b "/dev/$disk" ]; then
	pass "test disk found: /dev/$disk"
else
	tap_fail "test disk found (no block device with serial $SERIAL)"
fi

# The node sysfs gives for the disk: walk up from its device directory.
disk_node=none
if [ -n "$disk" ]; then
	d=$(readlink -f "/sys/dev/block/$(cat "/sys/block/$disk/dev")")
	while [ "$d" != /sys ] && [ -n "$d" ]; do
		if [ -f "$d/numa_node" ]; then
			disk_node=$(cat "$d/numa_node")
			break
		fi
		d=${d%/*}
	done
fi
check_eq "disk's sysfs numa_node is $DISK_NODE" "$disk_node" "$DISK_NODE"

mkdir -p "$DISK_MNT"
if [ -n "$disk" ] && mount -t ext4 "/dev/$disk" "$DISK_MNT"; then
	pass "ext4 on the test disk mounts"
	mkdir -p "$DISK_MNT/data"
	echo on-disk >"$DISK_MNT/data/marker"
else
	tap_fail "ext4 on the test disk mounts"
fi

# ------------------------------------------------------------------ harness
# runc alone, placement given explicitly: proves containers, status parsing
# and numa_maps accounting work before numa-runtime is judged with them.
last=$((NODES - 1))
[ $last -gt 1 ] && last=1
why=
b=$(bundle runc-only "
	.linux.resources.cpu = { cpus: \"$(node_cpus $last)\", mems: \"$last\" }" \
	"$REPORT")
if ! rt runc run --bundle "$b" runc-only >"$b/out" 2>"$b/err"; then
	why="runc run failed: $(tail -n1 "$b/err")"
	diag "$why" "$(cat "$b/err")"
fi
check_eq "runc alone, mems=$last: Mems_allowed_list is $last" \
	"$(field "$b/out" Mems_allowed_list)" "$last"
check_eq "runc alone, cpus of node $last: Cpus_allowed_list matches" \
	"$(field "$b/out" Cpus_allowed_list)" "$(node_cpus $last)"
stop runc runc-only

why=
b=$(bundle runc-mem "
	.linux.resources.cpu = { cpus: \"$(node_cpus $last)\", mems: \"$last\" }" \
	"echo READY; exec /touch-mem $MEM_MIB")
if start runc runc-mem "$b" && ! wait_for "$b/out" "ready.*"; then
	why="touch-mem did not report ready"
fi
check_memory "runc alone, mems=$last" runc runc-mem "$last"
stop runc runc-mem

# ------------------------------------------------------------------ numa-runtime
nr_why=
if [ ! -x "$NR" ]; then
	nr_why="numa-runtime binary missing"
	tap_fail "numa-runtime binary present ($nr_why)"
else
	pass "numa-runtime binary present"
fi

# One container per node, all alive at once: each lands on the least loaded
# node, i.e. container k on node k.
ids=
for k in $(seq 0 $((NODES - 1))); do
	why=$nr_why
	name=spread$k
	b=$(bundle "$name" . "$REPORT; exec sleep 100000")
	[ -n "$why" ] || start nr "$name" "$b"
	check_placement "numa-runtime, container $((k + 1)) of $NODES alive" "$b" "$k"
	ids="$ids $name"
done

why=$nr_why
if [ -z "$why" ] && [ ! -f "$LEDGER" ]; then
	why="no ledger at $LEDGER"
fi
check_eq "ledger lists the $NODES live containers" \
	"$(ledger_doc "$LEDGER" | jq -r '[.containers[].id] | sort | join(" ")')" \
	"$(echo "$ids" | tr ' ' '\n' | grep . | sort | tr '\n' ' ' | sed 's/ $//')"

for id in $ids; do
	[ -n "$nr_why" ] || rt nr delete --force "$id" >/dev/null 2>&1 ||
		diag "numa-runtime delete --force $id failed"
done
why=$nr_why
check_eq "ledger is empty after deleting them" \
	"$(ledger_doc "$LEDGER" | jq -r '.containers | length')" 0
check_eq "ledger's shard directory is empty after deleting them" \
	"$(ls -A "$LEDGER.d" 2>&1 | tr '\n' ' ')" ""

# `run` in the foreground, as runc run: placed too, exit status passed back.
why=$nr_why
b=$(bundle fg-run . "$REPORT; exit 7")
st=none
if [ -z "$why" ]; then
	rt nr run --bundle "$b" fg-run >"$b/out" 2>"$b/err"
	st=$?
	grep -qx READY "$b/out" || why="numa-runtime run failed: $(tail -n1 "$b/err")"
fi
check_eq "numa-runtime run (foreground), alone: NUMA_NODE is 0" \
	"$(field "$b/out" NUMA_NODE)" 0
why=$nr_why
check_eq "numa-runtime run passes the container's exit status back" "$st" 7
[ -n "$nr_why" ] || stop nr fg-run

# Device locality: the disk passed as a device, then a bind mount from it.
why=$nr_why
[ -n "$why" ] || [ -n "$disk" ] || why="no test disk"
majmin=$(cat "/sys/block/$disk/dev" 2>/dev/null)
maj=${majmin%:*} min=${majmin#*:}
b=$(bundle with-disk "
	.linux.devices = [{ path: \"/dev/$disk\", type: \"b\", major: ${maj:-0},
		minor: ${min:-0}, fileMode: 432, uid: 0, gid: 0 }] |
	.linux.resources.devices += [{ allow: true, type: \"b\", major: ${maj:-0},
		minor: ${min:-0}, access: \"rw\" }]" \
	"head -c 4096 /dev/$disk >/dev/null && echo DEVREAD=ok; $REPORT; exec sleep 100000")
[ -n "$why" ] || start nr with-disk "$b"
check_placement "numa-runtime, disk in linux.devices" "$b" "$DISK_NODE"
check_eq "numa-runtime, disk in linux.devices: container can read it" \
	"$(field "$b/out" DEVREAD)" ok
[ -n "$nr_why" ] || stop nr with-disk

why=$nr_why
[ -n "$why" ] || grep -q " $DISK_MNT " /proc/mounts || why="test disk not mounted"
b=$(bundle with-bind "
	.mounts += [{ destination: \"/data\", type: \"bind\",
		source: \"$DISK_MNT/data\", options: [\"rbind\", \"rw\"] }]" \
	"echo MARKER=\$(cat /data/marker); $REPORT; exec sleep 100000")
[ -n "$why" ] || start nr with-bind "$b"
check_placement "numa-runtime, bind mount from the disk" "$b" "$DISK_NODE"
check_eq "numa-runtime, bind mount from the disk: container sees its files" \
	"$(field "$b/out" MARKER)" on-disk
[ -n "$nr_why" ] || stop nr with-bind

# What an operator asks before trusting it: `topology` lists the disk
# under its node, and `explain` of a bundle bind-mounting from it says
# that node, because of that volume (a dry run: nothing is started).
why=$nr_why
[ -n "$why" ] || [ -n "$disk" ] || why="no test disk"
topo_nodes=$(NUMA_RUNTIME_CONFIG=$NR_CONF "$NR" topology --json 2>&1 |
	jq -c --arg d "$disk" '[.devices[] | select(.name == $d) | .nodes[]] | unique' 2>&1)
check_eq "numa-runtime topology --json lists the disk under node $DISK_NODE" "$topo_nodes" "[$DISK_NODE]"
why=$nr_why
[ -n "$why" ] || grep -q " $DISK_MNT " /proc/mounts || why="test disk not mounted"
b=$(bundle explain-bind "
	.mounts += [{ destination: \"/data\", type: \"bind\",
		source: \"$DISK_MNT/data\", options: [\"rbind\", \"rw\"] }]" "true")
explained=$(NUMA_RUNTIME_CONFIG=$NR_CONF "$NR" --root "$STATE" explain --bundle "$b" --json 2>&1)
check_eq "numa-runtime explain of a bundle bind-mounting from the disk: node $DISK_NODE" \
	"$(printf '%s' "$explained" | jq -r '.nodes' 2>&1)" "$DISK_NODE"
check_eq "numa-runtime explain says it is because of the volume on that disk" \
	"$(printf '%s' "$explained" | jq -r --argjson n "$DISK_NODE" \
		'[.hints[] | select(.node == $n and (.source | startswith("volume /data")))] | length > 0' 2>&1)" true

# Memory: with a filler container on node 0 the next one goes to node 1, so
# its memory landing there is not the kernel's default placement.
why=$nr_why
b0=$(bundle filler . "$REPORT; exec sleep 100000")
[ -n "$why" ] || start nr filler "$b0"
why=$nr_why
b=$(bundle nr-mem . "$REPORT; exec /touch-mem $MEM_MIB")
[ -n "$why" ] || start nr nr-mem "$b"
[ -n "$why" ] || wait_for "$b/out" "ready.*" || why="touch-mem did not report ready"
check_eq "numa-runtime, touch-mem beside a filler: NUMA_NODE is 1" \
	"$(field "$b/out" NUMA_NODE)" 1
mem_node=$(field "$b/out" NUMA_NODE)
[ -n "$why" ] || [ -n "$mem_node" ] || why="no NUMA_NODE reported"
check_memory "numa-runtime, touch-mem" nr nr-mem "${mem_node:-(unknown)}"
# runc 1.1.5 has no linux.memoryPolicy: numa-runtime set MPOL_BIND on itself
# before exec'ing runc, and the container inherited it.
check_eq "numa-runtime, touch-mem: task memory policy is bind to its node" \
	"$(sed -n 's/^mempolicy //p' "$b/out" | head -n1)" "bind ${mem_node:-(unknown)}"
if [ -z "$nr_why" ]; then
	stop nr nr-mem
	stop nr filler
fi

# ------------------------------------------------------------------ pods
# A pod's containers go to its sandbox's node even when another node is
# emptier: sandbox on node 0, fillers make node 0 the busier one, then the
# pod's app container arrives.
why=$nr_why
sb=$(bundle pod-sb '.annotations = { "io.kubernetes.cri.container-type": "sandbox" }' \
	"$REPORT; exec sleep 100000")
[ -n "$why" ] || start nr pod-sb "$sb"
check_eq "numa-runtime, pod sandbox: NUMA_NODE is 0" "$(field "$sb/out" NUMA_NODE)" 0
why=$nr_why
fillers=
for k in $(seq 1 "$NODES"); do
	f=$(bundle "pod-filler$k" . "$REPORT; exec sleep 100000")
	[ -n "$why" ] || start nr "pod-filler$k" "$f"
	fillers="$fillers pod-filler$k"
done
why=$nr_why
app=$(bundle pod-app '.annotations = { "io.kubernetes.cri.container-type": "container",
		"io.kubernetes.cri.sandbox-id": "pod-sb" }' "$REPORT; exec sleep 100000")
[ -n "$why" ] || start nr pod-app "$app"
check_placement "numa-runtime, pod's app container beside busier node 0" "$app" 0
if [ -z "$nr_why" ]; then
	for id in pod-app $fillers pod-sb; do stop nr "$id"; done
fi

# ------------------------------------------------------------------ shared_nodes
# [placement] shared_nodes = gather (two-node: a node of 2 CPUs can hold
# one exclusively and keep one shared): g-s1 shares node 0's pool, g-a
# holds a CPU of node 0, then g-s2 joins node 0's pool (spread, the
# default, would put it on the emptier node 1), and node 1 stays whole.
if [ "$SCENARIO" = two-node ]; then
	gather_conf=$WORK/numa-runtime-gather.conf
	{ cat "$NR_CONF"; printf '[placement]\nshared_nodes = gather\n'; } >"$gather_conf"
	plain_conf=$NR_CONF NR_CONF=$gather_conf
	why=$nr_why
	s1=$(bundle g-s1 . "$REPORT; exec sleep 100000")
	[ -n "$why" ] || start nr g-s1 "$s1"
	a=$(bundle g-a '.annotations = { "numa-runtime.io/cpu-allocation": "exclusive",
			"numa-runtime.io/nodes": "0" } |
		.linux.resources.cpu = { "quota": 100000, "period": 100000 }' "$REPORT; exec sleep 100000")
	[ -n "$why" ] || start nr g-a "$a"
	s2=$(bundle g-s2 . "$REPORT; exec sleep 100000")
	[ -n "$why" ] || start nr g-s2 "$s2"
	held=$(field "$a/out" Cpus_allowed_list)
	check_eq "shared_nodes = gather: the exclusive container holds one CPU of node 0" \
		"$(list_expand "$held" | wc -l)/$(list_union "$held" "$(node_cpus 0)")" "1/$(node_cpus 0)"
	check_eq "shared_nodes = gather: the second shared container joins node 0: NUMA_NODE is 0" \
		"$(field "$s2/out" NUMA_NODE)" 0
	check_eq "shared_nodes = gather: its Cpus_allowed_list is node 0's pool without the held CPU" \
		"$(list_union "$(field "$s2/out" Cpus_allowed_list)" "$held")" "$(node_cpus 0)"
	check_eq "shared_nodes = gather: node 1 is whole, nobody shares it" \
		"$(NUMA_RUNTIME_CONFIG=$NR_CONF "$NR" status --json 2>&1 |
			jq -c '[.nodes[] | select(.node == 1) | .containers]')" "[0]"
	if [ -z "$nr_why" ]; then
		for id in g-s2 g-a g-s1; do stop nr "$id"; done
	fi
	NR_CONF=$plain_conf
fi

# ------------------------------------------------------------------ exclusive pod
# A pod of 2 whole CPUs held exclusively (two-node: a node's 2 CPUs), as
# kubelet creates it: the sandbox, charged the pod's CPUs by CRI's
# annotations, then its container.  The sandbox keeps no CPU of its node
# shared, so the container holds both, read inside it and in the ledger
# (as a sharer, it could hold one and would fall back to sharing both).
if [ "$SCENARIO" = two-node ]; then
	why=$nr_why
	sb=$(bundle xp-sb '.annotations = { "io.kubernetes.cri.container-type": "sandbox",
			"io.kubernetes.cri.sandbox-id": "xp-sb",
			"io.kubernetes.cri.sandbox-cpu-quota": "200000",
			"io.kubernetes.cri.sandbox-cpu-period": "100000",
			"numa-runtime.io/cpu-allocation": "exclusive" }' "$REPORT; exec sleep 100000")
	[ -n "$why" ] || start nr xp-sb "$sb"
	app=$(bundle xp-app '.annotations = { "io.kubernetes.cri.container-type": "container",
			"io.kubernetes.cri.sandbox-id": "xp-sb",
			"numa-runtime.io/cpu-allocation": "exclusive" } |
		.linux.resources.cpu = { "quota": 200000, "period": 100000 }' "$REPORT; exec sleep 100000")
	[ -n "$why" ] || start nr xp-app "$app"
	node=$(field "$app/out" NUMA_NODE)
	check_eq "exclusive pod: the container is on its sandbox's node" "$node" "$(field "$sb/out" NUMA_NODE)"
	check_eq "exclusive pod: the container's Cpus_allowed_list is its node's 2 CPUs" \
		"$(field "$app/out" Cpus_allowed_list)" "$(node_cpus "${node:-0}")"
	check_eq "exclusive pod: the ledger holds them for it exclusively" \
		"$(NUMA_RUNTIME_CONFIG=$NR_CONF "$NR" status --json 2>&1 |
			jq -r '.containers[] | select(.id == "xp-app") | .exclusive_cpus')" "$(node_cpus "${node:-0}")"
	if [ -z "$nr_why" ]; then
		for id in xp-app xp-sb; do stop nr "$id"; done
	fi
fi

# ------------------------------------------------------------------ policies
# Asked to span two nodes: the closest pair by SLIT (distance 21, never 31).
why=$nr_why
b=$(bundle span2 '.annotations = { "numa-runtime.io/numa-nodes": "2" }' \
	"$REPORT; exec sleep 100000")
[ -n "$why" ] || start nr span2 "$b"
check_eq "numa-runtime, numa-nodes=2: NUMA_NODE lists the closest pair" \
	"$(field "$b/out" NUMA_NODE)" "0-1"
check_eq "numa-runtime, numa-nodes=2: Mems_allowed_list is 0-1" \
	"$(field "$b/out" Mems_allowed_list)" "0-1"
check_eq "numa-runtime, numa-nodes=2: Cpus_allowed_list is both nodes' CPUs" \
	"$(field "$b/out" Cpus_allowed_list)" "$(list_union "$(node_cpus 0)" "$(node_cpus 1)")"
[ -n "$nr_why" ] || stop nr span2

# distribute over two nodes: memory interleaved, pages split between them.
why=$nr_why
b=$(bundle dist2 '.annotations = { "numa-runtime.io/numa-nodes": "2",
		"numa-runtime.io/spread": "distribute" }' \
	"$REPORT; exec /touch-mem $MEM_MIB")
[ -n "$why" ] || start nr dist2 "$b"
[ -n "$why" ] || wait_for "$b/out" "ready.*" || why="touch-mem did not report ready"
check_eq "numa-runtime, distribute: task memory policy is interleave over 0,1" \
	"$(sed -n 's/^mempolicy //p' "$b/out" | head -n1)" "interleave 0,1"
desc="numa-runtime, distribute: ${MEM_MIB} MiB split between nodes 0 and 1 (each >= 40%)"
if [ -n "$why" ]; then
	tap_fail "$desc ($why)"
else
	pid=$(rt nr state dist2 | jq -r .pid)
	p0=$(pages_on "$pid" 0) p1=$(pages_on "$pid" 1)
	on0=${p0% *} on1=${p1% *} total=${p0#* }
	diag "$desc: node0 $on0, node1 $on1 of $total pages"
	if [ "$total" -ge $((MEM_MIB * 256)) ] && [ $((on0 * 100)) -ge $((total * 40)) ] &&
		[ $((on1 * 100)) -ge $((total * 40)) ]; then
		pass "$desc"
	else
		tap_fail "$desc (node0 $on0, node1 $on1 of $total)"
	fi
fi
[ -n "$nr_why" ] || stop nr dist2

diag "$tap_n checks done at uptime $(cut -d" " -f1 /proc/uptime) s"
exit 0
