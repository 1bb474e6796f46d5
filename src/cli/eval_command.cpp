// custos eval: decide one request and print the decision JSON.
#include <cstdio>

#include "base/file.hpp"
#include "cli/cli_util.hpp"
#include "cli/commands.hpp"
#include "cli/explain_text.hpp"
#include "custos/consent.hpp"
#include "custos/engine.hpp"
#include "custos/limits.hpp"

namespace custos::cli {

int run_eval(const std::vector<std::string>& raw) {
  // `--explain` (JSON) is a switch; `--explain=text` gives it a value.
  const auto args = parse_args(
      raw, "eval", {"consent-store", "consent-key", "key-file", "explain", "audit", "audit-key"},
      {"explain"});
  if (!args) return kExitUsage;
  const std::string explain_format = args->option("explain").value_or("json");
  if (args->positional.size() != 2 || (explain_format != "json" && explain_format != "text")) {
    std::fprintf(stderr,
                 "custos eval: usage: custos eval POLICY REQUEST.json [--consent-store FILE] "
                 "[--explain] [--key-file FILE] [--audit FILE [--audit-key FILE]]\n");
    return kExitUsage;
  }
  auto policy = load_policy_or_report(args->positional[0]);
  if (!policy) return kExitBadInput;

  // Both ways stop reading one byte past the request limit.
  auto text = args->positional[1] == "-"
                  ? detail::read_stream(stdin, "standard input", limits::kMaxRequestBytes)
                  : detail::read_file(args->positional[1], limits::kMaxRequestBytes);
  if (!text.ok()) {
    std::fprintf(stderr, "custos eval: %s\n", text.status().message().c_str());
    return kExitBadInput;
  }
  const std::string request_text = std::move(*text);

  // A policy author's tool: requests date themselves and may carry consent.
  EngineOptions options;
  options.trust_request_time = true;
  options.trust_request_consent = true;
  std::unique_ptr<ConsentStore> store;
  if (!open_consent_or_report(*args, "eval", store)) return kExitBadInput;
  options.consent_store = store.get();
  if (const auto key = args->option("key-file")) {
    auto loaded = load_pseudonym_key(*key);
    if (!loaded.ok()) {
      std::fprintf(stderr, "custos eval: %s\n", loaded.status().message().c_str());
      return kExitBadInput;
    }
    options.pseudonym_key = std::move(*loaded);
  }
  std::unique_ptr<AuditLog> audit;
  if (!open_audit_or_report(*args, "eval", audit)) return kExitBadInput;
  options.audit = audit.get();
  Engine engine(policy, std::move(options));
  const Request request = Request::from_json(request_text);
  const bool explain = args->has("explain");
  // The logged decision is check()'s; an explanation only adds detail to it.
  Decision decision = engine.check(request);
  if (explain && decision.items.empty() == false &&
      decision.items.front().reason != Reason::kNotRecorded) {
    decision = engine.explain(request);
  }
  if (explain && explain_format == "text") {
    std::fputs(explanation_text(decision).c_str(), stdout);
  } else {
    std::printf("%s\n", decision.to_json(explain).c_str());
  }
  if (!request.malformed.empty()) {
    std::fprintf(stderr, "custos eval: malformed request: %s\n", request.malformed.c_str());
    return kExitBadInput;
  }
  return kExitOk;
}

}  // namespace custos::cli
