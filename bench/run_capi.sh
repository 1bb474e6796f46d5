#!/usr/bin/env bash
# The C API benchmark: custos_check (JSON in, JSON out) against
# Engine::check (structs) and the JSON round trip alone, on the same
# requests, in one run. Builds a Release tree (default build-rel).
#   bench/run_capi.sh [BUILD_DIR] [extra custos_bench_capi flags...]
# Shared machines: set CUSTOS_BUILD_LOCK=/tmp/custos-build.lock to build
# under flock.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-rel}
shift || true
lock=()
[ -n "${CUSTOS_BUILD_LOCK:-}" ] && lock=(flock "$CUSTOS_BUILD_LOCK")
"${lock[@]}" cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DCUSTOS_BUILD_BENCH=ON >/dev/null
"${lock[@]}" cmake --build "$build" -j "$(nproc)" --target custos_bench_capi >/dev/null
"$build/bench/custos_bench_capi" "$@" | tee "$build/capi_bench.jsonl"
python3 - "$build/capi_bench.jsonl" <<'PY'
import json, sys
m = [json.loads(line) for line in open(sys.argv[1])]
c, cpp, ref = (x["median"] for x in m)
print(f"custos_check {c:.0f} ns = Engine::check {cpp:.0f} ns + JSON round trip {ref:.0f} ns "
      f"+ {c - cpp - ref:.0f} ns of C API overhead ({c / cpp:.2f}x Engine::check)")
PY
