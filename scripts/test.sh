#!/usr/bin/env bash
# Sets up, builds and runs every test: unit, integration and browser tests in the optimised
# build, then the unit tests again under AddressSanitizer + UndefinedBehaviorSanitizer.
# Set CSOC_SKIP_ASAN=1 to skip the sanitizer pass while iterating.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
jobs=$(nproc)

echo "== build (default preset)"
cmake --preset default >/dev/null
cmake --build --preset default -j "$jobs"
echo "== tests (default preset)"
ctest --preset default -j "$jobs" --timeout 300

if [[ "${CSOC_SKIP_ASAN:-0}" != 1 ]]; then
  echo "== build (asan preset)"
  cmake --preset asan >/dev/null
  cmake --build --preset asan -j "$jobs"
  echo "== unit tests under ASan+UBSan"
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --preset asan -j "$jobs" --timeout 300
fi
