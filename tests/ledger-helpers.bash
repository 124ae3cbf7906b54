# ledger-helpers.bash: what the ledger tests need on top of helpers.bash.
#
# Loads tests/helpers.bash when it is there and otherwise defines the few
# of its functions these tests use, with the same meaning.  Adds:
#   FAST_RUNTIME          tests/fast-runtime (built from fast-runtime.c
#                         when missing or stale): a runc stand-in that keeps
#                         <root>/<id>/state.json like runc does
#   make_sysfs DIR NODES CPUS_PER_NODE [MEM_KB]   a fixture sysfs tree
#   ledger_config [KEY=VALUE...]                  (re)write the config
#   ledger_bundle DIR [CPUS [MEMORY]]             a bundle whose config.json
#                         asks for CPUS (quota/period) and MEMORY bytes

bats_require_minimum_version 1.5.0

TESTS_DIR=$(cd "$BATS_TEST_DIRNAME" && pwd)

if [ -f "$TESTS_DIR/helpers.bash" ]; then
	load helpers
else
	NUMA_RUNTIME=${NUMA_RUNTIME:-$TESTS_DIR/../src/numa-runtime}
	NR_TIMEOUT=${NR_TIMEOUT:-60}
	export NUMA_RUNTIME NR_TIMEOUT

	fail() {
		printf '%s\n' "$@" >&2
		return 1
	}
	nr_skip() {
		if [ "${NR_TEST_STRICT:-0}" = 1 ]; then
			fail "skip turned into failure (NR_TEST_STRICT=1): $*"
			return 1
		fi
		skip "$*"
	}
	nr_setup() {
		[ -x "$NUMA_RUNTIME" ] || fail "numa-runtime not found at $NUMA_RUNTIME (build it or set NUMA_RUNTIME)"
		command -v jq >/dev/null 2>&1 || fail "jq is required by the tests"
		T=$(mktemp -d "${BATS_TEST_TMPDIR:-${TMPDIR:-/tmp}}/nr.XXXXXX")
		RUNC_ROOT=$T/runc-root
		LEDGER=$T/ledger.json
		NUMA_RUNTIME_CONFIG=$T/numa-runtime.conf
		export T RUNC_ROOT LEDGER NUMA_RUNTIME_CONFIG
	}
	nr_teardown() {
		[ -n "${T:-}" ] || return 0
		cd / || true
		rm -rf "$T"
	}
	nr() {
		timeout "$NR_TIMEOUT" "$NUMA_RUNTIME" --root "$RUNC_ROOT" "$@"
	}
	ledger_ids() {
		[ -f "$LEDGER" ] || return 0
		jq -r '.containers[].id' "$LEDGER"
	}
	ledger_field() {
		jq -r --arg id "$1" --arg k "$2" '.containers[] | select(.id == $id) | .[$k] | tostring' "$LEDGER"
	}
	assert_ledger_ids() {
		local want got
		want=$(printf '%s\n' "$@" | sed '/^$/d' | sort)
		got=$(ledger_ids | sort)
		[ "$got" = "$want" ] || fail "ledger ids differ" "expected: $(echo $want)" "got:      $(echo $got)"
	}
	assert_success() {
		[ "$status" -eq 0 ] || fail "expected success, got exit status $status" \
			"stdout: $output" "stderr: ${stderr:-}"
	}
	assert_failure() {
		if [ $# -gt 0 ]; then
			[ "$status" -eq "$1" ] || fail "expected exit status $1, got $status" \
				"stdout: $output" "stderr: ${stderr:-}"
		else
			[ "$status" -ne 0 ] || fail "expected failure, got exit status 0" \
				"stdout: $output" "stderr: ${stderr:-}"
		fi
	}
	assert_equal() {
		[ "$1" = "$2" ] || fail "${3:-value} differs" "expected: $2" "got:      $1"
	}
	assert_output_contains() {
		case $output in
		*"$1"*) ;;
		*) fail "output does not contain \"$1\"" "output: $output" ;;
		esac
	}
fi

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

# make_sysfs DIR NODES CPUS_PER_NODE [MEM_KB]: node N has CPUs
# N*CPUS_PER_NODE..., MEM_KB of memory (default 16 GiB), siblings in pairs.
make_sysfs() {
	local dir=$1 nodes=$2 per=$3 mem=${4:-16777216} n c first last dist
	mkdir -p "$dir/devices/system/node" "$dir/devices/system/cpu"
	echo "0-$((nodes - 1))" >"$dir/devices/system/node/online"
	echo "0-$((nodes * per - 1))" >"$dir/devices/system/cpu/online"
	for ((n = 0; n < nodes; n++)); do
		first=$((n * per))
		last=$((first + per - 1))
		mkdir -p "$dir/devices/system/node/node$n/hugepages/hugepages-2048kB"
		echo "$first-$last" >"$dir/devices/system/node/node$n/cpulist"
		printf 'Node %d MemTotal:       %d kB\nNode %d MemFree:        %d kB\n' \
			"$n" "$mem" "$n" "$mem" >"$dir/devices/system/node/node$n/meminfo"
		dist=
		for ((c = 0; c < nodes; c++)); do
			dist="$dist $([ "$c" -eq "$n" ] && echo 10 || echo 21)"
		done
		echo "${dist# }" >"$dir/devices/system/node/node$n/distance"
		echo 0 >"$dir/devices/system/node/node$n/hugepages/hugepages-2048kB/nr_hugepages"
		echo 0 >"$dir/devices/system/node/node$n/hugepages/hugepages-2048kB/free_hugepages"
		for ((c = first; c <= last; c++)); do
			mkdir -p "$dir/devices/system/cpu/cpu$c/topology"
			echo "$((c - c % 2)),$((c - c % 2 + 1))" >"$dir/devices/system/cpu/cpu$c/topology/thread_siblings_list"
		done
	done
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
