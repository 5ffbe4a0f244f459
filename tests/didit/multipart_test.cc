// Multipart bodies: deterministic boundary, exact framing, hostile content.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "idem/didit/types.h"
#include "testing/temp_dir.h"

namespace idem::didit {
namespace {

TEST(MultipartTest, ExactFraming) {
  auto body = MultipartBuilder("op-1")
                  .AddFile("user_image", FilePart::FromBytes("JPEG", "me.jpg", "image/jpeg"))
                  .AddField("vendor_data", "u1")
                  .Build();
  ASSERT_TRUE(body) << body.error().ToString();
  const std::string prefix = "multipart/form-data; boundary=";
  ASSERT_EQ(body->content_type.rfind(prefix, 0), 0u);
  std::string b = body->content_type.substr(prefix.size());
  EXPECT_EQ(b.size(), 45u);
  EXPECT_EQ(body->body,
            "--" + b +
                "\r\nContent-Disposition: form-data; name=\"user_image\"; filename=\"me.jpg\"\r\n"
                "Content-Type: image/jpeg\r\n\r\nJPEG\r\n--" +
                b + "\r\nContent-Disposition: form-data; name=\"vendor_data\"\r\n\r\nu1\r\n--" + b +
                "--\r\n");
}

TEST(MultipartTest, SameSeedSameBytesOtherSeedOtherBoundary) {
  PassiveLivenessRequest r{
      FilePart::FromBytes(std::string("\x00\x01\xff", 3), "a.png", "image/png"), "v", true};
  auto a = Encode(r, "op-1");
  auto b = Encode(r, "op-1");
  auto c = Encode(r, "op-2");
  ASSERT_TRUE(a && b && c);
  EXPECT_EQ(a->body, b->body);
  EXPECT_EQ(a->content_type, b->content_type);
  EXPECT_NE(a->content_type, c->content_type);
}

TEST(MultipartTest, ContentContainingTheBoundaryGetsAnother) {
  auto first = MultipartBuilder("seed").AddField("f", "x").Build();
  ASSERT_TRUE(first);
  std::string boundary = first->content_type.substr(first->content_type.find('=') + 1);
  auto hostile = MultipartBuilder("seed").AddField("f", "--" + boundary + "--\r\n").Build();
  ASSERT_TRUE(hostile);
  std::string other = hostile->content_type.substr(hostile->content_type.find('=') + 1);
  EXPECT_NE(other, boundary);
  // The only delimiters are the real ones: 1 part + the closing one.
  std::size_t count = 0;
  for (auto pos = hostile->body.find("--" + other); pos != std::string::npos;
       pos = hostile->body.find("--" + other, pos + 1)) {
    ++count;
  }
  EXPECT_EQ(count, 2u);
}

TEST(MultipartTest, HostileNamesAreEscapedOrRefused) {
  auto ok = MultipartBuilder("s")
                .AddFile("f", FilePart::FromBytes("x", "a\"b\r\nX-Evil: 1.jpg", "image/jpeg"))
                .Build();
  ASSERT_TRUE(ok);
  EXPECT_NE(ok->body.find("filename=\"a\\\"b  X-Evil: 1.jpg\""), std::string::npos);
  EXPECT_EQ(ok->body.find("\r\nX-Evil"), std::string::npos);
  EXPECT_FALSE(MultipartBuilder("s").AddField("bad\"name", "v").Build());
  EXPECT_FALSE(MultipartBuilder("s").AddField("", "v").Build());
  EXPECT_FALSE(MultipartBuilder("s")
                   .AddFile("f", FilePart::FromBytes("x", "a", "image/jpeg\r\nX: y"))
                   .Build());
}

TEST(MultipartTest, FilePartFromPath) {
  idem::testing::TempDir dir("idem-didit-mp");
  auto path = (dir / "Face.JPG").string();
  std::string bytes("\xff\xd8\x00\xff\xd9", 5);
  std::ofstream(path, std::ios::binary) << bytes;
  auto part = FilePart::FromPath(path);
  ASSERT_TRUE(part) << part.error().ToString();
  EXPECT_EQ(part->bytes, bytes);
  EXPECT_EQ(part->filename, "Face.JPG");
  EXPECT_EQ(part->content_type, "image/jpeg");
  EXPECT_EQ(FilePart::FromPath(path, 4).error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(FilePart::FromPath((dir / "missing.png").string()).error().code(), ErrorCode::kIo);
}

TEST(MultipartTest, ChecksRequireTheirImages) {
  EXPECT_EQ(Encode(PassiveLivenessRequest{}, "s").error().code(), ErrorCode::kInvalidArgument);
  FaceMatchRequest fm;
  fm.user_image = FilePart::FromBytes("u");
  EXPECT_FALSE(Encode(fm, "s"));
  fm.ref_image = FilePart::FromBytes("r");
  auto body = Encode(fm, "s");
  ASSERT_TRUE(body);
  EXPECT_NE(body->body.find("name=\"ref_image\""), std::string::npos);
  IdVerificationRequest id;
  EXPECT_FALSE(Encode(id, "s"));
  id.front_image = FilePart::FromBytes("f");
  id.back_image = FilePart::FromBytes("b");
  id.perform_document_liveness = true;
  auto idb = Encode(id, "s");
  ASSERT_TRUE(idb);
  EXPECT_NE(idb->body.find("name=\"back_image\""), std::string::npos);
  EXPECT_NE(idb->body.find("name=\"perform_document_liveness\"\r\n\r\ntrue"), std::string::npos);
}

}  // namespace
}  // namespace idem::didit
