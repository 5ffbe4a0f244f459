// Internal: a small HTTP/1.1 server (Boost.Beast) for the webhook receiver
// and for tests that need a misbehaving endpoint. Beast stays inside
// http_server.cc. Bodies over max_body_bytes are answered 413 before the
// handler sees them; a request with malformed HTTP gets 400.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "idem/http.h"
#include "idem/status.h"

namespace idem::webhook {

struct ServerRequest {
  std::string method;  // "POST"
  std::string target;  // path and query as sent
  Headers headers;
  std::string body;  // exact bytes
};

struct ServerResponse {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
};

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;                         // 0 = any free port
  int threads = 2;                                // I/O threads; the handler runs on them
  std::size_t max_body_bytes = 1u << 20;          // larger bodies get 413
  std::chrono::milliseconds idle_timeout{10000};  // a silent connection is closed
};

class HttpServer {
 public:
  using Handler = std::function<ServerResponse(const ServerRequest&)>;
  // Binds and starts serving. kUnavailable if the address cannot be bound,
  // kInvalidArgument if the host is not an IP address.
  static Result<std::unique_ptr<HttpServer>> Start(HttpServerOptions options, Handler handler);

  // The asynchronous form: the handler runs on an I/O thread and must call
  // `respond` exactly once, from any thread, now or later; the connection
  // reads nothing more until then. Lets a slow step (the inbox's fsync) wait
  // without holding an I/O thread, so a few threads serve many requests.
  using Responder = std::function<void(ServerResponse)>;
  using AsyncHandler = std::function<void(ServerRequest, Responder)>;
  static Result<std::unique_ptr<HttpServer>> StartAsync(HttpServerOptions options,
                                                        AsyncHandler handler);
  virtual ~HttpServer() = default;
  virtual std::uint16_t port() const = 0;
  virtual const std::string& host() const = 0;
  // Stops accepting, closes connections, joins the threads. Idempotent.
  virtual void Stop() = 0;
};

}  // namespace idem::webhook
