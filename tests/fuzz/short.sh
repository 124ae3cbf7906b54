#!/bin/sh
# make check-all's short fuzz pass: every libFuzzer harness for
# FUZZ_SHORT_SECONDS (6 by default, a target a core at a time: 19 targets
# make a minute of a CI run that aims at 25; make fuzz is the long run),
# one TAP test each.
# (Not FUZZ_SECONDS: that is make fuzz's, and make exports it.)
exec env FUZZ_SECONDS="${FUZZ_SHORT_SECONDS:-6}" bash "$(dirname "$0")/fuzz.sh" tap
