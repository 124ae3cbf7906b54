#!/bin/bash
# numa-runtime: build the libFuzzer harnesses of tests/fuzz and run them.
#
#   fuzz.sh build              build every harness (clang, ASan+UBSan)
#   fuzz.sh run [TARGET...]    run each for FUZZ_SECONDS (default 60) on a
#                              scratch copy of its seed corpus; a crash or
#                              broken property stops it and is kept under
#                              tests/fuzz/artifacts/TARGET/
#   fuzz.sh tap [TARGET...]    the same as a TAP test (make check-all's
#                              short pass), one test per target
#
# Environment (make fuzz and the test environment set them): TOP_SRCDIR,
# TOP_BUILDDIR, NR_FUZZ_CFLAGS (library include flags), NR_FUZZ_LIBS,
# FUZZ_CC (clang), FUZZ_SECONDS, NUMA_TEST_STRICT.
set -uo pipefail

TARGETS=(spec conf annotations cpuset driver-info ledger ledger-codec kubelet-cpu kubelet-memory hook resources args placement env-devices numastat create update sysfs checkpoint)
src=${TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${TOP_BUILDDIR:-$src}
out=$build/tests/fuzz/bin
cc=${FUZZ_CC:-clang}
seconds=${FUZZ_SECONDS:-60}
# NR_FUZZ_CFLAGS and NR_FUZZ_LIBS are flag lists: split on purpose.
# shellcheck disable=SC2206
cflags=(-g -O1 -fno-omit-frame-pointer -DHAVE_CONFIG_H "-DNR_DEFAULT_CONFIG=\"/nonexistent/numa-runtime.conf\""
  -I"$build" -I"$src/src" -I"$src/tests/fuzz" ${NR_FUZZ_CFLAGS:-})
# shellcheck disable=SC2054
sanitize=(-fsanitize=address,undefined -fno-sanitize-recover=all)

build_all() {
  local lib=$out/libnuma-runtime-fuzz.a stamp newest
  mkdir -p "$out/obj" || return 1
  # Rebuild the instrumented library when a source or header is newer.
  newest=$(find "$src/src" "$build/config.h" -newer "$lib" 2>/dev/null | head -n 1)
  if [ ! -e "$lib" ] || [ -n "$newest" ]; then
    rm -f "$out"/obj/*.o "$lib"
    local running=0 failed=0 f
    for f in "$src"/src/*.c; do
      [ "$(basename "$f")" = main.c ] && continue
      "$cc" "${cflags[@]}" "${sanitize[@]}" -fsanitize=fuzzer-no-link -c "$f" \
        -o "$out/obj/$(basename "$f" .c).o" &
      running=$((running + 1))
      if [ $running -ge "$(nproc)" ]; then
        wait -n || failed=1
        running=$((running - 1))
      fi
    done
    while [ $running -gt 0 ]; do
      wait -n || failed=1
      running=$((running - 1))
    done
    [ $failed = 0 ] || return 1
    ar rcs "$lib" "$out"/obj/*.o || return 1
  fi
  for t in "${TARGETS[@]}"; do
    stamp=$out/fuzz-$t
    if [ ! -e "$stamp" ] || [ "$lib" -nt "$stamp" ] ||
      [ -n "$(find "$src/tests/fuzz" -name "fuzz-$t.c" -newer "$stamp" -o -name fuzz.h -newer "$stamp")" ]; then
      # shellcheck disable=SC2086
      "$cc" "${cflags[@]}" "${sanitize[@]}" -fsanitize=fuzzer "$src/tests/fuzz/fuzz-$t.c" "$lib" \
        ${NR_FUZZ_LIBS:--lyajl -lnuma -lseccomp -lcap -linih} -o "$stamp" || return 1
    fi
  done
}

# Run TARGET for SECONDS; prints libFuzzer's last status line.  0 when no
# crash and no broken property.
run_one() {
  local t=$1
  local work=$build/tests/fuzz/work/$t art=$build/tests/fuzz/artifacts/$t log rc scratch
  mkdir -p "$work" "$art"
  cp -n "$src/tests/fuzz/corpus/$t"/* "$work"/ 2>/dev/null
  log=$build/tests/fuzz/work/$t.log
  # The harnesses' scratch files go on tmpfs when there is one: the ledger
  # harness commits thousands of times a second there, and a few dozen
  # times on a disk, where every commit is fsync'ed.
  scratch=$(mktemp -d /dev/shm/numa-runtime-fuzz-"$t".XXXXXX 2>/dev/null) || scratch=$work.tmp
  rm -rf "$work.tmp" && mkdir -p "$work.tmp"
  NR_FUZZ_TMPDIR=$scratch ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
    "$out/fuzz-$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -max_len=65536 -print_final_stats=1 -artifact_prefix="$art/" "$work" >"$log" 2>&1
  rc=$?
  rm -rf "$work.tmp" "$scratch"
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  echo "$t: ${execs:-?} execs in ${seconds}s, exit $rc"
  if [ $rc -ne 0 ]; then
    grep -m 5 -E 'ERROR|property broken|SUMMARY' "$log"
    echo "  log: $log; inputs: $art/"
  fi
  return $rc
}

# tap_one N TARGET: TARGET's run as TAP test N.
tap_one() {
  local res
  if res=$(run_one "$2"); then
    echo "ok $1 - fuzz $2 ($res)"
  else
    echo "not ok $1 - fuzz $2"
    printf '%s\n' "$res" | sed 's/^/# /'
  fi
}

mode=${1:-run}
shift
[ $# -gt 0 ] && TARGETS=("$@")

case $mode in
  build) build_all ;;
  run)
    build_all || exit 1
    failed=0
    for t in "${TARGETS[@]}"; do run_one "$t" || failed=1; done
    exit $failed
    ;;
  tap)
    echo "1..${#TARGETS[@]}"
    if ! command -v "$cc" >/dev/null 2>&1 ||
      ! echo 'int LLVMFuzzerTestOneInput(const char*d,unsigned long n){return 0;}' |
      "$cc" -fsanitize=fuzzer -x c - -o /dev/null 2>/dev/null; then
      i=0
      for t in "${TARGETS[@]}"; do
        i=$((i + 1))
        if [ "${NUMA_TEST_STRICT:-1}" = 1 ]; then
          echo "not ok $i - fuzz $t # $cc with libFuzzer (libclang-rt-14-dev) is missing"
        else
          echo "ok $i - fuzz $t # SKIP $cc with libFuzzer (libclang-rt-14-dev) is missing"
        fi
      done
      exit 0
    fi
    if ! build_all >"$build/tests/fuzz/build.log" 2>&1; then
      sed 's/^/# /' "$build/tests/fuzz/build.log" | tail -n 20
      i=0
      for t in "${TARGETS[@]}"; do i=$((i + 1)); echo "not ok $i - fuzz $t # build failed"; done
      exit 0
    fi
    # One target a core at a time (each still fuzzes FUZZ_SECONDS on a
    # core of its own), the TAP lines then in target order.
    results=$(mktemp -d "${TMPDIR:-/tmp}/numa-runtime-fuzz-tap.XXXXXX") || exit 1
    jobs=$(nproc) i=0 running=0
    for t in "${TARGETS[@]}"; do
      i=$((i + 1))
      if [ $running -ge "$jobs" ]; then
        wait -n
        running=$((running - 1))
      fi
      tap_one "$i" "$t" >"$results/$i" &
      running=$((running + 1))
    done
    wait
    for ((i = 1; i <= ${#TARGETS[@]}; i++)); do cat "$results/$i"; done
    rm -rf "$results"
    ;;
  *)
    echo "usage: $0 build|run|tap [TARGET...]" >&2
    exit 2
    ;;
esac
