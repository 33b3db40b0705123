#!/usr/bin/env bash
# Fuzzes cortile's file readers with libFuzzer (clang), under ASan + UBSan:
#   safetensors  cx_st_parse and the tensor conversions (checkpoints, inputs,
#                program tensors all go through it)
#   yaml         cx_yaml_load_string and the chip description schema on top
#   program      cx_program_load: its YAML manifest or its tensors file
# Each runs FUZZ_SECONDS (default 600) from its corpus in bench/fuzz/corpus/
# (copied: the repository's corpus is not changed); prints executions and
# findings per reader; crash inputs land in FUZZ_OUT (default build-fuzz/findings).
#   usage: bench/fuzz.sh [safetensors|yaml|program]...
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
if ! command -v clang >/dev/null; then
    echo "bench/fuzz.sh needs clang with libFuzzer: apt-get install clang" >&2
    exit 2
fi
build=${FUZZ_BUILD:-$root/build-fuzz}
out=${FUZZ_OUT:-$build/findings}
secs=${FUZZ_SECONDS:-600}
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(safetensors yaml program)
CC=clang CXX=clang++ cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Debug -DCORTILE_FUZZ=ON >/dev/null
for t in "${targets[@]}"; do
    cmake --build "$build" -j "$(nproc)" --target "fuzz_$t" >/dev/null
done
mkdir -p "$out"
status=0
for t in "${targets[@]}"; do
    work=$(mktemp -d)
    cp -r "$root/bench/fuzz/corpus/$t/." "$work/"
    log="$out/$t.log"
    set +e
    ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
        "$build/bench/fuzz_$t" -max_total_time="$secs" -rss_limit_mb=2048 -max_len=65536 \
        -timeout=10 -print_final_stats=1 -artifact_prefix="$out/$t-" "$work" >"$log" 2>&1
    rc=$?
    set -e
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
    found=$(find "$out" -maxdepth 1 -name "$t-*" -type f | wc -l)
    units=$(find "$work" -type f | wc -l)
    echo "fuzz $t: $runs executions in ${secs} s, corpus $units inputs, findings $found (exit $rc, log $log)"
    [ "$rc" -eq 0 ] && [ "$found" -eq 0 ] || status=1
    rm -rf "$work"
done
exit $status
