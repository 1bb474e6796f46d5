// The consent store's chain (src/consent/FORMAT.md): real records and
// signals, then the file edited with plain SQLite the way an attacker who
// can write it would (triggers dropped, the row changed, the triggers put
// back so the schema looks intact). Every edit is caught by verify(),
// naming the first bad record, and by the read of the subject's history;
// the engine then decides as if the subject had no records (fail closed).
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "catch.hpp"
#include "crypto/crypto.hpp"
#include "custos/consent.hpp"
#include "custos/engine.hpp"
#include "custos/policy.hpp"
#include "legacy_store.hpp"

using namespace custos;
namespace fs = std::filesystem;

namespace {

std::string temp_path(const std::string& name) {
  const auto dir = fs::temp_directory_path() / ("custos-chain-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const auto path = dir / name;
  fs::remove(path);
  fs::remove(path.string() + "-wal");
  fs::remove(path.string() + "-shm");
  return path.string();
}

void raw_sql(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  char* message = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message);
  INFO(sql << ": " << (message ? message : ""));
  sqlite3_free(message);
  sqlite3_close(db);
  REQUIRE(rc == SQLITE_OK);
}

// Rows of one query, each column as text (blobs as hex).
std::vector<std::vector<std::string>> rows_of(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  sqlite3_stmt* s = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr) == SQLITE_OK);
  std::vector<std::vector<std::string>> out;
  while (sqlite3_step(s) == SQLITE_ROW) {
    std::vector<std::string> row;
    for (int i = 0; i < sqlite3_column_count(s); ++i) {
      if (sqlite3_column_type(s, i) == SQLITE_BLOB) {
        row.push_back(crypto::to_hex(static_cast<const std::uint8_t*>(sqlite3_column_blob(s, i)),
                                     static_cast<std::size_t>(sqlite3_column_bytes(s, i))));
      } else if (sqlite3_column_type(s, i) == SQLITE_NULL) {
        row.push_back("");
      } else {
        row.push_back(reinterpret_cast<const char*>(sqlite3_column_text(s, i)));
      }
    }
    out.push_back(row);
  }
  sqlite3_finalize(s);
  sqlite3_close(db);
  return out;
}

int user_version(const std::string& path) {
  return std::stoi(rows_of(path, "PRAGMA user_version").at(0).at(0));
}

// What an attacker who can write the file does: drops the triggers, edits,
// and re-creates the triggers exactly, so open() finds the schema intact.
void tamper(const std::string& path, const std::string& sql) {
  std::string triggers;
  for (const auto& row : rows_of(path, "SELECT sql FROM sqlite_schema WHERE type = 'trigger'")) {
    triggers += row.at(0) + ";\n";
  }
  REQUIRE_FALSE(triggers.empty());
  raw_sql(path,
          "DROP TRIGGER consent_records_no_update; DROP TRIGGER consent_records_no_delete; "
          "DROP TRIGGER consent_signals_no_update; DROP TRIGGER consent_signals_no_delete; "
          "PRAGMA ignore_check_constraints = ON; " +
              sql + ";\n" + triggers);
}

// The fixture, in chain order:
//   pos 1  record 1  c-1 granted   marketing at 100
//   pos 2  record 2  c-2 granted   marketing at 100
//   pos 3  signal 1  c-1 gpc off             at 150
//   pos 4  record 3  c-1 withdrawn marketing at 200
//   pos 5  record 4  c-3 objected  analytics at 100
//   pos 6  record 5  c-2 objected  analytics at 300
std::string fixture(const std::string& name, const std::string& key = "") {
  const auto path = temp_path(name);
  ConsentOptions options;
  options.chain_key = key;
  auto store = ConsentStore::open(path, options);
  REQUIRE(store.ok());
  auto& s = **store;
  REQUIRE(s.grant("c-1", "marketing", 100, std::nullopt, "signup").ok());
  REQUIRE(s.grant("c-2", "marketing", 100, std::nullopt, "signup").ok());
  REQUIRE(s.signal_gpc("c-1", false, 150, "Sec-GPC").ok());
  REQUIRE(s.withdraw("c-1", "marketing", 200, "preference-centre").ok());
  REQUIRE(s.object("c-3", "analytics", 100, "call-centre").ok());
  REQUIRE(s.object("c-2", "analytics", 300, "call-centre").ok());
  return path;
}

