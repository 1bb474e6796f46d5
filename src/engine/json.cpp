// Request and decision JSON (policy-lang/REFERENCE.md, "Requests" and
// "Decisions"). The decoder never throws and never trusts its input: size
// and nesting are bounded before parsing, and every field is type-checked.
#include <algorithm>

#include <nlohmann/json.hpp>

#include "base/text.hpp"
#include "base/time.hpp"
#include "base/utf8.hpp"
#include "custos/decision.hpp"
#include "custos/limits.hpp"
#include "custos/request.hpp"
#include "engine/consent_history.hpp"
#include "engine/json_parse.hpp"

namespace custos {
namespace {

using nlohmann::json;

Value to_value(const json& j) {
  switch (j.type()) {
    case json::value_t::null:
      return Value::null();
    case json::value_t::boolean:
      return Value::of_bool(j.get<bool>());
    case json::value_t::number_integer:
      return Value::of_int(j.get<std::int64_t>());
    case json::value_t::number_unsigned: {
      const auto u = j.get<std::uint64_t>();
      if (u > static_cast<std::uint64_t>(INT64_MAX)) return Value::other();
      return Value::of_int(static_cast<std::int64_t>(u));
    }
    case json::value_t::number_float:
      return Value::of_real(j.get<double>());
    case json::value_t::string:
      return Value::of_text(j.get<std::string>());
    case json::value_t::array: {
      std::vector<Value> items;
      for (const auto& e : j) {
        if (e.is_array() || e.is_object()) return Value::other();
        items.push_back(to_value(e));
      }
      return Value::of_list(std::move(items));
    }
    default:
      return Value::other();
  }
}

nlohmann::ordered_json from_value(const Value& v) {
  switch (v.kind) {
    case Value::Kind::kNull:
      return nullptr;
    case Value::Kind::kBool:
      return v.boolean;
    case Value::Kind::kInt:
      return v.integer;
    case Value::Kind::kReal:
      return v.real;
    case Value::Kind::kText:
      return v.text;
    case Value::Kind::kList: {
      nlohmann::ordered_json out = nlohmann::ordered_json::array();
      for (const auto& e : v.list) out.push_back(from_value(e));
      return out;
    }
    case Value::Kind::kOther:
      return nlohmann::ordered_json::object();
  }
  return nullptr;
}

// Reads the request, recording the first problem in `error`.
class Decoder {
 public:
  explicit Decoder(Request& out) : out_(out) {}

  void bad(const std::string& why) {
    if (out_.malformed.empty()) out_.malformed = why;
  }

  bool present(const json& parent, const char* key) const {
    const auto it = parent.find(key);
    return it != parent.end() && !it->is_null();
  }

  void attributes(const json& parent, const char* key, const std::string& where, Attributes& out) {
    if (!present(parent, key)) return;
    const json& j = parent.at(key);
    if (!j.is_object()) return bad(where + " must be an object");
    for (const auto& [name, value] : j.items()) out[name] = to_value(value);
  }

  std::optional<std::string> id(const json& j, const std::string& where) {
    if (j.is_string()) return j.get<std::string>();
    if (j.is_number_integer() || j.is_number_unsigned()) return j.dump();
    bad(where + " must be a string or an integer");
    return std::nullopt;
  }

  std::optional<Timestamp> time(const json& parent, const char* key, const std::string& where) {
    if (!present(parent, key)) return std::nullopt;
    const json& j = parent.at(key);
    if (!j.is_string()) {
      bad(where + " must be an RFC 3339 time string");
      return std::nullopt;
    }
    const auto t = detail::parse_rfc3339(j.get<std::string>());
    if (!t) bad(where + " is not an RFC 3339 time: " + j.get<std::string>());
    return t;
  }

  void categories(const json& root) {
    if (!present(root, "categories")) return bad("categories is missing");
    const json& j = root.at("categories");
    if (!j.is_array()) return bad("categories must be an array of strings");
    if (j.size() > limits::kMaxRequestCategories) {
      return bad("more than " + std::to_string(limits::kMaxRequestCategories) + " categories");
    }
    std::vector<std::string> names;
    for (const auto& c : j) {
      if (!c.is_string()) return bad("categories must be an array of strings");
      names.push_back(c.get<std::string>());
    }
    if (names.empty()) return bad("categories is empty");
    out_.categories = std::move(names);
  }

