// Internal: writing a whole file so a reader never sees half of it (the
// report files of `idem chaos --report` and `idem demo --report`): the
// contents go to a temporary file beside the target, which is then renamed
// over it. A crash leaves the old file or the new one, and at worst a
// stray ".PATH.tmp-XXXXXX" beside it.
#pragma once

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

}  // namespace idem
