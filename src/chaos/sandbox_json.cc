#include "chaos/sandbox_json.h"

#include <utility>

namespace idem::chaos {

std::unique_ptr<Transport> MakeSandboxReadTransport() {
  TransportOptions options;
  options.max_response_bytes = std::size_t{1} << 30;
  options.total_timeout = std::chrono::minutes(5);
  return MakeCurlTransport(options);
}

[[nodiscard]] Result<nlohmann::json> GetSandboxJson(Transport& transport,
                                                    const std::string& base_url,
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
  if (response->body_truncated) {
    // Parsing the cut body would report "not JSON" and hide the cause.
    return MakeError(ErrorCode::kInternal,
                     "GET " + path + ": the answer is larger than the transport's cap (" +
                         std::to_string(response->body.size()) + " bytes kept)");
  }
  auto j = nlohmann::json::parse(response->body, nullptr, false);
  if (j.is_discarded()) return MakeError(ErrorCode::kCorruption, "GET " + path + ": not JSON");
  return j;
}

}  // namespace idem::chaos
