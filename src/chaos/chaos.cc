// RunChaos: the sandbox and the workers are real processes (the idem binary
// itself), the kills are SIGKILL, and the verdict is computed from the
// sandbox's own execution records and the journal, never from what the
// workers believe.
#include "chaos/chaos.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string_view>
#include <thread>
#include <vector>

#include "chaos/naive_client.h"
#include "chaos/process.h"
#include "chaos/sandbox_json.h"
#include "idem/didit/client.h"
#include "idem/didit/endpoints.h"
#include "idem/enqueue.h"
#include "idem/journal.h"
#include "idem/random.h"
#include "idem/transport.h"

namespace idem {
namespace {

using std::chrono::milliseconds;
using Steady = std::chrono::steady_clock;
namespace fs = std::filesystem;

constexpr char kApiKey[] = "sandbox-key";
// How often the journal's progress is kept for the report's chart: fine
// enough to show each kill's dip, few enough points for a long soak.
constexpr milliseconds kSampleEvery{100};
// Any valid workflow UUID: the sandbox accepts every one.
constexpr char kWorkflowId[] = "0c3b6a52-7f1e-4c8a-9d2b-3e4f5a6b7c8d";

// The kinds chaos builds ops for (MakeOp). Its verdict is "each op executed at
// most once", which is the measure for calls that create or bill something
// per op. The OTP sends and checks and the batch delete are left out: Didit
// makes their repeat harmless (a second send within 5 min is a `Retry` with the
// same request_id, a check is re-answered, a batch delete deletes nothing
// more), so idem sends them again by design and an execution count says
// nothing; their lost-answer tests are in tests/didit (didit_calls_test).
constexpr std::string_view kChaosDrivenKinds[] = {
    "create_session",   "update_status",  "delete_session",     "aml",
    "passive_liveness", "face_match",     "id_verification",    "poa",
    "face_search",      "age_estimation", "database_validation"};

bool ChaosDrives(std::string_view kind) {
  return std::find(std::begin(kChaosDrivenKinds), std::end(kChaosDrivenKinds), kind) !=
         std::end(kChaosDrivenKinds);
}

std::string SelfExe() {
  std::error_code ec;
  fs::path p = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string() : p.string();
}

[[nodiscard]] Result<std::string> MakeWorkDir() {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/idem-chaos-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) {
    return MakeError(ErrorCode::kIo, "cannot create a work directory under " + pattern);
  }
  return pattern;
}

class Harness {
 public:
  Harness(ChaosOptions o, std::string dir) : o_(std::move(o)), dir_(std::move(dir)) {}

  void Log(const std::string& line) {
    if (o_.log) o_.log(line);
  }

  // Ms since the run started: the time axis of ChaosTimeline.
  std::int64_t SinceStart() const {
    return std::chrono::duration_cast<milliseconds>(Steady::now() - t0_).count();
  }

  // Starts the sandbox; port 0 the first time, the same port on a restart.
  Status StartSandbox(int generation) {
    std::vector<std::string> argv = {
        o_.idem_binary, "sandbox",
        "--listen",     "127.0.0.1:" + std::to_string(port_),
        "--db",         dir_ + "/sandbox.db",
        "--api-key",    kApiKey,
        "--faults",     o_.faults,
        "--seed",       std::to_string(o_.seed + static_cast<std::uint64_t>(generation))};
    argv.push_back("--profile");
    argv.push_back(o_.profile);
    if (o_.no_idempotency) {
      argv.push_back("--no-idempotency");
      argv.push_back("--no-vendor-dedup");
    }
    // A restart may find the port still held for a moment: try again.
    std::string last_error;
    for (int attempt = 0; attempt < 50; ++attempt) {
      auto child = chaos::Child::Spawn(argv, dir_ + "/sandbox.log", true);
      if (!child) return tl::unexpected(child.error());
      auto line = child->ReadLine(milliseconds(15000));
      const std::string prefix = "listening on ";
      if (line && line->rfind(prefix, 0) == 0) {
        base_url_ = line->substr(prefix.size());
        port_ = std::stoi(base_url_.substr(base_url_.rfind(':') + 1));
        sandbox_ = std::move(*child);
        return {};
      }
      child->KillAndWait(SIGKILL);
      last_error = "the sandbox did not start (see " + dir_ + "/sandbox.log)";
      std::this_thread::sleep_for(milliseconds(100));
    }
    return MakeError(ErrorCode::kUnavailable, last_error);
  }

