// Engine: resolves requests against the current policy and runs the
// evaluator; keeps the policy swappable without locks on the hot path.
#include "custos/engine.hpp"

#include <array>
#include <atomic>
#include <cstring>
#include <mutex>

#include "base/small_vector.hpp"
#include "base/time.hpp"
#include "custos/access_record.hpp"
#include "custos/consent.hpp"
#include "engine/evaluator.hpp"
#include "engine/resolution.hpp"
#include "engine/row_decider.hpp"
#include "engine/signals.hpp"
#include "engine/transform.hpp"

namespace custos {
namespace detail {
namespace {

const Attributes* attributes_of(const Request& r, lang::AttributeRoot root) {
  switch (root) {
    case lang::AttributeRoot::kActor:
      return &r.actor.attributes;
    case lang::AttributeRoot::kSubject:
      return r.subject ? &r.subject->attributes : nullptr;
    case lang::AttributeRoot::kContext:
      return &r.context;
  }
  return nullptr;
}

std::size_t list_items_in(const Attributes& attributes) {
  std::size_t n = 0;
  for (const auto& [name, value] : attributes) {
    if (value.kind == Value::Kind::kList) n += value.list.size();
  }
  return n;
}

}  // namespace

std::size_t list_items_in(const Request& r) {
  return list_items_in(r.actor.attributes) + list_items_in(r.context) +
         (r.subject ? list_items_in(r.subject->attributes) : 0);
}

// The value of one attribute slot, converted for the condition machine.
RtValue resolve_slot(const AttributeSlot& slot, const Request& r, std::vector<RtValue>& arena) {
  if (slot.builtin) {
    RtValue v{};
    const std::string* id = nullptr;
    if (slot.root == lang::AttributeRoot::kActor && r.actor.id) id = &*r.actor.id;
    if (slot.root == lang::AttributeRoot::kSubject && r.subject) id = &r.subject->id;
    if (id) v = RtValue::string(*id);
    return v;
  }
  const Attributes* attributes = attributes_of(r, slot.root);
  if (!attributes) return RtValue{};
  const auto it = attributes->find(slot.name);
  if (it == attributes->end()) return RtValue{};
  return to_runtime(it->second, slot.declared, arena);
}

std::int32_t resolve_purpose(const CompiledPolicy& policy, const std::string& name,
                             PurposeMemo* last) {
  if (!last) return policy.purpose_table.find(name);
  if (!last->known || last->name != name) {
    last->name = name;
    last->id = policy.purpose_table.find(name);
    last->known = true;
  }
  return last->id;
}

void resolve_consent(const CompiledPolicy& policy, const std::vector<ConsentRecord>& records,
                     std::vector<ResolvedConsent>& out, PurposeMemo* last) {
  out.clear();
  for (const auto& r : records) {
    const std::int32_t purpose = resolve_purpose(policy, r.purpose, last);
    if (purpose < 0) continue;  // not a purpose of this policy
    out.push_back(ResolvedConsent{static_cast<std::uint32_t>(purpose), r.state, r.at, r.expires});
  }
}

void resolve(const CompiledPolicy& policy, const Request& r, Resolution& out) {
  ResolvedRequest& rr = out.request;
  rr = ResolvedRequest{};
  rr.malformed =
      !r.malformed.empty() || (r.action != "read" && r.action != "share") || r.categories.empty();
  rr.action = r.action == "share" ? 1 : 0;
  const std::int32_t purpose = policy.purpose_table.find(r.purpose);
  if (purpose >= 0 &&
      policy.purpose_basis[static_cast<std::size_t>(purpose)] != lang::Basis::kNone) {
    rr.purpose = purpose;
  }
  out.held.assign(policy.role_words, 0);
  out.time = r.time;
  out.has_subject = r.subject.has_value();
  bool any_declared = false;
  for (const auto& name : r.actor.roles) {
    const std::int32_t role = policy.role_table.find(name);
    if (role < 0) continue;
    any_declared = true;
    const std::uint64_t* closure =
        &policy.role_closure[static_cast<std::size_t>(role) * policy.role_words];
    for (std::uint32_t w = 0; w < policy.role_words; ++w) out.held[w] |= closure[w];
  }
  rr.unknown_role = !r.actor.roles.empty() && !any_declared;
  rr.collected_at = r.collected_at;
  out.categories.clear();
  for (const auto& c : r.categories) out.categories.push_back(policy.category_table.find(c));
  out.consent_in_request = r.subject && r.subject->consent;
  if (out.consent_in_request) resolve_consent(policy, *r.subject->consent, out.consent);
  out.signals_in_request = r.subject && r.subject->signals;
}

namespace {

// Attribute slots of a plain Request, resolved on first use: a condition
// that is never evaluated costs nothing.
class RequestSource {
 public:
  RequestSource(const CompiledPolicy& policy, const Request& request)
      : policy_(policy), request_(request) {
    const std::size_t n = policy.attributes.slots.size();
    if (n > kInline) {
      heap_values_.resize(n);
      heap_done_.assign(n, 0);
    }
  }