  void actor(const json& root) {
    if (!present(root, "actor")) return bad("actor is missing");
    const json& a = root.at("actor");
    if (!a.is_object()) return bad("actor must be an object");
    if (present(a, "id")) out_.actor.id = id(a.at("id"), "actor.id");
    if (present(a, "roles")) {
      const json& roles = a.at("roles");
      if (!roles.is_array()) return bad("actor.roles must be an array of strings");
      for (const auto& r : roles) {
        if (!r.is_string()) return bad("actor.roles must be an array of strings");
        out_.actor.roles.push_back(r.get<std::string>());
      }
    }
    attributes(a, "attributes", "actor.attributes", out_.actor.attributes);
  }

  void subject(const json& root) {
    if (!present(root, "subject")) return;
    const json& s = root.at("subject");
    if (!s.is_object()) return bad("subject must be an object");
    Request::Subject subject;
    if (!present(s, "id")) return bad("subject.id is missing");
    if (auto i = id(s.at("id"), "subject.id")) subject.id = *i;
    attributes(s, "attributes", "subject.attributes", subject.attributes);
    if (present(s, "consent")) {
      const json& c = s.at("consent");
      if (!c.is_array()) return bad("subject.consent must be an array of records");
      if (c.size() > limits::kMaxRequestConsentRecords) {
        return bad("more than " + std::to_string(limits::kMaxRequestConsentRecords) +
                   " consent records");
      }
      std::vector<ConsentRecord> records;
      for (const auto& r : c) {
        if (!r.is_object()) return bad("a consent record must be an object");
        ConsentRecord record;
        if (!r.contains("purpose") || !r.at("purpose").is_string()) {
          return bad("a consent record needs a purpose string");
        }
        record.purpose = r.at("purpose").get<std::string>();
        if (!r.contains("state") || !r.at("state").is_string() ||
            !parse_consent_state(r.at("state").get<std::string>(), &record.state)) {
          return bad("a consent record's state must be granted, withdrawn or objected");
        }
        if (!present(r, "at")) return bad("a consent record needs `at`");
        const auto at = time(r, "at", "a consent record's at");
        if (!at) return;
        record.at = *at;
        record.expires = time(r, "expires", "a consent record's expires");
        if (present(r, "source")) {
          if (!r.at("source").is_string()) return bad("a consent record's source must be a string");
          record.source = r.at("source").get<std::string>();
        }
        records.push_back(std::move(record));
      }
      subject.consent = std::move(records);
    }
    if (present(s, "signals") && !signals(s.at("signals"), subject)) return;
    out_.subject = std::move(subject);
  }

  // `"signals": {"tcf": "...", "gpc": true}`. An unknown key is refused: a
  // misspelt "gcp" must not drop an opt-out in silence.
  bool signals(const json& j, Request::Subject& subject) {
    if (!j.is_object()) {
      bad("subject.signals must be an object");
      return false;
    }
    Request::Signals out;
    for (const auto& [key, value] : j.items()) {
      if (key == "tcf") {
        if (value.is_null()) continue;
        if (!value.is_string()) {
          bad("subject.signals.tcf must be a TC string");
          return false;
        }
        out.tcf = value.get<std::string>();
      } else if (key == "gpc") {
        if (value.is_null()) continue;
        if (!value.is_boolean()) {
          bad("subject.signals.gpc must be true or false");
          return false;
        }
        out.gpc = value.get<bool>();
      } else {
        bad("subject.signals has an unknown key " +
            json(key).dump(-1, ' ', false, json::error_handler_t::replace) +
            " (it takes tcf and gpc)");
        return false;
      }
    }
    subject.signals = std::move(out);
    return true;
  }

