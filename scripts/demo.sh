#!/usr/bin/env bash
# Sets up, builds and runs the demo: the simulated fleet (two clusters of three Gen3-like commons
# on 127.0.0.1) and csoc monitoring it. Open the printed address; Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake --preset default >/dev/null
cmake --build --preset default -j "$(nproc)" --target csoc
exec build/default/src/csoc demo "$@"
