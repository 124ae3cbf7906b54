#!/usr/bin/env bats
# `metrics`, `topology --nrt` and status' bars: a known sequence of creates,
# refusals and deletes on the two-node fixture (fake runtime), then
#  - the exposition passes promtool and a real node_exporter's textfile
#    collector, and a real Prometheus scraping it answers PromQL with the
#    numbers `status --json` gives;
#  - the NodeResourceTopology object matches the noderesourcetopology-api
#    v1alpha2 types field by field (tests/nrt-check.jq) and status' numbers;
#  - the contrib DaemonSet manifest parses and holds what it needs.
# Daemons listen on 127.0.0.1, on free ports, and are stopped in teardown.

load metrics-helpers

setup() {
	nr_setup
	# a copy of the fixture, with 64 hugepages of 2 MiB on node 0 and both
	# nodes in memory tier 4
	cp -r "$FIXTURES/twonode" "$T/sys"
	echo 64 >"$T/sys/devices/system/node/node0/hugepages/hugepages-2048kB/nr_hugepages"
	mkdir -p "$T/sys/devices/virtual/memory_tiering/memory_tier4"
	echo 0-1 >"$T/sys/devices/virtual/memory_tiering/memory_tier4/nodelist"
	CFG_RUNTIME=$FAKE_RUNTIME
	CFG_SYSFS=$T/sys
	CFG_POLICY=restricted
	CFG_EXTRA='reserved_cpus = 3
reserved_memory = 1G
[annotations]
allow_weaker_policy = true'
	write_config
}

teardown() {
	stop_daemons
	nr_teardown
}

# bundle DIR MILLICPUS MEMORY [POLICY]: a spec asking for that much, with
# the policy annotation when given.
bundle() {
	spec_bundle "$1" || return 1
	jq --argjson q "$(($2 * 100))" --argjson m "$3" --arg p "${4:-}" '
		.linux.resources.cpu = {"quota": $q, "period": 100000}
		| .linux.resources.memory = {"limit": $m}
		| if $p != "" then .annotations = {"numa-runtime.io/policy": $p} else . end' \
		"$1/config.json" >"$1/c.json" && mv "$1/c.json" "$1/config.json"
}

# the sequence on 3 + 4 usable CPUs: two placed under restricted, one
# refused; under best-effort one spanning both nodes and one that fits
# nowhere (fallback); one refused under single-numa-node; one deleted
run_sequence() {
	bundle "$T/b1" 2000 1073741824
	bundle "$T/b2" 1000 536870912
	bundle "$T/b3" 4000 268435456 best-effort
	bundle "$T/b4" 6000 0 best-effort
	bundle "$T/r1" 6000 0
	bundle "$T/r2" 5000 0 single-numa-node
	run --separate-stderr nr create --bundle "$T/b1" c1
	assert_success
	run --separate-stderr nr create --bundle "$T/b2" c2
	assert_success
	run --separate-stderr nr create --bundle "$T/r1" r1
	assert_failure
	run --separate-stderr nr create --bundle "$T/b3" c3
	assert_success
	run --separate-stderr nr create --bundle "$T/r2" r2
	assert_failure
	run --separate-stderr nr create --bundle "$T/b4" c4
	assert_success
	run --separate-stderr nr delete c2
	assert_success
	assert_ledger_ids c1 c3 c4
}

# count_cpus: a kernel CPU list on stdin ("0-2,5", "") as a count.
count_cpus() {
	awk -F, '{ n = 0; for (i = 1; i <= NF; i++) { k = split($i, r, "-"); n += (k == 2 ? r[2] - r[1] + 1 : 1) } print n }'
}

# st_node NODE FILTER: FILTER applied to NODE's object in $T/status.json.
st_node() {
	jq -r --argjson n "$1" ".nodes[] | select(.node == \$n) | $2" "$T/status.json"
}

