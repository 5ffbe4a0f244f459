// The sandbox's HTTP/1.1 server (Boost.Beast): keep-alive, a fixed number of
// I/O threads, request limits and timeouts, and full control of each
// connection so that faults can close it without a response. The only
// translation unit of the sandbox that includes Beast.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "idem/status.h"
#include "sandbox/app.h"

namespace idem::sandbox {

struct ServerConfig {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  int threads = 2;
  std::size_t max_body_bytes = 1 << 20;
  std::size_t max_header_bytes = 16 * 1024;
  std::chrono::milliseconds read_timeout{10000};
  std::size_t max_connections = 10000;
};

class HttpServer {
 public:
  // Binds and listens (the socket accepts when this returns) and starts the
  // I/O threads. `app` must outlive the server.
  static Result<std::unique_ptr<HttpServer>> Start(const ServerConfig& config, App& app);
  virtual ~HttpServer() = default;
  virtual std::uint16_t port() const = 0;
  // Stops accepting, drops every connection, joins the threads. Idempotent.
  virtual void Stop() = 0;
};

}  // namespace idem::sandbox
