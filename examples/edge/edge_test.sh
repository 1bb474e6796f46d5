#!/bin/sh
# The `example_edge` test: makes a team key and a rogue key, signs version 1
# and 2 of edge_v*.custos (and a version 3 with the rogue key, and a copy of
# version 2 with one word changed), runs the edge app through an upgrade and
# three refused updates, and compares its output with expected_output.txt.
#   edge_test.sh CUSTOS_CLI EDGE_APP SOURCE_DIR WORK_DIR
set -eu
cli=$1 edge=$2 src=$3 work=$4
rm -rf "$work"
mkdir -p "$work"
cd "$work"
"$cli" keygen team.pem team.pub >/dev/null
"$cli" keygen rogue.pem rogue.pub >/dev/null
"$cli" bundle create "$src/edge_v1.custos" --key team.pem -o v1.bundle >/dev/null
"$cli" bundle create "$src/edge_v2.custos" --key team.pem -o v2.bundle >/dev/null
sed 's/version 2/version 3/' "$src/edge_v2.custos" >v3.custos
"$cli" bundle create v3.custos --key rogue.pem -o rogue.bundle >/dev/null
sed 's/as mask/as plain/' v2.bundle >tampered.bundle
"$edge" team.pub v1.bundle v2.bundle v1.bundle rogue.bundle tampered.bundle >output.txt
# The policy's SHA-256 depends on nothing random, but spell it out of the
# comparison so a policy edit only changes expected_output.txt's versions.
sed 's/"sha256":"[0-9a-f]\{64\}"/"sha256":"..."/; s/"head":"[0-9a-f]\{64\}"/"head":"..."/' \
  output.txt >actual.txt
diff -u "$src/expected_output.txt" actual.txt
echo "ok: the edge app's output is as expected"
