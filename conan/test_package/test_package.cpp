// The C++ call of the test package: a policy compiled and one request
// decided; then the C call (c_call.c).
#include <cstdio>

#include "custos/engine.hpp"

extern "C" int custos_test_package_c_call(void);

int main() {
  auto policy = custos::Policy::compile(
      "policy \"p\" version 1\ncategory contact.email\npurpose support basis contract\n"
      "role agent\nallow agent to read contact.email as mask for support\n",
      "test_package.custos");
  if (!policy.ok()) return 1;
  custos::Engine engine(*policy);
  const custos::Decision d = engine.check_json(
      R"({"actor": {"roles": ["agent"]}, "action": "read", "purpose": "support",
          "categories": ["contact.email"]})");
  std::printf("C++: allowed=%d transform=%s\n", d.allowed ? 1 : 0,
              d.items.empty() ? "" : d.items[0].transform.to_string().c_str());
  const int c_ok = custos_test_package_c_call();
  std::printf("C: %s\n", c_ok ? "ok" : "FAILED");
  return d.allowed && c_ok ? 0 : 1;
}
