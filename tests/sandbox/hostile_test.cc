// Hostile and malformed input: the sandbox answers a clear 4xx or closes the
// connection, and keeps serving.
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "sandbox_harness.h"
#include "testing/raw_socket.h"

namespace idem::sandbox::testing {
namespace {

using idem::testing::RawSocket;

SandboxOptions ShortTimeouts() {
  SandboxOptions options;
  options.read_timeout = std::chrono::milliseconds(300);
  return options;
}

void ExpectStillServing(Harness& h) {
  CurlClient raw;
  auto r = raw.Send("GET", h.url() + "/_sandbox/health");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST(Hostile, BodyOverTheDefaultLimitIs413) {
  Harness h;
  const std::string big = "{\"workflow_id\":\"" + std::string((16 << 20) + 10, 'a') + "\"}";
  auto r = h.Post("/v3/session/", big);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  ExpectStillServing(h);
}

TEST(Hostile, DeclaredOversizedBodyIs413BeforeItIsSent) {
  Harness h(ShortTimeouts());
  RawSocket s(h.sandbox().port());
  ASSERT_TRUE(s.connected());
  s.Send(
      "POST /v3/session/ HTTP/1.1\r\nHost: x\r\nx-api-key: sandbox-key\r\n"
      "Content-Length: 20000000\r\n\r\n");
  const std::string reply = s.ReadAll(std::chrono::milliseconds(2000));
  EXPECT_NE(reply.find("HTTP/1.1 413"), std::string::npos) << reply;
}

TEST(Hostile, HugeHeadersAre431) {
  Harness h(ShortTimeouts());
  RawSocket s(h.sandbox().port());
  s.Send("GET /_sandbox/health HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(64 * 1024, 'h') +
         "\r\n\r\n");
  const std::string reply = s.ReadAll(std::chrono::milliseconds(2000));
  EXPECT_NE(reply.find("HTTP/1.1 431"), std::string::npos) << reply.substr(0, 200);
}

TEST(Hostile, GarbageBytesGet400AndClose) {
  Harness h(ShortTimeouts());
  RawSocket s(h.sandbox().port());
  s.Send(std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 garbage\r\n\r\n", 24));
  bool closed = false;
  const std::string reply = s.ReadAll(std::chrono::milliseconds(2000), &closed);
  EXPECT_NE(reply.find("HTTP/1.1 400"), std::string::npos) << reply;
  EXPECT_TRUE(closed);
  ExpectStillServing(h);
}

TEST(Hostile, SlowHeadersTimeOut) {
  Harness h(ShortTimeouts());
  RawSocket s(h.sandbox().port());
  s.Send("GET /_sandbox/health HTTP/1.1\r\nHost: x\r\n");  // never finishes the headers
  bool closed = false;
  const auto start = std::chrono::steady_clock::now();
  s.ReadAll(std::chrono::milliseconds(3000), &closed);
  EXPECT_TRUE(closed);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(2500));
}

TEST(Hostile, SlowlorisTricklingBytesIsCutOffAtTheDeadline) {
  Harness h(ShortTimeouts());
  RawSocket s(h.sandbox().port());
  const std::string request = "GET /_sandbox/health HTTP/1.1\r\nHost: x\r\nX-Pad: aaaaaaaaaa";
  bool cut = false;
  for (std::size_t i = 0; i < request.size() && i < 40; ++i) {
    if (!s.Send(request.substr(i, 1))) {
      cut = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  bool closed = false;
  s.ReadAll(std::chrono::milliseconds(1000), &closed);
  EXPECT_TRUE(cut || closed);
}

TEST(Hostile, TruncatedBodyTimesOutWithoutExecuting) {
  Harness h(ShortTimeouts());
  RawSocket s(h.sandbox().port());
  s.Send(
      "POST /v3/session/ HTTP/1.1\r\nHost: x\r\nx-api-key: sandbox-key\r\n"
      "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"workflow_id\":");
  bool closed = false;
  s.ReadAll(std::chrono::milliseconds(2000), &closed);
  EXPECT_TRUE(closed);
  EXPECT_EQ(h.Stats()["executions"]["create_session"], 0);
}

TEST(Hostile, KeepAliveServesManyRequestsOnOneConnection) {
  Harness h;
  RawSocket s(h.sandbox().port());
  std::string pipeline;
  for (int i = 0; i < 3; ++i) pipeline += "GET /_sandbox/health HTTP/1.1\r\nHost: x\r\n\r\n";
  s.Send(pipeline);
  std::string reply;
  for (int i = 0; i < 20; ++i) {
    reply += s.ReadAll(std::chrono::milliseconds(100));
    std::size_t count = 0;
    for (std::size_t p = reply.find("HTTP/1.1 200"); p != std::string::npos;
         p = reply.find("HTTP/1.1 200", p + 1)) {
      ++count;
    }
    if (count == 3) break;
  }
  std::size_t count = 0;
  for (std::size_t p = reply.find("HTTP/1.1 200"); p != std::string::npos;
       p = reply.find("HTTP/1.1 200", p + 1)) {
    ++count;
  }
  EXPECT_EQ(count, 3u);
}

TEST(Hostile, HostileHeaderValuesAndTargets) {
  Harness h;
  EXPECT_EQ(h.Send("GET", "/v3/session/%00/decision/")->status, 404);
  EXPECT_EQ(h.Send("GET", "/v3/session/" + std::string(4000, 'a') + "/decision/")->status, 404);
  EXPECT_EQ(h.Send("GET", "/v3/sessions/?" + std::string(4000, '&'))->status, 200);
  // A Host header that must not end up in pagination links as-is.
  auto r = h.Send("GET", "/v3/sessions/?limit=1", "", "", {{"Host", "evil\"host"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  ExpectStillServing(h);
}

TEST(Hostile, HundredsOfConcurrentConnections) {
  Harness h;
  std::vector<std::unique_ptr<RawSocket>> idle;
  for (int i = 0; i < 300; ++i) {
    idle.push_back(std::make_unique<RawSocket>(h.sandbox().port()));
    ASSERT_TRUE(idle.back()->connected());
  }
  std::vector<std::thread> workers;
  std::atomic<int> ok{0};
  for (int t = 0; t < 8; ++t) {
    workers.emplace_back([&] {
      CurlClient c;
      for (int i = 0; i < 10; ++i) {
        auto r = c.Send("GET", h.url() + "/v3/sessions/", {{"x-api-key", "sandbox-key"}});
        if (r && r->status == 200) ++ok;
      }
    });
  }
  for (auto& w : workers) w.join();
  EXPECT_EQ(ok.load(), 80);
  for (int i = 0; i < 300; i += 30) {
    idle[static_cast<std::size_t>(i)]->Send(
        "GET /_sandbox/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    EXPECT_NE(idle[static_cast<std::size_t>(i)]
                  ->ReadAll(std::chrono::milliseconds(1000))
                  .find("HTTP/1.1 200"),
              std::string::npos);
  }
}

TEST(Hostile, ConnectionCapDegradesGracefully) {
  SandboxOptions options;
  options.max_connections = 20;
  Harness h(options);
  std::vector<std::unique_ptr<RawSocket>> held;
  for (int i = 0; i < 40; ++i) held.push_back(std::make_unique<RawSocket>(h.sandbox().port()));
  // Over the cap, the extra connections are closed at once; poll (bounded).
  const int refused = idem::testing::ClosedByPeer(held, 20, std::chrono::seconds(3));
  EXPECT_EQ(refused, 20);
  held.clear();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ExpectStillServing(h);
}

}  // namespace
}  // namespace idem::sandbox::testing
