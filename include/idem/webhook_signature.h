// Webhook signatures: signing (for the sandbox's sender) and verification (for
// the receiver) of Didit's three signatures and of Standard Webhooks.
//
// Didit (all HMAC-SHA256, lowercase hex, keyed with the shared secret):
//   X-Signature         over the raw body bytes exactly as received;
//   X-Signature-V2      over the canonical JSON of the body (CanonicalJson);
//   X-Signature-Simple  over "{timestamp}:{session_id}:{status}:{webhook_type}"
//                       taken from the body's fields (does not cover decision);
//   X-Timestamp         unix seconds of the delivery.
// Standard Webhooks v1: webhook-id, webhook-timestamp, webhook-signature with
// space-separated "v1,<base64>" entries over "{id}.{timestamp}.{raw body}",
// secrets "whsec_<base64>" (the decoded bytes are the HMAC key).
//
// Verification works on the raw bytes; only V2 and Simple parse the body.
// Comparisons are constant-time. Errors say why in words and never contain a
// secret or a signature.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "idem/clock.h"
#include "idem/http.h"
#include "idem/status.h"

namespace idem {

// The canonical JSON Didit's X-Signature-V2 covers: object keys sorted
// recursively (byte order of UTF-8 = code point order), separators ',' and ':'
// with no spaces, strings escaped like Python's json.dumps (", \, \b \f \n \r
// \t, other control characters as \u00xx) with non-ASCII left as UTF-8 (or
// \uXXXX escaped when `ascii_escape`), floats with no fractional part written
// as integers (1.0 -> 1, 1e20 -> 100000000000000000000), other floats in the
// shortest form that round-trips (1.5, 0.1, 1e-05), integers of any size kept
// digit for digit. Fails with kInvalidArgument on malformed JSON, nesting
// deeper than 128, or a duplicate key in an object: readers disagree on which
// duplicate counts, so a body signed on its canonical form could say
// something else to whoever reads the raw bytes (Didit never repeats a key).
[[nodiscard]] Result<std::string> CanonicalJson(std::string_view json, bool ascii_escape = false);

// Which Didit signature headers a verifier accepts. A delivery passes when any
// accepted header (tried in the order raw, V2, simple) matches under any secret.
struct DiditSignatures {
  bool raw = true;        // X-Signature
  bool canonical = true;  // X-Signature-V2: the fallback when a proxy re-encoded the body
  bool simple = false;    // X-Signature-Simple: off by default, it does not cover the decision
};

enum class DiditSignatureKind { kRaw, kCanonical, kSimple };
std::string_view DiditSignatureKindName(DiditSignatureKind kind);  // "raw", "v2", "simple"

// The headers a Didit delivery of `body` at `unix_seconds` carries. X-Signature
// and X-Timestamp always; X-Signature-V2 and X-Signature-Simple only when the
// body is a JSON object (Simple needs its fields; absent fields sign as "").
Headers SignDidit(std::string_view secret, std::string_view body, std::int64_t unix_seconds);

// Decodes a Standard Webhooks secret: "whsec_<base64>" or bare base64.
[[nodiscard]] Result<std::string> DecodeStandardSecret(std::string_view secret);

// The headers of a Standard Webhooks delivery (webhook-id, webhook-timestamp,
// webhook-signature "v1,<base64>"). `secret` as DecodeStandardSecret takes it.
[[nodiscard]] Result<Headers> SignStandard(std::string_view secret, std::string_view id,
                                           std::int64_t unix_seconds, std::string_view body);

enum class WebhookScheme { kDidit, kStandard };
std::string_view WebhookSchemeName(WebhookScheme scheme);  // "didit", "standard"

struct VerifierOptions {
  // The secrets accepted, newest first (rotation: keep the old one until every
  // sender uses the new one). At least one is required. For kStandard each is
  // "whsec_<base64>" or bare base64. No default.
  std::vector<std::string> secrets;
  // A delivery whose timestamp header is further than this from now, in either
  // direction, is rejected (a stale replay, or a clock far off). Default 300 s.
  std::chrono::seconds tolerance{300};
  // Didit only: which signatures are accepted. Default raw + V2.
  DiditSignatures didit_signatures;
  // Didit only: X-Signature (raw) does not cover X-Timestamp, so a captured
  // body could be replayed with a fresh header. When > 0, the body's own
  // "timestamp" field must also be within this of now. Default 0 (off): the
  // inbox's dedupe makes a replay harmless, and a sender retrying an old event
  // would otherwise be refused forever.
  std::chrono::seconds max_event_age{0};
  // Time source for the tolerance checks. Default: the system clock.
  std::shared_ptr<Clock> clock;
};

struct VerifiedDelivery {
  WebhookScheme scheme = WebhookScheme::kDidit;
  DiditSignatureKind didit_signature = DiditSignatureKind::kRaw;  // which header matched
  std::int64_t timestamp = 0;  // the delivery's timestamp header, unix seconds
  std::string delivery_id;     // webhook-id (Standard); "" for Didit
};

// Verifies deliveries of one scheme. Immutable after Create, so one verifier
// may be shared by many threads.
class WebhookVerifier {
 public:
  // kInvalidArgument when there is no secret, a Standard secret is not valid
  // base64, or the tolerance is negative.
  [[nodiscard]] static Result<WebhookVerifier> Create(WebhookScheme scheme,
                                                      VerifierOptions options);

  // OK only when a signature header matches under one of the secrets and the
  // timestamp is within tolerance. Every failure is kRefused with a reason
  // ("missing X-Timestamp", "timestamp outside tolerance", "no signature
  // matched", ...) that never contains a secret or a signature.
  [[nodiscard]] Result<VerifiedDelivery> Verify(const Headers& headers,
                                                std::string_view body) const;

  WebhookScheme scheme() const { return scheme_; }

 private:
  WebhookVerifier(WebhookScheme scheme, VerifierOptions options, std::vector<std::string> keys)
      : scheme_(scheme), options_(std::move(options)), keys_(std::move(keys)) {}
  [[nodiscard]] Result<VerifiedDelivery> VerifyDidit(const Headers& headers,
                                                     std::string_view body) const;
  [[nodiscard]] Result<VerifiedDelivery> VerifyStandard(const Headers& headers,
                                                        std::string_view body) const;
  [[nodiscard]] Status CheckTimestamp(std::int64_t unix_seconds, std::string_view what) const;

  WebhookScheme scheme_;
  VerifierOptions options_;
  std::vector<std::string> keys_;  // HMAC keys (Standard secrets decoded)
};

}  // namespace idem
