// The billed multipart checks added for issue 4 (face match, ID verification)
// and the `date_from`/`date_to` filters of the session list.
#include <gtest/gtest.h>

#include "sandbox_harness.h"
#include "testing/fake_clock.h"

namespace idem::sandbox::testing {
namespace {

TEST(Checks, FaceMatchShapeAndDeterminism) {
  Harness h;
  auto same =
      SendForm(h, "/v3/face-match/",
               {{"user_image", "face"}, {"ref_image", "face"}, {"vendor_data", "u1", false}});
  ASSERT_TRUE(same);
  ASSERT_EQ(same->status, 200) << same->body;
  auto j = Json(same);
  EXPECT_TRUE(j["request_id"].is_string());
  EXPECT_EQ(j["face_match"]["score"], 100);
  EXPECT_EQ(j["face_match"]["status"], "Approved");
  EXPECT_EQ(j["vendor_data"], "u1");
  EXPECT_TRUE(j.contains("created_at"));
  auto a = Json(SendForm(h, "/v3/face-match/", {{"user_image", "x"}, {"ref_image", "y"}}));
  auto b = Json(SendForm(h, "/v3/face-match/", {{"user_image", "x"}, {"ref_image", "y"}}));
  EXPECT_EQ(a["face_match"]["score"], b["face_match"]["score"]);
  EXPECT_NE(a["request_id"], b["request_id"]);
  EXPECT_TRUE(a["vendor_data"].is_null());
  EXPECT_EQ(h.Stats()["executions"]["face_match"], 3);
}

TEST(Checks, FaceMatchErrors) {
  Harness h;
  auto missing = SendForm(h, "/v3/face-match/", {{"user_image", "face"}});
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 400);
  EXPECT_TRUE(Json(missing).contains("ref_image"));
  EXPECT_EQ(SendForm(h, "/v3/face-match/", {{"user_image", ""}, {"ref_image", "r"}})->status, 400);
  EXPECT_EQ(h.Post("/v3/face-match/", "{}")->status, 400);  // not multipart
  EXPECT_EQ(h.Send("GET", "/v3/face-match/")->status, 405);
  EXPECT_EQ(h.Stats()["executions"]["face_match"], 0);
}

TEST(Checks, IdVerificationShape) {
  Harness h;
  auto r = SendForm(h, "/v3/id-verification/",
                    {{"front_image", "front"},
                     {"back_image", "back"},
                     {"perform_document_liveness", "true", false},
                     {"vendor_data", "u2", false}});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  auto j = Json(r);
  EXPECT_TRUE(j["request_id"].is_string());
  EXPECT_TRUE(j["id_verification"]["status"].is_string());
  EXPECT_TRUE(j["id_verification"]["document_number"].is_string());
  EXPECT_EQ(j["id_verification"]["document_liveness"], "Approved");
  EXPECT_TRUE(j["id_verification"]["warnings"].empty());
  EXPECT_EQ(j["vendor_data"], "u2");
  auto front_only = Json(SendForm(h, "/v3/id-verification/", {{"front_image", "front"}}));
  EXPECT_TRUE(front_only["id_verification"]["document_liveness"].is_null());
  EXPECT_EQ(front_only["id_verification"]["warnings"].size(), 1u);
  EXPECT_EQ(h.Stats()["executions"]["id_verification"], 2);
}

TEST(Checks, IdVerificationErrors) {
  Harness h;
  auto missing = SendForm(h, "/v3/id-verification/", {{"back_image", "back"}});
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 400);
  EXPECT_TRUE(Json(missing).contains("front_image"));
  EXPECT_EQ(SendForm(h, "/v3/id-verification/",
                     {{"front_image", "f"}, {"perform_document_liveness", "maybe", false}})
                ->status,
            400);
  EXPECT_EQ(SendForm(h, "/v3/id-verification/", {{"front_image", "f"}, {"back_image", ""}})->status,
            400);
  EXPECT_EQ(h.Stats()["executions"]["id_verification"], 0);
}

