#!/usr/bin/env bash
# Drives the `custos` command as a user does and checks exit codes and output.
# usage: cli_test.sh CUSTOS SOURCE_DIR WORK_DIR
set -u
custos=$1
src=$2
work=$3
rm -rf "$work" && mkdir -p "$work"
failures=0
pass=0

# expect NAME EXIT_CODE COMMAND...: runs COMMAND, captures stdout/stderr in
# $out/$err, and checks the exit code.
expect() {
  local name=$1 code=$2
  shift 2
  "$@" >"$work/out" 2>"$work/err"
  local rc=$?
  out=$(cat "$work/out")
  err=$(cat "$work/err")
  if [ "$rc" -ne "$code" ]; then
    echo "FAIL $name: exit $rc, expected $code"
    echo "  stdout: $out" | head -5
    echo "  stderr: $err" | head -5
    failures=$((failures + 1))
  else
    pass=$((pass + 1))
  fi
}

# contains NAME TEXT HAYSTACK
contains() {
  if [[ "$3" != *"$2"* ]]; then
    echo "FAIL $1: output lacks: $2"
    echo "  got: $3" | head -5
    failures=$((failures + 1))
  else
    pass=$((pass + 1))
  fi
}

examples=$src/policy-lang/examples
db=$src/data/Chinook_Sqlite.sqlite

# help and version
expect version 0 "$custos" --version
contains version "custos 0.1.0" "$out"
expect help 0 "$custos" --help
contains help "check" "$out"
contains help "fmt" "$out"
expect help-check 0 "$custos" help check
contains help-check "usage: custos check POLICY" "$out"
expect help-flag 0 "$custos" fmt --help
contains help-flag "usage: custos fmt POLICY" "$out"
expect no-args 2 "$custos"
expect unknown-command 2 "$custos" frobnicate
contains unknown-command "no such command \`frobnicate\`" "$err"
expect unknown-option 2 "$custos" check "$examples/crm.custos" --dbb x
contains unknown-option "unknown option \`--dbb\`" "$err"
expect missing-value 2 "$custos" check "$examples/crm.custos" --db

# check
expect check-crm-db 0 "$custos" check "$examples/crm.custos" --db "$db"
contains check-crm-db "ok with 2 warnings: policy \"acme-crm\"" "$out"
contains check-crm-db "warning[W006]: table \`Customer\` has no \`collected\` line" "$err"
expect check-both 0 "$custos" check "$examples/crm.custos" "$examples/loyalty.custos"
contains check-both "acme-loyalty" "$out"
expect check-missing-file 1 "$custos" check "$work/nope.custos"
contains check-missing-file "no such file" "$err"
expect check-missing-db 1 "$custos" check "$examples/crm.custos" --db "$work/nope.sqlite"
printf 'not a database at all, just text that is long enough to be read as a header......' >"$work/garbage.db"
expect check-garbage-db 1 "$custos" check "$examples/crm.custos" --db "$work/garbage.db"
contains check-garbage-db "not a database" "$err"

printf 'policy "t" version 1\ncategory contact.email\npurpose support basis contract\nrole agent\nretain * for 1y\nallow agent to read contact.emial for support\n' >"$work/typo.custos"
expect check-typo 1 "$custos" check "$work/typo.custos"
contains check-typo "typo.custos:6:21: error[E020]: undeclared category \`contact.emial\`" "$err"
contains check-typo "did you mean \`contact.email\`?" "$err"
contains check-typo "1 error, 0 warnings" "$err"

printf 'policy "t" version 1\ncategory c\npurpose p basis contract\n' >"$work/warn.custos"
expect check-warning-only 0 "$custos" check "$work/warn.custos"
contains check-warning-only "warning[W001]" "$err"
contains check-warning-only "ok with 1 warning" "$out"

# A table missing from the database is an error; an unlisted column a warning.
printf 'policy "t" version 1\ncategory c\nretain c for 1y\ntable Customer { subject CustomerId\n Email : c }\ntable Nope public\n' >"$work/db.custos"
expect check-db-errors 1 "$custos" check "$work/db.custos" --db "$db"
contains check-db-errors "error[E053]: the database has no table \`Nope\`" "$err"
contains check-db-errors "warning[W004]" "$err"
expect check-db-ignored-without-db 0 "$custos" check "$work/db.custos"

# fmt
cp "$examples/loyalty.custos" "$work/loyalty.custos"
expect fmt-example 0 "$custos" fmt "$work/loyalty.custos"
if [ "$out" != "$(cat "$examples/loyalty.custos")" ]; then
  echo "FAIL fmt-example: the example is not in canonical form"; failures=$((failures + 1))