  void run(const json& root) {
    if (!root.is_object()) return bad("a request must be a JSON object");
    categories(root);  // first, so a malformed request still names them
    actor(root);
    if (!present(root, "action") || !root.at("action").is_string()) {
      bad("action must be a string");
    } else {
      out_.action = root.at("action").get<std::string>();
      if (out_.action != "read" && out_.action != "share") {
        bad("action must be read or share, not " + out_.action);
      }
    }
    if (!present(root, "purpose") || !root.at("purpose").is_string()) {
      bad("purpose must be a string");
    } else {
      out_.purpose = root.at("purpose").get<std::string>();
    }
    subject(root);
    out_.collected_at = time(root, "collected_at", "collected_at");
    if (present(root, "context")) {
      const json& c = root.at("context");
      if (!c.is_object()) {
        bad("context must be an object");
      } else {
        out_.time = time(c, "time", "context.time");
        attributes(c, "attributes", "context.attributes", out_.context);
      }
    }
  }

 private:
  Request& out_;
};

nlohmann::ordered_json consent_json(const ConsentRecord& r) {
  nlohmann::ordered_json j = {{"purpose", r.purpose},
                              {"state", consent_state_name(r.state)},
                              {"at", detail::format_rfc3339(r.at)}};
  if (r.expires) j["expires"] = detail::format_rfc3339(*r.expires);
  if (!r.source.empty()) j["source"] = r.source;
  return j;
}

}  // namespace

nlohmann::ordered_json detail::consent_history_json(std::string_view subject,
                                                    const std::vector<ConsentRecord>& records,
                                                    const std::vector<ConsentSignal>& signals) {
  using nlohmann::ordered_json;
  ordered_json out = ordered_json::object();  // never null: src/capi/capi.cpp
  out["subject"] = std::string(subject);
  out["records"] = ordered_json::array();
  for (const auto& r : records) {
    ordered_json j = ordered_json::object();
    j["purpose"] = r.purpose;
    j["state"] = consent_state_name(r.state);
    j["at"] = detail::format_rfc3339(r.at);
    if (r.expires) j["expires"] = detail::format_rfc3339(*r.expires);
    j["source"] = r.source;
    out["records"].push_back(std::move(j));
  }
  out["signals"] = ordered_json::array();
  for (const auto& s : signals) {
    ordered_json j = ordered_json::object();
    if (s.kind == SignalKind::kTcf) {
      j["tcf"] = s.tc_string;
    } else {
      j["gpc"] = s.gpc;
    }
    j["at"] = detail::format_rfc3339(s.at);
    j["source"] = s.source;
    out["signals"].push_back(std::move(j));
  }
  return out;
}

nlohmann::json detail::parse_json_unique_keys(std::string_view text, std::string* duplicate_key) {
  duplicate_key->clear();
  // The keys of each object being parsed, innermost last; checked when the
  // object closes (sorted, so a 10,000-key object costs n log n, not n^2).
  std::vector<std::vector<std::string>> open;
  bool duplicate = false;
  const json::parser_callback_t track = [&](int /*depth*/, json::parse_event_t event,
                                            json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start:
        open.emplace_back();
        break;
      case json::parse_event_t::key:
        if (!open.empty()) open.back().push_back(parsed.get<std::string>());
        break;
      case json::parse_event_t::object_end:
        if (!open.empty()) {
          auto& keys = open.back();
          std::sort(keys.begin(), keys.end());
          const auto twice = std::adjacent_find(keys.begin(), keys.end());
          if (twice != keys.end() && !duplicate) {
            duplicate = true;
            constexpr std::size_t kShown = 64;  // code points of the key in the message
            const std::size_t cut = detail::prefix_bytes(*twice, kShown);
            // Quoted and escaped as JSON, so a key with quotes or control
            // characters reads unambiguously in a message.
            *duplicate_key = json(twice->substr(0, cut) + (cut < twice->size() ? "..." : ""))
                                 .dump(-1, ' ', false, json::error_handler_t::replace);
          }
          open.pop_back();
        }
        break;
      default:
        break;
    }
    return true;
  };
  json root = json::parse(text, track, /*allow_exceptions=*/false);
  if (root.is_discarded()) {
    duplicate_key->clear();
    return root;
  }
  if (duplicate) return json(json::value_t::discarded);
  return root;
}

Request Request::from_json(std::string_view text) {
  Request out;
  if (text.size() > limits::kMaxRequestBytes) {
    out.malformed = "request is larger than " + std::to_string(limits::kMaxRequestBytes) + " bytes";
    return out;
  }
  if (detail::json_nesting_depth(text) > limits::kMaxJsonDepth) {
    out.malformed = "request is nested deeper than " + std::to_string(limits::kMaxJsonDepth);
    return out;
  }
  std::string duplicate;
  const json root = detail::parse_json_unique_keys(text, &duplicate);
  if (root.is_discarded()) {
    out.malformed = duplicate.empty() ? "request is not valid JSON"
                                      : "request has the key " + duplicate + " twice in one object";
    return out;
  }
  Decoder(out).run(root);
  return out;
}

