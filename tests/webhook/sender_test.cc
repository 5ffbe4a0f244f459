// The sender against real servers: a failure-injecting endpoint (the
// webhook component's own HTTP server with a test handler) and the real
// receiver.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>

#include "idem/webhook_receiver.h"
#include "idem/webhook_sender.h"
#include "server/http_server.h"

namespace idem {
namespace {

constexpr char kSecret[] = "sender-secret";
constexpr auto kWait = std::chrono::seconds(10);

std::string Event(int n, const std::string& status = "Approved") {
  return nlohmann::json{{"event_id", "e" + std::to_string(n)},
                        {"webhook_type", "status.updated"},
                        {"timestamp", 1000 + n},
                        {"session_id", "s" + std::to_string(n)},
                        {"status", status},
                        {"workflow_id", "wf"},
                        {"vendor_data", "v"}}
      .dump();
}

// Answers the scripted statuses in turn (then 200), verifying every request's
// signatures like a real receiver would.
class ScriptedEndpoint {
 public:
  explicit ScriptedEndpoint(std::vector<int> script) : script_(std::move(script)) {
    VerifierOptions vo;
    vo.secrets = {kSecret};
    vo.didit_signatures = {.raw = true, .canonical = false, .simple = false};
    verifier_ =
        std::make_unique<WebhookVerifier>(*WebhookVerifier::Create(WebhookScheme::kDidit, vo));
    vo.didit_signatures = {.raw = false, .canonical = true, .simple = false};
    v2_ = std::make_unique<WebhookVerifier>(*WebhookVerifier::Create(WebhookScheme::kDidit, vo));
    vo.didit_signatures = {.raw = false, .canonical = false, .simple = true};
    simple_ =
        std::make_unique<WebhookVerifier>(*WebhookVerifier::Create(WebhookScheme::kDidit, vo));
    auto server = server::HttpServer::Start(
        {}, server::Synchronous([this](const server::Request& r) {
          std::lock_guard<std::mutex> lock(mu_);
          bool signed_ok = verifier_->Verify(r.headers, r.body) && v2_->Verify(r.headers, r.body) &&
                           simple_->Verify(r.headers, r.body);
          if (!signed_ok) ++bad_signatures_;
          bodies_.push_back(r.body);
          int status = calls_ < script_.size() ? script_[calls_] : 200;
          ++calls_;
          return server::Response{status, {}, "{}"};
        }));
    EXPECT_TRUE(server);
    server_ = std::move(*server);
  }
  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(server_->port()) + "/hook";
  }
  std::size_t calls() {
    std::lock_guard<std::mutex> lock(mu_);
    return calls_;
  }
  int bad_signatures() {
    std::lock_guard<std::mutex> lock(mu_);
    return bad_signatures_;
  }
  std::vector<std::string> bodies() {
    std::lock_guard<std::mutex> lock(mu_);
    return bodies_;
  }

