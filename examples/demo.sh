#!/usr/bin/env bash
# The demo run by `scripts/quickstart.sh demo`: checks the example policies
# (the CRM one against the real Chinook database) and shows what each declares.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
custos="$build/bin/custos"

echo "== custos check: the example policies =="
"$custos" check policy-lang/examples/crm.custos --db data/Chinook_Sqlite.sqlite
"$custos" check policy-lang/examples/loyalty.custos

echo
echo "== a policy with a typo is rejected, with a hint =="
typo=$(mktemp --suffix=.custos)
trap 'rm -f "$typo"' EXIT
sed 's/allow marketer to read identity.name, contact.email for marketing.email/allow marketer to read identity.name, contact.emial for marketing.email/' \
  policy-lang/examples/crm.custos >"$typo"
"$custos" check "$typo" || echo "(exit code $?: the policy was refused)"
