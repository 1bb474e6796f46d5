/* The C API driven from C11, as a C, Swift or JNI caller drives it: engine,
 * consent, guarded reads (JSON and cursor), audit verification and report,
 * signed bundles and refused reloads, and the errors of bad input. Every
 * decision, reason, row and message is compared exactly.
 *
 *   capi_test WORK_DIR CUSTOS_CLI
 *
 * WORK_DIR is emptied and reused; CUSTOS_CLI (the `custos` command) makes
 * the Ed25519 keys and the signed bundles. Exits 0 when every check holds. */
#define _POSIX_C_SOURCE 200809L

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "custos/custos.h"

static int failures;
static int checks;
static char work[1024];

#define CHECK(cond) check_true((cond), #cond, __FILE__, __LINE__)
#define CHECK_STR(actual, expected) check_str((actual), (expected), __FILE__, __LINE__)
#define CHECK_PREFIX(actual, prefix) check_prefix((actual), (prefix), __FILE__, __LINE__)

static void check_true(int ok, const char* what, const char* file, int line) {
  ++checks;
  if (ok) return;
  ++failures;
  fprintf(stderr, "%s:%d: failed: %s\n  last error: %s\n", file, line, what, custos_last_error());
}

static void check_str(const char* actual, const char* expected, const char* file, int line) {
  ++checks;
  if (actual && expected && strcmp(actual, expected) == 0) return;
  ++failures;
  fprintf(stderr, "%s:%d: strings differ\n  actual:   %s\n  expected: %s\n  last error: %s\n", file,
          line, actual ? actual : "(NULL)", expected ? expected : "(NULL)", custos_last_error());
}

static void check_prefix(const char* actual, const char* prefix, const char* file, int line) {
  ++checks;
  if (actual && strncmp(actual, prefix, strlen(prefix)) == 0) return;
  ++failures;
  fprintf(stderr, "%s:%d: no prefix\n  actual: %s\n  prefix: %s\n", file, line,
          actual ? actual : "(NULL)", prefix);
}

/* WORK_DIR/name, in one of a few rotating buffers. */
static const char* path(const char* name) {
  static char buffers[8][1200];
  static int next;
  char* p = buffers[next++ % 8];
  snprintf(p, sizeof buffers[0], "%s/%s", work, name);
  return p;
}

/* a + b + c, in one of a few rotating buffers. */
static const char* path2(const char* a, const char* b, const char* c) {
  static char buffers[4][2400];
  static int next;
  char* p = buffers[next++ % 4];
  snprintf(p, sizeof buffers[0], "%s%s%s", a, b, c);
  return p;
}

static int count(const char* text, const char* needle) {
  int n = 0;
  for (const char* p = text ? strstr(text, needle) : NULL; p; p = strstr(p + 1, needle)) ++n;
  return n;
}

static void write_file(const char* file, const char* text) {
  FILE* f = fopen(file, "w");
  if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
    fprintf(stderr, "cannot write %s\n", file);
    exit(2);
  }
}

static void run(const char* command) {
  if (system(command) != 0) {
    fprintf(stderr, "command failed: %s\n", command);
    exit(2);
  }
}

static void exec_sql(sqlite3* db, const char* sql) {
  char* error = NULL;
  if (sqlite3_exec(db, sql, NULL, NULL, &error) != SQLITE_OK) {
    fprintf(stderr, "sql failed: %s: %s\n", sql, error ? error : "");
    exit(2);
  }
}

static const char* kPolicyV1 =
    "policy \"capi-test\" version 1\n"
    "category identity.name\n"
    "category contact.email\n"
    "purpose service.support basis contract\n"
    "purpose marketing basis consent\n"
    "purpose analytics basis legitimate_interest\n"
    "role agent, marketer, analyst\n"
    "@id(\"support\") allow agent to read identity.name, contact.email as mask for "
    "service.support\n"
    "@id(\"marketing\") allow marketer to read identity.name, contact.email for marketing\n"
    "@id(\"analytics\") allow analyst to read identity.name as hash for analytics\n"
    "table Customer {\n"
    "  subject CustomerId\n"
    "  Name : identity.name\n"
    "  Email : contact.email\n"
    "  Photo, Note : public\n"
    "}\n";

