#!/usr/bin/env bash
# Runs every bench/bench_*.sh in turn.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
for b in "$here"/bench_*.sh; do
  echo "== $(basename "$b" .sh)"
  bash "$b"
  echo
done
