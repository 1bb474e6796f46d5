// The audit log: entries, the chain, verification catching every kind of
// tampering with real entries, checkpoints, the subject index and sets, the
// report and the export (src/audit/FORMAT.md).
#include "custos/audit.hpp"

#include <sqlite3.h>

#include <filesystem>
#include <thread>

#include <nlohmann/json.hpp>

#include "audit/entry.hpp"
#include "catch.hpp"
#include "crypto/crypto.hpp"
#include "custos/engine.hpp"

using namespace custos;

namespace {

constexpr Timestamp kMarch3 = 1772496000;  // 2026-03-03T00:00:00Z

struct Scratch {
  std::string dir;
  explicit Scratch(const std::string& name)
      : dir((std::filesystem::temp_directory_path() /
             ("custos-audit-" + name + "-" + std::to_string(::getpid())))
                .string()) {
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
  }
  ~Scratch() { std::filesystem::remove_all(dir); }
  std::string file(const std::string& name) const { return dir + "/" + name; }
};

AccessRecord record(int i, std::vector<std::string> subjects = {"c-42"}) {
  AccessRecord r;
  r.kind = AccessRecord::Kind::kRead;
  r.time = kMarch3 + i * 60;
  r.actor = "agent-7";
  r.roles = {"support_agent"};
  r.purpose = "service.support";
  r.action = "read";
  AccessRecord::Column email;
  email.table = "Customer";
  email.column = "Email";
  email.category = "contact.email";
  email.allowed = true;
  email.transform = Transform{Transform::Kind::kMask, 0};
  email.rule = "support-contact";
  AccessRecord::Column id;
  id.table = "Customer";
  id.column = "CustomerId";
  id.allowed = true;
  r.columns = {email, id};
  r.sql = "SELECT Email FROM Customer WHERE CustomerId = ?";
  r.fingerprint = "0123456789abcdef";
  r.rows = 1;
  r.subjects = std::move(subjects);
  r.policy.version = 7;
  const std::string name = "acme-crm";
  std::copy(name.begin(), name.end(), r.policy.name_chars.begin());
  return r;
}

const std::string kKey(32, 'a');

// Writes `n` entries (synchronously) to a keyed log.
void write_log(const std::string& path, int n, const std::string& key = kKey) {
  AuditOptions options;
  options.durability = AuditOptions::Durability::kSync;
  options.key = key;
  auto log = AuditLog::open(path, options);
  REQUIRE(log.ok());
  for (int i = 1; i <= n; ++i) REQUIRE((*log)->append(record(i)).ok());
}

// Runs SQL on the log's file as an attacker with write access would: the
// append-only triggers dropped first.
void tamper(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  std::string all;
  for (const char* t :
       {"audit_entries", "audit_subject_index", "audit_subject_sets", "audit_checkpoints"}) {
    all += std::string("DROP TRIGGER IF EXISTS ") + t + "_no_update; DROP TRIGGER IF EXISTS " + t +
           "_no_delete;";
  }
  char* error = nullptr;
  const int rc = sqlite3_exec(db, (all + sql).c_str(), nullptr, nullptr, &error);
  INFO((error ? error : ""));
  sqlite3_free(error);
  sqlite3_close(db);
  REQUIRE(rc == SQLITE_OK);
}

std::string verify_error(const std::string& path, const std::string& key = kKey,
                         const std::vector<std::string>& trusted = {}) {
  auto v = verify_audit_log(path, key, trusted);
  return v.ok() ? "ok" : v.status().message();
}

}  // namespace

