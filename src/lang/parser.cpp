#include "lang/parser.hpp"

#include <algorithm>
#include <optional>
#include <string>

#include "base/text.hpp"
#include "base/time.hpp"
#include "custos/limits.hpp"
#include "lang/transforms.hpp"

namespace custos::lang {
namespace {

// Thrown after a syntax error has been reported; caught at the statement (or
// table entry) level, which then resynchronises. Never leaves this file.
struct SyntaxError {};

class Parser {
 public:
  Parser(const SourceFile& file, LexedSource lexed, DiagnosticSink& sink)
      : file_(file), sink_(sink) {
    out_.lexed = std::move(lexed);
  }

  ParsedPolicy run() {
    while (!at(Tok::kEnd)) {
      if (out_.ast.statements.size() >= limits::kMaxStatements) {
        sink_.error("E012", peek().span,
                    "too many statements (limit: " + std::to_string(limits::kMaxStatements) + ")");
        break;
      }
      const std::size_t start = pos_;
      statement_begin_ = peek().span.begin;
      try {
        parse_statement();
        if (!at(Tok::kEnd) && !at_statement_start()) {
          const bool same_line = file_.line_of(peek().span.begin) == file_.line_of(last_end_);
          error_here("expected the start of a new statement, found " + describe(peek().kind),
                     same_line && peek().kind == Tok::kName
                         ? "is a `,` missing before it?"
                         : "statements start with policy, category, purpose, role, attribute, "
                           "table, allow, deny, retain, assert or @id");
        }
      } catch (const SyntaxError&) {
        synchronize(start);
      }
    }
    return std::move(out_);
  }

 private:
  // ---- token access ----
  const Token& peek(std::size_t ahead = 0) const {
    const auto& tokens = out_.lexed.tokens;
    return tokens[std::min(pos_ + ahead, tokens.size() - 1)];
  }
  bool at(Tok kind) const { return peek().kind == kind; }
  const Token& advance() {
    const Token& t = peek();
    if (t.kind != Tok::kEnd) ++pos_;
    last_end_ = t.span.end;
    return t;
  }
  bool accept(Tok kind) {
    if (!at(kind)) return false;
    advance();
    return true;
  }
  std::string_view text_of(const Token& t) const {
    return file_.text().substr(t.span.begin, t.span.end - t.span.begin);
  }
  const std::string& string_of(const Token& t) const {
    return out_.lexed.strings[static_cast<std::size_t>(t.number)];
  }

  // True when a lexical error already lies between the start of the current
  // statement and `span`: a syntax error there is most likely its echo.
  bool follows_lexical_error(Span span) const {
    const auto& offsets = out_.lexed.error_offsets;
    const auto it = std::lower_bound(offsets.begin(), offsets.end(), statement_begin_);
    return it != offsets.end() && *it <= span.begin;
  }

  // Reports a syntax error that does not stop the statement.
  void report(const char* id, Span span, std::string message, std::string hint = {}) {
    if (!follows_lexical_error(span)) sink_.error(id, span, std::move(message), std::move(hint));
  }

  [[noreturn]] void error_at(Span span, std::string message, std::string hint = {},
                             const char* id = "E010") {
    report(id, span, std::move(message), std::move(hint));
    throw SyntaxError{};
  }
  [[noreturn]] void error_here(std::string message, std::string hint = {}) {
    error_at(peek().span, std::move(message), std::move(hint));
  }
  const Token& expect(Tok kind, const char* what) {
    if (!at(kind)) {
      error_here("expected " + describe(kind) + " " + what + ", found " + describe(peek().kind));
    }
    return advance();
  }

  // Skips to the next statement keyword after an error; always makes progress.
  void synchronize(std::size_t start) {
    if (pos_ == start) advance();
    while (!at(Tok::kEnd) && !at_statement_start()) advance();
  }

  // `assert` is not reserved: it starts a statement only when `never`,
  // `consent` or `at` follows it, so `assert` stays usable as a name.
  bool at_assertion() const {
    if (!at(Tok::kName) || text_of(peek()) != "assert" || peek(1).kind != Tok::kName) return false;
    const std::string_view next = text_of(peek(1));
    return next == "never" || next == "consent" || next == "at";
  }
  bool at_statement_start() const { return starts_statement(peek().kind) || at_assertion(); }

  // ---- names ----
  Name name_from(const Token& t) const { return Name{std::string(text_of(t)), t.span, false}; }

