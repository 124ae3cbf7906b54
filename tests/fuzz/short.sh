#!/bin/bash
# make check-all's short fuzz pass: every libFuzzer harness for
# FUZZ_SECONDS (30 by default), one TAP test each.
exec env FUZZ_SECONDS="${FUZZ_SECONDS:-30}" bash "$(dirname "$0")/fuzz.sh" tap
