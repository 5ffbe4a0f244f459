// Internal: the HTTP/1.1 server core shared by the sandbox and the webhook
// receiver, so both get the same bounds (docs/architecture.md):
//   - at most max_connections open connections; one more is closed at once,
//     the others keep being served;
//   - when accept() fails (out of descriptors: EMFILE/ENFILE, or any other
//     error) the acceptor waits accept_backoff before trying again instead of
//     spinning on the error, and serves the waiting connections once
//     descriptors are free;
//   - header bytes (431), body bytes (413), malformed HTTP (400), and one
//     deadline per request (a slow or half-sent request, an idle keep-alive
//     connection, a reader that never drains the answer are all closed);
//   - an answer that ends the connection is followed by a half-close and a
//     bounded drain of what the peer still sends (at most 2 s, 8 MiB), so
//     the peer reads the answer instead of a reset.
// Beast stays inside http_server.cc.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "idem/http.h"
#include "idem/status.h"

namespace idem::server {

struct Request {
  std::string method;  // "POST"
  std::string target;  // path and query, as received
  Headers headers;
  std::string body;       // the exact bytes
  std::string remote_ip;  // the peer's address ("127.0.0.1"); empty if unknown
};

struct Response {
  int status = 200;
  Headers headers;  // Content-Type included when there is a body
  std::string body;
};

struct ServerOptions {
  // Address to bind: an IP address. Default loopback only.
  std::string host = "127.0.0.1";
  // 0 = any free port (read it with HttpServer::port()).
  std::uint16_t port = 0;
  // I/O threads; handlers run on them. Default 2.
  int threads = 2;
  // Larger bodies are answered 413 and the connection closed. Default 1 MiB.
  std::size_t max_body_bytes = 1u << 20;
  // Larger request headers are answered 431 and closed. Default 16 KiB.
  std::size_t max_header_bytes = 16 * 1024;
  // A request must arrive whole within this of the connection's previous
  // answer (or of its accept); writing an answer gets the same time. An idle
  // keep-alive connection is closed after it. Default 10 s.
  std::chrono::milliseconds read_timeout{10000};
  // Open connections at most; a connection accepted over the cap is closed
  // at once. Default 1024.
  std::size_t max_connections = 1024;
  // After a failed accept (out of descriptors), wait this long before the
  // next one. Default 20 ms.
  std::chrono::milliseconds accept_backoff{20};
  // The Server header on every answer; empty = none. Default none.
  std::string server_name;
  // The JSON body of the server's own error answers (400, 413, 431, 500).
  // Default (empty): {"error":"<reason>"}.
  std::function<std::string(int status)> error_body;
};

// One request's answer. Exactly one Respond or Close per request, from any
// thread, now or later; the connection reads nothing more until then.
class Exchange {
 public:
  virtual ~Exchange() = default;
  // Answers (keep-alive as the request asked). Later calls are ignored.
  virtual void Respond(Response response) = 0;
  // Closes the connection without an answer (the sandbox's drop faults).
  virtual void Close() = 0;
  // Runs `then` on the connection's strand after `delay`, without holding an
  // I/O thread meanwhile (the sandbox's slow faults). Not run if the server
  // stops first.
  virtual void After(std::chrono::milliseconds delay, std::function<void()> then) = 0;
};

class HttpServer {
 public:
  // Runs on an I/O thread. An exception it throws is answered 500.
  using Handler = std::function<void(Request, std::shared_ptr<Exchange>)>;
  // Binds and listens (connections are accepted when this returns) and starts
  // the I/O threads. kInvalidArgument if host is not an IP address,
  // kUnavailable if the address cannot be bound.
  [[nodiscard]] static Result<std::unique_ptr<HttpServer>> Start(ServerOptions options,
                                                                 Handler handler);

  virtual ~HttpServer() = default;
  virtual std::uint16_t port() const = 0;
  virtual const std::string& host() const = 0;
  // Connections open now (accepted and not yet closed).
  virtual std::size_t connections() const = 0;
  // Stops accepting, closes every connection, joins the threads. Idempotent.
  virtual void Stop() = 0;
};

// A handler that answers at once with what `answer` returns.
HttpServer::Handler Synchronous(std::function<Response(const Request&)> answer);

}  // namespace idem::server
