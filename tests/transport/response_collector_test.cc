#include "transport/response_collector.h"

#include <gtest/gtest.h>

#include <string>
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
  EXPECT_TRUE(c.OnBodyBytes("01234"));
  EXPECT_TRUE(c.OnBodyBytes("5678"));
  EXPECT_FALSE(c.OnBodyBytes("9abc"));
  EXPECT_TRUE(c.body_truncated());
  HttpResponse r = c.Take(200);
  EXPECT_EQ(r.body, "0123456789");
  EXPECT_TRUE(r.body_truncated);
}

TEST(ResponseCollectorTest, BodyExactlyAtTheCapIsNotTruncated) {
  ResponseCollector c(4);
  EXPECT_TRUE(c.OnBodyBytes(std::string("\0\1\2\3", 4)));
  HttpResponse r = c.Take(200);
  EXPECT_EQ(r.body.size(), 4u);
  EXPECT_FALSE(r.body_truncated);
}

TEST(ResponseCollectorTest, ZeroCapTruncatesAnyBody) {
  ResponseCollector c(0);
  EXPECT_TRUE(c.OnBodyBytes(""));
  EXPECT_FALSE(c.OnBodyBytes("x"));
  EXPECT_TRUE(c.Take(200).body_truncated);
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
  HttpResponse capped = WithLength({"100"}, "abc");
  capped.body_truncated = true;
  EXPECT_FALSE(ContradictsContentLength(capped, false));
}

}  // namespace
}  // namespace idem::internal
