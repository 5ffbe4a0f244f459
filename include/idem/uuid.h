// Idempotency keys and request fingerprints.
#pragma once

#include <string>
#include <string_view>

#include "idem/clock.h"

namespace idem {

// A random (version 4) UUID from OpenSSL's CSPRNG, lowercase canonical form.
std::string NewUuidV4();

// A time-ordered (version 7, RFC 9562) UUID: 48-bit Unix milliseconds from
// `clock`, then CSPRNG bits. Sorts by creation time, which keeps B-tree
// indexes on keys append-only.
std::string NewUuidV7(const Clock& clock);

// True for a canonical 8-4-4-4-12 hex UUID (any version, either case).
bool IsUuid(std::string_view text);

// SHA-256 (lowercase hex) over the method, the path and the exact body bytes,
// each length-prefixed so that no two different requests share a preimage.
std::string RequestFingerprint(std::string_view method, std::string_view path,
                               std::string_view body);

}  // namespace idem
