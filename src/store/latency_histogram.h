// A latency histogram with fixed log-spaced buckets, small enough to keep one per check per
// minute/hour/day rollup. Because every histogram has the same buckets, merging two is adding their
// counts, so rollups of different checks or levels combine exactly; percentiles are then estimated
// by linear interpolation inside the bucket that holds the rank, which is within one bucket width
// (20% of the value) of the truth.
//
// Buckets: [0, 0.1 ms), then [0.1 ms * 1.2^(i-1), 0.1 ms * 1.2^i) up to ~126 s, then one overflow
// bucket for anything slower.
//
// A plain value type; thread-compatible.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace csoc::store {

class LatencyHistogram {
 public:
  static constexpr double kMinUs = 100;               // upper bound of the first bucket
  static constexpr double kGrowth = 1.2;              // ratio between consecutive bounds
  static constexpr int kFiniteBounds = 78;            // kMinUs * kGrowth^77 ~ 126 s is the last bound
  static constexpr int kBuckets = kFiniteBounds + 1;  // plus the overflow bucket

  // Negative latencies count as 0.
  void Add(int64_t latency_us, int64_t count = 1);
  void Merge(const LatencyHistogram& other);
  void Clear() { counts_.fill(0); }

  int64_t total() const;
  bool empty() const { return total() == 0; }
  int64_t bucket_count(int index) const { return counts_[index]; }

  // The q-quantile (q in [0, 1]) in milliseconds; 0 for an empty histogram. In the overflow bucket
  // the answer is its lower bound (~126 s): slower values are not distinguished.
  double PercentileMs(double q) const;

  // A compact blob: a format byte, then for each non-empty bucket the varint gap from the previous
  // non-empty bucket and the varint count. An empty histogram is one byte.
  std::string Encode() const;
  // Parses an Encode()d blob. Returns false (leaving *out unspecified) for anything malformed: an
  // unknown format byte, a truncated varint, a bucket past the last, a zero count, an overflow.
  static bool Decode(std::string_view blob, LatencyHistogram* out);
  // Adds the counts of an Encode()d blob to *into without decoding it separately (the hot loop of
  // a long series query). Returns false for a malformed blob; *into is then unspecified.
  static bool MergeEncoded(std::string_view blob, LatencyHistogram* into);

  // The bucket a latency falls in, and that bucket's bounds in microseconds (the overflow bucket's
  // upper bound is +infinity).
  static int BucketIndex(int64_t latency_us);
  static double BucketLowerUs(int index);
  static double BucketUpperUs(int index);

  friend bool operator==(const LatencyHistogram&, const LatencyHistogram&) = default;

 private:
  std::array<int64_t, kBuckets> counts_{};
};

}  // namespace csoc::store
