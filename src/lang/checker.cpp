#include "lang/checker.hpp"

#include <algorithm>
#include <bit>
#include <map>
#include <set>

#include "base/hierarchy.hpp"
#include "base/text.hpp"
#include "custos/limits.hpp"
#include "lang/diagnostics.hpp"

namespace custos::lang {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string quote(std::string_view s) {
  return "`" + std::string(s) + "`";
}

// The parent function of a hierarchy, for base/hierarchy.hpp.
auto parent_in(const std::vector<HierarchyNode>& nodes) {
  return [&nodes](int n) { return nodes[static_cast<std::size_t>(n)].parent; };
}

// Ancestors-or-self of a node, nearest first.
std::vector<int> lineage(const std::vector<HierarchyNode>& nodes, int id) {
  std::vector<int> out;
  detail::for_each_lineage(parent_in(nodes), id, [&](int n) { out.push_back(n); });
  return out;
}

bool covers(const std::vector<HierarchyNode>& nodes, int ancestor, int node) {
  return detail::is_ancestor_or_self(parent_in(nodes), ancestor, node);
}

class Checker {
 public:
  Checker(const SourceFile& file, ParsedPolicy& parsed, DiagnosticSink& sink, const Schema* schema)
      : file_(file), parsed_(parsed), sink_(sink), schema_(schema) {}

  void run() {
    syms_.rule_ids.resize(parsed_.ast.statements.size());
    check_header();
    collect_declarations();
    resolve_roles();
    resolve_purpose_bases();
    check_signals();
    for (std::size_t i = 0; i < parsed_.ast.statements.size(); ++i) {
      auto& node = parsed_.ast.statements[i].node;
      if (auto* rule = std::get_if<Rule>(&node)) check_rule(*rule, i);
      if (auto* retain = std::get_if<RetainRule>(&node)) check_retain(*retain);
      if (auto* assertion = std::get_if<Assertion>(&node)) check_assertion(*assertion);
    }
    check_tables();
    resolve_tables();
    if (!sink_.has_errors()) {
      warn_missing_retention();
      warn_overridden_allows();
      warn_ungranted_consent_purposes();
      warn_signals();
    }
  }

  Symbols take_symbols() { return std::move(syms_); }
  std::vector<ResolvedRule> take_rules() { return std::move(rules_); }
  std::vector<ResolvedRetain> take_retains() { return std::move(retains_); }
  std::vector<ResolvedTable> take_tables() { return std::move(tables_); }
  std::vector<ResolvedAssertion> take_assertions() { return std::move(assertions_); }
  ResolvedSignals signals() const { return signals_; }
  const PolicyHeader* header() const { return header_; }

 private:
  // ---- header ----
  void check_header() {
    const auto& stmts = parsed_.ast.statements;
    for (std::size_t i = 0; i < stmts.size(); ++i) {
      const auto* h = std::get_if<PolicyHeader>(&stmts[i].node);
      if (!h) continue;
      if (header_) {
        sink_.error("E013", stmts[i].span, "a policy has only one `policy` header",
                    "the first is at line " + std::to_string(file_.line_of(header_span_.begin)));
        continue;
      }
      header_ = h;
      header_span_ = stmts[i].span;
      if (i != 0) {
        sink_.error("E013", stmts[i].span, "the `policy` header must be the first statement");
      }
      if (h->name.empty()) {
        sink_.error("E015", h->name_span, "a policy needs a name",
                    "write `policy \"NAME\" version N`");
      } else if (h->name.size() > limits::kMaxPolicyNameBytes) {
        // Decisions and audit entries carry the name inline.
        sink_.error(
            "E015", h->name_span,
            "a policy name is at most " + std::to_string(limits::kMaxPolicyNameBytes) + " bytes",
            "the name identifies the policy in decisions and audit entries: keep it "
            "short, like `acme-crm`");
      }
      if (h->version < 1) {
        sink_.error("E015", h->version_span, "a policy version is an integer of at least 1");
      }
    }
    // A header that failed to parse has its syntax error already.
    const auto& tokens = parsed_.lexed.tokens;
    if (!header_ && !(tokens.size() > 0 && tokens.front().kind == Tok::kPolicy)) {
      if (stmts.empty()) {
        sink_.file_error("E013", "the policy is empty",
                         "start it with `policy \"NAME\" version 1`");
      } else {
        sink_.error("E013", stmts.front().span, "the policy has no `policy` header",
                    "start it with `policy \"NAME\" version 1`");
      }
    }
  }

  // ---- declarations ----
  int declare_node(std::vector<HierarchyNode>& nodes, std::unordered_map<std::string, int>& ids,
                   const Name& name, const char* what) {
    int parent = -1;
    std::size_t start = 0;
    int depth = 0;
    while (true) {
      const auto dot = name.text.find('.', start);
      const std::string prefix = name.text.substr(0, dot);
      const bool last = dot == std::string::npos;
      // A name past the limits has its error from the lexer already. Its
      // prefixes within the limits are declared (no cascade of "undeclared"
      // errors), the rest are not: a 32,000-part name in a 64 KB file once
      // took 2 GB that way.
      if (prefix.size() > limits::kMaxNameBytes ||
          static_cast<std::size_t>(depth) + 1 > limits::kMaxNameParts) {
        return -1;
      }
      auto [it, inserted] = ids.emplace(prefix, static_cast<int>(nodes.size()));
      if (inserted) {
        HierarchyNode n;
        n.name = prefix;
        n.parent = parent;
        n.depth = depth;
        n.declared = name.span;
        nodes.push_back(std::move(n));
        if (parent >= 0) nodes[parent].children.push_back(it->second);
      }
      const int id = it->second;
      if (last) {
        if (nodes[id].is_explicit) {
          sink_.error("E024", name.span,
                      std::string(what) + " " + quote(name.text) + " is declared twice",
                      "it was first declared at line " +
                          std::to_string(file_.line_of(nodes[id].declared.begin)));
        } else {
          nodes[id].is_explicit = true;
          nodes[id].declared = name.span;
        }
        return id;
      }
      parent = id;
      start = dot + 1;
      ++depth;
    }
  }