TEST_CASE("audit: entries are canonical JSON in a keyed chain, and verify", "[audit]") {
  Scratch s("chain");
  const std::string path = s.file("audit.db");
  write_log(path, 3);
  auto v = verify_audit_log(path, kKey);
  REQUIRE(v.ok());
  CHECK(v->entries == 3);
  CHECK(v->head.size() == 64);
  // Recompute the chain from FORMAT.md alone, reading the file with SQLite.
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db, "SELECT seq, entry, hash FROM audit_entries ORDER BY seq", -1, &st,
                     nullptr);
  crypto::Digest previous{};
  std::string first;
  while (sqlite3_step(st) == SQLITE_ROW) {
    const std::string entry(reinterpret_cast<const char*>(sqlite3_column_text(st, 1)));
    if (first.empty()) first = entry;
    const crypto::Digest h = crypto::hmac_sha256(
        kKey, std::string(reinterpret_cast<const char*>(previous.data()), 32) + entry);
    REQUIRE(sqlite3_column_bytes(st, 2) == 32);
    CHECK(std::memcmp(sqlite3_column_blob(st, 2), h.data(), 32) == 0);
    previous = h;
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  CHECK(crypto::to_hex(previous.data(), 32) == v->head);
  CHECK(first ==
        R"({"action":"read","actor":"agent-7","categories":[{"category":"contact.email",)"
        R"("column":"Email","effect":"allow","reasons":[],"rule":"support-contact","table":)"
        R"("Customer","transform":"mask"},{"category":"","column":"CustomerId","effect":"allow",)"
        R"("reasons":[],"rule":"","table":"Customer","transform":"plain"}],"fingerprint":)"
        R"("0123456789abcdef","kind":"read","policy":{"name":"acme-crm","sha256":")" +
            std::string(64, '0') +
            R"(","version":7},"purpose":"service.support","refusal":"","refused":false,"roles":)"
            R"(["support_agent"],"rows":1,"rules":["support-contact"],"seq":1,"sql":"SELECT )"
            R"(Email FROM Customer WHERE CustomerId = ?","subjects":["c-42"],"time":)"
            R"("2026-03-03T00:01:00Z"})");
}

TEST_CASE("audit: a changed, removed, inserted or reordered entry names its seq", "[audit]") {
  Scratch s("tamper");
  const std::string path = s.file("audit.db");
  SECTION("changed: one byte of entry 3") {
    write_log(path, 5);
    tamper(path,
           "UPDATE audit_entries SET entry = replace(entry, 'agent-7', 'agent-8') "
           "WHERE seq = 3");
    CHECK(verify_error(path) ==
          "entry 3: its hash does not match (changed, inserted, moved, or "
          "a wrong key)");
  }
  SECTION("changed, and its hash recomputed without the key") {
    write_log(path, 5);
    tamper(path, "UPDATE audit_entries SET entry = replace(entry, 'mask', 'plain') WHERE seq = 2");
    CHECK(verify_error(path).rfind("entry 2: its hash does not match", 0) == 0);
  }
  SECTION("removed: entry 2") {
    write_log(path, 5);
    tamper(path,
           "DELETE FROM audit_entries WHERE seq = 2; DELETE FROM audit_subject_index "
           "WHERE seq = 2");
    CHECK(verify_error(path) == "entry 2: missing (the next entry is 3)");
  }
  SECTION("removed: the last entry, without a checkpoint, is not detectable by the chain") {
    write_log(path, 5);
    tamper(path,
           "DELETE FROM audit_entries WHERE seq = 5; DELETE FROM audit_subject_index "
           "WHERE seq = 5");
    CHECK(verify_error(path) == "ok");  // hence checkpoints (next test case)
  }
  SECTION("inserted: a forged entry between 2 and 3, later ones renumbered") {
    write_log(path, 4);
    tamper(path,
           "UPDATE audit_entries SET seq = seq + 10 WHERE seq >= 3;"
           "UPDATE audit_entries SET seq = seq - 9 WHERE seq >= 13;"
           "INSERT INTO audit_entries SELECT 3, replace(entry, '\"seq\":2', '\"seq\":3'), hash "
           "FROM audit_entries WHERE seq = 2;");
    CHECK(verify_error(path).rfind("entry 3: its hash does not match", 0) == 0);
  }
  SECTION("reordered: entries 2 and 3 swapped") {
    write_log(path, 4);
    tamper(path,
           "UPDATE audit_entries SET seq = 100 WHERE seq = 2;"
           "UPDATE audit_entries SET seq = 2 WHERE seq = 3;"
           "UPDATE audit_entries SET seq = 3 WHERE seq = 100;");
    CHECK(verify_error(path).rfind("entry 2: its hash does not match", 0) == 0);
  }
  SECTION("a wrong key") {
    write_log(path, 2);
    CHECK(verify_error(path, std::string(32, 'b')).rfind("entry 1: its hash does not match", 0) ==
          0);
  }
}

