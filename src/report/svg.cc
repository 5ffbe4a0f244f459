#include "report/svg.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace idem::svg {
namespace {

// Tableau 10: distinct, readable on white, and kind to colour-blind readers.
constexpr const char* kPalette[] = {"#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2",
                                    "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"};

const char* PaletteColor(std::size_t i) { return kPalette[i % std::size(kPalette)]; }

// Coordinates with one decimal: sub-pixel enough, and the files stay small.
std::string Px(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", std::isfinite(v) ? v : 0.0);
  return buf;
}

// Tick and bar labels: ten significant digits hide the float noise of
// min + i * step (0.30000000000000004) that FormatNumber would keep.
std::string Label(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.10g", std::abs(v) < 1e-12 ? 0.0 : v);
  return buf;
}

bool ValidDataName(const std::string& name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

// The text of an <svg> element, built in order.
class Writer {
 public:
  Writer(int width, int height, std::string_view title, std::string_view css_class,
         std::string_view chart_id) {
    out_ += "<svg class=\"" + Escape(css_class) + "\" data-chart=\"" + Escape(chart_id) +
            "\" width=\"" + std::to_string(width) + "\" height=\"" + std::to_string(height) +
            "\" viewBox=\"0 0 " + std::to_string(width) + " " + std::to_string(height) +
            "\" role=\"img\" aria-label=\"" + Escape(title) +
            "\" font-family=\"system-ui, sans-serif\" font-size=\"11\">";
    out_ += "<title>" + Escape(title) + "</title>";
    if (!title.empty()) {
      Text(8, 18, title, "chart-title", "start", "font-size=\"14\" font-weight=\"600\"");
    }
  }

  void Raw(std::string_view s) { out_ += s; }

  void Text(double x, double y, std::string_view text, std::string_view css_class,
            std::string_view anchor = "start", std::string_view extra = "") {
    out_ += "<text class=\"" + Escape(css_class) + "\" x=\"" + Px(x) + "\" y=\"" + Px(y) +
            "\" text-anchor=\"" + std::string(anchor) + "\"";
    if (!extra.empty()) out_ += " " + std::string(extra);
    out_ += ">" + Escape(text) + "</text>";
  }

  void Line(double x1, double y1, double x2, double y2, std::string_view stroke,
            std::string_view css_class, std::string_view extra = "") {
    out_ += "<line class=\"" + Escape(css_class) + "\" x1=\"" + Px(x1) + "\" y1=\"" + Px(y1) +
            "\" x2=\"" + Px(x2) + "\" y2=\"" + Px(y2) + "\" stroke=\"" + Escape(stroke) + "\"";
    if (!extra.empty()) out_ += " " + std::string(extra);
    out_ += "/>";
  }

  void Rect(double x, double y, double w, double h, std::string_view fill,
            std::string_view css_class, const DataAttrs& data) {
    out_ += "<rect class=\"" + Escape(css_class) + "\" x=\"" + Px(x) + "\" y=\"" + Px(y) +
            "\" width=\"" + Px(std::max(0.0, w)) + "\" height=\"" + Px(std::max(0.0, h)) +
            "\" fill=\"" + Escape(fill) + "\"" + Data(data) + "/>";
  }

  static std::string Data(const DataAttrs& data) { return DataAttributes(data); }

  std::string Finish() && {
    out_ += "</svg>";
    return std::move(out_);
  }

 private:
  std::string out_;
};

// Rough width of a label in px at font-size 11 (no font metrics without a
// browser; only used to keep labels apart).
double TextWidth(std::string_view text) { return 6.2 * static_cast<double>(text.size()); }

constexpr double kRowHeight = 12;

// The plot area inside the chart, and the mapping from data to pixels. The
// title takes the first line, the legend the second.
struct Plot {
  double left = 64;
  double top = 48;
  double width = 0;
  double height = 0;
  double chart_height = 0;
  AxisRange x;
  AxisRange y;

  Plot(int chart_width, int chart_height_px) : chart_height(chart_height_px) {
    width = std::max(10.0, chart_width - left - 24);
    SetTop(top);
  }
  // Room above the plot for marker labels.
  void SetTop(double t) {
    top = t;
    height = std::max(10.0, chart_height - top - 52);
  }
  double X(double v) const { return left + (v - x.min) / (x.max - x.min) * width; }
  double Y(double v) const { return top + height - (v - y.min) / (y.max - y.min) * height; }
  double Bottom() const { return top + height; }
  double Right() const { return left + width; }
};

std::size_t TickCount(const AxisRange& r) {
  return static_cast<std::size_t>(std::llround((r.max - r.min) / r.step));
}

// Horizontal grid lines with the y axis's tick labels, and its title.
void YAxis(Writer& w, const Plot& p, std::string_view label) {
  for (std::size_t i = 0; i <= TickCount(p.y); ++i) {
    const double v = p.y.min + static_cast<double>(i) * p.y.step;
    w.Line(p.left, p.Y(v), p.Right(), p.Y(v), "#e3e3e3", "grid");
    w.Text(p.left - 6, p.Y(v) + 4, Label(v), "tick", "end");
  }
  w.Line(p.left, p.top, p.left, p.Bottom(), "#555555", "axis");
  w.Line(p.left, p.Bottom(), p.Right(), p.Bottom(), "#555555", "axis");
  if (!label.empty()) {
    w.Text(14, p.top + p.height / 2, label, "axis-label", "middle",
           "transform=\"rotate(-90 14 " + Px(p.top + p.height / 2) + ")\"");
  }
}

// The x axis's ticks, as many labels as fit (at least ~56 px apart).
void XAxis(Writer& w, const Plot& p, std::string_view label) {
  const std::size_t ticks = TickCount(p.x);
  const std::size_t every =
      std::max<std::size_t>(1, static_cast<std::size_t>(std::ceil(56.0 * ticks / p.width)));
  for (std::size_t i = 0; i <= ticks; i += every) {
    const double v = p.x.min + static_cast<double>(i) * p.x.step;
    w.Line(p.X(v), p.Bottom(), p.X(v), p.Bottom() + 4, "#555555", "tick-mark");
    w.Text(p.X(v), p.Bottom() + 16, Label(v), "tick", "middle");
  }
  if (!label.empty()) w.Text(p.left + p.width / 2, p.Bottom() + 36, label, "axis-label", "middle");
}

void NoData(Writer& w, const Plot& p) {
  w.Text(p.left + p.width / 2, p.top + p.height / 2, "no data", "no-data", "middle",
         "fill=\"#888888\"");
}

// Where a marker's label goes: left of its line in the plot's right
// quarter, right of it elsewhere.
struct LabelSpan {
  double from = 0;
  double to = 0;
  bool left_of_line = false;
};
LabelSpan SpanOf(const Plot& p, const Marker& m) {
  const double x = p.X(std::clamp(m.x, p.x.min, p.x.max));
  const double w = TextWidth(m.label);
  const bool left = x > p.left + p.width * 0.75;
  return left ? LabelSpan{x - 3 - w, x - 3, true} : LabelSpan{x + 3, x + 3 + w, false};
}

// The row of each marker's label above the plot: the first row whose last
// label ends before this one starts (markers taken left to right), so
// labels of close markers stack instead of overlapping. At most 6 rows;
// past that the row that ends first is shared. Needs p.x set.
std::vector<int> MarkerRows(const Plot& p, const std::vector<Marker>& markers, int* rows_used) {
  std::vector<std::size_t> order;
  for (std::size_t i = 0; i < markers.size(); ++i) {
    if (std::isfinite(markers[i].x) && !markers[i].label.empty()) order.push_back(i);
  }
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return markers[a].x < markers[b].x; });
  std::vector<int> row(markers.size(), -1);
  std::vector<double> row_end;
  for (std::size_t i : order) {
    const LabelSpan span = SpanOf(p, markers[i]);
    std::size_t r = 0;
    while (r < row_end.size() && row_end[r] + 6 > span.from) ++r;
    if (r == row_end.size()) {
      if (row_end.size() < 6) {
        row_end.push_back(0);
      } else {
        r = static_cast<std::size_t>(std::min_element(row_end.begin(), row_end.end()) -
                                     row_end.begin());
      }
    }
    row_end[r] = span.to;
    row[i] = static_cast<int>(r);
  }
  *rows_used = static_cast<int>(row_end.size());
  return row;
}