  void collect_declarations() {
    for (auto& stmt : parsed_.ast.statements) {
      if (auto* d = std::get_if<CategoryDecl>(&stmt.node)) {
        for (const auto& n : d->names) {
          const int id = declare_node(syms_.categories, syms_.category_ids, n, "category");
          if (id >= 0 && d->sensitive) syms_.categories[id].sensitive = true;
        }
      } else if (auto* d = std::get_if<PurposeDecl>(&stmt.node)) {
        std::optional<Basis> basis;
        if (d->basis) {
          basis = basis_from_name(d->basis->text);
          if (!basis) {
            const std::string guess = detail::closest_match(
                d->basis->text, {"consent", "legitimate_interest", "contract", "legal_obligation",
                                 "vital_interest", "public_task"});
            sink_.error("E028", d->basis->span, "unknown legal basis " + quote(d->basis->text),
                        guess.empty() ? "bases are consent, legitimate_interest, contract, "
                                        "legal_obligation, vital_interest and public_task"
                                      : "did you mean " + quote(guess) + "?");
          }
        }
        for (const auto& n : d->names) {
          const int id = declare_node(syms_.purposes, syms_.purpose_ids, n, "purpose");
          if (id < 0) continue;
          if (basis) syms_.purposes[id].own_basis = *basis;
          // A bad basis name already has an error; do not add "no basis".
          if (d->basis && !basis) syms_.purposes[id].own_basis = Basis::kContract;
        }
      } else if (auto* d = std::get_if<RoleDecl>(&stmt.node)) {
        for (const auto& n : d->names) {
          if (syms_.roles.size() >= limits::kMaxRoles) {
            if (!too_many_roles_) {
              sink_.error("E012", n.span,
                          "too many roles (limit: " + std::to_string(limits::kMaxRoles) + ")",
                          "roles are job functions, not people: group the people by function");
              too_many_roles_ = true;
            }
            break;
          }
          auto [it, inserted] =
              syms_.role_ids.emplace(n.text, static_cast<int>(syms_.roles.size()));
          if (!inserted) {
            sink_.error("E024", n.span, "role " + quote(n.text) + " is declared twice",
                        "it was first declared at line " +
                            std::to_string(file_.line_of(syms_.roles[it->second].declared.begin)));
            continue;
          }
          syms_.roles.push_back(RoleNode{n.text, n.span, {}});
        }
      } else if (auto* d = std::get_if<AttributeDecl>(&stmt.node)) {
        declare_attribute(*d);
      }
    }
    // `sensitive` reaches every descendant. Nodes are created parents first,
    // so one pass in creation order propagates it down.
    for (auto& n : syms_.categories) {
      if (n.parent >= 0 && syms_.categories[n.parent].sensitive) n.sensitive = true;
    }
  }

  void declare_attribute(const AttributeDecl& d) {
    const auto root = attribute_root(d.path.text);
    const auto dots = std::count(d.path.text.begin(), d.path.text.end(), '.');
    if (!root || dots != 1) {
      sink_.error("E033", d.path.span, "invalid attribute path " + quote(d.path.text),
                  "attributes are `actor.NAME`, `subject.NAME` or `context.NAME`");
      return;
    }
    if (builtin_attribute(d.path.text)) {
      sink_.error("E033", d.path.span, quote(d.path.text) + " is built in and cannot be declared");
      return;
    }
    if (!syms_.attributes.emplace(d.path.text, d.type).second) {
      sink_.error("E024", d.path.span, "attribute " + quote(d.path.text) + " is declared twice");
      return;
    }
    syms_.root_declared[static_cast<int>(*root)] = true;
  }

  void resolve_roles() {
    for (auto& stmt : parsed_.ast.statements) {
      auto* d = std::get_if<RoleDecl>(&stmt.node);
      if (!d) continue;
      std::vector<int> parents;
      for (const auto& p : d->parents) {
        const int id = resolve_role(p);
        if (id >= 0) parents.push_back(id);
      }
      for (const auto& n : d->names) {
        const auto it = syms_.role_ids.find(n.text);
        if (it == syms_.role_ids.end()) continue;  // past the role limit
        auto& node = syms_.roles[static_cast<std::size_t>(it->second)];
        if (node.declared.begin != n.span.begin) continue;  // a duplicate
        node.parents = parents;
      }
    }
    // Cycle detection: iterative depth-first search (role chains may be long).
    enum : char { kWhite, kGrey, kBlack };
    bool has_cycle = false;
    std::vector<char> color(syms_.roles.size(), kWhite);
    for (std::size_t start = 0; start < syms_.roles.size(); ++start) {
      if (color[start] != kWhite) continue;
      std::vector<std::pair<int, std::size_t>> stack{{static_cast<int>(start), 0}};
      color[start] = kGrey;
      while (!stack.empty()) {
        auto& [node, next] = stack.back();
        const auto& parents = syms_.roles[node].parents;
        if (next == parents.size()) {
          color[node] = kBlack;
          stack.pop_back();
          continue;
        }
        const int parent = parents[next++];
        if (color[parent] == kGrey) {
          std::string path = syms_.roles[parent].name;
          bool in_cycle = false;
          for (const auto& [n, unused] : stack) {
            if (n == parent) in_cycle = true;
            if (in_cycle && n != parent) path += " : " + syms_.roles[n].name;
          }
          path += " : " + syms_.roles[parent].name;
          sink_.error("E026", syms_.roles[node].declared, "role inheritance has a cycle: " + path,
                      "a role cannot inherit from itself, directly or through others");
          color[parent] = kBlack;  // report each cycle once
          has_cycle = true;
        } else if (color[parent] == kWhite) {
          color[parent] = kGrey;
          stack.push_back({parent, 0});
        }
      }
    }
    if (!has_cycle) check_role_depth();
  }

  // The longest inheritance chain must stay within limits::kMaxRoleDepth:
  // every decision and the compiler walk it. Depths are computed parents
  // first, without recursion, once per role.
  void check_role_depth() {
    const std::size_t n = syms_.roles.size();
    std::vector<int> depth(n, -1);
    for (std::size_t start = 0; start < n; ++start) {
      std::vector<int> stack{static_cast<int>(start)};
      while (!stack.empty()) {
        const int r = stack.back();
        if (depth[static_cast<std::size_t>(r)] >= 0) {
          stack.pop_back();
          continue;
        }
        int deepest = 0;
        bool ready = true;
        for (int p : syms_.roles[static_cast<std::size_t>(r)].parents) {
          const int d = depth[static_cast<std::size_t>(p)];
          if (d < 0) {
            stack.push_back(p);
            ready = false;
          } else {
            deepest = std::max(deepest, d + 1);
          }
        }
        if (!ready) continue;
        depth[static_cast<std::size_t>(r)] = deepest;
        stack.pop_back();
        if (static_cast<std::size_t>(deepest) + 1 > limits::kMaxRoleDepth) {
          sink_.error("E012", syms_.roles[static_cast<std::size_t>(r)].declared,
                      "role " + quote(syms_.roles[static_cast<std::size_t>(r)].name) +
                          " inherits through more than " + std::to_string(limits::kMaxRoleDepth) +
                          " levels of roles",
                      "flatten the role hierarchy");
          return;  // one report is enough
        }
      }
    }
  }

  void resolve_purpose_bases() {
    // Parents come before children in creation order.
    for (auto& p : syms_.purposes) {
      p.basis = p.own_basis != Basis::kNone
                    ? p.own_basis
                    : (p.parent >= 0 ? syms_.purposes[p.parent].basis : Basis::kNone);
      if (p.is_explicit && p.basis == Basis::kNone) {
        sink_.error("E027", p.declared, "purpose " + quote(p.name) + " has no legal basis",
                    "add `basis consent` (or another basis) to it or to an ancestor");
      }
    }
  }

  // ---- consent signals ----
  static constexpr std::int64_t kMaxTcfPurpose = 11;
  static constexpr std::int64_t kMaxTcfVendor = 65535;
  // TCF purposes 3 to 6 (personalised advertising and content profiles)
  // rest on consent only: the TCF forbids legitimate interest for them.
  static constexpr std::uint16_t kConsentOnlyTcf = 0b111100;

  static std::string tcf_list(std::uint16_t mask) {
    std::string out;
    for (int p = 1; p <= kMaxTcfPurpose; ++p) {
      if ((mask >> (p - 1)) & 1) out += (out.empty() ? "" : ", ") + std::to_string(p);
    }
    return out;
  }

