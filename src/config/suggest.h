// "Did you mean" suggestions for misspelled keys and names.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace csoc::config {

// Edit distance (insertions, deletions, substitutions, each costing 1).
size_t Levenshtein(std::string_view a, std::string_view b);

// The candidate closest to `word` when it is close enough to be a likely typo (at most 2 edits, or
// a third of the word's length for long words, and fewer than half the letters); empty otherwise.
std::string Suggest(std::string_view word, const std::vector<std::string_view>& candidates);

// "a, b, c or d"
std::string JoinOr(const std::vector<std::string_view>& words);

}  // namespace csoc::config
