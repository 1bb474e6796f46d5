// A C++17 consumer of the installed package, built with nothing but
// `pkg-config --cflags --libs custos` (tests/pkgconfig/pkgconfig_test.sh):
// decides one request through the umbrella header and prints the decision.
#include <cstdio>
#include <string>

#include "custos/custos.hpp"

int main() {
  auto policy = custos::Policy::compile(
      "policy \"p\" version 1\ncategory contact.email\npurpose support basis contract\n"
      "role agent\n@id(\"agent-mask\") allow agent to read contact.email as mask for support\n",
      "consumer.custos");
  if (!policy.ok()) {
    std::fprintf(stderr, "%s\n", policy.status().message().c_str());
    return 1;
  }
  custos::Engine engine(*policy);
  custos::Request request;
  request.actor.roles = {"agent"};
  request.action = "read";
  request.purpose = "support";
  request.categories = {"contact.email"};
  const custos::Decision d = engine.check(request);
  // Up to the policy's hash, which the test need not know.
  const std::string json = d.to_json();
  const std::size_t tail = json.find(",\"policy\":{\"name\":\"p\",\"version\":1,");
  std::printf("custos %s (C++): %s\n", CUSTOS_VERSION_STRING,
              json.substr(0, tail == std::string::npos ? 0 : tail).c_str());
  return 0;
}