 private:
  std::mutex mu_;
  std::vector<int> script_;
  std::size_t calls_ = 0;
  int bad_signatures_ = 0;
  std::vector<std::string> bodies_;
  std::unique_ptr<WebhookVerifier> verifier_, v2_, simple_;
  std::unique_ptr<server::HttpServer> server_;
};

WebhookSenderOptions Options(const std::string& url) {
  WebhookSenderOptions o;
  o.url = url;
  o.secret = kSecret;
  o.initial_backoff = std::chrono::milliseconds(5);
  o.max_backoff = std::chrono::milliseconds(20);
  o.attempt_timeout = std::chrono::milliseconds(2000);
  return o;
}

TEST(WebhookSenderTest, RetriesOn5xxAnd404UntilAcknowledged) {
  ScriptedEndpoint endpoint({503, 500, 404, 502});
  auto sender = WebhookSender::Create(Options(endpoint.url()));
  ASSERT_TRUE(sender);
  ASSERT_TRUE((*sender)->Enqueue(Event(1)));
  ASSERT_TRUE((*sender)->WaitIdle(kWait));
  auto s = (*sender)->stats();
  EXPECT_EQ(s.deliveries, 5u);
  EXPECT_EQ(s.retries, 4u);
  EXPECT_EQ(s.failed_attempts, 4u);
  EXPECT_EQ(s.acknowledged, 1u);
  EXPECT_EQ(s.given_up, 0u);
  EXPECT_EQ(endpoint.calls(), 5u);
  EXPECT_EQ(endpoint.bad_signatures(), 0);
  for (const auto& body : endpoint.bodies()) EXPECT_EQ(body, Event(1));  // byte for byte
  auto json = nlohmann::json::parse((*sender)->StatsJson());
  EXPECT_EQ(json["retries"], 4);
  EXPECT_EQ(json["acknowledged"], 1);
}

// Didit's per-request callbacks (a KYB search's webhook_url): no secret, no
// url of the sender's own; each entry goes to its own URL, unsigned, with
// X-Didit-Unsigned-Callback, and is retried like any event.
TEST(WebhookSenderTest, UnsignedCallbacksGoToTheirOwnUrlWithoutSignatures) {
  ScriptedEndpoint endpoint({503});
  WebhookSenderOptions o = Options("");
  o.secret.clear();
  o.unsigned_callbacks = true;
  std::mutex mu;
  std::vector<Headers> sent;
  o.on_attempt = [&](const WebhookAttempt& a) {
    std::lock_guard<std::mutex> lock(mu);
    sent.push_back(a.headers);
    EXPECT_EQ(a.url, endpoint.url());
  };
  auto sender = WebhookSender::Create(o);
  ASSERT_TRUE(sender) << sender.error().ToString();
  EXPECT_FALSE((*sender)->Enqueue(Event(1))) << "no url of its own";
  EXPECT_FALSE((*sender)->EnqueueTo("", Event(1)));
  ASSERT_TRUE((*sender)->EnqueueTo(endpoint.url(), Event(2)));
  ASSERT_TRUE((*sender)->WaitIdle(kWait));
  EXPECT_EQ((*sender)->stats().acknowledged, 1u);
  EXPECT_EQ(endpoint.calls(), 2u) << "the 503 is retried";
  EXPECT_EQ(endpoint.bad_signatures(), 2) << "neither attempt is signed";
  for (const auto& body : endpoint.bodies()) EXPECT_EQ(body, Event(2));
  std::lock_guard<std::mutex> lock(mu);
  ASSERT_EQ(sent.size(), 2u);
  for (const Headers& headers : sent) {
    EXPECT_EQ(FindHeader(headers, "X-Didit-Unsigned-Callback").value_or(""), "true");
    for (const char* name :
         {"X-Signature", "X-Signature-V2", "X-Signature-Simple", "X-Timestamp"}) {
      EXPECT_FALSE(FindHeader(headers, name)) << name;
    }
  }
  // A signed sender needs its url and secret.
  WebhookSenderOptions no_secret = Options(endpoint.url());
  no_secret.secret.clear();
  EXPECT_FALSE(WebhookSender::Create(no_secret));
  EXPECT_FALSE(WebhookSender::Create(Options("")));
}

TEST(WebhookSenderTest, DefinitiveRefusalIsNotRetried) {
  ScriptedEndpoint endpoint({400});
  auto sender = WebhookSender::Create(Options(endpoint.url()));
  ASSERT_TRUE(sender);
  ASSERT_TRUE((*sender)->Enqueue(Event(1)));
  ASSERT_TRUE((*sender)->WaitIdle(kWait));
  EXPECT_EQ((*sender)->stats().given_up, 1u);
  EXPECT_EQ(endpoint.calls(), 1u);
}

TEST(WebhookSenderTest, ConnectionErrorsRetriedUpToMaxAttempts) {
  // A port that was just free: nothing listens there.
  std::uint16_t port;
  {
    auto probe = server::HttpServer::Start(
        {}, server::Synchronous([](const server::Request&) { return server::Response{}; }));
    ASSERT_TRUE(probe);
    port = (*probe)->port();
  }
  auto o = Options("http://127.0.0.1:" + std::to_string(port) + "/x");
  o.max_attempts = 3;
  auto sender = WebhookSender::Create(o);
  ASSERT_TRUE(sender);
  ASSERT_TRUE((*sender)->Enqueue(Event(1)));
  ASSERT_TRUE((*sender)->WaitIdle(kWait));
  auto s = (*sender)->stats();
  EXPECT_EQ(s.deliveries, 3u);
  EXPECT_EQ(s.given_up, 1u);
  EXPECT_EQ(s.acknowledged, 0u);
}

TEST(WebhookSenderTest, FaultsAgainstTheRealReceiverStillStoreEachEventOnce) {
  auto dir = std::filesystem::temp_directory_path() / ("idem-sender-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  {
    WebhookReceiverOptions ro;
    ro.port = 0;
    ro.verifier.secrets = {kSecret};
    ro.journal_path = (dir / "j.db").string();
    ro.inbox.durability = Durability::kProcessCrash;
    auto receiver = WebhookReceiver::Start(ro);
    ASSERT_TRUE(receiver) << receiver.error().ToString();
    auto o = Options((*receiver)->url() + "/webhooks/didit");
    auto faults = ParseWebhookFaults("duplicate=0.5,reorder=0.3,delay=0.2:30");
    ASSERT_TRUE(faults);
    o.faults = *faults;
    o.random = std::make_shared<SeededRandom>(42);
    auto sender = WebhookSender::Create(o);
    ASSERT_TRUE(sender);
    constexpr int kEvents = 40;
    for (int i = 0; i < kEvents; ++i) ASSERT_TRUE((*sender)->Enqueue(Event(i)));
    ASSERT_TRUE((*sender)->WaitIdle(kWait));
    auto s = (*sender)->stats();
    EXPECT_GT(s.duplicates_injected, 0u);
    EXPECT_GT(s.reordered, 0u);
    EXPECT_GT(s.delayed, 0u);
    EXPECT_EQ(s.acknowledged, kEvents + s.duplicates_injected);
    auto rs = (*receiver)->stats();
    EXPECT_EQ(rs.stored, static_cast<std::uint64_t>(kEvents));
    EXPECT_EQ(rs.duplicates, s.duplicates_injected);
    EXPECT_EQ((*receiver)->inbox().Events({})->size(), static_cast<std::size_t>(kEvents));
    // The same seed makes the same fault decisions.
    o.random = std::make_shared<SeededRandom>(42);
    auto replay = WebhookSender::Create(o);
    for (int i = 0; i < kEvents; ++i) ASSERT_TRUE((*replay)->Enqueue(Event(i)));
    ASSERT_TRUE((*replay)->WaitIdle(kWait));
    EXPECT_EQ((*replay)->stats().duplicates_injected, s.duplicates_injected);
  }
  std::filesystem::remove_all(dir);
}

TEST(WebhookSenderTest, ShutdownDropsWhatIsLeftAndRefusesMore) {
  ScriptedEndpoint endpoint({});
  auto o = Options(endpoint.url());
  o.faults.delay = 1.0;
  o.faults.delay_ms = 60000;  // never due within the test
  auto sender = WebhookSender::Create(o);
  ASSERT_TRUE(sender);
  ASSERT_TRUE((*sender)->Enqueue(Event(1)));
  EXPECT_FALSE((*sender)->WaitIdle(std::chrono::milliseconds(20)));
  (*sender)->Shutdown();
  EXPECT_EQ((*sender)->stats().given_up, 1u);
  EXPECT_FALSE((*sender)->Enqueue(Event(2)));
  EXPECT_EQ(endpoint.calls(), 0u);
}

TEST(WebhookSenderTest, ParsesFaultSpecs) {
  auto f = ParseWebhookFaults("duplicate=0.2,reorder=0.1,delay=0.1:2000");
  ASSERT_TRUE(f);
  EXPECT_DOUBLE_EQ(f->duplicate, 0.2);
  EXPECT_DOUBLE_EQ(f->reorder, 0.1);
  EXPECT_DOUBLE_EQ(f->delay, 0.1);
  EXPECT_EQ(f->delay_ms, 2000);
  EXPECT_TRUE(ParseWebhookFaults(""));
  for (const char* bad :
       {"duplicate", "duplicate=2", "duplicate=-0.1", "drop=0.1", "delay=0.1",
        "delay=0.1:", "delay=0.1:x", "reorder=abc", "duplicate=nan", "delay=0.5:99999999999"}) {
    EXPECT_FALSE(ParseWebhookFaults(bad)) << bad;
  }
  EXPECT_FALSE(WebhookSender::Create({}));
}

}  // namespace
}  // namespace idem
