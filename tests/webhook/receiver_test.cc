// The receiver end to end over real HTTP (libcurl transport -> Beast server
// -> SQLite inbox): every acceptance and rejection path, --exec retries.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "idem/transport.h"
#include "idem/webhook_receiver.h"
#include "testing/temp_dir.h"
#include "testing/wait.h"

namespace idem {
namespace {

constexpr char kSecret[] = "receiver-secret";

std::int64_t NowSeconds() { return ToUnixMillis(std::chrono::system_clock::now()) / 1000; }

std::string Event(const std::string& session, const std::string& status, std::int64_t ts = 100) {
  return nlohmann::json{{"event_id", "e-" + session + status},
                        {"webhook_type", "status.updated"},
                        {"timestamp", ts},
                        {"session_id", session},
                        {"status", status},
                        {"workflow_id", "wf"},
                        {"vendor_data", "v-" + session}}
      .dump();
}

class ReceiverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    TransportOptions to;
    to.total_timeout = std::chrono::seconds(10);
    transport_ = MakeCurlTransport(to);
  }
  void TearDown() override { receiver_.reset(); }

  void StartReceiver(WebhookScheme scheme = WebhookScheme::kDidit, std::string exec = "",
                     std::vector<std::string> secrets = {kSecret}) {
    WebhookReceiverOptions o;
    o.port = 0;
    o.scheme = scheme;
    o.verifier.secrets = std::move(secrets);
    o.journal_path = (dir_ / "journal.db").string();
    o.inbox.durability = Durability::kProcessCrash;
    o.inbox.task_backoff_base = std::chrono::milliseconds(20);
    o.inbox.task_backoff_max = std::chrono::milliseconds(100);
    o.task_poll_interval = std::chrono::milliseconds(10);
    o.exec_command = std::move(exec);
    o.threads = threads_;
    auto r = WebhookReceiver::Start(o);
    ASSERT_TRUE(r) << r.error().ToString();
    receiver_ = std::move(*r);
  }

  HttpResponse Post(const std::string& body, Headers headers, std::string path = "/webhooks/didit",
                    std::string method = "POST") {
    HttpRequest req{method, receiver_->url() + path, std::move(headers), body};
    auto r = transport_->SendAndWait(std::move(req));
    EXPECT_TRUE(r) << r.error().message;
    return r ? *r : HttpResponse{};
  }
  HttpResponse PostSigned(const std::string& body, std::int64_t ts = NowSeconds(),
                          const std::string& secret = kSecret) {
    return Post(body, SignDidit(secret, body, ts));
  }
  std::size_t StoredEvents() { return receiver_->inbox().Events({})->size(); }

  testing::TempDir dir_{"idem-receiver"};
  std::unique_ptr<Transport> transport_;
  std::unique_ptr<WebhookReceiver> receiver_;
  int threads_ = 2;
};

TEST_F(ReceiverTest, AcceptsThenAcknowledgesDuplicates) {
  StartReceiver();
  auto first = PostSigned(Event("s1", "Approved"));
  EXPECT_EQ(first.status, 200);
  EXPECT_EQ(nlohmann::json::parse(first.body)["result"], "stored");
  auto again = PostSigned(Event("s1", "Approved"));
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(nlohmann::json::parse(again.body)["result"], "duplicate");
  EXPECT_EQ(StoredEvents(), 1u);
  auto stats = receiver_->stats();
  EXPECT_EQ(stats.stored, 1u);
  EXPECT_EQ(stats.duplicates, 1u);
  EXPECT_EQ(receiver_->url().rfind("http://127.0.0.1:", 0), 0u);
}