fi
printf 'policy  "t" version 1   category a,b # two\n' >"$work/messy.custos"
expect fmt-check-messy 1 "$custos" fmt --check "$work/messy.custos"
expect fmt-write 0 "$custos" fmt --write "$work/messy.custos"
expected=$'policy "t" version 1\ncategory a, b  # two'
if [ "$(cat "$work/messy.custos")" != "$expected" ]; then
  echo "FAIL fmt-write: got $(cat "$work/messy.custos")"; failures=$((failures + 1))
fi
expect fmt-check-clean 0 "$custos" fmt --check "$work/messy.custos"
printf 'policy "t" version 1\nallow to\n' >"$work/broken.custos"
cp "$work/broken.custos" "$work/broken.orig"
expect fmt-syntax-error 1 "$custos" fmt --write "$work/broken.custos"
contains fmt-syntax-error "nothing was formatted" "$err"
if ! cmp -s "$work/broken.custos" "$work/broken.orig"; then
  echo "FAIL fmt-syntax-error: the file was changed"; failures=$((failures + 1))
fi
expect fmt-two-files 2 "$custos" fmt a b

# eval
lang=$src/tests/engine/policies/language_examples.custos
cat >"$work/req.json" <<'JSON'
{"actor": {"id": "agent-7", "roles": ["support_agent"], "attributes": {"region": "eu"}},
 "action": "read", "purpose": "service.support",
 "subject": {"id": "c-42", "attributes": {"age": 30},
             "consent": [{"purpose": "marketing.email", "state": "granted", "at": "2026-01-02T00:00:00Z"}]},
 "categories": ["contact.email", "financial.card"], "collected_at": "2025-03-01T00:00:00Z",
 "context": {"time": "2026-11-28T12:00:00Z", "attributes": {"channel": "web"}}}
JSON
expect eval-example 0 "$custos" eval "$lang" "$work/req.json"
contains eval-example '{"allowed":false,"items":[{"category":"contact.email","effect":"allow","transform":"plain","rule":"language_examples.custos:27"},{"category":"financial.card","effect":"deny","reason":"no_matching_allow"}],"policy":{"name":"acme-crm","version":7,"sha256":"'"$(sha256sum "$lang" | cut -c1-64)"'"}}' "$out"
expect eval-stdin 0 "$custos" eval "$lang" - <"$work/req.json"
contains eval-stdin '"allowed":false' "$out"
expect eval-explain 0 "$custos" eval "$lang" "$work/req.json" --explain
contains eval-explain '"explain":[' "$out"
printf '{"actor": {}, "action": "delete", "purpose": "service.support", "categories": ["contact.email"]}' >"$work/bad.json"
expect eval-malformed 1 "$custos" eval "$lang" "$work/bad.json"
contains eval-malformed '"reason":"bad_request"' "$out"
contains eval-malformed "action must be read or share, not delete" "$err"
expect eval-missing-request 1 "$custos" eval "$lang" "$work/nope.json"
expect eval-bad-policy 1 "$custos" eval "$work/typo.custos" "$work/req.json"
contains eval-bad-policy "error[E020]" "$err"

# consent, then eval against the store
store=$work/consent.db
printf 'policy "t" version 1
category contact.email
purpose marketing basis consent
role m
retain * for 1y
allow m to read contact.email for marketing
' >"$work/mkt.custos"
printf '{"actor": {"roles": ["m"]}, "action": "read", "purpose": "marketing", "subject": {"id": "c-1"}, "categories": ["contact.email"], "collected_at": "2026-11-01T00:00:00Z", "context": {"time": "2026-11-28T12:00:00Z"}}' >"$work/mkt.json"
expect consent-store-missing 1 "$custos" eval "$work/mkt.custos" "$work/mkt.json" --consent-store "$store"
contains consent-store-missing "cannot open consent store" "$err"
expect consent-grant 0 "$custos" consent grant --store "$store" --subject c-1 --purpose marketing --at 2026-01-01T00:00:00Z --source signup
contains consent-grant "c-1 granted for marketing at 2026-01-01T00:00:00Z" "$out"
expect consent-allowed 0 "$custos" eval "$work/mkt.custos" "$work/mkt.json" --consent-store "$store"
contains consent-allowed '"allowed":true' "$out"
expect consent-withdraw 0 "$custos" consent withdraw --store "$store" --subject c-1 --purpose marketing --at 2026-02-01T00:00:00Z
expect consent-withdrawn 0 "$custos" eval "$work/mkt.custos" "$work/mkt.json" --consent-store "$store"
contains consent-withdrawn '"reason":"consent_withdrawn"' "$out"
expect consent-show 0 "$custos" consent show --store "$store" --subject c-1
contains consent-show '"state": "withdrawn"' "$out"
expect consent-bad-time 1 "$custos" consent grant --store "$store" --subject c-1 --purpose m --at yesterday
expect consent-expires-on-withdraw 1 "$custos" consent withdraw --store "$store" --subject c-1 --purpose m --expires 2027-01-01T00:00:00Z
contains consent-expires-on-withdraw "only a grant can expire" "$err"
expect consent-usage 2 "$custos" consent grant --store "$store"
expect consent-not-a-store 1 "$custos" consent show --store "$db" --subject c-1
contains consent-not-a-store "not a consent store" "$err"

