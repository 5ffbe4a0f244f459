// Parsing of the `Idempotency-Key` request header (IETF
// draft-ietf-httpapi-idempotency-key-header): an RFC 8941 sf-string
// ("quoted", with \" and \\ escapes) or, as Stripe and most clients send it,
// a bare token. Both spell the same key: `"abc"` and `abc` are one key.
#pragma once

#include <string>
#include <string_view>

#include "idem/status.h"

namespace idem::sandbox {

inline constexpr std::size_t kMaxIdempotencyKeyLength = 255;

// Returns the key's value, or kInvalidArgument when it is empty, longer than
// 255 characters, contains a non-printable character (outside 0x20..0x7E; a
// bare key may not contain spaces or quotes either) or is a malformed
// sf-string (unterminated, a bad escape, text after the closing quote).
Result<std::string> ParseIdempotencyKey(std::string_view header_value);

}  // namespace idem::sandbox
