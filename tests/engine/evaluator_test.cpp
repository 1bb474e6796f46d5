// The evaluator below the engine: a rule's condition is evaluated once per
// request, however many leaves of an item (and items of a request) share
// the rule (issue 6: one item once cost leaves x condition length).
#include "engine/evaluator.hpp"

#include "engine_test_util.hpp"

using namespace custos;
using namespace custos::detail;

namespace {

// Gives every attribute slot the same int value and counts the loads.
struct CountingSource {
  int loads = 0;
  RtValue value{};
  const RtValue& load(std::uint32_t) {
    ++loads;
    return value;
  }
};

std::string wide_policy(int leaves) {
  std::string text = "policy \"t\" version 1\ncategory wide.c0";
  for (int i = 1; i < leaves; ++i) text += ", wide.c" + std::to_string(i);
  text +=
      "\npurpose p basis contract\nrole r\nretain * for 1y\n"
      "attribute subject.age : int\n"
      "allow r to read wide for p when subject.age >= 18\n";
  return text;
}

}  // namespace

TEST_CASE("evaluator: a condition is evaluated once per request, not once per leaf",
          "[evaluator]") {
  const auto policy = custos::test::compile_or_fail(wide_policy(200));
  const CompiledPolicy& cp = PolicyAccess::compiled(*policy);
  REQUIRE(cp.conditions.size() == 1);
  ResolvedRequest request;
  request.purpose = cp.purpose_table.find("p");
  const std::int32_t role = cp.role_table.find("r");
  request.held = &cp.role_closure[static_cast<std::size_t>(role) * cp.role_words];
  request.now = 1795867200;
  request.collected_at = request.now;
  const std::int32_t wide = cp.category_table.find("wide");
  REQUIRE(cp.leaves_of[static_cast<std::size_t>(wide)].size() == 200);

  CountingSource source;
  source.value.tag = RtValue::Tag::kInt;
  source.value.number = 30;
  std::vector<RtValue> scratch;
  ConditionMemo memo;
  memo.begin(cp.conditions.size());
  Verdict v = decide_item(cp, request, wide, source, scratch, memo, nullptr);
  CHECK(v.reason == Reason::kNone);
  CHECK(source.loads == 1);
  // A second item of the same request reuses the result ...
  v = decide_item(cp, request, cp.category_table.find("wide.c7"), source, scratch, memo, nullptr);
  CHECK(v.reason == Reason::kNone);
  CHECK(source.loads == 1);
  // ... and the next request evaluates afresh, with its own values.
  source.value.number = 15;
  memo.begin(cp.conditions.size());
  v = decide_item(cp, request, wide, source, scratch, memo, nullptr);
  CHECK(v.reason == Reason::kNoMatchingAllow);
  CHECK(source.loads == 2);
}

TEST_CASE("evaluator: the memo keeps a condition's error for explanations", "[evaluator]") {
  ConditionMemo memo;
  memo.begin(3);
  int calls = 0;
  const auto failing = [&](EvalError* e) {
    ++calls;
    e->what = "missing attribute";
    e->slot = 2;
    return EvalResult::kError;
  };
  EvalError error;
  CHECK(memo.get(1, &error, failing) == EvalResult::kError);
  error = EvalError{};
  CHECK(memo.get(1, &error, failing) == EvalResult::kError);
  CHECK(calls == 1);
  CHECK(std::string(error.what) == "missing attribute");
  CHECK(error.slot == 2);
  memo.begin(3);
  CHECK(memo.get(1, &error, [](EvalError*) { return EvalResult::kTrue; }) == EvalResult::kTrue);
}
