#include "transport/response_collector.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace idem::internal {
namespace {

TEST(ResponseCollectorTest, KeepsHeaderNamesAsReceivedAndTrimsValues) {
  ResponseCollector c(100);
  EXPECT_TRUE(c.OnHeaderLine("HTTP/1.1 200 OK\r\n"));
  EXPECT_TRUE(c.OnHeaderLine("x-Request-ID:   abc  \r\n"));
  EXPECT_TRUE(c.OnHeaderLine("Set-Cookie: a=1\r\n"));
  EXPECT_TRUE(c.OnHeaderLine("Set-Cookie: b=2\r\n"));
  EXPECT_TRUE(c.OnHeaderLine("\r\n"));
  HttpResponse r = c.Take(200);
  ASSERT_EQ(r.headers.size(), 3u);
  EXPECT_EQ(r.headers[0].name, "x-Request-ID");
  EXPECT_EQ(r.headers[0].value, "abc");
  EXPECT_EQ(r.headers[2].value, "b=2");
  EXPECT_EQ(FindHeader(r.headers, "X-REQUEST-ID"), "abc");
  EXPECT_EQ(r.status, 200);
}

TEST(ResponseCollectorTest, OnlyTheFinalResponsesHeadersAreKept) {
  ResponseCollector c(100);
  c.OnHeaderLine("HTTP/1.1 100 Continue\r\n");
  c.OnHeaderLine("\r\n");
  c.OnHeaderLine("HTTP/1.1 103 Early Hints\r\n");
  c.OnHeaderLine("Link: </a.css>\r\n");
  c.OnHeaderLine("\r\n");
  c.OnHeaderLine("HTTP/2 201\r\n");
  c.OnHeaderLine("Location: /x\r\n");
  HttpResponse r = c.Take(201);
  ASSERT_EQ(r.headers.size(), 1u);
  EXPECT_EQ(r.headers[0].name, "Location");
}

TEST(ResponseCollectorTest, MalformedHeaderLinesAreIgnoredNotFatal) {
  ResponseCollector c(100);
  EXPECT_TRUE(c.OnHeaderLine("HTTP/1.1 200 OK\r\n"));
  EXPECT_TRUE(c.OnHeaderLine("no colon here\r\n"));
  EXPECT_TRUE(c.OnHeaderLine(": empty name\r\n"));
  EXPECT_TRUE(c.OnHeaderLine("bad name: x\r\n"));
  EXPECT_TRUE(c.OnHeaderLine(std::string("Bin: a\0b\r\n", 10)));
  EXPECT_TRUE(c.OnHeaderLine("Truncated-Without-CRLF: v"));
  EXPECT_TRUE(c.OnHeaderLine(""));
  HttpResponse r = c.Take(200);
  ASSERT_EQ(r.headers.size(), 2u);
  EXPECT_EQ(r.headers[0].value, std::string("a\0b", 3));
  EXPECT_EQ(r.headers[1].name, "Truncated-Without-CRLF");
}

TEST(ResponseCollectorTest, FoldedLinesContinueThePreviousValue) {
  ResponseCollector c(100);
  c.OnHeaderLine("HTTP/1.1 200 OK\r\n");
  c.OnHeaderLine("  folded before any header\r\n");  // nothing to continue: dropped
  c.OnHeaderLine("X-Long: first\r\n");
  c.OnHeaderLine("\t second\r\n");
  HttpResponse r = c.Take(200);
  ASSERT_EQ(r.headers.size(), 1u);
  EXPECT_EQ(r.headers[0].value, "first second");
}

TEST(ResponseCollectorTest, OversizedHeaderSectionAborts) {
  ResponseCollector c(100);
  ASSERT_TRUE(c.OnHeaderLine("HTTP/1.1 200 OK\r\n"));
  const std::string line = "X-Flood: " + std::string(1000, 'f') + "\r\n";
  bool accepted = true;
  for (int i = 0; i < 1000 && accepted; ++i) accepted = c.OnHeaderLine(line);
  EXPECT_FALSE(accepted);
  EXPECT_TRUE(c.headers_too_large());
}

TEST(ResponseCollectorTest, BodyIsCappedAndMarkedTruncated) {
  ResponseCollector c(10);
  EXPECT_TRUE(c.OnBodyBytes("01234", 200));
  EXPECT_TRUE(c.OnBodyBytes("5678", 200));
  EXPECT_FALSE(c.OnBodyBytes("9abc", 200));
  EXPECT_TRUE(c.body_truncated());
  HttpResponse r = c.Take(200);
  EXPECT_EQ(r.body, "0123456789");
  EXPECT_TRUE(r.body_truncated);
}

TEST(ResponseCollectorTest, BodyExactlyAtTheCapIsNotTruncated) {
  ResponseCollector c(4);
  EXPECT_TRUE(c.OnBodyBytes(std::string("\0\1\2\3", 4), 200));
  HttpResponse r = c.Take(200);
  EXPECT_EQ(r.body.size(), 4u);
  EXPECT_FALSE(r.body_truncated);
}

TEST(ResponseCollectorTest, ZeroCapTruncatesAnyBody) {
  ResponseCollector c(0);
  EXPECT_TRUE(c.OnBodyBytes("", 200));
  EXPECT_FALSE(c.OnBodyBytes("x", 200));
  EXPECT_TRUE(c.Take(200).body_truncated);
}

// A sink that keeps what it is given, counts Begin()s, and may refuse.
class KeepingSink final : public BodySink {
 public:
  bool Begin() override {
    ++begins;
    kept.clear();
    return !refuse_begin;
  }
  bool Write(std::string_view bytes) override {
    if (refuse_after >= 0 && kept.size() + bytes.size() > std::size_t(refuse_after)) return false;
    kept.append(bytes);
    return true;
  }
  int begins = 0;
  std::string kept;
  bool refuse_begin = false;
  long refuse_after = -1;  // bytes; -1 = never
};

TEST(ResponseCollectorTest, ASuccessfulBodyGoesToTheSinkWholePastTheCap) {
  auto sink = std::make_shared<KeepingSink>();
  ResponseCollector c(4, sink);
  EXPECT_TRUE(c.OnBodyBytes("%PDF-1.7 ", 200));
  EXPECT_TRUE(c.OnBodyBytes("and more than four bytes", 200));
  HttpResponse r = c.Take(200);
  EXPECT_EQ(sink->begins, 1);
  EXPECT_EQ(sink->kept, "%PDF-1.7 and more than four bytes");
  EXPECT_EQ(r.sunk_bytes, sink->kept.size());
  EXPECT_TRUE(r.body.empty());
  EXPECT_FALSE(r.body_truncated);
}

TEST(ResponseCollectorTest, AnErrorBodyIsCollectedNotSunk) {
  auto sink = std::make_shared<KeepingSink>();
  ResponseCollector c(100, sink);
  EXPECT_TRUE(c.OnBodyBytes(R"({"detail":"Not found."})", 404));
  HttpResponse r = c.Take(404);
  EXPECT_EQ(sink->begins, 0);
  EXPECT_EQ(r.body, R"({"detail":"Not found."})");
  EXPECT_EQ(r.sunk_bytes, 0u);
}

TEST(ResponseCollectorTest, ASinkThatRefusesAbortsTheTransfer) {
  auto sink = std::make_shared<KeepingSink>();
  sink->refuse_after = 5;
  ResponseCollector c(100, sink);
  EXPECT_TRUE(c.OnBodyBytes("12345", 200));
  EXPECT_FALSE(c.OnBodyBytes("6", 200));
  EXPECT_TRUE(c.sink_refused());
  (void)c.Take(200);  // reused for the next response: the refusal is cleared
  EXPECT_FALSE(c.sink_refused());

  auto no_start = std::make_shared<KeepingSink>();
  no_start->refuse_begin = true;
  ResponseCollector d(100, no_start);
  EXPECT_FALSE(d.OnBodyBytes("x", 200));
  EXPECT_TRUE(d.sink_refused());
}

HttpResponse WithLength(std::vector<std::string> lengths, std::string body, int status = 200) {
  HttpResponse r;
  r.status = status;
  for (auto& l : lengths) r.headers.push_back(Header{"content-length", std::move(l)});
  r.body = std::move(body);
  return r;
}

TEST(ContradictsContentLengthTest, MatchingOrAbsentLengthIsFine) {
  EXPECT_FALSE(ContradictsContentLength(WithLength({"3"}, "abc"), false));
  EXPECT_FALSE(ContradictsContentLength(WithLength({}, "close-delimited"), false));
  EXPECT_FALSE(ContradictsContentLength(WithLength({"3", "3"}, "abc"), false));
}

TEST(ContradictsContentLengthTest, HostileOrMismatchedLengthsAreCaught) {
  EXPECT_TRUE(ContradictsContentLength(WithLength({"4"}, "abc"), false));
  EXPECT_TRUE(ContradictsContentLength(WithLength({"99999999999999999999999"}, "x"), false));
  EXPECT_TRUE(ContradictsContentLength(WithLength({"-1"}, ""), false));
  EXPECT_TRUE(ContradictsContentLength(WithLength({"3abc"}, "abc"), false));
  EXPECT_TRUE(ContradictsContentLength(WithLength({""}, ""), false));
  EXPECT_TRUE(ContradictsContentLength(WithLength({"3", "4"}, "abc"), false));
}

TEST(ContradictsContentLengthTest, BodilessAndChunkedAndCappedResponsesAreNotChecked) {
  EXPECT_FALSE(ContradictsContentLength(WithLength({"100"}, ""), /*head_request=*/true));
  EXPECT_FALSE(ContradictsContentLength(WithLength({"100"}, "", 304), false));
  EXPECT_FALSE(ContradictsContentLength(WithLength({"100"}, "", 204), false));
  HttpResponse chunked = WithLength({"100"}, "abc");
  chunked.headers.push_back(Header{"Transfer-Encoding", "chunked"});
  EXPECT_FALSE(ContradictsContentLength(chunked, false));
  HttpResponse sunk = WithLength({"3"}, "");
  sunk.sunk_bytes = 3;  // the body went to a sink: its length still counts
  EXPECT_FALSE(ContradictsContentLength(sunk, false));
  sunk.sunk_bytes = 2;
  EXPECT_TRUE(ContradictsContentLength(sunk, false));
  HttpResponse capped = WithLength({"100"}, "abc");
  capped.body_truncated = true;
  EXPECT_FALSE(ContradictsContentLength(capped, false));
}

}  // namespace
}  // namespace idem::internal
