#!/bin/sh
# Print every shell script of the source tree SRCDIR for `make lint`:
# *.sh, *.bash, *.bats, and other files whose first line runs sh, bash or
# dash.  Found by name, so scripts added later are checked too.
#
#   tests/lint-shell-files.sh SRCDIR
set -eu
cd "${1:-.}"
find autogen.sh .ci contrib hooks tests -type f \
	! -path '*/node_modules/*' ! -name '*.o' ! -name '*.log' ! -name '*.trs' |
	sort |
	while IFS= read -r f; do
		case "$f" in
		*.sh | *.bash | *.bats) echo "$f" ;;
		*)
			first=$(head -n 1 "$f" 2>/dev/null | tr -d '\0') || continue
			case "$first" in
			'#!'*/sh | '#!'*/bash | '#!'*/dash | '#!'*'env sh' | '#!'*'env bash' | '#!'*/sh' '* | '#!'*/bash' '*)
				echo "$f"
				;;
			esac
			;;
		esac
	done
