// ConsentStore: each data subject's consent history, in a SQLite file: the
// records of what they said per purpose, and the consent signals their
// devices sent (TC strings, Global Privacy Control).
//
//   auto store = custos::ConsentStore::open("consent.db");
//   if (!store.ok()) return;
//   (*store)->grant("c-42", "marketing", now, std::nullopt, "signup-form");
//   (*store)->withdraw("c-42", "marketing.pricing", later, "preference-centre");
//   custos::EngineOptions options;
//   (*store)->signal_gpc("c-42", true, later, "Sec-GPC");  // a signal, kept beside the records
//   options.consent_store = store->get();  // consulted when a request has no consent
//
// History is append-only: nothing is ever updated or deleted (the file
// refuses it). Since whoever can write the file can also drop its triggers,
// every record and signal is hash-chained too (schema version 3; the format
// is src/consent/FORMAT.md): a record changed, removed, inserted or moved is
// caught by verify() for the whole store, and by every read of that
// subject's history, which then fails with kCorruption naming the store and
// the record; the engine decides such a subject as if they had no records
// (fail closed). The records of recently used subjects are cached for the
// decision hot path; a write through this object updates the cache at once.
// Writes made by another process become visible after `refresh()`.
// Thread-safety: all methods are safe from many threads; readers do not
// block each other.
#ifndef CUSTOS_CONSENT_HPP
#define CUSTOS_CONSENT_HPP

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "custos/consent_record.hpp"
#include "custos/consent_signal.hpp"
#include "custos/export.hpp"
#include "custos/status.hpp"
#include "custos/tc_string.hpp"

namespace custos {

struct ConsentOptions {
  // Subjects whose records are kept in memory. Default: 100,000; past it the
  // cache starts over (the file stays the source of truth).
  std::size_t cache_subjects = 100000;
  // Open the file read-only (no writes through this object). Default: false.
  bool read_only = false;
  // The chain's HMAC key (at least 16 bytes; read a key file with
  // load_pseudonym_key, whose format it shares). Empty: a plain SHA-256
  // chain, which catches edits by anyone who does not recompute it (a
  // naive edit, a dropped trigger); a keyed chain also catches those who
  // do. A store is chained keyed or not when it is created (or upgraded)
  // and must be reopened the same way: the wrong choice fails open() with
  // kInvalidArgument.
  std::string chain_key;
  // Refuse a store of schema version 1 or 2 (from before the chain) with
  // kCorruption instead of upgrading it (writable) or reading it unchecked
  // (read-only). Default: false, so existing stores keep working and are
  // chained on their first writable open. Set it once every store has been
  // upgraded: otherwise whoever rewrites a store as version 2 (dropping the
  // chain) gets the doctored history chained on the next writable open.
  bool require_chain = false;
};

// What ConsentStore::verify() found in an intact store.
struct ConsentVerifyReport {
  // False for a store of schema version 1 or 2 opened read-only: it has no
  // chain, so nothing in it could be verified.
  bool chained = false;
  std::string chain;  // "sha256" or "hmac-sha256" ("" when not chained)
  std::size_t records = 0;
  std::size_t signals = 0;
  std::size_t subjects = 0;
  std::string head;  // the chain's last hash, 64 hex digits ("" when empty or unchained)
};

// A subject's signals as the engine reads them: in the order appended, each
// TC string decoded once, when the history was loaded.
struct SignalHistory {
  struct Entry {
    ConsentSignal signal;
    std::optional<TcString> tc;  // kTcf: the decoded string; empty when it does not decode
    std::string tc_error;        // kTcf: why it does not decode
  };
  std::vector<Entry> entries;
};

namespace detail {
class ConsentCacheAccess;
}  // namespace detail

class CUSTOS_EXPORT ConsentStore {
 public:
  // Opens the store; a new or empty file becomes an empty store (several
  // processes may create the same store at once). Fails with kCorruption
  // when the file is not a consent store of this version (another
  // application_id or user_version) or is damaged (a table, index or trigger
  // missing or changed: it is never repaired), kIoError when it cannot be
  // opened. A store of schema version 1 (records only) or 2 (records and
  // signals, from before the chain) is upgraded to version 3 when opened
  // for writing, in one transaction: the signals table is added (version
  // 1), and the existing rows are chained as they are (what they say is
  // trusted from then on). Opened read-only, it is read as it is, unchecked
  // (a version 1 store has no signals), and verify() reports it unchained;
  // ConsentOptions::require_chain refuses it either way. A chained store
  // opened without its key, or with a key when it has none, fails with
  // kInvalidArgument. A store SQLite lets this process only read (a
  // write-protected file) is opened read-only; then every append fails,
  // saying why.
  static Result<std::unique_ptr<ConsentStore>> open(const std::string& path,
                                                    ConsentOptions options = {});
  ~ConsentStore();

