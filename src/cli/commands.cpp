// The table of subcommands: name, summary, help text and entry point.
#include "cli/commands.hpp"

namespace custos::cli {

const std::vector<Command>& commands() {
  static const std::vector<Command> kCommands = {
      {"check", "check policies for errors and warnings",
       "usage: custos check POLICY... [--db SQLITE_FILE]\n\n"
       "Checks each policy: syntax, names, types, bindings. Prints every error and\n"
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
       "usage: custos eval POLICY REQUEST.json [--consent-store FILE] [--explain] [--key-file "
       "FILE]\n\n"
       "Decides the request (JSON; `-` reads it from stdin) against the policy and\n"
       "prints the decision as JSON. Times default to now (UTC) unless the request\n"
       "gives context.time.\n\n"
       "  --consent-store FILE  consent records for requests that carry none\n"
       "  --explain             per item, every candidate rule and what became of it\n"
       "  --key-file FILE       pseudonym key file (created, mode 0600, when missing;\n"
       "                        refused unless a regular file only its owner can\n"
       "                        read and write, as ssh does)\n\n"
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
      {"consent", "record or show a subject's consent",
       "usage: custos consent grant|withdraw|object --store FILE --subject ID --purpose P\n"
       "                      [--at TIME] [--expires TIME] [--source TEXT]\n"
       "       custos consent signal --store FILE --subject ID (--tcf STRING | --gpc on|off)\n"
       "                      [--at TIME] [--source TEXT]\n"
       "       custos consent show --store FILE --subject ID\n\n"
       "Appends a record to the consent store (created when missing); history is\n"
       "append-only. TIME is RFC 3339 (default: now, UTC); --expires applies to\n"
       "grants only. `signal` appends a consent signal: a TC string from a consent\n"
       "banner (stored as received; one that does not decode, or is not usable, is\n"
       "stored with a warning and grants nothing) or a Global Privacy Control\n"
       "setting. `show` prints the subject's records and signals as JSON.\n\n"
       "Exit: 0 on success, 1 when the store or a value is bad, 2 on usage errors.\n",
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
  };
  return kCommands;
}

}  // namespace custos::cli
