// custos query: run one SELECT through a guarded session, as an actor with a
// purpose, and print only what the policy lets through.
#include <cstdio>

#include <nlohmann/json.hpp>

#include "base/utf8.hpp"
#include "cli/cli_util.hpp"
#include "cli/commands.hpp"
#include "custos/audit.hpp"
#include "custos/consent.hpp"
#include "custos/database.hpp"
#include "custos/engine.hpp"

namespace custos::cli {
namespace {

constexpr int kExitRefused = 3;

// `K=V`: V is read as JSON when it is a JSON number, boolean, null or list
// (`age=30`, `regions=["eu","uk"]`), as text otherwise (`region=eu`).
bool parse_attribute(const std::string& arg, const char* option, Attributes& out) {
  const auto eq = arg.find('=');
  if (eq == std::string::npos || eq == 0) {
    std::fprintf(stderr, "custos query: --%s takes NAME=VALUE, not `%s`\n", option, arg.c_str());
    return false;
  }
  const std::string name = arg.substr(0, eq), text = arg.substr(eq + 1);
  const auto parsed = nlohmann::json::parse(text, nullptr, false);
  Value v = Value::of_text(text);
  if (!parsed.is_discarded() && !parsed.is_string() && !parsed.is_object()) {
    if (parsed.is_boolean()) v = Value::of_bool(parsed.get<bool>());
    if (parsed.is_number_integer()) v = Value::of_int(parsed.get<std::int64_t>());
    if (parsed.is_number_float()) v = Value::of_real(parsed.get<double>());
    if (parsed.is_null()) v = Value::null();
    if (parsed.is_array()) {
      std::vector<Value> items;
      for (const auto& e : parsed) {
        if (e.is_string())
          items.push_back(Value::of_text(e.get<std::string>()));
        else if (e.is_number_integer())
          items.push_back(Value::of_int(e.get<std::int64_t>()));
        else if (e.is_boolean())
          items.push_back(Value::of_bool(e.get<bool>()));
        else
          items.push_back(Value::other());
      }
      v = Value::of_list(std::move(items));
    }
  }
  if (!out.emplace(name, std::move(v)).second) {
    std::fprintf(stderr, "custos query: --%s %s is given twice\n", option, name.c_str());
    return false;
  }
  return true;
}

std::string cell_text(const Rows& rows, int i) {
  switch (rows.type(i)) {
    case Rows::Type::kNull:
      return "NULL";
    case Rows::Type::kBlob:
      return "<blob " + std::to_string(rows.blob(i).size()) + " bytes>";
    default:
      return std::string(rows.text(i));
  }
}

nlohmann::ordered_json cell_json(const Rows& rows, int i) {
  switch (rows.type(i)) {
    case Rows::Type::kNull:
      return nullptr;
    case Rows::Type::kInt:
      return rows.int64(i);
    case Rows::Type::kReal:
      return rows.real(i);
    case Rows::Type::kText:
      return std::string(rows.text(i));
    case Rows::Type::kBlob:
      return "<blob " + std::to_string(rows.blob(i).size()) + " bytes>";
  }
  return nullptr;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    out += c;
    if (c == '"') out += '"';
  }
  return out + "\"";
}

// Columns padded to their display width, so accented names keep them aligned.
void print_table(const std::vector<std::string>& names,
                 const std::vector<std::vector<std::string>>& cells) {
  std::vector<std::size_t> width(names.size());
  for (std::size_t c = 0; c < names.size(); ++c) width[c] = detail::display_width(names[c]);
  for (const auto& row : cells) {
    for (std::size_t c = 0; c < row.size(); ++c) {
      width[c] = std::max(width[c], detail::display_width(row[c]));
    }
  }
  const auto line = [&](const std::vector<std::string>& row) {
    std::string out;
    for (std::size_t c = 0; c < row.size(); ++c) {
      out += row[c];
      if (c + 1 < row.size()) out += std::string(width[c] - detail::display_width(row[c]) + 2, ' ');
    }
    std::printf("%s\n", out.c_str());
  };
  line(names);
  std::vector<std::string> rule;
  for (std::size_t c = 0; c < names.size(); ++c) rule.push_back(std::string(width[c], '-'));
  line(rule);
  for (const auto& row : cells) line(row);
}

}  // namespace

