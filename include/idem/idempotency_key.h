// The Idempotency-Key header (draft-ietf-httpapi-idempotency-key-header):
// how idem writes it and how it reads a key the caller supplied.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace idem {

enum class KeyFormat {
  kBareToken,     // Idempotency-Key: 8e03978e-40d5-43e8-bc93-6894a57f9324 (default; what
                  // most APIs, Stripe included, accept)
  kQuotedString,  // Idempotency-Key: "8e03978e-..." (RFC 8941 sf-string, as the IETF draft says)
};

enum class KeyVersion {
  kUuidV4,  // random, from the CSPRNG (default)
  kUuidV7,  // time-ordered; keeps B-tree indexes on keys append-only
};

// The header value for `key` in `format`. Keys idem makes are UUIDs, which
// need no escaping; a quoted key escapes '"' and '\' as RFC 8941 requires.
// kBareToken quotes a key that is no bare token (a space, '"', '\', or
// surrounding whitespace), so the header always reads back as `key`.
std::string FormatIdempotencyKey(std::string_view key, KeyFormat format);

// The key inside a caller-supplied header value: a bare token, or an RFC 8941
// sf-string whose quotes and escapes are removed. nullopt when empty, longer
// than 255 characters, or malformed (unbalanced quotes, control characters).
std::optional<std::string> ParseIdempotencyKey(std::string_view header_value);

}  // namespace idem
