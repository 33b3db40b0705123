#!/usr/bin/env bash
# The tile benchmark: 256 noisy oscillators (5-100 Hz, zeta 0.1-2.1) on one
# tile, one thread, in both tile modes; compartment updates per second.
#   - thermal, continuous, sigma_x = 0.01, update step 0.01 ms: the same SDE
#     network and noise statistics as bench/brian2_tile.py (Brian2 integrates it
#     with Euler-Maruyama; the tile with the exact ZOH step and exact noise Q);
#   - thermal, sampled (one kT/C sample per 0.01 ms step);
#   - every noise source of the default chip plus flicker, both modes.
#   bench/bench_tile.sh                   (20 s of model time per run)
#   BENCH_SMOKE=1 bench/bench_tile.sh     (20 ms: checks that it runs)
set -euo pipefail
cortile=${CORTILE:-build/cli/cortile}
ms=20000
if [ "${BENCH_SMOKE:-0}" = 1 ]; then ms=20; fi
run() {
  "$cortile" bench tile --compartments 256 --ms "$ms" --step 0.01 --substeps 10 "$@" --json |
    tr -d '\n \t' | sed 's/$/\n/'
}
printf "# cortile bench tile: 256 compartments, update step 0.01 ms, %s model ms, 1 thread\n" "$ms"
for mode in continuous sampled; do
  for noise in thermal all; do
    line=$(run --mode "$mode" --noise "$noise" --sigma-x 0.01)
    echo "$line"
    ns=$(echo "$line" | sed 's/.*"ns_per_compartment_step":\([0-9.e+-]*\).*/\1/')
    rate=$(echo "$line" | sed 's/.*"compartment_steps_per_s":\([0-9.e+-]*\).*/\1/')
    printf '%-10s noise %-7s %8.3g compartment updates/s = %.2f ns each\n' "$mode" "$noise" "$rate" "$ns"
  done
done
