#include "policy/condition.hpp"

#include <algorithm>

#include "base/time.hpp"

namespace custos::detail {

std::uint32_t AttributeTable::slot_for(const std::string& path, const lang::Symbols& symbols) {
  const auto it = by_path.find(path);
  if (it != by_path.end()) return it->second;
  AttributeSlot slot;
  slot.root = *lang::attribute_root(path);
  slot.name = path.substr(path.find('.') + 1);
  slot.path = path;
  slot.builtin = path == "actor.id" || path == "subject.id";
  if (auto builtin = lang::builtin_attribute(path)) {
    slot.declared = *builtin;
  } else if (const auto declared = symbols.attributes.find(path);
             declared != symbols.attributes.end()) {
    slot.declared = declared->second;
  }
  const auto id = static_cast<std::uint32_t>(slots.size());
  slots.push_back(std::move(slot));
  by_path.emplace(path, id);
  return id;
}

namespace {

// A request value as the machine sees it, ignoring declarations.
RtValue untyped(const Value& value, std::vector<RtValue>& arena) {
  using Tag = RtValue::Tag;
  RtValue v{};
  switch (value.kind) {
    case Value::Kind::kNull:
      v.tag = Tag::kMissing;
      break;
    case Value::Kind::kBool:
      v.tag = Tag::kBool;
      v.number = value.boolean;
      break;
    case Value::Kind::kInt:
      v.tag = Tag::kInt;
      v.number = value.integer;
      break;
    case Value::Kind::kText:
      // Texts above 4 GiB cannot occur: requests are capped far below.
      v = RtValue::string(value.text);
      break;
    case Value::Kind::kList: {
      const std::size_t first = arena.size();
      for (const auto& item : value.list) {
        const RtValue e = untyped(item, arena);
        if (e.tag != Tag::kString && e.tag != Tag::kInt && e.tag != Tag::kBool) {
          arena.resize(first);  // a list of scalars only
          v.tag = Tag::kBad;
          return v;
        }
        arena.push_back(e);
      }
      v.tag = Tag::kList;
      v.count = static_cast<std::uint32_t>(value.list.size());
      v.items = arena.data() + first;  // the caller reserved: no reallocation
      break;
    }
    case Value::Kind::kReal:
    case Value::Kind::kOther:
      v.tag = Tag::kBad;
      break;
  }
  return v;
}

}  // namespace

RtValue to_runtime(const Value& value, const std::optional<lang::Type>& declared,
                   std::vector<RtValue>& arena) {
  using Tag = RtValue::Tag;
  if (value.kind == Value::Kind::kNull) return RtValue{};
  if (!declared) return untyped(value, arena);
  // A declared attribute must arrive with its declared JSON type; anything
  // else is unusable (a condition error where it is used).
  RtValue bad{};
  bad.tag = Tag::kBad;
  if (declared->list) {
    if (value.kind != Value::Kind::kList) return bad;
    for (const auto& item : value.list) {
      if (item.kind != Value::Kind::kText) return bad;
    }
    return untyped(value, arena);
  }
  switch (declared->base) {
    case lang::BaseType::kString:
      return value.kind == Value::Kind::kText ? untyped(value, arena) : bad;
    case lang::BaseType::kInt:
      return value.kind == Value::Kind::kInt ? untyped(value, arena) : bad;
    case lang::BaseType::kBool:
      return value.kind == Value::Kind::kBool ? untyped(value, arena) : bad;
    case lang::BaseType::kTime: {
      if (value.kind != Value::Kind::kText) return bad;
      const auto t = parse_rfc3339(value.text);
      if (!t) return bad;
      RtValue v{};
      v.tag = Tag::kTime;
      v.number = *t;
      return v;
    }
    default:
      return untyped(value, arena);
  }
}

namespace {

class Compiler {
 public:
  Compiler(ConditionProgram& program, AttributeTable& attributes, const lang::Symbols& symbols)
      : program_(program), attributes_(attributes), symbols_(symbols) {}

