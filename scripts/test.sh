#!/usr/bin/env bash
# The whole test suite: the release build, then again under ASan + UBSan
# (ctest includes the module dependency check, tools/deps.py).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/build.sh" release
ctest --test-dir "$root/build" --output-on-failure
"$root/scripts/build.sh" sanitize
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir "$root/build-asan" --output-on-failure
