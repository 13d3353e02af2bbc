#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include "logs/cardinality_sketch.h"
#include "logs/quantile_sketch.h"
#include "logs/top_k.h"

namespace csoc::logs {
namespace {}  // namespace

// Readable gtest failure messages.
void PrintTo(const TopK::Entry& e, std::ostream* os) {
  *os << "{" << e.key << ", " << e.count << ", " << e.error << "}";
}

namespace {

// A sketch to decode into.
template <typename T>
T Blank() {
  if constexpr (std::is_same_v<T, TopK>) {
    return TopK(1);
  } else {
    return T();
  }
}

// Every proper prefix of a valid blob is truncated and must be rejected (and must not read past
// its end, which the asan build checks).
template <typename T>
void ExpectEveryPrefixRejected(const std::string& blob, size_t step = 1) {
  for (size_t n = 0; n < blob.size(); n += step) {
    T out = Blank<T>();
    Status s = T::Deserialize(std::string_view(blob.data(), n), &out);
    EXPECT_FALSE(s.ok()) << "prefix of " << n << " of " << blob.size() << " bytes accepted";
    EXPECT_EQ(s.code(), Status::Code::kCorruption);
  }
}

// Flipping bytes of a valid blob must either be rejected or decode to something usable; never crash.
template <typename T, typename Use>
void FlipBytesSafely(const std::string& blob, Use use) {
  std::mt19937 rng(11);
  for (int trial = 0; trial < 2000; ++trial) {
    std::string bad = blob;
    int flips = 1 + static_cast<int>(rng() % 3);
    for (int f = 0; f < flips; ++f) bad[rng() % bad.size()] ^= static_cast<char>(1 + rng() % 255);
    T out = Blank<T>();
    if (T::Deserialize(bad, &out).ok()) use(out);
  }
}

// ---------------------------------------------------------------------------------------------
// QuantileSketch

using Q = QuantileSketch;
constexpr double kAlpha = Q::kRelativeAccuracy;

// The exact q-quantile under the sketch's definition: the sorted sample at floor(q (n - 1)).
double Exact(const std::vector<double>& sorted, double q) {
  return sorted[static_cast<size_t>(q * static_cast<double>(sorted.size() - 1))];
}

void ExpectWithinAlpha(const Q& sketch, std::vector<double> values, const std::string& name) {
  std::sort(values.begin(), values.end());
  for (double q : {0.0, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1.0}) {
    double exact = Exact(values, q);
    double estimate = sketch.Quantile(q);
    // 1e-9 of slack for floating-point rounding exactly at a bucket bound.
    EXPECT_LE(std::abs(estimate - exact), kAlpha * exact * (1 + 1e-9))
        << name << " q=" << q << " exact=" << exact << " estimate=" << estimate;
  }
  EXPECT_EQ(sketch.Count(), values.size()) << name;
  EXPECT_EQ(sketch.Min(), values.front()) << name;
  EXPECT_EQ(sketch.Max(), values.back()) << name;
  double sum = 0;
  for (double v : values) sum += v;
  EXPECT_NEAR(sketch.Sum(), sum, sum * 1e-9) << name;
}

std::vector<double> Samples(const std::string& name, int n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<double> v;
  v.reserve(n);
  if (name == "uniform") {
    std::uniform_real_distribution<double> d(0.001, 2.0);
    for (int i = 0; i < n; ++i) v.push_back(d(rng));
  } else if (name == "lognormal") {
    std::lognormal_distribution<double> d(std::log(0.08), 1.0);
    for (int i = 0; i < n; ++i) v.push_back(d(rng));
  } else if (name == "constant") {
    v.assign(n, 0.25);
  } else if (name == "bimodal") {  // cache hits at ~2 ms, misses at ~400 ms
    std::normal_distribution<double> hit(0.002, 0.0003), miss(0.4, 0.05);
    for (int i = 0; i < n; ++i) v.push_back(std::max(1e-5, i % 10 < 8 ? hit(rng) : miss(rng)));
  } else if (name == "loguniform") {  // the whole indexable range: 1 µs to 1e9 s
    std::uniform_real_distribution<double> d(std::log(2e-6), std::log(1e9));
    for (int i = 0; i < n; ++i) v.push_back(std::min(1e9, std::exp(d(rng))));
  }
  return v;
}

TEST(QuantileSketchTest, QuantilesAreWithinRelativeAccuracyOfExact) {
  for (const char* name : {"uniform", "lognormal", "constant", "bimodal", "loguniform"}) {
    std::vector<double> values = Samples(name, 100'000, 42);
    Q sketch;
    for (double v : values) sketch.Add(v);
    ExpectWithinAlpha(sketch, values, name);
    EXPECT_LE(sketch.bucket_span(), Q::kDefaultMaxBuckets) << name;
  }
}

TEST(QuantileSketchTest, EveryBucketValueIsWithinAlphaOfItsValues) {
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> d(std::log(1.1e-6), std::log(1e9));
  for (int i = 0; i < 100'000; ++i) {
    double v = std::exp(d(rng));
    double reported = Q::BucketValue(Q::Index(v));
    ASSERT_LE(std::abs(reported - v), kAlpha * v * (1 + 1e-9)) << v;
  }
  // Bucket i is (gamma^(i-1), gamma^i].
  EXPECT_EQ(Q::Index(1.0), 0);
  EXPECT_EQ(Q::Index(Q::kGamma * 1.0000001), 2);
  EXPECT_EQ(Q::Index(Q::kGamma / 1.0000001), 1);
  EXPECT_EQ(Q::Index(1 / Q::kGamma / 1.0000001), -1);
  EXPECT_NEAR(Q::kGamma, 1.01 / 0.99, 1e-15);
}

TEST(QuantileSketchTest, EmptySketchAnswersZero) {
  Q sketch;
  EXPECT_EQ(sketch.Count(), 0u);
  EXPECT_EQ(sketch.Quantile(0.5), 0);
  EXPECT_EQ(sketch.Quantile(0), 0);
  EXPECT_EQ(sketch.Quantile(1), 0);
  EXPECT_EQ(sketch.Min(), 0);
  EXPECT_EQ(sketch.Max(), 0);
  EXPECT_EQ(sketch.Sum(), 0);
  EXPECT_EQ(sketch.Serialize().size(), 5u);
}

TEST(QuantileSketchTest, TinyNegativeNanAndHugeValuesAreRecordedSafely) {
  Q sketch;
  sketch.Add(0);
  sketch.Add(-1);
  sketch.Add(std::numeric_limits<double>::quiet_NaN());
  sketch.Add(5e-7);
  sketch.Add(std::numeric_limits<double>::infinity());
  sketch.Add(2e12);
  EXPECT_EQ(sketch.Count(), 6u);
  EXPECT_EQ(sketch.Min(), 0);
  EXPECT_EQ(sketch.Max(), Q::kMaxValue);
  EXPECT_DOUBLE_EQ(sketch.Sum(), 5e-7 + 2 * Q::kMaxValue);
  EXPECT_EQ(sketch.Quantile(0.5), 0);  // four of six are in the zero bucket
  EXPECT_LE(std::abs(sketch.Quantile(0.9) - Q::kMaxValue), kAlpha * Q::kMaxValue);
  // Out-of-range values round-trip too.
  Q decoded;
  ASSERT_TRUE(Q::Deserialize(sketch.Serialize(), &decoded).ok());
  EXPECT_EQ(decoded.Serialize(), sketch.Serialize());
}

TEST(QuantileSketchTest, QuantileClampsQAndHitsMinAndMaxExactly) {
  Q sketch;
  for (double v : {0.010, 0.020, 0.030}) sketch.Add(v);
  EXPECT_EQ(sketch.Quantile(-1), 0.010);
  EXPECT_EQ(sketch.Quantile(0), 0.010);
  EXPECT_EQ(sketch.Quantile(1), 0.030);
  EXPECT_EQ(sketch.Quantile(7), 0.030);
  EXPECT_NEAR(sketch.Quantile(0.5), 0.020, 0.020 * kAlpha);
}

TEST(QuantileSketchTest, MergeOfHalvesEqualsSketchOfTheWhole) {
  for (const char* name : {"uniform", "lognormal", "bimodal", "loguniform"}) {
    std::vector<double> values = Samples(name, 100'000, 7);
    Q a, b, whole;
    for (size_t i = 0; i < values.size(); ++i) {
      // Split unevenly by value too, so the halves cover different bucket ranges.
      (values[i] < 0.05 || i % 3 == 0 ? a : b).Add(values[i]);
      whole.Add(values[i]);
    }
    Q merged = a;
    merged.Merge(b);
    EXPECT_EQ(merged.Count(), whole.Count()) << name;
    EXPECT_EQ(merged.Min(), whole.Min()) << name;
    EXPECT_EQ(merged.Max(), whole.Max()) << name;
    EXPECT_NEAR(merged.Sum(), whole.Sum(), whole.Sum() * 1e-12) << name;
    for (int i = 0; i <= 1000; ++i) {
      double q = i / 1000.0;
      ASSERT_EQ(merged.Quantile(q), whole.Quantile(q)) << name << " q=" << q;
    }
    ExpectWithinAlpha(merged, values, name);
    // The other way round, and into an empty sketch.
    Q reverse = b;
    reverse.Merge(a);
    Q from_empty;
    from_empty.Merge(whole);
    for (double q : {0.0, 0.5, 0.9, 0.99, 0.999, 1.0}) {
      EXPECT_EQ(reverse.Quantile(q), whole.Quantile(q)) << name;
      EXPECT_EQ(from_empty.Quantile(q), whole.Quantile(q)) << name;
    }
  }
}

TEST(QuantileSketchTest, MergeWithEmptyAndWithItself) {
  Q sketch;
  for (double v : Samples("lognormal", 1000, 5)) sketch.Add(v);
  Q copy = sketch;
  sketch.Merge(Q());
  EXPECT_EQ(sketch.Serialize(), copy.Serialize());
  sketch.Merge(sketch);
  EXPECT_EQ(sketch.Count(), 2000u);
  EXPECT_DOUBLE_EQ(sketch.Sum(), 2 * copy.Sum());
  for (double q : {0.1, 0.5, 0.99}) EXPECT_EQ(sketch.Quantile(q), copy.Quantile(q));
}

TEST(QuantileSketchTest, CollapsingLowestBucketsKeepsHighQuantilesAccurate) {
  // 100 buckets span a ratio of only gamma^100 ~ 7.4; the values span 1e8.
  Q sketch(100);
  std::vector<double> values = Samples("loguniform", 100'000, 9);
  for (double& v : values) v = std::clamp(v, 1e-5, 1e3);
  for (double v : values) sketch.Add(v);
  EXPECT_LE(sketch.bucket_span(), 100u);
  std::sort(values.begin(), values.end());
  for (double q : {0.99, 0.995, 0.999, 1.0}) {
    EXPECT_LE(std::abs(sketch.Quantile(q) - Exact(values, q)), kAlpha * Exact(values, q) * (1 + 1e-9)) << q;
  }
  // Low quantiles are overestimated, never under.
  for (double q : {0.01, 0.1, 0.5}) EXPECT_GE(sketch.Quantile(q), Exact(values, q)) << q;
  EXPECT_GT(sketch.Quantile(0.5), Exact(values, 0.5) * (1 + kAlpha));  // the documented loss

  // Merging two collapsed sketches stays within the cap, and the top stays accurate.
  Q other(100);
  for (double v : values) other.Add(v * 10);
  sketch.Merge(other);
  EXPECT_LE(sketch.bucket_span(), 100u);
  EXPECT_EQ(sketch.Max(), values.back() * 10);
  Q round_trip;
  ASSERT_TRUE(Q::Deserialize(sketch.Serialize(), &round_trip).ok());
  EXPECT_EQ(round_trip.max_buckets(), 100u);
  EXPECT_EQ(round_trip.Quantile(0.999), sketch.Quantile(0.999));
}

TEST(QuantileSketchTest, DefaultCapNeverCollapsesOverTheWholeRange) {
  Q sketch;
  sketch.Add(1.000001e-6);
  sketch.Add(1e9);
  sketch.Add(0.5);
  EXPECT_LE(sketch.bucket_span(), Q::kDefaultMaxBuckets);
  EXPECT_NEAR(sketch.Quantile(0.5), 0.5, 0.5 * kAlpha);
  EXPECT_NEAR(sketch.Quantile(0.0), 1.000001e-6, 1e-12);
}

TEST(QuantileSketchTest, SerializeRoundTrips) {
  Q sketch;
  std::vector<double> values = Samples("lognormal", 100'000, 13);
  for (double v : values) sketch.Add(v);
  sketch.Add(0);  // the zero bucket too
  std::string blob = sketch.Serialize();
  EXPECT_LT(blob.size(), 2000u) << "only non-empty buckets are written";
  Q decoded;
  Status s = Q::Deserialize(blob, &decoded);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(decoded.Count(), sketch.Count());
  EXPECT_EQ(decoded.Sum(), sketch.Sum());
  EXPECT_EQ(decoded.Min(), sketch.Min());
  EXPECT_EQ(decoded.Max(), sketch.Max());
  for (int i = 0; i <= 100; ++i) EXPECT_EQ(decoded.Quantile(i / 100.0), sketch.Quantile(i / 100.0));
  EXPECT_EQ(decoded.Serialize(), blob);
  // A decoded sketch keeps working.
  decoded.Add(0.3);
  sketch.Add(0.3);
  EXPECT_EQ(decoded.Serialize(), sketch.Serialize());

  Q empty;
  ASSERT_TRUE(Q::Deserialize(Q().Serialize(), &empty).ok());
  EXPECT_EQ(empty.Count(), 0u);
}

TEST(QuantileSketchTest, CorruptBytesAreRejected) {
  Q sketch;
  for (double v : Samples("bimodal", 5000, 17)) sketch.Add(v);
  sketch.Add(0);
  const std::string blob = sketch.Serialize();
  ExpectEveryPrefixRejected<Q>(blob);
  Q out;
  auto rejects = [&](const std::string& bytes, const std::string& why) {
    Status s = Q::Deserialize(bytes, &out);
    EXPECT_FALSE(s.ok()) << why;
    EXPECT_EQ(s.code(), Status::Code::kCorruption) << why;
    EXPECT_NE(s.message().find("quantile sketch"), std::string::npos) << s.message();
  };
  rejects("", "empty");
  rejects(std::string("\x02", 1) + blob.substr(1), "unknown format");
  rejects(blob + "x", "trailing byte");
  // version, max_buckets, zero count, one bucket: index, count 0.
  rejects(std::string("\x01\x10\x00\x01\x00\x00", 6), "zero count");
  rejects(std::string("\x01\x00\x00\x00", 4), "max_buckets 0");
  rejects(std::string("\x01\x10\x00\x11", 4), "more buckets than max_buckets");
  // Bucket index 4000 (zigzag 8000) is past the highest possible.
  rejects(std::string("\x01\x10\x00\x01\xc0\x3e\x01", 7) + std::string(24, '\0'), "index out of range");
  // Two buckets 0 and 20 with max_buckets 16.
  rejects(std::string("\x01\x10\x00\x02\x00\x01\x13\x01", 8) + std::string(24, '\0'), "span past max_buckets");
  // One value with min > max.
  std::string bad_minmax("\x01\x10\x00\x01\x00\x01", 6);
  for (double d : {1.0, 2.0, 1.0}) {
    uint64_t bits = std::bit_cast<uint64_t>(d);
    for (int i = 0; i < 8; ++i) bad_minmax.push_back(static_cast<char>(bits >> (8 * i)));
  }
  rejects(bad_minmax, "min above max");
  FlipBytesSafely<Q>(blob, [](const Q& q) {
    (void)q.Quantile(0.5);
    (void)q.Serialize();
  });
}

// ---------------------------------------------------------------------------------------------
// CardinalitySketch

using C = CardinalitySketch;

C SketchOf(uint64_t begin, uint64_t end, const std::string& prefix = "user-") {
  C sketch;
  for (uint64_t i = begin; i < end; ++i) sketch.Add(prefix + std::to_string(i));
  return sketch;
}

void ExpectWithinThreeSigma(uint64_t estimate, uint64_t n, const std::string& what) {
  double bound = 3 * C::kStandardError * static_cast<double>(n);
  EXPECT_LE(std::abs(static_cast<double>(estimate) - static_cast<double>(n)), bound)
      << what << ": n=" << n << " estimate=" << estimate;
}

TEST(CardinalitySketchTest, EstimatesAreWithinThreeStandardErrors) {
  for (uint64_t n : {0u, 1u, 10u, 1000u, 100'000u, 1'000'000u}) {
    C sketch = SketchOf(0, n);
    ExpectWithinThreeSigma(sketch.Estimate(), n, "strings");
    // The same through AddHash with a seeded generator.
    std::mt19937_64 rng(1234 + n);
    C hashed;
    for (uint64_t i = 0; i < n; ++i) hashed.AddHash(rng());
    ExpectWithinThreeSigma(hashed.Estimate(), n, "hashes");
  }
}

TEST(CardinalitySketchTest, SmallSetsAreNearlyExactWhileSparse) {
  for (uint64_t n : {1u, 2u, 10u, 20u, 100u, 1000u, 3000u}) {
    C sketch = SketchOf(0, n);
    EXPECT_TRUE(sketch.is_sparse()) << n;
    EXPECT_LE(std::abs(static_cast<double>(sketch.Estimate()) - static_cast<double>(n)), n <= 100 ? 0 : 2) << n;
  }
}

TEST(CardinalitySketchTest, EstimatesAcrossTheRangeOfEstimators) {
  // Sparse linear counting, then dense linear counting up to ~11500, then Ertl's estimator.
  for (uint64_t n : {2'000u, 4'000u, 8'000u, 11'000u, 12'000u, 16'000u, 30'000u, 50'000u, 80'000u, 200'000u}) {
    ExpectWithinThreeSigma(SketchOf(0, n, "ip-").Estimate(), n, "range");
  }
}

TEST(CardinalitySketchTest, RepeatedValuesCountOnce) {
  C sketch;
  for (int round = 0; round < 10'000; ++round) {
    for (int u = 0; u < 20; ++u) sketch.Add("user-" + std::to_string(u));
  }
  EXPECT_EQ(sketch.Estimate(), 20u);
  EXPECT_TRUE(sketch.is_sparse());
}

TEST(CardinalitySketchTest, SparseKeepsTheLargestValuePerIndex) {
  // Two hashes with the same top 25 bits, whose 11 bits after the register index are zero, differ
  // only in their register value: 12 (first 1 bit at 52 after shifting out the index) and 30.
  const uint64_t index = uint64_t{123} << 50;
  const uint64_t small = index | (uint64_t{1} << 38), large = index | (uint64_t{1} << 20);
  C both, large_only, reversed;
  both.AddHash(small);
  both.Add("flush");  // an unrelated value, so the pair is not only in the buffer
  for (int i = 0; i < 300; ++i) both.AddHash(small);
  both.AddHash(large);
  large_only.Add("flush");
  large_only.AddHash(large);
  reversed.AddHash(large);
  reversed.AddHash(small);
  reversed.Add("flush");
  EXPECT_EQ(both.Estimate(), 2u);
  EXPECT_EQ(both.Serialize(), large_only.Serialize());
  EXPECT_EQ(reversed.Serialize(), large_only.Serialize());
}

TEST(CardinalitySketchTest, SparseBecomesDenseWhenItWouldBeBigger) {
  C sketch;
  uint64_t n = 0;
  while (sketch.is_sparse() && n < 10'000) sketch.Add("v" + std::to_string(n++));
  EXPECT_FALSE(sketch.is_sparse());
  EXPECT_GT(n, C::kMaxSparseEntries);
  EXPECT_LE(n, C::kMaxSparseEntries + 300);
  EXPECT_EQ(sketch.Serialize().size(), 2u + C::kRegisters * 6 / 8);
  ExpectWithinThreeSigma(sketch.Estimate(), n, "at conversion");
}

TEST(CardinalitySketchTest, TwentyItemsSerializeSmall) {
  C sketch = SketchOf(0, 20);
  std::string blob = sketch.Serialize();
  EXPECT_LT(blob.size(), 200u);
  EXPECT_EQ(blob[0], 1);  // sparse format
  C decoded;
  ASSERT_TRUE(C::Deserialize(blob, &decoded).ok());
  EXPECT_EQ(decoded.Estimate(), 20u);
}

TEST(CardinalitySketchTest, MergeOfOverlappingSetsEstimatesTheUnion) {
  struct Case {
    uint64_t a_begin, a_end, b_begin, b_end;
    const char* what;
  };
  for (Case c : {Case{0, 1500, 1000, 2500, "sparse+sparse"}, Case{0, 2000, 1000, 50'000, "sparse+dense"},
                 Case{0, 60'000, 40'000, 100'000, "dense+dense"}, Case{0, 3000, 2000, 5000, "sparse+sparse->dense"},
                 Case{0, 500'000, 250'000, 1'000'000, "dense+dense large"}}) {
    C a = SketchOf(c.a_begin, c.a_end), b = SketchOf(c.b_begin, c.b_end);
    uint64_t lo = std::min(c.a_begin, c.b_begin), hi = std::max(c.a_end, c.b_end);
    C whole = SketchOf(lo, hi);
    C ab = a, ba = b;
    ab.Merge(b);
    ba.Merge(a);
    ExpectWithinThreeSigma(ab.Estimate(), hi - lo, c.what);
    // Merging loses nothing: the merge is the sketch of the union, bit for bit, either way round.
    EXPECT_EQ(ab.Serialize(), whole.Serialize()) << c.what;
    EXPECT_EQ(ba.Serialize(), whole.Serialize()) << c.what;
    EXPECT_EQ(ab.is_sparse(), whole.is_sparse()) << c.what;
  }
  C a = SketchOf(0, 100);
  a.Merge(a);
  EXPECT_EQ(a.Estimate(), 100u);
  a.Merge(C());
  EXPECT_EQ(a.Estimate(), 100u);
}

TEST(CardinalitySketchTest, SerializeRoundTripsSparseAndDense) {
  for (uint64_t n : {0u, 5u, 2000u, 100'000u}) {
    C sketch = SketchOf(0, n);
    std::string blob = sketch.Serialize();
    C decoded;
    Status s = C::Deserialize(blob, &decoded);
    ASSERT_TRUE(s.ok()) << s.ToString();
    EXPECT_EQ(decoded.is_sparse(), sketch.is_sparse()) << n;
    EXPECT_EQ(decoded.Estimate(), sketch.Estimate()) << n;
    EXPECT_EQ(decoded.Serialize(), blob) << n;
    // A decoded sketch keeps working.
    decoded.Add("one more");
    sketch.Add("one more");
    EXPECT_EQ(decoded.Serialize(), sketch.Serialize()) << n;
  }
}

TEST(CardinalitySketchTest, CorruptBytesAreRejected) {
  const std::string sparse = SketchOf(0, 500).Serialize();
  const std::string dense = SketchOf(0, 20'000).Serialize();
  ExpectEveryPrefixRejected<C>(sparse);
  ExpectEveryPrefixRejected<C>(dense, 97);
  C out;
  auto rejects = [&](const std::string& bytes, const std::string& why) {
    Status s = C::Deserialize(bytes, &out);
    EXPECT_FALSE(s.ok()) << why;
    EXPECT_EQ(s.code(), Status::Code::kCorruption) << why;
    EXPECT_NE(s.message().find("cardinality sketch"), std::string::npos) << s.message();
  };
  rejects("", "empty");
  rejects(std::string("\x03\x0e\x00", 3), "unknown format");
  rejects(std::string("\x01\x0c\x00", 3), "other precision");
  rejects(sparse + "x", "trailing byte after sparse");
  rejects(dense + "x", "trailing byte after dense");
  std::string bad_register = dense;
  bad_register[2] = '\x3f';  // register 0 = 63 > 51
  rejects(bad_register, "register value too large");
  // A sparse entry is (index at precision 25) << 6 | register value. Index 1 has sub-index 1 (the
  // 11 bits after the register index), so 10 leading zeros: its value can only be 11.
  const std::string one_entry("\x01\x0e\x01", 3);
  ASSERT_TRUE(C::Deserialize(one_entry + static_cast<char>((1 << 6) | 11), &out).ok());
  EXPECT_EQ(out.Estimate(), 1u);
  rejects(one_entry + static_cast<char>((1 << 6) | 12), "impossible register value");
  rejects(std::string("\x01\x0e\x02", 3) + static_cast<char>((1 << 6) | 11) + '\x01', "index repeated");
  rejects(std::string("\x01\x0e\x7f\x01", 4), "count larger than the bytes left");
  FlipBytesSafely<C>(sparse, [](const C& c) { (void)c.Estimate(); });
  FlipBytesSafely<C>(dense, [](const C& c) { (void)c.Estimate(); });
}

// ---------------------------------------------------------------------------------------------
// TopK

// A Zipf-like stream over `keys` keys: key i (from 1) appears floor(scale / i^1.2) times, shuffled.
struct Stream {
  std::vector<std::string> keys;  // keys[i - 1] is key i
  std::vector<uint32_t> order;    // key numbers in arrival order
  std::map<std::string, uint64_t> truth;
};

Stream Zipf(const std::string& prefix, int keys, double scale, uint64_t seed) {
  Stream s;
  for (int i = 1; i <= keys; ++i) {
    s.keys.push_back(prefix + std::to_string(i));
    auto n = static_cast<uint64_t>(std::max(1.0, std::floor(scale / std::pow(i, 1.2))));
    s.truth[s.keys.back()] = n;
    s.order.insert(s.order.end(), n, static_cast<uint32_t>(i - 1));
  }
  std::mt19937 rng(static_cast<uint32_t>(seed));
  std::shuffle(s.order.begin(), s.order.end(), rng);
  return s;
}

// The bound every entry keeps, and that every key above Total/k is present.
// With same_capacity, also that errors are at most Total/k and every key above Total/k is present
// (documented for summaries merged only with summaries of the same capacity).
void ExpectBound(const TopK& summary, const std::map<std::string, uint64_t>& truth, const std::string& what,
                 bool same_capacity = true) {
  std::vector<TopK::Entry> top = summary.Top(summary.capacity());
  std::map<std::string, TopK::Entry> reported;
  for (const auto& e : top) {
    auto it = truth.find(e.key);
    uint64_t t = it == truth.end() ? 0 : it->second;
    EXPECT_LE(e.count - e.error, t) << what << " " << e.key;
    EXPECT_GE(e.count, t) << what << " " << e.key;
    if (same_capacity) {
      EXPECT_LE(e.error, summary.Total() / summary.capacity()) << what << " " << e.key;
    }
    reported[e.key] = e;
  }
  for (const auto& [key, t] : truth) {
    if (same_capacity && t > summary.Total() / summary.capacity()) {
      EXPECT_TRUE(reported.count(key)) << what << " missing " << key;
    }
  }
}

std::vector<std::string> TrueTop(const std::map<std::string, uint64_t>& truth, size_t n) {
  std::vector<std::pair<uint64_t, std::string>> v;
  for (const auto& [k, c] : truth) v.emplace_back(c, k);
  std::sort(v.begin(), v.end(),
            [](const auto& a, const auto& b) { return a.first != b.first ? a.first > b.first : a.second < b.second; });
  std::vector<std::string> keys;
  for (size_t i = 0; i < n && i < v.size(); ++i) keys.push_back(v[i].second);
  return keys;
}

std::vector<std::string> Keys(const std::vector<TopK::Entry>& entries) {
  std::vector<std::string> keys;
  for (const auto& e : entries) keys.push_back(e.key);
  return keys;
}

TEST(TopKTest, ZipfTopTenAreReportedInOrderWithinTheBound) {
  Stream s = Zipf("/api/v1/items/", 5000, 100'000, 1);
  TopK summary(256);
  for (uint32_t k : s.order) summary.Add(s.keys[k]);
  EXPECT_EQ(summary.Total(), s.order.size());
  EXPECT_EQ(summary.size(), 256u);
  std::vector<TopK::Entry> top = summary.Top(10);
  EXPECT_EQ(Keys(top), TrueTop(s.truth, 10));
  ExpectBound(summary, s.truth, "single stream");
}

TEST(TopKTest, MergeOfHalvesKeepsTheBound) {
  Stream s = Zipf("/p/", 5000, 100'000, 2);
  TopK a(256), b(256);
  for (size_t i = 0; i < s.order.size(); ++i) (i % 2 == 0 ? a : b).Add(s.keys[s.order[i]]);
  TopK merged = a;
  merged.Merge(b);
  EXPECT_EQ(merged.Total(), s.order.size());
  EXPECT_LE(merged.size(), 256u);
  EXPECT_EQ(Keys(merged.Top(10)), TrueTop(s.truth, 10));
  ExpectBound(merged, s.truth, "halves");
}

TEST(TopKTest, MergeOfDifferentStreamsChargesMissingKeys) {
  // Two environments with their own heavy paths and a shared tail: many keys are tracked on one
  // side and were evicted (or never tracked) on the other. Without charging the other side's
  // smallest count, merged counts would fall below the truth.
  Stream a_stream = Zipf("/a/", 3000, 50'000, 3), b_stream = Zipf("/b/", 3000, 37'000, 4);
  Stream shared = Zipf("/shared/", 3000, 20'000, 5);
  std::map<std::string, uint64_t> truth;
  TopK a(64), b(64);
  for (uint32_t k : a_stream.order) a.Add(a_stream.keys[k]);
  for (uint32_t k : b_stream.order) b.Add(b_stream.keys[k]);
  for (size_t i = 0; i < shared.order.size(); ++i) (i % 3 == 0 ? a : b).Add(shared.keys[shared.order[i]]);
  for (const auto* m : {&a_stream.truth, &b_stream.truth, &shared.truth}) {
    for (const auto& [k, c] : *m) truth[k] += c;
  }
  TopK merged = a;
  merged.Merge(b);
  ExpectBound(merged, truth, "different streams");
  EXPECT_EQ(Keys(merged.Top(4)), TrueTop(truth, 4));
  // Merging goes on: minutes into an hour.
  TopK hour(64);
  for (int minute = 0; minute < 3; ++minute) hour.Merge(merged);
  std::map<std::string, uint64_t> tripled = truth;
  for (auto& [k, c] : tripled) c *= 3;
  ExpectBound(hour, tripled, "three merges");
}

TEST(TopKTest, ExactWhileFewerKeysThanCapacity) {
  TopK summary(64);
  summary.Add("/b", 3);
  summary.Add("/a", 3);
  summary.Add("/c");
  summary.Add("/b", 2);
  summary.Add("/zero", 0);
  std::vector<TopK::Entry> top = summary.Top(10);
  ASSERT_EQ(top.size(), 3u);
  EXPECT_EQ(top[0], (TopK::Entry{"/b", 5, 0}));
  EXPECT_EQ(top[1], (TopK::Entry{"/a", 3, 0}));  // ties by key
  EXPECT_EQ(top[2], (TopK::Entry{"/c", 1, 0}));
  EXPECT_EQ(summary.Total(), 9u);
  EXPECT_EQ(summary.Top(1).size(), 1u);
}

TEST(TopKTest, MemoryStaysBoundedWithAMillionDistinctKeys) {
  TopK summary(64);
  for (int i = 0; i < 1'000'000; ++i) {
    summary.Add("client-" + std::to_string(i));
    if (i % 10 == 0) summary.Add("hot");
  }
  EXPECT_EQ(summary.size(), 64u);
  EXPECT_EQ(summary.Total(), 1'100'000u);
  EXPECT_LT(summary.Serialize().size(), 64u * 40);
  std::vector<TopK::Entry> top = summary.Top(64);
  EXPECT_EQ(top[0].key, "hot");
  EXPECT_LE(top[0].count - top[0].error, 100'000u);
  EXPECT_GE(top[0].count, 100'000u);
  for (const auto& e : top) {
    if (e.key != "hot") {
      EXPECT_LE(e.count - e.error, 1u) << e.key;
    }
  }
  // After all that churn every tracked key is still found (no duplicate entries appear).
  for (const auto& e : top) summary.Add(e.key);
  EXPECT_EQ(summary.size(), 64u);
  std::vector<TopK::Entry> again = summary.Top(64);
  std::map<std::string, uint64_t> before;
  for (const auto& e : top) before[e.key] = e.count;
  for (const auto& e : again) EXPECT_EQ(e.count, before.at(e.key) + 1) << e.key;
}

TEST(TopKTest, LongKeysAreTruncated) {
  TopK summary(8);
  std::string long_key(600, 'a');
  summary.Add(long_key);
  summary.Add(long_key + "b");
  std::vector<TopK::Entry> top = summary.Top(8);
  ASSERT_EQ(top.size(), 1u);
  EXPECT_EQ(top[0].key.size(), TopK::kMaxKeyBytes);
  EXPECT_EQ(top[0].count, 2u);
  // A two-byte character across the cut is dropped whole.
  TopK utf8(8);
  utf8.Add(std::string(511, 'a') + "\xc3\xa9" + "tail");
  EXPECT_EQ(utf8.Top(1)[0].key, std::string(511, 'a'));
}

TEST(TopKTest, MergeIntoItselfAndAcrossCapacities) {
  TopK summary(8);
  for (int i = 0; i < 5; ++i) summary.Add("k" + std::to_string(i), i + 1);
  summary.Merge(summary);
  EXPECT_EQ(summary.Total(), 30u);
  EXPECT_EQ(summary.Top(1)[0], (TopK::Entry{"k4", 10, 0}));

  // A full small summary merged into a large empty one: keys it dropped may have been seen up to
  // its smallest count, so new keys added afterwards carry that as error.
  TopK small(4);
  std::map<std::string, uint64_t> truth;
  for (int i = 0; i < 100; ++i) {
    std::string k = "s" + std::to_string(i % 10);
    small.Add(k);
    ++truth[k];
  }
  TopK big(64);
  big.Merge(small);
  big.Add("s9");
  ++truth["s9"];
  ExpectBound(big, truth, "across capacities", /*same_capacity=*/false);
  for (const auto& e : big.Top(64)) EXPECT_GE(e.count, truth[e.key]) << e.key;
}

TEST(TopKTest, SerializeRoundTrips) {
  Stream s = Zipf("/r/", 2000, 20'000, 6);
  TopK summary(128);
  for (uint32_t k : s.order) summary.Add(s.keys[k]);
  std::string blob = summary.Serialize();
  TopK decoded(1);
  Status st = TopK::Deserialize(blob, &decoded);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(decoded.capacity(), 128u);
  EXPECT_EQ(decoded.Total(), summary.Total());
  EXPECT_EQ(decoded.Top(128), summary.Top(128));
  EXPECT_EQ(decoded.Serialize(), blob);
  // A decoded summary keeps working the same way.
  for (int i = 0; i < 1000; ++i) {
    std::string k = "/new/" + std::to_string(i % 300);
    decoded.Add(k);
    summary.Add(k);
  }
  EXPECT_EQ(decoded.Top(128), summary.Top(128));
  TopK empty(1);
  ASSERT_TRUE(TopK::Deserialize(TopK(16).Serialize(), &empty).ok());
  EXPECT_EQ(empty.capacity(), 16u);
  EXPECT_EQ(empty.size(), 0u);
}

TEST(TopKTest, CorruptBytesAreRejected) {
  TopK summary(16);
  for (int i = 0; i < 100; ++i) summary.Add("/k" + std::to_string(i % 30), 1 + i % 7);
  const std::string blob = summary.Serialize();
  for (size_t n = 0; n < blob.size(); ++n) {
    TopK out(1);
    EXPECT_FALSE(TopK::Deserialize(std::string_view(blob.data(), n), &out).ok()) << n;
  }
  TopK out(1);
  auto rejects = [&](const std::string& bytes, const std::string& why) {
    Status s = TopK::Deserialize(bytes, &out);
    EXPECT_FALSE(s.ok()) << why;
    EXPECT_EQ(s.code(), Status::Code::kCorruption) << why;
    EXPECT_NE(s.message().find("top-k"), std::string::npos) << s.message();
  };
  rejects("", "empty");
  rejects(std::string("\x02\x10\x00\x00\x00", 5), "unknown format");
  rejects(std::string("\x01\x00\x00\x00\x00", 5), "capacity 0");
  rejects(blob + "x", "trailing byte");
  // capacity 2, total 5, floor 0, entries:
  rejects(std::string("\x01\x02\x05\x00\x03", 5) +
              std::string("\x01"
                          "a"
                          "\x01\x00",
                          4) +
              std::string("\x01"
                          "b"
                          "\x01\x00",
                          4) +
              std::string("\x01"
                          "c"
                          "\x01\x00",
                          4),
          "more entries than capacity");
  rejects(std::string("\x01\x02\x05\x00\x01\x01"
                      "a"
                      "\x00\x00",
                      9),
          "count 0");
  rejects(std::string("\x01\x02\x05\x00\x01\x01"
                      "a"
                      "\x01\x02",
                      9),
          "error above count");
  rejects(std::string("\x01\x02\x05\x00\x02\x01"
                      "a"
                      "\x01\x00\x01"
                      "a"
                      "\x02\x00",
                      13),
          "duplicate key");
  std::string long_key = std::string("\x01\x02\x05\x00\x01", 5) + "\x81\x04" + std::string(513, 'k') + "\x01\x00";
  rejects(long_key, "key too long");
  EXPECT_TRUE(TopK::Deserialize(std::string("\x01\x02\x05\x00\x01\x01"
                                            "a"
                                            "\x03\x01",
                                            9),
                                &out)
                  .ok());
  FlipBytesSafely<TopK>(blob, [](const TopK& t) {
    TopK copy = t;
    copy.Add("/k1");
    copy.Add("/brand-new");
    copy.Merge(t);
    (void)copy.Top(5);
  });
}

}  // namespace
}  // namespace csoc::logs
