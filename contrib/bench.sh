#!/bin/sh
# bench.sh [-r RUNS] [-w WARMUP] [-k] [MODE...]
#
# How much time numa-runtime adds in front of the runtime, measured with
# hyperfine (medians from --export-json).  Modes:
#   runc    numa-runtime create vs runc create, numa-runtime state vs runc
#           state, on the same busybox bundle (needs root)      [default]
#   null    numa-runtime's own cost: the runtime is /bin/true, so create is
#           placement + config.json rewrite + ledger update + exec, compared
#           with exec'ing /bin/true directly
#   fake    the same with tests/fake-runtime as the runtime (slower, noisier:
#           the fake runs jq; kept to match what the tests run)
#   ledger  create against ledgers of 10, 1,000 and 10,000 entries: runs
#           contrib/bench-ledger.sh (also `make bench-ledger`)
#   nodes   create's own cost (runtime /bin/true, as null) on fixture
#           machines of 2, 8, 34 (2 CPU + 32 CPU-less) and 64 NUMA nodes
#           from tests/fixtures/gen-sysfs.sh, each against the 2-node one
#   all     runc and null
# Bundle, ledger and runtime root live on tmpfs (/dev/shm, else /run, else
# $TMPDIR with a warning), as containerd keeps bundles under /run.  In
# mode runc every timed create gets a fresh container id (a counter file
# read by the shell running the command) and --prepare deletes the previous
# one, so no run finds an id in use and the ledger stays at its starting
# size.  Modes null/fake run without a shell (-N; a shell would cost as much
# as what is measured) and reuse one id that --prepare deletes before each
# run.  Besides median wall time, the mean user+system CPU time is shown:
# on a loaded machine it is the steadier measure of the added cost.
#
# Options: -r RUNS (default 30), -w WARMUP (default 3), -k keep the work
# directory and hyperfine's JSON.  Environment: NUMA_RUNTIME (default
# ../src/numa-runtime next to this script, else on PATH), RUNC, BENCH_DIR
# (parent directory instead of the tmpfs guess).
set -eu

prog=bench.sh
die() { printf '%s: %s\n' "$prog" "$*" >&2; exit 1; }
note() { printf '%s\n' "$*" >&2; }

