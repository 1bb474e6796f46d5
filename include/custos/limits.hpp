// Limits on untrusted input, all in one place.
//
// Policy text, request JSON and database contents may come from people or
// programs Custos cannot trust. Every size or depth that could make a parser
// recurse, allocate or loop without bound is capped here, with the reason for
// its value. Exceeding a limit is a diagnostic or a `bad_request` deny, never
// a crash. Raise a limit only with a test that shows the new value is safe.
//
// Thread-safety: constants only.
#ifndef CUSTOS_LIMITS_HPP
#define CUSTOS_LIMITS_HPP

#include <cstddef>
#include <cstdint>

namespace custos::limits {

// Largest policy file accepted. 100,000 rules of ~100 bytes fit with room to
// spare; anything bigger is not a hand-written policy.
inline constexpr std::size_t kMaxPolicyBytes = 32u * 1024 * 1024;

// Deepest nesting of parentheses, lists and operators in a condition. The
// parser, checker, formatter and compiler recurse over expressions; this cap
// bounds their stack use (well under 1 MiB) whatever the input.
inline constexpr int kMaxExpressionDepth = 64;

// Most top-level statements in one policy. Compile time and memory grow
// linearly with it; a million statements still compiles in seconds.
inline constexpr std::size_t kMaxStatements = 1'000'000;

// Longest string literal (bytes). Strings are ids, regions and times, never
// documents.
inline constexpr std::size_t kMaxStringBytes = 4096;

// Longest policy name (`policy "NAME" version N`), in bytes. Every decision
// and audit entry carries the name inline, so filling a decision never
// allocates; names are identifiers such as "acme-crm", not sentences.
inline constexpr std::size_t kMaxPolicyNameBytes = 64;

// Longest name (bytes, all dotted parts together) and most parts in a dotted
// name. Hierarchy walks are linear in the number of parts.
inline constexpr std::size_t kMaxNameBytes = 256;
inline constexpr std::size_t kMaxNameParts = 16;

// Most roles in one policy, and the deepest chain of role inheritance. A
// decision holds the actor's roles as a bit set of this many bits, and each
// role's inherited roles are precomputed: 4,096 roles cost at most 2 MiB.
// Roles are job functions, not people; 300,000 role lines once exhausted
// memory here.
inline constexpr std::size_t kMaxRoles = 4096;
inline constexpr std::size_t kMaxRoleDepth = 64;

// Most items in one list (names in a declaration, categories in a rule,
// elements of a list literal).
inline constexpr std::size_t kMaxListItems = 10'000;

// Diagnostics reported for one file; after that one note says how many more
// were suppressed. A file of random bytes would otherwise print one error per
// byte.
inline constexpr std::size_t kMaxDiagnostics = 100;

// The compiled rule index holds, per action, purpose and leaf category, the
// rules that could apply there. These caps bound its memory (about 12 bytes
// a cell, 8 an entry: under 200 MiB together); a policy past them fails to
// compile with kLimitExceeded rather than exhausting memory.
inline constexpr std::size_t kMaxDecisionCells = std::size_t{1} << 22;
inline constexpr std::size_t kMaxRuleIndexEntries = std::size_t{1} << 24;

// Largest request JSON accepted by the request decoder, and most categories
// in one request. A request names what one read touches, not a database dump.
inline constexpr std::size_t kMaxRequestBytes = 1024 * 1024;
inline constexpr std::size_t kMaxRequestCategories = 1024;

// Most consent records in one request, and nesting depth of request JSON.
inline constexpr std::size_t kMaxRequestConsentRecords = 4096;
inline constexpr int kMaxJsonDepth = 32;

// Longest subject, purpose and source (bytes) of one consent record. They
// are ids and short labels ("signup-form"), never documents; the cap keeps
// one hostile caller from filling the store a megabyte at a time.
inline constexpr std::size_t kMaxConsentFieldBytes = 1024;

// Largest pseudonym key file read. A key is 64 hex digits and a line break;
// a bigger file is not a key (and is not worth reading into memory).
inline constexpr std::size_t kMaxKeyFileBytes = 1024;

// Longest TC string accepted (bytes, all segments). Browsers cap a cookie at
// 4 KiB, and real strings with many publisher restrictions stay within a
// few KiB; decoding is linear in the length, so this cap bounds its time
// (well under a millisecond) and memory.
inline constexpr std::size_t kMaxTcStringBytes = 64 * 1024;

}  // namespace custos::limits

#endif  // CUSTOS_LIMITS_HPP
