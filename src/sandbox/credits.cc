#include "sandbox/credits.h"

#include <string>

#include "sandbox/responses.h"

namespace idem {

std::string_view SandboxCreditsName(SandboxCredits credits) {
  switch (credits) {
    case SandboxCredits::kNone:
      return "none";
    case SandboxCredits::kNoTopUp:
      return "no-top-up";
    case SandboxCredits::kPlenty:
      break;
  }
  return "plenty";
}

[[nodiscard]] Result<SandboxCredits> ParseSandboxCredits(std::string_view text) {
  if (text == "plenty") return SandboxCredits::kPlenty;
  if (text == "none") return SandboxCredits::kNone;
  if (text == "no-top-up") return SandboxCredits::kNoTopUp;
  return MakeError(ErrorCode::kInvalidArgument,
                   "unknown credits '" + std::string(text) + "' (plenty, none or no-top-up)");
}

}  // namespace idem

namespace idem::sandbox {
namespace {

// Didit's texts as its OpenAPI gives them (the fact sheet quotes them with
// the trailing "..."; the full sentences are not published).
constexpr char kCheckCredits[] = "You don't have enough credits to perform this request...";
constexpr char kCreateCredits[] = "You don't have enough credits...";
constexpr char kPhoneTopUp[] =
    "To protect against abuse, phone verification is disabled until your first top-up.";

bool BilledCheck(Endpoint e) {
  switch (e) {
    case Endpoint::kAml:
    case Endpoint::kPassiveLiveness:
    case Endpoint::kFaceMatch:
    case Endpoint::kIdVerification:
    case Endpoint::kPoa:
    case Endpoint::kFaceSearch:
    case Endpoint::kAgeEstimation:
    case Endpoint::kDatabaseValidation:
    case Endpoint::kWalletScreening:
    case Endpoint::kKybSelect:  // the search is free (OAS: no balance check)
    case Endpoint::kPhoneSend:
    case Endpoint::kEmailSend:
      return true;
    default:
      return false;
  }
}

}  // namespace

std::optional<Response> CreditRefusal(SandboxCredits credits, Endpoint endpoint) {
  if (credits == SandboxCredits::kPlenty) return std::nullopt;
  if (credits == SandboxCredits::kNoTopUp && endpoint == Endpoint::kPhoneSend) {
    return DetailResponse(403, kPhoneTopUp);
  }
  if (endpoint == Endpoint::kCreateSession) return DetailResponse(400, kCreateCredits);
  if (BilledCheck(endpoint)) {
    return JsonResponse(403, nlohmann::json{{"error", kCheckCredits}});
  }
  return std::nullopt;
}

}  // namespace idem::sandbox
