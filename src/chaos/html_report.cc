// RenderChaosReportHtml: the chaos report as one HTML page with inline SVG
// charts. Every number comes from the ChaosReport (the same fields
// `idem chaos --json` prints); the charts carry them as data- attributes so
// tests compare them with the JSON instead of trusting the drawing.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <string>
#include <string_view>
#include <vector>

#include "chaos/chaos.h"
#include "report/html_page.h"
#include "report/svg.h"

namespace idem {
namespace {

using svg::FormatNumber;

constexpr const char* kOpsColor = "#9c9c9c";
constexpr const char* kIdemColor = "#4e79a7";
constexpr const char* kNaiveColor = "#e15759";
constexpr const char* kKillColor = "#d62728";
constexpr const char* kRestartColor = "#7b3fa0";
constexpr const char* kPhaseColor = "#777777";

std::string N(std::size_t n) { return std::to_string(n); }
std::string N(std::int64_t n) { return std::to_string(n); }
std::string N(int n) { return std::to_string(n); }
std::string B(bool b) { return b ? "true" : "false"; }

std::string Join(const std::vector<std::string>& parts, const char* sep) {
  std::string s;
  for (const std::string& p : parts) s += (s.empty() ? "" : sep) + p;
  return s;
}

// A word a POSIX shell reads back as itself.
std::string ShellWord(const std::string& s) {
  const bool plain = !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) ||
           std::string_view("_-=.,:@/+").find(c) != std::string_view::npos;
  });
  if (plain) return s;
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

std::vector<std::string> KindNames(const ChaosReport& r) {
  std::vector<std::string> kinds;
  for (const ChaosKindReport& k : r.per_kind) kinds.push_back(k.kind);
  return kinds;
}

// The command that replays this run: same seed, same flags.
std::string ReplayCommand(const ChaosReport& r, const ChaosOptions& o) {
  std::vector<std::string> args = {"idem",
                                   "chaos",
                                   "--seed",
                                   std::to_string(r.seed),
                                   "--ops",
                                   N(r.ops),
                                   "--concurrency",
                                   N(o.concurrency),
                                   "--worker-concurrency",
                                   N(o.worker_concurrency),
                                   "--kills",
                                   N(r.kills_requested),
                                   "--faults",
                                   ShellWord(o.faults),
                                   "--kinds",
                                   ShellWord(Join(KindNames(r), ",")),
                                   "--profile",
                                   ShellWord(r.profile),
                                   "--lease-ms",
                                   N(static_cast<std::int64_t>(o.lease.count()))};
  if (r.no_idempotency) args.push_back("--no-idempotency");
  if (o.billed_without_keys) args.push_back("--billed-without-keys");
  if (r.has_naive) args.push_back("--naive");
  return Join(args, " ");
}

std::string Verdict(const ChaosReport& r) {
  std::vector<std::string> why;
  if (r.duplicates > 0) why.push_back(N(r.duplicates) + " duplicates");
  if (r.lost > 0) why.push_back(N(r.lost) + " lost");
  if (r.failed > 0) why.push_back(N(r.failed) + " failed");
  if (r.profile == "ideal" && r.unknown > 0) why.push_back(N(r.unknown) + " unknown");
  if (r.worker_failures > 0) why.push_back(N(r.worker_failures) + " worker failures");
  if (r.timed_out) why.push_back("deadline reached");
  return why.empty() ? "PASSED: exactly once" : "FAILED: " + Join(why, ", ");
}

double NearestRank(std::vector<std::int64_t> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(values.size())));
  rank = std::clamp<std::size_t>(rank, 1, values.size());
  return static_cast<double>(values[rank - 1]);
}

