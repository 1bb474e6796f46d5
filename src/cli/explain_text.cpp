#include "cli/explain_text.hpp"

namespace custos::cli {

std::string explanation_text(const Decision& d) {
  std::string out = std::string(d.allowed ? "allowed" : "denied") + " by policy \"" +
                    std::string(d.policy.name()) + "\" version " +
                    std::to_string(d.policy.version) + " (sha256 " +
                    d.policy.sha256_hex().substr(0, 12) + ")\n";
  for (const auto& item : d.items) {
    out += "\n" + item.category + ": ";
    if (item.allowed) {
      out += "allow as " + item.transform.to_string() + " by " + item.rule + "\n";
    } else {
      out += std::string("deny ") + reason_code(item.reason) +
             (item.rule.empty() ? "" : " by " + item.rule) + "\n";
    }
    // Steps come leaf by leaf; a leaf other than the item itself gets a
    // heading of its own.
    const std::string* leaf = nullptr;
    for (const auto& e : item.explanation) {
      std::string indent = "  ";
      if (!e.category.empty() && e.category != item.category) {
        if (!leaf || *leaf != e.category) out += "  " + e.category + "\n";
        leaf = &e.category;
        indent = "    ";
      }
      out += indent + (e.rule.empty() ? "" : e.rule + ": ") + e.outcome + "\n";
    }
  }
  return out;
}

}  // namespace custos::cli
