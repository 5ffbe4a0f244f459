// DerivedOpId: equal requests give equal ids, any differing byte another.
#include "idem/op_id.h"

#include <gtest/gtest.h>

#include <set>

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
  OpRequest r = Request();
  r.kind = "call";
  ids.insert(DerivedOpId(r));
  r = Request();
  r.method = "PATCH";
  ids.insert(DerivedOpId(r));
  r = Request();
  r.path = "/v3/aml";
  ids.insert(DerivedOpId(r));
  r = Request();
  r.content_type = "text/plain";
  ids.insert(DerivedOpId(r));
  r = Request();
  r.body += " ";
  ids.insert(DerivedOpId(r));
  // Fields are length-prefixed: moving bytes between them changes the id.
  OpRequest a = Request();
  a.path = "/v3/aml/x";
  a.body = "y";
  OpRequest b = Request();
  b.path = "/v3/aml/";
  b.body = "xy";
  ids.insert(DerivedOpId(a));
  ids.insert(DerivedOpId(b));
  EXPECT_EQ(ids.size(), 8u);
}

}  // namespace
}  // namespace idem
