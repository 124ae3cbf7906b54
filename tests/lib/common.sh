# shellcheck shell=sh
# tests/lib/common.sh: the one test library, sourced by the bats helpers
# (tests/helpers.bash, tests/integration-lib.bash, tests/containerd/lib.bash),
# the ledger stress scripts (tests/stress/lib.sh), tests/busybox-bundle.sh,
# tests/ledger-doc.sh, contrib/bench.sh and demo.sh, and the VM checks
# (tests/vm/checks.sh, which runs in busybox sh: everything here is POSIX
# sh; bash-only helpers stay in the files that need bash).  Provides:
#
#   fail MSG...            print MSG (one argument a line) on stderr, return 1
#   nr_skip REASON         skip the current bats test saying why; a failure
#                          when NUMA_TEST_STRICT=1 (and outside bats)
#   require_root           nr_skip unless running as root
#   require_cmd CMD [PKG]  nr_skip unless CMD is on PATH
#   runc_delete_all ROOT   force-delete every container runc ($RUNC, else
#                          runc on PATH) lists under state root ROOT
#   ledger_doc [LEDGER]    the ledger as one JSON document (see below), read
#                          under a shared lock when flock(1) and LEDGER.lock
#                          exist; LEDGER defaults to $LEDGER, then $NUMA_LEDGER
#   ledger_ids             the ids of the ledger's entries ($LEDGER, else
#                          $NUMA_LEDGER), one a line, in ledger order
#   ledger_field ID KEY    KEY of ID's ledger entry as text; empty when the
#                          entry or the key is absent or null
#   assert_equal GOT WANT [WHAT]  fail saying what differed unless GOT = WANT
#   ledger_read LEDGER     the same without the lock (the caller holds it, or
#                          nothing writes meanwhile)
#   busybox_path           the busybox to use ($BUSYBOX, else busybox on PATH)
#   busybox_missing_reason why no static busybox can be used, or nothing
#   require_busybox        nr_skip unless a static busybox is there
#   busybox_rootfs DIR     a root filesystem: static busybox, a link in bin/
#                          per applet, /proc /sys /dev /tmp /etc, passwd, group
#   busybox_bundle DIR [ARG...]  an OCI bundle for runc at DIR: busybox_rootfs
#                          DIR/rootfs plus `runc spec` ($RUNC, else runc on
#                          PATH) with terminal off and process.args ARG...
#                          (default sh); an existing rootfs and config.json
#                          are replaced
#   script_options SPEC ARG...  the option loop of the bench and stress
#                          scripts (contrib/bench*.sh, tests/stress/*.sh):
#                          SPEC lists x:VAR (-x VALUE sets VAR) and x=VAR
#                          (-x sets VAR=1); -h prints the script's header
#                          comment (script_usage) and exits 0, any other
#                          option prints it on stderr and exits 2.
#                          NR_OPTIND: the index of the first operand
#   script_usage           the header comment of $0, from line 2 to the
#                          `set -eu...` line, without the comment marks
#   find_numa_runtime GIVEN IN_TREE  the numa-runtime a script runs, as an
#                          absolute path: GIVEN, else IN_TREE when it is
#                          executable, else numa-runtime on PATH; fails
#                          when that is not an executable
#
# Functions whose names start with _nr_ are internal.  Functions that keep
# variables run in a subshell (POSIX sh has no `local`), except where they
# may call bats' skip, which must run in the test's own shell.

# --- scripts' options ------------------------------------------------------

script_usage() {
	sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'
}

script_options() {
	_nr_spec=$1
	shift
	_nr_letters=
	for _nr_o in $_nr_spec; do
		case $_nr_o in
		?:*) _nr_letters="$_nr_letters${_nr_o%%:*}:" ;;
		*) _nr_letters="$_nr_letters${_nr_o%%=*}" ;;
		esac
	done
	OPTIND=1
	while getopts "${_nr_letters}h" _nr_opt "$@"; do
		_nr_known=
		for _nr_o in $_nr_spec; do
			case $_nr_o in
			"$_nr_opt":*) eval "${_nr_o#?:}=\$OPTARG" && _nr_known=1 ;;
			"$_nr_opt"=*) eval "${_nr_o#?=}=1" && _nr_known=1 ;;
			esac
		done
		[ -z "$_nr_known" ] || continue
		if [ "$_nr_opt" = h ]; then
			script_usage
			exit 0
		fi
		script_usage >&2
		exit 2
	done
	NR_OPTIND=$OPTIND
}

find_numa_runtime() (
	bin=$1
	if [ -z "$bin" ]; then
		if [ -x "$2" ]; then
			bin=$2
		else
			bin=$(command -v numa-runtime || true)
		fi
	fi
	[ -n "$bin" ] && [ -x "$bin" ] || exit 1
	printf '%s\n' "$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"
)

