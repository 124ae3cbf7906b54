#!/bin/sh
# install.sh: put numa-runtime on a Kubernetes node and register it with
# containerd as the runtime handler "numa".  Run by the DaemonSet in
# daemonset.yaml with the host's filesystem under HOST_ROOT, or by hand.
#
#   1. copy the binary to HOST_ROOT/usr/local/bin/numa-runtime
#   2. install the default config to HOST_ROOT/etc/numa-runtime/ if absent
#   3. merge the handler snippet into HOST_ROOT/etc/containerd/config.toml
#      between marker comments (version 2 or 3, from its `version =` line)
#   3b. install and enable numa-runtime-metrics.timer/.service under
#      HOST_ROOT/etc/systemd/system: `numa-runtime metrics --textfile` every
#      15 s for node_exporter's textfile collector (METRICS_TIMER=0: skip)
#   4. label the node numa-runtime.io/enabled=true (RuntimeClass
#      scheduling.nodeSelector) when NODE_NAME and kubectl are available
#   5. restart containerd when its config changed and RESTART_CONTAINERD=1,
#      else say that it needs a restart
#
# Running it again changes nothing.  Nothing is changed when the containerd
# config cannot be merged (version 1, or a "numa" handler defined by hand).
#
# Environment:
#   HOST_ROOT                 the node's root filesystem (default /host)
#   NUMA_RUNTIME_BINARY       binary to install (default: next to this script)
#   NUMA_RUNTIME_CONF         default config (default: next to this script)
#   CONTAINERD_CONFIG         path under HOST_ROOT (default /etc/containerd/config.toml)
#   CONTAINERD_CONFIG_VERSION version for a config written from scratch (default:
#                             3 when HOST_ROOT's containerd says it is 2.x, else 2,
#                             which containerd 1.6/1.7 read and 2.x migrates on load)
#   SYSTEMD_CGROUP            true | false | auto (default): whether the handler
#                             uses the systemd cgroup driver (SystemdCgroup).
#                             auto follows the config's runc handler, which must
#                             match kubelet's cgroupDriver: true when the config
#                             sets SystemdCgroup = true, else containerd's default
#   NODE_NAME                 this node's name (the DaemonSet sets it)
#   KUBECTL                   kubectl to label with (default: kubectl on PATH)
#   RESTART_CONTAINERD        1: restart containerd through nsenter into PID 1
#   METRICS_TIMER             0: do not install the metrics timer (default 1)
#   NUMA_RUNTIME_UNITS        directory holding numa-runtime-metrics.service.in
#                             and .timer (default: next to this script, else
#                             ../systemd in a source tree)
set -eu

prog='numa-runtime installer'
say() { printf '%s: %s\n' "$prog" "$*"; }
die() {
	printf '%s: error: %s\n' "$prog" "$*" >&2
	exit 1
}

here=$(cd "$(dirname "$0")" && pwd)
host_root=${HOST_ROOT:-/host}
binary_src=${NUMA_RUNTIME_BINARY:-$here/numa-runtime}
conf_src=${NUMA_RUNTIME_CONF:-$here/numa-runtime.conf}
containerd_conf=$host_root${CONTAINERD_CONFIG:-/etc/containerd/config.toml}
new_version=${CONTAINERD_CONFIG_VERSION:-}
systemd_cgroup=${SYSTEMD_CGROUP:-auto}
kubectl=${KUBECTL:-kubectl}

units_src=${NUMA_RUNTIME_UNITS:-$here}
[ -n "${NUMA_RUNTIME_UNITS:-}" ] || [ -f "$units_src/numa-runtime-metrics.timer" ] ||
	units_src=$here/../systemd
units_dst=$host_root/etc/systemd/system

binary_dst=$host_root/usr/local/bin/numa-runtime
conf_dst=$host_root/etc/numa-runtime/numa-runtime.conf

begin_marker='# >>> numa-runtime handler (managed by numa-runtime install.sh: edits inside are replaced) >>>'
end_marker='# <<< numa-runtime handler <<<'

[ -d "$host_root" ] || die "HOST_ROOT $host_root is not a directory"
[ -f "$binary_src" ] || die "no numa-runtime binary at $binary_src (set NUMA_RUNTIME_BINARY)"
[ -f "$conf_src" ] || die "no default config at $conf_src (set NUMA_RUNTIME_CONF)"
# The node's containerd major version, when its binary runs here.
containerd_major() {
	for bin in "$host_root/usr/bin/containerd" "$host_root/usr/local/bin/containerd"; do
		[ -x "$bin" ] || continue
		"$bin" --version 2>/dev/null | sed -n 's/^containerd [^ ]* v\{0,1\}\([0-9][0-9]*\)\..*/\1/p' | head -n 1
		return 0
	done
}
if [ -z "$new_version" ]; then
	new_version=2
	[ "$(containerd_major)" != 2 ] || new_version=3
