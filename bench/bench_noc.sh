#!/usr/bin/env bash
# Router benchmark: simulated cycles per wall-second and mean latency of
# `cortile noc` on an 8x8 mesh with uniform traffic and 256-bit packets on
# 32-bit links (8 flits of 32 bits: S = 8 cycles per link), at 0.005, 0.01 and
# 0.015 packets/cycle/tile, beside the published figures of Noxim (a
# cycle-driven SystemC NoC simulator with a wormhole router and 4-flit
# buffers) on a machine of this size.
#
#   CORTILE=path/to/cortile bench/bench_noc.sh     (BENCH_CYCLES=N to shorten)
set -euo pipefail

CORTILE=${CORTILE:-build/cli/cortile}
CYCLES=${BENCH_CYCLES:-1000000}
WARMUP=$((CYCLES / 100))
RATES=(0.005 0.01 0.015)
NOXIM_LATENCY=(16.7 24.4 55.9)  # mean head-flit latency, cycles
NOXIM_CPS_LOW=8000              # simulated cycles per wall-second, range at these loads
NOXIM_CPS_HIGH=23000
S=8

[ -x "$CORTILE" ] || { echo "bench_noc: cortile binary not found at $CORTILE (set CORTILE)" >&2; exit 1; }

field() { sed -n "s/^\t\"$1\":[[:space:]]*\([^,]*\),\{0,1\}$/\1/p" <<<"$2" | head -n 1; }

declare -A CONFIGS=(
  [default]="--switching store-forward --buffers fifo --buffer-depth 4 --pipeline 2"
  [noxim-like]="--switching cut-through --buffers fifo --buffer-depth 1 --pipeline 1"
)

echo "cortile noc benchmark: 8x8 mesh, uniform traffic, 256-bit packets on 32-bit links (S=$S),"
echo "$CYCLES cycles (warmup $WARMUP); Noxim: $NOXIM_CPS_LOW-$NOXIM_CPS_HIGH cycles/s, wormhole, 4-flit buffers"
echo "default    = store-and-forward, 4-packet FIFO buffers, 2-cycle router pipeline"
echo "noxim-like = virtual cut-through, 1-packet (8-flit) buffers, 1-cycle pipeline"
echo "latency: generation to tail arrival; head = tail - (S-1), Noxim's definition"
printf '\n%-10s %-7s %-7s %12s %9s %9s %10s %9s %9s\n' config engine rate cycles/s "x Noxim" throughput "lat tail" "lat head" "Noxim"
worst_ratio=""
for cfg in default noxim-like; do
  for engine in kernel systemc; do
    for i in 0 1 2; do
      rate=${RATES[$i]}
      # shellcheck disable=SC2086
      out=$("$CORTILE" noc --traffic uniform --rate "$rate" --cycles "$CYCLES" --warmup "$WARMUP" \
        --packet-bits 256 --link-width 32 ${CONFIGS[$cfg]} --engine "$engine" --seed 1 --json)
      cps=$(field cycles_per_second "$out")
      lat=$(field latency_mean "$out")
      thr=$(field throughput "$out")
      ratio=$(awk -v c="$cps" -v n="$NOXIM_CPS_HIGH" 'BEGIN { printf "%.1f", c / n }')
      head=$(awk -v l="$lat" -v s="$S" 'BEGIN { printf "%.1f", l - (s - 1) }')
      printf '%-10s %-7s %-7s %12.0f %9s %9.5f %10.1f %9s %9s\n' "$cfg" "$engine" "$rate" "$cps" \
        "$ratio" "$thr" "$lat" "$head" "${NOXIM_LATENCY[$i]}"
      worst_ratio=$(awk -v a="${worst_ratio:-1e99}" -v b="$ratio" 'BEGIN { print (b < a) ? b : a }')
    done
  done
done
echo
echo "x Noxim = cycles/s over Noxim's best $NOXIM_CPS_HIGH cycles/s; lowest ratio: ${worst_ratio}x (target >= 10x)"
