#!/usr/bin/env bash
# Installs cortile's build and test dependencies from Debian packages.
set -euo pipefail
packages=(
  build-essential cmake pkg-config
  libsystemc-dev   # SystemC 2.3 (tile and router shells)
  libgsl-dev       # matrix exponential, RNG checks
  libyaml-dev      # chip, sweep and program YAML
  libcjson-dev     # JSON configs and safetensors headers
  zlib1g-dev       # gzip MNIST files
  check            # unit tests
  libmetis-dev     # graph partitioning (placement of multi-neuron models)
  libopenmpi-dev openmpi-bin  # multi-rank sweeps and board runs (mpirun)
  valgrind         # scripts/valgrind.sh
  python3          # tools/deps.py (the module dependency check), tools/readme_examples.py
)
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
echo "dependencies installed"