fi
case $new_version in
2 | 3) ;;
*) die "CONTAINERD_CONFIG_VERSION must be 2 or 3, not $new_version" ;;
esac
case $systemd_cgroup in
true | false | auto) ;;
*) die "SYSTEMD_CGROUP must be true, false or auto, not $systemd_cgroup" ;;
esac

tmpdir=$(mktemp -d "${TMPDIR:-/tmp}/numa-runtime-install.XXXXXX")
trap 'rm -rf "$tmpdir"' EXIT
trap 'exit 1' HUP INT TERM

# --- containerd config: work out the new text before touching anything ----

# config_version FILE: the value of the top-level `version = N` line (keys
# before the first [table]), or nothing.
config_version() {
	awk '
		/^[ \t]*\[/ { exit }
		/^[ \t]*version[ \t]*=/ {
			v = $0
			sub(/^[^=]*=[ \t]*/, "", v)
			sub(/[ \t]*(#.*)?$/, "", v)
			print v
			exit
		}' "$1"
}

# has_content FILE: anything but blank lines and comments.
has_content() {
	grep -q '^[[:space:]]*[^[:space:]#]' "$1"
}

# outside_block FILE: FILE without the managed block.
outside_block() {
	awk -v b="$begin_marker" -v e="$end_marker" '
		$0 == b { inside = 1; next }
		$0 == e { inside = 0; next }
		!inside' "$1"
}

# uses_systemd_cgroup FILE: FILE (outside our block) sets SystemdCgroup =
# true, i.e. its runc handler uses the systemd cgroup driver.
uses_systemd_cgroup() {
	[ -f "$1" ] && outside_block "$1" | grep -q '^[[:space:]]*SystemdCgroup[[:space:]]*=[[:space:]]*true'
}

# write_block VERSION: the managed block for that config version, with
# SystemdCgroup = true under BinaryName when the handler uses systemd.
write_block() {
	printf '%s\n' "$begin_marker"
	if [ "$systemd_cgroup" = true ]; then
		grep -v '^#' "$here/snippet-v$1.toml" |
			awk '{ print } /^[[:space:]]*BinaryName[[:space:]]*=/ {
				indent = $0; sub(/[^[:space:]].*$/, "", indent)
				print indent "SystemdCgroup = true" }'
	else
		grep -v '^#' "$here/snippet-v$1.toml"
	fi
	printf '%s\n' "$end_marker"
}

# merged FILE BLOCKFILE: FILE with its managed block replaced by BLOCKFILE,
# or BLOCKFILE appended when FILE has none.
merged() {
	if grep -qxF "$begin_marker" "$1"; then
		awk -v b="$begin_marker" -v e="$end_marker" -v blockfile="$2" '
			$0 == b {
				while ((getline line < blockfile) > 0) print line
				inside = 1
				next
			}
			$0 == e { inside = 0; next }
			!inside' "$1"
	else
		cat "$1"
		# One blank line between what was there and our block.
		[ ! -s "$1" ] || [ -z "$(tail -c 1 "$1")" ] || printf '\n'
		[ ! -s "$1" ] || printf '\n'
		cat "$2"
	fi
}

if [ "$systemd_cgroup" = auto ]; then
	systemd_cgroup=false
	! uses_systemd_cgroup "$containerd_conf" || systemd_cgroup=true
fi

if [ -f "$containerd_conf" ] && has_content "$containerd_conf"; then
	version=$(config_version "$containerd_conf")
	case $version in
	2 | 3) ;;
	'') die "$containerd_conf has no top-level version line, so containerd reads it as config version 1; migrate it first (containerd config migrate) and run again" ;;
	*) die "$containerd_conf is config version $version; only versions 2 and 3 are supported" ;;
	esac
	if outside_block "$containerd_conf" | grep -q '\.runtimes\.numa[].]'; then
		die "$containerd_conf already defines a runtime handler \"numa\" outside the block this script manages; remove it or register numa-runtime by hand"
	fi
	write_block "$version" >"$tmpdir/block"
	merged "$containerd_conf" "$tmpdir/block" >"$tmpdir/config.toml"
else
	# Missing, empty or only comments: a minimal config holding the
	# handler; containerd takes everything else from its defaults.
	version=$new_version
	{
		if [ -s "$containerd_conf" ]; then
			cat "$containerd_conf"
			[ -z "$(tail -c 1 "$containerd_conf")" ] || printf '\n'
		else
			printf '# containerd config written by the numa-runtime installer: only what\n'
			printf '# differs from the defaults (see containerd config default).\n'
		fi
		printf 'version = %s\n\n' "$version"
		write_block "$version"
	} >"$tmpdir/config.toml"
fi

# --- 1. binary ------------------------------------------------------------

mkdir -p "$(dirname "$binary_dst")"
if [ -f "$binary_dst" ] && cmp -s "$binary_src" "$binary_dst"; then
	say "$binary_dst is up to date"
