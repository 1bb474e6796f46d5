// Reads the tables and columns of a SQLite database for `custos check --db`.
#pragma once

#include <string>

#include "custos/status.hpp"
#include "lang/checker.hpp"

namespace custos::cli {

// Opens the file read-only; never creates or changes it.
Result<lang::Schema> load_schema(const std::string& path);

}  // namespace custos::cli
