// A hash table from 64-bit keys to dense 32-bit indices (0, 1, 2 ... in the order keys are
// added), for the places that look a key up for every task or every access: the TensorMap's
// chains by buffer, versioned GM's pages. Open addressing with linear probing over a power-of-two
// table kept at most half full; keys are never removed. Nothing here depends on an address or a
// clock, so iteration order and results are deterministic.
#pragma once

#include "simcore/hashing.h"
#include "simcore/model_assert.h"

#include <cstdint>
#include <vector>

namespace ptosim::simcore {

class KeyIndex {
 public:
  static constexpr std::uint32_t ABSENT = 0xFFFFFFFFu;

  std::uint32_t size() const { return count_; }

  // The index of `key`, or ABSENT.
  std::uint32_t find(std::uint64_t key) const {
    if (slots_.empty()) return ABSENT;
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t slot = slot_of(key, mask);; slot = (slot + 1) & mask) {
      if (slots_[slot].index == ABSENT) return ABSENT;
      if (slots_[slot].key == key) return slots_[slot].index;
    }
  }

  // The index of `key`, added with the next index when it is new.
  std::uint32_t insert(std::uint64_t key) {
    if (2 * (static_cast<std::size_t>(count_) + 1) > slots_.size()) grow();
    const std::size_t mask = slots_.size() - 1;
    std::size_t slot = slot_of(key, mask);
    for (; slots_[slot].index != ABSENT; slot = (slot + 1) & mask) {
      if (slots_[slot].key == key) return slots_[slot].index;
    }
    PTOSIM_ASSERT(count_ < ABSENT - 1, "a key index holds at most 2^32 - 2 keys");
    slots_[slot] = Slot{key, count_};
    return count_++;
  }

  void clear() {
    slots_.clear();
    count_ = 0;
  }

 private:
  struct Slot {
    std::uint64_t key = 0;
    std::uint32_t index = ABSENT;
  };
  static std::size_t slot_of(std::uint64_t key, std::size_t mask) { return static_cast<std::size_t>(mix64(key)) & mask; }

  void grow() {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(old.empty() ? 16 : 2 * old.size(), Slot{});
    const std::size_t mask = slots_.size() - 1;
    for (const Slot& entry : old) {
      if (entry.index == ABSENT) continue;
      std::size_t slot = slot_of(entry.key, mask);
      while (slots_[slot].index != ABSENT) slot = (slot + 1) & mask;
      slots_[slot] = entry;
    }
  }

  std::vector<Slot> slots_;
  std::uint32_t count_ = 0;
};

}  // namespace ptosim::simcore
