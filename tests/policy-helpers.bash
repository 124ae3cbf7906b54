# policy-helpers.bash: loaded by tests/07-policy.bats and
# tests/08-mempolicy-runc.bats (`load policy-helpers`).
#
# Environment (all optional):
#   NUMA_RUNTIME   binary under test (default: ../src/numa-runtime from here)
#   RUNC           real runtime for the runc tests (default: runc on PATH)
#   NUMA_TEST_STRICT (or NR_TEST_STRICT) set to 1 to turn every skip into a
#                  failure (`make check` sets it unless given)
#
# Each test gets a directory $T with the config ($NUMA_RUNTIME_CONFIG), the
# ledger ($LEDGER, in $T/ledger/), the runtime root ($RUNC_ROOT) and what
# the fake runtime recorded ($FAKE_RUNTIME_LOG, $FAKE_RUNTIME_LOG.d/).

bats_require_minimum_version 1.5.0

TESTS_DIR=$(cd "$BATS_TEST_DIRNAME" && pwd)
POLICY_FAKE_RUNTIME=$TESTS_DIR/policy-fake-runtime
NUMA_RUNTIME=${NUMA_RUNTIME:-$TESTS_DIR/../src/numa-runtime}
RUNC=${RUNC:-$(command -v runc || true)}
export NUMA_RUNTIME RUNC

fail() {
	printf '%s\n' "$@" >&2
	return 1
}

nr_skip() {
	if [ "${NR_TEST_STRICT:-0}" = 1 ] || [ "${NUMA_TEST_STRICT:-0}" = 1 ]; then
		fail "skip turned into failure (NUMA_TEST_STRICT=1): $*"
		return 1
	fi
	skip "$*"
}

policy_setup() {
	[ -x "$NUMA_RUNTIME" ] || fail "numa-runtime not found at $NUMA_RUNTIME"
	command -v jq >/dev/null 2>&1 || fail "jq is required by the tests"
	T=$(mktemp -d "${BATS_TEST_TMPDIR:-/tmp}/nr.XXXXXX")
	RUNC_ROOT=$T/runc-root
	LEDGER=$T/ledger/ledger.json
	NUMA_RUNTIME_CONFIG=$T/numa-runtime.conf
	FAKE_RUNTIME_LOG=$T/fake.log
	export T RUNC_ROOT LEDGER NUMA_RUNTIME_CONFIG FAKE_RUNTIME_LOG
	unset FAKE_FEATURES FAKE_EXIT_STATUS
	CFG_RUNTIME=$POLICY_FAKE_RUNTIME
	CFG_SYSFS=$T/sysfs
	CFG_POLICY=best-effort
	CFG_EXTRA=
	make_sysfs "$T/sysfs" 2 4
	write_config
}

policy_teardown() {
	[ -n "${T:-}" ] || return 0
	cd / || true
	if [ -n "$RUNC" ] && [ -d "$RUNC_ROOT" ]; then
		local id
		for id in $("$RUNC" --root "$RUNC_ROOT" list -q 2>/dev/null); do
			"$RUNC" --root "$RUNC_ROOT" delete -f "$id" >/dev/null 2>&1 || true
		done
	fi
	rm -rf "$T"
}

# write_config: $NUMA_RUNTIME_CONFIG from CFG_*; CFG_EXTRA is appended
# verbatim (more sections).
write_config() {
	cat >"$NUMA_RUNTIME_CONFIG" <<EOF
[runtime]
path = $CFG_RUNTIME
[ledger]
path = $LEDGER
[topology]
sysfs_root = $CFG_SYSFS
[placement]
policy = $CFG_POLICY
$CFG_EXTRA
EOF
}

# config_extra TEXT: append TEXT (INI lines) to the config.
config_extra() {
	CFG_EXTRA=$(printf '%s\n%s' "$CFG_EXTRA" "$1")
	write_config
}

# make_sysfs DIR NODES CPUS_PER_NODE: a sysfs tree as topology reads it.
make_sysfs() {
	local dir=$1 nodes=$2 per=$3 n d row
	mkdir -p "$dir/devices/system/cpu" "$dir/devices/system/node"
	echo "0-$((nodes * per - 1))" >"$dir/devices/system/cpu/online"
	echo "0-$((nodes - 1))" >"$dir/devices/system/node/online"
	for n in $(seq 0 $((nodes - 1))); do
		mkdir -p "$dir/devices/system/node/node$n"
		echo "$((n * per))-$((n * per + per - 1))" >"$dir/devices/system/node/node$n/cpulist"
		printf 'Node %d MemTotal:       16384000 kB\nNode %d MemFree:        16000000 kB\n' "$n" "$n" \
			>"$dir/devices/system/node/node$n/meminfo"
		row=
		for d in $(seq 0 $((nodes - 1))); do
			if [ "$d" = "$n" ]; then row="$row 10"; else row="$row 21"; fi
		done
		echo "${row# }" >"$dir/devices/system/node/node$n/distance"
	done
}

