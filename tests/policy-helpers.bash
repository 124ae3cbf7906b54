# policy-helpers.bash: what tests/07-policy.bats and
# tests/08-mempolicy-runc.bats add to helpers.bash (`load policy-helpers`
# loads both).

load helpers

# policy_setup: nr_setup with the fake runtime and the two-node fixture.
policy_setup() {
	nr_setup
	CFG_RUNTIME=$FAKE_RUNTIME
	CFG_SYSFS=$FIXTURES/twonode
	write_config
}

# config_extra TEXT: add TEXT (INI lines) to the config.
config_extra() {
	CFG_EXTRA=$(printf '%s\n%s' "${CFG_EXTRA:-}" "$1")
	write_config
}

# policy_bundle DIR [JQ_FILTER]: spec_bundle, then config.json edited by
# JQ_FILTER.
policy_bundle() {
	spec_bundle "$1" || return 1
	[ $# -lt 2 ] || edit_config "$1" "$2"
}

# edit_config DIR JQ_FILTER: edit DIR/config.json in place.
edit_config() {
	jq "$2" "$1/config.json" >"$1/config.json.new" && mv "$1/config.json.new" "$1/config.json"
}

# A containerd-1.6-style seccomp profile (as `ctr run --seccomp` makes for a
# container without CAP_SYS_NICE): deny by default, the mempolicy calls not
# listed.  A jq filter, for policy_bundle.
SECCOMP_BLOCKING='.linux.seccomp = {
	"defaultAction": "SCMP_ACT_ERRNO",
	"defaultErrnoRet": 1,
	"architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
	"syscalls": [{"names": ["read", "write", "exit_group"], "action": "SCMP_ACT_ALLOW"}]
}'

# The syscalls such a profile allows (enough for busybox, a glibc program
# and runc's final execve); the mempolicy calls are not among them.
SECCOMP_DEFAULT_STYLE_SYSCALLS='accept accept4 access alarm arch_prctl bind brk capget capset chdir chmod chown clock_getres clock_gettime clock_nanosleep clone clone3 close close_range connect copy_file_range dup dup2 dup3 epoll_create epoll_create1 epoll_ctl epoll_pwait epoll_wait eventfd eventfd2 execve execveat exit exit_group faccessat faccessat2 fadvise64 fallocate fchdir fchmod fchmodat fchown fchownat fcntl fdatasync flock fork fstat fstatfs fsync ftruncate futex getcpu getcwd getdents getdents64 getegid geteuid getgid getgroups getitimer getpeername getpgid getpgrp getpid getppid getpriority getrandom getresgid getresuid getrlimit get_robust_list getrusage getsid getsockname getsockopt gettid gettimeofday getuid getxattr ioctl kill lchown lgetxattr link linkat listen lseek lstat madvise membarrier memfd_create mincore mkdir mkdirat mknod mknodat mmap mprotect mremap msync munmap nanosleep newfstatat open openat openat2 pause pipe pipe2 poll ppoll prctl pread64 preadv prlimit64 pselect6 pwrite64 pwritev read readlink readlinkat readv recvfrom recvmsg rename renameat renameat2 restart_syscall rmdir rseq rt_sigaction rt_sigpending rt_sigprocmask rt_sigqueueinfo rt_sigreturn rt_sigsuspend rt_sigtimedwait sched_getaffinity sched_getparam sched_get_priority_max sched_get_priority_min sched_getscheduler sched_setaffinity sched_yield select sendfile sendmsg sendto setgid setgroups setitimer setpgid setpriority setresgid setresuid setrlimit set_robust_list setsid setsockopt set_tid_address setuid shutdown sigaltstack socket socketpair stat statfs statx symlink symlinkat sync sysinfo tgkill time times tkill truncate umask uname unlink unlinkat utimensat vfork wait4 waitid write writev'

# seccomp_default_style: a jq filter setting that profile.
seccomp_default_style() {
	local names
	# shellcheck disable=SC2086 # one name a word
	names=$(printf '%s\n' $SECCOMP_DEFAULT_STYLE_SYSCALLS | jq -R . | jq -sc .)
	printf '.linux.seccomp = {"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1, "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"], "syscalls": [{"names": %s, "action": "SCMP_ACT_ALLOW"}]}' "$names"
}

# A features answer as runc 1.5 gives it.
FEATURES_WITH_MEMORY_POLICY='{"ociVersionMin":"1.0.0","ociVersionMax":"1.3.0","linux":{"namespaces":["pid"],"memoryPolicy":{"modes":["MPOL_BIND","MPOL_DEFAULT","MPOL_INTERLEAVE","MPOL_LOCAL","MPOL_PREFERRED","MPOL_PREFERRED_MANY","MPOL_WEIGHTED_INTERLEAVE"],"flags":["MPOL_F_NUMA_BALANCING","MPOL_F_RELATIVE_NODES","MPOL_F_STATIC_NODES"]}}}'

# What the fake runtime recorded.
fake_mempolicy() { cat "$FAKE_RUNTIME_LOG.d/$1.mempolicy"; }
fake_update() { printf '%s\n' "$FAKE_RUNTIME_LOG.d/$1.update.json"; }
fake_last_argv() { tail -n 1 "$FAKE_RUNTIME_LOG"; }
# fake_count WORD: how many runtime calls had WORD in their argv.
fake_count() {
	[ -f "$FAKE_RUNTIME_LOG" ] || { echo 0; return; }
	jq -r --arg c "$1" 'select(index($c) != null) | 1' "$FAKE_RUNTIME_LOG" | wc -l
}

# assert_contains TEXT PART
assert_contains() {
	case $1 in
	*"$2"*) ;;
	*) fail "\"$2\" not found in:" "$1" ;;
	esac
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
