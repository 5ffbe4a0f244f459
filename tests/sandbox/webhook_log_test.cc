// The sandbox's per-session webhook delivery log (GET
// /v3/session/{id}/webhooks/, POST .../webhook/{delivery_uuid}/resend): a
// row per attempt of the sandbox's sender against a real receiver that
// answers 500 once and then 200; a resend re-delivers the original body
// with a fresh signature as a new row; 404s; hostile paths and bodies.
#include "sandbox/webhook_log.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <vector>

#include "idem/retry.h"
#include "sandbox_harness.h"
#include "server/http_server.h"
#include "testing/wait.h"

namespace idem::sandbox::testing {
namespace {

using nlohmann::json;

constexpr char kSecret[] = "log-secret";

class FlakyReceiver {
 public:
  FlakyReceiver() {
    auto server = server::HttpServer::Start(
        {}, server::Synchronous([this](const server::Request& r) {
          std::lock_guard<std::mutex> lock(mu_);
          bodies_.push_back(r.body);
          return server::Response{bodies_.size() == 1 ? 500 : 200, {}, "{}"};
        }));
    EXPECT_TRUE(server);
    if (server) server_ = std::move(*server);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_->port()) + "/h"; }
  std::vector<std::string> bodies() {
    std::lock_guard<std::mutex> lock(mu_);
    return bodies_;
  }

