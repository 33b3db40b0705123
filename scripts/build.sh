#!/usr/bin/env bash
# Configures and builds cortile. usage: scripts/build.sh [release|sanitize]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
kind=${1:-release}
case "$kind" in
  release)  dir="$root/build";      flags=(-DCMAKE_BUILD_TYPE=Release) ;;
  sanitize) dir="$root/build-asan"; flags=(-DCMAKE_BUILD_TYPE=Debug -DCORTILE_SANITIZE=ON) ;;
  *) echo "usage: $0 [release|sanitize]" >&2; exit 2 ;;
esac
cmake -S "$root" -B "$dir" "${flags[@]}" >/dev/null
cmake --build "$dir" -j "$(nproc)" >/dev/null
echo "built $dir"