TEST_CASE("audit: checkpoints catch a truncated tail and a forged signature", "[audit]") {
  Scratch s("checkpoint");
  const std::string path = s.file("audit.db");
  write_log(path, 5);
  auto keys = crypto::ed25519_generate();
  REQUIRE(keys.ok());
  auto signed_seq = checkpoint_audit_log(path, keys->private_pem, kMarch3 + 3600);
  REQUIRE(signed_seq.ok());
  CHECK(*signed_seq == 5);
  auto v = verify_audit_log(path, kKey, {keys->public_pem});
  REQUIRE(v.ok());
  CHECK(v->checkpoints == 1);
  SECTION("a tail truncated after the checkpoint") {
    tamper(path,
           "DELETE FROM audit_entries WHERE seq >= 4; DELETE FROM audit_subject_index "
           "WHERE seq >= 4");
    CHECK(verify_error(path) ==
          "entry 4: missing: a checkpoint signs entry 5, so the log was truncated after entry 3");
  }
  SECTION("a forged signature") {
    tamper(path, "UPDATE audit_checkpoints SET signature = zeroblob(64)");
    CHECK(verify_error(path) == "entry 5: its checkpoint's signature does not verify (forged)");
  }
  SECTION("a checkpoint re-signed with the attacker's own key") {
    auto mine = crypto::ed25519_generate();
    REQUIRE(mine.ok());
    tamper(path, "DELETE FROM audit_checkpoints");
    REQUIRE(checkpoint_audit_log(path, mine->private_pem, kMarch3 + 7200).ok());
    CHECK(verify_error(path) == "ok");  // consistent in itself ...
    CHECK(verify_error(path, kKey, {keys->public_pem}) ==
          "entry 5: its checkpoint is signed by a key that is not trusted");  // ... not trusted
  }
}

TEST_CASE("audit: the subject index is checked against the entries", "[audit]") {
  Scratch s("index");
  const std::string path = s.file("audit.db");
  write_log(path, 3);
  SECTION("an index row deleted: the access would vanish from the report") {
    tamper(path, "DELETE FROM audit_subject_index WHERE seq = 2");
    CHECK(verify_error(path) ==
          "entry 2: the subject index lacks subject `c-42` (a report would hide this access)");
  }
  SECTION("an index row added") {
    tamper(path, "INSERT INTO audit_subject_index VALUES ('c-43', 2)");
    CHECK(verify_error(path) == "entry 2: the subject index lists a subject the entry does not");
  }
  // Verification compares the two sides by a keyed digest of their pairs,
  // then names the entry by an exact walk: the changes below keep the row
  // count, the set of seqs or the set of subjects, and are caught all the same.
  SECTION("an index row moved to an entry that does not exist") {
    tamper(path, "UPDATE audit_subject_index SET seq = 9 WHERE seq = 2");
    CHECK(verify_error(path) ==
          "entry 2: the subject index lacks subject `c-42` (a report would hide this access)");
  }
  SECTION("an index row's subject replaced") {
    tamper(path, "UPDATE audit_subject_index SET subject = 'c-41' WHERE seq = 3");
    CHECK(verify_error(path) ==
          "entry 3: the subject index lacks subject `c-42` (a report would hide this access)");
  }
  SECTION("an index row for an entry the log does not have") {
    tamper(path, "INSERT INTO audit_subject_index VALUES ('c-42', 9)");
    CHECK(verify_error(path) == "entry 9: the subject index lists an entry the log does not have");
  }
}

