#include "report/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace idem {
namespace {

[[nodiscard]] Status IoError(const std::string& path, const std::string& what, int err) {
  return MakeError(ErrorCode::kIo,
                   "cannot write " + path + ": " + what + ": " + std::strerror(err));
}

// "DIR/.NAME.tmp-XXXXXX": in the target's directory, so the rename stays on
// one file system and is atomic.
std::string TempPattern(const std::string& path) {
  const std::filesystem::path p(path);
  const std::filesystem::path dir = p.has_parent_path() ? p.parent_path() : ".";
  return (dir / ("." + p.filename().string() + ".tmp-XXXXXX")).string();
}

[[nodiscard]] Status RefuseDirectory(const std::string& path) {
  struct stat st {};
  if (path.empty()) return MakeError(ErrorCode::kIo, "cannot write a file with an empty name");
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    return MakeError(ErrorCode::kIo, "cannot write " + path + ": it is a directory");
  }
  return {};
}

}  // namespace

[[nodiscard]] Status CheckCanWriteFile(const std::string& path) {
  if (auto st = RefuseDirectory(path); !st) return st;
  std::string temp = TempPattern(path);
  const int fd = ::mkstemp(temp.data());
  if (fd < 0) return IoError(path, "cannot create a file in its directory", errno);
  ::close(fd);
  ::unlink(temp.c_str());
  return {};
}

[[nodiscard]] Status WriteFileAtomically(const std::string& path, std::string_view contents) {
  // A report is for reading by others (a browser, CI).
  return WriteFileAtomically(path, contents, 0644);
}

[[nodiscard]] Status WriteFileAtomically(const std::string& path, std::string_view contents,
                                         unsigned mode) {
  if (auto st = RefuseDirectory(path); !st) return st;
  std::string temp = TempPattern(path);
  const int fd = ::mkstemp(temp.data());
  if (fd < 0) return IoError(path, "cannot create a file in its directory", errno);
  auto fail = [&](const char* what) {
    const int err = errno;
    ::close(fd);
    ::unlink(temp.c_str());
    return IoError(path, what, err);
  };
  for (std::size_t done = 0; done < contents.size();) {
    const ssize_t n = ::write(fd, contents.data() + done, contents.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail("write");
    done += static_cast<std::size_t>(n);
  }
  // mkstemp makes 0600.
  if (::fchmod(fd, static_cast<mode_t>(mode)) != 0) return fail("chmod");
  if (::fsync(fd) != 0) return fail("fsync");
  if (::close(fd) != 0) {
    const int err = errno;
    ::unlink(temp.c_str());
    return IoError(path, "close", err);
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(temp.c_str());
    return IoError(path, "rename", err);
  }
  return {};
}

}  // namespace idem
