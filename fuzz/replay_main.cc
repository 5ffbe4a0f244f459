// The main() of a fuzz target in the g++ builds, where there is no libFuzzer:
// `make test` runs it over the target's seed corpus (every file of every
// directory given), then over --runs inputs mutated from those files with a
// fixed seed (byte flips, inserts, deletes, repeats, truncations, splices and
// tokens parsers trip on). So every corpus entry, each finding included,
// stays a regression test, and each build gets a short, reproducible search
// under its sanitizers. The real search is libFuzzer's (`make fuzz`).
//
//   fuzz_NAME [--runs N] [--seed S] DIR|FILE...
#include <signal.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <string_view>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

// The input being run, for the abort handler.
const std::vector<std::uint8_t>* g_current = nullptr;

// On an abort (a failed invariant, a sanitizer report with abort_on_error),
// the input is written to ./fuzz-finding (the file to add to the corpus once
// fixed) and shown escaped on stderr. Best effort: it runs in a signal handler.
void OnAbort(int sig) {
  if (g_current != nullptr) {
    FILE* out = std::fopen("fuzz-finding", "wb");
    if (out != nullptr) {
      std::fwrite(g_current->data(), 1, g_current->size(), out);
      std::fclose(out);
    }
    std::fprintf(stderr, "fuzz replay: finding (%zu bytes, saved to ./fuzz-finding): \"",
                 g_current->size());
    for (std::size_t i = 0; i < g_current->size() && i < 2048; ++i) {
      const unsigned char c = (*g_current)[i];
      if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
        std::fputc(c, stderr);
      } else {
        std::fprintf(stderr, "\\x%02x", c);
      }
    }
    std::fprintf(stderr, "\"\n");
  }
  signal(sig, SIG_DFL);
  raise(sig);
}

void Run(const std::string& input) {
  // A copy in its own allocation, so ASan sees a read past the end.
  std::vector<std::uint8_t> bytes(input.begin(), input.end());
  g_current = &bytes;
  LLVMFuzzerTestOneInput(bytes.data(), bytes.size());
  g_current = nullptr;
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

constexpr std::string_view kTokens[] = {"{",
                                        "}",
                                        "[",
                                        "]",
                                        "\"",
                                        "\\",
                                        "\\u",
                                        "\\ud800",
                                        ":",
                                        ",",
                                        "\r\n",
                                        "--",
                                        "%",
                                        "%zz",
                                        "%00",
                                        "=",
                                        "&",
                                        "+",
                                        "\x00",
                                        "\xff",
                                        "\xc3",
                                        "1e999",
                                        "-0",
                                        "0.",
                                        "null",
                                        "true",
                                        "99999999999999999999999",
                                        "T",
                                        "Z",
                                        "+25:00",
                                        ";",
                                        "\t",
                                        " ",
                                        "\xf0\x9f\x98\x80",
                                        "@",
                                        "v1,",
                                        "whsec_"};

std::string Mutate(std::string s, const std::vector<std::string>& corpus, std::mt19937_64& rng) {
  auto below = [&](std::size_t n) { return n == 0 ? 0 : static_cast<std::size_t>(rng() % n); };
  const int edits = 1 + static_cast<int>(below(4));
  for (int e = 0; e < edits; ++e) {
    switch (below(7)) {
      case 0:  // flip a byte
        if (!s.empty()) s[below(s.size())] ^= static_cast<char>(1u << below(8));
        break;
      case 1:  // insert a random byte
        s.insert(s.begin() + static_cast<std::ptrdiff_t>(below(s.size() + 1)),
                 static_cast<char>(below(256)));
        break;
      case 2:  // delete a range
        if (!s.empty()) {
          const std::size_t at = below(s.size());
          s.erase(at, 1 + below(std::min<std::size_t>(16, s.size() - at)));
        }
        break;
      case 3:  // repeat a range
        if (!s.empty() && s.size() < 65536) {
          const std::size_t at = below(s.size());
          const std::string piece = s.substr(at, 1 + below(32));
          for (std::size_t k = 1 + below(8); k > 0; --k) s.insert(at, piece);
        }
        break;
      case 4:  // truncate
        s.resize(below(s.size() + 1));
        break;
      case 5: {  // splice in part of another entry
        const std::string& other = corpus[below(corpus.size())];
        if (!other.empty()) {
          const std::size_t from = below(other.size());
          s.insert(below(s.size() + 1), other.substr(from, 1 + below(64)));
        }
        break;
      }
      default: {  // a token parsers trip on
        const std::string_view token = kTokens[below(std::size(kTokens))];
        s.insert(below(s.size() + 1), token);
        break;
      }
    }
  }
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  signal(SIGABRT, OnAbort);
  long runs = 2000;
  unsigned long long seed = 1;
  std::vector<std::string> corpus;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--runs" && i + 1 < argc) {
      runs = std::strtol(argv[++i], nullptr, 10);
    } else if (arg == "--seed" && i + 1 < argc) {
      seed = std::strtoull(argv[++i], nullptr, 10);
    } else if (std::filesystem::is_directory(arg)) {
      for (const auto& entry : std::filesystem::directory_iterator(arg)) {
        if (entry.is_regular_file()) corpus.push_back(ReadFile(entry.path()));
      }
    } else if (std::filesystem::is_regular_file(arg)) {
      corpus.push_back(ReadFile(arg));
    } else {
      std::fprintf(stderr, "fuzz replay: no such file or directory: %s\n", arg.c_str());
      return 2;
    }
  }
  if (corpus.empty()) {
    std::fprintf(stderr, "fuzz replay: empty corpus\n");
    return 2;
  }
  for (const std::string& input : corpus) Run(input);
  Run("");
  std::mt19937_64 rng(seed);
  for (long i = 0; i < runs; ++i) {
    Run(Mutate(corpus[static_cast<std::size_t>(rng() % corpus.size())], corpus, rng));
  }
  std::printf("fuzz replay: %zu corpus entries and %ld mutations (seed %llu): no finding\n",
              corpus.size(), runs, seed);
  return 0;
}
