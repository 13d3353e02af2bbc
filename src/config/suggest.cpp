#include "config/suggest.h"

#include <algorithm>
#include <numeric>

namespace csoc::config {

size_t Levenshtein(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  std::iota(row.begin(), row.end(), size_t{0});
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t above = row[j];
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + cost});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string Suggest(std::string_view word, const std::vector<std::string_view>& candidates) {
  size_t limit = std::max<size_t>(2, word.size() / 3);
  size_t best = limit + 1;
  std::string_view best_word;
  for (std::string_view c : candidates) {
    size_t d = Levenshtein(word, c);
    if (d < best) {
      best = d;
      best_word = c;
    }
  }
  // Most of the word must survive: "icmp" is two edits from "tcp", but that is no likely typo.
  if (best * 2 >= std::max(word.size(), best_word.size())) return "";
  return std::string(best_word);
}

std::string JoinOr(const std::vector<std::string_view>& words) {
  std::string out;
  for (size_t i = 0; i < words.size(); ++i) {
    if (i > 0) out += i + 1 == words.size() ? " or " : ", ";
    out += words[i];
  }
  return out;
}

}  // namespace csoc::config