  const RtValue& load(std::uint32_t slot) {
    const bool inline_slot = policy_.attributes.slots.size() <= kInline;
    RtValue& value = inline_slot ? values_[slot] : heap_values_[slot];
    const bool done = inline_slot ? (done_mask_ >> slot) & 1 : heap_done_[slot] != 0;
    if (!done) {
      if (!arena_ready_) {
        arena_.reserve(detail::list_items_in(request_));  // list items never move afterwards
        arena_ready_ = true;
      }
      value = resolve_slot(policy_.attributes.slots[slot], request_, arena_);
      if (inline_slot) {
        done_mask_ |= std::uint64_t{1} << slot;
      } else {
        heap_done_[slot] = 1;
      }
    }
    return value;
  }

 private:
  static constexpr std::size_t kInline = 32;
  const CompiledPolicy& policy_;
  const Request& request_;
  std::array<RtValue, kInline> values_;
  std::uint64_t done_mask_ = 0;
  std::vector<RtValue> heap_values_;
  std::vector<char> heap_done_;
  std::vector<RtValue> arena_;
  bool arena_ready_ = false;
};

// Attribute slots resolved once, when the request was prepared.
struct PreparedSource {
  const RtValue* values;
  const RtValue& load(std::uint32_t slot) const { return values[slot]; }
};

// What decide() needs of a request, from a Resolution or a prepared request.
struct DecisionInput {
  ResolvedRequest request;  // with `held` set
  const std::int32_t* categories = nullptr;
  std::size_t category_count = 0;
  std::optional<Timestamp> time;
  bool has_subject = false;
  bool consent_in_request = false;
  const std::vector<ResolvedConsent>* consent = nullptr;
  bool signals_in_request = false;
  // The request's signals, decoded when it was prepared; null: decode them
  // from `original` when the purpose needs them.
  const DecodedSignals* signals = nullptr;
  const Request* original = nullptr;  // cold: unknown category names, the subject id
};

DecisionInput input_of(const Resolution& r, const Request& original) {
  DecisionInput in;
  in.request = r.request;
  in.request.held = r.held.data();
  in.categories = r.categories.data();
  in.category_count = r.categories.size();
  in.time = r.time;
  in.has_subject = r.has_subject;
  in.consent_in_request = r.consent_in_request;
  in.consent = &r.consent;
  in.signals_in_request = r.signals_in_request;
  in.original = &original;
  return in;
}

// The hot part of a prepared request, stored inside PreparedRequest.
// Trivially copyable: it may be moved with the object. `slots` point into
// the cold Impl, which never moves.
struct PreparedHot {
  static constexpr std::size_t kCategories = 8, kRoleWords = 2, kSlots = 4;
  const Policy* policy;
  bool fits;  // false: the request is too big for the inline arrays; use the Impl
  bool malformed, unknown_role, has_subject, consent_in_request, signals_in_request, has_time,
      has_collected;
  std::uint8_t action;
  std::int32_t purpose;
  std::uint32_t category_count;
  Timestamp time, collected_at;
  std::int32_t categories[kCategories];
  std::uint64_t held[kRoleWords];
  RtValue slots[kSlots];
};

}  // namespace
}  // namespace detail

// ---- policy swapping ----

struct CUSTOS_NO_EXPORT Engine::Impl {
  EngineOptions options;
  // The `hash` transform's HMAC under options.pseudonym_key, prepared once;
  // null when the key is missing or too short (hash then gives NULL).
  std::unique_ptr<const crypto::HmacSha256> hasher;
  std::uint64_t id = 0;
  std::atomic<std::uint64_t> generation{1};
  mutable std::mutex mutex;  // guards `policy`; taken by reload() and cache refills
  std::shared_ptr<const Policy> policy;