// One I/O thread, many requests in flight: the commit waits on the store
// thread, not on the I/O thread, so every request is answered, and only after
// its event is stored; duplicates racing their original are answered as such.
TEST_F(ReceiverTest, OneIoThreadServesManyRequestsInFlight) {
  threads_ = 1;
  StartReceiver();
  constexpr int kPosters = 8, kEach = 10;
  std::atomic<int> ok{0};
  std::vector<std::thread> posters;
  for (int p = 0; p < kPosters; ++p) {
    posters.emplace_back([&, p] {
      TransportOptions to;
      to.total_timeout = std::chrono::seconds(10);
      auto transport = MakeCurlTransport(to);
      for (int i = 0; i < kEach; ++i) {
        // Posters 2k and 2k + 1 send the same events: half are duplicates.
        std::string body = Event("s" + std::to_string(p / 2) + "-" + std::to_string(i), "Approved");
        auto r = transport->SendAndWait({"POST", receiver_->url() + "/webhooks/didit",
                                         SignDidit(kSecret, body, NowSeconds()), body});
        if (r && r->status == 200) ++ok;
      }
    });
  }
  for (auto& t : posters) t.join();
  EXPECT_EQ(ok.load(), kPosters * kEach);
  EXPECT_EQ(StoredEvents(), static_cast<std::size_t>(kPosters * kEach / 2));
  auto stats = receiver_->stats();
  EXPECT_EQ(stats.stored, static_cast<std::uint64_t>(kPosters * kEach / 2));
  EXPECT_EQ(stats.duplicates, static_cast<std::uint64_t>(kPosters * kEach / 2));
}

TEST_F(ReceiverTest, ReencodedBodyPassesOnV2) {
  StartReceiver();
  std::string original = R"({"webhook_type": "status.updated", "session_id": "s9", )"
                         R"("status": "Declined", "timestamp": 5, "score": 1.0})";
  Headers headers = SignDidit(kSecret, original, NowSeconds());
  std::string reencoded = R"({"score":1,"session_id":"s9","status":"Declined",)"
                          R"("timestamp":5,"webhook_type":"status.updated"})";
  EXPECT_EQ(Post(reencoded, headers).status, 200);
  EXPECT_EQ(StoredEvents(), 1u);
}

TEST_F(ReceiverTest, RejectionsStoreNothing) {
  StartReceiver();
  const std::string body = Event("s1", "Approved");
  EXPECT_EQ(Post(body, {}).status, 401);                           // no headers
  EXPECT_EQ(PostSigned(body, NowSeconds(), "wrong").status, 401);  // wrong secret
  EXPECT_EQ(PostSigned(body, NowSeconds() - 301).status, 401);     // stale
  EXPECT_EQ(PostSigned(body, NowSeconds() + 301).status, 401);     // future
  Headers tampered = SignDidit(kSecret, body, NowSeconds());
  EXPECT_EQ(Post(Event("s1", "Declined"), tampered).status, 401);  // tampered
  Headers truncated = SignDidit(kSecret, body, NowSeconds());
  for (auto& h : truncated) {
    if (h.name.starts_with("X-Signature")) h.value.resize(32);
  }
  EXPECT_EQ(Post(body, truncated).status, 401);
  EXPECT_EQ(StoredEvents(), 0u);
  // Signed but not a session status event: stored as it came and
  // acknowledged (Didit never sends a 4xx'd event again).
  EXPECT_EQ(PostSigned("{\"session_id\": ").status, 200);
  EXPECT_EQ(PostSigned("[1,2,3]").status, 200);
  EXPECT_EQ(PostSigned(R"({"session_id":"s","status":"Approved","timestamp":1})").status, 200);
  EXPECT_EQ(PostSigned(std::string(5000, '[') + std::string(5000, ']')).status, 200);
  EXPECT_EQ(
      PostSigned(R"({"webhook_type":"user.data.updated","user_id":"u","timestamp":5})").status,
      200);
  EXPECT_EQ(StoredEvents(), 5u);
  // Too large: 413 before anything looks at it (signed or not).
  std::string huge = "{\"pad\":\"" + std::string(1u << 20, 'x') + "\"}";
  EXPECT_EQ(PostSigned(huge).status, 413);
  // Paths and methods.
  EXPECT_EQ(Post(body, SignDidit(kSecret, body, NowSeconds()), "/webhooks/standard").status, 404);
  EXPECT_EQ(Post(body, SignDidit(kSecret, body, NowSeconds()), "/other").status, 404);
  EXPECT_EQ(Post("", {}, "/webhooks/didit", "GET").status, 405);
  EXPECT_EQ(Post(body, SignDidit(kSecret, body, NowSeconds()), "/webhooks/didit", "PUT").status,
            405);
  EXPECT_EQ(StoredEvents(), 5u);
  EXPECT_EQ(receiver_->stats().unauthorized, 6u);
  // A query string does not change the route.
  EXPECT_EQ(Post(body, SignDidit(kSecret, body, NowSeconds()), "/webhooks/didit?x=1").status, 200);
  EXPECT_EQ(StoredEvents(), 6u);
}

