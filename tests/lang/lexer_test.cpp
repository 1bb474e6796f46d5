#include "lang/lexer.hpp"

#include "catch.hpp"
#include "lang_test_util.hpp"

using namespace custos::lang;

namespace {

struct Lexed {
  LexedSource out;
  std::vector<custos::Diagnostic> diagnostics;
};

Lexed lex_text(const std::string& text) {
  SourceFile file("t.custos", text);
  DiagnosticSink sink(file);
  Lexed l{lex(file, sink), {}};
  l.diagnostics = sink.take();
  return l;
}

std::vector<Tok> kinds(const Lexed& l) {
  std::vector<Tok> out;
  for (const auto& t : l.out.tokens) out.push_back(t.kind);
  return out;
}

}  // namespace

TEST_CASE("lexer: names, keywords and dotted names", "[lexer]") {
  const auto l = lex_text("allow contact.public subject.age subject public.x actor.region");
  REQUIRE(l.diagnostics.empty());
  CHECK(kinds(l) == std::vector<Tok>{Tok::kAllow, Tok::kName, Tok::kName, Tok::kSubject, Tok::kName,
                                     Tok::kName, Tok::kEnd});
  CHECK(l.out.tokens[1].span.begin == 6);
  CHECK(l.out.tokens[1].span.end == 20);
}

TEST_CASE("lexer: a dot needs a name on both sides to join one", "[lexer]") {
  const auto l = lex_text("a. b .c");
  REQUIRE(l.diagnostics.empty());
  CHECK(kinds(l) ==
        std::vector<Tok>{Tok::kName, Tok::kDot, Tok::kName, Tok::kDot, Tok::kName, Tok::kEnd});
}

TEST_CASE("lexer: punctuation and operators", "[lexer]") {
  const auto l = lex_text(", : ( ) [ ] { } = == != < <= > >= + - @ *");
  REQUIRE(l.diagnostics.empty());
  CHECK(kinds(l) == std::vector<Tok>{Tok::kComma,    Tok::kColon,    Tok::kLParen, Tok::kRParen,
                                     Tok::kLBracket, Tok::kRBracket, Tok::kLBrace, Tok::kRBrace,
                                     Tok::kAssign,   Tok::kEq,       Tok::kNe,     Tok::kLt,
                                     Tok::kLe,       Tok::kGt,       Tok::kGe,     Tok::kPlus,
                                     Tok::kMinus,    Tok::kAt,       Tok::kStar,   Tok::kEnd});
}

TEST_CASE("lexer: durations in every unit", "[lexer]") {
  const auto l = lex_text("45s 90min 12h 30d 2w 13mo 2y 0d");
  REQUIRE(l.diagnostics.empty());
  const std::int64_t expected[] = {45,         90 * 60,         12 * 3600,       30 * 86400,
                                   14 * 86400, 13 * 30 * 86400, 2 * 365 * 86400, 0};
  for (int i = 0; i < 8; ++i) {
    const Token& t = l.out.tokens[i];
    REQUIRE(t.kind == Tok::kDuration);
    CHECK(t.number * unit_seconds(t.unit) == expected[i]);
  }
}

TEST_CASE("lexer: bad durations and integers", "[lexer]") {
  SECTION("a bare m is ambiguous") {
    const auto l = lex_text("retain x for 5m");
    REQUIRE(l.diagnostics.size() == 1);
    CHECK(l.diagnostics[0].id == "E006");
    CHECK(l.diagnostics[0].column == 14);
    CHECK(l.diagnostics[0].hint == "write `5min` for minutes or `5mo` for months");
  }
  SECTION("unknown unit") {
    const auto l = lex_text("10days");
    REQUIRE(l.diagnostics.size() == 1);
    CHECK(l.diagnostics[0].message == "unknown duration unit `days`");
  }
  SECTION("overflowing duration") {
    const auto l = lex_text("9223372036854775807y");
    REQUIRE(l.diagnostics.size() == 1);
    CHECK(l.diagnostics[0].id == "E006");
  }
  SECTION("overflowing integer") {
    const auto l = lex_text("9223372036854775807 9223372036854775808");
    REQUIRE(l.diagnostics.size() == 1);
    CHECK(l.diagnostics[0].id == "E005");
    CHECK(l.diagnostics[0].column == 21);
    CHECK(l.out.tokens[0].number == 9223372036854775807);
  }
}

TEST_CASE("lexer: strings and escapes", "[lexer]") {
  SECTION("every escape decodes") {
    const auto l = lex_text(R"("a\"b\\c\nd\te\u{e9}\u{1F600}")");
    REQUIRE(l.diagnostics.empty());
    REQUIRE(l.out.strings.size() == 1);
    CHECK(l.out.strings[0] == "a\"b\\c\nd\te\xC3\xA9\xF0\x9F\x98\x80");
  }
  SECTION("unterminated at end of line") {
    const auto l = lex_text("\"abc\nallow");
    REQUIRE(l.diagnostics.size() == 1);
    CHECK(l.diagnostics[0].id == "E003");
    CHECK(kinds(l) == std::vector<Tok>{Tok::kString, Tok::kAllow, Tok::kEnd});
  }
  SECTION("bad escapes") {
    for (const char* bad : {R"("\x")", R"("\u{}")", R"("\u{110000}")", R"("\u{D800}")",
                            R"("\u{1234567}")", R"("\u0041")"}) {
      INFO(bad);
      const auto l = lex_text(bad);
      REQUIRE(l.diagnostics.size() == 1);
      CHECK(l.diagnostics[0].id == "E004");
    }
  }
  SECTION("invalid UTF-8 inside a string") {
    const auto l = lex_text("\"a\xFF\"");
    REQUIRE(l.diagnostics.size() == 1);
    CHECK(l.diagnostics[0].id == "E001");
  }
}