  // The `signals` line; each purpose's `tcf` and `gpc` marks, which hold for
  // its descendants too (a mark on `marketing` binds `marketing.email`).
  void check_signals() {
    const auto& stmts = parsed_.ast.statements;
    std::optional<Span> first;
    for (const auto& stmt : stmts) {
      const auto* d = std::get_if<SignalsDecl>(&stmt.node);
      if (!d) continue;
      if (first) {
        sink_.error("E024", stmt.span, "the policy has a second `signals` line",
                    "the first is at line " + std::to_string(file_.line_of(first->begin)));
        continue;
      }
      first = stmt.span;
      if (!d->publisher && (d->vendor < 1 || d->vendor > kMaxTcfVendor)) {
        sink_.error("E073", d->target_span,
                    "IAB vendor ids are 1 to 65535, not " + std::to_string(d->vendor),
                    "write your vendor id from the IAB's Global Vendor List");
        continue;
      }
      signals_ = ResolvedSignals{true, d->publisher, static_cast<int>(d->vendor)};
    }
    auto& ps = syms_.purposes;
    for (const auto& stmt : stmts) {
      const auto* d = std::get_if<PurposeDecl>(&stmt.node);
      if (!d) continue;
      std::uint16_t mask = 0;
      for (const auto& t : d->tcf_purposes) {
        if (t.id < 1 || t.id > kMaxTcfPurpose) {
          sink_.error("E070", t.span, "there is no TCF purpose " + std::to_string(t.id),
                      "TCF purposes are numbered 1 to 11");
          continue;
        }
        const auto bit = static_cast<std::uint16_t>(1u << (t.id - 1));
        if (mask & bit) {
          sink_.error("E072", t.span, "TCF purpose " + std::to_string(t.id) + " is listed twice",
                      "list each TCF purpose once");
          continue;
        }
        mask |= bit;
      }
      for (const auto& n : d->names) {
        const auto it = syms_.purpose_ids.find(n.text);
        if (it == syms_.purpose_ids.end()) continue;  // past the name limits
        ps[it->second].own_tcf |= mask;
        ps[it->second].own_gpc = ps[it->second].own_gpc || d->gpc_span.has_value();
      }
    }
    // In force: parents come before children in creation order.
    for (auto& p : ps) {
      const auto* parent = p.parent >= 0 ? &ps[p.parent] : nullptr;
      p.tcf = static_cast<std::uint16_t>(p.own_tcf | (parent ? parent->tcf : 0));
      p.gpc = p.own_gpc || (parent && parent->gpc);
    }
    // Legitimate interest cannot carry TCF purposes 3 to 6: where the mapping
    // is written, and where a purpose takes that basis under a mapped parent.
    for (const auto& stmt : stmts) {
      const auto* d = std::get_if<PurposeDecl>(&stmt.node);
      if (!d || d->tcf_purposes.empty()) continue;
      const HierarchyNode* li = nullptr;
      for (const auto& n : d->names) {
        const auto it = syms_.purpose_ids.find(n.text);
        if (it != syms_.purpose_ids.end() && ps[it->second].basis == Basis::kLegitimateInterest) {
          li = &ps[it->second];
          break;
        }
      }
      if (!li) continue;
      std::uint16_t reported = 0;
      for (const auto& t : d->tcf_purposes) {
        if (t.id < 1 || t.id > kMaxTcfPurpose) continue;
        const auto bit = static_cast<std::uint16_t>(1u << (t.id - 1));
        if (!(bit & kConsentOnlyTcf) || (reported & bit)) continue;
        reported |= bit;
        sink_.error("E071", t.span,
                    "TCF purpose " + std::to_string(t.id) +
                        " cannot rest on legitimate interest: the TCF allows only consent for "
                        "purposes 3 to 6",
                    "purpose " + quote(li->name) +
                        " has basis legitimate_interest: give it basis consent, or map it to "
                        "other TCF purposes");
      }
    }
    for (const auto& p : ps) {
      if (!p.is_explicit || p.own_basis != Basis::kLegitimateInterest || p.parent < 0) continue;
      const HierarchyNode& parent = ps[p.parent];
      const auto inherited = static_cast<std::uint16_t>(parent.tcf & kConsentOnlyTcf);
      if (!inherited || parent.basis == Basis::kLegitimateInterest) continue;
      const HierarchyNode* from = &parent;
      while (!(from->own_tcf & inherited) && from->parent >= 0) from = &ps[from->parent];
      sink_.error("E071", p.declared,
                  "purpose " + quote(p.name) +
                      " has basis legitimate_interest, but inherits TCF purpose" +
                      (std::popcount(inherited) > 1 ? "s " : " ") + tcf_list(inherited) + " from " +
                      quote(from->name) + ", which the TCF allows only with consent",
                  "give it basis consent, or declare it outside " + quote(from->name));
    }
  }

  // ---- name resolution ----
  // The declared names of one namespace, sorted, for did-you-mean hints;
  // built once (every name is declared before any is resolved).
  const std::vector<std::string>& names_of(const std::unordered_map<std::string, int>& ids) {
    auto [it, inserted] = sorted_names_.try_emplace(&ids);
    if (inserted) {
      it->second.reserve(ids.size());
      for (const auto& [name, id] : ids) it->second.push_back(name);
      std::sort(it->second.begin(), it->second.end());
    }
    return it->second;
  }

  int resolve(const std::unordered_map<std::string, int>& ids, const Name& name, const char* id,
              const char* what) {
    const auto it = ids.find(name.text);
    if (it != ids.end()) return it->second;
    // Past the cap the diagnostic is only counted: skip the hint's search.
    const std::string guess =
        sink_.full() ? std::string() : detail::closest_match(name.text, names_of(ids));
    sink_.error(id, name.span, std::string("undeclared ") + what + " " + quote(name.text),
                guess.empty() ? std::string("declare it with `") + what + " " + name.text + "`"
                              : "did you mean " + quote(guess) + "?");
    return -1;
  }
  int resolve_category(const Name& n) { return resolve(syms_.category_ids, n, "E020", "category"); }
  int resolve_purpose(const Name& n) { return resolve(syms_.purpose_ids, n, "E021", "purpose"); }
  int resolve_role(const Name& n) { return resolve(syms_.role_ids, n, "E022", "role"); }

  void resolve_list(const NameList& list, int (Checker::*resolver)(const Name&)) {
    for (const auto& n : list.names) (this->*resolver)(n);
  }

