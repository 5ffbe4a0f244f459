#include "report/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>

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
  auto writer = AtomicFileWriter::Open(path, mode);
  if (!writer) return tl::unexpected(writer.error());
  if (auto st = (*writer)->Append(contents); !st) return st;
  return (*writer)->Commit();
}

[[nodiscard]] Result<std::unique_ptr<AtomicFileWriter>> AtomicFileWriter::Open(
    const std::string& path, unsigned mode) {
  if (auto st = RefuseDirectory(path); !st) return tl::unexpected(st.error());
  std::string temp = TempPattern(path);
  const int fd = ::mkstemp(temp.data());  // mode 0600 until Commit
  if (fd < 0)
    return tl::unexpected(IoError(path, "cannot create a file in its directory", errno).error());
  return std::unique_ptr<AtomicFileWriter>(new AtomicFileWriter(path, std::move(temp), fd, mode));
}

AtomicFileWriter::~AtomicFileWriter() {
  if (fd_ < 0) return;
  ::close(fd_);
  ::unlink(temp_.c_str());
}

[[nodiscard]] Status AtomicFileWriter::Truncate() {
  if (fd_ < 0) return MakeError(ErrorCode::kIo, "cannot write " + path_ + ": already committed");
  if (::ftruncate(fd_, 0) != 0 || ::lseek(fd_, 0, SEEK_SET) != 0) {
    return IoError(path_, "truncate", errno);
  }
  size_ = 0;
  return {};
}

[[nodiscard]] Status AtomicFileWriter::Append(std::string_view bytes) {
  if (fd_ < 0) return MakeError(ErrorCode::kIo, "cannot write " + path_ + ": already committed");
  for (std::size_t done = 0; done < bytes.size();) {
    const ssize_t n = ::write(fd_, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return IoError(path_, "write", errno);
    done += static_cast<std::size_t>(n);
  }
  size_ += bytes.size();
  return {};
}

[[nodiscard]] Status AtomicFileWriter::Commit() {
  if (fd_ < 0) return MakeError(ErrorCode::kIo, "cannot write " + path_ + ": already committed");
  auto fail = [&](const char* what) {
    const int err = errno;
    ::close(fd_);
    fd_ = -1;
    ::unlink(temp_.c_str());
    return IoError(path_, what, err);
  };
  if (::fchmod(fd_, static_cast<mode_t>(mode_)) != 0) return fail("chmod");
  if (::fsync(fd_) != 0) return fail("fsync");
  const int fd = std::exchange(fd_, -1);
  if (::close(fd) != 0) {
    const int err = errno;
    ::unlink(temp_.c_str());
    return IoError(path_, "close", err);
  }
  if (::rename(temp_.c_str(), path_.c_str()) != 0) {
    const int err = errno;
    ::unlink(temp_.c_str());
    return IoError(path_, "rename", err);
  }
  return {};
}

}  // namespace idem