# test: a passing and a failing case file
cat >"$work/cases.json" <<'JSON'
[{"name": "granted", "request": {"actor": {"roles": ["m"]}, "action": "read", "purpose": "marketing",
   "subject": {"id": "c-1", "consent": [{"purpose": "marketing", "state": "granted", "at": "2026-01-01T00:00:00Z"}]},
   "categories": ["contact.email"], "collected_at": "2026-11-01T00:00:00Z", "context": {"time": "2026-11-28T12:00:00Z"}},
  "expect": {"contact.email": "allow"}, "rules": {"contact.email": "mkt.custos:6"}, "allowed": true},
 {"name": "wrongly expected", "request": {"actor": {"roles": ["m"]}, "action": "read", "purpose": "marketing",
   "subject": {"id": "c-1"}, "categories": ["contact.email"], "context": {"time": "2026-11-28T12:00:00Z"}},
  "expect": {"contact.email": "allow as hash"}}]
JSON
expect test-failing 1 "$custos" test "$work/mkt.custos" "$work/cases.json"
contains test-failing "FAIL wrongly expected" "$out"
contains test-failing "contact.email: expected allow as hash, got deny consent_missing" "$out"
contains test-failing "1 passed, 1 failed" "$(echo "$out" | tail -n 1)"
printf '{"not": "an array"}' >"$work/notcases.json"
expect test-bad-file 1 "$custos" test "$work/mkt.custos" "$work/notcases.json"

# ---- matrix and diff (issue 11) ----
expected=$src/tests/cli/expected
# same_as NAME FILE TEXT: TEXT must equal the file's content exactly.
same_as() {
  local want
  want=$(cat "$2")
  if [ "$3" != "$want" ]; then
    echo "FAIL $1: output differs from $2"
    diff <(printf '%s\n' "$3") <(printf '%s\n' "$want") | head -10
    failures=$((failures + 1))
  else
    pass=$((pass + 1))
  fi
}
# Run from the source tree, so file names in the output are relative.
expect matrix-crm-text 0 bash -c "cd '$src' && '$custos' matrix policy-lang/examples/crm.custos"
same_as matrix-crm-text "$expected/crm_matrix.txt" "$out"
expect matrix-crm-marketer-json 0 bash -c "cd '$src' && '$custos' matrix policy-lang/examples/crm.custos --role marketer --format json"
same_as matrix-crm-marketer-json "$expected/crm_matrix_marketer.json" "$out"
expect matrix-crm-csv 0 "$custos" matrix "$examples/crm.custos" --role dpo --format csv
same_as matrix-crm-csv /dev/stdin "$out" <<'CSV'
role,action,category,purpose,effect,transform,rule,consent,conditional,conditions,retention
dpo,use,staff health,marketing marketing.email marketing.recommendations,deny,,no-marketing-sensitive,,false,,
dpo,use,identity contact billing purchase derived,marketing marketing.email marketing.recommendations,no_allow,,,,false,,
dpo,read,identity contact staff,legal.dsar,allow,plain,dpo-dsar,none,false,,unlimited
dpo,read,billing purchase,legal.dsar,allow,plain,dpo-dsar,none,false,,3y
dpo,read,health,legal.dsar,allow,plain,dpo-dsar,needed,false,,6mo
dpo,read,derived,legal.dsar,allow,plain,dpo-dsar,none,false,,90d
dpo,read,*,service service.support service.billing analytics analytics.sales analytics.workforce legal.tax legal.audit hr hr.admin hr.payroll,no_allow,,,,false,,
dpo,share,*,service service.support service.billing analytics analytics.sales analytics.workforce legal.tax legal.audit legal.dsar hr hr.admin hr.payroll,no_allow,,,,false,,
CSV
expect matrix-unknown-role 1 "$custos" matrix "$examples/crm.custos" --role marketeer
contains matrix-unknown-role "declares no role \`marketeer\` (did you mean \`marketer\`?)" "$err"
expect matrix-bad-format 2 "$custos" matrix "$examples/crm.custos" --format pdf
expect matrix-policy-errors 1 "$custos" matrix "$work/typo.custos"
contains matrix-policy-errors "error[E020]" "$err"
# HTML: one page, nothing loaded from elsewhere, every policy text escaped.
printf 'policy "t" version 1\ncategory c\npurpose p basis contract\nrole r\nretain c for 1y\n@id("<b>&\\"x\\"")\nallow r to read c for p when context.tag == "</td><script>"\n' >"$work/html.custos"
expect matrix-html 0 "$custos" matrix "$work/html.custos" --format html
contains matrix-html '<!DOCTYPE html>' "$out"
contains matrix-html 'allow &lt;b&gt;&amp;&quot;x&quot; when context.tag == &quot;&lt;/td&gt;&lt;script&gt;&quot;' "$out"
if [[ "$out" == *"<script"* || "$out" == *"<b>&"* || "$out" == *"http"* || "$out" == *"<link"* || "$out" == *"src="* ]]; then
  echo "FAIL matrix-html: unescaped text or an external resource"; failures=$((failures + 1))
