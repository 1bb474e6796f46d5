// Reference interpreter: SEMANTICS.md applied literally over the checked
// syntax tree. Every leaf scans every statement in source order; conditions
// are evaluated by walking lang::Expr. Nothing here is shared with the
// engine, and nothing is precomputed beyond the checker's own symbol tables.
#include "reference_interpreter.hpp"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "base/time.hpp"
#include "custos/tc_string.hpp"

namespace custos::test {
namespace {

using lang::HierarchyNode;

// ---------------------------------------------------------------------------
// Hierarchies
// ---------------------------------------------------------------------------

// `ancestor` covers `node` when it is the node itself or one of its
// ancestors (SEMANTICS §6: "itself, an ancestor").
bool covers(const std::vector<HierarchyNode>& nodes, int ancestor, int node) {
  for (int n = node; n >= 0; n = nodes[static_cast<std::size_t>(n)].parent) {
    if (n == ancestor) return true;
  }
  return false;
}

// The leaves a requested category stands for, in declaration order: the
// index order of symbols.categories, which is the order in which names
// first appear, implied parents created with their first child (§9). A
// leaf stands for itself.
std::vector<int> leaves_of(const std::vector<HierarchyNode>& nodes, int id) {
  std::vector<int> out;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    if (nodes[i].children.empty() && covers(nodes, id, static_cast<int>(i))) {
      out.push_back(static_cast<int>(i));
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// Runtime values of conditions (§12)
// ---------------------------------------------------------------------------

struct RVal {
  enum class Kind { kString, kInt, kBool, kTime, kDuration, kList };
  Kind kind = Kind::kBool;
  std::string text;         // kString
  std::int64_t number = 0;  // kInt; kBool (0/1); kTime, kDuration (seconds)
  std::vector<RVal> items;  // kList

  static RVal string(std::string s) {
    RVal v;
    v.kind = Kind::kString;
    v.text = std::move(s);
    return v;
  }
  static RVal integer(std::int64_t n) {
    RVal v;
    v.kind = Kind::kInt;
    v.number = n;
    return v;
  }
  static RVal boolean(bool b) {
    RVal v;
    v.kind = Kind::kBool;
    v.number = b ? 1 : 0;
    return v;
  }
  static RVal time(std::int64_t t) {
    RVal v;
    v.kind = Kind::kTime;
    v.number = t;
    return v;
  }
  static RVal duration(std::int64_t s) {
    RVal v;
    v.kind = Kind::kDuration;
    v.number = s;
    return v;
  }
  static RVal list(std::vector<RVal> items) {
    RVal v;
    v.kind = Kind::kList;
    v.items = std::move(items);
    return v;
  }
};

// An evaluation result: a value, or nothing for a condition error.
using Result = std::optional<RVal>;
constexpr std::nullopt_t kError = std::nullopt;

// The signals in force for the request's subject (§16).
struct Signals {
  bool has_tc = false;
  std::string tc;  // the TC string's text
  bool gpc = false;
};

struct Ctx {
  const lang::CheckedPolicy& policy;
  const Request& request;
  Timestamp now;  // §1: context.time, else the engine's clock
  Signals signals;
};

// A scalar of a request (custos::Value) read as a runtime value of declared
// base type `base` (§12 and LANGUAGE.md §2: "a value of another JSON type
// than declared is a condition error where it is used").
Result typed_scalar(const Value& v, lang::BaseType base) {
  switch (base) {
    case lang::BaseType::kString:
      if (v.kind == Value::Kind::kText) return RVal::string(v.text);
      return kError;
    case lang::BaseType::kInt:
      if (v.kind == Value::Kind::kInt) return RVal::integer(v.integer);
      return kError;
    case lang::BaseType::kBool:
      if (v.kind == Value::Kind::kBool) return RVal::boolean(v.boolean);
      return kError;
    case lang::BaseType::kTime: {
      // A declared time attribute reads an RFC 3339 string as a time; an
      // unparseable one raises an error when used (§12).
      if (v.kind != Value::Kind::kText) return kError;
      const auto t = detail::parse_rfc3339(v.text);
      if (!t) return kError;
      return RVal::time(*t);
    }
    case lang::BaseType::kDuration:
    case lang::BaseType::kUnknown:
      return kError;
  }
  return kError;
}

// A scalar of an untyped root: JSON strings are strings, integers ints,
// booleans bools; anything else (null, float, object, nested list) raises an
// error when used (§12).
Result untyped_scalar(const Value& v) {
  switch (v.kind) {
    case Value::Kind::kText:
      return RVal::string(v.text);
    case Value::Kind::kInt:
      return RVal::integer(v.integer);
    case Value::Kind::kBool:
      return RVal::boolean(v.boolean);
    default:
      return kError;
  }
}

// A request attribute as a runtime value (§12). A JSON null raises an error.
Result from_request(const Value& v, const lang::Type* declared) {
  if (v.kind == Value::Kind::kNull) return kError;
  if (declared) {
    if (declared->list) {
      if (v.kind != Value::Kind::kList) return kError;
      std::vector<RVal> items;
      for (const auto& item : v.list) {
        Result r = typed_scalar(item, declared->base);
        if (!r) return kError;
        items.push_back(std::move(*r));
      }
      return RVal::list(std::move(items));
    }
    return typed_scalar(v, declared->base);
  }
  if (v.kind == Value::Kind::kList) {
    // "arrays of scalars" are lists; an array holding anything that is not a
    // string, integer or boolean is unusable as a whole.
    std::vector<RVal> items;
    for (const auto& item : v.list) {
      Result r = untyped_scalar(item);
      if (!r) return kError;
      items.push_back(std::move(*r));
    }
    return RVal::list(std::move(items));
  }
  return untyped_scalar(v);
}

// `actor.NAME`, `subject.NAME`, `context.NAME` and the built-ins (§12).
Result lookup_attribute(const Ctx& ctx, const std::string& path) {
  const Request& req = ctx.request;
  // Built-ins first: they are always what the request's fields say, never
  // an attribute of the same name.
  if (path == "actor.id") {
    if (req.actor.id) return RVal::string(*req.actor.id);
    return kError;  // missing
  }
  if (path == "subject.id") {
    if (req.subject) return RVal::string(req.subject->id);
    return kError;  // no subject
  }
  if (path == "context.time") return RVal::time(ctx.now);  // §1: always present

  const auto dot = path.find('.');
  if (dot == std::string::npos) return kError;
  const std::string root = path.substr(0, dot);
  const std::string name = path.substr(dot + 1);
  const Attributes* attrs = nullptr;
  if (root == "actor") {
    attrs = &req.actor.attributes;
  } else if (root == "subject") {
    if (req.subject) attrs = &req.subject->attributes;
  } else if (root == "context") {
    attrs = &req.context;
  }
  if (!attrs) return kError;
  const auto it = attrs->find(name);
  if (it == attrs->end()) return kError;  // missing
  const auto& declared_map = ctx.policy.symbols.attributes;
  const auto decl = declared_map.find(path);
  return from_request(it->second, decl == declared_map.end() ? nullptr : &decl->second);
}

// `==` on two runtime values: nothing (an error) when their types differ;
// lists compare element by element (§12).
std::optional<bool> values_equal(const RVal& a, const RVal& b) {
  if (a.kind != b.kind) return std::nullopt;
  switch (a.kind) {
    case RVal::Kind::kString:
      return a.text == b.text;
    case RVal::Kind::kInt:
    case RVal::Kind::kBool:
    case RVal::Kind::kTime:
    case RVal::Kind::kDuration:
      return a.number == b.number;
    case RVal::Kind::kList: {
      if (a.items.size() != b.items.size()) return false;
      for (std::size_t i = 0; i < a.items.size(); ++i) {
        const auto eq = values_equal(a.items[i], b.items[i]);
        if (!eq) return std::nullopt;
        if (!*eq) return false;
      }
      return true;
    }
  }
  return std::nullopt;
}

Result evaluate(const Ctx& ctx, const lang::Expr& e);

// An operand of `and`, `or`, `not`: must be a bool.
std::optional<bool> evaluate_bool(const Ctx& ctx, const lang::Expr& e) {
  const Result r = evaluate(ctx, e);
  if (!r || r->kind != RVal::Kind::kBool) return std::nullopt;
  return r->number != 0;
}

Result evaluate(const Ctx& ctx, const lang::Expr& e) {
  using K = lang::ExprKind;
  switch (e.kind) {
    case K::kAttribute:
      return lookup_attribute(ctx, e.text);
    case K::kNow:
      return RVal::time(ctx.now);  // §1
    case K::kTime:
      return RVal::time(e.number);  // the parser stored the unix seconds
    case K::kString:
      return RVal::string(e.text);
    case K::kInteger:
      return RVal::integer(e.number);
    case K::kBool:
      return RVal::boolean(e.number != 0);
    case K::kDuration:
      return RVal::duration(e.duration.seconds());
    case K::kList: {
      // Elements left to right; the first error ends it. Lists do not nest.
      std::vector<RVal> items;
      for (const auto& child : e.children) {
        Result r = evaluate(ctx, *child);
        if (!r || r->kind == RVal::Kind::kList) return kError;
        items.push_back(std::move(*r));
      }
      return RVal::list(std::move(items));
    }
    case K::kCompare: {
      const Result a = evaluate(ctx, *e.children[0]);
      if (!a) return kError;
      const Result b = evaluate(ctx, *e.children[1]);
      if (!b) return kError;
      if (e.op == lang::CompareOp::kEq || e.op == lang::CompareOp::kNe) {
        const auto eq = values_equal(*a, *b);  // one type, else an error
        if (!eq) return kError;
        return RVal::boolean(e.op == lang::CompareOp::kEq ? *eq : !*eq);
      }
      // Ordering: two ints, two times or two durations (§12).
      if (a->kind != b->kind) return kError;
      if (a->kind != RVal::Kind::kInt && a->kind != RVal::Kind::kTime &&
          a->kind != RVal::Kind::kDuration) {
        return kError;
      }
      const std::int64_t x = a->number, y = b->number;
      switch (e.op) {
        case lang::CompareOp::kLt:
          return RVal::boolean(x < y);
        case lang::CompareOp::kLe:
          return RVal::boolean(x <= y);
        case lang::CompareOp::kGt:
          return RVal::boolean(x > y);
        case lang::CompareOp::kGe:
          return RVal::boolean(x >= y);
        default:
          return kError;
      }
    }
    case K::kIn: {
      // `x in L`: L must be a list; false for []; x is compared with each
      // element like `==`, left to right: an element of another type raises
      // an error, a match ends the scan (§12).
      const Result x = evaluate(ctx, *e.children[0]);
      if (!x) return kError;
      const Result list = evaluate(ctx, *e.children[1]);
      if (!list || list->kind != RVal::Kind::kList) return kError;
      for (const auto& item : list->items) {
        const auto eq = values_equal(*x, item);
        if (!eq) return kError;
        if (*eq) return RVal::boolean(true);
      }
      return RVal::boolean(false);
    }
    case K::kAdd:
    case K::kSubtract: {
      // time +/- duration is a time; anything else is an error. An overflow
      // is an error too (REFERENCE.md §7).
      const Result t = evaluate(ctx, *e.children[0]);
      if (!t) return kError;
      const Result d = evaluate(ctx, *e.children[1]);
      if (!d) return kError;
      if (t->kind != RVal::Kind::kTime || d->kind != RVal::Kind::kDuration) return kError;
      std::int64_t out = 0;
      const bool overflow = e.kind == K::kAdd ? __builtin_add_overflow(t->number, d->number, &out)
                                              : __builtin_sub_overflow(t->number, d->number, &out);
      if (overflow) return kError;
      return RVal::time(out);
    }
    case K::kNot: {
      const auto b = evaluate_bool(ctx, *e.children[0]);
      if (!b) return kError;
      return RVal::boolean(!*b);
    }
    case K::kAnd: {
      // Left to right, stop at the first false; the first error ends it.
      for (const auto& child : e.children) {
        const auto b = evaluate_bool(ctx, *child);
        if (!b) return kError;
        if (!*b) return RVal::boolean(false);
      }
      return RVal::boolean(true);
    }
    case K::kOr: {
      // Left to right, stop at the first true; the first error ends it.
      for (const auto& child : e.children) {
        const auto b = evaluate_bool(ctx, *child);
        if (!b) return kError;
        if (*b) return RVal::boolean(true);
      }
      return RVal::boolean(false);
    }
  }
  return kError;
}

enum class CondOutcome { kTrue, kFalse, kError };

// A rule's `when`: absent holds; a result that is not a bool is an error.
CondOutcome condition(const Ctx& ctx, const lang::Rule& rule) {
  if (!rule.when) return CondOutcome::kTrue;
  const auto b = evaluate_bool(ctx, *rule.when);
  if (!b) return CondOutcome::kError;
  return *b ? CondOutcome::kTrue : CondOutcome::kFalse;
}

// ---------------------------------------------------------------------------
// Rule matching (§6), without the condition
// ---------------------------------------------------------------------------

bool role_matches(const Ctx& ctx, const lang::Rule& rule, const std::vector<bool>& held) {
  if (rule.roles.star) return true;  // any actor, also one with no roles (§2)
  for (const auto& n : rule.roles.names) {
    const auto it = ctx.policy.symbols.role_ids.find(n.text);
    if (it != ctx.policy.symbols.role_ids.end() && held[static_cast<std::size_t>(it->second)]) {
      return true;
    }
  }
  return false;
}

bool action_matches(lang::Action rule_action, const std::string& request_action) {
  switch (rule_action) {
    case lang::Action::kUse:
      return request_action == "read" || request_action == "share";
    case lang::Action::kRead:
      return request_action == "read";
    case lang::Action::kShare:
      return request_action == "share";
  }
  return false;
}

bool is_star_item(const lang::Rule& rule, const lang::CategoryItem& item) {
  return rule.all_categories || item.name.text == "*";
}

// The most specific category item of `rule` covering `leaf`: the deepest;
// `*` is shallower than any name; among equally deep items (only the same
// name written twice) the first written. -1 when none covers it.
int covering_item(const Ctx& ctx, const lang::Rule& rule, int leaf) {
  const auto& cats = ctx.policy.symbols.categories;
  int best = -1;
  int best_depth = -2;
  for (std::size_t i = 0; i < rule.categories.size(); ++i) {
    const auto& item = rule.categories[i];
    int depth = -1;
    if (!is_star_item(rule, item)) {
      const auto it = ctx.policy.symbols.category_ids.find(item.name.text);
      if (it == ctx.policy.symbols.category_ids.end()) continue;
      if (!covers(cats, it->second, leaf)) continue;
      depth = cats[static_cast<std::size_t>(it->second)].depth;
    }
    if (depth > best_depth) {
      best = static_cast<int>(i);
      best_depth = depth;
    }
  }
  return best;
}

bool purpose_matches(const Ctx& ctx, const lang::NameList& purposes, int purpose) {
  if (purposes.star) return true;
  for (const auto& n : purposes.names) {
    const auto it = ctx.policy.symbols.purpose_ids.find(n.text);
    if (it != ctx.policy.symbols.purpose_ids.end() &&
        covers(ctx.policy.symbols.purposes, it->second, purpose)) {
      return true;
    }
  }
  return false;
}

// ---------------------------------------------------------------------------
// Transforms
// ---------------------------------------------------------------------------

Transform to_public(const std::optional<lang::TransformNode>& t) {
  return t ? t->value : Transform{};  // no `as`: plain
}

// How revealing a transform is (§8): plain > truncate/round/year/mask > hash.
int revealing(const Transform& t) {
  switch (t.kind) {
    case Transform::Kind::kPlain:
      return 2;
    case Transform::Kind::kHash:
      return 0;
    default:
      return 1;
  }
}

// ---------------------------------------------------------------------------
// Consent (§10)
// ---------------------------------------------------------------------------

enum class Decider { kNone, kGranted, kWithdrawn, kObjected };

int restrictiveness(ConsentState s) {
  switch (s) {
    case ConsentState::kGranted:
      return 0;
    case ConsentState::kWithdrawn:
      return 1;
    case ConsentState::kObjected:
      return 2;
  }
  return 0;
}

// The records that count: the request subject's `consent` when present
// (even empty), else the store's, else none; none without a subject.
const std::vector<ConsentRecord>* consent_records(const Request& request,
                                                  const std::vector<ConsentRecord>* store) {
  if (!request.subject) return nullptr;
  if (request.subject->consent) return &*request.subject->consent;
  return store;
}

Decider deciding_record(const Ctx& ctx, int purpose, const std::vector<ConsentRecord>* records) {
  if (!records) return Decider::kNone;
  const auto& syms = ctx.policy.symbols;
  const ConsentRecord* best = nullptr;
  int best_depth = -1;
  for (const auto& r : *records) {
    const auto it = syms.purpose_ids.find(r.purpose);
    if (it == syms.purpose_ids.end()) continue;                 // undeclared purpose: ignored
    if (r.at > ctx.now) continue;                               // not yet in force: ignored
    if (!covers(syms.purposes, it->second, purpose)) continue;  // not P or an ancestor
    const int depth = syms.purposes[static_cast<std::size_t>(it->second)].depth;
    bool better = false;
    if (!best) {
      better = true;
    } else if (r.at != best->at) {
      better = r.at > best->at;  // the latest `at`
    } else if (depth != best_depth) {
      better = depth > best_depth;  // equal `at`: the deeper purpose
    } else {
      // Same purpose (same depth on one chain), same `at`:
      // objected > withdrawn > granted; among grants, the one that expires
      // first (a grant without expiry never does).
      if (restrictiveness(r.state) != restrictiveness(best->state)) {
        better = restrictiveness(r.state) > restrictiveness(best->state);
      } else if (r.state == ConsentState::kGranted && r.expires) {
        better = !best->expires || *r.expires < *best->expires;
      }
    }
    if (better) {
      best = &r;
      best_depth = depth;
    }
  }
  if (!best) return Decider::kNone;
  switch (best->state) {
    case ConsentState::kGranted:
      // A granted decider whose `expires` is at or before now counts as no
      // record (no fallback to older records).
      if (best->expires && *best->expires <= ctx.now) return Decider::kNone;
      return Decider::kGranted;
    case ConsentState::kWithdrawn:
      return Decider::kWithdrawn;
    case ConsentState::kObjected:
      return Decider::kObjected;
  }
  return Decider::kNone;
}

// ---------------------------------------------------------------------------
// Consent signals (§16)
// ---------------------------------------------------------------------------

// One source's say, from the most permissive to the strictest (§16.5).
enum class Say { kNothing, kGranted, kNoGrant, kWithdrawn, kObjected };

Say say_of(Decider d) {
  switch (d) {
    case Decider::kNone:
      return Say::kNothing;
    case Decider::kGranted:
      return Say::kGranted;
    case Decider::kWithdrawn:
      return Say::kWithdrawn;
    case Decider::kObjected:
      return Say::kObjected;
  }
  return Say::kObjected;
}

// §16.1: the request's signals when it has any, else the store's latest of
// each kind received at or before now (the last appended among equals).
Signals signals_in_force(const Request& request, Timestamp now,
                         const std::vector<ConsentSignal>* store) {
  Signals out;
  if (!request.subject) return out;
  if (request.subject->signals) {
    out.has_tc = request.subject->signals->tcf.has_value();
    if (out.has_tc) out.tc = *request.subject->signals->tcf;
    out.gpc = request.subject->signals->gpc;
    return out;
  }
  if (!store) return out;
  const ConsentSignal* tc = nullptr;
  const ConsentSignal* gpc = nullptr;
  for (const auto& s : *store) {
    if (s.at > now) continue;
    const ConsentSignal*& last = s.kind == SignalKind::kTcf ? tc : gpc;
    if (!last || s.at >= last->at) last = &s;
  }
  if (tc) {
    out.has_tc = true;
    out.tc = tc->tc_string;
  }
  out.gpc = gpc && gpc->gpc;
  return out;
}

// §16.2: the TCF purposes of every purpose statement naming P or an
// ancestor of P, and whether one of them says `gpc`.
struct Marks {
  std::vector<int> tcf;
  bool gpc = false;
};

Marks marks_of(const Ctx& ctx, int purpose) {
  Marks m;
  const auto& syms = ctx.policy.symbols;
  for (const auto& stmt : ctx.policy.parsed.ast.statements) {
    const auto* d = std::get_if<lang::PurposeDecl>(&stmt.node);
    if (!d) continue;
    for (const auto& n : d->names) {
      const auto it = syms.purpose_ids.find(n.text);
      if (it == syms.purpose_ids.end() || !covers(syms.purposes, it->second, purpose)) continue;
      for (const auto& t : d->tcf_purposes) {
        if (std::find(m.tcf.begin(), m.tcf.end(), t.id) == m.tcf.end()) {
          m.tcf.push_back(static_cast<int>(t.id));
        }
      }
      m.gpc = m.gpc || d->gpc_span.has_value();
    }
  }
  return m;
}

const lang::SignalsDecl* signals_line(const Ctx& ctx) {
  for (const auto& stmt : ctx.policy.parsed.ast.statements) {
    if (const auto* d = std::get_if<lang::SignalsDecl>(&stmt.node)) return d;
  }
  return nullptr;
}

// §16.3: does the string grant every TCF purpose in `tcf` to the party of
// the `signals` line, by consent or by legitimate interest?
bool tc_grants(const TcString& tc, const lang::SignalsDecl& line, const std::vector<int>& tcf,
               bool li) {
  if (line.publisher) {
    if (!tc.publisher_tc) return false;
    for (int p : tcf) {
      const TcIdSet& bits =
          li ? tc.publisher_tc->purposes_li_transparency : tc.publisher_tc->purposes_consent;
      if (!bits.has(p)) return false;
    }
    return true;
  }
  const int vendor = static_cast<int>(line.vendor);
  for (int p : tcf) {
    if (!(li ? tc.purposes_li_transparency : tc.purposes_consent).has(p)) return false;
    const auto& r = tc.publisher_restrictions;
    const auto listed = [&](TcRestrictionType type) {
      const auto ids = r.vendor_ids(r.find(p, type));
      return std::find(ids.begin(), ids.end(), vendor) != ids.end();
    };
    if (listed(TcRestrictionType::kNotAllowed)) return false;
    if (listed(li ? TcRestrictionType::kRequireConsent
                  : TcRestrictionType::kRequireLegitimateInterest)) {
      return false;
    }
  }
  return (li ? tc.vendor_legitimate_interests : tc.vendor_consents).has(vendor);
}

// §16.3-16.4: what the TC string says of P, for consent and for legitimate
// interest.
std::pair<Say, Say> tc_says(const Ctx& ctx, const Marks& marks) {
  if (!ctx.signals.has_tc || marks.tcf.empty()) return {Say::kNothing, Say::kNothing};
  const lang::SignalsDecl* line = signals_line(ctx);
  const auto tc = decode_tc_string(ctx.signals.tc);
  if (!line || !tc.ok() || !tc->usable) return {Say::kNoGrant, Say::kObjected};
  const std::int64_t updated = tc->last_updated / 10;
  if (updated > ctx.now) return {Say::kNothing, Say::kNothing};  // not in force yet
  const bool expired = ctx.now - updated > 13 * 30 * std::int64_t{86400};
  const bool consent = tc_grants(*tc, *line, marks.tcf, false);
  const bool li = tc_grants(*tc, *line, marks.tcf, true);
  return {consent && !expired ? Say::kGranted : Say::kNoGrant, !li       ? Say::kObjected
                                                               : expired ? Say::kNothing
                                                                         : Say::kGranted};
}

// ---------------------------------------------------------------------------
// One leaf (§5-§8, §10, §11)
// ---------------------------------------------------------------------------

struct LeafResult {
  bool allowed = false;
  Reason reason = Reason::kNone;
  std::string rule;
  Transform transform;
};

LeafResult deny(Reason reason, std::string rule = {}) {
  LeafResult r;
  r.reason = reason;
  r.rule = std::move(rule);
  return r;
}

LeafResult decide_leaf(const Ctx& ctx, int leaf, int purpose, const std::vector<bool>& held,
                       const std::vector<ConsentRecord>* records) {
  const auto& stmts = ctx.policy.parsed.ast.statements;
  const auto& ids = ctx.policy.symbols.rule_ids;
  const auto matches = [&](const lang::Rule& rule) {
    return role_matches(ctx, rule, held) && action_matches(rule.action, ctx.request.action) &&
           covering_item(ctx, rule, leaf) >= 0 && purpose_matches(ctx, rule.purposes, purpose);
  };

  // §7: deny rules in source order. The first whose condition holds (or
  // that has none) denies; otherwise the first whose condition raised an
  // error gives condition_error.
  std::optional<std::size_t> first_error;
  for (std::size_t i = 0; i < stmts.size(); ++i) {
    const auto* rule = std::get_if<lang::Rule>(&stmts[i].node);
    if (!rule || rule->effect != lang::Effect::kDeny || !matches(*rule)) continue;
    const CondOutcome c = condition(ctx, *rule);
    if (c == CondOutcome::kTrue) return deny(Reason::kDeniedByRule, ids[i]);
    if (c == CondOutcome::kError && !first_error) first_error = i;
  }
  if (first_error) return deny(Reason::kConditionError, ids[*first_error]);

  // §8: allow rules whose condition holds (an error skips the rule); the
  // most revealing transform wins, ties to the first in source order.
  // Within a rule the most specific covering item gives the transform.
  std::optional<std::size_t> granting;
  Transform best;
  for (std::size_t i = 0; i < stmts.size(); ++i) {
    const auto* rule = std::get_if<lang::Rule>(&stmts[i].node);
    if (!rule || rule->effect != lang::Effect::kAllow || !matches(*rule)) continue;
    if (condition(ctx, *rule) != CondOutcome::kTrue) continue;
    const int item = covering_item(ctx, *rule, leaf);
    const Transform t = to_public(rule->categories[static_cast<std::size_t>(item)].transform);
    if (!granting || revealing(t) > revealing(best)) {
      granting = i;
      best = t;
    }
  }
  if (!granting) return deny(Reason::kNoMatchingAllow);

  // §10 and §16: consent for the request purpose, explicit records and
  // signals together, the strictest say winning.
  const auto& syms = ctx.policy.symbols;
  const lang::Basis basis = syms.purposes[static_cast<std::size_t>(purpose)].basis;
  const bool sensitive = syms.categories[static_cast<std::size_t>(leaf)].sensitive;
  const Say explicit_say = say_of(deciding_record(ctx, purpose, records));
  const Marks marks = marks_of(ctx, purpose);
  const auto [tc_consent, tc_li] = tc_says(ctx, marks);
  const bool gpc = marks.gpc && ctx.signals.gpc;
  const Say consent = std::max({explicit_say, tc_consent, gpc ? Say::kObjected : Say::kNothing});
  const Say li = std::max({explicit_say, tc_li, gpc ? Say::kObjected : Say::kNothing});
  if (gpc) return deny(Reason::kObjected);  // §16.6: whatever the basis
  if (basis == lang::Basis::kLegitimateInterest && li == Say::kObjected) {
    return deny(Reason::kObjected);
  }
  if (basis == lang::Basis::kConsent || sensitive) {
    switch (consent) {
      case Say::kGranted:
        break;
      case Say::kWithdrawn:
        return deny(Reason::kConsentWithdrawn);
      case Say::kObjected:
        return deny(Reason::kObjected);
      case Say::kNothing:
      case Say::kNoGrant:
        return deny(Reason::kConsentMissing);
    }
  }

  // §11: retention for (P, leaf). The applicable retain rules: categories
  // cover the leaf, purposes cover P (no list or `*`: every purpose). The
  // most specific wins: purpose list > none; deeper covering purpose; deeper
  // covering category (`*` shallowest); shorter period.
  struct Key {
    bool has_list;
    int purpose_depth;
    int category_depth;
    std::int64_t period;
  };
  std::optional<Key> chosen;
  for (const auto& stmt : stmts) {
    const auto* retain = std::get_if<lang::RetainRule>(&stmt.node);
    if (!retain) continue;
    int category_depth = -2;  // -2: does not cover
    if (retain->categories.star) {
      category_depth = -1;
    } else {
      for (const auto& n : retain->categories.names) {
        const auto it = syms.category_ids.find(n.text);
        if (it != syms.category_ids.end() && covers(syms.categories, it->second, leaf)) {
          category_depth =
              std::max(category_depth, syms.categories[static_cast<std::size_t>(it->second)].depth);
        }
      }
    }
    if (category_depth == -2) continue;
    bool has_list = false;
    int purpose_depth = -1;
    if (retain->purposes && !retain->purposes->star) {
      has_list = true;
      purpose_depth = -2;
      for (const auto& n : retain->purposes->names) {
        const auto it = syms.purpose_ids.find(n.text);
        if (it != syms.purpose_ids.end() && covers(syms.purposes, it->second, purpose)) {
          purpose_depth =
              std::max(purpose_depth, syms.purposes[static_cast<std::size_t>(it->second)].depth);
        }
      }
      if (purpose_depth == -2) continue;  // lists purposes, none covers P
    }
    const Key k{has_list, purpose_depth, category_depth, retain->period.seconds()};
    bool better = false;
    if (!chosen) {
      better = true;
    } else if (k.has_list != chosen->has_list) {
      better = k.has_list;
    } else if (k.purpose_depth != chosen->purpose_depth) {
      better = k.purpose_depth > chosen->purpose_depth;
    } else if (k.category_depth != chosen->category_depth) {
      better = k.category_depth > chosen->category_depth;
    } else {
      better = k.period < chosen->period;
    }
    if (better) chosen = k;
  }
  if (chosen) {
    if (!ctx.request.collected_at) return deny(Reason::kCollectedUnknown);
    // now - collected_at > period, strictly. (If the subtraction overflows,
    // the age is beyond any period exactly when collected_at is before now.)
    const Timestamp collected = *ctx.request.collected_at;
    std::int64_t age = 0;
    const bool overflow = __builtin_sub_overflow(ctx.now, collected, &age);
    const bool expired = overflow ? ctx.now > collected : age > chosen->period;
    if (expired) return deny(Reason::kRetentionExpired);
  }

  LeafResult ok;
  ok.allowed = true;
  ok.rule = ids[*granting];
  ok.transform = best;
  return ok;
}

Decision::Item denied_item(const std::string& category, Reason reason) {
  Decision::Item item;
  item.category = category;
  item.allowed = false;
  item.reason = reason;
  return item;
}

}  // namespace

Decision reference_decide(const lang::CheckedPolicy& policy, const Request& request,
                          Timestamp clock_now, const std::vector<ConsentRecord>* store_records,
                          const std::vector<ConsentSignal>* store_signals) {
  Decision decision;
  const auto& syms = policy.symbols;

  // §13 (and §6: an action other than read/share): every category
  // bad_request. An empty `categories` is malformed too: no items.
  const bool bad = !request.malformed.empty() ||
                   (request.action != "read" && request.action != "share") ||
                   request.categories.empty();
  if (bad) {
    for (const auto& c : request.categories) {
      decision.items.push_back(denied_item(c, Reason::kBadRequest));
    }
    decision.allowed = false;
    return decision;
  }

  // §1: now; §16.1: the signals in force.
  const Timestamp now = request.time ? *request.time : clock_now;
  const Ctx ctx{policy, request, now, signals_in_force(request, now, store_signals)};

  // §3: the purpose must be declared, and not an implied one without basis.
  const auto purpose_it = syms.purpose_ids.find(request.purpose);
  const bool purpose_known =
      purpose_it != syms.purpose_ids.end() &&
      syms.purposes[static_cast<std::size_t>(purpose_it->second)].basis != lang::Basis::kNone;

  // §2: the roles the actor holds: each declared role it names plus all
  // their ancestors. Undeclared names are ignored; if it names roles and
  // none is declared, every item is unknown_role.
  std::vector<bool> held(syms.roles.size(), false);
  bool any_declared = false;
  for (const auto& name : request.actor.roles) {
    const auto it = syms.role_ids.find(name);
    if (it == syms.role_ids.end()) continue;
    any_declared = true;
    std::vector<int> stack{it->second};
    while (!stack.empty()) {
      const int r = stack.back();
      stack.pop_back();
      if (held[static_cast<std::size_t>(r)]) continue;
      held[static_cast<std::size_t>(r)] = true;
      for (int p : syms.roles[static_cast<std::size_t>(r)].parents) stack.push_back(p);
    }
  }
  const bool unknown_roles = !request.actor.roles.empty() && !any_declared;

  // §10: whose consent records count.
  const std::vector<ConsentRecord>* records = consent_records(request, store_records);

  for (const auto& category : request.categories) {
    // §5: per item, the first reason that applies.
    if (!purpose_known) {
      decision.items.push_back(denied_item(category, Reason::kUnknownPurpose));
      continue;
    }
    const auto cat_it = syms.category_ids.find(category);
    if (cat_it == syms.category_ids.end()) {  // §4
      decision.items.push_back(denied_item(category, Reason::kUnknownCategory));
      continue;
    }
    if (unknown_roles) {
      decision.items.push_back(denied_item(category, Reason::kUnknownRole));
      continue;
    }

    // §9: decide each leaf in declaration order, then combine.
    const std::vector<int> leaves = leaves_of(syms.categories, cat_it->second);
    std::vector<LeafResult> results;
    for (int leaf : leaves) {
      results.push_back(decide_leaf(ctx, leaf, purpose_it->second, held, records));
    }
    Decision::Item item;
    item.category = category;
    const LeafResult* first_denied = nullptr;
    for (const auto& r : results) {
      if (!r.allowed) {
        first_denied = &r;
        break;
      }
    }
    if (first_denied) {
      // Any denied: the reason (and rule) of the first denied leaf.
      item.allowed = false;
      item.reason = first_denied->reason;
      item.rule = first_denied->rule;
    } else {
      // All allowed: the least revealing transform, ties to the first leaf.
      const LeafResult* least = nullptr;
      for (const auto& r : results) {
        if (!least || revealing(r.transform) < revealing(least->transform)) least = &r;
      }
      item.allowed = least != nullptr;  // a declared category has at least one leaf
      if (least) {
        item.transform = least->transform;
        item.rule = least->rule;
      } else {
        item.reason = Reason::kNoMatchingAllow;
      }
    }
    decision.items.push_back(std::move(item));
  }

  decision.allowed = !decision.items.empty();
  for (const auto& item : decision.items) {
    if (!item.allowed) decision.allowed = false;
  }
  return decision;
}

}  // namespace custos::test
