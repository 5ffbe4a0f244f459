// Internal: the one reader of an Idempotency-Key header value, shared by the
// client (a caller's own key, idem::ParseIdempotencyKey) and the sandbox
// (every request it deduplicates). Two readers drifted apart once (found by
// fuzz/targets/idempotency_key_fuzz.cc: a bare key with a backslash, a
// quoted key of escapes longer than 257 bytes), and a key the client
// journals must be the key the server deduplicates by.
//
// The value is an RFC 8941 sf-string ("quoted", \" and \\ the only escapes,
// printable ASCII inside) or, as Stripe and most clients send it, a bare
// token (visible ASCII without '"' or '\'); optional whitespace around it
// is ignored, and `"abc"` and `abc` are one key.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "idem/status.h"

namespace idem::internal {

inline constexpr std::size_t kMaxIdempotencyKeyLength = 255;

// The key, or kInvalidArgument saying why: empty, longer than 255
// characters (after unescaping), a character a bare key may not hold, or a
// malformed sf-string (a bad escape, unterminated, text after the quote).
[[nodiscard]] Result<std::string> ReadIdempotencyKey(std::string_view header_value);

// `key` can be sent as a bare token and reads back as itself: 1..255 visible
// ASCII characters without '"' or '\\'.
bool IsBareIdempotencyToken(std::string_view key);

}  // namespace idem::internal
