#include "transport/transfer.h"

#include <string_view>
#include <utility>

#include "transport/failure_classification.h"

namespace idem::internal {
namespace {

// RFC 9110 token characters: what a method or header name may contain.
bool IsToken(std::string_view s) {
  if (s.empty()) return false;
  for (unsigned char c : s) {
    const bool ok =
        (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
        std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

// A header value must not be able to start a new header or request line.
bool IsSafeHeaderValue(std::string_view s) {
  return s.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

tl::unexpected<TransportError> Rejected(std::string message) {
  return tl::unexpected(TransportError{TransportFailure::kInternal, std::move(message)});
}

std::string_view FailureName(TransportFailure failure) {
  switch (failure) {
    case TransportFailure::kNotSent:
      return "not sent";
    case TransportFailure::kTimeout:
      return "timeout";
    case TransportFailure::kConnectionLost:
      return "connection lost";
    case TransportFailure::kCancelled:
      return "cancelled";
    case TransportFailure::kInternal:
      return "internal";
  }
  return "unknown";
}

}  // namespace

Transfer::Transfer() : easy_(curl_easy_init()) {}

Transfer::~Transfer() {
  Clear();
  if (easy_ != nullptr) curl_easy_cleanup(easy_);
}

void Transfer::Clear() {
  if (header_list_ != nullptr) {
    curl_slist_free_all(header_list_);
    header_list_ = nullptr;
  }
  std::string().swap(body_);
  std::string().swap(method_);
  collector_.reset();
}

tl::expected<void, TransportError> Transfer::Prepare(HttpRequest request,
                                                     const TransportOptions& options) {
  Clear();
  request_started_ = false;
  error_buffer_[0] = '\0';
  if (easy_ == nullptr) return Rejected("libcurl could not create an easy handle");
  if (!IsToken(request.method)) return Rejected("the method is not an HTTP token");
  if (request.url.find_first_of(std::string_view("\r\n\0 ", 4)) != std::string::npos) {
    return Rejected("the URL contains whitespace or control characters");
  }

  // Request headers. libcurl's own defaults that would change what the caller
  // asked for are switched off: "Expect: 100-continue" (a round-trip of delay
  // for POST bodies) and the form Content-Type it adds to POST bodies.
  bool has_content_type = false;
  bool has_expect = false;
  for (const Header& h : request.headers) {
    if (!IsToken(h.name)) return Rejected("a request header name is not an HTTP token");
    if (!IsSafeHeaderValue(h.value)) {
      // Say which header, never its value (it may be the API key).
      return Rejected("request header '" + h.name + "' contains CR, LF or NUL");
    }
    std::string line = h.name;
    if (h.value.empty()) {
      line += ';';  // libcurl's syntax for a header with an empty value
    } else {
      line += ": ";
      line += h.value;
    }
    curl_slist* next = curl_slist_append(header_list_, line.c_str());
    if (next == nullptr) return Rejected("out of memory building request headers");
    header_list_ = next;
    has_content_type |= curl_strnequal(h.name.c_str(), "Content-Type", 13) != 0;
    has_expect |= curl_strnequal(h.name.c_str(), "Expect", 7) != 0;
  }
  const auto append = [this](const char* line) {
    curl_slist* next = curl_slist_append(header_list_, line);
    if (next != nullptr) header_list_ = next;
    return next != nullptr;
  };
  if (!has_expect && !append("Expect:")) return Rejected("out of memory");
  if (!has_content_type && !append("Content-Type:")) return Rejected("out of memory");

  method_ = std::move(request.method);
  body_ = std::move(request.body);
  collector_.emplace(options.max_response_bytes, std::move(request.body_sink));

  CURL* e = easy_;
  curl_easy_reset(e);
  curl_easy_setopt(e, CURLOPT_URL, request.url.c_str());  // libcurl copies strings
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(options.connect_timeout.count()));
  // A request may ask for its own total (a slow billed check needs longer
  // than the transport's default).
  const auto total = request.timeout.count() > 0 ? request.timeout : options.total_timeout;
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(total.count()));
  curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, options.verify_tls ? 1L : 0L);
  curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, options.verify_tls ? 2L : 0L);
  curl_easy_setopt(e, CURLOPT_USERAGENT, options.user_agent.c_str());
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, header_list_);
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, error_buffer_);
  curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, &Transfer::OnHeader);
  curl_easy_setopt(e, CURLOPT_HEADERDATA, this);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &Transfer::OnBody);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, this);
  curl_easy_setopt(e, CURLOPT_PREREQFUNCTION, &Transfer::OnPrereq);
  curl_easy_setopt(e, CURLOPT_PREREQDATA, this);
  curl_easy_setopt(e, CURLOPT_PRIVATE, this);

  // Body and method. A body is sent with its exact length (binary-safe); any
  // method other than POST is named explicitly so PATCH/PUT/DELETE keep theirs.
  const bool sends_body =
      !body_.empty() || method_ == "POST" || method_ == "PUT" || method_ == "PATCH";
  if (method_ == "HEAD") {
    curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
  } else if (sends_body) {
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body_.size()));
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, body_.data());
    if (method_ != "POST") curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method_.c_str());
  } else {
    curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    if (method_ != "GET") curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method_.c_str());
  }
  return {};
}

