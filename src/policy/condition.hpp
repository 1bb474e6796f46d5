// Conditions compiled to bytecode for a small stack machine, and that
// machine. A `when` expression is compiled once, with its attribute paths
// turned into slot numbers and its literals into constants; evaluating it
// touches no strings except the values it compares and allocates nothing.
//
// Semantics (policy-lang/REFERENCE.md, "Conditions"): types never coerce;
// `and`/`or` short-circuit left to right; a missing attribute, a value of the
// wrong type or an overflow raises an error, which ends the evaluation.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "custos/value.hpp"
#include "lang/ast.hpp"
#include "lang/checker.hpp"

namespace custos::detail {

// A value at evaluation time: 16 bytes, so a prepared request keeps its
// attribute values inline. Strings and lists point into the request or the
// program, which outlive the evaluation. No member initializers, so the
// machine's stack costs nothing to set up: write `RtValue v{}` for a zeroed
// (missing) value.
struct RtValue {
  enum class Tag : std::uint8_t { kMissing, kBad, kString, kInt, kBool, kTime, kDuration, kList };
  Tag tag;
  std::uint32_t count;  // kString: bytes; kList: elements
  union {
    std::int64_t number;   // kInt, kBool (0/1), kTime, kDuration (seconds)
    const char* chars;     // kString
    const RtValue* items;  // kList
  };

  std::string_view text() const { return {chars, count}; }
  static RtValue string(std::string_view s) {
    RtValue v{};
    v.tag = Tag::kString;
    v.chars = s.data();
    v.count = static_cast<std::uint32_t>(s.size());
    return v;
  }
};

// An attribute path a policy reads (`actor.region`), with its declared type.
struct AttributeSlot {
  lang::AttributeRoot root = lang::AttributeRoot::kActor;
  std::string name;  // `region`; `id` for the built-ins actor.id / subject.id
  std::string path;  // `actor.region`
  std::optional<lang::Type> declared;
  bool builtin = false;  // actor.id, subject.id
};

struct AttributeTable {
  std::vector<AttributeSlot> slots;
  std::unordered_map<std::string, std::uint32_t> by_path;
  // Returns the slot of a path, adding it when new.
  std::uint32_t slot_for(const std::string& path, const lang::Symbols& symbols);
};

// Converts a request value to its evaluation form. `declared`: the
// attribute's declared type, if any (a declared time reads RFC 3339 text).
// List elements are appended to `arena`, which must not reallocate while
// the result is in use.
RtValue to_runtime(const Value& value, const std::optional<lang::Type>& declared,
                   std::vector<RtValue>& arena);

enum class OpCode : std::uint8_t {
  kLoadAttr,     // push slot `arg`; error when missing or unusable
  kLoadConst,    // push constants[arg]
  kLoadNow,      // push now
  kCompare,      // pop b, a; push a OP b (arg = lang::CompareOp)
  kIn,           // pop list, x; push x in list
  kAdd,          // pop duration, time; push time + duration
  kSubtract,     // pop duration, time; push time - duration
  kNot,          // pop bool; push !bool
  kMakeList,     // pop `arg` values; push a list of them
  kJumpIfFalse,  // top is false: jump to arg, keep it; true: pop; else error
  kJumpIfTrue,   // top is true: jump to arg, keep it; false: pop; else error
  kRequireBool,  // top must be a bool
};

struct Instruction {
  OpCode op;
  std::uint32_t arg;
};

struct ConditionProgram {
  std::vector<Instruction> code;
  std::vector<RtValue> constants;
  std::vector<std::string> strings;  // owned text of string constants
  std::vector<RtValue> list_items;   // elements of constant lists
  std::uint32_t max_stack = 0;
  std::uint32_t made_list_items = 0;  // elements kMakeList may create in one run
};

// Compiles a checked expression. Attribute paths get slots in `attributes`.
ConditionProgram compile_condition(const lang::Expr& expr, AttributeTable& attributes,
                                   const lang::Symbols& symbols);

enum class EvalResult : std::uint8_t { kFalse, kTrue, kError };

// Why an evaluation failed, for explanations.
struct EvalError {
  const char* what = "";
  std::int32_t slot = -1;  // the attribute involved, if any
};

// Where the machine reads attribute slots from. Implementations:
// `const RtValue& load(std::uint32_t slot)`.
template <typename Source>
EvalResult evaluate(const ConditionProgram& program, Source& source, Timestamp now,
                    std::vector<RtValue>& scratch, EvalError* error);

// Human-readable description of an evaluation error.
std::string describe_error(const EvalError& error, const AttributeTable& attributes);

}  // namespace custos::detail

#include "policy/condition_vm.inl"
