// Transform: the form in which an allowed category may be used (plain,
// hash, mask, truncate(N), year, round(N)), as a policy writes it and a
// decision reports it.
//
//   custos::Transform t{custos::Transform::Kind::kTruncate, 3};
//   t.to_string();                       // "truncate(3)"
//   custos::Value v = engine.apply(t, custos::Value::of_text("Berlin"));  // "Ber"
//
// The policy language and the engine share this one enum; policy-lang/
// REFERENCE.md, "Transforms", says what each kind does.
// Thread-safety: plain value.
#ifndef CUSTOS_TRANSFORM_HPP
#define CUSTOS_TRANSFORM_HPP

#include <cstdint>
#include <string>

#include "custos/export.hpp"

namespace custos {

struct CUSTOS_EXPORT Transform {
  enum class Kind : std::uint8_t { kPlain, kHash, kMask, kTruncate, kYear, kRound };
  Kind kind = Kind::kPlain;
  std::int64_t argument = 0;  // N of truncate(N) and round(N)

  // As written in a policy: "plain", "hash", "truncate(3)".
  std::string to_string() const;
  bool operator==(const Transform& o) const { return kind == o.kind && argument == o.argument; }
  bool operator!=(const Transform& o) const { return !(*this == o); }
};

}  // namespace custos

#endif  // CUSTOS_TRANSFORM_HPP