# --- failing and skipping -------------------------------------------------

fail() {
	printf '%s\n' "$@" >&2
	return 1
}

nr_skip() {
	if [ "${NUMA_TEST_STRICT:-0}" = 1 ]; then
		fail "skip turned into failure (NUMA_TEST_STRICT=1): $*"
		return 1
	fi
	if [ -n "${BATS_TEST_NAME:-}" ]; then
		skip "$*"
	fi
	fail "$*"
}

require_root() {
	[ "$(id -u)" -eq 0 ] || nr_skip "needs root (running as uid $(id -u))"
}

require_cmd() {
	command -v "$1" >/dev/null 2>&1 ||
		nr_skip "needs $1${2:+ (Debian package $2)}"
}

# For teardowns: never fails, whatever is (not) there.
runc_delete_all() (
	runc=${RUNC:-$(command -v runc || true)}
	[ -n "$runc" ] && [ -d "$1" ] || exit 0
	for id in $("$runc" --root "$1" list -q 2>/dev/null); do
		"$runc" --root "$1" delete -f "$id" >/dev/null 2>&1 || true
	done
	exit 0
)

# --- the ledger -----------------------------------------------------------
#
# The document is the index plus "containers", the entries of every shard
# the index lists, in the index's order:
#
#   {"version":2,"boot_id":...,"generation":...,"reclaim_cursor":...,
#    "shard_count":...,"nodes":[...],"shards":[...],"containers":[...]}
#
# A ledger still in the version 1 layout (one file with "containers") is
# printed as it is; a missing LEDGER is an empty ledger.  Fails, saying why
# on stderr, when LEDGER is empty or a shard the index lists is missing,
# does not parse (an empty file holds no JSON document) or holds another
# number of entries than the index says.  Two jq runs in all: the stress
# tests read thousands of ledger versions.  See docs/LEDGER.md.

# The lock is taken on an fd, which util-linux flock can bound in time;
# busybox's flock (where it has one) cannot, and waits.
if flock --version >/dev/null 2>&1; then
	_nr_flock_opts='-w 30 -E 75'
else
	_nr_flock_opts=
fi

ledger_doc() (
	ledger=${1:-${LEDGER:-${NUMA_LEDGER:-}}}
	[ -n "$ledger" ] || {
		echo "ledger_doc: no ledger given and LEDGER unset" >&2
		exit 2
	}
	if [ -e "$ledger.lock" ] && command -v flock >/dev/null 2>&1; then
		exec 9<"$ledger.lock" || exit 1
		rc=0
		# shellcheck disable=SC2086 # options, one a word
		flock -s $_nr_flock_opts 9 || rc=$?
		if [ "$rc" -eq 75 ]; then
			echo "ledger_doc: $ledger.lock held by someone else for 30 s" >&2
		fi
		[ "$rc" -eq 0 ] || exit "$rc"
	fi
	ledger_read "$ledger"
)

ledger_ids() (
	ledger=${LEDGER:-${NUMA_LEDGER:-}}
	doc=$(ledger_doc "$ledger") || fail "cannot read the ledger $ledger" || exit 1
	printf '%s\n' "$doc" | jq -r '.containers[]?.id'
)

ledger_field() (
	ledger=${LEDGER:-${NUMA_LEDGER:-}}
	doc=$(ledger_doc "$ledger") || fail "cannot read the ledger $ledger" || exit 1
	printf '%s\n' "$doc" | jq -r --arg id "$1" --arg k "$2" \
		'.containers[]? | select(.id == $id) | .[$k] | if . == null then empty else tostring end'
)

assert_equal() {
	[ "$1" = "$2" ] || fail "${3:-value} differs" "expected: $2" "got:      $1"
}

