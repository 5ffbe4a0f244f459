// What both worker suites start from: a fresh directory with a SQLite
// journal, and a sandbox on port 0 with the suite's own fault seed.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "idem/journal.h"
#include "idem/sandbox.h"
#include "testing/temp_dir.h"

namespace idem::testing {

class WorkerFixture : public ::testing::Test {
 protected:
  explicit WorkerFixture(std::uint64_t seed) : seed_(seed) {}

  void StartSandbox(std::string faults, bool idempotency) {
    SandboxOptions options;
    options.port = 0;
    options.faults = std::move(faults);
    options.seed = seed_;
    options.idempotency = idempotency;
    auto sandbox = Sandbox::Start(options);
    ASSERT_TRUE(sandbox.has_value()) << sandbox.error().ToString();
    sandbox_ = std::move(*sandbox);
  }
  void SetUp() override {
    auto journal = OpenSqliteJournal(JournalPath());
    ASSERT_TRUE(journal.has_value()) << journal.error().ToString();
    journal_ = std::move(*journal);
  }
  void TearDown() override {
    if (sandbox_) sandbox_->Stop();
  }
  std::string JournalPath() const { return dir_ + "/journal.db"; }

  // Executions per vendor_data, from the sandbox's own records.
  std::map<std::string, int> ExecutionsByVendorData() {
    auto j = nlohmann::json::parse(sandbox_->ExecutionsJson());
    std::map<std::string, int> by;
    for (const auto& e : j["executions"]) {
      if (e["vendor_data"].is_string()) ++by[e["vendor_data"].get<std::string>()];
    }
    return by;
  }

  const std::uint64_t seed_;
  TempDir tmp_{"idem-worker"};
  const std::string dir_ = tmp_.string();
  std::unique_ptr<Sandbox> sandbox_;
  std::shared_ptr<Journal> journal_;
};

}  // namespace idem::testing
