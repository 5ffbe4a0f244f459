// The libcurl transport against a real local server with injected faults.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "idem/transport.h"
#include "testing/free_port.h"
#include "testing/wait.h"
#include "transport/test_http_server.h"

namespace idem {
namespace {

using ::testing::Contains;
using ::testing::Field;
using ::testing::Not;
using testing::TestHttpServer;

// Collects the results of many concurrent sends and counts every callback, so
// a test can check each one ran exactly once.
class ResultCollector {
 public:
  explicit ResultCollector(int expected) : results_(expected), calls_(expected, 0) {}

  Transport::Callback For(int index) {
    return [this, index](TransportResult r) {
      std::lock_guard<std::mutex> lock(mu_);
      ++calls_[index];
      results_[index] = std::move(r);
      ++done_;
      cv_.notify_all();
    };
  }

  // Waits (bounded) until `n` callbacks have run.
  bool WaitFor(int n, std::chrono::seconds limit = std::chrono::seconds(20)) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, limit, [&] { return done_ >= n; });
  }

  int done() {
    std::lock_guard<std::mutex> lock(mu_);
    return done_;
  }
  std::vector<int> calls() {
    std::lock_guard<std::mutex> lock(mu_);
    return calls_;
  }
  std::vector<std::optional<TransportResult>> results() {
    std::lock_guard<std::mutex> lock(mu_);
    return results_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::optional<TransportResult>> results_;
  std::vector<int> calls_;
  int done_ = 0;
};

HttpRequest Request(std::string method, std::string url, std::string body = "") {
  return HttpRequest{std::move(method), std::move(url), {}, std::move(body)};
}

TransportOptions FastOptions() {
  TransportOptions o;
  o.connect_timeout = std::chrono::milliseconds(1000);
  o.total_timeout = std::chrono::milliseconds(5000);
  return o;
}

std::string AllByteValues() {
  std::string s;
  for (int round = 0; round < 3; ++round) {
    for (int b = 0; b < 256; ++b) s.push_back(static_cast<char>(b));
  }
  return s;
}

class CurlTransportTest : public ::testing::Test {
 protected:
  // The transport honours proxy variables (as it must); the local test server
  // must be reached directly even on a machine that sets them.
  static void SetUpTestSuite() {
    setenv("no_proxy", "127.0.0.1,localhost", 1);
    setenv("NO_PROXY", "127.0.0.1,localhost", 1);
  }

  TestHttpServer server_;
};

TEST_F(CurlTransportTest, EveryMethodSendsItsBodyByteExact) {
  auto transport = MakeCurlTransport(FastOptions());
  const std::string body = AllByteValues();  // includes NULs and CR/LF bytes
  const std::vector<std::string> methods = {"POST", "PUT", "PATCH", "DELETE", "GET", "OPTIONS"};
  for (const std::string& method : methods) {
    TransportResult r = transport->SendAndWait(Request(method, server_.Url("/echo"), body));
    ASSERT_TRUE(r) << method << ": " << r.error().message;
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, body) << method;
    EXPECT_EQ(FindHeader(r->headers, "X-Echo-Method"), method);
  }
  const auto seen = server_.requests();
  ASSERT_EQ(seen.size(), methods.size());
  for (std::size_t i = 0; i < seen.size(); ++i) {
    EXPECT_EQ(seen[i].method, methods[i]);
    EXPECT_EQ(seen[i].body, body);
    EXPECT_EQ(FindHeader(seen[i].headers, "Content-Length"), std::to_string(body.size()));
    // No 100-continue round trip and no invented form content type.
    EXPECT_FALSE(FindHeader(seen[i].headers, "Expect").has_value());
    EXPECT_FALSE(FindHeader(seen[i].headers, "Content-Type").has_value());
  }
}

TEST_F(CurlTransportTest, LargeBinaryBodyIsSentWhole) {
  auto transport = MakeCurlTransport(FastOptions());
  std::string body(3 << 20, '\0');
  for (std::size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>(i * 31 + 7);
  TransportResult r = transport->SendAndWait(Request("POST", server_.Url("/echo"), body));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->body.size(), body.size());
  EXPECT_TRUE(r->body == body);
}

