#include "store/latency_histogram.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

namespace csoc::store {
namespace {

using H = LatencyHistogram;

TEST(LatencyHistogramTest, BucketsAreLogSpacedFromPointOneMsToTwoMinutes) {
  EXPECT_EQ(H::BucketIndex(0), 0);
  EXPECT_EQ(H::BucketIndex(99), 0);
  EXPECT_EQ(H::BucketIndex(100), 1);
  EXPECT_EQ(H::BucketIndex(119), 1);
  EXPECT_EQ(H::BucketIndex(120), 2);
  EXPECT_EQ(H::BucketIndex(-5), 0);
  EXPECT_DOUBLE_EQ(H::BucketLowerUs(0), 0);
  EXPECT_DOUBLE_EQ(H::BucketUpperUs(0), 100);
  EXPECT_DOUBLE_EQ(H::BucketLowerUs(1), 100);
  EXPECT_NEAR(H::BucketUpperUs(1), 120, 1e-9);
  // 120 s is still in a finite bucket; only slower values overflow.
  EXPECT_LT(H::BucketIndex(120'000'000), H::kBuckets - 1);
  EXPECT_EQ(H::BucketIndex(1'000'000'000), H::kBuckets - 1);
  EXPECT_TRUE(std::isinf(H::BucketUpperUs(H::kBuckets - 1)));
  for (int i = 1; i < H::kBuckets; ++i) {
    EXPECT_DOUBLE_EQ(H::BucketUpperUs(i - 1), H::BucketLowerUs(i)) << i;
    EXPECT_EQ(H::BucketIndex(static_cast<int64_t>(std::ceil(H::BucketLowerUs(i)))), i) << i;
    if (i > 1 && i < H::kBuckets - 1) {
      EXPECT_NEAR(H::BucketUpperUs(i) / H::BucketLowerUs(i), 1.2, 1e-9) << i;
    }
  }
}

TEST(LatencyHistogramTest, EmptyHistogramHasZeroPercentilesAndOneByteEncoding) {
  H h;
  EXPECT_EQ(h.total(), 0);
  EXPECT_TRUE(h.empty());
  EXPECT_EQ(h.PercentileMs(0.5), 0);
  EXPECT_EQ(h.Encode().size(), 1u);
  H decoded;
  decoded.Add(5);
  ASSERT_TRUE(H::Decode(h.Encode(), &decoded));
  EXPECT_EQ(decoded, h);
}

TEST(LatencyHistogramTest, EncodeDecodeRoundTripIsSparse) {
  H h;
  h.Add(50);                      // bucket 0
  h.Add(80'000, 7);               // ~80 ms
  h.Add(81'000, 3);               // same bucket
  h.Add(500'000'000, 2);          // overflow bucket
  h.Add(1000, int64_t{1} << 40);  // a count needing a long varint
  std::string blob = h.Encode();
  EXPECT_LE(blob.size(), 1u + 4 * 2 + 6);  // four buckets, short gaps, one 6-byte count
  H decoded;
  ASSERT_TRUE(H::Decode(blob, &decoded));
  EXPECT_EQ(decoded, h);
  EXPECT_EQ(decoded.total(), 13 + (int64_t{1} << 40));
  EXPECT_EQ(decoded.bucket_count(H::BucketIndex(80'000)), 10);
}

TEST(LatencyHistogramTest, DecodeRejectsMalformedBlobs) {
  H out;
  EXPECT_FALSE(H::Decode("", &out));
  EXPECT_FALSE(H::Decode(std::string(1, '\x02'), &out));                  // unknown format
  EXPECT_FALSE(H::Decode(std::string("\x01\x00", 2), &out));              // gap without count
  EXPECT_FALSE(H::Decode(std::string("\x01\x00\x80", 3), &out));          // truncated varint
  EXPECT_FALSE(H::Decode(std::string("\x01\x00\x00", 3), &out));          // zero count
  EXPECT_FALSE(H::Decode(std::string("\x01\x4f\x01", 3), &out));          // bucket 79: past the last
  EXPECT_FALSE(H::Decode(std::string("\x01\x4e\x01\x00\x01", 5), &out));  // bucket 78, then 79
  std::string eleven_bytes = std::string("\x01\x00", 2) + std::string(10, '\xff') + "\x01";
  EXPECT_FALSE(H::Decode(eleven_bytes, &out));  // varint longer than 64 bits
  // Buckets 0 and 1 with 2^62 each: the total would pass int64.
  const std::string two_to_62("\x80\x80\x80\x80\x80\x80\x80\x80\x40", 9);
  std::string big = std::string("\x01\x00", 2) + two_to_62 + std::string(1, '\x00') + two_to_62;
  EXPECT_FALSE(H::Decode(big, &out));
  EXPECT_TRUE(H::Decode(std::string("\x01\x4e\x01", 3), &out));  // the overflow bucket itself is fine
  EXPECT_EQ(out.bucket_count(H::kBuckets - 1), 1);
}

TEST(LatencyHistogramTest, PercentilesAreWithinBucketPrecision) {
  H h;
  std::vector<int64_t> values;
  for (int64_t ms = 1; ms <= 1000; ++ms) values.push_back(ms * 1000);
  for (int64_t v : values) h.Add(v);
  for (double q : {0.5, 0.9, 0.95, 0.99}) {
    double exact = static_cast<double>(values[static_cast<size_t>(q * values.size()) - 1]) / 1000;
    EXPECT_NEAR(h.PercentileMs(q), exact, exact * 0.2) << q;
  }
  EXPECT_LE(h.PercentileMs(1.0), 1000 * 1.2);
  EXPECT_GE(h.PercentileMs(0.0), 1 / 1.2);
}

TEST(LatencyHistogramTest, SingleValueIsReportedInsideItsBucket) {
  H h;
  h.Add(50'000);
  int bucket = H::BucketIndex(50'000);
  for (double q : {0.01, 0.5, 0.99}) {
    EXPECT_GE(h.PercentileMs(q), H::BucketLowerUs(bucket) / 1000);
    EXPECT_LE(h.PercentileMs(q), H::BucketUpperUs(bucket) / 1000);
  }
  H slow;
  slow.Add(600'000'000);
  EXPECT_DOUBLE_EQ(slow.PercentileMs(0.5), H::BucketLowerUs(H::kBuckets - 1) / 1000);
}

TEST(LatencyHistogramTest, MergeAddsCountsAndEqualsTheHistogramOfTheUnion) {
  std::mt19937 rng(7);
  std::lognormal_distribution<double> dist(std::log(80'000.0), 0.8);
  H a, b, all;
  for (int i = 0; i < 5000; ++i) {
    auto v = static_cast<int64_t>(dist(rng));
    (i % 3 == 0 ? a : b).Add(v);
    all.Add(v);
  }
  H merged = a;
  merged.Merge(b);
  EXPECT_EQ(merged, all);
  EXPECT_EQ(merged.total(), 5000);
  EXPECT_DOUBLE_EQ(merged.PercentileMs(0.95), all.PercentileMs(0.95));
}

}  // namespace
}  // namespace csoc::store