runs=30
warmup=3
keep=0
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/lib/common.sh
. "$here/../tests/lib/common.sh"
script_options "r:runs w:warmup k=keep" "$@"
shift $((NR_OPTIND - 1))
[ $# -gt 0 ] || set -- runc

bin=$(find_numa_runtime "${NUMA_RUNTIME:-}" "$here/../src/numa-runtime") ||
	die "numa-runtime not found (set NUMA_RUNTIME)"
command -v hyperfine >/dev/null 2>&1 || die "hyperfine not found"
command -v jq >/dev/null 2>&1 || die "jq not found"
bundle_sh=$here/../tests/busybox-bundle.sh
fake_runtime=$here/../tests/fake-runtime

# --- work directory on tmpfs ---------------------------------------------

is_tmpfs() { [ "$(stat -f -c %T "$1" 2>/dev/null)" = tmpfs ] && [ -w "$1" ]; }
if [ -n "${BENCH_DIR:-}" ]; then
	base=$BENCH_DIR
elif is_tmpfs /dev/shm; then
	base=/dev/shm
elif is_tmpfs /run; then
	base=/run
else
	base=${TMPDIR:-/tmp}
	note "warning: no writable tmpfs found, using $base ($(stat -f -c %T "$base")); writes to its files will dominate"
fi
work=$(mktemp -d "$base/numa-runtime-bench.XXXXXX")
root=$work/runc-root
cleanup() {
	if [ -d "$root" ] && [ -n "${runc:-}" ]; then
		for c in $("$runc" --root "$root" list -q 2>/dev/null); do
			"$runc" --root "$root" delete -f "$c" >/dev/null 2>&1 || true
		done
	fi
	if [ "$keep" = 1 ]; then note "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# write_config RUNTIME LEDGER: the numa-runtime config for one mode.
write_config() {
	cat >"$work/numa-runtime.conf" <<EOF
[runtime]
path = $1

[ledger]
path = $2

[topology]
sysfs_root = ${BENCH_SYSFS_ROOT:-/sys}

[placement]
policy = best-effort
EOF
}
NUMA_RUNTIME_CONFIG=$work/numa-runtime.conf
export NUMA_RUNTIME_CONFIG

# --- hyperfine helpers ----------------------------------------------------

# prep_script NAME DELETE...: writes $work/NAME.{prep,cleanup} so that each
# timed run uses id NAME-<n>: prep deletes NAME-<n> with DELETE... and bumps
# the counter, the timed command (timed_create) reads it with a builtin.
prep_script() {
	name=$1
	shift
	echo 0 >"$work/$name.ctr"
	{
		printf 'read -r n < %s\n' "$work/$name.ctr"
		printf '%s %s-"$n" >/dev/null 2>&1 || true\n' "$*" "$name"
		printf 'echo $((n + 1)) > %s\n' "$work/$name.ctr"
	} >"$work/$name.prep"
	# after the last run (hyperfine --cleanup): delete the last id
	{
		printf 'read -r n < %s\n' "$work/$name.ctr"
		printf '%s %s-"$n" >/dev/null 2>&1 || true\n' "$*" "$name"
	} >"$work/$name.cleanup"
}

# timed_create NAME CREATE...: the shell command hyperfine times.
timed_create() {
	name=$1
	shift
	printf 'read -r n < %s; exec %s %s-"$n"' "$work/$name.ctr" "$*" "$name"
}

# hf JSON ARGS...: run hyperfine, quietly unless BENCH_VERBOSE=1.
hf() {
	json=$1
	shift
	style=none
	[ "${BENCH_VERBOSE:-0}" = 1 ] && style=basic
	if ! hyperfine --style "$style" --runs "$runs" --warmup "$warmup" \
		--export-json "$json" "$@" >"$work/hyperfine.out" 2>&1; then
		cat "$work/hyperfine.out" >&2
		die "hyperfine failed"
	fi
	[ "$style" = none ] || cat "$work/hyperfine.out" >&2
}

# median_ms JSON INDEX / spread_ms JSON INDEX
median_ms() { jq -r --argjson i "$2" '.results[$i].median * 1000 | . * 1000 | round / 1000' "$1"; }
iqr_ms() {
	jq -r --argjson i "$2" '.results[$i].times | sort | (.[length / 4 | floor], .[length * 3 / 4 | floor])
		| . * 1000 * 1000 | round / 1000' "$1" | paste -sd- -
}

# cpu_ms JSON INDEX: mean user+system CPU time; unlike wall time it hardly
# moves when other processes compete for the CPUs.
cpu_ms() { jq -r --argjson i "$2" '(.results[$i].user + .results[$i].system) * 1000 * 1000 | round / 1000' "$1"; }

# report JSON LABEL_BASE LABEL_WRAPPED: two results, base first.
report() {
	b=$(median_ms "$1" 0)
	w=$(median_ms "$1" 1)
	bc=$(cpu_ms "$1" 0)
	wc=$(cpu_ms "$1" 1)
	printf '  %-34s %9.3f ms  cpu %7.3f ms  (wall IQR %s ms)\n' "$2" "$b" "$bc" "$(iqr_ms "$1" 0)"
	printf '  %-34s %9.3f ms  cpu %7.3f ms  (wall IQR %s ms)\n' "$3" "$w" "$wc" "$(iqr_ms "$1" 1)"
	awk -v b="$b" -v w="$w" -v bc="$bc" -v wc="$wc" 'BEGIN {
		printf "  %-34s %+9.3f ms  cpu %+7.3f ms  (wall x%.2f)\n", "overhead (median wall)", w - b, wc - bc,
			(b > 0 ? w / b : 0) }'
}

# load_note: say so when other work competes for the CPUs (wall times
# then mostly measure the scheduler; compare the cpu columns instead).
load_note() {
	[ -r /proc/loadavg ] || return 0
	awk -v n="$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)" '{
		if ($1 > n / 2)
			printf "  note: load average %s on %d CPUs: wall times are noisy, compare cpu\n", $1, n }' /proc/loadavg
}

# --- modes ----------------------------------------------------------------

