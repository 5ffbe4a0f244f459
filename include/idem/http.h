// Plain HTTP message types shared by the transport, the client and the journal.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace idem {

struct Header {
  std::string name;
  std::string value;
};
using Headers = std::vector<Header>;

// Case-insensitive lookup of the first header called `name`.
std::optional<std::string_view> FindHeader(const Headers& headers, std::string_view name);

// Where a successful (2xx) response's body goes when it should not be held
// in memory (a session PDF written to a file). Called on the transport's
// thread, so it must be quick; no cap applies to what it is given.
class BodySink {
 public:
  virtual ~BodySink() = default;
  // A 2xx body begins. Whatever an earlier attempt wrote is void (a GET
  // retried after a connection lost mid-body starts again). False aborts
  // the transfer.
  [[nodiscard]] virtual bool Begin() = 0;
  // The next bytes of the body. False aborts the transfer (the exchange
  // fails with kInternal and the sink's refusal in its message).
  [[nodiscard]] virtual bool Write(std::string_view bytes) = 0;
};

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string url;     // absolute: "http://127.0.0.1:8790/v3/session/"
  Headers headers;
  std::string body;  // exact bytes sent
  // Total time for this exchange, connect included; 0 (default) = the
  // transport's TransportOptions::total_timeout.
  std::chrono::milliseconds timeout{0};
  // Null (default): the body is collected into HttpResponse::body, up to
  // TransportOptions::max_response_bytes. Set: a 2xx body goes to the sink
  // instead, whole (HttpResponse::body stays empty); any other status's body
  // is still collected, so an error can be read.
  std::shared_ptr<BodySink> body_sink = nullptr;
};

struct HttpResponse {
  int status = 0;
  Headers headers;               // names as received
  std::string body;              // at most TransportOptions::max_response_bytes
  bool body_truncated = false;   // the server sent more than the cap; the rest was dropped
  std::uint64_t sunk_bytes = 0;  // bytes given to HttpRequest::body_sink
};

}  // namespace idem
