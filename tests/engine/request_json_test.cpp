#include "catch.hpp"
#include "custos/request.hpp"

using namespace custos;

TEST_CASE("request JSON: the contract's example decodes field by field", "[request]") {
  const Request r = Request::from_json(R"({
    "actor":   {"id": "agent-7", "roles": ["support_agent"], "attributes": {"region": "eu"}},
    "action":  "read",
    "purpose": "service.support",
    "subject": {"id": 42, "attributes": {"age": 30, "tags": ["a", 1], "o": {"x": 1}, "f": 1.5},
                "consent": [{"purpose": "marketing.email", "state": "granted",
                             "at": "2026-01-02T00:00:00Z", "expires": null, "source": "web"}]},
    "categories": ["contact.email", "financial.card"],
    "collected_at": "2025-03-01T00:00:00Z",
    "context": {"time": "2026-11-28T12:00:00Z", "attributes": {"channel": "web"}} })");
  REQUIRE(r.malformed.empty());
  CHECK(r.actor.id == "agent-7");
  CHECK(r.actor.roles == std::vector<std::string>{"support_agent"});
  CHECK(r.actor.attributes.at("region") == Value::of_text("eu"));
  CHECK(r.subject->id == "42");  // an integer id is its decimal text
  CHECK(r.subject->attributes.at("age") == Value::of_int(30));
  CHECK(r.subject->attributes.at("tags") ==
        Value::of_list({Value::of_text("a"), Value::of_int(1)}));
  CHECK(r.subject->attributes.at("o").kind == Value::Kind::kOther);
  CHECK(r.subject->attributes.at("f") == Value::of_real(1.5));
  REQUIRE(r.subject->consent->size() == 1);
  CHECK((*r.subject->consent)[0].at == 1767312000);
  CHECK_FALSE((*r.subject->consent)[0].expires.has_value());
  CHECK((*r.subject->consent)[0].source == "web");
  CHECK(r.categories.size() == 2);
  CHECK(r.collected_at == 1740787200);
  CHECK(r.time == 1795867200);
  CHECK(r.context.at("channel") == Value::of_text("web"));
  // And back: to_json then from_json gives the same request.
  const Request again = Request::from_json(r.to_json());
  CHECK(again.malformed.empty());
  CHECK(again.to_json() == r.to_json());
}

TEST_CASE("request JSON: null counts as absent", "[request]") {
  const Request r = Request::from_json(
      R"({"actor": {"id": null, "roles": null}, "action": "share", "purpose": "p",
          "subject": null, "categories": ["c"], "collected_at": null, "context": null})");
  CHECK(r.malformed.empty());
  CHECK_FALSE(r.actor.id.has_value());
  CHECK_FALSE(r.subject.has_value());
  CHECK_FALSE(r.collected_at.has_value());
}

TEST_CASE("request JSON: every malformed shape is named, categories kept when readable",
          "[request]") {
  const std::string tail = R"(, "categories": ["c1", "c2"]})";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"action": "read", "purpose": "p")", "actor is missing"},
      {R"({"actor": [], "action": "read", "purpose": "p")", "actor must be an object"},
      {R"({"actor": {"id": true}, "action": "read", "purpose": "p")",
       "actor.id must be a string or an integer"},
      {R"({"actor": {"roles": "a"}, "action": "read", "purpose": "p")",
       "actor.roles must be an array of strings"},
      {R"({"actor": {"roles": [1]}, "action": "read", "purpose": "p")",
       "actor.roles must be an array of strings"},
      {R"({"actor": {"attributes": 3}, "action": "read", "purpose": "p")",
       "actor.attributes must be an object"},
      {R"({"actor": {}, "purpose": "p")", "action must be a string"},
      {R"({"actor": {}, "action": "use", "purpose": "p")", "action must be read or share, not use"},
      {R"({"actor": {}, "action": "read")", "purpose must be a string"},
      {R"({"actor": {}, "action": "read", "purpose": 7)", "purpose must be a string"},
      {R"({"actor": {}, "action": "read", "purpose": "p", "subject": 1)",
       "subject must be an object"},
      {R"({"actor": {}, "action": "read", "purpose": "p", "subject": {})", "subject.id is missing"},
      {R"({"actor": {}, "action": "read", "purpose": "p", "subject": {"id": "s", "consent": {}})",
       "subject.consent must be an array of records"},
      {R"({"actor": {}, "action": "read", "purpose": "p", "subject": {"id": "s", "consent": [{"purpose": "m", "state": "maybe", "at": "2026-01-01T00:00:00Z"}]})",
       "a consent record's state must be granted, withdrawn or objected"},
      {R"({"actor": {}, "action": "read", "purpose": "p", "subject": {"id": "s", "consent": [{"purpose": "m", "state": "granted"}]})",
       "a consent record needs `at`"},
      {R"({"actor": {}, "action": "read", "purpose": "p", "collected_at": "yesterday")",
       "collected_at is not an RFC 3339 time: yesterday"},
      {R"({"actor": {}, "action": "read", "purpose": "p", "collected_at": 1700000000)",
       "collected_at must be an RFC 3339 time string"},
      {R"({"actor": {}, "action": "read", "purpose": "p", "context": {"time": "2026-02-30T00:00:00Z"})",
       "context.time is not an RFC 3339 time: 2026-02-30T00:00:00Z"},
      {R"({"actor": {}, "action": "read", "purpose": "p", "context": [])",
       "context must be an object"},
  };
  for (const auto& [head, why] : cases) {
    INFO(head);
    const Request r = Request::from_json(head + tail);
    CHECK(r.malformed == why);
    CHECK(r.categories == std::vector<std::string>{"c1", "c2"});
  }
}

