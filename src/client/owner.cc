#include "client/owner.h"

#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <sstream>
#include <vector>

#include "common/crypto.h"
#include "idem/client.h"
#include "idem/journal.h"
#include "journal/rules.h"

namespace idem {
namespace internal {
namespace {

std::string HostName() {
  char host[256] = {0};
  if (gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  return host[0] ? host : "host";
}

std::uint64_t PidNamespace() {
  struct stat st {};
  if (::stat("/proc/self/ns/pid", &st) != 0) return 0;
  return static_cast<std::uint64_t>(st.st_ino);
}

template <typename T>
std::optional<T> Number(std::string_view text) {
  T value{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

}  // namespace

std::optional<std::uint64_t> LiveProcessStart(std::int64_t pid) {
  if (pid <= 0) return std::nullopt;
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  if (!in) return std::nullopt;
  std::string line;
  std::getline(in, line);
  // "PID (COMM) STATE ..." where COMM may hold spaces and parentheses.
  const std::size_t close = line.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream rest(line.substr(close + 1));
  std::vector<std::string> fields;
  for (std::string field; rest >> field;) fields.push_back(std::move(field));
  // fields[0] is field 3 (state), so field 22 (starttime) is fields[19].
  if (fields.size() < 20) return std::nullopt;
  if (fields[0] == "Z" || fields[0] == "X") return std::nullopt;  // dead, not reaped
  return Number<std::uint64_t>(fields[19]);
}

OwnerProcess ThisProcess() {
  OwnerProcess self;
  self.host = HostName();
  self.pid = static_cast<std::int64_t>(getpid());
  self.pid_namespace = PidNamespace();
  self.start_ticks = LiveProcessStart(self.pid).value_or(0);
  return self;
}

std::optional<OwnerProcess> ParseOwner(std::string_view owner) {
  // HOST:PID:RANDOM:PIDNS:START; a host name holds no ':'.
  std::vector<std::string_view> parts;
  std::size_t begin = 0;
  for (;;) {
    const std::size_t colon = owner.find(':', begin);
    parts.push_back(owner.substr(begin, colon - begin));
    if (colon == std::string_view::npos) break;
    begin = colon + 1;
  }
  if (parts.size() != 5 || parts[0].empty() || parts[2].size() != 8) return std::nullopt;
  OwnerProcess p;
  p.host = std::string(parts[0]);
  auto pid = Number<std::int64_t>(parts[1]);
  auto ns = Number<std::uint64_t>(parts[3]);
  auto start = Number<std::uint64_t>(parts[4]);
  if (!pid || !ns || !start || *pid <= 0 || *ns == 0 || *start == 0) return std::nullopt;
  p.pid = *pid;
  p.pid_namespace = *ns;
  p.start_ticks = *start;
  return p;
}

}  // namespace internal

std::string DefaultOwnerId() {
  const internal::OwnerProcess self = internal::ThisProcess();
  std::uint32_t random = 0;
  crypto::RandomBytes(&random, sizeof random);
  char suffix[16];
  std::snprintf(suffix, sizeof suffix, "%08x", random);
  std::string owner = self.host + ":" + std::to_string(self.pid) + ":" + suffix;
  // Without /proc the process cannot be checked later: the shorter form,
  // which is never judged dead.
  if (self.pid_namespace != 0 && self.start_ticks != 0) {
    owner += ":" + std::to_string(self.pid_namespace) + ":" + std::to_string(self.start_ticks);
  }
  return owner;
}

namespace internal {

const OwnerProcess& CachedThisProcess() {
  // Read once per process (host name, pid namespace and /proc/self/stat do
  // not change), again in a forked child, whose pid differs.
  static std::mutex mu;
  static OwnerProcess self;
  std::lock_guard<std::mutex> lock(mu);
  if (self.pid != static_cast<std::int64_t>(getpid())) self = ThisProcess();
  return self;
}

bool HeldByAnotherLiveLease(const Operation& op, std::string_view self, std::int64_t now_ms) {
  return journal::LeaseIsLive(journal::LeaseOf(op), now_ms) && op.lease_owner != self;
}

}  // namespace internal

bool OwnerIsProvablyDead(std::string_view owner) {
  auto named = internal::ParseOwner(owner);
  if (!named) return false;
  const internal::OwnerProcess& self = internal::CachedThisProcess();
  // Another host, or another pid namespace (a container): its processes
  // cannot be seen from here.
  if (named->host != self.host || named->pid_namespace != self.pid_namespace) return false;
  if (named->pid == self.pid && named->start_ticks == self.start_ticks) return false;  // us
  auto start = internal::LiveProcessStart(named->pid);
  // Gone, or the pid now belongs to a process started at another time.
  return !start || *start != named->start_ticks;
}

[[nodiscard]] Result<std::size_t> ReleaseLeasesOfDeadOwners(
    Journal& journal, std::chrono::system_clock::time_point now) {
  auto unfinished = ListUnfinished(journal);
  if (!unfinished) return tl::unexpected(unfinished.error());
  std::size_t released = 0;
  for (const Operation& op : *unfinished) {
    if (!journal::MayReleaseEarly(journal::LeaseOf(op), ToUnixMillis(now), OwnerIsProvablyDead)) {
      continue;
    }
    // Fenced by the dead owner's generation: if anyone took the op
    // meanwhile, this changes nothing.
    if (journal.Release(op)) ++released;
  }
  return released;
}

}  // namespace idem
