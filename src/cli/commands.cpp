// The table of subcommands: name, summary, help text and entry point.
#include "cli/commands.hpp"

namespace custos::cli {

const std::vector<Command>& commands() {
  static const std::vector<Command> kCommands = {
      {"check", "check policies for errors and warnings",
       "usage: custos check POLICY... [--db SQLITE_FILE]\n\n"
       "Checks each policy: syntax, names, types, bindings, and its assertions (a\n"
       "broken `assert` is an error naming a counterexample). Prints every error and\n"
       "warning as FILE:LINE:COL: error[ID]: message, with the source line and a hint,\n"
       "then a summary of what a valid policy declares.\n\n"
       "  --db FILE   also check the table bindings against this SQLite database\n"
       "              (opened read-only): a missing table or column is an error, a\n"
       "              column the binding does not list is a warning\n\n"
       "Exit: 0 when every policy is valid (warnings allowed), 1 on any error.\n",
       run_check},
      {"fmt", "print a policy in canonical form",
       "usage: custos fmt POLICY [--write | --check]\n\n"
       "Prints the policy in canonical form: one statement per line, single spaces,\n"
       "table entries indented, comments kept. Formatting twice changes nothing.\n\n"
       "  --write   rewrite the file in place (atomically) instead of printing\n"
       "  --check   print nothing; exit 1 when the file is not in canonical form\n\n"
       "Exit: 0 on success, 1 when the policy has syntax errors (nothing is written).\n",
       run_fmt},
      {"eval", "decide one request and print the decision",
       "usage: custos eval POLICY REQUEST.json [--consent-store FILE] [--explain[=text]] "
       "[--key-file FILE]\n                   [--audit FILE [--audit-key FILE]]\n\n"
       "Decides the request (JSON; `-` reads it from stdin) against the policy and\n"
       "prints the decision as JSON. Times default to now (UTC) unless the request\n"
       "gives context.time.\n\n"
       "  --consent-store FILE  consent records for requests that carry none\n"
       "                        (--consent-key FILE for a store chained with a key)\n"
       "  --explain[=json|text] per item, every candidate rule and what became of it,\n"
       "                        then consent (the record that decided) and retention\n"
       "                        (the retain rule that applied); `text` is indented text\n"
       "                        for people instead of JSON\n"
       "  --key-file FILE       pseudonym key file (created, mode 0600, when missing;\n"
       "                        refused unless a regular file only its owner can\n"
       "                        read and write, as ssh does)\n"
       "  --audit FILE          record the decision in this audit log (created when\n"
       "                        missing); --audit-key FILE for a keyed chain\n\n"
       "Exit: 0 whether allowed or denied; 1 on bad input (policy errors, an\n"
       "unreadable file, a malformed request, whose bad_request decision is printed).\n",
       run_eval},
      {"test", "run a policy's test cases",
       "usage: custos test POLICY CASES.json\n\n"
       "Runs each case of CASES.json, a JSON array of\n"
       "  {\"name\": ..., \"request\": {...}, \"expect\": {CATEGORY: EXPECTATION}}\n"
       "where EXPECTATION is \"allow\" (plain), \"allow as TRANSFORM\", \"deny\" (any\n"
       "reason) or \"deny REASON\". Optional per case: \"rules\": {CATEGORY: RULE_ID}\n"
       "(the rule each item must report), \"allowed\": true|false, and \"store\":\n"
       "{\"consent\": [RECORD...], \"signals\": [{\"tcf\": \"...\" | \"gpc\": BOOL, \"at\": "
       "TIME}...]},\n"
       "a consent store of the case's own for the request's subject. Names each\n"
       "failed case and what differed; the last line is `N passed, M failed`.\n\n"
       "Exit: 0 when every case passes, 1 otherwise.\n",
       run_test},
      {"keygen", "make an Ed25519 key pair for bundles and checkpoints",
       "usage: custos keygen PRIVATE.pem PUBLIC.pem\n\n"
       "Writes a new Ed25519 key pair as PEM: the private key with mode 0600, the\n"
       "public key with 0644. Never replaces an existing file.\n\n"
       "Exit: 0 success, 1 when a file exists or cannot be written, 2 usage.\n",
       run_keygen},
      {"bundle", "sign a policy into a bundle, or verify one",
       "usage: custos bundle create POLICY --key PRIVATE.pem -o FILE [--now TIME]\n"
       "       custos bundle verify FILE --pubkey PUBLIC.pem\n\n"
       "create  checks and compiles the policy, then writes the bundle: the text, a\n"
       "        manifest (name, version, created, SHA-256) and its Ed25519 signature\n"
       "        (policy-lang/BUNDLE.md). Never replaces an existing file.\n"
       "verify  checks a bundle against a trusted public key and prints its name and\n"
       "        version. Any changed byte, or another signer, is refused.\n\n"
       "Exit: 0 success; 1 a refused bundle, a policy with errors, a bad key or file;\n"
       "2 usage.\n",
       run_bundle},
      {"audit", "verify an audit log, report a subject's accesses, export, checkpoint",
       "usage: custos audit verify FILE [--key FILE] [--pubkey PEM]...\n"
       "       custos audit report FILE --subject ID [--format text|json|html] [--since TIME]\n"
       "       custos audit export FILE --format jsonl [--since SEQ]\n"
       "       custos audit checkpoint FILE --key PRIVATE.pem\n\n"
       "verify      walks the hash chain, every entry, the subject index and sets, and the\n"
       "            checkpoints; prints the entries checked and the head hash, or names\n"
       "            the first bad entry. --key: the chain's key file; --pubkey: a trusted\n"
       "            checkpoint signer (repeatable).\n"
       "report      every access to one subject's data: text (default), JSON, or one\n"
       "            self-contained HTML page for the customer.\n"
       "export      one JSON line per entry after SEQ, with the hashes that link it to the\n"
       "            chain (src/audit/FORMAT.md, section 7).\n"
       "checkpoint  signs the chain's head with an Ed25519 private key (PEM).\n\n"
       "Exit: 0 success; 1 a bad entry (verify), an unreadable file or key; 2 usage.\n",
       run_audit},
      {"query", "run a SELECT through a guarded session",
       "usage: custos query POLICY DB --actor ID --role R[,R...] --purpose P [options] SQL\n\n"
       "Runs one SELECT on the SQLite file DB (opened read-only) as the actor, for the\n"
       "purpose, and prints only what the policy lets through: rows whose subject\n"
       "passes consent and objection, each cell plain, transformed or NULL.\n\n"
       "  --action read|share    share when the rows leave the company (default read)\n"
       "  --attr NAME=VALUE      an actor attribute (repeatable); VALUE is JSON when it\n"
       "                         parses as a number, boolean or list, else text\n"
       "  --context NAME=VALUE   a context attribute (repeatable)\n"
       "  --consent-store FILE   the subjects' consent records (--consent-key FILE for a\n"
       "                         store chained with a key)\n"
       "  --key-file FILE        pseudonym key of the hash transform\n"
       "  --now TIME             fix the clock (RFC 3339) for retention and consent\n"
       "  --lenient              read a column no rule grants as NULL instead of refusing\n"
       "  --format table|json|csv  table (default), one JSON array of row objects, or CSV\n"
       "  --audit FILE           record the statement in this audit log (created when\n"
       "                         missing); --audit-key FILE for a keyed chain\n\n"
       "Exit: 0 success (rows or none); 1 bad input or an SQL error; 2 usage; 3 the\n"
       "policy refuses the statement (the reason is on stderr).\n",
       run_query},
      {"purge", "delete or clear data past its retention",
       "usage: custos purge POLICY DB [--dry-run] [--now TIME] [--audit FILE [--audit-key "
       "FILE]]\n\n"
       "Purges the SQLite file DB by the policy's retention rules and table bindings.\n"
       "Each classified column has a purge age: the longest retention period its\n"
       "category gets for any purpose that can be requested (none: no limit). A cell\n"
       "older than its column's purge age has expired. A row whose classified columns\n"
       "have all expired is deleted; the expired cells of the other rows are set to\n"
       "NULL. Rows of unknown collection time are never touched. Tables that reach\n"
       "another `via` a reference are purged first, and a row they still reach is\n"
       "kept. Each table is one transaction. Prints one line per bound table (rows\n"
       "deleted, cells cleared per column, rows kept and why) and a total.\n\n"
       "  --dry-run     decide and print the same summary, change nothing (the file is\n"
       "                opened read-only)\n"
       "  --now TIME    purge as of this time (RFC 3339; default: now, UTC)\n"
       "  --audit FILE  append one entry per table changed or refused to this audit log\n"
       "                (purpose custos.purge, action erase; created when missing); a\n"
       "                failed append rolls that table back and stops the purge\n"
       "  --audit-key FILE  chain the log with HMAC under this key file\n\n"
       "A table in which a NOT NULL column (or a primary key column) would have to be\n"
       "cleared is left unchanged; the column is named and the exit code is 1.\n\n"
       "Exit: 0 on success; 1 on bad input (policy errors, a database the bindings do\n"
       "not fit, an SQL error) or a NOT NULL refusal; 2 on usage errors.\n",
       run_purge},
      {"consent", "record, show or verify a subject's consent",
       "usage: custos consent grant|withdraw|object --store FILE --subject ID --purpose P\n"
       "                      [--at TIME] [--expires TIME] [--source TEXT] [--policy FILE]\n"
       "       custos consent signal --store FILE --subject ID (--tcf STRING | --gpc on|off)\n"
       "                      [--at TIME] [--source TEXT]\n"
       "       custos consent show --store FILE --subject ID\n"
       "       custos consent verify STORE\n"
       "  --key FILE   the store's chain key (HMAC-SHA256; pseudonym key format), for a\n"
       "               store chained with one (any action)\n\n"
       "Appends a record to the consent store (created when missing); history is\n"
       "append-only. TIME is RFC 3339 (default: now, UTC); --expires applies to\n"
       "grants only and must come after --at. With --policy FILE, a purpose the policy\n"
       "does not declare is refused (the engine would never consult its record).\n"
       "`signal` appends a consent signal: a TC string from a consent banner (stored\n"
       "as received; one that does not decode, or is not usable, is stored with a\n"
       "warning and grants nothing) or a Global Privacy Control setting. `show`\n"
       "prints the subject's records and signals as JSON. `verify` walks the store's\n"
       "hash chain (src/consent/FORMAT.md) and prints `STORE: ok: N records, M signals,\n"
       "head HEX`, or names the first record or signal changed, removed, inserted or\n"
       "moved (`STORE: record seq N: ...`) and exits 1; a store from before the chain\n"
       "(schema version 1 or 2) fails it too, until a write chains it.\n\n"
       "Exit: 0 on success, 1 when the store or a value is bad (or does not verify),\n"
       "2 on usage errors.\n",
       run_consent},
      {"signal", "decode a consent signal (an IAB TCF TC string)",
       "usage: custos signal decode TCSTRING [--format json]\n\n"
       "Decodes an IAB TCF v2 TC string (`-` reads it from stdin) and prints it as\n"
       "JSON, with the field names of the IAB's own libraries: the core segment, the\n"
       "DisclosedVendors and PublisherTC segments and the legacy AllowedVendors one.\n"
       "Id lists are sorted and de-duplicated; publisher restrictions of the same\n"
       "purpose and type are merged. Times are UTC with deciseconds, as the string\n"
       "keeps them: \"2020-01-26T17:01:00.0Z\". `publisherTC` is null, and\n"
       "`vendorsDisclosed` and `vendorsAllowed` are [], when the string lacks that\n"
       "segment. `usable` is false, and `problems` says why, when the string must not\n"
       "decide anything: not service-specific, or a policy version below 4 in a string\n"
       "created on or after 2023-10-01.\n\n"
       "  --format json   the only format (the default)\n\n"
       "Exit: 0 when the string decodes, usable or not; 1 when it does not (truncated,\n"
       "a version other than 2, bad base64url), with the reason; 2 on usage errors.\n",
       run_signal},
      {"matrix", "show who can see what, for which purpose",
       "usage: custos matrix POLICY [--role R] [--purpose P] [--format text|csv|json|html]\n\n"
       "Prints the policy's access matrix: for every role (with the grants it inherits),\n"
       "action, leaf category and purpose, what a request gets from the rules: allowed\n"
       "(in which form, by which rule), denied by a rule, or no allow rule; the\n"
       "conditions that decide it; the consent it needs (needed, objectable, none);\n"
       "and the retention period. Identical rows are grouped: a category name stands\n"
       "for all its leaves, `*` for every role, category or purpose.\n\n"
       "  --role R       only role R\n"
       "  --purpose P    only purpose P and its descendants\n"
       "  --format F     text (default; rows without an allow rule are summed up in one\n"
       "                 line), csv, json, or html (one self-contained page)\n\n"
       "Exit: 0 on success, 1 when the policy has errors or a name is unknown.\n",
       run_matrix},
      {"diff", "show the access a policy change gains and loses",
       "usage: custos diff OLD NEW [--format text|json] [--fail-on-gain]\n\n"
       "Compares the access matrices of two versions of a policy: requests that became\n"
       "allowed (gained) or not allowed (lost), and allowed ones whose transform,\n"
       "consent requirement, retention period or conditions changed (changed, with\n"
       "from and to). JSON: {\"gained\": [...], \"lost\": [...], \"changed\": [...]}.\n\n"
       "  --format F      text (default) or json\n"
       "  --fail-on-gain  exit 1 when anything became more revealing: a gained row, a\n"
       "                  more revealing transform, less consent, a longer retention,\n"
       "                  or a condition dropped\n\n"
       "Exit: 0 on success, 1 on policy errors or (with --fail-on-gain) a gain.\n",
       run_diff},
  };
  return kCommands;
}

}  // namespace custos::cli
