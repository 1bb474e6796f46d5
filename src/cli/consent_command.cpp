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
#include "custos/limits.hpp"
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

// custos consent signal --store FILE --subject ID (--tcf STRING | --gpc on|off)
//                       [--at TIME] [--source TEXT]
int run_consent_signal(const std::vector<std::string>& rest) {
  static const char* kUsage =
      "custos consent: usage: custos consent signal --store FILE --subject ID (--tcf STRING | "
      "--gpc on|off) [--at TIME] [--source TEXT]\n";
  const auto args =
      parse_args(rest, "consent", {"store", "subject", "tcf", "gpc", "at", "source"}, {});
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
  auto store = ConsentStore::open(*store_path);
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
    std::fprintf(stderr,
                 "custos consent: usage: custos consent grant|withdraw|object|signal|show ... "
                 "(see `custos help consent`)\n");
    return kExitUsage;
  }
  const std::string verb = raw.front();
  const std::vector<std::string> rest(raw.begin() + 1, raw.end());
  if (verb == "signal") return run_consent_signal(rest);
  const bool show = verb == "show";
  ConsentState state = ConsentState::kGranted;
  if (!show && !parse_consent_state(verb == "grant"      ? "granted"
                                    : verb == "withdraw" ? "withdrawn"
                                    : verb == "object"   ? "objected"
                                                         : "",
                                    &state)) {
    std::fprintf(stderr,
                 "custos consent: unknown action `%s` (grant, withdraw, object, signal, show)\n",
                 verb.c_str());
    return kExitUsage;
  }
  const auto args =
      show ? parse_args(rest, "consent", {"store", "subject"}, {})
           : parse_args(rest, "consent",
                        {"store", "subject", "purpose", "at", "expires", "source", "policy"}, {});
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
    nlohmann::ordered_json out;
    out["subject"] = *subject;
    out["records"] = nlohmann::ordered_json::array();
    for (const auto& r : *history) {
      nlohmann::ordered_json j;
      j["purpose"] = r.purpose;
      j["state"] = consent_state_name(r.state);
      j["at"] = detail::format_rfc3339(r.at);
      if (r.expires) j["expires"] = detail::format_rfc3339(*r.expires);
      j["source"] = r.source;
      out["records"].push_back(j);
    }
    auto signals = (*store)->signal_history(*subject);
    if (!signals.ok()) {
      std::fprintf(stderr, "custos consent: %s\n", signals.status().message().c_str());
      return kExitBadInput;
    }
    out["signals"] = nlohmann::ordered_json::array();
    for (const auto& s : *signals) {
      nlohmann::ordered_json j;
      if (s.kind == SignalKind::kTcf) {
        j["tcf"] = s.tc_string;
      } else {
        j["gpc"] = s.gpc;
      }
      j["at"] = detail::format_rfc3339(s.at);
      j["source"] = s.source;
      out["signals"].push_back(j);
    }
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
