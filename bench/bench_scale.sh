#!/usr/bin/env bash
# Scale benchmark: synthetic GLIFR networks (`cortile synth`, fanout 50)
# compiled onto the four chips of configs/boards/quad.yaml and run for 100 ms
# of model time (2000 steps of 0.05 ms, one sample).
#
#  1. 2000 neurons: compile, then runs without the router (the fast kernel;
#     one process and `mpirun -n 2`, which must give the same bytes) and with
#     the routers and chip links;
#  2. 100000 neurons: the same, except that the run through the routers is on
#     the first BENCH_ROUTER_STEPS steps (default 40 = 2 ms): at this size the
#     16-bit, 200 MHz meshes of quad.yaml saturate (every neuron sends a graded
#     spike every step) and the packet-level simulation costs ~1e5 s per model
#     second.
#
# Quad chips: 576 compartments and 192 somas per tile, 256 tiles each; with
# two after-spike currents a neuron is 3 compartments, so 1e5 neurons fill
# 521 tiles over the four chips.
#
# Prints wall times, wall seconds per model second, peak RSS (/usr/bin/time)
# and bytes per compartment (peak RSS of the run / compartments).
# BENCH_SMOKE=1: the 2000-neuron part only, 40 steps. BENCH_STEPS=N: steps of
# the runs. BENCH_ROUTER_STEPS=0: skip the 1e5 run through the routers.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cortile="${CORTILE:-$root/build/cli/cortile}"
board="$root/configs/boards/quad.yaml"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
[ -x "$cortile" ] || "$root/scripts/build.sh" release >/dev/null
steps=${BENCH_STEPS:-2000}
[ "${BENCH_SMOKE:-0}" = 1 ] && steps=40

export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_mpi_yield_when_idle=1

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

# One run: prints its figures from the run report.
report() { # label wall_s rss_kb report.json
  python3 - "$4" "$1" "$2" "$3" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
run, label, wall, kb = r["run"], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
comps = sum(t["compartments"]["used"] for t in r["resources"])
tiles = len(r["resources"])
print(f"  {label:22s} {wall:8.2f} s wall  {kb / 1024:8.0f} MB peak  "
      f"simulation {run['wall_s']:.2f} s = {run['wall_s_per_model_s']:.4g} s per model second")
g = r.get("routing", {})
if g.get("router"):
    b = g.get("board")
    print(f"{'':25s}{g['packets_per_inference']:.0f} packets, late spikes "
          f"{g['late_spikes']:.0f} of {g['spikes_received']:.0f} received, busiest link "
          f"{100 * g['router']['link_utilization_max']:.1f}% (chip 0)"
          + (f", {b['link_packets']:.0f} chip-link packets, {b['sync_windows']:.0f} windows"
             if b else ""))
print(f"{'':25s}{tiles} tiles, {comps} compartments, "
      f"{kb * 1024 / comps:.0f} bytes per compartment (peak RSS)")
PY
}

# One network: synth, compile onto the board, runs.
bench() { # name neurons router_steps
  local name=$1 n=$2 rsteps=$3 dir="$tmp/$1"
  echo "== $name: $n neurons, fanout 50, on quad.yaml (4 chips), $steps steps"
  read -r s kb < <(measure "$cortile" synth --neurons "$n" --fanout 50 --seed 1 \
    --steps "$steps" --output "$dir")
  printf "  %-22s %8.2f s wall  %8.0f MB peak\n" synth "$s" "$(echo "$kb / 1024" | bc -l)"
  read -r s kb < <(measure "$cortile" compile "$dir" --board "$board" --chips 4 \
    --output "$dir/p.yaml" --report "$dir/compile.json")
  printf "  %-22s %8.2f s wall  %8.0f MB peak\n" "compile (--chips 4)" "$s" \
    "$(echo "$kb / 1024" | bc -l)"
  read -r s kb < <(measure "$cortile" run "$dir/p.yaml" --input "$dir/inputs.safetensors" \
    --output "$dir/out1.safetensors" --no-router --report "$dir/run1.json")
  report "run, no router" "$s" "$kb" "$dir/run1.json"
  if command -v mpirun >/dev/null; then
    # the MPI runtime is not leak-clean: no leak check for the ranks (ASan builds)
    read -r s kb < <(ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
      measure mpirun --oversubscribe -n 2 "$cortile" run "$dir/p.yaml" \
      --input "$dir/inputs.safetensors" --output "$dir/out2.safetensors" --no-router \
      --report "$dir/run2.json")
    report "run, no router, 2 ranks" "$s" "$kb" "$dir/run2.json"
    cmp -s "$dir/out1.safetensors" "$dir/out2.safetensors" ||
      { echo "bench_scale: 1 and 2 ranks differ" >&2; exit 1; }
    echo "                         (peak RSS: the largest rank; outputs equal to 1 rank's)"
  fi
  [ "$rsteps" = 0 ] && { echo "  run, router            skipped (BENCH_ROUTER_STEPS=0)"; return; }
  local input="$dir/inputs.safetensors"
  if [ "$rsteps" != "$steps" ]; then # the same network, a shorter input
    "$cortile" synth --neurons "$n" --fanout 50 --seed 1 --steps "$rsteps" \
      --output "$dir/short" >/dev/null
    input="$dir/short/inputs.safetensors"
  fi
  read -r s kb < <(measure "$cortile" run "$dir/p.yaml" --input "$input" \
    --output "$dir/outr.safetensors" --report "$dir/runr.json")
  report "run, router ($rsteps st)" "$s" "$kb" "$dir/runr.json"
}

bench "2k" 2000 "$steps"
[ "${BENCH_SMOKE:-0}" = 1 ] && exit 0
bench "100k" 100000 "${BENCH_ROUTER_STEPS:-40}"
