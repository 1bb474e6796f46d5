#include "lang/formatter.hpp"

#include <cstdint>
#include <cstdio>

#include "base/utf8.hpp"
#include "custos/decision.hpp"
#include "lang/checker.hpp"

namespace custos::lang {
namespace {

std::string string_literal(std::string_view value) {
  std::string out = "\"";
  std::size_t pos = 0;
  while (pos < value.size()) {
    const char c = value[pos];
    switch (c) {
      case '"':
        out += "\\\"";
        ++pos;
        continue;
      case '\\':
        out += "\\\\";
        ++pos;
        continue;
      case '\n':
        out += "\\n";
        ++pos;
        continue;
      case '\t':
        out += "\\t";
        ++pos;
        continue;
      default:
        break;
    }
    const std::size_t begin = pos;
    char32_t cp;
    detail::decode_utf8(value, pos, &cp);
    if (cp < 0x20 || cp == 0x7F) {
      char buf[16];
      std::snprintf(buf, sizeof buf, "\\u{%x}", static_cast<unsigned>(cp));
      out += buf;
    } else {
      out.append(value.substr(begin, pos - begin));
    }
  }
  return out + "\"";
}

std::string sql_name(const Name& n) {
  bool plain = !n.text.empty() && !is_keyword(n.text) &&
               !std::isdigit(static_cast<unsigned char>(n.text[0]));
  for (char c : n.text) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) plain = false;
  }
  return plain ? n.text : string_literal(n.text);
}

// As written in a policy, and as decisions print it.
std::string transform_text(const TransformNode& t) {
  return t.value.to_string();
}

std::string duration_text(const Duration& d) {
  return std::to_string(d.count) + std::string(unit_suffix(d.unit));
}

const char* compare_text(CompareOp op) {
  switch (op) {
    case CompareOp::kEq:
      return "==";
    case CompareOp::kNe:
      return "!=";
    case CompareOp::kLt:
      return "<";
    case CompareOp::kLe:
      return "<=";
    case CompareOp::kGt:
      return ">";
    case CompareOp::kGe:
      return ">=";
  }
  return "==";
}

// A statement as a list of words: units separated by one space that a line
// break may replace.
using Words = std::vector<std::string>;

void append_list(Words& out, const std::vector<std::string>& items) {
  for (std::size_t i = 0; i < items.size(); ++i) {
    out.push_back(items[i] + (i + 1 < items.size() ? "," : ""));
  }
}

void name_list_words(Words& out, const NameList& list) {
  if (list.star) {
    out.push_back("*");
    return;
  }
  std::vector<std::string> items;
  for (const auto& n : list.names) items.push_back(n.text);
  append_list(out, items);
}

void expr_words(const Expr& e, Words& out) {
  const std::size_t first = out.size();
  switch (e.kind) {
    case ExprKind::kAttribute:
      out.push_back(e.text);
      break;
    case ExprKind::kNow:
      out.push_back("now");
      break;
    case ExprKind::kTime:
      out.push_back("time(" + string_literal(e.text) + ")");
      break;
    case ExprKind::kString:
      out.push_back(string_literal(e.text));
      break;
    case ExprKind::kInteger:
      out.push_back(std::to_string(e.number));
      break;
    case ExprKind::kBool:
      out.push_back(e.number ? "true" : "false");
      break;
    case ExprKind::kDuration:
      out.push_back(duration_text(e.duration));
      break;
    case ExprKind::kList: {
      if (e.children.empty()) {
        out.push_back("[]");
        break;
      }
      for (std::size_t i = 0; i < e.children.size(); ++i) {
        expr_words(*e.children[i], out);
        if (i + 1 < e.children.size()) out.back() += ",";
      }
      out[first] = "[" + out[first];
      out.back() += "]";
      break;
    }
    case ExprKind::kCompare:
    case ExprKind::kIn:
    case ExprKind::kAdd:
    case ExprKind::kSubtract:
      expr_words(*e.children[0], out);
      out.push_back(e.kind == ExprKind::kCompare ? compare_text(e.op)
                    : e.kind == ExprKind::kIn    ? "in"
                    : e.kind == ExprKind::kAdd   ? "+"
                                                 : "-");
      expr_words(*e.children[1], out);
      break;
    case ExprKind::kNot:
      out.push_back("not");
      expr_words(*e.children[0], out);
      break;
    case ExprKind::kAnd:
    case ExprKind::kOr:
      for (std::size_t i = 0; i < e.children.size(); ++i) {
        if (i > 0) out.push_back(e.kind == ExprKind::kAnd ? "and" : "or");
        expr_words(*e.children[i], out);
      }
      break;
  }
  if (e.parenthesized) {
    out[first] = "(" + out[first];
    out.back() += ")";
  }
}