// Issue 14, item 2: every correctly signed Didit event, whatever its type or
// shape, is verified, stored, acknowledged (a 4xx is never retried by Didit,
// so the event would be lost) and passed to --exec. Only a session's
// status.updated moves the session, along Didit's status machine.
TEST_F(ReceiverTest, EveryEventTypeIsStoredAcknowledgedAndPassedToExec) {
  const auto exec_dir = dir_ / "exec";
  std::filesystem::create_directories(exec_dir);
  // One file per run of the command: any body, newlines included, arrives whole.
  StartReceiver(WebhookScheme::kDidit,
                "cat > \"$(mktemp '" + exec_dir.string() + "/event.XXXXXX')\"");
  const std::int64_t t = NowSeconds();
  auto with_id = [](nlohmann::json body, const std::string& event_id) {
    body["event_id"] = event_id;
    return body.dump();
  };
  const nlohmann::json session = {
      {"session_id", "s1"}, {"workflow_id", "wf"}, {"vendor_data", "v-s1"}};
  auto status_updated = [&](const std::string& status, std::int64_t ts) {
    nlohmann::json body = session;
    body.update({{"webhook_type", "status.updated"}, {"status", status}, {"timestamp", ts}});
    return body;
  };
  nlohmann::json data_updated = session;
  data_updated.update({{"webhook_type", "data.updated"},
                       {"status", "Resubmitted"},
                       {"timestamp", t - 5},
                       {"decision", {{"status", "Resubmitted"}}}});
  const std::vector<nlohmann::json> events = {
      status_updated("Approved", t - 20),
      status_updated("Resubmitted", t - 10),
      data_updated,
      {{"webhook_type", "user.status.updated"},
       {"vendor_data", "v-s1"},
       {"status", "FLAGGED"},
       {"previous_status", "ACTIVE"},
       {"timestamp", t}},
      {{"webhook_type", "user.data.updated"},
       {"vendor_data", "v-s1"},
       {"timestamp", t},
       {"changed_fields", {"full_name"}},
       {"changes", {{"full_name", {{"previous", "Ann"}, {"current", "Anne"}}}}}},
      {{"webhook_type", "business.data.updated"},
       {"timestamp", t},
       {"changed_fields", {"legal_name"}},
       {"changes", {{"legal_name", {{"previous", "A Ltd"}, {"current", "A Limited"}}}}}},
      {{"webhook_type", "activity.created"}, {"timestamp", t}, {"activity", {{"kind", "note"}}}},
      // A type Didit does not have (yet), shaped like a session event.
      {{"webhook_type", "session.reviewed"},
       {"session_id", "s1"},
       {"status", "Declined"},
       {"timestamp", t}},
  };
  std::vector<std::string> sent;
  for (std::size_t i = 0; i < events.size(); ++i) {
    sent.push_back(with_id(events[i], "first-" + std::to_string(i)));
    auto r = PostSigned(sent.back());
    EXPECT_EQ(r.status, 200) << sent.back() << ": " << r.body;
    EXPECT_EQ(nlohmann::json::parse(r.body, nullptr, false).value("result", ""), "stored")
        << sent.back();
  }
  // Didit's retries may carry a new event_id (unique per delivery attempt):
  // every one is acknowledged as a duplicate.
  for (std::size_t i = 0; i < events.size(); ++i) {
    const std::string retry = with_id(events[i], "retry-" + std::to_string(i));
    auto r = PostSigned(retry);
    EXPECT_EQ(r.status, 200) << retry;
    EXPECT_EQ(nlohmann::json::parse(r.body, nullptr, false).value("result", ""), "duplicate")
        << retry;
  }
  auto stored = receiver_->inbox().Events({});
  ASSERT_TRUE(stored);
  ASSERT_EQ(stored->size(), events.size());
  for (std::size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ((*stored)[i].webhook_type, events[i]["webhook_type"]);
    EXPECT_EQ((*stored)[i].body, sent[i]);
    EXPECT_EQ((*stored)[i].applied, i < 2) << sent[i];
  }
  // Approved -> Resubmitted is forward in Didit's status machine.
  auto s1 = receiver_->inbox().Session("s1");
  ASSERT_TRUE(s1 && *s1);
  EXPECT_EQ((*s1)->status, "Resubmitted");

  // Every new event went to --exec once, as it came.
  (void)testing::WaitUntil(std::chrono::seconds(20),
                           [&] { return receiver_->stats().exec_done >= events.size(); });
  EXPECT_EQ(receiver_->stats().exec_done, events.size());
  std::multiset<std::string> executed;
  for (const auto& entry : std::filesystem::directory_iterator(exec_dir)) {
    std::ifstream in(entry.path());
    executed.insert(std::string((std::istreambuf_iterator<char>(in)), {}));
  }
  EXPECT_EQ(executed, std::multiset<std::string>(sent.begin(), sent.end()));
}

