// Integer hashing used for stream derivation and run digests. Pure functions, no state, so the
// values are pinned by unit tests and stable across platforms.
#pragma once

#include <cstdint>
#include <string_view>

namespace ptosim {

inline constexpr std::uint64_t GOLDEN_GAMMA = 0x9E3779B97F4A7C15ULL;

// SplitMix64 finalizer (Steele, Lea, Flood 2014): a bijective avalanche mix of 64 bits.
constexpr std::uint64_t mix64(std::uint64_t x) {
  x ^= x >> 30;
  x *= 0xBF58476D1CE4E5B9ULL;
  x ^= x >> 27;
  x *= 0x94D049BB133111EBULL;
  x ^= x >> 31;
  return x;
}

// FNV-1a over bytes: stable hash of names (stream names, scenario text).
constexpr std::uint64_t fnv1a64(std::string_view bytes) {
  std::uint64_t h = 0xCBF29CE484222325ULL;
  for (char c : bytes) {
    h ^= static_cast<std::uint8_t>(c);
    h *= 0x100000001B3ULL;
  }
  return h;
}

// Order-sensitive accumulator: digest of a sequence of 64-bit words.
class Digest {
 public:
  void add(std::uint64_t word) { state_ = mix64(state_ ^ (word + GOLDEN_GAMMA)); }
  std::uint64_t value() const { return state_; }

 private:
  std::uint64_t state_ = 0x5074'6F73'696D'0001ULL;
};

}  // namespace ptosim