// A unit of layout: words that stay on one line when they can (`for` and
// its first purpose, `and` and its operand). `break_before`: when the
// statement wraps, this unit starts a continuation line.
struct Unit {
  Words words;
  bool break_before = false;
};

std::vector<Unit> units_of(const Words& words) {
  std::vector<Unit> out;
  for (const auto& w : words) out.push_back(Unit{{w}, false});
  return out;
}

const char* action_text(Action a) {
  return a == Action::kRead ? "read" : a == Action::kShare ? "share" : "use";
}

// `ROLES to ACTION CATEGORIES for PURPOSES` of an assertion, after its head.
std::vector<Unit> assertion_units(const Assertion& a) {
  Words head{"assert"};
  switch (a.kind) {
    case AssertKind::kNever:
      head.push_back("never");
      break;
    case AssertKind::kConsent:
      head.insert(head.end(), {"consent", "for"});
      break;
    case AssertKind::kAtMost:
      head.insert(head.end(), {"at", "most", transform_text(*a.at_most), "for"});
      break;
  }
  name_list_words(head, a.roles);
  head.push_back("to");
  head.push_back(action_text(a.action));
  name_list_words(head, a.categories);
  std::vector<Unit> units = units_of(head);
  Words purposes;
  name_list_words(purposes, a.purposes);
  units.push_back(Unit{{"for", purposes.front()}, false});
  for (std::size_t i = 1; i < purposes.size(); ++i) units.push_back(Unit{{purposes[i]}, false});
  return units;
}

std::vector<Unit> rule_units(const Rule& r) {
  Words head{r.effect == Effect::kAllow ? "allow" : "deny"};
  name_list_words(head, r.roles);
  head.push_back("to");
  head.push_back(action_text(r.action));
  std::vector<std::string> items;
  for (const auto& c : r.categories) {
    items.push_back(c.transform ? c.name.text + " as " + transform_text(*c.transform)
                                : c.name.text);
  }
  append_list(head, items);
  std::vector<Unit> units = units_of(head);
  Words purposes;
  name_list_words(purposes, r.purposes);
  units.push_back(Unit{{"for", purposes.front()}, false});
  for (std::size_t i = 1; i < purposes.size(); ++i) units.push_back(Unit{{purposes[i]}, false});
  if (r.when) {
    const Expr& e = *r.when;
    const bool chain = (e.kind == ExprKind::kAnd || e.kind == ExprKind::kOr) && !e.parenthesized;
    if (chain) {
      for (std::size_t i = 0; i < e.children.size(); ++i) {
        Unit u{{i == 0 ? "when" : e.kind == ExprKind::kAnd ? "and" : "or"}, i == 0};
        expr_words(*e.children[i], u.words);
        units.push_back(std::move(u));
      }
    } else {
      Unit u{{"when"}, true};
      expr_words(e, u.words);
      units.push_back(std::move(u));
    }
  }
  return units;
}

std::size_t width(const std::string& s) {
  return detail::count_code_points(s);
}

std::size_t width(const Unit& u) {
  std::size_t w = u.words.size() - 1;
  for (const auto& word : u.words) w += width(word);
  return w;
}