  // A declared or referenced name of a category, purpose or role.
  // Keywords that mark the grammar's structure: finding one where a name
  // should be means the name is missing, not misspelt.
  static bool structural(Tok kind) {
    switch (kind) {
      case Tok::kTo:
      case Tok::kFor:
      case Tok::kWhen:
      case Tok::kAs:
      case Tok::kBasis:
      case Tok::kSensitive:
      case Tok::kVia:
      case Tok::kVersion:
        return true;
      default:
        return starts_statement(kind);
    }
  }

  // One name of a list. A keyword used as a name is reported (E014) and
  // skipped, so the rest of the statement still counts; a missing name is a
  // syntax error.
  std::optional<Name> parse_list_name(const char* what) {
    if (at(Tok::kName)) {
      Name n = name_from(advance());
      const auto dot = n.text.find('.');
      if (dot != std::string::npos && is_keyword(std::string_view(n.text).substr(0, dot))) {
        report("E014", n.span,
               "a name cannot start with the keyword `" + n.text.substr(0, dot) + "`",
               "after a `.`, keywords are ordinary name parts, but not before it");
      }
      return n;
    }
    if (is_keyword(text_of(peek())) && !structural(peek().kind)) {
      report("E014", peek().span,
             "`" + std::string(text_of(peek())) + "` is a keyword, not " + what,
             "choose another name");
      advance();
      return std::nullopt;
    }
    error_here(std::string("expected ") + what + ", found " + describe(peek().kind));
  }

  Name parse_name(const char* what) {
    auto n = parse_list_name(what);
    if (!n) throw SyntaxError{};
    return std::move(*n);
  }

  std::vector<Name> parse_names(const char* what) {
    std::vector<Name> names;
    bool any = false;
    do {
      if (names.size() >= limits::kMaxListItems) {
        error_at(peek().span,
                 "list is too long (limit: " + std::to_string(limits::kMaxListItems) + " items)",
                 {}, "E012");
      }
      if (any && (at(Tok::kEnd) || at_statement_start())) {
        report("E010", out_.lexed.tokens[pos_ - 1].span, "a list cannot end with `,`",
               "remove the `,` or add the missing name");
        break;
      }
      any = true;
      if (auto n = parse_list_name(what)) names.push_back(std::move(*n));
    } while (accept(Tok::kComma));
    if (names.empty()) throw SyntaxError{};  // every item was reported
    return names;
  }

  NameList parse_name_list(const char* what) {
    NameList list;
    list.span.begin = peek().span.begin;
    if (accept(Tok::kStar)) {
      list.star = true;
    } else {
      list.names = parse_names(what);
    }
    list.span.end = last_end_;
    return list;
  }

  // A table or column name: an identifier or a quoted SQL name.
  Name parse_sql_name(const char* what) {
    if (at(Tok::kString)) {
      const Token& t = advance();
      return Name{string_of(t), t.span, true};
    }
    if (at(Tok::kName) && text_of(peek()).find('.') == std::string_view::npos) {
      return name_from(advance());
    }
    if (is_keyword(text_of(peek()))) {
      error_at(peek().span, "`" + std::string(text_of(peek())) + "` is a keyword, not " + what,
               "quote it: \"" + std::string(text_of(peek())) + "\"", "E014");
    }
    error_here(std::string("expected ") + what + ", found " + describe(peek().kind));
  }

  // ---- statements ----
  void parse_statement() {
    const std::uint32_t begin = peek().span.begin;
    StatementNode node;
    if (at_assertion()) {
      node = parse_assertion();
      out_.ast.statements.push_back(Statement{{begin, last_end_}, std::move(node)});
      return;
    }
    switch (peek().kind) {
      case Tok::kPolicy:
        node = parse_header();
        break;
      case Tok::kCategory:
        node = parse_category();
        break;
      case Tok::kPurpose:
        node = parse_purpose();
        break;
      case Tok::kRole:
        node = parse_role();
        break;
      case Tok::kAttribute:
        node = parse_attribute();
        break;
      case Tok::kTable:
        node = parse_table();
        break;
      case Tok::kAt:
      case Tok::kAllow:
      case Tok::kDeny:
        node = parse_rule();
        break;
      case Tok::kRetain:
        node = parse_retain();
        break;
      case Tok::kSignals:
        node = parse_signals();
        break;
      default:
        error_here("expected a statement, found " + describe(peek().kind),
                   at(Tok::kName) && text_of(peek()) == "assert"
                       ? "write `assert never ...`, `assert consent for ...` or `assert at most "
                         "TRANSFORM for ...`"
                       : "statements start with policy, category, purpose, role, attribute, "
                         "table, allow, deny, retain, assert or @id");
    }
    out_.ast.statements.push_back(Statement{{begin, last_end_}, std::move(node)});
  }

