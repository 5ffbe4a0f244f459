// A real sandbox on 127.0.0.1:0, a real SQLite journal in a temp dir and the
// real curl transport, wired into a DiditClient with short timeouts.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "idem/didit.h"
#include "idem/journal.h"
#include "idem/retry.h"
#include "idem/sandbox.h"
#include "idem/transport.h"

namespace idem::didit::testing {

inline constexpr char kWorkflow[] = "0b6f7a4e-8c1d-4e7b-9a55-1f2e3d4c5b6a";

inline std::string TempDir(const std::string& tag) {
  static std::atomic<int> counter{0};
  auto dir =
      std::filesystem::temp_directory_path() /
      ("idem_didit_" + tag + "_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

struct Harness {
  std::string dir;
  std::unique_ptr<Sandbox> sandbox;
  std::shared_ptr<Journal> journal;
  std::shared_ptr<Transport> transport;
  std::unique_ptr<DiditClient> didit;

  ~Harness() {
    didit.reset();
    transport.reset();
    if (sandbox) sandbox->Stop();
    if (!dir.empty()) std::filesystem::remove_all(dir);
  }

  nlohmann::json Stats() { return nlohmann::json::parse(sandbox->StatsJson()); }

  void Advance(const std::string& session_id, const std::string& status);
};

// Moves a session on as its user or Didit would (the sandbox's control
// endpoint; no faults apply to it). Didit's update-status needs a session
// that reached a decision (In Review, Approved, ...).
inline void AdvanceSession(Sandbox& sandbox, const std::string& session_id,
                           const std::string& status) {
  HttpRequest request;
  request.method = "POST";
  request.url = sandbox.base_url() + "/_sandbox/sessions/" + session_id + "/advance";
  request.headers = {{"Content-Type", "application/json"}};
  request.body = nlohmann::json{{"status", status}}.dump();
  auto r = MakeCurlTransport()->SendAndWait(std::move(request));
  ASSERT_TRUE(r && r->status == 200) << "advance " << session_id << " to " << status;
}

inline void Harness::Advance(const std::string& session_id, const std::string& status) {
  AdvanceSession(*sandbox, session_id, status);
}

// `sandbox_options.port` is forced to 0. `tweak` may adjust the client
// options before the client is made.
template <typename Tweak>
std::unique_ptr<Harness> MakeHarness(SandboxOptions sandbox_options, Tweak tweak) {
  auto h = std::make_unique<Harness>();
  h->dir = TempDir("h");
  sandbox_options.port = 0;
  auto sandbox = Sandbox::Start(sandbox_options);
  if (!sandbox) {
    ADD_FAILURE() << sandbox.error().ToString();
    return nullptr;
  }
  h->sandbox = std::move(*sandbox);
  auto journal = OpenSqliteJournal(h->dir + "/journal.db", JournalOptions{});
  if (!journal) {
    ADD_FAILURE() << journal.error().ToString();
    return nullptr;
  }
  h->journal = std::move(*journal);
  TransportOptions transport_options;
  transport_options.connect_timeout = std::chrono::milliseconds(1000);
  transport_options.total_timeout = std::chrono::milliseconds(2000);
  // Keep-alive connections as in production: the transport refuses libcurl's
  // silent re-send on a dead reused connection, so the proofs below hold.
  h->transport = MakeCurlTransport(transport_options);

  DiditClientOptions options;
  options.client.base_url = h->sandbox->base_url();
  options.client.api_key = sandbox_options.api_key;
  options.client.journal = h->journal;
  options.client.transport = h->transport;
  options.client.backoff = std::make_shared<FullJitterBackoff>(std::chrono::milliseconds(5),
                                                               std::chrono::milliseconds(50));
  options.client.retry = std::make_shared<LimitedAttemptsRetryPolicy>(8, std::chrono::seconds(20));
  options.get_backoff = std::chrono::milliseconds(5);
  tweak(options);
  auto didit = DiditClient::Create(options);
  if (!didit) {
    ADD_FAILURE() << didit.error().ToString();
    return nullptr;
  }
  h->didit = std::move(*didit);
  return h;
}

inline std::unique_ptr<Harness> MakeHarness(SandboxOptions sandbox_options = {}) {
  return MakeHarness(std::move(sandbox_options), [](DiditClientOptions&) {});
}

// An update-status request (its other fields unset).
inline UpdateStatusRequest StatusUpdate(SessionStatus status,
                                        std::optional<std::string> comment = std::nullopt) {
  UpdateStatusRequest r;
  r.new_status = status;
  r.comment = std::move(comment);
  return r;
}

inline CreateSessionRequest SessionFor(std::string vendor_data) {
  CreateSessionRequest r;
  r.workflow_id = kWorkflow;
  r.vendor_data = std::move(vendor_data);
  return r;
}

}  // namespace idem::didit::testing