std::shared_ptr<const Policy> test_policy() {
  auto policy = Policy::compile(
      "policy \"t\" version 1\ncategory contact.email\npurpose marketing basis consent\n"
      "purpose analytics basis legitimate_interest\npurpose billing basis contract\nrole m\n"
      "retain * for 10y\nallow m to read contact.email for marketing, analytics, billing\n",
      "t.custos");
  REQUIRE(policy.ok());
  return *policy;
}

Request request(const std::string& subject, const std::string& purpose) {
  Request r;
  r.actor.roles = {"m"};
  r.action = "read";
  r.purpose = purpose;
  r.subject = Request::Subject{subject, {}, std::nullopt};
  r.categories = {"contact.email"};
  r.collected_at = 500;
  return r;
}

// The engine's reason for one subject and purpose, reading `path`.
struct Decider {
  std::unique_ptr<ConsentStore> store;
  std::unique_ptr<Engine> engine;
  explicit Decider(const std::string& path, const std::string& key = "") {
    ConsentOptions o;
    o.chain_key = key;
    auto s = ConsentStore::open(path, o);
    REQUIRE(s.ok());
    store = std::move(*s);
    EngineOptions options;
    options.consent_store = store.get();
    options.clock = [] { return Timestamp{1000}; };
    engine = std::make_unique<Engine>(test_policy(), options);
  }
  Reason reason(const std::string& subject, const std::string& purpose) const {
    const Decision d = engine->check(request(subject, purpose));
    REQUIRE(d.items.size() == 1);
    return d.items[0].reason;
  }
  // Every note of the explanation, one per line.
  std::string explanation(const std::string& subject, const std::string& purpose) const {
    const Decision d = engine->explain(request(subject, purpose));
    std::string out;
    for (const auto& e : d.items.at(0).explanation) out += e.outcome + "\n";
    return out;
  }
};

std::string verify_error(const std::string& path, const std::string& key = "") {
  ConsentOptions o;
  o.read_only = true;
  o.chain_key = key;
  auto store = ConsentStore::open(path, o);
  REQUIRE(store.ok());
  auto report = (*store)->verify();
  REQUIRE_FALSE(report.ok());
  CHECK(report.status().code() == StatusCode::kCorruption);
  return report.status().message();
}

std::string read_error(const std::string& path, const std::string& subject,
                       const std::string& key = "") {
  ConsentOptions o;
  o.chain_key = key;
  auto store = ConsentStore::open(path, o);
  REQUIRE(store.ok());
  auto records = (*store)->records(subject);
  REQUIRE_FALSE(records.ok());
  CHECK(records.status().code() == StatusCode::kCorruption);
  // Every read of that subject fails alike, from the cache or not.
  CHECK((*store)->signals(subject).status().message() == records.status().message());
  CHECK((*store)->history(subject).status().message() == records.status().message());
  CHECK((*store)->signal_history(subject).status().message() == records.status().message());
  return records.status().message();
}

// FORMAT.md section 3, written again from the document: netstrings.
std::string ns(const std::string& x) {
  return std::to_string(x.size()) + ":" + x + ",";
}

std::string bytes_of_hex(const std::string& hex) {
  std::string out;
  REQUIRE(crypto::from_hex(hex, &out));
  return out;
}

std::string digest_bytes(const crypto::Digest& d) {
  return std::string(reinterpret_cast<const char*>(d.data()), d.size());
}

}  // namespace

