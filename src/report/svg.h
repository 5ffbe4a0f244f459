// Internal: a small SVG chart writer for the HTML reports of `idem chaos` and
// `idem demo` (a line chart with vertical markers, grouped bars, a
// histogram). Each Render* call returns one <svg> element as text, meant to
// be placed inline in an HTML page: no script, no external resource, no
// xmlns (an inline SVG in HTML needs none, and a report must not name any
// URL). Every piece of text that reaches the output (titles, labels, legend
// names, data- attribute values) is escaped here, so a caller may pass
// anything, a hostile string included.
//
// Charts carry data- attributes with the numbers they draw (exactly as the
// caller formatted them), so a test or a script can read a figure back
// instead of measuring pixels.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace idem::svg {

// & < > " ' as character references: safe as element text and as a quoted
// attribute value, in HTML and in XML.
std::string Escape(std::string_view text);

// data-NAME="value" pairs. A NAME other than lowercase letters, digits and
// '-' is dropped, never written (names cannot be escaped).
using DataAttrs = std::vector<std::pair<std::string, std::string>>;
// ` data-a="x" data-b="y"`: the attributes as written into a start tag.
std::string DataAttributes(const DataAttrs& data);

// A number as short as it can be written and still read back as the same
// double: "12", "0.5", "1234.5678". What the data- attributes carry.
std::string FormatNumber(double value);

// An axis range from `lo` to a round maximum at or above `hi` (1, 2, 2.5 or
// 5 times a power of ten per step, at most max_ticks steps). hi <= lo (no
// data, or every value equal) still gives a range of positive width.
struct AxisRange {
  double min = 0;
  double max = 1;
  double step = 1;
};
AxisRange NiceRange(double lo, double hi, int max_ticks = 6);

// Every member has an initializer, so a designated initializer may leave
// any out (g++ warns about members without one).

// A vertical line across the plot at `x` (a kill, a restart, a phase), with
// a label at its top. `css_class` is the <line>'s class, for tests and
// readers ("kill", "restart").
struct Marker {
  double x = 0;
  std::string label{};
  std::string css_class = "marker";
  std::string color = "#888888";
  DataAttrs data{};
};

// One line of a line chart: (x, y) points in x order.
struct Series {
  std::string name{};
  std::string css_class = "series";
  std::string color{};  // empty: the palette's next colour
  std::vector<std::pair<double, double>> points{};
  DataAttrs data{};
};

struct LineChart {
  // Written as the <svg>'s data-chart, so a reader can tell charts apart.
  std::string chart_id{};
  std::string title{};
  std::string x_label{};
  std::string y_label{};
  std::vector<Series> series{};
  std::vector<Marker> markers{};
  int width = 1000;
  int height = 320;
};

// Axes from 0 (or the smallest x) to round maxima covering every point and
// marker. A series of more points than the plot has pixels is thinned
// (evenly, keeping its last point): extra points draw nothing.
std::string RenderLineChart(const LineChart& chart);

// One group of bars: one bar per series of the chart, in that order.
struct BarGroup {
  std::string label{};
  std::vector<double> values{};
  DataAttrs data{};  // on the group's <g class="...">
};

struct BarChart {
  // Written as the <svg>'s data-chart, so a reader can tell charts apart.
  std::string chart_id{};
  std::string title{};
  std::string y_label{};
  std::vector<std::string> series{};  // legend names, one per value of a group
  std::vector<std::string> colors{};  // per series; missing: the palette
  std::vector<BarGroup> groups{};
  std::string group_class = "bars";
  int width = 1000;
  int height = 320;
};

// Grouped bars from 0 to a round maximum, each bar labelled with its value
// and carrying data-series and data-value.
std::string RenderBarChart(const BarChart& chart);

// A histogram bin [lo, hi) holding `count` values; `label` names it on the
// x axis (empty: "lo" is written under its left edge).
struct Bin {
  double lo = 0;
  double hi = 0;
  std::size_t count = 0;
  std::string label{};
};

// Equal-width bins from 0 (or the smallest value when it is negative) to a
// round maximum over `values`, at most max_bins of them; the largest value
// falls in the last bin. No values: no bins.
std::vector<Bin> EqualWidthBins(const std::vector<double>& values, std::size_t max_bins);

struct Histogram {
  // Written as the <svg>'s data-chart, so a reader can tell charts apart.
  std::string chart_id{};
  std::string title{};
  std::string x_label{};
  std::string y_label = "ops";
  std::vector<Bin> bins{};
  std::vector<Marker> markers{};  // e.g. p50 and p99
  std::string color = "#4e79a7";
  int width = 1000;
  int height = 280;
};

// Touching bars, one per bin (<rect class="bin" data-lo data-hi
// data-count>), and the markers.
std::string RenderHistogram(const Histogram& histogram);

}  // namespace idem::svg
