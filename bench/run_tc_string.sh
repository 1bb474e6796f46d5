#!/usr/bin/env bash
# TC string decode: Custos and the IAB's own decoder in the same run.
#   bench/run_tc_string.sh [BUILD_DIR]
# Builds custos_bench_tc_string (Release), installs @iabtcf/core from npm
# into a scratch directory under /tmp (never into the repository; set
# CUSTOS_NODE_SCRATCH to choose it), times both on the same real strings
# (tests/consent/tc_strings.json) and prints one JSON line per measure, then
# the ratios (@iabtcf/core time / Custos time; target: 100x or more).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-rel}
scratch=${CUSTOS_NODE_SCRATCH:-/tmp/custos-iabtcf}
data=tests/consent/tc_strings.json
command -v node >/dev/null || { echo "needs node and npm" >&2; exit 1; }
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DCUSTOS_BUILD_BENCH=ON >/dev/null
cmake --build "$build" -j "$(nproc)" --target custos_bench_tc_string >/dev/null
if [ ! -f "$scratch/node_modules/@iabtcf/core/package.json" ]; then
  mkdir -p "$scratch"
  (cd "$scratch" && { [ -f package.json ] || npm init -y >/dev/null; } &&
    npm install --no-audit --no-fund --loglevel=error @iabtcf/core >/dev/null)
fi
"$build/bench/custos_bench_tc_string" --data="$data" | tee "$scratch/custos.jsonl"
node bench/tc_string_iab.mjs --module-dir="$scratch" --data="$data" | tee "$scratch/iab.jsonl"
python3 - "$scratch/custos.jsonl" "$scratch/iab.jsonl" <<'PY'
import json, sys
ours = {j["string"]: j for j in map(json.loads, open(sys.argv[1]))}
theirs = {j["string"]: j for j in map(json.loads, open(sys.argv[2]))}
ok = True
for name, o in ours.items():
    t = theirs[name]
    ratio = t["median"] / o["median"]
    ok = ok and ratio >= 100
    print(json.dumps({"label": "ratio @iabtcf/core / custos, %d-char string" % o["chars"],
                      "unit": "x", "median": round(ratio, 1), "string": name}))
    print("%4d chars: custos %8.0f ns, @iabtcf/core %10.0f ns: %6.0fx (target >= 100x: %s)"
          % (o["chars"], o["median"], t["median"], ratio, "met" if ratio >= 100 else "MISSED"),
          file=sys.stderr)
sys.exit(0 if ok else 1)
PY
