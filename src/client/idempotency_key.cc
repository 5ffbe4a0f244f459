#include "idem/idempotency_key.h"

#include "common/idempotency_key_reader.h"

namespace idem {

std::string FormatIdempotencyKey(std::string_view key, KeyFormat format) {
  // A key that is no bare token (a caller's quoted key with a space, a quote
  // or a backslash, resumed without its original header) is quoted even in
  // the bare format: sent bare, the server would read another key or refuse
  // it (found by fuzz/targets/idempotency_key_fuzz.cc).
  if (format == KeyFormat::kBareToken && internal::IsBareIdempotencyToken(key)) {
    return std::string(key);
  }
  std::string out = "\"";
  for (char c : key) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
  return out;
}

std::optional<std::string> ParseIdempotencyKey(std::string_view value) {
  auto key = internal::ReadIdempotencyKey(value);
  if (!key) return std::nullopt;
  return std::move(*key);
}

}  // namespace idem