# nrt_res NODE RESOURCE FIELD: a quantity of zone node-NODE in $T/nrt.json.
nrt_res() {
	jq -r --arg z "node-$1" --arg r "$2" --arg f "$3" \
		'.zones[] | select(.name == $z) | .resources[] | select(.name == $r) | .[$f]' "$T/nrt.json"
}

@test "counters: the index counts each outcome by policy, deletes and refusals" {
	run_sequence
	assert_equal "$(jq -c .counters "$LEDGER")" \
		'{"creates":{"best-effort":{"spanned":1,"fallback":1},"restricted":{"placed":2,"refused":1},"single-numa-node":{"refused":1}},"deletes":1,"reclaims":0,"set_asides":0,"rebuilds":0,"migrated_bytes":0}' \
		"counters in the index"
}

@test "metrics: promtool accepts it; gauges and counters equal status --json" {
	run_sequence
	run --separate-stderr nr metrics
	assert_success
	printf '%s\n' "$output" >"$T/m.prom"
	promtool check metrics <"$T/m.prom" || fail "promtool check metrics failed"
	nr status --json >"$T/status.json"
	local node
	for node in 0 1; do
		sample() { grep -E "^numa_runtime_node_$1\\{node=\"$node\"\\} " "$T/m.prom" | cut -d' ' -f2; }
		assert_equal "$(sample containers)" "$(st_node "$node" .containers)" "node $node containers"
		assert_equal "$(sample memory_allocated_bytes)" "$(st_node "$node" .memory_allocated)" "node $node memory allocated"
		assert_equal "$(sample memory_free_bytes)" "$(st_node "$node" .memory_free)" "node $node memory free"
		assert_equal "$(sample memory_reserved_bytes)" "$(st_node "$node" .memory_reserved)" "node $node memory reserved"
		assert_equal "$(sample memory_capacity_bytes)" "$(st_node "$node" .memory_total)" "node $node memory capacity"
		assert_equal "$(sample hugepages_allocated_bytes)" "$(st_node "$node" .hugepages_allocated)" "node $node hugepages"
		assert_equal "$(sample exclusive_cpus)" "$(st_node "$node" .exclusive_cpus | count_cpus)" "node $node exclusive CPUs"
		assert_equal "$(awk -v v="$(sample load_cpus)" 'BEGIN { printf "%d", v * 1000 }')" "$(st_node "$node" .load)" "node $node load"
		assert_equal "$(sample has_cpu)" 1 "node $node has_cpu"
		assert_equal "$(sample memory_tier)" 4 "node $node memory tier"
	done
	grep -qx 'numa_runtime_node_hugepages_capacity_bytes{node="0"} 134217728' "$T/m.prom" ||
		fail "hugepages capacity of node 0"
	grep -qx 'numa_runtime_node_reserved_cpus{node="0"} 1' "$T/m.prom" || fail "reserved CPUs of node 0"
	grep -qx 'numa_runtime_creates_total{policy="restricted",outcome="refused"} 1' "$T/m.prom" ||
		fail "restricted refusals"
	grep -qx 'numa_runtime_creates_total{policy="best-effort",outcome="spanned"} 1' "$T/m.prom" ||
		fail "best-effort spans"
	grep -qx 'numa_runtime_deletes_total 1' "$T/m.prom" || fail "deletes"
	grep -qE '^numa_runtime_build_info\{version="[^"]+"\} 1$' "$T/m.prom" || fail "build info"
}

@test "metrics reads without writing: the ledger is byte-identical afterwards" {
	run_sequence
	cp "$LEDGER" "$T/before.json"
	cp -a "$LEDGER.d" "$T/before.d"
	run --separate-stderr nr metrics
	assert_success
	assert_file_same "$LEDGER" "$T/before.json"
	diff -r "$T/before.d" "$LEDGER.d" || fail "metrics changed the shard files"
}

