// RenderDemoReportHtml: the demo report as one HTML page with inline SVG
// charts, idem beside the naive client. Every number comes from the
// DemoReport (the fields DemoReportJson prints); charts and tables carry
// them as data- attributes so tests compare them with the JSON.
#include <algorithm>
#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "demo/demo.h"
#include "report/html_page.h"
#include "report/svg.h"

namespace idem {
namespace {

using svg::FormatNumber;

constexpr const char* kOpsColor = "#9c9c9c";
constexpr const char* kIdemColor = "#4e79a7";
constexpr const char* kNaiveColor = "#e15759";
constexpr const char* kPhaseColor = "#777777";

std::string N(std::uint64_t n) { return std::to_string(n); }
std::string N(int n) { return std::to_string(n); }
std::string Fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}
double D(std::uint64_t n) { return static_cast<double>(n); }
double D(int n) { return static_cast<double>(n); }

bool ExactlyOnce(const DemoRunReport& r) { return r.duplicates == 0 && r.lost == 0; }

std::string KindsChart(const DemoReport& report) {
  const DemoRunReport& i = report.idem;
  const DemoRunReport& n = report.naive;
  svg::BarChart chart;
  chart.chart_id = "per-kind";
  chart.title = "Executions on the server vs logical ops, per kind";
  chart.y_label = "count";
  chart.series = {"logical ops", "idem executions"};
  chart.colors = {kOpsColor, kIdemColor};
  if (report.has_naive) {
    chart.series.push_back("naive executions");
    chart.colors.push_back(kNaiveColor);
  }
  struct Kind {
    const char* name;
    int ops, executions, duplicates, naive_executions, naive_duplicates;
  };
  const Kind kinds[] = {
      {"create_session", i.sessions, i.session_executions, i.duplicate_sessions,
       n.session_executions, n.duplicate_sessions},
      {"aml", i.aml_checks, i.aml_executions, i.duplicate_aml, n.aml_executions, n.duplicate_aml},
      {"poa", i.poa_checks, i.poa_executions, i.duplicate_poa, n.poa_executions, n.duplicate_poa},
      {"age_estimation", i.age_checks, i.age_executions, i.duplicate_age, n.age_executions,
       n.duplicate_age}};
  for (const Kind& k : kinds) {
    svg::BarGroup g;
    g.label = k.name;
    g.values = {static_cast<double>(k.ops), static_cast<double>(k.executions)};
    g.data = {{"kind", k.name},
              {"ops", N(k.ops)},
              {"executions", N(k.executions)},
              {"duplicates", N(k.duplicates)}};
    if (report.has_naive) {
      g.values.push_back(static_cast<double>(k.naive_executions));
      g.data.insert(g.data.end(), {{"naive-executions", N(k.naive_executions)},
                                   {"naive-duplicates", N(k.naive_duplicates)}});
    }
    chart.groups.push_back(std::move(g));
  }
  return svg::RenderBarChart(chart);
}

// idem and naive side by side on the figures that tell them apart.
std::string CompareChart(const DemoReport& report) {
  svg::BarChart chart;
  chart.chart_id = "compare";
  chart.title = "Duplicates, lost ops and retries: idem vs the naive client";
  chart.y_label = "count";
  chart.series = {"idem", "naive"};
  chart.colors = {kIdemColor, kNaiveColor};
  chart.group_class = "compare";
  const DemoRunReport& i = report.idem;
  const DemoRunReport& n = report.naive;
  const std::pair<const char*, std::pair<double, double>> metrics[] = {
      {"duplicates", {D(i.duplicates), D(n.duplicates)}},
      {"duplicate_aml", {D(i.duplicate_aml), D(n.duplicate_aml)}},
      {"lost", {D(i.lost), D(n.lost)}},
      {"retries", {D(i.retries), D(n.retries)}}};
  for (const auto& [name, values] : metrics) {
    chart.groups.push_back({.label = name,
                            .values = {values.first, values.second},
                            .data = {{"metric", name},
                                     {"idem", FormatNumber(values.first)},
                                     {"naive", FormatNumber(values.second)}}});
  }
  return svg::RenderBarChart(chart);
}

std::string ProgressChart(const DemoReport& report) {
  svg::LineChart chart;
  chart.chart_id = "progress";
  chart.title = "Ops done over time (each run from the start of its drive)";
  chart.x_label = "seconds";
  chart.y_label = "ops done";
  auto series = [](const DemoRunReport& r, const char* name, const char* color) {
    svg::Series s;
    s.name = name;
    s.css_class = std::string("progress ") + name;
    s.color = color;
    s.points.emplace_back(0.0, 0.0);
    const std::vector<double>& done = r.timeline.op_done_ms;
    for (std::size_t k = 0; k < done.size(); ++k) {
      s.points.emplace_back(done[k] / 1000.0, static_cast<double>(k + 1));
    }
    s.data = {{"run", name}, {"ops", N(r.ops)}};
    return s;
  };
  chart.series.push_back(series(report.idem, "idem", kIdemColor));
  if (report.has_naive) chart.series.push_back(series(report.naive, "naive", kNaiveColor));
  for (const DemoTimeline::Phase& p : report.idem.timeline.phases) {
    chart.markers.push_back({.x = p.t_ms / 1000.0,
                             .label = "idem: " + p.name,
                             .css_class = "phase",
                             .color = kPhaseColor,
                             .data = {{"phase", p.name}, {"t-ms", FormatNumber(p.t_ms)}}});
  }
  return svg::RenderLineChart(chart);
}

std::string LatencyChart(const DemoRunReport& r, const char* run, const char* color) {
  svg::Histogram h;
  h.chart_id = std::string("latency-") + run;
  h.title = std::string("Op latency, ") + run + ": submission to outcome";
  h.x_label = "ms";
  h.color = color;
  h.bins = svg::EqualWidthBins(r.timeline.op_latency_ms, 30);
  h.markers.push_back({.x = r.p50_ms,
                       .label = "p50 " + Fixed(r.p50_ms, 0) + " ms",
                       .css_class = "percentile",
                       .color = kPhaseColor,
                       .data = {{"run", run}, {"p", "50"}, {"ms", FormatNumber(r.p50_ms)}}});
  h.markers.push_back({.x = r.p99_ms,
                       .label = "p99 " + Fixed(r.p99_ms, 0) + " ms",
                       .css_class = "percentile",
                       .color = "#d62728",
                       .data = {{"run", run}, {"p", "99"}, {"ms", FormatNumber(r.p99_ms)}}});
  return svg::RenderHistogram(h);
}

std::uint64_t At(const std::vector<std::uint64_t>& v, std::size_t i) {
  return i < v.size() ? v[i] : 0;
}

std::string AttemptsChart(const DemoReport& report) {
  svg::BarChart chart;
  chart.chart_id = "attempts";
  chart.title = "Attempts per op";
  chart.y_label = "ops";
  chart.series = {"idem"};
  chart.colors = {kIdemColor};
  if (report.has_naive) {
    chart.series.push_back("naive");
    chart.colors.push_back(kNaiveColor);
  }
  chart.group_class = "attempts";
  const std::vector<std::uint64_t>& idem = report.idem.attempts_per_op;
  const std::vector<std::uint64_t>& naive = report.naive.attempts_per_op;
  const std::size_t n = std::max(idem.size(), report.has_naive ? naive.size() : 0);
  for (std::size_t a = 0; a < n; ++a) {
    svg::BarGroup g;
    g.label = N(static_cast<std::uint64_t>(a));
    g.values = {D(At(idem, a))};
    g.data = {{"attempts", N(static_cast<std::uint64_t>(a))}, {"idem", N(At(idem, a))}};
    if (report.has_naive) {
      g.values.push_back(D(At(naive, a)));
      g.data.emplace_back("naive", N(At(naive, a)));
    }
    chart.groups.push_back(std::move(g));
  }
  return svg::RenderBarChart(chart);
}

std::string FaultsChart(const DemoReport& report) {
  svg::BarChart chart;
  chart.chart_id = "faults";
  chart.title = "Faults the sandbox injected, by kind";
  chart.y_label = "faults";
  chart.series = {"idem's sandbox"};
  chart.colors = {kIdemColor};
  if (report.has_naive) {
    chart.series.push_back("naive's sandbox");
    chart.colors.push_back(kNaiveColor);
  }
  chart.group_class = "fault";
  std::set<std::string> kinds;
  for (const auto& [kind, count] : report.idem.faults_by_kind) kinds.insert(kind);
  if (report.has_naive) {
    for (const auto& [kind, count] : report.naive.faults_by_kind) kinds.insert(kind);
  }
  auto count_of = [](const DemoRunReport& r, const std::string& kind) {
    auto it = r.faults_by_kind.find(kind);
    return it == r.faults_by_kind.end() ? std::uint64_t{0} : it->second;
  };
  for (const std::string& kind : kinds) {
    svg::BarGroup g;
    g.label = kind;
    g.values = {D(count_of(report.idem, kind))};
    g.data = {{"fault", kind}, {"idem", N(count_of(report.idem, kind))}};
    if (report.has_naive) {
      g.values.push_back(D(count_of(report.naive, kind)));
      g.data.emplace_back("naive", N(count_of(report.naive, kind)));
    }
    chart.groups.push_back(std::move(g));
  }
  return svg::RenderBarChart(chart);
}

// The paths by which idem settled what the faults left ambiguous.
std::string RecoveryChart(const DemoRunReport& i) {
  svg::BarChart chart;
  chart.chart_id = "recovery";
  chart.title = "How idem settled what the faults left open";
  chart.y_label = "count";
  chart.series = {"idem"};
  chart.colors = {"#59a14f"};
  chart.group_class = "recovery";
  const std::pair<const char*, double> rows[] = {
      {"replays", D(i.replays)},
      {"lookups_reconciled", D(i.lookups_reconciled)},
      {"unknown_after_drive", static_cast<double>(i.unknown_after_drive)},
      {"healed_by_webhook", D(i.healed_by_webhook)},
      {"resumed", static_cast<double>(i.resumed)},
      {"webhooks_deduped", D(i.webhooks_deduped)}};
  for (const auto& [name, value] : rows) {
    chart.groups.push_back({.label = name,
                            .values = {value},
                            .data = {{"key", name}, {"value", FormatNumber(value)}}});
  }
  return svg::RenderBarChart(chart);
}

// Every scalar of DemoReportJson's run object: key, idem, naive.
struct Row {
  const char* key;
  double idem;
  double naive;
  int decimals;        // shown rounded; data- attributes keep the exact value
  bool naive_applies;  // false: the naive run has no such thing (no journal, key, webhook)
};

void FiguresTable(html::Page& page, const DemoReport& report) {
  const DemoRunReport& i = report.idem;
  const DemoRunReport& n = report.naive;
  const Row rows[] = {
      {"ops", D(i.ops), D(n.ops), 0, true},
      {"sessions", D(i.sessions), D(n.sessions), 0, true},
      {"aml_checks", D(i.aml_checks), D(n.aml_checks), 0, true},
      {"poa_checks", D(i.poa_checks), D(n.poa_checks), 0, true},
      {"age_checks", D(i.age_checks), D(n.age_checks), 0, true},
      {"executions", D(i.executions), D(n.executions), 0, true},
      {"session_executions", D(i.session_executions), D(n.session_executions), 0, true},
      {"aml_executions", D(i.aml_executions), D(n.aml_executions), 0, true},
      {"poa_executions", D(i.poa_executions), D(n.poa_executions), 0, true},
      {"age_executions", D(i.age_executions), D(n.age_executions), 0, true},
      {"duplicates", D(i.duplicates), D(n.duplicates), 0, true},
      {"duplicate_sessions", D(i.duplicate_sessions), D(n.duplicate_sessions), 0, true},
      {"duplicate_aml", D(i.duplicate_aml), D(n.duplicate_aml), 0, true},
      {"duplicate_poa", D(i.duplicate_poa), D(n.duplicate_poa), 0, true},
      {"duplicate_age", D(i.duplicate_age), D(n.duplicate_age), 0, true},
      {"lost", D(i.lost), D(n.lost), 0, true},
      {"requests", D(i.requests), D(n.requests), 0, true},
      {"retries", D(i.retries), D(n.retries), 0, true},
      {"replays", D(i.replays), D(n.replays), 0, false},
      {"conflicts_409", D(i.conflicts_409), D(n.conflicts_409), 0, false},
      {"mismatches_422", D(i.mismatches_422), D(n.mismatches_422), 0, false},
      {"rate_limited_429", D(i.rate_limited_429), D(n.rate_limited_429), 0, true},
      {"faults_injected", D(i.faults_injected), D(n.faults_injected), 0, true},
      {"vendor_dedup_hits", D(i.vendor_dedup_hits), D(n.vendor_dedup_hits), 0, true},
      {"lookups", D(i.lookups), D(n.lookups), 0, false},
      {"lookups_reconciled", D(i.lookups_reconciled), D(n.lookups_reconciled), 0, false},
      {"unknown_after_drive", D(i.unknown_after_drive), D(n.unknown_after_drive), 0, false},
      {"healed_by_webhook", D(i.healed_by_webhook), D(n.healed_by_webhook), 0, false},
      {"resumed", D(i.resumed), D(n.resumed), 0, false},
      {"webhooks_received", D(i.webhooks_received), D(n.webhooks_received), 0, false},
      {"webhooks_stored", D(i.webhooks_stored), D(n.webhooks_stored), 0, false},
      {"webhooks_deduped", D(i.webhooks_deduped), D(n.webhooks_deduped), 0, false},
      {"p50_ms", i.p50_ms, n.p50_ms, 1, true},
      {"p99_ms", i.p99_ms, n.p99_ms, 1, true},
      {"seconds", i.seconds, n.seconds, 2, true},
      {"ops_per_s", i.ops_per_s, n.ops_per_s, 1, true}};
  std::vector<std::vector<std::string>> cells;
  std::vector<svg::DataAttrs> data;
  for (const Row& r : rows) {
    // The naive run has no journal, key or webhooks: those figures are 0
    // there by construction, shown as "-" (the JSON still carries the 0).
    const bool naive_shown = report.has_naive && r.naive_applies;
    cells.push_back(
        {r.key, Fixed(r.idem, r.decimals), naive_shown ? Fixed(r.naive, r.decimals) : "-"});
    svg::DataAttrs attrs = {{"key", r.key}, {"idem", FormatNumber(r.idem)}};
    if (report.has_naive) attrs.emplace_back("naive", FormatNumber(r.naive));
    data.push_back(std::move(attrs));
  }
  page.Table("figures", {"figure", "idem", "naive client"}, cells, data);
}

}  // namespace

