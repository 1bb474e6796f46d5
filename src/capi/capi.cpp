// The C API (include/custos/custos.h) over the C++ one.
//
// Every entry point runs its body through guarded(): the body may throw (an
// ApiError for a failure it reports, std::bad_alloc, anything a bug could
// throw), and guarded() turns each into a return code and the thread's
// last-error message, so no exception reaches a C caller. The message lives
// in a fixed thread-local buffer: recording an error never allocates, so it
// works when memory has run out.
//
// JSON built here starts as an object or array, never null: nlohmann 3.11's
// operator[] on a null value marks it an object before allocating the map,
// so an allocation failing there leaves a value whose destructor crashes
// (the fault-injection test found it). The same rule holds for every JSON
// the C API reaches (engine/json.cpp, audit/report.cpp, audit/entry.cpp).
//
// Handles own shared state: a database keeps its engine's state alive, a
// session its database, a cursor its session, so closing them in any order
// is safe.
#include "custos/custos.h"

#include <sys/stat.h>

#include <cstdlib>
#include <cstring>
#include <exception>
#include <functional>
#include <initializer_list>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/file.hpp"
#include "base/text.hpp"
#include "base/time.hpp"
#include "base/utf8.hpp"
#include "custos/audit.hpp"
#include "custos/bundle.hpp"
#include "custos/consent.hpp"
#include "custos/database.hpp"
#include "custos/engine.hpp"
#include "custos/limits.hpp"
#include "custos/policy.hpp"
#include "custos/request.hpp"
#include "custos/version.hpp"
#include "engine/consent_history.hpp"
#include "engine/json_parse.hpp"

namespace custos::capi {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

// PEM files (keys) are small; a larger one is not a key.
constexpr std::size_t kMaxPemBytes = 64 * 1024;
// Options and session JSON: a few paths and names.
constexpr std::size_t kMaxOptionsBytes = 64 * 1024;
// Diagnostics quoted in the message of a policy that does not check.
constexpr std::size_t kMaxQuotedDiagnostics = 5;

// ---- errors -----------------------------------------------------------------

constexpr std::size_t kErrorBytes = 4096;
thread_local char t_error[kErrorBytes];

void clear_error() noexcept {
  t_error[0] = '\0';
}

// Copies `parts` into the thread's buffer, cut at a UTF-8 boundary when too
// long. Never allocates, never throws.
int set_error(int code, std::initializer_list<std::string_view> parts) noexcept {
  std::size_t n = 0;
  for (std::string_view part : parts) {
    std::size_t take = std::min(part.size(), kErrorBytes - 1 - n);
    if (take < part.size()) {
      while (take > 0 && (static_cast<unsigned char>(part[take]) & 0xC0) == 0x80) --take;
    }
    std::memcpy(t_error + n, part.data(), take);
    n += take;
  }
  t_error[n] = '\0';
  return code;
}

// A failure a body reports; guarded() turns it into its code and message.
struct ApiError {
  int code;
  std::string message;
};

[[noreturn]] void fail(int code, std::string message) {
  throw ApiError{code, std::move(message)};
}

int code_of(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return CUSTOS_OK;
    case StatusCode::kInvalidArgument:
      return CUSTOS_INVALID_ARGUMENT;
    case StatusCode::kNotFound:
      return CUSTOS_NOT_FOUND;
    case StatusCode::kIoError:
      return CUSTOS_IO_ERROR;
    case StatusCode::kPolicyError:
      return CUSTOS_POLICY_ERROR;
    case StatusCode::kCorruption:
      return CUSTOS_CORRUPTION;
    case StatusCode::kLimitExceeded:
      return CUSTOS_LIMIT_EXCEEDED;
    case StatusCode::kRefused:
      return CUSTOS_REFUSED;
    case StatusCode::kInternal:
      return CUSTOS_INTERNAL;
  }
  return CUSTOS_INTERNAL;
}

// Throws the status as an ApiError, its message after `context` (": ").
void check(const Status& status, std::string_view context = {}) {
  if (status.ok()) return;
  fail(code_of(status.code()),
       context.empty() ? status.message() : std::string(context) + ": " + status.message());
}

template <typename T>
T take(Result<T>&& result, std::string_view context = {}) {
  if (!result.ok()) check(result.status(), context);
  return std::move(*result);
}

void require(const void* p, const char* name) {
  if (!p) fail(CUSTOS_INVALID_ARGUMENT, std::string(name) + " is NULL");
}

