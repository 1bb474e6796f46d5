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

Result<PlannedTable> plan_table(const DbSchema& schema, const DbTable& db,
                                const detail::CompiledTable& compiled,
                                const detail::RowDecider& decider, bool lenient) {
  const ResolvedTable& binding = compiled.binding;
  const detail::CompiledPolicy& cp = decider.compiled();
  PlannedTable out;
  out.name = db.name;
  out.is_public = binding.is_public;

  // The internal SELECT: every column of the table as stored, then the
  // row's subject, collection time and bound subject attributes.
  std::string select;
  for (const auto& c : db.columns) {
    select += (select.empty() ? "" : ", ") + std::string("custos_t.") + quote_name(c);
  }
  References refs(schema, db);
  if (!binding.is_public) {
    auto subject = refs.expression(binding.subject);
    if (!subject.ok()) return subject.status();
    auto collected = refs.expression(binding.collected);
    if (!collected.ok()) return collected.status();
    // The row filter (database.cpp, custos_admit): the row's subject,
    // collection time and bound subject attributes.
    out.admit = "custos_admit(" + *subject + ", " + *collected;
    out.has_collected = binding.collected.present;
    for (std::size_t i = 0; i < binding.attributes.size(); ++i) {
      if (compiled.attribute_slots[i] < 0) continue;  // no condition reads it
      const std::string* column = db.column(binding.attributes[i].second);
      if (!column) {
        return Status(
            StatusCode::kInvalidArgument,
            "the database's table " + db.name + " has no column " + binding.attributes[i].second);
      }
      out.admit += ", custos_t." + quote_name(*column);
      out.attribute_slots.push_back(static_cast<std::uint32_t>(compiled.attribute_slots[i]));
    }
    out.admit += ")";
  }
  out.select =
      "SELECT " + select + " FROM main." + quote_name(db.name) + " AS custos_t" + refs.joins();

  for (std::size_t i = 0; i < db.columns.size(); ++i) {
    const std::string& c = db.columns[i];
    PlannedColumn planned;
    planned.name = c;
    planned.type = db.types[i];
    planned.base = static_cast<int>(i);
    const ResolvedTable::Column* listed = nullptr;
    for (const auto& l : binding.columns) {
      if (same_name(l.name, c)) listed = &l;
    }
    const bool is_key = (binding.subject.present && binding.subject.table.empty() &&
                         same_name(binding.subject.column, c)) ||
                        (binding.collected.present && binding.collected.table.empty() &&
                         same_name(binding.collected.column, c));
    if (binding.is_public || (listed && listed->category < 0) || (!listed && is_key)) {
      planned.kind = PlannedColumn::Kind::kPublic;  // as stored
    } else if (listed) {
      planned.category = listed->category;
      planned.category_name = cp.category_names[static_cast<std::size_t>(listed->category)];
      planned.refusal = decider.possible(listed->category);
      planned.kind = planned.refusal.reason == Reason::kNone ? PlannedColumn::Kind::kGuarded
                                                             : PlannedColumn::Kind::kRefused;
    } else {
      planned.kind = PlannedColumn::Kind::kRefused;  // not in the binding
      planned.refusal = detail::Verdict{Reason::kUnclassifiedColumn, -1, 0};
    }
    // Only a column returned as stored can find rows through an index: a
    // constraint on a transformed or withheld column is on what the session
    // sees, never on the stored value.
    if (planned.kind == PlannedColumn::Kind::kPublic) {
      if (same_name(db.rowid_alias, c)) {
        planned.seek = PlannedColumn::Seek::kRowid;
      } else if (db.is_unique(c)) {
        planned.seek = PlannedColumn::Seek::kUnique;
      } else {
        for (const auto& first : db.indexed) {
          if (same_name(first, c)) planned.seek = PlannedColumn::Seek::kIndexed;
        }
      }
    }
    if (planned.kind == PlannedColumn::Kind::kGuarded) out.any_guarded = true;
    const bool visible = planned.kind != PlannedColumn::Kind::kRefused || lenient;
    if (visible) out.visible.push_back(static_cast<int>(out.columns.size()));
    out.columns.push_back(std::move(planned));
  }

  // The virtual table's schema: the visible columns with their declared
  // types, so comparisons apply the same affinity as on the table.
  std::string declared;
  for (int v : out.visible) {
    const PlannedColumn& c = out.columns[static_cast<std::size_t>(v)];
    declared +=
        (declared.empty() ? "" : ", ") + quote_name(c.name) + (c.type.empty() ? "" : " " + c.type);
  }
  if (declared.empty()) declared = "custos_nothing_readable";  // nothing this session may read
  out.declare_sql = "CREATE TABLE x(" + declared + ")";
  return out;
}

}  // namespace

const PlannedTable* Plan::table(std::string_view name) const {
  const std::int32_t i = table_index(name);
  return i < 0 ? nullptr : &tables[static_cast<std::size_t>(i)];
}

std::int32_t Plan::table_index(std::string_view name) const {
  for (std::size_t i = 0; i < tables.size(); ++i) {
    if (same_name(tables[i].name, name)) return static_cast<std::int32_t>(i);
  }
  return -1;
}

Result<Plan> make_plan(const DbSchema& schema, const detail::RowDecider& decider, bool lenient) {
  Plan plan;
  for (const auto& compiled : decider.compiled().tables) {
    const DbTable* db = schema.table(compiled.binding.name);
    if (!db || db->is_view) continue;
    auto table = plan_table(schema, *db, compiled, decider, lenient);
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
