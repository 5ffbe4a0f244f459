#include "common/crypto.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <set>
#include <string>

#include "testing/child_process.h"

namespace idem::crypto {
namespace {

TEST(CryptoTest, Sha256MatchesKnownVector) {
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(CryptoTest, HmacSha256MatchesRfc4231Case2) {
  EXPECT_EQ(HmacSha256Hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

// Contexts are reused per thread, and EVP_MAC_init takes a NULL key as "keep
// the previous one": an empty key (a default string_view has a null data())
// must not sign with the last caller's key.
TEST(CryptoTest, HmacSha256WithAnEmptyKeyMatchesTheKnownValue) {
  EXPECT_EQ(HmacSha256Hex("", ""),
            "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
  // Contexts are reused per thread: a key never leaks into the next call.
  EXPECT_EQ(HmacSha256Hex("key", "The quick brown fox jumps over the lazy dog"),
            "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8");
  EXPECT_EQ(HmacSha256Hex(std::string_view(), std::string_view()),
            "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(CryptoTest, HexRoundTripsAndRejectsBadInput) {
  std::string bytes("\x00\x01\xfe\xff", 4);
  EXPECT_EQ(HexEncode(bytes), "0001feff");
  EXPECT_EQ(HexDecode("0001FEff").value(), bytes);
  EXPECT_FALSE(HexDecode("abc").has_value());
  EXPECT_FALSE(HexDecode("zz").has_value());
}

TEST(CryptoTest, Base64UrlRoundTripsWithoutPaddingAndRefusesTheStandardAlphabet) {
  for (std::string s : {"", "f", "fo", "foo", "\xfb\xff", "\xfb\xff\xbf"}) {
    const std::string encoded = Base64UrlEncode(s);
    EXPECT_EQ(encoded.find_first_of("+/="), std::string::npos) << encoded;
    auto decoded = Base64UrlDecode(encoded);
    ASSERT_TRUE(decoded) << encoded;
    EXPECT_EQ(*decoded, s);
  }
  EXPECT_EQ(Base64UrlEncode("\xfb\xff\xbf"), "-_-_");
  EXPECT_FALSE(Base64UrlDecode("+/+/"));
  EXPECT_FALSE(Base64UrlDecode("Zm8="));
  EXPECT_FALSE(Base64UrlDecode("Zm9vY"));  // 5 characters: no encoding is that long
}

TEST(CryptoTest, Base64RoundTripsAllPaddingLengths) {
  for (std::string s : {"", "f", "fo", "foo", "foob", "fooba", "foobar"}) {
    auto decoded = Base64Decode(Base64Encode(s));
    ASSERT_TRUE(decoded.has_value()) << s;
    EXPECT_EQ(*decoded, s);
  }
  EXPECT_EQ(Base64Encode("foobar"), "Zm9vYmFy");
  EXPECT_FALSE(Base64Decode("Zm9").has_value());
  EXPECT_FALSE(Base64Decode("Zm9v!mFy").has_value());
}

TEST(CryptoTest, ConstantTimeEqualsComparesContentAndLength) {
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abcd"));
  EXPECT_TRUE(ConstantTimeEquals("", ""));
}

TEST(CryptoTest, RandomBytesAreNotConstant) {
  std::string a(32, '\0'), b(32, '\0');
  RandomBytes(a.data(), a.size());
  RandomBytes(b.data(), b.size());
  EXPECT_NE(a, b);
}

// Keys are cut from a per-thread pool: draws across many refills never
// repeat, and sizes larger than a pool slice come straight from OpenSSL.
TEST(CryptoTest, RandomDrawsNeverRepeatAcrossPoolRefills) {
  std::set<std::string> seen;
  for (int i = 0; i < 20000; ++i) {
    std::string key(16, '\0');
    RandomBytes(key.data(), key.size());
    ASSERT_TRUE(seen.insert(key).second) << "draw " << i << " repeated";
  }
  std::string big(4096, '\0'), big2(4096, '\0');
  RandomBytes(big.data(), big.size());
  RandomBytes(big2.data(), big2.size());
  EXPECT_NE(big, big2);
  EXPECT_NE(big.substr(0, 16), std::string(16, '\0'));
}

// A pool drawn before fork() is in both processes: the child must not hand
// out the bytes the parent hands out next (same keys in two processes).
TEST(CryptoTest, AForkedChildNeverRepeatsTheParentsNextBytes) {
  std::string first(16, '\0');
  RandomBytes(first.data(), first.size());  // the pool now holds more bytes
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  idem::testing::ChildProcess forked = idem::testing::ChildProcess::Fork([&] {
    char child[16];
    RandomBytes(child, sizeof child);
    const bool sent = write(fds[1], child, sizeof child) == static_cast<ssize_t>(sizeof child);
    _exit(sent ? 0 : 1);
  });
  ASSERT_TRUE(forked.started());
  close(fds[1]);
  std::string parent(16, '\0');
  RandomBytes(parent.data(), parent.size());
  std::string child(16, '\0');
  ASSERT_EQ(read(fds[0], child.data(), child.size()), 16);
  close(fds[0]);
  ASSERT_EQ(forked.Wait().code, 0);
  EXPECT_NE(child, parent);
  EXPECT_NE(child, first);
}

}  // namespace
}  // namespace idem::crypto
