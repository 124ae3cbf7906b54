#!/usr/bin/env bats
# The engine configs in contrib/ against the engines themselves, where a
# Debian package runs them here: podman and Docker run a busybox container
# through numa-runtime (placement checked from inside); podman also runs
# the hooks.d files.  CRI-O is not packaged in Debian 12: its drop-in is
# only read by a TOML parser, or by crio when one is installed.
#
# Engines use a shim that sets NUMA_RUNTIME_CONFIG (neither podman's conmon
# nor dockerd's shim pass the caller's environment on), records the argv
# and execs numa-runtime.

load integration-lib

setup() {
	it_setup
	[ -x "$NUMA_RUNTIME" ] || fail "numa-runtime not found at $NUMA_RUNTIME"
	require_cmd jq jq
	it_runc_config "$T/ledger.json"
	SHIM=$T/numa-runtime-shim
	cat >"$SHIM" <<-EOF
		#!/bin/sh
		NUMA_RUNTIME_CONFIG=$NUMA_RUNTIME_CONFIG
		export NUMA_RUNTIME_CONFIG
		printf '%s\n' "\$*" >>$T/argv.log
		exec $NUMA_RUNTIME "\$@"
	EOF
	chmod 0755 "$SHIM"
	PODMAN=()
	DOCKERD_PID=
	CGROUPS_BEFORE=$(engine_cgroups)
	# podman keeps its lock table in shared memory, outside --root/--runroot.
	PODMAN_SHM_BEFORE=$([ -e /dev/shm/libpod_lock ] && echo yes || echo no)
}

# The parent cgroups podman (cgroupfs) and dockerd create and leave behind.
engine_cgroups() {
	ls -d /sys/fs/cgroup/*/libpod_parent /sys/fs/cgroup/*/docker \
		/sys/fs/cgroup/libpod_parent /sys/fs/cgroup/docker 2>/dev/null || true
}

