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
# A NUL in a comment once made fmt stop printing there (dropping the deny
# rule after it) and exit 0: now the policy is refused, and nothing printed.
printf 'policy "t" version 1\ncategory c\nrole r\npurpose p basis contract\nretain c for 1y\n# ok\0 deny r to read c for p\nallow r to read c for p\n' >"$work/nul.custos"
expect fmt-nul 1 "$custos" fmt "$work/nul.custos"
contains fmt-nul "nul.custos:6:5: error[E001]: NUL byte in a comment" "$err"
if [ -s "$work/out" ]; then echo "FAIL fmt-nul: printed something"; failures=$((failures + 1)); fi
expect check-nul 1 "$custos" check "$work/nul.custos"
# Standard output that cannot be written is an error, not exit 0.
expect fmt-stdout-full 1 env C="$custos" F="$work/loyalty.custos" bash -c '"$C" fmt "$F" >/dev/full'
contains fmt-stdout-full "custos fmt: cannot write to standard output: No space left on device" "$err"

# fmt --write: a planted symlink at the old predictable POLICY.tmp is not
# followed, the mode is kept, and a symlinked policy stays a symlink.
mkdir -p "$work/w"
printf 'policy  "t" version 1   category a,b\n' >"$work/w/p.custos"
printf 'victim\n' >"$work/w/victim"
ln -s "$work/w/victim" "$work/w/p.custos.tmp"
chmod 0640 "$work/w/p.custos"
expect fmt-write-safe 0 "$custos" fmt --write "$work/w/p.custos"
if [ "$(cat "$work/w/victim")" != "victim" ] || [ ! -L "$work/w/p.custos.tmp" ]; then
  echo "FAIL fmt-write-safe: the planted symlink was followed"; failures=$((failures + 1))
fi
if [ "$(cat "$work/w/p.custos")" != $'policy "t" version 1\ncategory a, b' ]; then
  echo "FAIL fmt-write-safe: got $(cat "$work/w/p.custos")"; failures=$((failures + 1))
fi
if [ "$(stat -c %a "$work/w/p.custos")" != "640" ]; then
  echo "FAIL fmt-write-mode: mode $(stat -c %a "$work/w/p.custos"), expected 640"; failures=$((failures + 1))
fi
if [ "$(ls -A "$work/w" | sort | tr '\n' ' ')" != "p.custos p.custos.tmp victim " ]; then
  echo "FAIL fmt-write-leftovers: $(ls -A "$work/w")"; failures=$((failures + 1))
fi
mkdir -p "$work/w/real"
printf 'policy  "t" version 1   category a,b\n' >"$work/w/real/target.custos"
chmod 0600 "$work/w/real/target.custos"
ln -s real/target.custos "$work/w/link.custos"
expect fmt-write-symlink 0 "$custos" fmt --write "$work/w/link.custos"
if [ ! -L "$work/w/link.custos" ] || [ "$(readlink "$work/w/link.custos")" != "real/target.custos" ]; then
  echo "FAIL fmt-write-symlink: the symlink was replaced"; failures=$((failures + 1))
fi
if [ "$(cat "$work/w/real/target.custos")" != $'policy "t" version 1\ncategory a, b' ]; then
  echo "FAIL fmt-write-symlink: the target has $(cat "$work/w/real/target.custos")"; failures=$((failures + 1))
fi
if [ "$(stat -c %a "$work/w/real/target.custos")" != "600" ]; then
  echo "FAIL fmt-write-symlink: mode $(stat -c %a "$work/w/real/target.custos")"; failures=$((failures + 1))
fi

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
# Standard input stops one byte past the request limit (1 MiB), even endless.
expect eval-stdin-too-big 1 env C="$custos" P="$lang" bash -c 'head -c 2000000 /dev/zero | "$C" eval "$P" -'
contains eval-stdin-too-big "custos eval: standard input: larger than the limit of 1048576 bytes" "$err"
expect eval-stdin-endless 1 timeout 5 "$custos" eval "$lang" - </dev/zero
contains eval-stdin-endless "custos eval: standard input: larger than the limit of 1048576 bytes" "$err"
# A key given twice is refused, not decided by the last one.
printf '{"actor": {"roles": ["support_agent"]}, "action": "share", "action": "read", "purpose": "service.support", "categories": ["contact.email"]}' >"$work/dup.json"
expect eval-duplicate-key 1 "$custos" eval "$lang" "$work/dup.json"
contains eval-duplicate-key '"allowed":false' "$out"
contains eval-duplicate-key 'custos eval: malformed request: request has the key "action" twice in one object' "$err"
# The pseudonym key file: created 0600 on first use; a FIFO is refused at
# once (it used to hang eval), as are a key others can read and a zero key.
expect eval-key-created 0 "$custos" eval "$lang" "$work/req.json" --key-file "$work/new.key"
if [ "$(stat -c %a "$work/new.key")" != "600" ]; then
  echo "FAIL eval-key-created: mode $(stat -c %a "$work/new.key")"; failures=$((failures + 1))
