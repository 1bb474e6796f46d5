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

echo "$pass passed, $failures failed"
[ "$failures" -eq 0 ]
