#include "audit/entry.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>

#include "audit/log_file.hpp"
#include "base/text.hpp"
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

namespace {

// Canonical JSON written directly (FORMAT.md 3.1): members in their sorted
// order below, strings escaped by append_json_string (its rules are 3.1's).
// Building and dumping a JSON tree cost the caller's thread ~25 us an entry.
void append_string(std::string& out, std::string_view text) {
  detail::append_json_string(out, text);
}

void append_strings(std::string& out, const std::vector<std::string>& items) {
  out += '[';
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out += ',';
    append_string(out, items[i]);
  }
  out += ']';
}

template <typename Integer>
void append_integer(std::string& out, Integer value) {
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
  out.append(digits, static_cast<std::size_t>(end - digits));
}

}  // namespace

PendingEntry make_entry(const AccessRecord& r) {
  PendingEntry out;
  std::vector<std::string> rules;
  for (const auto& c : r.columns) {
    if (!c.rule.empty()) rules.push_back(c.rule);
  }
  std::sort(rules.begin(), rules.end());
  rules.erase(std::unique(rules.begin(), rules.end()), rules.end());

  // The members that sort before `seq`, ending with the comma before it.
  std::string& b = out.before_seq;
  b.reserve(256 + 192 * r.columns.size());
  b += "{\"action\":";
  append_string(b, r.action);
  b += ",\"actor\":";
  append_string(b, r.actor);
  b += ",\"categories\":[";
  for (std::size_t i = 0; i < r.columns.size(); ++i) {
    const auto& c = r.columns[i];
    if (i) b += ',';
    b += "{\"category\":";
    append_string(b, c.category);
    b += ",\"column\":";
    append_string(b, c.column);
    b += c.allowed ? ",\"effect\":\"allow\"" : ",\"effect\":\"deny\"";
    b += ",\"reasons\":[";
    for (std::size_t k = 0; k < c.withheld.size(); ++k) {
      if (k) b += ',';
      append_string(b, reason_code(c.withheld[k]));
    }
    b += "],\"rule\":";
    append_string(b, c.rule);
    b += ",\"table\":";
    append_string(b, c.table);
    b += ",\"transform\":";
    append_string(b, c.allowed ? c.transform.to_string() : std::string());
    b += '}';
  }
  b += "],\"fingerprint\":";
  append_string(b, r.sql.empty() ? std::string_view() : std::string_view(r.fingerprint));
  b += ",\"kind\":";
  append_string(b, kind_name(r.kind));
  b += ",\"policy\":{\"name\":";
  append_string(b, r.policy.name());
  b += ",\"sha256\":";
  append_string(b, r.policy.sha256_hex());
  b += ",\"version\":";
  append_integer(b, r.policy.version);
  b += "},\"purpose\":";
  append_string(b, r.purpose);
  b += ",\"refusal\":";
  append_string(b, r.refusal);
  b += r.refused ? ",\"refused\":true" : ",\"refused\":false";
  b += ",\"roles\":";
  append_strings(b, r.roles);
  b += ",\"rows\":";
  append_integer(b, r.rows);
  b += ",\"rules\":";
  append_strings(b, rules);
  b += ',';

  // The members after it: sql, subjects, time.
  std::string& a = out.after_seq;
  a.reserve(64 + r.sql.size() + 16 * std::min<std::size_t>(r.subjects.size(), 64));
  a += ",\"sql\":";
  append_string(a, r.sql);
  a += ",\"subjects\":";
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
    a += "{\"count\":";
    append_integer(a, ids.size());
    a += ",\"sha256\":";
    append_string(a, hex(crypto::sha256(out.encoded_set)));
    a += '}';
  } else {
    append_strings(a, ids);
    out.subjects = std::move(sorted);  // for the subject index
  }
  a += ",\"time\":";
  append_string(a, detail::format_rfc3339(r.time));
  a += '}';
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