@test "metrics --textfile replaces the file atomically, 0644, no temp file left" {
	mkdir "$T/tf"
	echo stale >"$T/tf/numa-runtime.prom"
	ino=$(stat -c %i "$T/tf/numa-runtime.prom")
	run --separate-stderr nr metrics --textfile "$T/tf/numa-runtime.prom"
	assert_success
	assert_equal "$output" "" "stdout"
	assert_equal "$(ls "$T/tf")" numa-runtime.prom "files in the textfile directory"
	assert_equal "$(stat -c %a "$T/tf/numa-runtime.prom")" 644 "mode"
	[ "$(stat -c %i "$T/tf/numa-runtime.prom")" != "$ino" ] || fail "rewritten in place, not renamed"
	promtool check metrics <"$T/tf/numa-runtime.prom" || fail "promtool check metrics failed"
}

@test "metrics: a bad argument or an unwritable textfile is one line on stderr" {
	run --separate-stderr nr metrics --bogus
	assert_failure 1
	assert_equal "$output" "" "stdout"
	assert_equal "${#stderr_lines[@]}" 1 "stderr lines"
	case ${stderr_lines[0]} in "numa-runtime: "*bogus*) ;; *) fail "stderr: $stderr" ;; esac
	run --separate-stderr nr metrics --textfile "$T/missing-dir/x.prom"
	assert_failure 1
	assert_equal "${#stderr_lines[@]}" 1 "stderr lines"
}

@test "a real node_exporter serves the textfile and a real Prometheus answers PromQL as status --json" {
	command -v prometheus-node-exporter >/dev/null || nr_skip "needs prometheus-node-exporter"
	command -v prometheus >/dev/null || nr_skip "needs prometheus"
	run_sequence
	mkdir "$T/tf"
	nr metrics --textfile "$T/tf/numa-runtime.prom"
	nr status --json >"$T/status.json"

	local ne_port prom_port
	ne_port=$(free_port)
	start_daemon node-exporter prometheus-node-exporter \
		--web.listen-address="127.0.0.1:$ne_port" --collector.disable-defaults \
		--collector.textfile --collector.textfile.directory="$T/tf"
	wait_http "http://127.0.0.1:$ne_port/metrics"
	curl -fsS "http://127.0.0.1:$ne_port/metrics" >"$T/scrape.txt"
	grep -q '^numa_runtime_node_containers{node="0"} ' "$T/scrape.txt" ||
		fail "node_exporter does not serve our metrics:" "$(grep -v '^#' "$T/scrape.txt" | head -20)"
	grep -qx 'node_textfile_scrape_error 0' "$T/scrape.txt" ||
		fail "node_exporter could not read the textfile:" "$(cat "$T/node-exporter.log")"

	prom_port=$(free_port)
	cat >"$T/prometheus.yml" <<PROMYML
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: node
    static_configs:
      - targets: ['127.0.0.1:$ne_port']
PROMYML
	promtool check config "$T/prometheus.yml" >/dev/null || fail "promtool check config"
	start_daemon prometheus prometheus --config.file="$T/prometheus.yml" \
		--storage.tsdb.path="$T/prom-data" --web.listen-address="127.0.0.1:$prom_port"
	local base=http://127.0.0.1:$prom_port
	wait_http "$base/-/ready" 60
	wait_promql "$base" 'numa_runtime_deletes_total' >/dev/null

	local node field query
	for node in 0 1; do
		for field in containers:containers memory_allocated:memory_allocated_bytes \
			memory_free:memory_free_bytes memory_total:memory_capacity_bytes \
			hugepages_allocated:hugepages_allocated_bytes; do
			query="numa_runtime_node_${field#*:}{node=\"$node\"}"
			assert_equal "$(promql "$base" "$query")" \
				"$(jq -r --argjson n "$node" ".nodes[] | select(.node == \$n) | .${field%%:*}" "$T/status.json")" \
				"$query"
		done
		query="numa_runtime_node_load_cpus{node=\"$node\"} * 1000"
		assert_equal "$(promql "$base" "$query")" \
			"$(jq -r --argjson n "$node" '.nodes[] | select(.node == $n) | .load' "$T/status.json")" "$query"
		query="numa_runtime_node_exclusive_cpus{node=\"$node\"}"
		assert_equal "$(promql "$base" "$query")" \
			"$(jq -r --argjson n "$node" '.nodes[] | select(.node == $n) | .exclusive_cpus' "$T/status.json" | count_cpus)" \
			"$query"
	done
	# a container spanning two nodes counts on each
	assert_equal "$(promql "$base" 'sum(numa_runtime_node_containers)')" \
		"$(jq '[.nodes[].containers] | add' "$T/status.json")" "containers on all nodes"
	assert_equal "$(promql "$base" 'sum(numa_runtime_creates_total{outcome="refused"})')" 2 "refusals"
	assert_equal "$(promql "$base" 'sum(numa_runtime_creates_total{policy="restricted",outcome="placed"})')" 2 \
		"restricted placements"
	assert_equal "$(promql "$base" 'sum(numa_runtime_creates_total{policy="best-effort",outcome="spanned"})')" 1 \
		"best-effort spans"
	assert_equal "$(promql "$base" 'numa_runtime_creates_total{policy="best-effort",outcome="fallback"}')" 1 \
		"best-effort fallbacks"
	assert_equal "$(promql "$base" 'numa_runtime_deletes_total')" 1 "deletes"
	assert_equal "$(promql "$base" 'numa_runtime_ledger_readable')" 1 "ledger readable"
}