std::string Request::to_json() const {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();  // never null: src/capi/capi.cpp
  nlohmann::ordered_json a = nlohmann::ordered_json::object();
  if (actor.id) a["id"] = *actor.id;
  a["roles"] = actor.roles;
  if (!actor.attributes.empty()) {
    for (const auto& [k, v] : actor.attributes) a["attributes"][k] = from_value(v);
  }
  j["actor"] = a;
  j["action"] = action;
  j["purpose"] = purpose;
  if (subject) {
    nlohmann::ordered_json s = {{"id", subject->id}};
    for (const auto& [k, v] : subject->attributes) s["attributes"][k] = from_value(v);
    if (subject->consent) {
      s["consent"] = nlohmann::ordered_json::array();
      for (const auto& r : *subject->consent) s["consent"].push_back(consent_json(r));
    }
    if (subject->signals) {
      s["signals"] = nlohmann::ordered_json::object();
      if (subject->signals->tcf) s["signals"]["tcf"] = *subject->signals->tcf;
      s["signals"]["gpc"] = subject->signals->gpc;
    }
    j["subject"] = s;
  }
  j["categories"] = categories;
  if (collected_at) j["collected_at"] = detail::format_rfc3339(*collected_at);
  if (time || !context.empty()) {
    nlohmann::ordered_json c = nlohmann::ordered_json::object();
    if (time) c["time"] = detail::format_rfc3339(*time);
    for (const auto& [k, v] : context) c["attributes"][k] = from_value(v);
    j["context"] = c;
  }
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::string Decision::PolicyId::sha256_hex() const {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(64, '0');
  for (std::size_t i = 0; i < sha256.size(); ++i) {
    out[2 * i] = kDigits[sha256[i] >> 4];
    out[2 * i + 1] = kDigits[sha256[i] & 15];
  }
  return out;
}

// Written by hand, in the member order of LANGUAGE.md: a decision is
// printed once per check on the JSON paths (CLI, C API), where a JSON tree
// cost more than the decision itself, and an allocation failing half-way
// through building one could leave it unsafe to destroy (nlohmann 3.11).
std::string Decision::to_json(bool explain) const {
  using detail::append_json_string;
  std::string out;
  out.reserve(96 + items.size() * 96);
  out += allowed ? "{\"allowed\":true,\"items\":[" : "{\"allowed\":false,\"items\":[";
  for (std::size_t n = 0; n < items.size(); ++n) {
    const Item& item = items[n];
    if (n) out += ',';
    out += "{\"category\":";
    append_json_string(out, item.category);
    out += item.allowed ? ",\"effect\":\"allow\"" : ",\"effect\":\"deny\"";
    if (item.allowed) {
      out += ",\"transform\":";
      append_json_string(out, item.transform.to_string());
      out += ",\"rule\":";
      append_json_string(out, item.rule);
    } else {
      out += ",\"reason\":";
      append_json_string(out, reason_code(item.reason));
      if (!item.rule.empty()) {
        out += ",\"rule\":";
        append_json_string(out, item.rule);
      }
    }
    if (explain) {
      out += ",\"explain\":[";
      for (std::size_t k = 0; k < item.explanation.size(); ++k) {
        const auto& e = item.explanation[k];
        if (k) out += ',';
        out += "{\"category\":";
        append_json_string(out, e.category);
        if (!e.rule.empty()) {
          out += ",\"rule\":";
          append_json_string(out, e.rule);
        }
        out += ",\"outcome\":";
        append_json_string(out, e.outcome);
        out += '}';
      }
      out += ']';
    }
    out += '}';
  }
  out += "],\"policy\":{\"name\":";
  append_json_string(out, policy.name());
  out += ",\"version\":";
  out += std::to_string(policy.version);
  out += ",\"sha256\":";
  append_json_string(out, policy.sha256_hex());
  out += "}}";
  return out;
}

}  // namespace custos
