#include "logs/cardinality_sketch.h"

#include <xxhash.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>

#include "logs/coding.h"

namespace csoc::logs {

namespace {

constexpr uint8_t kFormatSparse = 1;
constexpr uint8_t kFormatDense = 2;

constexpr int kValueBits = 6;                                      // a register value is 0..51
constexpr int kMaxValue = 64 - CardinalitySketch::kPrecision + 1;  // 51
constexpr int kSubBits = CardinalitySketch::kSparsePrecision - CardinalitySketch::kPrecision;  // 11
constexpr size_t kInitialSlots = 16;
constexpr size_t kDenseBytes = CardinalitySketch::kRegisters * kValueBits / 8;  // 12288

// The register value at precision p: the position of the first 1 bit after the p index bits.
inline uint8_t RegisterValue(uint64_t hash) {
  constexpr int p = CardinalitySketch::kPrecision;
  return static_cast<uint8_t>(std::countl_zero((hash << p) | (uint64_t{1} << (p - 1))) + 1);
}

inline uint32_t EntryIndex(uint32_t entry) { return entry >> kValueBits; }
inline uint32_t EntryRegister(uint32_t entry) { return entry >> (kValueBits + kSubBits); }
inline uint8_t EntryValue(uint32_t entry) { return static_cast<uint8_t>(entry & ((1u << kValueBits) - 1)); }

// Ertl's sigma and tau functions (2017, section 4), summed until the double stops changing.
double Sigma(double x) {
  if (x == 1) return INFINITY;
  double y = 1, z = x, previous;
  do {
    x *= x;
    previous = z;
    z += x * y;
    y += y;
  } while (z != previous);
  return z;
}

double Tau(double x) {
  if (x == 0 || x == 1) return 0;
  double y = 1, z = 1 - x, previous;
  do {
    x = std::sqrt(x);
    previous = z;
    y *= 0.5;
    z -= (1 - x) * (1 - x) * y;
  } while (z != previous);
  return z / 3;
}

Status Corrupt(std::string what) { return Status::Corruption("cardinality sketch: " + std::move(what)); }

}  // namespace

uint32_t CardinalitySketch::SparseEntry(uint64_t hash) {
  return static_cast<uint32_t>(hash >> (64 - kSparsePrecision)) << kValueBits | RegisterValue(hash);
}

void CardinalitySketch::Add(std::string_view value) { AddHash(XXH3_64bits(value.data(), value.size())); }

void CardinalitySketch::AddHash(uint64_t hash) {
  if (!registers_.empty()) {
    uint8_t value = RegisterValue(hash);
    uint8_t& reg = registers_[hash >> (64 - kPrecision)];
    if (reg < value) reg = value;
    return;
  }
  InsertSparse(SparseEntry(hash));
}

void CardinalitySketch::InsertSparse(uint32_t entry) {
  if (sparse_.empty()) sparse_.assign(kInitialSlots, 0);
  const size_t mask = sparse_.size() - 1;
  // The index is the hash's top bits, so its low bits are as well mixed as any hash of it.
  for (size_t pos = EntryIndex(entry) & mask;; pos = (pos + 1) & mask) {
    uint32_t& slot = sparse_[pos];
    if (slot == 0) break;
    if (EntryIndex(slot) == EntryIndex(entry)) {
      if (slot < entry) slot = entry;  // same index, larger value
      return;
    }
  }
  if ((sparse_entries_ + 1) * 4 > sparse_.size() * 3) {  // past 3/4 load: grow first
    if (sparse_.size() * 2 > kMaxSparseSlots) {
      ToDense();
      const uint32_t reg = EntryRegister(entry);
      registers_[reg] = std::max(registers_[reg], EntryValue(entry));
      return;
    }
    std::vector<uint32_t> old(sparse_.size() * 2, 0);
    old.swap(sparse_);
    const size_t grown_mask = sparse_.size() - 1;
    for (uint32_t e : old) {
      if (e == 0) continue;
      size_t pos = EntryIndex(e) & grown_mask;
      while (sparse_[pos] != 0) pos = (pos + 1) & grown_mask;
      sparse_[pos] = e;
    }
  }
  const size_t grown_mask = sparse_.size() - 1;
  size_t pos = EntryIndex(entry) & grown_mask;
  while (sparse_[pos] != 0) pos = (pos + 1) & grown_mask;
  sparse_[pos] = entry;
  ++sparse_entries_;
}

void CardinalitySketch::ToDense() {
  registers_.assign(kRegisters, 0);
  for (uint32_t e : sparse_) {
    if (e == 0) continue;
    uint8_t& reg = registers_[EntryRegister(e)];
    reg = std::max(reg, EntryValue(e));
  }
  std::vector<uint32_t>().swap(sparse_);
  sparse_entries_ = 0;
}

std::vector<uint32_t> CardinalitySketch::SortedEntries() const {
  std::vector<uint32_t> entries;
  entries.reserve(sparse_entries_);
  for (uint32_t e : sparse_) {
    if (e != 0) entries.push_back(e);
  }
  std::sort(entries.begin(), entries.end());
  return entries;
}

void CardinalitySketch::Merge(const CardinalitySketch& other) {
  if (&other == this) return;  // the union of a set with itself
  if (other.is_sparse()) {
    for (uint32_t e : other.sparse_) {
      if (e == 0) continue;
      if (is_sparse()) {
        InsertSparse(e);  // may turn this sketch dense part way
      } else {
        uint8_t& reg = registers_[EntryRegister(e)];
        reg = std::max(reg, EntryValue(e));
      }
    }
    return;
  }
  if (is_sparse()) ToDense();
  for (int i = 0; i < kRegisters; ++i) registers_[i] = std::max(registers_[i], other.registers_[i]);
}

uint64_t CardinalitySketch::Estimate() const {
  if (is_sparse()) {
    // Linear counting over the 2^25 sparse indexes: m' ln(m' / empty).
    double entries = static_cast<double>(sparse_entries_);
    constexpr double m = double{1 << kSparsePrecision};
    return static_cast<uint64_t>(std::llround(-m * std::log1p(-entries / m)));
  }
  std::array<int, kMaxValue + 1> histogram{};
  for (uint8_t r : registers_) ++histogram[r];
  constexpr double m = kRegisters;
  if (histogram[0] == kRegisters) return 0;
  if (histogram[0] > 0) {
    double linear = m * std::log(m / histogram[0]);
    if (linear <= kLinearCountingThreshold) return static_cast<uint64_t>(std::llround(linear));
  }
  constexpr int q = 64 - kPrecision;
  double z = m * Tau((m - histogram[q + 1]) / m);
  for (int k = q; k >= 1; --k) z = 0.5 * (z + histogram[k]);
  z += m * Sigma(histogram[0] / m);
  constexpr double kAlphaInfinity = 0.721347520444481703680;  // 1 / (2 ln 2)
  return static_cast<uint64_t>(std::llround(kAlphaInfinity * m * m / z));
}

std::string CardinalitySketch::Serialize() const {
  std::string out;
  if (is_sparse()) {
    std::vector<uint32_t> entries = SortedEntries();
    out.push_back(static_cast<char>(kFormatSparse));
    out.push_back(static_cast<char>(kPrecision));
    coding::PutVarint(entries.size(), &out);
    uint32_t previous = 0;
    for (uint32_t e : entries) {
      coding::PutVarint(e - previous, &out);
      previous = e;
    }
    return out;
  }
  out.reserve(2 + kDenseBytes);
  out.push_back(static_cast<char>(kFormatDense));
  out.push_back(static_cast<char>(kPrecision));
  for (int i = 0; i < kRegisters; i += 4) {
    uint32_t packed = registers_[i] | registers_[i + 1] << 6 | registers_[i + 2] << 12 | registers_[i + 3] << 18;
    for (int b = 0; b < 3; ++b) out.push_back(static_cast<char>((packed >> (8 * b)) & 0xff));
  }
  return out;
}

Status CardinalitySketch::Deserialize(std::string_view bytes, CardinalitySketch* out) {
  coding::ByteReader in(bytes);
  uint8_t format, precision;
  if (!in.Byte(&format)) return Corrupt("empty input");
  if (format != kFormatSparse && format != kFormatDense) {
    return Corrupt("unknown format byte " + std::to_string(format) + " (expected 1 or 2)");
  }
  if (!in.Byte(&precision)) return Corrupt("truncated precision");
  if (precision != kPrecision) return Corrupt("precision " + std::to_string(precision) + " (expected 14)");

  CardinalitySketch sketch;
  if (format == kFormatDense) {
    std::string_view packed;
    if (!in.Bytes(kDenseBytes, &packed)) {
      return Corrupt("dense registers truncated: " + std::to_string(in.remaining()) + " of " +
                     std::to_string(kDenseBytes) + " bytes");
    }
    sketch.registers_.resize(kRegisters);
    for (int i = 0; i < kRegisters; i += 4) {
      uint32_t word = 0;
      for (int b = 0; b < 3; ++b) word |= static_cast<uint32_t>(static_cast<uint8_t>(packed[i / 4 * 3 + b])) << (8 * b);
      for (int j = 0; j < 4; ++j) {
        uint8_t value = (word >> (6 * j)) & 63;
        if (value > kMaxValue) return Corrupt("register " + std::to_string(i + j) + " holds " + std::to_string(value));
        sketch.registers_[i + j] = value;
      }
    }
  } else {
    uint64_t count;
    if (!in.Varint(&count)) return Corrupt("truncated entry count");
    // Each entry takes at least one byte, which bounds what a corrupt count can make us allocate.
    if (count > in.remaining())
      return Corrupt(std::to_string(count) + " entries in " + std::to_string(in.remaining()) + " bytes");
    uint64_t entry = 0;
    for (uint64_t i = 0; i < count; ++i) {
      uint64_t delta;
      if (!in.Varint(&delta)) return Corrupt("truncated entry " + std::to_string(i));
      if (delta >= (uint64_t{1} << (kSparsePrecision + kValueBits)))
        return Corrupt("entry " + std::to_string(i) + " out of range");
      uint64_t previous = entry;
      entry += delta;
      if (entry >= (uint64_t{1} << (kSparsePrecision + kValueBits)))
        return Corrupt("entry " + std::to_string(i) + " out of range");
      auto e = static_cast<uint32_t>(entry);
      if (i > 0 && EntryIndex(e) <= EntryIndex(static_cast<uint32_t>(previous))) {
        return Corrupt("entries not in increasing index order at " + std::to_string(i));
      }
      // The value must be one a hash with this index can have: when the 11 bits after the register
      // index are not all zero, they alone determine it.
      uint32_t sub = EntryIndex(e) & ((1u << kSubBits) - 1);
      uint8_t value = EntryValue(e);
      bool valid = sub != 0 ? value == kSubBits + 1 - std::bit_width(sub) : value > kSubBits && value <= kMaxValue;
      if (!valid) return Corrupt("entry " + std::to_string(i) + " has an impossible register value");
      sketch.InsertSparse(e);
    }
  }
  if (!in.empty()) return Corrupt(std::to_string(in.remaining()) + " trailing bytes");
  *out = std::move(sketch);
  return Status::Ok();
}

}  // namespace csoc::logs