 private:
  std::mutex mu_;
  std::vector<std::string> bodies_;
  std::unique_ptr<server::HttpServer> server_;
};

SandboxOptions WithWebhooks(const std::string& url) {
  SandboxOptions o;
  o.webhook_url = url;
  o.webhook_secret = kSecret;
  o.webhook_max_attempts = 3;
  o.webhook_backoff = std::make_shared<FixedScheduleBackoff>(
      std::vector<std::chrono::milliseconds>{std::chrono::milliseconds(10)});
  return o;
}

json Rows(Harness& h, const std::string& id) {
  auto r = h.Send("GET", "/v3/session/" + id + "/webhooks/");
  if (!r || r->status != 200) return json();
  return json::parse(r->body, nullptr, false);
}

// A resend the sender can no longer take (it is shutting down) is refused
// and leaves no PENDING row that would never be attempted.
TEST(WebhookLog, AResendTheSenderRefusesLeavesNoPendingRow) {
  WebhookDeliveryLog log;
  WebhookAttempt first;
  first.attempt = 1;
  first.url = "http://127.0.0.1:9/hook";
  first.body = R"({"session_id":"s-1","webhook_type":"status.updated"})";
  first.status = 500;
  log.Record(first);
  ASSERT_EQ(log.List("s-1").size(), 1u);
  const std::string uuid = log.List("s-1")[0]["uuid"];
  log.SetEnqueue([](std::string, std::string) -> Status {
    return MakeError(ErrorCode::kUnavailable, "the sender is shutting down");
  });
  EXPECT_FALSE(log.Resend("s-1", uuid, 0).has_value());
  EXPECT_EQ(log.List("s-1").size(), 1u) << log.List("s-1").dump();
}

TEST(WebhookLog, EveryAttemptIsARowAndAResendIsANewOne) {
  FlakyReceiver receiver;
  Harness h(WithWebhooks(receiver.url()));
  ASSERT_TRUE(h.ok());
  const std::string id = Json(h.Post("/v3/session/", CreateBody("log-1")))["session_id"];
  ASSERT_FALSE(id.empty());
  // The created session's status.updated: 500, then 200 on the retry.
  ASSERT_TRUE(idem::testing::WaitUntil(std::chrono::seconds(30), [&] {
    const json rows = Rows(h, id);
    return rows.is_array() && rows.size() == 2 && rows[1]["status"] == "SUCCESS";
  }));
  const json rows = Rows(h, id);
  EXPECT_EQ(rows[0]["status"], "FAILED");
  EXPECT_EQ(rows[0]["response_status"], 500);
  EXPECT_EQ(rows[1]["response_status"], 200);
  for (const json& row : rows) {
    EXPECT_EQ(row["session_id"], id);
    EXPECT_EQ(row["webhook_type"], "status.updated");
    EXPECT_EQ(row["request_url"], receiver.url());
    EXPECT_TRUE(row["created_at"].is_string());
    ASSERT_TRUE(row["request_body"].is_string());
    EXPECT_EQ(json::parse(row["request_body"].get<std::string>())["session_id"], id);
    ASSERT_TRUE(row["request_header"].is_string());
    const json headers = json::parse(row["request_header"].get<std::string>());
    EXPECT_EQ(headers["X-Signature"].get<std::string>().size(), 64u);
    EXPECT_FALSE(headers["X-Timestamp"].get<std::string>().empty());
  }
  EXPECT_NE(rows[0]["uuid"], rows[1]["uuid"]);
  EXPECT_EQ(rows[0]["request_body"], rows[1]["request_body"]);

  // Resend the first delivery: a new row, PENDING until its attempt lands.
  auto resent = h.Post(
      "/v3/session/" + id + "/webhook/" + rows[0]["uuid"].get<std::string>() + "/resend", "");
  ASSERT_EQ(resent->status, 201) << resent->body;
  const json row = Json(resent);
  EXPECT_EQ(row["session_id"], id);
  EXPECT_EQ(row["request_body"], rows[0]["request_body"]);
  EXPECT_NE(row["uuid"], rows[0]["uuid"]);
  ASSERT_TRUE(idem::testing::WaitUntil(std::chrono::seconds(30), [&] {
    const json now = Rows(h, id);
    return now.is_array() && now.size() == 3 && now[2]["status"] == "SUCCESS";
  }));
  const json after = Rows(h, id);
  EXPECT_EQ(after[2]["uuid"], row["uuid"]);
  EXPECT_EQ(after[2]["response_status"], 200);
  EXPECT_EQ(after[2]["request_body"], rows[0]["request_body"]);
  const json headers = json::parse(after[2]["request_header"].get<std::string>());
  EXPECT_EQ(headers["X-Signature"].get<std::string>().size(), 64u);
  // The receiver got the original body a third time.
  auto bodies = receiver.bodies();
  ASSERT_EQ(bodies.size(), 3u);
  EXPECT_EQ(bodies[2], bodies[0]);
  // Not an execution: nothing at Didit changed.
  EXPECT_EQ(h.Stats()["executions"]["create_session"], 1);
}

TEST(WebhookLog, NotFoundsAndHostileRequests) {
  FlakyReceiver receiver;
  Harness h(WithWebhooks(receiver.url()));
  ASSERT_TRUE(h.ok());
  const std::string id = Json(h.Post("/v3/session/", CreateBody("log-2")))["session_id"];
  ASSERT_TRUE(idem::testing::WaitUntil(std::chrono::seconds(30), [&] {
    const json rows = Rows(h, id);
    return rows.is_array() && rows.size() == 2;
  }));
  const std::string delivery = Rows(h, id)[0]["uuid"];
  const std::string unknown = "00000000-0000-4000-8000-000000000000";
  auto list_unknown = h.Send("GET", "/v3/session/" + unknown + "/webhooks/");
  EXPECT_EQ(list_unknown->status, 404);
  EXPECT_EQ(Json(list_unknown)["detail"], "Session not found.");
  EXPECT_EQ(h.Post("/v3/session/" + unknown + "/webhook/" + delivery + "/resend", "")->status, 404);
  auto no_delivery = h.Post("/v3/session/" + id + "/webhook/" + unknown + "/resend", "");
  EXPECT_EQ(no_delivery->status, 404);
  EXPECT_EQ(Json(no_delivery)["detail"], "Webhook delivery not found.");
  // Another session's delivery is not this one's.
  const std::string other = Json(h.Post("/v3/session/", CreateBody("log-3")))["session_id"];
  EXPECT_EQ(h.Post("/v3/session/" + other + "/webhook/" + delivery + "/resend", "")->status, 404);
  // Wrong methods, odd paths.
  EXPECT_EQ(h.Send("GET", "/v3/session/" + id + "/webhook/" + delivery + "/resend")->status, 405);
  EXPECT_EQ(h.Post("/v3/session/" + id + "/webhooks/", "{}")->status, 405);
  EXPECT_EQ(h.Post("/v3/session/" + id + "/webhook/a/b/resend", "")->status, 404);
  EXPECT_EQ(h.Post("/v3/session//webhook/" + delivery + "/resend", "")->status, 404);
  // The resend takes no body: malformed, too deep, invalid UTF-8 and
  // oversized bodies are ignored (never a crash); the session's log still reads.
  for (const std::string& body : {std::string("{"), std::string(3000, '['),
                                  std::string("{\"a\":\"\xff\"}"), std::string(60000, 'x')}) {
    auto r = h.Post("/v3/session/" + id + "/webhook/" + unknown + "/resend", body);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 404);
  }
  EXPECT_TRUE(Rows(h, id).is_array());
}

TEST(WebhookLog, WithoutWebhooksTheLogIsEmpty) {
  Harness h;
  const std::string id = Json(h.Post("/v3/session/", CreateBody("log-4")))["session_id"];
  EXPECT_EQ(Rows(h, id), json::array());
  EXPECT_EQ(h.Post("/v3/session/" + id + "/webhook/x/resend", "")->status, 404);
}

}  // namespace
}  // namespace idem::sandbox::testing
