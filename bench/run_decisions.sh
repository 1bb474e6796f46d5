#!/usr/bin/env bash
# The decision benchmark, with the shared lower-bound baseline in the same run.
#   bench/run_decisions.sh [BUILD_DIR] [DATA_DIR]
# Generates the shared workload when DATA_DIR has none (~30 s, ~120 MB; never
# commit it), translates it to a policy, builds the benchmark (Release) and
# ../shared/bench/baseline_map.cpp, runs both, and prints the ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-rel}
data=${2:-/tmp/custos-bench-data}
shared=${CUSTOS_SHARED_BENCH:-$(cd .. && pwd)/shared/bench}
if [ ! -f "$shared/baseline_map.cpp" ]; then
  echo "no baseline at $shared (set CUSTOS_SHARED_BENCH)" >&2
  exit 1
fi
mkdir -p "$data"
[ -f "$data/requests.tsv" ] || python3 "$shared/gen_workload.py" --out="$data"
python3 bench/workload_to_custos.py "$data/workload.json" >"$data/workload.custos"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DCUSTOS_BUILD_BENCH=ON >/dev/null
cmake --build "$build" -j "$(nproc)" --target custos_bench_decisions >/dev/null
g++ -O2 -std=c++17 "$shared/baseline_map.cpp" -o "$build/baseline_map"
"$build/baseline_map" --data="$data" | tee "$data/baseline.jsonl"
"$build/bench/custos_bench_decisions" --data="$data" | tee "$data/custos.jsonl"
python3 bench/ratios.py "$data/baseline.jsonl" "$data/custos.jsonl"