fi
mkfifo "$work/fifo.key"
expect eval-key-fifo 1 timeout 5 "$custos" eval "$lang" "$work/req.json" --key-file "$work/fifo.key"
contains eval-key-fifo "custos eval: $work/fifo.key: not a regular file (a pseudonym key is a file of 64 hex digits)" "$err"
cp "$work/new.key" "$work/shared.key" && chmod 0644 "$work/shared.key"
expect eval-key-readable 1 "$custos" eval "$lang" "$work/req.json" --key-file "$work/shared.key"
contains eval-key-readable "the pseudonym key is accessible by group or others (mode 0644); run \`chmod 600 $work/shared.key\`" "$err"
printf '%064d\n' 0 >"$work/zero.key" && chmod 0600 "$work/zero.key"
expect eval-key-zero 1 "$custos" eval "$lang" "$work/req.json" --key-file "$work/zero.key"
contains eval-key-zero "$work/zero.key: the pseudonym key is all zeros" "$err"
# Repeated options are refused (parse_args), never the last one silently.
expect eval-repeated-option 2 "$custos" eval "$lang" "$work/req.json" --key-file a --key-file b
contains eval-repeated-option "custos eval: --key-file is given more than once" "$err"
expect eval-repeated-option-eq 2 "$custos" eval "$lang" "$work/req.json" --consent-store=a --consent-store b
contains eval-repeated-option-eq "custos eval: --consent-store is given more than once" "$err"
expect eval-repeated-switch 2 "$custos" eval "$lang" "$work/req.json" --explain --explain
contains eval-repeated-switch "custos eval: --explain is given more than once" "$err"
expect fmt-repeated-switch 2 "$custos" fmt --write --write "$work/messy.custos"
contains fmt-repeated-switch "custos fmt: --write is given more than once" "$err"
expect check-repeated-option 2 "$custos" check "$examples/crm.custos" --db "$db" --db "$db"
contains check-repeated-option "custos check: --db is given more than once" "$err"
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
# A leap second at the last second of 9999 would print as year 10000.
expect consent-time-past-9999 1 "$custos" consent grant --store "$store" --subject c-1 --purpose m --at 9999-12-31T23:59:60Z
contains consent-time-past-9999 "--at: not an RFC 3339 time from 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z: 9999-12-31T23:59:60Z" "$err"
expect consent-time-last-second 0 "$custos" consent grant --store "$store" --subject c-9 --purpose m --at 9999-12-31T23:59:59Z
contains consent-time-last-second "c-9 granted for m at 9999-12-31T23:59:59Z" "$out"
expect consent-expires-on-withdraw 1 "$custos" consent withdraw --store "$store" --subject c-1 --purpose m --expires 2027-01-01T00:00:00Z
contains consent-expires-on-withdraw "only a grant can expire" "$err"
expect consent-usage 2 "$custos" consent grant --store "$store"
expect consent-repeated-option 2 "$custos" consent grant --store "$store" --subject c-1 --subject c-2 --purpose m
contains consent-repeated-option "custos consent: --subject is given more than once" "$err"
expect consent-not-a-store 1 "$custos" consent show --store "$db" --subject c-1
contains consent-not-a-store "not a consent store" "$err"
# A damaged store is refused, never re-created: a dropped table stays dropped.
if command -v sqlite3 >/dev/null; then
  cp "$store" "$work/damaged.db"
  sqlite3 "$work/damaged.db" 'DROP TABLE consent_records'
  expect consent-damaged 1 "$custos" consent grant --store "$work/damaged.db" --subject c-1 --purpose marketing
  contains consent-damaged "damaged.db: damaged consent store: the table consent_records is missing" "$err"
  expect consent-damaged-again 1 "$custos" consent show --store "$work/damaged.db" --subject c-1
  contains consent-damaged-again "damaged consent store: the table consent_records is missing" "$err"
  expect consent-damaged-eval 1 "$custos" eval "$work/mkt.custos" "$work/mkt.json" --consent-store "$work/damaged.db"
  contains consent-damaged-eval "damaged consent store: the table consent_records is missing" "$err"
fi

