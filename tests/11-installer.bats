#!/usr/bin/env bats
# contrib/installer/install.sh against a temporary HOST_ROOT: containerd
# config versions 2 and 3, a missing config, idempotency, refusals, the
# node label and the restart.  No root needed.

load integration-lib

INSTALLER=$TOP_SRCDIR/contrib/installer

setup() {
	it_setup
	HOST=$T/host
	mkdir -p "$HOST"
	CONF=$HOST/etc/containerd/config.toml
	# Any file does as "the binary"; the real one when built.
	if [ -x "$NUMA_RUNTIME" ]; then
		cp "$NUMA_RUNTIME" "$T/numa-runtime"
	else
		printf 'not really a binary\n' >"$T/numa-runtime"
	fi
	mkdir -p "$T/bin"
	export HOST_ROOT=$HOST NUMA_RUNTIME_BINARY=$T/numa-runtime \
		NUMA_RUNTIME_CONF=$TOP_SRCDIR/config/numa-runtime.conf
	unset NODE_NAME RESTART_CONTAINERD CONTAINERD_CONFIG CONTAINERD_CONFIG_VERSION KUBECTL SYSTEMD_CGROUP
}

teardown() { it_teardown; }

install() {
	run --separate-stderr sh "$INSTALLER/install.sh"
}

# v2_config: what `containerd config default` writes (containerd 1.6/1.7),
# or a hand-written stand-in when containerd is not installed.
v2_config() {
	mkdir -p "$(dirname "$CONF")"
	if command -v containerd >/dev/null 2>&1 &&
		containerd config default 2>/dev/null | grep -q '^version = 2'; then
		containerd config default >"$CONF"
	else
		cat >"$CONF" <<-'EOF'
			version = 2
			root = "/var/lib/containerd"

			[plugins]
			  [plugins."io.containerd.grpc.v1.cri"]
			    sandbox_image = "registry.k8s.io/pause:3.6"
			    [plugins."io.containerd.grpc.v1.cri".containerd]
			      default_runtime_name = "runc"
			      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
			        runtime_type = "io.containerd.runc.v2"
		EOF
	fi
}