// Vertical dashed lines across the plot, labels in the rows above it.
void Markers(Writer& w, const Plot& p, const std::vector<Marker>& markers,
             const std::vector<int>& rows) {
  for (std::size_t i = 0; i < markers.size(); ++i) {
    const Marker& m = markers[i];
    if (!std::isfinite(m.x)) continue;
    const double x = p.X(std::clamp(m.x, p.x.min, p.x.max));
    w.Raw("<g class=\"marker-group\">");
    w.Line(x, p.top, x, p.Bottom(), m.color, m.css_class,
           "stroke-width=\"1.5\" stroke-dasharray=\"5 3\" data-x=\"" + Escape(FormatNumber(m.x)) +
               "\"" + Writer::Data(m.data));
    if (!m.label.empty() && i < rows.size() && rows[i] >= 0) {
      const LabelSpan span = SpanOf(p, m);
      // Row 0 sits right above the plot, later rows above it.
      const double y = p.top - 4 - kRowHeight * static_cast<double>(rows[i]);
      w.Line(x, y + 2, x, p.top, m.color, "marker-tick", "stroke-width=\"1\"");
      w.Text(span.left_of_line ? span.to : span.from, y, m.label, "marker-label",
             span.left_of_line ? "end" : "start", "fill=\"" + Escape(m.color) + "\"");
    }
    w.Raw("</g>");
  }
}

