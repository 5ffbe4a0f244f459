#include "testing/pg_cluster.h"

#include <fcntl.h>
#include <glob.h>
#include <grp.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "testing/free_port.h"
#include "testing/wait.h"

namespace idem::testing {
namespace {

namespace fs = std::filesystem;

constexpr auto kStartTimeout = std::chrono::seconds(60);
constexpr auto kStopTimeout = std::chrono::seconds(30);

std::string FindBindir() {
  if (const char* env = std::getenv("IDEM_PG_BINDIR"); env != nullptr && *env != '\0') return env;
  glob_t found{};
  std::vector<std::string> dirs;
  if (glob("/usr/lib/postgresql/*/bin/initdb", 0, nullptr, &found) == 0) {
    for (std::size_t i = 0; i < found.gl_pathc; ++i) {
      dirs.push_back(fs::path(found.gl_pathv[i]).parent_path().string());
    }
  }
  globfree(&found);
  // The highest major version (numeric order: 9 < 15 < 16).
  std::sort(dirs.begin(), dirs.end(), [](const std::string& a, const std::string& b) {
    auto major = [](const std::string& d) {
      return std::atoi(fs::path(d).parent_path().filename().c_str());
    };
    return major(a) < major(b);
  });
  return dirs.empty() ? std::string() : dirs.back();
}

// Forks and execs `argv` with stdout/stderr appended to `log`, as (uid, gid)
// when `drop` is set. The child dies with us (PR_SET_PDEATHSIG), so a
// crashed test leaves no server behind.
pid_t Spawn(const std::vector<std::string>& argv, const std::string& log, const std::string& cwd,
            bool drop, uid_t uid, gid_t gid, int death_signal) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid != 0) return pid;
  // Child: only async-signal-safe calls until exec.
  if (drop) {
    if (setgroups(0, nullptr) != 0 || setgid(gid) != 0 || setuid(uid) != 0) _exit(126);
  }
  prctl(PR_SET_PDEATHSIG, death_signal);
  if (getppid() != parent) _exit(125);
  int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (fd >= 0) {
    dup2(fd, STDOUT_FILENO);
    dup2(fd, STDERR_FILENO);
    close(fd);
  }
  if (chdir(cwd.c_str()) != 0) _exit(124);
  execv(args[0], args.data());
  _exit(127);
}

Result<int> WaitExit(pid_t pid) {
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return MakeError(ErrorCode::kInternal, "waitpid failed");
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace

Result<std::unique_ptr<PgCluster>> PgCluster::Start(Options options) {
  std::unique_ptr<PgCluster> cluster(new PgCluster());
  cluster->options_ = options;
  cluster->bindir_ = FindBindir();
  if (cluster->bindir_.empty() || !fs::exists(cluster->bindir_ + "/postgres")) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     "PostgreSQL server binaries not found (/usr/lib/postgresql/*/bin/initdb); "
                     "run scripts/setup (installs the Debian 'postgresql' package) or set "
                     "IDEM_PG_BINDIR");
  }
  char pattern[] = "/tmp/idem-pg-XXXXXX";
  if (mkdtemp(pattern) == nullptr) return MakeError(ErrorCode::kIo, "mkdtemp failed");
  cluster->root_ = pattern;
  if (geteuid() == 0) {
    const passwd* pw = getpwnam("postgres");
    if (pw == nullptr) {
      return MakeError(ErrorCode::kFailedPrecondition,
                       "running as root and there is no 'postgres' user to run the server as; "
                       "run scripts/setup (installs the Debian 'postgresql' package)");
    }
    cluster->drop_privileges_ = true;
    cluster->run_uid_ = pw->pw_uid;
    cluster->run_gid_ = pw->pw_gid;
    if (chown(cluster->root_.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
      return MakeError(ErrorCode::kIo, "chown of " + cluster->root_ + " failed");
    }
  }
  const pid_t initdb =
      Spawn({cluster->bindir_ + "/initdb", "-D", cluster->root_ + "/data", "-U", "postgres", "-A",
             "trust", "--locale=C", "-E", "UTF8", "--no-sync", "--no-instructions"},
            cluster->root_ + "/initdb.log", cluster->root_, cluster->drop_privileges_,
            cluster->run_uid_, cluster->run_gid_, SIGKILL);
  if (initdb < 0) return MakeError(ErrorCode::kInternal, "fork failed");
  auto code = WaitExit(initdb);
  if (!code || *code != 0) {
    std::ifstream in(cluster->root_ + "/initdb.log");
    std::stringstream text;
    text << in.rdbuf();
    return MakeError(ErrorCode::kInternal, "initdb failed: " + text.str());
  }
  cluster->port_ = testing::UnusedLoopbackPort();
  if (auto st = cluster->StartServer(); !st) return tl::unexpected(st.error());
  return cluster;
}