# spec_bundle DIR [JQ_FILTER]: a bundle holding only a config.json shaped
# like `runc spec`'s, edited by JQ_FILTER.
spec_bundle() {
	mkdir -p "$1/rootfs"
	jq "${2:-.}" >"$1/config.json" <<'EOF'
{
	"ociVersion": "1.0.2-dev",
	"process": {
		"terminal": false,
		"user": {"uid": 0, "gid": 0},
		"args": ["sh"],
		"env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
		"cwd": "/",
		"capabilities": {
			"bounding": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
			"effective": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
			"permitted": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
		},
		"noNewPrivileges": true
	},
	"root": {"path": "rootfs", "readonly": true},
	"linux": {
		"resources": {"devices": [{"allow": false, "access": "rwm"}]},
		"namespaces": [{"type": "pid"}, {"type": "mount"}]
	}
}
EOF
}

# A containerd-1.6-style seccomp profile (as `ctr run --seccomp` makes for a
# container without CAP_SYS_NICE): deny by default, the mempolicy calls not
# listed.  JQ filter text, to use with spec_bundle.
SECCOMP_BLOCKING='.linux.seccomp = {
	"defaultAction": "SCMP_ACT_ERRNO",
	"defaultErrnoRet": 1,
	"architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
	"syscalls": [{"names": ["read", "write", "exit_group"], "action": "SCMP_ACT_ALLOW"}]
}'

# A features answer as runc 1.5 gives it.
FEATURES_WITH_MEMORY_POLICY='{"ociVersionMin":"1.0.0","ociVersionMax":"1.3.0","linux":{"namespaces":["pid"],"memoryPolicy":{"modes":["MPOL_BIND","MPOL_DEFAULT","MPOL_INTERLEAVE","MPOL_LOCAL","MPOL_PREFERRED","MPOL_PREFERRED_MANY","MPOL_WEIGHTED_INTERLEAVE"],"flags":["MPOL_F_NUMA_BALANCING","MPOL_F_RELATIVE_NODES","MPOL_F_STATIC_NODES"]}}}'

nr() {
	timeout 60 "$NUMA_RUNTIME" --root "$RUNC_ROOT" "$@"
}

# What the fake runtime saw.
fake_config() { printf '%s\n' "$FAKE_RUNTIME_LOG.d/$1.json"; }
fake_mempolicy() { cat "$FAKE_RUNTIME_LOG.d/$1.mempolicy"; }
fake_update() { printf '%s\n' "$FAKE_RUNTIME_LOG.d/$1.update.json"; }
# fake_count CMD: how many calls had CMD as their subcommand word.
fake_count() {
	[ -f "$FAKE_RUNTIME_LOG" ] || { echo 0; return; }
	jq -r --arg c "$1" 'select(index($c) != null) | 1' "$FAKE_RUNTIME_LOG" | wc -l
}
fake_last_argv() { tail -n 1 "$FAKE_RUNTIME_LOG"; }
json_argv() { jq -cn '$ARGS.positional' --args -- "$@"; }

assert_success() {
	[ "$status" -eq 0 ] || fail "expected success, got exit status $status" "output: $output" "stderr: ${stderr:-}"
}

assert_failure() {
	if [ $# -gt 0 ]; then
		[ "$status" -eq "$1" ] || fail "expected exit status $1, got $status" "output: $output" "stderr: ${stderr:-}"
	else
		[ "$status" -ne 0 ] || fail "expected failure, got exit status 0" "output: $output"
	fi
}

assert_equal() {
	[ "$1" = "$2" ] || fail "${3:-value} differs" "expected: $2" "got:      $1"
}

assert_contains() {
	case $1 in
	*"$2"*) ;;
	*) fail "\"$2\" not found in:" "$1" ;;
	esac
}

assert_not_contains() {
	case $1 in
	*"$2"*) fail "\"$2\" unexpectedly found in:" "$1" ;;
	*) ;;
	esac
}

# ---- real runc ------------------------------------------------------------

require_root() {
	[ "$(id -u)" -eq 0 ] || nr_skip "needs root (running as uid $(id -u))"
}