  // ---- rules ----
  void check_rule(Rule& r, std::size_t index) {
    const int line = file_.line_of(r.effect_span.begin);
    std::string id =
        r.explicit_id ? *r.explicit_id : file_.base_name() + ":" + std::to_string(line);
    const Span id_span = r.explicit_id ? r.id_span : r.effect_span;
    if (r.explicit_id && r.explicit_id->empty()) {
      sink_.error("E025", r.id_span, "a rule id cannot be empty");
    }
    auto [it, inserted] = rule_id_lines_.emplace(id, line);
    if (!inserted) {
      sink_.error("E025", id_span, "rule id " + quote(id) + " is used twice",
                  "the other rule with this id is at line " + std::to_string(it->second));
    }
    syms_.rule_ids[index] = id;

    ResolvedRule resolved;
    resolved.id = id;
    resolved.default_id = !r.explicit_id;
    resolved.effect = r.effect;
    resolved.action = r.action;
    resolved.any_role = r.roles.star;
    for (const auto& n : r.roles.names) resolved.roles.push_back(resolve_role(n));
    std::map<int, Span> listed;  // category id -> first item naming it
    for (const auto& item : r.categories) {
      ResolvedRule::Item resolved_item;
      if (item.transform) resolved_item.transform = item.transform->value;
      if (!r.all_categories) {
        resolved_item.category = resolve_category(item.name);
        if (resolved_item.category >= 0) {
          resolved_item.depth = syms_.categories[resolved_item.category].depth;
          auto [it, inserted] = listed.emplace(resolved_item.category, item.name.span);
          if (!inserted) {
            // Two items for one category leave its transform to the reader's
            // guess; say which to keep.
            sink_.error("E034", item.name.span,
                        "category " + quote(item.name.text) + " is listed twice in this rule",
                        "list each category once, with the one transform it gets (first at "
                        "column " +
                            std::to_string(file_.column_of(it->second.begin)) + ")");
          }
        }
      }
      if (item.transform && r.effect == Effect::kDeny) {
        sink_.error("E030", item.transform->span, "a deny rule cannot transform data",
                    "remove `as ...`: a deny withholds the category entirely");
      }
      resolved.categories.push_back(resolved_item);
    }
    resolved.any_purpose = r.purposes.star;
    for (const auto& n : r.purposes.names) resolved.purposes.push_back(resolve_purpose(n));
    if (r.when) {
      const Type t = check_expr(*r.when);
      if (t.known() && t != Type{BaseType::kBool, false}) {
        sink_.error("E041", r.when->span,
                    "a `when` condition must be true or false, but this is " + type_name(t));
      }
      resolved.when = r.when.get();
    }
    rules_.push_back(std::move(resolved));
  }

  void check_retain(const RetainRule& r) {
    ResolvedRetain resolved;
    resolved.all_categories = r.categories.star;
    for (const auto& n : r.categories.names) resolved.categories.push_back(resolve_category(n));
    resolved.purpose_list = r.purposes && !r.purposes->star;
    if (r.purposes) {
      for (const auto& n : r.purposes->names) resolved.purposes.push_back(resolve_purpose(n));
    }
    resolved.period = r.period.seconds();
    resolved.written = r.period;
    resolved.line = file_.line_of(r.categories.span.begin);
    retains_.push_back(std::move(resolved));
  }

  // Names are resolved here; whether the promise holds is decided after the
  // policy is checked (src/policy/assertions.cpp), from its access matrix.
  void check_assertion(const Assertion& a) {
    ResolvedAssertion resolved;
    resolved.kind = a.kind;
    if (a.at_most) resolved.at_most = a.at_most->value;
    resolved.span = a.assert_span;
    resolved.any_role = a.roles.star;
    for (const auto& n : a.roles.names) resolved.roles.push_back(resolve_role(n));
    resolved.action = a.action;
    resolved.any_category = a.categories.star;
    for (const auto& n : a.categories.names) resolved.categories.push_back(resolve_category(n));
    resolved.any_purpose = a.purposes.star;
    for (const auto& n : a.purposes.names) resolved.purposes.push_back(resolve_purpose(n));
    assertions_.push_back(std::move(resolved));
  }

  // ---- conditions ----
  Type type_error(const Expr& e, std::string message, std::string hint = {}) {
    sink_.error("E040", e.span, std::move(message), std::move(hint));
    return Type{};  // unknown: no cascade of errors
  }

  Type check_attribute(const Expr& e) {
    const auto root = attribute_root(e.text);
    if (!root || std::count(e.text.begin(), e.text.end(), '.') != 1) {
      sink_.error("E033", e.span, "invalid attribute " + quote(e.text),
                  "attributes are `actor.NAME`, `subject.NAME` or `context.NAME`");
      return Type{};
    }
    if (auto t = builtin_attribute(e.text)) return *t;
    if (!syms_.root_declared[static_cast<int>(*root)]) return Type{};
    const auto it = syms_.attributes.find(e.text);
    if (it != syms_.attributes.end()) return it->second;
    std::vector<std::string> same_root;
    const std::string prefix = e.text.substr(0, e.text.find('.') + 1);
    for (const auto& [path, type] : syms_.attributes) {
      if (path.rfind(prefix, 0) == 0) same_root.push_back(path);
    }
    std::sort(same_root.begin(), same_root.end());
    const std::string guess = detail::closest_match(e.text, same_root);
    sink_.error("E023", e.span, "undeclared attribute " + quote(e.text),
                guess.empty() ? "declare it with `attribute " + e.text + " : TYPE`"
                              : "did you mean " + quote(guess) + "?");
    return Type{};
  }

  Type check_expr(Expr& e) {
    e.type = check_expr_inner(e);
    return e.type;
  }

  Type check_expr_inner(Expr& e) {
    const Type kBool{BaseType::kBool, false};
    const Type kString{BaseType::kString, false};
    switch (e.kind) {
      case ExprKind::kAttribute:
        return check_attribute(e);
      case ExprKind::kNow:
      case ExprKind::kTime:
        return Type{BaseType::kTime, false};
      case ExprKind::kString:
        return Type{BaseType::kString, false};
      case ExprKind::kInteger:
        return Type{BaseType::kInt, false};
      case ExprKind::kBool:
        return kBool;
      case ExprKind::kDuration:
        return Type{BaseType::kDuration, false};
      case ExprKind::kList: {
        Type element;
        for (auto& child : e.children) {
          const Type t = check_expr(*child);
          if (t.list) return type_error(*child, "lists cannot contain lists");
          if (t.base == BaseType::kUnknown) continue;
          if (element.known() && element != t) {
            return type_error(*child, "list elements must have one type: " + type_name(element) +
                                          " and " + type_name(t) + " are mixed");
          }
          element = t;
        }
        return Type{element.base, true};
      }
      case ExprKind::kCompare: {
        const Type a = check_expr(*e.children[0]);
        const Type b = check_expr(*e.children[1]);
        const bool ordering = e.op != CompareOp::kEq && e.op != CompareOp::kNe;
        const bool string_vs_time = (a == Type{BaseType::kTime, false} && b == kString) ||
                                    (a == kString && b == Type{BaseType::kTime, false});
        const std::string hint =
            string_vs_time ? "a string never becomes a time by itself: write time(\"...\")" : "";
        if (ordering) {
          for (const auto* side : {e.children[0].get(), e.children[1].get()}) {
            const Type t = side->type;
            if (t.known() && (t.list || (t.base != BaseType::kInt && t.base != BaseType::kTime &&
                                         t.base != BaseType::kDuration))) {
              type_error(
                  *side,
                  "only int, time and duration values can be ordered, but this is " + type_name(t),
                  hint);
              return kBool;
            }
          }
        }
        if (!compatible(a, b)) {
          // `actor.id == 42`: ids are text; an integer literal beside a string
          // most likely means the string.
          std::string quote_hint = hint;
          for (const auto* side : {e.children[0].get(), e.children[1].get()}) {
            const Expr* other =
                side == e.children[0].get() ? e.children[1].get() : e.children[0].get();
            if (side->kind == ExprKind::kInteger && other->type == kString) {
              quote_hint =
                  "ids and strings are text: write `\"" + std::to_string(side->number) + "\"`";
            }
          }
          type_error(e, "cannot compare " + type_name(a) + " with " + type_name(b), quote_hint);
        }
        return kBool;
      }
      case ExprKind::kIn: {
        const Type a = check_expr(*e.children[0]);
        const Type b = check_expr(*e.children[1]);
        if (a.list) {
          type_error(*e.children[0], "the left side of `in` must be a single value");
        } else if (b.known() && !b.list) {
          type_error(*e.children[1], "`in` needs a list on its right, but this is " + type_name(b));
        } else if (!compatible(Type{a.base, true}, b)) {
          type_error(e, "cannot look for " + type_name(a) + " in " + type_name(b));
        }
        return kBool;
      }
      case ExprKind::kAdd:
      case ExprKind::kSubtract: {
        const Type a = check_expr(*e.children[0]);
        const Type b = check_expr(*e.children[1]);
        const char* op = e.kind == ExprKind::kAdd ? "`+`" : "`-`";
        bool ok = true;
        if (a.known() && a != Type{BaseType::kTime, false}) {
          type_error(*e.children[0],
                     std::string(op) + " needs a time on its left, but this is " + type_name(a),
                     "only `time + duration` and `time - duration` exist");
          ok = false;
        }
        if (b.known() && b != Type{BaseType::kDuration, false}) {
          type_error(
              *e.children[1],
              std::string(op) + " needs a duration on its right, but this is " + type_name(b),
              "write a duration such as `30d`");
          ok = false;
        }
        // After an error the result is unknown, so it raises no second one.
        return ok ? Type{BaseType::kTime, false} : Type{};
      }
      case ExprKind::kNot:
      case ExprKind::kAnd:
      case ExprKind::kOr: {
        const char* op = e.kind == ExprKind::kNot   ? "`not`"
                         : e.kind == ExprKind::kAnd ? "`and`"
                                                    : "`or`";
        for (auto& child : e.children) {
          const Type t = check_expr(*child);
          if (t.known() && t != kBool) {
            type_error(*child,
                       std::string(op) + " needs true or false, but this is " + type_name(t));
          }
        }
        return kBool;
      }
    }
    return Type{};
  }