v3_config() {
	mkdir -p "$(dirname "$CONF")"
	cat >"$CONF" <<-'EOF'
		version = 3
		root = "/var/lib/containerd"
		state = "/run/containerd"

		[plugins]
		  [plugins.'io.containerd.cri.v1.runtime']
		    [plugins.'io.containerd.cri.v1.runtime'.containerd]
		      default_runtime_name = 'runc'
		      [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
		        runtime_type = 'io.containerd.runc.v2'
	EOF
}

# containerd_sees_handler FILE: containerd's own parser reads FILE and
# reports the handler (version 2 files only: this is containerd 1.x).
containerd_sees_handler() {
	command -v containerd >/dev/null 2>&1 || return 0
	containerd --config "$1" config dump >"$T/dump" 2>"$T/dump.err" ||
		fail "containerd rejects $1:" "$(cat "$T/dump.err")"
	grep -A 40 'runtimes.numa\]' "$T/dump" >"$T/numa"
	grep -q 'pod_annotations = \["numa-runtime.io/\*"\]' "$T/numa"
	grep -q 'runtime_type = "io.containerd.runc.v2"' "$T/numa"
	grep -q 'BinaryName = "/usr/local/bin/numa-runtime"' "$T/numa"
}

@test "a version 2 config gets the v2 handler appended between markers" {
	v2_config
	cp "$CONF" "$T/original"
	install
	[ "$status" -eq 0 ]
	[[ $output == *"registered the handler numa in $CONF (config version 2)"* ]]
	[[ $output == *"restart containerd on the node"* ]]
	# Everything that was there is still there, in front of our block.
	head -c "$(wc -c <"$T/original")" "$CONF" | cmp - "$T/original"
	grep -q '^\[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.numa\]$' "$CONF"
	grep -q '^    BinaryName = "/usr/local/bin/numa-runtime"$' "$CONF"
	[ "$(grep -c 'numa-runtime handler' "$CONF")" -eq 2 ]
	! grep -q 'io.containerd.cri.v1.runtime' "$CONF" || fail "v3 key in a v2 config"
	cmp "$T/original" "$CONF.before-numa-runtime"
	containerd_sees_handler "$CONF"
	# Binary and default config.
	cmp "$T/numa-runtime" "$HOST/usr/local/bin/numa-runtime"
	[ "$(stat -c %a "$HOST/usr/local/bin/numa-runtime")" = 755 ]
	cmp "$NUMA_RUNTIME_CONF" "$HOST/etc/numa-runtime/numa-runtime.conf"
}

@test "a version 3 config gets the v3 handler" {
	v3_config
	install
	[ "$status" -eq 0 ]
	[[ $output == *"(config version 3)"* ]]
	grep -q '^\[plugins."io.containerd.cri.v1.runtime".containerd.runtimes.numa\]$' "$CONF"
	grep -q '^  \[plugins."io.containerd.cri.v1.runtime".containerd.runtimes.numa.options\]$' "$CONF"
	! grep -q 'io.containerd.grpc.v1.cri' "$CONF" || fail "v2 key in a v3 config"
	# The result is still TOML (python's tomllib reads it when present).
	if python3 -c 'import tomllib' 2>/dev/null; then
		python3 -c 'import sys, tomllib; c = tomllib.load(open(sys.argv[1], "rb")); r = c["plugins"]["io.containerd.cri.v1.runtime"]["containerd"]["runtimes"]; assert r["numa"]["options"]["BinaryName"] == "/usr/local/bin/numa-runtime"; assert r["numa"]["pod_annotations"] == ["numa-runtime.io/*"]; assert "runc" in r' "$CONF"
	fi
}

@test "the handler takes SystemdCgroup = true from a runc handler using the systemd driver" {
	v3_config
	printf '        [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc.options]\n          SystemdCgroup = true\n' >>"$CONF"
	install
	[ "$status" -eq 0 ]
	[[ $output == *"uses the systemd cgroup driver"* ]]
	awk '/>>> numa-runtime handler/,/<<< numa-runtime handler/' "$CONF" >"$T/block"
	grep -A3 'runtimes.numa.options\]$' "$T/block" | grep -qx '    SystemdCgroup = true'
	if python3 -c 'import tomllib' 2>/dev/null; then
		python3 -c 'import sys, tomllib; c = tomllib.load(open(sys.argv[1], "rb")); assert c["plugins"]["io.containerd.cri.v1.runtime"]["containerd"]["runtimes"]["numa"]["options"]["SystemdCgroup"] is True' "$CONF"
	fi
	# Without it (containerd's default, cgroupfs) the handler has none;
	# SYSTEMD_CGROUP=true asks for it anyway.
	rm -rf "$HOST" && mkdir -p "$HOST" && v3_config
	install
	run ! grep -q SystemdCgroup "$CONF"
	SYSTEMD_CGROUP=true install
	[ "$status" -eq 0 ]
	grep -qx '    SystemdCgroup = true' "$CONF"
	SYSTEMD_CGROUP=maybe install
	[ "$status" -ne 0 ]
}

@test "a second run changes nothing and asks for no restart" {
	local version
	for version in 2 3; do
		rm -rf "$HOST" && mkdir -p "$HOST"
		"v${version}_config"
		install
		[ "$status" -eq 0 ]
		cp "$CONF" "$T/after-first"
		local mtime
		mtime=$(stat -c %Y "$HOST/usr/local/bin/numa-runtime")
		install
		[ "$status" -eq 0 ]
		cmp "$T/after-first" "$CONF"
		[[ $output == *"already registers the handler numa (config version $version)"* ]]
		[[ $output == *"is up to date"* ]]
		[[ $output == *"keeping the existing"* ]]
		[[ $output == *"containerd needs no restart"* ]]
		[ "$(stat -c %Y "$HOST/usr/local/bin/numa-runtime")" = "$mtime" ]
	done
}

@test "a missing config file becomes a minimal one holding the handler" {
	install
	[ "$status" -eq 0 ]
	grep -qx 'version = 2' "$CONF"
	grep -q '^\[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.numa\]$' "$CONF"
	[ "$(stat -c %a "$CONF")" = 644 ]
	[ ! -e "$CONF.before-numa-runtime" ]
	containerd_sees_handler "$CONF"
	cp "$CONF" "$T/first"
	install
	cmp "$T/first" "$CONF"

	rm -rf "$HOST" && mkdir -p "$HOST"
	CONTAINERD_CONFIG_VERSION=3 install
	[ "$status" -eq 0 ]
	grep -qx 'version = 3' "$CONF"
	grep -q 'io.containerd.cri.v1.runtime".containerd.runtimes.numa\]$' "$CONF"
}

@test "a config of only comments keeps them and gains a version line" {
	mkdir -p "$(dirname "$CONF")"
	printf '# managed elsewhere\n\n' >"$CONF"
	install
	[ "$status" -eq 0 ]
	[ "$(head -1 "$CONF")" = '# managed elsewhere' ]
	grep -qx 'version = 2' "$CONF"
	containerd_sees_handler "$CONF"
}

@test "an edited managed block is put back, the rest left alone" {
	v2_config
	install
	cp "$CONF" "$T/good"
	sed -i 's|/usr/local/bin/numa-runtime|/somewhere/else|' "$CONF"
	printf '\n[metrics]\n  address = "127.0.0.1:1338"\n' >>"$CONF"
	install
	[ "$status" -eq 0 ]
	[[ $output == *"registered the handler numa"* ]]
	grep -q 'BinaryName = "/usr/local/bin/numa-runtime"' "$CONF"
	! grep -q /somewhere/else "$CONF" || fail "the block was not replaced"
	grep -q '^  address = "127.0.0.1:1338"$' "$CONF"
	[ "$(grep -c 'runtimes.numa\]' "$CONF")" -eq 1 ]
}

@test "a config without a version line (version 1) is refused and nothing changes" {
	mkdir -p "$(dirname "$CONF")"
	printf '[plugins.cri]\n  sandbox_image = "pause"\n' >"$CONF"
	cp "$CONF" "$T/original"
	install
	[ "$status" -eq 1 ]
	[[ $stderr == *"no top-level version line"*"containerd config migrate"* ]]
	cmp "$T/original" "$CONF"
	[ ! -e "$HOST/usr/local/bin/numa-runtime" ]
	[ ! -e "$HOST/etc/numa-runtime" ]
}

@test "a handler numa defined by hand is refused and nothing changes" {
	v2_config
	cat >>"$CONF" <<-'EOF'
		[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.numa]
		  runtime_type = "io.containerd.runc.v2"
	EOF
	cp "$CONF" "$T/original"
	install
	[ "$status" -eq 1 ]
	[[ $stderr == *'already defines a runtime handler "numa"'* ]]
	cmp "$T/original" "$CONF"
	[ ! -e "$HOST/usr/local/bin/numa-runtime" ]
}

@test "without NODE_NAME or kubectl the node label is skipped with a message" {
	install
	[ "$status" -eq 0 ]
	[[ $output == *"NODE_NAME is not set: skipping the node label numa-runtime.io/enabled=true"* ]]
	NODE_NAME=node1 KUBECTL=/nonexistent/kubectl install
	[ "$status" -eq 0 ]
	[[ $output == *"kubectl not found: skipping the node label numa-runtime.io/enabled=true on node1"* ]]
}

@test "with NODE_NAME and kubectl the node is labelled" {
	cat >"$T/bin/kubectl" <<-EOF
		#!/bin/sh
		printf '%s\n' "\$*" >>"$T/kubectl.log"
	EOF
	chmod +x "$T/bin/kubectl"
	NODE_NAME=node1 PATH="$T/bin:$PATH" install
	[ "$status" -eq 0 ]
	[ "$(cat "$T/kubectl.log")" = "label node node1 numa-runtime.io/enabled=true --overwrite" ]
	[[ $output == *"labelled node node1 numa-runtime.io/enabled=true"* ]]
}

@test "RESTART_CONTAINERD=1 restarts containerd through nsenter, only when the config changed" {
	cat >"$T/bin/nsenter" <<-EOF
		#!/bin/sh
		printf '%s\n' "\$*" >>"$T/nsenter.log"
	EOF
	chmod +x "$T/bin/nsenter"
	v2_config
	RESTART_CONTAINERD=1 PATH="$T/bin:$PATH" install
	[ "$status" -eq 0 ]
	[ "$(cat "$T/nsenter.log")" = "-t 1 -m -u -i -n -p systemctl restart containerd" ]
	RESTART_CONTAINERD=1 PATH="$T/bin:$PATH" install
	[ "$status" -eq 0 ]
	[ "$(wc -l <"$T/nsenter.log")" -eq 1 ]
}

@test "a newer binary replaces the installed one; an existing config is kept" {
	install
	printf '# mine\n' >"$HOST/etc/numa-runtime/numa-runtime.conf"
	printf 'newer\n' >>"$T/numa-runtime"
	install
	[ "$status" -eq 0 ]
	cmp "$T/numa-runtime" "$HOST/usr/local/bin/numa-runtime"
	[ "$(cat "$HOST/etc/numa-runtime/numa-runtime.conf")" = '# mine' ]
	[ -z "$(find "$HOST" -name '*.new')" ]
}

@test "install.sh is POSIX sh" {
	# Both are in contrib/quickstart.sh's packages; without them this test
	# would check nothing, so it is a skip (a failure in strict mode).
	command -v dash >/dev/null 2>&1 || it_skip "needs dash to run install.sh as POSIX sh"
	command -v shellcheck >/dev/null 2>&1 || it_skip "needs shellcheck to check install.sh"
	dash -n "$INSTALLER/install.sh"
	shellcheck -s sh "$INSTALLER/install.sh"
	v2_config
	run -0 dash "$INSTALLER/install.sh"
}

@test "daemonset.yaml runs install.sh privileged with the host paths mounted" {
	python3 -c 'import yaml' 2>/dev/null || it_skip "needs python3 with PyYAML to read the manifest"
	python3 - "$INSTALLER/daemonset.yaml" <<-'EOF'
		import sys, yaml
		docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
		kinds = {d["kind"] for d in docs}
		assert {"DaemonSet", "ServiceAccount", "ClusterRole", "ClusterRoleBinding"} <= kinds, kinds
		ds = next(d for d in docs if d["kind"] == "DaemonSet")
		pod = ds["spec"]["template"]["spec"]
		init = pod["initContainers"][0]
		assert init["command"][0].endswith("/install.sh")
		assert init["securityContext"]["privileged"] is True
		env = {e["name"]: e for e in init["env"]}
		assert env["HOST_ROOT"]["value"] == "/host"
		assert env["NODE_NAME"]["valueFrom"]["fieldRef"]["fieldPath"] == "spec.nodeName"
		mounts = {m["mountPath"]: m["name"] for m in init["volumeMounts"]}
		vols = {v["name"]: v["hostPath"]["path"] for v in pod["volumes"]}
		for host_path in ("/usr/local/bin", "/etc/containerd", "/etc/numa-runtime"):
		    assert vols[mounts["/host" + host_path]] == host_path, host_path
		role = next(d for d in docs if d["kind"] == "ClusterRole")
		assert role["rules"][0]["resources"] == ["nodes"] and "patch" in role["rules"][0]["verbs"]
	EOF
}

@test "the metrics timer: installed under /etc/systemd/system, enabled, every 15 s, accepted by systemd" {
	v2_config
	install
	[ "$status" -eq 0 ]
	local units=$HOST/etc/systemd/system
	grep -qx 'ExecStart=/usr/local/bin/numa-runtime metrics --textfile /var/lib/prometheus/node-exporter/numa-runtime.prom' \
		"$units/numa-runtime-metrics.service" || fail "ExecStart:" "$(cat "$units/numa-runtime-metrics.service")"
	grep -qx 'OnUnitActiveSec=15s' "$units/numa-runtime-metrics.timer"
	[ "$(readlink "$units/timers.target.wants/numa-runtime-metrics.timer")" = /etc/systemd/system/numa-runtime-metrics.timer ]
	[[ $output == *"systemctl start numa-runtime-metrics.timer"* ]]
	# systemd's own parser, the binary path pointed at the one under test
	if command -v systemd-analyze >/dev/null 2>&1; then
		mkdir "$T/verify"
		sed "s|/usr/local/bin/numa-runtime|$NUMA_RUNTIME|" "$units/numa-runtime-metrics.service" \
			>"$T/verify/numa-runtime-metrics.service"
		cp "$units/numa-runtime-metrics.timer" "$T/verify/"
		systemd-analyze verify --man=no "$T/verify/numa-runtime-metrics.service" \
			"$T/verify/numa-runtime-metrics.timer" || fail "systemd-analyze verify rejects the units"
	else
		it_skip "needs systemd-analyze to verify the units"
	fi
	# again: nothing to do
	install
	[ "$status" -eq 0 ]
	[[ $output == *"numa-runtime-metrics.service is up to date"* ]]
	[[ $output == *"numa-runtime-metrics.timer is up to date"* ]]
	[[ $output != *"systemctl start numa-runtime-metrics.timer"* ]]
	[ -z "$(find "$HOST" -name '*.new')" ]
}

@test "METRICS_TIMER=0 installs no unit" {
	v2_config
	METRICS_TIMER=0 install
	[ "$status" -eq 0 ]
	[[ $output == *"skipping the metrics timer"* ]]
	[ ! -e "$HOST/etc/systemd" ]
}