  PolicyHeader parse_header() {
    advance();
    PolicyHeader h;
    const Token& name = expect(Tok::kString, "(the policy's name) after `policy`");
    h.name = string_of(name);
    h.name_span = name.span;
    expect(Tok::kVersion, "after the policy's name");
    const Token& version = expect(Tok::kInteger, "after `version`");
    h.version = version.number;
    h.version_span = version.span;
    return h;
  }

  CategoryDecl parse_category() {
    advance();
    CategoryDecl d;
    d.names = parse_names("a category name");
    d.sensitive = accept(Tok::kSensitive);
    return d;
  }

  PurposeDecl parse_purpose() {
    advance();
    PurposeDecl d;
    d.names = parse_names("a purpose name");
    if (accept(Tok::kBasis)) {
      if (!at(Tok::kName)) {
        error_here("expected a legal basis after `basis`, found " + describe(peek().kind),
                   "bases are consent, legitimate_interest, contract, legal_obligation, "
                   "vital_interest and public_task");
      }
      d.basis = name_from(advance());
    }
    parse_purpose_signals(d);
    return d;
  }

  RoleDecl parse_role() {
    advance();
    RoleDecl d;
    d.names = parse_names("a role name");
    if (accept(Tok::kColon)) d.parents = parse_names("a parent role name");
    return d;
  }

  AttributeDecl parse_attribute() {
    advance();
    AttributeDecl d;
    if (!at(Tok::kName)) {
      error_here("expected an attribute path such as `actor.region`, found " +
                 describe(peek().kind));
    }
    d.path = name_from(advance());
    expect(Tok::kColon, "after the attribute path");
    d.type_span.begin = peek().span.begin;
    if (accept(Tok::kLBracket)) {
      const Token& element = advance();
      if (element.kind != Tok::kName || text_of(element) != "string") {
        error_at(element.span, "only lists of strings can be declared", "write `[string]`", "E044");
      }
      expect(Tok::kRBracket, "to close the list type");
      d.type = Type{BaseType::kString, true};
    } else {
      const Token& t = advance();
      const std::string_view word = text_of(t);
      if (t.kind == Tok::kTime) {
        d.type = Type{BaseType::kTime, false};
      } else if (t.kind == Tok::kName && word == "string") {
        d.type = Type{BaseType::kString, false};
      } else if (t.kind == Tok::kName && word == "int") {
        d.type = Type{BaseType::kInt, false};
      } else if (t.kind == Tok::kName && word == "bool") {
        d.type = Type{BaseType::kBool, false};
      } else {
        error_at(t.span, "unknown attribute type `" + std::string(word) + "`",
                 "types are string, int, bool, time and [string]", "E044");
      }
    }
    d.type_span.end = last_end_;
    return d;
  }

  // ---- rules ----
  Rule parse_rule() {
    Rule r;
    if (accept(Tok::kAt)) {
      const Token& word = peek();
      if (word.kind != Tok::kName || text_of(word) != "id") {
        error_here("expected `id` after `@`", "write @id(\"rule-name\")");
      }
      advance();
      expect(Tok::kLParen, "after `@id`");
      const Token& id = expect(Tok::kString, "(the rule id) in `@id(...)`");
      r.explicit_id = string_of(id);
      r.id_span = id.span;
      expect(Tok::kRParen, "after the rule id");
      if (!at(Tok::kAllow) && !at(Tok::kDeny)) {
        error_here("expected `allow` or `deny` after `@id(...)`, found " + describe(peek().kind));
      }
      // Only comment lines may come between `@id(...)` and its rule.
      const int id_line = file_.line_of(id.span.begin);
      const int rule_line = file_.line_of(peek().span.begin);
      bool adjacent = true;
      for (int line = id_line + 1; line < rule_line && adjacent; ++line) {
        adjacent =
            std::any_of(out_.lexed.comments.begin(), out_.lexed.comments.end(),
                        [&](const Comment& c) { return file_.line_of(c.span.begin) == line; });
      }
      if (!adjacent) {
        report("E010", r.id_span,
               "`@id(...)` must stand on its rule's line or above it, with only comment lines "
               "between",
               "move it next to the rule it names");
      }
    }
    const Token& effect = advance();
    r.effect = effect.kind == Tok::kAllow ? Effect::kAllow : Effect::kDeny;
    r.effect_span = effect.span;
    r.roles = parse_name_list("a role name");
    expect(Tok::kTo, "after the roles of a rule");
    r.action = parse_action(r.action_span);
    r.categories_span.begin = peek().span.begin;
    if (accept(Tok::kStar)) {
      r.all_categories = true;
      CategoryItem item;
      item.name = Name{"*", out_.lexed.tokens[pos_ - 1].span, false};
      if (at(Tok::kAs)) item.transform = parse_transform();
      r.categories.push_back(std::move(item));
    } else {
      do {
        if (r.categories.size() >= limits::kMaxListItems) {
          error_at(peek().span,
                   "list is too long (limit: " + std::to_string(limits::kMaxListItems) + " items)",
                   {}, "E012");
        }
        auto name = parse_list_name("a category name");
        if (!name) continue;
        CategoryItem item;
        item.name = std::move(*name);
        if (at(Tok::kAs)) item.transform = parse_transform();
        r.categories.push_back(std::move(item));
      } while (accept(Tok::kComma));
      if (r.categories.empty()) throw SyntaxError{};  // each item was reported
    }
    r.categories_span.end = last_end_;
    expect(Tok::kFor, "after the categories of a rule");
    r.purposes = parse_name_list("a purpose name");
    if (accept(Tok::kWhen)) r.when = parse_expression();
    return r;
  }

