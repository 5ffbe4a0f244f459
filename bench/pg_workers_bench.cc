// Not a test: ops/s of 1, 2 and 4 `idem worker --exit-when-idle` processes
// draining N queued ops (2/3 session creates, 1/3 AML checks) from one
// journal against one `idem sandbox` process (in-memory store, no faults),
// on PostgreSQL (a throwaway cluster with fsync ON) and on SQLite. The clock
// runs from the workers' start to the last one's exit (the enqueue is not
// counted). Also prints the CPU seconds the workers, the sandbox and the
// PostgreSQL server used, to show where the time goes, and the CPU per op
// (docs/postgres.md).
//
//   IDEM_BIN=build/x/idem build/x/bench/pg_workers_bench [ops] [concurrency] [nofsync]
#include <libpq-fe.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "testing/pg_cluster.h"
#include "worker/fleet_support.h"

namespace {

using namespace idem;
using Steady = std::chrono::steady_clock;

double ChildrenCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_CHILDREN, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

// utime + stime (+ reaped children's) of a live process, from /proc.
double ProcessCpuSeconds(pid_t pid, bool with_children) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::size_t close = text.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream fields(text.substr(close + 2));
  std::vector<std::string> f;
  for (std::string s; fields >> s;) f.push_back(s);
  // After "pid (comm) ": state is f[0]; utime f[11], stime f[12], cutime f[13], cstime f[14].
  if (f.size() < 15) return 0;
  double ticks = std::stod(f[11]) + std::stod(f[12]);
  if (with_children) ticks += std::stod(f[13]) + std::stod(f[14]);
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// CPU of every process of the `postgres` binary (the postmaster and its
// backends), live ones from /proc.
double PostgresCpuSeconds() {
  double total = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream comm(entry.path() / "comm");
    std::string c;
    std::getline(comm, c);
    if (c == "postgres") total += ProcessCpuSeconds(std::stoi(name), true);
  }
  return total;
}

// Transactions committed in the database at `url` so far (pg_stat_database;
// a backend reports its counts when it exits, so wait a moment first). -1 on
// an error or for a SQLite path.
std::int64_t CommittedTransactions(const std::string& url) {
  if (!IsPostgresUrl(url)) return -1;
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  PGconn* conn = PQconnectdb(url.c_str());
  std::int64_t commits = -1;
  if (PQstatus(conn) == CONNECTION_OK) {
    PGresult* r = PQexec(conn,
                         "SELECT xact_commit FROM pg_stat_database WHERE datname = "
                         "current_database()");
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
      commits = std::stoll(PQgetvalue(r, 0, 0));
    }
    PQclear(r);
  }
  PQfinish(conn);
  return commits;
}

struct Run {
  double seconds = 0;
  double worker_cpu = 0;
  double sandbox_cpu = 0;
  double postgres_cpu = 0;
  std::size_t succeeded = 0;
  // From the summary line each worker prints on exit, summed over the workers.
  std::int64_t polls = 0;     // journal polls (claims)
  std::int64_t driven = 0;    // ops handed to the Client
  std::int64_t busy = 0;      // ops another worker held by the time this one asked
  std::int64_t commits = -1;  // PostgreSQL transactions committed during the run
};

// Adds the summary line a worker printed on exit to `run`.
void AddWorkerSummary(const std::string& path, Run& run) {
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] != '{') continue;
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_object()) continue;
    run.polls += j.value("polls", std::int64_t{0});
    run.driven += j.value("driven", std::int64_t{0});
    run.busy += j.value("busy", std::int64_t{0});
  }
}