  const Policy& acquire() const;

  // Sends a decision to the audit sink, if any; denies it all when that
  // fails.
  void record(const Request& request, Timestamp now, Decision& decision) const;

  // Time- and store-dependent resolution, then the decision into `out`.
  // Returns the time it decided at.
  template <typename Source>
  Timestamp decide(const Policy& policy, const detail::DecisionInput& input, Source& source,
                   Decision& out, bool explain) const;
};

namespace {

std::atomic<std::uint64_t> next_engine_id{1};

// Each thread keeps the policies of the last few engines it used, tagged
// with the generation they were current in. A check() compares one atomic
// counter and reads its own slot: no lock, no shared reference count. After
// a reload, each thread's first check refills its slot under the mutex.
struct CachedPolicy {
  std::uint64_t engine = 0;
  std::uint64_t generation = 0;
  std::shared_ptr<const Policy> policy;
};
thread_local std::array<CachedPolicy, 4> policy_cache;
thread_local unsigned policy_cache_next = 0;

}  // namespace

const Policy& Engine::Impl::acquire() const {
  const std::uint64_t current = generation.load(std::memory_order_acquire);
  CachedPolicy* slot = nullptr;
  for (auto& c : policy_cache) {
    if (c.engine == id) {
      if (c.generation == current) return *c.policy;
      slot = &c;
      break;
    }
  }
  if (!slot) slot = &policy_cache[policy_cache_next++ % policy_cache.size()];
  std::lock_guard<std::mutex> lock(mutex);
  slot->engine = id;
  slot->generation = generation.load(std::memory_order_acquire);
  slot->policy = policy;
  return *slot->policy;
}

namespace {

// Stands in for a null policy: it declares nothing, so every request is
// denied (unknown_purpose). Fail closed rather than crash.
std::shared_ptr<const Policy> or_empty(std::shared_ptr<const Policy> policy) {
  if (policy) return policy;
  static const std::shared_ptr<const Policy> empty =
      *Policy::compile("policy \"empty\" version 1\n", "empty.custos");
  return empty;
}

}  // namespace

Engine::Engine(std::shared_ptr<const Policy> policy, EngineOptions options)
    : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  if (!impl_->options.clock) impl_->options.clock = detail::now_unix;
  if (impl_->options.pseudonym_key.size() >= detail::kMinPseudonymKeyBytes) {
    impl_->hasher = std::make_unique<const crypto::HmacSha256>(impl_->options.pseudonym_key);
  }
  impl_->id = next_engine_id.fetch_add(1);
  impl_->policy = or_empty(std::move(policy));
}

Engine::~Engine() = default;

void Engine::reload(std::shared_ptr<const Policy> policy) {
  policy = or_empty(std::move(policy));
  std::lock_guard<std::mutex> lock(impl_->mutex);
  impl_->policy = std::move(policy);
  impl_->generation.fetch_add(1, std::memory_order_release);
}