  // ---- tables ----
  struct BoundTable {
    const TableBinding* binding;
    std::set<std::string> listed;         // lower-case column names the block names
    std::set<std::string> public_listed;  // those of them listed `: public`
  };

  const Schema::Table* schema_table(const std::string& name) const {
    if (!schema_) return nullptr;
    for (const auto& t : schema_->tables) {
      if (lower(t.name) == lower(name)) return &t;
    }
    return nullptr;
  }

  bool schema_has_column(const Schema::Table& t, const std::string& column) const {
    return std::any_of(t.columns.begin(), t.columns.end(),
                       [&](const std::string& c) { return lower(c) == lower(column); });
  }

  // With a schema: reports a column the database lacks.
  void check_db_column(const Schema::Table* t, const Name& column) {
    if (!t || schema_has_column(*t, column.text)) return;
    const std::string guess = detail::closest_match(column.text, t->columns);
    sink_.error("E054", column.span,
                "table " + quote(t->name) + " has no column " + quote(column.text),
                guess.empty() ? "" : "did you mean " + quote(guess) + "?");
  }

  void check_tables() {
    std::map<std::string, BoundTable> bound;  // by lower-case name
    for (auto& stmt : parsed_.ast.statements) {
      auto* t = std::get_if<TableBinding>(&stmt.node);
      if (!t) continue;
      auto [it, inserted] = bound.emplace(lower(t->table.text), BoundTable{t, {}});
      if (!inserted) {
        sink_.error("E024", t->table.span, "table " + quote(t->table.text) + " is bound twice",
                    "it is first bound at line " +
                        std::to_string(file_.line_of(it->second.binding->table.span.begin)));
        continue;
      }
      auto& listed = it->second.listed;
      for (const auto& e : t->entries) {
        if (e.kind == EntryKind::kColumns) {
          for (const auto& c : e.columns) {
            listed.insert(lower(c.text));
            if (!e.category) it->second.public_listed.insert(lower(c.text));
          }
        } else if ((e.kind == EntryKind::kSubject || e.kind == EntryKind::kCollected) &&
                   !e.column.table) {
          listed.insert(lower(e.column.column.text));
        }
      }
    }
    for (auto& [key, table] : bound) check_table(*table.binding, bound);
    // Tables the policy does not bind cannot be read at all: say which.
    if (schema_) {
      std::string unbound;
      for (const auto& st : schema_->tables) {
        if (!bound.count(lower(st.name))) unbound += (unbound.empty() ? "" : ", ") + quote(st.name);
      }
      if (!unbound.empty()) {
        sink_.file_warning("W005", "database tables without a binding cannot be read: " + unbound,
                           "reads of them are denied `unbound_table`; bind each with `table NAME "
                           "{ ... }`, or declare it `table NAME public` if it holds no personal "
                           "data");
      }
    }
  }

