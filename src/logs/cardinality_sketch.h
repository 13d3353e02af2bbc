// CardinalitySketch: how many distinct values (users, client IPs, paths) one environment saw in a
// minute, in bounded memory, mergeable across minutes and environments. It is HyperLogLog
// (Flajolet, Fusy, Gandouet, Meunier, "HyperLogLog: the analysis of a near-optimal cardinality
// estimation algorithm", AofA 2007) with the HyperLogLog++ improvements (Heule, Nunkesser, Hall,
// "HyperLogLog in Practice", EDBT 2013):
//   - a 64-bit hash (XXH3_64bits), so no large-range correction is needed;
//   - precision p = 14: m = 16384 registers, standard error 1.04 / sqrt(m) = 0.81%;
//   - a sparse representation while few registers are set: (index at precision p' = 25, register
//     value) entries, 4 bytes each, so a minute with 20 distinct users costs ~130 bytes in memory
//     and ~90 serialized rather than 16 KB. In memory the entries are an open-addressing set
//     (HLL++ keeps a sorted list plus an insert buffer; a set makes Add one probe rather than a
//     binary search); serialized, a sorted delta-encoded list as in HLL++. It becomes the dense
//     array of 16384 one-byte registers when it would hold more than kMaxSparseEntries entries,
//     which is when its table would grow past the dense array's 16 KB;
//   - linear counting for small cardinalities: over the 2^25 sparse indexes while sparse (nearly
//     exact: below ~3000 distinct values the expected error is a small fraction of one), and over
//     the 16384 registers while the dense estimate is at most 11500 (HLL++'s threshold for p = 14).
// Above that threshold, in place of HLL++'s empirical bias-correction tables this uses Ertl's
// improved raw estimator (O. Ertl, "New cardinality estimation algorithms for HyperLogLog
// sketches", 2017), which has no significant bias at any cardinality and needs no tables.
//
// Error bound: relative standard error 0.81% once dense (above ~3000 distinct values); estimates
// are within 3 standard errors (2.4%) with probability 99.7%. Sparse estimates are within a few
// counts of exact. Merging loses nothing: the merge of two sketches is the sketch of the union.
//
// Every sketch hashes with XXH3_64bits (seed 0); AddHash takes such a hash when the caller already
// has one. Sketches built from different hash functions must not be merged.
//
// A plain value type; thread-compatible.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace csoc::logs {

class CardinalitySketch {
 public:
  static constexpr int kPrecision = 14;  // p
  static constexpr int kRegisters = 1 << kPrecision;
  static constexpr int kSparsePrecision = 25;                           // p'
  static constexpr double kStandardError = 1.04 / 128;                  // 1.04 / sqrt(kRegisters)
  static constexpr size_t kMaxSparseSlots = 4096;                       // 16 KB of 4-byte entries
  static constexpr size_t kMaxSparseEntries = kMaxSparseSlots * 3 / 4;  // the set's maximum load
  static constexpr double kLinearCountingThreshold = 11500;             // HLL++ for p = 14

  CardinalitySketch() = default;

  void Add(std::string_view value);
  // `hash` must be XXH3_64bits of the value (or another well-mixed 64-bit hash used by every
  // sketch this one is merged with).
  void AddHash(uint64_t hash);

  // Adds the values counted by `other`: afterwards this sketch estimates the union.
  void Merge(const CardinalitySketch& other);

  uint64_t Estimate() const;

  bool is_sparse() const { return registers_.empty(); }

  // A compact blob, led by a format byte:
  //   1 (sparse): the precision byte (14), varint entry count, then the entries as varints, the
  //     first absolute and each next as the difference from the previous; ~4 bytes per entry.
  //   2 (dense): the precision byte (14), then the 16384 6-bit registers packed 4 to 3 bytes (12 KB).
  std::string Serialize() const;
  // Parses a Serialize()d blob into *out (replacing its contents). Returns Corruption naming what
  // was wrong for anything malformed or truncated; *out is then unspecified but valid.
  static Status Deserialize(std::string_view bytes, CardinalitySketch* out);

 private:
  // A sparse entry: the hash's top 25 bits (the index at precision p'), then the register value
  // at precision p (6 bits, never 0). Ordering entries as integers orders them by index first.
  static uint32_t SparseEntry(uint64_t hash);
  // Adds an entry to the sparse set, keeping the larger value when its index is there; grows the
  // set, or converts to dense when it would pass kMaxSparseEntries.
  void InsertSparse(uint32_t entry);
  void ToDense();
  // The sparse entries, sorted.
  std::vector<uint32_t> SortedEntries() const;

  // Sparse mode (registers_ empty): a set of entries, one per index, by open addressing with
  // linear probing from the index's low bits; a power-of-two size up to kMaxSparseSlots (or empty
  // before the first Add), 0 marking a free slot.
  std::vector<uint32_t> sparse_;
  size_t sparse_entries_ = 0;
  // Dense mode: one register per byte.
  std::vector<uint8_t> registers_;
};

}  // namespace csoc::logs