  // Adds the faults the sandbox injected so far (its counters restart with
  // the process, so they are read before each stop).
  void CountFaults() {
    auto transport = chaos::MakeSandboxReadTransport();
    auto stats = GetJson(*transport, "/_sandbox/stats");
    if (!stats || !stats->contains("faults") || !(*stats)["faults"].is_object()) return;
    for (const auto& [kind, n] : (*stats)["faults"].items()) {
      if (!n.is_number_integer()) continue;
      report_.faults_injected += n.get<std::int64_t>();
      report_.faults_by_kind[kind] += n.get<std::int64_t>();
    }
  }

  Status RestartSandbox() {
    CountFaults();
    sandbox_.KillAndWait(SIGKILL);
    report_.timeline.sandbox_restarts_ms.push_back(SinceStart());
    ++report_.sandbox_restarts;
    Log("sandbox SIGKILLed; restarting on port " + std::to_string(port_));
    return StartSandbox(report_.sandbox_restarts);
  }

  Status StartWorker() {
    int n = report_.worker_starts++;
    std::vector<std::string> argv = {o_.idem_binary,
                                     "worker",
                                     "--exit-when-idle",
                                     "--journal",
                                     journal_,
                                     "--base-url",
                                     base_url_,
                                     "--api-key",
                                     kApiKey,
                                     "--lease-ms",
                                     std::to_string(o_.lease.count()),
                                     "--concurrency",
                                     std::to_string(o_.worker_concurrency),
                                     "--poll-ms",
                                     "50",
                                     "--timeout-ms",
                                     "3000",
                                     "--max-attempts",
                                     "20",
                                     "--backoff-base-ms",
                                     "20",
                                     "--backoff-cap-ms",
                                     "500"};
    if (o_.profile == "ideal" && !o_.no_idempotency) {
      // That sandbox deduplicates every kind by key: replays settle them.
      argv.push_back("--keyed-kinds");
      argv.push_back("all");
    }
    auto child = chaos::Child::Spawn(argv, dir_ + "/worker-" + std::to_string(n) + ".log", false);
    if (!child) return tl::unexpected(child.error());
    workers_.push_back(std::move(*child));
    return {};
  }