  void check_table(const TableBinding& t, const std::map<std::string, BoundTable>& bound) {
    const Schema::Table* db = nullptr;
    if (schema_) {
      db = schema_table(t.table.text);
      const auto view =
          std::find_if(schema_->views.begin(), schema_->views.end(),
                       [&](const Schema::View& v) { return lower(v.name) == lower(t.table.text); });
      if (!db && view != schema_->views.end()) {
        std::string bases;
        for (const auto& b : view->base_tables) bases += (bases.empty() ? "" : ", ") + quote(b);
        sink_.error("E055", t.table.span,
                    quote(t.table.text) + " is a view of the database, and views cannot be bound",
                    bases.empty() ? std::string("bind the tables it reads instead")
                                  : "bind the tables it reads instead: " + bases);
        return;
      }
      if (!db) {
        std::vector<std::string> names;
        for (const auto& st : schema_->tables) names.push_back(st.name);
        const std::string guess = detail::closest_match(t.table.text, names);
        sink_.error("E053", t.table.span, "the database has no table " + quote(t.table.text),
                    guess.empty() ? "" : "did you mean " + quote(guess) + "?");
      }
    }
    if (t.is_public) return;
    const TableEntry* subject = nullptr;
    const TableEntry* collected = nullptr;
    std::map<std::string, Span> columns;     // lower-case name -> first entry
    std::map<std::string, Span> attributes;  // bound subject attributes
    for (const auto& e : t.entries) {
      switch (e.kind) {
        case EntryKind::kSubject:
        case EntryKind::kCollected: {
          const TableEntry*& slot = e.kind == EntryKind::kSubject ? subject : collected;
          const char* word = e.kind == EntryKind::kSubject ? "subject" : "collected";
          if (slot) {
            sink_.error(
                "E024", e.span,
                std::string("table ") + quote(t.table.text) + " has two `" + word + "` lines");
            break;
          }
          slot = &e;
          check_reference(t, e, word, bound, db);
          break;
        }
        case EntryKind::kColumns:
          for (const auto& c : e.columns) {
            auto [it, inserted] = columns.emplace(lower(c.text), c.span);
            if (!inserted) {
              sink_.error(
                  "E024", c.span, "column " + quote(c.text) + " is listed twice",
                  "it is first listed at line " + std::to_string(file_.line_of(it->second.begin)));
            }
            check_db_column(db, c);
          }
          if (e.category) resolve_category(*e.category);
          break;
        case EntryKind::kAttribute: {
          const std::string& path = e.attribute.text;
          if (std::count(path.begin(), path.end(), '.') != 1 || builtin_attribute(path)) {
            sink_.error("E033", e.attribute.span, "cannot bind " + quote(path) + " to a column",
                        "bind a declared subject attribute, e.g. `subject.region = Country`");
          } else if (syms_.root_declared[static_cast<int>(AttributeRoot::kSubject)] &&
                     !syms_.attributes.count(path)) {
            sink_.error("E023", e.attribute.span, "undeclared attribute " + quote(path),
                        "declare it with `attribute " + path + " : TYPE`");
          }
          if (!attributes.emplace(path, e.attribute.span).second) {
            sink_.error("E024", e.attribute.span, quote(path) + " is bound twice in this table");
          }
          check_db_column(db, e.attribute_column);
          break;
        }
      }
    }
    if (!collected) {
      // Without a collection time, every read that a retain rule applies to
      // fails closed (collected_unknown): say so here, not in production.
      // Columns are named with the purposes their retain rules limit.
      std::vector<std::pair<std::string, std::string>> limited;  // purposes -> columns
      std::set<int> lines;
      for (const auto& e : t.entries) {
        if (e.kind != EntryKind::kColumns || !e.category) continue;
        const auto it = syms_.category_ids.find(e.category->text);
        if (it == syms_.category_ids.end()) continue;
        const int cc = it->second;
        bool every_purpose = false;
        std::vector<std::string> purposes;
        for (const ResolvedRetain& r : retains_) {
          const bool applies = r.all_categories ||
                               std::any_of(r.categories.begin(), r.categories.end(), [&](int rc) {
                                 return rc >= 0 && (covers(syms_.categories, rc, cc) ||
                                                    covers(syms_.categories, cc, rc));
                               });
          if (!applies) continue;
          lines.insert(r.line);
          every_purpose = every_purpose || !r.purpose_list;
          for (int p : r.purposes) {
            if (p < 0) continue;  // an unresolved purpose (already an error)
            const std::string& name = syms_.purposes[static_cast<std::size_t>(p)].name;
            if (std::find(purposes.begin(), purposes.end(), name) == purposes.end()) {
              purposes.push_back(name);
            }
          }
        }
        if (!every_purpose && purposes.empty()) continue;
        std::string scope = every_purpose ? "every purpose" : "";
        if (!every_purpose) {
          for (const auto& p : purposes) scope += (scope.empty() ? "" : ", ") + p;
        }
        auto group = std::find_if(limited.begin(), limited.end(),
                                  [&](const auto& g) { return g.first == scope; });
        if (group == limited.end()) group = limited.insert(limited.end(), {scope, ""});
        for (const auto& c : e.columns) {
          group->second += (group->second.empty() ? "" : ", ") + quote(c.text);
        }
      }
      if (!limited.empty()) {
        std::string reads;
        for (const auto& [scope, columns] : limited) {
          reads += (reads.empty() ? "" : "; ") + columns + " for " + scope;
        }
        std::string line_list;
        for (int l : lines) line_list += (line_list.empty() ? "" : ", ") + std::to_string(l);
        sink_.warning("W006", t.table.span,
                      "table " + quote(t.table.text) +
                          " has no `collected` line, so reads that retention limits are always "
                          "denied `collected_unknown`: " +
                          reads,
                      "add `collected COLUMN` (when each row's data was collected), or `collected "
                      "Table.Column via COLUMN`; retain rules at line" +
                          std::string(lines.size() == 1 ? " " : "s ") + line_list + " apply");
      }
    }
    if (!subject) {
      sink_.error("E050", t.table.span, "table " + quote(t.table.text) + " has no `subject` line",
                  "name the column that holds the data subject's id, or declare the table "
                  "`public`");
    }
    if (db) {
      std::set<std::string> listed;
      for (const auto& [name, span] : columns) listed.insert(name);
      for (const auto* e : {subject, collected}) {
        if (e && !e->column.table) listed.insert(lower(e->column.column.text));
      }
      std::string missing;
      for (const auto& c : db->columns) {
        if (!listed.count(lower(c))) missing += (missing.empty() ? "" : ", ") + quote(c);
      }
      if (!missing.empty()) {
        sink_.warning(
            "W004", t.table.span,
            "table " + quote(t.table.text) + " has columns the binding does not list: " + missing,
            "unlisted columns cannot be read (unclassified_column); list them with a "
            "category or as `public`");
      }
    }
  }

  void check_reference(const TableBinding& t, const TableEntry& e, const char* word,
                       const std::map<std::string, BoundTable>& bound, const Schema::Table* db) {
    const ColumnRef& ref = e.column;
    if (!ref.table) {
      if (e.via) {
        sink_.error("E051", e.via->span, "`via` needs a column of another table before it",
                    std::string("write `") + word + " Table.Column via " + e.via->text + "`");
      }
      check_db_column(db, ref.column);
      return;
    }
    if (!e.via) {
      sink_.error("E051", ref.span,
                  quote(ref.table->text + "." + ref.column.text) + " is a column of another table",
                  std::string("add `via COLUMN`: the column of `") + t.table.text +
                      "` that references `" + ref.table->text + "`");
      return;
    }
    check_db_column(db, *e.via);
    const auto it = bound.find(lower(ref.table->text));
    if (it == bound.end() || it->second.binding->is_public) {
      sink_.error("E051", ref.table->span,
                  "`via` references table " + quote(ref.table->text) +
                      ", which has no binding with a subject",
                  "bind it with `table " + ref.table->text + " { subject ... }`");
      return;
    }
    if (!it->second.listed.count(lower(ref.column.text))) {
      sink_.error("E051", ref.column.span,
                  "table " + quote(ref.table->text) + "'s binding does not list column " +
                      quote(ref.column.text));
    } else if (it->second.public_listed.count(lower(ref.column.text)) &&
               std::none_of(it->second.binding->entries.begin(), it->second.binding->entries.end(),
                            [&](const TableEntry& own) {
                              return (own.kind == EntryKind::kSubject ||
                                      own.kind == EntryKind::kCollected) &&
                                     !own.column.table &&
                                     lower(own.column.column.text) == lower(ref.column.text);
                            })) {
      // A public column holds no personal data: it can name no data subject
      // and date no collection.
      sink_.error(
          "E051", ref.column.span,
          std::string("`via` cannot take ") +
              (std::string(word) == "subject" ? "the data subject" : "the collection time") +
              " from " + quote(ref.table->text + "." + ref.column.text) + ", a public column",
          "reference " + ref.table->text +
              "'s own subject or collected column, or a classified one");
    }
    check_db_column(schema_table(ref.table->text), ref.column);
  }

