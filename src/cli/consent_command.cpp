// custos consent: record and show consent in a consent store.
#include <cstdio>

#include <nlohmann/json.hpp>

#include "base/time.hpp"
#include "cli/cli_util.hpp"
#include "cli/commands.hpp"
#include "custos/consent.hpp"

namespace custos::cli {

int run_consent(const std::vector<std::string>& raw) {
  if (raw.empty()) {
    std::fprintf(stderr,
                 "custos consent: usage: custos consent grant|withdraw|object|show ... "
                 "(see `custos help consent`)\n");
    return kExitUsage;
  }
  const std::string verb = raw.front();
  const std::vector<std::string> rest(raw.begin() + 1, raw.end());
  const bool show = verb == "show";
  ConsentState state = ConsentState::kGranted;
  if (!show && !parse_consent_state(verb == "grant"      ? "granted"
                                    : verb == "withdraw" ? "withdrawn"
                                    : verb == "object"   ? "objected"
                                                         : "",
                                    &state)) {
    std::fprintf(stderr, "custos consent: unknown action `%s` (grant, withdraw, object, show)\n",
                 verb.c_str());
    return kExitUsage;
  }
  const auto args =
      show ? parse_args(rest, "consent", {"store", "subject"}, {})
           : parse_args(rest, "consent", {"store", "subject", "purpose", "at", "expires", "source"},
                        {});
  if (!args) return kExitUsage;
  const auto store_path = args->option("store");
  const auto subject = args->option("subject");
  if (!store_path || !subject || !args->positional.empty() || (!show && !args->has("purpose"))) {
    std::fprintf(stderr,
                 show ? "custos consent: usage: custos consent show --store FILE --subject ID\n"
                      : "custos consent: usage: custos consent %s --store FILE --subject ID "
                        "--purpose P [--at TIME] [--expires TIME] [--source TEXT]\n",
                 verb.c_str());
    return kExitUsage;
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