// Lays units out from `indent`: one line when they fit in kLineWidth, else
// filled greedily with continuation lines indented two more spaces. A unit
// too long for a line of its own is split into its words.
std::vector<std::string> layout(const std::vector<Unit>& units, std::size_t indent) {
  std::size_t total = indent;
  for (const auto& u : units) total += width(u) + 1;
  const bool fits = total - 1 <= kLineWidth;
  std::vector<std::string> lines;
  std::string line(indent, ' ');
  std::size_t line_width = indent;
  bool line_empty = true;
  const auto new_line = [&] {
    lines.push_back(line);
    line = std::string(indent + 2, ' ');
    line_width = indent + 2;
    line_empty = true;
  };
  const auto place = [&](const std::string& text, std::size_t w) {
    if (!line_empty) {
      line += ' ';
      ++line_width;
    }
    line += text;
    line_width += w;
    line_empty = false;
  };
  for (const auto& u : units) {
    const std::size_t w = width(u);
    if (!line_empty && !fits && (u.break_before || line_width + 1 + w > kLineWidth)) new_line();
    if (fits || line_width + (line_empty ? 0 : 1) + w <= kLineWidth) {
      std::string text;
      for (const auto& word : u.words) text += (text.empty() ? "" : " ") + word;
      place(text, w);
      continue;
    }
    for (const auto& word : u.words) {
      if (!line_empty && line_width + 1 + width(word) > kLineWidth) new_line();
      place(word, width(word));
    }
  }
  lines.push_back(line);
  return lines;
}

// `tcf 3, 4` and `gpc` after a purpose's names and basis.
void purpose_signal_words(const PurposeDecl& d, Words& out) {
  if (d.tcf_span) {
    out.push_back("tcf");
    std::vector<std::string> ids;
    for (const auto& t : d.tcf_purposes) ids.push_back(std::to_string(t.id));
    append_list(out, ids);
  }
  if (d.gpc_span) out.push_back("gpc");
}

Words signals_words(const SignalsDecl& d) {
  if (d.publisher) return {"signals", "tcf", "publisher"};
  return {"signals", "tcf", "vendor", std::to_string(d.vendor)};
}

std::string entry_text(const TableEntry& e) {
  switch (e.kind) {
    case EntryKind::kSubject:
    case EntryKind::kCollected: {
      std::string out = e.kind == EntryKind::kSubject ? "subject " : "collected ";
      if (e.column.table) out += sql_name(*e.column.table) + ".";
      out += sql_name(e.column.column);
      if (e.via) out += " via " + sql_name(*e.via);
      return out;
    }
    case EntryKind::kColumns: {
      std::string out;
      for (const auto& c : e.columns) out += (out.empty() ? "" : ", ") + sql_name(c);
      return out + " : " + (e.category ? e.category->text : "public");
    }
    case EntryKind::kAttribute:
      return e.attribute.text + " = " + sql_name(e.attribute_column);
  }
  return {};
}

class Printer {
 public:
  Printer(const SourceFile& file, const ParsedPolicy& parsed)
      : file_(file), comments_(parsed.lexed.comments) {}

  std::string run(const PolicyAst& ast) {
    const auto end_of_text = static_cast<std::uint32_t>(file_.text().size() + 1);
    for (std::size_t i = 0; i < ast.statements.size(); ++i) {
      statement(ast.statements[i],
                i + 1 < ast.statements.size() ? ast.statements[i + 1].span.begin : end_of_text);
    }
    // Comments after the last statement.
    while (next_ < comments_.size()) own_line_comment(comments_[next_++], 0, true);
    std::string out;
    for (const auto& l : lines_) out += l + "\n";
    return out;
  }

 private:
  int line_of(std::uint32_t offset) const { return file_.line_of(offset); }

  std::string comment_text(const Comment& c) const {
    std::string text(file_.text().substr(c.span.begin, c.span.end - c.span.begin));
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.pop_back();
    return text;
  }

