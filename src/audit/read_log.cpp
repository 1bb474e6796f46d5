// Reading an audit log back: verification (FORMAT.md, section 6), a data
// subject's accesses and report, export (section 7), checkpoints (section 5).
#include <algorithm>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <set>

#include <nlohmann/json.hpp>

#include "audit/entry.hpp"
#include "audit/log_file.hpp"
#include "base/time.hpp"
#include "custos/audit.hpp"

namespace custos {
namespace {

using audit::LogFile;
using audit::Statement;
using nlohmann::json;

Status bad_entry(std::uint64_t seq, const std::string& why) {
  return Status(StatusCode::kCorruption, "entry " + std::to_string(seq) + ": " + why);
}

std::string column_text(sqlite3_stmt* s, int column) {
  const auto* p = static_cast<const char*>(sqlite3_column_blob(s, column));
  return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(s, column)))
           : std::string();
}

std::string_view column_view(sqlite3_stmt* s, int column) {
  const auto* p = static_cast<const char*>(sqlite3_column_blob(s, column));
  return p ? std::string_view(p, static_cast<std::size_t>(sqlite3_column_bytes(s, column)))
           : std::string_view();
}

bool read_digest(sqlite3_stmt* s, int column, crypto::Digest& out) {
  if (sqlite3_column_bytes(s, column) != static_cast<int>(out.size())) return false;
  std::memcpy(out.data(), sqlite3_column_blob(s, column), out.size());
  return true;
}

std::string checkpoint_message(std::uint64_t seq, const std::string& head,
                               const std::string& time) {
  return "custos-audit-checkpoint-v1\n" + std::to_string(seq) + "\n" + head + "\n" + time + "\n";
}

Status open_for_reading(const std::string& path, LogFile& file) {
  return audit::open_log(path, /*create=*/false, false, file);
}

// A sum of keyed MACs of (seq, subject) pairs, mod 2^128, and their count:
// equal for two multisets of pairs, and, under a key drawn for this check
// (so no one could prepare a collision), different for any two others but
// with probability about 2^-128. Lets verification read the entries and the
// index each in its natural order, with no sort of a million rows.
class PairDigest {
 public:
  explicit PairDigest(const crypto::HmacSha256& mac) : mac_(mac) {}
  void add(std::uint64_t seq, std::string_view subject) {
    char prefix[8];  // the seq, big-endian: fixed length, so the pair reads one way only
    for (int i = 0; i < 8; ++i) prefix[i] = static_cast<char>(seq >> (56 - 8 * i));
    const crypto::Digest d = mac_.mac(std::string_view(prefix, sizeof prefix), subject);
    std::uint64_t lo = 0, hi = 0;
    for (int i = 0; i < 8; ++i) {
      lo = lo << 8 | d[static_cast<std::size_t>(i)];
      hi = hi << 8 | d[static_cast<std::size_t>(8 + i)];
    }
    lo_ += lo;
    hi_ += hi + (lo_ < lo ? 1 : 0);  // the carry
    ++count_;
  }
  bool operator==(const PairDigest& o) const {
    return lo_ == o.lo_ && hi_ == o.hi_ && count_ == o.count_;
  }

 private:
  const crypto::HmacSha256& mac_;
  std::uint64_t lo_ = 0, hi_ = 0, count_ = 0;
};

// Names the first entry whose index rows differ from its listed subjects:
// entries and index walked together, both by seq (the index sorted so).
// Runs only when the digests above differ.
Status first_index_difference(const LogFile& file) {
  Statement entries, index;
  if (Status s = file.prepare("SELECT seq, entry FROM audit_entries ORDER BY seq", entries);
      !s.ok()) {
    return s;
  }
  if (Status s =
          file.prepare("SELECT seq, subject FROM audit_subject_index ORDER BY seq, subject", index);
      !s.ok()) {
    return s;
  }
  bool index_row = sqlite3_step(index.stmt) == SQLITE_ROW;
  audit::EntryShape shape;
  while (sqlite3_step(entries.stmt) == SQLITE_ROW) {
    const auto seq = static_cast<std::uint64_t>(sqlite3_column_int64(entries.stmt, 0));
    if (!audit::scan_entry(column_view(entries.stmt, 1), shape)) {
      return bad_entry(seq, "not a well-formed entry");
    }
    std::vector<std::string>& listed = shape.listed;
    std::sort(listed.begin(), listed.end());
    for (const auto& subject : listed) {
      if (!index_row || static_cast<std::uint64_t>(sqlite3_column_int64(index.stmt, 0)) != seq ||
          column_view(index.stmt, 1) != subject) {
        return bad_entry(seq, "the subject index lacks subject `" + subject +
                                  "` (a report would hide this access)");
      }
      index_row = sqlite3_step(index.stmt) == SQLITE_ROW;
    }
    if (index_row && static_cast<std::uint64_t>(sqlite3_column_int64(index.stmt, 0)) == seq) {
      return bad_entry(seq, "the subject index lists a subject the entry does not");
    }
  }
  if (index_row) {
    return bad_entry(static_cast<std::uint64_t>(sqlite3_column_int64(index.stmt, 0)),
                     "the subject index lists an entry the log does not have");
  }
  return Status();
}

}  // namespace