TEST_F(CurlTransportTest, EmptyPostSendsContentLengthZeroAndGetSendsNoBody) {
  auto transport = MakeCurlTransport(FastOptions());
  ASSERT_TRUE(transport->SendAndWait(Request("POST", server_.Url("/echo"))));
  ASSERT_TRUE(transport->SendAndWait(Request("GET", server_.Url("/echo"))));
  ASSERT_TRUE(transport->SendAndWait(Request("DELETE", server_.Url("/echo"))));
  const auto seen = server_.requests();
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(FindHeader(seen[0].headers, "Content-Length"), "0");
  EXPECT_FALSE(FindHeader(seen[1].headers, "Content-Length").has_value());
  EXPECT_EQ(seen[2].method, "DELETE");
  EXPECT_TRUE(seen[2].body.empty());
}

TEST_F(CurlTransportTest, HeadersRoundTripWithNamesAsGiven) {
  auto transport = MakeCurlTransport(FastOptions());
  HttpRequest request = Request("POST", server_.Url("/echo"), R"({"a":1})");
  request.headers = {{"x-api-key", "secret-key-value"},
                     {"Idempotency-Key", "5f0c7d4e-0000-4000-8000-000000000001"},
                     {"Content-Type", "application/json"},
                     {"X-Empty", ""},
                     {"X-Mixed-CASE", "v"}};
  TransportResult r = transport->SendAndWait(request);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(FindHeader(r->headers, "Echo-x-api-key"), "secret-key-value");
  EXPECT_EQ(FindHeader(r->headers, "Echo-X-Empty"), "");
  EXPECT_THAT(r->headers, Contains(Field(&Header::name, "Echo-X-Mixed-CASE")));
  EXPECT_EQ(FindHeader(r->headers, "content-type"), "application/octet-stream");
  const auto seen = server_.requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(FindHeader(seen[0].headers, "Idempotency-Key"), "5f0c7d4e-0000-4000-8000-000000000001");
  EXPECT_EQ(FindHeader(seen[0].headers, "Content-Type"), "application/json");
  EXPECT_EQ(FindHeader(seen[0].headers, "User-Agent"), "idem/0.1");
}

TEST_F(CurlTransportTest, HeaderInjectionIsRefusedWithoutSendingOrLeakingTheValue) {
  auto transport = MakeCurlTransport(FastOptions());
  HttpRequest request = Request("POST", server_.Url("/echo"), "{}");
  request.headers = {{"x-api-key", "topsecret\r\nX-Injected: 1"}};
  TransportResult r = transport->SendAndWait(request);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().failure, TransportFailure::kInternal);
  EXPECT_THAT(r.error().message, Not(::testing::HasSubstr("topsecret")));
  EXPECT_EQ(server_.requests_received(), 0);
}

TEST_F(CurlTransportTest, BadMethodsNamesAndUrlsAreRefused) {
  auto transport = MakeCurlTransport(FastOptions());
  const std::vector<HttpRequest> bad = {
      Request("PO ST", server_.Url("/echo")),
      Request("", server_.Url("/echo")),
      Request("GET\r\nX: y", server_.Url("/echo")),
      HttpRequest{"GET", server_.Url("/echo"), {{"Bad Name", "v"}}, ""},
      Request("GET", "file:///etc/passwd"),
      Request("GET", "not a url"),
      Request("GET", server_.Url("/echo") + "\r\nX: y"),
      Request("GET", ""),
  };
  for (const HttpRequest& request : bad) {
    TransportResult r = transport->SendAndWait(request);
    ASSERT_FALSE(r) << request.method << " " << request.url;
    EXPECT_EQ(r.error().failure, TransportFailure::kInternal) << r.error().message;
  }
  EXPECT_EQ(server_.requests_received(), 0);
}

