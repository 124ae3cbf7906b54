# helpers.bash: loaded by every tests/*.bats file (`load helpers`).
#
# Environment (all optional):
#   NUMA_RUNTIME   binary under test (default: ../src/numa-runtime from here)
#   RUNC           real runtime for the runc tests (default: runc on PATH)
#   NR_TIMEOUT     seconds before a numa-runtime call is killed (default 60)
#   NUMA_TEST_STRICT set to 1 to turn every skip into a failure
#
# Each test gets its own directory $T holding:
#   $T/numa-runtime.conf   exported as NUMA_RUNTIME_CONFIG
#   $T/ledger.json         the ledger's index ($LEDGER), absent until first
#                          written, with its shards in $T/ledger.json.d/
#                          (read it with ledger_doc, see docs/LEDGER.md)
#   $T/runc-root           runtime state (--root), so containers never collide
#   $T/fake.log[.d]        what tests/fake-runtime saw ($FAKE_RUNTIME_LOG)

bats_require_minimum_version 1.5.0

TESTS_DIR=$(cd "$BATS_TEST_DIRNAME" && pwd)
FIXTURES=$TESTS_DIR/fixtures
FAKE_RUNTIME=$TESTS_DIR/fake-runtime
BUSYBOX_BUNDLE=$TESTS_DIR/busybox-bundle.sh
NUMA_RUNTIME=${NUMA_RUNTIME:-$TESTS_DIR/../src/numa-runtime}
RUNC=${RUNC:-$(command -v runc || true)}
NR_TIMEOUT=${NR_TIMEOUT:-60}
export NUMA_RUNTIME RUNC NR_TIMEOUT

# --- failing and skipping -------------------------------------------------

# fail, nr_skip (the strict skip), require_root, require_busybox, ledger_doc
# and busybox_bundle come from the one test library.
# shellcheck source=tests/lib/common.sh
. "$TESTS_DIR/lib/common.sh"

require_runc() {
	[ -n "$RUNC" ] && [ -x "$RUNC" ] || nr_skip "needs runc (not on PATH and RUNC not set)"
}

# --- per-test setup -------------------------------------------------------

# nr_setup: the per-test directory and a config using the real runtime and
# the host's /sys; files wanting something else call use_* afterwards.
nr_setup() {
	[ -x "$NUMA_RUNTIME" ] || fail "numa-runtime not found at $NUMA_RUNTIME (build it or set NUMA_RUNTIME)"
	command -v jq >/dev/null 2>&1 || fail "jq is required by the tests"
	T=$(mktemp -d "${BATS_TEST_TMPDIR:-${TMPDIR:-/tmp}}/nr.XXXXXX")
	RUNC_ROOT=$T/runc-root
	LEDGER=$T/ledger.json
	NUMA_RUNTIME_CONFIG=$T/numa-runtime.conf
	FAKE_RUNTIME_LOG=$T/fake.log
	export T RUNC_ROOT LEDGER NUMA_RUNTIME_CONFIG FAKE_RUNTIME_LOG
	unset FAKE_DELETE_STATUS FAKE_EXIT_STATUS FAKE_CREATE_STATUS FAKE_FEATURES
	CFG_RUNTIME=${RUNC:-/nonexistent/runc}
	CFG_LEDGER=$LEDGER
	CFG_SYSFS=/sys
	CFG_POLICY=best-effort
	CFG_EXTRA=
	write_config
}

# nr_teardown: force-delete whatever is left under this test's runc root,
# then remove the test directory.
nr_teardown() {
	[ -n "${T:-}" ] || return 0
	cd / || true
	runc_delete_all "$RUNC_ROOT"
	rm -rf "$T"
}

setup() { nr_setup; }
teardown() { nr_teardown; }

# write_config: (re)writes $NUMA_RUNTIME_CONFIG from the CFG_* variables;
# CFG_EXTRA (more INI sections and keys) goes at the end.
write_config() {
	cat >"$NUMA_RUNTIME_CONFIG" <<EOF
# written by tests/helpers.bash for: $BATS_TEST_DESCRIPTION
[runtime]
path = $CFG_RUNTIME

[ledger]
path = $CFG_LEDGER

[topology]
sysfs_root = $CFG_SYSFS

[placement]
policy = $CFG_POLICY
${CFG_EXTRA:-}
EOF
}

use_runtime() {
	CFG_RUNTIME=$1
	write_config
}
use_fake_runtime() { use_runtime "$FAKE_RUNTIME"; }
# use_machine DIR [POLICY]: a machine of tests/fixtures/gen-sysfs.sh at
# DIR: DIR/sys as sysfs_root and DIR/proc as proc_root (the drivers'
# files), which write_config does not know; POLICY (default best-effort).
use_machine() {
	CFG_SYSFS=$1/sys
	CFG_POLICY=${2:-best-effort}
	write_config
	printf '\n[topology]\nproc_root = %s\n' "$1/proc" >>"$NUMA_RUNTIME_CONFIG"
}
use_sysfs() {
	CFG_SYSFS=$1
	write_config
}
use_fixture() { use_sysfs "$FIXTURES/$1"; }
use_ledger() {
	CFG_LEDGER=$1
	write_config
}