# consent verify: the store's hash chain (src/consent/FORMAT.md)
expect consent-verify 0 "$custos" consent verify "$store"
contains consent-verify "$store: ok: " "$out"
contains consent-verify " signals, head " "$out"
expect consent-verify-store-option 0 "$custos" consent verify --store "$store"
expect consent-verify-usage 2 "$custos" consent verify
expect consent-verify-two 2 "$custos" consent verify "$store" --store "$store"
expect consent-verify-missing-key 1 "$custos" consent verify "$store" --key "$work/no-such.key"
contains consent-verify-missing-key "no-such.key: no such key file" "$err"
if command -v sqlite3 >/dev/null; then
  # The adversarial trial: triggers dropped, c-1's withdrawal (record 2)
  # turned into a grant, the trigger put back exactly.
  cp "$store" "$work/flipped.db"
  trigger=$(sqlite3 "$work/flipped.db" "SELECT sql FROM sqlite_schema WHERE name = 'consent_records_no_update'")
  sqlite3 "$work/flipped.db" "DROP TRIGGER consent_records_no_update; UPDATE consent_records SET state = 'granted' WHERE seq = 2; $trigger;"
  expect consent-verify-flipped 1 "$custos" consent verify "$work/flipped.db"
  contains consent-verify-flipped "flipped.db: record seq 2: does not match the chain (changed, inserted or moved)" "$err"
  expect consent-flipped-eval 0 "$custos" eval "$work/mkt.custos" "$work/mkt.json" --consent-store "$work/flipped.db"
  contains consent-flipped-eval '"reason":"consent_missing"' "$out"
  expect consent-flipped-explain 0 "$custos" eval "$work/mkt.custos" "$work/mkt.json" --consent-store "$work/flipped.db" --explain=text
  contains consent-flipped-explain "flipped.db: damaged consent store: record seq 2: does not match its subject's chain" "$out"
  expect consent-flipped-show 1 "$custos" consent show --store "$work/flipped.db" --subject c-1
  contains consent-flipped-show "record seq 2: does not match its subject's chain" "$err"
  # The withdrawal deleted instead.
  cp "$store" "$work/deleted.db"
  trigger=$(sqlite3 "$work/deleted.db" "SELECT sql FROM sqlite_schema WHERE name = 'consent_records_no_delete'")
  sqlite3 "$work/deleted.db" "DROP TRIGGER consent_records_no_delete; DELETE FROM consent_records WHERE seq = 2; $trigger;"
  expect consent-verify-deleted 1 "$custos" consent verify "$work/deleted.db"
  contains consent-verify-deleted "deleted.db: record seq 2: is missing (removed;" "$err"
  expect consent-deleted-eval 0 "$custos" eval "$work/mkt.custos" "$work/mkt.json" --consent-store "$work/deleted.db"
  contains consent-deleted-eval '"reason":"consent_missing"' "$out"
fi
# A keyed chain: every action takes --key; verify without it is refused.
printf '%s' 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef >"$work/consent.key"
chmod 600 "$work/consent.key"
expect consent-keyed-grant 0 "$custos" consent grant --store "$work/keyed.db" --subject c-1 --purpose marketing --at 2026-01-01T00:00:00Z --key "$work/consent.key"
expect consent-keyed-verify 0 "$custos" consent verify "$work/keyed.db" --key "$work/consent.key"
contains consent-keyed-verify "keyed.db: ok: 1 records, 0 signals, head " "$out"
expect consent-keyed-no-key 1 "$custos" consent verify "$work/keyed.db"
contains consent-keyed-no-key "the consent store's chain is keyed (hmac-sha256)" "$err"
expect consent-keyed-show 0 "$custos" consent show --store "$work/keyed.db" --subject c-1 --key "$work/consent.key"
expect consent-keyed-eval 0 "$custos" eval "$work/mkt.custos" "$work/mkt.json" --consent-store "$work/keyed.db" --consent-key "$work/consent.key"
contains consent-keyed-eval '"allowed":true' "$out"
expect consent-keyed-eval-no-key 1 "$custos" eval "$work/mkt.custos" "$work/mkt.json" --consent-store "$work/keyed.db"
contains consent-keyed-eval-no-key "the consent store's chain is keyed (hmac-sha256)" "$err"
expect consent-key-without-store 1 "$custos" eval "$work/mkt.custos" "$work/mkt.json" --consent-key "$work/consent.key"
contains consent-key-without-store "--consent-key needs --consent-store FILE" "$err"

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
# A 100,000-deep request inside a case: refused before parsing, no crash.
{ printf '[{"name": "deep", "expect": {}, "request": '; head -c 100000 /dev/zero | tr '\0' '['; head -c 100000 /dev/zero | tr '\0' ']'; printf '}]'; } >"$work/deepcases.json"
expect test-deep-case 1 "$custos" test "$work/mkt.custos" "$work/deepcases.json"
contains test-deep-case "deepcases.json: nested deeper than 34 levels (a request may nest 32, inside the array of cases and its case object)" "$err"
# Two `expect`s in one case: which would count? Refused.
printf '[{"name": "twice", "request": {"actor": {"roles": ["m"]}, "action": "read", "purpose": "marketing", "categories": ["contact.email"]}, "expect": {"contact.email": "allow"}, "expect": {"contact.email": "deny"}}]' >"$work/dupcases.json"
expect test-duplicate-key 1 "$custos" test "$work/mkt.custos" "$work/dupcases.json"
contains test-duplicate-key 'dupcases.json: the key "expect" appears twice in one object' "$err"
printf '[{"name": "twice", "request": {"actor": {"roles": ["m"]}, "action": "read", "action": "share", "purpose": "marketing", "categories": ["contact.email"]}, "expect": {"contact.email": "deny"}}]' >"$work/dupreq.json"
expect test-duplicate-key-in-request 1 "$custos" test "$work/mkt.custos" "$work/dupreq.json"
contains test-duplicate-key-in-request 'dupreq.json: the key "action" appears twice in one object' "$err"
# A case file at the depth limit still runs: a request nested 32 deep.
{ printf '[{"name": "deep ok", "expect": {"contact.email": "deny"}, "request": {"actor": {}, "action": "read", "purpose": "marketing", "categories": ["contact.email"], "context": {"time": "2026-01-01T00:00:00Z", "attributes": {"x": '; head -c 29 /dev/zero | tr '\0' '['; head -c 29 /dev/zero | tr '\0' ']'; printf '}}}}]'; } >"$work/okcases.json"
expect test-depth-limit 0 "$custos" test "$work/mkt.custos" "$work/okcases.json"
contains test-depth-limit "1 passed, 0 failed" "$out"

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