int run_query(const std::vector<std::string>& raw) {
  const auto args =
      parse_args(raw, "query",
                 {"actor", "role", "action", "purpose", "attr...", "context...", "consent-store",
                  "consent-key", "key-file", "audit", "audit-key", "now", "format"},
                 {"lenient"});
  if (!args) return kExitUsage;
  if (args->positional.size() != 3 || !args->option("actor") || !args->option("purpose") ||
      !args->option("role")) {
    std::fprintf(stderr,
                 "custos query: usage: custos query POLICY DB --actor ID --role R[,R...] "
                 "--purpose P [options] SQL (see `custos help query`)\n");
    return kExitUsage;
  }
  const std::string format = args->option("format").value_or("table");
  if (format != "table" && format != "json" && format != "csv") {
    std::fprintf(stderr, "custos query: --format is table, json or csv, not `%s`\n",
                 format.c_str());
    return kExitUsage;
  }
  SessionOptions who;
  who.actor_id = *args->option("actor");
  std::string role;
  for (char c : *args->option("role") + ",") {
    if (c != ',') {
      role += c;
    } else if (!role.empty()) {
      who.roles.push_back(role);
      role.clear();
    }
  }
  who.action = args->option("action").value_or("read");
  if (who.action != "read" && who.action != "share") {
    std::fprintf(stderr, "custos query: --action is read or share, not `%s`\n", who.action.c_str());
    return kExitUsage;
  }
  who.purpose = *args->option("purpose");
  for (const auto& a : args->list("attr")) {
    if (!parse_attribute(a, "attr", who.actor_attributes)) return kExitUsage;
  }
  for (const auto& a : args->list("context")) {
    if (!parse_attribute(a, "context", who.context)) return kExitUsage;
  }

  auto policy = load_policy_or_report(args->positional[0]);
  if (!policy) return kExitBadInput;
  EngineOptions options;
  if (const auto now = args->option("now")) {
    const auto t = parse_time_option(*now, "query", "now");
    if (!t) return kExitBadInput;
    const Timestamp fixed = *t;
    options.clock = [fixed] { return fixed; };
  }
  std::unique_ptr<ConsentStore> store;
  if (!open_consent_or_report(*args, "query", store)) return kExitBadInput;
  options.consent_store = store.get();
  if (const auto key = args->option("key-file")) {
    auto loaded = load_pseudonym_key(*key);
    if (!loaded.ok()) {
      std::fprintf(stderr, "custos query: %s\n", loaded.status().message().c_str());
      return kExitBadInput;
    }
    options.pseudonym_key = std::move(*loaded);
  }
  const Engine engine(policy, std::move(options));
  DatabaseOptions db_options;
  db_options.lenient = args->has("lenient");
  std::unique_ptr<AuditLog> audit;
  if (!open_audit_or_report(*args, "query", audit)) return kExitBadInput;
  db_options.audit = audit.get();
  auto database = Database::open(args->positional[1], engine, db_options);
  if (!database.ok()) {
    std::fprintf(stderr, "custos query: %s\n", database.status().message().c_str());
    return kExitBadInput;
  }
  auto session = (*database)->session(who);
  if (!session.ok()) {
    std::fprintf(stderr, "custos query: %s\n", session.status().message().c_str());
    return kExitBadInput;
  }
  auto rows = (*session)->query(args->positional[2]);
  if (!rows.ok()) {
    std::fprintf(stderr, "custos query: %s\n", rows.status().message().c_str());
    return rows.status().code() == StatusCode::kRefused ? kExitRefused : kExitBadInput;
  }
  std::vector<std::string> names;
  for (int i = 0; i < rows->column_count(); ++i) names.push_back(rows->column_name(i));
  nlohmann::ordered_json json = nlohmann::ordered_json::array();
  std::vector<std::vector<std::string>> cells;
  if (format == "csv") {
    std::string header;
    for (std::size_t i = 0; i < names.size(); ++i) header += (i ? "," : "") + csv_field(names[i]);
    std::printf("%s\n", header.c_str());
  }
  while (rows->next()) {
    if (format == "json") {
      nlohmann::ordered_json object = nlohmann::ordered_json::object();
      for (int i = 0; i < rows->column_count(); ++i) object[names[i]] = cell_json(*rows, i);
      json.push_back(std::move(object));
    } else if (format == "csv") {
      std::string line;
      for (int i = 0; i < rows->column_count(); ++i) {
        line +=
            (i ? "," : "") + (rows->is_null(i) ? std::string() : csv_field(cell_text(*rows, i)));
      }
      std::printf("%s\n", line.c_str());
    } else {
      std::vector<std::string> row;
      for (int i = 0; i < rows->column_count(); ++i) row.push_back(cell_text(*rows, i));
      cells.push_back(std::move(row));
    }
  }
  if (!rows->status().ok()) {
    std::fprintf(stderr, "custos query: %s\n", rows->status().message().c_str());
    return kExitBadInput;
  }
  if (format == "json") {
    std::printf(
        "%s\n",
        json.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace).c_str());
  } else if (format == "table") {
    print_table(names, cells);
    std::printf("(%llu %s)\n", static_cast<unsigned long long>(rows->row_count()),
                rows->row_count() == 1 ? "row" : "rows");
  }
  return kExitOk;
}

}  // namespace custos::cli
