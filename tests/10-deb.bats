#!/usr/bin/env bats
# The Debian package: contrib/build-deb.sh builds it from a clean copy of
# the tree, dpkg installs it into this (throwaway, root) system, a busybox
# container runs through the installed /usr/bin/numa-runtime with runc, and
# teardown purges the package again.  About a minute.

load integration-lib

setup_file() {
	DEB_DIR=$(mktemp -d "${BATS_FILE_TMPDIR:-/tmp}/deb.XXXXXX")
	export DEB_DIR
	# The package's tmpfiles entry creates /run/numa-runtime; leave the
	# system as it was found.
	[ -e /run/numa-runtime ] || touch "$DEB_DIR/remove-run-dir"
}

teardown_file() {
	# Only ever remove what this file installed.
	if [ -f "$DEB_DIR/installed-by-test" ]; then
		dpkg --purge numa-runtime >"$DEB_DIR/purge.log" 2>&1 || cat "$DEB_DIR/purge.log" >&2
	fi
	if [ -f "$DEB_DIR/remove-run-dir" ]; then
		rm -rf /run/numa-runtime
	fi
	rm -rf "$DEB_DIR"
}

setup() {
	it_setup
	require_root
	require_cmd dpkg-buildpackage dpkg-dev
	require_cmd dh debhelper
	require_cmd runc runc
	require_cmd jq jq
	if ! (cd "$TOP_SRCDIR/contrib" && dpkg-checkbuilddeps debian/control) 2>"$T/deps"; then
		it_skip "missing build dependencies: $(sed 's/.*Unmet build dependencies: //' "$T/deps")"
	fi
	if [ ! -f "$DEB_DIR/installed-by-test" ] &&
		dpkg-query -W -f '${Status}' numa-runtime 2>/dev/null | grep -q 'ok installed'; then
		it_skip "a numa-runtime package is already installed here; not replacing it"
	fi
}

teardown() {
	runc_delete_all "$T/runc-root"
	it_teardown
}

# the_deb: the package built for this file, built on first use.
the_deb() {
	[ ! -f "$DEB_DIR/build-failed" ] || fail "building the .deb failed in an earlier test"
	if [ ! -f "$DEB_DIR/deb-path" ]; then
		if ! "$TOP_SRCDIR/contrib/build-deb.sh" "$DEB_DIR/out" >"$DEB_DIR/build.out"; then
			touch "$DEB_DIR/build-failed"
			fail "contrib/build-deb.sh failed"
		fi
		grep '/numa-runtime_[^/]*\.deb$' "$DEB_DIR/build.out" >"$DEB_DIR/deb-path"
	fi
	cat "$DEB_DIR/deb-path"
}

install_deb() {
	local deb
	deb=$(the_deb)
	if [ ! -f "$DEB_DIR/installed-by-test" ]; then
		touch "$DEB_DIR/installed-by-test"
		dpkg -i "$deb" >"$T/dpkg.log" 2>&1 || fail "dpkg -i failed:" "$(cat "$T/dpkg.log")"
	fi
}

@test "the .deb holds the installed layout, its conffile and its dependencies" {
	local deb
	deb=$(the_deb)
	[ -f "$deb" ]
	dpkg-deb -c "$deb" | awk '{print $1, $6}' >"$T/contents"
	for want in \
		'-rwxr-xr-x ./usr/bin/numa-runtime' \
		'-rw-r--r-- ./etc/numa-runtime/numa-runtime.conf' \
		'-rw-r--r-- ./usr/share/man/man8/numa-runtime.8.gz' \
		'-rw-r--r-- ./usr/share/man/man5/numa-runtime.conf.5.gz' \
		'-rw-r--r-- ./usr/share/containers/oci/hooks.d/numa-runtime-prestart.json' \
		'-rw-r--r-- ./usr/share/containers/oci/hooks.d/numa-runtime-poststop.json' \
		'-rw-r--r-- ./usr/lib/tmpfiles.d/numa-runtime.conf' \
		'-rw-r--r-- ./usr/share/doc/numa-runtime/copyright'; do
		grep -qxF -- "$want" "$T/contents" || fail "missing from the .deb: $want" "$(cat "$T/contents")"
	done
	[[ $(dpkg-deb -f "$deb" Depends) == *"runc | crun"* ]]
	dpkg-deb --ctrl-tarfile "$deb" | tar -xOf - ./conffiles | grep -qx /etc/numa-runtime/numa-runtime.conf
	# postinst creates the ledger directory through systemd-tmpfiles.
	dpkg-deb --ctrl-tarfile "$deb" | tar -xOf - ./postinst | grep -q 'systemd-tmpfiles.*--create numa-runtime.conf'
}

