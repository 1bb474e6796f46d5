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
       "(the rule each item must report) and \"allowed\": true|false. Names each\n"
       "failed case and what differed; the last line is `N passed, M failed`.\n\n"
       "Exit: 0 when every case passes, 1 otherwise.\n",
       run_test},
      {"consent", "record or show a subject's consent",
       "usage: custos consent grant|withdraw|object --store FILE --subject ID --purpose P\n"
       "                      [--at TIME] [--expires TIME] [--source TEXT]\n"
       "       custos consent show --store FILE --subject ID\n\n"
       "Appends a record to the consent store (created when missing); history is\n"
       "append-only. TIME is RFC 3339 (default: now, UTC); --expires applies to\n"
       "grants only. `show` prints the subject's history as JSON.\n\n"
       "Exit: 0 on success, 1 when the store or a value is bad, 2 on usage errors.\n",
       run_consent},
  };
  return kCommands;
}

}  // namespace custos::cli
