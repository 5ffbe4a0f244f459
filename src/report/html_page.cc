#include "report/html_page.h"

namespace idem::html {
namespace {

using svg::Escape;

// System fonts only: a report must not fetch a web font.
constexpr const char* kStyle = R"(
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #222;
       max-width: 1120px; margin: 24px auto; padding: 0 16px; background: #fff; }
h1 { font-size: 22px; margin: 0 0 12px; }
h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
p { line-height: 1.45; margin: 6px 0; }
pre { background: #f5f5f5; padding: 8px 10px; font-size: 13px; white-space: pre-wrap;
      overflow-wrap: anywhere; }
.verdict { padding: 12px 16px; border-radius: 6px; margin: 8px 0 16px; }
.verdict.good { background: #e6f4ea; border: 1px solid #59a14f; }
.verdict.bad { background: #fdecea; border: 1px solid #e15759; }
.verdict .headline { font-size: 20px; font-weight: 700; }
.verdict .detail { margin-top: 4px; }
table { border-collapse: collapse; margin: 6px 0 12px; font-size: 13px; }
th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: left; vertical-align: top;
         overflow-wrap: anywhere; }
table.figures td, table.parameters td { max-width: 520px; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
th { background: #f3f3f3; }
figure { margin: 12px 0 20px; }
figcaption { font-size: 13px; color: #555; max-width: 1000px; }
svg.chart { display: block; background: #fff; }
)";

bool Numeric(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || c == '.' || c == '-' || c == 'e' || c == '+')) return false;
  }
  return true;
}

std::string Cell(const char* tag, const std::string& text) {
  const std::string cls = Numeric(text) ? " class=\"num\"" : "";
  return std::string("<") + tag + cls + ">" + Escape(text) + "</" + tag + ">";
}

}  // namespace

Page::Page(std::string_view title) : title_(title) { body_ += "<h1>" + Escape(title) + "</h1>\n"; }

void Page::Verdict(bool good, std::string_view headline, std::string_view detail,
                   const svg::DataAttrs& data) {
  body_ += "<div class=\"verdict " + std::string(good ? "good" : "bad") + "\"" +
           svg::DataAttributes(data) + "><div class=\"headline\">" + Escape(headline) +
           "</div><div class=\"detail\">" + Escape(detail) + "</div></div>\n";
}

void Page::Heading(std::string_view text) { body_ += "<h2>" + Escape(text) + "</h2>\n"; }

void Page::Paragraph(std::string_view text) { body_ += "<p>" + Escape(text) + "</p>\n"; }

void Page::Code(std::string_view text) { body_ += "<pre>" + Escape(text) + "</pre>\n"; }

void Page::Figures(std::string_view css_class, const std::vector<Figure>& rows) {
  body_ += "<table class=\"" + Escape(css_class) + "\">\n";
  for (const Figure& f : rows) {
    // Left-aligned: a column of figures of every kind (numbers, words, a
    // fault spec) reads better so than ragged right.
    body_ += "<tr data-key=\"" + Escape(f.key) + "\" data-value=\"" + Escape(f.value) + "\"><th>" +
             Escape(f.key) + "</th><td>" + Escape(f.value) + "</td>";
    body_ += "<td class=\"note\">" + Escape(f.note) + "</td></tr>\n";
  }
  body_ += "</table>\n";
}

void Page::Table(std::string_view css_class, const std::vector<std::string>& header,
                 const std::vector<std::vector<std::string>>& rows,
                 const std::vector<svg::DataAttrs>& row_data) {
  body_ += "<table class=\"" + Escape(css_class) + "\">\n<tr>";
  for (const std::string& h : header) body_ += "<th>" + Escape(h) + "</th>";
  body_ += "</tr>\n";
  for (std::size_t i = 0; i < rows.size(); ++i) {
    body_ += "<tr" + (i < row_data.size() ? svg::DataAttributes(row_data[i]) : std::string()) + ">";
    for (const std::string& cell : rows[i]) body_ += Cell("td", cell);
    body_ += "</tr>\n";
  }
  body_ += "</table>\n";
}

void Page::Chart(std::string svg_markup, std::string_view caption) {
  body_ += "<figure>" + svg_markup;
  if (!caption.empty()) body_ += "<figcaption>" + Escape(caption) + "</figcaption>";
  body_ += "</figure>\n";
}

std::string Page::Finish() && {
  std::string doc = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  // Nothing may be fetched: not a script, an image, a font or a style sheet.
  doc +=
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
      "style-src 'unsafe-inline'\">\n";
  doc += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  doc += "<title>" + Escape(title_) + "</title>\n<style>" + kStyle + "</style>\n</head>\n<body>\n";
  doc += body_;
  doc += "</body>\n</html>\n";
  return doc;
}

}  // namespace idem::html
