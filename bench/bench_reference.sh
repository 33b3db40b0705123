#!/usr/bin/env bash
# Single-thread time of `cortile reference` on the public ELM inputs and on the
# L-MNIST test set, with achieved GFLOP/s against this core's measured peak.
# Needs the shared reference fixtures. Env: CORTILE, CORTILE_PEAK, CORTILE_SHARED_DIR.
set -euo pipefail
ref="${CORTILE_SHARED_DIR:-../shared}/reference"
if [ ! -d "$ref" ]; then echo "reference fixtures not found at $ref: skipped"; exit 0; fi
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
peak=$("$CORTILE_PEAK" 2>/dev/null | awk '{print $2}')
echo "core peak (measured FMA throughput): $peak GFLOP/s"
pytorch_s=0.5   # upstream PyTorch, num_memory_20, 3 x 2000 steps, 1 thread, batch 1
runs=5
mnist_limit=""
if [ "${BENCH_SMOKE:-0}" = 1 ]; then runs=1; mnist_limit="--limit 100"; fi   # ctest smoke run

# prints the median of the given numbers
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
calc() { awk "BEGIN {print $1}"; }
json_num() { grep "\"$1\"" | head -1 | sed 's/.*:[[:space:]]*//; s/,$//'; }

printf "%-16s %10s %10s %10s %10s %9s %10s\n" model wall_s sim_s us/step GFLOP/s %peak vs_torch
for m in num_memory_1 num_memory_20 num_memory_100 best_elm_neuron; do
  walls=(); sims=()
  for _ in $(seq $runs); do
    t0=$(date +%s.%N)
    out=$(OMP_NUM_THREADS=1 "$CORTILE" reference "$ref/elm/$m" --input "$ref/elm/inputs.safetensors" \
          --output "$tmp/o.safetensors" --json)
    t1=$(date +%s.%N)
    walls+=("$(calc "$t1 - $t0")")
    sims+=("$(echo "$out" | json_num seconds)")
  done
  wall=$(printf "%s\n" "${walls[@]}" | median)
  sim=$(printf "%s\n" "${sims[@]}" | median)
  macs=$("$CORTILE" reference "$ref/elm/$m" --input "$ref/elm/inputs.safetensors" --output "$tmp/o.safetensors" --json | json_num macs_per_step)
  steps=6000
  gflops=$(calc "2 * $macs * $steps / $sim / 1e9")
  vs="-"
  [ "$m" = num_memory_20 ] && vs=$(printf "%.0fx/%.0fx" "$(calc "$pytorch_s / $sim")" "$(calc "$pytorch_s / $wall")")
  printf "%-16s %10.4f %10.4f %10.2f %10.2f %8.1f%% %10s\n" "$m" "$wall" "$sim" \
    "$(calc "1e6 * $sim / $steps")" "$gflops" "$(calc "100 * $gflops / $peak")" "$vs"
done
echo "(wall_s: whole command incl. loading the 7.7 MB input; sim_s: the simulation loop;"
echo " GFLOP/s counts the dense MLP + readout multiply-adds; vs_torch: upstream PyTorch's"
echo " ~0.5 s forward pass for num_memory_20 on this machine size (1 thread, batch 1) over"
echo " our sim_s / over our whole-command wall_s)"

mnist="$ref/mnist"
lm="$ref/glifr/lmnist_glifr_lheta"
if "$CORTILE" reference "$lm" --mnist "$mnist" --limit 1 >/dev/null 2>&1; then
  sims=(); walls=()
  for _ in $(seq $(( runs < 3 ? runs : 3 ))); do
    t0=$(date +%s.%N)
    out=$("$CORTILE" reference "$lm" --mnist "$mnist" $mnist_limit --json)
    t1=$(date +%s.%N)
    walls+=("$(calc "$t1 - $t0")")
    sims+=("$(echo "$out" | json_num seconds)")
  done
  wall=$(printf "%s\n" "${walls[@]}" | median)
  sim=$(printf "%s\n" "${sims[@]}" | median)
  macs=$(echo "$out" | json_num macs_per_sample)
  acc=$(echo "$out" | json_num accuracy)
  n=$(echo "$out" | json_num samples)
  gflops=$(calc "2 * $macs * $n / $sim / 1e9")
  printf "L-MNIST %s images: wall %.3f s, simulation %.3f s (%.1f us per image), %.2f GFLOP/s (%.1f%% of peak), accuracy %s\n" \
    "$n" "$wall" "$sim" "$(calc "1e6 * $sim / $n")" "$gflops" "$(calc "100 * $gflops / $peak")" "$acc"
fi
