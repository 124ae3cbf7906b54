# shellcheck shell=bash
# The operator's view of this node: `numa-runtime topology` lists the NVMe
# under node 1 (it sits behind a pxb bridge on node 1), and `explain` of a
# container bind-mounting its filesystem says node 1 because of that disk,
# without touching the live ledger or running the runtime.  The devices
# are the boot's: once, in the first round.

NR_BIN=${NR_BIN:-/usr/local/bin/numa-runtime}

# nvme_disk: the whole disk under /mnt/nvme ("nvme0n1").
nvme_disk() {
	local source
	source=$(findmnt -no SOURCE /mnt/nvme) || return
	lsblk -no PKNAME "$source" | grep . || basename "$source"
}

topology_shows_nvme() {
	local disk text json
	disk=$(nvme_disk) || fail "no disk under /mnt/nvme" || return
	text=$("$NR_BIN" topology) || fail "numa-runtime topology failed" || return
	json=$("$NR_BIN" topology --json) || fail "numa-runtime topology --json failed" || return
	printf '%s\n' "$text"
	awk '/^node 1 devices:$/ { on = 1; next } /^$/ { on = 0 } on' <<<"$text" |
		grep -Eq "^  block +$disk " || fail "$disk is not under node 1 in the text" || return
	expect_eq "$(jq -c --arg d "$disk" '.devices[] | select(.name == $d) | .nodes' <<<"$json")" \
		"[1]" "$disk's nodes in topology --json"
}

# A runc-style config.json bind-mounting /mnt/nvme/data, 1 CPU, 256 MiB.
nvme_spec() {
	jq -n '{ociVersion: "1.0.2", process: {args: ["sh"], env: ["PATH=/bin"], cwd: "/"},
		root: {path: "rootfs"},
		mounts: [{destination: "/data", type: "bind", source: "/mnt/nvme/data",
			options: ["rbind", "rw"]}],
		linux: {resources: {cpu: {quota: 100000, period: 100000},
			memory: {limit: 268435456}}}}'
}

ledger_sums() { find /run/numa-runtime -type f -print0 | sort -z | xargs -0r sha256sum; }

explain_says_node_1() {
	local before out json disk
	mkdir -p /mnt/nvme/data
	disk=$(nvme_disk) || fail "no disk under /mnt/nvme" || return
	before=$(ledger_sums)
	out=$(nvme_spec | "$NR_BIN" explain) || fail "explain exited $?" "$out" || return
	json=$(nvme_spec | "$NR_BIN" explain --json) || fail "explain --json failed" || return
	printf '%s\n' "$out"
	grep -qx '  nodes: 1' <<<"$out" || fail "explain did not choose node 1" || return
	grep -Eq "^  1\. locality hint: node 1 from volume /data \($disk" <<<"$out" ||
		fail "no hint from the NVMe volume" || return
	grep -qx '  4. chosen: node(s) 1 hold its devices and volumes, and it fits there' <<<"$out" ||
		fail "the reason is not the disk" || return
	expect_eq "$(jq -r '.nodes' <<<"$json")" 1 "explain --json nodes" || return
	expect_eq "$(ledger_sums)" "$before" "the ledger after explain"
}

if [ ! -e "$OUT_ROOT/topology-explained" ]; then
	: >"$OUT_ROOT/topology-explained"
	check "numa-runtime topology lists the NVMe under node 1 (text and --json)" topology_shows_nvme
	check "explain of a container bind-mounting the NVMe says node 1 because of that disk, ledger untouched" \
		explain_says_node_1
fi
