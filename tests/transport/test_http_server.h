// A small scripted HTTP/1.1 server for transport tests and benchmarks: a real
// server on 127.0.0.1 (port 0) with faults injected per request path. One
// thread, poll(2), keep-alive. It is a test tool: it trusts its peer enough to
// stay simple, but bounds what it buffers.
//
// Paths:
//   /echo              200, body = request body, "X-Echo-Method: <method>", and
//                      every request header "X-Foo: v" echoed as "Echo-X-Foo: v"
//   /status/<code>     that status, body "status <code>"
//   /delay/<ms>        200 "late" after <ms> milliseconds (the request is held)
//   /close             reads the request, closes without a response
//   /reset             reads the request, closes with a TCP RST
//   /midbody           "Content-Length: 100", 10 bytes, then close
//   /chunked-cut       chunked body cut off mid-chunk, then close
//   /huge/<n>          200 with <n> bytes of 'x'
//   /notype            200 without Content-Type
//   /wrongtype         200, "Content-Type: text/html", body "<html>not json</html>"
//   /early-hints       a 103 response with a Link header, then 200 "final"
//   /redirect          302 to /echo (must not be followed)
//   /header-flood      200 with ~300 KiB of response headers
//   /close-delimited   200 without Content-Length, body ended by closing
//   /garbage           a reply that is not HTTP at all, then close
//   /bad-status        a status line with a non-numeric code, then close
//   /bad-length        a Content-Length that overflows 64 bits, then close
//   anything else      404
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "idem/http.h"

namespace idem::testing {

struct RecordedRequest {
  std::string method;
  std::string target;
  Headers headers;
  std::string body;
};

class TestHttpServer {
 public:
  // Binds 127.0.0.1:0 and starts serving; aborts the test binary if it cannot.
  TestHttpServer();
  ~TestHttpServer();
  TestHttpServer(const TestHttpServer&) = delete;
  TestHttpServer& operator=(const TestHttpServer&) = delete;

  int port() const { return port_; }
  std::string Url(std::string_view path) const;

  int connections_accepted() const { return connections_accepted_.load(); }
  int requests_received() const { return requests_received_.load(); }
  // Most requests received and not yet answered at the same moment.
  int max_open_requests() const { return max_open_requests_.load(); }
  // Every request received, in arrival order (kept only when recording is on).
  std::vector<RecordedRequest> requests() const;
  void set_recording(bool on) { recording_.store(on); }

 private:
  struct Connection;
  void Run();
  void AcceptAll();
  bool ReadFrom(Connection& c);
  void ParseRequests(Connection& c);
  void Handle(Connection& c, RecordedRequest request);
  bool WriteTo(Connection& c);
  void OpenRequestDone();

  int listen_fd_ = -1;
  int wake_pipe_[2] = {-1, -1};
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<bool> recording_{true};
  std::atomic<int> connections_accepted_{0};
  std::atomic<int> requests_received_{0};
  std::atomic<int> open_requests_{0};
  std::atomic<int> max_open_requests_{0};
  mutable std::mutex mu_;
  std::vector<RecordedRequest> requests_;                 // guarded by mu_
  std::vector<std::unique_ptr<Connection>> connections_;  // server thread only
  std::thread thread_;
};

}  // namespace idem::testing
