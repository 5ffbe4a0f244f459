// The SVG chart writer of the HTML reports: escaping, numbers, axis ranges,
// and charts with no data, one point, many points and hostile text.
#include "report/svg.h"

#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

#include "testing/html_scan.h"

namespace idem::svg {
namespace {

using testing::CheckNesting;
using testing::FindTags;
using testing::HtmlTag;
using testing::ScanHtml;

std::vector<HtmlTag> Scan(const std::string& markup) {
  std::string error;
  auto tags = ScanHtml(markup, &error);
  EXPECT_TRUE(tags.has_value()) << error << "\n" << markup;
  if (!tags) return {};
  EXPECT_EQ(CheckNesting(*tags), "") << markup;
  return *tags;
}

// The (x, y) pairs of a polyline's points attribute.
std::vector<std::pair<double, double>> Points(const std::string& attr) {
  std::vector<std::pair<double, double>> points;
  std::istringstream in(attr);
  for (std::string pair; in >> pair;) {
    const auto comma = pair.find(',');
    points.emplace_back(std::stod(pair.substr(0, comma)), std::stod(pair.substr(comma + 1)));
  }
  return points;
}

constexpr char kHostile[] = "<script>alert(\"x&y\")</script>' onload='z";

TEST(SvgEscape, EscapesEveryMarkupCharacter) {
  EXPECT_EQ(Escape(kHostile),
            "&lt;script&gt;alert(&quot;x&amp;y&quot;)&lt;/script&gt;&#39; onload=&#39;z");
  EXPECT_EQ(Escape("plain text 1.5"), "plain text 1.5");
  EXPECT_EQ(Escape(""), "");
  EXPECT_EQ(Escape("&amp;"), "&amp;amp;") << "escaping twice shows the first escape";
}

TEST(SvgEscape, DataAttributesDropBadNamesAndEscapeValues) {
  const std::string attrs = DataAttributes(
      {{"kind", kHostile}, {"x onload", "1"}, {"Upper", "2"}, {"", "3"}, {"t-ms", "42"}});
  EXPECT_EQ(attrs, " data-kind=\"" + Escape(kHostile) + "\" data-t-ms=\"42\"");
}

TEST(SvgNumbers, FormatNumberIsShortAndReadsBackExactly) {
  EXPECT_EQ(FormatNumber(12), "12");
  EXPECT_EQ(FormatNumber(0), "0");
  EXPECT_EQ(FormatNumber(-3), "-3");
  EXPECT_EQ(FormatNumber(1000000), "1000000") << "not 1e+06";
  EXPECT_EQ(FormatNumber(0.5), "0.5");
  EXPECT_EQ(FormatNumber(1234.5678), "1234.5678");
  const double third = 1.0 / 3.0;
  EXPECT_EQ(std::stod(FormatNumber(third)), third);
  EXPECT_EQ(std::stod(FormatNumber(0.1 + 0.2)), 0.1 + 0.2);
  EXPECT_EQ(FormatNumber(std::nan("")), "0");
}

TEST(SvgAxis, NiceRangeCoversTheDataWithRoundSteps) {
  for (double hi : {0.3, 1.0, 7.0, 10.0, 99.0, 101.0, 1000.0, 1001.0, 123456.0}) {
    const AxisRange r = NiceRange(0, hi, 6);
    SCOPED_TRACE(hi);
    EXPECT_EQ(r.min, 0);
    EXPECT_GE(r.max, hi);
    const double ticks = (r.max - r.min) / r.step;
    EXPECT_LE(std::llround(ticks), 6);
    EXPECT_NEAR(ticks, std::round(ticks), 1e-9) << "max is a whole number of steps";
    // Round steps: 1, 2, 2.5 or 5 times a power of ten (10 and 20 are 1 and 2).
    const double mantissa = r.step / std::pow(10.0, std::floor(std::log10(r.step)));
    EXPECT_TRUE(std::abs(mantissa - 1) < 1e-9 || std::abs(mantissa - 2) < 1e-9 ||
                std::abs(mantissa - 2.5) < 1e-9 || std::abs(mantissa - 5) < 1e-9)
        << r.step;
    EXPECT_LT(r.max, hi * 2.6) << "not wastefully wide";
  }
  EXPECT_EQ(NiceRange(0, 1, 5).max, 1) << "1 / 0.2 must not round up to 1.2";
  EXPECT_EQ(NiceRange(0, 1000, 5).max, 1000);
}

TEST(SvgAxis, EmptyOrFlatDataStillGetsARangeOfPositiveWidth) {
  const std::vector<std::pair<double, double>> cases = {
      {0, 0}, {5, 5}, {3, 1}, {0, std::nan("")}, {-INFINITY, 2}};
  for (auto [lo, hi] : cases) {
    const AxisRange r = NiceRange(lo, hi);
    EXPECT_GT(r.max, r.min) << lo << ".." << hi;
    EXPECT_GT(r.step, 0);
    EXPECT_TRUE(std::isfinite(r.max));
  }
  const AxisRange negative = NiceRange(-7, 12, 6);
  EXPECT_LE(negative.min, -7);
  EXPECT_GE(negative.max, 12);
}

TEST(SvgBins, EqualWidthBinsHoldEveryValueOnce) {
  EXPECT_TRUE(EqualWidthBins({}, 10).empty());
  EXPECT_TRUE(EqualWidthBins({1, 2}, 0).empty());

  std::vector<double> values;
  for (int i = 0; i < 100; ++i) values.push_back(i);
  values.push_back(std::nan(""));  // ignored
  const std::vector<Bin> bins = EqualWidthBins(values, 10);
  ASSERT_FALSE(bins.empty());
  EXPECT_LE(bins.size(), 10u);
  std::size_t total = 0;
  for (std::size_t i = 0; i < bins.size(); ++i) {
    total += bins[i].count;
    EXPECT_LT(bins[i].lo, bins[i].hi);
    if (i > 0) {
      EXPECT_DOUBLE_EQ(bins[i].lo, bins[i - 1].hi) << "contiguous";
    }
  }
  EXPECT_EQ(total, 100u);
  EXPECT_EQ(bins.front().lo, 0);
  EXPECT_GE(bins.back().hi, 99);
  EXPECT_GT(bins.back().count, 0u) << "the largest value is in the last bin";

  const std::vector<Bin> one = EqualWidthBins({5}, 30);
  std::size_t one_total = 0;
  for (const Bin& b : one) one_total += b.count;
  EXPECT_EQ(one_total, 1u);
  EXPECT_LE(one.front().lo, 5);
  EXPECT_GE(one.back().hi, 5);
}

TEST(SvgLineChart, NoDataStillDrawsAnEmptyChartThatSaysSo) {
  LineChart chart;
  chart.title = "empty";
  const std::string svg = RenderLineChart(chart);
  auto tags = Scan(svg);
  EXPECT_EQ(FindTags(tags, "svg").size(), 1u);
  EXPECT_EQ(FindTags(tags, "text", "no-data").size(), 1u);
  EXPECT_TRUE(FindTags(tags, "polyline").empty());
  EXPECT_EQ(svg.find("nan"), std::string::npos) << svg;
  EXPECT_EQ(svg.find("inf"), std::string::npos) << svg;
}

TEST(SvgLineChart, OnePointIsShownAndInsideTheChart) {
  LineChart chart;
  chart.series.push_back({.name = "only", .points = {{0, 0}}});
  const std::string svg = RenderLineChart(chart);
  auto tags = Scan(svg);
  ASSERT_EQ(FindTags(tags, "polyline").size(), 1u);
  EXPECT_EQ(FindTags(tags, "polyline")[0].Attr("data-points"), "1");
  ASSERT_EQ(FindTags(tags, "circle", "last-point").size(), 1u) << "a lone point is a dot";
  const HtmlTag dot = FindTags(tags, "circle", "last-point")[0];
  const double cx = std::stod(dot.Attr("cx"));
  const double cy = std::stod(dot.Attr("cy"));
  EXPECT_GT(cx, 0);
  EXPECT_LT(cx, chart.width);
  EXPECT_GT(cy, 0);
  EXPECT_LT(cy, chart.height);
  EXPECT_TRUE(FindTags(tags, "text", "no-data").empty());
}

TEST(SvgLineChart, EveryPointAndMarkerFallsInsideThePlot) {
  LineChart chart;
  Series s;
  s.name = "settled";
  for (int i = 0; i <= 37; ++i) s.points.emplace_back(i * 0.1, i * i);
  chart.series.push_back(s);
  chart.markers.push_back({.x = 5.2, .label = "late", .css_class = "kill"});  // beyond the points
  auto tags = Scan(RenderLineChart(chart));
  // The plot's frame: the two axis lines.
  auto axes = FindTags(tags, "line", "axis");
  ASSERT_EQ(axes.size(), 2u);
  const double left = std::stod(axes[0].Attr("x1"));
  const double top = std::stod(axes[0].Attr("y1"));
  const double bottom = std::stod(axes[0].Attr("y2"));
  const double right = std::stod(axes[1].Attr("x2"));
  for (auto [x, y] : Points(FindTags(tags, "polyline")[0].Attr("points"))) {
    EXPECT_GE(x, left - 0.05);
    EXPECT_LE(x, right + 0.05);
    EXPECT_GE(y, top - 0.05) << "y axis max below the data";
    EXPECT_LE(y, bottom + 0.05);
  }
  auto kill = FindTags(tags, "line", "kill");
  ASSERT_EQ(kill.size(), 1u);
  EXPECT_LE(std::stod(kill[0].Attr("x1")), right + 0.05) << "the x axis reaches the marker";
  const auto drawn = Points(FindTags(tags, "polyline")[0].Attr("points"));
  EXPECT_GT(std::stod(kill[0].Attr("x1")), drawn.back().first) << "5.2 s is right of 3.7 s";
}

TEST(SvgLineChart, MarkersCarryTheirDataAndHostileLabelsAreEscaped) {
  LineChart chart;
  chart.title = kHostile;
  chart.x_label = "<b>x</b>";
  chart.series.push_back({.name = kHostile, .points = {{0, 0}, {1, 10}}});
  chart.series.push_back({.name = "b&c", .points = {{0, 0}, {2, 5}}});
  chart.markers.push_back(
      {.x = 0.5, .label = kHostile, .css_class = "kill", .data = {{"t-ms", "500"}}});
  chart.markers.push_back({.x = 0.6, .label = "restart", .css_class = "restart"});
  const std::string svg = RenderLineChart(chart);
  EXPECT_EQ(svg.find("<script"), std::string::npos) << svg;
  EXPECT_EQ(svg.find("<b>"), std::string::npos) << svg;
  EXPECT_NE(svg.find("&lt;script&gt;"), std::string::npos);
  auto tags = Scan(svg);
  auto kills = FindTags(tags, "line", "kill");
  ASSERT_EQ(kills.size(), 1u);
  EXPECT_EQ(kills[0].Attr("data-t-ms"), "500");
  EXPECT_EQ(kills[0].Attr("data-x"), "0.5");
  EXPECT_EQ(FindTags(tags, "line", "restart").size(), 1u);
  // The labels of the two close markers are in different rows.
  auto labels = FindTags(tags, "text", "marker-label");
  ASSERT_EQ(labels.size(), 2u);
  EXPECT_NE(labels[0].Attr("y"), labels[1].Attr("y"));
  EXPECT_EQ(FindTags(tags, "polyline").size(), 2u);
  EXPECT_EQ(FindTags(tags, "polyline")[0].Attr("data-name"), kHostile) << "unescaped back";
  EXPECT_EQ(FindTags(tags, "rect", "swatch").size(), 2u) << "a legend for two series";
}

TEST(SvgLineChart, ThousandsOfPointsAreThinnedKeepingTheLast) {
  LineChart chart;
  Series s;
  for (int i = 0; i < 20000; ++i) s.points.emplace_back(i, i % 7);
  s.points.emplace_back(20000, 123);
  chart.series.push_back(s);
  auto tags = Scan(RenderLineChart(chart));
  const HtmlTag line = FindTags(tags, "polyline")[0];
  EXPECT_EQ(line.Attr("data-points"), "20001") << "the data count, not the drawn count";
  const auto drawn = Points(line.Attr("points"));
  EXPECT_LE(drawn.size(), static_cast<std::size_t>(2 * chart.width));
  EXPECT_GT(drawn.size(), 100u);
  const HtmlTag dot = FindTags(tags, "circle", "last-point")[0];
  EXPECT_DOUBLE_EQ(drawn.back().second, std::stod(dot.Attr("cy"))) << "last point kept";
}

TEST(SvgBarChart, GroupsCarryTheirDataAndEachBarItsValue) {
  BarChart chart;
  chart.title = "per kind";
  chart.series = {"ops", "executions"};
  chart.groups.push_back({.label = "aml", .values = {12, 12}, .data = {{"kind", "aml"}}});
  chart.groups.push_back({.label = kHostile, .values = {3, 5}, .data = {{"kind", kHostile}}});
  const std::string svg = RenderBarChart(chart);
  EXPECT_EQ(svg.find("<script"), std::string::npos);
  auto tags = Scan(svg);
  auto groups = FindTags(tags, "g", "bars");
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[0].Attr("data-kind"), "aml");
  EXPECT_EQ(groups[1].Attr("data-kind"), kHostile);
  auto bars = FindTags(tags, "rect", "bar");
  ASSERT_EQ(bars.size(), 4u);
  EXPECT_EQ(bars[0].Attr("data-series"), "ops");
  EXPECT_EQ(bars[0].Attr("data-value"), "12");
  EXPECT_EQ(bars[3].Attr("data-series"), "executions");
  EXPECT_EQ(bars[3].Attr("data-value"), "5");
  // Heights are proportional to the values.
  EXPECT_NEAR(std::stod(bars[2].Attr("height")) / std::stod(bars[0].Attr("height")), 3.0 / 12,
              0.02);
  EXPECT_GT(std::stod(bars[0].Attr("height")), 0);
}

TEST(SvgBarChart, NoGroupsSaysNoData) {
  BarChart chart;
  chart.series = {"faults"};
  auto tags = Scan(RenderBarChart(chart));
  EXPECT_EQ(FindTags(tags, "text", "no-data").size(), 1u);
  EXPECT_TRUE(FindTags(tags, "rect", "bar").empty());
}

TEST(SvgHistogram, BinsCarryCountsAndMarkersTheirData) {
  Histogram h;
  h.bins = {{.lo = 1, .hi = 2, .count = 65, .label = "1"},
            {.lo = 2, .hi = 3, .count = 5, .label = "2"},
            {.lo = 3, .hi = 4, .count = 0, .label = "3"}};
  h.markers.push_back({.x = 2.5, .label = "p99", .css_class = "percentile"});
  auto tags = Scan(RenderHistogram(h));
  auto bins = FindTags(tags, "rect", "bin");
  ASSERT_EQ(bins.size(), 3u);
  EXPECT_EQ(bins[0].Attr("data-count"), "65");
  EXPECT_EQ(bins[1].Attr("data-lo"), "2");
  EXPECT_EQ(bins[2].Attr("data-count"), "0");
  EXPECT_EQ(std::stod(bins[2].Attr("height")), 0);
  EXPECT_EQ(FindTags(tags, "line", "percentile").size(), 1u);
}

TEST(SvgHistogram, NoBinsSaysNoData) {
  auto tags = Scan(RenderHistogram(Histogram{}));
  EXPECT_EQ(FindTags(tags, "text", "no-data").size(), 1u);
  EXPECT_TRUE(FindTags(tags, "rect", "bin").empty());
}

}  // namespace
}  // namespace idem::svg