std::string ProgressChart(const ChaosReport& r) {
  const ChaosTimeline& t = r.timeline;
  svg::LineChart chart;
  chart.chart_id = "progress";
  chart.title = "Ops settled over time";
  chart.x_label = "seconds since the run started";
  chart.y_label = "ops final or stopped for review";
  svg::Series settled;
  settled.name = "settled ops";
  settled.css_class = "progress";
  settled.color = kIdemColor;
  for (const ChaosTimeline::Sample& s : t.progress) {
    settled.points.emplace_back(static_cast<double>(s.t_ms) / 1000.0,
                                static_cast<double>(s.settled));
  }
  settled.data = {{"ops", N(r.ops)},
                  {"settled-at-end", t.progress.empty() ? "0" : N(t.progress.back().settled)}};
  chart.series.push_back(std::move(settled));
  chart.markers.push_back({.x = static_cast<double>(t.drive_started_ms) / 1000.0,
                           .label = "workers start",
                           .css_class = "phase",
                           .color = kPhaseColor,
                           .data = {{"t-ms", N(t.drive_started_ms)}}});
  for (std::size_t i = 0; i < t.kills.size(); ++i) {
    const ChaosTimeline::Kill& k = t.kills[i];
    chart.markers.push_back(
        {.x = static_cast<double>(k.t_ms) / 1000.0,
         .label = "kill " + N(i + 1) + " (worker " + N(k.worker) + ")",
         .css_class = "kill",
         .color = kKillColor,
         .data = {{"t-ms", N(k.t_ms)}, {"settled", N(k.settled)}, {"worker", N(k.worker)}}});
  }
  for (std::int64_t at : t.sandbox_restarts_ms) {
    chart.markers.push_back({.x = static_cast<double>(at) / 1000.0,
                             .label = "sandbox restart",
                             .css_class = "restart",
                             .color = kRestartColor,
                             .data = {{"t-ms", N(at)}}});
  }
  return svg::RenderLineChart(chart);
}

std::string PerKindChart(const ChaosReport& r) {
  svg::BarChart chart;
  chart.chart_id = "per-kind";
  chart.title = "Executions on the sandbox vs logical ops, per kind";
  chart.y_label = "count";
  chart.series = {"logical ops", "idem executions"};
  chart.colors = {kOpsColor, kIdemColor};
  if (r.has_naive) {
    chart.series.push_back("naive executions");
    chart.colors.push_back(kNaiveColor);
  }
  for (const ChaosKindReport& k : r.per_kind) {
    svg::BarGroup g;
    g.label = k.kind;
    g.values = {static_cast<double>(k.ops), static_cast<double>(k.executions)};
    g.data = {{"kind", k.kind},
              {"ops", N(k.ops)},
              {"executions", N(k.executions)},
              {"duplicates", N(k.duplicates)},
              {"lost", N(k.lost)},
              {"unknown", N(k.unknown)},
              {"succeeded", N(k.succeeded)},
              {"failed", N(k.failed)}};
    if (r.has_naive) {
      for (const ChaosKindReport& n : r.naive_per_kind) {
        if (n.kind != k.kind) continue;
        g.values.push_back(static_cast<double>(n.executions));
        g.data.insert(g.data.end(), {{"naive-executions", N(n.executions)},
                                     {"naive-duplicates", N(n.duplicates)},
                                     {"naive-lost", N(n.lost)},
                                     {"naive-failed", N(n.failed)}});
      }
    }
    chart.groups.push_back(std::move(g));
  }
  return svg::RenderBarChart(chart);
}

std::string FaultsChart(const ChaosReport& r) {
  svg::BarChart chart;
  chart.chart_id = "faults";
  chart.title = "Faults the sandbox injected, by kind";
  chart.y_label = "faults";
  chart.series = {"faults"};
  chart.colors = {"#f28e2b"};
  chart.group_class = "fault";
  for (const auto& [kind, n] : r.faults_by_kind) {
    chart.groups.push_back({.label = kind,
                            .values = {static_cast<double>(n)},
                            .data = {{"fault", kind}, {"count", N(n)}}});
  }
  return svg::RenderBarChart(chart);
}

std::string AttemptsChart(const ChaosReport& r) {
  svg::Histogram h;
  h.chart_id = "attempts";
  h.title = "Attempts per op (requests the journal recorded)";
  h.x_label = "attempts";
  for (std::size_t n = 0; n < r.attempts_per_op.size(); ++n) {
    h.bins.push_back({.lo = static_cast<double>(n),
                      .hi = static_cast<double>(n + 1),
                      .count = r.attempts_per_op[n],
                      .label = N(n)});
  }
  return svg::RenderHistogram(h);
}

std::string LatencyChart(const ChaosReport& r) {
  const std::vector<std::int64_t>& ms = r.timeline.op_latency_ms;
  svg::Histogram h;
  h.chart_id = "latency";
  h.title = "Op latency: first send to final state";
  h.x_label = "ms";
  h.color = "#59a14f";
  h.bins = svg::EqualWidthBins(std::vector<double>(ms.begin(), ms.end()), 30);
  if (!ms.empty()) {
    const double p50 = NearestRank(ms, 50);
    const double p99 = NearestRank(ms, 99);
    h.markers.push_back({.x = p50,
                         .label = "p50 " + FormatNumber(p50) + " ms",
                         .css_class = "percentile",
                         .color = kPhaseColor,
                         .data = {{"p", "50"}, {"ms", FormatNumber(p50)}}});
    h.markers.push_back({.x = p99,
                         .label = "p99 " + FormatNumber(p99) + " ms",
                         .css_class = "percentile",
                         .color = kKillColor,
                         .data = {{"p", "99"}, {"ms", FormatNumber(p99)}}});
  }
  return svg::RenderHistogram(h);
}

