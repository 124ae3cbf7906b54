#!/bin/bash
# ledger-doc.sh LEDGER: the ledger at LEDGER (the index file named by the
# config's [ledger] path) as one JSON document on stdout, read without
# numa-runtime, so that tests judge the files themselves:
#
#   {"version":2,"boot_id":...,"generation":...,"reclaim_cursor":...,
#    "shard_count":...,"nodes":[...],"shards":[...],"containers":[...]}
#
# "containers" holds the entries of every shard the index lists, in the
# index's order.  A ledger still in the version 1 layout (one file with
# "containers") is printed as it is.  Exits 1, saying why on stderr, when
# a shard the index lists is missing, does not parse (an empty file holds
# no JSON document), or holds another number of entries than the index
# says, and when LEDGER itself is empty.  A missing LEDGER prints an empty
# ledger.  The caller holds the lock if writers may be running
# (flock -s LEDGER.lock).  See docs/LEDGER.md.
set -euo pipefail

[ $# -eq 1 ] || {
	echo "usage: ledger-doc.sh LEDGER" >&2
	exit 2
}
index=$1
if [ ! -e "$index" ]; then
	echo '{"version":2,"nodes":[],"shards":[],"containers":[]}'
	exit 0
fi
dir=$(dirname "$index")
# One jq reads the index: "1" for a document in the version 1 layout (no
# "shards"), else "2" and the files the index lists, one a line.  Two jq
# runs in all: the stress tests read thousands of ledger versions.
listing=$(jq -r 'if type == "object" and has("shards") then "2", .shards[].file else "1" end' "$index") ||
	exit 1
if [ -z "$listing" ]; then
	echo "ledger-doc: $index holds no JSON document" >&2
	exit 1
elif [ "$listing" = 1 ]; then
	jq -c . "$index"
	exit 0
fi

# The shard files in the index's order; each must exist, hold exactly one
# JSON document (an empty file holds none) and as many entries as the
# index gives it.
files=()
while IFS= read -r file; do
	[ -f "$dir/$file" ] || {
		echo "ledger-doc: shard $file listed by $index is missing" >&2
		exit 1
	}
	files+=("$dir/$file")
done < <(tail -n +2 <<<"$listing")
jq -c -n --slurpfile index "$index" --arg dir "$dir" '
	$index[0] as $i
	| ($i.shards | map({key: ($dir + "/" + .file), value: .entries}) | from_entries) as $want
	| [inputs | {file: input_filename, containers}] as $shards
	| ($shards | group_by(.file) | map({key: .[0].file, value: length}) | from_entries) as $values
	| ([$want | keys[] | select($values[.] != 1)] | first) as $unread
	| ([$shards[] | select($want[.file] != (.containers | length))] | first) as $bad
	| if $unread then
		error("ledger-doc: shard \($unread) holds \($values[$unread] // 0) JSON documents, not one")
	  elif $bad then
		error("ledger-doc: shard \($bad.file) holds \($bad.containers | length) entries, the index says \($want[$bad.file])")
	  else $i + {containers: [$shards[].containers[]]} end' "${files[@]}" </dev/null || exit 1
