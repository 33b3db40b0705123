#!/usr/bin/env bash
# Compiler and chip-run benchmarks:
#  1. `cortile compile` wall time for every shipped checkpoint onto the default
#     chip (lowering, placement, routes, program files; no calibration), and
#     for L-MNIST with a 200-image calibration (range, routing, 4-instance
#     Monte Carlo, budget);
#  2. `cortile run` wall time per simulated model second for ELM num_memory_20
#     and GLIFR L-MNIST, sampled and continuous tiles, every noise source on.
# Needs the shared reference fixtures (../shared/reference) for the full set.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cortile="$root/build/cli/cortile"
shared="${CORTILE_SHARED_DIR:-$root/../shared}/reference"
chip="$root/configs/chips/default.yaml"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
[ -x "$cortile" ] || "$root/scripts/build.sh" release >/dev/null

secs() { # wall seconds of a command
  local t0 t1
  t0=$(date +%s.%N)
  "$@" >/dev/null
  t1=$(date +%s.%N)
  echo "$t1 - $t0" | bc -l
}

echo "== compile time onto $(basename "$chip") (no calibration)"
models=()
if [ -d "$shared/elm" ]; then
  for d in "$shared"/elm/*/ "$shared"/glifr/*/; do models+=("${d%/}"); done
else
  models=("$root/data/elm/num_memory_20" "$root/data/glifr/lmnist_glifr_lheta")
fi
for m in "${models[@]}"; do
  s=$(secs "$cortile" compile "$m" --chip "$chip" --output "$tmp/p.yaml")
  printf "  %-22s %8.3f s\n" "$(basename "$m")" "$s"
done
lm="$root/data/glifr/lmnist_glifr_lheta"
if [ -d "$shared/mnist" ]; then
  s=$(secs "$cortile" compile "$lm" --chip "$chip" --output "$tmp/lm.yaml" \
      --calibration "$shared/mnist" --calibration-samples 200 --instances 4)
  printf "  %-22s %8.3f s  (200-image calibration, 4 instances, budget)\n" "lmnist + calibration" "$s"
fi

echo "== run wall time per model second, all noise on"
noise=(--set noise.thermal.enabled=true --set noise.flicker.enabled=true
       --set noise.mismatch.enabled=true --set noise.quantization.enabled=true
       --set noise.crossbar.enabled=true)
"$cortile" compile "$root/data/elm/num_memory_20" --chip "$chip" --output "$tmp/elm.yaml" >/dev/null
"$cortile" compile "$lm" --chip "$chip" --output "$tmp/lm.yaml" >/dev/null
for mode in sampled continuous; do
  for job in elm lm; do
    if [ $job = elm ]; then
      in=(--input "$root/data/elm/inputs_small.safetensors")
    elif [ -d "$shared/mnist" ]; then
      in=(--mnist "$shared/mnist" --limit 500)
    else
      in=(--input "$lm/traces.safetensors")
    fi
    "$cortile" run "$tmp/$job.yaml" "${in[@]}" --output "$tmp/o.safetensors" \
      --set tile.mode=$mode "${noise[@]}" --report "$tmp/r.json" >/dev/null
    python3 - "$tmp/r.json" "$job" "$mode" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["run"]
name = {"elm": "ELM num_memory_20", "lm": "GLIFR L-MNIST"}[sys.argv[2]]
model_s = r["wall_s"] / r["wall_s_per_model_s"] if r["wall_s_per_model_s"] else 0
print(f"  {name:18s} {sys.argv[3]:10s} {r['wall_s_per_model_s']:8.3f} s per model second "
      f"({r['samples']:.0f} samples, {model_s:.3f} model s, {r['wall_s']:.2f} s wall)")
PY
  done
done