  // The bindings as the guard reads them. Errors were reported above; a
  // policy with errors is never compiled, so unresolved names are skipped.
  void resolve_tables() {
    for (const auto& stmt : parsed_.ast.statements) {
      const auto* t = std::get_if<TableBinding>(&stmt.node);
      if (!t) continue;
      ResolvedTable out;
      out.name = t->table.text;
      out.is_public = t->is_public;
      for (const auto& e : t->entries) {
        switch (e.kind) {
          case EntryKind::kSubject:
          case EntryKind::kCollected: {
            auto& ref = e.kind == EntryKind::kSubject ? out.subject : out.collected;
            if (ref.present) break;  // a second line is an error already
            ref.present = true;
            ref.column = e.column.column.text;
            if (e.column.table) ref.table = e.column.table->text;
            if (e.via) ref.via = e.via->text;
            break;
          }
          case EntryKind::kColumns: {
            int category = -1;
            if (e.category) {
              const auto it = syms_.category_ids.find(e.category->text);
              category = it == syms_.category_ids.end() ? -1 : it->second;
            }
            for (const auto& c : e.columns) out.columns.push_back({c.text, category});
            break;
          }
          case EntryKind::kAttribute:
            out.attributes.emplace_back(e.attribute.text, e.attribute_column.text);
            break;
        }
      }
      tables_.push_back(std::move(out));
    }
  }

  // ---- warnings ----
  void warn_missing_retention() {
    const auto& cats = syms_.categories;
    std::vector<char> retained(cats.size(), 0);
    bool all = false;
    for (const auto& stmt : parsed_.ast.statements) {
      const auto* r = std::get_if<RetainRule>(&stmt.node);
      if (!r) continue;
      if (r->categories.star) all = true;
      for (const auto& n : r->categories.names) retained[syms_.category_ids.at(n.text)] = 1;
    }
    if (all) return;
    for (std::size_t i = 0; i < cats.size(); ++i) {
      if (!cats[i].children.empty()) continue;
      bool covered = false;
      for (int n = static_cast<int>(i); n >= 0 && !covered; n = cats[n].parent) {
        covered = retained[n];
      }
      if (!covered) {
        sink_.warning("W001", cats[i].declared,
                      "category " + quote(cats[i].name) + " has no retention rule",
                      "add `retain " + cats[i].name +
                          " for PERIOD`; without one, its data may "
                          "be kept and used forever");
      }
    }
  }

  struct RuleView {
    const Rule* rule;
    std::size_t statement;                         // index, for the rule's id
    std::vector<int> roles, categories, purposes;  // resolved ids
  };

  RuleView view(const Rule& r, std::size_t statement) {
    RuleView v{&r, statement, {}, {}, {}};
    for (const auto& n : r.roles.names) v.roles.push_back(syms_.role_ids.at(n.text));
    if (!r.all_categories) {
      for (const auto& c : r.categories) v.categories.push_back(syms_.category_ids.at(c.name.text));
    }
    for (const auto& n : r.purposes.names) v.purposes.push_back(syms_.purpose_ids.at(n.text));
    return v;
  }

  // Roles a role holds (itself and every ancestor), sorted; computed once per
  // role.
  const std::vector<int>& held_roles(int role) {
    auto [it, inserted] = held_cache_.try_emplace(role);
    if (!inserted) return it->second;
    it->second = detail::reachable(
        role, syms_.roles.size(), [this](int r) -> const auto& {
          return syms_.roles[static_cast<std::size_t>(r)].parents;
        });
    std::sort(it->second.begin(), it->second.end());
    return it->second;
  }

  bool deny_overrides(const RuleView& deny, const RuleView& allow) {
    const Rule& d = *deny.rule;
    const Rule& a = *allow.rule;
    if (d.action != Action::kUse && d.action != a.action) return false;
    if (!d.roles.star) {
      if (a.roles.star) return false;
      for (int role : allow.roles) {
        const auto& held = held_roles(role);
        if (!std::any_of(deny.roles.begin(), deny.roles.end(),
                         [&](int r) { return std::binary_search(held.begin(), held.end(), r); })) {
          return false;
        }
      }
    }
    const auto all_covered = [](const std::vector<HierarchyNode>& nodes, bool deny_star,
                                const std::vector<int>& deny_ids, bool allow_star,
                                const std::vector<int>& allow_ids) {
      if (deny_star) return true;
      if (allow_star) return false;
      return std::all_of(allow_ids.begin(), allow_ids.end(), [&](int x) {
        return std::any_of(deny_ids.begin(), deny_ids.end(),
                           [&](int y) { return covers(nodes, y, x); });
      });
    };
    return all_covered(syms_.categories, d.all_categories, deny.categories, a.all_categories,
                       allow.categories) &&
           all_covered(syms_.purposes, d.purposes.star, deny.purposes, a.purposes.star,
                       allow.purposes);
  }

  void warn_overridden_allows() {
    // Unconditional deny rules, bucketed by (purpose, category) with -1 for
    // `*`, so each allow rule only meets the deny rules that could cover it.
    const auto& stmts = parsed_.ast.statements;
    std::vector<RuleView> denies;
    const auto key = [](int purpose, int category) {
      return (static_cast<std::uint64_t>(static_cast<std::uint32_t>(purpose)) << 32) |
             static_cast<std::uint32_t>(category);
    };
    std::unordered_map<std::uint64_t, std::vector<std::size_t>> buckets;
    for (std::size_t i = 0; i < stmts.size(); ++i) {
      const auto* r = std::get_if<Rule>(&stmts[i].node);
      if (!r || r->effect != Effect::kDeny || r->when) continue;
      denies.push_back(view(*r, i));
      const auto& v = denies.back();
      const std::vector<int> ps = r->purposes.star ? std::vector<int>{-1} : v.purposes;
      const std::vector<int> cs = r->all_categories ? std::vector<int>{-1} : v.categories;
      for (int p : ps) {
        for (int c : cs) buckets[key(p, c)].push_back(denies.size() - 1);
      }
    }
    if (denies.empty()) return;
    for (std::size_t i = 0; i < stmts.size(); ++i) {
      const auto* r = std::get_if<Rule>(&stmts[i].node);
      if (!r || r->effect != Effect::kAllow) continue;
      const RuleView allow = view(*r, i);
      std::vector<int> ps{-1}, cs{-1};
      if (!r->purposes.star) {
        for (int p : lineage(syms_.purposes, allow.purposes.front())) ps.push_back(p);
      }
      if (!r->all_categories) {
        for (int c : lineage(syms_.categories, allow.categories.front())) cs.push_back(c);
      }
      const RuleView* overriding = nullptr;
      for (int p : ps) {
        for (int c : cs) {
          const auto it = buckets.find(key(p, c));
          if (it == buckets.end()) continue;
          for (std::size_t d : it->second) {
            if (deny_overrides(denies[d], allow)) {
              overriding = &denies[d];
              break;
            }
          }
          if (overriding) break;
        }
        if (overriding) break;
      }
      if (overriding) {
        sink_.warning("W002", r->effect_span,
                      "this allow rule never grants anything: deny rule " +
                          quote(syms_.rule_ids[overriding->statement]) + " always overrides it",
                      "remove the allow rule, or narrow the deny rule");
      }
    }
  }

