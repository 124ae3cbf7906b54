# check-ledger.jq: run with jq -n -r -L tests/stress on the stream lib.sh's
# ledger_stream writes (check_ledgers does both); prints one line per
# violation (see ledger-checks.jq: the ledger reads as ledger-doc.sh reads
# it, its index is well formed, its entries keep the invariants), prefixed
# with the ledger's path, and nothing when all is well.  jq fails when a
# file does not parse.
include "ledger-checks";

ledgers | .path as $path | all_violations | "\($path): \(.)"
