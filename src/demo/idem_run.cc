// The idem column: the journaled Didit client against a faulty sandbox, with
// webhooks into the inbox that shares the journal's SQLite file.
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <unordered_map>

#include "demo/counting_transport.h"
#include "demo/runs.h"
#include "demo/server_tally.h"
#include "idem/didit/client.h"
#include "idem/didit/endpoints.h"
#include "idem/journal.h"
#include "idem/random.h"
#include "idem/retry.h"
#include "idem/sandbox.h"
#include "idem/uuid.h"
#include "idem/webhook_receiver.h"

namespace idem::demo {

namespace {

using Ms = std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

// The sandbox's API key; a local throwaway value, never printed.
constexpr const char* kApiKey = "sandbox-key";

[[nodiscard]] Result<std::unique_ptr<didit::DiditClient>> MakeClient(
    const DemoOptions& options, std::shared_ptr<Journal> journal,
    std::shared_ptr<Transport> transport, const std::string& base_url, int attempts,
    std::uint64_t seed) {
  auto random = std::make_shared<SeededRandom>(seed);
  didit::DiditClientOptions o;
  o.client.base_url = base_url;
  o.client.api_key = kApiKey;
  o.client.journal = std::move(journal);
  o.client.transport = std::move(transport);
  o.client.random = random;
  // Short backoff: the sandbox's pushback (Retry-After 1 s) is the floor
  // where it matters; the demo should finish in seconds.
  o.client.backoff = std::make_shared<FullJitterBackoff>(Ms(50), Ms(1000), random);
  o.client.retry = std::make_shared<LimitedAttemptsRetryPolicy>(attempts, Ms(30000));
  // Sized to the workload: about a quarter of requests are faulted on purpose,
  // and the default 500-token bucket is meant to stop storms, not this.
  RetryBudgetOptions budget;
  budget.capacity =
      20 * (options.sessions + options.aml_checks + options.poa_checks + options.age_checks) + 500;
  o.client.budget = std::make_shared<RetryBudget>(budget);
  o.client.max_concurrent_ops = static_cast<std::size_t>(options.concurrency);
  o.client.worker_threads = 4;
  didit::AddDiditReconcilers(o.client, o.reconciler);
  didit::SetAttemptTimeout(o.client, options.attempt_timeout);
  return didit::DiditClient::Create(std::move(o));
}

}  // namespace

[[nodiscard]] Result<DemoRunReport> RunIdem(const DemoOptions& options,
                                            const std::vector<WorkItem>& items,
                                            const std::string& workdir,
                                            const DemoProgressSink& progress) {
  const std::string journal_path = workdir + "/journal.db";
  // The journal is thrown away with the temp dir: process-crash durability
  // (no fsync per commit) is enough and keeps the demo fast.
  JournalOptions jo;
  jo.durability = Durability::kProcessCrash;
  auto opened = OpenSqliteJournal(journal_path, jo);
  if (!opened) return tl::unexpected(opened.error());
  std::shared_ptr<Journal> journal = std::move(*opened);

  const std::string secret = NewUuidV4();  // per run, never printed
  WebhookReceiverOptions ro;
  ro.port = 0;
  ro.verifier.secrets = {secret};
  ro.journal_path = journal_path;
  ro.inbox.journal = journal;
  ro.inbox.durability = Durability::kProcessCrash;
  ro.threads = 2;
  auto receiver = WebhookReceiver::Start(ro);
  if (!receiver) return tl::unexpected(receiver.error());

  SandboxOptions so = DemoSandboxOptions(options);
  so.webhook_url = (*receiver)->url() + "/webhooks/didit";
  so.webhook_secret = secret;
  so.webhook_faults = options.webhook_faults;
  // The demo runs in seconds: a delivery the receiver could not take (a busy
  // journal's 503) is retried within milliseconds and kept trying, where
  // Didit's schedule (the sandbox's default) would wait minutes.
  UseFastWebhookRetries(so);
  auto sandbox = Sandbox::Start(so);
  if (!sandbox) return tl::unexpected(sandbox.error());
  auto transport = MakeDemoTransport(options);

  auto primary = MakeClient(options, journal, transport, (*sandbox)->base_url(),
                            options.max_attempts, options.seed);
  if (!primary) return tl::unexpected(primary.error());
  auto tight = MakeClient(options, journal, transport, (*sandbox)->base_url(), 1, options.seed + 1);
  if (!tight) return tl::unexpected(tight.error());

  const int total = static_cast<int>(items.size());
  std::mutex mu;
  std::condition_variable cv;
  int in_flight = 0;
  int started = 0;
  std::atomic<int> done{0};
  std::vector<double> latencies(items.size(), 0.0);
  std::vector<double> done_at(items.size(), 0.0);
  const auto t0 = SteadyClock::now();
  auto since_t0 = [&t0] {
    return std::chrono::duration<double, std::milli>(SteadyClock::now() - t0).count();
  };

  {
    ProgressTicker ticker(progress, options.progress_interval, [&] {
      std::uint64_t begun = 0;
      {
        std::lock_guard<std::mutex> lock(mu);
        begun = static_cast<std::uint64_t>(started);
      }
      return DrivingProgress("idem", done.load(), total, transport->requests(),
                             transport->mutations(), begun, t0);
    });
    // Feed at most `concurrency` ops at once, so latency is the op's own
    // time and not time spent queued behind the others.
    for (std::size_t i = 0; i < items.size(); ++i) {
      {
        std::unique_lock<std::mutex> lock(mu);
        cv.wait(lock, [&] { return in_flight < options.concurrency; });
        ++in_flight;
        ++started;
      }
      const WorkItem& item = items[i];
      OpRequest req;
      req.kind = item.kind;
      req.method = "POST";
      req.path = item.path;
      req.content_type = item.content_type;
      req.body = item.body;
      req.natural_key = item.natural_key;
      auto start = SteadyClock::now();
      Client& client = item.tight ? (*tight)->client() : (*primary)->client();
      client.Submit(std::move(req), [&, i, start](OpResult) {
        // The outcome is read back from the journal at the end; a callback
        // error (e.g. the heal settled the op and fenced this driver out) is
        // not a verdict.
        latencies[i] =
            std::chrono::duration<double, std::milli>(SteadyClock::now() - start).count();
        done_at[i] = since_t0();
        std::lock_guard<std::mutex> lock(mu);
        --in_flight;
        ++done;
        cv.notify_all();
      });
    }
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return done.load() == total; });
  }
  DemoRunReport run;
  run.seconds = std::chrono::duration<double>(SteadyClock::now() - t0).count();
  run.ops_per_s = run.seconds > 0 ? total / run.seconds : 0;
  run.p50_ms = Percentile(latencies, 50);
  run.p99_ms = Percentile(latencies, 99);
  run.timeline.op_latency_ms = std::move(latencies);
  std::sort(done_at.begin(), done_at.end());
  run.timeline.op_done_ms = std::move(done_at);
  run.timeline.phases.push_back({"settling", since_t0()});

  auto unfinished = [&]() -> Result<int> {
    int n = 0;
    for (OpState s : {OpState::kUnknown, OpState::kInFlight}) {
      OpFilter f;
      f.state = s;
      auto ops = journal->List(f);
      if (!ops) return tl::unexpected(ops.error());
      n += static_cast<int>(ops->size());
    }
    return n;
  };
  auto left = unfinished();
  if (!left) return tl::unexpected(left.error());
  run.unknown_after_drive = *left;

  // Let sessions complete and every webhook land (each heals what it can).
  const std::uint64_t sent_retries = transport->mutations() > static_cast<std::uint64_t>(total)
                                         ? transport->mutations() - total
                                         : 0;
  if (progress)
    progress(DemoProgress{"idem", "settling", total, total, transport->requests(), sent_retries,
                          run.seconds, run.ops_per_s});
  (*sandbox)->WaitWebhooksIdle(options.settle_timeout);

  // What the webhooks could not settle (AML checks, unlucky creates): resume
  // with the original keys, as `idem resume` would. "Settled by resume" is
  // what the journal shows unfinished before and finished after. The sandbox
  // faults about half of all requests, look-ups included, so one resume
  // drive gives an op up again about a third of the time (measured: 23 of 65
  // runs); a person would run `idem resume` again, and so do these rounds
  // (three were too few: about one run in fifty left an op unknown).
  left = unfinished();
  if (!left) return tl::unexpected(left.error());
  const int before_resume = *left;
  if (*left > 0) run.timeline.phases.push_back({"resuming", since_t0()});
  constexpr int kResumeRounds = 12;
  for (int round = 0; *left > 0 && round < kResumeRounds; ++round) {
    if (progress)
      progress(DemoProgress{"idem", "resuming", total - *left, total, transport->requests(),
                            sent_retries, run.seconds, run.ops_per_s});
    auto summary = (*primary)->client().Resume();
    if (!summary) return tl::unexpected(summary.error());
    left = unfinished();
    if (!left) return tl::unexpected(left.error());
  }
  run.resumed = before_resume - *left;
  (*sandbox)->WaitWebhooksIdle(options.settle_timeout);
  run.timeline.phases.push_back({"counting", since_t0()});

  // Tally: the journal for each op's final state, the sandbox for executions.
  auto all = journal->List(OpFilter{});
  if (!all) return tl::unexpected(all.error());
  // Every op's body is unique (its vendor_data), so the body finds its op.
  std::unordered_map<std::string, OpState> state_by_body;
  std::uint64_t attempts = 0;
  for (const Operation& op : *all) {
    const auto n = static_cast<std::size_t>(std::max(0, op.attempts));
    attempts += n;
    if (run.attempts_per_op.size() <= n) run.attempts_per_op.resize(n + 1);
    ++run.attempts_per_op[n];
    state_by_body[op.body] = op.state;
  }
  auto tally = TallyRun(**sandbox, items, run);
  if (!tally) return tl::unexpected(tally.error());
  // Lost: an op the server never executed, or one the journal does not hold
  // as succeeded (or does not hold at all).
  for (std::size_t i = 0; i < items.size(); ++i) {
    auto it = state_by_body.find(items[i].body);
    bool settled = it != state_by_body.end() && it->second == OpState::kSucceeded;
    if (!tally->executed[i] || !settled) ++run.lost;
  }
  run.retries = attempts > static_cast<std::uint64_t>(all->size()) ? attempts - all->size() : 0;
  run.lookups = transport->lookups();
  run.lookups_reconciled = transport->lookups_found();
  ReceiverStats rs = (*receiver)->stats();
  run.healed_by_webhook = rs.healed_ops;
  run.webhooks_stored = rs.stored;
  run.webhooks_deduped = rs.duplicates;
  run.webhooks_received = rs.stored + rs.duplicates;

  // Clients first (they use the transport and journal), then the servers.
  primary->reset();
  tight->reset();
  (*sandbox)->Stop();
  (*receiver)->Stop();
  return run;
}

}  // namespace idem::demo