/* Version 2 also lets the agent see the address book in plain. */
static const char* kPolicyV2 =
    "policy \"capi-test\" version 2\n"
    "category identity.name\n"
    "category contact.email\n"
    "purpose service.support basis contract\n"
    "purpose marketing basis consent\n"
    "purpose analytics basis legitimate_interest\n"
    "role agent, marketer, analyst\n"
    "@id(\"support-v2\") allow agent to read identity.name, contact.email for service.support\n"
    "@id(\"marketing\") allow marketer to read identity.name, contact.email for marketing\n"
    "@id(\"analytics\") allow analyst to read identity.name as hash for analytics\n"
    "table Customer {\n"
    "  subject CustomerId\n"
    "  Name : identity.name\n"
    "  Email : contact.email\n"
    "  Photo, Note : public\n"
    "}\n";

static const char* kSupportEmail =
    "{\"actor\": {\"id\": \"agent-7\", \"roles\": [\"agent\"]}, \"action\": \"read\","
    " \"purpose\": \"service.support\", \"subject\": {\"id\": \"c-1\"},"
    " \"categories\": [\"contact.email\"]}";
static const char* kMarketingEmail =
    "{\"actor\": {\"id\": \"m-1\", \"roles\": [\"marketer\"]}, \"action\": \"read\","
    " \"purpose\": \"marketing\", \"subject\": {\"id\": \"c-1\"},"
    " \"categories\": [\"contact.email\", \"identity.name\"]}";

/* The "policy" member every decision of `engine` ends with. */
static void policy_tail(custos_engine* engine, char* out, size_t size) {
  char* policy = NULL;
  CHECK(custos_engine_policy(engine, &policy) == CUSTOS_OK);
  snprintf(out, size, ",\"policy\":%s}", policy ? policy : "?");
  custos_free(policy);
}

/* Decides `request` and compares the decision up to its "policy" member. */
static void expect_decision(custos_engine* engine, const char* request, const char* expected_head,
                            const char* file, int line) {
  char tail[256], expected[2048];
  char* decision = NULL;
  policy_tail(engine, tail, sizeof tail);
  snprintf(expected, sizeof expected, "%s%s", expected_head, tail);
  const int rc = custos_check(engine, request, &decision);
  check_true(rc == CUSTOS_OK, "custos_check returns CUSTOS_OK", file, line);
  check_str(decision, expected, file, line);
  custos_free(decision);
}
#define EXPECT_DECISION(engine, request, head) \
  expect_decision(engine, request, head, __FILE__, __LINE__)

static void test_basics(void) {
  CHECK_STR(custos_version(), "0.1.0");
  custos_free(NULL);
  custos_engine_close(NULL);
  custos_consent_close(NULL);
  custos_database_close(NULL);
  custos_session_close(NULL);
  custos_cursor_close(NULL);
  CHECK_STR(custos_last_error(), "");
}

