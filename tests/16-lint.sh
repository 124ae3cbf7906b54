#!/bin/sh
# make lint: the code is in the project's clang-format style, and cppcheck,
# clang-tidy and shellcheck find nothing.
TARGET=lint DESC="make lint (clang-format, cppcheck, clang-tidy, shellcheck)"
. "$(dirname "$0")/make-target.sh"