# ---- custos query: guarded reads of the Chinook copy ----
crm="$src/policy-lang/examples/crm.custos"
cp "$src/data/Chinook_Sqlite.sqlite" "$work/chinook.db"
chinook_sum=$(sha256sum "$work/chinook.db" | cut -c1-64)
q() { "$custos" query "$crm" "$work/chinook.db" "$@"; }
expect query-agent 0 q --actor a1 --role support_agent --purpose service.support \
  --attr 'regions=["France"]' "SELECT FirstName, Email, Country FROM Customer ORDER BY CustomerId LIMIT 2"
contains query-agent-header "FirstName  Email           Country" "$out"
contains query-agent-row "Camille    c***@yahoo.fr   France" "$out"
contains query-agent-count "(2 rows)" "$out"
expect query-json 0 q --actor a1 --role support_agent --purpose service.support \
  --attr 'regions=["Brazil"]' --format json "SELECT CustomerId, Email FROM Customer WHERE CustomerId = 1"
contains query-json '[{"CustomerId":1,"Email":"l***@embraer.com.br"}]' "$out"
expect query-csv 0 q --actor a1 --role support_agent --purpose service.support \
  --attr 'regions=["Brazil"]' --format csv "SELECT FirstName, Company FROM Customer WHERE CustomerId = 1"
contains query-csv $'FirstName,Company\nLuís,Embraer - Empresa Brasileira de Aeronáutica S.A.' "$out"
expect query-refused 3 q --actor m1 --role marketer --purpose marketing.email "SELECT Phone FROM Customer"
contains query-refused "Customer.Phone: denied_by_rule (category contact.phone)" "$err"
expect query-raw-table 3 q --actor m1 --role marketer --purpose marketing.email "SELECT * FROM main.Customer"
contains query-raw-table "main.Customer: a guarded session reads Customer only through its own view" "$err"
expect query-write 3 q --actor m1 --role marketer --purpose marketing.email "DELETE FROM main.Genre"
contains query-write "guarded sessions only read (SELECT)" "$err"
expect query-write-view 3 q --actor m1 --role marketer --purpose marketing.email "UPDATE Customer SET Email = NULL"
contains query-write-view "guarded sessions only read (SELECT)" "$err"
expect query-ddl 3 q --actor m1 --role marketer --purpose marketing.email "CREATE TEMP VIEW Customer AS SELECT 1"
expect query-sql-error 1 q --actor m1 --role marketer --purpose marketing.email "SELEC 1"
contains query-sql-error "SQL error" "$err"
expect query-two-statements 1 q --actor m1 --role marketer --purpose marketing.email "SELECT 1; SELECT 2"
contains query-two-statements "several statements in one call" "$err"
expect query-no-consent 0 q --actor m1 --role marketer --purpose marketing.email --format json \
  "SELECT count(*) AS n FROM Customer"
