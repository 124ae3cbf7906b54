#!/bin/sh
# make check-all's short fuzz pass: every libFuzzer harness for
# FUZZ_SHORT_SECONDS (15 by default), one TAP test each.  (Not
# FUZZ_SECONDS: that is make fuzz's, and make exports it.)
exec env FUZZ_SECONDS="${FUZZ_SHORT_SECONDS:-15}" bash "$(dirname "$0")/fuzz.sh" tap