TEST(Checks, BilledChecksHonourIdempotencyKeys) {
  Harness h(Ideal());
  auto first =
      SendForm(h, "/v3/face-match/", {{"user_image", "u"}, {"ref_image", "r"}}, "fm-1", "b1");
  auto again =
      SendForm(h, "/v3/face-match/", {{"user_image", "u"}, {"ref_image", "r"}}, "fm-1", "b2");
  ASSERT_TRUE(first && again);
  EXPECT_EQ(again->body, first->body);
  EXPECT_EQ(Header(again, "Idempotent-Replayed"), "true");
  EXPECT_EQ(
      SendForm(h, "/v3/face-match/", {{"user_image", "u"}, {"ref_image", "other"}}, "fm-1")->status,
      422);
  auto id1 = SendForm(h, "/v3/id-verification/", {{"front_image", "f"}}, "id-1");
  auto id2 = SendForm(h, "/v3/id-verification/", {{"front_image", "f"}}, "id-1");
  ASSERT_TRUE(id1 && id2);
  EXPECT_EQ(id2->body, id1->body);
  auto stats = h.Stats();
  EXPECT_EQ(stats["executions"]["face_match"], 1);
  EXPECT_EQ(stats["executions"]["id_verification"], 1);
  EXPECT_EQ(stats["duplicate_executions"], 0);
  auto executions = h.Executions();
  ASSERT_EQ(executions["count"], 2);
  EXPECT_EQ(executions["executions"][0]["kind"], "face_match");
  EXPECT_EQ(executions["executions"][0]["idempotency_key"], "fm-1");
  EXPECT_EQ(executions["executions"][0]["resource_id"], Json(first)["request_id"]);
  EXPECT_EQ(executions["executions"][1]["kind"], "id_verification");
}

TEST(Checks, ListFiltersByCreationDate) {
  // FakeClock starts at 2027-01-15T08:00:00Z.
  auto clock = std::make_shared<idem::testing::FakeClock>();
  SandboxOptions options;
  options.clock = clock;
  Harness h(options);
  ASSERT_EQ(h.Post("/v3/session/", CreateBody("d1"))->status, 201);  // 01-15 08:00
  clock->Advance(std::chrono::hours(24));
  ASSERT_EQ(h.Post("/v3/session/", CreateBody("d2"))->status, 201);  // 01-16 08:00
  clock->Advance(std::chrono::hours(24));
  ASSERT_EQ(h.Post("/v3/session/", CreateBody("d3"))->status, 201);  // 01-17 08:00
  auto count = [&](const std::string& q) {
    return Json(h.Send("GET", "/v3/sessions/?" + q))["count"].get<int>();
  };
  EXPECT_EQ(count("date_from=2027-01-16"), 2);
  EXPECT_EQ(count("date_to=2027-01-16"), 2);  // the whole day of date_to counts
  EXPECT_EQ(count("date_from=2027-01-16&date_to=2027-01-16"), 1);
  EXPECT_EQ(count("date_from=2027-01-15T08:00:00Z&date_to=2027-01-15T08:00:00Z"), 1);
  EXPECT_EQ(count("date_from=2027-01-15T08:00:00.001Z"), 2);
  EXPECT_EQ(count("date_from=2027-01-18"), 0);
  auto page = Json(h.Send("GET", "/v3/sessions/?date_from=2027-01-15&limit=1"));
  EXPECT_EQ(page["results"][0]["vendor_data"], "d3");
  EXPECT_EQ(page["next"], h.url() + "/v3/sessions/?limit=1&offset=1&date_from=2027-01-15");
  for (const char* bad : {"date_from=yesterday", "date_to=2027-13-01", "date_from=2027-02-30",
                          "date_to=2027-01-15T25:00:00Z", "date_from=2027-01-15x"}) {
    EXPECT_EQ(h.Send("GET", std::string("/v3/sessions/?") + bad)->status, 400) << bad;
  }
}

}  // namespace
}  // namespace idem::sandbox::testing
