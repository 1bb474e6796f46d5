// Helpers for the language tests: run the front end on a string and read its
// diagnostics as compact "ID LINE:COL" strings that tests compare exactly.
#pragma once

#include <string>
#include <vector>

#include "lang/checker.hpp"

namespace custos::test {

inline lang::Analysis analyze_text(const std::string& text) {
  return lang::analyze("t.custos", text);
}

inline std::vector<std::string> diagnostic_codes(const lang::Analysis& a) {
  std::vector<std::string> out;
  for (const auto& d : a.diagnostics) {
    out.push_back(d.id + " " + std::to_string(d.line) + ":" + std::to_string(d.column));
  }
  return out;
}

inline std::vector<std::string> codes_of(const std::string& text) {
  return diagnostic_codes(analyze_text(text));
}

// A valid start for test policies: one of each declaration, all retained.
inline const char* kPrelude =
    "policy \"t\" version 1\n"                                   // 1
    "category contact.email, contact.phone, health sensitive\n"  // 2
    "purpose support basis contract\n"                           // 3
    "purpose marketing basis legitimate_interest\n"              // 4
    "role agent\n"                                               // 5
    "retain * for 1y\n";                                         // 6

}  // namespace custos::test