@test "topology --nrt: every field as the v1alpha2 API types say, numbers as status --json" {
	run_sequence
	run --separate-stderr nr topology --nrt --node-name worker-1
	assert_success
	printf '%s\n' "$output" >"$T/nrt.json"
	jq -e -f "$TESTS_DIR/nrt-check.jq" "$T/nrt.json" >"$T/nrt-check.out" ||
		fail "NRT object does not match the API types:" "$(cat "$T/nrt-check.out")" "$output"
	nr status --json >"$T/status.json"
	assert_equal "$(jq -r .metadata.name "$T/nrt.json")" worker-1 "name"
	assert_equal "$(jq -c '.attributes' "$T/nrt.json")" \
		'[{"name":"topologyManagerPolicy","value":"restricted"},{"name":"topologyManagerScope","value":"pod"}]' \
		"attributes"
	assert_equal "$(jq -c '[.zones[] | [.name, .type, ([.costs[].value] | map(tostring) | join(" "))]]' "$T/nrt.json")" \
		"$(jq -c -n --rawfile a "$T/sys/devices/system/node/node0/distance" \
			--rawfile b "$T/sys/devices/system/node/node1/distance" \
			'[["node-0","Node",($a | rtrimstr("\n"))],["node-1","Node",($b | rtrimstr("\n"))]]')" \
		"zones and costs"
	local node cpus reserved avail want
	for node in 0 1; do
		cpus=$(st_node "$node" .cpus | count_cpus)
		reserved=$(st_node "$node" .reserved_cpus | count_cpus)
		assert_equal "$(nrt_res "$node" cpu capacity)" "$cpus" "node $node cpu capacity"
		assert_equal "$(nrt_res "$node" cpu allocatable)" "$((cpus - reserved))" "node $node cpu allocatable"
		avail=$(((cpus - reserved) * 1000 - $(st_node "$node" .load)))
		[ "$avail" -ge 0 ] || avail=0 # over-committed by best-effort: nothing available
		if [ $((avail % 1000)) -eq 0 ]; then want=$((avail / 1000)); else want=${avail}m; fi
		assert_equal "$(nrt_res "$node" cpu available)" "$want" "node $node cpu available"
		assert_equal "$(nrt_res "$node" memory capacity)" "$(st_node "$node" .memory_total)" \
			"node $node memory capacity"
		assert_equal "$(nrt_res "$node" memory allocatable)" \
			"$(($(st_node "$node" .memory_total) - $(st_node "$node" .memory_reserved)))" \
			"node $node memory allocatable"
		assert_equal "$(nrt_res "$node" memory available)" "$(st_node "$node" .memory_free)" \
			"node $node memory available"
	done
	assert_equal "$(nrt_res 0 hugepages-2Mi capacity)" 134217728 "node 0 hugepages-2Mi"
	assert_equal "$(nrt_res 0 hugepages-1Gi capacity)" 0 "node 0 hugepages-1Gi"
}

