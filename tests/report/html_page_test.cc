// The report page: one document, nothing fetched, every text escaped.
#include "report/html_page.h"

#include <gtest/gtest.h>

#include "testing/html_scan.h"

namespace idem::html {
namespace {

using testing::CheckNesting;
using testing::FindTags;
using testing::ScanHtml;

constexpr char kHostile[] = "<script src=\"https://evil.example/x.js\"></script>&amp;'";

std::string HostilePage() {
  Page page(kHostile);
  page.Verdict(false, kHostile, kHostile, {{"seed", kHostile}});
  page.Heading(kHostile);
  page.Paragraph(kHostile);
  page.Code(kHostile);
  page.Figures("figures", {{"seed", "42", kHostile}, {kHostile, kHostile, ""}});
  page.Table("t", {kHostile, "n"}, {{kHostile, "12"}}, {{{"kind", kHostile}}});
  page.Chart(svg::RenderBarChart({.title = kHostile}), kHostile);
  return std::move(page).Finish();
}

TEST(HtmlPage, IsOneWellFormedDocumentWithNothingToFetch) {
  const std::string doc = HostilePage();
  std::string error;
  auto tags = ScanHtml(doc, &error);
  ASSERT_TRUE(tags.has_value()) << error;
  EXPECT_EQ(CheckNesting(*tags), "");
  EXPECT_EQ(doc.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_EQ(FindTags(*tags, "html").size(), 1u);
  EXPECT_EQ(FindTags(*tags, "head").size(), 1u);
  EXPECT_EQ(FindTags(*tags, "body").size(), 1u);
  // One page title (in <head>; each chart has its own <title> too).
  const std::size_t body_at = FindTags(*tags, "body")[0].offset;
  std::size_t head_titles = 0;
  for (const auto& t : FindTags(*tags, "title")) head_titles += t.offset < body_at ? 1 : 0;
  EXPECT_EQ(head_titles, 1u);
  // The hostile text never became markup: no script, no link, no URL.
  EXPECT_TRUE(FindTags(*tags, "script").empty());
  EXPECT_TRUE(FindTags(*tags, "link").empty());
  EXPECT_TRUE(FindTags(*tags, "img").empty());
  EXPECT_EQ(doc.find("<script"), std::string::npos);
  EXPECT_NE(doc.find("&lt;script src=&quot;https://evil.example/x.js&quot;&gt;"),
            std::string::npos);
  EXPECT_NE(doc.find("&amp;amp;"), std::string::npos) << "an entity in the text stays text";
  // A policy that forbids fetching anything, should markup ever slip in.
  bool csp = false;
  for (const auto& meta : FindTags(*tags, "meta")) {
    if (meta.Attr("http-equiv") == "Content-Security-Policy") {
      csp = true;
      EXPECT_NE(meta.Attr("content").find("default-src 'none'"), std::string::npos);
    }
  }
  EXPECT_TRUE(csp);
}

TEST(HtmlPage, FiguresAndTablesCarryTheirKeys) {
  const std::string doc = HostilePage();
  auto tags = ScanHtml(doc, nullptr);
  ASSERT_TRUE(tags.has_value());
  std::vector<std::string> keys;
  for (const auto& tr : FindTags(*tags, "tr")) {
    if (!tr.Attr("data-key").empty()) keys.push_back(tr.Attr("data-key"));
  }
  EXPECT_EQ(keys, (std::vector<std::string>{"seed", kHostile}));
  for (const auto& tr : FindTags(*tags, "tr")) {
    const std::string key = tr.Attr("data-key");
    if (key == "seed" || key == kHostile) {
      EXPECT_EQ(tr.Attr("data-value"), key == "seed" ? std::string("42") : key);
    }
  }
  auto verdict = FindTags(*tags, "div", "verdict");
  ASSERT_EQ(verdict.size(), 1u);
  EXPECT_TRUE(verdict[0].HasClass("bad"));
  EXPECT_EQ(verdict[0].Attr("data-seed"), kHostile);
  bool kind_row = false;
  for (const auto& tr : FindTags(*tags, "tr")) kind_row |= tr.Attr("data-kind") == kHostile;
  EXPECT_TRUE(kind_row);
  EXPECT_EQ(FindTags(*tags, "figure").size(), 1u);
  EXPECT_EQ(FindTags(*tags, "svg").size(), 1u);
}

}  // namespace
}  // namespace idem::html
