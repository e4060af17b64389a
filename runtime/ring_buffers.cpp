#include "runtime/ring_buffers.h"

namespace ptosim::runtime {

std::uint64_t align_up(std::uint64_t value, std::uint64_t alignment) {
  return (value + alignment - 1) / alignment * alignment;
}

std::optional<std::uint64_t> HeapRing::try_alloc(std::uint64_t bytes) {
  if (top_ >= tail_) {
    if (top_ + bytes <= capacity_) {
      std::uint64_t offset = top_;
      top_ += bytes;
      return offset;
    }
    if (tail_ > bytes) {  // wrap: buffers never straddle the end
      top_ = bytes;
      return 0;
    }
    if (top_ == tail_ && bytes <= capacity_) {  // empty ring: rebase both ends (PR #1514)
      tail_ = 0;
      top_ = bytes;
      return 0;
    }
    return std::nullopt;
  }
  if (tail_ - top_ > bytes) {  // strict: top never catches up with tail
    std::uint64_t offset = top_;
    top_ += bytes;
    return offset;
  }
  return std::nullopt;
}

bool DepPool::try_reserve(std::uint32_t entries) {
  if (available() < entries) return false;
  top_ += entries;
  if (used() > high_water_) high_water_ = used();
  return true;
}

void DepPool::reclaim_to(std::uint64_t mark) {
  if (mark > tail_) tail_ = mark;
}

}  // namespace ptosim::runtime
