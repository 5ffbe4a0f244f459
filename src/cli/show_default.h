// Internal to the CLI: the one way a flag's default is shown (docs/cli.md):
// "(default X)" at the end of its text, never CLI11's "=X" beside the name.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace idem::cli {

// Appends " (default X)" to `option`'s text, X being the value bound to it
// now (so the text cannot drift from the code's default). Returns `option`
// for chaining (->check(...)).
inline CLI::Option* ShowDefault(CLI::Option* option) {
  option->capture_default_str();
  const std::string value = option->get_default_str();
  option->description(option->get_description() + " (default " +
                      (value.empty() ? std::string("none") : value) + ")");
  option->default_str("");  // CLI11 would print "=X" as well
  return option;
}

}  // namespace idem::cli