namespace {

// Reads `text` as an entry (FORMAT.md 3.2) in one pass: exactly its members,
// in canonical (byte) order, each of its type; each `categories` element
// and `policy` with exactly their members, in order. Fills `shape`, and
// `access` when given (a report's fields); skips the rest.
bool scan(std::string_view text, EntryShape& shape, ScannedAccess* access) {
  enum Member {
    kAction,
    kActor,
    kCategories,
    kFingerprint,
    kKind,
    kPolicy,
    kPurpose,
    kRefusal,
    kRefused,
    kRoles,
    kRows,
    kRules,
    kSeq,
    kSql,
    kSubjects,
    kTime
  };
  // Each key with its quotes, the colon, and the brace or comma before it.
  static constexpr std::string_view kKeys[] = {
      "{\"action\":",  ",\"actor\":",  ",\"categories\":", ",\"fingerprint\":",
      ",\"kind\":",    ",\"policy\":", ",\"purpose\":",    ",\"refusal\":",
      ",\"refused\":", ",\"roles\":",  ",\"rows\":",       ",\"rules\":",
      ",\"seq\":",     ",\"sql\":",    ",\"subjects\":",   ",\"time\":",
  };
  Scanner s(text);
  const auto text_member = [&](std::string* out) { return s.peek() == '"' && s.string(out); };
  const auto strings_member = [&](std::vector<std::string>* out) {
    if (s.peek() != '[') return false;
    if (!out) return s.array([&] { return s.string(nullptr); });
    out->clear();
    return s.strings(*out);
  };
  for (int m = kAction; m <= kTime; ++m) {
    if (!s.literal(kKeys[m])) return false;
    bool ok = false;
    switch (m) {
      case kAction:
        ok = text_member(access ? &access->action : nullptr);
        break;
      case kActor:
        ok = text_member(access ? &access->actor : nullptr);
        break;
      case kKind:
        ok = text_member(access ? &access->kind : nullptr);
        break;
      case kPurpose:
        ok = text_member(access ? &access->purpose : nullptr);
        break;
      case kTime:
        ok = text_member(access ? &access->time : nullptr);
        break;
      case kFingerprint:
      case kRefusal:
      case kSql:
        ok = text_member(nullptr);
        break;
      case kRoles:
        ok = strings_member(access ? &access->roles : nullptr);
        break;
      case kRules:
        ok = strings_member(access ? &access->rules : nullptr);
        break;
      case kRefused:
        ok = s.literal("true") || s.literal("false");
        break;
      case kRows: {
        std::uint64_t ignored;
        ok = s.unsigned_integer(ignored);
        break;
      }
      case kSeq:
        ok = s.unsigned_integer(shape.seq);
        break;
      case kCategories:
        if (access) access->categories.clear();
        ok = s.array([&] {
          ScannedAccess::Category c;
          std::string* const none = nullptr;
          const bool read =
              s.literal("{\"category\":") && text_member(access ? &c.category : none) &&
              s.literal(",\"column\":") && text_member(none) && s.literal(",\"effect\":") &&
              text_member(access ? &c.effect : none) && s.literal(",\"reasons\":") &&
              strings_member(nullptr) && s.literal(",\"rule\":") && text_member(none) &&
              s.literal(",\"table\":") && text_member(none) && s.literal(",\"transform\":") &&
              text_member(access ? &c.transform : none) && s.eat('}');
          if (read && access) access->categories.push_back(std::move(c));
          return read;
        });
        break;
      case kPolicy: {
        if (!(s.literal("{\"name\":") && text_member(access ? &access->policy_name : nullptr) &&
              s.literal(",\"sha256\":") && text_member(nullptr) && s.literal(",\"version\":"))) {
          break;
        }
        const bool negative = s.eat('-');
        std::uint64_t version = 0;
        ok = s.unsigned_integer(version) && version <= INT64_MAX && s.eat('}');
        if (ok && access) {
          const auto magnitude = static_cast<std::int64_t>(version);
          access->policy_version = negative ? -magnitude : magnitude;
        }
        break;
      }
      case kSubjects:
        shape.listed.clear();
        if (s.eat('[')) {
          shape.subject_set = false;
          if (!s.eat(']')) {
            do {
              shape.listed.emplace_back();
              if (!s.string(&shape.listed.back())) return false;
            } while (s.eat(','));
            if (!s.eat(']')) return false;
          }
          ok = true;
        } else {
          shape.subject_set = true;
          shape.set_sha256.clear();
          ok = s.literal("{\"count\":") && s.unsigned_integer(shape.set_count) &&
               s.literal(",\"sha256\":") && s.string(&shape.set_sha256) && s.eat('}');
        }
        break;
    }
    if (!ok) return false;
  }
  return s.eat('}') && s.at_end();
}

}  // namespace

bool scan_entry(std::string_view text, EntryShape& out) {
  return scan(text, out, nullptr);
}

bool scan_access(std::string_view text, ScannedAccess& out) {
  EntryShape shape;
  if (!scan(text, shape, &out)) return false;
  out.subject_set = shape.subject_set;
  return true;
}

}  // namespace custos::audit