Status Engine::upgrade(std::shared_ptr<const Policy> policy) {
  if (!policy) return Status(StatusCode::kInvalidArgument, "no policy to upgrade to");
  std::lock_guard<std::mutex> lock(impl_->mutex);
  const Policy& running = *impl_->policy;
  if (policy->name() != running.name()) {
    return Status(StatusCode::kInvalidArgument,
                  "refused: policy \"" + policy->name() + "\" is not the running policy \"" +
                      running.name() + "\"; the running policy stays");
  }
  if (policy->version() < running.version()) {
    return Status(StatusCode::kInvalidArgument,
                  "refused: version " + std::to_string(policy->version()) +
                      " is older than the running version " + std::to_string(running.version()) +
                      " (a downgrade); the running policy stays");
  }
  if (policy->version() == running.version() && policy->sha256() != running.sha256()) {
    return Status(StatusCode::kInvalidArgument,
                  "refused: version " + std::to_string(policy->version()) +
                      " is already running with another text; the running policy stays");
  }
  impl_->policy = std::move(policy);
  impl_->generation.fetch_add(1, std::memory_order_release);
  return Status();
}

std::shared_ptr<const Policy> Engine::policy() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->policy;
}

const EngineOptions& detail::EngineAccess::options(const Engine& engine) {
  return engine.impl_->options;
}

const crypto::HmacSha256* detail::EngineAccess::hasher(const Engine& engine) {
  return engine.impl_->hasher.get();
}

Value Engine::apply(const Transform& transform, const Value& value) const {
  return detail::apply_transform(transform, value, impl_->hasher.get());
}

// ---- deciding ----

