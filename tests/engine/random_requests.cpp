// Random request generator for the differential engine test. It reads the
// policy's names and walks its rules' `when` conditions to find attribute
// paths and the literals they are compared with, so that conditions are
// often true, often false and sometimes fail (missing, null, wrong type).
#include "random_requests.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "base/time.hpp"
#include "tc_string_writer.hpp"

namespace custos::test {
namespace {

constexpr std::int64_t kDay = 86400;

// ---------------------------------------------------------------------------
// splitmix64
// ---------------------------------------------------------------------------

class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed) {}

  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform-ish in [0, n); 0 when n is 0.
  std::uint64_t below(std::uint64_t n) { return n == 0 ? 0 : next() % n; }
  // In [lo, hi].
  std::int64_t range(std::int64_t lo, std::int64_t hi) {
    return lo + static_cast<std::int64_t>(below(static_cast<std::uint64_t>(hi - lo) + 1));
  }
  bool chance(int percent) { return below(100) < static_cast<std::uint64_t>(percent); }
  template <class T>
  const T& pick(const std::vector<T>& v) {
    return v[static_cast<std::size_t>(below(v.size()))];
  }

 private:
  std::uint64_t state_;
};

// ---------------------------------------------------------------------------
// What the policy tells us
// ---------------------------------------------------------------------------

// The kinds of value a generator can make for an attribute.
enum class Kind { kString, kInt, kBool, kTime, kStringList, kIntList, kBoolList };

bool is_list(Kind k) {
  return k == Kind::kStringList || k == Kind::kIntList || k == Kind::kBoolList;
}

Kind element_kind(Kind k) {
  switch (k) {
    case Kind::kStringList:
      return Kind::kString;
    case Kind::kIntList:
      return Kind::kInt;
    case Kind::kBoolList:
      return Kind::kBool;
    default:
      return k;
  }
}

std::optional<Kind> kind_of(const lang::Type& t) {
  switch (t.base) {
    case lang::BaseType::kString:
      return t.list ? Kind::kStringList : Kind::kString;
    case lang::BaseType::kInt:
      return t.list ? Kind::kIntList : Kind::kInt;
    case lang::BaseType::kBool:
      return t.list ? Kind::kBoolList : Kind::kBool;
    case lang::BaseType::kTime:
      // A request cannot carry a list of times; a time is an RFC 3339 text.
      return t.list ? std::optional<Kind>(Kind::kStringList) : Kind::kTime;
    default:
      return std::nullopt;
  }
}

std::optional<Kind> list_of(Kind k) {
  switch (k) {
    case Kind::kString:
    case Kind::kTime:
      return Kind::kStringList;
    case Kind::kInt:
      return Kind::kIntList;
    case Kind::kBool:
      return Kind::kBoolList;
    default:
      return std::nullopt;
  }
}

// A time in a condition: absolute (`time("...")`), or `now` plus an offset.
struct TimeHint {
  bool relative = false;
  std::int64_t value = 0;
};

struct PathInfo {
  std::optional<lang::Type> declared;
  std::set<Kind> kinds;                   // kinds the conditions suggest
  std::vector<Value> candidates;          // values that make comparisons interesting
  std::vector<Value> element_candidates;  // for list attributes: elements
  std::vector<TimeHint> times;            // for time attributes
  std::set<std::string> links;            // paths it is compared with
};

struct Facts {
  std::vector<std::string> roles;
  std::vector<std::string> categories, leaves, inner_categories;
  std::vector<std::string> purposes, explicit_purposes, implied_purposes, rule_purposes;
  std::vector<std::string> strings{"eu", "us", "web"};
  std::vector<std::int64_t> ints{0, 1, 17, 18};
  std::vector<std::int64_t> durations{kDay, 30 * kDay, 365 * kDay};
  std::vector<std::int64_t> retention_periods;
  std::vector<TimeHint> times;
  std::map<std::string, PathInfo> paths;  // attribute paths, built-ins included
  // Consent signals: whether the policy uses any, and the TCF purposes it
  // maps (random TC strings set these bits more often).
  bool signals = false;
  int vendor = 755;
  std::vector<int> tcf_purposes;
};

