// Engine: resolves requests against the current policy and runs the
// evaluator; keeps the policy swappable without locks on the hot path.
#include "custos/engine.hpp"

#include <array>
#include <atomic>
#include <chrono>
#include <mutex>

#include "custos/consent.hpp"
#include "engine/evaluator.hpp"
#include "engine/transform.hpp"

namespace custos {
namespace detail {
namespace {

Timestamp system_clock_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

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
    if (id) {
      v.tag = RtValue::Tag::kString;
      v.text = *id;
    }
    return v;
  }
  const Attributes* attributes = attributes_of(r, slot.root);
  if (!attributes) return RtValue{};
  const auto it = attributes->find(slot.name);
  if (it == attributes->end()) return RtValue{};
  return to_runtime(it->second, slot.declared, arena);
}

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
        arena_.reserve(list_items_in(request_));  // list items never move afterwards
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

// Request-level resolution: everything but the time and the consent store.
struct Resolution {
  ResolvedRequest request;
  std::vector<std::int32_t> categories;  // category ids, -1 unknown
  std::vector<std::uint64_t> held;       // role set
  std::vector<ResolvedConsent> consent;  // from the request, purposes resolved
  bool consent_in_request = false;
};

void resolve_consent(const CompiledPolicy& policy, const std::vector<ConsentRecord>& records,
                     std::vector<ResolvedConsent>& out) {
  out.clear();
  for (const auto& r : records) {
    const auto it = policy.purpose_ids.find(r.purpose);
    if (it == policy.purpose_ids.end()) continue;  // not a purpose of this policy
    out.push_back(ResolvedConsent{it->second, r.state, r.at, r.expires});
  }
}

void resolve(const CompiledPolicy& policy, const Request& r, Resolution& out) {
  ResolvedRequest& rr = out.request;
  rr = ResolvedRequest{};
  rr.malformed =
      !r.malformed.empty() || (r.action != "read" && r.action != "share") || r.categories.empty();
  rr.action = r.action == "share" ? 1 : 0;
  const auto purpose = policy.purpose_ids.find(r.purpose);
  if (purpose != policy.purpose_ids.end() &&
      policy.purpose_basis[purpose->second] != lang::Basis::kNone) {
    rr.purpose = static_cast<std::int32_t>(purpose->second);
  }
  out.held.assign(policy.role_words, 0);
  bool any_declared = false;
  for (const auto& name : r.actor.roles) {
    const auto it = policy.role_ids.find(name);
    if (it == policy.role_ids.end()) continue;
    any_declared = true;
    const std::uint64_t* closure =
        &policy.role_closure[static_cast<std::size_t>(it->second) * policy.role_words];
    for (std::uint32_t w = 0; w < policy.role_words; ++w) out.held[w] |= closure[w];
  }
  rr.unknown_role = !r.actor.roles.empty() && !any_declared;
  rr.collected_at = r.collected_at;
  out.categories.clear();
  for (const auto& c : r.categories) {
    const auto it = policy.category_ids.find(c);
    out.categories.push_back(
        it == policy.category_ids.end() ? -1 : static_cast<std::int32_t>(it->second));
  }
  out.consent_in_request = r.subject && r.subject->consent;
  if (out.consent_in_request) resolve_consent(policy, *r.subject->consent, out.consent);
}

}  // namespace
}  // namespace detail

// ---- policy swapping ----

struct Engine::Impl {
  EngineOptions options;
  std::uint64_t id = 0;
  std::atomic<std::uint64_t> generation{1};
  mutable std::mutex mutex;  // guards `policy`; taken by reload() and cache refills
  std::shared_ptr<const Policy> policy;

  const Policy& acquire() const;
  Timestamp now(const Request& r) const { return r.time ? *r.time : options.clock(); }

  // Time- and store-dependent resolution, then the decision into `out`.
  template <typename Source>
  void decide(const Policy& policy, const Request& request, const detail::Resolution& resolution,
              Source& source, Decision& out, bool explain) const;
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

Engine::Engine(std::shared_ptr<const Policy> policy, EngineOptions options)
    : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  if (!impl_->options.clock) impl_->options.clock = detail::system_clock_now;
  impl_->id = next_engine_id.fetch_add(1);
  impl_->policy = std::move(policy);
}

Engine::~Engine() = default;

void Engine::reload(std::shared_ptr<const Policy> policy) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  impl_->policy = std::move(policy);
  impl_->generation.fetch_add(1, std::memory_order_release);
}

std::shared_ptr<const Policy> Engine::policy() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->policy;
}

Value Engine::apply(const Transform& transform, const Value& value) const {
  return detail::apply_transform(transform, value, impl_->options.pseudonym_key);
}

// ---- deciding ----

