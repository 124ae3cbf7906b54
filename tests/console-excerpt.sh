#!/bin/sh
# console-excerpt.sh CONSOLE [PREFIX]: why a qemu guest stopped before its
# checks were done, in a few lines a CI summary shows: from just before the
# kernel's first complaint (panic, oops, lockup, OOM, a failed unit) if the
# serial console CONSOLE has one, else its last 18 lines.  Each line is
# printed after PREFIX ("# console: " by default), as a TAP comment on
# stdout.  Used by tests/vm/run.sh and tests/node/run.sh.
set -eu
console=$1
prefix=${2-# console: }
[ -r "$console" ] || exit 0
text=$(tr -d '\r' <"$console")
first=$(printf '%s\n' "$text" |
	grep -n -m1 -E 'Kernel panic|BUG:|Oops|general protection|invalid opcode|soft lockup|hard LOCKUP|rcu_sched self-detected|rcu: INFO|blocked for more than|Out of memory|oom-kill|segfault|Killed process|Failed to start|numa-node-suite' |
	cut -d: -f1 || true)
if [ -n "$first" ]; then
	printf '%s\n' "$text" | sed -n "$((first > 3 ? first - 3 : 1)),$((first + 14))p"
else
	printf '%s\n' "$text" | tail -n 18
fi | sed "s/^/$prefix/"
