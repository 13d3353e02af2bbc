#include "logs/top_k.h"

#include <xxhash.h>

#include <algorithm>
#include <bit>

#include "logs/coding.h"

namespace csoc::logs {

namespace {

constexpr uint8_t kFormatV1 = 1;

// Cuts a key to kMaxKeyBytes, moving back over at most 3 UTF-8 continuation bytes so that a UTF-8
// key stays valid UTF-8.
std::string_view Truncate(std::string_view key) {
  if (key.size() <= TopK::kMaxKeyBytes) return key;
  size_t n = TopK::kMaxKeyBytes;
  for (int i = 0; i < 3 && n > 0 && (static_cast<uint8_t>(key[n]) & 0xc0) == 0x80; ++i) --n;
  return key.substr(0, n);
}

uint64_t Hash(std::string_view key) { return XXH3_64bits(key.data(), key.size()); }

// Count descending, then key ascending: the order of Top() and Serialize().
bool Heavier(const TopK::Entry& a, const TopK::Entry& b) {
  return a.count != b.count ? a.count > b.count : a.key < b.key;
}

Status Corrupt(std::string what) { return Status::Corruption("top-k summary: " + std::move(what)); }

}  // namespace

TopK::TopK(size_t capacity) : capacity_(std::clamp<size_t>(capacity, 1, kMaxCapacity)) {
  index_.assign(std::bit_ceil(2 * capacity_), kEmpty);
  mask_ = index_.size() - 1;
}

size_t TopK::Find(std::string_view key, uint64_t hash) const {
  const uint64_t tag = hash << 32;
  size_t pos = hash & mask_;
  while (true) {
    uint64_t word = index_[pos];
    if (word == kEmpty) return pos;
    if ((word & ~uint64_t{0xffffffff}) == tag && slots_[WordSlot(word)].key == key) return pos;
    pos = (pos + 1) & mask_;
  }
}

size_t TopK::FindSlot(uint64_t hash, uint32_t slot) const {
  const uint64_t word = IndexWord(hash, slot);
  size_t pos = hash & mask_;
  while (index_[pos] != word) pos = (pos + 1) & mask_;
  return pos;
}

// Backward-shift deletion: later entries of the probe run move up into the hole unless their home
// position lies cyclically in (hole, their position], so every lookup still finds them.
void TopK::IndexErase(size_t pos) {
  size_t hole = pos;
  for (size_t j = (pos + 1) & mask_; index_[j] != kEmpty; j = (j + 1) & mask_) {
    size_t home = (index_[j] >> 32) & mask_;
    bool stays = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
    if (stays) continue;
    index_[hole] = index_[j];
    hole = j;
  }
  index_[hole] = kEmpty;
}

// Both sifts move a hole rather than swapping, writing the moving item once at the end.
void TopK::SiftUp(uint32_t pos) {
  const HeapItem item = heap_[pos];
  while (pos > 0) {
    uint32_t parent = (pos - 1) / 2;
    if (!Lighter(item, heap_[parent])) break;
    Place(pos, heap_[parent]);
    pos = parent;
  }
  Place(pos, item);
}

void TopK::SiftDown(uint32_t pos) {
  const auto n = static_cast<uint32_t>(heap_.size());
  if (2 * pos + 1 >= n) return;  // a leaf: where heavy keys end up, so their Adds stop here
  const HeapItem item = heap_[pos];
  while (true) {
    uint32_t child = 2 * pos + 1;
    if (child >= n) break;
    if (child + 1 < n) child += Lighter(heap_[child + 1], heap_[child]);
    if (!Lighter(heap_[child], item)) break;
    Place(pos, heap_[child]);
    pos = child;
  }
  Place(pos, item);
}

uint64_t TopK::AbsentBound() const { return slots_.size() < capacity_ ? floor_ : std::max(floor_, heap_[0].count); }

void TopK::Add(std::string_view key, uint64_t weight) {
  if (weight == 0) return;
  key = Truncate(key);
  total_ += weight;
  const uint64_t hash = Hash(key);
  size_t pos = Find(key, hash);
  if (uint64_t word = index_[pos]; word != kEmpty) {
    const uint32_t heap_pos = heap_pos_[WordSlot(word)];
    heap_[heap_pos].count += weight;
    SiftDown(heap_pos);
    return;
  }
  if (slots_.size() < capacity_) {
    auto n = static_cast<uint32_t>(slots_.size());
    slots_.push_back(Slot{std::string(key), floor_, hash});
    heap_.push_back({floor_ + weight, static_cast<uint32_t>(hash >> 32), n});
    heap_pos_.push_back(n);
    index_[pos] = IndexWord(hash, n);
    SiftUp(n);
    return;
  }
  // Full: the new key takes over the entry with the smallest count, at the heap's root.
  const uint32_t victim = heap_[0].slot;
  Slot& slot = slots_[victim];
  IndexErase(FindSlot(slot.hash, victim));
  const uint64_t min = heap_[0].count;
  slot.key.assign(key.data(), key.size());  // reuses the old key's buffer when it is long enough
  slot.hash = hash;
  slot.error = min;
  heap_[0] = {min + weight, static_cast<uint32_t>(hash >> 32), victim};
  index_[Find(key, hash)] = IndexWord(hash, victim);  // found again: the erase may have shifted the run
  SiftDown(0);
}

void TopK::Merge(const TopK& other) {
  if (&other == this) {
    TopK copy = other;
    return Merge(copy);
  }
  const uint64_t absent_here = AbsentBound();
  const uint64_t absent_there = other.AbsentBound();
  std::vector<Entry> merged;
  merged.reserve(slots_.size() + other.slots_.size());
  for (uint32_t i = 0; i < slots_.size(); ++i) {
    const Slot& slot = slots_[i];
    uint64_t word = other.index_[other.Find(slot.key, slot.hash)];
    if (word != kEmpty) {
      uint32_t j = WordSlot(word);
      merged.push_back({slot.key, count_of(i) + other.count_of(j), slot.error + other.slots_[j].error});
    } else {
      merged.push_back({slot.key, count_of(i) + absent_there, slot.error + absent_there});
    }
  }
  for (uint32_t j = 0; j < other.slots_.size(); ++j) {
    const Slot& theirs = other.slots_[j];
    if (index_[Find(theirs.key, theirs.hash)] != kEmpty) continue;  // summed above
    merged.push_back({theirs.key, other.count_of(j) + absent_here, theirs.error + absent_here});
  }
  if (merged.size() > capacity_) {
    std::nth_element(merged.begin(), merged.begin() + static_cast<ptrdiff_t>(capacity_), merged.end(), Heavier);
    merged.resize(capacity_);
  }
  total_ += other.total_;
  // A key in neither summary was seen at most absent_here + absent_there times. When the merged
  // summary is full its smallest count is at least that; when it is not, floor_ remembers it.
  floor_ = absent_here + absent_there;
  Rebuild(std::move(merged));
}

bool TopK::Rebuild(std::vector<Entry> entries) {
  slots_.clear();
  heap_.clear();
  heap_pos_.clear();
  std::fill(index_.begin(), index_.end(), kEmpty);
  slots_.reserve(entries.size());
  heap_.reserve(entries.size());
  heap_pos_.reserve(entries.size());
  for (Entry& e : entries) {
    uint64_t hash = Hash(e.key);
    size_t pos = Find(e.key, hash);
    if (index_[pos] != kEmpty) return false;
    auto n = static_cast<uint32_t>(slots_.size());
    slots_.push_back(Slot{std::move(e.key), e.error, hash});
    heap_.push_back({e.count, static_cast<uint32_t>(hash >> 32), n});
    heap_pos_.push_back(n);
    index_[pos] = IndexWord(hash, n);
  }
  for (auto i = static_cast<uint32_t>(heap_.size() / 2); i-- > 0;) SiftDown(i);
  return true;
}

std::vector<TopK::Entry> TopK::Top(size_t n) const {
  std::vector<Entry> entries;
  entries.reserve(slots_.size());
  for (uint32_t i = 0; i < slots_.size(); ++i) entries.push_back({slots_[i].key, count_of(i), slots_[i].error});
  n = std::min(n, entries.size());
  std::partial_sort(entries.begin(), entries.begin() + static_cast<ptrdiff_t>(n), entries.end(), Heavier);
  entries.resize(n);
  return entries;
}

std::string TopK::Serialize() const {
  std::string out(1, static_cast<char>(kFormatV1));
  coding::PutVarint(capacity_, &out);
  coding::PutVarint(total_, &out);
  coding::PutVarint(floor_, &out);
  std::vector<Entry> entries = Top(slots_.size());
  coding::PutVarint(entries.size(), &out);
  for (const Entry& e : entries) {
    coding::PutVarint(e.key.size(), &out);
    out += e.key;
    coding::PutVarint(e.count, &out);
    coding::PutVarint(e.error, &out);
  }
  return out;
}

Status TopK::Deserialize(std::string_view bytes, TopK* out) {
  coding::ByteReader in(bytes);
  uint8_t format;
  if (!in.Byte(&format)) return Corrupt("empty input");
  if (format != kFormatV1) return Corrupt("unknown format byte " + std::to_string(format) + " (expected 1)");
  uint64_t capacity, total, floor, count;
  if (!in.Varint(&capacity)) return Corrupt("truncated capacity");
  if (capacity < 1 || capacity > kMaxCapacity) {
    return Corrupt("capacity " + std::to_string(capacity) + " outside [1, " + std::to_string(kMaxCapacity) + "]");
  }
  if (!in.Varint(&total) || !in.Varint(&floor)) return Corrupt("truncated total");
  if (!in.Varint(&count)) return Corrupt("truncated entry count");
  if (count > capacity) {
    return Corrupt(std::to_string(count) + " entries, more than the capacity " + std::to_string(capacity));
  }
  // Each entry takes at least 3 bytes, which bounds what a corrupt count can make us allocate.
  if (count > in.remaining() / 3) {
    return Corrupt(std::to_string(count) + " entries in " + std::to_string(in.remaining()) + " bytes");
  }
  std::vector<Entry> entries(count);
  for (uint64_t i = 0; i < count; ++i) {
    uint64_t length;
    std::string_view key;
    Entry& e = entries[i];
    if (!in.Varint(&length)) return Corrupt("truncated key length of entry " + std::to_string(i));
    if (length > kMaxKeyBytes) return Corrupt("key of entry " + std::to_string(i) + " longer than 512 bytes");
    if (!in.Bytes(length, &key) || !in.Varint(&e.count) || !in.Varint(&e.error)) {
      return Corrupt("truncated entry " + std::to_string(i));
    }
    e.key = key;
    if (e.count == 0) return Corrupt("entry " + std::to_string(i) + " has count 0");
    if (e.error > e.count) return Corrupt("entry " + std::to_string(i) + " has an error above its count");
  }
  if (!in.empty()) return Corrupt(std::to_string(in.remaining()) + " trailing bytes");
  TopK summary(capacity);
  summary.total_ = total;
  summary.floor_ = floor;
  if (!summary.Rebuild(std::move(entries))) return Corrupt("a key appears twice");
  *out = std::move(summary);
  return Status::Ok();
}

}  // namespace csoc::logs