std::optional<TimeHint> constant_time(const lang::Expr& e) {
  switch (e.kind) {
    case lang::ExprKind::kTime:
      return TimeHint{false, e.number};
    case lang::ExprKind::kNow:
      return TimeHint{true, 0};
    case lang::ExprKind::kAttribute:
      if (e.text == "context.time") return TimeHint{true, 0};
      return std::nullopt;
    case lang::ExprKind::kAdd:
    case lang::ExprKind::kSubtract: {
      auto base = constant_time(*e.children[0]);
      const auto& d = *e.children[1];
      if (!base || d.kind != lang::ExprKind::kDuration) return std::nullopt;
      const std::int64_t s = d.duration.seconds();
      base->value += e.kind == lang::ExprKind::kAdd ? s : -s;
      return base;
    }
    default:
      return std::nullopt;
  }
}

std::optional<Value> constant_scalar(const lang::Expr& e) {
  switch (e.kind) {
    case lang::ExprKind::kString:
      return Value::of_text(e.text);
    case lang::ExprKind::kInteger:
      return Value::of_int(e.number);
    case lang::ExprKind::kBool:
      return Value::of_bool(e.number != 0);
    default:
      return std::nullopt;
  }
}

bool is_attribute(const lang::Expr& e) {
  return e.kind == lang::ExprKind::kAttribute;
}

// `path` meets `other` in `==`, `!=`, `<`... (or as the element of `in`).
void hint_scalar(Facts& f, const std::string& path, const lang::Expr& other) {
  PathInfo& p = f.paths[path];
  if (const auto k = kind_of(other.type)) p.kinds.insert(*k);
  if (is_attribute(other)) {
    p.links.insert(other.text);
    f.paths[other.text].links.insert(path);
    return;
  }
  if (const auto v = constant_scalar(other)) {
    p.candidates.push_back(*v);
    if (v->kind == Value::Kind::kInt) {
      p.candidates.push_back(Value::of_int(v->integer - 1));
      p.candidates.push_back(Value::of_int(v->integer + 1));
    }
  }
  if (const auto t = constant_time(other)) {
    p.kinds.insert(Kind::kTime);
    p.times.push_back(*t);
  }
  if (other.kind == lang::ExprKind::kList) {
    std::vector<Value> items;
    bool constant = true;
    for (const auto& c : other.children) {
      const auto v = constant_scalar(*c);
      if (!v) {
        constant = false;
        break;
      }
      items.push_back(*v);
      p.element_candidates.push_back(*v);
    }
    if (constant) p.candidates.push_back(Value::of_list(items));
  }
}

void walk(Facts& f, const lang::Expr& e) {
  using K = lang::ExprKind;
  switch (e.kind) {
    case K::kAttribute:
      f.paths[e.text];
      break;
    case K::kString:
      f.strings.push_back(e.text);
      break;
    case K::kInteger:
      f.ints.push_back(e.number);
      break;
    case K::kDuration:
      f.durations.push_back(e.duration.seconds());
      break;
    case K::kCompare: {
      const auto& a = *e.children[0];
      const auto& b = *e.children[1];
      if (is_attribute(a)) hint_scalar(f, a.text, b);
      if (is_attribute(b)) hint_scalar(f, b.text, a);
      break;
    }
    case K::kIn: {
      const auto& x = *e.children[0];
      const auto& list = *e.children[1];
      if (is_attribute(x)) {
        if (list.kind == K::kList) {
          for (const auto& el : list.children) hint_scalar(f, x.text, *el);
        } else if (is_attribute(list)) {
          PathInfo& px = f.paths[x.text];
          px.links.insert(list.text);
          if (list.type.list) {
            if (const auto k = kind_of(lang::Type{list.type.base, false})) px.kinds.insert(*k);
          }
        }
      }
      if (is_attribute(list)) {
        PathInfo& pl = f.paths[list.text];
        if (const auto k = kind_of(x.type)) {
          if (const auto lk = list_of(*k)) pl.kinds.insert(*lk);
        } else {
          pl.kinds.insert(Kind::kStringList);
        }
        if (const auto v = constant_scalar(x)) pl.element_candidates.push_back(*v);
        if (is_attribute(x)) pl.links.insert(x.text);
      }
      break;
    }
    case K::kNot:
    case K::kAnd:
    case K::kOr:
      for (const auto& c : e.children) {
        if (is_attribute(*c)) f.paths[c->text].kinds.insert(Kind::kBool);
      }
      break;
    default:
      break;
  }
  if (const auto t = constant_time(e); t && e.kind != K::kAttribute) f.times.push_back(*t);
  for (const auto& c : e.children) walk(f, *c);
}

