#include "cli/progress.h"

#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace idem::cli {

ProgressLine::ProgressLine(std::FILE* out, std::string command, std::string unit, Options options,
                           std::function<Clock::time_point()> now)
    : out_(out),
      command_(std::move(command)),
      unit_(std::move(unit)),
      options_(options),
      now_(std::move(now)),
      start_(now_()),
      last_shown_(start_) {}

ProgressLine::~ProgressLine() { Finish(); }

std::string ProgressLine::Format(std::int64_t done, std::int64_t total, std::string_view detail,
                                 Clock::time_point at) const {
  const double elapsed = std::chrono::duration<double>(at - start_).count();
  char figures[160];
  if (total >= 0) {
    const int percent = total > 0 ? static_cast<int>(done * 100 / total) : 100;
    std::snprintf(figures, sizeof figures, "%lld/%lld %s (%d%%)", static_cast<long long>(done),
                  static_cast<long long>(total), unit_.c_str(), percent);
  } else {
    std::snprintf(figures, sizeof figures, "%lld %s", static_cast<long long>(done), unit_.c_str());
  }
  char timing[96];
  std::snprintf(timing, sizeof timing, ", %.0f %s/s, %.1f s",
                elapsed > 0 ? static_cast<double>(done) / elapsed : 0.0, unit_.c_str(), elapsed);
  std::string line = command_ + ": " + figures + timing;
  if (!detail.empty()) {
    line += ", ";
    line += detail;
  }
  return line;
}

void ProgressLine::ShowLocked(Clock::time_point at, bool newline) {
  const std::string line = Format(done_, total_, detail_, at);
  if (options_.tty) {
    // Back to the line's start and clear it: a shorter line leaves no tail.
    std::fprintf(out_, "\r\x1b[K%s%s", line.c_str(), newline ? "\n" : "");
    drawn_ = !newline;
  } else {
    std::fprintf(out_, "%s\n", line.c_str());
  }
  std::fflush(out_);
  shown_ = true;
  updated_ = false;
  last_shown_ = at;
}

void ProgressLine::Update(std::int64_t done, std::int64_t total, std::string_view detail) {
  const Clock::time_point at = now_();
  std::lock_guard<std::mutex> lock(mu_);
  if (finished_) return;
  done_ = done;
  total_ = total;
  detail_.assign(detail);
  updated_ = true;
  const auto interval = options_.tty ? options_.redraw : options_.every;
  if (at - last_shown_ >= interval) ShowLocked(at, false);
}

void ProgressLine::Note(std::string_view text) {
  const Clock::time_point at = now_();
  std::lock_guard<std::mutex> lock(mu_);
  if (options_.tty && drawn_) std::fputs("\r\x1b[K", out_);
  std::fprintf(out_, "%s: %.*s\n", command_.c_str(), static_cast<int>(text.size()), text.data());
  std::fflush(out_);
  if (options_.tty && drawn_ && !finished_) ShowLocked(at, false);
}

void ProgressLine::Finish() {
  const Clock::time_point at = now_();
  std::lock_guard<std::mutex> lock(mu_);
  if (finished_) return;
  finished_ = true;
  if (shown_) ShowLocked(at, true);
}

ProgressLine::Options ProgressOptionsForStderr() {
  ProgressLine::Options options;
  const char* term = std::getenv("TERM");
  options.tty = isatty(STDERR_FILENO) == 1 && !(term != nullptr && std::strcmp(term, "dumb") == 0);
  return options;
}

}  // namespace idem::cli
