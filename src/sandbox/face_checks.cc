// POST /v3/face-search/ and POST /v3/age-estimation/ (multipart `user_image`,
// OAS). One execution per 200, saved as a FACE_SEARCH / AGE_ESTIMATION
// session like every standalone check (checks.cc). Deterministic from the
// image bytes; an image whose bytes start with "NOFACE" is Didit's face
// search 400, one starting with "BLOCKLISTED" a blocklist hit.
#include "sandbox/app.h"
#include "sandbox/check_support.h"
#include "sandbox/endpoint_support.h"
#include "sandbox/responses.h"

namespace idem::sandbox {
namespace {

using nlohmann::json;

// Didit: user_image at most 5 MB. Which image types the face endpoints take
// is not published; these are the ones its ID endpoints name, minus PDF.
const MultipartPart* FaceImage(SandboxProfile profile, const std::vector<MultipartPart>& parts,
                               Response& error) {
  return RequiredFile(profile, parts, "user_image", 5,
                      {"jpg", "jpeg", "png", "webp", "tiff", "tif"}, error);
}

json DetectedFace(std::string_view image) {
  json face = {{"bbox", json::array({40, 40, 200, 240})},
               {"confidence", 0.9 + ScoreOf(image) / 1000.0}};
  return {{"entities", json::array({std::move(face)})}, {"best_angle", 0}};
}

}  // namespace

App::EndpointResult App::FaceSearch(const Request& request, std::int64_t now_ms) {
  const SandboxProfile profile = config_.profile;
  EndpointResult out;
  auto parts = CheckParts(request, out.response);
  if (!parts) return out;
  const MultipartPart* image = FaceImage(profile, *parts, out.response);
  if (image == nullptr) return out;
  if (!ChoiceField(profile, *parts, "search_type", {"most_similar", "blocklisted_or_approved"},
                   out.response) ||
      !BoolField(profile, *parts, "rotate_image", out.response)) {
    return out;
  }
  auto options = MultipartCheckOptions(profile, *parts, out.response);
  if (!options) return out;
  if (image->data.starts_with("NOFACE")) {
    return Fail(JsonResponse(400, json{{"error", "No face detected in the image"}}));
  }
  // The sandbox keeps no face index: the only match it reports is the
  // fictional blocklist entry, which declines (Didit declines only then).
  const bool blocklisted = image->data.starts_with("BLOCKLISTED");
  json matches = json::array();
  if (blocklisted) {
    matches.push_back({{"session_id", nullptr},
                       {"similarity_percentage", 97.5},
                       {"vendor_data", nullptr},
                       {"is_blocklisted", true},
                       {"is_allowlisted", false}});
  }
  json warnings = json::array();
  if (blocklisted) {
    warnings.push_back(
        {{"risk", "FACE_IN_BLOCKLIST"}, {"feature", "FACE_SEARCH"}, {"log_type", "error"}});
  }
  return CheckAnswer(Endpoint::kFaceSearch,
                     {{"status", blocklisted ? "Declined" : "Approved"},
                      {"total_matches", matches.size()},
                      {"matches", std::move(matches)},
                      {"user_image", DetectedFace(image->data)},
                      {"warnings", std::move(warnings)}},
                     std::move(options->vendor_data), std::move(options->metadata), options->save,
                     now_ms);
}

App::EndpointResult App::AgeEstimation(const Request& request, std::int64_t now_ms) {
  const SandboxProfile profile = config_.profile;
  EndpointResult out;
  auto parts = CheckParts(request, out.response);
  if (!parts) return out;
  const MultipartPart* image = FaceImage(profile, *parts, out.response);
  if (image == nullptr) return out;
  const auto liveness_threshold =
      IntField(profile, *parts, "face_liveness_score_decline_threshold", 0, 100, 30, out.response);
  if (!liveness_threshold) return out;
  const auto age_threshold =
      IntField(profile, *parts, "age_estimation_decline_threshold", 0, 150, 18, out.response);
  if (!age_threshold) return out;
  if (!BoolField(profile, *parts, "rotate_image", out.response)) return out;
  auto options = MultipartCheckOptions(profile, *parts, out.response);
  if (!options) return out;
  // Liveness 40..99 and an age of 14..63, both from the bytes: most images
  // pass the defaults, and a test can pick a threshold that declines.
  const int score = 40 + ScoreOf(image->data) % 60;
  const double age = 14 + ScoreOf(std::string(image->data) + "#age") % 50;
  json warnings = json::array();
  if (score <= *liveness_threshold) {
    warnings.push_back(
        {{"risk", "LOW_LIVENESS_SCORE"}, {"feature", "AGE_ESTIMATION"}, {"log_type", "error"}});
  }
  if (*age_threshold > 0 && age < *age_threshold) {
    warnings.push_back(
        {{"risk", "AGE_BELOW_MINIMUM"}, {"feature", "AGE_ESTIMATION"}, {"log_type", "error"}});
  }
  // Didit: any warning declines.
  const bool declined = !warnings.empty();
  return CheckAnswer(Endpoint::kAgeEstimation,
                     {{"status", declined ? "Declined" : "Approved"},
                      {"method", "PASSIVE"},
                      {"score", score},
                      {"user_image", DetectedFace(image->data)},
                      {"age_estimation", age},
                      {"warnings", std::move(warnings)}},
                     std::move(options->vendor_data), std::move(options->metadata), options->save,
                     now_ms);
}

}  // namespace idem::sandbox
