// custos audit: verify a log, report a subject's accesses, export entries,
// sign a checkpoint (src/audit/FORMAT.md).
#include <cstdio>

#include "base/file.hpp"
#include "base/time.hpp"
#include "cli/cli_util.hpp"
#include "cli/commands.hpp"
#include "custos/audit.hpp"
#include "custos/engine.hpp"

namespace custos::cli {
namespace {

// The chain key of `--key FILE` (the pseudonym key format), or "" without it.
bool read_chain_key(const Args& args, std::string& key) {
  const auto path = args.option("key");
  if (!path) return true;
  if (!detail::read_file(*path, 4096).ok()) {
    std::fprintf(stderr, "custos audit: %s: no such key file\n", path->c_str());
    return false;
  }
  auto loaded = load_pseudonym_key(*path);
  if (!loaded.ok()) {
    std::fprintf(stderr, "custos audit: %s\n", loaded.status().message().c_str());
    return false;
  }
  key = *loaded;
  return true;
}

int verify(const std::vector<std::string>& rest) {
  const auto args = parse_args(rest, "audit", {"key", "pubkey..."}, {});
  if (!args) return kExitUsage;
  if (args->positional.size() != 1) {
    std::fprintf(stderr,
                 "custos audit: usage: custos audit verify FILE [--key FILE] "
                 "[--pubkey PEM]...\n");
    return kExitUsage;
  }
  std::string key;
  if (!read_chain_key(*args, key)) return kExitBadInput;
  std::vector<std::string> trusted;
  for (const auto& pem : args->list("pubkey")) {
    auto text = detail::read_file(pem, 64 * 1024);
    if (!text.ok()) {
      std::fprintf(stderr, "custos audit: %s\n", text.status().message().c_str());
      return kExitBadInput;
    }
    trusted.push_back(*text);
  }
  auto v = verify_audit_log(args->positional[0], key, trusted);
  if (!v.ok()) {
    std::fprintf(stderr, "custos audit: %s: %s\n", args->positional[0].c_str(),
                 v.status().message().c_str());
    return kExitBadInput;
  }
  std::printf("%s: ok: %llu entries, %llu checkpoints, head %s\n", args->positional[0].c_str(),
              static_cast<unsigned long long>(v->entries),
              static_cast<unsigned long long>(v->checkpoints),
              v->head.empty() ? "(empty)" : v->head.c_str());
  return kExitOk;
}

int report(const std::vector<std::string>& rest) {
  const auto args = parse_args(rest, "audit", {"subject", "format", "since"}, {});
  if (!args) return kExitUsage;
  if (args->positional.size() != 1 || !args->option("subject")) {
    std::fprintf(stderr,
                 "custos audit: usage: custos audit report FILE --subject ID "
                 "[--format text|json|html] [--since TIME]\n");
    return kExitUsage;
  }
  const std::string format = args->option("format").value_or("text");
  ReportFormat f;
  if (format == "json") {
    f = ReportFormat::kJson;
  } else if (format == "html") {
    f = ReportFormat::kHtml;
  } else if (format == "text") {
    f = ReportFormat::kText;
  } else {
    std::fprintf(stderr, "custos audit: --format is text, json or html, not `%s`\n",
                 format.c_str());
    return kExitUsage;
  }
  Timestamp since = 0;
  if (const auto t = args->option("since")) {
    const auto parsed = parse_time_option(*t, "audit", "since");
    if (!parsed) return kExitBadInput;
    since = *parsed;
  }
  auto out = audit_report(args->positional[0], *args->option("subject"), f, since);
  if (!out.ok()) {
    std::fprintf(stderr, "custos audit: %s\n", out.status().message().c_str());
    return kExitBadInput;
  }
  std::fwrite(out->data(), 1, out->size(), stdout);
  return kExitOk;
}

int export_entries(const std::vector<std::string>& rest) {
  const auto args = parse_args(rest, "audit", {"format", "since"}, {});
  if (!args) return kExitUsage;
  if (args->positional.size() != 1 || args->option("format").value_or("jsonl") != "jsonl") {
    std::fprintf(stderr,
                 "custos audit: usage: custos audit export FILE --format jsonl [--since SEQ]\n");
    return kExitUsage;
  }
  std::uint64_t since = 0;
  if (const auto s = args->option("since")) {
    char* end = nullptr;
    since = std::strtoull(s->c_str(), &end, 10);
    if (s->empty() || *end != '\0') {
      std::fprintf(stderr, "custos audit: --since takes an entry number, not `%s`\n", s->c_str());
      return kExitUsage;
    }
  }
  const Status s = export_audit_log(args->positional[0], since, [](const std::string& line) {
    std::fwrite(line.data(), 1, line.size(), stdout);
    std::fputc('\n', stdout);
  });
  if (!s.ok()) {
    std::fprintf(stderr, "custos audit: %s\n", s.message().c_str());
    return kExitBadInput;
  }
  return kExitOk;
}

int checkpoint(const std::vector<std::string>& rest) {
  const auto args = parse_args(rest, "audit", {"key", "now"}, {});
  if (!args) return kExitUsage;
  if (args->positional.size() != 1 || !args->option("key")) {
    std::fprintf(stderr, "custos audit: usage: custos audit checkpoint FILE --key PRIVATE.pem\n");
    return kExitUsage;
  }
  auto pem = detail::read_file(*args->option("key"), 64 * 1024);
  if (!pem.ok()) {
    std::fprintf(stderr, "custos audit: %s\n", pem.status().message().c_str());
    return kExitBadInput;
  }
  Timestamp now = detail::now_unix();
  if (const auto t = args->option("now")) {
    const auto parsed = parse_time_option(*t, "audit", "now");
    if (!parsed) return kExitBadInput;
    now = *parsed;
  }
  auto seq = checkpoint_audit_log(args->positional[0], *pem, now);
  if (!seq.ok()) {
    std::fprintf(stderr, "custos audit: %s\n", seq.status().message().c_str());
    return kExitBadInput;
  }
  std::printf("%s: checkpoint signed at entry %llu\n", args->positional[0].c_str(),
              static_cast<unsigned long long>(*seq));
  return kExitOk;
}

}  // namespace

int run_audit(const std::vector<std::string>& raw) {
  if (raw.empty()) {
    std::fprintf(stderr,
                 "custos audit: usage: custos audit verify|report|export|checkpoint ... "
                 "(see `custos help audit`)\n");
    return kExitUsage;
  }
  const std::vector<std::string> rest(raw.begin() + 1, raw.end());
  if (raw[0] == "verify") return verify(rest);
  if (raw[0] == "report") return report(rest);
  if (raw[0] == "export") return export_entries(rest);
  if (raw[0] == "checkpoint") return checkpoint(rest);
  std::fprintf(stderr, "custos audit: unknown action `%s` (verify, report, export, checkpoint)\n",
               raw[0].c_str());
  return kExitUsage;
}

}  // namespace custos::cli