static void test_engine_errors(void) {
  char* out = (char*)"untouched";
  CHECK(custos_engine_open(NULL, NULL) == NULL);
  CHECK_STR(custos_last_error(), "policy_path is NULL");

  CHECK(custos_engine_open(path("missing.custos"), NULL) == NULL);
  CHECK_STR(custos_last_error(), path2(path("missing.custos"), ": no such file", ""));

  write_file(path("typo.custos"),
             "policy \"t\" version 1\ncategory contact.email\npurpose support basis contract\n"
             "role agent\nallow agent to read contact.emial for support\n");
  CHECK(custos_engine_open(path("typo.custos"), NULL) == NULL);
  CHECK(strstr(custos_last_error(), "error[E020]: undeclared category `contact.emial`") != NULL);
  CHECK(strstr(custos_last_error(), "did you mean `contact.email`?") != NULL);

  CHECK(custos_engine_open(path("v1.custos"), "{\"consent_stor\": \"x.db\"}") == NULL);
  CHECK_STR(custos_last_error(),
            "options_json: unknown key \"consent_stor\" (did you mean \"consent_store\"?); known "
            "keys: consent_store, key_file, audit_log, audit_mode, audit_key_file, clock, "
            "trust_request_time, trust_request_consent, trusted_public_key");
  CHECK(custos_engine_open(path("v1.custos"), "{\"clock\": \"yesterday\"}") == NULL);
  CHECK_STR(custos_last_error(),
            "options_json: \"clock\" must be an RFC 3339 time (\"2026-11-28T12:00:00Z\") or "
            "integer seconds since 1970, from year 0001 to 9999");
  CHECK(custos_engine_open(path("v1.custos"), "{\"audit_mode\": \"sync\"}") == NULL);
  CHECK_STR(custos_last_error(), "options_json: \"audit_mode\" needs \"audit_log\"");
  CHECK(custos_engine_open(path("v1.custos"), "[1, 2]") == NULL);
  CHECK_STR(custos_last_error(), "options_json must be a JSON object");
  CHECK(custos_engine_open(path("v1.custos"), "{\"clock\": 1, \"clock\": 2}") == NULL);
  CHECK_STR(custos_last_error(), "options_json has the key \"clock\" twice");
  CHECK(custos_engine_open(path("v1.custos"), "{\"trust_request_time\": \"yes\"}") == NULL);
  CHECK_STR(custos_last_error(), "options_json: \"trust_request_time\" must be true or false");

  CHECK(custos_check(NULL, kSupportEmail, &out) == CUSTOS_INVALID_ARGUMENT);
  CHECK(out == NULL);
  CHECK_STR(custos_last_error(), "engine is NULL");
  CHECK(custos_check(NULL, kSupportEmail, NULL) == CUSTOS_INVALID_ARGUMENT);
  CHECK_STR(custos_last_error(), "decision_json is NULL");
  CHECK(custos_engine_reload_bundle(NULL, "x") == CUSTOS_INVALID_ARGUMENT);
  CHECK(custos_engine_policy(NULL, &out) == CUSTOS_INVALID_ARGUMENT);
  CHECK(custos_engine_flush_audit(NULL) == CUSTOS_INVALID_ARGUMENT);
  CHECK(custos_engine_consent(NULL) == NULL);
  CHECK(custos_consent_open(NULL) == NULL);
  CHECK(custos_consent_grant(NULL, "c-1", "marketing", 0, CUSTOS_NO_EXPIRY, NULL) ==
        CUSTOS_INVALID_ARGUMENT);
  CHECK_STR(custos_last_error(), "store is NULL");
  CHECK(custos_database_open(path("crm.db"), NULL, NULL) == NULL);
  CHECK_STR(custos_last_error(), "engine is NULL");
  CHECK(custos_session_open(NULL, "{}") == NULL);
  CHECK(custos_session_query_json(NULL, "SELECT 1", NULL, &out) == CUSTOS_INVALID_ARGUMENT);
  CHECK(custos_query(NULL, "SELECT 1", NULL, NULL) == CUSTOS_INVALID_ARGUMENT);
  CHECK(custos_cursor_step(NULL) == CUSTOS_INVALID_ARGUMENT);
  CHECK_STR(custos_last_error(), "cursor is NULL");
  CHECK(custos_cursor_column_count(NULL) == 0);
  CHECK(custos_cursor_column_name(NULL, 0) == NULL);
  CHECK(custos_cursor_column_type(NULL, 0) == CUSTOS_TYPE_NULL);
  CHECK(custos_cursor_int64(NULL, 0) == 0);
  CHECK(custos_cursor_text(NULL, 0, NULL) == NULL);
  CHECK(custos_audit_verify(NULL, NULL, NULL, &out) == CUSTOS_INVALID_ARGUMENT);
  CHECK(custos_audit_report(path("audit.db"), NULL, NULL, &out) == CUSTOS_INVALID_ARGUMENT);
  CHECK_STR(custos_last_error(), "subject is NULL");
}

/* Runs `sql` on an audit log with its append-only triggers dropped, as
 * someone with write access to the file could. */
static void tamper(const char* file, const char* sql) {
  sqlite3* db = NULL;
  sqlite3_stmt* st = NULL;
  char drops[4096] = "";
  if (sqlite3_open(file, &db) != SQLITE_OK) exit(2);
  if (sqlite3_prepare_v2(db, "SELECT name FROM sqlite_schema WHERE type = 'trigger'", -1, &st,
                         NULL) != SQLITE_OK) {
    exit(2);
  }
  while (sqlite3_step(st) == SQLITE_ROW) {
    const size_t used = strlen(drops);
    snprintf(drops + used, sizeof drops - used, "DROP TRIGGER \"%s\";",
             (const char*)sqlite3_column_text(st, 0));
  }
  sqlite3_finalize(st);
  exec_sql(db, drops);
  exec_sql(db, sql);
  sqlite3_close(db);
}

static void make_database(void) {
  sqlite3* db = NULL;
  remove(path("crm.db"));
  if (sqlite3_open(path("crm.db"), &db) != SQLITE_OK) exit(2);
  exec_sql(db,
           "CREATE TABLE Customer (CustomerId TEXT PRIMARY KEY, Name TEXT, Email TEXT,"
           " Photo BLOB, Note TEXT);"
           "INSERT INTO Customer VALUES"
           " ('c-1', 'Ada Lovelace', 'ada@example.com', X'00FF10', 'first'),"
           " ('c-2', 'Bruno Díaz', 'bruno@example.es', NULL, CAST(X'C328' AS TEXT)),"
           " ('c-3', 'Chloé Martin', 'chloe@example.fr', X'', NULL);");
  sqlite3_close(db);
}

