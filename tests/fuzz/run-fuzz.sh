#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Fuzz the model loader with libFuzzer for SECONDS (default 300).
#
#   tests/fuzz/run-fuzz.sh [SECONDS]
#
# Configures build-fuzz (clang, ASan+UBSan, -Dfuzzing=enabled) if needed, builds
# the target and the seed corpus, and fuzzes from the seeds, tests/fuzz/corpus
# and tests/malformed.  New inputs go to build-fuzz/tests/fuzz/work-corpus (kept
# between runs, so a longer campaign is several runs or one large SECONDS);
# a crash, leak, timeout or out-of-memory input is written to
# build-fuzz/tests/fuzz/artifacts and fails the script.  Environment:
# YV7_FUZZ_BUILD (build folder), YV7_FUZZ_JOBS (parallel fuzzing processes,
# default 1), YV7_FUZZ_ARGS (more libFuzzer options).
set -euo pipefail

seconds=${1:-300}
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${YV7_FUZZ_BUILD:-$root/build-fuzz}
jobs=${YV7_FUZZ_JOBS:-1}

case $seconds in
  ''|*[!0-9]*) echo "usage: $0 [SECONDS]" >&2; exit 2 ;;
esac

if [ ! -f "$build/build.ninja" ]; then
  CC=clang meson setup "$build" "$root" -Dfuzzing=enabled \
    -Db_sanitize=address,undefined -Db_lundef=false -Dgst-plugin=disabled
fi
ninja -C "$build" tests/fuzz/yv7-fuzz-load tests/fuzz/seeds.stamp

out=$build/tests/fuzz
mkdir -p "$out/work-corpus" "$out/artifacts"
log=$out/fuzz.log
# LeakSanitizer stays on; a model that makes the engine ask for more than
# -malloc_limit_mb in one allocation is a finding (the harness caps what it
# runs, so only the loader itself can get there).  UBSan reports are fatal.
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:allocator_may_return_null=1
export UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_stacktrace=1
# -max_len: the 120 kB seeds and their crossovers fit; the 1.5 MB ones are
# cut to it (the replay test runs them whole).
parallel=
if [ "$jobs" -gt 1 ]; then
  parallel="-jobs=$jobs -workers=$jobs"
  rm -f "$out"/fuzz-*.log
fi
status=0
# shellcheck disable=SC2086
(cd "$out" && ./yv7-fuzz-load -max_total_time="$seconds" -timeout=10 \
    -rss_limit_mb=2560 -malloc_limit_mb=1024 -max_len=262144 \
    -print_final_stats=1 -dict="$root/tests/fuzz/onnx.dict" $parallel \
    -artifact_prefix="$out/artifacts/" ${YV7_FUZZ_ARGS:-} \
    "$out/work-corpus" "$out/seeds" "$root/tests/fuzz/corpus" "$root/tests/malformed") \
  >"$log" 2>&1 || status=$?
if [ "$jobs" -gt 1 ]; then
  cat "$out"/fuzz-*.log >>"$log" 2>/dev/null || true
fi
tail -n 40 "$log"
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | awk '{s += $1} END {print s + 0}')
echo "run-fuzz: $execs executions in ${seconds}s, exit status $status (log: $log)"
if [ "$status" -ne 0 ]; then
  echo "run-fuzz: FAILED; reproduce with: $out/yv7-fuzz-load $out/artifacts/<file>" >&2
  echo "run-fuzz: once fixed, copy the input to tests/fuzz/corpus/ as a regression input" >&2
fi
exit "$status"