// Lays out marker label rows and moves the plot's top down to make room.
std::vector<int> PlaceMarkers(Plot& p, const std::vector<Marker>& markers) {
  int rows_used = 0;
  std::vector<int> rows = MarkerRows(p, markers, &rows_used);
  p.SetTop(p.top + kRowHeight * rows_used);
  return rows;
}

// Legend on the line under the title: a swatch and a name per series.
void Legend(Writer& w, const std::vector<std::string>& names,
            const std::vector<std::string>& colors) {
  double x = 10;
  for (std::size_t i = 0; i < names.size() && i < colors.size(); ++i) {
    w.Rect(x, 27, 10, 10, colors[i], "swatch", {});
    w.Text(x + 14, 36, names[i], "legend");
    x += TextWidth(names[i]) + 30;
  }
}

}  // namespace

std::string Escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string DataAttributes(const DataAttrs& data) {
  std::string s;
  for (const auto& [name, value] : data) {
    if (ValidDataName(name)) s += " data-" + name + "=\"" + Escape(value) + "\"";
  }
  return s;
}

std::string FormatNumber(double value) {
  if (!std::isfinite(value)) return "0";
  char buf[40];
  // Integers in full: "%g" would write 1000000 as "1e+06".
  if (value == std::trunc(value) && std::abs(value) < 1e17) {
    std::snprintf(buf, sizeof buf, "%.0f", value);
    return buf;
  }
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, value);
    if (std::strtod(buf, nullptr) == value) break;
  }
  return buf;
}

AxisRange NiceRange(double lo, double hi, int max_ticks) {
  if (!std::isfinite(lo)) lo = 0;
  if (!std::isfinite(hi) || hi <= lo) hi = lo + 1;
  max_ticks = std::max(1, max_ticks);
  const double raw = (hi - lo) / max_ticks;
  double step = std::pow(10.0, std::floor(std::log10(raw)));
  const double magnitude = step;
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0, 20.0}) {
    step = m * magnitude;
    // 1e-9: hi / step may come out a hair above an integer (1 / 0.2).
    const double from = std::floor(lo / step + 1e-9);
    const double to = std::ceil(hi / step - 1e-9);
    if (to - from <= max_ticks) break;
  }
  AxisRange r;
  r.step = step;
  r.min = std::floor(lo / step + 1e-9) * step;
  r.max = std::ceil(hi / step - 1e-9) * step;
  if (r.max <= r.min) r.max = r.min + step;
  return r;
}