static void test_engine_consent_queries_audit(void) {
  char* out = NULL;
  char options[2048];
  snprintf(options, sizeof options,
           "{\"consent_store\": \"%s\", \"audit_log\": \"%s\", \"audit_key_file\": \"%s\","
           " \"key_file\": \"%s\", \"clock\": \"2026-11-28T12:00:00Z\"}",
           path("consent.db"), path("audit.db"), path("audit.key"), path("pseudonym.key"));
  custos_engine* engine = custos_engine_open(path("v1.custos"), options);
  CHECK(engine != NULL);
  if (!engine) return;

  CHECK(custos_engine_policy(engine, &out) == CUSTOS_OK);
  CHECK_PREFIX(out, "{\"name\":\"capi-test\",\"version\":1,\"sha256\":\"");
  CHECK(out &&
        strlen(out) == strlen("{\"name\":\"capi-test\",\"version\":1,\"sha256\":\"\"}") + 64);
  custos_free(out);

  /* Decisions: allow with a transform, deny for missing consent, bad requests. */
  EXPECT_DECISION(engine, kSupportEmail,
                  "{\"allowed\":true,\"items\":[{\"category\":\"contact.email\",\"effect\":"
                  "\"allow\",\"transform\":\"mask\",\"rule\":\"support\"}]");
  EXPECT_DECISION(engine, kMarketingEmail,
                  "{\"allowed\":false,\"items\":[{\"category\":\"contact.email\",\"effect\":"
                  "\"deny\",\"reason\":\"consent_missing\"},{\"category\":\"identity.name\","
                  "\"effect\":\"deny\",\"reason\":\"consent_missing\"}]");
  EXPECT_DECISION(engine, "{\"actor\": {\"roles\": [\"agent\"]}, \"action\": \"write\",",
                  "{\"allowed\":false,\"items\":[]");
  EXPECT_DECISION(engine,
                  "{\"actor\": {\"roles\": [\"agent\"]}, \"action\": \"write\", \"purpose\":"
                  " \"service.support\", \"categories\": [\"contact.email\"]}",
                  "{\"allowed\":false,\"items\":[{\"category\":\"contact.email\",\"effect\":"
                  "\"deny\",\"reason\":\"bad_request\"}]");
  EXPECT_DECISION(engine,
                  "{\"actor\": {\"roles\": [\"analyst\"]}, \"action\": \"read\", \"purpose\":"
                  " \"analytics\", \"subject\": {\"id\": \"c-1\"}, \"categories\":"
                  " [\"contact.email\", \"identity.name\"]}",
                  "{\"allowed\":false,\"items\":[{\"category\":\"contact.email\",\"effect\":"
                  "\"deny\",\"reason\":\"no_matching_allow\"},{\"category\":\"identity.name\","
                  "\"effect\":\"allow\",\"transform\":\"hash\",\"rule\":\"analytics\"}]");

  /* Consent through the engine's own store reaches the next check at once. */
  custos_consent_store* store = custos_engine_consent(engine);
  CHECK(store != NULL);
  CHECK(custos_consent_grant(store, "c-1", "marketing", 1795000000, CUSTOS_NO_EXPIRY,
                             "signup-form") == CUSTOS_OK);
  EXPECT_DECISION(engine, kMarketingEmail,
                  "{\"allowed\":true,\"items\":[{\"category\":\"contact.email\",\"effect\":"
                  "\"allow\",\"transform\":\"plain\",\"rule\":\"marketing\"},{\"category\":"
                  "\"identity.name\",\"effect\":\"allow\",\"transform\":\"plain\",\"rule\":"
                  "\"marketing\"}]");
  CHECK(custos_consent_grant(store, "c-2", "marketing", 1795000000, 1795800000, NULL) == CUSTOS_OK);
  CHECK(custos_consent_withdraw(store, "c-1", "marketing", 1795800000, "preference-centre") ==
        CUSTOS_OK);
  EXPECT_DECISION(engine, kMarketingEmail,
                  "{\"allowed\":false,\"items\":[{\"category\":\"contact.email\",\"effect\":"
                  "\"deny\",\"reason\":\"consent_withdrawn\"},{\"category\":\"identity.name\","
                  "\"effect\":\"deny\",\"reason\":\"consent_withdrawn\"}]");
  CHECK(custos_consent_grant(store, "c-1", "marketing", 1795850000, CUSTOS_NO_EXPIRY, "call") ==
        CUSTOS_OK);
  CHECK(custos_consent_object(store, "c-3", "analytics", 1795000000, NULL) == CUSTOS_OK);
  CHECK(custos_consent_history(store, "c-1", &out) == CUSTOS_OK);
  CHECK_STR(out,
            "{\"subject\":\"c-1\",\"records\":[{\"purpose\":\"marketing\",\"state\":\"granted\","
            "\"at\":\"2026-11-18T11:06:40Z\",\"source\":\"signup-form\"},{\"purpose\":"
            "\"marketing\",\"state\":\"withdrawn\",\"at\":\"2026-11-27T17:20:00Z\",\"source\":"
            "\"preference-centre\"},{\"purpose\":\"marketing\",\"state\":\"granted\",\"at\":"
            "\"2026-11-28T07:13:20Z\",\"source\":\"call\"}],\"signals\":[]}");
  custos_free(out);
  CHECK(custos_consent_history(store, "c-2", &out) == CUSTOS_OK);
  CHECK_STR(out,
            "{\"subject\":\"c-2\",\"records\":[{\"purpose\":\"marketing\",\"state\":\"granted\","
            "\"at\":\"2026-11-18T11:06:40Z\",\"expires\":\"2026-11-27T17:20:00Z\",\"source\":"
            "\"\"}],\"signals\":[]}");
  custos_free(out);
  CHECK(custos_consent_grant(store, "", "marketing", 1795000000, CUSTOS_NO_EXPIRY, NULL) ==
        CUSTOS_INVALID_ARGUMENT);
  CHECK(strlen(custos_last_error()) > 0);
  custos_consent_close(store);

  /* Guarded reads. */
  make_database();
  custos_database* db = custos_database_open(path("crm.db"), engine, "{\"lenient\": 1}");
  CHECK(db == NULL);
  CHECK_STR(custos_last_error(), "options_json: \"lenient\" must be true or false");
  db = custos_database_open(path("crm.db"), engine, NULL);
  CHECK(db != NULL);
  if (!db) {
    custos_engine_close(engine);
    return;
  }
  CHECK(custos_session_open(db, "{\"actor\": {\"roles\": [\"agent\"]}, \"purpose\": 7}") == NULL);
  CHECK_STR(custos_last_error(), "session_json: purpose must be a string");
  CHECK(custos_session_open(db, "{\"actor\": {}, \"purpose\": \"x\", \"subject\": {}}") == NULL);
  CHECK_PREFIX(custos_last_error(), "session_json: unknown key \"subject\"");

  custos_session* agent =
      custos_session_open(db,
                          "{\"actor\": {\"id\": \"agent-7\", \"roles\": [\"agent\"]}, \"purpose\": "
                          "\"service.support\"}");
  CHECK(agent != NULL);
  CHECK(custos_session_query_json(agent,
                                  "SELECT CustomerId, Name, Email FROM Customer "
                                  "WHERE CustomerId <> ? ORDER BY CustomerId",
                                  "[\"c-2\"]", &out) == CUSTOS_OK);
  CHECK_STR(out,
            "{\"columns\":[\"CustomerId\",\"Name\",\"Email\"],\"rows\":[[\"c-1\",\"Ada "
            "Lovelace\",\"a***@example.com\"],[\"c-3\",\"Chloé Martin\",\"c***@example.fr\"]]}");
  custos_free(out);
  CHECK(custos_session_query_json(agent,
                                  "SELECT Photo, length(Photo), 2.5 FROM Customer "
                                  "ORDER BY CustomerId",
                                  NULL, &out) == CUSTOS_OK);
  CHECK_STR(out,
            "{\"columns\":[\"Photo\",\"length(Photo)\",\"2.5\"],\"rows\":[[{\"base64\":\"AP8Q\"},"
            "3,2.5],[null,null,2.5],[{\"base64\":\"\"},0,2.5]]}");
  custos_free(out);
  /* Text that is not UTF-8 cannot travel in JSON: refused, read by cursor below. */
  CHECK(custos_session_query_json(agent, "SELECT Note FROM Customer ORDER BY CustomerId", NULL,
                                  &out) == CUSTOS_INVALID_ARGUMENT);
  CHECK(out == NULL);
  CHECK_STR(custos_last_error(),
            "row 2, column \"Note\": the text is not valid UTF-8 and JSON cannot carry it; read "
            "it with custos_query and custos_cursor_text");
  CHECK(custos_session_query_json(agent, "SELECT Name FROM Customer", "[{\"a\": 1}]", &out) ==
        CUSTOS_INVALID_ARGUMENT);
  CHECK_STR(custos_last_error(),
            "params_json: parameter 1 is an object; parameters are null, booleans, numbers and "
            "strings");
  /* A write to the session's tables is refused like any other write. */
  CHECK(custos_session_query_json(agent, "DELETE FROM Customer", NULL, &out) == CUSTOS_REFUSED);
  CHECK(out == NULL);
  CHECK_STR(custos_last_error(),
            "guarded sessions only read (SELECT): this statement would change the database or "
            "its schema");

  /* The cursor: names, types and exact bytes. */
  custos_cursor *cursor = NULL, *second = NULL;
  CHECK(custos_query(agent,
                     "SELECT CustomerId, Email, Photo, Note, 42 AS n FROM Customer "
                     "ORDER BY CustomerId",
                     "[]", &cursor) == CUSTOS_OK);
  CHECK(cursor != NULL);
  if (cursor) {
    size_t n = 99;
    const unsigned char* blob;
    const char* text;
    CHECK(custos_query(agent, "SELECT 1", NULL, &second) == CUSTOS_MISUSE);
    CHECK(second == NULL);
    CHECK_STR(custos_last_error(),
              "the session has an open cursor: custos_cursor_close it before the next query");
    CHECK(custos_cursor_column_count(cursor) == 5);
    CHECK_STR(custos_cursor_column_name(cursor, 0), "CustomerId");
    CHECK_STR(custos_cursor_column_name(cursor, 4), "n");
    CHECK_STR(custos_cursor_column_name(cursor, 5), "");
    CHECK(custos_cursor_column_type(cursor, 0) == CUSTOS_TYPE_NULL); /* no row yet */

    CHECK(custos_cursor_step(cursor) == CUSTOS_ROW); /* c-1 */
    CHECK(custos_cursor_column_type(cursor, 0) == CUSTOS_TYPE_TEXT);
    text = custos_cursor_text(cursor, 0, &n);
    CHECK_STR(text, "c-1");
    CHECK(n == 3);
    CHECK_STR(custos_cursor_text(cursor, 1, NULL), "a***@example.com");
    CHECK(custos_cursor_column_type(cursor, 2) == CUSTOS_TYPE_BLOB);
    blob = custos_cursor_blob(cursor, 2, &n);
    CHECK(n == 3 && blob && blob[0] == 0x00 && blob[1] == 0xFF && blob[2] == 0x10);
    CHECK_STR(custos_cursor_text(cursor, 3, NULL), "first");
    CHECK(custos_cursor_column_type(cursor, 4) == CUSTOS_TYPE_INT);
    CHECK(custos_cursor_int64(cursor, 4) == 42);
    CHECK(custos_cursor_double(cursor, 4) == 42.0);
    CHECK_STR(custos_cursor_text(cursor, 4, &n), "42");
    CHECK(n == 2);
    CHECK(custos_cursor_text(cursor, 9, &n) == NULL);
    CHECK(n == 0);
    CHECK(custos_cursor_column_type(cursor, -1) == CUSTOS_TYPE_NULL);

    CHECK(custos_cursor_step(cursor) == CUSTOS_ROW); /* c-2 */
    CHECK(custos_cursor_column_type(cursor, 2) == CUSTOS_TYPE_NULL);
    CHECK(custos_cursor_blob(cursor, 2, &n) == NULL);
    CHECK(n == 0);
    text = custos_cursor_text(cursor, 3, &n); /* not UTF-8: the exact bytes */
    CHECK(n == 2 && text && memcmp(text, "\xC3(", 3) == 0);

    CHECK(custos_cursor_step(cursor) == CUSTOS_ROW); /* c-3 */
    CHECK(custos_cursor_column_type(cursor, 2) == CUSTOS_TYPE_BLOB);
    CHECK(custos_cursor_blob(cursor, 2, &n) == NULL);
    CHECK(n == 0);
    CHECK(custos_cursor_column_type(cursor, 3) == CUSTOS_TYPE_NULL);
    CHECK(custos_cursor_text(cursor, 3, &n) == NULL);
    CHECK(custos_cursor_step(cursor) == CUSTOS_DONE);
    CHECK(custos_cursor_step(cursor) == CUSTOS_DONE);
    CHECK(custos_cursor_text(cursor, 0, &n) == NULL);
    custos_cursor_close(cursor);
  }
  /* Closed: the session takes the next query. */
  CHECK(custos_session_query_json(agent, "SELECT count(*) FROM Customer", NULL, &out) == CUSTOS_OK);
  CHECK_STR(out, "{\"columns\":[\"count(*)\"],\"rows\":[[3]]}");
  custos_free(out);

  /* Rows follow consent: c-1 granted again, c-2's grant expired, c-3 none. */
  custos_session* marketer = custos_session_open(
      db,
      "{\"actor\": {\"id\": \"m-1\", \"roles\": [\"marketer\"]}, \"action\": \"read\", "
      "\"purpose\": \"marketing\"}");
  CHECK(marketer != NULL);
  CHECK(custos_session_query_json(marketer, "SELECT CustomerId, Name, Email FROM Customer", NULL,
                                  &out) == CUSTOS_OK);
  CHECK_STR(out,
            "{\"columns\":[\"CustomerId\",\"Name\",\"Email\"],\"rows\":[[\"c-1\",\"Ada "
            "Lovelace\",\"ada@example.com\"]]}");
  custos_free(out);
  custos_session_close(marketer);

  /* A column no rule grants the analyst: refused, naming it. */
  custos_session* analyst = custos_session_open(
      db, "{\"actor\": {\"roles\": [\"analyst\"]}, \"purpose\": \"analytics\"}");
  CHECK(analyst != NULL);
  CHECK(custos_session_query_json(analyst, "SELECT Email FROM Customer", NULL, &out) ==
        CUSTOS_REFUSED);
  CHECK(out == NULL);
  CHECK_STR(custos_last_error(),
            "refused for this session: Customer.Email: no_matching_allow (category contact.email)");
  /* The session outlives its database handle and the engine handle. */
  custos_database_close(db);
  custos_engine_close(engine);
  CHECK(custos_session_query_json(analyst, "SELECT count(*) FROM Customer", NULL, &out) ==
        CUSTOS_OK);
  CHECK_STR(out, "{\"columns\":[\"count(*)\"],\"rows\":[[2]]}"); /* c-3 objected */
  custos_free(out);
  custos_session_close(analyst);
  custos_session_close(agent);

  /* The audit log: every decision and statement, verified; a subject's report. */
  CHECK(custos_audit_verify(path("audit.db"), path("audit.key"), NULL, &out) == CUSTOS_OK);
  CHECK_PREFIX(out, "{\"entries\":16,\"head\":\"");
  custos_free(out);
  CHECK(custos_audit_verify(path("audit.db"), NULL, NULL, &out) == CUSTOS_INVALID_ARGUMENT);
  CHECK(out == NULL);
  CHECK(strlen(custos_last_error()) > 0);
  CHECK(custos_audit_verify(path("audit.db"), path("no.key"), NULL, &out) == CUSTOS_NOT_FOUND);
  CHECK_STR(custos_last_error(), path2("key_file: ", path("no.key"), ": no such key file"));
  CHECK(custos_audit_report(path("audit.db"), "c-3", NULL, &out) == CUSTOS_OK);
  /* c-3's rows were read by five of the agent's statements (its decisions
   * were about c-1; the analyst never saw c-3, who objected). */
  CHECK_PREFIX(out, "{\n  \"subject\": \"c-3\",\n  \"accesses\": [\n");
  CHECK(count(out, "\"actor\": \"agent-7\"") == 5);
  CHECK(count(out, "\"time\": ") == 5);
  custos_free(out);

  /* One changed byte in entry 2: verification names it. */
  tamper(path("audit.db"),
         "UPDATE audit_entries SET entry = replace(entry, 'm-1', 'm-2')"
         " WHERE seq = 2");
  CHECK(custos_audit_verify(path("audit.db"), path("audit.key"), NULL, &out) == CUSTOS_CORRUPTION);
  CHECK(out == NULL);
  CHECK_PREFIX(custos_last_error(), path2(path("audit.db"), ": entry 2: ", ""));
  CHECK(custos_audit_report(path("audit.db"), "c-3", "pdf", &out) == CUSTOS_INVALID_ARGUMENT);
  CHECK_STR(custos_last_error(), "format is \"json\", \"text\" or \"html\", not \"pdf\"");
}

