#!/bin/bash
# test-tools-list.sh: does contrib/quickstart.sh install what the tests run?
# (TAP on stdout.)  Runs tests/tools-check.sh on this tree, then shows that
# it notices each kind of gap: a package dropped from quickstart's list, a
# tool a test names or calls that tests/tools.list lacks, a require_cmd
# naming another package.
set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
check=$here/tools-check.sh
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tools-list.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

n=0 failed=0
# expect DESC WANT_STATUS PATTERN... -- ARGS: tools-check.sh ARGS exits
# WANT_STATUS and prints a line matching each PATTERN.
expect() {
	local desc=$1 want=$2 out status p missing=''
	shift 2
	local patterns=()
	while [ "$1" != -- ]; do patterns+=("$1") && shift; done
	shift
	out=$(bash "$check" "$@" 2>&1)
	status=$?
	for p in "${patterns[@]}"; do
		grep -qE -- "$p" <<<"$out" || missing="$missing '$p'"
	done
	n=$((n + 1))
	if [ "$status" = "$want" ] && [ -z "$missing" ]; then
		echo "ok $n - $desc"
	else
		failed=$((failed + 1))
		echo "not ok $n - $desc"
		echo "#   exit status $status, wanted $want${missing:+; no line matching$missing}"
		sed 's/^/#   /' <<<"$out" | head -40
	fi
}

echo "1..4"

expect "contrib/quickstart.sh installs every tool the test suites name or call" 0 -- --root "$top"

# The same tree, less crun in quickstart's list (the fresh-machine failure
# of tests/19-transparency.bats).
sed 's/\(^  .*[[:space:]]\)crun\([[:space:]]\)/\1\2/' "$top/contrib/quickstart.sh" >"$tmp/quickstart-no-crun.sh"
if grep -qw crun "$tmp/quickstart-no-crun.sh"; then
	echo "Bail out! could not take crun out of quickstart's packages list"
	exit 1
fi
expect "a package taken out of quickstart's list is named" 1 \
	'tests/tools.list: crun comes from crun, which is not in contrib/quickstart.sh' -- \
	--root "$top" --quickstart "$tmp/quickstart-no-crun.sh"

# A tree of its own: a test naming tools in each way the check reads.
mkdir -p "$tmp/tree/tests" "$tmp/tree/contrib"
cp "$top/tests/lint-shell-files.sh" "$tmp/tree/tests/"
printf 'packages=(\n  jq runc\n)\n' >"$tmp/tree/contrib/quickstart.sh"
printf 'jq jq\nrunc runc\n' >"$tmp/tree/tests/tools.list"
cat >"$tmp/tree/tests/99-new.bats" <<'EOF'
@test "a new test" {
	command -v frobnicate-a >/dev/null || nr_skip "needs it"
	require_cmd frobnicate-b
	require_cmd jq jq-tools
	command -v frobnicate-c >/dev/null || nr_skip "frobnicate-c is not installed"
	run jq -n 1
}
EOF
expect "a tool a new test names is found, in each way it can be named" 1 \
	"tests/99-new.bats: names 'frobnicate-a'" "tests/99-new.bats: names 'frobnicate-b'" \
	"tests/99-new.bats: names 'frobnicate-c'" \
	'require_cmd jq jq-tools, but tests/tools.list says jq comes from jq' -- \
	--root "$tmp/tree"

# A program called without a `command -v`: the check finds it on PATH.
mkdir -p "$tmp/bin"
printf '#!/bin/sh\nexit 0\n' >"$tmp/bin/frobnicate-d"
chmod +x "$tmp/bin/frobnicate-d"
printf '@test "calls" {\n\trun frobnicate-d --now\n}\n' >"$tmp/tree/tests/99-new.bats"
PATH=$tmp/bin:$PATH expect "a program a test calls that is not in tests/tools.list is found" 1 \
	"tests/99-new.bats: calls 'frobnicate-d'" -- --root "$tmp/tree"

[ "$failed" -eq 0 ]