  void compile(const lang::Expr& e) {
    // Fold lists of literals into one constant.
    if (e.kind == lang::ExprKind::kList && is_constant_list(e)) {
      emit(OpCode::kLoadConst, constant_list(e), +1);
      return;
    }
    switch (e.kind) {
      case lang::ExprKind::kAttribute:
        if (e.text == "context.time") {
          emit(OpCode::kLoadNow, 0, +1);  // the same value as `now`
        } else {
          emit(OpCode::kLoadAttr, attributes_.slot_for(e.text, symbols_), +1);
        }
        break;
      case lang::ExprKind::kNow:
        emit(OpCode::kLoadNow, 0, +1);
        break;
      case lang::ExprKind::kTime:
      case lang::ExprKind::kString:
      case lang::ExprKind::kInteger:
      case lang::ExprKind::kBool:
      case lang::ExprKind::kDuration:
        emit(OpCode::kLoadConst, constant(e), +1);
        break;
      case lang::ExprKind::kList:
        for (const auto& c : e.children) compile(*c);
        program_.made_list_items += static_cast<std::uint32_t>(e.children.size());
        emit(OpCode::kMakeList, static_cast<std::uint32_t>(e.children.size()),
             1 - static_cast<int>(e.children.size()));
        break;
      case lang::ExprKind::kCompare:
        compile(*e.children[0]);
        compile(*e.children[1]);
        emit(OpCode::kCompare, static_cast<std::uint32_t>(e.op), -1);
        break;
      case lang::ExprKind::kIn:
        compile(*e.children[0]);
        compile(*e.children[1]);
        emit(OpCode::kIn, 0, -1);
        break;
      case lang::ExprKind::kAdd:
      case lang::ExprKind::kSubtract:
        compile(*e.children[0]);
        compile(*e.children[1]);
        emit(e.kind == lang::ExprKind::kAdd ? OpCode::kAdd : OpCode::kSubtract, 0, -1);
        break;
      case lang::ExprKind::kNot:
        compile(*e.children[0]);
        emit(OpCode::kNot, 0, 0);
        break;
      case lang::ExprKind::kAnd:
      case lang::ExprKind::kOr: {
        const OpCode jump =
            e.kind == lang::ExprKind::kAnd ? OpCode::kJumpIfFalse : OpCode::kJumpIfTrue;
        std::vector<std::size_t> patches;
        for (std::size_t i = 0; i < e.children.size(); ++i) {
          compile(*e.children[i]);
          if (i + 1 < e.children.size()) {
            patches.push_back(program_.code.size());
            emit(jump, 0, -1);  // pops when it does not jump
          }
        }
        emit(OpCode::kRequireBool, 0, 0);
        for (std::size_t at : patches) {
          program_.code[at].arg = static_cast<std::uint32_t>(program_.code.size());
        }
        break;
      }
    }
  }

  void finish() {
    // Give string constants and constant lists their final addresses, now
    // that no pool grows any more.
    // (Until then a string's `number` is its index in `strings`, a list's
    // its offset in `list_items`.)
    for (auto& c : program_.constants) {
      if (c.tag == RtValue::Tag::kString) c = RtValue::string(program_.strings[c.number]);
      if (c.tag == RtValue::Tag::kList) c.items = program_.list_items.data() + c.number;
    }
    for (auto& item : program_.list_items) {
      if (item.tag == RtValue::Tag::kString) item = RtValue::string(program_.strings[item.number]);
    }
  }

 private:
  void emit(OpCode op, std::uint32_t arg, int stack_effect) {
    program_.code.push_back({op, arg});
    depth_ += stack_effect;
    program_.max_stack =
        std::max<std::uint32_t>(program_.max_stack, static_cast<std::uint32_t>(depth_));
  }

  static bool is_constant_list(const lang::Expr& e) {
    return std::all_of(e.children.begin(), e.children.end(), [](const auto& c) {
      switch (c->kind) {
        case lang::ExprKind::kString:
        case lang::ExprKind::kInteger:
        case lang::ExprKind::kBool:
        case lang::ExprKind::kTime:
        case lang::ExprKind::kDuration:
          return true;
        default:
          return false;
      }
    });
  }

  // A literal as a value; strings keep their pool index in `number` until
  // finish().
  RtValue literal(const lang::Expr& e) {
    RtValue v{};
    switch (e.kind) {
      case lang::ExprKind::kString:
        v.tag = RtValue::Tag::kString;
        v.number = static_cast<std::int64_t>(program_.strings.size());
        program_.strings.push_back(e.text);
        break;
      case lang::ExprKind::kInteger:
        v.tag = RtValue::Tag::kInt;
        v.number = e.number;
        break;
      case lang::ExprKind::kBool:
        v.tag = RtValue::Tag::kBool;
        v.number = e.number;
        break;
      case lang::ExprKind::kTime:
        v.tag = RtValue::Tag::kTime;
        v.number = e.number;
        break;
      case lang::ExprKind::kDuration:
        v.tag = RtValue::Tag::kDuration;
        v.number = e.duration.seconds();
        break;
      default:
        break;
    }
    return v;
  }

  std::uint32_t constant(const lang::Expr& e) {
    program_.constants.push_back(literal(e));
    return static_cast<std::uint32_t>(program_.constants.size() - 1);
  }

  std::uint32_t constant_list(const lang::Expr& e) {
    RtValue list{};
    list.tag = RtValue::Tag::kList;
    list.number = static_cast<std::int64_t>(program_.list_items.size());  // offset until finish()
    list.count = static_cast<std::uint32_t>(e.children.size());
    for (const auto& c : e.children) program_.list_items.push_back(literal(*c));
    program_.constants.push_back(list);
    return static_cast<std::uint32_t>(program_.constants.size() - 1);
  }

  ConditionProgram& program_;
  AttributeTable& attributes_;
  const lang::Symbols& symbols_;
  int depth_ = 0;
};

}  // namespace

ConditionProgram compile_condition(const lang::Expr& expr, AttributeTable& attributes,
                                   const lang::Symbols& symbols) {
  ConditionProgram program;
  Compiler compiler(program, attributes, symbols);
  compiler.compile(expr);
  compiler.finish();
  return program;
}

std::string describe_error(const EvalError& error, const AttributeTable& attributes) {
  std::string out = error.what;
  if (error.slot >= 0 && static_cast<std::size_t>(error.slot) < attributes.slots.size()) {
    out += " `" + attributes.slots[static_cast<std::size_t>(error.slot)].path + "`";
  }
  return out;
}

}  // namespace custos::detail