contains query-no-consent '[{"n":0}]' "$out"
expect query-lenient 0 q --actor m1 --role marketer --purpose marketing.email --lenient --format csv \
  "SELECT count(*) AS n, count(Phone) AS phones FROM Customer"
contains query-lenient $'n,phones\n0,0' "$out"
expect query-bad-format 2 q --actor m1 --role marketer --purpose marketing.email --format xml "SELECT 1"
expect query-bad-action 2 q --actor m1 --role marketer --action sell --purpose marketing.email "SELECT 1"
expect query-missing-purpose 2 q --actor m1 --role marketer "SELECT 1"
# Every statement, run or refused, goes to the audit log; the chain verifies;
# the customer's report lists the read.
expect query-audit 0 q --actor a1 --role support_agent --purpose service.support \
  --attr 'regions=["Brazil"]' --audit "$work/audit.db" "SELECT Email FROM Customer WHERE CustomerId = 1"
expect query-audit-refused 3 q --actor m1 --role marketer --purpose marketing.email --audit "$work/audit.db" \
  "SELECT Phone FROM Customer"
expect audit-verify 0 "$custos" audit verify "$work/audit.db"
contains audit-verify ": ok: 2 entries, 0 checkpoints, head " "$out"
expect audit-report-json 0 "$custos" audit report "$work/audit.db" --subject 1 --format json
contains audit-report-json '"category": "contact.email",' "$out"
contains audit-report-json '"transform": "mask"' "$out"
expect audit-report-none 0 "$custos" audit report "$work/audit.db" --subject 2
contains audit-report-none "Accesses to the data of subject 2: 0" "$out"
expect audit-export 0 "$custos" audit export "$work/audit.db" --format jsonl --since 1
contains audit-export '"seq":2' "$out"
expect audit-missing 1 "$custos" audit verify "$work/no-such.db"
expect audit-bad-format 2 "$custos" audit report "$work/audit.db" --subject 1 --format pdf
expect audit-no-action 2 "$custos" audit
expect audit-key-without-log 1 q --actor m1 --role marketer --purpose marketing.email --audit-key "$work/k" "SELECT 1"
expect query-missing-db 1 "$custos" query "$crm" "$work/none.db" --actor m1 --role marketer --purpose marketing "SELECT 1"
contains query-unchanged "$chinook_sum" "$(sha256sum "$work/chinook.db" | cut -c1-64)"

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

# ---- keys and signed bundles ----
expect keygen 0 "$custos" keygen "$work/team.pem" "$work/team.pub"
contains keygen-mode "600" "$(stat -c %a "$work/team.pem")"
expect keygen-exists 1 "$custos" keygen "$work/team.pem" "$work/team2.pub"
contains keygen-exists "already exists (not replaced)" "$err"
"$custos" keygen "$work/other.pem" "$work/other.pub" >/dev/null
expect bundle-create 0 "$custos" bundle create "$crm" --key "$work/team.pem" -o "$work/crm.bundle" \
  --now 2026-11-28T12:00:00Z
expect bundle-verify 0 "$custos" bundle verify "$work/crm.bundle" --pubkey "$work/team.pub"
contains bundle-verify 'ok: policy "acme-crm" version 1, created 2026-11-28T12:00:00Z, sha256 '"$(sha256sum "$crm" | cut -c1-64)" "$out"
expect bundle-foreign-key 1 "$custos" bundle verify "$work/crm.bundle" --pubkey "$work/other.pub"
contains bundle-foreign-key "signed by another key" "$err"
sed 's/allow marketer to read/allow marketer to share/' "$work/crm.bundle" >"$work/changed.bundle"
expect bundle-changed 1 "$custos" bundle verify "$work/changed.bundle" --pubkey "$work/team.pub"
contains bundle-changed "does not match the signed SHA-256" "$err"
expect bundle-no-overwrite 1 "$custos" bundle create "$crm" --key "$work/team.pem" -o "$work/crm.bundle"
printf 'policy "bad" version 1\nallow nobody to read x for y\n' >"$work/bad-policy.custos"
expect bundle-bad-policy 1 "$custos" bundle create "$work/bad-policy.custos" --key "$work/team.pem" -o "$work/bad.bundle"
contains bundle-bad-policy "error[E022]" "$err"
expect bundle-usage 2 "$custos" bundle sign "$crm"

