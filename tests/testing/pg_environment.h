// One throwaway PostgreSQL cluster per test binary (testing/pg_cluster.h),
// started as a GoogleTest global environment before the first test and torn
// down after the last: include this header in a PostgreSQL test binary and use
// SharedPgCluster() / FreshPgDatabaseUrl(). Starting the cluster once, not per
// test, is what keeps these binaries within seconds.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>

#include "idem/status.h"
#include "testing/pg_cluster.h"

namespace idem::testing {

class PgEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    auto cluster = PgCluster::Start();
    if (!cluster) {
      error_ = cluster.error().ToString();
      FAIL() << "cannot start a throwaway PostgreSQL cluster: " << error_;
    }
    cluster_ = std::move(*cluster);
  }
  void TearDown() override { cluster_.reset(); }

  PgCluster* cluster() const { return cluster_.get(); }
  const std::string& error() const { return error_; }

 private:
  std::unique_ptr<PgCluster> cluster_;
  std::string error_;
};

// Registered once per binary (an inline variable has one instance).
inline PgEnvironment* const g_pg_environment =
    static_cast<PgEnvironment*>(::testing::AddGlobalTestEnvironment(new PgEnvironment));

// The binary's cluster; nullptr when it could not start (see SharedPgClusterError).
inline PgCluster* SharedPgCluster() { return g_pg_environment->cluster(); }
inline const std::string& SharedPgClusterError() { return g_pg_environment->error(); }

// A fresh, empty database on the shared cluster, named `prefix` + a counter.
inline Result<std::string> FreshPgDatabaseUrl(const std::string& prefix) {
  static std::atomic<int> counter{0};
  PgCluster* cluster = SharedPgCluster();
  if (cluster == nullptr) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     "no PostgreSQL cluster: " + SharedPgClusterError());
  }
  const std::string name = prefix + std::to_string(counter.fetch_add(1));
  if (auto st = cluster->CreateDatabase(name); !st) return tl::unexpected(st.error());
  return cluster->Url(name);
}

}  // namespace idem::testing
