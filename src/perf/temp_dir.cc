#include "perf/temp_dir.h"

#include <unistd.h>

#include "idem/uuid.h"

namespace idem::perf {

Result<TempDir> TempDir::Create(const std::string& prefix) {
  std::error_code ec;
  auto path = std::filesystem::temp_directory_path(ec) /
              (prefix + "-" + std::to_string(getpid()) + "-" + NewUuidV4().substr(0, 8));
  if (!ec) std::filesystem::create_directories(path, ec);
  if (ec) return MakeError(ErrorCode::kIo, "bench: cannot create a temp dir: " + ec.message());
  return TempDir(std::move(path));
}

TempDir::~TempDir() {
  if (path_.empty()) return;
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

}  // namespace idem::perf
