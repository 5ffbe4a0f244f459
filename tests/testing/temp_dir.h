// A fresh, private directory for a test's files (journals, logs, a child's
// output), removed with everything in it when the TempDir goes. To read what
// a run left behind, set IDEM_TEST_KEEP (to anything but empty) or call
// Keep(): the directory then stays and its path is printed on stderr.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>

namespace idem::testing {

class TempDir {
 public:
  // "<prefix>-XXXXXX" under $TMPDIR (else /tmp), mode 0700. A failure to
  // create it fails the test (path() is then empty).
  explicit TempDir(std::string_view prefix = "idem-test") {
    std::string pattern =
        (std::filesystem::temp_directory_path() / (std::string(prefix) + "-XXXXXX")).string();
    if (mkdtemp(pattern.data()) == nullptr) {
      ADD_FAILURE() << "mkdtemp " << pattern << ": " << std::strerror(errno);
      return;
    }
    path_ = pattern;
  }
  ~TempDir() {
    if (path_.empty()) return;
    if (keep_ || KeepRequested()) {
      std::fprintf(stderr, "kept %s\n", path_.c_str());
      return;
    }
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  // Where a path is wanted (directory_iterator, current_path), the directory.
  operator const std::filesystem::path&() const { return path_; }
  std::string string() const { return path_.string(); }
  // The path of `name` inside the directory.
  std::string File(std::string_view name) const { return (path_ / name).string(); }
  std::filesystem::path operator/(std::string_view name) const { return path_ / name; }

  // Leaves the directory in place at the end (a failed run's logs).
  void Keep() { keep_ = true; }

  // $IDEM_TEST_KEEP is set: every TempDir stays.
  static bool KeepRequested() {
    const char* keep = std::getenv("IDEM_TEST_KEEP");
    return keep != nullptr && *keep != '\0';
  }

 private:
  std::filesystem::path path_;
  bool keep_ = false;
};

}  // namespace idem::testing
