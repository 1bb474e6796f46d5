// Value: one attribute of a request (`subject.age`), or one cell of a
// guarded read, as Custos sees it; and Timestamp, how Custos passes times.
//
//   custos::Value age = custos::Value::of_int(30);
//   custos::Value regions = custos::Value::of_list({custos::Value::of_text("eu")});
//
// Values are typed the way JSON and SQLite type them; the policy language
// never converts between types (a string is never a number or a time).
// Thread-safety: plain value.
#ifndef CUSTOS_VALUE_HPP
#define CUSTOS_VALUE_HPP

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace custos {

// Seconds since 1970-01-01T00:00:00Z. Custos decides at second precision.
using Timestamp = std::int64_t;

struct Value {
  enum class Kind : std::uint8_t {
    kNull,  // absent, JSON null, SQL NULL
    kBool,
    kInt,
    kReal,  // a JSON or SQL number with a fraction
    kText,
    kList,   // of scalars (JSON arrays)
    kOther,  // anything else (a JSON object, a nested list, a BLOB): unusable in conditions
  };

  Kind kind = Kind::kNull;
  bool boolean = false;
  std::int64_t integer = 0;
  double real = 0;
  std::string text;
  std::vector<Value> list;

  static Value null() { return Value(); }
  static Value of_bool(bool b) {
    Value v;
    v.kind = Kind::kBool;
    v.boolean = b;
    return v;
  }
  static Value of_int(std::int64_t i) {
    Value v;
    v.kind = Kind::kInt;
    v.integer = i;
    return v;
  }
  static Value of_real(double d) {
    Value v;
    v.kind = Kind::kReal;
    v.real = d;
    return v;
  }
  static Value of_text(std::string s) {
    Value v;
    v.kind = Kind::kText;
    v.text = std::move(s);
    return v;
  }
  static Value of_list(std::vector<Value> items) {
    Value v;
    v.kind = Kind::kList;
    v.list = std::move(items);
    return v;
  }
  static Value other() {
    Value v;
    v.kind = Kind::kOther;
    return v;
  }

  bool is_null() const { return kind == Kind::kNull; }
  bool operator==(const Value& o) const {
    return kind == o.kind && boolean == o.boolean && integer == o.integer && real == o.real &&
           text == o.text && list == o.list;
  }
  bool operator!=(const Value& o) const { return !(*this == o); }
};

}  // namespace custos

#endif  // CUSTOS_VALUE_HPP
