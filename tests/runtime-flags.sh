#!/bin/bash
# runtime-flags.sh RUNTIME: every flag RUNTIME's own --help lists, globally
# and for create, run, delete and update, is read by numa-runtime the way
# RUNTIME reads it (issue 12 item 10).
#
# The flags and whether they take a value come from `RUNTIME --help` and
# `RUNTIME CMD --help` (runc's urfave/cli layout, "--bundle value, -b value",
# and crun's argp layout, "-b, --bundle=DIR", are both understood).  Each
# flag is then tried on the real numa-runtime binary, in front of
# tests/fake-runtime on the two-node fixture topology, in every spelling
# both runtimes accept (--name V, --name=V, -x V; --name, -x):
#   create/run     CMD --bundle B FLAG ID      the container is placed (ID
#                  has a ledger entry), i.e. ID was read as the id and the
#                  flag's value was not
#   delete         delete FLAG ID              ID's ledger entry is released
#   update         update --cpuset-cpus 0-7 FLAG ID   the runtime got the
#                  cpuset narrowed to ID's CPUs (in argv, or in the JSON
#                  on its stdin for --resources -)
#   global         FLAG create --bundle B ID   placed
#   help/version   argv reaches the runtime untouched, nothing placed
# A flag numa-runtime does not know, or reads with the wrong kind, fails.
#
# Needs bash, jq, and NUMA_RUNTIME (default: ../src/numa-runtime next to
# this script).  Runs on the build host and in the node VM alike:
#   tests/runtime-flags.sh /usr/sbin/runc; tests/runtime-flags.sh /usr/bin/crun
# Prints "ok"/"not ok" per probe and a summary; exits 1 on any failure,
# 2 on a usage or setup error (including a --help that lists too few flags
# to be believed).
set -u

TESTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
NUMA_RUNTIME=${NUMA_RUNTIME:-$TESTS_DIR/../src/numa-runtime}
FAKE_RUNTIME=$TESTS_DIR/fake-runtime
SYSFS=$TESTS_DIR/fixtures/twonode
RUNTIME=${1:-}

die() {
	printf 'runtime-flags.sh: %s\n' "$*" >&2
	exit 2
}

[ -n "$RUNTIME" ] || die "usage: runtime-flags.sh RUNTIME"
command -v "$RUNTIME" >/dev/null 2>&1 || die "$RUNTIME: not found"
[ -x "$NUMA_RUNTIME" ] || die "numa-runtime not found at $NUMA_RUNTIME (set NUMA_RUNTIME)"
command -v jq >/dev/null 2>&1 || die "jq is required"
[ -d "$SYSFS" ] || die "fixture topology $SYSFS missing"

W=$(mktemp -d "${TMPDIR:-/tmp}/runtime-flags.XXXXXX") || die "mktemp failed"
trap 'rm -rf "$W"' EXIT
R=$W/root
B=$W/bundle
export NUMA_RUNTIME_CONFIG=$W/numa-runtime.conf
export FAKE_RUNTIME_LOG=$W/fake.log
mkdir -p "$B/rootfs" "$R"
cat >"$NUMA_RUNTIME_CONFIG" <<EOF
[runtime]
path = $FAKE_RUNTIME
[ledger]
path = $W/ledger/ledger.json
[topology]
sysfs_root = $SYSFS
[placement]
policy = best-effort
EOF
# The config.json every probe starts from, kept in a variable: a probe
# writes it back with printf, not cp (the node VM runs this under TCG,
# where every exec costs).
PRISTINE=$(jq -n '{ociVersion: "1.0.2-dev", process: {args: ["sh"], env: ["PATH=/bin"], cwd: "/"},
	root: {path: "rootfs"}, linux: {resources: {}}}') || die "jq failed"
pristine_config() { printf '%s\n' "$PRISTINE" >"$B/config.json"; }

# help_flags CMD...: "NAME KIND" lines (KIND value|bool) from RUNTIME's help.
help_flags() {
	"$RUNTIME" "$@" --help 2>/dev/null | awk '
	/^[ \t]+-/ {
		line = $0
		sub(/^[ \t]+/, "", line)
		# the flags end where the description starts: two spaces or a tab
		if (match(line, /(  |\t)/)) line = substr(line, 1, RSTART - 1)
		n = split(line, tok, /, /)
		kind = "bool"
		for (i = 1; i <= n; i++)
			if (tok[i] ~ /=/ || tok[i] ~ / value$/) kind = "value"
		for (i = 1; i <= n; i++) {
			name = tok[i]
			sub(/^-+/, "", name)
			sub(/[= ].*/, "", name)
			if (name != "") print name, kind
		}
	}'
}

PASS=0
FAILED=0
N=0
report() { # report OK|FAIL WHAT [WHY]
	if [ "$1" = OK ]; then
		PASS=$((PASS + 1))
		printf 'ok - %s\n' "$2"
	else
		FAILED=$((FAILED + 1))
		printf 'not ok - %s: %s\n' "$2" "$3"
	fi
}