// Hostile but correctly signed: wrong types for the known fields, deep
// nesting, a body just under the size limit, bytes that are not JSON. Each is
// stored and acknowledged; the receiver goes on serving.
TEST_F(ReceiverTest, HostileSignedBodiesAreStoredAndAcknowledged) {
  static constexpr char kBinaryBody[] = "\0\x01\x02 not json";
  StartReceiver();
  const std::vector<std::string> bodies = {
      R"({"webhook_type":"status.updated","session_id":5,"status":"Approved","timestamp":1})",
      R"({"webhook_type":"status.updated","session_id":"h","status":{},"timestamp":1})",
      R"({"webhook_type":["status.updated"],"session_id":"h","status":"Approved","timestamp":1})",
      R"({"webhook_type":"status.updated","session_id":"h","status":"Approved","timestamp":"1"})",
      R"({"webhook_type":"status.updated","session_id":"h","status":"Approved","timestamp":1e999})",
      R"({"webhook_type":"data.updated","session_id":"h","timestamp":1,"decision":)" +
          std::string(20000, '[') + std::string(20000, ']') + "}",
      R"({"webhook_type":"user.data.updated","timestamp":1,"changes":{"pad":")" +
          std::string(1'000'000, 'x') + R"("}})",
      "{\"webhook_type\":\"data.updated\",\"session_id\":\"\xff\xfe\",\"timestamp\":1}",
      // sizeof - 1: the literal holds NULs, so strlen would stop at the first.
      std::string(kBinaryBody, sizeof kBinaryBody - 1),
      "null",
  };
  for (const auto& body : bodies) {
    auto r = PostSigned(body);
    EXPECT_EQ(r.status, 200) << body.substr(0, 80) << ": " << r.body;
  }
  EXPECT_EQ(StoredEvents(), bodies.size());
  auto stored = receiver_->inbox().Events({});
  ASSERT_TRUE(stored);
  for (std::size_t i = 0; i < bodies.size() && i < stored->size(); ++i) {
    EXPECT_EQ((*stored)[i].body, bodies[i]);
    EXPECT_FALSE((*stored)[i].applied);
  }
  EXPECT_FALSE(*receiver_->inbox().Session("h"));
  EXPECT_EQ(receiver_->stats().malformed, 0u);
  EXPECT_EQ(PostSigned(Event("after", "Approved")).status, 200);
}

TEST_F(ReceiverTest, MalformedHttpGets400) {
  StartReceiver();
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(receiver_->port());
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  std::string garbage = "NOT HTTP AT ALL\r\n\r\n";
  ASSERT_EQ(::write(fd, garbage.data(), garbage.size()), static_cast<ssize_t>(garbage.size()));
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  char buf[256] = {};
  ssize_t n = ::read(fd, buf, sizeof buf - 1);
  ::close(fd);
  ASSERT_GT(n, 0);
  EXPECT_EQ(std::string(buf, 12), "HTTP/1.1 400");
  EXPECT_EQ(StoredEvents(), 0u);
}