template <typename Source>
void Engine::Impl::decide(const Policy& policy, const Request& request,
                          const detail::Resolution& resolution, Source& source, Decision& out,
                          bool explain) const {
  const detail::CompiledPolicy& cp = policy.compiled();
  // A copy: a prepared request may be decided by many threads at once.
  detail::ResolvedRequest rr = resolution.request;
  rr.held = resolution.held.data();
  rr.now = now(request);
  rr.consent = detail::ConsentStatus::kNone;
  rr.consent_failed = false;
  if (!rr.malformed && rr.purpose >= 0) {
    const auto purpose = static_cast<std::uint32_t>(rr.purpose);
    if (resolution.consent_in_request) {
      rr.consent = detail::deciding_consent(cp, purpose, resolution.consent, rr.now);
    } else if (request.subject && options.consent_store) {
      auto records = options.consent_store->records(request.subject->id);
      if (!records.ok()) {
        rr.consent_failed = true;  // fail closed: no consent can be shown
      } else {
        thread_local std::vector<detail::ResolvedConsent> resolved;
        detail::resolve_consent(cp, **records, resolved);
        rr.consent = detail::deciding_consent(cp, purpose, resolved, rr.now);
      }
    }
  }
  thread_local std::vector<detail::RtValue> scratch;
  const std::size_t n = request.categories.size();
  out.items.resize(n);
  out.allowed = n > 0;
  for (std::size_t i = 0; i < n; ++i) {
    Decision::Item& item = out.items[i];
    item.explanation.clear();
    const detail::Verdict v = detail::decide_item(cp, rr, resolution.categories[i], source, scratch,
                                                  explain ? &item.explanation : nullptr);
    item.category.assign(request.categories[i]);
    item.allowed = v.reason == Reason::kNone;
    item.reason = v.reason;
    item.transform = item.allowed ? cp.transforms[v.transform] : Transform{};
    const bool names_rule =
        item.allowed || v.reason == Reason::kDeniedByRule || v.reason == Reason::kConditionError;
    if (names_rule && v.rule >= 0) {
      item.rule.assign(cp.rules[static_cast<std::size_t>(v.rule)].id);
    } else {
      item.rule.clear();
    }
    out.allowed = out.allowed && item.allowed;
  }
}

Decision Engine::check(const Request& request) const {
  const Policy& policy = impl_->acquire();
  detail::Resolution resolution;
  detail::resolve(policy.compiled(), request, resolution);
  detail::RequestSource source(policy.compiled(), request);
  Decision out;
  impl_->decide(policy, request, resolution, source, out, false);
  return out;
}

Decision Engine::explain(const Request& request) const {
  const Policy& policy = impl_->acquire();
  detail::Resolution resolution;
  detail::resolve(policy.compiled(), request, resolution);
  detail::RequestSource source(policy.compiled(), request);
  Decision out;
  impl_->decide(policy, request, resolution, source, out, true);
  return out;
}

Decision Engine::check_json(std::string_view json) const {
  return check(Request::from_json(json));
}

// ---- prepared requests ----

struct PreparedRequest::Impl {
  std::shared_ptr<const Policy> policy;  // the policy the ids belong to
  Request request;
  detail::Resolution resolution;
  std::vector<detail::RtValue> slots;
  std::vector<detail::RtValue> arena;  // list items of `slots`
};

PreparedRequest::PreparedRequest() = default;
PreparedRequest::~PreparedRequest() = default;
PreparedRequest::PreparedRequest(PreparedRequest&&) noexcept = default;
PreparedRequest& PreparedRequest::operator=(PreparedRequest&&) noexcept = default;

PreparedRequest Engine::prepare(const Request& request) const {
  PreparedRequest prepared;
  prepared.impl_ = std::make_unique<PreparedRequest::Impl>();
  auto& p = *prepared.impl_;
  {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    p.policy = impl_->policy;
  }
  p.request = request;
  const detail::CompiledPolicy& cp = p.policy->compiled();
  detail::resolve(cp, p.request, p.resolution);
  p.arena.reserve(detail::list_items_in(p.request));
  for (const auto& slot : cp.attributes.slots) {
    p.slots.push_back(detail::resolve_slot(slot, p.request, p.arena));
  }
  return prepared;
}

void Engine::check(const PreparedRequest& prepared, Decision& out) const {
  const Policy& policy = impl_->acquire();
  if (!prepared.impl_) {
    out = check(Request{});  // an empty PreparedRequest is malformed
    return;
  }
  auto& p = *prepared.impl_;
  if (&policy != p.policy.get()) {
    out = check(p.request);  // prepared for an older policy: ids do not apply
    return;
  }
  detail::PreparedSource source{p.slots.data()};
  impl_->decide(policy, p.request, p.resolution, source, out, false);
}

}  // namespace custos
