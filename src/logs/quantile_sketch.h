// QuantileSketch: request latencies (seconds) of one environment and minute, summarised so that
// minutes roll up into hours and days and environments merge fleet-wide without losing accuracy.
// It is DDSketch (Masson, Rim, Lee, "DDSketch: A Fast and Fully-Mergeable Quantile Sketch with
// Relative-Error Guarantees", VLDB 2019).
//
// Error bound: Quantile(q) is within kRelativeAccuracy (1%) relative error of the exact
// q-quantile, the sorted sample at index floor(q * (Count() - 1)), for every q, every input
// distribution and after any number of merges (merging adds bucket counts, so it is exact: the
// merge of two sketches is the sketch of the concatenated samples). Two exceptions:
//   - a value at or below kMinIndexableValue (1 µs) is kept in a zero bucket and reported as 0,
//     which is within 1 µs absolute rather than 1% relative;
//   - the bucket array is capped at max_buckets (default 2048). Bucket i holds the values in
//     (gamma^(i-1), gamma^i]; 2048 buckets span a ratio of 6e17, more than the whole range of
//     recorded values (1 µs to kMaxValue = 1e9 s needs 1728), so with the default the cap never
//     bites. With a smaller cap, when the values span more buckets than the cap, the lowest buckets
//     are collapsed into one: high quantiles keep the 1% bound, low quantiles lose it (they are then
//     overestimated, never underestimated).
// Count, Sum, Min and Max are exact (Sum up to floating-point rounding).
//
// Memory: one 8-byte counter per bucket between the lowest and the highest value seen (plus up to
// 32 buckets of headroom), e.g. 1 ms..10 s takes ~470 buckets, ~3.7 KB; at most max_buckets * 8
// bytes. Serialize() writes only the non-empty buckets, typically a few hundred bytes.
//
// Add costs one std::log, a multiply and an increment (see bench/logs_sketches.cpp).
//
// A plain value type; thread-compatible.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace csoc::logs {

namespace quantile_sketch_internal {
// 1 / ln(gamma) for gamma = (1 + alpha) / (1 - alpha), at compile time: ln(gamma) = 2 atanh(alpha)
// = 2 (alpha + alpha^3/3 + alpha^5/5 + ...), which converges fast for a small alpha.
constexpr double InvLogGamma(double alpha) {
  double sum = 0, power = alpha;
  for (int k = 1; k < 40; k += 2, power *= alpha * alpha) sum += power / k;
  return 1 / (2 * sum);
}
}  // namespace quantile_sketch_internal

class QuantileSketch {
 public:
  static constexpr double kRelativeAccuracy = 0.01;  // alpha
  // gamma = (1 + alpha) / (1 - alpha): the ratio between consecutive bucket bounds.
  static constexpr double kGamma = (1 + kRelativeAccuracy) / (1 - kRelativeAccuracy);
  static constexpr double kMinIndexableValue = 1e-6;  // 1 µs: at or below, the zero bucket
  static constexpr double kMaxValue = 1e9;            // larger values (and +inf) are recorded as this
  static constexpr size_t kDefaultMaxBuckets = 2048;
  static constexpr size_t kMaxMaxBuckets = 1 << 16;  // bounds what a serialized sketch may ask for

  // max_buckets is clamped to [1, kMaxMaxBuckets].
  explicit QuantileSketch(size_t max_buckets = kDefaultMaxBuckets);

  // Records one latency. Negative values and NaN are recorded as 0; values above kMaxValue as
  // kMaxValue (so Sum stays finite).
  void Add(double seconds) {
    if (!(seconds > kMinIndexableValue) || !(seconds <= kMaxValue)) return AddOutOfRange(seconds);
    RecordStats(seconds);
    int index = Index(seconds);
    if (index < offset_ || index >= offset_ + static_cast<int>(bins_.size())) [[unlikely]] {
      index = MakeRoom(index);
    }
    ++bins_[index - offset_];
  }

  // Adds the samples of `other` to this sketch. Keeps this sketch's max_buckets.
  void Merge(const QuantileSketch& other);

  // The q-quantile (q is clamped to [0, 1]) within the bound above; 0 for an empty sketch.
  // Quantile(0) is Min() and Quantile(1) is Max(), exactly.
  double Quantile(double q) const;

  uint64_t Count() const { return count_; }
  double Sum() const { return sum_; }
  double Min() const { return count_ == 0 ? 0 : min_; }  // 0 for an empty sketch
  double Max() const { return count_ == 0 ? 0 : max_; }  // 0 for an empty sketch
  size_t max_buckets() const { return max_buckets_; }
  // How many buckets the array spans now (memory is 8 bytes each); at most max_buckets().
  size_t bucket_span() const { return bins_.size(); }

  // A compact blob: format byte 1, varint max_buckets, varint zero-bucket count, varint number of
  // non-empty buckets, then the first one's zigzag-varint index and varint count, each next one's
  // varint gap from the previous and varint count; then, when the sketch is not empty, sum, min
  // and max as little-endian doubles. An empty sketch is 5 bytes.
  std::string Serialize() const;
  // Parses a Serialize()d blob into *out (replacing its contents). Returns Corruption naming what
  // was wrong for anything malformed or truncated; *out is then unspecified but valid.
  static Status Deserialize(std::string_view bytes, QuantileSketch* out);

  // The bucket a value above kMinIndexableValue falls in: ceil(log_gamma(value)).
  static int Index(double value) {
    double x = std::log(value) * kInvLogGamma;
    int i = static_cast<int>(x);  // truncates toward 0, which is already the ceiling when x < 0
    return i < x ? i + 1 : i;
  }
  // The value reported for bucket `index`: 2 gamma^index / (gamma + 1), within alpha of every
  // value in (gamma^(index-1), gamma^index].
  static double BucketValue(int index);

 private:
  static constexpr double kInvLogGamma = quantile_sketch_internal::InvLogGamma(kRelativeAccuracy);

  void RecordStats(double v) {
    ++count_;
    sum_ += v;
    if (v < min_) min_ = v;
    if (v > max_) max_ = v;
  }
  void AddOutOfRange(double seconds);
  // Grows (or collapses) the bucket array so that it covers `index`; returns the index to count
  // the value in (the lowest kept bucket when `index` falls below a collapsed range).
  int MakeRoom(int index);
  // Re-lays the bucket array over [lo, hi], folding the counts of buckets below lo into lo.
  void Relayout(int lo, int hi);

  size_t max_buckets_;
  std::vector<uint64_t> bins_;  // bins_[i] counts bucket offset_ + i
  int offset_ = 0;
  uint64_t zero_count_ = 0;
  uint64_t count_ = 0;
  double sum_ = 0;
  double min_ = std::numeric_limits<double>::infinity();
  double max_ = -std::numeric_limits<double>::infinity();
};

}  // namespace csoc::logs