Result<Run> Drain(const std::string& journal_url, const fleet::SandboxProcess& sandbox,
                  std::size_t ops, int workers, int concurrency, const std::string& prefix,
                  const std::string& log_dir) {
  JournalOptions options;
  options.durability = Durability::kProcessCrash;  // the enqueue is not measured
  {
    auto journal = OpenJournal(journal_url, options);
    if (!journal) return tl::unexpected(journal.error());
    if (auto st = fleet::EnqueueMix(**journal, prefix, ops); !st) return tl::unexpected(st.error());
  }
  Run run;
  const std::int64_t commits0 = CommittedTransactions(journal_url);
  const double cpu0 = ChildrenCpuSeconds();
  const double sandbox0 = ProcessCpuSeconds(sandbox.child.pid(), false);
  const double pg0 = PostgresCpuSeconds();
  const auto start = Steady::now();
  std::vector<chaos::Child> children;
  for (int i = 0; i < workers; ++i) {
    auto child =
        chaos::Child::Spawn(fleet::WorkerArgv(journal_url, sandbox.base_url, concurrency, 10000),
                            log_dir + "/" + prefix + std::to_string(i) + ".log", false);
    if (!child) return tl::unexpected(child.error());
    children.push_back(std::move(*child));
  }
  fleet::WaitForAll(children);
  run.seconds = std::chrono::duration<double>(Steady::now() - start).count();
  run.worker_cpu = ChildrenCpuSeconds() - cpu0;
  run.sandbox_cpu = ProcessCpuSeconds(sandbox.child.pid(), false) - sandbox0;
  run.postgres_cpu = PostgresCpuSeconds() - pg0;
  for (int i = 0; i < workers; ++i) {
    AddWorkerSummary(log_dir + "/" + prefix + std::to_string(i) + ".log", run);
  }
  if (commits0 >= 0) {
    const std::int64_t commits1 = CommittedTransactions(journal_url);
    // Minus the look-up's own transaction.
    if (commits1 >= 0) run.commits = commits1 - commits0 - 1;
  }
  auto journal = OpenJournal(journal_url, options);
  if (!journal) return tl::unexpected(journal.error());
  auto all = (*journal)->List({});
  if (!all) return tl::unexpected(all.error());
  for (const Operation& op : *all) run.succeeded += op.state == OpState::kSucceeded ? 1 : 0;
  return run;
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t ops = argc > 1 ? std::stoul(argv[1]) : 2000;
  const int concurrency = argc > 2 ? std::stoi(argv[2]) : 16;
  // "nofsync": the cluster without fsync, to show what the WAL flush costs.
  const bool fsync = !(argc > 3 && std::string(argv[3]) == "nofsync");
  std::string dir = (std::filesystem::temp_directory_path() / "idem-wbench-XXXXXX").string();
  if (mkdtemp(dir.data()) == nullptr) return 1;

  auto cluster = testing::PgCluster::Start({.fsync = fsync});
  if (!cluster) {
    std::fprintf(stderr, "%s\n", cluster.error().ToString().c_str());
    return 1;
  }
  auto sandbox = fleet::StartSandbox("", "", 1, dir + "/sandbox.log");
  if (!sandbox) {
    std::fprintf(stderr, "%s\n", sandbox.error().ToString().c_str());
    return 1;
  }
  std::printf(
      "%zu ops per run, --concurrency %d per worker, sandbox in memory, no faults, "
      "postgres fsync %s\n",
      ops, concurrency, fsync ? "on" : "off");
  std::printf("%-8s %7s %8s %8s %11s %11s %12s %11s %11s %9s %6s %6s %6s %9s\n", "journal",
              "workers", "seconds", "ops/s", "worker_cpu", "sandbox_cpu", "postgres_cpu",
              "worker_us/op", "total_us/op", "succeeded", "polls", "driven", "busy", "commits");
  int status = 0;
  for (const char* kind : {"postgres", "sqlite"}) {
    for (int workers : {1, 2, 4}) {
      const std::string name = std::string(kind) + std::to_string(workers);
      std::string url;
      if (std::string(kind) == "postgres") {
        if (!(*cluster)->CreateDatabase(name)) return 1;
        url = (*cluster)->Url(name);
      } else {
        url = dir + "/" + name + ".db";
      }
      auto run = Drain(url, *sandbox, ops, workers, concurrency, name + "-", dir);
      if (!run) {
        std::fprintf(stderr, "%s: %s\n", name.c_str(), run.error().ToString().c_str());
        return 1;
      }
      // CPU per op: the workers' alone, and every party's (workers, the
      // sandbox, PostgreSQL's processes).
      const double per_op = 1e6 / static_cast<double>(ops);
      std::printf(
          "%-8s %7d %8.2f %8.0f %11.2f %11.2f %12.2f %11.0f %11.0f %9zu %6lld %6lld %6lld %9lld\n",
          kind, workers, run->seconds, static_cast<double>(ops) / run->seconds, run->worker_cpu,
          run->sandbox_cpu, run->postgres_cpu, run->worker_cpu * per_op,
          (run->worker_cpu + run->sandbox_cpu + run->postgres_cpu) * per_op, run->succeeded,
          static_cast<long long>(run->polls), static_cast<long long>(run->driven),
          static_cast<long long>(run->busy), static_cast<long long>(run->commits));
      std::fflush(stdout);
      if (run->succeeded != ops) status = 2;
    }
  }
  sandbox->child.KillAndWait(SIGTERM);
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return status;
}
