// DerivedOpId: equal requests give equal ids, any differing byte another.
#include "idem/op_id.h"

#include <gtest/gtest.h>

#include <functional>
#include <set>
#include <vector>

namespace idem {
namespace {

OpRequest Request() {
  OpRequest r;
  r.kind = "aml";
  r.method = "POST";
  r.path = "/v3/aml/";
  r.body = R"({"full_name":"Jane Doe"})";
  return r;
}

TEST(DerivedOpId, TheSameRequestGivesTheSameIdNamedByItsKind) {
  const std::string id = DerivedOpId(Request());
  EXPECT_EQ(id, DerivedOpId(Request()));
  EXPECT_EQ(id.rfind("aml-", 0), 0u) << id;
  EXPECT_EQ(id.size(), 4u + 32u) << id;
  // Headers and the natural key are not the request's identity.
  OpRequest with_extras = Request();
  with_extras.headers.push_back({"X-Trace", "1"});
  with_extras.natural_key = "check:AML:x";
  EXPECT_EQ(DerivedOpId(with_extras), id);
}

TEST(DerivedOpId, AnyDifferenceGivesAnotherId) {
  std::set<std::string> ids = {DerivedOpId(Request())};
  // One field changed at a time.
  const std::vector<std::function<void(OpRequest&)>> changes = {
      [](OpRequest& r) { r.kind = "call"; }, [](OpRequest& r) { r.method = "PATCH"; },
      [](OpRequest& r) { r.path = "/v3/aml"; }, [](OpRequest& r) { r.content_type = "text/plain"; },
      [](OpRequest& r) { r.body += " "; },
      // Fields are length-prefixed: moving bytes between them changes the id.
      [](OpRequest& r) {
        r.path = "/v3/aml/x";
        r.body = "y";
      },
      [](OpRequest& r) {
        r.path = "/v3/aml/";
        r.body = "xy";
      }};
  for (const auto& change : changes) {
    OpRequest r = Request();
    change(r);
    ids.insert(DerivedOpId(r));
  }
  EXPECT_EQ(ids.size(), 1 + changes.size());
}

}  // namespace
}  // namespace idem
