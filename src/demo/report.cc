// The demo report as text (two columns: idem | naive) and as JSON.
#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "demo/demo.h"

namespace idem {

namespace {

std::string Num(std::uint64_t n) { return std::to_string(n); }
std::string Fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

void Row(std::ostringstream& out, const std::string& label, const std::string& idem,
         const std::string& naive) {
  char buf[256];
  std::snprintf(buf, sizeof buf, "  %-34s %14s  %14s\n", label.c_str(), idem.c_str(),
                naive.c_str());
  out << buf;
}

nlohmann::json RunJson(const DemoRunReport& r) {
  return nlohmann::json{
      {"ops", r.ops},
      {"sessions", r.sessions},
      {"aml_checks", r.aml_checks},
      {"poa_checks", r.poa_checks},
      {"age_checks", r.age_checks},
      {"executions", r.executions},
      {"duplicates", r.duplicates},
      {"duplicate_sessions", r.duplicate_sessions},
      {"duplicate_aml", r.duplicate_aml},
      {"duplicate_poa", r.duplicate_poa},
      {"duplicate_age", r.duplicate_age},
      {"session_executions", r.session_executions},
      {"aml_executions", r.aml_executions},
      {"poa_executions", r.poa_executions},
      {"age_executions", r.age_executions},
      {"lost", r.lost},
      {"requests", r.requests},
      {"retries", r.retries},
      {"replays", r.replays},
      {"conflicts_409", r.conflicts_409},
      {"mismatches_422", r.mismatches_422},
      {"rate_limited_429", r.rate_limited_429},
      {"faults_injected", r.faults_injected},
      {"faults_by_kind", r.faults_by_kind},
      {"vendor_dedup_hits", r.vendor_dedup_hits},
      {"lookups", r.lookups},
      {"lookups_reconciled", r.lookups_reconciled},
      {"unknown_after_drive", r.unknown_after_drive},
      {"healed_by_webhook", r.healed_by_webhook},
      {"resumed", r.resumed},
      {"webhooks_received", r.webhooks_received},
      {"webhooks_stored", r.webhooks_stored},
      {"webhooks_deduped", r.webhooks_deduped},
      {"p50_ms", r.p50_ms},
      {"p99_ms", r.p99_ms},
      {"seconds", r.seconds},
      {"ops_per_s", r.ops_per_s},
      {"attempts_per_op", r.attempts_per_op},
  };
}

}  // namespace

std::string DemoReportText(const DemoReport& report) {
  const DemoRunReport& i = report.idem;
  const DemoRunReport& n = report.naive;
  const bool nv = report.has_naive;
  auto naive = [&](const std::string& s) { return nv ? s : std::string("-"); };
  std::ostringstream out;
  out << "idem demo: " << i.sessions << " CreateSession + " << i.aml_checks << " AmlScreening + "
      << i.poa_checks << " ProofOfAddress + " << i.age_checks << " AgeEstimation ops, "
      << report.concurrency << " in flight, seed " << report.seed << "\n";
  out << "sandbox faults: " << report.faults << "\n";
  out << "webhook faults: " << report.webhook_faults << "\n\n";
  Row(out, "", "idem", "naive client");
  Row(out, "logical ops", Num(i.ops), naive(Num(n.ops)));
  Row(out, "executions on the server", Num(i.executions), naive(Num(n.executions)));
  auto split = [](const DemoRunReport& r) {
    return Num(r.duplicates) + " (" + Num(r.duplicate_sessions) + "/" + Num(r.duplicate_aml) + "/" +
           Num(r.duplicate_poa) + "/" + Num(r.duplicate_age) + ")";
  };
  Row(out, "duplicates (sessions/AML/PoA/age)", split(i), naive(split(n)));
  Row(out, "lost", Num(i.lost), naive(Num(n.lost)));
  Row(out, "requests the server saw", Num(i.requests), naive(Num(n.requests)));
  Row(out, "retries", Num(i.retries), naive(Num(n.retries)));
  Row(out, "faults injected", Num(i.faults_injected), naive(Num(n.faults_injected)));
  Row(out, "idempotent replays", Num(i.replays), "-");
  Row(out, "409 / 422 seen", Num(i.conflicts_409) + " / " + Num(i.mismatches_422), "-");
  Row(out, "429 rate-limited", Num(i.rate_limited_429), naive(Num(n.rate_limited_429)));
  Row(out, "vendor_data dedup hits", Num(i.vendor_dedup_hits), naive(Num(n.vendor_dedup_hits)));
  Row(out, "look-ups that reconciled", Num(i.lookups_reconciled) + " of " + Num(i.lookups), "-");
  Row(out, "unknown after the drive", Num(static_cast<std::uint64_t>(i.unknown_after_drive)), "-");
  Row(out, "lost responses healed by webhook", Num(i.healed_by_webhook), "-");
  Row(out, "settled by resume", Num(static_cast<std::uint64_t>(i.resumed)), "-");
  Row(out, "webhooks received (deduped)",
      Num(i.webhooks_received) + " (" + Num(i.webhooks_deduped) + ")", "-");
  Row(out, "latency p50 / p99 ms", Fixed(i.p50_ms, 0) + " / " + Fixed(i.p99_ms, 0),
      naive(Fixed(n.p50_ms, 0) + " / " + Fixed(n.p99_ms, 0)));
  Row(out, "throughput ops/s", Fixed(i.ops_per_s, 0), naive(Fixed(n.ops_per_s, 0)));
  out << "\n";
  if (i.duplicates == 0 && i.lost == 0) {
    out << "idem: exactly once. " << i.ops << " ops, " << i.executions
        << " executions, 0 duplicates, 0 lost.\n";
  } else {
    out << "idem: NOT exactly once: " << i.duplicates << " duplicates, " << i.lost << " lost (seed "
        << report.seed << " replays this run).\n";
  }
  if (nv) {
    out << "naive: " << n.duplicates << " duplicate executions ("
        << n.duplicate_aml + n.duplicate_poa + n.duplicate_age
        << " extra charges for billed checks), " << n.lost << " lost.\n";
  }
  out << "(counted from the sandbox's execution records and the journal; "
      << Fixed(report.total_seconds, 1) << " s in all)\n";
  return out.str();
}

std::string DemoReportJson(const DemoReport& report) {
  nlohmann::json j = RunJson(report.idem);
  j["seed"] = report.seed;
  j["faults"] = report.faults;
  j["webhook_faults"] = report.webhook_faults;
  j["concurrency"] = report.concurrency;
  j["total_seconds"] = report.total_seconds;
  if (report.has_naive) j["naive"] = RunJson(report.naive);
  return j.dump();
}

std::string DemoProgressLine(const DemoProgress& p) {
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "[%s] %-8s %5d/%-5d ops  %6llu requests  %5llu retries  %6.0f ops/s  %5.1f s",
                p.run.c_str(), p.phase.c_str(), p.done, p.total,
                static_cast<unsigned long long>(p.requests),
                static_cast<unsigned long long>(p.retries), p.ops_per_s, p.elapsed_s);
  return buf;
}

}  // namespace idem