Facts study(const lang::CheckedPolicy& policy) {
  Facts f;
  const auto& syms = policy.symbols;
  f.signals = policy.signals.tcf;
  if (policy.signals.tcf && !policy.signals.publisher) f.vendor = policy.signals.vendor;
  for (const auto& p : syms.purposes) {
    f.signals = f.signals || p.own_gpc || p.own_tcf != 0;
    for (int t = 1; t <= 11; ++t) {
      if (((p.own_tcf >> (t - 1)) & 1) &&
          std::find(f.tcf_purposes.begin(), f.tcf_purposes.end(), t) == f.tcf_purposes.end()) {
        f.tcf_purposes.push_back(t);
      }
    }
  }
  for (const auto& r : syms.roles) f.roles.push_back(r.name);
  for (const auto& c : syms.categories) {
    f.categories.push_back(c.name);
    (c.children.empty() ? f.leaves : f.inner_categories).push_back(c.name);
  }
  for (const auto& p : syms.purposes) {
    f.purposes.push_back(p.name);
    (p.is_explicit ? f.explicit_purposes : f.implied_purposes).push_back(p.name);
  }
  for (const auto& [path, type] : syms.attributes) f.paths[path].declared = type;
  for (const auto& stmt : policy.parsed.ast.statements) {
    if (const auto* rule = std::get_if<lang::Rule>(&stmt.node)) {
      for (const auto& n : rule->purposes.names) f.rule_purposes.push_back(n.text);
      if (rule->when) {
        if (is_attribute(*rule->when)) f.paths[rule->when->text].kinds.insert(Kind::kBool);
        walk(f, *rule->when);
      }
    } else if (const auto* retain = std::get_if<lang::RetainRule>(&stmt.node)) {
      f.retention_periods.push_back(retain->period.seconds());
      f.durations.push_back(retain->period.seconds());
      if (retain->purposes) {
        for (const auto& n : retain->purposes->names) f.rule_purposes.push_back(n.text);
      }
    }
  }
  // A declared type is what the request should carry; a hint from a
  // comparison does not override it.
  for (auto& [path, info] : f.paths) {
    if (info.declared) {
      info.kinds.clear();
      if (const auto k = kind_of(*info.declared)) info.kinds.insert(*k);
    }
  }
  return f;
}

// ---------------------------------------------------------------------------
// One case
// ---------------------------------------------------------------------------

class Generator {
 public:
  Generator(const lang::CheckedPolicy& policy, const Facts& facts, std::uint64_t seed)
      : policy_(policy), f_(facts), rng_(seed) {}

  RandomCase run() {
    RandomCase c;
    choose_times(c);
    Request& r = c.request;

    // About half the cases aim at one rule: roles that hold one of its
    // roles, its action, a purpose and categories it covers, clean
    // attributes and favourable consent more often. The rest roam freely.
    target_ = pick_target();
    clean_ = rng_.chance(target_ ? 50 : 25);

    // Actor: id, roles, attributes.
    if (rng_.chance(80)) r.actor.id = id_for("actor.id", "agent-");
    r.actor.roles = target_ ? target_roles() : roles();
    r.action = target_ ? target_action() : action();
    r.purpose = target_ ? target_purpose() : purpose();

    // Subject, with or without its own consent list.
    if (rng_.chance(85)) {
      Request::Subject s;
      s.id = id_for("subject.id", "c-");
      if (rng_.chance(50)) {
        s.consent = rng_.chance(15) ? std::vector<ConsentRecord>{} : records(r.purpose);
      }
      r.subject = std::move(s);
    }
    c.use_store = rng_.chance(60);
    c.store_records = records(r.purpose);

    const int n = static_cast<int>(rng_.range(1, 3));
    for (int i = 0; i < n; ++i) {
      r.categories.push_back(target_ && rng_.chance(80) ? target_category() : category());
    }

    r.collected_at = collected_at();
    attributes(r);

    if (rng_.chance(3)) {
      r.malformed = "generated: malformed request";
      if (rng_.chance(20)) r.categories.clear();
    }
    // Last, so that policies without signals get the cases they always got.
    if (f_.signals) signals(c);
    return c;
  }