bundle() {
	[ -d "$work/bundle" ] && return 0
	[ -x "$bundle_sh" ] || die "missing $bundle_sh"
	"$bundle_sh" "$work/bundle" sleep 3600
}

bench_runc() {
	[ "$(id -u)" -eq 0 ] || die "mode runc needs root"
	runc=${RUNC:-$(command -v runc || true)}
	[ -n "$runc" ] || die "runc not found (set RUNC)"
	bundle
	write_config "$runc" "$work/ledger-runc.json"
	B=$work/bundle

	prep_script rc "$runc --root $root delete -f"
	prep_script nr "$bin --root $root delete -f"
	hf "$work/create-runc.json" --shell=sh \
		-c "sh $work/rc.cleanup; sh $work/nr.cleanup" \
		-p "sh $work/rc.prep" -n "runc create" \
		"$(timed_create rc "$runc --root $root create --bundle $B")" \
		-p "sh $work/nr.prep" -n "numa-runtime create" \
		"$(timed_create nr "$bin --root $root create --bundle $B")" </dev/null

	"$bin" --root "$root" create --bundle "$B" st </dev/null >/dev/null 2>&1 ||
		die "numa-runtime create for the state benchmark failed"
	hf "$work/state-runc.json" -N -n "runc state" "$runc --root $root state st" \
		-n "numa-runtime state" "$bin --root $root state st"
	"$bin" --root "$root" delete -f st >/dev/null 2>&1 || true

	printf '%s, bundle and ledger on %s, %s runs (+%s warmup), medians:\n' \
		"$("$runc" --version | head -n 1)" "$(stat -f -c %T "$work")" "$runs" "$warmup"
	load_note
	report "$work/create-runc.json" "runc create" "numa-runtime create"
	report "$work/state-runc.json" "runc state" "numa-runtime state"
	left=$(bash "$here/../tests/ledger-doc.sh" "$work/ledger-runc.json" 2>/dev/null |
		jq -r '.containers | length' 2>/dev/null || echo '?')
	printf '  ledger entries left afterwards: %s\n' "$left"
}

# bench_null RUNTIME LABEL: numa-runtime's own cost in front of RUNTIME.
bench_null() {
	rt=$1
	label=$2
	B=$work/bundle-null
	mkdir -p "$B/rootfs"
	# a spec-shaped config.json; no rootfs contents are needed
	if [ -d "$work/bundle" ]; then
		cp "$work/bundle/config.json" "$B/config.json"
	else
		cat >"$B/config.json" <<'EOF'
{"ociVersion":"1.0.2-dev","process":{"terminal":false,"user":{"uid":0,"gid":0},"args":["sh"],"env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","TERM=xterm"],"cwd":"/","noNewPrivileges":true},"root":{"path":"rootfs","readonly":true},"hostname":"bench","mounts":[{"destination":"/proc","type":"proc","source":"proc"}],"linux":{"resources":{"devices":[{"allow":false,"access":"rwm"}]},"namespaces":[{"type":"pid"},{"type":"network"},{"type":"ipc"},{"type":"uts"},{"type":"mount"}]}}
EOF
	fi
	write_config "$rt" "$work/ledger-$label.json"
	FAKE_RUNTIME_LOG=$work/fake.log
	export FAKE_RUNTIME_LOG

	# At this scale the shell hyperfine would need for a counter costs as
	# much as what is measured, so these runs use -N and one id per
	# command; --prepare deletes it (releasing the ledger entry) before each
	# run, so every run still creates a container the ledger does not hold.
	hf "$work/create-$label.json" -N \
		-p "$rt --root $root delete -f base-$label" -n "$label create" \
		"$rt --root $root create --bundle $B base-$label" \
		-p "$bin --root $root delete -f nr-$label" -n "numa-runtime create ($label)" \
		"$bin --root $root create --bundle $B nr-$label" \
		-c "$bin --root $root delete -f nr-$label"

	"$bin" --root "$root" create --bundle "$B" st >/dev/null 2>&1 ||
		die "numa-runtime create with runtime $rt failed"
	hf "$work/state-$label.json" -N -n "$label state" "$rt --root $root state st" \
		-n "numa-runtime state ($label)" "$bin --root $root state st"
	"$bin" --root "$root" delete -f st >/dev/null 2>&1 || true

	printf 'runtime %s (numa-runtime alone), files on %s, %s runs (+%s warmup), medians:\n' \
		"$rt" "$(stat -f -c %T "$work")" "$runs" "$warmup"
	load_note
	report "$work/create-$label.json" "$label create" "numa-runtime create ($label)"
	report "$work/state-$label.json" "$label state" "numa-runtime state ($label)"
}