TEST_CASE("consent chain: an untouched store verifies; an independent verifier agrees",
          "[consent][chain]") {
  const auto path = fixture("untouched.db");
  auto store = ConsentStore::open(path);
  REQUIRE(store.ok());
  auto report = (*store)->verify();
  REQUIRE(report.ok());
  CHECK(report->chained);
  CHECK(report->chain == "sha256");
  CHECK(report->records == 5);
  CHECK(report->signals == 1);
  CHECK(report->subjects == 3);
  CHECK(report->head.size() == 64);
  CHECK((*store)->history("c-1")->size() == 2);
  CHECK((*store)->signal_history("c-1")->size() == 1);

  // Recomputed from FORMAT.md alone: the same hashes, links and head.
  std::vector<std::pair<std::int64_t, std::string>> rows;  // (pos, canonical)
  std::vector<std::string> stored_hash, stored_subject_hash, subjects;
  for (const auto& r :
       rows_of(path,
               "SELECT pos, seq, subject, purpose, state, at, expires, source, hash, subject_hash "
               "FROM consent_records")) {
    rows.emplace_back(std::stoll(r[0]), ns("record") + ns(r[0]) + ns(r[1]) + ns(r[2]) + ns(r[3]) +
                                            ns(r[4]) + ns(r[5]) + ns(r[6]) + ns(r[7]) + "|" + r[8] +
                                            "|" + r[9] + "|" + r[2]);
  }
  for (const auto& r : rows_of(path,
                               "SELECT pos, seq, subject, kind, value, at, source, hash, "
                               "subject_hash FROM consent_signals")) {
    rows.emplace_back(std::stoll(r[0]), ns("signal") + ns(r[0]) + ns(r[1]) + ns(r[2]) + ns(r[3]) +
                                            ns(r[4]) + ns(r[5]) + ns(r[6]) + "|" + r[7] + "|" +
                                            r[8] + "|" + r[2]);
  }
  std::sort(rows.begin(), rows.end());
  std::string h(32, '\0');
  std::map<std::string, std::string> s;
  for (const auto& [pos, packed] : rows) {
    const auto bar = packed.find('|');
    const std::string c = packed.substr(0, bar);
    const std::string rest = packed.substr(bar + 1);
    const std::string hash = rest.substr(0, 64), subject_hash = rest.substr(65, 64),
                      subject = rest.substr(130);
    h = digest_bytes(crypto::sha256(h + c));
    CHECK(crypto::to_hex(reinterpret_cast<const std::uint8_t*>(h.data()), 32) == hash);
    if (!s.count(subject)) s[subject] = std::string(32, '\0');
    s[subject] = digest_bytes(crypto::sha256(s[subject] + c));
    CHECK(crypto::to_hex(reinterpret_cast<const std::uint8_t*>(s[subject].data()), 32) ==
          subject_hash);
  }
  CHECK(crypto::to_hex(reinterpret_cast<const std::uint8_t*>(h.data()), 32) == report->head);
  const auto head = rows_of(path,
                            "SELECT count, pos, kind, seq, hash, seal FROM consent_heads "
                            "WHERE subject = ''")
                        .at(0);
  CHECK(head[0] == "6");
  CHECK(head[1] == "6");
  CHECK(head[2] == "record");
  CHECK(head[3] == "5");
  const std::string seal =
      digest_bytes(crypto::sha256(ns("custos-consent-head-v1") + ns("") + ns("6") + ns("6") +
                                  ns("record") + ns("5") + bytes_of_hex(head[4])));
  CHECK(crypto::to_hex(reinterpret_cast<const std::uint8_t*>(seal.data()), 32) == head[5]);

  // Read-only too; and the engine decides from the history as before.
  ConsentOptions ro;
  ro.read_only = true;
  auto read_only = ConsentStore::open(path, ro);
  REQUIRE(read_only.ok());
  CHECK((*read_only)->verify().ok());
  const Decider decider(path);
  CHECK(decider.reason("c-2", "marketing") == Reason::kNone);
  CHECK(decider.reason("c-1", "marketing") == Reason::kConsentWithdrawn);
  CHECK(decider.reason("c-1", "analytics") == Reason::kNone);
  CHECK(decider.reason("c-2", "analytics") == Reason::kObjected);
  CHECK(decider.reason("c-9", "marketing") == Reason::kConsentMissing);
  CHECK(decider.reason("c-9", "analytics") == Reason::kNone);
  // An empty store verifies too.
  auto empty = ConsentStore::open(temp_path("empty.db"));
  REQUIRE(empty.ok());
  auto nothing = (*empty)->verify();
  REQUIRE(nothing.ok());
  CHECK(nothing->records == 0);
  CHECK(nothing->head.empty());
}

