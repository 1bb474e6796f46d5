#!/usr/bin/env bash
# Compares the golden corpus with what the built CLI prints. Check only: it
# never rewrites an .expected file (review a new output by hand before
# recording it).
#
#   invalid/NAME.custos  -> invalid/NAME.expected: stderr of `custos check NAME.custos`
#                           (db_* files: with --db Chinook_Sqlite.sqlite, nwdb_* files
#                           with data/northwind.db), run from
#                           inside invalid/, without the final summary line.
#   fmt/NAME.custos      -> fmt/NAME.expected: stdout of `custos fmt NAME.custos`;
#                           `custos fmt NAME.expected` must reproduce it exactly.
#
# Usage: tests/golden/check_golden.sh [CUSTOS_BINARY] [CHINOOK_DB]
set -u
here="$(cd "$(dirname "$0")" && pwd)"
custos="$(cd "$(dirname "${1:-$here/../../build/bin/custos}")" && pwd)/$(basename "${1:-custos}")"
db="$(realpath "${2:-/work/shared/data/Chinook_Sqlite.sqlite}")"
fail=0
tmp="$(mktemp)"
trap 'rm -f "$tmp"' EXIT

cd "$here/invalid"
for src in *.custos; do
  name="${src%.custos}"
  args=(check "$src")
  [[ "$name" == db_* ]] && args+=(--db "$db")
  [[ "$name" == nwdb_* ]] && args+=(--db "$here/../../data/northwind.db")
  "$custos" "${args[@]}" 2>&1 >/dev/null |
    sed -E "\$ { /^$(printf '%s' "$src" | sed 's/\./\\./g'): [0-9]+ errors?, [0-9]+ warnings?\$/d }" >"$tmp"
  if ! cmp -s "$tmp" "$name.expected"; then
    echo "FAIL invalid/$name"; diff "$name.expected" "$tmp" | head -20; fail=1
  fi
done

cd "$here/fmt"
for src in *.custos; do
  name="${src%.custos}"
  if ! "$custos" fmt "$src" >"$tmp" 2>&1 || ! cmp -s "$tmp" "$name.expected"; then
    echo "FAIL fmt/$name"; diff "$name.expected" "$tmp" | head -20; fail=1
  fi
  if ! "$custos" fmt "$name.expected" >"$tmp" 2>&1 || ! cmp -s "$tmp" "$name.expected"; then
    echo "FAIL fmt/$name (not idempotent)"; diff "$name.expected" "$tmp" | head -20; fail=1
  fi
done
[[ $fail == 0 ]] && echo "golden: all passed"
exit $fail
