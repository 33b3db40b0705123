#!/usr/bin/env bash
# Runs every test suite under valgrind memcheck (a portable build: valgrind
# does not decode every AVX-512 instruction that -march=native may emit).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir="$root/build-valgrind"
cmake -S "$root" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCORTILE_NATIVE=OFF >/dev/null
cmake --build "$dir" -j "$(nproc)" >/dev/null
status=0
for t in "$dir"/tests/test_*; do
  [ -x "$t" ] || continue
  if CK_FORK=no valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
       --trace-children=yes --trace-children-skip='*/sh,*/bash' "$t" >/dev/null 2>"$dir/$(basename "$t").vg"; then
    echo "clean    $(basename "$t")"
  else
    rc=$?
    if [ $rc -eq 77 ]; then
      echo "skipped  $(basename "$t")"
    elif [ $rc -eq 99 ]; then
      echo "ERRORS   $(basename "$t") (memcheck: see $dir/$(basename "$t").vg)"; status=1
    else
      # memcheck found nothing, but a check failed: valgrind runs x87 long
      # double at double precision, which the 1e-17 checks of test_compartment see
      echo "FAILED   $(basename "$t") (exit $rc, no memcheck error)"; status=1
    fi
  fi
done
exit $status