std::string RenderLineChart(const LineChart& chart) {
  Writer w(chart.width, chart.height, chart.title, "chart line-chart", chart.chart_id);
  Plot p(chart.width, chart.height);
  double x_lo = 0;
  double x_hi = 0;
  double y_hi = 0;
  bool any = false;
  for (const Series& s : chart.series) {
    for (const auto& [x, y] : s.points) {
      if (!std::isfinite(x) || !std::isfinite(y)) continue;
      x_lo = std::min(x_lo, x);
      x_hi = std::max(x_hi, x);
      y_hi = std::max(y_hi, y);
      any = true;
    }
  }
  for (const Marker& m : chart.markers) {
    if (std::isfinite(m.x)) x_hi = std::max(x_hi, m.x);
  }
  p.x = NiceRange(x_lo, x_hi, 8);
  p.y = NiceRange(0, y_hi, 5);
  const std::vector<int> rows = PlaceMarkers(p, chart.markers);
  YAxis(w, p, chart.y_label);
  XAxis(w, p, chart.x_label);
  if (!any) NoData(w, p);
  std::vector<std::string> names;
  std::vector<std::string> colors;
  for (std::size_t i = 0; i < chart.series.size(); ++i) {
    const Series& s = chart.series[i];
    const std::string color = s.color.empty() ? PaletteColor(i) : s.color;
    names.push_back(s.name);
    colors.push_back(color);
    std::vector<std::pair<double, double>> points;
    for (const auto& point : s.points) {
      if (std::isfinite(point.first) && std::isfinite(point.second)) points.push_back(point);
    }
    const std::size_t max_points = static_cast<std::size_t>(2 * p.width);
    const std::size_t stride = points.size() > max_points ? points.size() / max_points + 1 : 1;
    std::string coords;
    for (std::size_t j = 0; j < points.size(); ++j) {
      if (j % stride != 0 && j + 1 != points.size()) continue;
      coords += Px(p.X(points[j].first)) + "," + Px(p.Y(points[j].second)) + " ";
    }
    DataAttrs data = s.data;
    data.emplace_back("name", s.name);
    data.emplace_back("points", std::to_string(points.size()));
    w.Raw("<polyline class=\"" + Escape(s.css_class) + "\" fill=\"none\" stroke=\"" +
          Escape(color) + "\" stroke-width=\"2\" points=\"" + coords + "\"" + Writer::Data(data) +
          "/>");
    // A dot at the last point: a one-point series is still seen.
    if (!points.empty()) {
      w.Raw("<circle class=\"last-point\" cx=\"" + Px(p.X(points.back().first)) + "\" cy=\"" +
            Px(p.Y(points.back().second)) + "\" r=\"3\" fill=\"" + Escape(color) + "\"/>");
    }
  }
  Markers(w, p, chart.markers, rows);
  if (chart.series.size() > 1) Legend(w, names, colors);
  return std::move(w).Finish();
}

std::string RenderBarChart(const BarChart& chart) {
  Writer w(chart.width, chart.height, chart.title, "chart bar-chart", chart.chart_id);
  Plot p(chart.width, chart.height);
  double y_hi = 0;
  for (const BarGroup& g : chart.groups) {
    for (double v : g.values) {
      if (std::isfinite(v)) y_hi = std::max(y_hi, v);
    }
  }
  p.x = {0, 1, 1};
  p.y = NiceRange(0, y_hi, 5);
  YAxis(w, p, chart.y_label);
  if (chart.groups.empty()) NoData(w, p);
  std::vector<std::string> colors;
  for (std::size_t i = 0; i < chart.series.size(); ++i) {
    colors.push_back(i < chart.colors.size() && !chart.colors[i].empty() ? chart.colors[i]
                                                                         : PaletteColor(i));
  }
  const std::size_t n_series = std::max<std::size_t>(1, chart.series.size());
  const double group_width =
      p.width / static_cast<double>(std::max<std::size_t>(1, chart.groups.size()));
  // At most 72 px a bar: two groups of three should not look like walls.
  const double bar_width = std::min(72.0, group_width * 0.8 / static_cast<double>(n_series));
  for (std::size_t g = 0; g < chart.groups.size(); ++g) {
    const BarGroup& group = chart.groups[g];
    // The group's bars centred in its slot.
    const double x0 = p.left + group_width * static_cast<double>(g) +
                      (group_width - bar_width * static_cast<double>(n_series)) / 2;
    w.Raw("<g class=\"" + Escape(chart.group_class) + "\"" + Writer::Data(group.data) + ">");
    for (std::size_t s = 0; s < group.values.size() && s < n_series; ++s) {
      const double v = std::isfinite(group.values[s]) ? std::max(0.0, group.values[s]) : 0.0;
      const double x = x0 + bar_width * static_cast<double>(s);
      const std::string series = s < chart.series.size() ? chart.series[s] : std::string();
      const std::string color = s < colors.size() ? colors[s] : PaletteColor(s);
      w.Rect(x, p.Y(v), bar_width - 2, p.Bottom() - p.Y(v), color, "bar",
             {{"series", series}, {"value", FormatNumber(v)}});
      w.Text(x + (bar_width - 2) / 2, p.Y(v) - 3, Label(v), "value", "middle");
    }
    w.Text(p.left + group_width * (static_cast<double>(g) + 0.5), p.Bottom() + 16, group.label,
           "group-label", "middle");
    w.Raw("</g>");
  }
  if (chart.series.size() > 1) Legend(w, chart.series, colors);
  return std::move(w).Finish();
}