@test "topology: an unknown option, or --nrt with a node name Kubernetes would refuse, one line on stderr" {
	# Without --nrt it prints the machine (issue 24, tests/24-topology-explain.bats).
	run --separate-stderr nr topology --frobnicate
	assert_failure 1
	assert_equal "$output" "" "stdout"
	assert_equal "${#stderr_lines[@]}" 1 "stderr lines"
	run --separate-stderr nr topology --nrt --node-name Not_A_Name
	assert_failure 1
	assert_equal "$output" "" "stdout"
	assert_equal "${#stderr_lines[@]}" 1 "stderr lines"
}

@test "status: bars on a terminal, the plain table otherwise, --json unchanged" {
	run_sequence
	nr status >"$T/plain.txt"
	! grep -q '\[' "$T/plain.txt" || fail "bars in the plain table:" "$(cat "$T/plain.txt")"
	head -n 1 "$T/plain.txt" | grep -q '^NODE ' || fail "plain table header"
	# through a pty: script(1) gives numa-runtime a terminal as stdout
	script -qec "$(printf '%q ' "$NUMA_RUNTIME" --root "$RUNC_ROOT" status)" /dev/null \
		</dev/null | tr -d '\r' >"$T/tty.txt"
	grep -Eq '^0 +CPU +\[[#.]+\] ' "$T/tty.txt" || fail "no CPU bar for node 0:" "$(cat "$T/tty.txt")"
	grep -Eq '^1 +MEM +\[[#.]+\] ' "$T/tty.txt" || fail "no memory bar for node 1:" "$(cat "$T/tty.txt")"
	grep -q 'c1' "$T/tty.txt" || fail "containers missing on the terminal"
	nr status --json | jq -e '.nodes | length == 2' >/dev/null || fail "--json changed"
}

