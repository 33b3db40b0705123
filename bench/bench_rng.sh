#!/usr/bin/env bash
# Random-number benchmark: ns per value and values/s of the per-tile
# generator (cx_rng) for u64, uniform and normal fills and single draws,
# beside GSL's Mersenne Twister. Targets on an AVX-512 core: u64 <= 0.5 ns,
# normal <= 1.5 ns.
#
#   CORTILE_RNG_SPEED=path/to/cortile_rng_speed bench/bench_rng.sh   (BENCH_SMOKE=1 to shorten)
set -euo pipefail

BIN=${CORTILE_RNG_SPEED:-build/bench/cortile_rng_speed}
[ -x "$BIN" ] || { echo "bench_rng: cortile_rng_speed not found at $BIN (set CORTILE_RNG_SPEED)" >&2; exit 1; }

if [ "${BENCH_SMOKE:-0}" = 1 ]; then values=1e5; else values=2e8; fi
"$BIN" "$values"