TEST_CASE("audit: two entries' index rows swapped are caught", "[audit]") {
  Scratch s("index-swap");
  const std::string path = s.file("audit.db");
  {
    AuditOptions options;
    options.key = kKey;
    auto log = AuditLog::open(path, options);
    REQUIRE(log.ok());
    REQUIRE((*log)->append(record(1, {"c-1"})).ok());
    REQUIRE((*log)->append(record(2, {"c-2"})).ok());
    REQUIRE((*log)->flush().ok());
  }
  REQUIRE(verify_error(path) == "ok");
  // The same subjects, the same seqs, the same count: only the pairs differ.
  tamper(path,
         "UPDATE audit_subject_index SET subject = CASE subject WHEN 'c-1' THEN 'c-2' ELSE 'c-1' "
         "END");
  CHECK(verify_error(path) ==
        "entry 1: the subject index lacks subject `c-1` (a report would hide this access)");
}

TEST_CASE("audit: a large read stores its subjects as one set, still reported and verified",
          "[audit]") {
  Scratch s("sets");
  const std::string path = s.file("audit.db");
  std::vector<std::string> many;
  for (int i = 1000; i > 0; --i) many.push_back(std::to_string(i));
  {
    AuditOptions options;
    options.key = kKey;
    auto log = AuditLog::open(path, options);
    REQUIRE(log.ok());
    REQUIRE((*log)->append(record(1, many)).ok());
    REQUIRE((*log)->append(record(2, {"7"})).ok());
    REQUIRE((*log)->flush().ok());
  }
  CHECK(verify_error(path) == "ok");
  auto seven = audit_accesses(path, "7");
  REQUIRE(seven.ok());
  REQUIRE(seven->size() == 2);
  CHECK((*seven)[0].seq == 1);
  CHECK((*seven)[1].seq == 2);
  auto seventy = audit_accesses(path, "70");  // in the set
  REQUIRE(seventy.ok());
  CHECK(seventy->size() == 1);
  CHECK(audit_accesses(path, "1001")->empty());  // not in it
  tamper(path,
         "UPDATE audit_subject_sets SET subjects = CAST(replace(CAST(subjects AS TEXT), "
         "'500\n', '') AS BLOB)");
  CHECK(verify_error(path) == "entry 1: its subject set does not match the entry");
}

TEST_CASE("audit: the report lists every access to a subject, as JSON, text and HTML", "[audit]") {
  Scratch s("report");
  const std::string path = s.file("audit.db");
  {
    AuditOptions options;
    options.key = kKey;
    auto log = AuditLog::open(path, options);
    REQUIRE(log.ok());
    REQUIRE((*log)->append(record(1, {"c-42", "c-43"})).ok());
    REQUIRE((*log)->append(record(2, {"c-43"})).ok());
    AccessRecord share = record(3, {"c-42"});
    share.action = "share";
    share.purpose = "marketing.partners";
    share.roles = {"marketer"};
    share.columns[0].allowed = false;
    share.columns[0].rule = "";
    share.columns[0].withheld = {Reason::kConsentMissing};
    REQUIRE((*log)->append(share).ok());
  }
  auto json = audit_report(path, "c-42");
  REQUIRE(json.ok());
  const auto j = nlohmann::json::parse(*json);
  CHECK(j["subject"] == "c-42");
  REQUIRE(j["accesses"].size() == 2);
  CHECK(j["accesses"][0]["time"] == "2026-03-03T00:01:00Z");
  CHECK(j["accesses"][0]["actor"] == "agent-7");
  CHECK(j["accesses"][0]["roles"] == nlohmann::json::array({"support_agent"}));
  CHECK(j["accesses"][0]["purpose"] == "service.support");
  CHECK(j["accesses"][0]["action"] == "read");
  CHECK(j["accesses"][0]["categories"] ==
        nlohmann::json::parse(
            R"([{"category":"contact.email","effect":"allow","transform":"mask"}])"));
  CHECK(j["accesses"][0]["rule"] == "support-contact");
  CHECK(j["accesses"][0]["policy"] == "acme-crm version 7");
  CHECK(j["accesses"][1]["categories"][0]["effect"] == "deny");
  auto since = audit_report(path, "c-42", ReportFormat::kJson, kMarch3 + 120);
  REQUIRE(since.ok());
  CHECK(nlohmann::json::parse(*since)["accesses"].size() == 1);
  auto html = audit_report(path, "c-42", ReportFormat::kHtml);
  REQUIRE(html.ok());
  CHECK(html->find("On 3 March 2026, a support agent read your contact email, masked, for "
                   "service support.") != std::string::npos);
  CHECK(html->find("On 3 March 2026, a marketer asked for your contact email and was refused, "
                   "for marketing partners.") != std::string::npos);
  CHECK(html->find("http") == std::string::npos);  // self-contained
  auto text = audit_report(path, "nobody", ReportFormat::kText);
  REQUIRE(text.ok());
  CHECK(*text == "Accesses to the data of subject nobody: 0\n");
}

