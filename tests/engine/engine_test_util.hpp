// Helpers for engine tests: compile a policy from text, build requests.
#pragma once

#include <fstream>
#include <iterator>
#include <string>

#include "catch.hpp"
#include "custos/engine.hpp"

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
  std::ifstream in(std::string(CUSTOS_SOURCE_DIR) + "/" + relative, std::ios::binary);
  REQUIRE(in);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

}  // namespace custos::test
