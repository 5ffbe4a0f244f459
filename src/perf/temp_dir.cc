#include "perf/temp_dir.h"

#include <sys/resource.h>
#include <unistd.h>

#include <fstream>

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

std::int64_t CurrentRssKb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoll(line.substr(6));
  }
  return 0;
}

std::int64_t PeakRssKb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;  // kilobytes on Linux
}

}  // namespace idem::perf