 private:
  // ---- times ----
  void choose_times(RandomCase& c) {
    const std::int64_t base = *detail::parse_rfc3339("2026-11-28T12:00:00Z");
    std::int64_t t = base + rng_.range(-400, 400) * kDay;
    if (rng_.chance(50)) t += rng_.range(0, kDay - 1);
    // Near a time literal of the conditions, so `now < time(...)` flips.
    std::vector<TimeHint> absolute;
    for (const auto& h : f_.times) {
      if (!h.relative) absolute.push_back(h);
    }
    if (!absolute.empty() && rng_.chance(30)) {
      t = rng_.pick(absolute).value +
          rng_.pick(std::vector<std::int64_t>{0, 0, 1, -1, kDay, -kDay});
    }
    const bool give_time = rng_.chance(85);
    c.clock_now = rng_.chance(50) || !give_time ? t : t + rng_.range(-40, 40) * kDay;
    if (give_time) c.request.time = t;
    now_ = t;
    clock_ = c.clock_now;
    // A few instants that consent records share, so equal `at`s are common.
    points_ = {now_,
               now_,
               now_ - 1,
               now_ + 1,
               now_ - kDay,
               now_ - 30 * kDay,
               now_ - 365 * kDay,
               now_ + kDay,
               now_ - rng_.range(1, 800) * kDay};
    if (clock_ != now_) points_.push_back(clock_);
  }

  std::int64_t time_value(const std::vector<TimeHint>& hints) {
    const std::int64_t jitter = rng_.pick(std::vector<std::int64_t>{0, 0, 1, -1});
    switch (rng_.below(4)) {
      case 0:
        return now_;
      case 1: {
        const auto& pool = hints.empty() ? f_.times : hints;
        if (pool.empty()) return now_ + jitter;
        const TimeHint& h = rng_.pick(pool);
        return (h.relative ? now_ + h.value : h.value) + jitter;
      }
      case 2: {
        const std::int64_t d = rng_.pick(f_.durations);
        return now_ + (rng_.chance(50) ? d : -d) + jitter;
      }
      default:
        return now_ + rng_.range(-3 * 365, 3 * 365) * kDay + rng_.range(0, kDay - 1);
    }
  }

  // ---- a target rule ----
  const lang::Rule* pick_target() {
    if (!rng_.chance(55)) return nullptr;
    std::vector<const lang::Rule*> allows, denies;
    for (const auto& stmt : policy_.parsed.ast.statements) {
      if (const auto* rule = std::get_if<lang::Rule>(&stmt.node)) {
        (rule->effect == lang::Effect::kAllow ? allows : denies).push_back(rule);
      }
    }
    if (!denies.empty() && (allows.empty() || rng_.chance(20))) return rng_.pick(denies);
    if (!allows.empty()) return rng_.pick(allows);
    return nullptr;
  }

  // Whether declared role `holder` holds `role` (itself or by inheritance).
  bool holds(int holder, int role) {
    const auto& roles = policy_.symbols.roles;
    std::vector<char> seen(roles.size(), 0);
    std::vector<int> stack{holder};
    while (!stack.empty()) {
      const int r = stack.back();
      stack.pop_back();
      if (r == role) return true;
      if (seen[static_cast<std::size_t>(r)]) continue;
      seen[static_cast<std::size_t>(r)] = 1;
      for (int p : roles[static_cast<std::size_t>(r)].parents) stack.push_back(p);
    }
    return false;
  }

  std::vector<std::string> target_roles() {
    std::vector<std::string> out;
    const auto& syms = policy_.symbols;
    if (target_->roles.star || target_->roles.names.empty()) {
      if (!f_.roles.empty() && rng_.chance(70)) out.push_back(rng_.pick(f_.roles));
    } else {
      const std::string& name = rng_.pick(target_->roles.names).text;
      const int role = syms.role_ids.at(name);
      std::vector<std::string> holders;
      for (std::size_t i = 0; i < syms.roles.size(); ++i) {
        if (holds(static_cast<int>(i), role)) holders.push_back(syms.roles[i].name);
      }
      out.push_back(rng_.chance(60) ? name : rng_.pick(holders));
    }
    if (rng_.chance(20)) out.push_back(undeclared(f_.roles, "ghost"));
    if (rng_.chance(15) && !f_.roles.empty()) out.push_back(rng_.pick(f_.roles));
    return out;
  }

  std::string target_action() {
    if (rng_.chance(5)) return action();
    switch (target_->action) {
      case lang::Action::kRead:
        return "read";
      case lang::Action::kShare:
        return "share";
      default:
        return rng_.chance(50) ? "read" : "share";
    }
  }

