#!/usr/bin/env bats
# make install DESTDIR=...: exactly the files a package ships, with their
# modes, and make uninstall takes them all away again.

load integration-lib

setup() {
	it_setup
	[ -f "$TOP_BUILDDIR/Makefile" ] ||
		fail "no configured build tree at $TOP_BUILDDIR (run configure, or set TOP_BUILDDIR)"
	DEST=$T/dest
}

teardown() { it_teardown; }

# in_build ARGS...: make in the build tree, outside the make check that may
# be running us (its jobserver is not ours).
in_build() {
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$TOP_BUILDDIR" "$@"
}

# dir_of VAR: an installation directory as the build tree's Makefile
# expands it (bindir, mandir, ...).
dir_of() {
	printf 'print-dir:\n\t@echo $(%s)\n' "$1" >"$T/print.mk"
	in_build -f Makefile -f "$T/print.mk" print-dir
}

# installed_dirs: install the tree; set bindir, sysconfdir, mandir,
# hooksdir and tmpfilesdir (the caller's locals) as configured.
installed_dirs() {
	bindir=$(dir_of bindir)
	sysconfdir=$(dir_of sysconfdir)
	mandir=$(dir_of mandir)
	hooksdir=$(dir_of hooksdir)
	tmpfilesdir=$(dir_of tmpfilesdir)
	install_tree
}

install_tree() {
	in_build install DESTDIR="$DEST" >"$T/install.log" 2>&1 ||
		fail "make install failed:" "$(cat "$T/install.log")"
}

@test "make install DESTDIR installs binary, config, man pages, hooks and tmpfiles entry with their modes" {
	local bindir sysconfdir mandir hooksdir tmpfilesdir
	installed_dirs

	cat >"$T/expected" <<-EOF
		755 $bindir/numa-runtime
		644 $sysconfdir/numa-runtime/numa-runtime.conf
		644 $mandir/man8/numa-runtime.8
		644 $mandir/man5/numa-runtime.conf.5
		644 $hooksdir/numa-runtime-prestart.json
		644 $hooksdir/numa-runtime-poststop.json
		644 $tmpfilesdir/numa-runtime.conf
	EOF
	(cd "$DEST" && find . -type f -printf '%m /%P\n') | sort >"$T/actual"
	sort -o "$T/expected" "$T/expected"
	diff -u "$T/expected" "$T/actual"
	# Nothing but regular files and directories (no stray links).
	[ -z "$(find "$DEST" ! -type f ! -type d)" ]
}

@test "installed files carry the configured paths and the shipped content" {
	local bindir sysconfdir mandir hooksdir tmpfilesdir stage
	installed_dirs

	cmp "$TOP_SRCDIR/config/numa-runtime.conf" "$DEST$sysconfdir/numa-runtime/numa-runtime.conf"
	# The binary reads the config file make install wrote.
	grep -aq "$sysconfdir/numa-runtime/numa-runtime.conf" "$DEST$bindir/numa-runtime"

	for stage in prestart poststop; do
		local hook=$DEST$hooksdir/numa-runtime-$stage.json
		[ "$(jq -r .version "$hook")" = 1.0.0 ]
		[ "$(jq -r .hook.path "$hook")" = "$bindir/numa-runtime" ]
		[ "$(jq -c .hook.args "$hook")" = "[\"numa-runtime\",\"hook\",\"$stage\"]" ]
		[ "$(jq -c .stages "$hook")" = "[\"$stage\"]" ]
		[ "$(jq -r .when.always "$hook")" = true ]
	done

	grep -qx 'd /run/numa-runtime 0700 root root -' "$DEST$tmpfilesdir/numa-runtime.conf"

	# Man pages are roff with the configured paths filled in.
	head -c 2 "$DEST$mandir/man8/numa-runtime.8" | grep -q '^\.'
	grep -q '\.TH "numa-runtime" "8"' "$DEST$mandir/man8/numa-runtime.8"
	grep -q '\.TH "numa-runtime.conf" "5"' "$DEST$mandir/man5/numa-runtime.conf.5"
	# (roff escapes dashes as \- and puts \& after some dots)
	sed -e 's/\\-/-/g' -e 's/\\&//g' "$DEST$mandir/man5/numa-runtime.conf.5" |
		grep -q "$sysconfdir/numa-runtime/numa-runtime.conf"
	if grep '@[A-Z_]*@' "$DEST$mandir/man8/numa-runtime.8" "$DEST$mandir/man5/numa-runtime.conf.5"; then
		fail "unsubstituted @PLACEHOLDER@ in a man page"
	fi
}

@test "numa-runtime.conf(5) documents every key the default config lists" {
	local bindir mandir key
	mandir=$(dir_of mandir)
	install_tree
	# Keys in the shipped config appear as "#key = value" lines.
	sed -n 's/^#\([a-z_]*\) =.*/\1/p' "$TOP_SRCDIR/config/numa-runtime.conf" >"$T/keys"
	[ -s "$T/keys" ]
	while read -r key; do
		grep -q "fB$key\\\\fR" "$DEST$mandir/man5/numa-runtime.conf.5" ||
			fail "key $key is not documented in numa-runtime.conf(5)"
	done <"$T/keys"
}

@test "the installed binary runs its hook mode" {
	local bindir
	bindir=$(dir_of bindir)
	install_tree
	printf '[ledger]\npath = %s/ledger.json\n' "$T" >"$T/conf"
	run -0 env NUMA_RUNTIME_CONFIG="$T/conf" "$DEST$bindir/numa-runtime" hook poststop \
		<<<'{"ociVersion":"1.0.2","id":"c1","status":"stopped","bundle":"/tmp"}'
	[ -z "$output" ]
}

@test "make uninstall removes every installed file" {
	install_tree
	in_build uninstall DESTDIR="$DEST" >"$T/uninstall.log" 2>&1 ||
		fail "make uninstall failed:" "$(cat "$T/uninstall.log")"
	[ -z "$(find "$DEST" -type f)" ]
}
