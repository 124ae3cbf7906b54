#!/bin/sh
# make lint: the code is in the project's clang-format style and cppcheck
# finds nothing.
TARGET=lint DESC="make lint (clang-format, cppcheck)"
. "$(dirname "$0")/make-target.sh"
