// SourceFile: a policy's text with its name, and the mapping from byte
// offsets to the line and column a person sees.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace custos::lang {

// A half-open byte range [begin, end) of the source text.
struct Span {
  std::uint32_t begin = 0;
  std::uint32_t end = 0;
};

class SourceFile {
 public:
  SourceFile(std::string name, std::string text);

  // The name as given (a path or a label); used in diagnostics.
  const std::string& name() const { return name_; }
  // The base name without directories, used in default rule ids.
  std::string base_name() const;
  std::string_view text() const { return text_; }

  // 1-based line of a byte offset.
  int line_of(std::uint32_t offset) const;
  // 1-based column of a byte offset, counted in code points.
  int column_of(std::uint32_t offset) const;
  // The text of a 1-based line, without its line break.
  std::string_view line_text(int line) const;
  int line_count() const { return static_cast<int>(line_starts_.size()); }

 private:
  std::string name_;
  std::string text_;
  std::vector<std::uint32_t> line_starts_;
};

}  // namespace custos::lang