std::vector<Bin> EqualWidthBins(const std::vector<double>& values, std::size_t max_bins) {
  std::vector<double> finite;
  for (double v : values) {
    if (std::isfinite(v)) finite.push_back(v);
  }
  if (finite.empty() || max_bins == 0) return {};
  const auto [lo, hi] = std::minmax_element(finite.begin(), finite.end());
  const AxisRange r = NiceRange(std::min(0.0, *lo), *hi, static_cast<int>(max_bins));
  const std::size_t n = std::max<std::size_t>(1, TickCount(r));
  std::vector<Bin> bins(n);
  for (std::size_t i = 0; i < n; ++i) {
    bins[i].lo = r.min + static_cast<double>(i) * r.step;
    bins[i].hi = r.min + static_cast<double>(i + 1) * r.step;
  }
  for (double v : finite) {
    const double at = std::floor((v - r.min) / r.step);
    const std::size_t i = at < 0 ? 0 : std::min(n - 1, static_cast<std::size_t>(at));
    ++bins[i].count;
  }
  return bins;
}

std::string RenderHistogram(const Histogram& h) {
  Writer w(h.width, h.height, h.title, "chart histogram", h.chart_id);
  Plot p(h.width, h.height);
  std::size_t most = 0;
  for (const Bin& b : h.bins) most = std::max(most, b.count);
  p.y = NiceRange(0, static_cast<double>(most), 5);
  if (h.bins.empty()) {
    p.x = {0, 1, 1};
    YAxis(w, p, h.y_label);
    NoData(w, p);
    return std::move(w).Finish();
  }
  p.x.min = h.bins.front().lo;
  p.x.max = std::max(h.bins.back().hi, p.x.min + 1e-9);
  p.x.step = (p.x.max - p.x.min) / static_cast<double>(h.bins.size());
  const std::vector<int> rows = PlaceMarkers(p, h.markers);
  YAxis(w, p, h.y_label);
  const bool labelled =
      std::all_of(h.bins.begin(), h.bins.end(), [](const Bin& b) { return !b.label.empty(); });
  // Edge labels as many as fit (~56 px apart); named bins under their middle.
  const std::size_t every = std::max<std::size_t>(
      1, static_cast<std::size_t>(std::ceil(56.0 * static_cast<double>(h.bins.size()) / p.width /
                                            (labelled ? 2.0 : 1.0))));
  for (std::size_t i = 0; i < h.bins.size(); ++i) {
    const Bin& b = h.bins[i];
    const double x = p.X(b.lo);
    const double width = p.X(b.hi) - x;
    w.Rect(x + 0.5, p.Y(static_cast<double>(b.count)), width - 1,
           p.Bottom() - p.Y(static_cast<double>(b.count)), h.color, "bin",
           {{"lo", FormatNumber(b.lo)},
            {"hi", FormatNumber(b.hi)},
            {"count", std::to_string(b.count)}});
    if (b.count > 0 && width >= 14) {
      w.Text(x + width / 2, p.Y(static_cast<double>(b.count)) - 3, std::to_string(b.count), "value",
             "middle");
    }
    if (i % every != 0) continue;
    if (labelled) {
      w.Text(x + width / 2, p.Bottom() + 16, b.label, "tick", "middle");
    } else {
      w.Line(x, p.Bottom(), x, p.Bottom() + 4, "#555555", "tick-mark");
      w.Text(x, p.Bottom() + 16, Label(b.lo), "tick", "middle");
    }
  }
  if (!labelled) w.Text(p.Right(), p.Bottom() + 16, Label(h.bins.back().hi), "tick", "middle");
  if (!h.x_label.empty()) {
    w.Text(p.left + p.width / 2, p.Bottom() + 36, h.x_label, "axis-label", "middle");
  }
  Markers(w, p, h.markers, rows);
  return std::move(w).Finish();
}

}  // namespace idem::svg
