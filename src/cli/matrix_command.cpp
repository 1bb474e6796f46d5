// custos matrix: who can see what, for which purpose (the access matrix of a
// policy), as text, CSV, JSON or one self-contained HTML page.
#include <cstdio>
#include <unordered_map>

#include "base/hierarchy.hpp"
#include "base/text.hpp"
#include "cli/access_output.hpp"
#include "cli/commands.hpp"

namespace custos::cli {
namespace {

using detail::Access;
using detail::AccessMatrix;
using detail::MatrixRow;
using detail::MatrixTable;

std::string plural(std::size_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

std::string heading(const lang::CheckedPolicy& p) {
  return "policy \"" + p.name + "\" version " + std::to_string(p.version) + " (" +
         p.source->name() + ")";
}

void print_text(const lang::CheckedPolicy& p, const MatrixTable& t) {
  std::size_t shown = 0;
  for (const auto& row : t.rows) shown += t.accesses[row.access].effect != "no_allow";
  std::printf("access matrix of %s: %s\n", heading(p).c_str(),
              plural(shown, "row", "rows").c_str());
  for (const auto& row : t.rows) {
    const Access& a = t.accesses[row.access];
    if (a.effect == "no_allow") continue;
    std::printf("\n%s\n%s", row_scope_text(row).c_str(), access_text(a, "  ").c_str());
  }
  std::printf("\neverything else: no allow rule (denied no_matching_allow)\n");
}

void print_csv(const MatrixTable& t) {
  std::printf(
      "role,action,category,purpose,effect,transform,rule,consent,conditional,conditions,"
      "retention\n");
  const auto list = [](const std::vector<std::string>& items, const char* sep) {
    std::string out;
    for (const auto& i : items) out += (out.empty() ? "" : sep) + i;
    return out;
  };
  for (const auto& row : t.rows) {
    const Access& a = t.accesses[row.access];
    const std::vector<std::string> fields = {list(row.roles, " "),
                                             row.action,
                                             list(row.categories, " "),
                                             list(row.purposes, " "),
                                             a.effect,
                                             a.transform,
                                             a.rule,
                                             a.consent,
                                             a.conditional() ? "true" : "false",
                                             list(a.conditions, "; "),
                                             a.retention};
    std::string line;
    for (const auto& f : fields) line += (line.empty() ? "" : ",") + csv_field(f);
    std::printf("%s\n", line.c_str());
  }
}

void print_json(const lang::CheckedPolicy& p, const MatrixTable& t) {
  nlohmann::ordered_json j;
  j["policy"] = {{"name", p.name}, {"version", p.version}, {"file", p.source->name()}};
  j["rows"] = nlohmann::ordered_json::array();
  for (const auto& row : t.rows) j["rows"].push_back(row_json(row, t.accesses[row.access]));
  std::printf("%s\n", json_text(j).c_str());
}

// One page, no external resources: a grid per role and action (leaf
// categories down, purposes across), then the rows with every detail.
void print_html(AccessMatrix& m, const MatrixTable& t, const detail::MatrixFilter& filter) {
  const lang::CheckedPolicy& p = m.policy();
  const lang::Symbols& syms = p.symbols;
  std::vector<std::uint32_t> purposes;
  const auto parent_of = [&syms](int n) {
    return syms.purposes[static_cast<std::size_t>(n)].parent;
  };
  for (std::uint32_t q = 0; q < m.purpose_count(); ++q) {
    if (!m.requestable(q)) continue;
    if (filter.purpose && !detail::is_ancestor_or_self(parent_of, static_cast<int>(*filter.purpose),
                                                       static_cast<int>(q))) {
      continue;
    }
    purposes.push_back(q);
  }
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<title>Access matrix: " +
      html_escape(p.name) + " version " + std::to_string(p.version) +
      "</title>\n<style>\n"
      "body{font-family:system-ui,sans-serif;margin:2em;color:#222}\n"
      "table{border-collapse:collapse;margin:0.5em 0 1.5em}\n"
      "th,td{border:1px solid #bbb;padding:3px 6px;font-size:13px;vertical-align:top}\n"
      "thead th{background:#eee}\n"
      "td.allow{background:#d9f2d9}\ntd.cond{background:#fff3c4}\n"
      "td.deny{background:#f6d0d0}\ntd.none{background:#fff;color:#999}\n"
      "td small{display:block;color:#555}\n"
      ".grid th.p{writing-mode:vertical-rl;transform:rotate(180deg)}\n"
      "code{font-size:12px}\n</style>\n</head>\n<body>\n";
  out += "<h1>Access matrix of <code>" + html_escape(p.name) + "</code> version " +
         std::to_string(p.version) + "</h1>\n<p>From <code>" + html_escape(p.source->name()) +
         "</code>. Each cell says what a request for that category and purpose gets from the "
         "rules: the form it is released in (<b>plain</b>, or a transform), <b>deny</b> (a deny "
         "rule), or nothing (no allow rule: denied). A yellow cell depends on a rule's "
         "condition. Below the form: <i>consent</i> (a granted consent record is needed), "
         "<i>objectable</i> (allowed unless the customer objected), and how long the data may "
         "be used after collection. Hover a cell for its rules.</p>\n";
  std::vector<std::uint32_t> table;
  std::vector<std::int64_t> memo;
  std::vector<Access> accesses;
  const auto access_of = [&](std::uint32_t id) -> const Access& {
    if (id >= memo.size()) memo.resize(id + 1, -1);
    if (memo[id] < 0) {
      memo[id] = static_cast<std::int64_t>(accesses.size());
      accesses.push_back(detail::describe_outcome(p, m.outcome(id)));
    }
    return accesses[static_cast<std::size_t>(memo[id])];
  };
  for (std::uint32_t r = 0; r < m.no_role(); ++r) {
    if (filter.role && *filter.role != r) continue;
    m.role_table(r, table);
    out += "<h2 id=\"role-" + html_escape(syms.roles[r].name) + "\">Role <code>" +
           html_escape(syms.roles[r].name) + "</code></h2>\n";
    if (!syms.roles[r].parents.empty()) {
      out += "<p>Holds every grant and deny of";
      for (std::size_t i = 0; i < syms.roles[r].parents.size(); ++i) {
        out += std::string(i ? ", " : " ") + "<code>" +
               html_escape(syms.roles[static_cast<std::size_t>(syms.roles[r].parents[i])].name) +
               "</code>";
      }
      out += ".</p>\n";
    }
    bool same = true;
    for (std::uint32_t q : purposes) {
      for (std::uint32_t leaf = 0; leaf < m.leaves().count(); ++leaf) {
        same = same && table[m.cell(0, q, leaf)] == table[m.cell(1, q, leaf)];
      }
    }
    for (int action = 0; action < (same ? 1 : 2); ++action) {
      out += std::string("<h3>") +
             (same          ? "read and share"
              : action == 0 ? "read (inside the organisation)"
                            : "share (outside it)") +
             "</h3>\n<table class=\"grid\">\n<thead><tr><th>category</th>";
      for (std::uint32_t q : purposes) {
        out += "<th class=\"p\">" + html_escape(syms.purposes[q].name) + "</th>";
      }
      out += "</tr></thead>\n<tbody>\n";
      for (std::uint32_t leaf = 0; leaf < m.leaves().count(); ++leaf) {
        const auto& cat = syms.categories[m.leaves().category_of[leaf]];
        out += "<tr><th>" + html_escape(cat.name) + (cat.sensitive ? " (sensitive)" : "") + "</th>";
        for (std::uint32_t q : purposes) {
          const Access& a = access_of(table[m.cell(action, q, leaf)]);
          std::string title = access_text(a, "");
          if (!title.empty() && title.back() == '\n') title.pop_back();
          if (a.effect == "allow") {
            std::string small = a.consent == "none" ? "" : a.consent;
            if (a.retention != "unlimited") small += (small.empty() ? "" : ", ") + a.retention;
            out += std::string("<td class=\"") + (a.conditional() ? "cond" : "allow") +
                   "\" title=\"" + html_escape(title) + "\">" + html_escape(a.transform) +
                   (small.empty() ? "" : "<small>" + html_escape(small) + "</small>") + "</td>";
          } else if (a.effect == "deny") {
            out += "<td class=\"deny\" title=\"" + html_escape(title) + "\">deny</td>";
          } else {
            out += "<td class=\"none\"></td>";
          }
        }
        out += "</tr>\n";
      }
      out += "</tbody>\n</table>\n";
    }
  }
  out +=
      "<h2>Rows</h2>\n<p>Identical cells grouped; a category name stands for all its "
      "leaves, <code>*</code> for all roles, categories or purposes. Rows without an allow "
      "rule are left out.</p>\n<table>\n<thead><tr><th>roles</th><th>action</th>"
      "<th>categories</th><th>purposes</th><th>effect</th><th>rule</th><th>consent</th>"
      "<th>retention</th><th>conditions</th></tr></thead>\n<tbody>\n";
  const auto join = [](const std::vector<std::string>& items) {
    std::string s;
    for (const auto& i : items) s += (s.empty() ? "" : ", ") + html_escape(i);
    return s;
  };
  for (const auto& row : t.rows) {
    const Access& a = t.accesses[row.access];
    if (a.effect == "no_allow") continue;
    out += "<tr><td>" + join(row.roles) + "</td><td>" + row.action + "</td><td>" +
           join(row.categories) + "</td><td>" + join(row.purposes) + "</td><td>" +
           (a.effect == "allow" ? "allow as " + html_escape(a.transform) : "deny") + "</td><td>" +
           html_escape(a.rule) + "</td><td>" + html_escape(a.consent) + "</td><td>" +
           html_escape(a.retention) + "</td><td>" + join(a.conditions) + "</td></tr>\n";
  }
  out += "</tbody>\n</table>\n</body>\n</html>\n";
  std::fputs(out.c_str(), stdout);
}

// A declared name, or nothing after printing what was meant.
std::optional<std::uint32_t> find_name(const std::unordered_map<std::string, int>& ids,
                                       const std::string& name, const char* what,
                                       const std::string& path) {
  const auto it = ids.find(name);
  if (it != ids.end()) return static_cast<std::uint32_t>(it->second);
  std::vector<std::string> names;
  for (const auto& [n, id] : ids) names.push_back(n);
  std::sort(names.begin(), names.end());
  const std::string guess = detail::closest_match(name, names);
  std::fprintf(stderr, "custos matrix: %s declares no %s `%s`%s\n", path.c_str(), what,
               name.c_str(), guess.empty() ? "" : (" (did you mean `" + guess + "`?)").c_str());
  return std::nullopt;
}

}  // namespace

int run_matrix(const std::vector<std::string>& raw) {
  const auto args = parse_args(raw, "matrix", {"role", "purpose", "format"}, {});
  if (!args) return kExitUsage;
  const std::string format = args->option("format").value_or("text");
  if (args->positional.size() != 1 ||
      (format != "text" && format != "csv" && format != "json" && format != "html")) {
    std::fprintf(stderr,
                 "custos matrix: usage: custos matrix POLICY [--role R] [--purpose P] "
                 "[--format text|csv|json|html]\n");
    return kExitUsage;
  }
  const std::string& path = args->positional.front();
  auto policy = check_policy_or_report(path, "matrix");
  if (!policy) return kExitBadInput;
  detail::MatrixFilter filter;
  if (const auto role = args->option("role")) {
    filter.role = find_name(policy->symbols.role_ids, *role, "role", path);
    if (!filter.role) return kExitBadInput;
  }
  if (const auto purpose = args->option("purpose")) {
    filter.purpose = find_name(policy->symbols.purpose_ids, *purpose, "purpose", path);
    if (!filter.purpose) return kExitBadInput;
  }
  auto matrix = AccessMatrix::build(policy);
  if (!matrix.ok()) {
    std::fprintf(stderr, "custos matrix: %s\n", matrix.status().message().c_str());
    return kExitBadInput;
  }
  auto table = detail::build_matrix_table(**matrix, filter);
  if (!table.ok()) {
    std::fprintf(stderr, "custos matrix: %s\n", table.status().message().c_str());
    return kExitBadInput;
  }
  if (format == "text") print_text(*policy, *table);
  if (format == "csv") print_csv(*table);
  if (format == "json") print_json(*policy, *table);
  if (format == "html") print_html(**matrix, *table, filter);
  return kExitOk;
}

}  // namespace custos::cli
