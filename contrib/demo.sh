#!/bin/sh
# demo.sh [NUMA_RUNTIME]
#
# Runs one busybox container through numa-runtime in front of runc and shows
# where it was placed: the node numa-runtime chose (its ledger entry, as
# `numa-runtime status --json` shows it) and what the container itself sees
# (Cpus_allowed_list, Mems_allowed_list, NUMA_NODE).
# Everything (bundle, config, ledger, runc state) lives in a temporary
# directory that is removed afterwards; nothing on the host is touched.
#
# The binary is the argument, else $NUMA_RUNTIME, else ../src/numa-runtime
# next to this script, else numa-runtime on PATH.  Needs root, runc, jq and
# a static busybox (Debian: busybox-static).  RUNC overrides runc on PATH.
set -eu

prog=demo.sh
die() { printf '%s: %s\n' "$prog" "$*" >&2; exit 1; }

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/lib/common.sh
. "$here/../tests/lib/common.sh"
bin=$(find_numa_runtime "${1:-${NUMA_RUNTIME:-}}" "$here/../src/numa-runtime") ||
	die "numa-runtime not found (pass it as argument or set NUMA_RUNTIME)"
runc=${RUNC:-$(command -v runc || true)}
[ -n "$runc" ] || die "runc not found (set RUNC)"
command -v jq >/dev/null 2>&1 || die "jq not found"
[ "$(id -u)" -eq 0 ] || die "runc needs root here: run this as root"
bundle_sh=$here/../tests/busybox-bundle.sh
[ -x "$bundle_sh" ] || die "missing $bundle_sh"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/numa-runtime-demo.XXXXXX")
id=numa-demo-$$
root=$tmp/runc-root
cleanup() {
	"$bin" --root "$root" delete --force "$id" >/dev/null 2>&1 ||
		"$runc" --root "$root" delete --force "$id" >/dev/null 2>&1 || true
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

"$bundle_sh" "$tmp/bundle" sh -c \
	'grep -E "^(Cpus|Mems)_allowed_list:" /proc/self/status; echo "NUMA_NODE=$NUMA_NODE"'

NUMA_RUNTIME_CONFIG=$tmp/numa-runtime.conf
export NUMA_RUNTIME_CONFIG
cat >"$NUMA_RUNTIME_CONFIG" <<EOF
[runtime]
path = $runc

[ledger]
path = $tmp/ledger.json

[topology]
sysfs_root = /sys

[placement]
policy = best-effort
EOF

# create + start rather than run: the ledger entry can be read while the
# container exists, and delete releases it again.  The container's output
# goes to a file (it inherits create's stdio).
if ! "$bin" --root "$root" create --bundle "$tmp/bundle" "$id" \
	</dev/null >"$tmp/container.out" 2>"$tmp/container.err"; then
	cat "$tmp/container.err" >&2
	die "numa-runtime create failed"
fi
status=$("$bin" --root "$root" status --json) || die "numa-runtime status failed"
node=$(printf '%s\n' "$status" | jq -r --arg id "$id" '.containers[] | select(.id == $id) | .nodes')
cpus=$(printf '%s\n' "$status" | jq -r --arg id "$id" '.containers[] | select(.id == $id) | .cpus')
[ -n "$node" ] || die "no ledger entry for $id"

"$bin" --root "$root" start "$id" || die "numa-runtime start failed"
i=0
while [ "$("$bin" --root "$root" state "$id" 2>/dev/null | jq -r .status)" != stopped ]; do
	i=$((i + 1))
	[ "$i" -le 100 ] || die "container did not finish within 10 s"
	sleep 0.1
done
"$bin" --root "$root" delete "$id" || die "numa-runtime delete failed"
status=$("$bin" --root "$root" status --json) || die "numa-runtime status failed"
left=$(printf '%s\n' "$status" | jq -r '.containers | length')

printf 'numa-runtime placed the container on node %s (cpus %s)\n' "$node" "$cpus"
printf 'the container saw:\n'
sed 's/^/    /' "$tmp/container.out"
if [ -s "$tmp/container.err" ]; then
	printf 'container stderr:\n'
	sed 's/^/    /' "$tmp/container.err"
fi
printf 'after delete the ledger holds %s container(s)\n' "$left"
