#include "audit/entry.hpp"

#include <cstring>

#include "audit/log_file.hpp"
#include "base/time.hpp"
#include "crypto/crypto.hpp"

namespace custos::audit {
namespace {

const char* kind_name(AccessRecord::Kind kind) {
  switch (kind) {
    case AccessRecord::Kind::kRead:
      return "read";
    case AccessRecord::Kind::kDecision:
      return "decision";
    case AccessRecord::Kind::kPurge:
      return "purge";
  }
  return "read";
}

}  // namespace

std::string canonical(const nlohmann::json& value) {
  // nlohmann::json keeps object keys in a std::map: sorted by their bytes.
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

PendingEntry make_entry(const AccessRecord& r) {
  PendingEntry out;
  nlohmann::json e = nlohmann::json::object();  // never null: src/capi/capi.cpp
  e["time"] = detail::format_rfc3339(r.time);
  e["kind"] = kind_name(r.kind);
  e["actor"] = r.actor;
  e["roles"] = r.roles;
  e["purpose"] = r.purpose;
  e["action"] = r.action;
  nlohmann::json categories = nlohmann::json::array();
  std::vector<std::string> rules;
  for (const auto& c : r.columns) {
    nlohmann::json reasons = nlohmann::json::array();
    for (Reason reason : c.withheld) reasons.push_back(reason_code(reason));
    categories.push_back({{"table", c.table},
                          {"column", c.column},
                          {"category", c.category},
                          {"effect", c.allowed ? "allow" : "deny"},
                          {"transform", c.allowed ? c.transform.to_string() : std::string()},
                          {"rule", c.rule},
                          {"reasons", reasons}});
    if (!c.rule.empty()) rules.push_back(c.rule);
  }
  std::sort(rules.begin(), rules.end());
  rules.erase(std::unique(rules.begin(), rules.end()), rules.end());
  e["categories"] = std::move(categories);
  e["rules"] = rules;
  e["rows"] = r.rows;
  e["sql"] = r.sql;
  e["fingerprint"] = r.sql.empty() ? std::string() : r.fingerprint;
  e["refused"] = r.refused;
  e["refusal"] = r.refusal;
  e["policy"] = {{"name", std::string(r.policy.name())},
                 {"version", r.policy.version},
                 {"sha256", r.policy.sha256_hex()}};
  // A large read in order (a guarded scan's usual case) is encoded straight
  // from the record: no copy of a million ids. Anything else is sorted first.
  const bool in_order = r.subjects.size() > kMaxListedSubjects && subjects_sorted(r.subjects);
  std::vector<std::string> sorted;
  if (!in_order) {
    sorted = r.subjects;
    sort_subjects(sorted);
  }
  const std::vector<std::string>& ids = in_order ? r.subjects : sorted;
  if (ids.size() > kMaxListedSubjects) {
    out.encoded_set = encode_subject_set(ids);
    const crypto::Digest d = crypto::sha256(out.encoded_set);
    e["subjects"] = {{"count", ids.size()}, {"sha256", hex(d)}};
  } else {
    e["subjects"] = ids;
    out.subjects = std::move(sorted);  // for the subject index
  }
  // Split at `seq`: the members that sort before it, then those after it.
  nlohmann::json after = nlohmann::json::object();
  for (const char* key : {"sql", "subjects", "time"}) {
    after[key] = std::move(e[key]);
    e.erase(key);
  }
  out.before_seq = canonical(e);
  out.before_seq.back() = ',';  // the closing brace
  out.after_seq = canonical(after);
  out.after_seq.front() = ',';  // the opening brace
  return out;
}

std::string finish_entry(const PendingEntry& pending, std::uint64_t seq) {
  std::string text;
  text.reserve(pending.before_seq.size() + pending.after_seq.size() + 28);
  text += pending.before_seq;
  text += "\"seq\":";
  text += std::to_string(seq);
  text += pending.after_seq;
  return text;
}

}  // namespace custos::audit

namespace custos::audit {
namespace {

// The index of the first '"' or '\\' in data[i, size), or size.
std::size_t next_quote_or_backslash(const char* data, std::size_t i, std::size_t size) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  // A word's byte is zero iff its bit 7 survives (v - 0x01..) & ~v & 0x80..;
  // the lowest such bit is always exact (the first byte comes first).
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL, kHighs = 0x8080808080808080ULL;
  const auto zero_bytes = [](std::uint64_t v) { return (v - kOnes) & ~v & kHighs; };
  for (; i + 8 <= size; i += 8) {
    std::uint64_t w;
    std::memcpy(&w, data + i, 8);
    const std::uint64_t hits = zero_bytes(w ^ (kOnes * '"')) | zero_bytes(w ^ (kOnes * '\\'));
    if (hits) return i + static_cast<std::size_t>(__builtin_ctzll(hits)) / 8;
  }
#endif
  while (i < size && data[i] != '"' && data[i] != '\\') ++i;
  return i;
}

// A strict one-pass reader of canonical JSON text (no whitespace), used by
// verification instead of a full parse: 20 times cheaper, and the chain has
// already proved the bytes are the ones written.
class Scanner {
 public:
  explicit Scanner(std::string_view text) : t_(text) {}