  // Emits an empty line when the source had one or more before `line`.
  void keep_gap(int line) {
    if (!lines_.empty() && last_line_ > 0 && line - last_line_ > 1) lines_.emplace_back();
  }

  void own_line_comment(const Comment& c, std::size_t indent, bool keep_blank) {
    if (keep_blank) keep_gap(line_of(c.span.begin));
    lines_.push_back(std::string(indent, ' ') + comment_text(c));
    last_line_ = line_of(c.span.begin);
  }

  // Comments before `offset`: each on its own line, blank lines kept.
  void leading_comments(std::uint32_t offset, std::size_t indent) {
    while (next_ < comments_.size() && comments_[next_].span.begin < offset) {
      own_line_comment(comments_[next_++], indent, true);
    }
  }

  // Comments inside [begin, end) of a construct: moved before it, no gaps.
  void interior_comments(std::uint32_t end, std::size_t indent) {
    while (next_ < comments_.size() && comments_[next_].span.begin < end) {
      own_line_comment(comments_[next_++], indent, false);
    }
  }

  // A comment on the line where a construct ends stays at the end of its
  // last printed line. `limit`: the comment must start before it.
  void trailing_comment(std::uint32_t end, std::uint32_t limit) {
    if (next_ >= comments_.size()) return;
    const Comment& c = comments_[next_];
    if (c.span.begin < limit && line_of(c.span.begin) == line_of(end)) {
      lines_.back() += "  " + comment_text(c);
      ++next_;
    }
  }

  void emit(const std::vector<std::string>& lines, int source_last_line) {
    for (const auto& l : lines) lines_.push_back(l);
    last_line_ = source_last_line;
  }

  // `next_start`: where the next statement begins.
  void statement(const Statement& s, std::uint32_t next_start) {
    leading_comments(s.span.begin, 0);
    keep_gap(line_of(s.span.begin));
    if (const auto* t = std::get_if<TableBinding>(&s.node); t && !t->is_public) {
      table_block(s, *t);
    } else {
      interior_comments(s.span.end, 0);
      emit(statement_lines(s.node), line_of(s.span.end));
    }
    trailing_comment(s.span.end, next_start);
  }

  std::vector<std::string> statement_lines(const StatementNode& node) {
    Words w;
    std::vector<Unit> units;
    std::vector<std::string> prefix;
    if (const auto* h = std::get_if<PolicyHeader>(&node)) {
      w = {"policy", string_literal(h->name), "version", std::to_string(h->version)};
    } else if (const auto* d = std::get_if<CategoryDecl>(&node)) {
      w = {"category"};
      append_list(w, names(d->names));
      if (d->sensitive) w.push_back("sensitive");
    } else if (const auto* d = std::get_if<PurposeDecl>(&node)) {
      w = {"purpose"};
      append_list(w, names(d->names));
      if (d->basis) w.insert(w.end(), {"basis", d->basis->text});
      purpose_signal_words(*d, w);
    } else if (const auto* d = std::get_if<RoleDecl>(&node)) {
      w = {"role"};
      append_list(w, names(d->names));
      if (!d->parents.empty()) {
        w.push_back(":");
        append_list(w, names(d->parents));
      }
    } else if (const auto* d = std::get_if<AttributeDecl>(&node)) {
      w = {"attribute", d->path.text, ":", type_name(d->type)};
    } else if (const auto* r = std::get_if<Rule>(&node)) {
      if (r->explicit_id) prefix.push_back("@id(" + string_literal(*r->explicit_id) + ")");
      units = rule_units(*r);
    } else if (const auto* r = std::get_if<RetainRule>(&node)) {
      w = {"retain"};
      name_list_words(w, r->categories);
      units = units_of(w);
      units.push_back(Unit{{"for", duration_text(r->period)}, false});
      if (r->purposes) {
        Words purposes;
        name_list_words(purposes, *r->purposes);
        units.push_back(Unit{{"for", purposes.front()}, false});
        for (std::size_t i = 1; i < purposes.size(); ++i)
          units.push_back(Unit{{purposes[i]}, false});
      }
    } else if (const auto* t = std::get_if<TableBinding>(&node)) {
      w = {"table", sql_name(t->table), "public"};
    } else if (const auto* a = std::get_if<Assertion>(&node)) {
      units = assertion_units(*a);
    } else if (const auto* d = std::get_if<SignalsDecl>(&node)) {
      w = signals_words(*d);
    }
    if (units.empty()) units = units_of(w);
    auto lines = layout(units, 0);
    lines.insert(lines.begin(), prefix.begin(), prefix.end());
    return lines;
  }

