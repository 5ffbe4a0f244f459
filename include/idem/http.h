// Plain HTTP message types shared by the transport, the client and the journal.
#pragma once

#include <chrono>
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

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string url;     // absolute: "http://127.0.0.1:8790/v3/session/"
  Headers headers;
  std::string body;  // exact bytes sent
  // Total time for this exchange, connect included; 0 (default) = the
  // transport's TransportOptions::total_timeout.
  std::chrono::milliseconds timeout{0};
};

struct HttpResponse {
  int status = 0;
  Headers headers;              // names as received
  std::string body;             // at most TransportOptions::max_response_bytes
  bool body_truncated = false;  // the server sent more than the cap; the rest was dropped
};

}  // namespace idem
