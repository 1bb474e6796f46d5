// Semantic checker: resolves every name of a parsed policy, builds the three
// hierarchies (categories, purposes, roles), type-checks conditions, checks
// table bindings (against a real schema when one is given) and reports
// errors (E0xx) and warnings (W0xx). A policy with no errors comes back as a
// CheckedPolicy, the input of the compiler (src/policy).
#pragma once

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "custos/diagnostic.hpp"
#include "lang/ast.hpp"
#include "lang/parser.hpp"

namespace custos::lang {

// A node of the category or purpose hierarchy. Declaring `a.b.c` creates
// `a` and `a.b` as implied nodes.
struct HierarchyNode {
  std::string name;
  int parent = -1;
  int depth = 0;  // parts - 1: `a` is 0, `a.b` is 1
  bool is_explicit = false;
  Span declared;  // the first declaration that named or implied it
  std::vector<int> children;
  // Category: special category (itself or an ancestor declared sensitive).
  bool sensitive = false;
  // Purpose: the basis declared on it, and the one in force (nearest ancestor).
  Basis own_basis = Basis::kNone;
  Basis basis = Basis::kNone;
  // Purpose: the TCF purposes a TC string must grant (bit p - 1 for TCF
  // purpose p) and the `gpc` mark, as declared on it and in force: its own
  // and every ancestor's together.
  std::uint16_t own_tcf = 0;
  std::uint16_t tcf = 0;
  bool own_gpc = false;
  bool gpc = false;
};

struct RoleNode {
  std::string name;
  Span declared;
  std::vector<int> parents;
};

enum class AttributeRoot : std::uint8_t { kActor, kSubject, kContext };

// The tables and columns of a real database, for `custos check --db`.
struct Schema {
  struct Table {
    std::string name;
    std::vector<std::string> columns;
  };
  // A view, and the tables it reads (through other views too).
  struct View {
    std::string name;
    std::vector<std::string> base_tables;
  };
  std::vector<Table> tables;
  std::vector<View> views;
};

struct Symbols {
  std::vector<HierarchyNode> categories;
  std::unordered_map<std::string, int> category_ids;
  std::vector<HierarchyNode> purposes;
  std::unordered_map<std::string, int> purpose_ids;
  std::vector<RoleNode> roles;
  std::unordered_map<std::string, int> role_ids;
  // Declared attributes by path (`actor.region`), built-ins excluded.
  std::unordered_map<std::string, Type> attributes;
  std::array<bool, 3> root_declared{};  // by AttributeRoot
  // Every rule's id, by statement index (empty for other statements).
  std::vector<std::string> rule_ids;
};

// A rule with every name resolved to an id: what the compiler reads, so it
// never looks a name up again.
struct ResolvedRule {
  struct Item {
    int category = -1;  // -1: `*`
    int depth = -1;     // the category's depth; -1 for `*`
    Transform transform;
  };
  std::string id;
  bool default_id = false;  // no @id: FILE:LINE, which moves with the rule
  Effect effect = Effect::kAllow;
  Action action = Action::kRead;
  bool any_role = false;  // `*`
  std::vector<int> roles;
  std::vector<Item> categories;  // for `*`, one item with category -1
  bool any_purpose = false;      // `*`
  std::vector<int> purposes;
  const Expr* when = nullptr;  // points into CheckedPolicy::parsed
};

// A retain rule, resolved.
struct ResolvedRetain {
  bool all_categories = false;  // `*`
  std::vector<int> categories;
  bool purpose_list = false;  // `for P, ...` with names (not absent, not `*`)
  std::vector<int> purposes;
  std::int64_t period = 0;  // seconds
  Duration written;         // the period as written (`3y`), for people
  int line = 0;             // where its categories start: the rule's line
};

// An assertion, resolved: a scope of requests and the promise about them.
struct ResolvedAssertion {
  AssertKind kind = AssertKind::kNever;
  Transform at_most;  // kAtMost only
  Span span;          // the word `assert`, where a failure is reported
  bool any_role = false;
  std::vector<int> roles;
  Action action = Action::kRead;
  bool any_category = false;
  std::vector<int> categories;
  bool any_purpose = false;
  std::vector<int> purposes;
};

// A table binding (LANGUAGE.md section 7), resolved: what the guard reads.
// SQL names keep the spelling of the policy; SQLite compares them without
// regard to case.
struct ResolvedTable {
  struct Column {
    std::string name;
    int category = -1;  // -1: public
  };
  // The `subject` or `collected` line: a column of this table, or
  // `table.column` reached through the local column `via`.
  struct Reference {
    bool present = false;
    std::string column;
    std::string table;  // empty: this table
    std::string via;    // the local column referencing `table`
  };
  std::string name;
  bool is_public = false;
  std::vector<Column> columns;  // as listed
  Reference subject, collected;
  // Subject attributes bound to columns: {"subject.region", "Country"}.
  std::vector<std::pair<std::string, std::string>> attributes;
};

// The `signals tcf ...` line: whose choices in a TC string count.
struct ResolvedSignals {
  bool tcf = false;        // the policy has a `signals tcf` line
  bool publisher = false;  // `signals tcf publisher`, else `vendor N`
  int vendor = 0;          // 1 to 65535
};

struct CheckedPolicy {
  std::shared_ptr<const SourceFile> source;
  ParsedPolicy parsed;
  Symbols symbols;
  std::vector<ResolvedRule> rules;            // in source order
  std::vector<ResolvedRetain> retains;        // in source order
  std::vector<ResolvedTable> tables;          // in source order
  std::vector<ResolvedAssertion> assertions;  // in source order
  ResolvedSignals signals;
  std::string name;  // from the policy header
  std::int64_t version = 0;
};

struct Analysis {
  std::shared_ptr<const CheckedPolicy> policy;  // null when there are errors
  std::vector<Diagnostic> diagnostics;          // errors and warnings, in source order
  // Totals, including those past the limit on reported diagnostics.
  std::size_t error_count = 0;
  std::size_t warning_count = 0;
};

// Lexes, parses and checks `text`; `name` is the file name used in
// diagnostics and default rule ids. With a schema, table bindings are also
// checked against it.
Analysis analyze(std::string name, std::string text, const Schema* schema = nullptr);

// Helpers shared with the compiler and interpreter.
std::optional<Basis> basis_from_name(std::string_view name);
std::string_view basis_name(Basis basis);
std::string type_name(Type type);
// The root of an attribute path, or nothing for an unknown root.
std::optional<AttributeRoot> attribute_root(std::string_view path);
// The static type of a built-in attribute (`actor.id`, `subject.id`,
// `context.time`), or nothing.
std::optional<Type> builtin_attribute(std::string_view path);

}  // namespace custos::lang