require_runc() {
	[ -n "$RUNC" ] && [ -x "$RUNC" ] || nr_skip "needs runc (not on PATH and RUNC not set)"
}

# busybox_bundle DIR ARG...: a runc bundle whose rootfs is a static busybox
# (Debian's busybox-static) with one symlink per applet; config.json from
# `runc spec` with terminal off and process.args = ARG...
busybox_bundle() {
	local dir=$1 busybox applet
	shift
	busybox=${BUSYBOX:-$(command -v busybox || true)}
	[ -n "$busybox" ] || { nr_skip "needs busybox-static"; return; }
	! ldd "$busybox" >/dev/null 2>&1 || { nr_skip "$busybox is not static (install busybox-static)"; return; }
	mkdir -p "$dir/rootfs/bin" "$dir/rootfs/proc" "$dir/rootfs/sys" "$dir/rootfs/dev" "$dir/rootfs/tmp"
	cp "$busybox" "$dir/rootfs/bin/busybox"
	for applet in $("$busybox" --list); do
		[ "$applet" = busybox ] || ln -sf busybox "$dir/rootfs/bin/$applet"
	done
	(cd "$dir" && "$RUNC" spec) || fail "runc spec failed"
	jq '.process.terminal = false | .process.args = $ARGS.positional' --args -- "$@" \
		<"$dir/config.json" >"$dir/config.json.new" && mv "$dir/config.json.new" "$dir/config.json"
}

# copy_with_libs ROOTFS PROGRAM: PROGRAM and the shared libraries ldd lists,
# at the same paths inside ROOTFS.
copy_with_libs() {
	local rootfs=$1 prog=$2 lib
	mkdir -p "$rootfs$(dirname "$prog")"
	cp -L "$prog" "$rootfs$prog"
	for lib in $(ldd "$prog" | grep -o '/[^ ]*'); do
		mkdir -p "$rootfs$(dirname "$lib")"
		cp -L "$lib" "$rootfs$lib"
	done
}

# The syscalls a containerd-style default profile allows to a container
# without CAP_SYS_NICE (enough for busybox, a glibc program and runc's final
# execve): the mempolicy calls are not among them.
SECCOMP_DEFAULT_STYLE_SYSCALLS='accept accept4 access alarm arch_prctl bind brk capget capset chdir chmod chown clock_getres clock_gettime clock_nanosleep clone clone3 close close_range connect copy_file_range dup dup2 dup3 epoll_create epoll_create1 epoll_ctl epoll_pwait epoll_wait eventfd eventfd2 execve execveat exit exit_group faccessat faccessat2 fadvise64 fallocate fchdir fchmod fchmodat fchown fchownat fcntl fdatasync flock fork fstat fstatfs fsync ftruncate futex getcpu getcwd getdents getdents64 getegid geteuid getgid getgroups getitimer getpeername getpgid getpgrp getpid getppid getpriority getrandom getresgid getresuid getrlimit get_robust_list getrusage getsid getsockname getsockopt gettid gettimeofday getuid getxattr ioctl kill lchown lgetxattr link linkat listen lseek lstat madvise membarrier memfd_create mincore mkdir mkdirat mknod mknodat mmap mprotect mremap msync munmap nanosleep newfstatat open openat openat2 pause pipe pipe2 poll ppoll prctl pread64 preadv prlimit64 pselect6 pwrite64 pwritev read readlink readlinkat readv recvfrom recvmsg rename renameat renameat2 restart_syscall rmdir rseq rt_sigaction rt_sigpending rt_sigprocmask rt_sigqueueinfo rt_sigreturn rt_sigsuspend rt_sigtimedwait sched_getaffinity sched_getparam sched_get_priority_max sched_get_priority_min sched_getscheduler sched_setaffinity sched_yield select sendfile sendmsg sendto setgid setgroups setitimer setpgid setpriority setresgid setresuid setrlimit set_robust_list setsid setsockopt set_tid_address setuid shutdown sigaltstack socket socketpair stat statfs statx symlink symlinkat sync sysinfo tgkill time times tkill truncate umask uname unlink unlinkat utimensat vfork wait4 waitid write writev'

# seccomp_default_style: jq filter setting that profile.
seccomp_default_style() {
	local names
	names=$(printf '%s\n' $SECCOMP_DEFAULT_STYLE_SYSCALLS | jq -R . | jq -sc .)
	printf '.linux.seccomp = {"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1, "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"], "syscalls": [{"names": %s, "action": "SCMP_ACT_ALLOW"}]}' "$names"
}
