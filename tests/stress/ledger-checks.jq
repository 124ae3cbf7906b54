# ledger-checks.jq: what must hold in every ledger numa-runtime writes, as
# a jq module (`include "ledger-checks";` with -L tests/stress).
# `violations` yields one message per broken rule:
#   - ids are unique
#   - no CPU is in two entries' exclusive_cpus
#   - the header's per-node sums equal the sums recomputed from the
#     entries (an entry on several nodes counts an even share on each, the
#     first node taking the remainder, as ledger.c does)

def expand:
  if . == null or . == "" then []
  else split(",") | map(
    if test("-") then (split("-") | map(tonumber)) as [$a, $b] | [range($a; $b + 1)]
    else [tonumber] end) | add
  end;

def share($v; $n; $k): ($v / $n | floor) + (if $k == 0 then $v - ($v / $n | floor) * $n else 0 end);

def violations:
  . as $doc
  | ([.containers[].id] | group_by(.) | map(select(length > 1) | .[0])) as $dup_ids
  | ([.containers[] | .exclusive_cpus | expand[]] | group_by(.) | map(select(length > 1) | .[0])) as $dup_cpus
  | ([.containers[]
      | (.nodes | expand) as $nodes | ($nodes | length) as $n
      | . as $e
      | range(0; $n) as $k
      | {node: $nodes[$k], load: share($e.load // 0; $n; $k),
         millicpus: share($e.millicpus // 0; $n; $k), memory: share($e.memory // 0; $n; $k),
         hugepages: share($e.hugepages // 0; $n; $k), exclusive: ($e.exclusive_cpus | expand)}]
     | group_by(.node)
     | map({node: .[0].node, containers: length, load: (map(.load) | add),
            millicpus: (map(.millicpus) | add), memory: (map(.memory) | add),
            hugepages: (map(.hugepages) | add), exclusive_cpus: (map(.exclusive) | add | unique)})) as $want
  | ($doc.nodes | map(select(.containers != 0))
     | map({node, containers, load, millicpus, memory, hugepages,
            exclusive_cpus: (.exclusive_cpus | expand | unique)}) | sort_by(.node)) as $got
  | (if ($dup_ids | length) > 0 then "ids listed twice: \($dup_ids)" else empty end),
    (if ($dup_cpus | length) > 0 then "exclusive CPUs held by two entries: \($dup_cpus)" else empty end),
    (if $got != $want then "header sums \($got | tojson) differ from the entries' \($want | tojson)" else empty end);