template <typename Source>
Timestamp Engine::Impl::decide(const Policy& policy, const detail::DecisionInput& input,
                               Source& source, Decision& out, bool explain) const {
  const detail::CompiledPolicy& cp = detail::PolicyAccess::compiled(policy);
  detail::ResolvedRequest rr = input.request;
  // A request may date itself and carry its own consent only when the app
  // says it trusts that (tests, apps that keep consent elsewhere). Otherwise
  // a request dated 0001 would escape retention, and one carrying a grant
  // would consent for its subject: deny it, bad_request.
  // Signals in a request are consent data, under the same trust.
  const bool untrusted_time = input.time && !options.trust_request_time;
  const bool untrusted_consent =
      (input.consent_in_request || input.signals_in_request) && !options.trust_request_consent;
  if (untrusted_time || untrusted_consent) rr.malformed = true;
  rr.now = input.time && !untrusted_time ? *input.time : options.clock();
  rr.consent = detail::ConsentStatus::kNone;
  rr.consent_failed = false;
  rr.consent_error = nullptr;
  thread_local std::string consent_error;  // explanations only
  std::string consent_record;              // explanations only: the record that decided
  bool record_decides = false;
  rr.gpc_objected = false;
  rr.signal_notes = nullptr;
  if (!rr.malformed && rr.purpose >= 0) {
    const auto purpose = static_cast<std::uint32_t>(rr.purpose);
    if (explain) {
      consent_record = detail::describe_record(cp, purpose, nullptr, rr.now);
      rr.consent_record = &consent_record;
    }
    if (input.consent_in_request) {
      rr.consent = detail::deciding_consent(cp, purpose, *input.consent, rr.now);
      if (explain) {
        const auto* decided = detail::deciding_record(cp, purpose, *input.consent, rr.now);
        record_decides = decided != nullptr;
        consent_record = detail::describe_record(cp, purpose, decided, rr.now);
      }
    } else if (input.has_subject && options.consent_store) {
      auto records = options.consent_store->records(input.original->subject->id);
      if (!records.ok()) {
        rr.consent_failed = true;  // fail closed: no consent can be shown
        if (explain) {
          consent_error = records.status().message();
          rr.consent_error = &consent_error;
        }
      } else {
        thread_local std::vector<detail::ResolvedConsent> resolved;
        detail::resolve_consent(cp, **records, resolved);
        rr.consent = detail::deciding_consent(cp, purpose, resolved, rr.now);
        if (explain) {
          const auto* decided = detail::deciding_record(cp, purpose, resolved, rr.now);
          record_decides = decided != nullptr;
          consent_record = detail::describe_record(cp, purpose, decided, rr.now);
        }
      }
    }
    rr.consent_li = rr.consent;
    const detail::ConsentStatus from_records = rr.consent;
    // Signals, only for the purposes they can touch (and, when explaining,
    // to say they do not): those of the request when it carries any, else
    // the store's.
    if ((explain || detail::signals_touch(cp, purpose)) && !rr.consent_failed) {
      thread_local std::vector<std::string> notes;
      notes.clear();
      std::vector<std::string>* said = explain ? &notes : nullptr;
      if (input.signals_in_request) {
        if (input.signals) {
          detail::apply_signals(cp, purpose, rr.now, input.signals->input(), rr, said);
        } else {
          detail::DecodedSignals decoded;  // once per decision, and only here
          decoded.decode(*input.original->subject->signals);
          detail::apply_signals(cp, purpose, rr.now, decoded.input(), rr, said);
        }
      } else if (input.has_subject && options.consent_store) {
        auto history = options.consent_store->signals(input.original->subject->id);
        if (!history.ok()) {
          // Fail closed, as for records; explaining must not change that.
          if (detail::signals_touch(cp, purpose)) {
            rr.consent_failed = true;
            if (explain) {
              consent_error = history.status().message();
              rr.consent_error = &consent_error;
            }
          }
        } else {
          detail::apply_signals(cp, purpose, rr.now, detail::latest_signals(**history, rr.now), rr,
                                said);
        }
      } else {
        detail::apply_signals(cp, purpose, rr.now, detail::SignalInput{}, rr, said);
      }
      if (said) rr.signal_notes = said;
      // When the signals decide, not a record, their notes say how.
      if (said && detail::signals_touch(cp, purpose) &&
          (!record_decides || rr.consent != from_records || rr.consent_li != from_records ||
           rr.gpc_objected)) {
        rr.consent_record = nullptr;
      }
    }
  }
  // Which policy decided, for the caller and the audit log; all inline.
  out.policy.name_chars = cp.name_chars;
  out.policy.version = cp.version;
  out.policy.sha256 = cp.sha256;
  thread_local detail::ConditionMemo memo;
  memo.begin(cp.conditions.size());
  thread_local std::vector<detail::RtValue> scratch;
  const std::size_t n = input.category_count;
  out.items.resize(n);
  out.allowed = n > 0;
  for (std::size_t i = 0; i < n; ++i) {
    Decision::Item& item = out.items[i];
    item.explanation.clear();
    const std::int32_t category = input.categories[i];
    if (explain && i == 0 && (untrusted_time || untrusted_consent)) {
      item.explanation.push_back(Explained{
          "", "",
          untrusted_time ? "bad request: it carries context.time, and this engine does not trust "
                           "request times (EngineOptions::trust_request_time)"
          : input.consent_in_request
              ? "bad request: it carries subject.consent, and this engine does not "
                "trust consent in requests (EngineOptions::trust_request_consent)"
              : "bad request: it carries subject.signals, consent data that this engine does "
                "not trust in requests (EngineOptions::trust_request_consent)"});
    }
    const detail::Verdict v = detail::decide_item(cp, rr, category, source, scratch, memo,
                                                  explain ? &item.explanation : nullptr);
    // A known category's name is the policy's own copy: already in cache.
    item.category.assign(category >= 0 ? cp.category_names[static_cast<std::size_t>(category)]
                                       : input.original->categories[i]);
    item.allowed = v.reason == Reason::kNone;
    item.reason = v.reason;
    item.transform = item.allowed ? cp.transforms[v.transform] : Transform{};
    const bool names_rule =
        item.allowed || v.reason == Reason::kDeniedByRule || v.reason == Reason::kConditionError;
    if (names_rule && v.rule >= 0) {
      item.rule.assign(cp.rule_ids[static_cast<std::size_t>(v.rule)]);
    } else {
      item.rule.clear();
    }
    out.allowed = out.allowed && item.allowed;
  }
  return rr.now;
}