std::string RenderDemoReportHtml(const DemoReport& report) {
  const DemoRunReport& i = report.idem;
  const DemoRunReport& n = report.naive;
  html::Page page("idem demo report");
  std::string detail = "seed " + std::to_string(report.seed) + ": " + N(i.ops) + " ops, " +
                       N(i.executions) + " executions on the server, " + N(i.duplicates) +
                       " duplicates, " + N(i.lost) + " lost.";
  if (report.has_naive) {
    detail += " The naive client on the same workload: " + N(n.executions) + " executions, " +
              N(n.duplicates) + " duplicates (" + N(n.duplicate_aml) +
              " billed AML checks charged twice or more), " + N(n.lost) + " lost.";
  }
  svg::DataAttrs verdict = {{"passed", ExactlyOnce(i) ? "true" : "false"},
                            {"seed", std::to_string(report.seed)},
                            {"duplicates", N(i.duplicates)},
                            {"lost", N(i.lost)}};
  if (report.has_naive) verdict.emplace_back("naive-duplicates", N(n.duplicates));
  page.Verdict(ExactlyOnce(i),
               ExactlyOnce(i) ? "idem: exactly once"
                              : "idem: NOT exactly once: " + N(i.duplicates) + " duplicates, " +
                                    N(i.lost) + " lost",
               detail, verdict);
  page.Paragraph(
      "An in-process sandbox with Didit's behaviour (Idempotency-Key honoured on AML only) "
      "injects faults into every kind of request; the journaled client drives CreateSession and "
      "AmlScreening ops, webhooks (duplicated, reordered) heal lost responses, and Resume() "
      "settles the rest. Numbers are counted from the sandbox's execution records and the "
      "journal, never from what a client believes.");
  page.Code("idem demo --ops " + N(i.ops) + " --concurrency " + N(report.concurrency) + " --seed " +
            std::to_string(report.seed) + " --faults " + report.faults +
            (report.has_naive ? "" : " --no-naive"));

  page.Heading("Parameters");
  page.Figures("parameters",
               {{"seed", std::to_string(report.seed), "seeds the faults, outcomes and jitter"},
                {"ops", N(i.ops), "half CreateSession, half AmlScreening"},
                {"concurrency", N(report.concurrency), "ops in flight, in each run"},
                {"faults", report.faults, "the sandbox's fault mix"},
                {"webhook_faults", report.webhook_faults, "webhook delivery faults"},
                {"total_seconds", Fixed(report.total_seconds, 1), "both runs, end to end"}});

  page.Heading("Executions vs logical ops");
  page.Chart(KindsChart(report),
             "Exactly once: executions = ops for each kind. The naive client re-sends after a "
             "lost answer; Didit's vendor_data dedup catches a re-sent create of an unfinished "
             "session, nothing catches a re-sent AML check.");
  if (report.has_naive) page.Chart(CompareChart(report), "");

  page.Heading("Over time");
  page.Chart(ProgressChart(report),
             "Ops whose drive ended (any outcome), from the start of each run's drive. After "
             "its drive the idem run lets webhooks and auto-completes settle, resumes what is "
             "left with the original keys, and counts.");
  page.Chart(LatencyChart(i, "idem", kIdemColor),
             "The long tail is the settle wait: a look-up that finds nothing is trusted only "
             "once the attempt cannot still be running on the server.");
  if (report.has_naive) page.Chart(LatencyChart(n, "naive", kNaiveColor), "");
  page.Chart(AttemptsChart(report),
             "Requests per op: idem's from the journal, the naive client's as it sent them.");

  page.Heading("Faults and how idem settled them");
  page.Chart(FaultsChart(report), "");
  page.Chart(RecoveryChart(i),
             "Replays answered from the stored response (AML), look-ups that found the "
             "session, ops left unknown by the drive, healed by a webhook or settled by "
             "resume, and duplicate webhook deliveries acknowledged without effect.");

  page.Heading("Every figure");
  FiguresTable(page, report);
  return std::move(page).Finish();
}

}  // namespace idem
