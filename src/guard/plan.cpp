#include "guard/plan.hpp"

namespace custos::guard {
namespace {

using lang::ResolvedTable;

// How a view reaches the row a `subject` or `collected` line names: a column
// of the table itself, or of a referenced table through a local column.
class References {
 public:
  References(const DbSchema& schema, const DbTable& table) : schema_(schema), table_(table) {}

  // The SQL expression of `ref` over the view's FROM clause, or an error.
  Result<std::string> expression(const ResolvedTable::Reference& ref) {
    if (!ref.present) return std::string("NULL");
    if (ref.table.empty()) {
      const std::string* column = table_.column(ref.column);
      if (!column) return missing(table_.name, ref.column);
      return "custos_t." + quote_name(*column);
    }
    const DbTable* other = schema_.table(ref.table);
    if (!other || other->is_view) {
      return Status(StatusCode::kInvalidArgument,
                    "the database has no table " + ref.table + " (bound as a `via` target)");
    }
    const std::string* column = other->column(ref.column);
    if (!column) return missing(other->name, ref.column);
    const std::string* via = table_.column(ref.via);
    if (!via) return missing(table_.name, ref.via);
    auto target = target_of(*other, *via);
    if (!target.ok()) return target.status();
    if (other->is_unique(*target)) {
      // One referenced row per row: a join, shared by every use.
      std::string alias;
      for (const auto& j : joins_) {
        if (same_name(j.table, other->name) && same_name(j.via, *via)) alias = j.alias;
      }
      if (alias.empty()) {
        alias = "custos_j" + std::to_string(joins_.size());
        joins_.push_back({other->name, *via, alias,
                          " LEFT JOIN main." + quote_name(other->name) + " AS " + alias + " ON " +
                              alias + "." + quote_name(*target) + " = custos_t." +
                              quote_name(*via)});
      }
      return alias + "." + quote_name(*column);
    }
    // Not known to be unique: the first match, without duplicating rows.
    return "(SELECT " + quote_name(*column) + " FROM main." + quote_name(other->name) + " WHERE " +
           quote_name(*target) + " = custos_t." + quote_name(*via) + " LIMIT 1)";
  }

  std::string joins() const {
    std::string out;
    for (const auto& j : joins_) out += j.clause;
    return out;
  }

 private:
  struct Join {
    std::string table, via, alias, clause;
  };

  static Status missing(const std::string& table, const std::string& column) {
    return Status(StatusCode::kInvalidArgument,
                  "the database's table " + table + " has no column " + column);
  }

  // The column of `other` that the local column `via` references: its
  // foreign key's target, else a column of the same name, else the primary
  // key.
  Result<std::string> target_of(const DbTable& other, const std::string& via) const {
    for (const auto& fk : table_.foreign_keys) {
      if (!same_name(fk.from, via) || !same_name(fk.table, other.name)) continue;
      if (!fk.to.empty()) return fk.to;
      if (other.primary_key.size() == 1) return other.primary_key[0];
    }
    if (const std::string* same = other.column(via)) return *same;
    if (other.primary_key.size() == 1) return other.primary_key[0];
    return Status(StatusCode::kInvalidArgument, "cannot tell which column of " + other.name +
                                                    " the column " + table_.name + "." + via +
                                                    " references: declare a foreign key, or give " +
                                                    other.name + " a one-column primary key");
  }