TEST_CASE("request JSON: unreadable categories leave none", "[request]") {
  for (const char* bad :
       {R"({"actor": {}, "action": "read", "purpose": "p"})",
        R"({"actor": {}, "action": "read", "purpose": "p", "categories": []})",
        R"({"actor": {}, "action": "read", "purpose": "p", "categories": ["a", 1]})",
        R"({"actor": {}, "action": "read", "purpose": "p", "categories": "a"})", "not json",
        "[1, 2]", ""}) {
    INFO(bad);
    const Request r = Request::from_json(bad);
    CHECK_FALSE(r.malformed.empty());
    CHECK(r.categories.empty());
  }
}

TEST_CASE("request JSON: hostile documents are refused before parsing", "[request][hostile]") {
  const Request deep = Request::from_json(std::string(100000, '[') + std::string(100000, ']'));
  CHECK(deep.malformed == "request is nested deeper than 32");
  const Request big = Request::from_json(std::string(2 * 1024 * 1024, ' '));
  CHECK(big.malformed == "request is larger than 1048576 bytes");
  const Request bad_utf8 = Request::from_json("{\"actor\": {\"id\": \"\xFF\"}}");
  CHECK(bad_utf8.malformed == "request is not valid JSON");
  // Brackets inside strings do not count as nesting.
  const Request in_string = Request::from_json(
      R"({"actor": {"id": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}, "action": "read",
          "purpose": "p", "categories": ["c"]})");
  CHECK(in_string.malformed.empty());
}

TEST_CASE("request JSON: a key given twice in one object is malformed, at any depth",
          "[request][hostile]") {
  const std::string rest = R"("actor": {"roles": ["agent"]}, "purpose": "p", "categories": ["c"])";
  // A gateway that reads the first `action` would see a share; nlohmann
  // keeps the last. Neither wins: the request is refused.
  const Request top = Request::from_json(R"({"action": "share", "action": "read", )" + rest + "}");
  CHECK(top.malformed == R"(request has the key "action" twice in one object)");
  CHECK(top.categories.empty());
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"actor": {"roles": ["a"], "roles": ["b"]}, "action": "read", "purpose": "p",
           "categories": ["c"]})",
       "roles"},
      {R"({"actor": {}, "action": "read", "purpose": "p", "categories": ["c"],
           "subject": {"id": "s", "attributes": {"age": 30, "age": 12}}})",
       "age"},
      {R"({"actor": {}, "action": "read", "purpose": "p", "categories": ["c"],
           "subject": {"id": "s", "consent": [{"purpose": "m", "state": "granted",
             "state": "withdrawn", "at": "2026-01-01T00:00:00Z"}]}})",
       "state"},
      {R"({"actor": {}, "action": "read", "purpose": "p", "categories": ["c"],
           "context": {"attributes": {"x": {"deep": [{"k": 1, "k": 2}]}}}})",
       "k"},
      // Keys compare after unescaping.
      {R"({"actor": {}, "action": "read", "purpose": "p", "categories": ["c"],
           "purpose": "q"})",
       "purpose"},
      {R"({"actor": {}, "action": "read", "purpose": "p", "categories": ["c"],
           "\u0070urpose": "q"})",
       "purpose"},
      {R"({"actor": {}, "action": "read", "purpose": "p", "categories": ["c"],
           "": 1, "": 2})",
       ""},
  };
  for (const auto& [text, key] : cases) {
    INFO(text);
    const Request r = Request::from_json(text);
    CHECK(r.malformed == "request has the key \"" + key + "\" twice in one object");
  }
  // The same key in two different objects is no duplicate.
  const Request siblings = Request::from_json(
      R"({"actor": {"id": "a"}, "action": "read", "purpose": "p", "categories": ["c"],
          "subject": {"id": "s", "consent": [
            {"purpose": "m", "state": "granted", "at": "2026-01-01T00:00:00Z"},
            {"purpose": "m", "state": "withdrawn", "at": "2026-02-01T00:00:00Z"}]}})");
  CHECK(siblings.malformed.empty());
  REQUIRE(siblings.subject);
  CHECK(siblings.subject->consent->size() == 2);
  // A long key is cut in the message, and quotes in it are escaped.
  const Request long_key = Request::from_json("{\"" + std::string(100, 'k') + "\": 1, \"" +
                                              std::string(100, 'k') + "\": 2}");
  CHECK(long_key.malformed ==
        "request has the key \"" + std::string(64, 'k') + "...\" twice in one object");
  const Request quoted = Request::from_json(R"({"a\"b": 1, "a\"b": 2})");
  CHECK(quoted.malformed == R"(request has the key "a\"b" twice in one object)");
  // Invalid JSON stays invalid JSON, duplicate or not.
  CHECK(Request::from_json(R"({"a": 1, "a": 2)").malformed == "request is not valid JSON");
}

TEST_CASE("request JSON: many distinct keys in one object are fine and quick",
          "[request][hostile]") {
  std::string text = R"({"actor": {}, "action": "read", "purpose": "p", "categories": ["c"],
                         "context": {"attributes": {)";
  for (int i = 0; i < 50000; ++i) text += (i ? ",\"k" : "\"k") + std::to_string(i) + "\": 1";
  text += "}}}";
  const Request r = Request::from_json(text);
  CHECK(r.malformed.empty());
  CHECK(r.context.size() == 50000);
  text.insert(text.size() - 3, R"(, "k49999": 2)");
  CHECK(Request::from_json(text).malformed ==
        R"(request has the key "k49999" twice in one object)");
}
