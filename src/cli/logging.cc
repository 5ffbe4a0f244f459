#include "cli/logging.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdlib>

namespace idem::cli {
namespace {

// The level chosen once parsing is done, for loggers made later.
spdlog::level::level_enum g_level = spdlog::level::info;

spdlog::level::level_enum LevelFrom(const LogFlags& flags) {
  if (!flags.level.empty()) return spdlog::level::from_str(flags.level);
  if (flags.verbose >= 2) return spdlog::level::trace;
  if (flags.verbose == 1) return spdlog::level::debug;
  if (const char* env = std::getenv("IDEM_LOG_LEVEL"); env && *env) {
    // from_str maps anything unknown to off; an unknown value keeps info.
    const auto level = spdlog::level::from_str(env);
    if (level != spdlog::level::off || std::string(env) == "off") return level;
  }
  return spdlog::level::info;
}

}  // namespace

void AddLogFlags(CLI::App& app, LogFlags& flags) {
  app.add_flag("-v,--verbose", flags.verbose, "more log lines on stderr (-vv: all)");
  app.add_option("--log-level", flags.level,
                 "trace, debug, info, warn, error or off (default info, or $IDEM_LOG_LEVEL)")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));
}

bool StderrWantsColor() {
  const char* no_color = std::getenv("NO_COLOR");
  if (no_color != nullptr && *no_color != '\0') return false;  // https://no-color.org
  return isatty(STDERR_FILENO) == 1;
}

std::shared_ptr<spdlog::logger> StderrLogger(const std::string& name) {
  auto sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>(
      StderrWantsColor() ? spdlog::color_mode::always : spdlog::color_mode::never);
  auto logger = std::make_shared<spdlog::logger>(name, std::move(sink));
  logger->set_level(g_level);
  return logger;
}

void ConfigureLogging(const LogFlags& flags) {
  g_level = LevelFrom(flags);
  auto logger = StderrLogger("");
  spdlog::set_default_logger(std::move(logger));
}

}  // namespace idem::cli