@test "the DaemonSet manifest parses and publishes NRT with the RBAC it needs" {
	python3 - "$TOP_SRCDIR/contrib/kubernetes/nrt-publisher.yaml" "$TOP_SRCDIR/contrib/installer/daemonset.yaml" <<'PYCHECK' || fail "manifest check failed"
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
kinds = {d["kind"]: d for d in docs}
for k in ("ServiceAccount", "ClusterRole", "ClusterRoleBinding", "DaemonSet"):
    assert k in kinds, "missing " + k
rules = kinds["ClusterRole"]["rules"]
nrt = [r for r in rules if "noderesourcetopologies" in r["resources"]]
assert nrt and "topology.node.k8s.io" in nrt[0]["apiGroups"], rules
for verb in ("get", "create", "update", "patch"):
    assert verb in nrt[0]["verbs"], verb
binding = kinds["ClusterRoleBinding"]
assert binding["roleRef"]["name"] == kinds["ClusterRole"]["metadata"]["name"]
sa = kinds["ServiceAccount"]["metadata"]
assert binding["subjects"][0]["name"] == sa["name"]
assert binding["subjects"][0]["namespace"] == sa["namespace"]
ds = kinds["DaemonSet"]
assert ds["apiVersion"] == "apps/v1"
assert ds["metadata"]["namespace"] == sa["namespace"]
spec = ds["spec"]["template"]["spec"]
assert spec["serviceAccountName"] == sa["name"]
labels = ds["spec"]["template"]["metadata"]["labels"]
assert ds["spec"]["selector"]["matchLabels"].items() <= labels.items()
c = spec["containers"][0]
env = {e["name"]: e for e in c.get("env", [])}
assert env["NODE_NAME"]["valueFrom"]["fieldRef"]["fieldPath"] == "spec.nodeName"
assert c["command"] == ["/opt/numa-runtime/nrt-publish.sh"], c["command"]
assert env["NUMA_RUNTIME"]["value"] == "/opt/numa-runtime/numa-runtime"
volumes = {v["name"]: v for v in spec["volumes"]}
for m in c["volumeMounts"]:
    assert m["name"] in volumes, m
mounts = {m["mountPath"] for m in c["volumeMounts"]}
for path in ("/run/numa-runtime", "/sys", "/etc/numa-runtime"):
    assert path in mounts, path
# the installer's DaemonSet runs the same publisher as a sidecar, with the
# same rights
inst = [d for d in yaml.safe_load_all(open(sys.argv[2])) if d]
ids = next(d for d in inst if d["kind"] == "DaemonSet")["spec"]["template"]["spec"]
side = next(c for c in ids["containers"] if c["name"] == "nrt-publisher")
assert side["command"] == c["command"]
assert {m["mountPath"] for m in side["volumeMounts"]} >= mounts
irole = next(d for d in inst if d["kind"] == "ClusterRole")
assert any("noderesourcetopologies" in r["resources"] and set(nrt[0]["verbs"]) <= set(r["verbs"])
           for r in irole["rules"]), irole["rules"]
PYCHECK
}

@test "nrt-publish.sh applies the object once, again only when it changed, and survives a failing kubectl" {
	cat >"$T/kubectl" <<'KUBECTL'
#!/bin/sh
# fake kubectl: logs each apply and the object it was given
[ "$1 $2" = "apply -f" ] || exit 2
cat "$3" >>"$KUBECTL_LOG.objects"
echo apply >>"$KUBECTL_LOG"
[ ! -e "$KUBECTL_FAIL" ]
KUBECTL
	chmod +x "$T/kubectl"
	export KUBECTL=$T/kubectl KUBECTL_LOG=$T/kubectl.log KUBECTL_FAIL=$T/kubectl.fail
	export NODE_NAME=worker-1 INTERVAL=0 NUMA_RUNTIME="$NUMA_RUNTIME"
	publish() { ITERATIONS=$1 sh "$TOP_SRCDIR/contrib/kubernetes/nrt-publish.sh"; }
	publish 3 >"$T/out" 2>&1 || fail "publisher failed:" "$(cat "$T/out")"
	assert_equal "$(wc -l <"$T/kubectl.log")" 1 "applies over three unchanged looks"
	jq -e -f "$TESTS_DIR/nrt-check.jq" "$T/kubectl.log.objects" >/dev/null || fail "applied object is not an NRT"
	assert_equal "$(jq -r .metadata.name "$T/kubectl.log.objects")" worker-1 "name"
	# a failing kubectl: retried at every look until it works
	rm -f "$T/kubectl.log"
	touch "$T/kubectl.fail"
	publish 2 >"$T/out" 2>&1 || fail "publisher gave up:" "$(cat "$T/out")"
	assert_equal "$(wc -l <"$T/kubectl.log")" 2 "applies while kubectl fails"
	grep -q 'retrying' "$T/out" || fail "no retry message:" "$(cat "$T/out")"
	[ -z "$(find "${TMPDIR:-/tmp}" -maxdepth 1 -name 'nrt-publish.*' -newer "$T/kubectl" 2>/dev/null)" ] ||
		fail "state directory left behind"
}