fi

# diff: the seeded changes of tests/policy/crm_v2.custos, and nothing else
expect diff-crm-text 0 bash -c "cd '$src' && '$custos' diff policy-lang/examples/crm.custos tests/policy/crm_v2.custos"
same_as diff-crm-text "$expected/crm_diff.txt" "$out"
expect diff-crm-json 0 bash -c "cd '$src' && '$custos' diff policy-lang/examples/crm.custos tests/policy/crm_v2.custos --format json"
same_as diff-crm-json "$expected/crm_diff.json" "$out"
expect diff-fail-on-gain 1 "$custos" diff "$examples/crm.custos" "$src/tests/policy/crm_v2.custos" --fail-on-gain
contains diff-fail-on-gain "crm_v2.custos reveals more than" "$err"
expect diff-same 0 "$custos" diff "$examples/crm.custos" "$examples/crm.custos" --fail-on-gain
contains diff-same "no change in access" "$out"
expect diff-same-json 0 "$custos" diff "$examples/crm.custos" "$examples/crm.custos" --format json
same_as diff-same-json /dev/stdin "$out" <<'JSON'
{
  "gained": [],
  "lost": [],
  "changed": []
}
JSON
expect diff-usage 2 "$custos" diff "$examples/crm.custos"

# consent: --policy refuses purposes the policy does not declare; --expires after --at
expect consent-policy-typo 1 "$custos" consent grant --store "$work/typo-consent.db" --subject c-1 --purpose marketting --policy "$examples/crm.custos"
contains consent-policy-typo "crm.custos declares no purpose \`marketting\` (did you mean \`marketing\`?); the record would never count" "$err"
if [ -e "$work/typo-consent.db" ]; then echo "FAIL consent-policy-typo: the store was created"; failures=$((failures + 1)); fi
expect consent-policy-implied 0 "$custos" consent grant --store "$work/policy-consent.db" --subject c-1 --purpose legal --policy "$examples/crm.custos" --at 2026-01-01T00:00:00Z
contains consent-policy-implied "c-1 granted for legal at 2026-01-01T00:00:00Z" "$out"
expect consent-policy-broken 1 "$custos" consent grant --store "$work/policy-consent.db" --subject c-1 --purpose p --policy "$work/typo.custos"
contains consent-policy-broken "typo.custos has errors" "$err"
expect consent-expires-at-at 1 "$custos" consent grant --store "$work/policy-consent.db" --subject c-1 --purpose legal --at 2026-01-01T00:00:00Z --expires 2026-01-01T00:00:00Z
contains consent-expires-at-at "--expires 2026-01-01T00:00:00Z is not after --at 2026-01-01T00:00:00Z: the grant would never be in force" "$err"
expect consent-expires-before-at 1 "$custos" consent grant --store "$work/policy-consent.db" --subject c-1 --purpose legal --at 2026-01-02T00:00:00Z --expires 2026-01-01T00:00:00Z
expect consent-expires-after-at 0 "$custos" consent grant --store "$work/policy-consent.db" --subject c-1 --purpose legal --at 2026-01-01T00:00:00Z --expires 2026-01-01T00:00:01Z
expect consent-show-after 0 "$custos" consent show --store "$work/policy-consent.db" --subject c-1
if [ "$(grep -c '"state"' <<<"$out")" != 2 ]; then echo "FAIL consent-show-after: refused records were stored"; failures=$((failures + 1)); fi

