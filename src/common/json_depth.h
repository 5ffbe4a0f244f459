// Internal: a cheap guard run before handing untrusted text to a recursive
// JSON parser, so that hostile input like "[[[[..." cannot exhaust the stack.
#pragma once

#include <string_view>

namespace idem {

// True when no point of `text` is nested deeper than `limit` brackets ([ and
// {) outside JSON strings. Says nothing about whether `text` is valid JSON.
bool JsonNestingWithin(std::string_view text, int limit);

}  // namespace idem