@test "metrics and topology on a node where nothing was placed: zeroes, and no ledger created" {
	use_ledger "$T/never/ledger.json"
	run --separate-stderr nr metrics
	assert_success
	grep -qx 'numa_runtime_node_containers{node="1"} 0' <<<"$output" || fail "containers:" "$output"
	grep -qx 'numa_runtime_ledger_readable 1' <<<"$output" || fail "readable"
	run --separate-stderr nr topology --nrt --node-name w
	assert_success
	assert_equal "$(jq -r '.zones[1].resources[] | select(.name == "cpu") | .available' <<<"$output")" 4 "cpu available"
	[ ! -e "$T/never" ] || fail "metrics or topology created $T/never"
}

@test "real runc: a placement, a refusal, a reclaim and a delete counted; gauges as status --json" {
	require_root
	require_runc
	require_busybox
	[ -r /sys/devices/system/node/node0/cpulist ] ||
		nr_skip "host has no /sys/devices/system/node/node0 (kernel without NUMA support)"
	CFG_RUNTIME=$RUNC CFG_SYSFS=/sys CFG_POLICY=restricted CFG_EXTRA=
	write_config
	local ncpus
	ncpus=$(nproc --all)
	busybox_bundle "$T/c1" sleep 600
	busybox_bundle "$T/c2" sleep 600
	busybox_bundle "$T/big" sleep 600
	edit() { jq "$2" "$1/config.json" >"$1/c.json" && mv "$1/c.json" "$1/config.json"; }
	edit "$T/c1" '.linux.resources.cpu = {"quota": 50000, "period": 100000} | .linux.resources.memory = {"limit": 67108864}'
	edit "$T/big" ".linux.resources.cpu = {\"quota\": $(((ncpus + 1) * 100000)), \"period\": 100000}"

	nr_detached create --bundle "$T/c1" c1 || fail "create c1: $(cat "$T/detached.err")"
	nr_detached create --bundle "$T/c2" c2 || fail "create c2: $(cat "$T/detached.err")"
	run --separate-stderr nr create --bundle "$T/big" big
	assert_failure
	# c2 vanishes behind numa-runtime's back; gc reclaims its entry
	"$RUNC" --root "$RUNC_ROOT" delete -f c2
	run --separate-stderr nr gc
	assert_success
	assert_ledger_ids c1

	run --separate-stderr nr metrics
	assert_success
	printf '%s\n' "$output" >"$T/m.prom"
	promtool check metrics <"$T/m.prom" || fail "promtool check metrics failed"
	nr status --json >"$T/status.json"
	grep -qx 'numa_runtime_creates_total{policy="restricted",outcome="placed"} 2' "$T/m.prom" || fail "placed:" "$(grep creates "$T/m.prom")"
	grep -qx 'numa_runtime_creates_total{policy="restricted",outcome="refused"} 1' "$T/m.prom" || fail "refused"
	grep -qx 'numa_runtime_reclaims_total 1' "$T/m.prom" || fail "reclaims"
	grep -qx "numa_runtime_node_load_cpus{node=\"0\"} 0.5" "$T/m.prom" ||
		fail "node 0 load:" "$(grep load_cpus "$T/m.prom")" "$(cat "$T/status.json")"
	grep -qx "numa_runtime_node_memory_allocated_bytes{node=\"0\"} $(st_node 0 .memory_allocated)" "$T/m.prom" ||
		fail "node 0 memory"
	assert_equal "$(st_node 0 .memory_allocated)" 67108864 "status: memory of c1"
	grep -qx "numa_runtime_node_cpus{node=\"0\"} $(st_node 0 .cpus | count_cpus)" "$T/m.prom" || fail "node 0 CPUs"

	run --separate-stderr nr delete c1
	assert_success
	run --separate-stderr nr metrics
	assert_success
	grep -qx 'numa_runtime_deletes_total 1' <<<"$output" || fail "deletes"
	grep -qx 'numa_runtime_node_containers{node="0"} 0' <<<"$output" || fail "containers after delete"
}