  std::string target_purpose() {
    const auto& syms = policy_.symbols;
    if (target_->purposes.star || target_->purposes.names.empty() || rng_.chance(5)) {
      return f_.explicit_purposes.empty() ? purpose() : rng_.pick(f_.explicit_purposes);
    }
    const std::string& name = rng_.pick(target_->purposes.names).text;
    // The name itself or a purpose under it, preferably one with a basis.
    std::vector<std::string> under;
    for (const auto& p : syms.purposes) {
      if ((p.name == name || p.name.rfind(name + ".", 0) == 0) && p.basis != lang::Basis::kNone) {
        under.push_back(p.name);
      }
    }
    if (under.empty() || rng_.chance(30)) return name;
    return rng_.pick(under);
  }

  std::string target_category() {
    const auto& item = rng_.pick(target_->categories);
    if (target_->all_categories || item.name.text == "*") return category();
    const std::string& name = item.name.text;
    std::vector<std::string> under;
    for (const auto& c : f_.leaves) {
      if (c == name || c.rfind(name + ".", 0) == 0) under.push_back(c);
    }
    if (under.empty() || rng_.chance(35)) return name;
    return rng_.pick(under);
  }

  // ---- names ----
  std::string undeclared(const std::vector<std::string>& names, const char* fallback) {
    switch (rng_.below(4)) {
      case 0:
        return fallback;
      case 1:
        return "*";
      default:
        if (names.empty()) return fallback;
        return rng_.pick(names) + (rng_.chance(50) ? "_x" : ".zz");
    }
  }

  std::string id_for(const std::string& path, const char* prefix) {
    const auto it = f_.paths.find(path);
    if (it != f_.paths.end() && rng_.chance(60)) {
      std::vector<std::string> texts;
      for (const auto& v : it->second.candidates) {
        if (v.kind == Value::Kind::kText) texts.push_back(v.text);
      }
      for (const auto& v : it->second.element_candidates) {
        if (v.kind == Value::Kind::kText) texts.push_back(v.text);
      }
      if (!texts.empty()) return rng_.pick(texts);
    }
    return prefix + std::to_string(rng_.range(1, 5));
  }

  std::vector<std::string> roles() {
    const std::uint64_t r = rng_.below(100);
    const int n = r < 15 ? 0 : r < 65 ? 1 : r < 90 ? 2 : 3;
    std::vector<std::string> out;
    for (int i = 0; i < n; ++i) {
      if (!f_.roles.empty() && rng_.chance(75)) {
        out.push_back(rng_.pick(f_.roles));
      } else {
        out.push_back(undeclared(f_.roles, "ghost"));
      }
    }
    return out;
  }

  std::string action() {
    const std::uint64_t r = rng_.below(100);
    if (r < 46) return "read";
    if (r < 92) return "share";
    if (r < 96) return "use";
    return "delete";
  }

  std::string purpose() {
    const std::uint64_t r = rng_.below(100);
    if (r < 45 && !f_.explicit_purposes.empty()) return rng_.pick(f_.explicit_purposes);
    if (r < 65 && !f_.rule_purposes.empty()) return rng_.pick(f_.rule_purposes);
    if (r < 80 && !f_.implied_purposes.empty()) return rng_.pick(f_.implied_purposes);
    if (r < 90 && !f_.purposes.empty()) return rng_.pick(f_.purposes);
    return undeclared(f_.purposes, "nowhere");
  }

  std::string category() {
    const std::uint64_t r = rng_.below(100);
    if (r < 60 && !f_.leaves.empty()) return rng_.pick(f_.leaves);
    if (r < 78 && !f_.inner_categories.empty()) return rng_.pick(f_.inner_categories);
    if (r < 90 && !f_.categories.empty()) return rng_.pick(f_.categories);
    return undeclared(f_.categories, "nothing");
  }

  // ---- consent ----
  std::vector<std::string> ancestors_of(const std::string& purpose) {
    std::vector<std::string> out;
    const auto& syms = policy_.symbols;
    const auto it = syms.purpose_ids.find(purpose);
    if (it == syms.purpose_ids.end()) return out;
    for (int p = syms.purposes[static_cast<std::size_t>(it->second)].parent; p >= 0;
         p = syms.purposes[static_cast<std::size_t>(p)].parent) {
      out.push_back(syms.purposes[static_cast<std::size_t>(p)].name);
    }
    return out;
  }

  std::vector<std::string> descendants_of(const std::string& purpose) {
    std::vector<std::string> out;
    const std::string prefix = purpose + ".";
    for (const auto& p : f_.purposes) {
      if (p.rfind(prefix, 0) == 0) out.push_back(p);
    }
    return out;
  }

