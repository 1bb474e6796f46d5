// Engine: decides requests against a policy. Start here.
//
//   auto policy = custos::Policy::load("crm.custos");
//   custos::Engine engine(*policy);
//   custos::Decision d = engine.check(custos::Request::from_json(json));
//   if (d.allowed) ...
//
// For a hot loop, prepare a request once (names interned to ids) and decide
// into a reused Decision; after the first call this allocates nothing:
//
//   custos::PreparedRequest prepared = engine.prepare(request);
//   custos::Decision d;
//   for (...) engine.check(prepared, d);
//
// Decisions follow policy-lang/REFERENCE.md: default deny, deny overrides,
// the most revealing transform wins, then consent and retention. Anything
// that cannot be decided is denied, with the reason.
// Thread-safety: check(), explain(), prepare() and apply() are safe from
// many threads and take no lock; reload() may run concurrently with them
// and swaps the policy atomically: each check sees the old or the new
// policy, never a mix.
//
// Memory: each thread caches the policies of the last 4 engines it used, so
// a check costs no lock and no shared reference count. A policy replaced by
// reload() (or an engine destroyed) is freed once every thread that used it
// has checked again on that engine or used 4 other engines since; until then
// at most 4 policies per thread stay alive.
#ifndef CUSTOS_ENGINE_HPP
#define CUSTOS_ENGINE_HPP

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "custos/decision.hpp"
#include "custos/export.hpp"
#include "custos/policy.hpp"
#include "custos/request.hpp"
#include "custos/status.hpp"
#include "custos/value.hpp"

namespace custos {

class ConsentStore;
class AuditSink;
namespace detail {
class EngineAccess;  // the guard's way in (src/engine/row_decider.hpp)
}  // namespace detail

struct EngineOptions {
  // The current time, used when a request has no context.time (and for
  // `now`). Default: the system clock, UTC.
  std::function<Timestamp()> clock;
  // Consulted for requests that carry no consent records. Not owned; must
  // outlive the engine. Default: none (no records, so consent is missing).
  const ConsentStore* consent_store = nullptr;
  // Whether a request may carry its own context.time, standing in for the
  // clock. Default: false, and such a request is denied bad_request, since a
  // request dated 0001 would escape retention and consent expiry. Turn it on
  // for policy tests (`custos eval` and `custos test` do).
  bool trust_request_time = false;
  // Whether a request may carry the subject's consent records
  // (subject.consent), standing in for the consent store. Default: false,
  // and such a request is denied bad_request, since it could grant its own
  // consent. Turn it on for apps that keep consent elsewhere, and for tests.
  bool trust_request_consent = false;
  // Receives one record per decision (check(), the prepared check() and
  // check_json(); not explain()). Not owned; must outlive the engine. When
  // an append fails, every item of that decision is denied `not_recorded`
  // (fail closed). Default: none.
  AuditSink* audit = nullptr;
  // Secret key of the `hash` transform (HMAC-SHA256); at least 16 bytes.
  // Default: empty, and hashing fails closed (the value becomes NULL). Load
  // it with load_pseudonym_key().
  std::string pseudonym_key;
};

// Reads the pseudonym key file (64 hex digits); when the file does not
// exist, creates it (mode 0600) with 32 bytes from OpenSSL's CSPRNG.
// Refuses, with a message saying why: anything but a regular file (a FIFO
// would block), a file group or others may read or write (like ssh: run
// `chmod 600 FILE`), an all-zero key, and a file larger than
// limits::kMaxKeyFileBytes.
CUSTOS_EXPORT Result<std::string> load_pseudonym_key(const std::string& path);

class Engine;

// A request with its names resolved to ids, for the hot path. Built by
// Engine::prepare; still valid after a reload (then decided the slow way).
// What every check reads is kept inside the object, so a std::vector of
// prepared requests is one contiguous array of their ids and values.
//
// ABI commitment: the object's size and alignment (an inline buffer of
// kHotBytes = 192 bytes, 8-aligned, then one pointer) are part of Custos's
// binary interface. What the buffer holds is private and may change in any
// release; its size changes only with the major version (SOVERSION).
class CUSTOS_EXPORT PreparedRequest {
 public:
  PreparedRequest();
  ~PreparedRequest();
  PreparedRequest(PreparedRequest&&) noexcept;
  PreparedRequest& operator=(PreparedRequest&&) noexcept;
  PreparedRequest(const PreparedRequest&) = delete;
  PreparedRequest& operator=(const PreparedRequest&) = delete;

 private:
  friend class Engine;
  struct Impl;
  static constexpr std::size_t kHotBytes = 192;
  alignas(8) unsigned char hot_[kHotBytes];  // a detail::PreparedHot (engine.cpp)
  std::unique_ptr<Impl> impl_;               // the rest, and storage for what hot_ points to
};

class CUSTOS_EXPORT Engine {
 public:
  // A null policy decides like an empty one: every request is denied.
  explicit Engine(std::shared_ptr<const Policy> policy, EngineOptions options = {});
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  Decision check(const Request& request) const;
  // check() with, per item, every candidate rule and what became of it.
  Decision explain(const Request& request) const;
  // Decodes request JSON and decides it (malformed JSON: bad_request).
  Decision check_json(std::string_view json) const;

  PreparedRequest prepare(const Request& request) const;
  // Decides into `out`, reusing its storage.
  void check(const PreparedRequest& request, Decision& out) const;

  // Swaps in another policy; checks already running finish on the old one.
  void reload(std::shared_ptr<const Policy> policy);
  // reload() for a policy that arrives from elsewhere, e.g. a signed bundle
  // (bundle.hpp): refuses, and keeps the running policy, when the new one
  // has another name, a lower version (a downgrade), or the same version
  // with another text. The same policy again is accepted.
  Status upgrade(std::shared_ptr<const Policy> policy);
  std::shared_ptr<const Policy> policy() const;

  // Applies an allowed item's transform to a value (NULL stays NULL; a value
  // the transform cannot handle becomes NULL).
  Value apply(const Transform& transform, const Value& value) const;

 private:
  friend class detail::EngineAccess;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace custos

#endif  // CUSTOS_ENGINE_HPP
