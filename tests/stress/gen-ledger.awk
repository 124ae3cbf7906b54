# gen-ledger.awk -v n=N -v root=ROOT -v boot=BOOT_ID [-v nodes=2 -v per=32]
#
# A ledger of N entries in the version 1 layout (one file, one entry a
# line), shaped like a busy Kubernetes node: 64-hex container ids, pods of
# one sandbox and three containers, containerd's root, 500m CPU and 256 MiB
# each, spread over the nodes; the per-node sums in the header match.  The
# ids go to stderr.  numa-runtime reads it and writes it as version 2
# (index + shards) on its first commit: lib.sh's convert_ledger does that
# with a gc.
function hex64(   s, i) {
	s = ""
	for (i = 0; i < 8; i++)
		s = s sprintf("%08x", int(rand() * 4294967296))
	return s
}
BEGIN {
	if (nodes == "") nodes = 2
	if (per == "") per = 32
	srand(n + 7)
	mem = 268435456
	mc = 500
	for (i = 0; i < n; i++) {
		node = int(i / 4) % nodes
		id = hex64()
		sandbox = ""
		if (i % 4 == 0) {
			pod = id
			sandbox = ",\"sandbox\":true"
		}
		line[i] = sprintf("{\"id\":\"%s\",\"nodes\":\"%d\",\"cpus\":\"%d-%d\",\"exclusive_cpus\":\"\",\"load\":%d,\"millicpus\":%d,\"memory\":%d,\"hugepages\":0,\"pod\":\"%s\"%s,\"root\":\"%s\",\"pid\":%d,\"pid_start\":%d,\"created\":%d}",
			id, node, node * per, node * per + per - 1, mc, mc, mem, pod, sandbox, root,
			100000 + i, 5000000 + i, 1700000000 + i)
		ids[i] = id
		count[node]++
	}
	printf "{\"version\":1,\"boot_id\":\"%s\",\"reclaim_cursor\":0,\"nodes\":[", boot
	sep = ""
	for (k = 0; k < nodes; k++) {
		if (count[k] == 0)
			continue
		printf "%s{\"node\":%d,\"containers\":%d,\"load\":%d,\"millicpus\":%d,\"memory\":%.0f,\"hugepages\":0,\"exclusive_cpus\":\"\"}",
			sep, k, count[k], count[k] * mc, count[k] * mc, count[k] * mem
		sep = ","
	}
	printf "],\"containers\":[\n"
	for (i = 0; i < n; i++)
		printf "%s%s\n", line[i], (i + 1 < n) ? "," : ""
	printf "]}\n"
	for (i = 0; i < n; i++)
		print ids[i] > "/dev/stderr"
}
