// TriggerSessionStatus and TriggerSessionDataUpdated: the client side of the
// sandbox's session controls, for `idem trigger` and for tests that drive a
// sandbox in another process.
#include <nlohmann/json.hpp>

#include "idem/sandbox.h"
#include "idem/transport.h"

namespace idem {
namespace {

// POSTs `body` to /_sandbox/sessions/{id}/{action} of the sandbox at
// `base_url`; the answer's body on 200. `what` names the request in a 400.
[[nodiscard]] Result<std::string> PostSessionControl(const std::string& base_url,
                                                     const std::string& session_id,
                                                     const std::string& action,
                                                     const std::string& body,
                                                     const std::string& what) {
  if (base_url.rfind("http://", 0) != 0 && base_url.rfind("https://", 0) != 0) {
    return MakeError(ErrorCode::kInvalidArgument, "the base URL must be http:// or https://");
  }
  if (session_id.empty() || session_id.find_first_of("/?#% ") != std::string::npos) {
    return MakeError(ErrorCode::kInvalidArgument, "not a session id: '" + session_id + "'");
  }
  TransportOptions options;
  options.total_timeout = std::chrono::seconds(10);
  auto transport = MakeCurlTransport(options);
  std::string url = base_url;
  while (!url.empty() && url.back() == '/') url.pop_back();
  url += "/_sandbox/sessions/" + session_id + "/" + action;
  auto answer = transport->SendAndWait({"POST", url, {{"Content-Type", "application/json"}}, body});
  if (!answer) {
    return MakeError(ErrorCode::kUnavailable,
                     "no sandbox answered at the base URL: " + answer.error().message);
  }
  if (answer->status == 200) return answer->body;
  const std::string detail = " (HTTP " + std::to_string(answer->status) + "): " + answer->body;
  if (answer->status == 404) {
    return MakeError(ErrorCode::kNotFound,
                     "no session '" + session_id + "' there, or not a sandbox" + detail);
  }
  if (answer->status == 400) return MakeError(ErrorCode::kInvalidArgument, what + detail);
  return MakeError(ErrorCode::kUnavailable, "the sandbox refused" + detail);
}

}  // namespace

[[nodiscard]] Result<std::string> TriggerSessionStatus(const std::string& base_url,
                                                       const std::string& session_id,
                                                       const std::string& status) {
  return PostSessionControl(base_url, session_id, "advance",
                            nlohmann::json{{"status", status}}.dump(),
                            "not a Didit status: '" + status + "'");
}

[[nodiscard]] Result<std::string> TriggerSessionDataUpdated(const std::string& base_url,
                                                            const std::string& session_id) {
  return PostSessionControl(base_url, session_id, "data-updated", "{}", "refused");
}

}  // namespace idem