  std::string record_purpose(const std::string& requested) {
    const std::uint64_t r = rng_.below(100);
    if (r < 45) return requested;
    if (r < 70) {
      const auto a = ancestors_of(requested);
      if (!a.empty()) return rng_.pick(a);
      return requested;
    }
    if (r < 80) {
      const auto d = descendants_of(requested);
      if (!d.empty()) return rng_.pick(d);
    }
    if (r < 93 && !f_.purposes.empty()) return rng_.pick(f_.purposes);
    return undeclared(f_.purposes, "nowhere");
  }

  std::vector<ConsentRecord> records(const std::string& requested) {
    std::vector<ConsentRecord> out;
    const int n = static_cast<int>(rng_.range(0, 4));
    for (int i = 0; i < n; ++i) {
      ConsentRecord rec;
      rec.purpose = record_purpose(requested);
      const std::uint64_t s = rng_.below(clean_ ? 8 : 4);
      rec.state = s == 2   ? ConsentState::kWithdrawn
                  : s == 3 ? ConsentState::kObjected
                           : ConsentState::kGranted;
      rec.at = rng_.chance(85) ? rng_.pick(points_) : time_value({});
      // `expires`: mostly on grants; on other states it must be ignored.
      if (rng_.chance(rec.state == ConsentState::kGranted ? 50 : 10)) {
        const std::vector<std::int64_t> ends{
            now_ - 1, now_, now_ + 1, rec.at, rec.at + kDay, now_ + 30 * kDay, clock_};
        rec.expires = rng_.pick(ends);
      }
      rec.source = rng_.chance(50) ? "web-form" : "";
      out.push_back(std::move(rec));
    }
    return out;
  }

  // ---- consent signals ----
  void signals(RandomCase& c) {
    Request& r = c.request;
    if (r.subject && rng_.chance(50)) {
      Request::Signals s;
      if (rng_.chance(75)) s.tcf = tc_string();
      s.gpc = rng_.chance(40);
      r.subject->signals = std::move(s);
    }
    const int n = static_cast<int>(rng_.range(0, 3));
    for (int i = 0; i < n; ++i) {
      ConsentSignal s;
      s.kind = rng_.chance(60) ? SignalKind::kTcf : SignalKind::kGpc;
      if (s.kind == SignalKind::kTcf) s.tc_string = tc_string();
      s.gpc = s.kind == SignalKind::kGpc && rng_.chance(60);
      s.at = rng_.chance(80) ? rng_.pick(points_) : time_value({});
      c.store_signals.push_back(std::move(s));
    }
  }

  // Sets `ids` from 1..n: all of `likely` at `percent`, the rest at 30%.
  std::vector<int> some_ids(int n, const std::vector<int>& likely, int percent) {
    std::vector<int> out;
    for (int i = 1; i <= n; ++i) {
      const bool wanted = std::find(likely.begin(), likely.end(), i) != likely.end();
      if (rng_.chance(wanted ? percent : 30)) out.push_back(i);
    }
    return out;
  }

  // A TC string: mostly well-formed, granting or nearly so; sometimes old,
  // from the future, unusable, or not a TC string at all.
  std::string tc_string() {
    const std::uint64_t kind = rng_.below(100);
    if (kind < 3) return "";
    if (kind < 6) return "not a TC string";
    TcSpec spec;
    const bool all = rng_.chance(40);
    const int keep = all ? 100 : 80;
    spec.purposes = some_ids(11, f_.tcf_purposes, keep);
    spec.li_purposes = some_ids(11, f_.tcf_purposes, keep);
    const std::vector<int> others{1, 10, f_.vendor + 1};
    for (auto* set : {&spec.vendors, &spec.li_vendors}) {
      if (rng_.chance(all ? 100 : 85)) set->push_back(f_.vendor);
      if (rng_.chance(30)) set->push_back(rng_.pick(others));
    }
    if (rng_.chance(20)) {
      const int m = static_cast<int>(rng_.range(1, 2));
      for (int i = 0; i < m; ++i) {
        TcSpec::Restriction x;
        x.purpose = f_.tcf_purposes.empty() || rng_.chance(30) ? static_cast<int>(rng_.range(1, 11))
                                                               : rng_.pick(f_.tcf_purposes);
        x.type = static_cast<int>(rng_.below(4));
        x.vendors = {rng_.chance(70) ? f_.vendor : rng_.pick(others)};
        spec.restrictions.push_back(x);
      }
    }
    if (rng_.chance(70)) {
      TcSpec::Publisher p;
      p.purposes = some_ids(11, f_.tcf_purposes, keep);
      p.li_purposes = some_ids(11, f_.tcf_purposes, keep);
      spec.publisher = p;
    }
    // Last updated: mostly within 13 months, sometimes past them or after
    // now, sometimes at the boundary to the second. Days are whole in TCF
    // 2.2 strings, not always in older ones.
    const std::int64_t limit = 390 * kDay;
    std::int64_t age;
    switch (rng_.below(6)) {
      case 0:
        age = limit + rng_.pick(std::vector<std::int64_t>{-1, 0, 1});
        break;
      case 1:
        age = rng_.range(391, 800) * kDay;
        break;
      case 2:
        age = -rng_.range(0, 40) * kDay - rng_.range(1, kDay - 1);
        break;
      default:
        age = rng_.range(0, 389) * kDay + rng_.range(0, kDay - 1);
    }
    spec.updated = std::max<std::int64_t>(0, now_ - age);
    spec.created = spec.updated;
    if (rng_.chance(5)) spec.service_specific = false;
    if (rng_.chance(8)) {
      spec.policy_version = 2;
      // Before 2023-10-01 a policy version 2 string is still usable.
      spec.created = rng_.chance(50) ? 1672531200 : spec.updated;
    }
    std::string text = encode_tc(spec);
    if (rng_.chance(4)) text.resize(text.size() / 2);  // truncated
    return text;
  }