  // assert never ROLES to ACTION CATEGORIES for PURPOSES
  // assert consent for ROLES to ACTION CATEGORIES for PURPOSES
  // assert at most TRANSFORM for ROLES to ACTION CATEGORIES for PURPOSES
  Assertion parse_assertion() {
    Assertion a;
    a.assert_span = advance().span;  // assert
    const Token& word = advance();
    const std::string_view kind = text_of(word);
    if (kind == "never") {
      a.kind = AssertKind::kNever;
    } else if (kind == "consent") {
      a.kind = AssertKind::kConsent;
      expect(Tok::kFor, "after `assert consent`");
    } else {
      a.kind = AssertKind::kAtMost;
      if (!at(Tok::kName) || text_of(peek()) != "most") {
        error_here("expected `most` after `assert at`, found " + describe(peek().kind),
                   "write `assert at most TRANSFORM for ROLES to ACTION CATEGORIES for PURPOSES`");
      }
      a.at_most = parse_transform_word("`assert at most`");
      expect(Tok::kFor, "after the transform of `assert at most`");
    }
    a.roles = parse_name_list("a role name");
    expect(Tok::kTo, "after the roles of an assertion");
    a.action = parse_action(a.action_span);
    a.categories = parse_name_list("a category name");
    if (at(Tok::kAs)) {
      error_here("an assertion names categories without transforms",
                 "to bound what is revealed, write `assert at most TRANSFORM for ...`");
    }
    expect(Tok::kFor, "after the categories of an assertion");
    a.purposes = parse_name_list("a purpose name");
    if (at(Tok::kWhen)) {
      error_here("an assertion has no condition: it holds for every request in its scope",
                 "remove the `when ...`");
    }
    return a;
  }

  Action parse_action(Span& span) {
    const Token& action = advance();
    span = action.span;
    switch (action.kind) {
      case Tok::kRead:
        return Action::kRead;
      case Tok::kShare:
        return Action::kShare;
      case Tok::kUse:
        return Action::kUse;
      default:
        error_at(action.span,
                 "expected an action (`read`, `share` or `use`), found " + describe(action.kind));
    }
  }

  TransformNode parse_transform() { return parse_transform_word("`as`"); }

  // The transform after `after` (`as`, or `most` in `assert at most`), which
  // is the current token.
  TransformNode parse_transform_word(const char* after) {
    advance();  // as / most
    TransformNode t;
    const Token& word = peek();
    t.span = word.span;
    const std::string name(text_of(word));
    if (word.kind != Tok::kName) {
      error_here(
          std::string("expected a transform after ") + after + ", found " + describe(word.kind),
          "transforms are " + transform_list());
    }
    advance();
    const TransformSpelling* spelling = find_transform(name);
    if (spelling) {
      t.value.kind = spelling->kind;
    } else {
      std::vector<std::string> names;
      for (const auto& s : kTransformSpellings) {
        if (s.writable) names.emplace_back(s.name);
      }
      const std::string guess = detail::closest_match(name, names);
      error_at(
          word.span, "unknown transform `" + name + "`",
          guess.empty() ? "transforms are " + transform_list() : "did you mean `" + guess + "`?",
          "E031");
    }
    if (spelling->takes_argument) {
      if (!at(Tok::kLParen)) {
        error_at(word.span, "`" + name + "` needs an argument", "write `" + name + "(N)`, N >= 1",
                 "E032");
      }
      advance();
      const Token& n = peek();
      if (n.kind != Tok::kInteger || n.number < 1) {
        error_at(n.span, "the argument of `" + name + "` must be an integer of at least 1", {},
                 "E032");
      }
      advance();
      t.value.argument = n.number;
      expect(Tok::kRParen, "to close the transform's argument");
    } else if (at(Tok::kLParen)) {
      error_here("`" + name + "` takes no argument", {});
    }
    t.span.end = last_end_;
    return t;
  }

