// The spelling of every transform, in one table: the parser reads it, its
// hints list it, and the formatter and decisions print it.
#pragma once

#include <string_view>

#include "custos/transform.hpp"

namespace custos::lang {

struct TransformSpelling {
  Transform::Kind kind;
  std::string_view name;  // "truncate"
  bool takes_argument;    // written `name(N)`, N >= 1
  bool writable;          // may follow `as` in a policy (`plain` is only printed)
};

inline constexpr TransformSpelling kTransformSpellings[] = {
    {Transform::Kind::kPlain, "plain", false, false},
    {Transform::Kind::kHash, "hash", false, true},
    {Transform::Kind::kMask, "mask", false, true},
    {Transform::Kind::kTruncate, "truncate", true, true},
    {Transform::Kind::kYear, "year", false, true},
    {Transform::Kind::kRound, "round", true, true},
};

// The transform written `name` after `as`, or null.
const TransformSpelling* find_transform(std::string_view name);
const TransformSpelling& spelling_of(Transform::Kind kind);
// "hash, mask, truncate(N), year and round(N)": for hints.
const std::string& transform_list();

}  // namespace custos::lang
