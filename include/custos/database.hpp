// Database and Session: guarded reads of an application's SQLite file.
//
//   auto db = custos::Database::open("crm.db", engine);        // read-only
//   custos::SessionOptions who;
//   who.actor_id = "agent-7";
//   who.roles = {"support_agent"};
//   who.purpose = "service.support";
//   auto session = (*db)->session(who);
//   auto rows = (*session)->query("SELECT FirstName, Email FROM Customer WHERE Country = ?",
//                                 {custos::Value::of_text("France")});
//   if (!rows.ok()) return;            // refused: rows.status() names table, column, reason
//   while (rows->next()) show(rows->text(0), rows->is_null(1) ? "(withheld)" : rows->text(1));
//   if (!rows->status().ok()) ...      // an error while reading
//
// A session sees each bound table through a view of its own: its rows are
// those whose subject passes consent and objection for the purpose; each
// cell is plain, transformed (hash, mask, ...) or NULL as the policy says
// for that row. WHERE, JOIN, ORDER BY and aggregates see only those values.
// A column no rule could ever grant this session fails the statement
// (strict, the default) or reads as NULL (lenient). Only SELECT runs: no
// writes, DDL, PRAGMA, ATTACH, extensions, raw tables or schema tables.
// Every statement, run or refused, goes to the audit sink.
//
// The policy and consent in force are those of the statement's start: a
// reload() or a consent change through the store applies from the next
// statement of every open session.
//
// Thread-safety: a Database may be used from many threads at once. A
// Session, and the Rows it returns, by one thread at a time.
#ifndef CUSTOS_DATABASE_HPP
#define CUSTOS_DATABASE_HPP

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "custos/access_record.hpp"
#include "custos/engine.hpp"
#include "custos/export.hpp"
#include "custos/request.hpp"
#include "custos/status.hpp"
#include "custos/value.hpp"

namespace custos {

namespace detail {
class GuardAccess;  // builds the objects below (src/guard)
}  // namespace detail

struct DatabaseOptions {
  // Default false (strict): a statement that names a column no rule could
  // grant the session fails with kRefused, naming table, column and reason.
  // True (lenient): such a column reads as NULL.
  bool lenient = false;
  // Receives one record per statement, run or refused. Not owned; must
  // outlive the database. Default: none.
  AuditSink* audit = nullptr;
  // Prepared statements a session keeps for reuse, by SQL text. Default 32.
  std::size_t statement_cache = 32;
  // SQLite virtual-machine steps one statement may take before it is
  // stopped (a recursive CTE could run forever). Default 10^9; 0: no limit.
  std::uint64_t max_statement_steps = 1'000'000'000;
};

// Who reads, and why: the request of every cell a session decides.
struct SessionOptions {
  std::string actor_id;
  std::vector<std::string> roles;
  Attributes actor_attributes;  // actor.NAME
  std::string action = "read";  // "share" when the rows leave the company
  std::string purpose;
  Attributes context;  // context.NAME
  // The session's own clock (context.time), only for an engine with
  // EngineOptions::trust_request_time. Default: the engine's clock.
  std::optional<Timestamp> time;
};

// The rows of one statement. Finishing it (the last row, an error, or
// destroying it) sends its AccessRecord to the audit sink.
class CUSTOS_EXPORT Rows {
 public:
  enum class Type : std::uint8_t { kNull, kInt, kReal, kText, kBlob };

  Rows(Rows&&) noexcept;
  Rows& operator=(Rows&&) noexcept;
  ~Rows();

  // Steps to the next row: false at the end, or on an error (status()).
  bool next();
  Status status() const;
  std::uint64_t row_count() const;  // rows returned so far

  int column_count() const;
  const std::string& column_name(int column) const;
  // The current row's cells. A column index out of range reads as NULL.
  Type type(int column) const;
  bool is_null(int column) const;
  std::int64_t int64(int column) const;
  double real(int column) const;
  std::string_view text(int column) const;  // valid until next()
  std::string_view blob(int column) const;  // valid until next()
  Value value(int column) const;

 private:
  friend class detail::GuardAccess;
  class Impl;
  CUSTOS_NO_EXPORT explicit Rows(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

class CUSTOS_EXPORT Session {
 public:
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Runs one SELECT. Parameters bind to ?1, ?2, ... (never pasted into the
  // text). Fails with kRefused when the policy refuses the statement (a
  // column no rule grants, a raw or unbound table, a write...),
  // kInvalidArgument for SQL errors and several statements in one string.
  // The Rows must be finished before the next query of this session.
  Result<Rows> query(std::string_view sql, const std::vector<Value>& params = {});

 private:
  friend class detail::GuardAccess;
  class Impl;
  CUSTOS_NO_EXPORT explicit Session(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

class CUSTOS_EXPORT Database {
 public:
  // Opens the app's SQLite file read-only, for guarded reads under the
  // engine's policy. The engine must outlive the database. Fails when the
  // file is not a SQLite database, or a table the policy binds is missing
  // or is a view.
  static Result<std::unique_ptr<Database>> open(const std::string& path, const Engine& engine,
                                                DatabaseOptions options = {});
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // A session for one actor and purpose, with its own read-only connection.
  Result<std::unique_ptr<Session>> session(SessionOptions who) const;

 private:
  friend class detail::GuardAccess;
  class Impl;
  CUSTOS_NO_EXPORT explicit Database(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace custos

#endif  // CUSTOS_DATABASE_HPP
