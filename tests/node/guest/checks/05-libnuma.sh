# shellcheck shell=bash
# libnuma's view of the guest (`numactl --hardware`: the nodes, each node's
# CPUs, the distances) against numa-runtime's (`status --json` for nodes
# and CPUs, `topology --nrt` for the distances, its zones' costs), CPU-less
# nodes 2 and 3 included.  numa-runtime reads sysfs itself and does not
# link libnuma; this is where the two readings of a multi-node kernel meet.
# The topology is the boot's, not the runtime's: once, in the first round.

# numactl_view: `numactl --hardware` on stdin as lines "nodes IDS",
# "node N cpus C1 C2 ..." (nothing after "cpus" for a CPU-less node) and
# "distance A B D".
numactl_view() {
	awk '
		/^available: / { sub(/^available: [0-9]+ nodes? \(/, ""); sub(/\)$/, ""); print "nodes " $0 }
		/^node [0-9]+ cpus:/ {
			line = "node " $2 " cpus"
			for (i = 4; i <= NF; i++) line = line " " $i
			print line
		}
		/^node distances:/ { in_dist = 1; next }
		in_dist && /^node / { n = 0; for (i = 2; i <= NF; i++) col[++n] = $i; next }
		in_dist && /^ *[0-9]+:/ {
			from = $1; sub(/:$/, "", from)
			for (i = 2; i <= NF; i++) print "distance " from " " col[i - 1] " " $i
		}
		/^No distance information/ { print "no distances" }
	'
}

# runtime_view STATUS_JSON NRT_JSON: the same lines from numa-runtime's
# `status --json` and `topology --nrt`.
runtime_view() {
	{
		jq -r '"nodes " + ([.nodes[].node] | map(tostring) | join(","))' <<<"$1"
		jq -r '.nodes[] | "node \(.node) cpus" + (.cpus | if . == "" then "" else
			split(",") | map(if test("-") then (split("-") | map(tonumber)) as [$a, $b]
				| [range($a; $b + 1)] | map(" \(.)") | join("") else " " + . end) | join("") end)' <<<"$1"
		jq -r '.zones[] | .name as $from | .costs[]
			| "distance \($from | ltrimstr("node-")) \(.name | ltrimstr("node-")) \(.value)"' <<<"$2"
	}
}

# numactl prints the node list in ranges ("0-3"), status as ids ("0,1,2,3"):
# both as one id per comma, then the lines sorted.
normalize() {
	awk '/^nodes / {
		n = split($2, part, ","); out = ""
		for (i = 1; i <= n; i++) {
			if (split(part[i], r, "-") == 2) { for (j = r[1]; j <= r[2]; j++) out = out (out == "" ? "" : ",") j }
			else out = out (out == "" ? "" : ",") part[i]
		}
		print "nodes " out; next
	} { print }' | sort
}

libnuma_agrees() {
	local hw status nrt theirs ours
	hw=$(numactl --hardware) || fail "numactl --hardware failed" || return
	status=$("$NR_BIN" status --json) || fail "numa-runtime status --json failed" || return
	nrt=$("$NR_BIN" topology --nrt) || fail "numa-runtime topology --nrt failed" || return
	theirs=$(numactl_view <<<"$hw" | normalize)
	ours=$(runtime_view "$status" "$nrt" | normalize)
	printf '%s\n' "numactl --hardware:" "$hw"
	grep -q '^distance ' <<<"$theirs" || fail "no distances from numactl" || return
	expect_eq "$(grep -c '^node .* cpus' <<<"$ours")" 4 "nodes in numa-runtime's view" || return
	diff <(printf '%s\n' "$theirs") <(printf '%s\n' "$ours") ||
		fail "libnuma (<) and numa-runtime (>) see this node differently"
}

NR_BIN=${NR_BIN:-/usr/local/bin/numa-runtime}
if [ ! -e "$OUT_ROOT/libnuma-compared" ]; then
	: >"$OUT_ROOT/libnuma-compared"
	check "numactl --hardware and numa-runtime see the same nodes, CPUs and distances" libnuma_agrees
fi