# --- running numa-runtime -------------------------------------------------

# nr ARGS...: numa-runtime with this test's runtime root.
nr() {
	timeout "$NR_TIMEOUT" "$NUMA_RUNTIME" --root "$RUNC_ROOT" "$@"
}

# nr_raw ARGS...: numa-runtime with exactly ARGS.
nr_raw() {
	timeout "$NR_TIMEOUT" "$NUMA_RUNTIME" "$@"
}

# nr_detached ARGS...: like nr, for create/start of a real container: the
# container keeps the stdio it inherits open, so it gets files, not the pipe
# `run` reads from (that would hang).  Output lands in $T/detached.out/.err.
nr_detached() {
	nr "$@" </dev/null >"$T/detached.out" 2>"$T/detached.err" 3>&-
}

# --- bundles --------------------------------------------------------------

# spec_bundle DIR: a bundle with only a config.json, shaped like the output
# of `runc spec`, for tests that use the fake runtime.
spec_bundle() {
	mkdir -p "$1/rootfs" || return 1
	cat >"$1/config.json" <<'EOF'
{
	"ociVersion": "1.0.2-dev",
	"process": {
		"terminal": false,
		"user": {"uid": 0, "gid": 0},
		"args": ["sh"],
		"env": [
			"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
			"TERM=xterm"
		],
		"cwd": "/",
		"capabilities": {
			"bounding": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
			"effective": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
			"permitted": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
		},
		"rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
		"noNewPrivileges": true
	},
	"root": {"path": "rootfs", "readonly": true},
	"hostname": "fake",
	"mounts": [
		{"destination": "/proc", "type": "proc", "source": "proc"},
		{"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
		 "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]}
	],
	"linux": {
		"resources": {
			"devices": [{"allow": false, "access": "rwm"}]
		},
		"namespaces": [
			{"type": "pid"}, {"type": "network"}, {"type": "ipc"},
			{"type": "uts"}, {"type": "mount"}
		],
		"maskedPaths": ["/proc/kcore"],
		"readonlyPaths": ["/proc/sys"]
	}
}
EOF
}

# excl_bundle DIR CPUS [ANNOTATIONS_JSON]: a spec_bundle asking for CPUS
# whole CPUs (a CPU quota of CPUS periods): exclusive CPUs under
# cpu_allocation = exclusive.
excl_bundle() {
	spec_bundle "$1"
	jq --argjson n "$2" --argjson a "${3:-{\}}" \
		'.linux.resources.cpu = {"quota": ($n * 100000), "period": 100000} | .annotations = $a' \
		"$1/config.json" >"$1/c.json" && mv "$1/c.json" "$1/config.json"
}

# seed_one_entry: for the refusal suites: one entry (c0) in the ledger, so
# that "the ledger is unchanged" means something, and a fresh bundle at
# B=$T/bundle for the test to spoil.
seed_one_entry() {
	spec_bundle "$T/b0"
	run --separate-stderr nr create --bundle "$T/b0" c0
	assert_success
	assert_ledger_ids c0
	spec_bundle "$T/bundle"
	B=$T/bundle
}

# --- fake runtime log -----------------------------------------------------

# json_argv ARGS...: ARGS as the one-line JSON array the fake runtime logs.
json_argv() {
	jq -cn '$ARGS.positional' --args -- "$@"
}

fake_calls() {
	if [ -f "$FAKE_RUNTIME_LOG" ]; then wc -l <"$FAKE_RUNTIME_LOG"; else echo 0; fi
}

# assert_runtime_argv ARGS...: the runtime's last call had exactly ARGS.
assert_runtime_argv() {
	local want got
	want=$(json_argv "$@")
	[ -s "$FAKE_RUNTIME_LOG" ] || fail "runtime was never called" "expected argv: $want"
	got=$(tail -n 1 "$FAKE_RUNTIME_LOG")
	[ "$got" = "$want" ] || fail "runtime argv differs" "expected: $want" "got:      $got"
}

assert_runtime_not_called() {
	[ ! -s "$FAKE_RUNTIME_LOG" ] ||
		fail "runtime was called, expected no call:" "$(cat "$FAKE_RUNTIME_LOG")"
}

# fake_config ID: the config.json the fake runtime was handed for ID.
fake_config() {
	printf '%s\n' "$FAKE_RUNTIME_LOG.d/$1.json"
}

# fake_container ID [BUNDLE]: make the fake runtime believe ID exists.
fake_container() {
	mkdir -p "$FAKE_RUNTIME_LOG.d"
	if [ -n "${2:-}" ]; then
		cp "$2/config.json" "$FAKE_RUNTIME_LOG.d/$1.json"
		echo "$2" >"$FAKE_RUNTIME_LOG.d/$1.bundle"
	else
		echo '{}' >"$FAKE_RUNTIME_LOG.d/$1.json"
	fi
}

# --- config.json and ledger ----------------------------------------------

cfg_cpus() { jq -r '.linux.resources.cpu.cpus // "<unset>"' "$1"; }
cfg_mems() { jq -r '.linux.resources.cpu.mems // "<unset>"' "$1"; }
# cfg_numa_env FILE: every NUMA_NODE= entry of process.env, one a line.
cfg_numa_env() { jq -r '(.process.env // [])[] | select(startswith("NUMA_NODE="))' "$1"; }

# assert_placed FILE NODE CPUS: FILE's config.json is pinned to NODE/CPUS
# with exactly one NUMA_NODE=NODE in process.env.
assert_placed() {
	local file=$1 node=$2 cpus=$3 got
	[ -f "$file" ] || fail "no config.json at $file (runtime not called for create?)"
	got=$(cfg_cpus "$file")
	[ "$got" = "$cpus" ] || fail "$file: linux.resources.cpu.cpus: expected \"$cpus\", got \"$got\""
	got=$(cfg_mems "$file")
	[ "$got" = "$node" ] || fail "$file: linux.resources.cpu.mems: expected \"$node\", got \"$got\""
	got=$(cfg_numa_env "$file")
	[ "$got" = "NUMA_NODE=$node" ] ||
		fail "$file: process.env NUMA_NODE entries: expected exactly \"NUMA_NODE=$node\", got:" "${got:-<none>}"
}

# The fields numa-runtime owns in config.json; what is left must survive.
JQ_STRIP_OWNED='
	del(.linux.resources.cpu.cpus, .linux.resources.cpu.mems)
	| if .linux.resources.cpu == {} then del(.linux.resources.cpu) else . end
	| if .linux.resources == {} then del(.linux.resources) else . end
	| if (.process.env | type) == "array"
	  then .process.env |= map(select(startswith("NUMA_NODE=") or startswith("NUMA_MEMORY_NODES=") | not))
	  else . end'

# ledger_jq JQ_ARGS...: jq JQ_ARGS on the whole ledger (ledger_doc).
ledger_jq() {
	local doc
	doc=$(ledger_doc "$LEDGER") || fail "cannot read the ledger $LEDGER" || return
	jq "$@" <<<"$doc"
}

assert_ledger_ids() {
	local want got
	want=$(printf '%s\n' "$@" | sed '/^$/d' | sort)
	got=$(ledger_ids) || return
	got=$(sort <<<"$got" | sed '/^$/d')
	[ "$got" = "$want" ] || fail "ledger ids differ" "expected: $(echo $want)" "got:      $(echo $got)"
}

# --- generic assertions ---------------------------------------------------

assert_success() {
	[ "$status" -eq 0 ] || fail "expected success, got exit status $status" \
		"stdout: $output" "stderr: ${stderr:-}"
}

# assert_failure [STATUS]
assert_failure() {
	if [ $# -gt 0 ]; then
		[ "$status" -eq "$1" ] || fail "expected exit status $1, got $status" \
			"stdout: $output" "stderr: ${stderr:-}"
	else
		[ "$status" -ne 0 ] || fail "expected failure, got exit status 0" \
			"stdout: $output" "stderr: ${stderr:-}"
	fi
}

# assert_refusal: the last `run --separate-stderr` refused the way the
# contract says: exit status 1, nothing on stdout, exactly one line on
# stderr, starting "numa-runtime: ".
assert_refusal() {
	assert_failure 1
	assert_equal "$output" "" "stdout"
	[ "${#stderr_lines[@]}" -eq 1 ] ||
		fail "expected exactly one line on stderr, got ${#stderr_lines[@]}:" "${stderr:0:2000}"
	case ${stderr_lines[0]} in
	"numa-runtime: "?*) ;;
	*) fail "stderr does not start with \"numa-runtime: \": ${stderr_lines[0]:0:500}" ;;
	esac
}

assert_output() {
	[ "$output" = "$1" ] || fail "output differs" "expected: $1" "got:      $output"
}

assert_output_contains() {
	case $output in
	*"$1"*) ;;
	*) fail "output does not contain \"$1\"" "output: $output" ;;
	esac
}

assert_file_same() {
	cmp -s "$1" "$2" || fail "$1 changed (differs from $2):" "$(diff "$2" "$1" | head -n 20)"
}

# assert_json_same GOT WANT [JQ_FILTER]: same JSON after JQ_FILTER, keys sorted.
assert_json_same() {
	local got want
	got=$(jq -S "${3:-.}" "$1") || fail "$1 is not valid JSON"
	want=$(jq -S "${3:-.}" "$2") || fail "$2 is not valid JSON"
	[ "$got" = "$want" ] || fail "JSON differs ($1 vs $2):" "$(diff <(echo "$want") <(echo "$got") | head -n 40)"
}