/* Signed bundles: load under a trusted key, upgrade, refuse a downgrade and
 * a foreign signature, keeping the running policy. */
static void test_bundles(const char* cli) {
  char command[8192], options[1200], *out = NULL;
  snprintf(
      command, sizeof command,
      "cd '%s' && sed 's/version 2/version 3/' v2.custos > v3.custos &&"
      " '%s' keygen team.pem team.pub >/dev/null && '%s' keygen other.pem other.pub >/dev/null &&"
      " '%s' bundle create v1.custos --key team.pem -o v1.bundle >/dev/null &&"
      " '%s' bundle create v2.custos --key team.pem -o v2.bundle >/dev/null &&"
      " '%s' bundle create v3.custos --key other.pem -o foreign.bundle >/dev/null",
      work, cli, cli, cli, cli, cli);
  run(command);
  snprintf(options, sizeof options, "{\"trusted_public_key\": \"%s\"}", path("team.pub"));

  CHECK(custos_engine_open(path("v1.custos"), options) == NULL); /* not a bundle */
  CHECK_PREFIX(custos_last_error(), path("v1.custos"));
  snprintf(options, sizeof options, "{\"trusted_public_key\": \"%s\"}", path("other.pub"));
  CHECK(custos_engine_open(path("v1.bundle"), options) == NULL); /* another key */
  CHECK_PREFIX(custos_last_error(), path("v1.bundle"));
  snprintf(options, sizeof options, "{\"trusted_public_key\": \"%s\"}", path("team.pub"));
  custos_engine* engine = custos_engine_open(path("v1.bundle"), options);
  CHECK(engine != NULL);
  if (!engine) return;
  EXPECT_DECISION(engine, kSupportEmail,
                  "{\"allowed\":true,\"items\":[{\"category\":\"contact.email\",\"effect\":"
                  "\"allow\",\"transform\":\"mask\",\"rule\":\"support\"}]");
  CHECK(custos_engine_reload_bundle(engine, path("v2.bundle")) == CUSTOS_OK);
  EXPECT_DECISION(engine, kSupportEmail,
                  "{\"allowed\":true,\"items\":[{\"category\":\"contact.email\",\"effect\":"
                  "\"allow\",\"transform\":\"plain\",\"rule\":\"support-v2\"}]");
  CHECK(custos_engine_reload_bundle(engine, path("v2.bundle")) == CUSTOS_OK); /* same again */

  CHECK(custos_engine_reload_bundle(engine, path("v1.bundle")) == CUSTOS_REFUSED);
  snprintf(command, sizeof command,
           "%s: refused: version 1 is older than the running version 2 (a downgrade); the "
           "running policy stays",
           path("v1.bundle"));
  CHECK_STR(custos_last_error(), command);
  CHECK(custos_engine_reload_bundle(engine, path("foreign.bundle")) == CUSTOS_CORRUPTION);
  CHECK_PREFIX(custos_last_error(), path("foreign.bundle"));
  CHECK(strstr(custos_last_error(), "policy \"capi-test\" version 2 stays") != NULL);
  CHECK(custos_engine_reload_bundle(engine, path("missing.bundle")) == CUSTOS_NOT_FOUND);
  CHECK_STR(custos_last_error(), path2(path("missing.bundle"),
                                       ": no such file; policy \"capi-test\" version 2 stays", ""));
  CHECK(custos_engine_reload_bundle(engine, NULL) == CUSTOS_INVALID_ARGUMENT);
  CHECK(custos_engine_policy(engine, &out) == CUSTOS_OK);
  CHECK_PREFIX(out, "{\"name\":\"capi-test\",\"version\":2,");
  custos_free(out);
  EXPECT_DECISION(engine, kSupportEmail,
                  "{\"allowed\":true,\"items\":[{\"category\":\"contact.email\",\"effect\":"
                  "\"allow\",\"transform\":\"plain\",\"rule\":\"support-v2\"}]");
  custos_engine_close(engine);

  engine = custos_engine_open(path("v1.custos"), NULL);
  CHECK(engine != NULL);
  CHECK(custos_engine_reload_bundle(engine, path("v2.bundle")) == CUSTOS_MISUSE);
  CHECK_STR(custos_last_error(),
            "the engine was opened without \"trusted_public_key\": it takes no bundle; policy "
            "\"capi-test\" version 1 stays");
  CHECK(custos_engine_consent(engine) == NULL);
  CHECK_STR(custos_last_error(), "the engine was opened without \"consent_store\"");
  CHECK(custos_engine_flush_audit(engine) == CUSTOS_OK);
  custos_engine_close(engine);
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: capi_test WORK_DIR CUSTOS_CLI\n");
    return 2;
  }
  snprintf(work, sizeof work, "%s", argv[1]);
  char command[4096];
  snprintf(command, sizeof command, "rm -rf '%s' && mkdir -p '%s'", work, work);
  run(command);
  write_file(path("v1.custos"), kPolicyV1);
  write_file(path("v2.custos"), kPolicyV2);

  test_basics();
  test_engine_errors();
  test_engine_consent_queries_audit();
  test_bundles(argv[2]);

  printf("%d checks, %d failed\n", checks, failures);
  return failures ? 1 : 0;
}
