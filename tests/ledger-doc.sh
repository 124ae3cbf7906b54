#!/bin/sh
# ledger-doc.sh LEDGER: the ledger at LEDGER (the index file named by the
# config's [ledger] path) as one JSON document on stdout, read without
# numa-runtime, so that tests judge the files themselves.  The command-line
# face of ledger_read in tests/lib/common.sh (see there for the document and
# when it fails).  The caller holds the lock if writers may be running
# (flock -s LEDGER.lock), or uses ledger_doc, which takes it.
set -eu

[ $# -eq 1 ] || {
	echo "usage: ledger-doc.sh LEDGER" >&2
	exit 2
}
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/lib/common.sh"
ledger_read "$1"
