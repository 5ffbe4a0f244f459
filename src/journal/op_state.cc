// OpState names, the default journal path, CheckJournalExists and
// ListUnfinished (declared in idem/journal.h).
#include <sys/stat.h>

#include <cstdlib>

#include "common/sqlite.h"
#include "idem/journal.h"

namespace idem {

std::string_view OpStateName(OpState state) {
  switch (state) {
    case OpState::kInFlight:
      return "in_flight";
    case OpState::kSucceeded:
      return "succeeded";
    case OpState::kFailed:
      return "failed";
    case OpState::kUnknown:
      return "unknown";
  }
  return "unknown";
}

std::optional<OpState> ParseOpState(std::string_view name) {
  for (OpState s : {OpState::kInFlight, OpState::kSucceeded, OpState::kFailed, OpState::kUnknown}) {
    if (OpStateName(s) == name) return s;
  }
  return std::nullopt;
}

std::string DefaultJournalPath() {
  const char* env = std::getenv("IDEM_JOURNAL");
  if (env != nullptr && *env != '\0') return env;
  return "./idem-journal.db";
}

[[nodiscard]] Status CheckJournalExists(const std::string& path_or_url) {
  if (IsPostgresUrl(path_or_url)) return {};
  if (auto scheme = sqlite::UrlSchemeOf(path_or_url)) {
    // Only the scheme is named: the rest may hold a user and password.
    return MakeError(ErrorCode::kInvalidArgument,
                     "a " + std::string(*scheme) +
                         ":// URL is not a journal (PostgreSQL takes postgresql:// or "
                         "postgres://; SQLite a file path)");
  }
  struct stat st {};
  if (::stat(path_or_url.c_str(), &st) == 0 && S_ISREG(st.st_mode)) return {};
  return MakeError(ErrorCode::kNotFound, "no journal at '" + path_or_url + "'");
}

[[nodiscard]] Result<std::vector<Operation>> ListUnfinished(Journal& journal,
                                                            bool include_unknown) {
  std::vector<Operation> unfinished;
  for (OpState state : {OpState::kInFlight, OpState::kUnknown}) {
    if (state == OpState::kUnknown && !include_unknown) continue;
    OpFilter filter;
    filter.state = state;
    auto ops = journal.List(filter);
    if (!ops) return tl::unexpected(ops.error());
    for (Operation& op : *ops) unfinished.push_back(std::move(op));
  }
  return unfinished;
}

}  // namespace idem
