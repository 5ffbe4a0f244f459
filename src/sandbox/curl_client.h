// Internal: a minimal blocking HTTP client over one libcurl easy handle
// (keep-alive across calls). Used by the self-check, the load generator and
// the sandbox tests; the project's real client is the transport component.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "idem/http.h"
#include "idem/status.h"

namespace idem::sandbox {

class CurlClient {
 public:
  CurlClient();
  ~CurlClient();
  CurlClient(const CurlClient&) = delete;
  CurlClient& operator=(const CurlClient&) = delete;

  // kUnavailable when the connection fails or closes without a response,
  // kDeadlineExceeded on timeout. Header values are trimmed.
  [[nodiscard]] Result<HttpResponse> Send(
      std::string_view method, const std::string& url, const Headers& headers = {},
      std::string_view body = {},
      std::chrono::milliseconds timeout = std::chrono::milliseconds(10000));

 private:
  void* curl_;
};

}  // namespace idem::sandbox