TEST_CASE("consent chain: flipped, removed, inserted, reordered and truncated rows are caught",
          "[consent][chain]") {
  struct Case {
    std::string name;
    std::string sql;
    std::string subject;  // whose read fails
    std::string verify;   // verify()'s message, after "STORE: "
    std::string read;     // the read's, after "STORE: damaged consent store: "
  };
  const std::string insert =
      "INSERT INTO consent_records (seq, subject, purpose, state, at, expires, source, pos, "
      "hash, subject_hash) VALUES ";
  const Case cases[] = {
      {"flip", "UPDATE consent_records SET state = 'granted' WHERE seq = 3", "c-1",
       "record seq 3: does not match the chain (changed, inserted or moved)",
       "record seq 3: does not match its subject's chain (changed, inserted or moved)"},
      {"flip_time", "UPDATE consent_records SET at = 50 WHERE seq = 3", "c-1",
       "record seq 3: does not match the chain (changed, inserted or moved)",
       "record seq 3: does not match its subject's chain (changed, inserted or moved)"},
      {"delete_latest", "DELETE FROM consent_records WHERE seq = 3", "c-1",
       "record seq 3: is missing (removed; the chain skips from position 3 to 5, at record seq "
       "4)",
       "record seq 3: is missing (removed; subject c-1's chain head names it as their latest)"},
      {"delete_first", "DELETE FROM consent_records WHERE seq = 1", "c-1",
       "record seq 1: is missing (removed; the chain skips from position 0 to 2, at record seq "
       "2)",
       "signal seq 1: does not match its subject's chain (changed, inserted or moved)"},
      {"insert_end",
       insert + "(6, 'c-1', 'marketing', 'granted', 300, NULL, '', 7, randomblob(32), "
                "randomblob(32))",
       "c-1", "record seq 6: does not match the chain (changed, inserted or moved)",
       "record seq 6: does not match its subject's chain (changed, inserted or moved)"},
      {"insert_copy",  // a copy of c-1's grant, with its hashes, at the end
       insert + "(6, 'c-1', 'marketing', 'granted', 300, NULL, '', 7, (SELECT hash FROM "
                "consent_records WHERE seq = 1), (SELECT subject_hash FROM consent_records "
                "WHERE seq = 1))",
       "c-1", "record seq 6: does not match the chain (changed, inserted or moved)",
       "record seq 6: does not match its subject's chain (changed, inserted or moved)"},
      {"insert_unchained",
       "INSERT INTO consent_records (subject, purpose, state, at) VALUES ('c-1', 'marketing', "
       "'granted', 300)",
       "c-1", "record seq 6: is not chained (written outside Custos)",
       "record seq 6: is not chained (written outside Custos)"},
      {"reorder_seq",
       "UPDATE consent_records SET seq = -1 WHERE seq = 1; UPDATE consent_records SET seq = 1 "
       "WHERE seq = 3; UPDATE consent_records SET seq = 3 WHERE seq = -1",
       "c-1", "record seq 3: does not match the chain (changed, inserted or moved)",
       "record seq 3: does not match its subject's chain (changed, inserted or moved)"},
      {"reorder_pos",
       "UPDATE consent_records SET pos = 4 WHERE seq = 1; UPDATE consent_records SET pos = 1 "
       "WHERE seq = 3",
       "c-1", "record seq 3: does not match the chain (changed, inserted or moved)",
       "record seq 3: does not match its subject's chain (changed, inserted or moved)"},
      {"truncate_tail", "DELETE FROM consent_records WHERE seq = 5", "c-2",
       "record seq 5: is missing (removed; the chain's head names it as the latest)",
       "record seq 5: is missing (removed; subject c-2's chain head names it as their latest)"},
      {"signal_flip", "UPDATE consent_signals SET value = 'on' WHERE seq = 1", "c-1",
       "signal seq 1: does not match the chain (changed, inserted or moved)",
       "signal seq 1: does not match its subject's chain (changed, inserted or moved)"},
      {"signal_delete", "DELETE FROM consent_signals WHERE seq = 1", "c-1",
       "signal seq 1: is missing (removed; the chain skips from position 2 to 4, at record seq "
       "3)",
       "record seq 3: does not match its subject's chain (changed, inserted or moved)"},
      {"subject_moved", "UPDATE consent_records SET subject = 'c-2' WHERE seq = 3", "c-1",
       "record seq 3: does not match the chain (changed, inserted or moved)",
       "record seq 3: is missing (removed; subject c-1's chain head names it as their latest)"},
      {"head_removed", "DELETE FROM consent_heads WHERE subject = 'c-1'", "c-1",
       "record seq 3: subject c-1 has no chain head (removed, or written outside Custos)",
       "record seq 1: its subject has no chain head (written outside Custos)"},
      {"head_rolled_back",  // the withdrawal removed, c-1's head set back to before it
       "DELETE FROM consent_records WHERE seq = 3; UPDATE consent_heads SET count = 2, pos = 3, "
       "kind = 'signal', seq = 1, hash = (SELECT subject_hash FROM consent_signals WHERE seq = "
       "1) WHERE subject = 'c-1'",
       "c-1",
       "record seq 3: is missing (removed; the chain skips from position 3 to 5, at record seq "
       "4)",
       "the chain head of subject c-1 was changed"},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    const auto path = fixture("tampered_" + c.name + ".db");
    tamper(path, c.sql);
    CHECK(verify_error(path) == path + ": " + c.verify);
    CHECK(read_error(path, c.subject) == path + ": damaged consent store: " + c.read);
  }
}