std::string NaiveChart(const ChaosReport& r) {
  svg::BarChart chart;
  chart.chart_id = "naive";
  chart.title = "Duplicates and lost ops per kind: idem vs the naive client";
  chart.y_label = "ops";
  chart.series = {"idem duplicates", "naive duplicates", "naive never executed"};
  chart.colors = {kIdemColor, kNaiveColor, "#edc948"};
  chart.group_class = "naive-bars";
  for (const ChaosKindReport& n : r.naive_per_kind) {
    std::size_t idem_duplicates = 0;
    for (const ChaosKindReport& k : r.per_kind) {
      if (k.kind == n.kind) idem_duplicates = k.duplicates;
    }
    chart.groups.push_back(
        {.label = n.kind,
         .values = {static_cast<double>(idem_duplicates), static_cast<double>(n.duplicates),
                    static_cast<double>(n.lost)},
         .data = {{"kind", n.kind},
                  {"duplicates", N(idem_duplicates)},
                  {"naive-duplicates", N(n.duplicates)},
                  {"naive-lost", N(n.lost)}}});
  }
  return svg::RenderBarChart(chart);
}

void KindTable(html::Page& page, const std::vector<ChaosKindReport>& per_kind,
               const char* css_class) {
  std::vector<std::vector<std::string>> rows;
  std::vector<svg::DataAttrs> data;
  for (const ChaosKindReport& k : per_kind) {
    rows.push_back({k.kind, N(k.ops), N(k.executions), N(k.duplicates), N(k.lost), N(k.unknown),
                    N(k.succeeded), N(k.failed)});
    data.push_back({{"kind", k.kind}});
  }
  page.Table(css_class,
             {"kind", "ops", "executions", "duplicates", "lost", "unknown", "succeeded", "failed"},
             rows, data);
}

}  // namespace

