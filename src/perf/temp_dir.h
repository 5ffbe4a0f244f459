// Internal to the perf component: a scratch directory removed on destruction
// (journals and sandbox stores of one benchmark run).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "idem/status.h"

namespace idem::perf {

class TempDir {
 public:
  // A new directory under the system temp dir, named PREFIX-PID-RANDOM.
  [[nodiscard]] static Result<TempDir> Create(const std::string& prefix);
  TempDir(TempDir&& other) noexcept : path_(std::move(other.path_)) { other.path_.clear(); }
  TempDir& operator=(TempDir&&) = delete;
  TempDir(const TempDir&) = delete;
  ~TempDir();
  std::string File(const std::string& name) const { return (path_ / name).string(); }

 private:
  explicit TempDir(std::filesystem::path path) : path_(std::move(path)) {}
  std::filesystem::path path_;
};

}  // namespace idem::perf