TEST_CASE("consent chain: the engine decides a tampered subject as having no records",
          "[consent][chain][engine]") {
  // The adversarial trial: c-1's withdrawal turned into a grant.
  const auto flipped = fixture("engine_flip.db");
  tamper(flipped, "UPDATE consent_records SET state = 'granted' WHERE seq = 3");
  {
    const Decider d(flipped);
    CHECK(d.reason("c-1", "marketing") == Reason::kConsentMissing);  // not allowed
    // Legitimate interest: no records would allow; the history may hold an
    // objection, so it fails closed.
    CHECK(d.reason("c-1", "analytics") == Reason::kObjected);
    CHECK(d.reason("c-1", "billing") == Reason::kNone);  // needs no consent
    // Other subjects are decided from their own, intact, histories.
    CHECK(d.reason("c-2", "marketing") == Reason::kNone);
    CHECK(d.reason("c-2", "analytics") == Reason::kObjected);
    CHECK(d.reason("c-3", "analytics") == Reason::kObjected);
    // The explanation names the store and the record.
    const std::string why = d.explanation("c-1", "marketing");
    INFO(why);
    CHECK(why.find("consent: consent_missing (the consent store could not be read: " + flipped +
                   ": damaged consent store: record seq 3: does not match its subject's chain "
                   "(changed, inserted or moved))") != std::string::npos);
    const std::string li = d.explanation("c-1", "analytics");
    INFO(li);
    CHECK(li.find("consent: objected (the consent store could not be read: " + flipped +
                  ": damaged consent store: record seq 3: does not match its subject's chain "
                  "(changed, inserted or moved); it may hold an objection)") != std::string::npos);
  }
  // c-1's withdrawal deleted: the grant would decide; it does not.
  const auto deleted = fixture("engine_delete.db");
  tamper(deleted, "DELETE FROM consent_records WHERE seq = 3");
  CHECK(Decider(deleted).reason("c-1", "marketing") == Reason::kConsentMissing);
  // A grant inserted for c-3.
  const auto inserted = fixture("engine_insert.db");
  tamper(inserted,
         "INSERT INTO consent_records (seq, subject, purpose, state, at, expires, source, pos, "
         "hash, subject_hash) VALUES (6, 'c-3', 'marketing', 'granted', 300, NULL, '', 7, "
         "randomblob(32), randomblob(32))");
  CHECK(Decider(inserted).reason("c-3", "marketing") == Reason::kConsentMissing);
  // c-2's objection (the store's last row) truncated: analytics stays denied.
  const auto truncated = fixture("engine_truncate.db");
  tamper(truncated, "DELETE FROM consent_records WHERE seq = 5");
  {
    const Decider d(truncated);
    CHECK(d.reason("c-2", "analytics") == Reason::kObjected);
    CHECK(d.reason("c-2", "marketing") == Reason::kConsentMissing);
    CHECK(d.reason("c-1", "marketing") == Reason::kConsentWithdrawn);
  }
  // Reordered: c-1's grant and withdrawal swap seqs.
  const auto reordered = fixture("engine_reorder.db");
  tamper(reordered,
         "UPDATE consent_records SET seq = -1 WHERE seq = 1; UPDATE consent_records SET seq = 1 "
         "WHERE seq = 3; UPDATE consent_records SET seq = 3 WHERE seq = -1");
  CHECK(Decider(reordered).reason("c-1", "marketing") == Reason::kConsentMissing);
  // A signal changed: GPC turned on, for a purpose marked gpc.
  const auto signal = fixture("engine_signal.db");
  tamper(signal, "UPDATE consent_signals SET value = 'on' WHERE seq = 1");
  CHECK(Decider(signal).reason("c-1", "marketing") == Reason::kConsentMissing);
  CHECK(Decider(signal).reason("c-2", "marketing") == Reason::kNone);
  // A valid grant appended after all this still counts (for an intact subject).
  {
    auto store = ConsentStore::open(signal);
    REQUIRE(store.ok());
    REQUIRE((*store)->grant("c-4", "marketing", 400).ok());
  }
  CHECK(Decider(signal).reason("c-4", "marketing") == Reason::kNone);
}

