#!/bin/bash
# tools-check.sh [--root DIR] [--quickstart FILE] [--tools FILE]
#
# Does contrib/quickstart.sh install everything the test suites run?  Reads
# the host-side shell files of the tree at DIR (default: this checkout; the
# files tests/lint-shell-files.sh finds, less the guests' own) and finds
#   - every tool they name: `command -v T`, `type -P T`, `require_cmd T [PKG]`,
#     `nr_skip "T is not installed ..."`, `for tool in T...` (a `"$var"`
#     there is its `var=${VAR:-default}` default);
#   - every program they call: a word in command position (start of a line,
#     after | & ; ( ` $(, after then/do/else, after bats' `run`, `exec` and
#     `timeout N`) that is a program on PATH, not a builtin, a function of
#     the scanned files or an assignment.
# A tool must be in tests/tools.list (FILE) unless this machine has it from
# a Priority: required package; a tools.list package must be in the
# `packages=( ... )` list of contrib/quickstart.sh (FILE), unless the line
# says "-" and how the tool is there otherwise; `require_cmd T PKG` must name
# the tools.list package.  Prints one line per problem on stdout; exit 1
# when there is any, 2 on a usage error.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
quickstart='' tools=''
while [ $# -gt 0 ]; do
	case $1 in
	--root) root=$2; shift ;;
	--quickstart) quickstart=$2; shift ;;
	--tools) tools=$2; shift ;;
	*) echo "usage: $0 [--root DIR] [--quickstart FILE] [--tools FILE]" >&2; exit 2 ;;
	esac
	shift
done
quickstart=${quickstart:-$root/contrib/quickstart.sh}
tools=${tools:-$root/tests/tools.list}

# The packages quickstart installs, one a line.
listed_packages() {
	sed -n '/^packages=(/,/^)/p' "$quickstart" | sed -e 's/#.*//' -e 's/packages=(//' -e 's/)//' |
		tr -s ' \t' '\n' | sed '/^$/d'
}

# The host-side shell files to read (paths relative to $root).
scanned_files() {
	(cd "$root" && sh tests/lint-shell-files.sh .) | tr ' ' '\n' |
		grep -v -e '^tests/node/guest/' -e '^tests/vm/init\.sh$' -e '^tests/vm/checks\(-[a-z]*\)\{0,1\}\.sh$' \
			-e '^tests/vm/mock-' -e '^tests/tools-check\.sh$' -e '^tests/test-tools-list\.sh$' -e '^$'
}

# named_tools FILE: "TOOL FILE [PKG]" for each tool FILE names.
named_tools() {
	local f=$1
	sed -e 's/^[[:space:]]*#.*//' "$root/$f" | awk -v f="$f" '
		function emit(w, pkg) {
			gsub(/^["'\'']|["'\'']$/, "", w)
			if (w ~ /^\$\{?[A-Za-z_]+\}?$/) { v = w; gsub(/[${}]/, "", v); w = (v in dflt) ? dflt[v] : "" }
			else if (w ~ /^\$\{[A-Za-z_]+:-[^}]+\}$/) { sub(/^\$\{[A-Za-z_]+:-/, "", w); sub(/\}$/, "", w) }
			if (w ~ /^[A-Za-z0-9][A-Za-z0-9_.+-]*$/) print w, f, pkg
		}
		{ line[NR] = $0
		  if (match($0, /^[[:space:]]*[A-Za-z_]+=\$\{[A-Z_]+:-[A-Za-z0-9_.+-]+\}/)) {
			s = substr($0, RSTART, RLENGTH); gsub(/[[:space:]]/, "", s)
			split(s, kv, "="); d = s; sub(/^[^-]*-/, "", d); sub(/\}$/, "", d); dflt[kv[1]] = d } }
		END { for (i = 1; i <= NR; i++) { l = line[i]
			while (match(l, /(command -v|type -P) +[^ ;|&)]+/)) {
				s = substr(l, RSTART, RLENGTH); sub(/^(command -v|type -P) +/, "", s)
				if (s != "\"$1\"" && s != "\"$tool\"" && s != "\"$t\"") emit(s, "")
				l = substr(l, RSTART + RLENGTH) }
			l = line[i]
			if (match(l, /require_cmd +[^ ;|&)]+( +[a-z0-9][a-z0-9.+-]*)?/)) {
				n = split(substr(l, RSTART, RLENGTH), a, / +/); if (a[2] != "CMD") emit(a[2], n > 2 ? a[3] : "") }
			if (match(l, /nr_skip +"[A-Za-z0-9_.+-]+ (is )?not installed/)) {
				s = substr(l, RSTART, RLENGTH); sub(/^nr_skip +"/, "", s); sub(/ .*/, "", s); emit(s, "") }
			if (match(l, /for +tool +in +[^;]+;/)) {
				s = substr(l, RSTART, RLENGTH); sub(/^for +tool +in +/, "", s); sub(/;$/, "", s)
				n = split(s, a, / +/); for (j = 1; j <= n; j++) emit(a[j], "") } } }'
}

