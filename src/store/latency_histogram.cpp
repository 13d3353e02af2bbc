#include "store/latency_histogram.h"

#include <algorithm>
#include <limits>

namespace csoc::store {

namespace {

constexpr uint8_t kFormatSparseVarint = 1;

// Upper bounds of the finite buckets, computed once by repeated multiplication so that every
// process (and every version of csoc reading an old blob) agrees on them exactly.
constexpr std::array<double, LatencyHistogram::kFiniteBounds> MakeBounds() {
  std::array<double, LatencyHistogram::kFiniteBounds> bounds{};
  double b = LatencyHistogram::kMinUs;
  for (auto& bound : bounds) {
    bound = b;
    b *= LatencyHistogram::kGrowth;
  }
  return bounds;
}
constexpr std::array<double, LatencyHistogram::kFiniteBounds> kBounds = MakeBounds();
static_assert(kBounds.back() >= 120e6, "the finite buckets must reach 120 s");

void PutVarint(uint64_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

bool GetVarint(std::string_view* in, uint64_t* v) {
  uint64_t result = 0;
  for (int shift = 0; shift < 64 && !in->empty(); shift += 7) {
    uint64_t byte = static_cast<uint8_t>(in->front());
    in->remove_prefix(1);
    if (shift == 63 && byte > 1) return false;  // more than 64 bits
    result |= (byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) {
      *v = result;
      return true;
    }
  }
  return false;
}

}  // namespace

int LatencyHistogram::BucketIndex(int64_t latency_us) {
  double v = static_cast<double>(std::max<int64_t>(latency_us, 0));
  return static_cast<int>(std::upper_bound(kBounds.begin(), kBounds.end(), v) - kBounds.begin());
}

double LatencyHistogram::BucketLowerUs(int index) { return index == 0 ? 0 : kBounds[index - 1]; }

double LatencyHistogram::BucketUpperUs(int index) {
  return index < kFiniteBounds ? kBounds[index] : std::numeric_limits<double>::infinity();
}

void LatencyHistogram::Add(int64_t latency_us, int64_t count) { counts_[BucketIndex(latency_us)] += count; }

void LatencyHistogram::Merge(const LatencyHistogram& other) {
  for (int i = 0; i < kBuckets; ++i) counts_[i] += other.counts_[i];
}

int64_t LatencyHistogram::total() const {
  int64_t sum = 0;
  for (int64_t c : counts_) sum += c;
  return sum;
}

double LatencyHistogram::PercentileMs(double q) const {
  int64_t n = total();
  if (n == 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  double rank = q * static_cast<double>(n);
  int64_t before = 0;
  for (int i = 0; i < kBuckets; ++i) {
    if (counts_[i] == 0) continue;
    if (static_cast<double>(before + counts_[i]) >= rank) {
      double lower = BucketLowerUs(i);
      if (i == kBuckets - 1) return lower / 1000;
      double fraction = (rank - static_cast<double>(before)) / static_cast<double>(counts_[i]);
      return (lower + (BucketUpperUs(i) - lower) * fraction) / 1000;
    }
    before += counts_[i];
  }
  return BucketLowerUs(kBuckets - 1) / 1000;
}

std::string LatencyHistogram::Encode() const {
  std::string out(1, static_cast<char>(kFormatSparseVarint));
  int previous = -1;
  for (int i = 0; i < kBuckets; ++i) {
    if (counts_[i] == 0) continue;
    PutVarint(static_cast<uint64_t>(i - previous - 1), &out);
    PutVarint(static_cast<uint64_t>(counts_[i]), &out);
    previous = i;
  }
  return out;
}

bool LatencyHistogram::Decode(std::string_view blob, LatencyHistogram* out) {
  out->Clear();
  return MergeEncoded(blob, out);
}

bool LatencyHistogram::MergeEncoded(std::string_view blob, LatencyHistogram* into) {
  if (blob.empty() || static_cast<uint8_t>(blob.front()) != kFormatSparseVarint) return false;
  blob.remove_prefix(1);
  constexpr uint64_t kMax = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  int64_t previous = -1;
  uint64_t sum = 0;
  while (!blob.empty()) {
    uint64_t gap, count;
    if (!GetVarint(&blob, &gap) || !GetVarint(&blob, &count)) return false;
    if (gap >= static_cast<uint64_t>(kBuckets) || count == 0) return false;
    int64_t index = previous + 1 + static_cast<int64_t>(gap);
    if (index >= kBuckets) return false;
    if (count > kMax - sum) return false;
    sum += count;
    into->counts_[index] += static_cast<int64_t>(count);
    previous = index;
  }
  return true;
}

}  // namespace csoc::store
