// Fuzz target for the policy front end and compiler. Beyond "no crash, no
// hang, no sanitizer report", it checks two properties on every input that
// parses: the canonical form parses too, and formatting it again changes
// nothing. A policy that checks is also compiled and asked one request
// built from its own names, with an explanation.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "custos/engine.hpp"
#include "lang/checker.hpp"
#include "lang/formatter.hpp"

namespace {

std::string format_or_die(const std::string& text, bool must_parse) {
  using namespace custos::lang;
  SourceFile file("fuzz.custos", text);
  DiagnosticSink sink(file);
  const auto parsed = parse(file, sink);
  if (sink.has_errors()) {
    if (!must_parse) return {};
    std::fprintf(stderr, "canonical form does not parse:\n%s\n", text.c_str());
    for (const auto& d : sink.take()) std::fputs(d.to_string().c_str(), stderr);
    std::abort();
  }
  return format_policy(file, parsed);
}

}  // namespace

// Compiles a valid policy and decides a request naming its first role,
// purpose and categories.
static void decide_once(const custos::lang::CheckedPolicy& checked, const std::string& text) {
  auto policy = custos::Policy::compile(text, "fuzz.custos");
  if (!policy.ok()) {
    // Only the index size limit, or one of the policy's own assertions
    // (checked against the compiled rules), may refuse a policy that checked.
    const bool assertion_failed =
        !checked.assertions.empty() && policy.status().code() == custos::StatusCode::kPolicyError &&
        policy.status().message().find("assertion fails") != std::string::npos;
    if (policy.status().code() != custos::StatusCode::kLimitExceeded && !assertion_failed) {
      std::fprintf(stderr, "a checked policy failed to compile: %s\n",
                   policy.status().message().c_str());
      std::abort();
    }
    return;
  }
  const auto& symbols = checked.symbols;
  custos::Request request;
  request.action = "read";
  if (!symbols.roles.empty()) request.actor.roles = {symbols.roles.front().name};
  if (!symbols.purposes.empty()) request.purpose = symbols.purposes.back().name;
  for (std::size_t i = 0; i < symbols.categories.size() && i < 3; ++i) {
    request.categories.push_back(symbols.categories[i].name);
  }
  if (request.categories.empty()) request.categories = {"none"};
  request.subject = custos::Request::Subject{"s-1", {}, std::vector<custos::ConsentRecord>{}};
  request.time = 1795867200;
  const custos::Engine engine(*policy);
  const custos::Decision d = engine.explain(request);
  if (d.items.size() != request.categories.size()) std::abort();
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const auto analysis = custos::lang::analyze("fuzz.custos", text);
  if (analysis.policy) decide_once(*analysis.policy, text);
  const std::string once = format_or_die(text, false);
  if (once.empty()) return 0;
  const std::string twice = format_or_die(once, true);
  if (twice != once) {
    std::fprintf(stderr, "formatting is not idempotent:\n--- once\n%s--- twice\n%s", once.c_str(),
                 twice.c_str());
    std::abort();
  }
  return 0;
}