  RetainRule parse_retain() {
    advance();
    RetainRule r;
    r.categories = parse_name_list("a category name");
    expect(Tok::kFor, "after the categories of a retain rule");
    if (at(Tok::kInteger)) {
      error_at(peek().span, "a retention period needs a unit", "for example `90d` or `2y`", "E006");
    }
    const Token& d = expect(Tok::kDuration, "(the retention period)");
    r.period = Duration{d.number, d.unit, d.span};
    if (accept(Tok::kFor)) r.purposes = parse_name_list("a purpose name");
    return r;
  }

  // ---- consent signals ----
  // `tcf`, `gpc`, `vendor` and `publisher` are plain names, special only
  // here: a policy may still name a purpose `gpc`.
  bool at_word(std::string_view word) const { return at(Tok::kName) && text_of(peek()) == word; }
  std::string found() const {
    return at(Tok::kName) ? "`" + std::string(text_of(peek())) + "`" : describe(peek().kind);
  }

  // `signals tcf vendor N` or `signals tcf publisher`.
  SignalsDecl parse_signals() {
    advance();
    SignalsDecl d;
    const char* usage =
        "write `signals tcf vendor N` (N: your IAB vendor id) or `signals tcf publisher`";
    if (!at_word("tcf")) error_here("expected `tcf` after `signals`, found " + found(), usage);
    advance();
    if (at_word("publisher")) {
      d.publisher = true;
      d.target_span = advance().span;
      return d;
    }
    if (!at_word("vendor")) {
      error_here("expected `vendor` or `publisher` after `signals tcf`, found " + found(), usage);
    }
    advance();
    const Token& n = expect(Tok::kInteger, "(an IAB vendor id) after `vendor`");
    d.vendor = n.number;
    d.target_span = n.span;
    return d;
  }

  // After a purpose's names and basis: `tcf P, ...` and then `gpc`, each
  // optional.
  void parse_purpose_signals(PurposeDecl& d) {
    if (at_word("tcf")) {
      d.tcf_span = advance().span;
      do {
        if (d.tcf_purposes.size() >= limits::kMaxListItems) {
          error_at(peek().span,
                   "list is too long (limit: " + std::to_string(limits::kMaxListItems) + " items)",
                   {}, "E012");
        }
        if (!at(Tok::kInteger)) {
          if (!d.tcf_purposes.empty() && (at(Tok::kEnd) || starts_statement(peek().kind))) {
            error_at(out_.lexed.tokens[pos_ - 1].span, "a list cannot end with `,`",
                     "remove the `,` or add the missing TCF purpose");
          }
          error_here("expected a TCF purpose number after `" +
                         std::string(d.tcf_purposes.empty() ? "tcf" : ",") + "`, found " + found(),
                     "TCF purposes are numbered 1 to 11: `tcf 3, 4`");
        }
        const Token& n = advance();
        d.tcf_purposes.push_back(TcfPurpose{n.number, n.span});
      } while (accept(Tok::kComma));
    }
    if (at_word("gpc")) d.gpc_span = advance().span;
    if (at_word("tcf")) {
      error_here(d.gpc_span ? "`tcf` comes before `gpc`" : "`tcf` is given twice",
                 d.gpc_span ? "write `tcf P, ... gpc`"
                            : "list every TCF purpose after one `tcf`: `tcf 3, 4`");
    }
    if (at_word("gpc")) error_here("`gpc` is given twice");
    if (at(Tok::kBasis) && (d.tcf_span || d.gpc_span)) {
      error_here("`basis` comes before `tcf` and `gpc`",
                 "write `purpose NAME basis BASIS tcf P, ... gpc`");
    }
  }

  // ---- tables ----
  TableBinding parse_table() {
    advance();
    TableBinding t;
    t.table = parse_sql_name("a table name");
    if (accept(Tok::kPublic)) {
      t.is_public = true;
      return t;
    }
    if (at(Tok::kName) && !at(Tok::kLBrace)) spaced_name_error(t.table, "table", "the table name");
    t.open_brace = expect(Tok::kLBrace, "or `public` after the table name").span;
    while (!at(Tok::kRBrace)) {
      if (at(Tok::kEnd) || at_statement_start()) {
        error_here("expected `}` to close the block of table `" + t.table.text + "`, found " +
                   describe(peek().kind));
      }
      const std::size_t start = pos_;
      try {
        t.entries.push_back(parse_entry());
      } catch (const SyntaxError&) {
        // Resume at the next line's first token or at the end of the block.
        if (pos_ == start) advance();
        const int line = file_.line_of(out_.lexed.tokens[pos_ - 1].span.begin);
        while (!at(Tok::kEnd) && !at(Tok::kRBrace) && !at_statement_start() &&
               file_.line_of(peek().span.begin) == line) {
          advance();
        }
      }
    }
    t.close_brace = advance().span;
    return t;
  }