Result<AuditVerification> verify_audit_log(const std::string& path, const std::string& key,
                                           const std::vector<std::string>& trusted_public_keys) {
  LogFile file;
  if (Status s = open_for_reading(path, file); !s.ok()) return s;
  if (file.keyed && key.empty()) {
    return Status(StatusCode::kInvalidArgument,
                  path + ": this audit log's chain is keyed: give its key (--key FILE)");
  }
  std::unique_ptr<crypto::HmacSha256> hasher;
  if (file.keyed) hasher = std::make_unique<crypto::HmacSha256>(key);
  // One read transaction: a consistent snapshot while writers go on.
  sqlite3_exec(file.db, "BEGIN", nullptr, nullptr, nullptr);

  AuditVerification out;
  std::map<std::uint64_t, crypto::Digest> heads;  // recomputed h_seq of checkpointed entries
  std::set<std::uint64_t> checkpointed;
  {
    Statement c;
    if (Status s = file.prepare("SELECT seq FROM audit_checkpoints", c); !s.ok()) return s;
    while (sqlite3_step(c.stmt) == SQLITE_ROW) {
      checkpointed.insert(static_cast<std::uint64_t>(sqlite3_column_int64(c.stmt, 0)));
    }
  }
  Statement entries, sets;
  if (Status s = file.prepare("SELECT seq, entry, hash FROM audit_entries ORDER BY seq", entries);
      !s.ok()) {
    return s;
  }
  if (Status s = file.prepare("SELECT subjects FROM audit_subject_sets WHERE seq = ?1", sets);
      !s.ok()) {
    return s;
  }
  // Step 4 (the index) by digest: the pairs the entries list and the index's
  // rows, each read in its own natural order, summed under a key drawn now.
  // Only an exact walk finds which entry differs, and it runs only then.
  std::uint8_t pair_key[32];
  if (Status s = crypto::random_bytes(pair_key, sizeof pair_key); !s.ok()) return s;
  const crypto::HmacSha256 pair_mac(
      std::string_view(reinterpret_cast<const char*>(pair_key), sizeof pair_key));
  PairDigest listed_pairs(pair_mac), indexed_pairs(pair_mac);
  crypto::Digest previous{};
  std::uint64_t expected_seq = 1;
  std::uint64_t set_entries = 0;
  audit::EntryShape shape;
  while (sqlite3_step(entries.stmt) == SQLITE_ROW) {
    const auto seq = static_cast<std::uint64_t>(sqlite3_column_int64(entries.stmt, 0));
    if (seq != expected_seq) {
      return bad_entry(expected_seq, seq > expected_seq
                                         ? "missing (the next entry is " + std::to_string(seq) + ")"
                                         : "out of order");
    }
    // In place: valid until the next step.
    const std::string_view text = column_view(entries.stmt, 1);
    crypto::Digest stored;
    if (!read_digest(entries.stmt, 2, stored)) return bad_entry(seq, "its hash is damaged");
    const crypto::Digest hash = audit::chain_hash(hasher.get(), previous, text);
    if (hash != stored) {
      return bad_entry(seq, file.keyed ? "its hash does not match (changed, inserted, moved, or a "
                                         "wrong key)"
                                       : "its hash does not match (changed, inserted or moved)");
    }
    if (!audit::scan_entry(text, shape) || shape.seq != seq) {
      return bad_entry(seq, "not a well-formed entry");
    }
    // Its subjects: listed (and indexed), or a set stored beside.
    if (shape.subject_set) {
      ++set_entries;
      sqlite3_reset(sets.stmt);
      sqlite3_bind_int64(sets.stmt, 1, static_cast<sqlite3_int64>(seq));
      if (sqlite3_step(sets.stmt) != SQLITE_ROW)
        return bad_entry(seq, "its subject set is missing");
      const std::string data = column_text(sets.stmt, 0);
      if (shape.set_sha256 != audit::hex(crypto::sha256(data)) ||
          shape.set_count != audit::decode_subject_set(data).size()) {
        return bad_entry(seq, "its subject set does not match the entry");
      }
    }
    for (const auto& subject : shape.listed) listed_pairs.add(seq, subject);
    if (checkpointed.count(seq)) heads[seq] = hash;
    previous = hash;
    out.entries = seq;
    ++expected_seq;
  }
  {
    Statement index;
    if (Status s = file.prepare("SELECT seq, subject FROM audit_subject_index", index); !s.ok()) {
      return s;
    }
    while (sqlite3_step(index.stmt) == SQLITE_ROW) {
      indexed_pairs.add(static_cast<std::uint64_t>(sqlite3_column_int64(index.stmt, 0)),
                        column_view(index.stmt, 1));
    }
  }
  if (!(listed_pairs == indexed_pairs)) {
    if (Status s = first_index_difference(file); !s.ok()) return s;
    return Status(StatusCode::kCorruption, "the subject index does not match the entries");
  }
  {
    Statement count;
    if (Status s = file.prepare("SELECT count(*) FROM audit_subject_sets", count); !s.ok())
      return s;
    if (sqlite3_step(count.stmt) == SQLITE_ROW &&
        static_cast<std::uint64_t>(sqlite3_column_int64(count.stmt, 0)) != set_entries) {
      return Status(StatusCode::kCorruption, "a subject set belongs to no entry");
    }
  }
  out.head = out.entries ? audit::hex(previous) : "";
  // Checkpoints: each signs a head the chain reaches.
  Statement checkpoints;
  if (Status s = file.prepare(
          "SELECT seq, hash, time, public_key, signature FROM audit_checkpoints ORDER BY seq",
          checkpoints);
      !s.ok()) {
    return s;
  }
  while (sqlite3_step(checkpoints.stmt) == SQLITE_ROW) {
    const auto seq = static_cast<std::uint64_t>(sqlite3_column_int64(checkpoints.stmt, 0));
    if (seq > out.entries) {
      return bad_entry(out.entries + 1, "missing: a checkpoint signs entry " + std::to_string(seq) +
                                            ", so the log was truncated after entry " +
                                            std::to_string(out.entries));
    }
    crypto::Digest signed_hash;
    const auto it = heads.find(seq);
    if (!read_digest(checkpoints.stmt, 1, signed_hash) || it == heads.end() ||
        signed_hash != it->second) {
      return bad_entry(seq, "its checkpoint signs another chain");
    }
    const std::string time = column_text(checkpoints.stmt, 2);
    const std::string public_key = column_text(checkpoints.stmt, 3);
    const std::string signature = column_text(checkpoints.stmt, 4);
    if (!trusted_public_keys.empty() &&
        std::find(trusted_public_keys.begin(), trusted_public_keys.end(), public_key) ==
            trusted_public_keys.end()) {
      return bad_entry(seq, "its checkpoint is signed by a key that is not trusted");
    }
    if (!crypto::ed25519_verify(public_key, checkpoint_message(seq, audit::hex(signed_hash), time),
                                signature)
             .ok()) {
      return bad_entry(seq, "its checkpoint's signature does not verify (forged)");
    }
    ++out.checkpoints;
  }
  return out;
}

