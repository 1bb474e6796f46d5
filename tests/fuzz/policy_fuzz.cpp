// Fuzz target for the policy front end. Beyond "no crash, no hang, no
// sanitizer report", it checks two properties on every input that parses:
// the canonical form parses too, and formatting it again changes nothing.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

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

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  (void)custos::lang::analyze("fuzz.custos", text);
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
