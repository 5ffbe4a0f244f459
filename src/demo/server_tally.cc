#include "demo/server_tally.h"

#include <map>
#include <nlohmann/json.hpp>
#include <utility>

namespace idem::demo {

namespace {
// The tally's counters of a workload kind; nullptr for any other kind
// (auto-complete status changes and the like).
std::pair<int*, int*> CountersOf(ServerTally& t, const std::string& kind) {
  if (kind == "create_session") return {&t.session_executions, &t.duplicate_sessions};
  if (kind == "aml") return {&t.aml_executions, &t.duplicate_aml};
  if (kind == "poa") return {&t.poa_executions, &t.duplicate_poa};
  if (kind == "age_estimation") return {&t.age_executions, &t.duplicate_age};
  return {nullptr, nullptr};
}

std::uint64_t U64(const nlohmann::json& j, const char* name) {
  auto it = j.find(name);
  if (it == j.end() || !it->is_number()) return 0;
  return it->get<std::uint64_t>();
}
}  // namespace

[[nodiscard]] Result<ServerTally> TallyExecutions(const std::string& executions_json,
                                                  const std::vector<WorkItem>& items) {
  auto doc = nlohmann::json::parse(executions_json, nullptr, false);
  if (!doc.is_object() || !doc.contains("executions") || !doc["executions"].is_array()) {
    return MakeError(ErrorCode::kCorruption, "sandbox executions: unexpected JSON");
  }
  std::map<std::pair<std::string, std::string>, int> count;
  ServerTally tally;
  for (const auto& e : doc["executions"]) {
    if (!e.is_object()) continue;
    std::string kind = e.value("kind", "");
    int* executions = CountersOf(tally, kind).first;
    if (executions == nullptr) continue;  // auto-complete etc.
    std::string vendor_data = e.contains("vendor_data") && e["vendor_data"].is_string()
                                  ? e["vendor_data"].get<std::string>()
                                  : "";
    ++tally.executions;
    ++*executions;
    ++count[{kind, vendor_data}];
  }
  tally.executed.resize(items.size(), false);
  for (std::size_t i = 0; i < items.size(); ++i) {
    auto it = count.find({items[i].kind, items[i].vendor_data});
    int n = it == count.end() ? 0 : it->second;
    tally.executed[i] = n > 0;
    if (n == 0) ++tally.never_executed;
    if (int* duplicates = CountersOf(tally, items[i].kind).second; n > 1 && duplicates) {
      *duplicates += n - 1;
    }
  }
  return tally;
}

[[nodiscard]] Status ApplyStats(const std::string& stats_json, DemoRunReport& run) {
  auto j = nlohmann::json::parse(stats_json, nullptr, false);
  if (!j.is_object()) return MakeError(ErrorCode::kCorruption, "sandbox stats: not JSON");
  run.requests = U64(j, "requests");
  run.replays = U64(j, "replays");
  run.conflicts_409 = U64(j, "conflicts_409");
  run.mismatches_422 = U64(j, "mismatches_422");
  run.rate_limited_429 = U64(j, "rate_limited_429");
  run.vendor_dedup_hits = U64(j, "vendor_dedup_hits");
  run.faults_injected = 0;
  run.faults_by_kind.clear();
  if (auto f = j.find("faults"); f != j.end() && f->is_object()) {
    for (const auto& [name, n] : f->items()) {
      if (!n.is_number()) continue;
      run.faults_injected += n.get<std::uint64_t>();
      run.faults_by_kind[name] = n.get<std::uint64_t>();
    }
    // Injected 429s are faults, the real limiter's are counted apart: show both.
    if (auto r = f->find("rate_limit"); r != f->end() && r->is_number()) {
      run.rate_limited_429 += r->get<std::uint64_t>();
    }
  }
  return {};
}

[[nodiscard]] Result<ServerTally> TallyRun(Sandbox& sandbox, const std::vector<WorkItem>& items,
                                           DemoRunReport& run) {
  auto tally = TallyExecutions(sandbox.ExecutionsJson(), items);
  if (!tally) return tl::unexpected(tally.error());
  if (auto stats = ApplyStats(sandbox.StatsJson(), run); !stats) {
    return tl::unexpected(stats.error());
  }
  run.ops = static_cast<int>(items.size());
  for (const WorkItem& item : items) {
    ++(item.kind == "aml"              ? run.aml_checks
       : item.kind == "poa"            ? run.poa_checks
       : item.kind == "age_estimation" ? run.age_checks
                                       : run.sessions);
  }
  run.executions = tally->executions;
  run.session_executions = tally->session_executions;
  run.aml_executions = tally->aml_executions;
  run.poa_executions = tally->poa_executions;
  run.age_executions = tally->age_executions;
  run.duplicate_sessions = tally->duplicate_sessions;
  run.duplicate_aml = tally->duplicate_aml;
  run.duplicate_poa = tally->duplicate_poa;
  run.duplicate_age = tally->duplicate_age;
  run.duplicates =
      run.duplicate_sessions + run.duplicate_aml + run.duplicate_poa + run.duplicate_age;
  return tally;
}

}  // namespace idem::demo
