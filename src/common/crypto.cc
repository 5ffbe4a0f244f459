#include "common/crypto.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <pthread.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace idem::crypto {

namespace {

[[noreturn]] void CryptoFailed(const char* what) {
  std::fprintf(stderr, "idem: OpenSSL %s failed\n", what);
  std::abort();
}

// OpenSSL 3's one-shot SHA256() and HMAC() look their algorithm up in the
// provider store on every call (a locked hash-table search, about a third
// of a short message's cost, and contended across threads). The algorithms
// are fetched once, and each thread keeps a context to reuse.
const EVP_MD* Sha256Md() {
  static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA2-256", nullptr);
  if (md == nullptr) CryptoFailed("EVP_MD_fetch(SHA2-256)");
  return md;
}

EVP_MAC* HmacMac() {
  static EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  if (mac == nullptr) CryptoFailed("EVP_MAC_fetch(HMAC)");
  return mac;
}

struct DigestContext {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ~DigestContext() { EVP_MD_CTX_free(ctx); }
};

struct MacContext {
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(HmacMac());
  ~MacContext() { EVP_MAC_CTX_free(ctx); }  // cleanses the key
};

}  // namespace

std::string Sha256(std::string_view data) {
  thread_local DigestContext context;
  std::string out(SHA256_DIGEST_LENGTH, '\0');
  unsigned int len = 0;
  if (context.ctx == nullptr || EVP_DigestInit_ex2(context.ctx, Sha256Md(), nullptr) != 1 ||
      EVP_DigestUpdate(context.ctx, data.data(), data.size()) != 1 ||
      EVP_DigestFinal_ex(context.ctx, reinterpret_cast<unsigned char*>(out.data()), &len) != 1) {
    CryptoFailed("SHA-256");
  }
  return out;
}

std::string Sha256Hex(std::string_view data) { return HexEncode(Sha256(data)); }

std::string HmacSha256(std::string_view key, std::string_view data) {
  thread_local MacContext context;
  static const OSSL_PARAM params[] = {
      OSSL_PARAM_utf8_string("digest", const_cast<char*>("SHA2-256"), sizeof("SHA2-256") - 1),
      OSSL_PARAM_END};
  // To EVP_MAC_init a NULL key means "keep the previous key": on this reused
  // context, the previous caller's. An empty string_view may have a null
  // data(), so an empty key is passed as a non-null pointer and length 0.
  static const unsigned char kNoKey = 0;
  const auto* key_bytes =
      key.empty() ? &kNoKey : reinterpret_cast<const unsigned char*>(key.data());
  std::string out(EVP_MAX_MD_SIZE, '\0');
  std::size_t len = 0;
  if (context.ctx == nullptr || EVP_MAC_init(context.ctx, key_bytes, key.size(), params) != 1 ||
      EVP_MAC_update(context.ctx, reinterpret_cast<const unsigned char*>(data.data()),
                     data.size()) != 1 ||
      EVP_MAC_final(context.ctx, reinterpret_cast<unsigned char*>(out.data()), &len, out.size()) !=
          1) {
    CryptoFailed("HMAC-SHA256");
  }
  out.resize(len);
  return out;
}

std::string HmacSha256Hex(std::string_view key, std::string_view data) {
  return HexEncode(HmacSha256(key, data));
}

namespace {

[[noreturn]] void RandomFailed() {
  std::fputs("idem: OpenSSL RAND_bytes failed; refusing to make keys from a weak source\n", stderr);
  std::abort();
}

void FillFromOpenSsl(unsigned char* out, std::size_t size) {
  if (RAND_bytes(out, static_cast<int>(size)) != 1) RandomFailed();
}

// Bumped in the child of every fork(): bytes a thread drew before the fork
// are in both processes' memory, and handing them out in both would make the
// same keys twice. A pool drawn under another generation is thrown away.
std::atomic<std::uint64_t> fork_generation{0};
void OnForkChild() { fork_generation.fetch_add(1, std::memory_order_relaxed); }
const bool fork_handler_installed = pthread_atfork(nullptr, nullptr, &OnForkChild) == 0;

// RAND_bytes costs about 1 us a call whatever the size (provider look-up,
// DRBG lock); a key or an op id needs 16 bytes. One call fills a small
// per-thread pool that many keys are then cut from. Bytes handed out are
// wiped from the pool, so the pool never holds a key already in use.
constexpr std::size_t kPoolBytes = 256;
struct RandomPool {
  unsigned char bytes[kPoolBytes];
  std::size_t used = kPoolBytes;  // nothing left: fill before the first use
  std::uint64_t generation = 0;
  ~RandomPool() { OPENSSL_cleanse(bytes, sizeof bytes); }
};
thread_local RandomPool pool;

}  // namespace

void RandomBytes(void* out, std::size_t size) {
  auto* dest = static_cast<unsigned char*>(out);
  if (!fork_handler_installed || size > kPoolBytes / 4) return FillFromOpenSsl(dest, size);
  const std::uint64_t generation = fork_generation.load(std::memory_order_relaxed);
  if (pool.generation != generation || kPoolBytes - pool.used < size) {
    FillFromOpenSsl(pool.bytes, kPoolBytes);
    pool.used = 0;
    pool.generation = generation;
  }
  std::memcpy(dest, pool.bytes + pool.used, size);
  OPENSSL_cleanse(pool.bytes + pool.used, size);
  pool.used += size;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string HexEncode(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 0xf]);
  }
  return out;
}

namespace {
int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

std::optional<std::string> HexDecode(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  std::string out;
  out.reserve(hex.size() / 2);
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    int hi = HexValue(hex[i]);
    int lo = HexValue(hex[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi << 4 | lo));
  }
  return out;
}

std::string Base64Encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::optional<std::string> Base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  for (char c : text) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '+' || c == '/' || c == '=';
    if (!ok) return std::nullopt;
  }
  std::string out(3 * (text.size() / 4), '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(text.data()),
                          static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  // EVP_DecodeBlock counts padding bytes as output; drop them.
  std::size_t pad = 0;
  if (!text.empty() && text.back() == '=') ++pad;
  if (text.size() > 1 && text[text.size() - 2] == '=') ++pad;
  out.resize(static_cast<std::size_t>(n) - pad);
  return out;
}

std::string Base64UrlEncode(std::string_view bytes) {
  std::string s = Base64Encode(bytes);
  for (char& c : s) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  while (!s.empty() && s.back() == '=') s.pop_back();
  return s;
}

std::optional<std::string> Base64UrlDecode(std::string_view text) {
  if (text.size() % 4 == 1) return std::nullopt;
  std::string s(text);
  for (char& c : s) {
    if (c == '-') {
      c = '+';
    } else if (c == '_') {
      c = '/';
    } else if (c == '+' || c == '/' || c == '=') {
      return std::nullopt;  // the standard alphabet, not base64url
    }
  }
  while (s.size() % 4 != 0) s.push_back('=');
  return Base64Decode(s);
}

}  // namespace idem::crypto
