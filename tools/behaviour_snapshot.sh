#!/usr/bin/env bash
# Runs a fixed set of cortile commands (every kind of output the tool makes:
# programs, outputs, reports, traces, VCD, SVG, sweeps, boards over MPI) and
# prints one line per output file: its SHA-256 and its path. Run it with the
# binary before and after a change that must not change behaviour, and diff
# the two listings (stdout, stderr and reports are listed with wall-clock
# figures masked).
#
# usage: tools/behaviour_snapshot.sh CORTILE_BINARY OUT_DIR > listing.txt
set -euo pipefail
bin=$(realpath "$1")
out=$2
root=$(cd "$(dirname "$0")/.." && pwd)
rm -rf "$out"
mkdir -p "$out"
out=$(realpath "$out")
cd "$root"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_mpi_yield_when_idle=1
n=0
# Runs one command; its stdout+stderr go to NN.log with timings masked.
step() {
    n=$((n + 1))
    local log
    log=$(printf '%s/%02d.log' "$out" "$n")
    echo "\$ $*" >"$log"
    set +e
    "$@" >>"$log" 2>&1
    echo "exit $?" >>"$log"
    set -e
}
lm=data/glifr/lmnist_glifr_lheta
elm=data/elm/num_memory_20
step "$bin" demo --out "$out/demo"
step "$bin" compile "$elm" --chip configs/chips/ideal.yaml --output "$out/elm20.yaml" \
    --calibration data/elm/inputs_small.safetensors --instances 0 --report "$out/elm20_compile.json"
step "$bin" run "$out/elm20.yaml" --input data/elm/inputs_small.safetensors \
    --output "$out/elm20_out.safetensors" --record --report "$out/elm20_run.json"
step "$bin" compile "$elm" --chip configs/chips/default.yaml --output "$out/elm20d.yaml" \
    --calibration data/elm/inputs_small.safetensors --instances 2 --json
step "$bin" run "$out/elm20d.yaml" --input data/elm/inputs_small.safetensors \
    --output "$out/elm20d_out.safetensors" --seed 3 --json
step "$bin" run "$out/elm20d.yaml" --input data/elm/inputs_small.safetensors \
    --output "$out/elm20d_cont.safetensors" --seed 3 --set tile.mode=continuous --no-router
step "$bin" compile "$lm" --chip configs/chips/default.yaml --output "$out/lm.yaml" --tiles 4 \
    --calibration "$lm/traces.safetensors" --instances 4 --report "$out/lm_compile.json"
step "$bin" run "$out/lm.yaml" --input "$lm/traces.safetensors" --output "$out/lm_out.safetensors" \
    --record --heatmap "$out/lm_heat.svg" --report "$out/lm_run.json"
step "$bin" run "$out/lm.yaml" --input "$lm/traces.safetensors" --output "$out/lm_fast.safetensors" \
    --no-router --set acceleration=100
step "$bin" compile "$lm" --board configs/boards/quad.yaml --chips 4 --tiles 4 \
    --calibration "$lm/traces.safetensors" --output "$out/quad.yaml"
step mpirun -n 2 "$bin" run "$out/quad.yaml" --input "$lm/traces.safetensors" \
    --output "$out/quad_y.safetensors" --report "$out/quad_run.json"
step mpirun -n 2 "$bin" run "$out/quad.yaml" --input "$lm/traces.safetensors" \
    --output "$out/quad_fast.safetensors" --no-router
step "$bin" synth --neurons 2000 --fanout 50 --seed 1 --output "$out/synth2k"
step "$bin" compile "$out/synth2k" --board configs/boards/quad.yaml --chips 4 \
    --output "$out/synth.yaml"
step "$bin" run "$out/synth.yaml" --input "$out/synth2k/inputs.safetensors" \
    --output "$out/synth_y.safetensors" --no-router
step "$bin" reference "$lm" --input "$lm/traces.safetensors" --output "$out/lm_ref.safetensors" --record
step "$bin" reference "$elm" --input data/elm/inputs_small.safetensors --output "$out/elm_ref.safetensors"
step "$bin" compare "$out/lm_out.safetensors" "$lm/traces.safetensors"
step "$bin" tile configs/tiles/resonators.yaml --chip configs/chips/default.yaml \
    --input data/tile_input.safetensors --output "$out/tile.safetensors" --vcd "$out/tile.vcd" \
    --plot "$out/tile.svg"
step "$bin" tile configs/tiles/resonators.yaml --chip configs/chips/default.yaml \
    --input data/tile_input.safetensors --output "$out/tile_sc.safetensors" --engine systemc \
    --set tile.mode=continuous
step "$bin" noc --mesh 8x8 --traffic uniform --rate 0.01 --cycles 20000 --seed 1 \
    --svg "$out/noc.svg" --json
step "$bin" noc --mesh 4x4 --traffic multicast:4 --rate 0.02 --cycles 20000 --seed 2 --engine systemc
step "$bin" chip check configs/chips/default.yaml --json
step "$bin" bench tile --compartments 16 --ms 20 --step 0.1
for s in configs/sweeps/*.yaml; do
    step "$bin" sweep "$s" --output "$out/sweep_$(basename "$s" .yaml)" -j 2
done
step "$bin" compile "$elm" --chip configs/chips/default.yaml --output "$out/bad.yaml" \
    --set tile.dendrite.arrays=1
# wall-clock figures differ between any two runs: mask them
sed -i -E 's/[0-9.e+-]+ s\b/T s/g; s/[0-9.e+-]+ (s per model second|us per step|points\/s|compartment updates\/s|simulated cycles\/s|ns per compartment update)/T \1/g; s/"([a-z_]*(seconds|wall_s|per_s|per_step|per_second|_s)|seconds)":[[:space:]]*[0-9.e+-]+/"\1": T/g' \
    "$out"/*.log
find "$out" -name '*.json' -exec sed -i -E 's/"([a-z_]*(seconds|wall|_s|per_s|time))":[[:space:]]*[0-9.e+-]+/"\1": T/g' {} +
# the folders differ between the two runs: name them OUT and CORTILE
find "$out" -type f ! -name '*.safetensors' -exec sed -i -e "s|$out|OUT|g" -e "s|$bin|CORTILE|g" {} +
cd "$out"
find . -type f ! -name timing.jsonl ! -name '*.tmp' | LC_ALL=C sort | xargs sha256sum