TEST_CASE("consent chain: a keyed chain; an attacker recomputing SHA-256 is caught",
          "[consent][chain]") {
  const std::string key = "0123456789abcdef0123456789abcdef";
  const auto path = fixture("keyed.db", key);
  {
    ConsentOptions o;
    o.chain_key = key;
    auto store = ConsentStore::open(path, o);
    REQUIRE(store.ok());
    auto report = (*store)->verify();
    REQUIRE(report.ok());
    CHECK(report->chain == "hmac-sha256");
    CHECK(report->records == 5);
  }
  // Without the key, or with a key for an unkeyed store: refused.
  auto no_key = ConsentStore::open(path);
  REQUIRE_FALSE(no_key.ok());
  CHECK(no_key.status().code() == StatusCode::kInvalidArgument);
  CHECK(no_key.status().message() ==
        path +
            ": the consent store's chain is keyed (hmac-sha256): open it with its key "
            "(ConsentOptions::chain_key)");
  ConsentOptions keyed;
  keyed.chain_key = key;
  const auto plain = fixture("plain.db");
  CHECK(ConsentStore::open(plain, keyed).status().code() == StatusCode::kInvalidArgument);
  keyed.chain_key = "short";
  CHECK(ConsentStore::open(path, keyed).status().code() == StatusCode::kInvalidArgument);
  // Another key: nothing matches.
  const std::string other = "fedcba9876543210fedcba9876543210";
  CHECK(verify_error(path, other) ==
        path + ": record seq 1: does not match the chain (changed, inserted or moved)");

  // A careful attacker: flips c-1's withdrawal and recomputes its links,
  // and the heads, with SHA-256 (FORMAT.md), which is all a key-less
  // editor can do. Unkeyed that would pass; keyed it does not.
  for (const bool with_key : {false, true}) {
    INFO("keyed: " << with_key);
    const auto target =
        fixture(with_key ? "careful_keyed.db" : "careful_plain.db", with_key ? key : "");
    const auto links = rows_of(target,
                               "SELECT (SELECT hash FROM consent_signals WHERE seq = 1), "
                               "(SELECT subject_hash FROM consent_signals WHERE seq = 1)")
                           .at(0);
    const std::string c = ns("record") + ns("4") + ns("3") + ns("c-1") + ns("marketing") +
                          ns("granted") + ns("200") + ns("") + ns("preference-centre");
    const auto h = crypto::sha256(bytes_of_hex(links[0]) + c);
    const auto sh = crypto::sha256(bytes_of_hex(links[1]) + c);
    tamper(target, "UPDATE consent_records SET state = 'granted', hash = x'" +
                       crypto::to_hex(h.data(), 32) + "', subject_hash = x'" +
                       crypto::to_hex(sh.data(), 32) + "' WHERE seq = 3");
    if (!with_key) {
      // The unkeyed chain holds against this edit only up to the next
      // link: record 4's (another subject's) hash no longer follows.
      CHECK(verify_error(target) ==
            target + ": record seq 4: does not match the chain (changed, inserted or moved)");
      // c-1's own history now links; its head still catches it.
      CHECK(read_error(target, "c-1") ==
            target +
                ": damaged consent store: the chain head of subject c-1 does not match their "
                "history");
    } else {
      CHECK(verify_error(target, key) ==
            target + ": record seq 3: does not match the chain (changed, inserted or moved)");
      CHECK(read_error(target, "c-1", key) ==
            target +
                ": damaged consent store: record seq 3: does not match its subject's chain "
                "(changed, inserted or moved)");
      const Decider d(target, key);
      CHECK(d.reason("c-1", "marketing") == Reason::kConsentMissing);
    }
  }
}

