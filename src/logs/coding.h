// Byte-level helpers shared by the sketches' Serialize/Deserialize: LEB128 varints, zigzag for
// signed values, little-endian fixed 64-bit words and doubles. Internal to the logs area.
//
// ByteReader never reads past the end of its input: every getter returns false instead, and the
// caller turns that into a Corruption status that names the field. Plain value types;
// thread-compatible.
#pragma once

#include <bit>
#include <cstdint>
#include <string>
#include <string_view>

namespace csoc::logs::coding {

inline void PutVarint(uint64_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

inline uint64_t ZigZag(int64_t v) { return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63); }
inline int64_t UnZigZag(uint64_t v) { return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1); }

inline void PutFixed64(uint64_t v, std::string* out) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

inline void PutDouble(double v, std::string* out) { PutFixed64(std::bit_cast<uint64_t>(v), out); }

class ByteReader {
 public:
  explicit ByteReader(std::string_view in) : in_(in) {}

  bool empty() const { return in_.empty(); }
  size_t remaining() const { return in_.size(); }

  bool Byte(uint8_t* v) {
    if (in_.empty()) return false;
    *v = static_cast<uint8_t>(in_.front());
    in_.remove_prefix(1);
    return true;
  }

  // Rejects encodings longer than 10 bytes or with bits past the 64th.
  bool Varint(uint64_t* v) {
    uint64_t result = 0;
    for (int shift = 0; shift < 64 && !in_.empty(); shift += 7) {
      uint64_t byte = static_cast<uint8_t>(in_.front());
      in_.remove_prefix(1);
      if (shift == 63 && byte > 1) return false;
      result |= (byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) {
        *v = result;
        return true;
      }
    }
    return false;
  }

  bool Fixed64(uint64_t* v) {
    if (in_.size() < 8) return false;
    uint64_t result = 0;
    for (int i = 0; i < 8; ++i) result |= static_cast<uint64_t>(static_cast<uint8_t>(in_[i])) << (8 * i);
    in_.remove_prefix(8);
    *v = result;
    return true;
  }

  bool Double(double* v) {
    uint64_t bits;
    if (!Fixed64(&bits)) return false;
    *v = std::bit_cast<double>(bits);
    return true;
  }

  // The next n bytes, as a view into the input.
  bool Bytes(uint64_t n, std::string_view* v) {
    if (n > in_.size()) return false;
    *v = in_.substr(0, n);
    in_.remove_prefix(n);
    return true;
  }

 private:
  std::string_view in_;
};

}  // namespace csoc::logs::coding
