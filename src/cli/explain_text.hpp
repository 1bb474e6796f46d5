// `custos eval --explain=text`: a decision and its explanation as indented
// text for people, one item per block, each leaf's candidate rules and its
// consent and retention findings below it.
#pragma once

#include <string>

#include "custos/decision.hpp"

namespace custos::cli {

std::string explanation_text(const Decision& decision);

}  // namespace custos::cli