teardown() {
	if [ ${#PODMAN[@]} -gt 0 ]; then
		"${PODMAN[@]}" rm -a -f -t 0 >/dev/null 2>&1 || true
	fi
	if [ -n "$DOCKERD_PID" ]; then
		# One argument per container id.
		# shellcheck disable=SC2046
		docker_cli rm -f $(docker_cli ps -aq 2>/dev/null) >/dev/null 2>&1 || true
		kill "$DOCKERD_PID" 2>/dev/null || true
		local i
		for i in $(seq 1 50); do
			kill -0 "$DOCKERD_PID" 2>/dev/null || break
			sleep 0.2
		done
		kill -9 "$DOCKERD_PID" 2>/dev/null || true
	fi
	# Remove the (by now empty) cgroups the engines made, unless they were
	# there before.
	local dir
	for dir in $(engine_cgroups); do
		grep -qxF "$dir" <<<"$CGROUPS_BEFORE" ||
			find "$dir" -depth -type d -exec rmdir {} \; 2>/dev/null || true
	done
	[ "$PODMAN_SHM_BEFORE" = yes ] || rm -f /dev/shm/libpod_lock
	it_teardown
}

# A container that reports where it runs.
REPORT='echo "NUMA_NODE=$NUMA_NODE"; grep Cpus_allowed_list /proc/self/status'

# check_placement OUTPUT: NUMA_NODE is a node of this host and the CPUs the
# container may use are exactly that node's.
check_placement() {
	local node cpus
	node=$(printf '%s\n' "$1" | sed -n 's/^NUMA_NODE=//p')
	cpus=$(printf '%s\n' "$1" | sed -n 's/^Cpus_allowed_list:[[:space:]]*//p')
	[ -n "$node" ] || fail "no NUMA_NODE inside the container:" "$1"
	if [ -d /sys/devices/system/node ]; then
		[ "$(cat "/sys/devices/system/node/node$node/cpulist")" = "$cpus" ] ||
			fail "container on node $node has CPUs $cpus, node $node has $(cat "/sys/devices/system/node/node$node/cpulist")"
	fi
}

busybox_image_tar() {
	busybox_rootfs "$T/rootfs"
	tar -C "$T/rootfs" -cf "$T/busybox.tar" .
}

# --- podman -------------------------------------------------------------------

use_podman() {
	require_root
	require_cmd podman podman
	require_cmd runc runc
	# Private storage and state; vfs works on any filesystem; no network
	# (no CNI/netavark needed); cgroupfs (no systemd here).
	PODMAN=(podman --root "$T/storage" --runroot "$T/runroot" --tmpdir "$T/libpod"
		--storage-driver vfs --cgroup-manager cgroupfs --events-backend file)
	busybox_image_tar
	"${PODMAN[@]}" import "$T/busybox.tar" localhost/nr-busybox:test >/dev/null
}

# This machine lacks CAP_SYS_RESOURCE: podman's raised default rlimits
# would make runc fail, so ask for ordinary ones.
PODMAN_RUN_FLAGS=(--network none --ulimit nofile=1024:1024 --ulimit nproc=1024:1024)

@test "podman --runtime numa-runtime places the container" {
	use_podman
	run -0 timeout 120 "${PODMAN[@]}" --runtime "$SHIM" run --rm "${PODMAN_RUN_FLAGS[@]}" \
		localhost/nr-busybox:test sh -c "$REPORT"
	check_placement "$output"
	# It went through create and delete of numa-runtime, which released it.
	grep -q '^create --bundle ' "$T/argv.log"
	grep -q 'delete' "$T/argv.log"
	[ -z "$(ledger_ids)" ]
}

@test "podman with contrib/podman/containers.conf: --runtime numa" {
	use_podman
	# The file as shipped parses.
	CONTAINERS_CONF=$TOP_SRCDIR/contrib/podman/containers.conf run -0 "${PODMAN[@]}" info --format '{{.Host.OCIRuntime.Name}}'
	# The same file, its first path pointing at this test's binary.
	sed "s|\"/usr/bin/numa-runtime\"|\"$SHIM\"|" "$TOP_SRCDIR/contrib/podman/containers.conf" >"$T/containers.conf"
	CONTAINERS_CONF=$T/containers.conf run -0 "${PODMAN[@]}" --runtime numa info --format '{{.Host.OCIRuntime.Path}}'
	[ "$output" = "$SHIM" ]
	CONTAINERS_CONF=$T/containers.conf run -0 timeout 120 "${PODMAN[@]}" --runtime numa run --rm \
		"${PODMAN_RUN_FLAGS[@]}" localhost/nr-busybox:test sh -c "$REPORT"
	check_placement "$output"
	[ -z "$(ledger_ids)" ]
}

@test "podman runs the hooks.d files: poststop releases an entry when plain runc ran the container" {
	use_podman
	local stage id
	mkdir -p "$T/hooks.d"
	for stage in prestart poststop; do
		[ -f "$TOP_BUILDDIR/hooks/numa-runtime-$stage.json" ] ||
			fail "hooks/numa-runtime-$stage.json not built in $TOP_BUILDDIR"
		jq --arg bin "$NUMA_RUNTIME" --arg env "NUMA_RUNTIME_CONFIG=$NUMA_RUNTIME_CONFIG" \
			'.hook.path = $bin | .hook.env = [$env]' \
			"$TOP_BUILDDIR/hooks/numa-runtime-$stage.json" >"$T/hooks.d/numa-runtime-$stage.json"
	done
	id=$("${PODMAN[@]}" --hooks-dir "$T/hooks.d" --runtime "$(command -v runc)" create \
		"${PODMAN_RUN_FLAGS[@]}" localhost/nr-busybox:test true)
	# numa-runtime did not run it; pretend it had placed it (a ledger in the
	# version 1 layout, which numa-runtime still reads).
	printf '{"version":1,"boot_id":"%s","containers":[{"id":"%s","nodes":"0","cpus":"0"},{"id":"other","nodes":"0","cpus":"0"}]}\n' \
		"$(cat /proc/sys/kernel/random/boot_id)" "$id" >"$LEDGER"
	run -0 timeout 120 "${PODMAN[@]}" --hooks-dir "$T/hooks.d" --runtime "$(command -v runc)" start -a "$id"
	"${PODMAN[@]}" --hooks-dir "$T/hooks.d" --runtime "$(command -v runc)" rm "$id" >/dev/null
	[ "$(ledger_ids)" = other ]
}

# --- Docker -------------------------------------------------------------------

docker_cli() {
	docker -H "unix://$T/docker.sock" "$@"
}

use_dockerd() {
	require_root
	require_cmd dockerd docker.io
	require_cmd docker docker.io
	# contrib/docker/daemon.json with the runtime path pointing at the shim.
	jq --arg shim "$SHIM" '.runtimes.numa.path = $shim' "$TOP_SRCDIR/contrib/docker/daemon.json" >"$T/daemon.json"
	# A private daemon: own data, state and socket, no bridge or iptables.
	dockerd --config-file "$T/daemon.json" --data-root "$T/docker-data" --exec-root "$T/docker-exec" \
		-H "unix://$T/docker.sock" --pidfile "$T/docker.pid" --storage-driver vfs \
		--bridge none --iptables=false --ip6tables=false --ip-masq=false \
		>"$T/dockerd.log" 2>&1 &
	DOCKERD_PID=$!
	local i
	for i in $(seq 1 100); do
		docker_cli version >/dev/null 2>&1 && break
		kill -0 "$DOCKERD_PID" 2>/dev/null || fail "dockerd exited:" "$(tail -20 "$T/dockerd.log")"
		sleep 0.3
	done
	docker_cli version >/dev/null 2>&1 || fail "dockerd did not come up:" "$(tail -20 "$T/dockerd.log")"
}

@test "dockerd with contrib/docker/daemon.json: docker run --runtime numa places the container" {
	use_dockerd
	run -0 docker_cli info --format '{{json .Runtimes}}'
	[ "$(jq -r .numa.path <<<"$output")" = "$SHIM" ]
	busybox_image_tar
	docker_cli import "$T/busybox.tar" localhost/nr-busybox:test >/dev/null
	run -0 timeout 120 docker -H "unix://$T/docker.sock" run --rm --runtime numa --network none \
		localhost/nr-busybox:test sh -c "$REPORT"
	check_placement "$output"
	# containerd's runc shim called numa-runtime like runc.
	grep -q -- '--log-format json create --bundle ' "$T/argv.log"
	grep -q -- ' delete ' "$T/argv.log"
	[ -z "$(ledger_ids)" ]
}

# --- CRI-O ----------------------------------------------------------------------

@test "the CRI-O drop-in is TOML with the keys crio.conf(5) documents" {
	python3 -c 'import tomllib' 2>/dev/null || it_skip "needs python3 >= 3.11 (tomllib)"
	python3 - "$TOP_SRCDIR/contrib/crio/10-numa-runtime.conf" <<-'EOF'
		import sys, tomllib
		conf = tomllib.load(open(sys.argv[1], "rb"))
		assert list(conf) == ["crio"], conf
		numa = conf["crio"]["runtime"]["runtimes"]["numa"]
		assert set(numa) <= {"runtime_path", "runtime_type", "runtime_root",
		                     "privileged_without_host_devices", "monitor_path",
		                     "monitor_env", "monitor_cgroup", "allowed_annotations"}, numa
		assert numa["runtime_type"] == "oci"
		assert numa["runtime_path"].endswith("/numa-runtime")
		assert numa["runtime_root"].startswith("/run/")
	EOF
}

@test "crio reads the drop-in" {
	# Debian 12 has no cri-o package, so this is a plain skip even under
	# NUMA_TEST_STRICT; it runs wherever crio is installed.
	command -v crio >/dev/null 2>&1 || skip "needs crio (not packaged in Debian 12)"
	mkdir -p "$T/crio.conf.d"
	sed "s|/usr/bin/numa-runtime|$NUMA_RUNTIME|" "$TOP_SRCDIR/contrib/crio/10-numa-runtime.conf" \
		>"$T/crio.conf.d/10-numa-runtime.conf"
	run -0 crio --config-dir "$T/crio.conf.d" config
	[[ $output == *"[crio.runtime.runtimes.numa]"* ]]
}
