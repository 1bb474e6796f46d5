#!/usr/bin/env bash
# The audit log against plain SQLite and OpenSSL doing the same work, in one
# run (issue 8's targets).
#   bench/run_audit.sh [BUILD_DIR] [DATA_DIR]
# Builds the benchmarks (Release), writes a 1,000,000-entry log in DATA_DIR
# (~1 min, ~400 MB; never commit it), reuses the guard benchmark's
# 1,000,000-customer database for the scans, and prints one JSON line per
# measure, then the ratios against their targets.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-rel}
data=${2:-/tmp/custos-audit-bench}
mkdir -p "$data"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DCUSTOS_BUILD_BENCH=ON >/dev/null
cmake --build "$build" -j "$(nproc)" --target custos_bench_audit custos_bench_guard >/dev/null
out="$data/audit.jsonl"
"$build/bench/custos_bench_audit" --data="$data" | tee "$out"
# The two scans of the guard benchmark, on its database (GUARD_DATA).
# Its scan into a real batched log is issue 8's `guarded scan audited`.
"$build/bench/custos_bench_guard" --data="${GUARD_DATA:-/tmp/custos-guard-bench}" |
  tee "$data/guard.jsonl" | grep -E '"label": ?"(raw scan|guarded scan audited log)"' |
  sed 's/"guarded scan audited log"/"guarded scan audited"/' | tee -a "$out"
python3 - "$out" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
m = {j["label"]: j["median"] for j in lines}
# Where a measure alternated with its baseline run by run, the median of the
# run-by-run ratios (steadier on a noisy machine than a ratio of medians).
ratios = {j["label"]: j["ratio_to_raw"] for j in lines if "ratio_to_raw" in j}
def at_least(a, b, target):
    r = m[a] / m[b]
    print(f"{a:28s} {m[a]:12.0f} vs {b:24s} {m[b]:12.0f}  {r:5.2f}x  target >= {target}x: {'met' if r >= target else 'MISSED'}")
def at_most(a, b, target):
    r = ratios.get(a, m[a] / m[b])
    print(f"{a:28s} {m[a]:12.2f} vs {b:24s} {m[b]:12.2f}  {r:5.2f}x  target <= {target}x: {'met' if r <= target else 'MISSED'}")
at_least("audit append batched", "raw insert batched", 0.5)
at_least("audit verify", "sha256 chain", 0.3)
at_most("audit report", "raw subject query", 3.0)
at_most("guarded scan audited", "raw scan", 2.5)
print(f"audit append sync 2 threads  {m['audit append sync 2 threads']:12.0f} entries/s")
PY
