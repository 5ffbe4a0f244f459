// What this process has used so far, read from the kernel: the figures the
// benchmarks print next to their rates.
#pragma once

#include <cstdint>
#include <string>

namespace idem::perf {

// VmRSS now, from /proc/self/status (0 if unreadable).
std::int64_t CurrentRssKb();
// getrusage(RUSAGE_SELF).ru_maxrss: the process's peak resident set.
std::int64_t PeakRssKb();

// User and system CPU of every thread of the process, in seconds.
struct CpuSeconds {
  double user = 0;
  double system = 0;
};
CpuSeconds ProcessCpu();

// CPU time of the calling thread, in seconds.
double ThisThreadCpuSeconds();
// CPU time so far of every live thread of this process whose name starts
// with `prefix` (from /proc/self/task/*/schedstat, nanosecond resolution).
double NamedThreadsCpuSeconds(const std::string& prefix);

// Bytes this process caused to be sent to storage (write_bytes of
// /proc/self/io: page-cache writes that reach the disk, WAL and checkpoints
// alike); 0 if unreadable.
std::int64_t StorageWriteBytes();

}  // namespace idem::perf
