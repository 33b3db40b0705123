#!/usr/bin/env bash
# Scale benchmark: synthetic GLIFR networks (`cortile synth`) compiled without
# calibration and run for 100 ms of model time (2000 steps of 0.05 ms, one
# sample), with the router model and without it (--no-router).
#
#  1. 2000 neurons, fanout 50, on a 16x16-tile chip (the chip of a 4-chip board);
#  2. 100000 neurons, fanout 50, on one 32x32-tile chip with the same tiles
#     (the single-chip stand-in for four 16x16 chips, 1024 tiles).
#
# Tile geometry (both): 512 compartments, 160 somas, 16384 synapse entries,
# the rest as configs/chips/default.yaml. With J = 2 a neuron is 3
# compartments, so 160 somas use 480 of 512; a neuron's entries are its 16
# inputs plus ~50 lateral in-edges (at most ~85 for fanout 50), so 160
# neurons need ~10600 of 16384. 256 tiles hold 40960 neurons: four such chips
# hold 1e5 with 40% to spare. Router: 32-bit links at 2 GHz (one 32-bit packet
# per cycle, 100000 cycles per model step at acceleration 1): every neuron
# sends a graded spike per step along a multicast tree of ~320 links, ~51000
# packets per step on the busiest link, ~50% of its capacity; pipeline 1 and
# credits back in the same cycle keep multicast heads from blocking.
#
# Prints wall times, wall seconds per model second, peak RSS (/usr/bin/time)
# and bytes per compartment (peak RSS of the run / compartments).
# BENCH_SMOKE=1: the 2000-neuron part only, 40 steps. BENCH_STEPS=N: steps of
# the runs. BENCH_ROUTER=0: skip the 1e5 run through the router (hours).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cortile="${CORTILE:-$root/build/cli/cortile}"
chip="$root/configs/chips/default.yaml"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
[ -x "$cortile" ] || "$root/scripts/build.sh" release >/dev/null
steps=${BENCH_STEPS:-2000}
[ "${BENCH_SMOKE:-0}" = 1 ] && steps=40

tile=(--set tile.compartments=512 --set tile.somas.count=160 --set tile.synapses.entries=16384
      --set router.clock_mhz=2000 --set router.link_width_bits=32 --set router.pipeline_cycles=1
      --set router.credit_delay_cycles=0)

# Runs a command under /usr/bin/time -v when present; prints "wall_s rss_kb".
measure() {
  local log="$tmp/time.log" t0 t1
  if [ -x /usr/bin/time ]; then
    /usr/bin/time -v -o "$log" "$@" >/dev/null
    python3 - "$log" <<'PY'
import re, sys
t = open(sys.argv[1]).read()
w = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", t).group(1).split(":")
s = sum(float(x) * 60 ** i for i, x in enumerate(reversed(w)))
print(s, re.search(r"Maximum resident set size \(kbytes\): (\d+)", t).group(1))
PY
  else
    t0=$(date +%s.%N)
    "$@" >/dev/null
    t1=$(date +%s.%N)
    echo "$(echo "$t1 - $t0" | bc -l) 0"
  fi
}

# One network: synth, compile, run without and with the router.
bench() { # name neurons mesh router
  local name=$1 n=$2 mesh=$3 router=$4 dir="$tmp/$1"
  local chipset=(--set mesh.width=$mesh --set mesh.height=$mesh "${tile[@]}")
  echo "== $name: $n neurons, fanout 50, ${mesh}x${mesh} tiles, $steps steps"
  read -r s kb < <(measure "$cortile" synth --neurons "$n" --fanout 50 --seed 1 \
    --steps "$steps" --output "$dir")
  printf "  synth              %8.2f s wall  %8.0f MB peak\n" "$s" "$(echo "$kb / 1024" | bc -l)"
  read -r s kb < <(measure "$cortile" compile "$dir" --chip "$chip" --output "$dir/p.yaml" \
    "${chipset[@]}" --report "$dir/compile.json")
  printf "  compile            %8.2f s wall  %8.0f MB peak\n" "$s" "$(echo "$kb / 1024" | bc -l)"
  for mode in no-router router; do
    [ $mode = router ] && [ "$router" = 0 ] && { echo "  run, router        skipped (BENCH_ROUTER=0)"; continue; }
    local flag=()
    [ $mode = no-router ] && flag=(--no-router)
    read -r s kb < <(measure "$cortile" run "$dir/p.yaml" --input "$dir/inputs.safetensors" \
      --output "$dir/out.safetensors" "${flag[@]}" --report "$dir/run.json")
    python3 - "$dir/run.json" "$mode" "$s" "$kb" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
run, mode, wall, kb = r["run"], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
comps = sum(t["compartments"]["used"] for t in r["resources"])
tiles = len(r["resources"])
late = r.get("routing", {}).get("late_spikes", 0)
label = "run, router" if mode == "router" else "run, no router"
print(f"  {label:17s}  {wall:8.2f} s wall  {kb / 1024:8.0f} MB peak  "
      f"simulation {run['wall_s']:.2f} s = {run['wall_s_per_model_s']:.4g} s per model second")
if mode == "router":
    g = r["routing"]
    print(f"                     {g['packets_per_inference']:.0f} packets, late spikes "
          f"{g['late_spikes']:.0f} of {g['spikes_received']:.0f} received")
print(f"                     {tiles} tiles, {comps} compartments, "
      f"{kb * 1024 / comps:.0f} bytes per compartment (peak RSS)")
m = r.get("measured")
if m:
    print(f"                     error vs reference: rmse {m['rmse']:.3g}, max {m['max_abs']:.3g} "
          f"(default chip: noise, quantization, rails)")
PY
  done
}

bench "2k" 2000 16 1
[ "${BENCH_SMOKE:-0}" = 1 ] && exit 0
bench "100k" 100000 32 "${BENCH_ROUTER:-1}"