  // `table Order Details {`: a name with spaces, unquoted. The words up to
  // the end of the line that are plain names, quoted, are the likely name.
  [[noreturn]] void spaced_name_error(const Name& first, const char* what, const char* after) {
    std::string name = first.text;
    const int line = file_.line_of(first.span.begin);
    for (std::size_t i = 0; peek(i).kind == Tok::kName && file_.line_of(peek(i).span.begin) == line;
         ++i) {
      name += " " + std::string(text_of(peek(i)));
    }
    error_here(std::string("expected ") +
                   (std::string(what) == "table" ? "`{` or `public`" : "`:` or `,`") + " after " +
                   after + ", found a name",
               std::string("a ") + what + " name with spaces must be quoted: `\"" + name + "\"`");
  }

  ColumnRef parse_column_ref() {
    ColumnRef ref;
    ref.span.begin = peek().span.begin;
    if (at(Tok::kName) && text_of(peek()).find('.') != std::string_view::npos) {
      const Token& t = advance();
      const std::string text(text_of(t));
      const auto dot = text.find('.');
      if (text.find('.', dot + 1) != std::string::npos) {
        error_at(t.span, "a column reference is `Column` or `Table.Column`");
      }
      const auto split = static_cast<std::uint32_t>(t.span.begin + dot);
      ref.table = Name{text.substr(0, dot), {t.span.begin, split}, false};
      ref.column = Name{text.substr(dot + 1), {split + 1, t.span.end}, false};
    } else {
      Name first = parse_sql_name("a column name");
      if (accept(Tok::kDot)) {
        ref.table = std::move(first);
        ref.column = parse_sql_name("a column name");
      } else {
        ref.column = std::move(first);
      }
    }
    ref.span.end = last_end_;
    return ref;
  }

  TableEntry parse_entry() {
    TableEntry e;
    e.span.begin = peek().span.begin;
    if (at(Tok::kSubject) || at(Tok::kCollected)) {
      e.kind = advance().kind == Tok::kSubject ? EntryKind::kSubject : EntryKind::kCollected;
      e.column = parse_column_ref();
      if (accept(Tok::kVia)) e.via = parse_sql_name("a column name after `via`");
    } else if (at(Tok::kName) && text_of(peek()).rfind("subject.", 0) == 0) {
      e.kind = EntryKind::kAttribute;
      e.attribute = name_from(advance());
      expect(Tok::kAssign, "after a subject attribute in a table block");
      e.attribute_column = parse_sql_name("a column name");
    } else {
      e.kind = EntryKind::kColumns;
      do {
        if (e.columns.size() >= limits::kMaxListItems) {
          error_at(peek().span,
                   "list is too long (limit: " + std::to_string(limits::kMaxListItems) + " items)",
                   {}, "E012");
        }
        e.columns.push_back(parse_sql_name("a column name"));
        if (at(Tok::kName)) spaced_name_error(e.columns.back(), "column", "a column name");
      } while (accept(Tok::kComma));
      expect(Tok::kColon, "after the column names");
      if (!accept(Tok::kPublic)) e.category = parse_name("a category or `public`");
    }
    e.span.end = last_end_;
    return e;
  }

  // ---- conditions ----
  struct DepthGuard {
    Parser& p;
    explicit DepthGuard(Parser& parser, Span span) : p(parser) {
      if (++p.depth_ > limits::kMaxExpressionDepth) {
        --p.depth_;
        p.error_at(span,
                   "condition is nested too deeply (limit: " +
                       std::to_string(limits::kMaxExpressionDepth) + " levels)",
                   "split it into several rules", "E011");
      }
    }
    ~DepthGuard() { --p.depth_; }
  };

  std::unique_ptr<Expr> make(ExprKind kind, Span span) {
    auto e = std::make_unique<Expr>();
    e->kind = kind;
    e->span = span;
    return e;
  }

  // Nesting depth counts every `(`, `[`, `not` and `+`/`-` around a term,
  // the same way: the limit is kMaxExpressionDepth of them, whichever mix.
  std::unique_ptr<Expr> parse_expression() { return parse_binary_chain(Tok::kOr, ExprKind::kOr); }

