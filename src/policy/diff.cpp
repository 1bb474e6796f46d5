#include "policy/diff.hpp"

#include <unordered_map>

namespace custos::detail {
namespace {

// One version's side of the comparison: its matrix, the index of each
// universe name in it (-1: unknown there) and the accesses of its outcomes.
class Side {
 public:
  Side(AccessMatrix& m, const Universe& u) : m_(m) {
    const lang::Symbols& syms = m.policy().symbols;
    for (const auto& name : u.roles) roles_.push_back(find(syms.role_ids, name));
    for (const auto& name : u.categories) categories_.push_back(find(syms.category_ids, name));
    for (const auto& name : u.purposes) {
      const int p = find(syms.purpose_ids, name);
      purposes_.push_back(p >= 0 && m.requestable(static_cast<std::uint32_t>(p)) ? p : -1);
    }
  }

  void load_role(std::uint32_t role) {
    if (roles_[role] >= 0) m_.role_table(static_cast<std::uint32_t>(roles_[role]), table_);
  }

  // The access for a universe cell, or -1 when this version does not know
  // one of its names (a request for it is denied).
  std::int64_t access(std::uint32_t role, int action, std::uint32_t category, std::uint32_t purpose,
                      std::vector<Access>& accesses,
                      std::unordered_map<std::string, std::uint32_t>& ids) {
    if (roles_[role] < 0 || categories_[category] < 0 || purposes_[purpose] < 0) return -1;
    const auto c = static_cast<std::uint32_t>(categories_[category]);
    const auto p = static_cast<std::uint32_t>(purposes_[purpose]);
    const std::int32_t leaf = m_.leaves().leaf_of[c];
    if (leaf < 0) {
      return intern(describe_outcome(m_.policy(), m_.item(table_, action, c, p)), accesses, ids);
    }
    const std::uint32_t id = table_[m_.cell(action, p, static_cast<std::uint32_t>(leaf))];
    if (id >= memo_.size()) memo_.resize(id + 1, -1);
    if (memo_[id] < 0)
      memo_[id] = intern(describe_outcome(m_.policy(), m_.outcome(id)), accesses, ids);
    return memo_[id];
  }

 private:
  static int find(const std::unordered_map<std::string, int>& ids, const std::string& name) {
    const auto it = ids.find(name);
    return it == ids.end() ? -1 : it->second;
  }
  static std::int64_t intern(Access a, std::vector<Access>& accesses,
                             std::unordered_map<std::string, std::uint32_t>& ids) {
    const auto [it, inserted] = ids.emplace(a.key(), static_cast<std::uint32_t>(accesses.size()));
    if (inserted) accesses.push_back(std::move(a));
    return it->second;
  }

  AccessMatrix& m_;
  std::vector<int> roles_, categories_, purposes_;
  std::vector<std::uint32_t> table_;
  std::vector<std::int64_t> memo_;
};

// Names of both versions: the new one's first, in its order, then those only
// the old one has.
template <typename Names>
void merge_names(std::vector<std::string>& out, const Names& newer, const Names& older) {
  std::unordered_map<std::string, char> seen;
  for (const auto* list : {&newer, &older}) {
    for (const auto& n : *list) {
      if (seen.emplace(n, 1).second) out.push_back(n);
    }
  }
}

std::vector<std::string> role_names(const AccessMatrix& m) {
  std::vector<std::string> out;
  for (const auto& r : m.policy().symbols.roles) out.push_back(r.name);
  return out;
}
std::vector<std::string> leaf_names(const AccessMatrix& m) {
  std::vector<std::string> out;
  for (auto c : m.leaves().category_of) out.push_back(m.policy().symbols.categories[c].name);
  return out;
}
std::vector<std::string> purpose_names(const AccessMatrix& m) {
  std::vector<std::string> out;
  for (std::uint32_t p = 0; p < m.purpose_count(); ++p) {
    if (m.requestable(p)) out.push_back(m.policy().symbols.purposes[p].name);
  }
  return out;
}

bool same_access(const Access& a, const Access& b) {
  return a.transform == b.transform && a.consent_level == b.consent_level &&
         a.retention_seconds == b.retention_seconds && a.condition_texts == b.condition_texts;
}

}  // namespace

bool reveals_more(const Access& from, const Access& to) {
  const auto longer = [](std::int64_t a, std::int64_t b) {  // -1: unlimited
    return a >= 0 && (b < 0 || b > a);
  };
  return to.rank > from.rank || to.consent_level < from.consent_level ||
         longer(from.retention_seconds, to.retention_seconds) ||
         (from.conditional() && !to.conditional());
}

Result<PolicyDiff> diff_policies(AccessMatrix& old_matrix, AccessMatrix& new_matrix) {
  Universe u;
  merge_names(u.roles, role_names(new_matrix), role_names(old_matrix));
  merge_names(u.categories, leaf_names(new_matrix), leaf_names(old_matrix));
  merge_names(u.purposes, purpose_names(new_matrix), purpose_names(old_matrix));
  if (u.roles.size() * 2 * u.categories.size() * u.purposes.size() > kMaxMatrixCells) {
    return Status(StatusCode::kLimitExceeded, "the policies are too large to compare");
  }
  PolicyDiff out;
  std::unordered_map<std::string, std::uint32_t> ids;
  Side older(old_matrix, u), newer(new_matrix, u);
  std::vector<MatrixCell> gained, lost, changed;
  for (std::uint32_t r = 0; r < u.roles.size(); ++r) {
    older.load_role(r);
    newer.load_role(r);
    for (std::uint8_t action = 0; action < 2; ++action) {
      for (std::uint32_t p = 0; p < u.purposes.size(); ++p) {
        for (std::uint32_t c = 0; c < u.categories.size(); ++c) {
          const std::int64_t was = older.access(r, action, c, p, out.accesses, ids);
          const std::int64_t is = newer.access(r, action, c, p, out.accesses, ids);
          if (was == is) continue;
          const bool was_allowed =
              was >= 0 && out.accesses[static_cast<std::size_t>(was)].allowed();
          const bool is_allowed = is >= 0 && out.accesses[static_cast<std::size_t>(is)].allowed();
          if (was_allowed && !is_allowed) {
            lost.push_back({r, action, c, p, static_cast<std::uint32_t>(was), -1});
          } else if (!was_allowed && is_allowed) {
            gained.push_back({r, action, c, p, static_cast<std::uint32_t>(is), -1});
          } else if (was_allowed && is_allowed) {
            const Access& a = out.accesses[static_cast<std::size_t>(was)];
            const Access& b = out.accesses[static_cast<std::size_t>(is)];
            if (same_access(a, b)) continue;  // only a rule id moved
            changed.push_back(
                {r, action, c, p, static_cast<std::uint32_t>(is), static_cast<std::int32_t>(was)});
            out.more_revealing = out.more_revealing || reveals_more(a, b);
          }
        }
      }
    }
  }
  out.more_revealing = out.more_revealing || !gained.empty();
  out.gained = group_cells(std::move(gained), u, out.accesses);
  out.lost = group_cells(std::move(lost), u, out.accesses);
  out.changed = group_cells(std::move(changed), u, out.accesses);
  return out;
}

}  // namespace custos::detail
