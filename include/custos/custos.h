/* custos.h: the C API of Custos, for C programs and for Swift, Kotlin/JNI,
 * Python ctypes and other foreign-function interfaces.
 *
 *   custos_engine *engine = custos_engine_open("crm.custos", NULL);
 *   if (!engine) { fprintf(stderr, "%s\n", custos_last_error()); return 1; }
 *   char *decision = NULL;
 *   if (custos_check(engine, request_json, &decision) == CUSTOS_OK) {
 *     puts(decision);   // {"allowed":true,"items":[...],"policy":{...}}
 *     custos_free(decision);
 *   }
 *   custos_engine_close(engine);
 *
 * Conventions (every function below keeps them):
 *
 *  1. Handles are opaque pointers, made by a *_open function and destroyed
 *     by the matching *_close. Closing NULL is harmless. A handle may be
 *     closed before the handles made from it: a database keeps its engine
 *     alive, a session its database, a cursor its session, until they are
 *     closed too.
 *  2. Ownership. Strings passed in are borrowed for the call (UTF-8, NUL-
 *     terminated). Every `char *` returned through an out-parameter is the
 *     caller's, freed with custos_free() (never free() of another
 *     allocator). A `const char *` returned by a function (custos_version,
 *     custos_last_error, custos_cursor_column_name, custos_cursor_text, ...)
 *     belongs to Custos: do not free it; each says how long it stays valid.
 *  3. Errors. Functions that can fail return an int: CUSTOS_OK (0) or one of
 *     the CUSTOS_* codes below; functions that return a handle return NULL
 *     on failure. Out-parameters are set to NULL on failure. A deny is not
 *     an error: custos_check returns CUSTOS_OK with a deny decision, and a
 *     malformed request is denied `bad_request` the same way. A NULL where
 *     a handle or a string is required is an error (CUSTOS_INVALID_ARGUMENT),
 *     never a crash. No C++ exception ever leaves a custos_ function.
 *  4. custos_last_error() is a message for people: "what failed and why",
 *     naming the file, key or field. It is kept per thread. Every custos_
 *     function but custos_last_error and custos_free clears it on entry and
 *     a failing one sets it, so read it right after the call that failed,
 *     on the same thread; the pointer stays valid until the next custos_
 *     call on that thread. Programs decide on the return codes, not the text.
 *  5. JSON in and out: requests and decisions have the format of
 *     policy-lang/REFERENCE.md ("Requests", "Decisions"); options are one
 *     JSON object (or NULL for the defaults) whose unknown keys are refused.
 *     JSON written by Custos is compact, UTF-8, with keys in a fixed order.
 *  6. Times are int64 seconds since 1970-01-01T00:00:00Z (UTC); in JSON
 *     they are RFC 3339 strings ("2026-11-28T12:00:00Z").
 *  7. Threads. An engine, a consent store and a database may be used from
 *     many threads at once (custos_check takes no lock; a bundle reload
 *     swaps the policy atomically while checks run). A session and its
 *     cursor are used by one thread at a time.
 *
 * Thread-safety: as in convention 7. Link with `pkg-config --libs custos`
 * (or CMake's custos::custos); the library is C++ inside, so a static link
 * needs the C++ runtime (`pkg-config --static --libs custos` names it).
 */
#ifndef CUSTOS_CUSTOS_H
#define CUSTOS_CUSTOS_H

#include <stddef.h>
#include <stdint.h>

#include "custos/export.hpp" /* plain preprocessor, safe to include from C */

