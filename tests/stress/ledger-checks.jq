# ledger-checks.jq: what must hold in every ledger numa-runtime writes, as
# a jq module (`include "ledger-checks";` with -L tests/stress).
#
# `violations`, on a whole ledger as one document (a version 1 file, or
# tests/ledger-doc.sh's output for version 2), yields one message per
# broken rule:
#   - ids are unique
#   - no CPU is in two entries' exclusive_cpus
#   - the header's per-node sums equal the sums recomputed from the
#     entries (an entry on several nodes counts an even share on each, the
#     first node taking the remainder, as ledger.c does), held_load and
#     held_cpus among them (the shares and CPUs of the entries whose load
#     is 1000 for each of their exclusive CPUs)
#
# `index_violations($base)`, on a version 2 index (or ledger-doc.sh's
# output) whose file is named $base, yields one message per broken rule of
# the index (docs/LEDGER.md):
#   - "shards" lists each shard once, in ascending shard number, none empty,
#     each below shard_count
#   - each shard's file is "$base.d/NN-G.json": NN its shard number in two
#     digits, G a generation no later than the index's
#
# `ledgers` reads, with jq -n, the stream lib.sh's ledger_stream writes
# (for each ledger: a marker, the index; for each file the index lists: a
# marker, the file) and yields one object per ledger:
#   {path, doc, problems, placed}
# doc is the ledger as one document, as ledger-doc.sh prints it (null when
# unreadable); problems, what ledger-doc.sh would refuse it for (a listed
# shard missing, not holding a "containers" array, or holding another
# number of entries than the index says; a file holding more than one JSON
# value); placed, [shard, id] for every entry of a version 2 ledger.
# `all_violations` on such an object: its problems, index_violations and
# violations together.

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
      | ($e.exclusive_cpus | expand) as $x
      | (($x | length) > 0 and ($e.load // 0) == 1000 * ($x | length)) as $held
      | range(0; $n) as $k
      | {node: $nodes[$k], load: share($e.load // 0; $n; $k),
         millicpus: share($e.millicpus // 0; $n; $k), memory: share($e.memory // 0; $n; $k),
         hugepages: share($e.hugepages // 0; $n; $k), exclusive: $x,
         held_load: (if $held then share($e.load; $n; $k) else 0 end),
         held: (if $held then $x else [] end)}]
     | group_by(.node)
     | map({node: .[0].node, containers: length, load: (map(.load) | add),
            millicpus: (map(.millicpus) | add), memory: (map(.memory) | add),
            hugepages: (map(.hugepages) | add), exclusive_cpus: (map(.exclusive) | add | unique),
            held_load: (map(.held_load) | add), held_cpus: (map(.held) | add | unique)})) as $want
  | ($doc.nodes | map(select(.containers != 0))
     | map({node, containers, load, millicpus, memory, hugepages,
            exclusive_cpus: (.exclusive_cpus | expand | unique),
            held_load, held_cpus: (.held_cpus | expand | unique)}) | sort_by(.node)) as $got
  | (if ($dup_ids | length) > 0 then "ids listed twice: \($dup_ids)" else empty end),
    (if ($dup_cpus | length) > 0 then "exclusive CPUs held by two entries: \($dup_cpus)" else empty end),
    (if $got != $want then "header sums \($got | tojson) differ from the entries' \($want | tojson)" else empty end);

def two_digits: if . < 10 then "0\(.)" else "\(.)" end;

def index_violations($base):
  if has("shards") | not then empty
  else
    .generation as $g
    | .shard_count as $count
    | (.shards | map(.shard)) as $nums
    | (if ($count | type) != "number" or $count < 1 then "shard_count is \($count | tojson)" else empty end),
      (if ($g | type) != "number" then "generation is \($g | tojson)" else empty end),
      (if $nums != ($nums | unique) then "shards not listed once each in ascending order: \($nums)" else empty end),
      (.shards[]
       | . as $s
       | (if (.entries | type) != "number" or .entries < 1 then "shard \(.shard) listed with \(.entries | tojson) entries" else empty end),
         (if (.shard | type) != "number" or .shard < 0 or .shard >= $count then "shard \(.shard | tojson) outside 0..\($count - 1)" else empty end),
         ((.file | strings | capture("^(?<dir>.*)/(?<nn>[0-9]+)-(?<gen>[0-9]+)\\.json$")) // null
          | if . == null or .dir != "\($base).d" or .nn != ($s.shard | two_digits) then
              "shard \($s.shard) is in \($s.file | tojson), not \($base).d/\($s.shard | two_digits)-<generation>.json"
            elif (.gen | tonumber) > $g then "shard \($s.shard)'s file \($s.file) is from generation \(.gen), after the index's \($g)"
            else empty end))
  end;

# One ledger of the stream, once all its files are in: {path, doc, problems, placed}.
def assemble:
  .path as $path
  | .index as $i
  | .shards as $files
  | .extra as $extra
  | if $i == null then {path: $path, doc: null, problems: (["the index is missing or empty"] + $extra), placed: []}
    elif ($i | type) != "object" then {path: $path, doc: null, problems: (["the index is not an object"] + $extra), placed: []}
    elif ($i | has("shards")) | not then {path: $path, doc: $i, problems: $extra, placed: []}
    elif ($i.shards | type) != "array" then {path: $path, doc: null, problems: (["\"shards\" is not an array"] + $extra), placed: []}
    else
      [$i.shards[]
       | . as $s
       | if ($files | has($s.file | tostring)) | not then "shard \($s.file) listed by the index is missing or holds no JSON document"
         elif ($files[$s.file].containers | type) != "array" then "shard \($s.file) holds no \"containers\" array"
         elif ($files[$s.file].containers | length) != $s.entries then
           "shard \($s.file) holds \($files[$s.file].containers | length) entries, the index says \($s.entries)"
         else empty end] as $problems
      | {path: $path,
         doc: (if $problems == [] then $i + {containers: [$i.shards[] | $files[.file].containers[]]} else null end),
         problems: ($problems + $extra),
         placed: [$i.shards[] | .shard as $n | $files[.file | tostring].containers[]?.id | [$n, .]]}
    end;

def ledgers:
  foreach (inputs, {nr_end: true}) as $x (
    {path: null, file: null, index: null, shards: {}, extra: [], out: null};
    .out = null
    | if ($x | type == "object" and (has("nr_ledger") or has("nr_end"))) then
        (if .path != null and ($x.nr_end or $x.nr_ledger != .path) then .out = ({path, index, shards, extra} | assemble) else . end)
        | if $x.nr_end then .
          elif $x.nr_ledger != .path then
            .path = $x.nr_ledger | .file = $x.nr_file | .index = null | .shards = {} | .extra = []
          else .file = $x.nr_file end
      elif .file == "" then
        (if .index == null then .index = $x else .extra += ["the index holds more than one JSON value"] end)
      else
        .file as $f
        | if .shards | has($f) then .extra += ["\($f) holds more than one JSON value"]
          else .shards[$f] = $x end
      end;
    .out | select(. != null));

def all_violations:
  (.path // "" | sub(".*/"; "")) as $base
  | .problems[],
    (.doc | select(. != null) | index_violations($base), violations);
