// The stack machine of condition.hpp (a template, so each attribute source
// gets an inlined loop). Included by condition.hpp only.
#pragma once

#include <limits>

namespace custos::detail {
namespace vm {

inline bool same_scalar(const RtValue& a, const RtValue& b, bool* ok) {
  if (a.tag != b.tag || a.tag == RtValue::Tag::kList) {
    *ok = false;
    return false;
  }
  return a.tag == RtValue::Tag::kString ? a.text() == b.text() : a.number == b.number;
}

// a == b with the language's typing: one type on both sides, lists element
// by element. Sets *ok = false on a type mismatch.
inline bool equal(const RtValue& a, const RtValue& b, bool* ok) {
  if (a.tag == RtValue::Tag::kList && b.tag == RtValue::Tag::kList) {
    if (a.count != b.count) return false;
    for (std::uint32_t i = 0; i < a.count; ++i) {
      if (!same_scalar(a.items[i], b.items[i], ok)) return false;
    }
    return true;
  }
  return same_scalar(a, b, ok);
}

inline bool orderable(const RtValue& v) {
  return v.tag == RtValue::Tag::kInt || v.tag == RtValue::Tag::kTime ||
         v.tag == RtValue::Tag::kDuration;
}

}  // namespace vm

template <typename Source>
EvalResult evaluate(const ConditionProgram& program, Source& source, Timestamp now,
                    std::vector<RtValue>& scratch, EvalError* error) {
  using Tag = RtValue::Tag;
  // The deepest stack a condition can need is bounded by the parser's depth
  // limit; programs record their own need.
  constexpr std::uint32_t kStack = 512;
  RtValue stack[kStack];
  if (program.max_stack > kStack) {
    error->what = "condition too deep to evaluate";
    return EvalResult::kError;
  }
  if (program.made_list_items > 0) {
    scratch.clear();
    scratch.reserve(program.made_list_items);  // no reallocation below
  }
  std::uint32_t sp = 0;
  const auto fail = [&](const char* what, std::int32_t slot = -1) {
    error->what = what;
    error->slot = slot;
    return EvalResult::kError;
  };
  const Instruction* code = program.code.data();
  const std::uint32_t size = static_cast<std::uint32_t>(program.code.size());
  for (std::uint32_t pc = 0; pc < size; ++pc) {
    const Instruction in = code[pc];
    switch (in.op) {
      case OpCode::kLoadAttr: {
        const RtValue& v = source.load(in.arg);
        if (v.tag == Tag::kMissing)
          return fail("missing attribute", static_cast<std::int32_t>(in.arg));
        if (v.tag == Tag::kBad) {
          return fail("attribute has a value of the wrong type", static_cast<std::int32_t>(in.arg));
        }
        stack[sp++] = v;
        break;
      }
      case OpCode::kLoadConst:
        stack[sp++] = program.constants[in.arg];
        break;
      case OpCode::kLoadNow: {
        RtValue v{};
        v.tag = Tag::kTime;
        v.number = now;
        stack[sp++] = v;
        break;
      }
      case OpCode::kCompare: {
        const RtValue b = stack[--sp];
        const RtValue a = stack[--sp];
        bool result = false;
        const auto op = static_cast<lang::CompareOp>(in.arg);
        if (op == lang::CompareOp::kEq || op == lang::CompareOp::kNe) {
          bool ok = true;
          result = vm::equal(a, b, &ok);
          if (!ok) return fail("compared values of different types");
          if (op == lang::CompareOp::kNe) result = !result;
        } else {
          if (!vm::orderable(a) || a.tag != b.tag) {
            return fail("ordered values that are not two ints, times or durations");
          }
          switch (op) {
            case lang::CompareOp::kLt:
              result = a.number < b.number;
              break;
            case lang::CompareOp::kLe:
              result = a.number <= b.number;
              break;
            case lang::CompareOp::kGt:
              result = a.number > b.number;
              break;
            default:
              result = a.number >= b.number;
              break;
          }
        }
        RtValue r{};
        r.tag = Tag::kBool;
        r.number = result;
        stack[sp++] = r;
        break;
      }
      case OpCode::kIn: {
        const RtValue list = stack[--sp];
        const RtValue x = stack[--sp];
        if (list.tag != Tag::kList) return fail("`in` on a value that is not a list");
        if (x.tag == Tag::kList) return fail("`in` with a list on its left");
        bool found = false;
        for (std::uint32_t i = 0; i < list.count && !found; ++i) {
          bool ok = true;
          found = vm::same_scalar(x, list.items[i], &ok);
          if (!ok) return fail("`in` compared values of different types");
        }
        RtValue r{};
        r.tag = Tag::kBool;
        r.number = found;
        stack[sp++] = r;
        break;
      }
      case OpCode::kAdd:
      case OpCode::kSubtract: {
        const RtValue d = stack[--sp];
        RtValue t = stack[--sp];
        if (t.tag != Tag::kTime || d.tag != Tag::kDuration) {
          return fail("time arithmetic needs a time and a duration");
        }
        std::int64_t out;
        const bool overflow = in.op == OpCode::kAdd
                                  ? __builtin_add_overflow(t.number, d.number, &out)
                                  : __builtin_sub_overflow(t.number, d.number, &out);
        if (overflow) return fail("time arithmetic overflowed");
        t.number = out;
        stack[sp++] = t;
        break;
      }
      case OpCode::kNot: {
        RtValue& v = stack[sp - 1];
        if (v.tag != Tag::kBool) return fail("`not` of a value that is not true or false");
        v.number = !v.number;
        break;
      }
      case OpCode::kMakeList: {
        const std::uint32_t n = in.arg;
        const std::size_t first = scratch.size();
        for (std::uint32_t i = 0; i < n; ++i) {
          const RtValue& e = stack[sp - n + i];
          if (e.tag == Tag::kList) return fail("a list inside a list");
          scratch.push_back(e);
        }
        sp -= n;
        RtValue list{};
        list.tag = Tag::kList;
        list.count = n;
        list.items = scratch.data() + first;
        stack[sp++] = list;
        break;
      }
      case OpCode::kJumpIfFalse:
      case OpCode::kJumpIfTrue: {
        const RtValue& v = stack[sp - 1];
        if (v.tag != Tag::kBool) return fail("`and`/`or` of a value that is not true or false");
        const bool stop = in.op == OpCode::kJumpIfTrue ? v.number != 0 : v.number == 0;
        if (stop) {
          pc = in.arg - 1;  // the loop's ++pc lands on arg
        } else {
          --sp;
        }
        break;
      }
      case OpCode::kRequireBool:
        if (stack[sp - 1].tag != Tag::kBool) {
          return fail("`and`/`or` of a value that is not true or false");
        }
        break;
    }
  }
  if (sp != 1 || stack[0].tag != Tag::kBool) return fail("condition is not true or false");
  return stack[0].number ? EvalResult::kTrue : EvalResult::kFalse;
}

}  // namespace custos::detail
