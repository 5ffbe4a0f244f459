#include <charconv>
#include <optional>

#include "common/crypto.h"
#include "idem/webhook_signature.h"
#include "webhook/json_parse.h"

namespace idem {
namespace {

constexpr std::string_view kStandardSecretPrefix = "whsec_";

std::optional<std::int64_t> ParseUnixSeconds(std::string_view text) {
  if (text.empty() || text.size() > 18) return std::nullopt;
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 0) return std::nullopt;
  return value;
}

// A body field as the Simple signature writes it: strings as they are,
// numbers as digits, anything absent as "".
std::string FieldText(const nlohmann::json& body, const char* name) {
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) return "";
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number_float()) {
    return webhook::Canonicalize(*it);
  }
  return it->dump();
}

std::string SimpleSignedText(const nlohmann::json& body) {
  return FieldText(body, "timestamp") + ":" + FieldText(body, "session_id") + ":" +
         FieldText(body, "status") + ":" + FieldText(body, "webhook_type");
}

// Lowercase hex of the right length only: a truncated or uppercase signature
// is simply a different string and fails the comparison.
bool MatchesAnyKey(const std::vector<std::string>& keys, std::string_view signed_text,
                   std::string_view presented_hex) {
  bool matched = false;
  for (const auto& key : keys) {
    // No early exit: every key is tried, so timing does not tell which matched.
    matched |= crypto::ConstantTimeEquals(crypto::HmacSha256Hex(key, signed_text), presented_hex);
  }
  return matched;
}

}  // namespace

std::string_view DiditSignatureKindName(DiditSignatureKind kind) {
  switch (kind) {
    case DiditSignatureKind::kRaw:
      return "raw";
    case DiditSignatureKind::kCanonical:
      return "v2";
    case DiditSignatureKind::kSimple:
      return "simple";
  }
  return "?";
}

std::string_view WebhookSchemeName(WebhookScheme scheme) {
  return scheme == WebhookScheme::kDidit ? "didit" : "standard";
}

Headers SignDidit(std::string_view secret, std::string_view body, std::int64_t unix_seconds) {
  Headers headers;
  headers.push_back({"X-Timestamp", std::to_string(unix_seconds)});
  headers.push_back({"X-Signature", crypto::HmacSha256Hex(secret, body)});
  auto parsed = webhook::ParseJson(body);
  if (parsed && parsed->is_object()) {
    headers.push_back(
        {"X-Signature-V2", crypto::HmacSha256Hex(secret, webhook::Canonicalize(*parsed))});
    headers.push_back(
        {"X-Signature-Simple", crypto::HmacSha256Hex(secret, SimpleSignedText(*parsed))});
  }
  return headers;
}

[[nodiscard]] Result<std::string> DecodeStandardSecret(std::string_view secret) {
  if (secret.starts_with(kStandardSecretPrefix)) secret.remove_prefix(kStandardSecretPrefix.size());
  auto key = crypto::Base64Decode(secret);
  if (!key || key->empty()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "a Standard Webhooks secret must be whsec_ followed by base64");
  }
  return *key;
}

[[nodiscard]] Result<Headers> SignStandard(std::string_view secret, std::string_view id,
                                           std::int64_t unix_seconds, std::string_view body) {
  auto key = DecodeStandardSecret(secret);
  if (!key) return tl::unexpected(key.error());
  std::string ts = std::to_string(unix_seconds);
  std::string signed_text;
  signed_text.reserve(id.size() + ts.size() + body.size() + 2);
  signed_text.append(id).append(".").append(ts).append(".").append(body);
  Headers headers;
  headers.push_back({"webhook-id", std::string(id)});
  headers.push_back({"webhook-timestamp", ts});
  headers.push_back(
      {"webhook-signature", "v1," + crypto::Base64Encode(crypto::HmacSha256(*key, signed_text))});
  return headers;
}

Result<WebhookVerifier> WebhookVerifier::Create(WebhookScheme scheme, VerifierOptions options) {
  if (options.secrets.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "at least one webhook secret is required");
  }
  if (options.tolerance.count() < 0 || options.max_event_age.count() < 0) {
    return MakeError(ErrorCode::kInvalidArgument, "tolerances must not be negative");
  }
  std::vector<std::string> keys;
  for (const auto& secret : options.secrets) {
    if (secret.empty()) return MakeError(ErrorCode::kInvalidArgument, "a webhook secret is empty");
    if (scheme == WebhookScheme::kStandard) {
      auto key = DecodeStandardSecret(secret);
      if (!key) return tl::unexpected(key.error());
      keys.push_back(std::move(*key));
    } else {
      keys.push_back(secret);
    }
  }
  if (!options.clock) options.clock = DefaultClock();
  return WebhookVerifier(scheme, std::move(options), std::move(keys));
}

Result<VerifiedDelivery> WebhookVerifier::Verify(const Headers& headers,
                                                 std::string_view body) const {
  return scheme_ == WebhookScheme::kDidit ? VerifyDidit(headers, body)
                                          : VerifyStandard(headers, body);
}

Status WebhookVerifier::CheckTimestamp(std::int64_t unix_seconds, std::string_view what) const {
  std::int64_t now = ToUnixMillis(options_.clock->Now()) / 1000;
  std::int64_t skew = now > unix_seconds ? now - unix_seconds : unix_seconds - now;
  if (skew > options_.tolerance.count()) {
    return MakeError(ErrorCode::kRefused, std::string(what) + " outside the tolerance");
  }
  return {};
}