  // A session for an update_status or delete_session op to work on, made
  // (and for update_status moved to In Review, from which Didit allows an
  // update) before the workers start. The sandbox already injects faults, so
  // this does what idem does: after a failed create it looks the session up
  // by vendor_data before creating again (a server without dedup would
  // otherwise hold two).
  Result<std::string> PrepareSession(Transport& transport, const std::string& vendor_data,
                                     bool to_review) {
    HttpRequest create;
    create.method = "POST";
    create.url = base_url_ + "/v3/session/";
    create.headers = {{"x-api-key", kApiKey}, {"Content-Type", "application/json"}};
    create.body = nlohmann::json{{"workflow_id", kWorkflowId}, {"vendor_data", vendor_data}}.dump();
    HttpRequest find;
    find.method = "GET";
    find.url = base_url_ + "/v3/sessions/?vendor_data=" + vendor_data;  // ids are URL-safe
    find.headers = {{"x-api-key", kApiKey}};
    auto id_in = [](const nlohmann::json& object) {
      return object.is_object() && object.contains("session_id") && object["session_id"].is_string()
                 ? object["session_id"].get<std::string>()
                 : std::string();
    };
    std::string session_id;
    bool sent = false;
    for (int attempt = 0; attempt < 100 && session_id.empty(); ++attempt) {
      if (sent) {
        auto listed = transport.SendAndWait(find);
        if (!listed || listed->status != 200) continue;
        auto body = nlohmann::json::parse(listed->body, nullptr, false);
        if (!body.is_object() || !body.contains("results") || !body["results"].is_array()) {
          continue;
        }
        if (!body["results"].empty()) {
          session_id = id_in(body["results"][0]);
          break;
        }
      }
      sent = true;
      auto r = transport.SendAndWait(create);
      if (r && r->status == 201) {
        session_id = id_in(nlohmann::json::parse(r->body, nullptr, false));
      }
    }
    if (session_id.empty()) {
      return MakeError(ErrorCode::kUnavailable, "could not prepare a session for " + vendor_data);
    }
    if (to_review) {
      HttpRequest advance;
      advance.method = "POST";
      advance.url = base_url_ + "/_sandbox/sessions/" + session_id + "/advance";
      advance.headers = {{"Content-Type", "application/json"}};
      advance.body = R"({"status":"In Review"})";
      auto r = transport.SendAndWait(std::move(advance));
      if (!r || r->status != 200) {
        return MakeError(ErrorCode::kUnavailable, "could not advance session " + session_id);
      }
    }
    return session_id;
  }

  // The op request of op `id` of `kind` (vendor_data = id, so the sandbox's
  // executions name their op).
  Result<OpRequest> MakeOp(Transport& transport, const std::string& kind, const std::string& id,
                           std::size_t i) {
    const didit::CallOptions call{.op_id = id};
    auto image = [&](const char* what) {
      return didit::FilePart::FromBytes("chaos " + std::string(what) + " " + std::to_string(i),
                                        std::string(what) + ".jpg", "image/jpeg");
    };
    if (kind == "create_session") {
      didit::CreateSessionRequest session;
      session.workflow_id = kWorkflowId;
      session.vendor_data = id;
      return didit::CreateSessionOp(session, call);
    }
    if (kind == "update_status" || kind == "delete_session") {
      auto session = PrepareSession(transport, id, kind == "update_status");
      if (!session) return tl::unexpected(session.error());
      if (kind == "delete_session") return didit::DeleteSessionOp(*session, call);
      didit::UpdateStatusRequest update;
      update.new_status = didit::SessionStatus::kApproved;
      return didit::UpdateStatusOp(*session, update, call);
    }
    if (kind == "aml") {
      didit::AmlRequest aml;
      aml.full_name = "Chaos Person " + std::to_string(i);
      aml.vendor_data = id;
      return didit::AmlScreeningOp(aml, call);
    }
    if (kind == "passive_liveness") {
      didit::PassiveLivenessRequest check;
      check.user_image = image("face");
      check.vendor_data = id;
      return didit::PassiveLivenessOp(check, call);
    }
    if (kind == "face_match") {
      didit::FaceMatchRequest check;
      check.user_image = image("face");
      check.ref_image = image("reference");
      check.vendor_data = id;
      return didit::FaceMatchOp(check, call);
    }
    if (kind == "id_verification") {
      didit::IdVerificationRequest check;
      check.front_image = image("document");
      check.vendor_data = id;
      return didit::IdVerificationOp(check, call);
    }
    if (kind == "poa") {
      didit::PoaRequest check;
      check.document = didit::FilePart::FromBytes("chaos bill " + std::to_string(i), "bill.pdf",
                                                  "application/pdf");
      check.vendor_data = id;
      return didit::PoaOp(check, call);
    }
    if (kind == "face_search") {
      didit::FaceSearchRequest check;
      check.user_image = image("face");
      check.vendor_data = id;
      return didit::FaceSearchOp(check, call);
    }
    if (kind == "age_estimation") {
      didit::AgeEstimationRequest check;
      check.user_image = image("face");
      check.vendor_data = id;
      return didit::AgeEstimationOp(check, call);
    }
    if (kind == "database_validation") {
      didit::DatabaseValidationRequest check;
      check.issuing_state = "ESP";
      check.identification_number = "CHAOS" + std::to_string(i);
      check.vendor_data = id;
      return didit::DatabaseValidationOp(check, call);
    }
    return MakeError(ErrorCode::kInvalidArgument, "chaos: unknown kind '" + kind + "'");
  }

