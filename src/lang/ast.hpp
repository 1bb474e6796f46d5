// The syntax tree of a policy (LANGUAGE.md sections 2-7), as the parser
// builds it: statements in source order, each with its place, names as
// written. The checker resolves names; the formatter prints it back.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "custos/transform.hpp"
#include "lang/source.hpp"
#include "lang/token.hpp"

namespace custos::lang {

struct Name {
  std::string text;  // `contact.email`; for a quoted SQL name, its value
  Span span;
  bool quoted = false;  // written as a string (table and column names only)
};

// `*` or a `,`-separated list of names.
struct NameList {
  bool star = false;
  std::vector<Name> names;
  Span span;
};

enum class Basis : std::uint8_t {
  kNone,
  kConsent,
  kLegitimateInterest,
  kContract,
  kLegalObligation,
  kVitalInterest,
  kPublicTask,
};

enum class Effect : std::uint8_t { kAllow, kDeny };

// The one encoding of actions, from the parser to the compiled rules: a set
// of bits, so `use` is `read | share` and a rule covers a request's action
// when they share a bit.
enum class Action : std::uint8_t { kRead = 1, kShare = 2, kUse = 3 };
inline bool covers(Action rule, Action request) {
  return (static_cast<std::uint8_t>(rule) & static_cast<std::uint8_t>(request)) != 0;
}

// `as hash`, `as truncate(3)`: the public Transform and where it was written.
struct TransformNode {
  Transform value;
  Span span;
};

struct Duration {
  std::int64_t count = 0;
  DurationUnit unit = DurationUnit::kSeconds;
  Span span;
  std::int64_t seconds() const { return count * unit_seconds(unit); }
};

// ---- Conditions (section 4) ----

enum class ExprKind : std::uint8_t {
  kAttribute,  // actor.x / subject.x / context.x (text = path)
  kNow,
  kTime,      // time("...") (number = unix seconds, text = as written)
  kString,    // text = value
  kInteger,   // number
  kBool,      // number = 0 / 1
  kDuration,  // duration
  kList,      // children = elements
  kCompare,   // children = {lhs, rhs}, op
  kIn,        // children = {element, list}
  kAdd,       // children = {time, duration}
  kSubtract,
  kNot,  // children = {operand}
  kAnd,  // children = operands (two or more, flattened)
  kOr,
};

enum class CompareOp : std::uint8_t { kEq, kNe, kLt, kLe, kGt, kGe };

// Static types of condition terms. kUnknown: an attribute of a root with no
// declarations, checked when the request arrives.
enum class BaseType : std::uint8_t { kUnknown, kString, kInt, kBool, kTime, kDuration };

struct Type {
  BaseType base = BaseType::kUnknown;
  bool list = false;
  bool operator==(const Type& o) const { return base == o.base && list == o.list; }
  bool operator!=(const Type& o) const { return !(*this == o); }
  // Known when anything about it is: `[]` is known to be a list.
  bool known() const { return base != BaseType::kUnknown || list; }
};

// Whether values of two static types may meet in `==`, `!=` or `in`: equal
// types, or one of them (or a list's element) unknown until run time.
inline bool compatible(const Type& a, const Type& b) {
  if (!a.known() || !b.known()) return true;
  if (a.list != b.list) return false;
  return a.base == BaseType::kUnknown || b.base == BaseType::kUnknown || a.base == b.base;
}

struct Expr {
  ExprKind kind = ExprKind::kBool;
  CompareOp op = CompareOp::kEq;
  bool parenthesized = false;  // written in ( ); kept by the formatter
  Span span;
  std::string text;
  std::int64_t number = 0;
  Duration duration;
  std::vector<std::unique_ptr<Expr>> children;
  Type type;  // set by the checker
};

// ---- Statements ----

struct PolicyHeader {
  std::string name;
  Span name_span;
  std::int64_t version = 0;
  Span version_span;
};

struct CategoryDecl {
  std::vector<Name> names;
  bool sensitive = false;
};

// One TCF purpose number of a `tcf` list, as written (the checker wants 1 to 11).
struct TcfPurpose {
  std::int64_t id = 0;
  Span span;
};

struct PurposeDecl {
  std::vector<Name> names;
  std::optional<Name> basis;  // as written; the checker maps it to Basis
  // `tcf 3, 4`: the TCF purposes a TC string must grant (the word's span in
  // tcf_span; tcf_purposes empty when there is no `tcf`).
  std::optional<Span> tcf_span;
  std::vector<TcfPurpose> tcf_purposes;
  std::optional<Span> gpc_span;  // `gpc`: a GPC signal objects to it
};

// `signals tcf vendor 755` or `signals tcf publisher`: whose choices in a TC
// string decide this policy's purposes.
struct SignalsDecl {
  bool publisher = false;
  std::int64_t vendor = 0;  // when !publisher, as written (the checker wants 1 to 65535)
  Span target_span;         // the vendor number, or `publisher`
};

struct RoleDecl {
  std::vector<Name> names;
  std::vector<Name> parents;
};

struct AttributeDecl {
  Name path;  // `actor.region`
  Type type;  // string, int, bool, time or [string]
  Span type_span;
};

struct CategoryItem {
  Name name;  // `*` is written as name.text == "*"
  std::optional<TransformNode> transform;
};

struct Rule {
  std::optional<std::string> explicit_id;  // from @id("...")
  Span id_span;
  Effect effect = Effect::kAllow;
  Span effect_span;
  NameList roles;
  Action action = Action::kRead;
  Span action_span;
  bool all_categories = false;  // `*`
  std::vector<CategoryItem> categories;
  Span categories_span;
  NameList purposes;
  std::unique_ptr<Expr> when;
};

struct RetainRule {
  NameList categories;
  Duration period;
  std::optional<NameList> purposes;  // absent: every purpose
};

// A column reference in a table block: `Col` or `Table.Col`.
struct ColumnRef {
  std::optional<Name> table;
  Name column;
  Span span;
};

enum class EntryKind : std::uint8_t { kSubject, kCollected, kColumns, kAttribute };

struct TableEntry {
  EntryKind kind = EntryKind::kColumns;
  Span span;
  // kSubject / kCollected: the column, optionally reached `via` a column of
  // this table.
  ColumnRef column;
  std::optional<Name> via;
  // kColumns: the columns and their category, or public.
  std::vector<Name> columns;
  std::optional<Name> category;  // absent: public
  // kAttribute: `subject.region = Country`.
  Name attribute;
  Name attribute_column;
};

struct TableBinding {
  Name table;
  bool is_public = false;  // `table X public`
  std::vector<TableEntry> entries;
  Span open_brace;
  Span close_brace;
};

// `assert never ...`, `assert consent for ...`, `assert at most T for ...`:
// a promise about every request in a scope, checked statically.
enum class AssertKind : std::uint8_t { kNever, kConsent, kAtMost };

struct Assertion {
  AssertKind kind = AssertKind::kNever;
  Span assert_span;                      // the word `assert`
  std::optional<TransformNode> at_most;  // kAtMost only
  NameList roles;
  Action action = Action::kRead;
  Span action_span;
  NameList categories;
  NameList purposes;
};

using StatementNode = std::variant<PolicyHeader, CategoryDecl, PurposeDecl, RoleDecl, AttributeDecl,
                                   Rule, RetainRule, TableBinding, Assertion, SignalsDecl>;

struct Statement {
  Span span;  // first to last token
  StatementNode node;
};

struct PolicyAst {
  std::vector<Statement> statements;
};

}  // namespace custos::lang
