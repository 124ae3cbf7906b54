# ledger-helpers.bash: what the ledger tests need on top of helpers.bash.
# Adds:
#   FAST_RUNTIME          tests/fast-runtime (built from fast-runtime.c
#                         when missing or stale): a runc stand-in that keeps
#                         <root>/<id>/state.json like runc does
#   make_sysfs DIR NODES CPUS_PER_NODE [MEM_KB]   a fixture sysfs tree
#   ledger_config [KEY=VALUE...]                  (re)write the config
#   ledger_bundle DIR [CPUS [MEMORY]]             a bundle whose config.json
#                         asks for CPUS (quota/period) and MEMORY bytes

load helpers
# make_sysfs, shared with the stress scripts and bench-ledger.sh.
# shellcheck source=tests/stress/lib.sh
. "$BATS_TEST_DIRNAME/stress/lib.sh"

# build_fast_runtime: set FAST_RUNTIME, compiling tests/fast-runtime.c
# into the bats run's temp dir when no up-to-date build is next to it.
build_fast_runtime() {
	local src=$TESTS_DIR/fast-runtime.c built=$TESTS_DIR/fast-runtime
	if [ -n "${FAST_RUNTIME:-}" ] && [ -x "$FAST_RUNTIME" ]; then
		return 0
	fi
	if [ -x "$built" ] && ! [ "$src" -nt "$built" ]; then
		FAST_RUNTIME=$built
	else
		FAST_RUNTIME=${BATS_RUN_TMPDIR:-${TMPDIR:-/tmp}}/fast-runtime
		[ -x "$FAST_RUNTIME" ] ||
			${CC:-cc} -O2 -o "$FAST_RUNTIME" "$src" || fail "cannot build $src"
	fi
	export FAST_RUNTIME
}

# ledger_config [SECTION.KEY=VALUE...]: write $NUMA_RUNTIME_CONFIG with the
# fast runtime, $LEDGER and $SYSFS, plus the given placement settings.
ledger_config() {
	local kv policy=best-effort alloc=shared proc=/proc
	for kv in "$@"; do
		case $kv in
		policy=*) policy=${kv#*=} ;;
		cpu_allocation=*) alloc=${kv#*=} ;;
		proc_root=*) proc=${kv#*=} ;;
		*) fail "ledger_config: unknown setting $kv" ;;
		esac
	done
	cat >"$NUMA_RUNTIME_CONFIG" <<EOF
[runtime]
path = $FAST_RUNTIME

[ledger]
path = $LEDGER

[topology]
sysfs_root = $SYSFS
proc_root = $proc

[placement]
policy = $policy
cpu_allocation = $alloc
EOF
}

# ledger_bundle DIR [CPUS [MEMORY]]: a minimal bundle for the fast runtime.
ledger_bundle() {
	local dir=$1 cpus=${2:-0} mem=${3:-0} cpu= memory=
	mkdir -p "$dir/rootfs"
	[ "$cpus" = 0 ] || cpu="\"cpu\": {\"quota\": $((cpus * 100000)), \"period\": 100000},"
	[ "$mem" = 0 ] || memory="\"memory\": {\"limit\": $mem},"
	cat >"$dir/config.json" <<EOF
{
	"ociVersion": "1.0.2-dev",
	"process": {"args": ["sh"], "env": ["PATH=/bin"], "cwd": "/"},
	"root": {"path": "rootfs"},
	"linux": {
		"resources": {
			$cpu
			$memory
			"devices": [{"allow": false, "access": "rwm"}]
		}
	}
}
EOF
}

# ledger_setup: per-test dir, two nodes of four CPUs, the fast runtime.
ledger_setup() {
	nr_setup
	build_fast_runtime
	SYSFS=$T/sys
	export SYSFS
	make_sysfs "$SYSFS" 2 4
	ledger_config
}