  // The run's ops, kinds in turn, sessions for updates and deletes prepared
  // on this harness's sandbox.
  Result<std::vector<OpRequest>> MakeWorkload() {
    const std::string prefix = OpPrefix();
    auto transport = MakeCurlTransport();
    std::vector<OpRequest> ops;
    for (const std::string& kind : o_.kinds) report_.per_kind.push_back({.kind = kind});
    for (std::size_t i = 0; i < o_.ops; ++i) {
      const std::size_t k = i % o_.kinds.size();
      auto request = MakeOp(*transport, o_.kinds[k], prefix + std::to_string(i), i);
      if (!request) return tl::unexpected(request.error());
      ops.push_back(std::move(*request));
      ++report_.per_kind[k].ops;
      if (o_.kinds[k] == "aml") ++report_.aml_ops;
      if (o_.kinds[k] == "create_session") ++report_.session_ops;
    }
    report_.ops = o_.ops;
    return ops;
  }

  Status Enqueue(Journal& journal) {
    auto ops = MakeWorkload();
    if (!ops) return tl::unexpected(ops.error());
    for (OpRequest& request : *ops) {
      auto op = idem::Enqueue(journal, std::move(request));
      if (!op) return tl::unexpected(op.error());
    }
    return {};
  }

  ChaosKindReport& KindReport(const std::string& kind) {
    for (ChaosKindReport& k : report_.per_kind) {
      if (k.kind == kind) return k;
    }
    report_.per_kind.push_back({.kind = kind});
    return report_.per_kind.back();
  }

  // The sandbox's executions per op of the run (keyed by op id, which is the
  // op's vendor_data), counting only executions of the op's own kind: the
  // sessions prepared for updates and deletes carry their vendor_data too.
  // Anything else with the run's prefix is stray.
  std::map<std::string, std::size_t> ExecutionsPerOp(
      const nlohmann::json& executions, const std::map<std::string, std::string>& kind_of) {
    std::map<std::string, std::size_t> per_op;
    for (const auto& e : executions["executions"]) {
      const std::string vendor = e.contains("vendor_data") && e["vendor_data"].is_string()
                                     ? e["vendor_data"].get<std::string>()
                                     : std::string();
      const std::string kind = e.value("kind", "");
      auto op = kind_of.find(vendor);
      if (op == kind_of.end()) {
        ++report_.stray_executions;
        continue;
      }
      if (op->second != kind) {
        const bool prepared = kind == "create_session" &&
                              (op->second == "update_status" || op->second == "delete_session");
        if (!prepared) ++report_.stray_executions;
        continue;
      }
      ++per_op[vendor];
      ++report_.executions;
    }
    return per_op;
  }

