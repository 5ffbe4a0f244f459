#include "idem/idempotency_key.h"

namespace idem {
namespace {

constexpr std::size_t kMaxKeyLength = 255;

bool IsVisibleAscii(char c) { return c >= 0x21 && c <= 0x7e; }

}  // namespace

std::string FormatIdempotencyKey(std::string_view key, KeyFormat format) {
  if (format == KeyFormat::kBareToken) return std::string(key);
  std::string out = "\"";
  for (char c : key) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
  return out;
}

std::optional<std::string> ParseIdempotencyKey(std::string_view value) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  if (value.empty() || value.size() > kMaxKeyLength + 2) return std::nullopt;
  std::string key;
  if (value.front() != '"') {
    for (char c : value) {
      if (!IsVisibleAscii(c) || c == '"' || c == '\\') return std::nullopt;
    }
    key.assign(value);
  } else {
    if (value.size() < 2 || value.back() != '"') return std::nullopt;
    std::string_view inner = value.substr(1, value.size() - 2);
    for (std::size_t i = 0; i < inner.size(); ++i) {
      char c = inner[i];
      if (c == '\\') {
        if (i + 1 >= inner.size() || (inner[i + 1] != '"' && inner[i + 1] != '\\')) {
          return std::nullopt;
        }
        key += inner[++i];
      } else if (c == '"' || c < 0x20 || c == 0x7f) {
        return std::nullopt;
      } else {
        key += c;
      }
    }
  }
  if (key.empty() || key.size() > kMaxKeyLength) return std::nullopt;
  return key;
}

}  // namespace idem
