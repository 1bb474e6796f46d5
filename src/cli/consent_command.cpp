// custos consent: record and show consent in a consent store.
#include <algorithm>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "base/file.hpp"
#include "base/text.hpp"
#include "base/time.hpp"
#include "cli/cli_util.hpp"
#include "cli/commands.hpp"
#include "custos/consent.hpp"
#include "custos/engine.hpp"
#include "custos/limits.hpp"
#include "engine/consent_history.hpp"
#include "lang/checker.hpp"

namespace custos::cli {
namespace {

// With --policy: the purpose must be one the policy declares (explicitly or
// implied), since a record for any other purpose is stored and then never
// consulted. Prints why not and returns false.
bool purpose_declared(const std::string& policy_path, const std::string& purpose) {
  auto text = detail::read_file(policy_path, limits::kMaxPolicyBytes);
  if (!text.ok()) {
    std::fprintf(stderr, "custos consent: %s\n", text.status().message().c_str());
    return false;
  }
  const auto analysis = lang::analyze(policy_path, std::move(*text));
  if (!analysis.policy) {
    std::fprintf(stderr, "custos consent: %s has errors (run `custos check %s`)\n",
                 policy_path.c_str(), policy_path.c_str());
    return false;
  }
  const auto& ids = analysis.policy->symbols.purpose_ids;
  if (ids.count(purpose)) return true;
  std::vector<std::string> names;
  for (const auto& [name, id] : ids) names.push_back(name);
  std::sort(names.begin(), names.end());
  const std::string guess = detail::closest_match(purpose, names);
  std::fprintf(stderr,
               "custos consent: %s declares no purpose `%s`%s; the record would never count\n",
               policy_path.c_str(), purpose.c_str(),
               guess.empty() ? "" : (" (did you mean `" + guess + "`?)").c_str());
  return false;
}

// The store's chain key, from `--key FILE` (the pseudonym key format): into
// options.chain_key; false (and says why) when it cannot be read.
bool read_chain_key(const Args& args, ConsentOptions& options) {
  const auto path = args.option("key");
  if (!path) return true;
  if (!detail::read_file(*path, 4096).ok()) {
    std::fprintf(stderr, "custos consent: %s: no such key file\n", path->c_str());
    return false;
  }
  auto loaded = load_pseudonym_key(*path);
  if (!loaded.ok()) {
    std::fprintf(stderr, "custos consent: %s\n", loaded.status().message().c_str());
    return false;
  }
  options.chain_key = *loaded;
  return true;
}

// custos consent verify STORE [--key FILE]   (or --store STORE)
int run_consent_verify(const std::vector<std::string>& rest) {
  static const char* kUsage = "custos consent: usage: custos consent verify STORE [--key FILE]\n";
  const auto args = parse_args(rest, "consent", {"store", "key"}, {});
  if (!args) return kExitUsage;
  const auto store_option = args->option("store");
  if (args->positional.size() + (store_option ? 1 : 0) != 1) {
    std::fputs(kUsage, stderr);
    return kExitUsage;
  }
  const std::string path = store_option ? *store_option : args->positional[0];
  ConsentOptions options;
  options.read_only = true;
  if (!read_chain_key(*args, options)) return kExitBadInput;
  auto store = ConsentStore::open(path, options);
  if (!store.ok()) {
    std::fprintf(stderr, "custos consent: %s\n", store.status().message().c_str());
    return kExitBadInput;
  }
  auto report = (*store)->verify();
  if (!report.ok()) {
    std::fprintf(stderr, "custos consent: %s\n", report.status().message().c_str());
    return kExitBadInput;
  }
  if (!report->chained) {
    std::fprintf(stderr,
                 "custos consent: %s: not chained (a store from before schema version 3: %zu "
                 "records, %zu signals): nothing to verify; the next write to it chains it as "
                 "it is\n",
                 path.c_str(), report->records, report->signals);
    return kExitBadInput;
  }
  std::printf("%s: ok: %zu records, %zu signals, head %s\n", path.c_str(), report->records,
              report->signals, report->head.empty() ? "(empty)" : report->head.c_str());
  return kExitOk;
}

// custos consent signal --store FILE --subject ID (--tcf STRING | --gpc on|off)
//                       [--at TIME] [--source TEXT]
int run_consent_signal(const std::vector<std::string>& rest) {
  static const char* kUsage =
      "custos consent: usage: custos consent signal --store FILE --subject ID (--tcf STRING | "
      "--gpc on|off) [--at TIME] [--source TEXT]\n";
  const auto args =
      parse_args(rest, "consent", {"store", "subject", "tcf", "gpc", "at", "source", "key"}, {});
  if (!args) return kExitUsage;
  const auto store_path = args->option("store");
  const auto subject = args->option("subject");
  if (!store_path || !subject || !args->positional.empty() ||
      args->has("tcf") == args->has("gpc")) {
    std::fputs(kUsage, stderr);
    return kExitUsage;
  }
  ConsentSignal signal;
  if (const auto gpc = args->option("gpc")) {
    if (*gpc != "on" && *gpc != "off") {
      std::fprintf(stderr, "custos consent: --gpc is on or off, not `%s`\n", gpc->c_str());
      return kExitUsage;
    }
    signal.kind = SignalKind::kGpc;
    signal.gpc = *gpc == "on";
  } else {
    signal.kind = SignalKind::kTcf;
    signal.tc_string = *args->option("tcf");
  }
  signal.at = detail::now_unix();
  if (const auto at = args->option("at")) {
    const auto t = parse_time_option(*at, "consent", "at");
    if (!t) return kExitBadInput;
    signal.at = *t;
  }
  signal.source = args->option("source").value_or("");
  ConsentOptions options;
  if (!read_chain_key(*args, options)) return kExitBadInput;
  auto store = ConsentStore::open(*store_path, options);
  if (!store.ok()) {
    std::fprintf(stderr, "custos consent: %s\n", store.status().message().c_str());
    return kExitBadInput;
  }
  const Status s = (*store)->append_signal(*subject, signal);
  if (!s.ok()) {
    std::fprintf(stderr, "custos consent: %s\n", s.message().c_str());
    return kExitBadInput;
  }
  // Stored as received: a string that cannot decide anything says so, as
  // the latest signal it now stops the earlier one from granting.
  if (signal.kind == SignalKind::kTcf) {
    const auto tc = decode_tc_string(signal.tc_string);
    if (!tc.ok()) {
      std::fprintf(stderr,
                   "custos consent: warning: the TC string does not decode (%s); stored, it "
                   "grants nothing\n",
                   tc.status().message().c_str());
    } else if (!tc->usable) {
      std::fprintf(stderr,
                   "custos consent: warning: the TC string is not usable (%s); stored, it grants "
                   "nothing\n",
                   tc->problems.front().c_str());
    }
  }
  std::printf("%s: %s signal %s at %s\n", store_path->c_str(), subject->c_str(),
              signal.kind == SignalKind::kTcf ? "tcf"
              : signal.gpc                    ? "gpc on"
                                              : "gpc off",
              detail::format_rfc3339(signal.at).c_str());
  return kExitOk;
}

}  // namespace

int run_consent(const std::vector<std::string>& raw) {
  if (raw.empty()) {
    std::fprintf(
        stderr,
        "custos consent: usage: custos consent grant|withdraw|object|signal|show|verify ... "
        "(see `custos help consent`)\n");
    return kExitUsage;
  }
  const std::string verb = raw.front();
  const std::vector<std::string> rest(raw.begin() + 1, raw.end());
  if (verb == "signal") return run_consent_signal(rest);
  if (verb == "verify") return run_consent_verify(rest);
  const bool show = verb == "show";
  ConsentState state = ConsentState::kGranted;
  if (!show && !parse_consent_state(verb == "grant"      ? "granted"
                                    : verb == "withdraw" ? "withdrawn"
                                    : verb == "object"   ? "objected"
                                                         : "",
                                    &state)) {
    std::fprintf(stderr,
                 "custos consent: unknown action `%s` (grant, withdraw, object, signal, show, "
                 "verify)\n",
                 verb.c_str());
    return kExitUsage;
  }
  const auto args =
      show ? parse_args(rest, "consent", {"store", "subject", "key"}, {})
           : parse_args(rest, "consent",
                        {"store", "subject", "purpose", "at", "expires", "source", "policy", "key"},
                        {});
  if (!args) return kExitUsage;
  const auto store_path = args->option("store");
  const auto subject = args->option("subject");
  if (!store_path || !subject || !args->positional.empty() || (!show && !args->has("purpose"))) {
    std::fprintf(stderr,
                 show ? "custos consent: usage: custos consent show --store FILE --subject ID\n"
                      : "custos consent: usage: custos consent %s --store FILE --subject ID "
                        "--purpose P [--at TIME] [--expires TIME] [--source TEXT] [--policy "
                        "FILE]\n",
                 verb.c_str());
    return kExitUsage;
  }
  if (const auto policy = args->option("policy");
      policy && !purpose_declared(*policy, *args->option("purpose"))) {
    return kExitBadInput;
  }
  ConsentOptions options;
  options.read_only = show;
  if (!read_chain_key(*args, options)) return kExitBadInput;
  auto store = ConsentStore::open(*store_path, options);
  if (!store.ok()) {
    std::fprintf(stderr, "custos consent: %s\n", store.status().message().c_str());
    return kExitBadInput;
  }
  if (show) {
    auto history = (*store)->history(*subject);
    if (!history.ok()) {
      std::fprintf(stderr, "custos consent: %s\n", history.status().message().c_str());
      return kExitBadInput;
    }
    auto signals = (*store)->signal_history(*subject);
    if (!signals.ok()) {
      std::fprintf(stderr, "custos consent: %s\n", signals.status().message().c_str());
      return kExitBadInput;
    }
    const auto out = detail::consent_history_json(*subject, *history, *signals);
    std::printf("%s\n",
                out.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace).c_str());
    return kExitOk;
  }
  ConsentRecord record;
  record.purpose = *args->option("purpose");
  record.state = state;
  record.at = detail::now_unix();
  if (const auto at = args->option("at")) {
    const auto t = parse_time_option(*at, "consent", "at");
    if (!t) return kExitBadInput;
    record.at = *t;
  }
  if (const auto expires = args->option("expires")) {
    const auto t = parse_time_option(*expires, "consent", "expires");
    if (!t) return kExitBadInput;
    record.expires = *t;
    if (state == ConsentState::kGranted && *t <= record.at) {
      std::fprintf(stderr,
                   "custos consent: --expires %s is not after --at %s: the grant would never be "
                   "in force\n",
                   detail::format_rfc3339(*t).c_str(), detail::format_rfc3339(record.at).c_str());
      return kExitBadInput;
    }
  }
  record.source = args->option("source").value_or("");
  const Status s = (*store)->append(*subject, record);
  if (!s.ok()) {
    std::fprintf(stderr, "custos consent: %s\n", s.message().c_str());
    return kExitBadInput;
  }
  std::printf("%s: %s %s for %s at %s\n", store_path->c_str(), subject->c_str(),
              consent_state_name(state), record.purpose.c_str(),
              detail::format_rfc3339(record.at).c_str());
  return kExitOk;
}

}  // namespace custos::cli