// The error code and message of the exception being handled. Called only
// from a catch block.
int record_current_exception() noexcept {
  try {
    throw;
  } catch (const ApiError& e) {
    return set_error(e.code, {e.message});
  } catch (const std::bad_alloc&) {
    return set_error(CUSTOS_NO_MEMORY, {"out of memory"});
  } catch (const std::exception& e) {
    return set_error(CUSTOS_INTERNAL, {"internal error (please report it): ", e.what()});
  } catch (...) {
    return set_error(CUSTOS_INTERNAL, {"internal error (please report it): unknown exception"});
  }
}

// Runs the body of an entry point that returns a code: the body's result,
// or the code of any exception it throws.
template <typename F>
int guarded_int(F&& body) noexcept {
  clear_error();
  try {
    return body();
  } catch (...) {
    return record_current_exception();
  }
}

// The same for one that returns a handle or a value: `on_error` on an
// exception.
template <typename R, typename F>
R guarded(R on_error, F&& body) noexcept {
  clear_error();
  try {
    return body();
  } catch (...) {
    record_current_exception();
  }
  return on_error;
}

// Hands a string to the caller, allocated so that custos_free releases it.
void give(std::string_view s, char** out) {
  char* p = static_cast<char*>(std::malloc(s.size() + 1));
  if (!p) throw std::bad_alloc();
  std::memcpy(p, s.data(), s.size());
  p[s.size()] = '\0';
  *out = p;
}

// Sets an out-parameter to NULL first, so it is NULL on every failure.
void reset(char** out, const char* name) {
  require(out, name);
  *out = nullptr;
}

// ---- JSON options -------------------------------------------------------------

// Parses `text` (NULL or "" for {}) as a JSON object whose keys are all in
// `known`; `what` names the argument in messages.
json parse_object(const char* text, const char* what, std::initializer_list<const char*> known) {
  if (!text || !*text) return json::object();
  const std::string_view view(text);
  if (view.size() > kMaxOptionsBytes) {
    fail(CUSTOS_LIMIT_EXCEEDED,
         std::string(what) + " is larger than " + std::to_string(kMaxOptionsBytes) + " bytes");
  }
  if (detail::json_nesting_depth(view) > limits::kMaxJsonDepth) {
    fail(CUSTOS_LIMIT_EXCEEDED,
         std::string(what) + " is nested deeper than " + std::to_string(limits::kMaxJsonDepth));
  }
  std::string duplicate;
  json j = detail::parse_json_unique_keys(view, &duplicate);
  if (j.is_discarded()) {
    fail(CUSTOS_INVALID_ARGUMENT, duplicate.empty()
                                      ? std::string(what) + " is not valid JSON"
                                      : std::string(what) + " has the key " + duplicate + " twice");
  }
  if (!j.is_object()) fail(CUSTOS_INVALID_ARGUMENT, std::string(what) + " must be a JSON object");
  std::vector<std::string> names(known.begin(), known.end());
  for (const auto& item : j.items()) {
    bool ok = false;
    for (const auto& name : names) ok = ok || item.key() == name;
    if (ok) continue;
    std::string message = std::string(what) + ": unknown key \"" + item.key() + "\"";
    const std::string guess = detail::closest_match(item.key(), names);
    if (!guess.empty()) message += " (did you mean \"" + guess + "\"?)";
    message += "; known keys:";
    for (std::size_t i = 0; i < names.size(); ++i) message += (i ? ", " : " ") + names[i];
    fail(CUSTOS_INVALID_ARGUMENT, message);
  }
  return j;
}

std::optional<std::string> string_option(const json& o, const char* what, const char* key) {
  if (!o.contains(key)) return std::nullopt;
  const json& v = o.at(key);
  if (!v.is_string() || v.get_ref<const std::string&>().empty()) {
    fail(CUSTOS_INVALID_ARGUMENT,
         std::string(what) + ": \"" + key + "\" must be a non-empty string");
  }
  return v.get<std::string>();
}

bool bool_option(const json& o, const char* what, const char* key, bool def) {
  if (!o.contains(key)) return def;
  const json& v = o.at(key);
  if (!v.is_boolean()) {
    fail(CUSTOS_INVALID_ARGUMENT, std::string(what) + ": \"" + key + "\" must be true or false");
  }
  return v.get<bool>();
}

