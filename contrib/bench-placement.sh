#!/bin/sh
# bench-placement.sh BENCH_PLACEMENT [MACHINE...]
#
# Generates the fixture machines (tests/fixtures/gen-sysfs.sh; default:
# every one with cache groups or CPUs worth placing on) into a temp dir and
# runs tests/bench/bench-placement over them: placement quality under
# churn, numa-runtime against a model of kubelet's static policy.  The
# Markdown table goes to stdout (docs/PLACEMENT-BENCH.md keeps one).
# Environment: EVENTS (trace length, default 4000), SEED (default 4800),
# SHARED_NODES (numa-runtime's [placement] shared_nodes: spread, the
# default, or gather), FLOW (containers, the default: each placed alone;
# pods: each in a pod, its sandbox first, as kubelet creates them),
# FIXTURES_DIR (machines generated there are kept and reused; default: a
# temp dir, removed).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
gen=$here/../tests/fixtures/gen-sysfs.sh
[ $# -ge 1 ] || { echo "usage: bench-placement.sh BENCH_PLACEMENT [MACHINE...]" >&2; exit 2; }
bin=$1
shift
[ $# -gt 0 ] || set -- epyc-9654-nps1 epyc-9654-nps4 epyc-ccx4 xeon-8480-snc4 xeon-8380 altra grace \
	two-socket nps4 eight-node dm-md-nvme sixty-four
if [ -n "${FIXTURES_DIR:-}" ]; then
	work=$FIXTURES_DIR
	mkdir -p "$work"
else
	work=$(mktemp -d "${TMPDIR:-/tmp}/bench-placement.XXXXXX")
	trap 'rm -rf "$work"' EXIT INT TERM
fi
args=
for m in "$@"; do
	[ -d "$work/$m/sys" ] || sh "$gen" "$m" "$work/$m" >/dev/null
	args="$args $m=$work/$m/sys"
done
# shellcheck disable=SC2086 # NAME=PATH words without blanks: split on purpose
"$bin" -e "${EVENTS:-4000}" -s "${SEED:-4800}" -N "${SHARED_NODES:-spread}" -P "${FLOW:-containers}" $args
