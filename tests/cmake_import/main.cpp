// Decides one request through the installed library; exits 0 when the
// decision is the expected one.
#include <cstdio>

#include "custos/engine.hpp"

int main() {
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
  return d.allowed && d.items[0].transform.to_string() == "mask" ? 0 : 1;
}