# consent signal: TC strings and GPC in a store, then decisions from them.
sigpol=$src/tests/engine/policies/signals.custos
tc_grant=$(python3 "$src/tests/engine/make_tc_string.py" '{"updated": "2026-01-10", "purposes": [1, 3, 4], "vendors": [755]}')
sstore=$work/signals.db
cat >"$work/offers.json" <<'JSON'
{"actor": {"roles": ["marketer"]}, "action": "read", "purpose": "marketing.offers",
 "subject": {"id": "m-1"}, "categories": ["loyalty.tier"], "collected_at": "2026-05-01T00:00:00Z",
 "context": {"time": "2026-06-01T00:00:00Z"}}
JSON
cat >"$work/sale.json" <<'JSON'
{"actor": {"roles": ["partner_gateway"]}, "action": "share", "purpose": "partners.sale",
 "subject": {"id": "m-1"}, "categories": ["loyalty.tier"], "collected_at": "2026-05-01T00:00:00Z",
 "context": {"time": "2026-06-01T00:00:00Z"}}
JSON
expect consent-grant-other 0 "$custos" consent grant --store "$sstore" --subject m-0 --purpose marketing
expect signal-store-none 0 "$custos" eval "$sigpol" "$work/offers.json" --consent-store "$sstore"
contains signal-store-none '"reason":"consent_missing"' "$out"
expect consent-signal-tcf 0 "$custos" consent signal --store "$sstore" --subject m-1 --tcf "$tc_grant" --at 2026-01-10T08:00:00Z --source web-banner
equals consent-signal-tcf-out "$out" "$sstore: m-1 signal tcf at 2026-01-10T08:00:00Z"
equals consent-signal-tcf-quiet "$err" ""
expect signal-store-grants 0 "$custos" eval "$sigpol" "$work/offers.json" --consent-store "$sstore" --explain
contains signal-store-grants '"allowed":true' "$out"
contains signal-store-explained 'signals: TC string for vendor 755, last updated 2026-01-10T00:00:00Z: consent for TCF purposes 1, 3, 4: granted' "$out"
expect consent-signal-garbage 0 "$custos" consent signal --store "$sstore" --subject m-1 --tcf 'not-a-TC-string!' --at 2026-02-01T00:00:00Z
contains consent-signal-garbage "custos consent: warning: the TC string does not decode (bad character '!' at position 16 of the TC string" "$err"
contains consent-signal-garbage "stored, it grants nothing" "$err"
expect signal-store-latest 0 "$custos" eval "$sigpol" "$work/offers.json" --consent-store "$sstore"
contains signal-store-latest '"reason":"consent_missing"' "$out"
expect consent-signal-unusable 0 "$custos" consent signal --store "$sstore" --subject m-1 --tcf "$tc_model"
contains consent-signal-unusable "custos consent: warning: the TC string is not usable (not service-specific" "$err"
expect consent-grant-partners 0 "$custos" consent grant --store "$sstore" --subject m-1 --purpose partners --at 2026-01-01T00:00:00Z
expect signal-store-share 0 "$custos" eval "$sigpol" "$work/sale.json" --consent-store "$sstore"
contains signal-store-share '"allowed":true' "$out"
expect consent-signal-gpc 0 "$custos" consent signal --store "$sstore" --subject m-1 --gpc on --at 2026-03-01T00:00:00Z --source Sec-GPC
equals consent-signal-gpc-out "$out" "$sstore: m-1 signal gpc on at 2026-03-01T00:00:00Z"
expect signal-store-gpc 0 "$custos" eval "$sigpol" "$work/sale.json" --consent-store "$sstore"
contains signal-store-gpc '"reason":"objected"' "$out"
expect consent-signal-gpc-off 0 "$custos" consent signal --store "$sstore" --subject m-1 --gpc off --at 2026-04-01T00:00:00Z
expect signal-store-gpc-off 0 "$custos" eval "$sigpol" "$work/sale.json" --consent-store "$sstore"
contains signal-store-gpc-off '"allowed":true' "$out"
expect consent-show-signals 0 "$custos" consent show --store "$sstore" --subject m-1
equals consent-show-kinds "$(field "$out" '[("tcf" if "tcf" in x else x["gpc"]) for x in j["signals"]]')" '["tcf", "tcf", "tcf", true, false]'
equals consent-show-first "$(field "$out" '[j["signals"][0][k] for k in ("tcf", "at", "source")]')" "[\"$tc_grant\", \"2026-01-10T08:00:00Z\", \"web-banner\"]"
equals consent-show-second "$(field "$out" 'j["signals"][1]')" '{"tcf": "not-a-TC-string!", "at": "2026-02-01T00:00:00Z", "source": ""}'
equals consent-show-records "$(field "$out" 'len(j["records"])')" '1'
expect consent-signal-usage 2 "$custos" consent signal --store "$sstore" --subject m-1
contains consent-signal-usage "usage: custos consent signal --store FILE --subject ID (--tcf STRING | --gpc on|off)" "$err"
expect consent-signal-both 2 "$custos" consent signal --store "$sstore" --subject m-1 --tcf "$tc_grant" --gpc on
expect consent-signal-gpc-bad 2 "$custos" consent signal --store "$sstore" --subject m-1 --gpc yes
contains consent-signal-gpc-bad "--gpc is on or off, not \`yes\`" "$err"
expect consent-signal-empty 1 "$custos" consent signal --store "$sstore" --subject m-1 --tcf ''
contains consent-signal-empty "a TC string signal needs a TC string (1 to 65536 bytes)" "$err"
expect consent-signal-bad-time 1 "$custos" consent signal --store "$sstore" --subject m-1 --gpc on --at tomorrow
# A request's own signals, as `custos eval` trusts them.
expect signal-request 0 "$custos" eval "$sigpol" - <<JSON
{"actor": {"roles": ["marketer"]}, "action": "read", "purpose": "marketing.offers",
 "subject": {"id": "m-2", "signals": {"tcf": "$tc_grant", "gpc": true}}, "categories": ["loyalty.tier"],
 "collected_at": "2026-05-01T00:00:00Z", "context": {"time": "2026-06-01T00:00:00Z"}}
