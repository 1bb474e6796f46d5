#!/usr/bin/env bash
# The README's two commands:
#   scripts/quickstart.sh demo   install what is missing, build, run the demo
#   scripts/quickstart.sh test   install what is missing, build, run every test
# Works on a fresh Debian 12 machine that has only a C++ compiler and CMake.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-}
case "$mode" in
  demo|test) ;;
  *) echo "usage: scripts/quickstart.sh demo|test" >&2; exit 2 ;;
esac

packages=(make libsqlite3-dev libssl-dev nlohmann-json3-dev catch2 libbenchmark-dev)
# The tests also render the customer's access report in headless Chromium
# and build the pkg-config consumers.
if [ "$mode" = test ]; then packages+=(python3 chromium pkg-config); fi
scripts/install-deps.sh "${packages[@]}"

build=${CUSTOS_BUILD_DIR:-build}
jobs=$(nproc 2>/dev/null || echo 2)
# CI sets CUSTOS_WERROR=ON; a user's newer compiler may warn where ours does not.
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DCUSTOS_BUILD_TESTS=ON -DCUSTOS_BUILD_EXAMPLES=ON \
  -DCUSTOS_WERROR="${CUSTOS_WERROR:-OFF}"
cmake --build "$build" -j "$jobs"

if [ "$mode" = demo ]; then
  examples/demo.sh "$build"
else
  ctest --test-dir "$build" --output-on-failure -j "$jobs"
fi
