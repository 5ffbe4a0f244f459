// Internal: thin wrappers over OpenSSL 3 used by keys, fingerprints and
// webhook signatures. Not part of the public API.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace idem::crypto {

// Raw 32-byte digest.
std::string Sha256(std::string_view data);
std::string Sha256Hex(std::string_view data);

// Raw 32-byte HMAC-SHA256.
std::string HmacSha256(std::string_view key, std::string_view data);
std::string HmacSha256Hex(std::string_view key, std::string_view data);

// Fills `out` from the CSPRNG; aborts if the CSPRNG fails (never falls back to
// a weak source for keys).
void RandomBytes(void* out, std::size_t size);

// Constant-time equality (CRYPTO_memcmp); different lengths compare unequal
// without looking at the contents.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

std::string HexEncode(std::string_view bytes);
std::optional<std::string> HexDecode(std::string_view hex);
std::string Base64Encode(std::string_view bytes);
std::optional<std::string> Base64Decode(std::string_view text);
// RFC 4648 section 5 without padding ('-' and '_' for '+' and '/'): JWT
// parts, Didit's webhook secrets. Decode refuses the standard alphabet's
// '+', '/' and '=' and a length no encoding produces.
std::string Base64UrlEncode(std::string_view bytes);
std::optional<std::string> Base64UrlDecode(std::string_view text);

}  // namespace idem::crypto