  // The naive client on this (fresh) harness's sandbox: the same workload,
  // no key, no journal, no look-up, retried on any failure. No kills: it has
  // nothing to resume from.
  Status RunNaive() {
    auto ops = MakeWorkload();
    if (!ops) return tl::unexpected(ops.error());
    auto transport = MakeCurlTransport();
    chaos::NaiveOptions naive;
    naive.base_url = base_url_;
    naive.api_key = kApiKey;
    naive.concurrency = static_cast<std::size_t>(o_.concurrency * o_.worker_concurrency);
    const std::vector<bool> succeeded = chaos::SendNaively(*transport, *ops, naive);
    auto executions = GetJson(*chaos::MakeSandboxReadTransport(), "/_sandbox/executions");
    if (!executions) return tl::unexpected(executions.error());
    CountFaults();
    std::map<std::string, std::string> kind_of;
    for (const OpRequest& op : *ops) kind_of[op.op_id] = op.kind;
    auto per_op = ExecutionsPerOp(*executions, kind_of);
    for (std::size_t i = 0; i < ops->size(); ++i) {
      const OpRequest& op = (*ops)[i];
      ChaosKindReport& kind = KindReport(op.kind);
      const std::size_t n = per_op.count(op.op_id) ? per_op[op.op_id] : 0;
      kind.executions += n;
      if (n > 1) {
        kind.duplicates += n - 1;
        report_.duplicates += n - 1;
      }
      if (n == 0) {
        ++kind.lost;
        ++report_.lost;
      }
      if (succeeded[i]) {
        ++kind.succeeded;
        ++report_.succeeded;
      } else {
        ++kind.failed;
        ++report_.failed;
      }
    }
    return {};
  }

  std::string OpPrefix() const { return "chaos-" + std::to_string(o_.seed) + "-"; }

  // Ops of the run still to be driven (not final, not stopped for review),
  // from the journal; nullopt on a journal error (the caller just tries
  // again on the next tick). Each answer is also a point of the progress
  // chart, at most one per kSampleEvery unless `force_sample`.
  std::optional<std::size_t> Unfinished(Journal& journal, bool force_sample = false) {
    auto ops = ListUnfinished(journal);
    if (!ops) return std::nullopt;
    const auto left = static_cast<std::size_t>(std::count_if(
        ops->begin(), ops->end(), [](const Operation& op) { return !op.needs_review; }));
    if (force_sample || Steady::now() - last_sample_ >= kSampleEvery) {
      last_sample_ = Steady::now();
      report_.timeline.progress.push_back({SinceStart(), o_.ops - std::min(o_.ops, left)});
    }
    return left;
  }