  static std::vector<std::string> names(const std::vector<Name>& list) {
    std::vector<std::string> out;
    for (const auto& n : list) out.push_back(n.text);
    return out;
  }

  void table_block(const Statement& s, const TableBinding& t) {
    interior_comments(t.open_brace.begin, 0);
    emit({"table " + sql_name(t.table) + " {"}, line_of(t.open_brace.begin));
    const std::uint32_t first =
        t.entries.empty() ? t.close_brace.begin : t.entries.front().span.begin;
    trailing_comment(t.open_brace.end, first);
    for (std::size_t i = 0; i < t.entries.size(); ++i) {
      const TableEntry& e = t.entries[i];
      leading_comments(e.span.begin, 2);
      // No empty line right after `{` (nor, below, right before `}`).
      if (i > 0 || lines_.back().back() != '{') keep_gap(line_of(e.span.begin));
      interior_comments(e.span.end, 2);
      emit(layout(units_of(split_words(entry_text(e))), 2), line_of(e.span.end));
      const std::uint32_t next =
          i + 1 < t.entries.size() ? t.entries[i + 1].span.begin : t.close_brace.begin;
      trailing_comment(e.span.end, next);
    }
    leading_comments(t.close_brace.begin, 2);
    emit({"}"}, line_of(s.span.end));
  }

  // Entry text to words; quoted names with spaces stay one word.
  static Words split_words(const std::string& text) {
    Words out;
    std::string word;
    bool in_string = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
      const char c = text[i];
      if (in_string && c == '\\' && i + 1 < text.size()) {
        word += c;
        word += text[++i];
        continue;
      }
      if (c == '"') in_string = !in_string;
      if (c == ' ' && !in_string) {
        if (!word.empty()) out.push_back(word);
        word.clear();
      } else {
        word += c;
      }
    }
    if (!word.empty()) out.push_back(word);
    return out;
  }

  const SourceFile& file_;
  const std::vector<Comment>& comments_;
  std::size_t next_ = 0;
  std::vector<std::string> lines_;
  int last_line_ = 0;
};

}  // namespace

std::string format_expr(const Expr& e) {
  Words words;
  expr_words(e, words);
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : " ") + w;
  return out;
}

std::string format_seconds(std::int64_t seconds) {
  if (seconds == 0) return "0s";
  if (seconds < 0) {
    // -INT64_MIN does not exist; one second more or less does not matter here.
    return "-" + format_seconds(seconds == INT64_MIN ? INT64_MAX : -seconds);
  }
  static constexpr DurationUnit kUnits[] = {DurationUnit::kYears, DurationUnit::kDays,
                                            DurationUnit::kHours, DurationUnit::kMinutes,
                                            DurationUnit::kSeconds};
  std::string out;
  for (DurationUnit u : kUnits) {
    const std::int64_t n = seconds / unit_seconds(u);
    if (n == 0) continue;
    seconds -= n * unit_seconds(u);
    out += (out.empty() ? "" : " ") + std::to_string(n) + std::string(unit_suffix(u));
  }
  return out;
}

std::string format_policy(const SourceFile& file, const ParsedPolicy& parsed) {
  return Printer(file, parsed).run(parsed.ast);
}

}  // namespace custos::lang
