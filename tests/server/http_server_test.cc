// The shared server core on real sockets: its own error answers, the
// exchange (answer later, from another thread, close without an answer,
// wait first), and the connection cap. Both servers (sandbox, receiver) have
// their own end-to-end tests on top.
#include "server/http_server.h"

#include <gtest/gtest.h>

#include <future>
#include <memory>
#include <thread>
#include <vector>

#include "idem/transport.h"
#include "testing/raw_socket.h"
#include "testing/wait.h"

namespace idem::server {
namespace {

using idem::testing::RawSocket;

constexpr auto kWait = std::chrono::seconds(5);

Response Text(int status, std::string body) {
  Response r;
  r.status = status;
  r.headers.push_back({"Content-Type", "text/plain"});
  r.body = std::move(body);
  return r;
}

std::unique_ptr<HttpServer> StartOrDie(ServerOptions options, HttpServer::Handler handler) {
  auto server = HttpServer::Start(std::move(options), std::move(handler));
  EXPECT_TRUE(server) << server.error().ToString();
  return server ? std::move(*server) : nullptr;
}

HttpServer::Handler Echo() {
  return Synchronous([](const Request& r) { return Text(200, r.method + " " + r.target); });
}

std::string Exchange1(std::uint16_t port, const std::string& bytes, bool* closed = nullptr) {
  RawSocket socket(port);
  EXPECT_TRUE(socket.connected());
  socket.Send(bytes);
  return socket.ReadAll(kWait, closed);
}

constexpr char kGet[] = "GET /x?y=1 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";

TEST(HttpServerCore, AnswersAndKeepsTheConnectionWhenAsked) {
  auto server = StartOrDie({}, Echo());
  RawSocket socket(server->port());
  socket.Send("GET /one HTTP/1.1\r\nHost: a\r\n\r\n");
  socket.Send("POST /two HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  bool closed = false;
  const std::string out = socket.ReadAll(kWait, &closed);
  EXPECT_NE(out.find("GET /one"), std::string::npos) << out;
  EXPECT_NE(out.find("POST /two"), std::string::npos) << out;
  EXPECT_TRUE(closed);
}

TEST(HttpServerCore, RefusesBadAddresses) {
  ServerOptions options;
  options.host = "localhost";  // a name, not an IP address
  auto server = HttpServer::Start(options, Echo());
  ASSERT_FALSE(server);
  EXPECT_EQ(server.error().code(), ErrorCode::kInvalidArgument);
  auto first = StartOrDie({}, Echo());
  options.host = "127.0.0.1";
  options.port = first->port();  // taken
  server = HttpServer::Start(options, Echo());
  ASSERT_FALSE(server);
  EXPECT_EQ(server.error().code(), ErrorCode::kUnavailable);
}

TEST(HttpServerCore, ItsOwnErrorsUseTheConfiguredBodyAndClose) {
  ServerOptions options;
  options.max_body_bytes = 10;
  options.max_header_bytes = 256;
  options.server_name = "core-test";
  options.error_body = [](int status) { return "{\"detail\":" + std::to_string(status) + "}"; };
  auto server = StartOrDie(options, Echo());
  bool closed = false;
  std::string out = Exchange1(server->port(), "NOT HTTP AT ALL\r\n\r\n", &closed);
  EXPECT_EQ(out.rfind("HTTP/1.1 400", 0), 0u) << out;
  EXPECT_NE(out.find("{\"detail\":400}"), std::string::npos);
  EXPECT_NE(out.find("Server: core-test"), std::string::npos);
  EXPECT_TRUE(closed);
  out = Exchange1(server->port(),
                  "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\n01234567890", &closed);
  EXPECT_EQ(out.rfind("HTTP/1.1 413", 0), 0u) << out;
  EXPECT_TRUE(closed);
  out = Exchange1(server->port(),
                  "GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + std::string(400, 'b') + "\r\n\r\n",
                  &closed);
  EXPECT_EQ(out.rfind("HTTP/1.1 431", 0), 0u) << out;
  EXPECT_NE(out.find("{\"detail\":431}"), std::string::npos);
  EXPECT_TRUE(closed);
}

// The peer is still uploading when the 413 goes out. Closing with its bytes
// unread makes the kernel answer them with a reset; libcurl then fails the
// upload and never reads the 413. The server half-closes and drains instead.
// Seen under ThreadSanitizer's slowdown (5 of 19 runs of
// Hostile.BodyOverTheDefaultLimitIs413 before the drain); on an uninstrumented
// loopback the race is rarely lost, so this guards rather than reproduces.
TEST(HttpServerCore, A413ReachesAPeerThatIsStillSending) {
  ServerOptions options;
  options.max_body_bytes = 1024;
  auto server = StartOrDie(options, Echo());
  for (int round = 0; round < 5; ++round) {
    RawSocket socket(server->port());
    const std::size_t body = 4u << 20;
    socket.Send("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: " + std::to_string(body) +
                "\r\n\r\n");
    std::thread uploader([&socket, body] {
      const std::string chunk(64 * 1024, 'x');
      for (std::size_t sent = 0; sent < body; sent += chunk.size()) {
        if (!socket.Send(chunk)) return;  // the server stopped reading: fine
      }
    });
    const std::string answer = socket.ReadAll(kWait);
    uploader.join();
    EXPECT_EQ(answer.rfind("HTTP/1.1 413", 0), 0u) << "round " << round << ": '" << answer << "'";
  }
  // libcurl gives up a transfer whose upload fails ("Failed sending data to
  // the peer") before it reads the answer: a reset mid-upload loses the 413.
  auto transport = MakeCurlTransport({});
  int answered_413 = 0;
  for (int round = 0; round < 20; ++round) {
    auto answer = transport->SendAndWait({"POST",
                                          "http://127.0.0.1:" + std::to_string(server->port()),
                                          {{"Content-Type", "application/json"}},
                                          std::string(4u << 20, 'x')});
    if (answer && answer->status == 413) ++answered_413;
  }
  EXPECT_EQ(answered_413, 20);
}

TEST(HttpServerCore, ATruncatedRequestIsClosedWithoutAnAnswer) {
  auto server = StartOrDie({}, Echo());
  RawSocket socket(server->port());
  socket.Send("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\nonly-this");
  ::shutdown(socket.fd(), SHUT_WR);
  bool closed = false;
  EXPECT_EQ(socket.ReadAll(kWait, &closed), "");
  EXPECT_TRUE(closed);
}

TEST(HttpServerCore, ASilentConnectionIsClosedAfterTheReadTimeout) {
  ServerOptions options;
  options.read_timeout = std::chrono::milliseconds(100);
  auto server = StartOrDie(options, Echo());
  RawSocket socket(server->port());
  socket.Send("GET / HTTP/1.1\r\nHost: a\r\n");  // never finished
  bool closed = false;
  EXPECT_EQ(socket.ReadAll(kWait, &closed), "");
  EXPECT_TRUE(closed);
}

TEST(HttpServerCore, AThrowingHandlerIsAnswered500) {
  auto server = StartOrDie(
      {}, [](Request, std::shared_ptr<Exchange>) { throw std::runtime_error("handler bug"); });
  const std::string out = Exchange1(server->port(), kGet);
  EXPECT_EQ(out.rfind("HTTP/1.1 500", 0), 0u) << out;
}

TEST(HttpServerCore, AnAnswerMayComeLaterFromAnotherThreadAndOnlyTheFirstCounts) {
  std::promise<std::shared_ptr<Exchange>> pending;
  auto server = StartOrDie({}, [&pending](Request, std::shared_ptr<Exchange> exchange) {
    pending.set_value(std::move(exchange));
  });
  RawSocket socket(server->port());
  socket.Send(kGet);
  auto exchange = pending.get_future().get();
  std::thread other([exchange] {
    exchange->Respond(Text(202, "first"));
    exchange->Respond(Text(500, "second"));
    exchange->Close();
  });
  other.join();
  const std::string out = socket.ReadAll(kWait);
  EXPECT_EQ(out.rfind("HTTP/1.1 202", 0), 0u) << out;
  EXPECT_EQ(out.find("second"), std::string::npos);
}

TEST(HttpServerCore, CloseEndsTheConnectionWithoutAnAnswer) {
  auto server =
      StartOrDie({}, [](Request, std::shared_ptr<Exchange> exchange) { exchange->Close(); });
  bool closed = false;
  EXPECT_EQ(Exchange1(server->port(), kGet, &closed), "");
  EXPECT_TRUE(closed);
}

TEST(HttpServerCore, AfterRunsOnTheConnectionWithoutBlockingOthers) {
  std::atomic<int> calls{0};
  auto server = StartOrDie({}, [&calls](Request r, std::shared_ptr<Exchange> exchange) {
    if (r.target == "/slow") {
      auto* raw = exchange.get();
      raw->After(std::chrono::milliseconds(300),
                 [exchange = std::move(exchange)] { exchange->Respond(Text(200, "slow")); });
      return;
    }
    ++calls;
    exchange->Respond(Text(200, "fast"));
  });
  RawSocket slow(server->port());
  slow.Send("GET /slow HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
  // The slow wait holds no thread: other requests are answered meanwhile.
  for (int i = 0; i < 5; ++i) {
    EXPECT_NE(Exchange1(server->port(), kGet).find("fast"), std::string::npos);
  }
  EXPECT_NE(slow.ReadAll(kWait).find("slow"), std::string::npos);
  EXPECT_EQ(calls.load(), 5);
}

TEST(HttpServerCore, ExpectContinueGetsTheBodyRead) {
  auto server = StartOrDie({}, Synchronous([](const Request& r) { return Text(200, r.body); }));
  RawSocket socket(server->port());
  socket.Send(
      "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: 100-continue\r\n"
      "Connection: close\r\n\r\n");
  std::string first = socket.ReadAll(std::chrono::milliseconds(500));
  EXPECT_EQ(first.rfind("HTTP/1.1 100 Continue", 0), 0u) << first;
  socket.Send("hello");
  EXPECT_NE(socket.ReadAll(kWait).find("hello"), std::string::npos);
}

TEST(HttpServerCore, OverTheCapNewConnectionsAreClosedAndServedAgainOnceOthersGo) {
  ServerOptions options;
  options.max_connections = 4;
  auto server = StartOrDie(options, Echo());
  std::vector<std::unique_ptr<RawSocket>> held;
  for (int i = 0; i < 4; ++i) held.push_back(std::make_unique<RawSocket>(server->port()));
  // Bounded poll: the four are accepted.
  // One deadline for both waits; each check after it judges.
  const auto deadline = std::chrono::steady_clock::now() + kWait;
  (void)idem::testing::WaitUntil(
      deadline, [&] { return server->connections() >= 4; }, std::chrono::milliseconds(2));
  ASSERT_EQ(server->connections(), 4u);
  bool closed = false;
  EXPECT_EQ(Exchange1(server->port(), kGet, &closed), "");
  EXPECT_TRUE(closed) << "the fifth is closed at once";
  EXPECT_EQ(server->connections(), 4u);

  held.clear();
  std::string out;
  // Each try is a round trip: no pause between them.
  (void)idem::testing::WaitUntil(
      deadline,
      [&] {
        out = Exchange1(server->port(), kGet);
        return out.find("GET /x") != std::string::npos;
      },
      std::chrono::milliseconds(0));
  EXPECT_NE(out.find("GET /x?y=1"), std::string::npos);
}

TEST(HttpServerCore, StopIsIdempotentAndClosesConnections) {
  auto server = StartOrDie({}, Echo());
  RawSocket socket(server->port());
  server->Stop();
  server->Stop();
  bool closed = false;
  socket.ReadAll(kWait, &closed);
  EXPECT_TRUE(closed);
}

}  // namespace
}  // namespace idem::server
