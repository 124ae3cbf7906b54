#!/bin/sh
# make distcheck: the tarball builds, installs, uninstalls and passes its
# unit tests (configured --disable-integration-tests, so this test does not
# run itself again).
TARGET=distcheck DESC="make distcheck"
. "$(dirname "$0")/make-target.sh"
