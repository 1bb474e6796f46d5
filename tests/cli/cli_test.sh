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
contains check-crm-db "ok: policy \"acme-crm\"" "$out"
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
contains eval-example '{"allowed":false,"items":[{"category":"contact.email","effect":"allow","transform":"plain","rule":"language_examples.custos:27"},{"category":"financial.card","effect":"deny","reason":"no_matching_allow"}]}' "$out"
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

# signal decode: a TC string as JSON (exit 0 even when unusable), 1 when it
# does not decode, 2 on usage errors. Fields checked with python3's json.
# field JSON_TEXT EXPR: prints the value of EXPR (python, `j` is the object).
field() { python3 -c 'import json,sys; j=json.loads(sys.argv[1]); print(json.dumps(eval(sys.argv[2])))' "$1" "$2"; }
# equals NAME ACTUAL EXPECTED
equals() {
  if [ "$2" != "$3" ]; then
    echo "FAIL $1: got $2, expected $3"; failures=$((failures + 1))
  else
    pass=$((pass + 1))
  fi
}
tc_model=COtybn4PA_zT4KjACBENAPCIAEBAAECAAIAAAAAAAAAA
tc_parts=COrEAV4OrXx94ACABBENAHCIAD-AAAAAAACAAxAAAAgAIAwgAgAAAAEAgQAAAAAEAYQAQAAAACAAAABAAA.IBAgAAAgAIAwgAgAAAAEAAAACA.QAagAQAgAIAwgA.cAAAAAAAITg=
expect signal-help 0 "$custos" help signal
contains signal-help "usage: custos signal decode TCSTRING [--format json]" "$out"
expect signal-decode 0 "$custos" signal decode "$tc_model"
equals signal-created "$(field "$out" 'j["created"]')" '"2020-01-26T17:01:00.0Z"'
equals signal-last-updated "$(field "$out" 'j["lastUpdated"]')" '"2021-02-02T17:01:00.0Z"'
equals signal-cmp "$(field "$out" '[j["cmpId"], j["cmpVersion"], j["consentLanguage"]]')" '[675, 2, "EN"]'
equals signal-purposes "$(field "$out" 'j["purposeConsents"]')" '[2, 10]'
equals signal-no-publisher-tc "$(field "$out" 'j["publisherTC"]')" 'null'
equals signal-unusable "$(field "$out" '[j["usable"], len(j["problems"])]')" '[false, 1]'
contains signal-unusable-why "not service-specific" "$out"
expect signal-format-json 0 "$custos" signal decode "$tc_parts" --format json
equals signal-disclosed "$(field "$out" 'j["vendorsDisclosed"]')" '[23, 37, 47, 48, 53, 65, 98, 129]'
equals signal-allowed "$(field "$out" 'j["vendorsAllowed"]')" '[12, 23, 37, 47, 48, 53]'
equals signal-publisher-tc "$(field "$out" 'j["publisherTC"]')" '{"pubPurposesConsent": [1], "pubPurposesLITransparency": [24], "numCustomPurposes": 2, "customPurposesConsent": [2], "customPurposesLITransparency": [1, 2]}'
expect signal-stdin 0 "$custos" signal decode - <<<"$tc_model"
equals signal-stdin-cmp "$(field "$out" 'j["cmpId"]')" '675'
# The spec's own example decodes, but its policy version (2) is too old for 2025.
expect signal-spec-example 0 "$custos" signal decode CQSbk4AQSbk4ANwAAAENAwCgAAAAAAAAAAYgACPAAAAA.IDKQA4AAgAKAGQAygAAA.YAAAAAAAAAAA
equals signal-spec-usable "$(field "$out" 'j["usable"]')" 'false'
contains signal-spec-why "TcfPolicyVersion 2 is below 4" "$out"
expect signal-truncated 1 "$custos" signal decode COtybn4PA_zT4KjACBENAPCIAEBAAECAAIAA
contains signal-truncated "custos signal: cannot decode the TC string: truncated TC string: field MaxVendorId of the vendor consent section at bit 213 needs 16 bits, 3 remain" "$err"
equals signal-truncated-stdout "$out" ""
equals signal-truncated-one-line "$(printf '%s\n' "$err" | wc -l)" "1"
expect signal-v1 1 "$custos" signal decode BOOzQoAOOzQoAAPAFSENCW-AIBA=
contains signal-v1 "version 1 (a TCF v1.1 consent string" "$err"
expect signal-bad-base64 1 "$custos" signal decode 'COtyb+4PA_zT4KjACBENAPCIAEBAAECAAIAAAAAAAAAA'
contains signal-bad-base64 "bad character '+' at position 6" "$err"
expect signal-empty 1 "$custos" signal decode ''
contains signal-empty "empty TC string" "$err"
expect signal-dots 1 "$custos" signal decode ...
contains signal-dots "the string has only dots" "$err"
expect signal-no-string 2 "$custos" signal decode
expect signal-two-strings 2 "$custos" signal decode "$tc_model" "$tc_model"
expect signal-no-action 2 "$custos" signal
expect signal-bad-action 2 "$custos" signal encode "$tc_model"
contains signal-bad-action "unknown action \`encode\`" "$err"
expect signal-bad-format 2 "$custos" signal decode "$tc_model" --format yaml
contains signal-bad-format "unknown format \`yaml\`" "$err"
expect signal-unknown-option 2 "$custos" signal decode "$tc_model" --pretty

echo "$pass passed, $failures failed"
[ "$failures" -eq 0 ]
