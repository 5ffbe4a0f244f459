// Test helpers: an in-process sandbox on a free port and a real HTTP client.
#pragma once

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "idem/sandbox.h"
#include "sandbox/curl_client.h"

namespace idem::sandbox::testing {

inline constexpr char kWorkflow[] = "11111111-2222-4333-8444-555555555555";

inline std::string CreateBody(const std::string& vendor_data) {
  return std::string(R"({"workflow_id":")") + kWorkflow + R"(","vendor_data":")" + vendor_data +
         "\"}";
}

// The ideal profile (keys on every POST/PATCH/DELETE, 422, Idempotent-Replayed,
// lenient update-status), for the tests of those rules.
inline SandboxOptions Ideal(SandboxOptions options = {}) {
  options.profile = SandboxProfile::kIdeal;
  return options;
}

class Harness {
 public:
  explicit Harness(SandboxOptions options = {}) {
    options.port = 0;
    auto sb = Sandbox::Start(std::move(options));
    if (!sb) {
      ADD_FAILURE() << sb.error().ToString();
      return;
    }
    sandbox_ = std::move(*sb);
    url_ = sandbox_->base_url();
  }

  Sandbox& sandbox() { return *sandbox_; }
  const std::string& url() const { return url_; }
  bool ok() const { return sandbox_ != nullptr; }

  Result<HttpResponse> Send(const std::string& method, const std::string& path,
                            const std::string& body = "", const std::string& key = "",
                            Headers extra = {}) {
    Headers headers{{"x-api-key", "sandbox-key"}};
    if (!body.empty()) headers.push_back({"Content-Type", "application/json"});
    if (!key.empty()) headers.push_back({"Idempotency-Key", key});
    for (auto& h : extra) headers.push_back(std::move(h));
    return http_.Send(method, url_ + path, headers, body);
  }

  Result<HttpResponse> Post(const std::string& path, const std::string& body,
                            const std::string& key = "") {
    return Send("POST", path, body, key);
  }

  nlohmann::json Stats() { return nlohmann::json::parse(sandbox_->StatsJson()); }
  nlohmann::json Executions() { return nlohmann::json::parse(sandbox_->ExecutionsJson()); }

 private:
  std::unique_ptr<Sandbox> sandbox_;
  std::string url_;
  CurlClient http_;
};

inline nlohmann::json Json(const Result<HttpResponse>& r) {
  if (!r) return nullptr;
  return nlohmann::json::parse(r->body, nullptr, false);
}

inline std::string Header(const Result<HttpResponse>& r, std::string_view name) {
  if (!r) return "";
  return std::string(FindHeader(r->headers, name).value_or(""));
}

// A multipart/form-data part: a file, or a text field (file = false).
struct Part {
  std::string name;
  std::string data;
  bool file = true;
};

inline std::string Form(const std::string& boundary, const std::vector<Part>& parts) {
  std::string body;
  for (const auto& p : parts) {
    body += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + p.name + "\"";
    if (p.file) body += "; filename=\"" + p.name + ".jpg\"\r\nContent-Type: image/jpeg";
    body += "\r\n\r\n" + p.data + "\r\n";
  }
  return body + "--" + boundary + "--\r\n";
}

inline Result<HttpResponse> SendForm(Harness& h, const std::string& path,
                                     const std::vector<Part>& parts, const std::string& key = "",
                                     const std::string& boundary = "bnd") {
  CurlClient raw;
  Headers headers{{"x-api-key", "sandbox-key"},
                  {"Content-Type", "multipart/form-data; boundary=" + boundary}};
  if (!key.empty()) headers.push_back({"Idempotency-Key", key});
  return raw.Send("POST", h.url() + path, headers, Form(boundary, parts));
}

// POST /_sandbox/sessions/{id}/advance (no auth).
inline Result<HttpResponse> Advance(Harness& h, const std::string& id, const std::string& status) {
  CurlClient raw;
  return raw.Send("POST", h.url() + "/_sandbox/sessions/" + id + "/advance", {},
                  R"({"status":")" + status + "\"}");
}

}  // namespace idem::sandbox::testing
