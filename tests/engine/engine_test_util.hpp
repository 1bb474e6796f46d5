// Helpers for engine tests: compile a policy from text, build requests.
#pragma once

#include <string>

#include "base/file.hpp"
#include "catch.hpp"
#include "custos/engine.hpp"
#include "custos/limits.hpp"

namespace custos::test {

inline std::shared_ptr<const Policy> compile_or_fail(const std::string& text,
                                                     const std::string& name = "t.custos") {
  std::vector<Diagnostic> diagnostics;
  auto policy = Policy::compile(text, name, &diagnostics);
  if (!policy.ok()) {
    for (const auto& d : diagnostics) UNSCOPED_INFO(d.to_string());
    FAIL("policy does not compile: " << policy.status().message());
  }
  return *policy;
}

inline std::string read_source_file(const std::string& relative) {
  auto text =
      detail::read_file(std::string(CUSTOS_SOURCE_DIR) + "/" + relative, limits::kMaxPolicyBytes);
  REQUIRE(text.ok());
  return std::move(*text);
}

}  // namespace custos::test
