// The AML screening's built-in watch list: a few fictional names so that
// `POST /v3/aml/` gives deterministic hits. Matching ignores case, accents
// are not folded, and runs of spaces/punctuation count as one space.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace idem::sandbox {

struct WatchListHit {
  std::string name;     // as listed
  std::string list;     // e.g. "SANCTIONS", "PEP"
  std::string country;  // ISO alpha-3
  int score = 0;        // 0..100
};

// "  JOHN   q. Doe " -> "john q doe".
std::string NormalizeName(std::string_view name);

// Every watch-list entry whose normalised name equals the normalised
// `full_name`, or whose tokens all appear in it (score 100 for exact, 80 for
// a token match).
std::vector<WatchListHit> ScreenName(std::string_view full_name);

}  // namespace idem::sandbox
