#include "cli/fmt_guard.hpp"

#include <cctype>
#include <vector>

#include "lang/parser.hpp"

namespace custos::cli {
namespace {

struct Atom {
  std::string text;  // what the token says, in a canonical spelling
  int line = 0;      // where, for the message
};

// The spelling `custos fmt` gives a table or column name (sql_name in the
// formatter): bare when it is a plain identifier, else quoted.
bool plain_sql_name(const std::string& name) {
  if (name.empty() || lang::is_keyword(name) || std::isdigit(static_cast<unsigned char>(name[0]))) {
    return false;
  }
  for (const char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  }
  return true;
}

std::vector<Atom> atoms_of(const lang::SourceFile& file, const lang::LexedSource& lexed) {
  std::vector<Atom> out;
  bool in_table = false;  // from `table` to the next statement
  for (const auto& t : lexed.tokens) {
    if (t.kind == lang::Tok::kEnd) break;
    if (lang::starts_statement(t.kind) || t.kind == lang::Tok::kAt) {
      in_table = t.kind == lang::Tok::kTable;
    }
    const int line = file.line_of(t.span.begin);
    const std::string source(file.text().substr(t.span.begin, t.span.end - t.span.begin));
    switch (t.kind) {
      case lang::Tok::kName:
        out.push_back({"name `" + source + "`", line});
        break;
      case lang::Tok::kString: {
        const std::string& value = lexed.strings.at(static_cast<std::size_t>(t.number));
        out.push_back({in_table && plain_sql_name(value) ? "name `" + value + "`"
                                                         : "string \"" + value + "\"",
                       line});
        break;
      }
      case lang::Tok::kInteger:
        out.push_back({"integer " + std::to_string(t.number), line});
        break;
      case lang::Tok::kDuration:
        out.push_back(
            {"duration " + std::to_string(t.number) + std::string(lang::unit_suffix(t.unit)),
             line});
        break;
      default:
        out.push_back({lang::describe(t.kind), line});
        break;
    }
    // In a table binding, `T . C` and `"T".C` are the name `T.C`.
    const std::size_t n = out.size();
    const auto plain_name = [&](std::size_t i) {
      return out[i].text.rfind("name `", 0) == 0 && out[i].text.find('.') == std::string::npos;
    };
    if (in_table && n >= 3 && out[n - 2].text == "`.`" && plain_name(n - 3) && plain_name(n - 1)) {
      // name `T` + name `C` = name `T.C`
      out[n - 3].text.pop_back();
      out[n - 3].text += "." + out[n - 1].text.substr(6);
      out.resize(n - 2);
    }
  }
  return out;
}

// `((x))` is `(x)`: the syntax tree keeps whether an expression was
// parenthesised, not how often, so the formatter writes one pair.
std::vector<Atom> without_doubled_parentheses(const std::vector<Atom>& atoms) {
  std::vector<std::size_t> match(atoms.size(), atoms.size());
  std::vector<std::size_t> open;
  for (std::size_t i = 0; i < atoms.size(); ++i) {
    if (atoms[i].text == "`(`") {
      open.push_back(i);
    } else if (atoms[i].text == "`)`" && !open.empty()) {
      match[open.back()] = i;
      open.pop_back();
    }
  }
  std::vector<bool> drop(atoms.size(), false);
  for (std::size_t i = 0; i + 1 < atoms.size(); ++i) {
    if (match[i] < atoms.size() && match[i + 1] < atoms.size() && match[i + 1] + 1 == match[i]) {
      drop[i] = drop[match[i]] = true;  // the outer pair of two that enclose the same thing
    }
  }
  std::vector<Atom> out;
  for (std::size_t i = 0; i < atoms.size(); ++i) {
    if (!drop[i]) out.push_back(atoms[i]);
  }
  return out;
}

std::vector<Atom> comments_of(const lang::SourceFile& file, const lang::LexedSource& lexed) {
  std::vector<Atom> out;
  for (const auto& c : lexed.comments) {
    std::string text(file.text().substr(c.span.begin, c.span.end - c.span.begin));
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.pop_back();
    out.push_back({text, file.line_of(c.span.begin)});
  }
  return out;
}

std::string compare(const std::vector<Atom>& before, const std::vector<Atom>& after,
                    const char* what) {
  const auto at = [](const Atom& a, const char* side) {
    return a.text + " (" + side + " line " + std::to_string(a.line) + ")";
  };
  const std::size_t n = std::min(before.size(), after.size());
  for (std::size_t i = 0; i < n; ++i) {
    if (before[i].text != after[i].text) {
      return std::string(what) + " " + std::to_string(i + 1) +
             " differs: " + at(before[i], "input") + " became " + at(after[i], "output");
    }
  }
  if (before.size() > n) {
    return std::string(what) + " " + std::to_string(n + 1) +
           " is missing: " + at(before[n], "input");
  }
  if (after.size() > n) {
    return std::string(what) + " " + std::to_string(n + 1) +
           " was added: " + at(after[n], "output");
  }
  return "";
}

}  // namespace

std::string content_difference(const lang::SourceFile& before,
                               const lang::LexedSource& lexed_before, const lang::SourceFile& after,
                               const lang::LexedSource& lexed_after) {
  std::string difference =
      compare(without_doubled_parentheses(atoms_of(before, lexed_before)),
              without_doubled_parentheses(atoms_of(after, lexed_after)), "token");
  if (difference.empty()) {
    difference =
        compare(comments_of(before, lexed_before), comments_of(after, lexed_after), "comment");
  }
  return difference;
}

}  // namespace custos::cli