TEST_CASE("audit: a reader opened once answers report after report, and sees new entries",
          "[audit]") {
  Scratch s("reader");
  const std::string path = s.file("audit.db");
  CHECK(AuditReader::open(path).status().code() == StatusCode::kNotFound);
  AuditOptions options;
  options.key = kKey;
  options.durability = AuditOptions::Durability::kSync;
  auto log = AuditLog::open(path, options);
  REQUIRE(log.ok());
  REQUIRE((*log)->append(record(1, {"c-42"})).ok());
  auto reader = AuditReader::open(path);
  REQUIRE(reader.ok());
  auto first = (*reader)->accesses("c-42");
  REQUIRE(first.ok());
  REQUIRE(first->size() == 1);
  CHECK((*first)[0].seq == 1);
  // The reader holds no snapshot between calls: a later entry is seen.
  REQUIRE((*log)->append(record(2, {"c-42", "c-7"})).ok());
  auto second = (*reader)->accesses("c-42");
  REQUIRE(second.ok());
  REQUIRE(second->size() == 2);
  CHECK((*second)[1].seq == 2);
  CHECK((*reader)->accesses("c-7")->size() == 1);
  CHECK((*reader)->accesses("c-4")->empty());  // a prefix of an id is not the id
  for (const auto format : {ReportFormat::kJson, ReportFormat::kText, ReportFormat::kHtml}) {
    auto mine = (*reader)->report("c-42", format);
    auto opened = audit_report(path, "c-42", format);
    REQUIRE(mine.ok());
    REQUIRE(opened.ok());
    CHECK(*mine == *opened);
  }
  // The JSON report, exactly: one access per line.
  auto json = (*reader)->report("c-7", ReportFormat::kJson);
  REQUIRE(json.ok());
  CHECK(*json ==
        "{\n  \"subject\": \"c-7\",\n  \"accesses\": [\n"
        "    {\"time\": \"2026-03-03T00:02:00Z\", \"actor\": \"agent-7\", \"roles\": "
        "[\"support_agent\"], \"purpose\": \"service.support\", \"action\": \"read\", "
        "\"categories\": [{\"category\": \"contact.email\", \"effect\": \"allow\", "
        "\"transform\": \"mask\"}], \"rule\": \"support-contact\", \"policy\": \"acme-crm "
        "version 7\"}\n  ]\n}\n");
  CHECK(*(*reader)->report("nobody", ReportFormat::kJson) ==
        "{\n  \"subject\": \"nobody\",\n  \"accesses\": []\n}\n");
}

TEST_CASE("audit: export writes each entry with what links it to the chain", "[audit]") {
  Scratch s("export");
  const std::string path = s.file("audit.db");
  write_log(path, 3);
  std::vector<std::string> lines;
  REQUIRE(export_audit_log(path, 1, [&](const std::string& l) { lines.push_back(l); }).ok());
  REQUIRE(lines.size() == 2);
  crypto::Digest previous{};
  const auto first = nlohmann::json::parse(lines[0]);
  CHECK(first["seq"] == 2);
  std::string prev_bytes;
  REQUIRE(crypto::from_hex(first["prev"].get<std::string>(), &prev_bytes));
  const crypto::Digest h =
      crypto::hmac_sha256(kKey, prev_bytes + first["entry"].get<std::string>());
  CHECK(crypto::to_hex(h.data(), 32) == first["hash"]);
  CHECK(nlohmann::json::parse(lines[1])["prev"] == first["hash"]);
  (void)previous;
}