# called_words FILE: "WORD FILE" for each word in command position.
called_words() {
	local f=$1
	sed -E -e 's/^[[:space:]]*#.*//' \
		-e 's/(^|[[:space:]])(run( -[0-9!]+)?|exec|timeout( -[a-zA-Z]+)*( [0-9.]+[smh]?)?|then|do|else)[[:space:]]+/\1; /g' "$root/$f" |
		grep -oE '(^[[:space:]]*(\([[:space:]]*)?|[|&;`][[:space:]]*(\([[:space:]]*)?|\$\([[:space:]]*)[a-z][a-z0-9_.+-]*([[:space:]]*([=~*<>+,]|$)|\(\))?' |
		grep -vE '([=~*<>+,]|\(\))$' | grep -oE '[a-z][a-z0-9_.+-]*$' | sed "s|\$| $f|" || true
}

declare -A listed=() tool_pkg=() functions=() problems=() required=()
while read -r p; do listed[$p]=1; done < <(listed_packages)
while read -r t pkg _; do
	case $t in '#'* | '') continue ;; esac
	tool_pkg[$t]=$pkg
done <"$tools"

report() { problems["$*"]=1; }

mapfile -t files < <(scanned_files)
for f in "${files[@]}"; do
	while read -r fn; do functions[$fn]=1; done < <(grep -oE '^[[:space:]]*[A-Za-z_][A-Za-z0-9_]*\(\)' "$root/$f" | tr -d ' \t()')
done

# Every "HOW TOOL FILE [PKG]" first, then one dpkg-query for all of them.
uses=$(mktemp)
trap 'rm -f "$uses"' EXIT
for f in "${files[@]}"; do
	named_tools "$f" | sed 's/^/names /'
	called_words "$f" | sort -u | while read -r w _; do
		[ -z "${functions[$w]+x}" ] || continue
		if [ "$(type -t "$w" 2>/dev/null || true)" = file ]; then echo "calls $w $f"; fi
	done
done >"$uses"

# required: the tools this machine has from a Priority: required package
# (dpkg records paths before the /usr merge: ask for both spellings).
mapfile -t paths < <(awk '{ print $2 }' "$uses" | sort -u | while read -r t; do
	p=$(type -P "$t" 2>/dev/null) || continue
	for q in "$p" "$(readlink -f "$p")"; do printf '%s\n%s\n' "$q" "${q#/usr}"; done
done | sort -u)
declare -A path_pkg=()
if [ ${#paths[@]} -gt 0 ]; then
	while IFS=: read -r pkg path; do
		case $pkg in diversion*) continue ;; esac
		path_pkg[${path# }]=$pkg
	done < <(dpkg-query -S "${paths[@]}" 2>/dev/null || true)
fi
declare -A pkg_required=()
if [ ${#path_pkg[@]} -gt 0 ]; then
	while read -r pkg prio; do
		[ "$prio" = required ] && pkg_required[$pkg]=1
	done < <(printf '%s\n' "${path_pkg[@]}" | sort -u | xargs dpkg-query -W -f='${Package} ${Priority}\n' 2>/dev/null || true)
fi
while read -r t; do
	p=$(type -P "$t" 2>/dev/null) || continue
	for q in "$p" "${p#/usr}" "$(readlink -f "$p")"; do
		pkg=${path_pkg[$q]:-}
		[ -n "$pkg" ] && [ -n "${pkg_required[$pkg]+x}" ] && required[$t]=1
	done
done < <(awk '{ print $2 }' "$uses" | sort -u)

while read -r how t f pkg; do
	if [ -z "${tool_pkg[$t]+x}" ]; then
		[ -n "${required[$t]+x}" ] ||
			report "$f: $how '$t', which is not in tests/tools.list (add it with its Debian package, and the package to contrib/quickstart.sh)"
	elif [ -n "${pkg:-}" ] && [ "${tool_pkg[$t]}" != "$pkg" ] && [ "${tool_pkg[$t]}" != - ]; then
		report "$f: require_cmd $t $pkg, but tests/tools.list says $t comes from ${tool_pkg[$t]}"
	fi
done <"$uses"

for t in "${!tool_pkg[@]}"; do
	pkg=${tool_pkg[$t]}
	[ "$pkg" = - ] && continue
	[ -n "${listed[$pkg]+x}" ] ||
		report "tests/tools.list: $t comes from $pkg, which is not in contrib/quickstart.sh's packages list"
done

[ ${#problems[@]} -eq 0 ] && exit 0
printf '%s\n' "${!problems[@]}" | sort
exit 1
