#include "runtime/ring_buffers.h"

#include "simcore/model_assert.h"

#include <string>

namespace ptosim::runtime {

std::uint64_t align_up(std::uint64_t value, std::uint64_t alignment) {
  return (value + alignment - 1) / alignment * alignment;
}

std::optional<std::uint64_t> HeapRing::try_alloc(std::uint64_t bytes) {
  std::optional<std::uint64_t> offset = try_alloc_unchecked(bytes);
  // An allocation lies inside the heap, and the live region never wraps onto itself.
  PTOSIM_ASSERT(!offset || *offset + bytes <= capacity_,
                "heap allocation of " + std::to_string(bytes) + " bytes at " + std::to_string(*offset) + " overruns " +
                    std::to_string(capacity_));
  PTOSIM_ASSERT(top_ <= capacity_ && tail_ <= capacity_, "heap top or tail outside the heap");
  return offset;
}

void HeapRing::reclaim_to(std::uint64_t tail) {
  PTOSIM_ASSERT(tail <= capacity_, "heap tail " + std::to_string(tail) + " outside the heap");
  tail_ = tail;
}

std::optional<std::uint64_t> HeapRing::try_alloc_unchecked(std::uint64_t bytes) {
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
  PTOSIM_ASSERT(used() <= capacity_, "dep pool holds more entries than its capacity");
  return true;
}

void DepPool::reclaim_to(std::uint64_t mark) {
  // A mark is the pool top when a task was wired: never beyond what was reserved.
  PTOSIM_ASSERT(mark <= top_, "dep pool reclaimed past its top");
  if (mark > tail_) tail_ = mark;
}

bool FaninSpillPool::try_reserve(std::uint32_t local_id, std::uint32_t entries) {
  PTOSIM_ASSERT(entries > 0, "a spill reservation of no entries");
  PTOSIM_ASSERT(spills_.empty() || spills_.back().local_id < local_id, "spills out of task order");
  if (available() < entries) return false;
  top_ += entries;
  spills_.push_back(Spill{local_id, top_});
  if (used() > high_water_) high_water_ = used();
  PTOSIM_ASSERT(used() <= capacity_, "fanin spill pool holds more entries than its capacity");
  return true;
}

bool FaninSpillPool::reclaim(std::uint32_t last_task_alive) {
  const std::uint64_t before = tail_;
  while (!spills_.empty() && spills_.front().local_id < last_task_alive) {
    tail_ = spills_.front().end;
    spills_.pop_front();
  }
  PTOSIM_ASSERT(tail_ <= top_, "fanin spill tail passed its top");
  return tail_ != before;
}

}  // namespace ptosim::runtime