  // ---- retention ----
  std::optional<Timestamp> collected_at() {
    const std::uint64_t r = rng_.below(100);
    if (r < (clean_ ? 8 : 20)) return std::nullopt;
    if (r < 70 && !f_.retention_periods.empty()) {
      // At, just inside and just past a retention boundary.
      const std::int64_t period = rng_.pick(f_.retention_periods);
      return now_ - period + rng_.pick(std::vector<std::int64_t>{0, 0, 1, -1});
    }
    if (r < 90) return now_ - rng_.range(0, 10 * 365) * kDay - rng_.range(0, kDay - 1);
    if (r < 95) return now_ + rng_.range(1, 30) * kDay;  // in the future
    return now_;
  }

  // ---- attributes ----
  Value scalar(Kind kind, const PathInfo& info) {
    std::vector<Value> own;
    for (const auto& v : info.candidates) {
      if (matches(v, kind)) own.push_back(v);
    }
    for (const auto& v : info.element_candidates) {
      if (matches(v, kind)) own.push_back(v);
    }
    switch (kind) {
      case Kind::kString:
        if (!own.empty() && rng_.chance(65)) return rng_.pick(own);
        return Value::of_text(rng_.chance(90) ? rng_.pick(f_.strings) : "zz");
      case Kind::kInt:
        if (!own.empty() && rng_.chance(65)) return rng_.pick(own);
        return Value::of_int(rng_.pick(f_.ints) + rng_.range(-1, 1));
      case Kind::kBool:
        return Value::of_bool(rng_.chance(50));
      case Kind::kTime:
        return Value::of_text(detail::format_rfc3339(time_value(info.times)));
      default:
        return list(kind, info);
    }
  }

  static bool matches(const Value& v, Kind kind) {
    switch (kind) {
      case Kind::kString:
        return v.kind == Value::Kind::kText;
      case Kind::kInt:
        return v.kind == Value::Kind::kInt;
      case Kind::kBool:
        return v.kind == Value::Kind::kBool;
      case Kind::kTime:
        return false;
      default: {
        if (v.kind != Value::Kind::kList) return false;
        for (const auto& e : v.list) {
          if (!matches(e, element_kind(kind))) return false;
        }
        return true;
      }
    }
  }

  Value list(Kind kind, const PathInfo& info) {
    std::vector<Value> whole;
    for (const auto& v : info.candidates) {
      if (matches(v, kind)) whole.push_back(v);
    }
    if (!whole.empty() && rng_.chance(30)) return rng_.pick(whole);
    const int n = rng_.chance(12) ? 0 : static_cast<int>(rng_.range(1, 3));
    std::vector<Value> items;
    for (int i = 0; i < n; ++i) items.push_back(scalar(element_kind(kind), info));
    return Value::of_list(std::move(items));
  }

