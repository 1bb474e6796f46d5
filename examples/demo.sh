#!/usr/bin/env bash
# The demo run by `scripts/quickstart.sh demo`: checks the example policies,
# decides requests with the `custos` command and with a C++ program.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
custos="$build/bin/custos"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "== 1. custos check: the example policies (the CRM one against the Chinook database) =="
"$custos" check policy-lang/examples/crm.custos --db data/Chinook_Sqlite.sqlite
"$custos" check policy-lang/examples/loyalty.custos

echo
echo "== 2. a typo in a policy is refused, with a hint =="
sed 's/allow marketer to read identity.name, contact.email for marketing.email/allow marketer to read identity.name, contact.emial for marketing.email/' \
  policy-lang/examples/crm.custos >"$work/crm.custos"
"$custos" check "$work/crm.custos" || echo "(exit code $?: the policy was refused)"

echo
echo "== 3. custos eval: a support agent working a helpdesk ticket =="
cat examples/requests/support_agent.json
"$custos" eval policy-lang/examples/crm.custos examples/requests/support_agent.json

echo
echo "== 4. an app deciding reads (examples/decide.cpp) =="
"$build/examples/custos_example_decide" policy-lang/examples/crm.custos "$work/consent.db" "$work/pseudonym.key"

echo
echo "== 5. guarded reads of the Chinook database (examples/crm/crm.cpp) =="
"$build/examples/custos_example_crm" examples/crm/crm.custos "$build/examples/chinook.db" "$work/crm"

echo
echo "== 6. custos query: the same guard from the command line =="
"$custos" query examples/crm/crm.custos "$build/examples/chinook.db" --actor agent-7 \
  --role support_agent --purpose service.support --attr 'regions=["France"]' \
  "SELECT FirstName, LastName, Email, City FROM Customer"

echo
echo "== 7. consent signals: a banner's TC string gates personalised offers, GPC refuses a partner share =="
"$custos" test examples/signals/loyalty.custos examples/signals/cases.json
"$build/examples/custos_example_signals" examples/signals/loyalty.custos "$work/signals.db"

echo
echo "== 8. a loyalty programme: points, consented offers, a partner share, a withdrawal, the member's report (examples/loyalty) =="
"$build/examples/custos_example_loyalty" examples/loyalty/loyalty.custos "$build/examples/chinook.db" "$work/loyalty"