void Engine::Impl::record(const Request& request, Timestamp now, Decision& decision) const {
  if (!options.audit) return;
  AccessRecord r;
  r.kind = AccessRecord::Kind::kDecision;
  r.time = now;
  r.actor = request.actor.id.value_or("");
  r.roles = request.actor.roles;
  r.purpose = request.purpose;
  r.action = request.action;
  if (request.subject) r.subjects = {request.subject->id};
  for (const auto& item : decision.items) {
    AccessRecord::Column c;
    c.category = item.category;
    c.allowed = item.allowed;
    c.transform = item.transform;
    c.rule = item.rule;
    if (!item.allowed) c.withheld = {item.reason};
    r.columns.push_back(std::move(c));
  }
  r.policy = decision.policy;
  if (options.audit->append(r).ok()) return;
  // Fail closed: a decision that is not in the log did not happen.
  decision.allowed = false;
  for (auto& item : decision.items) {
    item.allowed = false;
    item.reason = Reason::kNotRecorded;
    item.transform = Transform{};
    item.rule.clear();
  }
}

Decision Engine::check(const Request& request) const {
  // The request's names usually live in separate heap blocks; start loading
  // them all now, so the lookups below overlap their cache misses.
  __builtin_prefetch(request.purpose.data());
  if (!request.actor.roles.empty()) __builtin_prefetch(request.actor.roles.data());
  if (!request.categories.empty()) __builtin_prefetch(request.categories.data());
  const Policy& policy = impl_->acquire();
  thread_local detail::Resolution resolution;  // reused: no allocation per check
  detail::resolve(detail::PolicyAccess::compiled(policy), request, resolution);
  detail::RequestSource source(detail::PolicyAccess::compiled(policy), request);
  Decision out;
  const Timestamp now =
      impl_->decide(policy, detail::input_of(resolution, request), source, out, false);
  impl_->record(request, now, out);
  return out;
}

Decision Engine::explain(const Request& request) const {
  const Policy& policy = impl_->acquire();
  detail::Resolution resolution;
  detail::resolve(detail::PolicyAccess::compiled(policy), request, resolution);
  detail::RequestSource source(detail::PolicyAccess::compiled(policy), request);
  Decision out;
  impl_->decide(policy, detail::input_of(resolution, request), source, out, true);
  return out;
}

Decision Engine::check_json(std::string_view json) const {
  return check(Request::from_json(json));
}

// ---- prepared requests ----

struct CUSTOS_NO_EXPORT PreparedRequest::Impl {
  std::shared_ptr<const Policy> policy;  // the policy the ids belong to
  Request request;
  detail::Resolution resolution;
  std::vector<detail::RtValue> slots;
  std::string text;                    // the slots' strings
  std::vector<detail::RtValue> arena;  // list items of `slots`
  detail::DecodedSignals signals;      // the request's signals, decoded once

  Impl() = default;
  Impl(const Impl&) = delete;  // slots point into this object
  Impl& operator=(const Impl&) = delete;
};

PreparedRequest::PreparedRequest() = default;
PreparedRequest::~PreparedRequest() = default;
PreparedRequest::PreparedRequest(PreparedRequest&&) noexcept = default;
PreparedRequest& PreparedRequest::operator=(PreparedRequest&&) noexcept = default;