  // Kills and restarts until every worker exited idle or the deadline. The
  // kills are placed by progress, not by time, so that they land while work
  // is left whatever the machine's speed: kill i fires once a seeded fraction
  // (5%..85%, sorted) of the ops is final, at least kill_gap after the
  // previous one (so its replacement has started).
  void Drive(Journal& journal, Steady::time_point deadline) {
    SeededRandom random(o_.seed);
    std::vector<std::size_t> thresholds;
    for (int i = 0; i < o_.kills; ++i) {
      thresholds.push_back(static_cast<std::size_t>(static_cast<double>(o_.ops) *
                                                    (0.05 + 0.80 * random.NextDouble())));
    }
    std::sort(thresholds.begin(), thresholds.end());
    // The sandbox restart comes right after a seeded one of the kills (or
    // at a seeded point of progress when there are none).
    const int restart_after = o_.restart_sandbox
                                  ? static_cast<int>(random.NextInRange(
                                        0, static_cast<std::uint64_t>(std::max(0, o_.kills - 1))))
                                  : -1;
    const std::size_t restart_threshold =
        static_cast<std::size_t>(static_cast<double>(o_.ops) * (0.05 + 0.80 * random.NextDouble()));
    bool restarted = !o_.restart_sandbox;
    auto last_kill = Steady::now();
    auto last_idle_start = Steady::now() - milliseconds(1000);
    auto last_progress = Steady::now();
    for (;;) {
      if (o_.progress && Steady::now() - last_progress >= milliseconds(1000)) {
        last_progress = Steady::now();
        if (auto left = Unfinished(journal)) o_.progress(o_.ops - std::min(o_.ops, *left), o_.ops);
      }
      for (auto& w : workers_) {
        // 3: idle with unknown ops left (the API was down for a while); the
        // next round of workers drives them again.
        if (w.running() && w.Poll() && *w.exit_code() != 0 && *w.exit_code() != 3) {
          ++report_.worker_failures;
          Log("a worker exited with " + std::to_string(*w.exit_code()));
        }
      }
      std::vector<std::size_t> live;
      for (std::size_t i = 0; i < workers_.size(); ++i) {
        if (workers_[i].running()) live.push_back(i);
      }
      if (live.empty()) {
        // Workers exit when nothing can be driven *now*: ops they gave up
        // wait out the worker's unknown retry delay (1 s). Another round
        // takes them, until none is left or the deadline.
        auto left = Unfinished(journal);
        if (!left || *left == 0) return;
        if (Steady::now() > deadline) {
          report_.timed_out = true;
          Log("deadline passed with " + std::to_string(*left) + " ops unfinished");
          return;
        }
        if (Steady::now() - last_idle_start >= milliseconds(1000)) {
          last_idle_start = Steady::now();
          Log("every worker is idle with " + std::to_string(*left) +
              " ops unfinished: starting another");
          if (auto st = StartWorker(); !st) {
            Log("cannot start a worker: " + st.error().message());
            return;
          }
        }
        std::this_thread::sleep_for(milliseconds(20));
        continue;
      }
      if (Steady::now() > deadline) {
        report_.timed_out = true;
        Log("deadline passed: stopping the workers");
        for (auto& w : workers_) w.KillAndWait(SIGKILL);
        return;
      }
      const bool kills_left = report_.kills < o_.kills;
      // With no kill or restart left to place, progress is read only for
      // the chart.
      if (!kills_left && restarted && Steady::now() - last_sample_ >= kSampleEvery) {
        Unfinished(journal);
      }
      if (kills_left || !restarted) {
        auto unfinished = Unfinished(journal);
        const std::size_t done =
            unfinished ? o_.ops - std::min(o_.ops, *unfinished) : std::size_t{0};
        if (kills_left && unfinished && done >= thresholds[report_.kills] &&
            Steady::now() - last_kill >= o_.kill_gap) {
          std::size_t victim = live[random.NextInRange(0, live.size() - 1)];
          workers_[victim].KillAndWait(SIGKILL);
          last_kill = Steady::now();
          report_.timeline.kills.push_back({SinceStart(), done, static_cast<int>(victim)});
          ++report_.kills;
          Log("SIGKILL worker " + std::to_string(victim) + " at " + std::to_string(done) + "/" +
              std::to_string(o_.ops) + " ops final (kill " + std::to_string(report_.kills) + "/" +
              std::to_string(o_.kills) + ")");
          if (auto st = StartWorker(); !st) Log("cannot start a worker: " + st.error().message());
        }
        const bool restart_due = o_.kills == 0 ? (unfinished && done >= restart_threshold)
                                               : report_.kills > restart_after;
        if (!restarted && restart_due) {
          restarted = true;
          if (auto st = RestartSandbox(); !st) {
            Log("sandbox restart failed: " + st.error().message());
            for (auto& w : workers_) w.KillAndWait(SIGKILL);
            report_.timed_out = true;
            return;
          }
        }
      }
      std::this_thread::sleep_for(milliseconds(20));
    }
  }

  Result<nlohmann::json> GetJson(Transport& transport, const std::string& path) {
    return chaos::GetSandboxJson(transport, base_url_, path);
  }

