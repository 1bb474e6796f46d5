// Decides one request through the installed library, shared or static, and
// touches each public header's free functions, so a symbol the library
// forgot to export fails the link. Exits 0 when every answer is right.
#include <cstdio>
#include <string>

#include "custos/consent.hpp"
#include "custos/engine.hpp"

int main(int argc, char** argv) {
  auto policy = custos::Policy::compile(
      "policy \"p\" version 1\ncategory contact.email\npurpose support basis contract\n"
      "role agent\nallow agent to read contact.email as mask for support\n",
      "consumer.custos");
  if (!policy.ok()) return 1;
  custos::Engine engine(*policy);
  const custos::Decision d = engine.check_json(
      R"({"actor": {"roles": ["agent"]}, "action": "read", "purpose": "support",
          "categories": ["contact.email"]})");
  std::printf("%s\n", d.to_json().c_str());
  if (!d.allowed || d.items[0].transform.to_string() != "mask") return 1;

  custos::ConsentState state;
  if (!custos::parse_consent_state("withdrawn", &state) ||
      std::string(custos::consent_state_name(state)) != "withdrawn") {
    return 1;
  }
  if (argc > 1) {  // a scratch directory: the consent store opens there
    auto store = custos::ConsentStore::open(std::string(argv[1]) + "/consent.db");
    if (!store.ok()) return 1;
    if (!(*store)->grant("c-1", "support", 1767225600).ok()) return 1;
    auto history = (*store)->history("c-1");
    if (!history.ok() || history->size() != 1) return 1;
  }
  return std::string(custos::reason_code(custos::Reason::kObjected)) == "objected" ? 0 : 1;
}