#ifdef __cplusplus
extern "C" {
#endif

/* Return codes. 1-8 mirror custos::StatusCode. */
#define CUSTOS_OK 0
#define CUSTOS_INVALID_ARGUMENT 1 /* bad JSON, a NULL argument, a wrong option */
#define CUSTOS_NOT_FOUND 2        /* a file or key that does not exist */
#define CUSTOS_IO_ERROR 3         /* the system or SQLite refused a read or write */
#define CUSTOS_POLICY_ERROR 4     /* a policy did not check; the message has its diagnostics */
#define CUSTOS_CORRUPTION 5       /* a stored file (audit log, bundle, store) is damaged */
#define CUSTOS_LIMIT_EXCEEDED 6   /* input larger or deeper than custos/limits.hpp allows */
#define CUSTOS_REFUSED 7          /* the policy refuses a guarded statement, or a reload */
#define CUSTOS_INTERNAL 8         /* a bug in Custos; please report it */
#define CUSTOS_NO_MEMORY 9        /* an allocation failed; nothing was changed */
#define CUSTOS_MISUSE 10          /* a call out of order (e.g. a second open cursor) */
/* custos_cursor_step only: */
#define CUSTOS_ROW 100  /* a row is ready to read */
#define CUSTOS_DONE 101 /* no more rows */

/* Column types of custos_cursor_column_type. */
#define CUSTOS_TYPE_NULL 0
#define CUSTOS_TYPE_INT 1
#define CUSTOS_TYPE_REAL 2
#define CUSTOS_TYPE_TEXT 3
#define CUSTOS_TYPE_BLOB 4

/* `expires` of custos_consent_grant for a grant that does not expire. */
#define CUSTOS_NO_EXPIRY INT64_MIN

typedef struct custos_engine custos_engine;
typedef struct custos_consent_store custos_consent_store;
typedef struct custos_database custos_database;
typedef struct custos_session custos_session;
typedef struct custos_cursor custos_cursor;

/* ---- Basics ------------------------------------------------------------ */

/* "0.1.0". Static storage. */
CUSTOS_EXPORT const char* custos_version(void);
/* The calling thread's last error message ("" when the last call succeeded).
 * Never NULL. See convention 4. */
CUSTOS_EXPORT const char* custos_last_error(void);
/* Frees a string Custos returned through an out-parameter. NULL is harmless. */
CUSTOS_EXPORT void custos_free(void* p);

/* ---- Engine: decide requests ------------------------------------------- */

/* Loads a policy (or, with "trusted_public_key", a signed bundle) and makes
 * an engine. NULL on error (custos_last_error says which file and why; a
 * policy that does not check lists its diagnostics). options_json, NULL for
 * the defaults, is an object with any of:
 *   "consent_store": FILE        consent store consulted by checks (created if missing)
 *   "key_file": FILE             pseudonym key of the `hash` transform (created if missing)
 *   "audit_log": FILE            every decision (and guarded statement) is recorded there
 *   "audit_mode": "sync"|"batched"  sync (default): a check returns once its entry is durable
 *   "audit_key_file": FILE       HMAC key of the audit chain (created if missing)
 *   "clock": TIME                a fixed "now": RFC 3339 string or integer seconds
 *   "trust_request_time": BOOL   a request's context.time stands in for the clock
 *   "trust_request_consent": BOOL a request may carry the subject's consent records
 *   "trusted_public_key": FILE   Ed25519 public key (PEM): policy_path must then be
 *                                a bundle signed with it (custos bundle create) */
CUSTOS_EXPORT custos_engine* custos_engine_open(const char* policy_path, const char* options_json);
CUSTOS_EXPORT void custos_engine_close(custos_engine* engine);

/* Decides one request (JSON). On CUSTOS_OK *decision_json is the decision,
 * allow or deny: {"allowed":false,"items":[{"category":"contact.email",
 * "effect":"deny","reason":"consent_missing"}],"policy":{...}}. A malformed
 * request is a deny with reason "bad_request", not an error. */
CUSTOS_EXPORT int custos_check(custos_engine* engine, const char* request_json,
                               char** decision_json);

/* Loads a newer signed bundle under the engine's trusted_public_key and swaps
 * it in (checks running finish on the old policy). Refuses, keeping the
 * running policy, a bundle signed by another key or damaged
 * (CUSTOS_CORRUPTION), a policy of another name, a lower version, or the
 * same version with another text (CUSTOS_REFUSED); the same bundle again is
 * accepted. An engine opened without trusted_public_key refuses every
 * reload (CUSTOS_MISUSE). */
CUSTOS_EXPORT int custos_engine_reload_bundle(custos_engine* engine, const char* bundle_path);

/* The running policy: {"name":"acme-crm","version":2,"sha256":"..."}. */
CUSTOS_EXPORT int custos_engine_policy(custos_engine* engine, char** policy_json);

/* Returns once every audit entry written so far is durable (batched mode);
 * CUSTOS_OK at once for an engine without an audit log. */
CUSTOS_EXPORT int custos_engine_flush_audit(custos_engine* engine);

/* ---- Consent ------------------------------------------------------------- */

/* Opens (or creates) a consent store file. Writes through any handle of a
 * store are seen at once by the engines using that handle's store. */
CUSTOS_EXPORT custos_consent_store* custos_consent_open(const char* path);
/* A new handle on the engine's own consent store (its "consent_store"
 * option), so that grants reach the engine's next check at once. NULL, with
 * CUSTOS_MISUSE's message, when the engine has none. Close it as usual. */
CUSTOS_EXPORT custos_consent_store* custos_engine_consent(custos_engine* engine);
CUSTOS_EXPORT void custos_consent_close(custos_consent_store* store);

/* Append one record to the subject's history. `at` is when the subject said
 * it; `expires` is CUSTOS_NO_EXPIRY or a time after `at`; `source` may be
 * NULL. The history is append-only. */
CUSTOS_EXPORT int custos_consent_grant(custos_consent_store* store, const char* subject,
                                       const char* purpose, int64_t at, int64_t expires,
                                       const char* source);
CUSTOS_EXPORT int custos_consent_withdraw(custos_consent_store* store, const char* subject,
                                          const char* purpose, int64_t at, const char* source);
CUSTOS_EXPORT int custos_consent_object(custos_consent_store* store, const char* subject,
                                        const char* purpose, int64_t at, const char* source);
/* {"subject":"c-42","records":[{"purpose":"marketing","state":"granted",
 * "at":"...","expires":"...","source":"..."}],"signals":[...]}, oldest first
 * (the format of `custos consent show`). */
CUSTOS_EXPORT int custos_consent_history(custos_consent_store* store, const char* subject,
                                         char** history_json);

/* ---- Guarded reads of an application's SQLite file ---------------------- */

/* Opens the file read-only for guarded reads under the engine's policy.
 * options_json, NULL for the defaults: {"lenient": BOOL (default false: a
 * column no rule grants fails the statement), "statement_cache": N,
 * "max_statement_steps": N, "audit": BOOL (default true: statements go to
 * the engine's audit_log, when it has one)}. */
CUSTOS_EXPORT custos_database* custos_database_open(const char* path, custos_engine* engine,
                                                    const char* options_json);
CUSTOS_EXPORT void custos_database_close(custos_database* db);

/* A session: who reads, and why. session_json has the shape of a request
 * without subject and categories:
 *   {"actor": {"id": "agent-7", "roles": ["support_agent"],
 *              "attributes": {"regions": ["FR"]}},
 *    "action": "read", "purpose": "service.support",
 *    "context": {"attributes": {"channel": "helpdesk"}}}
 * "action" defaults to "read". */
CUSTOS_EXPORT custos_session* custos_session_open(custos_database* db, const char* session_json);
CUSTOS_EXPORT void custos_session_close(custos_session* session);

/* Runs one SELECT and returns every row at once:
 *   {"columns":["FirstName","Email"],"rows":[["Luís","l***@embraer.com.br"],["Ana",null]]}
 * Integers and reals are JSON numbers, text is a string, NULL (a withheld
 * cell, or a SQL NULL) is null, a blob is {"base64":"..."}. A text cell that
 * is not valid UTF-8 fails the call (CUSTOS_INVALID_ARGUMENT): read such
 * data through a cursor. params_json: NULL or an array of null, booleans,
 * numbers and strings, bound to ?1, ?2, ... A statement the policy refuses
 * returns CUSTOS_REFUSED, naming table, column and reason. */
CUSTOS_EXPORT int custos_session_query_json(custos_session* session, const char* sql,
                                            const char* params_json, char** rows_json);

/* The same statement, row by row:
 *   custos_cursor *c;
 *   if (custos_query(session, sql, NULL, &c) != CUSTOS_OK) fail(custos_last_error());
 *   while ((rc = custos_cursor_step(c)) == CUSTOS_ROW) use(custos_cursor_text(c, 0, &n));
 *   if (rc != CUSTOS_DONE) fail(custos_last_error());
 *   custos_cursor_close(c);
 * A session has at most one open cursor: close it before the next query
 * (CUSTOS_MISUSE otherwise). The statement's audit entry is written when the
 * cursor reaches the end, fails, or is closed. */
CUSTOS_EXPORT int custos_query(custos_session* session, const char* sql, const char* params_json,
                               custos_cursor** cursor);
/* CUSTOS_ROW, CUSTOS_DONE (also on every later call), or an error code. */
CUSTOS_EXPORT int custos_cursor_step(custos_cursor* cursor);
CUSTOS_EXPORT int custos_cursor_column_count(custos_cursor* cursor);
/* Valid until the cursor is closed; "" for a column out of range. */
CUSTOS_EXPORT const char* custos_cursor_column_name(custos_cursor* cursor, int column);
/* The current row's cells. A column out of range, or no current row, reads
 * as NULL: type CUSTOS_TYPE_NULL, 0, 0.0, NULL. */
CUSTOS_EXPORT int custos_cursor_column_type(custos_cursor* cursor, int column);
CUSTOS_EXPORT int64_t custos_cursor_int64(custos_cursor* cursor, int column);
CUSTOS_EXPORT double custos_cursor_double(custos_cursor* cursor, int column);
/* The cell as text (a number is converted, as SQLite does), NUL-terminated,
 * its length in *bytes when bytes is not NULL; NULL for a NULL cell. Valid
 * until the next custos_cursor_step or custos_cursor_close. */
CUSTOS_EXPORT const char* custos_cursor_text(custos_cursor* cursor, int column, size_t* bytes);
/* The cell's bytes; NULL for a NULL or empty cell. Valid as custos_cursor_text. */
CUSTOS_EXPORT const void* custos_cursor_blob(custos_cursor* cursor, int column, size_t* bytes);
CUSTOS_EXPORT void custos_cursor_close(custos_cursor* cursor);

/* ---- Audit log ----------------------------------------------------------- */

/* Verifies an audit log: its hash chain (keyed when key_file is given: the
 * audit_key_file the log was written with), every entry and index, and its
 * signed checkpoints against public_key_file (PEM; NULL: checkpoints are not
 * checked). On CUSTOS_OK: {"entries":12,"head":"<64 hex>","checkpoints":0}.
 * A damaged log returns CUSTOS_CORRUPTION, the message naming the first bad
 * entry ("entry 7: ..."). */
CUSTOS_EXPORT int custos_audit_verify(const char* path, const char* key_file,
                                      const char* public_key_file, char** result_json);
/* The report a data subject is owed: every logged access to their data.
 * format: "json" (or NULL), "text" or "html". */
CUSTOS_EXPORT int custos_audit_report(const char* path, const char* subject, const char* format,
                                      char** report);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* CUSTOS_CUSTOS_H */