  bool at_end() const { return i_ == t_.size(); }
  bool eat(char c) {
    if (i_ >= t_.size() || t_[i_] != c) return false;
    ++i_;
    return true;
  }
  char peek() const { return i_ < t_.size() ? t_[i_] : '\0'; }

  // A string at the cursor; its unescaped bytes go to `out` when given.
  bool string(std::string* out) {
    if (!eat('"')) return false;
    const char* const data = t_.data();
    const std::size_t size = t_.size();
    if (!out) {
      // Skipped: up to the closing quote, stepping over each escape (its
      // backslash and the byte after it). Eight bytes at a time while none
      // is a quote or a backslash: most strings end within two words.
      while (i_ < size) {
        i_ = next_quote_or_backslash(data, i_, size);
        if (i_ >= size) return false;
        if (data[i_] == '"') {
          ++i_;
          return true;
        }
        i_ += 2;  // a backslash and the byte it escapes
      }
      return false;
    }
    while (i_ < size) {
      // A run of plain bytes, copied at once.
      std::size_t j = i_;
      while (j < size && data[j] != '"' && data[j] != '\\' &&
             static_cast<unsigned char>(data[j]) >= 0x20) {
        ++j;
      }
      if (out) out->append(data + i_, j - i_);
      i_ = j;
      if (i_ >= size) return false;
      const char c = t_[i_++];
      if (c == '"') return true;
      if (c != '\\') return false;  // a control character
      if (i_ >= t_.size()) return false;
      const char e = t_[i_++];
      char plain = 0;
      switch (e) {
        case '"':
          plain = '"';
          break;
        case '\\':
          plain = '\\';
          break;
        case '/':
          plain = '/';
          break;
        case 'b':
          plain = '\b';
          break;
        case 'f':
          plain = '\f';
          break;
        case 'n':
          plain = '\n';
          break;
        case 'r':
          plain = '\r';
          break;
        case 't':
          plain = '\t';
          break;
        case 'u': {
          if (i_ + 4 > t_.size()) return false;
          unsigned code = 0;
          for (int k = 0; k < 4; ++k) {
            const char h = t_[i_++];
            code <<= 4;
            if (h >= '0' && h <= '9')
              code |= static_cast<unsigned>(h - '0');
            else if (h >= 'a' && h <= 'f')
              code |= static_cast<unsigned>(h - 'a' + 10);
            else if (h >= 'A' && h <= 'F')
              code |= static_cast<unsigned>(h - 'A' + 10);
            else
              return false;
          }
          // Canonical text escapes only control characters this way.
          if (code >= 0x20) return false;
          plain = static_cast<char>(code);
          break;
        }
        default:
          return false;
      }
      if (out) out->push_back(plain);
    }
    return false;
  }

  bool unsigned_integer(std::uint64_t& out) {
    const std::size_t start = i_;
    out = 0;
    while (i_ < t_.size() && t_[i_] >= '0' && t_[i_] <= '9') {
      if (out > (UINT64_MAX - 9) / 10) return false;
      out = out * 10 + static_cast<std::uint64_t>(t_[i_++] - '0');
    }
    const std::size_t n = i_ - start;
    return n > 0 && !(n > 1 && t_[start] == '0');
  }

  // Any value, skipped; nesting bounded.
  bool value(int depth = 0) {
    if (depth > 32) return false;
    const char c = peek();
    if (c == '"') return string(nullptr);
    if (c == '[' || c == '{') {
      const bool object = c == '{';
      ++i_;
      if (eat(object ? '}' : ']')) return true;
      do {
        if (object && !(string(nullptr) && eat(':'))) return false;
        if (!value(depth + 1)) return false;
      } while (eat(','));
      return eat(object ? '}' : ']');
    }
    if (c == 't') return literal("true");
    if (c == 'f') return literal("false");
    if (c == 'n') return literal("null");
    eat('-');
    std::uint64_t ignored;
    return unsigned_integer(ignored);  // entries hold integers only
  }