# --- node count -----------------------------------------------------------
# bench_nodes: the same create (1 CPU, 1 GiB) on fixtures of 2, 8, 34 and
# 64 nodes; only [topology] sysfs_root changes.  Each run starts from the
# same ledger: --prepare deletes the id the previous run created.
bench_nodes() {
	gen=$here/../tests/fixtures/gen-sysfs.sh
	B=$work/bundle-nodes
	mkdir -p "$B/rootfs"
	cat >"$B/config.json" <<'EOF'
{"ociVersion":"1.0.2-dev","process":{"terminal":false,"user":{"uid":0,"gid":0},"args":["sh"],"cwd":"/"},"root":{"path":"rootfs"},"linux":{"resources":{"memory":{"limit":1073741824},"cpu":{"quota":100000,"period":100000}},"namespaces":[{"type":"pid"},{"type":"mount"}]}}
EOF
	printf 'create on fixture machines (runtime %s), files on %s, %s runs (+%s warmup), medians:\n' \
		"$true_bin" "$(stat -f -c %T "$work")" "$runs" "$warmup"
	load_note
	base=
	for m in two-socket:2 eight-node:8 gb200:34 sixty-four:64; do
		name=${m%:*} count=${m#*:}
		sh "$gen" "$name" "$work/fixture-$name" >/dev/null
		mkdir -p "$work/nodes-$count"
		BENCH_SYSFS_ROOT=$work/fixture-$name/sys write_config "$true_bin" "$work/nodes-$count/ledger.json"
		cp "$work/numa-runtime.conf" "$work/nodes-$count.conf"
		NUMA_RUNTIME_CONFIG=$work/nodes-$count.conf hf "$work/nodes-$count.json" -N \
			-p "$bin --root $root delete -f n$count" -n "create, $count nodes" \
			"$bin --root $root create --bundle $B n$count" \
			-c "$bin --root $root delete -f n$count"
		med=$(median_ms "$work/nodes-$count.json" 0)
		cpu=$(cpu_ms "$work/nodes-$count.json" 0)
		[ -n "$base" ] || base=$med basecpu=$cpu
		awk -v c="$count" -v m="$med" -v u="$cpu" -v b="$base" -v bu="$basecpu" \
			-v iqr="$(iqr_ms "$work/nodes-$count.json" 0)" 'BEGIN {
			printf "  create, %2d nodes %9.3f ms  cpu %7.3f ms  (wall IQR %s ms)  vs 2 nodes %+7.3f ms  cpu %+7.3f ms\n",
				c, m, u, iqr, m - b, u - bu }'
	done
}

# --- ledger size ----------------------------------------------------------
# contrib/bench-ledger.sh generates the ledgers and times create against
# each; see its header.
bench_ledger() {
	NUMA_RUNTIME=$bin bash "$here/bench-ledger.sh" -r "$runs" -w "$warmup"
}

# `command -v true` names the shell builtin; the null runtime must be a file
true_bin=
for p in /bin/true /usr/bin/true; do
	[ -x "$p" ] && true_bin=$p && break
done
[ -n "$true_bin" ] || die "no true(1) binary found for the null runtime"

printf 'numa-runtime: %s\n' "$bin"
for mode in "$@"; do
	case $mode in
	runc) bench_runc ;;
	null) bench_null "$true_bin" null ;;
	fake) bench_null "$fake_runtime" fake ;;
	ledger) bench_ledger ;;
	nodes) bench_nodes ;;
	all)
		bench_runc
		bench_null "$true_bin" null
		;;
	*) die "unknown mode $mode (runc, null, fake, ledger, nodes, all)" ;;
	esac
done
