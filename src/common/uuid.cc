#include "idem/uuid.h"

#include <array>
#include <cstdint>
#include <string>

#include "common/crypto.h"

namespace idem {
namespace {

// 8-4-4-4-12 lower-case hex, written in place (two keys per op: no
// temporaries).
std::string FormatUuid(const std::array<unsigned char, 16>& b) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(36, '-');
  std::size_t at = 0;
  for (std::size_t i = 0; i < b.size(); ++i) {
    if (at == 8 || at == 13 || at == 18 || at == 23) ++at;  // keep the '-'
    out[at++] = kDigits[b[i] >> 4];
    out[at++] = kDigits[b[i] & 0xf];
  }
  return out;
}

void SetVersionAndVariant(std::array<unsigned char, 16>& b, unsigned version) {
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | (version << 4));
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);  // RFC 9562 variant 10xx
}

void AppendLengthPrefixed(std::string& out, std::string_view part) {
  out += std::to_string(part.size());
  out += ':';
  out += part;
}

}  // namespace

std::string NewUuidV4() {
  std::array<unsigned char, 16> b{};
  crypto::RandomBytes(b.data(), b.size());
  SetVersionAndVariant(b, 4);
  return FormatUuid(b);
}

std::string NewUuidV7(const Clock& clock) {
  std::array<unsigned char, 16> b{};
  crypto::RandomBytes(b.data(), b.size());
  auto ms = static_cast<std::uint64_t>(ToUnixMillis(clock.Now()));
  for (int i = 0; i < 6; ++i) b[static_cast<std::size_t>(i)] = (ms >> (40 - 8 * i)) & 0xff;
  SetVersionAndVariant(b, 7);
  return FormatUuid(b);
}

bool IsUuid(std::string_view text) {
  if (text.size() != 36) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
      return false;
    }
  }
  return true;
}

std::string RequestFingerprint(std::string_view method, std::string_view path,
                               std::string_view body) {
  std::string preimage;
  preimage.reserve(method.size() + path.size() + body.size() + 32);
  AppendLengthPrefixed(preimage, method);
  AppendLengthPrefixed(preimage, path);
  AppendLengthPrefixed(preimage, body);
  return crypto::Sha256Hex(preimage);
}

}  // namespace idem