ledger_read() (
	index=$1
	if [ ! -e "$index" ]; then
		echo '{"version":2,"nodes":[],"shards":[],"containers":[]}'
		exit 0
	fi
	dir=$(dirname "$index")
	# "1" for a document in the version 1 layout (no "shards"), else "2"
	# and the files the index lists, one a line.
	listing=$(jq -r 'if type == "object" and has("shards") then "2", .shards[].file else "1" end' "$index") ||
		exit 1
	if [ -z "$listing" ]; then
		echo "ledger-doc: $index holds no JSON document" >&2
		exit 1
	elif [ "$listing" = 1 ]; then
		jq -c . "$index"
		exit
	fi
	set --
	first=1
	while IFS= read -r file; do
		if [ "$first" = 1 ]; then
			first=0
			continue
		fi
		[ -f "$dir/$file" ] || {
			echo "ledger-doc: shard $file listed by $index is missing" >&2
			exit 1
		}
		set -- "$@" "$dir/$file"
	done <<LISTING
$listing
LISTING
	jq -c -n --slurpfile index "$index" --arg dir "$dir" '
		$index[0] as $i
		| ($i.shards | map({key: ($dir + "/" + .file), value: .entries}) | from_entries) as $want
		| [inputs | {file: input_filename, containers}] as $shards
		| ($shards | group_by(.file) | map({key: .[0].file, value: length}) | from_entries) as $values
		| ([$want | keys[] | select($values[.] != 1)] | first) as $unread
		| ([$shards[] | select($want[.file] != (.containers | length))] | first) as $bad
		| if $unread then
			error("ledger-doc: shard \($unread) holds \($values[$unread] // 0) JSON documents, not one")
		  elif $bad then
			error("ledger-doc: shard \($bad.file) holds \($bad.containers | length) entries, the index says \($want[$bad.file])")
		  else $i + {containers: [$shards[].containers[]]} end' "$@" </dev/null || exit 1
)

# --- busybox rootfs and bundles -------------------------------------------

busybox_path() {
	if [ -n "${BUSYBOX:-}" ]; then
		printf '%s\n' "$BUSYBOX"
	else
		command -v busybox || true
	fi
}

# A dynamically linked busybox would not run inside an otherwise empty
# rootfs; ask the dynamic loader rather than rely on file(1).
busybox_missing_reason() (
	bb=$(busybox_path)
	if [ -z "$bb" ] || [ ! -x "$bb" ]; then
		echo "needs a static busybox (install busybox-static or set BUSYBOX)"
	elif ldd "$bb" >/dev/null 2>&1; then
		echo "$bb is dynamically linked (install busybox-static or set BUSYBOX)"
	fi
)

require_busybox() {
	_nr_why=$(busybox_missing_reason)
	[ -z "$_nr_why" ] || nr_skip "$_nr_why"
}

busybox_rootfs() {
	require_busybox || return 1
	_nr_busybox_rootfs "$1" || fail "busybox_rootfs: cannot build a rootfs at $1"
}

busybox_bundle() {
	require_busybox || return 1
	_nr_busybox_bundle "$@" || fail "busybox_bundle $* failed"
}

_nr_busybox_rootfs() (
	dir=$1
	bb=$(busybox_path)
	mkdir -p "$dir/bin" "$dir/proc" "$dir/sys" "$dir/dev" "$dir/tmp" "$dir/etc" &&
		chmod 1777 "$dir/tmp" &&
		cp "$bb" "$dir/bin/busybox" &&
		chmod 0755 "$dir/bin/busybox" || exit 1
	# One link per applet; `busybox --list` prints bare names.
	applets=$("$bb" --list) || exit 1
	while IFS= read -r applet; do
		case $applet in
		'' | busybox | */*) continue ;;
		esac
		ln -sf busybox "$dir/bin/$applet" || exit 1
	done <<APPLETS
$applets
APPLETS
	printf 'root:x:0:0:root:/:/bin/sh\n' >"$dir/etc/passwd" &&
		printf 'root:x:0:\n' >"$dir/etc/group"
)

_nr_busybox_bundle() (
	[ $# -ge 1 ] || {
		echo "usage: busybox_bundle DIR [ARG...]" >&2
		exit 2
	}
	dir=$1
	shift
	runc=${RUNC:-$(command -v runc || true)}
	if [ -z "$runc" ] || [ ! -x "$runc" ]; then
		echo "busybox_bundle: runc not found (set RUNC)" >&2
		exit 1
	fi
	command -v jq >/dev/null 2>&1 || {
		echo "busybox_bundle: jq not found" >&2
		exit 1
	}
	mkdir -p "$dir" && dir=$(cd "$dir" && pwd) || exit 1
	rm -rf "$dir/rootfs" "$dir/config.json"
	_nr_busybox_rootfs "$dir/rootfs" || exit 1
	(cd "$dir" && "$runc" spec) || {
		echo "busybox_bundle: runc spec failed in $dir" >&2
		exit 1
	}
	[ $# -gt 0 ] || set -- sh
	tmp=$(mktemp "$dir/.config.json.XXXXXX") || exit 1
	if ! jq '.process.terminal = false | .process.args = $ARGS.positional' \
		"$dir/config.json" --args -- "$@" >"$tmp"; then
		rm -f "$tmp"
		echo "busybox_bundle: cannot rewrite $dir/config.json" >&2
		exit 1
	fi
	chmod 0644 "$tmp" && mv -f "$tmp" "$dir/config.json"
)
