#!/bin/sh
set -e
cd "$(dirname "$0")"
mkdir -p m4 build-aux
sh tests/unit/gen-automake.sh . >unit-tests.am.tmp
mv -f unit-tests.am.tmp unit-tests.am
exec autoreconf -fis
