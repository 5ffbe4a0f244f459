#include "common/idempotency_key_reader.h"

#include "common/text.h"

namespace idem::internal {
namespace {

bool IsBareTokenChar(char ch) {
  const unsigned char c = static_cast<unsigned char>(ch);
  return c > 0x20 && c <= 0x7E && c != '"' && c != '\\';
}

[[nodiscard]] Result<std::string> ReadQuoted(std::string_view s) {
  // s starts with '"'.
  std::string out;
  std::size_t i = 1;
  for (; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '\\') {
      if (i + 1 >= s.size() || (s[i + 1] != '"' && s[i + 1] != '\\')) {
        return MakeError(ErrorCode::kInvalidArgument,
                         "only \\\" and \\\\ may be escaped in a quoted key");
      }
      out.push_back(s[++i]);
      continue;
    }
    if (c == '"') break;
    if (c < 0x20 || c > 0x7E) {
      return MakeError(ErrorCode::kInvalidArgument, "a non-printable character");
    }
    out.push_back(static_cast<char>(c));
  }
  if (i >= s.size()) {
    return MakeError(ErrorCode::kInvalidArgument, "an unterminated quoted string");
  }
  if (i + 1 != s.size()) {
    return MakeError(ErrorCode::kInvalidArgument, "text after the closing quote");
  }
  return out;
}

}  // namespace

bool IsBareIdempotencyToken(std::string_view key) {
  if (key.empty() || key.size() > kMaxIdempotencyKeyLength) return false;
  for (char ch : key) {
    if (!IsBareTokenChar(ch)) return false;
  }
  return true;
}

[[nodiscard]] Result<std::string> ReadIdempotencyKey(std::string_view header_value) {
  const std::string_view s = TrimOws(header_value);
  if (s.empty()) return MakeError(ErrorCode::kInvalidArgument, "the key is empty");
  // Even fully escaped, a key of 255 characters is at most 2 * 255 + 2 bytes.
  if (s.size() > 2 * kMaxIdempotencyKeyLength + 2) {
    return MakeError(ErrorCode::kInvalidArgument, "longer than 255 characters");
  }
  std::string key;
  if (s.front() == '"') {
    auto quoted = ReadQuoted(s);
    if (!quoted) return quoted;
    key = std::move(*quoted);
  } else {
    for (char ch : s) {
      if (!IsBareTokenChar(ch)) {
        return MakeError(ErrorCode::kInvalidArgument,
                         "a bare key may hold only visible ASCII without '\"' or '\\'");
      }
    }
    key = std::string(s);
  }
  if (key.empty()) return MakeError(ErrorCode::kInvalidArgument, "the key is empty");
  if (key.size() > kMaxIdempotencyKeyLength) {
    return MakeError(ErrorCode::kInvalidArgument, "longer than 255 characters");
  }
  return key;
}

}  // namespace idem::internal
