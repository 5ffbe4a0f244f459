// Internal: one self-contained HTML document for the reports of `idem chaos`
// and `idem demo`: inline CSS, inline SVG, no script, no font or image to
// fetch, and a Content-Security-Policy that forbids fetching anything, so
// the file reads the same offline, from a mail attachment or a CI artefact.
// Text is escaped on the way in (svg::Escape); only Figure() takes markup,
// and only the svg:: writers' output is meant for it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "report/svg.h"

namespace idem::html {

// A row of a figures table: `key` and `value` are shown and also written as
// the row's data-key and data-value, so a test can find a figure by the name
// the JSON report gives it.
struct Figure {
  std::string key;
  std::string value;
  std::string note;  // what it means, shown beside (may be empty)
};

class Page {
 public:
  explicit Page(std::string_view title);

  // The verdict banner: green when `good`, red otherwise. `data` goes on it
  // (e.g. data-passed, data-seed).
  void Verdict(bool good, std::string_view headline, std::string_view detail,
               const svg::DataAttrs& data);
  void Heading(std::string_view text);
  void Paragraph(std::string_view text);
  // Preformatted text (a command to replay the run).
  void Code(std::string_view text);
  // A table of figures, a row each: <tr data-key="KEY" data-value="VALUE">.
  void Figures(std::string_view css_class, const std::vector<Figure>& rows);
  // A table with a header row; every cell is text. `row_data[i]` (when
  // given) goes on row i.
  void Table(std::string_view css_class, const std::vector<std::string>& header,
             const std::vector<std::vector<std::string>>& rows,
             const std::vector<svg::DataAttrs>& row_data = {});
  // A chart from the svg:: writers, with a caption under it.
  void Chart(std::string svg_markup, std::string_view caption);

  // The whole document.
  std::string Finish() &&;

 private:
  std::string title_;
  std::string body_;
};

}  // namespace idem::html
