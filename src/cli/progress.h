// Internal to the CLI: the progress line every long command (`demo`, `chaos`,
// `worker`, `resume`, `bench`) shows on stderr, never on stdout (docs/cli.md):
//   on a terminal  one line redrawn in place, at most every 100 ms:
//                  "idem demo: 120/600 ops (20%), 43 ops/s, 2.8 s, [idem] driving"
//   elsewhere      the same text as a line of its own every 5 s at most, so a
//                  log file or CI output gets a heartbeat, not a flood.
// Events (a kill, a restart) are lines of their own at once in both modes.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>

namespace idem::cli {

class ProgressLine {
 public:
  using Clock = std::chrono::steady_clock;
  struct Options {
    // stderr is a terminal: redraw one line ("\r", clear to end of line).
    bool tty = false;
    // On a terminal, redraw at most this often. Default 100 ms.
    std::chrono::milliseconds redraw{100};
    // Elsewhere, print a line at most this often. Default 5 s.
    std::chrono::milliseconds every{5000};
  };

  // `command` starts every line ("idem demo"); `unit` names what is counted
  // ("ops"). `now` is injected so tests run without sleeping.
  ProgressLine(std::FILE* out, std::string command, std::string unit, Options options,
               std::function<Clock::time_point()> now = Clock::now);
  ~ProgressLine();  // Finish()
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

  // The state now: `done` of `total` (total < 0: unknown), and free text
  // after the figures. Shown if the mode's interval has passed. Thread-safe.
  void Update(std::int64_t done, std::int64_t total, std::string_view detail = {});

  // An event, on a line of its own at once (on a terminal the progress line
  // is cleared first and redrawn after). Thread-safe.
  void Note(std::string_view text);

  // Ends the display, once: the last state is left on a line of its own if
  // any progress was shown (a run too short for a line stays quiet).
  void Finish();

  // The text of one state (no newline): for tests and the redraw.
  std::string Format(std::int64_t done, std::int64_t total, std::string_view detail,
                     Clock::time_point at) const;

 private:
  void ShowLocked(Clock::time_point at, bool newline);

  std::FILE* out_;
  std::string command_;
  std::string unit_;
  Options options_;
  std::function<Clock::time_point()> now_;
  Clock::time_point start_;

  std::mutex mu_;
  std::int64_t done_ = 0;
  std::int64_t total_ = -1;
  std::string detail_;
  bool updated_ = false;  // Update was called since the state was last shown
  bool shown_ = false;    // any progress was printed
  bool drawn_ = false;    // on a terminal: the progress line is on screen now
  bool finished_ = false;
  Clock::time_point last_shown_{};
};

// Options for stderr as it is: a terminal (and TERM is not "dumb") or not.
ProgressLine::Options ProgressOptionsForStderr();

}  // namespace idem::cli
