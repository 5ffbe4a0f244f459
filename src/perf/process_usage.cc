#include "perf/process_usage.h"

#include <sys/resource.h>
#include <time.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace idem::perf {
namespace {

// The value of the first line of `path` that starts with `key`, or 0.
std::int64_t ProcField(const char* path, const std::string& key) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key, 0) == 0) return std::stoll(line.substr(key.size()));
  }
  return 0;
}

double Seconds(const timeval& tv) { return static_cast<double>(tv.tv_sec) + tv.tv_usec / 1e6; }

}  // namespace

std::int64_t CurrentRssKb() { return ProcField("/proc/self/status", "VmRSS:"); }

std::int64_t PeakRssKb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;  // kilobytes on Linux
}

CpuSeconds ProcessCpu() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return {Seconds(usage.ru_utime), Seconds(usage.ru_stime)};
}

double ThisThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

double NamedThreadsCpuSeconds(const std::string& prefix) {
  double total = 0;
  std::error_code ec;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task", ec)) {
    std::ifstream comm_file(task.path() / "comm");
    std::string comm;
    if (!std::getline(comm_file, comm) || comm.rfind(prefix, 0) != 0) continue;
    std::ifstream schedstat(task.path() / "schedstat");
    long long on_cpu_ns = 0;  // first field: time spent on the CPU
    if (schedstat >> on_cpu_ns) total += static_cast<double>(on_cpu_ns) / 1e9;
  }
  return total;
}

std::int64_t StorageWriteBytes() { return ProcField("/proc/self/io", "write_bytes:"); }

}  // namespace idem::perf