  Status Verify(Journal& journal) {
    auto transport = chaos::MakeSandboxReadTransport();
    auto executions = GetJson(*transport, "/_sandbox/executions");
    if (!executions) return tl::unexpected(executions.error());
    auto stats = GetJson(*transport, "/_sandbox/stats");
    if (!stats) return tl::unexpected(stats.error());
    report_.duplicate_vendor_data = stats->value("duplicate_vendor_data", std::int64_t{0});
    report_.duplicate_executions = stats->value("duplicate_executions", std::int64_t{0});
    CountFaults();

    const std::string prefix = OpPrefix();
    auto ops = journal.List({});
    if (!ops) return tl::unexpected(ops.error());
    std::map<std::string, const Operation*> by_id;
    std::map<std::string, std::string> kind_of;
    for (const Operation& op : *ops) {
      if (op.op_id.rfind(prefix, 0) != 0) continue;
      by_id[op.op_id] = &op;
      kind_of[op.op_id] = op.kind;
    }
    auto per_op = ExecutionsPerOp(*executions, kind_of);
    std::size_t seen = 0;
    for (const auto& [id, op] : by_id) {
      ++seen;
      ChaosKindReport* kind = &KindReport(op->kind);
      const auto attempts = static_cast<std::size_t>(std::max(0, op->attempts));
      report_.attempts += attempts;
      if (report_.attempts_per_op.size() <= attempts) report_.attempts_per_op.resize(attempts + 1);
      ++report_.attempts_per_op[attempts];
      const bool final_state = op->state == OpState::kSucceeded || op->state == OpState::kFailed;
      if (final_state && op->first_sent_ms > 0 && op->updated_ms >= op->first_sent_ms) {
        report_.timeline.op_latency_ms.push_back(op->updated_ms - op->first_sent_ms);
      }
      const std::size_t n = per_op.count(id) ? per_op[id] : 0;
      kind->executions += n;
      if (n > 1) {
        report_.duplicates += n - 1;
        kind->duplicates += n - 1;
      }
      switch (op->state) {
        case OpState::kSucceeded:
          ++report_.succeeded;
          ++kind->succeeded;
          if (n == 0) {
            ++report_.succeeded_without_execution;
            ++kind->lost;
          }
          break;
        case OpState::kFailed:
          ++report_.failed;
          ++kind->failed;
          break;
        default:
          if (op->needs_review && op->state == OpState::kUnknown) {
            ++report_.unknown;
            ++kind->unknown;
          } else {
            ++report_.not_final;
            ++kind->lost;
          }
          break;
      }
    }
    // An op the journal does not even hold is lost too.
    report_.not_final += o_.ops > seen ? o_.ops - seen : 0;
    report_.lost = report_.not_final + report_.succeeded_without_execution;
    report_.retries = report_.attempts > seen ? report_.attempts - seen : 0;
    return {};
  }

  void StopSandbox() { sandbox_.KillAndWait(SIGTERM); }

  ChaosOptions o_;
  std::string dir_;
  Steady::time_point t0_ = Steady::now();
  Steady::time_point last_sample_{};
  std::string journal_;
  std::string base_url_;
  int port_ = 0;
  chaos::Child sandbox_;
  std::vector<chaos::Child> workers_;
  ChaosReport report_;
};

}  // namespace

std::vector<std::string> DefaultChaosKinds() {
  std::vector<std::string> kinds;
  for (const didit::EndpointProfile& e : didit::DiditEndpoints()) {
    if (ChaosDrives(e.kind)) kinds.emplace_back(e.kind);
  }
  return kinds;
}

