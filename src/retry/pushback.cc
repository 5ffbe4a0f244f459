// Server pushback: Retry-After and X-RateLimit-Reset as a capped floor for the
// next delay. Every parser here takes hostile input: it returns nullopt rather
// than throwing, overflowing or guessing.
#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <ctime>
#include <limits>

#include "common/text.h"
#include "idem/retry.h"

namespace idem {
namespace {

using std::chrono::milliseconds;
using std::chrono::system_clock;

// Far beyond any cap; keeps arithmetic on milliseconds overflow-free.
constexpr std::int64_t kSaturatedSeconds = std::int64_t{1} << 40;

using internal::TrimOws;

// 1*DIGIT, saturating at kSaturatedSeconds. nullopt unless all digits.
std::optional<std::int64_t> ParseDigits(std::string_view s) {
  if (s.empty()) return std::nullopt;
  std::int64_t value = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    if (value < kSaturatedSeconds) value = value * 10 + (c - '0');
  }
  return std::min(value, kSaturatedSeconds);
}

class Cursor {
 public:
  explicit Cursor(std::string_view s) : s_(s) {}
  bool Literal(std::string_view lit) {
    if (s_.substr(0, lit.size()) != lit) return false;
    s_.remove_prefix(lit.size());
    return true;
  }
  // Exactly `n` digits (n == 0: one or two digits, for asctime's day).
  std::optional<int> Digits(std::size_t min, std::size_t max) {
    std::size_t n = 0;
    int value = 0;
    while (n < max && n < s_.size() && s_[n] >= '0' && s_[n] <= '9') {
      value = value * 10 + (s_[n] - '0');
      ++n;
    }
    if (n < min) return std::nullopt;
    s_.remove_prefix(n);
    return value;
  }
  std::optional<int> Month() {
    static constexpr std::array<std::string_view, 12> kMonths = {
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    for (std::size_t i = 0; i < kMonths.size(); ++i) {
      if (Literal(kMonths[i])) return static_cast<int>(i);
    }
    return std::nullopt;
  }
  bool SkipWord() {  // the day name, whose value we do not check
    std::size_t n = 0;
    while (n < s_.size() && std::isalpha(static_cast<unsigned char>(s_[n]))) ++n;
    if (n == 0) return false;
    s_.remove_prefix(n);
    return true;
  }
  bool AtEnd() const { return s_.empty(); }

 private:
  std::string_view s_;
};

struct DateParts {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
};

bool ParseTime(Cursor& c, DateParts& d) {
  auto h = c.Digits(2, 2);
  if (!h || !c.Literal(":")) return false;
  auto m = c.Digits(2, 2);
  if (!m || !c.Literal(":")) return false;
  auto s = c.Digits(2, 2);
  if (!s) return false;
  d.hour = *h;
  d.minute = *m;
  d.second = *s;
  return true;
}

std::optional<system_clock::time_point> ToTimePoint(const DateParts& d) {
  if (d.month < 0 || d.month > 11 || d.day < 1 || d.day > 31 || d.hour > 23 || d.minute > 59 ||
      d.second > 60 || d.year < 1900 || d.year > 9999) {
    return std::nullopt;
  }
  std::tm tm{};
  tm.tm_year = d.year - 1900;
  tm.tm_mon = d.month;
  tm.tm_mday = d.day;
  tm.tm_hour = d.hour;
  tm.tm_min = d.minute;
  tm.tm_sec = d.second;
  time_t t = timegm(&tm);
  if (t == static_cast<time_t>(-1)) return std::nullopt;
  // system_clock counts nanoseconds in 64 bits (until 2262): saturate far
  // dates (year 2242) instead of overflowing.
  constexpr time_t kLatest = time_t{1} << 33;
  return system_clock::from_time_t(std::min(t, kLatest));
}

// "Sun, 06 Nov 1994 08:49:37 GMT"
std::optional<system_clock::time_point> ParseImfFixdate(std::string_view s) {
  Cursor c(s);
  DateParts d;
  if (!c.SkipWord() || !c.Literal(", ")) return std::nullopt;
  auto day = c.Digits(2, 2);
  if (!day || !c.Literal(" ")) return std::nullopt;
  auto month = c.Month();
  if (!month || !c.Literal(" ")) return std::nullopt;
  auto year = c.Digits(4, 4);
  if (!year || !c.Literal(" ") || !ParseTime(c, d) || !c.Literal(" GMT") || !c.AtEnd()) {
    return std::nullopt;
  }
  d.day = *day;
  d.month = *month;
  d.year = *year;
  return ToTimePoint(d);
}

// "Sunday, 06-Nov-94 08:49:37 GMT"; a two-digit year more than 50 years in
// the future means the past century (RFC 9110 5.6.7).
std::optional<system_clock::time_point> ParseRfc850(std::string_view s) {
  Cursor c(s);
  DateParts d;
  if (!c.SkipWord() || !c.Literal(", ")) return std::nullopt;
  auto day = c.Digits(2, 2);
  if (!day || !c.Literal("-")) return std::nullopt;
  auto month = c.Month();
  if (!month || !c.Literal("-")) return std::nullopt;
  auto year = c.Digits(2, 2);
  if (!year || !c.Literal(" ") || !ParseTime(c, d) || !c.Literal(" GMT") || !c.AtEnd()) {
    return std::nullopt;
  }
  std::time_t now = std::time(nullptr);
  std::tm now_tm{};
  gmtime_r(&now, &now_tm);
  int this_year = now_tm.tm_year + 1900;
  int full = (this_year / 100) * 100 + *year;
  if (full > this_year + 50) full -= 100;
  d.day = *day;
  d.month = *month;
  d.year = full;
  return ToTimePoint(d);
}

// "Sun Nov  6 08:49:37 1994"
std::optional<system_clock::time_point> ParseAsctime(std::string_view s) {
  Cursor c(s);
  DateParts d;
  if (!c.SkipWord() || !c.Literal(" ")) return std::nullopt;
  auto month = c.Month();
  if (!month || !c.Literal(" ")) return std::nullopt;
  c.Literal(" ");  // a one-digit day is padded with a space
  auto day = c.Digits(1, 2);
  if (!day || !c.Literal(" ") || !ParseTime(c, d) || !c.Literal(" ")) return std::nullopt;
  auto year = c.Digits(4, 4);
  if (!year || !c.AtEnd()) return std::nullopt;
  d.day = *day;
  d.month = *month;
  d.year = *year;
  return ToTimePoint(d);
}

milliseconds WaitUntil(system_clock::time_point when, system_clock::time_point now) {
  if (when <= now) return milliseconds(0);
  return std::chrono::duration_cast<milliseconds>(when - now);
}

}  // namespace

std::optional<system_clock::time_point> ParseHttpDate(std::string_view text) {
  text = TrimOws(text);
  if (text.size() > 64) return std::nullopt;
  if (auto t = ParseImfFixdate(text)) return t;
  if (auto t = ParseRfc850(text)) return t;
  return ParseAsctime(text);
}

std::optional<milliseconds> ParseRetryAfter(std::string_view value, system_clock::time_point now) {
  value = TrimOws(value);
  if (value.empty()) return std::nullopt;
  if (value.front() >= '0' && value.front() <= '9') {
    auto seconds = ParseDigits(value);
    if (!seconds) return std::nullopt;
    return milliseconds(*seconds * 1000);
  }
  auto when = ParseHttpDate(value);
  if (!when) return std::nullopt;
  return WaitUntil(*when, now);
}

std::optional<milliseconds> ParseRateLimitReset(std::string_view value,
                                                system_clock::time_point now) {
  auto epoch_seconds = ParseDigits(TrimOws(value));
  if (!epoch_seconds) return std::nullopt;
  auto now_s = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  if (*epoch_seconds <= now_s) return milliseconds(0);
  // Saturated values stay far beyond any cap without overflowing.
  std::int64_t delta = std::min(*epoch_seconds - now_s, kSaturatedSeconds);
  return milliseconds(delta * 1000);
}

std::optional<milliseconds> ServerPushback(const Headers& headers, system_clock::time_point now,
                                           milliseconds cap) {
  std::optional<milliseconds> floor;
  if (auto v = FindHeader(headers, "Retry-After")) floor = ParseRetryAfter(*v, now);
  if (auto v = FindHeader(headers, "X-RateLimit-Reset")) {
    if (auto reset = ParseRateLimitReset(*v, now)) {
      floor = floor ? std::max(*floor, *reset) : *reset;
    }
  }
  if (!floor) return std::nullopt;
  return std::clamp(*floor, milliseconds(0), std::max(cap, milliseconds(0)));
}

}  // namespace idem