std::optional<std::uint64_t> count_option(const json& o, const char* what, const char* key) {
  if (!o.contains(key)) return std::nullopt;
  const json& v = o.at(key);
  if (!v.is_number_unsigned()) {
    fail(CUSTOS_INVALID_ARGUMENT,
         std::string(what) + ": \"" + key + "\" must be a non-negative integer");
  }
  return v.get<std::uint64_t>();
}

std::string read_pem(const std::string& path, const char* what) {
  return take(detail::read_file(path, kMaxPemBytes), what);
}

bool file_exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

std::string describe(const Policy& policy) {
  return "\"" + policy.name() + "\" version " + std::to_string(policy.version());
}

}  // namespace

// ---- handles ------------------------------------------------------------------

// What an engine handle owns. Members are destroyed in reverse order: the
// engine before the audit log and consent store it points to.
struct EngineState {
  std::shared_ptr<ConsentStore> consent;
  std::unique_ptr<AuditLog> audit;
  std::string trusted_public_key;  // PEM; empty: the engine takes no bundles
  std::unique_ptr<Engine> engine;
};

struct DatabaseState {
  std::shared_ptr<EngineState> engine;
  std::unique_ptr<Database> database;
};

struct SessionState {
  std::shared_ptr<DatabaseState> database;
  std::unique_ptr<Session> session;
  bool cursor_open = false;  // a session is used by one thread at a time
};

}  // namespace custos::capi

struct custos_engine {
  std::shared_ptr<custos::capi::EngineState> state;
};
struct custos_consent_store {
  std::shared_ptr<custos::ConsentStore> store;
};
struct custos_database {
  std::shared_ptr<custos::capi::DatabaseState> state;
};
struct custos_session {
  std::shared_ptr<custos::capi::SessionState> state;
};
struct custos_cursor {
  custos_cursor(std::shared_ptr<custos::capi::SessionState> s, custos::Rows r)
      : session(std::move(s)), rows(std::move(r)) {}
  std::shared_ptr<custos::capi::SessionState> session;  // outlives rows (declared first)
  custos::Rows rows;
  bool done = false;
  int error = CUSTOS_OK;  // the error that ended the rows, returned again by later steps
  std::string error_message;
  std::vector<std::string> cells;  // the current row's text and blobs, as handed out
};