  // A value of another type than `kind` (LANGUAGE.md §2: a condition error
  // where it is used).
  Value wrong(Kind kind) {
    for (;;) {
      switch (rng_.below(9)) {
        case 0:
          if (kind != Kind::kString) return Value::of_text(rng_.pick(f_.strings));
          break;
        case 1:
          if (kind != Kind::kInt) return Value::of_int(rng_.pick(f_.ints));
          break;
        case 2:
          if (kind != Kind::kBool) return Value::of_bool(rng_.chance(50));
          break;
        case 3:
          if (kind != Kind::kStringList) {
            return Value::of_list({Value::of_text(rng_.pick(f_.strings))});
          }
          break;
        case 4:
          if (kind != Kind::kIntList) return Value::of_list({Value::of_int(rng_.pick(f_.ints))});
          break;
        case 5:
          // A list of mixed scalars; a list holding a null or a float.
          if (rng_.chance(50)) {
            return Value::of_list({Value::of_text(rng_.pick(f_.strings)), Value::of_int(1)});
          }
          return Value::of_list({Value::of_text(rng_.pick(f_.strings)),
                                 rng_.chance(50) ? Value::null() : Value::of_real(1.5)});
        case 6:
          if (kind == Kind::kTime) {
            // Text that is no RFC 3339 time, or the time as unix seconds.
            if (rng_.chance(50))
              return Value::of_text(rng_.chance(50) ? "yesterday" : "2026-11-28");
            return Value::of_int(now_);
          }
          break;
        case 7:
          return Value::of_real(rng_.chance(50) ? 18.0 : 0.5);
        default:
          return Value::other();
      }
    }
  }

  Value value_for(const PathInfo& info, const std::map<std::string, Value>& made) {
    // The kind to make: the declared one, else one the conditions suggest,
    // else any.
    std::vector<Kind> kinds(info.kinds.begin(), info.kinds.end());
    if (kinds.empty()) kinds = {Kind::kString, Kind::kInt, Kind::kBool, Kind::kStringList};
    const Kind kind = rng_.pick(kinds);
    const std::uint64_t r = rng_.below(100);
    if (!clean_ && r < 5) return Value::null();
    if (!clean_ && r < 15) return wrong(kind);
    // Compared with another attribute: often the same value.
    if (r < 45) {
      std::vector<Value> linked;
      for (const auto& other : info.links) {
        const auto it = made.find(other);
        if (it != made.end() && !it->second.is_null()) linked.push_back(it->second);
      }
      if (!linked.empty()) {
        const Value& v = rng_.pick(linked);
        if (is_list(kind) && v.kind != Value::Kind::kList) {
          return Value::of_list({v, scalar(element_kind(kind), info)});
        }
        return v;
      }
    }
    return scalar(kind, info);
  }

  void attributes(Request& r) {
    std::map<std::string, Value> made;  // by path
    for (const auto& [path, info] : f_.paths) {
      if (lang::builtin_attribute(path)) continue;  // set through the request's fields
      const auto dot = path.find('.');
      if (dot == std::string::npos) continue;
      if (rng_.chance(clean_ ? 2 : 8)) continue;  // missing
      made[path] = value_for(info, made);
    }
    for (const auto& [path, value] : made) {
      const auto dot = path.find('.');
      const std::string root = path.substr(0, dot);
      const std::string name = path.substr(dot + 1);
      if (root == "actor") {
        r.actor.attributes[name] = value;
      } else if (root == "subject") {
        if (r.subject) r.subject->attributes[name] = value;
      } else if (root == "context") {
        r.context[name] = value;
      }
    }
    // Unrelated attributes, and (rarely) ones that share a built-in's name:
    // the built-in must win.
    if (rng_.chance(10)) r.actor.attributes["unused"] = Value::of_text("x");
    if (rng_.chance(10)) r.context["unused"] = Value::of_int(7);
    if (rng_.chance(2)) r.actor.attributes["id"] = Value::of_text("shadow");
    if (rng_.chance(2) && r.subject) r.subject->attributes["id"] = Value::of_int(42);
    if (rng_.chance(2)) r.context["time"] = Value::of_text(detail::format_rfc3339(now_ - kDay));
  }

  const lang::CheckedPolicy& policy_;
  const Facts& f_;
  Rng rng_;
  const lang::Rule* target_ = nullptr;  // the rule this case aims at, if any
  bool clean_ = false;                  // fewer missing, null and mistyped values
  std::int64_t now_ = 0;                // the effective now (context.time, else the clock)
  std::int64_t clock_ = 0;              // the engine's clock
  std::vector<std::int64_t> points_;
};

}  // namespace

RandomCase random_case(const lang::CheckedPolicy& policy, std::uint64_t seed) {
  const Facts facts = study(policy);
  return Generator(policy, facts, seed).run();
}

}  // namespace custos::test