TEST_CASE("audit: batched appends become durable within the delay, or at flush", "[audit]") {
  Scratch s("batched");
  const std::string path = s.file("audit.db");
  AuditOptions options;
  options.durability = AuditOptions::Durability::kBatched;
  options.batch_delay_ms = 50;
  options.queue_capacity = 8;  // a full queue blocks, never drops
  auto log = AuditLog::open(path, options);
  REQUIRE(log.ok());
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) CHECK((*log)->append(record(t * 100 + i)).ok());
    });
  }
  for (auto& t : threads) t.join();
  REQUIRE((*log)->flush().ok());
  CHECK((*log)->durable_seq() == 200);
  auto v = verify_audit_log(path, "");
  REQUIRE(v.ok());
  CHECK(v->entries == 200);
}

TEST_CASE("audit: a log opens only as it was made, and refuses other files", "[audit]") {
  Scratch s("open");
  const std::string path = s.file("audit.db");
  write_log(path, 1);
  CHECK(AuditLog::open(path).status().message() ==
        path + ": this audit log's chain is keyed: open it with its key");
  AuditOptions short_key;
  short_key.key = "short";
  CHECK(AuditLog::open(s.file("other.db"), short_key).status().code() ==
        StatusCode::kInvalidArgument);
  sqlite3* db = nullptr;
  sqlite3_open(s.file("app.db").c_str(), &db);
  sqlite3_exec(db, "CREATE TABLE t(x)", nullptr, nullptr, nullptr);
  sqlite3_close(db);
  CHECK(AuditLog::open(s.file("app.db")).status().code() == StatusCode::kCorruption);
  CHECK(verify_audit_log(s.file("missing.db"), "").status().code() == StatusCode::kNotFound);
  tamper(path, "DROP TABLE audit_subject_sets");
  CHECK(verify_error(path) == path + ": damaged audit log: its tables are not those of FORMAT.md");
}

namespace {

struct FailingSink : AuditSink {
  Status append(const AccessRecord&) override { return Status(StatusCode::kIoError, "disk full"); }
};

const char* kEnginePolicy = R"(policy "p" version 2
category contact.email
purpose support basis contract
role agent
allow agent to read contact.email as mask for support
retain contact for 1y
)";

Request agent_request() {
  Request r;
  r.actor.id = "agent-7";
  r.actor.roles = {"agent"};
  r.action = "read";
  r.purpose = "support";
  r.subject = Request::Subject{"c-42", {}, std::nullopt};
  r.categories = {"contact.email"};
  r.collected_at = kMarch3;
  return r;
}

}  // namespace

TEST_CASE("audit: an engine with an audit log logs every check; a failed append denies",
          "[audit][engine]") {
  Scratch s("engine");
  const std::string path = s.file("audit.db");
  auto policy = Policy::compile(kEnginePolicy, "p.custos");
  REQUIRE(policy.ok());
  {
    AuditOptions audit_options;
    audit_options.durability = AuditOptions::Durability::kSync;
    auto log = AuditLog::open(path, audit_options);
    REQUIRE(log.ok());
    EngineOptions options;
    options.clock = [] { return kMarch3 + 86400; };
    options.audit = log->get();
    Engine engine(*policy, options);
    CHECK(engine.check(agent_request()).allowed);
    Decision d;
    engine.check(engine.prepare(agent_request()), d);
    CHECK(d.allowed);
  }
  auto accesses = audit_accesses(path, "c-42");
  REQUIRE(accesses.ok());
  REQUIRE(accesses->size() == 2);
  CHECK((*accesses)[0].kind == "decision");
  CHECK((*accesses)[0].actor == "agent-7");
  CHECK((*accesses)[0].time == kMarch3 + 86400);
  REQUIRE((*accesses)[0].categories.size() == 1);
  CHECK((*accesses)[0].categories[0].transform == "mask");
  CHECK((*accesses)[0].policy == "p version 2");
  CHECK(verify_audit_log(path, "")->entries == 2);

  FailingSink failing;
  EngineOptions options;
  options.clock = [] { return kMarch3 + 86400; };
  options.audit = &failing;
  Engine engine(*policy, options);
  const Decision d = engine.check(agent_request());
  CHECK_FALSE(d.allowed);
  REQUIRE(d.items.size() == 1);
  CHECK(d.items[0].reason == Reason::kNotRecorded);
  CHECK(std::string(reason_code(d.items[0].reason)) == "not_recorded");
  CHECK(d.items[0].transform == Transform{});
}