namespace custos::capi {
namespace {

Engine& engine_of(custos_engine* engine) {
  require(engine, "engine");
  return *engine->state->engine;
}

ConsentStore& store_of(custos_consent_store* store) {
  require(store, "store");
  return *store->store;
}

// Parameters of a guarded statement: a JSON array of scalars.
std::vector<Value> parse_params(const char* params_json) {
  std::vector<Value> params;
  if (!params_json || !*params_json) return params;
  const std::string_view view(params_json);
  if (view.size() > limits::kMaxRequestBytes) {
    fail(CUSTOS_LIMIT_EXCEEDED,
         "params_json is larger than " + std::to_string(limits::kMaxRequestBytes) + " bytes");
  }
  if (detail::json_nesting_depth(view) > limits::kMaxJsonDepth) {
    fail(CUSTOS_LIMIT_EXCEEDED, "params_json is nested too deep");
  }
  std::string duplicate;
  const json j = detail::parse_json_unique_keys(view, &duplicate);
  if (j.is_discarded() || !j.is_array()) {
    fail(CUSTOS_INVALID_ARGUMENT,
         "params_json must be a JSON array of null, booleans, numbers and strings");
  }
  for (std::size_t i = 0; i < j.size(); ++i) {
    const json& p = j[i];
    switch (p.type()) {
      case json::value_t::null:
        params.push_back(Value::null());
        break;
      case json::value_t::boolean:
        params.push_back(Value::of_bool(p.get<bool>()));
        break;
      case json::value_t::number_integer:
        params.push_back(Value::of_int(p.get<std::int64_t>()));
        break;
      case json::value_t::number_unsigned:
        if (p.get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX)) {
          fail(CUSTOS_INVALID_ARGUMENT,
               "params_json: parameter " + std::to_string(i + 1) + " is larger than INT64_MAX");
        }
        params.push_back(Value::of_int(p.get<std::int64_t>()));
        break;
      case json::value_t::number_float:
        params.push_back(Value::of_real(p.get<double>()));
        break;
      case json::value_t::string:
        params.push_back(Value::of_text(p.get<std::string>()));
        break;
      default:
        fail(CUSTOS_INVALID_ARGUMENT, "params_json: parameter " + std::to_string(i + 1) + " is " +
                                          (p.is_array() ? "an array" : "an object") +
                                          "; parameters are null, booleans, numbers and strings");
    }
  }
  return params;
}

Rows run_query(custos_session* session, const char* sql, const char* params_json) {
  require(session, "session");
  require(sql, "sql");
  SessionState& s = *session->state;
  if (s.cursor_open) {
    fail(CUSTOS_MISUSE,
         "the session has an open cursor: custos_cursor_close it before the next query");
  }
  std::vector<Value> params = parse_params(params_json);
  return take(s.session->query(sql, params));
}

std::string base64(std::string_view bytes) {
  static constexpr char kDigits[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const unsigned v = static_cast<unsigned char>(bytes[i]) << 16 |
                       static_cast<unsigned char>(bytes[i + 1]) << 8 |
                       static_cast<unsigned char>(bytes[i + 2]);
    out += kDigits[v >> 18];
    out += kDigits[(v >> 12) & 63];
    out += kDigits[(v >> 6) & 63];
    out += kDigits[v & 63];
  }
  if (i < bytes.size()) {
    const bool two = i + 1 < bytes.size();
    const unsigned v = static_cast<unsigned char>(bytes[i]) << 16 |
                       (two ? static_cast<unsigned char>(bytes[i + 1]) << 8 : 0);
    out += kDigits[v >> 18];
    out += kDigits[(v >> 12) & 63];
    out += two ? kDigits[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

// {"subject", "records", "signals"}: the JSON of `custos consent show`.
std::string history_json(const ConsentStore& store, const std::string& subject) {
  auto history = take(store.history(subject));
  auto signals = take(store.signal_history(subject));
  const ordered_json out = detail::consent_history_json(subject, history, signals);
  return out.dump(-1, ' ', false, ordered_json::error_handler_t::replace);
}

int consent_append(custos_consent_store* store, const char* subject, const char* purpose,
                   ConsentState state, std::int64_t at, std::optional<Timestamp> expires,
                   const char* source) {
  ConsentStore& s = store_of(store);
  require(subject, "subject");
  require(purpose, "purpose");
  ConsentRecord record;
  record.purpose = purpose;
  record.state = state;
  record.at = at;
  record.expires = expires;
  record.source = source ? source : "";
  check(s.append(subject, record));
  return CUSTOS_OK;
}

// The cell's bytes, kept in the cursor (NUL-terminated) until the next step.
const char* cell_bytes(custos_cursor* cursor, int column, size_t* bytes, bool text) {
  if (bytes) *bytes = 0;
  require(cursor, "cursor");
  if (cursor->rows.type(column) == custos::Rows::Type::kNull) return nullptr;
  std::string& cell = cursor->cells[static_cast<std::size_t>(column)];
  cell = text ? cursor->rows.text(column) : cursor->rows.blob(column);
  if (bytes) *bytes = cell.size();
  if (!text && cell.empty()) return nullptr;
  return cell.c_str();
}

}  // namespace
}  // namespace custos::capi

using custos::capi::cell_bytes;
using custos::capi::check;
using custos::capi::fail;
using custos::capi::give;
using custos::capi::guarded;
using custos::capi::guarded_int;
using custos::capi::require;
using custos::capi::reset;
using custos::capi::take;

extern "C" {

const char* custos_version(void) {
  return CUSTOS_VERSION_STRING;
}

const char* custos_last_error(void) {
  return custos::capi::t_error;
}

void custos_free(void* p) {
  std::free(p);
}

// ---- engine -------------------------------------------------------------------

custos_engine* custos_engine_open(const char* policy_path, const char* options_json) {
  return guarded<custos_engine*>(nullptr, [&]() -> custos_engine* {
    using namespace custos;
    using namespace custos::capi;
    require(policy_path, "policy_path");
    static constexpr const char* kWhat = "options_json";
    const json o = parse_object(
        options_json, kWhat,
        {"consent_store", "key_file", "audit_log", "audit_mode", "audit_key_file", "clock",
         "trust_request_time", "trust_request_consent", "trusted_public_key"});
    auto state = std::make_shared<EngineState>();
    EngineOptions options;
    if (const auto path = string_option(o, kWhat, "consent_store")) {
      state->consent = take(ConsentStore::open(*path), "consent_store");
      options.consent_store = state->consent.get();
    }
    if (const auto path = string_option(o, kWhat, "key_file")) {
      options.pseudonym_key = take(load_pseudonym_key(*path), "key_file");
    }
    const auto audit_path = string_option(o, kWhat, "audit_log");
    const auto mode = string_option(o, kWhat, "audit_mode");
    const auto audit_key = string_option(o, kWhat, "audit_key_file");
    if (!audit_path && (mode || audit_key)) {
      fail(CUSTOS_INVALID_ARGUMENT, std::string(kWhat) + ": \"" +
                                        (mode ? "audit_mode" : "audit_key_file") +
                                        "\" needs \"audit_log\"");
    }
    if (audit_path) {
      AuditOptions audit_options;
      audit_options.durability = AuditOptions::Durability::kSync;
      if (mode && *mode == "batched") {
        audit_options.durability = AuditOptions::Durability::kBatched;
      } else if (mode && *mode != "sync") {
        fail(CUSTOS_INVALID_ARGUMENT, std::string(kWhat) +
                                          ": \"audit_mode\" is \"sync\" or \"batched\", not \"" +
                                          *mode + "\"");
      }
      if (audit_key) audit_options.key = take(load_pseudonym_key(*audit_key), "audit_key_file");
      state->audit = take(AuditLog::open(*audit_path, audit_options), "audit_log");
      options.audit = state->audit.get();
    }
    if (o.contains("clock")) {
      const json& c = o.at("clock");
      std::optional<Timestamp> t;
      if (c.is_string()) t = detail::parse_rfc3339(c.get<std::string>());
      if (c.is_number_integer() &&
          (!c.is_number_unsigned() || c.get<std::uint64_t>() <= INT64_MAX)) {
        const auto v = c.get<std::int64_t>();
        if (v >= detail::kMinTime && v <= detail::kMaxTime) t = v;
      }
      if (!t) {
        fail(CUSTOS_INVALID_ARGUMENT,
             std::string(kWhat) +
                 ": \"clock\" must be an RFC 3339 time (\"2026-11-28T12:00:00Z\") or integer "
                 "seconds since 1970, from year 0001 to 9999");
      }
      const Timestamp fixed = *t;
      options.clock = [fixed] { return fixed; };
    }
    options.trust_request_time = bool_option(o, kWhat, "trust_request_time", false);
    options.trust_request_consent = bool_option(o, kWhat, "trust_request_consent", false);

    std::shared_ptr<const Policy> policy;
    if (const auto key = string_option(o, kWhat, "trusted_public_key")) {
      state->trusted_public_key = read_pem(*key, "trusted_public_key");
      policy = take(load_bundle(policy_path, state->trusted_public_key));  // names the file
    } else {
      std::vector<Diagnostic> diagnostics;
      auto loaded = Policy::load(policy_path, &diagnostics);
      if (!loaded.ok()) {
        std::string message = loaded.status().message();
        std::size_t quoted = 0;
        for (const auto& d : diagnostics) {
          if (!d.is_error() || quoted == kMaxQuotedDiagnostics) continue;
          message += quoted++ ? "" : "\n";
          message += d.to_string();
        }
        while (!message.empty() && message.back() == '\n') message.pop_back();
        fail(code_of(loaded.status().code()), message);
      }
      policy = std::move(*loaded);
    }
    state->engine = std::make_unique<Engine>(std::move(policy), std::move(options));
    return new custos_engine{std::move(state)};
  });
}

void custos_engine_close(custos_engine* engine) {
  guarded<int>(0, [&] {
    delete engine;
    return 0;
  });
}

int custos_check(custos_engine* engine, const char* request_json, char** decision_json) {
  return guarded_int([&] {
    reset(decision_json, "decision_json");
    const custos::Engine& e = custos::capi::engine_of(engine);
    require(request_json, "request_json");
    give(e.check_json(request_json).to_json(), decision_json);
    return CUSTOS_OK;
  });
}

int custos_engine_reload_bundle(custos_engine* engine, const char* bundle_path) {
  return guarded_int([&] {
    using namespace custos;
    Engine& e = capi::engine_of(engine);
    require(bundle_path, "bundle_path");
    const std::string& key = engine->state->trusted_public_key;
    const std::string running = capi::describe(*e.policy());
    if (key.empty()) {
      fail(CUSTOS_MISUSE,
           "the engine was opened without \"trusted_public_key\": it takes no bundle; "
           "policy " +
               running + " stays");
    }
    auto policy = load_bundle(bundle_path, key);  // its messages name the file
    if (!policy.ok()) {
      check(Status(policy.status().code(),
                   policy.status().message() + "; policy " + running + " stays"));
    }
    const Status s = e.upgrade(*policy);
    if (!s.ok()) fail(CUSTOS_REFUSED, std::string(bundle_path) + ": " + s.message());
    return CUSTOS_OK;
  });
}

int custos_engine_policy(custos_engine* engine, char** policy_json) {
  return guarded_int([&] {
    reset(policy_json, "policy_json");
    const auto policy = custos::capi::engine_of(engine).policy();
    nlohmann::ordered_json j = nlohmann::ordered_json::object();
    j["name"] = policy->name();
    j["version"] = policy->version();
    j["sha256"] = policy->sha256();
    give(j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace), policy_json);
    return CUSTOS_OK;
  });
}

int custos_engine_flush_audit(custos_engine* engine) {
  return guarded_int([&] {
    custos::capi::engine_of(engine);
    if (engine->state->audit) check(engine->state->audit->flush(), "audit_log");
    return CUSTOS_OK;
  });
}

// ---- consent ------------------------------------------------------------------

custos_consent_store* custos_consent_open(const char* path) {
  return guarded<custos_consent_store*>(nullptr, [&] {
    require(path, "path");
    std::shared_ptr<custos::ConsentStore> store = take(custos::ConsentStore::open(path));
    return new custos_consent_store{std::move(store)};
  });
}

custos_consent_store* custos_engine_consent(custos_engine* engine) {
  return guarded<custos_consent_store*>(nullptr, [&]() -> custos_consent_store* {
    custos::capi::engine_of(engine);
    if (!engine->state->consent) {
      fail(CUSTOS_MISUSE, "the engine was opened without \"consent_store\"");
    }
    return new custos_consent_store{engine->state->consent};
  });
}

void custos_consent_close(custos_consent_store* store) {
  guarded<int>(0, [&] {
    delete store;
    return 0;
  });
}

int custos_consent_grant(custos_consent_store* store, const char* subject, const char* purpose,
                         int64_t at, int64_t expires, const char* source) {
  return guarded_int([&] {
    return custos::capi::consent_append(
        store, subject, purpose, custos::ConsentState::kGranted, at,
        expires == CUSTOS_NO_EXPIRY ? std::nullopt : std::optional<custos::Timestamp>(expires),
        source);
  });
}

int custos_consent_withdraw(custos_consent_store* store, const char* subject, const char* purpose,
                            int64_t at, const char* source) {
  return guarded_int([&] {
    return custos::capi::consent_append(store, subject, purpose, custos::ConsentState::kWithdrawn,
                                        at, std::nullopt, source);
  });
}

int custos_consent_object(custos_consent_store* store, const char* subject, const char* purpose,
                          int64_t at, const char* source) {
  return guarded_int([&] {
    return custos::capi::consent_append(store, subject, purpose, custos::ConsentState::kObjected,
                                        at, std::nullopt, source);
  });
}

int custos_consent_history(custos_consent_store* store, const char* subject, char** history_json) {
  return guarded_int([&] {
    reset(history_json, "history_json");
    const custos::ConsentStore& s = custos::capi::store_of(store);
    require(subject, "subject");
    give(custos::capi::history_json(s, subject), history_json);
    return CUSTOS_OK;
  });
}

// ---- guarded reads --------------------------------------------------------------

custos_database* custos_database_open(const char* path, custos_engine* engine,
                                      const char* options_json) {
  return guarded<custos_database*>(nullptr, [&] {
    using namespace custos;
    using namespace custos::capi;
    require(path, "path");
    engine_of(engine);
    static constexpr const char* kWhat = "options_json";
    const json o = parse_object(options_json, kWhat,
                                {"lenient", "statement_cache", "max_statement_steps", "audit"});
    DatabaseOptions options;
    options.lenient = bool_option(o, kWhat, "lenient", false);
    if (const auto n = count_option(o, kWhat, "statement_cache")) options.statement_cache = *n;
    if (const auto n = count_option(o, kWhat, "max_statement_steps")) {
      options.max_statement_steps = *n;
    }
    if (bool_option(o, kWhat, "audit", true)) options.audit = engine->state->audit.get();
    auto state = std::make_shared<DatabaseState>();
    state->engine = engine->state;
    state->database = take(Database::open(path, *state->engine->engine, options), path);
    return new custos_database{std::move(state)};
  });
}

void custos_database_close(custos_database* db) {
  guarded<int>(0, [&] {
    delete db;
    return 0;
  });
}

custos_session* custos_session_open(custos_database* db, const char* session_json) {
  return guarded<custos_session*>(nullptr, [&] {
    using namespace custos;
    using namespace custos::capi;
    require(db, "db");
    require(session_json, "session_json");
    json who =
        parse_object(session_json, "session_json", {"actor", "action", "purpose", "context"});
    // A session is a request without subject and categories: decoded by the
    // request decoder, so its fields mean and check exactly what they do in
    // a request.
    if (!who.contains("action")) who["action"] = "read";
    who["categories"] = json::array({"session"});
    const Request r = Request::from_json(who.dump());
    if (!r.malformed.empty()) {
      fail(CUSTOS_INVALID_ARGUMENT, "session_json: " + r.malformed);
    }
    SessionOptions options;
    options.actor_id = r.actor.id.value_or("");
    options.roles = r.actor.roles;
    options.actor_attributes = r.actor.attributes;
    options.action = r.action;
    options.purpose = r.purpose;
    options.context = r.context;
    options.time = r.time;
    auto state = std::make_shared<SessionState>();
    state->database = db->state;
    state->session = take(db->state->database->session(std::move(options)));
    return new custos_session{std::move(state)};
  });
}

void custos_session_close(custos_session* session) {
  guarded<int>(0, [&] {
    delete session;
    return 0;
  });
}

int custos_session_query_json(custos_session* session, const char* sql, const char* params_json,
                              char** rows_json) {
  return guarded_int([&] {
    using namespace custos;
    using nlohmann::ordered_json;
    reset(rows_json, "rows_json");
    Rows rows = capi::run_query(session, sql, params_json);
    const int columns = rows.column_count();
    ordered_json out = ordered_json::object();
    out["columns"] = ordered_json::array();
    for (int c = 0; c < columns; ++c) {
      const std::string& name = rows.column_name(c);
      if (!detail::is_valid_utf8(name)) {
        fail(CUSTOS_INVALID_ARGUMENT,
             "column " + std::to_string(c + 1) + "'s name is not valid UTF-8");
      }
      out["columns"].push_back(name);
    }
    out["rows"] = ordered_json::array();
    while (rows.next()) {
      ordered_json row = ordered_json::array();
      for (int c = 0; c < columns; ++c) {
        switch (rows.type(c)) {
          case Rows::Type::kNull:
            row.push_back(nullptr);
            break;
          case Rows::Type::kInt:
            row.push_back(rows.int64(c));
            break;
          case Rows::Type::kReal:
            row.push_back(rows.real(c));
            break;
          case Rows::Type::kText: {
            const std::string_view text = rows.text(c);
            if (!detail::is_valid_utf8(text)) {
              fail(CUSTOS_INVALID_ARGUMENT,
                   "row " + std::to_string(rows.row_count()) + ", column \"" + rows.column_name(c) +
                       "\": the text is not valid UTF-8 and JSON cannot carry it; read it "
                       "with custos_query and custos_cursor_text");
            }
            row.push_back(std::string(text));
            break;
          }
          case Rows::Type::kBlob:
            row.push_back({{"base64", capi::base64(rows.blob(c))}});
            break;
        }
      }
      out["rows"].push_back(std::move(row));
    }
    check(rows.status());
    give(out.dump(), rows_json);
    return CUSTOS_OK;
  });
}

int custos_query(custos_session* session, const char* sql, const char* params_json,
                 custos_cursor** cursor) {
  return guarded_int([&] {
    require(cursor, "cursor");
    *cursor = nullptr;
    custos::Rows rows = custos::capi::run_query(session, sql, params_json);
    auto* c = new custos_cursor(session->state, std::move(rows));
    c->cells.resize(static_cast<std::size_t>(c->rows.column_count()));
    session->state->cursor_open = true;
    *cursor = c;
    return CUSTOS_OK;
  });
}

int custos_cursor_step(custos_cursor* cursor) {
  return guarded_int([&] {
    require(cursor, "cursor");
    if (cursor->error != CUSTOS_OK) fail(cursor->error, cursor->error_message);
    if (cursor->done) return CUSTOS_DONE;
    for (auto& cell : cursor->cells) cell.clear();
    if (cursor->rows.next()) return CUSTOS_ROW;
    cursor->done = true;
    const custos::Status s = cursor->rows.status();
    if (s.ok()) return CUSTOS_DONE;
    cursor->error = custos::capi::code_of(s.code());
    cursor->error_message = s.message();
    fail(cursor->error, cursor->error_message);
  });
}

int custos_cursor_column_count(custos_cursor* cursor) {
  return guarded<int>(0, [&] {
    require(cursor, "cursor");
    return cursor->rows.column_count();
  });
}

const char* custos_cursor_column_name(custos_cursor* cursor, int column) {
  return guarded<const char*>(nullptr, [&] {
    require(cursor, "cursor");
    return cursor->rows.column_name(column).c_str();
  });
}

int custos_cursor_column_type(custos_cursor* cursor, int column) {
  return guarded<int>(CUSTOS_TYPE_NULL, [&] {
    require(cursor, "cursor");
    switch (cursor->rows.type(column)) {
      case custos::Rows::Type::kInt:
        return CUSTOS_TYPE_INT;
      case custos::Rows::Type::kReal:
        return CUSTOS_TYPE_REAL;
      case custos::Rows::Type::kText:
        return CUSTOS_TYPE_TEXT;
      case custos::Rows::Type::kBlob:
        return CUSTOS_TYPE_BLOB;
      case custos::Rows::Type::kNull:
        break;
    }
    return CUSTOS_TYPE_NULL;
  });
}

int64_t custos_cursor_int64(custos_cursor* cursor, int column) {
  return guarded<int64_t>(0, [&] {
    require(cursor, "cursor");
    return static_cast<int64_t>(cursor->rows.int64(column));
  });
}

double custos_cursor_double(custos_cursor* cursor, int column) {
  return guarded<double>(0.0, [&] {
    require(cursor, "cursor");
    return cursor->rows.real(column);
  });
}

const char* custos_cursor_text(custos_cursor* cursor, int column, size_t* bytes) {
  return guarded<const char*>(nullptr, [&] { return cell_bytes(cursor, column, bytes, true); });
}

const void* custos_cursor_blob(custos_cursor* cursor, int column, size_t* bytes) {
  return guarded<const void*>(
      nullptr, [&]() -> const void* { return cell_bytes(cursor, column, bytes, false); });
}

void custos_cursor_close(custos_cursor* cursor) {
  guarded<int>(0, [&] {
    if (!cursor) return 0;
    const std::shared_ptr<custos::capi::SessionState> session = cursor->session;
    delete cursor;  // finishes the rows: the statement's audit entry is written
    session->cursor_open = false;
    return 0;
  });
}

// ---- audit --------------------------------------------------------------------------

int custos_audit_verify(const char* path, const char* key_file, const char* public_key_file,
                        char** result_json) {
  return guarded_int([&] {
    using namespace custos;
    reset(result_json, "result_json");
    require(path, "path");
    std::string key;
    if (key_file) {
      // Unlike the engine's key files, a verifier never creates one.
      if (!capi::file_exists(key_file)) {
        fail(CUSTOS_NOT_FOUND, std::string("key_file: ") + key_file + ": no such key file");
      }
      key = take(load_pseudonym_key(key_file), "key_file");
    }
    std::vector<std::string> trusted;
    if (public_key_file) trusted.push_back(capi::read_pem(public_key_file, "public_key_file"));
    const AuditVerification v = take(verify_audit_log(path, key, trusted), path);
    nlohmann::ordered_json j = nlohmann::ordered_json::object();
    j["entries"] = v.entries;
    j["head"] = v.head;
    j["checkpoints"] = v.checkpoints;
    give(j.dump(), result_json);
    return CUSTOS_OK;
  });
}

int custos_audit_report(const char* path, const char* subject, const char* format, char** report) {
  return guarded_int([&] {
    using namespace custos;
    reset(report, "report");
    require(path, "path");
    require(subject, "subject");
    const std::string_view f = format ? format : "json";
    ReportFormat rf = ReportFormat::kJson;
    if (f == "text") {
      rf = ReportFormat::kText;
    } else if (f == "html") {
      rf = ReportFormat::kHtml;
    } else if (f != "json") {
      fail(CUSTOS_INVALID_ARGUMENT,
           "format is \"json\", \"text\" or \"html\", not \"" + std::string(f) + "\"");
    }
    give(take(audit_report(path, subject, rf), path), report);
    return CUSTOS_OK;
  });
}

}  // extern "C"
