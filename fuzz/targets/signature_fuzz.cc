// Webhook signature verification, both schemes, with hostile headers and
// bodies: nothing forged passes, and whatever the body, a delivery signed
// with the secret (SignDidit / SignStandard) verifies.
//
// Input: header lines "Name: value" up to an empty line, then the body.
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "idem/webhook_signature.h"

namespace {

constexpr std::int64_t kNow = 1'800'000'000;

class FixedClock final : public idem::Clock {
 public:
  std::chrono::system_clock::time_point Now() const override {
    return std::chrono::system_clock::time_point(std::chrono::seconds(kNow));
  }
  std::chrono::steady_clock::time_point SteadyNow() const override { return {}; }
};

idem::WebhookVerifier Make(idem::WebhookScheme scheme, std::string secret) {
  idem::VerifierOptions options;
  options.secrets = {std::move(secret)};
  options.clock = std::make_shared<FixedClock>();
  options.didit_signatures.simple = true;
  auto verifier = idem::WebhookVerifier::Create(scheme, std::move(options));
  FUZZ_CHECK(verifier.has_value());
  return std::move(*verifier);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const idem::WebhookVerifier didit = Make(idem::WebhookScheme::kDidit, "didit-secret");
  static const std::string standard_secret = "whsec_c2VjcmV0LWJ5dGVzLWZvci1mdXp6aW5n";
  static const idem::WebhookVerifier standard =
      Make(idem::WebhookScheme::kStandard, standard_secret);
  std::string_view input(reinterpret_cast<const char*>(data), size);
  idem::Headers headers;
  while (!input.empty()) {
    const std::size_t end = input.find('\n');
    const std::string_view line = input.substr(0, end);
    input = end == std::string_view::npos ? std::string_view() : input.substr(end + 1);
    if (line.empty()) break;
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    headers.push_back({std::string(line.substr(0, colon)), std::string(value)});
  }
  const std::string_view body = input;
  // Forged: the fuzzer cannot find an HMAC, so whatever it sends is refused.
  FUZZ_CHECK(!didit.Verify(headers, body));
  FUZZ_CHECK(!standard.Verify(headers, body));
  // Genuine: signed with the secret, any body verifies.
  FUZZ_CHECK(didit.Verify(idem::SignDidit("didit-secret", body, kNow), body));
  auto signed_standard = idem::SignStandard(standard_secret, "msg_1", kNow, body);
  FUZZ_CHECK(signed_standard && standard.Verify(*signed_standard, body));
  return 0;
}