TEST_CASE("audit: an entry's text is the canonical dump of its content", "[audit]") {
  // The writer appends the text member by member; the oracle is a JSON tree
  // of the same content, dumped canonically (sorted keys, compact).
  custos::AccessRecord r;
  r.kind = custos::AccessRecord::Kind::kPurge;
  r.time = 1795867200;
  r.actor = "agent \"7\"\\ \x01\t\xC3\xA9 \xFF";  // escapes, control, non-ASCII, invalid UTF-8
  r.roles = {"support_agent", "z", "a"};
  r.purpose = "service.support";
  r.action = "erase";
  custos::AccessRecord::Column granted, withheld;
  granted.table = "Customer";
  granted.column = "Name";
  granted.category = "identity.name";
  granted.allowed = true;
  granted.transform = custos::Transform{custos::Transform::Kind::kTruncate, 3};
  granted.rule = "r2";
  withheld.table = "Customer";
  withheld.column = "Email";
  withheld.category = "contact.email";
  withheld.rule = "r1";
  withheld.withheld = {custos::Reason::kConsentMissing, custos::Reason::kRetentionExpired};
  r.columns = {granted, withheld};
  r.rows = 12345678901234ULL;
  r.sql = "SELECT 1";
  r.fingerprint = "0123456789abcdef";
  r.refused = true;
  r.refusal = "line\nbreak";
  r.policy.version = -3;
  r.subjects = {"b", "10", "9"};
  const std::string text = custos::audit::finish_entry(custos::audit::make_entry(r), 7);

  nlohmann::json categories = nlohmann::json::array();
  categories.push_back({{"table", "Customer"},
                        {"column", "Name"},
                        {"category", "identity.name"},
                        {"effect", "allow"},
                        {"transform", "truncate(3)"},
                        {"rule", "r2"},
                        {"reasons", nlohmann::json::array()}});
  categories.push_back({{"table", "Customer"},
                        {"column", "Email"},
                        {"category", "contact.email"},
                        {"effect", "deny"},
                        {"transform", ""},
                        {"rule", "r1"},
                        {"reasons", {"consent_missing", "retention_expired"}}});
  nlohmann::json e = {{"seq", 7},
                      {"time", "2026-11-28T12:00:00Z"},
                      {"kind", "purge"},
                      {"actor", r.actor},
                      {"roles", r.roles},
                      {"purpose", r.purpose},
                      {"action", "erase"},
                      {"categories", categories},
                      {"rules", {"r1", "r2"}},
                      {"rows", 12345678901234ULL},
                      {"sql", "SELECT 1"},
                      {"fingerprint", "0123456789abcdef"},
                      {"refused", true},
                      {"refusal", "line\nbreak"},
                      {"policy", {{"name", ""}, {"version", -3}, {"sha256", std::string(64, '0')}}},
                      {"subjects", {"9", "10", "b"}}};
  CHECK(text == custos::audit::canonical(e));
  CHECK(text.find("\\u0001\\t\xC3\xA9 \xEF\xBF\xBD") != std::string::npos);

  // Read back for a report, in one pass.
  custos::audit::ScannedAccess access;
  REQUIRE(custos::audit::scan_access(text, access));
  CHECK(access.kind == "purge");
  CHECK(access.action == "erase");
  CHECK(access.actor == "agent \"7\"\\ \x01\t\xC3\xA9 \xEF\xBF\xBD");
  CHECK(access.roles == r.roles);
  CHECK(access.rules == std::vector<std::string>{"r1", "r2"});
  REQUIRE(access.categories.size() == 2);
  CHECK(access.categories[0].category == "identity.name");
  CHECK(access.categories[0].effect == "allow");
  CHECK(access.categories[0].transform == "truncate(3)");
  CHECK(access.categories[1].category == "contact.email");
  CHECK(access.categories[1].effect == "deny");
  CHECK(access.categories[1].transform == "");
  CHECK(access.policy_version == -3);
  CHECK(access.time == "2026-11-28T12:00:00Z");
  // A category or the policy not exactly as FORMAT.md 3.2 has them.
  for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
           {"\"column\":\"Name\",", ""},                                  // a member missing
           {"\"reasons\":[\"consent_missing\"", "\"reasons\":[1"},        // not a string
           {"\"table\":\"Customer\"", "\"table\":\"Customer\",\"x\":1"},  // a member too many
           {"\"version\":-3", "\"version\":\"-3\""},                      // not an integer
           {"\"roles\":[\"support_agent\"", "\"roles\":[true"},           // not a string
       }) {
    std::string bad = text;
    const auto at = bad.find(from);
    REQUIRE(at != std::string::npos);
    bad.replace(at, from.size(), to);
    INFO(bad);
    custos::audit::EntryShape shape;
    CHECK_FALSE(custos::audit::scan_entry(bad, shape));
    CHECK_FALSE(custos::audit::scan_access(bad, access));
  }

  // Past 64 subjects: the set's count and digest instead of the ids.
  r.subjects.clear();
  for (int i = 100; i > 0; --i) r.subjects.push_back(std::to_string(i));
  const auto pending = custos::audit::make_entry(r);
  CHECK(pending.subjects.empty());
  e["subjects"] = {
      {"count", 100},
      {"sha256", custos::crypto::to_hex(custos::crypto::sha256(pending.encoded_set).data(), 32)}};
  CHECK(custos::audit::finish_entry(pending, 7) == custos::audit::canonical(e));
}