Result<std::uint64_t> checkpoint_audit_log(const std::string& path,
                                           const std::string& private_key_pem, Timestamp now) {
  auto public_key = crypto::ed25519_public_of(private_key_pem);
  if (!public_key.ok()) return public_key.status();
  LogFile file;
  if (Status s = audit::open_log(path, /*create=*/true, false, file); !s.ok()) return s;
  if (sqlite3_exec(file.db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) != SQLITE_OK) {
    return file.error("cannot write the audit log");
  }
  Statement head;
  if (Status s =
          file.prepare("SELECT seq, hash FROM audit_entries ORDER BY seq DESC LIMIT 1", head);
      !s.ok()) {
    return s;
  }
  if (sqlite3_step(head.stmt) != SQLITE_ROW) {
    sqlite3_exec(file.db, "ROLLBACK", nullptr, nullptr, nullptr);
    return Status(StatusCode::kInvalidArgument, path + ": the audit log has no entry to sign");
  }
  const auto seq = static_cast<std::uint64_t>(sqlite3_column_int64(head.stmt, 0));
  crypto::Digest hash;
  if (!read_digest(head.stmt, 1, hash)) {
    sqlite3_exec(file.db, "ROLLBACK", nullptr, nullptr, nullptr);
    return Status(StatusCode::kCorruption, path + ": the chain's head is damaged");
  }
  const std::string time = detail::format_rfc3339(now);
  auto signature =
      crypto::ed25519_sign(private_key_pem, checkpoint_message(seq, audit::hex(hash), time));
  if (!signature.ok()) {
    sqlite3_exec(file.db, "ROLLBACK", nullptr, nullptr, nullptr);
    return signature.status();
  }
  Statement insert;
  if (Status s = file.prepare("INSERT OR IGNORE INTO audit_checkpoints VALUES (?1, ?2, ?3, ?4, ?5)",
                              insert);
      !s.ok()) {
    return s;
  }
  sqlite3_bind_int64(insert.stmt, 1, static_cast<sqlite3_int64>(seq));
  sqlite3_bind_blob(insert.stmt, 2, hash.data(), static_cast<int>(hash.size()), SQLITE_STATIC);
  sqlite3_bind_text(insert.stmt, 3, time.data(), static_cast<int>(time.size()), SQLITE_STATIC);
  sqlite3_bind_text(insert.stmt, 4, public_key->data(), static_cast<int>(public_key->size()),
                    SQLITE_STATIC);
  sqlite3_bind_blob(insert.stmt, 5, signature->data(), static_cast<int>(signature->size()),
                    SQLITE_STATIC);
  if (sqlite3_step(insert.stmt) != SQLITE_DONE ||
      sqlite3_exec(file.db, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) {
    const Status s = file.error("cannot write the checkpoint");
    sqlite3_exec(file.db, "ROLLBACK", nullptr, nullptr, nullptr);
    return s;
  }
  return seq;
}

class CUSTOS_NO_EXPORT AuditReader::Impl {
 public:
  LogFile file;
  Statement listed;  // the subject's entries: indexed, or in a set that names them
  Statement set;     // one entry's subject set
  std::mutex mutex;

  Status prepare() {
    if (Status s = file.prepare(
            "SELECT e.seq, e.entry FROM audit_subject_index i JOIN audit_entries e ON "
            "e.seq = i.seq WHERE i.subject = ?1 "
            // CROSS JOIN keeps the sets as the outer loop: never a scan of every entry.
            "UNION ALL SELECT e.seq, e.entry FROM audit_subject_sets s CROSS JOIN audit_entries e "
            "ON e.seq = s.seq WHERE instr(CAST(s.subjects AS TEXT), ?2) > 0 "
            "ORDER BY 1",
            listed);
        !s.ok()) {
      return s;
    }
    return file.prepare("SELECT subjects FROM audit_subject_sets WHERE seq = ?1", set);
  }
};

AuditReader::AuditReader(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
AuditReader::~AuditReader() = default;

Result<std::unique_ptr<AuditReader>> AuditReader::open(const std::string& path) {
  auto impl = std::make_unique<Impl>();
  if (Status s = open_for_reading(path, impl->file); !s.ok()) return s;
  if (Status s = impl->prepare(); !s.ok()) return s;
  return std::unique_ptr<AuditReader>(new AuditReader(std::move(impl)));
}

Result<std::vector<AuditAccess>> AuditReader::accesses(const std::string& subject,
                                                       Timestamp since) const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  sqlite3_stmt* const listed = impl_->listed.stmt;
  sqlite3_stmt* const set = impl_->set.stmt;
  // One statement, one snapshot: the set lookups below run while it is
  // active, in its read transaction, which ends with the resets.
  struct Reset {
    sqlite3_stmt* a;
    sqlite3_stmt* b;
    ~Reset() {
      sqlite3_reset(a);
      sqlite3_clear_bindings(a);
      sqlite3_reset(b);
    }
  } reset{listed, set};
  sqlite3_bind_text(listed, 1, subject.data(), static_cast<int>(subject.size()), SQLITE_STATIC);
  const std::string needle = subject + "\n";
  sqlite3_bind_text(listed, 2, needle.data(), static_cast<int>(needle.size()), SQLITE_STATIC);
  std::vector<AuditAccess> out;
  std::uint64_t last = 0;
  audit::ScannedAccess e;
  int rc;
  while ((rc = sqlite3_step(listed)) == SQLITE_ROW) {
    const auto seq = static_cast<std::uint64_t>(sqlite3_column_int64(listed, 0));
    if (seq == last) continue;
    e = audit::ScannedAccess{};
    const std::string_view text = column_view(listed, 1);
    if (text.data() == nullptr || !audit::scan_access(text, e)) {
      return Status(StatusCode::kCorruption,
                    impl_->file.path + ": entry " + std::to_string(seq) + " is not well formed");
    }
    if (e.subject_set) {
      // instr() found the text; make sure it is a whole id of the set.
      sqlite3_reset(set);
      sqlite3_bind_int64(set, 1, static_cast<sqlite3_int64>(seq));
      if (sqlite3_step(set) != SQLITE_ROW) continue;
      const auto ids = audit::decode_subject_set(column_text(set, 0));
      if (std::find(ids.begin(), ids.end(), subject) == ids.end()) continue;
    }
    AuditAccess a;
    a.seq = seq;
    a.time = detail::parse_rfc3339(e.time).value_or(0);
    if (a.time < since) continue;
    last = seq;
    a.kind = std::move(e.kind);
    a.actor = std::move(e.actor);
    a.roles = std::move(e.roles);
    a.purpose = std::move(e.purpose);
    a.action = std::move(e.action);
    for (auto& c : e.categories) {
      if (c.category.empty()) continue;  // public columns are not the subject's data
      const auto same = std::find_if(a.categories.begin(), a.categories.end(),
                                     [&](const auto& x) { return x.category == c.category; });
      AuditAccess::Category out_c{std::move(c.category), std::move(c.effect),
                                  std::move(c.transform)};
      if (same == a.categories.end()) {
        a.categories.push_back(std::move(out_c));
      } else if (same->effect != "allow" && out_c.effect == "allow") {
        *same = std::move(out_c);
      }
    }
    a.rules = std::move(e.rules);
    a.policy = e.policy_name + " version " + std::to_string(e.policy_version);
    out.push_back(std::move(a));
  }
  if (rc != SQLITE_DONE) return impl_->file.error("cannot read the audit log");
  return out;
}

Result<std::vector<AuditAccess>> audit_accesses(const std::string& path, const std::string& subject,
                                                Timestamp since) {
  auto reader = AuditReader::open(path);
  if (!reader.ok()) return reader.status();
  return (*reader)->accesses(subject, since);
}

Status export_audit_log(const std::string& path, std::uint64_t since_seq,
                        const std::function<void(const std::string&)>& line) {
  LogFile file;
  if (Status s = open_for_reading(path, file); !s.ok()) return s;
  sqlite3_exec(file.db, "BEGIN", nullptr, nullptr, nullptr);
  Statement entries, previous, sets;
  if (Status s = file.prepare(
          "SELECT seq, entry, hash FROM audit_entries WHERE seq > ?1 ORDER BY seq", entries);
      !s.ok()) {
    return s;
  }
  if (Status s = file.prepare("SELECT hash FROM audit_entries WHERE seq = ?1", previous); !s.ok()) {
    return s;
  }
  if (Status s = file.prepare("SELECT subjects FROM audit_subject_sets WHERE seq = ?1", sets);
      !s.ok()) {
    return s;
  }
  crypto::Digest prev{};
  if (since_seq > 0) {
    sqlite3_bind_int64(previous.stmt, 1, static_cast<sqlite3_int64>(since_seq));
    if (sqlite3_step(previous.stmt) != SQLITE_ROW || !read_digest(previous.stmt, 0, prev)) {
      return Status(StatusCode::kNotFound, path + ": no entry " + std::to_string(since_seq));
    }
  }
  sqlite3_bind_int64(entries.stmt, 1, static_cast<sqlite3_int64>(since_seq));
  int rc;
  while ((rc = sqlite3_step(entries.stmt)) == SQLITE_ROW) {
    const auto seq = static_cast<std::uint64_t>(sqlite3_column_int64(entries.stmt, 0));
    const std::string text = column_text(entries.stmt, 1);
    crypto::Digest hash;
    if (!read_digest(entries.stmt, 2, hash)) return bad_entry(seq, "its hash is damaged");
    json out = {
        {"seq", seq}, {"entry", text}, {"hash", audit::hex(hash)}, {"prev", audit::hex(prev)}};
    sqlite3_reset(sets.stmt);
    sqlite3_bind_int64(sets.stmt, 1, static_cast<sqlite3_int64>(seq));
    if (sqlite3_step(sets.stmt) == SQLITE_ROW) {
      out["subjects"] = audit::decode_subject_set(column_text(sets.stmt, 0));
    }
    line(audit::canonical(out));
    prev = hash;
  }
  if (rc != SQLITE_DONE) return file.error("cannot read the audit log");
  return Status();
}

}  // namespace custos