TEST_F(CurlTransportTest, RefusedConnectionIsNotSent) {
  auto transport = MakeCurlTransport(FastOptions());
  TransportResult r = transport->SendAndWait(Request(
      "POST", "http://127.0.0.1:" + std::to_string(testing::UnusedLoopbackPort()) + "/x", "{}"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().failure, TransportFailure::kNotSent) << r.error().message;
}

TEST_F(CurlTransportTest, UnresolvableHostIsNotSent) {
  TransportOptions options = FastOptions();
  options.connect_timeout = std::chrono::milliseconds(500);
  auto transport = MakeCurlTransport(options);
  TransportResult r = transport->SendAndWait(Request("POST", "http://no-such-host.invalid/x"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().failure, TransportFailure::kNotSent) << r.error().message;
}

TEST_F(CurlTransportTest, TlsHandshakeFailureIsNotSent) {
  // The test server speaks plain HTTP: the TLS handshake fails before any
  // request byte is written.
  auto transport = MakeCurlTransport(FastOptions());
  TransportResult r = transport->SendAndWait(
      Request("POST", "https://127.0.0.1:" + std::to_string(server_.port()) + "/echo", "{}"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().failure, TransportFailure::kNotSent) << r.error().message;
  EXPECT_EQ(server_.requests_received(), 0);
}

TEST_F(CurlTransportTest, EmptyReplyIsConnectionLost) {
  auto transport = MakeCurlTransport(FastOptions());
  TransportResult r = transport->SendAndWait(Request("POST", server_.Url("/close"), "{}"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().failure, TransportFailure::kConnectionLost) << r.error().message;
  EXPECT_GE(server_.requests_received(), 1);  // the server did get the request
}

TEST_F(CurlTransportTest, NoSilentResendWhenAReusedConnectionDies) {
  // libcurl would re-send a request whose reused keep-alive connection closes
  // before any response byte, once, on a fresh connection. The transport
  // refuses that re-send: the server sees one copy and the caller sees
  // kConnectionLost, so the retry decision stays with the client.
  auto transport = MakeCurlTransport(FastOptions());
  ASSERT_TRUE(transport->SendAndWait(Request("GET", server_.Url("/echo"))));
  TransportResult r = transport->SendAndWait(Request("POST", server_.Url("/close"), "{}"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().failure, TransportFailure::kConnectionLost);
  int closes = 0;
  for (const auto& seen : server_.requests()) closes += seen.target == "/close" ? 1 : 0;
  EXPECT_EQ(closes, 1);
}

TEST_F(CurlTransportTest, ResetAfterTheRequestIsConnectionLost) {
  auto transport = MakeCurlTransport(FastOptions());
  TransportResult r = transport->SendAndWait(Request("POST", server_.Url("/reset"), "{}"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().failure, TransportFailure::kConnectionLost) << r.error().message;
}

TEST_F(CurlTransportTest, CloseMidBodyIsConnectionLostNotSuccess) {
  auto transport = MakeCurlTransport(FastOptions());
  for (const char* path : {"/midbody", "/chunked-cut"}) {
    TransportResult r = transport->SendAndWait(Request("POST", server_.Url(path), "{}"));
    ASSERT_FALSE(r) << path;
    EXPECT_EQ(r.error().failure, TransportFailure::kConnectionLost) << r.error().message;
  }
}

TEST_F(CurlTransportTest, MalformedResponsesAreConnectionLostNeverACrash) {
  auto transport = MakeCurlTransport(FastOptions());
  for (const char* path : {"/garbage", "/bad-status", "/bad-length"}) {
    TransportResult r = transport->SendAndWait(Request("POST", server_.Url(path), "{}"));
    ASSERT_FALSE(r) << path << " gave status " << r->status;
    EXPECT_EQ(r.error().failure, TransportFailure::kConnectionLost)
        << path << ": " << r.error().message;
  }
}

TEST_F(CurlTransportTest, SlowResponseIsTimeout) {
  TransportOptions options = FastOptions();
  options.total_timeout = std::chrono::milliseconds(150);
  auto transport = MakeCurlTransport(options);
  TransportResult r = transport->SendAndWait(Request("POST", server_.Url("/delay/3000"), "{}"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().failure, TransportFailure::kTimeout) << r.error().message;
}

TEST_F(CurlTransportTest, HostileHeaderFloodIsConnectionLost) {
  auto transport = MakeCurlTransport(FastOptions());
  TransportResult r = transport->SendAndWait(Request("GET", server_.Url("/header-flood")));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().failure, TransportFailure::kConnectionLost) << r.error().message;
}

TEST_F(CurlTransportTest, OversizedBodyIsCappedWithStatusAndHeadersKept) {
  TransportOptions options = FastOptions();
  options.max_response_bytes = 1000;
  auto transport = MakeCurlTransport(options);
  TransportResult r = transport->SendAndWait(Request("GET", server_.Url("/huge/5000000")));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, std::string(1000, 'x'));
  EXPECT_TRUE(r->body_truncated);
  EXPECT_EQ(FindHeader(r->headers, "Content-Length"), "5000000");

  TransportResult exact = transport->SendAndWait(Request("GET", server_.Url("/huge/1000")));
  ASSERT_TRUE(exact) << exact.error().message;
  EXPECT_EQ(exact->body.size(), 1000u);
  EXPECT_FALSE(exact->body_truncated);
}

// Counts what a body sink is given, on the transport's thread.
class CountingSink final : public BodySink {
 public:
  bool Begin() override {
    ++begins;
    bytes = 0;
    all_x = true;
    return true;
  }
  bool Write(std::string_view chunk) override {
    bytes += chunk.size();
    all_x &= chunk.find_first_not_of('x') == std::string_view::npos;
    return bytes <= limit;
  }
  int begins = 0;
  std::size_t bytes = 0;
  bool all_x = true;
  std::size_t limit = SIZE_MAX;
};

// A body sink takes a 2xx body whole, past max_response_bytes, without the
// transport holding it; an error's body is still collected; a sink that
// refuses ends the exchange as an error; a body cut short is still a lost
// connection (its Content-Length counts the sunk bytes).
TEST_F(CurlTransportTest, ABodySinkTakesTheWholeBodyWithoutTheCap) {
  TransportOptions options = FastOptions();
  options.max_response_bytes = 1000;
  auto transport = MakeCurlTransport(options);

  auto sink = std::make_shared<CountingSink>();
  HttpRequest big = Request("GET", server_.Url("/huge/5000000"));
  big.body_sink = sink;
  TransportResult r = transport->SendAndWait(std::move(big));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(r->body.empty());
  EXPECT_FALSE(r->body_truncated);
  EXPECT_EQ(r->sunk_bytes, 5000000u);
  EXPECT_EQ(sink->bytes, 5000000u);
  EXPECT_TRUE(sink->all_x);
  EXPECT_EQ(sink->begins, 1);

  auto unused = std::make_shared<CountingSink>();
  HttpRequest refused = Request("GET", server_.Url("/status/404"));
  refused.body_sink = unused;
  TransportResult not_found = transport->SendAndWait(std::move(refused));
  ASSERT_TRUE(not_found) << not_found.error().message;
  EXPECT_EQ(not_found->status, 404);
  EXPECT_EQ(not_found->body, "status 404");
  EXPECT_EQ(unused->begins, 0);

  auto full = std::make_shared<CountingSink>();
  full->limit = 100000;  // a disk that fills up
  HttpRequest too_big = Request("GET", server_.Url("/huge/5000000"));
  too_big.body_sink = full;
  TransportResult failed = transport->SendAndWait(std::move(too_big));
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().failure, TransportFailure::kInternal);
  EXPECT_NE(failed.error().message.find("sink"), std::string::npos) << failed.error().message;

  auto cut = std::make_shared<CountingSink>();
  HttpRequest midbody = Request("GET", server_.Url("/midbody"));
  midbody.body_sink = cut;
  TransportResult lost = transport->SendAndWait(std::move(midbody));
  ASSERT_FALSE(lost);
  EXPECT_EQ(lost.error().failure, TransportFailure::kConnectionLost) << lost.error().message;
}

TEST_F(CurlTransportTest, OddButCompleteResponsesAreReturnedAsIs) {
  auto transport = MakeCurlTransport(FastOptions());
  TransportResult notype = transport->SendAndWait(Request("GET", server_.Url("/notype")));
  ASSERT_TRUE(notype);
  EXPECT_FALSE(FindHeader(notype->headers, "Content-Type").has_value());
  EXPECT_EQ(notype->body, "plain");

  TransportResult html = transport->SendAndWait(Request("GET", server_.Url("/wrongtype")));
  ASSERT_TRUE(html);
  EXPECT_EQ(FindHeader(html->headers, "Content-Type"), "text/html");
  EXPECT_EQ(html->body, "<html>not json</html>");

  TransportResult until_close =
      transport->SendAndWait(Request("GET", server_.Url("/close-delimited")));
  ASSERT_TRUE(until_close) << until_close.error().message;
  EXPECT_EQ(until_close->body, "until close");

  TransportResult status = transport->SendAndWait(Request("POST", server_.Url("/status/503")));
  ASSERT_TRUE(status);
  EXPECT_EQ(status->status, 503);
}

TEST_F(CurlTransportTest, OnlyTheFinalResponseAfterEarlyHintsIsReported) {
  auto transport = MakeCurlTransport(FastOptions());
  TransportResult r = transport->SendAndWait(Request("GET", server_.Url("/early-hints")));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "final");
  EXPECT_EQ(FindHeader(r->headers, "X-Final"), "yes");
  EXPECT_FALSE(FindHeader(r->headers, "Link").has_value());
}

TEST_F(CurlTransportTest, RedirectsAreNotFollowed) {
  auto transport = MakeCurlTransport(FastOptions());
  TransportResult r = transport->SendAndWait(Request("POST", server_.Url("/redirect"), "{}"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 302);
  EXPECT_EQ(FindHeader(r->headers, "Location"), "/echo");
  EXPECT_EQ(server_.requests_received(), 1);
}

TEST_F(CurlTransportTest, SequentialRequestsReuseTheConnection) {
  server_.set_recording(false);
  auto transport = MakeCurlTransport(FastOptions());
  for (int i = 0; i < 100; ++i) {
    TransportResult r =
        transport->SendAndWait(Request("POST", server_.Url("/echo"), std::to_string(i)));
    ASSERT_TRUE(r) << r.error().message;
    ASSERT_EQ(r->body, std::to_string(i));
  }
  EXPECT_EQ(server_.requests_received(), 100);
  EXPECT_LE(server_.connections_accepted(), 2);
}

TEST_F(CurlTransportTest, ManyRequestsInFlightAtOnce) {
  server_.set_recording(false);
  TransportOptions options = FastOptions();
  options.max_in_flight = 64;
  options.max_connections_per_host = 64;
  auto transport = MakeCurlTransport(options);
  constexpr int kRequests = 256;
  ResultCollector results(kRequests);
  for (int i = 0; i < kRequests; ++i) {
    transport->Send(Request("POST", server_.Url("/delay/100"), "{}"), results.For(i));
  }
  ASSERT_TRUE(results.WaitFor(kRequests));
  transport.reset();  // no callback may run twice, even at shutdown
  for (int calls : results.calls()) EXPECT_EQ(calls, 1);
  for (const auto& r : results.results()) {
    ASSERT_TRUE(r.has_value() && r->has_value());
    EXPECT_EQ((*r)->status, 200);
  }
  EXPECT_GE(server_.max_open_requests(), 32);
  EXPECT_EQ(server_.requests_received(), kRequests);
}

TEST_F(CurlTransportTest, RequestsBeyondMaxInFlightQueue) {
  TransportOptions options = FastOptions();
  options.max_in_flight = 4;
  auto transport = MakeCurlTransport(options);
  constexpr int kRequests = 20;
  ResultCollector results(kRequests);
  for (int i = 0; i < kRequests; ++i) {
    transport->Send(Request("GET", server_.Url("/delay/30")), results.For(i));
  }
  ASSERT_TRUE(results.WaitFor(kRequests));
  for (const auto& r : results.results()) ASSERT_TRUE(r.has_value() && r->has_value());
  EXPECT_LE(server_.max_open_requests(), 4);
  EXPECT_GE(server_.max_open_requests(), 2);  // but it did run several at once
  EXPECT_LE(server_.connections_accepted(), 4);
}

TEST_F(CurlTransportTest, DestructionCancelsInFlightAndQueuedExactlyOnce) {
  TransportOptions options = FastOptions();
  options.max_in_flight = 4;
  auto transport = MakeCurlTransport(options);
  constexpr int kRequests = 10;  // 4 in flight, 6 queued
  ResultCollector results(kRequests);
  for (int i = 0; i < kRequests; ++i) {
    transport->Send(Request("POST", server_.Url("/delay/10000"), "{}"), results.For(i));
  }
  ASSERT_TRUE(idem::testing::WaitUntil(
      std::chrono::seconds(5), [&] { return server_.requests_received() == 4; },
      std::chrono::milliseconds(5)));
  transport.reset();
  EXPECT_EQ(results.done(), kRequests);  // all delivered before the destructor returned
  for (int calls : results.calls()) EXPECT_EQ(calls, 1);
  for (const auto& r : results.results()) {
    ASSERT_TRUE(r.has_value());
    ASSERT_FALSE(r->has_value());
    EXPECT_EQ(r->error().failure, TransportFailure::kCancelled);
  }
}

TEST_F(CurlTransportTest, SendFromInsideACallbackWorks) {
  auto transport = MakeCurlTransport(FastOptions());
  std::promise<TransportResult> second;
  transport->Send(Request("POST", server_.Url("/status/503"), "first"), [&](TransportResult first) {
    ASSERT_TRUE(first);
    // The client re-sends from callbacks: this must not deadlock.
    transport->Send(Request("POST", server_.Url("/echo"), "second"),
                    [&](TransportResult r) { second.set_value(std::move(r)); });
  });
  auto future = second.get_future();
  ASSERT_EQ(future.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  TransportResult r = future.get();
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->body, "second");
}

TEST_F(CurlTransportTest, CancelledCallbacksMaySendAndThoseAreCancelledToo) {
  Transport* transport = MakeCurlTransport(FastOptions()).release();
  std::atomic<int> cancelled{0};
  std::atomic<int> resent_cancelled{0};
  transport->Send(Request("GET", server_.Url("/delay/10000")), [&](TransportResult r) {
    if (!r && r.error().failure == TransportFailure::kCancelled) ++cancelled;
    // Still inside the destructor: the transport object is alive.
    transport->Send(Request("GET", server_.Url("/echo")), [&](TransportResult again) {
      if (!again && again.error().failure == TransportFailure::kCancelled) ++resent_cancelled;
    });
  });
  ASSERT_TRUE(idem::testing::WaitUntil(
      std::chrono::seconds(5), [&] { return server_.requests_received() == 1; },
      std::chrono::milliseconds(5)));
  delete transport;
  EXPECT_EQ(cancelled.load(), 1);
  EXPECT_EQ(resent_cancelled.load(), 1);
}

// A transport whose last owner lets go inside one of its callbacks (a
// look-up's callback chain holds the transport; the caller woken by that
// callback drops its own reference first) is destroyed on its own worker
// thread. The worker cannot join itself: before, std::thread::join threw
// "Resource deadlock avoided" and the process aborted. Now the worker is
// detached, still cancels what was in flight, and ends by itself.
TEST_F(CurlTransportTest, TheLastReferenceMayBeDroppedInsideACallback) {
  for (int round = 0; round < 10; ++round) {
    std::shared_ptr<Transport> transport = MakeCurlTransport(FastOptions());
    std::promise<TransportResult> in_flight;
    transport->Send(Request("GET", server_.Url("/delay/10000")),
                    [&](TransportResult r) { in_flight.set_value(std::move(r)); });
    std::promise<void> dropped;
    // The callback owns a reference, as a look-up's callback chain does; the
    // caller lets go of its own while the answer is still 200 ms away.
    transport->Send(Request("GET", server_.Url("/delay/200")),
                    [held = transport, &dropped](TransportResult r) mutable {
                      EXPECT_TRUE(r) << r.error().message;
                      held.reset();  // the last reference: ~CurlTransport on the worker
                      dropped.set_value();
                    });
    transport.reset();
    auto done = dropped.get_future();
    ASSERT_EQ(done.wait_for(std::chrono::seconds(10)), std::future_status::ready) << round;
    // The slow request still gets its one callback: cancelled.
    auto cancelled = in_flight.get_future();
    ASSERT_EQ(cancelled.wait_for(std::chrono::seconds(10)), std::future_status::ready) << round;
    TransportResult r = cancelled.get();
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().failure, TransportFailure::kCancelled);
  }
}

TEST_F(CurlTransportTest, SendFromManyThreads) {
  server_.set_recording(false);
  auto transport = MakeCurlTransport(FastOptions());
  constexpr int kThreads = 8;
  constexpr int kPerThread = 25;
  ResultCollector results(kThreads * kPerThread);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const int index = t * kPerThread + i;
        transport->Send(Request("POST", server_.Url("/echo"), std::to_string(index)),
                        results.For(index));
      }
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_TRUE(results.WaitFor(kThreads * kPerThread));
  const auto all = results.results();
  for (int i = 0; i < kThreads * kPerThread; ++i) {
    ASSERT_TRUE(all[i].has_value() && all[i]->has_value());
    EXPECT_EQ((*all[i])->body, std::to_string(i));
  }
}

TEST_F(CurlTransportTest, ThrowingCallbackDoesNotStopTheTransport) {
  auto transport = MakeCurlTransport(FastOptions());
  std::promise<void> thrown;
  transport->Send(Request("GET", server_.Url("/echo")), [&](TransportResult) {
    thrown.set_value();
    throw std::runtime_error("user bug");
  });
  thrown.get_future().wait();
  TransportResult r = transport->SendAndWait(Request("GET", server_.Url("/echo")));
  EXPECT_TRUE(r);
}

}  // namespace
}  // namespace idem
