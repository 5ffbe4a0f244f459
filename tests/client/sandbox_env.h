// A real sandbox on 127.0.0.1:0, a real SQLite journal in a temp dir and a
// real curl transport, for the client's integration tests.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "idem/client.h"
#include "idem/journal.h"
#include "idem/sandbox.h"
#include "idem/transport.h"

namespace idem::testing {

inline std::string MakeTempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "idem-client-XXXXXX").string();
  char* dir = mkdtemp(pattern.data());
  EXPECT_NE(dir, nullptr);
  return pattern;
}

struct ClientEnvOptions {
  std::string faults{};
  bool idempotency = true;
  bool vendor_dedup = true;
  std::chrono::milliseconds timeout{2000};
  int max_attempts = 30;
  std::size_t concurrency = 32;
  bool persistent_sandbox = false;  // keep the sandbox's store in dir()/sandbox.db
};

class ClientEnv {
 public:
  explicit ClientEnv(ClientEnvOptions o = {}) : dir_(MakeTempDir()) {
    sandbox_options_.port = 0;
    sandbox_options_.faults = o.faults;
    sandbox_options_.seed = 7;
    sandbox_options_.idempotency = o.idempotency;
    sandbox_options_.vendor_dedup = o.vendor_dedup;
    if (o.persistent_sandbox) sandbox_options_.db_path = dir_ + "/sandbox.db";
    StartSandbox();
    auto journal = OpenSqliteJournal(journal_path());
    EXPECT_TRUE(journal.has_value()) << (journal ? "" : journal.error().ToString());
    if (journal) journal_ = std::move(*journal);
    TransportOptions to;
    to.total_timeout = o.timeout;
    to.connect_timeout = std::min(o.timeout, std::chrono::milliseconds(1000));
    transport_ = MakeCurlTransport(to);
    options_.base_url = sandbox_ ? sandbox_->base_url() : "http://127.0.0.1:1";
    options_.api_key = "sandbox-key";
    options_.journal = journal_;
    options_.transport = transport_;
    options_.backoff = std::make_shared<FullJitterBackoff>(std::chrono::milliseconds(2),
                                                           std::chrono::milliseconds(50));
    options_.retry =
        std::make_shared<LimitedAttemptsRetryPolicy>(o.max_attempts, std::chrono::seconds(30));
    options_.max_concurrent_ops = o.concurrency;
    // Fault tests retry a lot on purpose; RetryBudgetStopsAStorm tests the
    // default-sized bucket.
    options_.budget = std::make_shared<RetryBudget>(RetryBudgetOptions{.capacity = 1000000});
  }
  ~ClientEnv() {
    client_.reset();
    transport_.reset();
    if (sandbox_) sandbox_->Stop();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  // Restarts the sandbox (same store when persistent) with other faults;
  // the client follows it to its new port.
  void RestartSandbox(std::string faults) {
    client_.reset();
    if (sandbox_) sandbox_->Stop();
    sandbox_.reset();
    sandbox_options_.faults = std::move(faults);
    StartSandbox();
    options_.base_url = sandbox_ ? sandbox_->base_url() : "http://127.0.0.1:1";
  }

  ClientOptions& options() { return options_; }
  Client& client() {
    if (!client_) {
      auto c = Client::Create(options_);
      EXPECT_TRUE(c.has_value());
      client_ = std::move(*c);
    }
    return *client_;
  }
  void ResetClient() { client_.reset(); }
  Sandbox& sandbox() { return *sandbox_; }
  Journal& journal() { return *journal_; }
  std::string journal_path() const { return dir_ + "/journal.db"; }
  const std::string& dir() const { return dir_; }
  nlohmann::json Stats() { return nlohmann::json::parse(sandbox_->StatsJson()); }
  nlohmann::json Executions() { return nlohmann::json::parse(sandbox_->ExecutionsJson()); }

 private:
  void StartSandbox() {
    auto sandbox = Sandbox::Start(sandbox_options_);
    EXPECT_TRUE(sandbox.has_value()) << (sandbox ? "" : sandbox.error().ToString());
    if (sandbox) sandbox_ = std::move(*sandbox);
  }

  std::string dir_;
  SandboxOptions sandbox_options_;
  std::unique_ptr<Sandbox> sandbox_;
  std::shared_ptr<Journal> journal_;
  std::shared_ptr<Transport> transport_;
  ClientOptions options_;
  std::unique_ptr<Client> client_;
};

// A billed AML check for person `i`: no vendor_data dedup, so only the key
// keeps it from executing twice.
inline OpRequest AmlRequest(int i) {
  OpRequest r;
  r.op_id = "aml-" + std::to_string(i);
  r.kind = "aml";
  r.method = "POST";
  r.path = "/v3/aml/";
  r.body = R"({"full_name":"Person )" + std::to_string(i) + R"("})";
  return r;
}

}  // namespace idem::testing