PgCluster::~PgCluster() {
  (void)StopServer();
  if (!root_.empty()) {
    std::error_code ignored;
    fs::remove_all(root_, ignored);
  }
}

std::string PgCluster::Url(const std::string& database) const {
  return "postgresql://postgres@127.0.0.1:" + std::to_string(port_) + "/" + database;
}

std::string PgCluster::LogTail() const {
  std::ifstream in(root_ + "/server.log");
  std::stringstream text;
  text << in.rdbuf();
  std::string all = text.str();
  return all.size() > 2000 ? all.substr(all.size() - 2000) : all;
}

Status PgCluster::StartServer() {
  const std::string conninfo =
      "host=127.0.0.1 port=" + std::to_string(port_) + " dbname=postgres user=postgres";
  std::vector<std::string> argv = {bindir_ + "/postgres",
                                   "-D",
                                   root_ + "/data",
                                   "-p",
                                   std::to_string(port_),
                                   "-c",
                                   "listen_addresses=127.0.0.1",
                                   "-c",
                                   "unix_socket_directories=" + root_,
                                   "-c",
                                   "max_connections=200",
                                   "-c",
                                   std::string("fsync=") + (options_.fsync ? "on" : "off")};
  if (!options_.fsync) {
    argv.insert(argv.end(), {"-c", "full_page_writes=off"});
  }
  // SIGQUIT: immediate shutdown if the test process dies.
  postmaster_ =
      Spawn(argv, root_ + "/server.log", root_, drop_privileges_, run_uid_, run_gid_, SIGQUIT);
  if (postmaster_ < 0) return MakeError(ErrorCode::kInternal, "fork failed");
  bool exited = false;
  const bool up = WaitUntil(
      kStartTimeout,
      [&] {
        int status = 0;
        exited = waitpid(postmaster_, &status, WNOHANG) == postmaster_;
        return exited || PQping(conninfo.c_str()) == PQPING_OK;
      },
      std::chrono::milliseconds(20));
  if (exited) {
    postmaster_ = -1;
    return MakeError(ErrorCode::kInternal, "postgres exited at start: " + LogTail());
  }
  if (up) return {};
  return MakeError(ErrorCode::kDeadlineExceeded, "postgres did not start: " + LogTail());
}

Status PgCluster::StopServer() {
  if (postmaster_ <= 0) return {};
  kill(postmaster_, SIGINT);  // fast shutdown: disconnect clients, checkpoint
  const bool stopped = WaitUntil(
      kStopTimeout,
      [&] {
        int status = 0;
        return waitpid(postmaster_, &status, WNOHANG) == postmaster_;
      },
      std::chrono::milliseconds(10));
  if (stopped) {
    postmaster_ = -1;
    return {};
  }
  kill(postmaster_, SIGKILL);
  (void)WaitExit(postmaster_);
  postmaster_ = -1;
  return MakeError(ErrorCode::kDeadlineExceeded, "postgres did not stop; killed");
}

Status PgCluster::Restart() {
  if (auto st = StopServer(); !st) return st;
  return StartServer();
}

Result<std::unique_ptr<PgCluster>> PgCluster::StartWithDatabase(Options options,
                                                                const std::string& database) {
  auto cluster = Start(options);
  if (!cluster) return cluster;
  if (auto st = (*cluster)->CreateDatabase(database); !st) return tl::unexpected(st.error());
  return cluster;
}

Status PgCluster::CreateDatabase(const std::string& name) {
  const std::string conninfo =
      "host=127.0.0.1 port=" + std::to_string(port_) + " dbname=postgres user=postgres";
  PGconn* conn = PQconnectdb(conninfo.c_str());
  Status st;
  if (PQstatus(conn) != CONNECTION_OK) {
    st = MakeError(ErrorCode::kUnavailable, PQerrorMessage(conn));
  } else {
    char* quoted = PQescapeIdentifier(conn, name.c_str(), name.size());
    PGresult* result = PQexec(conn, (std::string("CREATE DATABASE ") + quoted).c_str());
    PQfreemem(quoted);
    if (PQresultStatus(result) != PGRES_COMMAND_OK) {
      st = MakeError(ErrorCode::kIo, PQresultErrorMessage(result));
    }
    PQclear(result);
  }
  PQfinish(conn);
  return st;
}

}  // namespace idem::testing
