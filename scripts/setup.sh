#!/usr/bin/env bash
# One command from a fresh Debian machine: dependencies, build, and the demo.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh" release
"$root/build/cli/cortile" demo