[[nodiscard]] Result<ChaosReport> RunChaos(ChaosOptions o) {
  if (o.ops == 0) return MakeError(ErrorCode::kInvalidArgument, "chaos needs at least one op");
  if (o.concurrency < 1 || o.worker_concurrency < 1 || o.kills < 0) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "concurrency and worker concurrency must be >= 1, kills >= 0");
  }
  if (o.lease.count() < 3) return MakeError(ErrorCode::kInvalidArgument, "lease must be >= 3 ms");
  if (o.profile != "didit" && o.profile != "ideal") {
    return MakeError(ErrorCode::kInvalidArgument, "profile must be didit or ideal");
  }
  if (o.kinds.empty()) {
    for (std::string& kind : DefaultChaosKinds()) {
      // Without any server key, an AML replay may execute twice: only on
      // purpose (billed_without_keys).
      if (kind == "aml" && o.no_idempotency && !o.billed_without_keys) continue;
      o.kinds.push_back(std::move(kind));
    }
  }
  for (const std::string& kind : o.kinds) {
    if (!didit::FindDiditEndpoint(kind)) {
      return MakeError(ErrorCode::kInvalidArgument, "chaos: unknown kind '" + kind + "'");
    }
    if (!ChaosDrives(kind)) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "chaos: kind '" + kind + "' is sent again by design, not driven by chaos");
    }
  }
  if (o.seed == 0) {
    std::random_device rd;
    o.seed = (static_cast<std::uint64_t>(rd()) << 32 | rd()) % 1000000000 + 1;
  }
  if (o.idem_binary.empty()) o.idem_binary = SelfExe();
  if (o.idem_binary.empty() || access(o.idem_binary.c_str(), X_OK) != 0) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "cannot run the idem binary '" + o.idem_binary + "'");
  }
  const bool own_dir = o.work_dir.empty();
  if (own_dir) {
    auto dir = MakeWorkDir();
    if (!dir) return tl::unexpected(dir.error());
    o.work_dir = *dir;
  }
  const auto started = Steady::now();
  Harness h(o, o.work_dir);
  h.t0_ = started;
  h.report_.seed = o.seed;
  h.report_.profile = o.profile;
  h.report_.no_idempotency = o.no_idempotency;
  h.report_.kills_requested = o.kills;
  h.report_.work_dir = o.work_dir;
  h.journal_ = o.journal.empty() ? o.work_dir + "/journal.db" : o.journal;
  h.report_.journal_kind = IsPostgresUrl(h.journal_) ? "postgres" : "sqlite";
  h.Log("seed " + std::to_string(o.seed) + ", work dir " + o.work_dir);

  // Process crashes are what this run makes, not power loss: the enqueuer
  // skips the fsync per commit (the workers use the default).
  JournalOptions journal_options;
  journal_options.durability = Durability::kProcessCrash;
  auto journal = OpenJournal(h.journal_, journal_options);
  if (!journal) return tl::unexpected(journal.error());
  if (auto st = h.StartSandbox(0); !st) return tl::unexpected(st.error());
  h.Log("sandbox at " + h.base_url_);
  if (auto st = h.Enqueue(**journal); !st) return tl::unexpected(st.error());
  h.Log("enqueued " + std::to_string(o.ops) + " ops");
  for (int i = 0; i < o.concurrency; ++i) {
    if (auto st = h.StartWorker(); !st) return tl::unexpected(st.error());
  }
  h.report_.timeline.drive_started_ms = h.SinceStart();
  h.Unfinished(**journal, /*force_sample=*/true);
  h.Drive(**journal, started + o.deadline);
  h.Unfinished(**journal, /*force_sample=*/true);  // where the run ended
  auto verified = h.Verify(**journal);
  h.StopSandbox();
  if (!verified) return tl::unexpected(verified.error());
  h.report_.elapsed_ms = std::chrono::duration_cast<milliseconds>(Steady::now() - started).count();
  if (o.naive) {
    // The same workload (same ids, same faults and seed) on a fresh sandbox.
    Harness naive(o, o.work_dir + "/naive");
    std::error_code ec;
    fs::create_directories(naive.dir_, ec);
    if (ec) return MakeError(ErrorCode::kIo, "cannot create " + naive.dir_);
    h.Log("naive client: the same workload on a fresh sandbox");
    if (auto st = naive.StartSandbox(0); !st) return tl::unexpected(st.error());
    auto ran = naive.RunNaive();
    naive.StopSandbox();
    if (!ran) return tl::unexpected(ran.error());
    h.report_.has_naive = true;
    h.report_.naive_per_kind = naive.report_.per_kind;
    h.report_.naive_executions = naive.report_.executions;
    h.report_.naive_duplicates = naive.report_.duplicates;
    h.report_.naive_lost = naive.report_.lost;
  }
  if (own_dir && h.report_.passed() && !o.keep_files) {
    std::error_code ec;
    fs::remove_all(o.work_dir, ec);
    h.report_.work_dir.clear();
  }
  return h.report_;
}

}  // namespace idem
