#include "lang/source.hpp"

#include <algorithm>

#include "base/utf8.hpp"

namespace custos::lang {

SourceFile::SourceFile(std::string name, std::string text)
    : name_(std::move(name)), text_(std::move(text)) {
  line_starts_.push_back(0);
  for (std::uint32_t i = 0; i < text_.size(); ++i) {
    if (text_[i] == '\n') line_starts_.push_back(i + 1);
  }
}

std::string SourceFile::base_name() const {
  const auto slash = name_.find_last_of("/\\");
  return slash == std::string::npos ? name_ : name_.substr(slash + 1);
}

int SourceFile::line_of(std::uint32_t offset) const {
  const auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), offset);
  return static_cast<int>(it - line_starts_.begin());
}

int SourceFile::column_of(std::uint32_t offset) const {
  const int line = line_of(offset);
  const std::uint32_t start = line_starts_[line - 1];
  const std::uint32_t end = std::min<std::uint32_t>(offset, text_.size());
  return static_cast<int>(
             detail::count_code_points(std::string_view(text_).substr(start, end - start))) +
         1;
}

std::string_view SourceFile::line_text(int line) const {
  if (line < 1 || line > line_count()) return {};
  const std::uint32_t start = line_starts_[line - 1];
  std::uint32_t end = line < line_count() ? line_starts_[line] - 1 : text_.size();
  if (end > start && text_[end - 1] == '\r') --end;
  return std::string_view(text_).substr(start, end - start);
}

}  // namespace custos::lang