TEST_CASE("consent chain: version 1 and 2 stores are chained on a writable open",
          "[consent][chain][upgrade]") {
  const std::string records =
      "INSERT INTO consent_records (subject, purpose, state, at, expires, source) VALUES "
      "('c-1', 'marketing', 'granted', 100, 500, 'signup'), "
      "('c-2', 'marketing', 'granted', 100, NULL, ''), "
      "('c-1', 'marketing', 'withdrawn', 200, NULL, 'preference-centre');";
  const std::string signals =
      "INSERT INTO consent_signals (subject, kind, value, at, source) VALUES "
      "('c-1', 'gpc', 'on', 150, 'Sec-GPC');";
  for (const int version : {1, 2}) {
    INFO("version " << version);
    const auto path = temp_path("legacy_v" + std::to_string(version) + ".db");
    testing::make_legacy_store(path, version, records + (version == 2 ? signals : ""));
    // Read-only: read as it is, unchecked; verify() says so.
    ConsentOptions ro;
    ro.read_only = true;
    {
      auto store = ConsentStore::open(path, ro);
      REQUIRE(store.ok());
      CHECK((*store)->history("c-1")->size() == 2);
      auto report = (*store)->verify();
      REQUIRE(report.ok());
      CHECK_FALSE(report->chained);
      CHECK(report->records == 3);
      CHECK(report->signals == (version == 2 ? 1u : 0u));
      CHECK(report->head.empty());
    }
    // require_chain refuses it, read-only or not, and changes nothing.
    ConsentOptions strict;
    strict.require_chain = true;
    auto refused = ConsentStore::open(path, strict);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.status().message() ==
          path + ": a consent store of schema version " + std::to_string(version) +
              ", from before the chain, and ConsentOptions::require_chain refuses it");
    strict.read_only = true;
    CHECK(ConsentStore::open(path, strict).status().code() == StatusCode::kCorruption);
    CHECK(user_version(path) == version);
    // Writable: upgraded, every row chained as it was.
    {
      auto store = ConsentStore::open(path);
      REQUIRE(store.ok());
      CHECK(user_version(path) == 3);
      auto report = (*store)->verify();
      REQUIRE(report.ok());
      CHECK(report->chained);
      CHECK(report->records == 3);
      CHECK(report->signals == (version == 2 ? 1u : 0u));
      CHECK(report->subjects == 2);
      auto history = (*store)->history("c-1");
      REQUIRE(history.ok());
      REQUIRE(history->size() == 2);
      CHECK((*history)[0].expires == Timestamp{500});
      CHECK((*history)[1].state == ConsentState::kWithdrawn);
      REQUIRE((*store)->grant("c-2", "analytics", 300).ok());
      REQUIRE((*store)->signal_gpc("c-2", false, 300).ok());
      CHECK((*store)->verify().ok());
    }
    // Upgraded, it is like a store created as version 3: reopens, verifies,
    // and catches edits.
    {
      auto store = ConsentStore::open(path, strict);
      REQUIRE(store.ok());
      auto report = (*store)->verify();
      REQUIRE(report.ok());
      CHECK(report->records == 4);
    }
    tamper(path, "UPDATE consent_records SET state = 'granted' WHERE seq = 3");
    CHECK(verify_error(path) ==
          path + ": record seq 3: does not match the chain (changed, inserted or moved)");
    CHECK(read_error(path, "c-1") ==
          path +
              ": damaged consent store: record seq 3: does not match its subject's chain "
              "(changed, inserted or moved)");
  }
  // A keyed upgrade.
  const auto keyed = temp_path("legacy_keyed.db");
  testing::make_legacy_store(keyed, 2, records + signals);
  ConsentOptions with_key;
  with_key.chain_key = "0123456789abcdef0123456789abcdef";
  {
    auto store = ConsentStore::open(keyed, with_key);
    REQUIRE(store.ok());
    CHECK((*store)->verify()->chain == "hmac-sha256");
  }
  CHECK(ConsentStore::open(keyed).status().code() == StatusCode::kInvalidArgument);
  // A row no version of Custos could have written stops the upgrade, which
  // leaves the file as it was.
  const auto bad = temp_path("legacy_bad.db");
  testing::make_legacy_store(
      bad, 2,
      records +
          "INSERT INTO consent_records (subject, purpose, state, at) VALUES ('c-3', "
          "'marketing', 'granted', 'yesterday');");
  auto upgrade = ConsentStore::open(bad);
  REQUIRE_FALSE(upgrade.ok());
  CHECK(upgrade.status().code() == StatusCode::kCorruption);
  CHECK(upgrade.status().message() ==
        bad +
            ": cannot upgrade consent store to version 3: damaged consent store: record seq 4 "
            "has a time that is not an integer; it cannot be chained");
  CHECK(user_version(bad) == 2);
  ConsentOptions ro;
  ro.read_only = true;
  CHECK(ConsentStore::open(bad, ro).ok());
}

