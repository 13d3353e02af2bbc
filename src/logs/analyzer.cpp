#include "logs/analyzer.h"

#include <algorithm>
#include <numeric>

namespace csoc::logs {
namespace {

// The start of a rejected line, safe to show anywhere: printable ASCII as is, the rest as \xHH.
std::string Printable(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(std::min(text.size(), kSampleBytes) + 16);
  for (const char c : text) {
    if (out.size() >= kSampleBytes) {
      out += "...";
      break;
    }
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f) {
      out.push_back(c);
    } else {
      out += "\\x";
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 15]);
    }
  }
  return out;
}

}  // namespace

void ErrorLog::Add(ParseError kind, std::string_view source, uint64_t line, std::string_view text) {
  const uint64_t seen = counts_[static_cast<size_t>(kind)]++;
  if (seen < kSamplesPerKind) samples_.push_back({kind, std::string(source), line, Printable(text)});
}

uint64_t ErrorLog::total() const { return std::accumulate(counts_.begin(), counts_.end(), uint64_t{0}); }

void ErrorLog::Merge(const ErrorLog& other) {
  for (size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
  samples_.insert(samples_.end(), other.samples_.begin(), other.samples_.end());
  // Keep the earliest samples of each kind (by source and line), as one reader would have.
  std::stable_sort(samples_.begin(), samples_.end(), [](const ErrorSample& a, const ErrorSample& b) {
    return std::tie(a.source, a.line) < std::tie(b.source, b.line);
  });
  std::array<size_t, kParseErrorKinds> kept{};
  std::erase_if(samples_, [&](const ErrorSample& s) { return kept[static_cast<size_t>(s.kind)]++ >= kSamplesPerKind; });
}

LineAnalyzer::LineAnalyzer(const LogFormat& format, size_t max_line_bytes) : max_line_(max_line_bytes) {
  const Status s = MakeLineParser(format, &parser_);
  if (!s.ok()) throw std::invalid_argument(s.message());  // a format LogFormat::Parse accepted
}

void LineAnalyzer::AddTooLong(std::string_view source, uint64_t line, std::string_view start) {
  ++lines_;
  errors_.Add(ParseError::kTooLong, source, line, start);
}

}  // namespace csoc::logs