JSON
contains signal-request '"allowed":true' "$out"
expect signal-request-typo 1 "$custos" eval "$sigpol" - <<'JSON'
{"actor": {"roles": ["marketer"]}, "action": "read", "purpose": "marketing.offers",
 "subject": {"id": "m-2", "signals": {"gcp": true}}, "categories": ["loyalty.tier"]}
JSON
contains signal-request-typo '"reason":"bad_request"' "$out"

# custos test: a case's own consent store; a bad one fails the case, saying why.
cat >"$work/store_cases.json" <<JSON
[{"name": "stored string", "store": {"signals": [{"tcf": "$tc_grant", "at": "2026-01-10T08:00:00Z"}]},
  "request": $(cat "$work/offers.json"), "expect": {"loyalty.tier": "allow"}},
 {"name": "no time", "store": {"signals": [{"tcf": "$tc_grant"}]},
  "request": $(cat "$work/offers.json"), "expect": {"loyalty.tier": "allow"}},
 {"name": "both kinds", "store": {"signals": [{"tcf": "x", "gpc": true, "at": "2026-01-10T08:00:00Z"}]},
  "request": $(cat "$work/offers.json"), "expect": {"loyalty.tier": "deny"}},
 {"name": "bad record", "store": {"consent": [{"purpose": "marketing", "state": "maybe", "at": "2026-01-10T08:00:00Z"}]},
  "request": $(cat "$work/offers.json"), "expect": {"loyalty.tier": "deny"}},
 {"name": "unknown key", "store": {"records": []},
  "request": $(cat "$work/offers.json"), "expect": {"loyalty.tier": "deny"}}]
