// The per-session webhook delivery log through the typed calls against the
// real sandbox (its sender delivering to a real receiver on port 0): list,
// resend, 404s, hostile answers, and a resend whose answer is lost: sent
// again per the profile row (one more delivery, harmless).
#include <gtest/gtest.h>

#include <mutex>

#include "idem/didit/endpoints.h"
#include "idem/didit/webhook_deliveries.h"
#include "idem/retry.h"
#include "sandbox_fixture.h"
#include "server/http_server.h"
#include "testing/wait.h"

namespace idem::didit {
namespace {

using testing::MakeHarness;
using testing::SessionFor;

class Receiver {
 public:
  Receiver() {
    auto server =
        server::HttpServer::Start({}, server::Synchronous([this](const server::Request&) {
                                    std::lock_guard<std::mutex> lock(mu_);
                                    ++count_;
                                    return server::Response{count_ == 1 ? 500 : 200, {}, "{}"};
                                  }));
    EXPECT_TRUE(server);
    if (server) server_ = std::move(*server);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_->port()) + "/h"; }
  int count() {
    std::lock_guard<std::mutex> lock(mu_);
    return count_;
  }

 private:
  std::mutex mu_;
  int count_ = 0;
  std::unique_ptr<server::HttpServer> server_;
};

SandboxOptions WithWebhooks(const std::string& url, std::string faults = "",
                            std::uint64_t seed = 1) {
  SandboxOptions o;
  o.webhook_url = url;
  o.webhook_secret = "deliveries-secret";
  o.webhook_max_attempts = 3;
  o.webhook_backoff = std::make_shared<FixedScheduleBackoff>(
      std::vector<std::chrono::milliseconds>{std::chrono::milliseconds(10)});
  o.faults = std::move(faults);
  o.seed = seed;
  return o;
}

TEST(WebhookDeliveryCalls, ListAndResend) {
  Receiver receiver;
  auto h = MakeHarness(WithWebhooks(receiver.url()));
  ASSERT_TRUE(h);
  auto session = h->didit->CreateSession(SessionFor("deliveries-1"));
  ASSERT_TRUE(session) << session.error().ToString();
  const std::string id = session->session_id;
  std::vector<WebhookDelivery> log;
  ASSERT_TRUE(idem::testing::WaitUntil(std::chrono::seconds(30), [&] {
    auto listed = ListSessionWebhooks(*h->didit, id);
    if (!listed) return false;
    log = std::move(*listed);
    return log.size() == 2 && log[1].status == "SUCCESS";
  }));
  EXPECT_EQ(log[0].response_status, 500);
  EXPECT_EQ(log[1].response_status, 200);
  EXPECT_EQ(log[0].webhook_type, "status.updated");
  EXPECT_EQ(log[0].session_id, id);
  ASSERT_TRUE(log[0].request_header);
  EXPECT_NE(log[0].request_header->find("X-Signature"), std::string::npos);

  auto resent = ResendWebhook(*h->didit, id, log[0].uuid, {.op_id = "resend-1"});
  ASSERT_TRUE(resent) << resent.error().ToString();
  EXPECT_NE(resent->uuid, log[0].uuid);
  EXPECT_EQ(resent->request_body, log[0].request_body);
  ASSERT_TRUE(idem::testing::WaitUntil(std::chrono::seconds(30), [&] {
    auto listed = ListSessionWebhooks(*h->didit, id);
    return listed && listed->size() == 3 && (*listed)[2].status == "SUCCESS";
  }));
  EXPECT_EQ(receiver.count(), 3);

  // 404s are refusals; bad ids are refused before anything is sent.
  auto unknown = ListSessionWebhooks(*h->didit, "00000000-0000-4000-8000-000000000000");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().error.code(), ErrorCode::kRefused);
  auto no_delivery = ResendWebhook(*h->didit, id, "nope");
  ASSERT_FALSE(no_delivery);
  EXPECT_EQ(no_delivery.error().error.code(), ErrorCode::kRefused);
  EXPECT_EQ(ResendWebhook(*h->didit, "", "x").error().error.code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(ResendWebhook(*h->didit, id, "a/b").error().error.code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(ListSessionWebhooks(*h->didit, "a/b").error().error.code(),
            ErrorCode::kInvalidArgument);
}

TEST(WebhookDeliveryCalls, ParsersRefuseHostileAnswers) {
  for (const std::string& body :
       {std::string("{"), std::string("[{}]"), std::string(3000, '['), std::string(3000, '{'),
        std::string("[{\"uuid\":\"\xff\",\"session_id\":\"s\"}]"), std::string("{\"uuid\":7}"),
        std::string("[{\"uuid\":\"u\",\"session_id\":\"s\",\"response_status\":\"x\"}]")}) {
    EXPECT_FALSE(ParseWebhookDeliveries(body)) << body.substr(0, 40);
    EXPECT_FALSE(ParseWebhookDelivery(body)) << body.substr(0, 40);
  }
  nlohmann::json big = nlohmann::json::array();
  for (int i = 0; i < 5000; ++i) {
    big.push_back({{"uuid", std::to_string(i)}, {"session_id", "s"}, {"request_body", "{}"}});
  }
  auto parsed = ParseWebhookDeliveries(big.dump());
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->size(), 5000u);
}

TEST(WebhookDeliveryCalls, ProfileRow) {
  const EndpointProfile* p = FindDiditEndpoint("resend_webhook");
  ASSERT_NE(p, nullptr);
  EXPECT_FALSE(p->billed);
  EXPECT_FALSE(p->honours_key);
  EXPECT_TRUE(p->repeat_refused);
  EXPECT_EQ(DiditEndpointFor("POST", "/v3/session/abc/webhook/def/resend"), p);
  EXPECT_EQ(DiditEndpointFor("POST", "/v3/session/abc/webhook//resend"), nullptr);
  EXPECT_EQ(DiditEndpointFor("POST", "/v3/session/a/b/webhook/def/resend"), nullptr);
}

// The resend's answer is lost after the sandbox queued the delivery: the op
// is sent again (one more delivery of the same body) and succeeds. Seed
// kLostSeed: the session's create goes through, the resend's first answer
// is dropped, its second is not.
constexpr std::uint64_t kLostSeed = 5;

TEST(WebhookDeliveryCalls, ALostResendAnswerIsSentAgain) {
  Receiver receiver;
  auto h = MakeHarness(WithWebhooks(receiver.url(), "drop_after=0.5@writes", kLostSeed));
  ASSERT_TRUE(h);
  auto session = h->didit->CreateSession(SessionFor("deliveries-2"));
  ASSERT_TRUE(session) << session.error().ToString();
  const std::string id = session->session_id;
  // No polling before the resend: every request takes one fault draw, so
  // the draws stay fixed by the seed.
  ASSERT_TRUE(h->sandbox->WaitWebhooksIdle(std::chrono::seconds(30)));
  auto listed = ListSessionWebhooks(*h->didit, id);
  ASSERT_TRUE(listed) << listed.error().ToString();
  ASSERT_EQ(listed->size(), 2u);
  const std::string first = (*listed)[0].uuid;
  auto resent = ResendWebhook(*h->didit, id, first, {.op_id = "resend-lost"});
  ASSERT_TRUE(resent) << resent.error().ToString();
  auto op = h->didit->client().Get("resend-lost");
  EXPECT_EQ((*op)->state, OpState::kSucceeded);
  EXPECT_EQ((*op)->attempts, 2);
  EXPECT_EQ(h->Stats()["faults"]["drop_after"], 1);
  // Two resends reached the sandbox: two more deliveries of the same body.
  ASSERT_TRUE(idem::testing::WaitUntil(std::chrono::seconds(30), [&] {
    auto now = ListSessionWebhooks(*h->didit, id);
    return now && now->size() == 4 && (*now)[3].status == "SUCCESS" &&
           (*now)[2].status == "SUCCESS";
  }));
}

}  // namespace
}  // namespace idem::didit
