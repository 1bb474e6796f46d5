// AuditLog: the tamper-evident local record of every access, and what can be
// read back from it: verification, a data subject's access report, export.
//
//   custos::AuditOptions options;
//   options.key = *custos::load_pseudonym_key("audit.key");  // keyed chain
//   auto log = custos::AuditLog::open("audit.db", options);
//   custos::DatabaseOptions db_options;
//   db_options.audit = log->get();            // every guarded statement
//   custos::EngineOptions engine_options;
//   engine_options.audit = log->get();        // every Engine::check
//   ...
//   auto ok = custos::verify_audit_log("audit.db", options.key);
//   auto report = custos::audit_report("audit.db", "c-42");
//
// The file format (SQLite, its own file; entries as canonical JSON in a
// hash chain; Ed25519-signed checkpoints; an index by subject) is specified
// in src/audit/FORMAT.md, so a third party can verify a log without Custos.
//
// Writing: one writer thread commits entries in groups. In kSync mode
// append() returns once its entry is durable; in kBatched mode it returns at
// once and the entry is durable within `batch_delay_ms`. No entry is ever
// dropped: a full queue blocks the caller. A failed write fails that append
// and every later one (fail closed: the reads they describe fail too).
// Thread-safety: append() and flush() are safe from many threads; one
// AuditLog per file per process (several processes may append to one file:
// each group re-reads the chain's head inside its transaction).
#ifndef CUSTOS_AUDIT_HPP
#define CUSTOS_AUDIT_HPP

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "custos/access_record.hpp"
#include "custos/export.hpp"
#include "custos/status.hpp"
#include "custos/value.hpp"

namespace custos {

struct AuditOptions {
  enum class Durability : std::uint8_t { kSync, kBatched };
  // Default kBatched: append() returns at once; the entry is durable within
  // batch_delay_ms. kSync: append() returns once the entry is durable.
  Durability durability = Durability::kBatched;
  std::int64_t batch_delay_ms = 100;
  // Entries appended but not yet written; past it, append() blocks. Default
  // 100,000.
  std::size_t queue_capacity = 100000;
  // The chain's HMAC key (at least 16 bytes; read a key file with
  // load_pseudonym_key, whose format it shares). Empty: a plain SHA-256
  // chain, which only checkpoints kept elsewhere protect. A log is created
  // keyed or not and must be reopened the same way.
  std::string key;
};

class CUSTOS_EXPORT AuditLog final : public AuditSink {
 public:
  // Opens the log, or creates it when the file does not exist. Fails with
  // kCorruption for a file that is not an audit log (or a damaged one),
  // kInvalidArgument when the key does not fit the log (a keyed log opened
  // without its key, or the other way round).
  static Result<std::unique_ptr<AuditLog>> open(const std::string& path, AuditOptions options = {});
  ~AuditLog() override;  // writes what is queued
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  Status append(const AccessRecord& record) override;
  // Returns once every entry appended before it is durable.
  Status flush();
  // The last durable entry's number (0: none).
  std::uint64_t durable_seq() const;

 private:
  class Impl;
  CUSTOS_NO_EXPORT explicit AuditLog(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

struct AuditVerification {
  std::uint64_t entries = 0;
  std::string head;  // the last entry's chain hash, 64 hex digits ("" when empty)
  std::uint64_t checkpoints = 0;
};

// Verifies a log (FORMAT.md, section 6): the chain, every entry, the subject
// sets and index, and the checkpoints (against `trusted_public_keys`, PEM,
// when any are given). On the first problem returns kCorruption with a
// message that starts "entry SEQ: " naming the first bad entry (or
// kInvalidArgument for a missing or wrong key, kIoError for an unreadable
// file).
CUSTOS_EXPORT Result<AuditVerification> verify_audit_log(
    const std::string& path, const std::string& key,
    const std::vector<std::string>& trusted_public_keys = {});

// Signs the log's current head with an Ed25519 private key (PEM) and
// appends the checkpoint. Returns the head's seq.
CUSTOS_EXPORT Result<std::uint64_t> checkpoint_audit_log(const std::string& path,
                                                         const std::string& private_key_pem,
                                                         Timestamp now);

// One logged access that touched a subject's data, for their report.
struct AuditAccess {
  std::uint64_t seq = 0;
  Timestamp time = 0;
  std::string kind;  // "read", "decision", "purge"
  std::string actor;
  std::vector<std::string> roles;
  std::string purpose;
  std::string action;
  struct Category {
    std::string category;
    std::string effect;     // "allow" or "deny"
    std::string transform;  // as a policy writes it; "" for a deny
  };
  std::vector<Category> categories;  // classified ones only, each once
  std::vector<std::string> rules;
  std::string policy;  // "NAME version N"
};

// Every access to `subject`'s data since `since` (inclusive), oldest first.
CUSTOS_EXPORT Result<std::vector<AuditAccess>> audit_accesses(const std::string& path,
                                                              const std::string& subject,
                                                              Timestamp since = 0);

// The report a data subject is owed: JSON ({"subject", "accesses": [...]}),
// plain text, or one self-contained HTML page.
enum class ReportFormat : std::uint8_t { kJson, kText, kHtml };
CUSTOS_EXPORT Result<std::string> audit_report(const std::string& path, const std::string& subject,
                                               ReportFormat format = ReportFormat::kJson,
                                               Timestamp since = 0);

// A log opened once for reading, for a service that answers many data
// subjects: the file is opened and its format checked once; each call is
// then one indexed query (audit_accesses and audit_report open the file per
// call). It holds no read transaction between calls, so writers and
// checkpoints go on. Thread-safety: safe from many threads (calls take turns).
class CUSTOS_EXPORT AuditReader final {
 public:
  // kNotFound when there is no file, kCorruption when it is not an audit log.
  static Result<std::unique_ptr<AuditReader>> open(const std::string& path);
  ~AuditReader();
  AuditReader(const AuditReader&) = delete;
  AuditReader& operator=(const AuditReader&) = delete;

  // As audit_accesses and audit_report, on this open log.
  Result<std::vector<AuditAccess>> accesses(const std::string& subject, Timestamp since = 0) const;
  Result<std::string> report(const std::string& subject, ReportFormat format = ReportFormat::kJson,
                             Timestamp since = 0) const;

 private:
  class Impl;
  CUSTOS_NO_EXPORT explicit AuditReader(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Calls `line` with one JSON line per entry after `since_seq` (FORMAT.md,
// section 7), in order.
CUSTOS_EXPORT Status export_audit_log(const std::string& path, std::uint64_t since_seq,
                                      const std::function<void(const std::string&)>& line);

}  // namespace custos

#endif  // CUSTOS_AUDIT_HPP
