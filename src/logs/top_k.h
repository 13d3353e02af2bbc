// TopK: the heaviest keys (paths, user agents, client addresses) of a stream, in memory bounded by
// k entries however many distinct keys arrive, mergeable across minutes and environments. It is
// Space-Saving (Metwally, Agrawal, El Abbadi, "Efficient Computation of Frequent and Top-k Elements
// in Data Streams", ICDT 2005), merged as in Agarwal, Cormode, Huang, Phillips, Wei, Yi, "Mergeable
// Summaries" (PODS 2012).
//
// Error bound: every entry has count - error <= true weight <= count. For a summary built by Add
// alone, or by merging summaries of the same capacity k, error <= Total() / k, and every key whose
// true weight exceeds Total() / k is present. While fewer than k distinct keys have been seen,
// counts are exact (error 0).
//
// How: the summary keeps at most k (key, count, error) entries. Add of a present key adds to its
// count. Add of a new key, when full, replaces the entry with the smallest count c: the new key
// gets count c + weight and error c (it may have been seen up to c times while not tracked).
// Merge sums the counts and errors of equal keys; a key missing from one side is charged that
// side's smallest count (the most it can have been seen there untracked) as count and error; then
// the k largest counts are kept.
//
// Keys longer than kMaxKeyBytes are truncated to it (at a UTF-8 character boundary when the key is
// UTF-8), so keys sharing their first 512 bytes count as one.
//
// Add costs one XXH3 hash of the key and an open-addressing probe, plus O(log k) heap steps when
// the key's count passes another's; it allocates only when a new key is longer than the string it
// replaces. Memory: k entries (key bytes + ~72 bytes) and an index of 2k to 4k 8-byte words.
//
// A plain value type; thread-compatible.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace csoc::logs {

class TopK {
 public:
  static constexpr size_t kMaxKeyBytes = 512;
  static constexpr size_t kMaxCapacity = 1 << 16;  // bounds what a serialized summary may ask for

  struct Entry {
    std::string key;
    uint64_t count = 0;  // an upper bound of the key's true weight
    uint64_t error = 0;  // count - error is a lower bound
    friend bool operator==(const Entry&, const Entry&) = default;
  };

  // capacity (k) is clamped to [1, kMaxCapacity].
  explicit TopK(size_t capacity);

  // A weight of 0 is ignored.
  void Add(std::string_view key, uint64_t weight = 1);

  // Adds the stream summarised by `other`. Keeps this summary's capacity.
  void Merge(const TopK& other);

  // The n entries with the largest counts, by count descending, then key ascending.
  std::vector<Entry> Top(size_t n) const;

  // The sum of all weights added (including through Merge).
  uint64_t Total() const { return total_; }
  size_t size() const { return slots_.size(); }
  size_t capacity() const { return capacity_; }

  // A compact blob: format byte 1, varint capacity, varint total, varint floor (see floor_), varint
  // entry count, then per entry (by count descending, then key) varint key length, key bytes,
  // varint count, varint error.
  std::string Serialize() const;
  // Parses a Serialize()d blob into *out (replacing its contents). Returns Corruption naming what
  // was wrong for anything malformed or truncated; *out is then unspecified but valid.
  static Status Deserialize(std::string_view bytes, TopK* out);

 private:
  // Counts live in the heap, next to the tie-break, and heap positions in their own array, so that
  // sifting touches only those two small arrays.
  struct Slot {
    std::string key;
    uint64_t error = 0;
    uint64_t hash = 0;
  };
  struct HeapItem {
    uint64_t count;
    uint32_t tie;  // the top 32 bits of the key's hash
    uint32_t slot;
  };
  // An index_ word: the low 32 bits of the key's hash (which hold its home position, so that
  // probing and deleting rarely touch slots_) above the slot number + 1; 0 is empty.
  static constexpr uint64_t kEmpty = 0;
  static uint64_t IndexWord(uint64_t hash, uint32_t slot) { return hash << 32 | (slot + 1); }
  static uint32_t WordSlot(uint64_t word) { return static_cast<uint32_t>(word) - 1; }

  uint64_t count_of(uint32_t slot) const { return heap_[heap_pos_[slot]].count; }
  // The most a key that is not in the summary can have been seen.
  uint64_t AbsentBound() const;
  // The position in index_ that holds `key`, or the empty position where it would go.
  size_t Find(std::string_view key, uint64_t hash) const;
  // The position in index_ that holds slot number `slot`, whose key hashes to `hash`.
  size_t FindSlot(uint64_t hash, uint32_t slot) const;
  void IndexErase(size_t pos);
  void SiftUp(uint32_t pos);
  void SiftDown(uint32_t pos);
  // By count, ties by hash: which entry a new key replaces then depends only on the entries, not
  // on the heap's layout, so a deserialized or merged summary evolves like the original (barring
  // equal counts with equal 32-bit tie-breaks).
  // Without branches: which child is lighter is a coin toss when counts tie, as they do at the bottom.
  static bool Lighter(const HeapItem& x, const HeapItem& y) {
    return (x.count < y.count) | ((x.count == y.count) & (x.tie < y.tie));
  }
  // Puts `item` at heap position `pos` and records where its slot is.
  void Place(uint32_t pos, const HeapItem& item) {
    heap_[pos] = item;
    heap_pos_[item.slot] = pos;
  }
  // Replaces the entries with `entries` (at most capacity_). Returns false if a key appears twice.
  bool Rebuild(std::vector<Entry> entries);

  size_t capacity_;
  uint64_t total_ = 0;
  // After merging a full summary of smaller capacity into one that is not full, keys that are not
  // present may still have been seen up to this many times; 0 otherwise.
  uint64_t floor_ = 0;
  std::vector<Slot> slots_;         // at most capacity_
  std::vector<HeapItem> heap_;      // one per slot, a min-heap by count
  std::vector<uint32_t> heap_pos_;  // heap_pos_[slot]: where the slot's item is in heap_
  std::vector<uint64_t> index_;     // open addressing with linear probing, a power of two >= 2 capacity_
  size_t mask_ = 0;
};

}  // namespace csoc::logs