Result<VerifiedDelivery> WebhookVerifier::VerifyDidit(const Headers& headers,
                                                      std::string_view body) const {
  auto ts_header = FindHeader(headers, "X-Timestamp");
  if (!ts_header) return MakeError(ErrorCode::kRefused, "missing X-Timestamp");
  auto ts = ParseUnixSeconds(*ts_header);
  if (!ts) return MakeError(ErrorCode::kRefused, "X-Timestamp is not unix seconds");
  if (auto st = CheckTimestamp(*ts, "X-Timestamp"); !st) return tl::unexpected(st.error());

  const auto& which = options_.didit_signatures;
  auto raw = FindHeader(headers, "X-Signature");
  auto v2 = FindHeader(headers, "X-Signature-V2");
  auto simple = FindHeader(headers, "X-Signature-Simple");
  if (!(which.raw && raw) && !(which.canonical && v2) && !(which.simple && simple)) {
    return MakeError(ErrorCode::kRefused, "missing signature header");
  }

  std::optional<DiditSignatureKind> matched;
  if (which.raw && raw && MatchesAnyKey(keys_, body, *raw)) matched = DiditSignatureKind::kRaw;

  // V2 and Simple need the parsed body; parse it only when the raw bytes did
  // not already prove the delivery.
  std::optional<nlohmann::json> parsed;
  bool need_parse = (!matched && ((which.canonical && v2) || (which.simple && simple))) ||
                    options_.max_event_age.count() > 0;
  if (need_parse) {
    auto p = webhook::ParseJson(body);
    if (p && p->is_object()) parsed = std::move(*p);
  }
  if (!matched && parsed && which.canonical && v2) {
    // Sources disagree on whether non-ASCII is escaped; accept either form.
    if (MatchesAnyKey(keys_, webhook::Canonicalize(*parsed, false), *v2) ||
        MatchesAnyKey(keys_, webhook::Canonicalize(*parsed, true), *v2)) {
      matched = DiditSignatureKind::kCanonical;
    }
  }
  if (!matched && parsed && which.simple && simple &&
      MatchesAnyKey(keys_, SimpleSignedText(*parsed), *simple)) {
    matched = DiditSignatureKind::kSimple;
  }
  if (!matched) return MakeError(ErrorCode::kRefused, "no signature matched");

  if (options_.max_event_age.count() > 0) {
    if (!parsed || !parsed->contains("timestamp") || !(*parsed)["timestamp"].is_number_integer()) {
      return MakeError(ErrorCode::kRefused, "body has no integer timestamp");
    }
    std::int64_t now = ToUnixMillis(options_.clock->Now()) / 1000;
    std::int64_t event_ts = (*parsed)["timestamp"].get<std::int64_t>();
    if (event_ts < now - options_.max_event_age.count() ||
        event_ts > now + options_.tolerance.count()) {
      return MakeError(ErrorCode::kRefused, "body timestamp outside the accepted age");
    }
  }
  return VerifiedDelivery{WebhookScheme::kDidit, *matched, *ts, ""};
}

Result<VerifiedDelivery> WebhookVerifier::VerifyStandard(const Headers& headers,
                                                         std::string_view body) const {
  auto id = FindHeader(headers, "webhook-id");
  auto ts_header = FindHeader(headers, "webhook-timestamp");
  auto signatures = FindHeader(headers, "webhook-signature");
  if (!id || id->empty()) return MakeError(ErrorCode::kRefused, "missing webhook-id");
  if (!ts_header) return MakeError(ErrorCode::kRefused, "missing webhook-timestamp");
  if (!signatures) return MakeError(ErrorCode::kRefused, "missing webhook-signature");
  auto ts = ParseUnixSeconds(*ts_header);
  if (!ts) return MakeError(ErrorCode::kRefused, "webhook-timestamp is not unix seconds");
  if (auto st = CheckTimestamp(*ts, "webhook-timestamp"); !st) return tl::unexpected(st.error());

  std::string signed_text;
  signed_text.reserve(id->size() + ts_header->size() + body.size() + 2);
  signed_text.append(*id).append(".").append(*ts_header).append(".").append(body);
  std::vector<std::string> expected;
  for (const auto& key : keys_) {
    expected.push_back(crypto::Base64Encode(crypto::HmacSha256(key, signed_text)));
  }

  bool matched = false;
  std::string_view rest = *signatures;
  int entries = 0;
  while (!rest.empty() && entries < 32) {  // bounded: a hostile header cannot make us loop long
    std::size_t space = rest.find(' ');
    std::string_view entry = rest.substr(0, space);
    rest = space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
    if (entry.empty()) continue;
    ++entries;
    if (!entry.starts_with("v1,")) continue;  // other versions are not ours to judge
    entry.remove_prefix(3);
    for (const auto& e : expected) matched |= crypto::ConstantTimeEquals(e, entry);
  }
  if (!matched) return MakeError(ErrorCode::kRefused, "no signature matched");
  return VerifiedDelivery{WebhookScheme::kStandard, DiditSignatureKind::kRaw, *ts,
                          std::string(*id)};
}

}  // namespace idem
