// Collects one response as libcurl delivers it: header lines (only those of the
// final response; 1xx and redirect responses are discarded when the next
// status line arrives) and body bytes up to a cap. Hostile input is bounded:
// headers beyond a fixed size abort the transfer instead of growing memory.
#pragma once

#include <cstddef>
#include <memory>
#include <string_view>

#include "idem/http.h"

namespace idem::internal {

// Total bytes of response header lines kept per response. Far above any real
// API's headers; a server sending more is broken or hostile.
inline constexpr std::size_t kMaxResponseHeaderBytes = 256 * 1024;

class ResponseCollector {
 public:
  // `sink`: where a 2xx body goes instead of being collected (may be null).
  ResponseCollector(std::size_t max_body_bytes, std::shared_ptr<BodySink> sink = nullptr)
      : max_body_bytes_(max_body_bytes), sink_(std::move(sink)) {}

  // One raw header line as libcurl gives it, CRLF included. Returns false to
  // abort the transfer (header section too large).
  bool OnHeaderLine(std::string_view line);

  // A chunk of body bytes of a response with `status`. Returns false to abort
  // the transfer once the body would exceed the cap (what fits is kept and
  // body_truncated() becomes true) or when the sink refuses (sink_refused()).
  bool OnBodyBytes(std::string_view bytes, long status);

  bool headers_too_large() const { return headers_too_large_; }
  bool sink_refused() const { return sink_refused_; }
  bool body_truncated() const { return response_.body_truncated; }

  // Moves the collected response out; the status comes from libcurl.
  HttpResponse Take(int status);

 private:
  std::size_t max_body_bytes_;
  std::size_t header_bytes_ = 0;
  bool headers_too_large_ = false;
  std::shared_ptr<BodySink> sink_;
  bool sinking_ = false;  // Begin() was called for this response
  bool sink_refused_ = false;
  HttpResponse response_;
};

// True when a complete, untruncated response contradicts its own framing: a
// Content-Length that is not a plain decimal number, several different ones,
// or one the body does not match. libcurl accepts some of these (e.g. an
// overflowing value) as "read until close"; we treat them as a cut-off reply.
// Responses that carry no body by definition (HEAD, 1xx, 204, 304) and
// chunked ones are not checked.
bool ContradictsContentLength(const HttpResponse& response, bool head_request);

}  // namespace idem::internal
