#!/usr/bin/env bash
# Brian2 reference for the tile benchmark: 256 second-order oscillators,
# Euler-Maruyama at h = 0.01 ms, one thread, timed per code generation target
# (cython, numpy, cpp_standalone) by bench/brian2_tile.py. Brian2 is optional:
# without it this prints why and exits 0.
#
#   bench/bench_brian2.sh                 (BRIAN2_ARGS="--duration-ms 20000" to fix the duration)
#   BENCH_SMOKE=1 bench/bench_brian2.sh   (a few ms of model time: checks that it runs)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

# Debian's python3-brian lives in the system interpreter, which may not be the
# first python3 on PATH.
python=""
for candidate in ${BRIAN2_PYTHON:-} python3 /usr/bin/python3; do
  if command -v "$candidate" >/dev/null 2>&1 &&
     "$candidate" -c 'import brian2' >/dev/null 2>&1; then
    python=$candidate
    break
  fi
done
if [ -z "$python" ]; then
  echo "bench_brian2: skipped: python3-brian not installed (apt-get install python3-brian)"
  exit 0
fi

args=(${BRIAN2_ARGS:-})
if [ "${BENCH_SMOKE:-0}" = 1 ]; then args=(--duration-ms 5 "${args[@]}"); fi
export PYTHONWARNINGS=ignore OMP_NUM_THREADS=1
exec "$python" "$here/brian2_tile.py" "${args[@]}"