  const DbSchema& schema_;
  const DbTable& table_;
  std::vector<Join> joins_;
};

// The view's SQL: its body inside a CTE named `source`, so that SQLite
// names that secret to the authorizer for every read and function call of
// the body (plan.hpp).
std::string view_sql(const PlannedTable& t, const std::string& body) {
  return "CREATE TEMP VIEW " + quote_name(t.name) + " AS WITH " + quote_name(t.source) + " AS (" +
         body + ") SELECT * FROM " + quote_name(t.source);
}

Result<PlannedTable> plan_table(const DbSchema& schema, const DbTable& db,
                                const detail::CompiledTable& compiled,
                                const detail::RowDecider& decider, std::size_t index, bool lenient,
                                const std::string& secret) {
  const ResolvedTable& binding = compiled.binding;
  const detail::CompiledPolicy& cp = decider.compiled();
  PlannedTable out;
  out.name = db.name;
  out.source = "custos_" + secret + "_" + std::to_string(index);
  out.is_public = binding.is_public;
  std::string select;
  const auto add_item = [&select](const std::string& item) {
    select += (select.empty() ? "" : ", ") + item;
  };
  const std::string from = " FROM main." + quote_name(db.name) + " AS custos_t";
  if (binding.is_public) {
    for (const auto& c : db.columns) {
      out.columns.push_back({c, PlannedColumn::Kind::kPublic, -1, "", {}});
      add_item("custos_t." + quote_name(c) + " AS " + quote_name(c));
    }
    out.view_sql = view_sql(out, "SELECT " + select + from);
    return out;
  }

  // The row's key, passed to custos_row and to every custos_cell: subject,
  // collection time, then the subject attributes some condition reads.
  References refs(schema, db);
  auto subject = refs.expression(binding.subject);
  if (!subject.ok()) return subject.status();
  auto collected = refs.expression(binding.collected);
  if (!collected.ok()) return collected.status();
  std::string args = *subject + ", " + *collected;
  for (std::size_t i = 0; i < binding.attributes.size(); ++i) {
    if (compiled.attribute_slots[i] < 0) continue;  // no condition reads it
    const std::string* column = db.column(binding.attributes[i].second);
    if (!column) {
      return Status(
          StatusCode::kInvalidArgument,
          "the database's table " + db.name + " has no column " + binding.attributes[i].second);
    }
    args += ", custos_t." + quote_name(*column);
    out.attribute_slots.push_back(static_cast<std::uint32_t>(compiled.attribute_slots[i]));
  }

  const std::string table_arg = std::to_string(index);
  for (const auto& c : db.columns) {
    PlannedColumn planned;
    planned.name = c;
    const ResolvedTable::Column* listed = nullptr;
    for (const auto& l : binding.columns) {
      if (same_name(l.name, c)) listed = &l;
    }
    const bool is_key = (binding.subject.present && binding.subject.table.empty() &&
                         same_name(binding.subject.column, c)) ||
                        (binding.collected.present && binding.collected.table.empty() &&
                         same_name(binding.collected.column, c));
    if (listed && listed->category >= 0) {
      planned.category = listed->category;
      planned.category_name = cp.category_names[static_cast<std::size_t>(listed->category)];
      planned.refusal = decider.possible(listed->category);
      planned.kind = planned.refusal.reason == Reason::kNone ? PlannedColumn::Kind::kGuarded
                                                             : PlannedColumn::Kind::kRefused;
    } else if (listed || is_key) {
      planned.kind = PlannedColumn::Kind::kPublic;  // `public`, or the subject / collected column
    } else {
      planned.kind = PlannedColumn::Kind::kRefused;  // not in the binding
      planned.refusal = detail::Verdict{Reason::kUnclassifiedColumn, -1, 0};
    }
    const std::string column = "custos_t." + quote_name(c);
    switch (planned.kind) {
      case PlannedColumn::Kind::kPublic:
        add_item(column + " AS " + quote_name(c));
        break;
      case PlannedColumn::Kind::kGuarded:
        out.any_guarded = true;
        add_item("custos_cell(" + table_arg + ", " + std::to_string(out.columns.size()) + ", " +
                 column + ", " + args + ") AS " + quote_name(c));
        break;
      case PlannedColumn::Kind::kRefused:
        if (lenient) add_item("NULL AS " + quote_name(c));
        break;
    }
    out.columns.push_back(std::move(planned));
  }
  if (select.empty()) {
    // Nothing this session may read: a view with no rows.
    out.view_sql = view_sql(out, "SELECT NULL AS custos_nothing_readable" + from + " WHERE 0");
    return out;
  }
  out.view_sql = view_sql(out, "SELECT " + select + from + refs.joins() + " WHERE custos_row(" +
                                   table_arg + ", " + args + ")");
  return out;
}

}  // namespace

const PlannedTable* Plan::view(std::string_view name) const {
  for (const auto& t : tables) {
    if (same_name(t.name, name)) return &t;
  }
  return nullptr;
}

std::int32_t Plan::view_index(std::string_view name) const {
  for (std::size_t i = 0; i < tables.size(); ++i) {
    if (same_name(tables[i].name, name)) return static_cast<std::int32_t>(i);
  }
  return -1;
}

std::int32_t Plan::source_index(std::string_view name) const {
  for (std::size_t i = 0; i < tables.size(); ++i) {
    if (tables[i].source == name) return static_cast<std::int32_t>(i);
  }
  return -1;
}

}  // namespace custos::guard

namespace custos::guard {

Result<Plan> make_plan(const DbSchema& schema, const detail::RowDecider& decider, bool lenient,
                       const std::string& secret) {
  Plan plan;
  for (const auto& compiled : decider.compiled().tables) {
    const DbTable* db = schema.table(compiled.binding.name);
    if (!db || db->is_view) continue;
    auto table = plan_table(schema, *db, compiled, decider, plan.tables.size(), lenient, secret);
    if (!table.ok()) return table.status();
    plan.tables.push_back(std::move(*table));
  }
  return plan;
}

Status check_bindings(const DbSchema& schema, const detail::CompiledPolicy& policy) {
  for (const auto& compiled : policy.tables) {
    const DbTable* db = schema.table(compiled.binding.name);
    if (!db) {
      return Status(
          StatusCode::kInvalidArgument,
          "the policy binds table " + compiled.binding.name + ", which the database does not have");
    }
    if (db->is_view) {
      return Status(StatusCode::kInvalidArgument,
                    "the policy binds " + db->name +
                        ", which is a view in the database: bind its base tables instead");
    }
  }
  return Status();
}

}  // namespace custos::guard
