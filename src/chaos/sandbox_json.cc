#include "chaos/sandbox_json.h"

#include <utility>

namespace idem::chaos {

Result<nlohmann::json> GetSandboxJson(Transport& transport, const std::string& base_url,
                                      const std::string& path) {
  HttpRequest request;
  request.method = "GET";
  request.url = base_url + path;
  auto response = transport.SendAndWait(std::move(request));
  if (!response) {
    return MakeError(ErrorCode::kUnavailable, "GET " + path + ": " + response.error().message);
  }
  if (response->status != 200) {
    return MakeError(ErrorCode::kUnavailable,
                     "GET " + path + ": HTTP " + std::to_string(response->status));
  }
  auto j = nlohmann::json::parse(response->body, nullptr, false);
  if (j.is_discarded()) return MakeError(ErrorCode::kCorruption, "GET " + path + ": not JSON");
  return j;
}

}  // namespace idem::chaos