@test "dpkg installs it: binary, config, hooks, man pages and the ledger directory" {
	install_deb
	[ -x /usr/bin/numa-runtime ]
	cmp "$TOP_SRCDIR/config/numa-runtime.conf" /etc/numa-runtime/numa-runtime.conf
	[ "$(jq -r .hook.path /usr/share/containers/oci/hooks.d/numa-runtime-poststop.json)" = /usr/bin/numa-runtime ]
	[ "$(jq -r .hook.path /usr/share/containers/oci/hooks.d/numa-runtime-prestart.json)" = /usr/bin/numa-runtime ]
	if command -v systemd-tmpfiles >/dev/null 2>&1; then
		[ "$(stat -c '%a %U' /run/numa-runtime)" = "700 root" ]
	fi
	if command -v man >/dev/null 2>&1; then
		MANPAGER='cat' man 5 numa-runtime.conf 2>/dev/null | grep -q 'best_effort_share'
	fi
	# The packaged binary reads /etc/numa-runtime/numa-runtime.conf.
	grep -aq /etc/numa-runtime/numa-runtime.conf /usr/bin/numa-runtime
}

@test "a busybox container run through the installed /usr/bin/numa-runtime sees NUMA_NODE" {
	install_deb
	busybox_bundle "$T/bundle" sh -c 'echo "NUMA_NODE=$NUMA_NODE"; grep Cpus_allowed_list /proc/self/status'
	# The hooks exactly as installed, the way CRI-O or podman would add
	# them: poststop releases the entry, since a foreground `run` lets runc
	# delete the container without numa-runtime seeing a delete.
	jq --slurpfile pre /usr/share/containers/oci/hooks.d/numa-runtime-prestart.json \
		--slurpfile post /usr/share/containers/oci/hooks.d/numa-runtime-poststop.json \
		'.hooks = {prestart: [$pre[0].hook], poststop: [$post[0].hook]}' \
		"$T/bundle/config.json" >"$T/config.json"
	mv "$T/config.json" "$T/bundle/config.json"
	# The installed defaults: /etc config, /run/numa-runtime ledger.
	unset NUMA_RUNTIME_CONFIG
	run -0 timeout 60 /usr/bin/numa-runtime --root "$T/runc-root" run --bundle "$T/bundle" deb-demo-$$
	local node
	node=$(jq -r '.process.env[] | select(startswith("NUMA_NODE=")) | sub("NUMA_NODE="; "")' "$T/bundle/config.json")
	[ -n "$node" ]
	[[ $output == *"NUMA_NODE=$node"* ]]
	# The node's CPUs are what the container was confined to.
	local cpus
	cpus=$(jq -r .linux.resources.cpu.cpus "$T/bundle/config.json")
	[[ $output == *"Cpus_allowed_list:"*"$cpus"* ]]
	[ "$(cat "/sys/devices/system/node/node$node/cpulist")" = "$cpus" ] || [ ! -d /sys/devices/system/node ]
	# Released by the installed poststop hook.
	local doc
	doc=$(ledger_doc /run/numa-runtime/ledger.json) || fail "cannot read /run/numa-runtime/ledger.json"
	! jq -e --arg id "deb-demo-$$" '.containers[] | select(.id == $id)' <<<"$doc" >/dev/null ||
		fail "the ledger still holds deb-demo-$$:" "$doc"
}

@test "dpkg --purge removes the package and its conffile" {
	install_deb
	dpkg --purge numa-runtime >"$T/purge.log" 2>&1 || fail "dpkg --purge failed:" "$(cat "$T/purge.log")"
	rm -f "$DEB_DIR/installed-by-test"
	[ ! -e /usr/bin/numa-runtime ]
	[ ! -e /etc/numa-runtime/numa-runtime.conf ]
	[ ! -e /usr/share/containers/oci/hooks.d/numa-runtime-poststop.json ]
}