TEST_CASE("lexer: comments are kept and may hold any UTF-8", "[lexer]") {
  const auto l = lex_text("# caf\xC3\xA9\nallow # trailing\n#last");
  REQUIRE(l.diagnostics.empty());
  REQUIRE(l.out.comments.size() == 3);
  CHECK(l.out.comments[1].span.begin == 14);
  CHECK(kinds(l) == std::vector<Tok>{Tok::kAllow, Tok::kEnd});
}

TEST_CASE("lexer: unexpected characters are reported once per run", "[lexer]") {
  const auto l = lex_text("allow ;; $ deny \xC3\xA9t\xC3\xA9 \xFF\xFE");
  REQUIRE(l.diagnostics.size() == 5);
  CHECK(l.diagnostics[0].id == "E002");
  CHECK(l.diagnostics[0].message == "unexpected character `;;`");
  CHECK(l.diagnostics[0].hint == "statements need no terminator; remove the `;`");
  CHECK(l.diagnostics[1].message == "unexpected character `$`");
  CHECK(l.diagnostics[2].id == "E002");  // é is valid UTF-8 but not a name character
  CHECK(l.diagnostics[2].column == 17);
  CHECK(l.diagnostics[3].column == 19);
  CHECK(l.diagnostics[4].id == "E001");
  CHECK(kinds(l) == std::vector<Tok>{Tok::kAllow, Tok::kDeny, Tok::kName, Tok::kEnd});
}

TEST_CASE("lexer: a NUL byte is an error anywhere: code, string or comment", "[lexer]") {
  using namespace std::string_literals;
  SECTION("between tokens: one error per run, the tokens around it still read") {
    const auto l = lex_text("allow\0\0deny $\0"s);
    REQUIRE(l.diagnostics.size() == 3);
    CHECK(l.diagnostics[0].id == "E001");
    CHECK(l.diagnostics[0].message == "NUL byte in policy text");
    CHECK(l.diagnostics[0].column == 6);
    CHECK(l.diagnostics[0].length == 2);
    CHECK(l.diagnostics[1].message == "unexpected character `$`");  // the run stops at the NUL
    CHECK(l.diagnostics[2].message == "NUL byte in policy text");
    CHECK(l.diagnostics[2].column == 14);
    CHECK(kinds(l) == std::vector<Tok>{Tok::kAllow, Tok::kDeny, Tok::kEnd});
  }
  SECTION("in a string") {
    const auto l = lex_text("\"a\0b\""s);
    REQUIRE(l.diagnostics.size() == 1);
    CHECK(l.diagnostics[0].id == "E001");
    CHECK(l.diagnostics[0].message == "NUL byte in a string");
    CHECK(l.diagnostics[0].column == 3);
    CHECK(kinds(l) == std::vector<Tok>{Tok::kString, Tok::kEnd});
  }
  SECTION("in a comment, which would otherwise hide what follows it") {
    const auto l = lex_text("# ok\0 deny * to use * for *\nallow"s);
    REQUIRE(l.diagnostics.size() == 1);
    CHECK(l.diagnostics[0].id == "E001");
    CHECK(l.diagnostics[0].message == "NUL byte in a comment");
    CHECK(l.diagnostics[0].line == 1);
    CHECK(l.diagnostics[0].column == 5);
    CHECK(l.diagnostics[0].hint ==
          "remove the NUL byte: policy files are UTF-8 text (a UTF-16 file has one before every "
          "ASCII character)");
    CHECK(kinds(l) == std::vector<Tok>{Tok::kAllow, Tok::kEnd});
  }
  SECTION("after a backslash in a string: the escape and the NUL") {
    const auto l = lex_text("\"\\\0\""s);
    REQUIRE(l.diagnostics.size() == 2);
    CHECK(l.diagnostics[0].id == "E004");
    CHECK(l.diagnostics[1].id == "E001");
  }
  SECTION("the rendered diagnostic shows it as U+2400 and contains no NUL") {
    const auto l = lex_text("allow\0"s);
    REQUIRE(l.diagnostics.size() == 1);
    CHECK(l.diagnostics[0].to_string() ==
          "t.custos:1:6: error[E001]: NUL byte in policy text\n"
          " 1 | allow\xE2\x90\x80\n"
          "   |      ^\n"
          " = hint: remove the NUL byte: policy files are UTF-8 text (a UTF-16 file has one "
          "before every ASCII character)\n");
  }
}

TEST_CASE("lexer: columns count code points", "[lexer]") {
  const auto l = lex_text("\"\xC3\xA9\xC3\xA9\" $");
  REQUIRE(l.diagnostics.size() == 1);
  CHECK(l.diagnostics[0].column == 6);
}
