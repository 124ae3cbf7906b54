# check-ledger.jq: run with -L tests/stress on ledger files; prints one line
# per violation (see ledger-checks.jq), prefixed with the file name, and
# nothing when all is well.  jq fails on a file that does not parse.
include "ledger-checks";

violations | "\(input_filename): \(.)"
