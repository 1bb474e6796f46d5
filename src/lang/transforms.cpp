#include "lang/transforms.hpp"

#include <string>

namespace custos::lang {

const TransformSpelling* find_transform(std::string_view name) {
  for (const auto& t : kTransformSpellings) {
    if (t.writable && t.name == name) return &t;
  }
  return nullptr;
}

const TransformSpelling& spelling_of(Transform::Kind kind) {
  for (const auto& t : kTransformSpellings) {
    if (t.kind == kind) return t;
  }
  return kTransformSpellings[0];
}

const std::string& transform_list() {
  static const std::string list = [] {
    std::string names[std::size(kTransformSpellings)];
    std::size_t n = 0;
    for (const auto& t : kTransformSpellings) {
      if (t.writable) names[n++] = std::string(t.name) + (t.takes_argument ? "(N)" : "");
    }
    std::string out;
    for (std::size_t i = 0; i < n; ++i) {
      out += i == 0 ? "" : (i + 1 == n ? " and " : ", ");
      out += names[i];
    }
    return out;
  }();
  return list;
}

}  // namespace custos::lang

namespace custos {

std::string Transform::to_string() const {
  const lang::TransformSpelling& t = lang::spelling_of(kind);
  return t.takes_argument ? std::string(t.name) + "(" + std::to_string(argument) + ")"
                          : std::string(t.name);
}

}  // namespace custos
