#include "sandbox/aml_watchlist.h"

#include <cctype>
#include <sstream>

namespace idem::sandbox {
namespace {

struct Entry {
  std::string_view name;
  std::string_view list;
  std::string_view country;
};

// Fictional names only.
constexpr Entry kWatchList[] = {
    {"Viktor Sanctionov", "SANCTIONS", "XXA"},  {"Maria Exposita", "PEP", "XXB"},
    {"John Launderer", "SANCTIONS", "XXC"},     {"Olga Fraudina", "ADVERSE_MEDIA", "XXD"},
    {"Test Watchlist Hit", "SANCTIONS", "XXE"},
};

std::vector<std::string> Tokens(std::string_view normalized) {
  std::vector<std::string> out;
  std::istringstream in{std::string(normalized)};
  std::string t;
  while (in >> t) out.push_back(t);
  return out;
}

}  // namespace

std::string NormalizeName(std::string_view name) {
  std::string out;
  bool pending_space = false;
  for (unsigned char c : name) {
    if (std::isalnum(c) || c >= 0x80) {
      if (pending_space && !out.empty()) out.push_back(' ');
      pending_space = false;
      out.push_back(static_cast<char>(std::tolower(c)));
    } else {
      pending_space = true;
    }
  }
  return out;
}

std::vector<WatchListHit> ScreenName(std::string_view full_name) {
  const std::string query = NormalizeName(full_name);
  const std::vector<std::string> query_tokens = Tokens(query);
  std::vector<WatchListHit> hits;
  for (const auto& e : kWatchList) {
    const std::string listed = NormalizeName(e.name);
    int score = 0;
    if (listed == query) {
      score = 100;
    } else {
      bool all = true;
      for (const auto& t : Tokens(listed)) {
        bool found = false;
        for (const auto& q : query_tokens) found = found || q == t;
        all = all && found;
      }
      if (all) score = 80;
    }
    if (score > 0) {
      hits.push_back({std::string(e.name), std::string(e.list), std::string(e.country), score});
    }
  }
  return hits;
}

}  // namespace idem::sandbox