  bool literal(std::string_view word) {
    if (t_.substr(i_, word.size()) != word) return false;
    i_ += word.size();
    return true;
  }

  // An object; `member(key)` reads each member's value.
  template <typename F>
  bool object(F&& member) {
    if (!eat('{')) return false;
    if (eat('}')) return true;
    std::string key;
    do {
      key.clear();
      if (!string(&key) || !eat(':') || !member(key)) return false;
    } while (eat(','));
    return eat('}');
  }

  // An array; `element()` reads each element.
  template <typename F>
  bool array(F&& element) {
    if (!eat('[')) return false;
    if (eat(']')) return true;
    do {
      if (!element()) return false;
    } while (eat(','));
    return eat(']');
  }

  bool strings(std::vector<std::string>& out) {
    return array([&] {
      out.emplace_back();
      return string(&out.back());
    });
  }

 private:
  std::string_view t_;
  std::size_t i_ = 0;
};

}  // namespace

bool scan_entry(std::string_view text, EntryShape& out) {
  // FORMAT.md 3.2's members in canonical (byte) order, with the first byte
  // of their type: '"' string, '[' array, '{' object, '0' integer, 'b' boolean.
  // Each key with its quotes, the colon, and the comma before it.
  static constexpr std::pair<std::string_view, char> kMembers[] = {
      {"{\"action\":", '"'},      {",\"actor\":", '"'},   {",\"categories\":", '['},
      {",\"fingerprint\":", '"'}, {",\"kind\":", '"'},    {",\"policy\":", '{'},
      {",\"purpose\":", '"'},     {",\"refusal\":", '"'}, {",\"refused\":", 'b'},
      {",\"roles\":", '['},       {",\"rows\":", '0'},    {",\"rules\":", '['},
      {",\"seq\":", 's'},         {",\"sql\":", '"'},     {",\"subjects\":", '*'},
      {",\"time\":", '"'},
  };
  Scanner s(text);
  for (const auto& [key, type] : kMembers) {
    if (!s.literal(key)) return false;
    if (type == 's') {
      if (!s.unsigned_integer(out.seq)) return false;
    } else if (type == '*') {
      out.listed.clear();
      if (s.eat('[')) {
        out.subject_set = false;
        if (!s.eat(']')) {
          do {
            out.listed.emplace_back();
            if (!s.string(&out.listed.back())) return false;
          } while (s.eat(','));
          if (!s.eat(']')) return false;
        }
      } else {
        out.subject_set = true;
        out.set_sha256.clear();
        std::string count_key, sha_key;
        if (!(s.eat('{') && s.string(&count_key) && count_key == "count" && s.eat(':') &&
              s.unsigned_integer(out.set_count) && s.eat(',') && s.string(&sha_key) &&
              sha_key == "sha256" && s.eat(':') && s.string(&out.set_sha256) && s.eat('}'))) {
          return false;
        }
      }
    } else if (type == '0') {
      std::uint64_t ignored;
      if (!s.unsigned_integer(ignored)) return false;
    } else if (type == 'b') {
      if (s.peek() != 't' && s.peek() != 'f') return false;
      if (!s.value()) return false;
    } else {
      if (s.peek() != type || !s.value()) return false;
    }
  }
  return s.eat('}') && s.at_end();
}

}  // namespace custos::audit

namespace custos::audit {

bool scan_access(std::string_view text, ScannedAccess& out) {
  EntryShape shape;
  if (!scan_entry(text, shape)) return false;  // members, order and types as written
  out.subject_set = shape.subject_set;
  Scanner s(text);
  return s.object([&](const std::string& key) {
    if (key == "time") return s.string(&out.time);
    if (key == "kind") return s.string(&out.kind);
    if (key == "actor") return s.string(&out.actor);
    if (key == "purpose") return s.string(&out.purpose);
    if (key == "action") return s.string(&out.action);
    if (key == "roles") return s.strings(out.roles);
    if (key == "rules") return s.strings(out.rules);
    if (key == "categories") {
      return s.array([&] {
        ScannedAccess::Category c;
        const bool ok = s.object([&](const std::string& k) {
          if (k == "category") return s.string(&c.category);
          if (k == "effect") return s.string(&c.effect);
          if (k == "transform") return s.string(&c.transform);
          return s.value();
        });
        out.categories.push_back(std::move(c));
        return ok;
      });
    }
    if (key == "policy") {
      return s.object([&](const std::string& k) {
        if (k == "name") return s.string(&out.policy_name);
        if (k == "version") return s.unsigned_integer(out.policy_version);
        return s.value();
      });
    }
    return s.value();
  });
}

}  // namespace custos::audit