std::string RenderChaosReportHtml(const ChaosReport& r, const ChaosOptions& o) {
  html::Page page("idem chaos report");
  page.Verdict(r.passed(), Verdict(r),
               "seed " + std::to_string(r.seed) + ": " + N(r.ops) + " ops, " + N(r.executions) +
                   " executions on the sandbox, " + N(r.duplicates) + " duplicates, " + N(r.lost) +
                   " lost, " + N(r.unknown) + " unknown (needs review), " + N(r.failed) +
                   " failed; " + N(r.kills) + " worker kills, " + N(r.sandbox_restarts) +
                   " sandbox restart(s)",
               {{"passed", B(r.passed())},
                {"seed", std::to_string(r.seed)},
                {"duplicates", N(r.duplicates)},
                {"lost", N(r.lost)}});
  page.Paragraph(
      "Counted from the sandbox's own execution records (GET /_sandbox/executions) and the "
      "journal, never from what the workers believe. Replay the run (same kill points, victims, "
      "restart moment and fault draws; process timing still varies):");
  page.Code(ReplayCommand(r, o));

  page.Heading("Parameters");
  page.Figures("parameters",
               {{"seed", std::to_string(r.seed), "seeds the kills and the sandbox's faults"},
                {"ops", N(r.ops), "logical ops, the kinds in turn"},
                {"kinds", Join(KindNames(r), ", "), ""},
                {"profile", r.profile, "the sandbox's behaviour"},
                {"no_idempotency", B(r.no_idempotency), "sandbox ignores every key"},
                {"journal", r.journal_kind, ""},
                {"concurrency", N(o.concurrency), "worker processes alive at once"},
                {"worker_concurrency", N(o.worker_concurrency), "ops each worker drives at once"},
                {"kills_requested", N(r.kills_requested), "SIGKILLs of a random worker"},
                {"faults", o.faults, "the sandbox's --faults"},
                {"lease_ms", N(static_cast<std::int64_t>(o.lease.count())), "workers' lease"},
                {"deadline_ms", N(static_cast<std::int64_t>(o.deadline.count())), ""}});

  page.Heading("Progress, kills and the sandbox restart");
  page.Chart(ProgressChart(r),
             "Ops final (or stopped for review) in the journal, sampled every 100 ms. Dashed "
             "lines: the workers start after the workload is prepared and enqueued; each red "
             "line is a SIGKILL of a worker (a new one starts at once; the victim's ops wait "
             "out their lease), the purple line the sandbox's SIGKILL and restart on the same "
             "port and store.");
  page.Heading("Executions vs logical ops");
  page.Chart(PerKindChart(r),
             "Exactly once: for every kind, executions on the sandbox = ops (less the ops "
             "stopped for review, which may or may not have executed), duplicates 0, lost 0.");
  KindTable(page, r.per_kind, "per-kind");

  page.Heading("Attempts and latency");
  page.Chart(AttemptsChart(r),
             "Requests per op as the journal recorded them (an attempt a killed worker made "
             "before it could record it is not counted). attempts " +
                 N(r.attempts) + ", retries " + N(r.retries) + ".");
  page.Chart(LatencyChart(r),
             "Per final op: its last journal update minus its first send. A kill's takeover "
             "waits out the lease; Retry-After and slow answers add their delay.");

  page.Heading("Faults");
  page.Chart(FaultsChart(r),
             "Injected by the sandbox, summed over its runs (before and after "
             "the restart): faults_injected " +
                 N(r.faults_injected) + ".");

  if (r.has_naive) {
    page.Heading("The naive client on the same workload");
    page.Paragraph(
        "Same ops, faults and seed on a fresh sandbox, through a client with no key, no "
        "journal and no look-up that sends again on any failure; no kills. Executions " +
        N(r.naive_executions) + ", duplicates " + N(r.naive_duplicates) + ", never executed " +
        N(r.naive_lost) + ".");
    page.Chart(NaiveChart(r), "");
    KindTable(page, r.naive_per_kind, "naive-per-kind");
  }

  page.Heading("Kills");
  std::vector<std::vector<std::string>> kills;
  for (std::size_t i = 0; i < r.timeline.kills.size(); ++i) {
    const ChaosTimeline::Kill& k = r.timeline.kills[i];
    kills.push_back({N(i + 1), N(k.t_ms), N(k.worker), N(k.settled)});
  }
  for (std::int64_t at : r.timeline.sandbox_restarts_ms) {
    kills.push_back({"sandbox restart", N(at), "", ""});
  }
  page.Table("kills", {"kill", "t (ms)", "worker", "ops settled then"}, kills);

  page.Heading("Every figure");
  std::vector<html::Figure> figures = {
      {"passed", B(r.passed()), ""},
      {"seed", std::to_string(r.seed), ""},
      {"profile", r.profile, ""},
      {"ops", N(r.ops), "logical ops enqueued"},
      {"session_ops", N(r.session_ops), "of which session creations"},
      {"aml_ops", N(r.aml_ops), "of which billed AML checks"},
      {"executions", N(r.executions), "the sandbox's executions of the run's ops"},
      {"duplicates", N(r.duplicates), "executions beyond one per op"},
      {"lost", N(r.lost), "not final + succeeded without an execution"},
      {"not_final", N(r.not_final), ""},
      {"unknown", N(r.unknown), "stopped for review: a person settles them"},
      {"succeeded", N(r.succeeded), ""},
      {"failed", N(r.failed), "refused for good (none expected)"},
      {"succeeded_without_execution", N(r.succeeded_without_execution), ""},
      {"stray_executions", N(r.stray_executions), "executions matching no op of the run"},
      {"duplicate_vendor_data", N(r.duplicate_vendor_data), "/_sandbox/stats"},
      {"duplicate_executions", N(r.duplicate_executions), "/_sandbox/stats"},
      {"faults_injected", N(r.faults_injected), ""},
      {"attempts", N(r.attempts), "requests sent, from the journal"},
      {"retries", N(r.retries), "attempts beyond one per op"},
      {"kills", N(r.kills), ""},
      {"kills_requested", N(r.kills_requested), ""},
      {"sandbox_restarts", N(r.sandbox_restarts), ""},
      {"worker_starts", N(r.worker_starts), ""},
      {"worker_failures", N(r.worker_failures), "workers that exited non-zero on their own"},
      {"timed_out", B(r.timed_out), ""},
      {"elapsed_ms", N(r.elapsed_ms), ""},
      {"journal", r.journal_kind, ""},
      {"no_idempotency", B(r.no_idempotency), ""},
      {"work_dir", r.work_dir, "kept when the run failed (logs inside)"}};
  if (r.has_naive) {
    figures.push_back({"naive.executions", N(r.naive_executions), ""});
    figures.push_back({"naive.duplicates", N(r.naive_duplicates), ""});
    figures.push_back({"naive.lost", N(r.naive_lost), "never executed"});
  }
  page.Figures("figures", figures);
  return std::move(page).Finish();
}

}  // namespace idem
