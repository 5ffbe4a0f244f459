// Internal: writing a whole file so a reader never sees half of it (the
// report files of `idem chaos --report` and `idem demo --report`, the PDF of
// `idem session pdf`): the
// contents go to a temporary file beside the target, which is then renamed
// over it. A crash leaves the old file or the new one, and at worst a
// stray ".PATH.tmp-XXXXXX" beside it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "idem/status.h"

namespace idem {

// kIo, naming the path and the reason, when the directory cannot hold a new
// file or the path is a directory. Meant to be called before a long run, so
// a report that cannot be written is refused before the work, not after.
[[nodiscard]] Status CheckCanWriteFile(const std::string& path);

// Writes `contents` to a temporary file in path's directory, flushes it to
// disk and renames it to `path` (mode 0644: a report holds no secret).
// kIo on any failure; the temporary file is removed then.
[[nodiscard]] Status WriteFileAtomically(const std::string& path, std::string_view contents);
// The same with the file's mode given: 0600 for a file with personal data
// (a session's PDF report, `idem session pdf`).
[[nodiscard]] Status WriteFileAtomically(const std::string& path, std::string_view contents,
                                         unsigned mode);

// The same, written piece by piece (a session PDF as it arrives, never held
// whole in memory): a temporary file beside `path`, renamed over it by
// Commit(). Until then `path` keeps what it had; destroyed uncommitted, the
// temporary is removed. Every failure is kIo naming the path and the reason.
class AtomicFileWriter {
 public:
  [[nodiscard]] static Result<std::unique_ptr<AtomicFileWriter>> Open(const std::string& path,
                                                                      unsigned mode);
  ~AtomicFileWriter();
  AtomicFileWriter(const AtomicFileWriter&) = delete;
  AtomicFileWriter& operator=(const AtomicFileWriter&) = delete;

  // Throws away what was written so far (the writer starts over).
  [[nodiscard]] Status Truncate();
  [[nodiscard]] Status Append(std::string_view bytes);
  // Flushes to disk, sets the mode and renames over `path`. Once.
  [[nodiscard]] Status Commit();
  std::uint64_t size() const { return size_; }

 private:
  AtomicFileWriter(std::string path, std::string temp, int fd, unsigned mode)
      : path_(std::move(path)), temp_(std::move(temp)), fd_(fd), mode_(mode) {}
  std::string path_;
  std::string temp_;
  int fd_ = -1;  // -1 once committed or failed at commit
  unsigned mode_;
  std::uint64_t size_ = 0;
};

}  // namespace idem