  // Appends a record. Fails (and stores nothing) on an empty subject or
  // purpose, one longer than limits::kMaxConsentFieldBytes, an `expires` on
  // a record that is not a grant, or a store opened read-only.
  Status append(std::string_view subject, const ConsentRecord& record);
  Status grant(std::string_view subject, std::string_view purpose, Timestamp at,
               std::optional<Timestamp> expires = std::nullopt, std::string_view source = {});
  Status withdraw(std::string_view subject, std::string_view purpose, Timestamp at,
                  std::string_view source = {});
  Status object(std::string_view subject, std::string_view purpose, Timestamp at,
                std::string_view source = {});

  // Appends a signal. Fails (and stores nothing) on an empty subject or one
  // longer than limits::kMaxConsentFieldBytes, an empty TC string or one
  // longer than limits::kMaxTcStringBytes, a source past
  // limits::kMaxConsentFieldBytes, or a store opened read-only. A TC string
  // is stored as received, even one that does not decode: as the latest
  // signal it then grants nothing, which is what such a signal means.
  Status append_signal(std::string_view subject, const ConsentSignal& signal);
  Status signal_tcf(std::string_view subject, std::string_view tc_string, Timestamp at,
                    std::string_view source = {});
  Status signal_gpc(std::string_view subject, bool on, Timestamp at, std::string_view source = {});

  // Every record of a subject, in the order they were appended. A record
  // Custos could not have written (a state that is none of the three, a
  // missing purpose, a time that is not an integer), or a history that does
  // not match its chain (a record or signal of the subject changed, removed,
  // inserted or moved), fails the call with kCorruption naming the store
  // and the record ("record seq 7: ..."); the engine then decides as if the
  // subject had no records. Only this subject's rows are checked (a cache
  // miss costs a hash per row): verify() checks the whole store.
  Result<std::vector<ConsentRecord>> history(std::string_view subject) const;

  // The same, from the cache: what the engine reads on every decision.
  Result<std::shared_ptr<const std::vector<ConsentRecord>>> records(std::string_view subject) const;

  // Every signal of a subject, in the order they were appended; checked
  // like history().
  Result<std::vector<ConsentSignal>> signal_history(std::string_view subject) const;

  // The same, from the cache (filled together with records()), each TC
  // string decoded: what the engine reads for purposes that signals touch.
  Result<std::shared_ptr<const SignalHistory>> signals(std::string_view subject) const;

  // Walks the whole chain (src/consent/FORMAT.md, "Verification"): every
  // record and signal, in chain order, against the hash before it and its
  // subject's, and the heads that catch a removed tail. On the first
  // problem returns kCorruption with a message "STORE: record seq N: ..."
  // (or "signal seq N", or the head) naming the first bad record; kIoError
  // when the file cannot be read.
  Result<ConsentVerifyReport> verify() const;

  // Drops the cache, so writes by other processes are seen (signals appended
  // to a version 1 store after another process upgraded it need a reopen).
  void refresh();

 private:
  friend class detail::ConsentCacheAccess;  // the guard's per-row reads
  struct Impl;
  CUSTOS_NO_EXPORT explicit ConsentStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace custos

#endif  // CUSTOS_CONSENT_HPP
