#include "logs/quantile_sketch.h"

#include <algorithm>

#include "logs/coding.h"

namespace csoc::logs {

namespace {

constexpr uint8_t kFormatV1 = 1;

// Extra buckets allocated beyond a new extreme, in the direction the range grew, so that a range
// that drifts a bucket at a time re-lays the array once per 32 buckets rather than every time.
constexpr int kHeadroom = 32;

// The buckets any recorded value can fall in: values above kMinIndexableValue up to kMaxValue.
int LowestIndex() {
  static const int lowest = QuantileSketch::Index(std::nextafter(QuantileSketch::kMinIndexableValue, 1.0));
  return lowest;
}
int HighestIndex() {
  static const int highest = QuantileSketch::Index(QuantileSketch::kMaxValue);
  return highest;
}

Status Corrupt(std::string what) { return Status::Corruption("quantile sketch: " + std::move(what)); }

}  // namespace

QuantileSketch::QuantileSketch(size_t max_buckets) : max_buckets_(std::clamp<size_t>(max_buckets, 1, kMaxMaxBuckets)) {}

double QuantileSketch::BucketValue(int index) { return 2 * std::pow(kGamma, index) / (kGamma + 1); }

void QuantileSketch::AddOutOfRange(double seconds) {
  if (seconds > kMaxValue) {  // includes +inf
    RecordStats(kMaxValue);
    int index = Index(kMaxValue);
    if (index < offset_ || index >= offset_ + static_cast<int>(bins_.size())) index = MakeRoom(index);
    ++bins_[index - offset_];
    return;
  }
  // At or below kMinIndexableValue, negative, or NaN (which fails `seconds > 0`).
  RecordStats(seconds > 0 ? seconds : 0);
  ++zero_count_;
}

int QuantileSketch::MakeRoom(int index) {
  const int max = static_cast<int>(max_buckets_);
  if (bins_.empty()) {
    int half = std::min(kHeadroom / 2, (max - 1) / 2);
    Relayout(index - half, index + half);
    return index;
  }
  int lo = std::min(offset_, index);
  int hi = std::max(offset_ + static_cast<int>(bins_.size()) - 1, index);
  if (hi - lo + 1 > max) {
    // The values span more buckets than allowed: collapse the lowest ones, keeping the high
    // quantiles (the ones latency questions are about) accurate.
    lo = hi - max + 1;
  } else if (index < offset_) {
    lo = std::max(lo - kHeadroom, hi - max + 1);
  } else {
    hi = std::min(hi + kHeadroom, lo + max - 1);
  }
  Relayout(lo, hi);
  return std::max(index, offset_);
}

void QuantileSketch::Relayout(int lo, int hi) {
  std::vector<uint64_t> bins(static_cast<size_t>(hi - lo + 1), 0);
  for (size_t i = 0; i < bins_.size(); ++i) {
    if (bins_[i] == 0) continue;
    int index = std::clamp(offset_ + static_cast<int>(i), lo, hi);
    bins[index - lo] += bins_[i];
  }
  bins_ = std::move(bins);
  offset_ = lo;
}

void QuantileSketch::Merge(const QuantileSketch& other) {
  if (&other == this) {
    QuantileSketch copy = other;
    return Merge(copy);
  }
  if (other.count_ == 0) return;
  count_ += other.count_;
  sum_ += other.sum_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  zero_count_ += other.zero_count_;

  // other's non-empty range (its array may have empty headroom at either end).
  auto first = std::find_if(other.bins_.begin(), other.bins_.end(), [](uint64_t c) { return c != 0; });
  if (first == other.bins_.end()) return;
  auto last = std::find_if(other.bins_.rbegin(), other.bins_.rend(), [](uint64_t c) { return c != 0; });
  int other_lo = other.offset_ + static_cast<int>(first - other.bins_.begin());
  int other_hi = other.offset_ + static_cast<int>(other.bins_.rend() - last) - 1;

  const int max = static_cast<int>(max_buckets_);
  int top = offset_ + static_cast<int>(bins_.size()) - 1;
  if (bins_.empty()) {
    Relayout(std::max(other_lo, other_hi - max + 1), other_hi);
  } else if (other_lo < offset_ || other_hi > top) {
    int hi = std::max(top, other_hi);
    Relayout(std::max(std::min(offset_, other_lo), hi - max + 1), hi);
  }
  for (int index = other_lo; index <= other_hi; ++index) {
    uint64_t c = other.bins_[index - other.offset_];
    if (c != 0) bins_[std::max(index, offset_) - offset_] += c;
  }
}

double QuantileSketch::Quantile(double q) const {
  if (count_ == 0) return 0;
  if (!(q > 0)) return min_;  // also NaN
  if (q >= 1) return max_;
  // The sample at index floor(rank) of the sorted samples is in the first bucket whose cumulative
  // count exceeds rank.
  double rank = q * static_cast<double>(count_ - 1);
  uint64_t cumulative = zero_count_;
  if (static_cast<double>(cumulative) > rank) return min_;  // the zero bucket reports 0, but never below min
  for (size_t i = 0; i < bins_.size(); ++i) {
    cumulative += bins_[i];
    if (static_cast<double>(cumulative) > rank) {
      // Clamping to the exact [min, max] only moves the answer closer to the true quantile.
      return std::clamp(BucketValue(offset_ + static_cast<int>(i)), min_, max_);
    }
  }
  return max_;
}

std::string QuantileSketch::Serialize() const {
  std::string out(1, static_cast<char>(kFormatV1));
  coding::PutVarint(max_buckets_, &out);
  coding::PutVarint(zero_count_, &out);
  size_t non_empty = static_cast<size_t>(std::count_if(bins_.begin(), bins_.end(), [](uint64_t c) { return c != 0; }));
  coding::PutVarint(non_empty, &out);
  int previous = 0;
  bool first = true;
  for (size_t i = 0; i < bins_.size(); ++i) {
    if (bins_[i] == 0) continue;
    int index = offset_ + static_cast<int>(i);
    coding::PutVarint(first ? coding::ZigZag(index) : static_cast<uint64_t>(index - previous - 1), &out);
    coding::PutVarint(bins_[i], &out);
    previous = index;
    first = false;
  }
  if (count_ > 0) {
    coding::PutDouble(sum_, &out);
    coding::PutDouble(min_, &out);
    coding::PutDouble(max_, &out);
  }
  return out;
}

Status QuantileSketch::Deserialize(std::string_view bytes, QuantileSketch* out) {
  coding::ByteReader in(bytes);
  uint8_t format;
  if (!in.Byte(&format)) return Corrupt("empty input");
  if (format != kFormatV1) return Corrupt("unknown format byte " + std::to_string(format) + " (expected 1)");
  uint64_t max_buckets, zero_count, non_empty;
  if (!in.Varint(&max_buckets)) return Corrupt("truncated max_buckets");
  if (max_buckets < 1 || max_buckets > kMaxMaxBuckets) {
    return Corrupt("max_buckets " + std::to_string(max_buckets) + " outside [1, " + std::to_string(kMaxMaxBuckets) +
                   "]");
  }
  if (!in.Varint(&zero_count)) return Corrupt("truncated zero-bucket count");
  if (!in.Varint(&non_empty)) return Corrupt("truncated bucket count");
  if (non_empty > max_buckets) {
    return Corrupt(std::to_string(non_empty) + " buckets, more than max_buckets " + std::to_string(max_buckets));
  }

  std::vector<std::pair<int, uint64_t>> buckets;
  buckets.reserve(non_empty);
  uint64_t total = zero_count;
  int64_t index = 0;
  for (uint64_t i = 0; i < non_empty; ++i) {
    uint64_t raw, count;
    if (!in.Varint(&raw) || !in.Varint(&count)) return Corrupt("truncated bucket " + std::to_string(i));
    if (i == 0) {
      index = coding::UnZigZag(raw);
    } else {
      if (raw > static_cast<uint64_t>(HighestIndex() - LowestIndex())) return Corrupt("bucket gap out of range");
      index += static_cast<int64_t>(raw) + 1;
    }
    if (index < LowestIndex() || index > HighestIndex()) {
      return Corrupt("bucket index " + std::to_string(index) + " outside [" + std::to_string(LowestIndex()) + ", " +
                     std::to_string(HighestIndex()) + "]");
    }
    if (count == 0) return Corrupt("empty bucket " + std::to_string(index) + " listed");
    if (count > UINT64_MAX - total) return Corrupt("total count overflows 64 bits");
    total += count;
    buckets.emplace_back(static_cast<int>(index), count);
  }
  if (!buckets.empty() && buckets.back().first - buckets.front().first + 1 > static_cast<int64_t>(max_buckets)) {
    return Corrupt("buckets span more than max_buckets " + std::to_string(max_buckets));
  }

  double sum = 0, min = 0, max = 0;
  if (total > 0) {
    if (!in.Double(&sum) || !in.Double(&min) || !in.Double(&max)) return Corrupt("truncated sum/min/max");
    if (!(min >= 0) || !(min <= max) || !(max <= kMaxValue) || !(sum >= 0) || !std::isfinite(sum)) {
      return Corrupt("inconsistent sum/min/max");
    }
  }
  if (!in.empty()) return Corrupt(std::to_string(in.remaining()) + " trailing bytes");

  QuantileSketch sketch(max_buckets);
  if (!buckets.empty()) {
    sketch.offset_ = buckets.front().first;
    sketch.bins_.assign(static_cast<size_t>(buckets.back().first - buckets.front().first + 1), 0);
    for (auto [i, c] : buckets) sketch.bins_[i - sketch.offset_] = c;
  }
  sketch.zero_count_ = zero_count;
  sketch.count_ = total;
  if (total > 0) {
    sketch.sum_ = sum;
    sketch.min_ = min;
    sketch.max_ = max;
  }
  *out = std::move(sketch);
  return Status::Ok();
}

}  // namespace csoc::logs