PreparedRequest Engine::prepare(const Request& request) const {
  static_assert(sizeof(detail::PreparedHot) <= PreparedRequest::kHotBytes,
                "PreparedRequest::kHotBytes is too small for PreparedHot");
  static_assert(sizeof(PreparedRequest) == PreparedRequest::kHotBytes + sizeof(void*) &&
                    alignof(PreparedRequest) == 8,
                "PreparedRequest's size is part of the ABI (engine.hpp)");
  PreparedRequest prepared;
  prepared.impl_ = std::make_unique<PreparedRequest::Impl>();
  auto& p = *prepared.impl_;
  {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    p.policy = impl_->policy;
  }
  p.request = request;
  const detail::CompiledPolicy& cp = detail::PolicyAccess::compiled(*p.policy);
  detail::resolve(cp, p.request, p.resolution);
  if (p.resolution.signals_in_request) p.signals.decode(*p.request.subject->signals);
  p.arena.reserve(detail::list_items_in(p.request));
  std::size_t text_bytes = 0;
  for (const auto& slot : cp.attributes.slots) {
    p.slots.push_back(detail::resolve_slot(slot, p.request, p.arena));
    if (p.slots.back().tag == detail::RtValue::Tag::kString) text_bytes += p.slots.back().count;
  }
  // The slots' strings, copied together: a check touches no request storage.
  p.text.resize(text_bytes);
  char* text = p.text.data();
  for (auto& v : p.slots) {
    if (v.tag != detail::RtValue::Tag::kString) continue;
    std::copy(v.chars, v.chars + v.count, text);
    v.chars = text;
    text += v.count;
  }

  detail::PreparedHot hot{};
  const detail::Resolution& r = p.resolution;
  hot.policy = p.policy.get();
  hot.fits = r.categories.size() <= detail::PreparedHot::kCategories &&
             r.held.size() <= detail::PreparedHot::kRoleWords &&
             p.slots.size() <= detail::PreparedHot::kSlots;
  hot.malformed = r.request.malformed;
  hot.unknown_role = r.request.unknown_role;
  hot.has_subject = r.has_subject;
  hot.consent_in_request = r.consent_in_request;
  hot.signals_in_request = r.signals_in_request;
  hot.has_time = r.time.has_value();
  hot.time = r.time.value_or(0);
  hot.has_collected = r.request.collected_at.has_value();
  hot.collected_at = r.request.collected_at.value_or(0);
  hot.action = static_cast<std::uint8_t>(r.request.action);
  hot.purpose = r.request.purpose;
  if (hot.fits) {
    hot.category_count = static_cast<std::uint32_t>(r.categories.size());
    std::copy(r.categories.data(), r.categories.data() + r.categories.size(), hot.categories);
    std::copy(r.held.data(), r.held.data() + r.held.size(), hot.held);
    std::copy(p.slots.begin(), p.slots.end(), hot.slots);
  }
  std::memcpy(prepared.hot_, &hot, sizeof hot);
  return prepared;
}

void Engine::check(const PreparedRequest& prepared, Decision& out) const {
  const Policy& policy = impl_->acquire();
  if (!prepared.impl_) {
    out = check(Request{});  // an empty PreparedRequest is malformed
    return;
  }
  detail::PreparedHot hot;
  std::memcpy(&hot, prepared.hot_, sizeof hot);
  const auto& cold = *prepared.impl_;
  if (hot.policy != &policy) {
    out = check(cold.request);  // prepared for another policy: its ids do not apply
    return;
  }
  if (!hot.fits) {
    detail::PreparedSource source{cold.slots.data()};
    detail::DecisionInput input = detail::input_of(cold.resolution, cold.request);
    input.signals = &cold.signals;
    const Timestamp now = impl_->decide(policy, input, source, out, false);
    impl_->record(cold.request, now, out);
    return;
  }
  detail::DecisionInput input;
  input.request.malformed = hot.malformed;
  input.request.action = hot.action;
  input.request.purpose = hot.purpose;
  input.request.unknown_role = hot.unknown_role;
  input.request.held = hot.held;
  if (hot.has_collected) input.request.collected_at = hot.collected_at;
  input.categories = hot.categories;
  input.category_count = hot.category_count;
  if (hot.has_time) input.time = hot.time;
  input.has_subject = hot.has_subject;
  input.consent_in_request = hot.consent_in_request;
  input.consent = &cold.resolution.consent;
  input.signals_in_request = hot.signals_in_request;
  input.signals = &cold.signals;
  input.original = &cold.request;
  detail::PreparedSource source{hot.slots};
  const Timestamp now = impl_->decide(policy, input, source, out, false);
  if (impl_->options.audit) impl_->record(cold.request, now, out);
}

}  // namespace custos