  // or / and: flattened into one node per chain, so long chains stay shallow.
  std::unique_ptr<Expr> parse_binary_chain(Tok op, ExprKind kind) {
    auto first = op == Tok::kOr ? parse_binary_chain(Tok::kAnd, ExprKind::kAnd) : parse_not();
    if (!at(op)) return first;
    auto chain = make(kind, first->span);
    chain->children.push_back(std::move(first));
    while (accept(op)) {
      if (chain->children.size() >= limits::kMaxListItems) {
        error_at(
            peek().span,
            "condition is too long (limit: " + std::to_string(limits::kMaxListItems) + " operands)",
            {}, "E012");
      }
      chain->children.push_back(op == Tok::kOr ? parse_binary_chain(Tok::kAnd, ExprKind::kAnd)
                                               : parse_not());
    }
    chain->span.end = last_end_;
    return chain;
  }

  std::unique_ptr<Expr> parse_not() {
    if (!at(Tok::kNot)) return parse_comparison();
    const Span start = advance().span;
    DepthGuard guard(*this, start);
    auto e = make(ExprKind::kNot, start);
    e->children.push_back(parse_not());
    e->span.end = last_end_;
    return e;
  }

  std::unique_ptr<Expr> parse_comparison() {
    auto lhs = parse_sum();
    const Tok kind = peek().kind;
    ExprKind expr_kind = ExprKind::kCompare;
    CompareOp op = CompareOp::kEq;
    switch (kind) {
      case Tok::kEq:
        op = CompareOp::kEq;
        break;
      case Tok::kNe:
        op = CompareOp::kNe;
        break;
      case Tok::kLt:
        op = CompareOp::kLt;
        break;
      case Tok::kLe:
        op = CompareOp::kLe;
        break;
      case Tok::kGt:
        op = CompareOp::kGt;
        break;
      case Tok::kGe:
        op = CompareOp::kGe;
        break;
      case Tok::kIn:
        expr_kind = ExprKind::kIn;
        break;
      case Tok::kAssign:
        error_here("`=` is not a comparison", "write `==` to compare");
      default:
        return lhs;
    }
    const Token& op_token = advance();
    if (at(Tok::kMinus)) negative_bound(*lhs, op_token);
    auto e = make(expr_kind, lhs->span);
    e->op = op;
    e->children.push_back(std::move(lhs));
    e->children.push_back(parse_sum());
    e->span.end = last_end_;
    switch (peek().kind) {
      case Tok::kEq:
      case Tok::kNe:
      case Tok::kLt:
      case Tok::kLe:
      case Tok::kGt:
      case Tok::kGe:
      case Tok::kIn:
        error_here("comparisons do not chain", "combine them with `and`");
      default:
        break;
    }
    return e;
  }

  // `x > -1`: there are no negative numbers. Says what to write instead,
  // when anything can be.
  [[noreturn]] void negative_bound(const Expr& lhs, const Token& op_token) {
    const std::string x(file_.text().substr(lhs.span.begin, lhs.span.end - lhs.span.begin));
    const std::string op(text_of(op_token));
    std::string hint = "a negative bound cannot be written";
    if (peek(1).kind == Tok::kInteger) {
      const std::int64_t n = peek(1).number;
      const std::string test = "`" + x + " " + op + " -" + std::to_string(n) + "`";
      if (n == 0) {
        hint = "`-0` is `0`: write `" + x + " " + op + " 0`";
      } else if (n == 1 && op == ">") {
        hint = "for integers, " + test + " is `" + x + " >= 0`";
      } else if (n == 1 && op == "<=") {
        hint = "for integers, " + test + " is `" + x + " < 0`";
      } else if (op == ">" || op == ">=" || op == "!=") {
        hint =
            "a negative bound cannot be written; for a value that is never negative (an "
            "age, a count) " +
            test + " always holds: drop the test";
      } else if (op == "<" || op == "<=" || op == "==") {
        hint =
            "a negative bound cannot be written; for a value that is never negative (an "
            "age, a count) " +
            test + " never holds";
      }
    }
    error_here("negative numbers are not part of the language", hint);
  }