JSON
expect test-store 1 "$custos" test "$sigpol" "$work/store_cases.json"
contains test-store-no-time "FAIL no time
  store: a signal needs \`at\`, an RFC 3339 time" "$out"
contains test-store-both "FAIL both kinds
  store: a signal has either a \`tcf\` string or a \`gpc\` boolean" "$out"
contains test-store-record "FAIL bad record
  store: a consent record's state must be granted, withdrawn or objected" "$out"
contains test-store-key "FAIL unknown key
  \`store\` takes \`consent\` and \`signals\`, not \`records\`" "$out"
contains test-store-summary "1 passed, 4 failed" "$out"

# ---- custos purge: retention purge of a Chinook copy (issue 8) ----
cp "$src/data/Chinook_Sqlite.sqlite" "$work/purge.db"
purge_sum=$(sha256sum "$work/purge.db" | cut -c1-64)
expect help-purge 0 "$custos" help purge
contains help-purge "usage: custos purge POLICY DB [--dry-run] [--now TIME] [--audit FILE [--audit-key FILE]]" "$out"
expect purge-no-db 2 "$custos" purge "$crm"
expect purge-unknown-option 2 "$custos" purge "$crm" "$work/purge.db" --force
expect purge-audit-key-alone 1 "$custos" purge "$crm" "$work/purge.db" --audit-key "$work/k"
contains purge-audit-key-alone "--audit-key needs --audit FILE" "$err"
expect purge-bad-now 1 "$custos" purge "$crm" "$work/purge.db" --now yesterday
contains purge-bad-now "--now: not an RFC 3339 time" "$err"
expect purge-missing-db 1 "$custos" purge "$crm" "$work/none.db" --now 2033-06-01T00:00:00Z
contains purge-missing-db "cannot open $work/none.db" "$err"
if [ -e "$work/none.db" ]; then echo "FAIL purge-missing-db: created the file"; failures=$((failures + 1)); fi
garbage_sum=$(sha256sum "$work/garbage.db" | cut -c1-64)
expect purge-garbage-db 1 "$custos" purge "$crm" "$work/garbage.db"
contains purge-garbage-db "not a database" "$err"
expect purge-garbage-db-dry 1 "$custos" purge "$crm" "$work/garbage.db" --dry-run
contains purge-garbage-unchanged "$garbage_sum" "$(sha256sum "$work/garbage.db" | cut -c1-64)"
# Invoices are kept 10 years: as of 2033-06-01 those of before 2023-06-04 go,
# their lines first; Customer and Employee have no purge age.
purge_lines='Customer: nothing to purge (no classified column has a purge age)
Employee: nothing to purge (no classified column has a purge age)
InvoiceLine: 1099 rows deleted, 0 cells cleared
Invoice: 201 rows deleted, 0 cells cleared
total: 1300 rows deleted, 0 cells cleared in 2 tables'
expect purge-dry-run 0 "$custos" purge "$crm" "$work/purge.db" --dry-run --now 2033-06-01T00:00:00Z
same_as purge-dry-run /dev/stdin "$out" <<TEXT
dry run: purge of $work/purge.db at 2033-06-01T00:00:00Z under policy "acme-crm" version 1 (nothing was changed)
$purge_lines
TEXT
contains purge-dry-run-unchanged "$purge_sum" "$(sha256sum "$work/purge.db" | cut -c1-64)"
expect purge-run 0 "$custos" purge "$crm" "$work/purge.db" --now 2033-06-01T00:00:00Z \
  --audit "$work/purge-audit.db"
same_as purge-run /dev/stdin "$out" <<TEXT
purge of $work/purge.db at 2033-06-01T00:00:00Z under policy "acme-crm" version 1
$purge_lines
TEXT
# One audit entry per table changed, each naming the erased columns.
expect purge-audit-verify 0 "$custos" audit verify "$work/purge-audit.db"
contains purge-audit-verify ": ok: 2 entries, 0 checkpoints, head " "$out"
expect purge-audit-export 0 "$custos" audit export "$work/purge-audit.db" --format jsonl
contains purge-audit-export '\"purpose\":\"custos.purge\"' "$out"
contains purge-audit-export-lines '\"sql\":\"purge InvoiceLine: 1099 rows deleted, 0 cells cleared\"' "$out"
expect purge-again 0 "$custos" purge "$crm" "$work/purge.db" --now 2033-06-01T00:00:00Z
contains purge-again "total: 0 rows deleted, 0 cells cleared in 0 tables" "$out"
# A NOT NULL column that would have to be cleared: its table stays as it is,
# the column is named, the exit code is 1, and the other tables are purged.
printf 'policy "acc" version 1\ncategory identity.name, contact.email, behavior.visits\npurpose service basis contract\nretain identity for 1y\nretain contact for 30d\nretain behavior for 5y\ntable Account {\n  subject Id\n  collected At\n  Login : identity.name\n  Spend : behavior.visits\n}\ntable Lead {\n  subject Id\n  collected At\n  Email : contact.email\n}\n' >"$work/acc.custos"
python3 - "$work/acc.db" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.executescript("""
CREATE TABLE Account (Id INTEGER PRIMARY KEY, Login TEXT NOT NULL, Spend REAL, At TEXT);
INSERT INTO Account VALUES (1, 'old', 1.0, '2024-01-01'), (2, 'new', 2.0, '2026-11-01');
CREATE TABLE Lead (Id INTEGER PRIMARY KEY, Email TEXT, At TEXT);
INSERT INTO Lead VALUES (1, 'a@x', '2026-01-01'), (2, 'b@x', '2026-11-20');
""")
c.commit()
PY
expect purge-not-null 1 "$custos" purge "$work/acc.custos" "$work/acc.db" --now 2026-11-28T12:00:00Z
contains purge-not-null "Account: refused, left unchanged: Login is NOT NULL, 1 expired cell cannot be cleared" "$out"
contains purge-not-null-other "Lead: 1 row deleted, 0 cells cleared" "$out"
contains purge-not-null-total "total: 1 row deleted, 0 cells cleared in 1 table; 1 table refused" "$out"
contains purge-not-null-err "custos purge: Account.Login is NOT NULL but expired cells of it must be cleared: table Account left unchanged" "$err"

echo "$pass passed, $failures failed"
[ "$failures" -eq 0 ]