# test: case files are checked before they run
expect test-default-id-warning 1 "$custos" test "$work/mkt.custos" "$work/cases.json"
contains test-default-id-warning "warning: $work/cases.json: case 1 \`granted\`: contact.email: pins rule \`mkt.custos:6\`, a default id: it changes when the rule moves (\`custos fmt\`, edits) or the file is renamed; give the rule an @id(\"...\")" "$err"
cat >"$work/lint.json" <<'JSON'
[{"name": "undated", "request": {"actor": {"roles": ["m"]}, "action": "read", "purpose": "marketing",
   "subject": {"id": "c-1"}, "categories": ["contact.email"]},
  "expect": {"contact.email": "deny consent_missing"}},
 {"name": "nothing expected", "request": {"actor": {"roles": ["m"]}, "action": "read", "purpose": "marketing",
   "categories": ["contact.email"], "context": {"time": "2026-11-28T12:00:00Z"}}, "expect": {}},
 {"name": "misspelt", "request": {"actor": {"roles": ["m"]}, "action": "read", "purpose": "marketing",
   "categories": ["contact.email", "contact"], "context": {"time": "2026-11-28T12:00:00Z"}},
  "expect": {"contact.email": "deny consent_mising", "contact": "allow as hsah"}}]
JSON
expect test-lint 1 "$custos" test "$work/mkt.custos" "$work/lint.json"
contains test-lint "warning: $work/lint.json: case 1 \`undated\`: no \`context.time\`: the result depends on the day the case runs" "$err"
contains test-lint "error: $work/lint.json: case 2 \`nothing expected\`: \`expect\` is empty (and no \`allowed\`), so the case tests nothing" "$err"
contains test-lint "error: $work/lint.json: case 3 \`misspelt\`: contact.email: unknown reason \`consent_mising\` (did you mean \`consent_missing\`?)" "$err"
contains test-lint "error: $work/lint.json: case 3 \`misspelt\`: contact: unknown transform \`hsah\` (did you mean \`hash\`?)" "$err"
contains test-lint "lint.json: 3 invalid expectations; no case was run" "$err"
if [ -n "$out" ]; then echo "FAIL test-lint: cases ran: $out"; failures=$((failures + 1)); fi
printf '[{"name": "undated but valid", "request": {"actor": {"roles": ["m"]}, "action": "read", "purpose": "marketing", "subject": {"id": "c-1"}, "categories": ["contact.email"]}, "expect": {"contact.email": "deny consent_missing"}}]' >"$work/undated.json"
expect test-undated-runs 0 "$custos" test "$work/mkt.custos" "$work/undated.json"
contains test-undated-runs "1 passed, 0 failed" "$out"

# eval --explain=text: the explanation for people, in policy units
expect eval-explain-text 0 "$custos" eval "$work/mkt.custos" "$work/mkt.json" --explain=text --consent-store "$work/consent.db"
same_as eval-explain-text /dev/stdin "$out" <<TEXT
denied by policy "t" version 1 (sha256 $(sha256sum "$work/mkt.custos" | cut -c1-12))

contact.email: deny consent_withdrawn
  mkt.custos:6: allow rule: grants it as plain
  consent: consent_withdrawn (the \`withdrawn\` record for \`marketing\` of 2026-02-01T00:00:00Z decides)
TEXT
expect eval-explain-bad 2 "$custos" eval "$work/mkt.custos" "$work/mkt.json" --explain=yaml

# The README shows the CRM matrix and diff as the commands print them.
contains readme-matrix "$(cat "$expected/crm_matrix.txt")" "$(cat "$src/README.md")"
contains readme-diff "$(cat "$expected/crm_diff.txt")" "$(cat "$src/README.md")"
# Assertions in check's summary; a broken one fails check with its counterexample.
{ cat "$examples/crm.custos"; printf 'assert never marketer, analyst to use health for *\nassert consent for * to use * for marketing\n'; } >"$work/asserted.custos"
expect check-assertions 0 "$custos" check "$work/asserted.custos"
contains check-assertions "table bindings (7 public), 2 assertions" "$out"
printf 'assert never support_agent to use health for service\n' >>"$work/asserted.custos"
expect check-assertion-broken 1 "$custos" check "$work/asserted.custos"
contains check-assertion-broken "asserted.custos:143:1: error[E060]: assertion fails: role \`support_agent\` can read \`health.accessibility\` for \`service.support\`" "$err"
expect test-assertion-broken 1 "$custos" test "$work/asserted.custos" "$work/undated.json"
contains test-assertion-broken "error[E060]" "$err"

echo "$pass passed, $failures failed"
[ "$failures" -eq 0 ]
