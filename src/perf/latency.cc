// Issue 19's latency benchmark: what one journaled call adds to one request,
// at one in flight, against a bare libcurl request to the same sandbox.
#include <curl/curl.h>

#include <algorithm>
#include <chrono>
#include <memory>

#include "idem/client.h"
#include "idem/sandbox.h"
#include "idem/uuid.h"
#include "journal/sqlite_journal.h"
#include "perf/bench.h"
#include "perf/temp_dir.h"

namespace idem {
namespace {

using Steady = std::chrono::steady_clock;

constexpr char kWorkflow[] = "11111111-2222-4333-8444-555555555555";
constexpr char kApiKey[] = "sandbox-key";

std::string SessionBody(const std::string& vendor_data) {
  return std::string(R"({"workflow_id":")") + kWorkflow + R"(","vendor_data":")" + vendor_data +
         "\"}";
}

double MicrosSince(Steady::time_point start) {
  return std::chrono::duration<double, std::micro>(Steady::now() - start).count();
}

// A fresh sandbox on its own SQLite store in `dir` (a real server keeps its
// sessions on disk; a fresh one per side keeps the store's size equal).
[[nodiscard]] Result<std::unique_ptr<Sandbox>> StartSandbox(const perf::TempDir& dir,
                                                            const std::string& name) {
  SandboxOptions o;
  o.port = 0;
  o.api_key = kApiKey;
  o.threads = 2;
  o.db_path = dir.File(name + "-sandbox.db");
  return Sandbox::Start(std::move(o));
}

size_t Discard(char*, size_t size, size_t n, void*) { return size * n; }

// `n` creates one after another on one easy handle (one kept-alive
// connection), with the headers the client sends; each request's latency
// appended to `latencies`. Returns the answers other than 201.
std::uint64_t RunBare(const std::string& base_url, const std::string& tag, std::size_t n,
                      std::vector<double>* latencies) {
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> easy(curl_easy_init(), curl_easy_cleanup);
  if (!easy) return n;
  const std::string url = base_url + "/v3/session/";
  curl_easy_setopt(easy.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(easy.get(), CURLOPT_WRITEFUNCTION, Discard);
  curl_easy_setopt(easy.get(), CURLOPT_NOSIGNAL, 1L);
  std::uint64_t failures = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const std::string body = SessionBody(tag + "-" + std::to_string(i));
    const std::string key = "Idempotency-Key: " + NewUuidV4();
    curl_slist* headers = nullptr;
    headers = curl_slist_append(headers, "x-api-key: sandbox-key");
    headers = curl_slist_append(headers, "Content-Type: application/json");
    headers = curl_slist_append(headers, key.c_str());
    curl_easy_setopt(easy.get(), CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(easy.get(), CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(easy.get(), CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
    const auto start = Steady::now();
    const CURLcode rc = curl_easy_perform(easy.get());
    const double us = MicrosSince(start);
    long status = 0;
    curl_easy_getinfo(easy.get(), CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(headers);
    if (rc != CURLE_OK || status != 201) ++failures;
    if (latencies) latencies->push_back(us);
  }
  return failures;
}

struct ClientSide {
  std::uint64_t failures = 0;
  std::uint64_t transactions = 0;
  std::uint64_t writes = 0;
};

// A fresh SQLite journal and one Client with one op in flight; `n` creates
// through Client::Call, one after another, each call's latency appended to
// `latencies`.
[[nodiscard]] Result<ClientSide> RunClient(const std::string& base_url,
                                           const std::string& journal_path, const std::string& tag,
                                           std::size_t n, Durability durability,
                                           std::vector<double>* latencies) {
  JournalOptions jo;
  jo.durability = durability;
  auto opened = OpenSqliteJournal(journal_path, jo);
  if (!opened) return tl::unexpected(opened.error());
  // The journal's own counters: its transactions are its fsyncs.
  auto* sqlite = dynamic_cast<journal::SqliteJournal*>(opened->get());
  std::shared_ptr<Journal> journal = std::move(*opened);
  TransportOptions to;
  to.max_in_flight = 1;
  ClientOptions co;
  co.base_url = base_url;
  co.api_key = kApiKey;
  co.journal = journal;
  co.transport = MakeCurlTransport(to);
  co.max_concurrent_ops = 1;
  auto client = Client::Create(std::move(co));
  if (!client) return tl::unexpected(client.error());
  ClientSide side;
  const journal::GroupCommitStats before = sqlite ? sqlite->stats() : journal::GroupCommitStats{};
  for (std::size_t i = 0; i < n; ++i) {
    OpRequest req;
    req.kind = "create_session";
    req.path = "/v3/session/";
    req.body = SessionBody(tag + "-" + std::to_string(i));
    const auto start = Steady::now();
    auto op = (*client)->Call(std::move(req));
    const double us = MicrosSince(start);
    if (!op || op->state != OpState::kSucceeded || op->response_status != 201) ++side.failures;
    if (latencies) latencies->push_back(us);
  }
  if (sqlite) {
    const journal::GroupCommitStats after = sqlite->stats();
    side.transactions = after.transactions - before.transactions;
    side.writes = after.writes - before.writes;
  }
  return side;
}

double Percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const std::size_t at =
      std::min(values.size() - 1,
               static_cast<std::size_t>(p * static_cast<double>(values.size() - 1) + 0.5));
  return values[at];
}

}  // namespace

[[nodiscard]] Result<LatencyBenchResult> RunLatencyBench(const LatencyBenchOptions& options) {
  auto dir = perf::TempDir::Create("idem-latency-bench");
  if (!dir) return tl::unexpected(dir.error());
  const std::size_t n = std::max<std::size_t>(1, options.ops_per_round);
  const std::string run_id = NewUuidV4().substr(0, 8);
  std::vector<double> bare, client;
  LatencyBenchResult result;
  std::uint64_t transactions = 0, writes = 0;
  for (int round = 0; round < std::max(1, options.rounds); ++round) {
    const std::string tag = run_id + "-" + std::to_string(round);
    auto bare_side = [&]() -> Status {
      auto sandbox = StartSandbox(*dir, tag + "-bare");
      if (!sandbox) return tl::unexpected(sandbox.error());
      RunBare((*sandbox)->base_url(), tag + "-bare-warm", 50, nullptr);
      result.bare_failures += RunBare((*sandbox)->base_url(), tag + "-bare", n, &bare);
      return {};
    };
    auto client_side = [&]() -> Status {
      auto sandbox = StartSandbox(*dir, tag + "-client");
      if (!sandbox) return tl::unexpected(sandbox.error());
      auto warm = RunClient((*sandbox)->base_url(), dir->File(tag + "-warm.db"), tag + "-warm", 50,
                            options.durability, nullptr);
      if (!warm) return tl::unexpected(warm.error());
      auto ran = RunClient((*sandbox)->base_url(), dir->File(tag + "-journal.db"), tag + "-client",
                           n, options.durability, &client);
      if (!ran) return tl::unexpected(ran.error());
      result.client_failures += ran->failures;
      transactions += ran->transactions;
      writes += ran->writes;
      return {};
    };
    // Alternating order, so that drift of the machine does not always fall
    // on one side.
    Status first = round % 2 == 0 ? bare_side() : client_side();
    if (!first) return tl::unexpected(first.error());
    Status second = round % 2 == 0 ? client_side() : bare_side();
    if (!second) return tl::unexpected(second.error());
  }
  result.ops = client.size();
  result.bare_p50_us = Percentile(bare, 0.50);
  result.bare_p99_us = Percentile(bare, 0.99);
  result.client_p50_us = Percentile(client, 0.50);
  result.client_p99_us = Percentile(client, 0.99);
  if (!client.empty()) {
    result.transactions_per_op = static_cast<double>(transactions) / client.size();
    result.writes_per_op = static_cast<double>(writes) / client.size();
  }
  return result;
}

}  // namespace idem