else
	# Copy next to it, then rename: a running container's shim keeps the
	# old inode, and no one ever executes a half-written file.
	cp "$binary_src" "$binary_dst.new"
	chmod 0755 "$binary_dst.new"
	mv -f "$binary_dst.new" "$binary_dst"
	say "installed $binary_dst"
fi

# --- 2. default config ----------------------------------------------------

if [ -e "$conf_dst" ]; then
	say "keeping the existing $conf_dst"
else
	mkdir -p "$(dirname "$conf_dst")"
	cp "$conf_src" "$conf_dst.new"
	chmod 0644 "$conf_dst.new"
	mv -f "$conf_dst.new" "$conf_dst"
	say "installed the default config $conf_dst"
fi

# --- 3. containerd config -------------------------------------------------

containerd_changed=0
if [ -f "$containerd_conf" ] && cmp -s "$tmpdir/config.toml" "$containerd_conf"; then
	say "$containerd_conf already registers the handler numa (config version $version)"
else
	mkdir -p "$(dirname "$containerd_conf")"
	if [ -f "$containerd_conf" ]; then
		# Keep the operator's original once, and its mode and owner.
		[ -e "$containerd_conf.before-numa-runtime" ] ||
			cp -p "$containerd_conf" "$containerd_conf.before-numa-runtime"
		cp -p "$containerd_conf" "$containerd_conf.new"
		cat "$tmpdir/config.toml" >"$containerd_conf.new"
	else
		cp "$tmpdir/config.toml" "$containerd_conf.new"
		chmod 0644 "$containerd_conf.new"
	fi
	mv -f "$containerd_conf.new" "$containerd_conf"
	containerd_changed=1
	say "registered the handler numa in $containerd_conf (config version $version)"
	[ "$systemd_cgroup" = false ] || say "the handler numa uses the systemd cgroup driver (SystemdCgroup = true), like the node's runc handler"
fi

# --- 3b. metrics timer ----------------------------------------------------

# install_unit NAME FILE: put FILE at $units_dst/NAME unless it is there.
install_unit() {
	if [ -f "$units_dst/$1" ] && cmp -s "$2" "$units_dst/$1"; then
		say "$units_dst/$1 is up to date"
		return 0
	fi
	mkdir -p "$units_dst"
	cp "$2" "$units_dst/$1.new"
	chmod 0644 "$units_dst/$1.new"
	mv -f "$units_dst/$1.new" "$units_dst/$1"
	units_changed=1
	say "installed $units_dst/$1"
}

units_changed=0
if [ "${METRICS_TIMER:-1}" = 0 ]; then
	say "METRICS_TIMER=0: skipping the metrics timer"
else
	[ -f "$units_src/numa-runtime-metrics.timer" ] ||
		die "no numa-runtime-metrics.timer in $units_src (set NUMA_RUNTIME_UNITS)"
	sed 's|@BINDIR@|/usr/local/bin|g' "$units_src/numa-runtime-metrics.service.in" \
		>"$tmpdir/numa-runtime-metrics.service"
	install_unit numa-runtime-metrics.service "$tmpdir/numa-runtime-metrics.service"
	install_unit numa-runtime-metrics.timer "$units_src/numa-runtime-metrics.timer"
	# What `systemctl enable` does, without the host's systemctl.
	wants=$units_dst/timers.target.wants
	if [ ! -L "$wants/numa-runtime-metrics.timer" ]; then
		mkdir -p "$wants"
		ln -sf /etc/systemd/system/numa-runtime-metrics.timer "$wants/numa-runtime-metrics.timer"
		units_changed=1
		say "enabled numa-runtime-metrics.timer"
	fi
	if [ "$units_changed" = 1 ]; then
		say "start the metrics timer on the node: systemctl daemon-reload && systemctl start numa-runtime-metrics.timer (it starts at boot from now on)"
	fi
fi

# --- 4. node label --------------------------------------------------------

if [ -z "${NODE_NAME:-}" ]; then
	say "NODE_NAME is not set: skipping the node label numa-runtime.io/enabled=true"
elif ! command -v "$kubectl" >/dev/null 2>&1; then
	say "kubectl not found: skipping the node label numa-runtime.io/enabled=true on $NODE_NAME"
else
	"$kubectl" label node "$NODE_NAME" numa-runtime.io/enabled=true --overwrite >/dev/null ||
		die "kubectl could not label node $NODE_NAME"
	say "labelled node $NODE_NAME numa-runtime.io/enabled=true"
fi

# --- 5. containerd restart ------------------------------------------------

if [ "$containerd_changed" = 0 ]; then
	say "containerd needs no restart"
elif [ "${RESTART_CONTAINERD:-0}" = 1 ]; then
	say "restarting containerd"
	nsenter -t 1 -m -u -i -n -p systemctl restart containerd ||
		die "restarting containerd failed; restart it on the node by hand"
else
	say "restart containerd on the node to load the handler: systemctl restart containerd (or run this with RESTART_CONTAINERD=1)"
fi
