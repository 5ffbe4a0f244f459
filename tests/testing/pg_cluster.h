// A throwaway PostgreSQL cluster for tests: initdb in a temp dir, a postmaster
// on a free 127.0.0.1 port with its unix socket in that dir, torn down (server
// killed, dir removed) by the destructor. As root (tests and CI run as root,
// and initdb/postgres refuse to), the server runs as the `postgres` system
// user that Debian's postgresql package creates.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>

#include "idem/status.h"

namespace idem::testing {

class PgCluster {
 public:
  struct Options {
    // fsync=off makes commits cheap; fine for behaviour tests that never cut
    // power. A durability or benchmark run must keep it on.
    bool fsync = false;
  };

  // Finds the binaries under /usr/lib/postgresql/<version>/bin (or
  // $IDEM_PG_BINDIR), creates and starts the cluster. Missing binaries ->
  // kFailedPrecondition naming scripts/setup.
  static Result<std::unique_ptr<PgCluster>> Start(Options options);
  static Result<std::unique_ptr<PgCluster>> Start() { return Start(Options{}); }
  // Start(options) and an empty database `database` (for benchmarks).
  static Result<std::unique_ptr<PgCluster>> StartWithDatabase(Options options,
                                                              const std::string& database);
  ~PgCluster();
  PgCluster(const PgCluster&) = delete;
  PgCluster& operator=(const PgCluster&) = delete;

  // "postgresql://postgres@127.0.0.1:<port>/<database>".
  std::string Url(const std::string& database) const;
  Status CreateDatabase(const std::string& name);
  // Fast shutdown (clients are disconnected) and start again on the same port.
  Status Restart();
  int port() const { return port_; }

 private:
  PgCluster() = default;
  Status StartServer();
  Status StopServer();
  std::string LogTail() const;

  Options options_;
  std::string bindir_;
  std::string root_;  // temp dir: data/, the socket, server.log
  int port_ = 0;
  pid_t postmaster_ = -1;
  uid_t run_uid_ = 0;  // the user the server runs as (postgres when we are root)
  gid_t run_gid_ = 0;
  bool drop_privileges_ = false;
};

}  // namespace idem::testing
