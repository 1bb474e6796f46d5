// AccessRecord and AuditSink: what a guarded read reports about itself, and
// where it goes.
//
// Every statement a Session runs, and every statement it refuses, becomes
// one AccessRecord: who read (actor, roles), why (purpose, action), what
// (tables, columns, their categories and the form each was returned in),
// how (the SQL and its fingerprint), how much (rows) and whose data (the id
// of every subject whose row the statement read, for an aggregate every row
// that fed it). The persistent, tamper-evident log is one AuditSink; the
// in-memory sink below serves tests and tools.
//
//   custos::MemoryAuditSink sink;
//   custos::DatabaseOptions options;
//   options.audit = &sink;
//   ...
//   for (const auto& r : sink.records()) std::cout << r.sql << ": " << r.rows << "\n";
//
// Thread-safety: an AuditSink's append() is called from the threads that run
// sessions, possibly at once; implementations must be thread-safe.
// MemoryAuditSink is.
#ifndef CUSTOS_ACCESS_RECORD_HPP
#define CUSTOS_ACCESS_RECORD_HPP

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "custos/decision.hpp"
#include "custos/export.hpp"
#include "custos/status.hpp"
#include "custos/value.hpp"

namespace custos {

struct AccessRecord {
  // One column a statement read, and what the policy let through.
  struct Column {
    std::string table;
    std::string column;
    std::string category;  // "" for a public column (and subject / collected columns)
    bool allowed = false;  // some cell was returned (not NULL by the policy)
    Transform transform;   // the most revealing form a cell was returned in
    std::string rule;      // the rule that granted that form
    // Why cells were withheld, if any were (for a refused column: why).
    std::vector<Reason> withheld;
  };

  // What happened: a guarded SQL statement, an engine decision, a purge.
  enum class Kind : std::uint8_t { kRead, kDecision, kPurge };
  Kind kind = Kind::kRead;
  Timestamp time = 0;  // when the statement started
  std::string actor;
  std::vector<std::string> roles;
  std::string purpose;
  std::string action;  // "read" or "share" ("erase" for a purge)
  std::vector<std::string> tables;
  std::vector<Column> columns;
  std::string sql;          // as the caller wrote it (parameters are bound apart)
  std::string fingerprint;  // first 16 hex digits of the SHA-256 of `sql`
  std::uint64_t rows = 0;   // rows returned
  // Unique ids of the subjects whose rows the statement read: decimal ids in
  // numeric order, then the others in byte order.
  std::vector<std::string> subjects;
  bool refused = false;
  std::string refusal;  // why, for a refused statement
  Decision::PolicyId policy;
};

class CUSTOS_EXPORT AuditSink {
 public:
  virtual ~AuditSink() = default;
  // Stores one record. A failure fails the read it describes (fail closed).
  virtual Status append(const AccessRecord& record) = 0;
};

// Keeps every record in memory, in order.
class CUSTOS_EXPORT MemoryAuditSink final : public AuditSink {
 public:
  Status append(const AccessRecord& record) override;
  std::vector<AccessRecord> records() const;
  void clear();

 private:
  mutable std::mutex mutex_;
  std::vector<AccessRecord> records_;
};

}  // namespace custos

#endif  // CUSTOS_ACCESS_RECORD_HPP