TransportResult Transfer::Finish(CURLcode code) {
  long status = 0;
  curl_easy_getinfo(easy_, CURLINFO_RESPONSE_CODE, &status);
  const bool truncated_by_cap = collector_ && collector_->body_truncated();
  const bool headers_too_large = collector_ && collector_->headers_too_large();
  const bool sink_refused = collector_ && collector_->sink_refused();

  TransportResult result;
  if (code == CURLE_OK || (code == CURLE_WRITE_ERROR && truncated_by_cap && status > 0)) {
    // We stopped reading at the cap on purpose: the exchange itself succeeded.
    result = collector_->Take(static_cast<int>(status));
    if (ContradictsContentLength(*result, method_ == "HEAD")) {
      result = tl::unexpected(TransportError{
          TransportFailure::kConnectionLost,
          "the response body does not match its Content-Length; the request may have executed"});
    }
  } else if (sink_refused) {
    // The response arrived; the local side would not take its body.
    result = tl::unexpected(
        TransportError{TransportFailure::kInternal, "the body sink refused the response body"});
  } else if (headers_too_large) {
    result = tl::unexpected(TransportError{TransportFailure::kConnectionLost,
                                           "the response headers exceed " +
                                               std::to_string(kMaxResponseHeaderBytes) +
                                               " bytes; the request may have executed"});
  } else {
    const TransportFailure failure = ClassifyCurlFailure(code, request_started_);
    std::string message = std::string(FailureName(failure)) + ": " + curl_easy_strerror(code);
    // libcurl's detail names the host and the phase, never header values.
    if (error_buffer_[0] != '\0') message += std::string(" (") + error_buffer_ + ")";
    result = tl::unexpected(TransportError{failure, std::move(message)});
  }
  Clear();
  return result;
}

size_t Transfer::OnHeader(char* data, size_t size, size_t count, void* self) {
  auto* t = static_cast<Transfer*>(self);
  const size_t n = size * count;
  return t->collector_->OnHeaderLine(std::string_view(data, n)) ? n : 0;
}

size_t Transfer::OnBody(char* data, size_t size, size_t count, void* self) {
  auto* t = static_cast<Transfer*>(self);
  const size_t n = size * count;
  long status = 0;
  curl_easy_getinfo(t->easy_, CURLINFO_RESPONSE_CODE, &status);
  return t->collector_->OnBodyBytes(std::string_view(data, n), status) ? n : 0;
}

int Transfer::OnPrereq(void* self, char*, char*, int, int) {
  auto* t = static_cast<Transfer*>(self);
  // libcurl re-sends a request on its own, once, when a reused keep-alive
  // connection dies before any response byte. The first copy may have
  // executed, and a server that ignores idempotency keys would execute the
  // second too: refuse the silent re-send and report kConnectionLost, so the
  // client decides (replay with the key, or reconcile by look-up).
  if (t->request_started_) return CURL_PREREQFUNC_ABORT;
  t->request_started_ = true;
  return CURL_PREREQFUNC_OK;
}

}  // namespace idem::internal