TEST_F(ReceiverTest, RotatedSecretsBothAccepted) {
  StartReceiver(WebhookScheme::kDidit, "", {"new-secret", kSecret});
  EXPECT_EQ(PostSigned(Event("s1", "Approved"), NowSeconds(), "new-secret").status, 200);
  EXPECT_EQ(PostSigned(Event("s2", "Approved"), NowSeconds(), kSecret).status, 200);
  EXPECT_EQ(PostSigned(Event("s3", "Approved"), NowSeconds(), "older").status, 401);
}

TEST_F(ReceiverTest, StandardWebhooksScheme) {
  const std::string secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  StartReceiver(WebhookScheme::kStandard, "", {secret});
  const std::string body = Event("s1", "Approved");
  auto headers = SignStandard(secret, "msg_1", NowSeconds(), body);
  ASSERT_TRUE(headers);
  EXPECT_EQ(Post(body, *headers, "/webhooks/standard").status, 200);
  // Same webhook-id, body re-sent: a duplicate.
  EXPECT_EQ(nlohmann::json::parse(Post(body, *headers, "/webhooks/standard").body)["result"],
            "duplicate");
  EXPECT_EQ(Post(body, *headers, "/webhooks/didit").status, 404);
  auto stale = SignStandard(secret, "msg_2", NowSeconds() - 1000, Event("s2", "Approved"));
  EXPECT_EQ(Post(Event("s2", "Approved"), *stale, "/webhooks/standard").status, 401);
  EXPECT_EQ(StoredEvents(), 1u);
}

TEST_F(ReceiverTest, ExecFailuresAreRetriedUntilTheCommandSucceeds) {
  auto out = dir_ / "out.jsonl";
  auto gate = dir_ / "gate";
  // Fails (exit 1) until the gate file exists, then appends the event.
  StartReceiver(WebhookScheme::kDidit, "test -f '" + gate.string() + "' && cat >> '" +
                                           out.string() + "' && echo >> '" + out.string() + "'");
  ASSERT_EQ(PostSigned(Event("s1", "Approved")).status, 200);
  ASSERT_EQ(PostSigned(Event("s2", "Declined")).status, 200);
  // One deadline for the three waits below; each check after it judges.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  (void)testing::WaitUntil(deadline, [&] { return receiver_->stats().exec_failed >= 2; });
  EXPECT_GE(receiver_->stats().exec_failed, 2u);
  EXPECT_FALSE(std::filesystem::exists(out));
  std::ofstream(gate.string()) << "open";
  (void)testing::WaitUntil(deadline, [&] { return receiver_->stats().exec_done >= 2; });
  ASSERT_EQ(receiver_->stats().exec_done, 2u);
  std::ifstream in(out.string());
  std::string line;
  std::vector<std::string> sessions;
  while (std::getline(in, line)) sessions.push_back(nlohmann::json::parse(line)["session_id"]);
  // Each event's retries run on their own schedule: order across events is not promised.
  std::sort(sessions.begin(), sessions.end());
  EXPECT_EQ(sessions, (std::vector<std::string>{"s1", "s2"}));
  // exec_done counts before the task row is deleted: wait for the delete.
  (void)testing::WaitUntil(deadline, [&] { return receiver_->inbox().PendingTasks()->empty(); });
  EXPECT_TRUE(receiver_->inbox().PendingTasks()->empty());
}

TEST_F(ReceiverTest, StartRefusesBadOptions) {
  WebhookReceiverOptions o;
  o.port = 0;
  o.journal_path = (dir_ / "j.db").string();
  EXPECT_FALSE(WebhookReceiver::Start(o));  // no secret
  o.verifier.secrets = {kSecret};
  o.host = "not-an-ip";
  EXPECT_FALSE(WebhookReceiver::Start(o));
  o.host = "127.0.0.1";
  auto first = WebhookReceiver::Start(o);
  ASSERT_TRUE(first);
  o.port = (*first)->port();
  auto clash = WebhookReceiver::Start(o);
  ASSERT_FALSE(clash);
  EXPECT_EQ(clash.error().code(), ErrorCode::kUnavailable);
}

}  // namespace
}  // namespace idem