  void warn_ungranted_consent_purposes() {
    const auto& ps = syms_.purposes;
    std::vector<char> touched(ps.size(), 0), subtree(ps.size(), 0);
    for (const auto& stmt : parsed_.ast.statements) {
      const auto* r = std::get_if<Rule>(&stmt.node);
      if (!r || r->effect != Effect::kAllow) continue;
      if (r->purposes.star) return;  // grants every purpose
      for (const auto& n : r->purposes.names) {
        const int id = syms_.purpose_ids.at(n.text);
        subtree[id] = 1;
        for (int a = id; a >= 0; a = ps[a].parent) touched[a] = 1;
      }
    }
    for (std::size_t i = 0; i < ps.size(); ++i) {
      if (!ps[i].is_explicit || ps[i].basis != Basis::kConsent || touched[i]) continue;
      bool granted = false;
      for (int a = static_cast<int>(i); a >= 0 && !granted; a = ps[a].parent) granted = subtree[a];
      if (!granted) {
        sink_.warning(
            "W003", ps[i].declared,
            "purpose " + quote(ps[i].name) + " needs consent, but no allow rule grants it",
            "add an allow rule for it, or remove the purpose so no consent is "
            "collected for nothing");
      }
    }
  }

  // W010: sharing that a GPC opt-out cannot stop; W011: TCF mappings that
  // no TC string can satisfy.
  void warn_signals() {
    const auto& ps = syms_.purposes;
    const auto& stmts = parsed_.ast.statements;
    if (!signals_.tcf) {
      for (const auto& stmt : stmts) {
        const auto* d = std::get_if<PurposeDecl>(&stmt.node);
        if (!d || !d->tcf_span) continue;
        sink_.warning("W011", *d->tcf_span,
                      "purposes are mapped to TCF purposes, but the policy has no `signals tcf` "
                      "line: no TC string can grant them",
                      "add `signals tcf vendor N` (N: your IAB vendor id) or `signals tcf "
                      "publisher`");
        break;
      }
    }
    if (std::any_of(ps.begin(), ps.end(), [](const HierarchyNode& p) { return p.own_gpc; })) {
      return;
    }
    // A subject's opt-out of sale and sharing cannot touch disclosures the
    // law requires or allows without a choice: rules sharing only for
    // purposes of those bases do not count.
    const auto chosen = [&ps](int root) {
      std::vector<int> to_visit{root};
      while (!to_visit.empty()) {
        const int p = to_visit.back();
        to_visit.pop_back();
        const Basis b = ps[p].basis;
        if (b == Basis::kConsent || b == Basis::kLegitimateInterest || b == Basis::kContract) {
          return true;
        }
        to_visit.insert(to_visit.end(), ps[p].children.begin(), ps[p].children.end());
      }
      return false;
    };
    for (const auto& stmt : stmts) {
      const auto* r = std::get_if<Rule>(&stmt.node);
      if (!r || r->effect != Effect::kAllow || r->action == Action::kRead) continue;
      bool counts = r->purposes.star;
      for (const auto& n : r->purposes.names) {
        counts = counts || chosen(syms_.purpose_ids.at(n.text));
      }
      if (!counts) continue;
      sink_.warning("W010", r->action_span,
                    "this rule shares data, but no purpose is marked `gpc`: a Global Privacy "
                    "Control signal would stop no sharing",
                    "mark the purposes of sale and sharing with `gpc`: `purpose partners.sale "
                    "basis consent gpc`");
      return;
    }
  }

  const SourceFile& file_;
  ParsedPolicy& parsed_;
  DiagnosticSink& sink_;
  const Schema* schema_;
  Symbols syms_;
  ResolvedSignals signals_;
  const PolicyHeader* header_ = nullptr;
  Span header_span_;
  std::unordered_map<std::string, int> rule_id_lines_;
  std::vector<ResolvedRule> rules_;
  std::vector<ResolvedRetain> retains_;
  std::vector<ResolvedTable> tables_;
  std::vector<ResolvedAssertion> assertions_;
  bool too_many_roles_ = false;
  std::unordered_map<const void*, std::vector<std::string>> sorted_names_;
  std::unordered_map<int, std::vector<int>> held_cache_;
};

}  // namespace

std::optional<Basis> basis_from_name(std::string_view name) {
  if (name == "consent") return Basis::kConsent;
  if (name == "legitimate_interest") return Basis::kLegitimateInterest;
  if (name == "contract") return Basis::kContract;
  if (name == "legal_obligation") return Basis::kLegalObligation;
  if (name == "vital_interest") return Basis::kVitalInterest;
  if (name == "public_task") return Basis::kPublicTask;
  return std::nullopt;
}

std::string_view basis_name(Basis basis) {
  switch (basis) {
    case Basis::kNone:
      return "none";
    case Basis::kConsent:
      return "consent";
    case Basis::kLegitimateInterest:
      return "legitimate_interest";
    case Basis::kContract:
      return "contract";
    case Basis::kLegalObligation:
      return "legal_obligation";
    case Basis::kVitalInterest:
      return "vital_interest";
    case Basis::kPublicTask:
      return "public_task";
  }
  return "none";
}

std::string type_name(Type type) {
  std::string base;
  switch (type.base) {
    case BaseType::kUnknown:
      base = "any";
      break;
    case BaseType::kString:
      base = "string";
      break;
    case BaseType::kInt:
      base = "int";
      break;
    case BaseType::kBool:
      base = "bool";
      break;
    case BaseType::kTime:
      base = "time";
      break;
    case BaseType::kDuration:
      base = "duration";
      break;
  }
  return type.list ? "[" + base + "]" : base;
}

std::optional<AttributeRoot> attribute_root(std::string_view path) {
  const auto root = path.substr(0, path.find('.'));
  if (root == "actor") return AttributeRoot::kActor;
  if (root == "subject") return AttributeRoot::kSubject;
  if (root == "context") return AttributeRoot::kContext;
  return std::nullopt;
}

std::optional<Type> builtin_attribute(std::string_view path) {
  if (path == "actor.id" || path == "subject.id") return Type{BaseType::kString, false};
  if (path == "context.time") return Type{BaseType::kTime, false};
  return std::nullopt;
}

Analysis analyze(std::string name, std::string text, const Schema* schema) {
  auto source = std::make_shared<SourceFile>(std::move(name), std::move(text));
  DiagnosticSink sink(*source);
  Analysis out;
  if (source->text().size() > limits::kMaxPolicyBytes) {
    sink.file_error("E012", "the policy is too large (limit: " +
                                std::to_string(limits::kMaxPolicyBytes) + " bytes)");
    out.error_count = 1;
    out.diagnostics = sink.take();
    return out;
  }
  ParsedPolicy parsed = parse(*source, sink);
  Checker checker(*source, parsed, sink, schema);
  checker.run();
  const bool ok = !sink.has_errors();
  out.error_count = sink.error_count();
  out.warning_count = sink.warning_count();
  out.diagnostics = sink.take();
  if (ok) {
    auto policy = std::make_shared<CheckedPolicy>();
    policy->name = checker.header()->name;
    policy->version = checker.header()->version;
    policy->symbols = checker.take_symbols();
    policy->rules = checker.take_rules();
    policy->retains = checker.take_retains();
    policy->tables = checker.take_tables();
    policy->assertions = checker.take_assertions();
    policy->signals = checker.signals();
    policy->parsed = std::move(parsed);
    policy->source = std::move(source);
    out.policy = std::move(policy);
  }
  return out;
}

}  // namespace custos::lang
