#!/bin/sh
# nrt-publish.sh: publish this node's NodeResourceTopology object
# (topology.node.k8s.io/v1alpha2) with kubectl whenever it changes.
# Run by the nrt-publisher container (nrt-publisher.yaml, and the installer's
# DaemonSet): every INTERVAL seconds it asks `numa-runtime topology --nrt`
# for the object and applies it when it differs from the last one applied.
# The NodeResourceTopology CRD must be installed in the cluster (it comes
# with scheduler-plugins / noderesourcetopology-api).
#
# Environment:
#   NODE_NAME     the node's name (the DaemonSet sets it from spec.nodeName)
#   NUMA_RUNTIME  numa-runtime binary (default: numa-runtime on PATH)
#   KUBECTL       kubectl (default: kubectl on PATH)
#   INTERVAL      seconds between looks (default 10)
#   ITERATIONS    stop after that many looks (default: never; for tests)
set -eu

prog=nrt-publish
numa_runtime=${NUMA_RUNTIME:-numa-runtime}
kubectl=${KUBECTL:-kubectl}
interval=${INTERVAL:-10}
iterations=${ITERATIONS:-0}
[ -n "${NODE_NAME:-}" ] || {
	echo "$prog: NODE_NAME is not set" >&2
	exit 1
}

state=$(mktemp -d "${TMPDIR:-/tmp}/nrt-publish.XXXXXX")
trap 'rm -rf "$state"' EXIT
trap 'exit 0' HUP INT TERM

n=0
while :; do
	if "$numa_runtime" topology --nrt --node-name "$NODE_NAME" >"$state/new.json"; then
		if [ -f "$state/applied.json" ] && cmp -s "$state/new.json" "$state/applied.json"; then
			:
		elif "$kubectl" apply -f "$state/new.json" >/dev/null; then
			mv -f "$state/new.json" "$state/applied.json"
			echo "$prog: published NodeResourceTopology $NODE_NAME"
		else
			# Try again next time (the API server may be away).
			echo "$prog: kubectl apply failed; retrying in ${interval}s" >&2
		fi
	else
		echo "$prog: numa-runtime topology --nrt failed; retrying in ${interval}s" >&2
	fi
	n=$((n + 1))
	[ "$iterations" -eq 0 ] || [ "$n" -lt "$iterations" ] || break
	sleep "$interval"
done