  std::unique_ptr<Expr> parse_sum() {
    auto lhs = parse_primary();
    // Each `+`/`-` nests the sum so far one level deeper (a left-deep tree).
    struct ChainDepth {
      int& depth;
      int added = 0;
      ~ChainDepth() { depth -= added; }
    } chain{depth_};
    while (at(Tok::kPlus) || at(Tok::kMinus)) {
      if (depth_ + 1 > limits::kMaxExpressionDepth) {
        error_at(peek().span,
                 "condition is nested too deeply (limit: " +
                     std::to_string(limits::kMaxExpressionDepth) + " levels)",
                 "split it into several rules", "E011");
      }
      ++depth_;
      ++chain.added;
      const ExprKind kind = advance().kind == Tok::kPlus ? ExprKind::kAdd : ExprKind::kSubtract;
      auto e = make(kind, lhs->span);
      e->children.push_back(std::move(lhs));
      e->children.push_back(parse_primary());
      e->span.end = last_end_;
      lhs = std::move(e);
    }
    return lhs;
  }

  std::unique_ptr<Expr> parse_primary() {
    const Token& t = peek();
    switch (t.kind) {
      case Tok::kName: {
        advance();
        auto e = make(ExprKind::kAttribute, t.span);
        e->text = std::string(text_of(t));
        return e;
      }
      case Tok::kNow:
        advance();
        return make(ExprKind::kNow, t.span);
      case Tok::kTime: {
        const Span start = advance().span;
        expect(Tok::kLParen, "after `time`");
        const Token& s = expect(Tok::kString, "(an RFC 3339 time) in `time(...)`");
        expect(Tok::kRParen, "after the time");
        auto e = make(ExprKind::kTime, {start.begin, last_end_});
        e->text = string_of(s);
        const auto parsed = detail::parse_rfc3339(e->text);
        if (!parsed) {
          error_at(s.span, "`" + e->text + "` is not an RFC 3339 time",
                   "write it like \"2026-11-28T12:00:00Z\"", "E042");
        }
        e->number = *parsed;
        return e;
      }
      case Tok::kString: {
        advance();
        auto e = make(ExprKind::kString, t.span);
        e->text = string_of(t);
        return e;
      }
      case Tok::kInteger: {
        advance();
        auto e = make(ExprKind::kInteger, t.span);
        e->number = t.number;
        return e;
      }
      case Tok::kTrue:
      case Tok::kFalse: {
        advance();
        auto e = make(ExprKind::kBool, t.span);
        e->number = t.kind == Tok::kTrue;
        return e;
      }
      case Tok::kDuration: {
        advance();
        auto e = make(ExprKind::kDuration, t.span);
        e->duration = Duration{t.number, t.unit, t.span};
        return e;
      }
      case Tok::kLBracket: {
        const Span start = advance().span;
        DepthGuard guard(*this, start);
        auto e = make(ExprKind::kList, start);
        if (!at(Tok::kRBracket)) {
          do {
            if (e->children.size() >= limits::kMaxListItems) {
              error_at(
                  peek().span,
                  "list is too long (limit: " + std::to_string(limits::kMaxListItems) + " items)",
                  {}, "E012");
            }
            e->children.push_back(parse_sum());
          } while (accept(Tok::kComma));
        }
        expect(Tok::kRBracket, "to close the list");
        e->span.end = last_end_;
        return e;
      }
      case Tok::kLParen: {
        const Span start = advance().span;
        DepthGuard guard(*this, start);
        auto e = parse_expression();
        expect(Tok::kRParen, "to close `(`");
        e->parenthesized = true;
        e->span = {start.begin, last_end_};
        return e;
      }
      case Tok::kMinus:
        error_here("negative numbers are not part of the language",
                   "compare with 0 or a positive bound instead (for integers, `x > -1` is "
                   "`x >= 0`)");
      case Tok::kSubject:
        error_here("expected an attribute such as `subject.age`, found `subject`");
      default:
        error_here("expected a condition term, found " + describe(t.kind),
                   "terms are attributes (actor.x, subject.x, context.x), now, time(\"...\"), "
                   "strings, integers, true/false, durations and lists");
    }
  }

  const SourceFile& file_;
  DiagnosticSink& sink_;
  ParsedPolicy out_;
  std::size_t pos_ = 0;
  std::uint32_t last_end_ = 0;
  std::uint32_t statement_begin_ = 0;
  int depth_ = 0;
};

}  // namespace

bool starts_statement(Tok kind) {
  switch (kind) {
    case Tok::kPolicy:
    case Tok::kCategory:
    case Tok::kPurpose:
    case Tok::kRole:
    case Tok::kAttribute:
    case Tok::kTable:
    case Tok::kAllow:
    case Tok::kDeny:
    case Tok::kRetain:
    case Tok::kSignals:
    case Tok::kAt:
      return true;
    default:
      return false;
  }
}

ParsedPolicy parse(const SourceFile& file, DiagnosticSink& sink) {
  return Parser(file, lex(file, sink), sink).run();
}

}  // namespace custos::lang