TEST_CASE("consent chain: appends from two store objects interleave and still verify",
          "[consent][chain]") {
  const auto path = temp_path("two_writers.db");
  auto a = ConsentStore::open(path);
  auto b = ConsentStore::open(path);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  for (int i = 0; i < 50; ++i) {
    REQUIRE((*a)->grant("c-" + std::to_string(i % 7), "marketing", i).ok());
    REQUIRE((*b)->signal_gpc("c-" + std::to_string(i % 5), i % 2 == 0, i).ok());
    REQUIRE((*b)->withdraw("c-" + std::to_string(i % 3), "marketing", i).ok());
  }
  auto report = (*a)->verify();
  REQUIRE(report.ok());
  CHECK(report->records == 100);
  CHECK(report->signals == 50);
  (*a)->refresh();
  for (int i = 0; i < 7; ++i) CHECK((*a)->records("c-" + std::to_string(i)).ok());
}

TEST_CASE("consent chain: a reader never mistakes another writer's append for tampering",
          "[consent][chain][threads]") {
  // Two connections (as two processes would have): one appends to c-1
  // while the other reads c-1 from the file again and again. Each read
  // sees rows and head from one snapshot, so it never finds a head ahead of
  // the rows (which would look like a removed record).
  const auto path = temp_path("race.db");
  auto writer = ConsentStore::open(path);
  auto reader = ConsentStore::open(path);
  REQUIRE(writer.ok());
  REQUIRE(reader.ok());
  std::atomic<bool> done{false};
  std::thread appending([&] {
    for (int i = 0; i < 300; ++i) {
      (void)(*writer)->grant("c-1", "marketing", i);
      (void)(*writer)->signal_gpc("c-1", i % 2 == 0, i);
    }
    done = true;
  });
  int reads = 0, failures = 0;
  std::string failure;
  while (!done || reads < 10) {
    (*reader)->refresh();
    auto records = (*reader)->records("c-1");
    ++reads;
    if (!records.ok()) {
      ++failures;
      failure = records.status().message();
    }
  }
  appending.join();
  INFO(failure);
  CHECK(failures == 0);
  auto report = (*reader)->verify();
  REQUIRE(report.ok());
  CHECK(report->records == 300);
  CHECK(report->signals == 300);
}
