#include "demo/counting_transport.h"

#include <nlohmann/json.hpp>

namespace idem::demo {

void CountingTransport::Send(HttpRequest request, Callback done) {
  ++requests_;
  if (request.method == "POST") ++mutations_;
  // The create_session reconciler's look-up: GET /v3/sessions/?vendor_data=...
  bool lookup = request.method == "GET" &&
                request.url.find("/v3/sessions/?") != std::string::npos &&
                request.url.find("vendor_data=") != std::string::npos;
  if (!lookup) return inner_->Send(std::move(request), std::move(done));
  ++lookups_;
  inner_->Send(std::move(request), [this, done = std::move(done)](TransportResult r) {
    if (r && r->status == 200) {
      auto body = nlohmann::json::parse(r->body, nullptr, false);
      if (body.is_object() && body.contains("results") && body["results"].is_array() &&
          !body["results"].empty()) {
        ++lookups_found_;
      }
    }
    done(std::move(r));
  });
}

}  // namespace idem::demo