# spellings NAME KIND VALUE: one line per way to write the flag, as
# tab-separated argv words.
spellings() {
	local name=$1 kind=$2 value=$3
	if [ ${#name} -eq 1 ]; then
		if [ "$kind" = value ]; then printf -- '-%s\t%s\n' "$name" "$value"; else printf -- '-%s\n' "$name"; fi
	elif [ "$kind" = value ]; then
		printf -- '--%s\t%s\n--%s=%s\n' "$name" "$value" "$name" "$value"
	else
		printf -- '--%s\n' "$name"
	fi
}

# A value each flag accepts.
value_for() {
	case $1 in
	bundle | b) echo "$B" ;;
	config | f) echo config.json ;;
	pid-file) echo "$W/pid" ;;
	console-socket | pidfd-socket) echo "$W/sock" ;;
	root) echo "$R" ;;
	log) echo "$W/log.json" ;;
	log-format) echo json ;;
	log-level) echo error ;;
	rootless) echo false ;;
	criu) echo /bin/true ;;
	cgroup-manager) echo cgroupfs ;;
	cpuset-cpus) echo 0-7 ;;
	cpuset-mems) echo 0-1 ;;
	resources | r) echo - ;;
	*) echo 0 ;;
	esac
}

is_help() { case $1 in help | h | '?' | usage | version | v | V) return 0 ;; esac; return 1; }

# entry_cpus ID: the CPUs of ID's ledger entry (empty when it has none).
entry_cpus() {
	"$NUMA_RUNTIME" --root "$R" status --json 2>/dev/null |
		jq -r --arg id "$1" '.containers[] | select(.id == $id) | .cpus'
}

# placed ID: numa-runtime placed ID (its ledger entry exists).  A match
# in bash, not jq or grep: this runs for every probe, and the node VM runs
# it under TCG.
placed() {
	local status
	status=$("$NUMA_RUNTIME" --root "$R" status --json 2>/dev/null)
	[[ $status == *"\"id\":\"$1\""* ]]
}

# create_placed ID: a placed container for delete/update probes.
create_placed() {
	pristine_config
	"$NUMA_RUNTIME" --root "$R" create --bundle "$B" "$1" </dev/null >/dev/null 2>&1 && placed "$1"
}

last_argv() { tail -n 1 "$FAKE_RUNTIME_LOG" 2>/dev/null; }

# probe WHERE NAME KIND WORDS...: try one spelling; WORDS is the flag.
probe() {
	local where=$1 name=$2 kind=$3
	shift 3
	local id=p$N what expect_argv
	N=$((N + 1))
	what="${RUNTIME##*/} ${where:-(global)} $* ($kind)"
	local -a argv
	case $where in
	"") argv=("$@" --root "$R" create --bundle "$B" "$id") ;;
	create | run) argv=(--root "$R" "$where" --bundle "$B" "$@" "$id") ;;
	delete) argv=(--root "$R" delete "$@" "$id") ;;
	update) argv=(--root "$R" update --cpuset-cpus 0-7 "$@" "$id") ;;
	esac
	if [ "$where" = delete ] || [ "$where" = update ]; then
		create_placed "$id" || {
			report FAIL "$what" "could not place $id to probe with"
			return
		}
	fi
	pristine_config
	if [ "$where" = update ] && { [ "$name" = resources ] || [ "$name" = r ]; }; then
		printf '{"cpu":{"cpus":"0-7"}}' | timeout 30 "$NUMA_RUNTIME" "${argv[@]}" >/dev/null 2>&1
	else
		timeout 30 "$NUMA_RUNTIME" "${argv[@]}" </dev/null >/dev/null 2>&1
	fi
	if is_help "$name"; then
		expect_argv=$(jq -cn '$ARGS.positional' --args -- "${argv[@]}")
		if [ "$(last_argv)" != "$expect_argv" ]; then
			report FAIL "$what" "argv did not reach the runtime untouched: $(last_argv)"
		elif [ "$where" != delete ] && [ "$where" != update ] && placed "$id"; then
			report FAIL "$what" "placed, though help was asked for"
		else
			report OK "$what"
		fi
		return
	fi
	case $where in
	"" | create | run)
		if placed "$id"; then report OK "$what"; else report FAIL "$what" "not placed: numa-runtime did not read this argv as the runtime does"; fi
		;;
	delete)
		if placed "$id"; then
			report FAIL "$what" "ledger entry not released: numa-runtime did not read this delete"
		else
			report OK "$what"
		fi
		;;
	update)
		local cpus
		if [ "$name" = resources ] || [ "$name" = r ]; then
			cpus=$(jq -r '.cpu.cpus' "$FAKE_RUNTIME_LOG.d/$id.update.json" 2>/dev/null)
		else
			cpus=$(last_argv | jq -r 'index("--cpuset-cpus") as $i | if $i then .[$i + 1] else "" end')
		fi
		if [ "$cpus" = "$(entry_cpus "$id")" ]; then report OK "$what"; else report FAIL "$what" "cpuset not narrowed to $id's CPUs (got '$cpus'): numa-runtime did not read this update"; fi
		;;
	esac
}

for where in "" create run delete update; do
	# shellcheck disable=SC2086 # WHERE is one word or none
	flags=$(help_flags $where)
	count=$(printf '%s\n' "$flags" | grep -c .)
	min=5
	[ "$where" != delete ] || min=1
	[ "$count" -ge "$min" ] || die "\`$RUNTIME ${where:-} --help\` lists $count flags; cannot believe it"
	while read -r name kind; do
		[ -n "$name" ] || continue
		# the flag under test of update: probed with itself
		[ "$where" = update ] && [ "$name" = cpuset-cpus ] && continue
		value=$(value_for "$name")
		while IFS=$'\t' read -r -a words; do
			probe "$where" "$name" "$kind" "${words[@]}"
		done < <(spellings "$name" "$kind" "$value")
	done <<<"$flags"
done

printf '# %s: %d probes, %d passed, %d failed\n' "$RUNTIME" "$((PASS + FAILED))" "$PASS" "$FAILED"
[ "$FAILED" -eq 0 ]
