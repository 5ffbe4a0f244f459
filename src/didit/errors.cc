#include "idem/didit/errors.h"

#include <charconv>
#include <string>

#include "didit/json_util.h"

namespace idem::didit {
namespace {

// Messages and field names taken from a hostile body are capped so that a
// 8 MiB "detail" does not end up in every log line (raw_body keeps it all).
constexpr std::size_t kMaxTextBytes = 4096;
constexpr std::size_t kMaxFieldErrors = 256;
constexpr int kMaxFieldDepth = 8;

std::string Capped(std::string text) {
  if (text.size() > kMaxTextBytes) {
    std::size_t cut = kMaxTextBytes;
    // Never split a UTF-8 sequence: the text may be printed as JSON.
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
    text.resize(cut);
    text += "...";
  }
  return text;
}

ApiErrorKind KindFor(int status, std::string_view code) {
  switch (status) {
    case 400:
      return ApiErrorKind::kBadRequest;
    case 401:
      return ApiErrorKind::kUnauthorized;
    case 402:
      return ApiErrorKind::kPaymentRequired;
    case 403:
      return code == "contract_billing_suspended" ? ApiErrorKind::kBillingSuspended
                                                  : ApiErrorKind::kForbidden;
    case 404:
      return ApiErrorKind::kNotFound;
    case 409:
      return ApiErrorKind::kConflict;
    case 422:
      return ApiErrorKind::kUnprocessable;
    case 429:
      return ApiErrorKind::kRateLimited;
    default:
      break;
  }
  return status >= 500 && status <= 599 ? ApiErrorKind::kServerError : ApiErrorKind::kOther;
}

// Text from a message-ish value: a string, or the strings of an array.
std::vector<std::string> Messages(const nlohmann::json& value) {
  std::vector<std::string> out;
  if (value.is_string()) {
    out.push_back(Capped(value.get<std::string>()));
  } else if (value.is_array()) {
    for (const auto& item : value) {
      if (item.is_string()) out.push_back(Capped(item.get<std::string>()));
      if (out.size() >= kMaxFieldErrors) break;
    }
  }
  return out;
}

void CollectFieldErrors(const nlohmann::json& obj, const std::string& prefix, int depth,
                        std::map<std::string, std::vector<std::string>>& out) {
  if (depth > kMaxFieldDepth) return;
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    if (out.size() >= kMaxFieldErrors) return;
    if (prefix.empty() && (it.key() == "detail" || it.key() == "code")) continue;
    std::string name = Capped(prefix.empty() ? it.key() : prefix + "." + it.key());
    if (it->is_object()) {
      CollectFieldErrors(*it, name, depth + 1, out);
      continue;
    }
    auto messages = Messages(*it);
    if (!messages.empty()) out[name] = std::move(messages);
  }
}

std::optional<std::chrono::seconds> RetryAfter(const Headers& headers) {
  auto value = FindHeader(headers, "Retry-After");
  if (!value) return std::nullopt;
  std::string_view text = *value;
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  long long seconds = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
  // HTTP dates are not worth parsing here; the client's retry policy reads
  // Retry-After itself. This is informational.
  if (ec != std::errc() || end != text.data() + text.size() || seconds < 0 || seconds > 86400) {
    return std::nullopt;
  }
  return std::chrono::seconds(seconds);
}

}  // namespace

std::string_view ApiErrorKindName(ApiErrorKind kind) {
  switch (kind) {
    case ApiErrorKind::kBadRequest:
      return "bad_request";
    case ApiErrorKind::kUnauthorized:
      return "unauthorized";
    case ApiErrorKind::kPaymentRequired:
      return "payment_required";
    case ApiErrorKind::kBillingSuspended:
      return "billing_suspended";
    case ApiErrorKind::kForbidden:
      return "forbidden";
    case ApiErrorKind::kNotFound:
      return "not_found";
    case ApiErrorKind::kConflict:
      return "conflict";
    case ApiErrorKind::kUnprocessable:
      return "unprocessable";
    case ApiErrorKind::kRateLimited:
      return "rate_limited";
    case ApiErrorKind::kServerError:
      return "server_error";
    case ApiErrorKind::kOther:
      return "other";
  }
  return "other";
}

ApiError ParseApiError(int http_status, std::string_view body, const Headers& headers) {
  ApiError error;
  error.http_status = http_status;
  error.raw_body = std::string(body);
  error.retry_after = RetryAfter(headers);

  auto parsed = internal::SafeParse(body);
  if (parsed && parsed->is_object()) {
    const nlohmann::json& obj = *parsed;
    for (const char* key : {"detail", "message", "error"}) {
      auto it = obj.find(key);
      if (it != obj.end() && it->is_string()) {
        error.detail = Capped(it->get<std::string>());
        break;
      }
    }
    if (auto it = obj.find("code"); it != obj.end() && it->is_string()) {
      error.code = Capped(it->get<std::string>());
    }
    if (http_status == 400 || http_status == 422) {
      CollectFieldErrors(obj, "", 0, error.field_errors);
      // "message"/"error" were taken as the detail, not as fields.
      if (!error.detail.empty()) {
        error.field_errors.erase("message");
        error.field_errors.erase("error");
      }
    }
  } else if (parsed && parsed->is_array() && http_status == 400) {
    auto messages = Messages(*parsed);
    if (!messages.empty()) error.field_errors["non_field_errors"] = std::move(messages);
  }
  error.kind = KindFor(http_status, error.code);
  return error;
}

std::string ApiError::Summary() const {
  std::string out = std::to_string(http_status);
  out += ' ';
  out += ApiErrorKindName(kind);
  if (!code.empty()) out += " (" + code + ")";
  if (!detail.empty()) out += ": " + detail;
  if (!field_errors.empty()) {
    out += detail.empty() ? ": " : "; ";
    bool first = true;
    for (const auto& [field, messages] : field_errors) {
      if (!first) out += "; ";
      first = false;
      out += field + ": " + (messages.empty() ? std::string() : messages.front());
    }
  }
  return out;
}

std::string DiditError::ToString() const {
  std::string out = error.ToString();
  // A refusal's message is already the answer's summary: said once.
  if (api) {
    const std::string summary = api->Summary();
    if (error.message().find(summary) == std::string::npos) out += " [" + summary + "]";
  }
  if (!op_id.empty()) out += " (op " + op_id + ")";
  return out;
}

}  // namespace idem::didit
