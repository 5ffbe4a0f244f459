#include "transport/response_collector.h"

#include <strings.h>

#include <cstdint>
#include <optional>
#include <utility>

namespace idem::internal {
namespace {

std::string_view TrimWhitespace(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

bool IsStatusLine(std::string_view line) { return line.starts_with("HTTP/"); }

}  // namespace

bool ResponseCollector::OnHeaderLine(std::string_view line) {
  if (IsStatusLine(line)) {
    // A new response starts (after a 1xx or a redirect we do not follow):
    // only the final response's headers are reported.
    response_.headers.clear();
    header_bytes_ = 0;
  }
  header_bytes_ += line.size();
  if (header_bytes_ > kMaxResponseHeaderBytes) {
    headers_too_large_ = true;
    return false;
  }
  if (IsStatusLine(line)) return true;

  std::string_view content = line;
  while (!content.empty() && (content.back() == '\r' || content.back() == '\n')) {
    content.remove_suffix(1);
  }
  if (content.empty()) return true;  // the blank line ending a header section

  if (content.front() == ' ' || content.front() == '\t') {
    // Obsolete line folding (RFC 9112 5.2): continues the previous value.
    if (!response_.headers.empty()) {
      std::string& value = response_.headers.back().value;
      std::string_view more = TrimWhitespace(content);
      if (!value.empty() && !more.empty()) value.push_back(' ');
      value.append(more);
    }
    return true;
  }
  const std::size_t colon = content.find(':');
  if (colon == std::string_view::npos || colon == 0) return true;  // not a header: ignore
  std::string_view name = content.substr(0, colon);
  if (name.find_first_of(" \t") != std::string_view::npos) return true;  // invalid name
  response_.headers.push_back(
      Header{std::string(name), std::string(TrimWhitespace(content.substr(colon + 1)))});
  return true;
}

bool ResponseCollector::OnBodyBytes(std::string_view bytes, long status) {
  if (sink_ && status >= 200 && status < 300) {
    if (!sinking_) {
      sinking_ = true;
      if (!sink_->Begin()) {
        sink_refused_ = true;
        return false;
      }
    }
    if (!sink_->Write(bytes)) {
      sink_refused_ = true;
      return false;
    }
    response_.sunk_bytes += bytes.size();
    return true;
  }
  const std::size_t room = max_body_bytes_ - response_.body.size();
  if (bytes.size() <= room) {
    response_.body.append(bytes);
    return true;
  }
  response_.body.append(bytes.substr(0, room));
  response_.body_truncated = true;
  return false;
}

HttpResponse ResponseCollector::Take(int status) {
  HttpResponse out = std::move(response_);
  out.status = status;
  response_ = HttpResponse{};
  header_bytes_ = 0;
  headers_too_large_ = false;
  sinking_ = false;
  sink_refused_ = false;
  return out;
}

bool ContradictsContentLength(const HttpResponse& response, bool head_request) {
  if (head_request || response.body_truncated) return false;
  if (response.status < 200 || response.status == 204 || response.status == 304) return false;
  if (FindHeader(response.headers, "Transfer-Encoding").has_value()) return false;
  std::optional<std::string_view> declared;
  for (const Header& h : response.headers) {
    if (h.name.size() != 14 || strncasecmp(h.name.c_str(), "Content-Length", 14) != 0) continue;
    if (declared && *declared != h.value) return true;
    declared = h.value;
  }
  if (!declared) return false;
  if (declared->empty() || declared->size() > 19) return true;  // > 19 digits overflows
  std::uint64_t length = 0;
  for (char ch : *declared) {
    if (ch < '0' || ch > '9') return true;
    length = length * 10 + static_cast<std::uint64_t>(ch - '0');
  }
  return length != response.body.size() + response.sunk_bytes;
}

}  // namespace idem::internal
