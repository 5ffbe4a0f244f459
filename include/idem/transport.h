// The HTTP transport: many requests in flight on a few threads (libcurl multi),
// connection reuse, timeouts, TLS verification. It sends what it is given and
// reports what happened; it never retries (that is the client's job, with the
// journal's key).
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <tl/expected.hpp>

#include "idem/http.h"

namespace idem {

enum class TransportFailure {
  kNotSent,         // DNS, connect or TLS handshake failed: the request provably never left.
  kTimeout,         // connect or total timeout after the request may have been sent.
  kConnectionLost,  // reset/closed/truncated after sending: the request may have executed.
  kCancelled,       // the transport shut down before the request finished.
  kInternal,        // libcurl refused the request (bad URL, out of memory).
};

struct TransportError {
  TransportFailure failure = TransportFailure::kInternal;
  std::string message;  // human-readable, never contains header values
};

using TransportResult = tl::expected<HttpResponse, TransportError>;

struct TransportOptions {
  // Time allowed to establish the TCP (and TLS) connection. Default 5 s.
  std::chrono::milliseconds connect_timeout{5000};
  // Time allowed for the whole exchange, connect included. Default 30 s.
  // Counted from when the transfer enters libcurl: waiting in the queue beyond
  // max_in_flight does not count, waiting for a free connection does.
  std::chrono::milliseconds total_timeout{30000};
  // Response bodies beyond this are dropped and HttpResponse::body_truncated
  // is set; the status and headers are still returned. Default 8 MiB.
  std::size_t max_response_bytes = 8u << 20;
  // Maximum transfers in flight; further Send() calls queue. Default 64.
  int max_in_flight = 64;
  // Connections kept per host for reuse. Default 32.
  int max_connections_per_host = 32;
  // TLS peer and host verification. Default on; turn off only for local tests.
  bool verify_tls = true;
  // Proxies come from the environment (http_proxy, https_proxy, no_proxy) as
  // libcurl reads them; nothing to set here.
  std::string user_agent = "idem/0.1";
};

class Transport {
 public:
  using Callback = std::function<void(TransportResult)>;
  virtual ~Transport() = default;

  // Starts `request` and returns at once. `done` runs exactly once, on the
  // transport's own thread, with the response or the failure. Callbacks must
  // be quick (no blocking I/O): hand heavy work to another thread. Send may be
  // called from any thread and from inside a callback, but not from another
  // thread concurrently with the transport's destruction. Do not re-send on
  // kCancelled: the destructor cancels whatever callbacks queue until none do.
  // The server sees each Send at most once: libcurl's own silent re-send on a
  // dead reused connection is refused and reported as kConnectionLost.
  virtual void Send(HttpRequest request, Callback done) = 0;

  // Blocks until the request finishes. Must not be called from a callback.
  [[nodiscard]] TransportResult SendAndWait(HttpRequest request);
};

// libcurl multi on one background thread. Destroying it cancels what is still
// in flight (their callbacks get kCancelled) and joins the thread. Destroyed
// on that thread (its last owner let go inside a callback), it cannot join:
// the thread then finishes the cancelling by itself, after the callback
// returns, so a callback must not use the transport once it let it go.
std::unique_ptr<Transport> MakeCurlTransport(TransportOptions options = {});

}  // namespace idem