TEST_CASE("audit: the entry scanner reads canonical entries and refuses anything else", "[audit]") {
  // An entry as the writer makes it: nlohmann's canonical dump, split at seq.
  custos::AccessRecord r;
  r.time = 1795867200;
  r.actor = "agent \"7\"\\";  // escapes inside strings
  r.roles = {"support_agent"};
  r.purpose = "service.support";
  r.action = "read";
  r.sql = "SELECT \"Email\" FROM Customer -- \"subjects\":[\"99\"]";
  r.subjects = {"12", "3", "a\nb"};
  const std::string text = custos::audit::finish_entry(custos::audit::make_entry(r), 42);
  const nlohmann::json parsed = nlohmann::json::parse(text);
  REQUIRE(custos::audit::canonical(parsed) == text);

  custos::audit::EntryShape shape;
  REQUIRE(custos::audit::scan_entry(text, shape));
  CHECK(shape.seq == 42);
  CHECK_FALSE(shape.subject_set);
  CHECK(shape.listed == std::vector<std::string>{"3", "12", "a\nb"});
  custos::audit::ScannedAccess access;
  REQUIRE(custos::audit::scan_access(text, access));
  CHECK(access.actor == "agent \"7\"\\");
  CHECK(access.time == "2026-11-28T12:00:00Z");

  SECTION("not canonical, or not an entry") {
    auto with = [&](const std::string& from, const std::string& to) {
      std::string t = text;
      const auto at = t.find(from);
      REQUIRE(at != std::string::npos);
      return t.replace(at, from.size(), to);
    };
    for (const std::string& bad : {
             with("{\"action\"", "{ \"action\""),         // whitespace
             with("\"seq\":42", "\"seq\":042"),           // not a canonical number
             with("\"seq\":42", "\"seq\":\"42\""),        // wrong type
             with("\"rows\":0,", ""),                     // a member missing
             with("\"time\"", "\"tame\""),                // an unknown member
             text + " ",                                  // trailing bytes
             text.substr(0, text.size() - 1),             // truncated
             with("\"refused\":false", "\"refused\":0"),  // not a boolean
             with("\"subjects\":[", "\"subjects\":[1,"),  // a subject not a string
         }) {
      INFO(bad);
      custos::audit::EntryShape s;
      CHECK_FALSE(custos::audit::scan_entry(bad, s));
    }
    // Members out of order: actor before action.
    const std::string swapped =
        "{\"actor\":\"x\",\"action\":\"read\"" + text.substr(text.find(",\"categories\""));
    CHECK_FALSE(custos::audit::scan_entry(swapped, shape));
  }
}
