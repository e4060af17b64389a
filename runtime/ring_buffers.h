// Per-ring resources of the runtime, as plain arithmetic (runtime-model.md §3):
// - the task window (a new task fits while current - last_alive + 1 < window),
// - the heap ring (bump allocation with wrap to 0 and empty-ring rebase; the tail follows the
//   packed_buffer_end of the last retired task, so reclaim is strictly in task order),
// - the dep-list pool (entries reserved at wiring, reclaimed in task order via dep_pool_mark).
#pragma once

#include <cstdint>
#include <optional>

namespace ptosim::runtime {

// True when one more task fits in a window with `window` slots.
inline bool window_has_room(std::uint32_t current_index, std::uint32_t last_alive, std::uint32_t window) {
  return current_index - last_alive + 1 < window;
}

std::uint64_t align_up(std::uint64_t value, std::uint64_t alignment);

class HeapRing {
 public:
  explicit HeapRing(std::uint64_t capacity_bytes) : capacity_(capacity_bytes) {}

  // Allocates `bytes` contiguous bytes (never straddling the end); returns the offset or nothing.
  std::optional<std::uint64_t> try_alloc(std::uint64_t bytes);
  // The oldest live allocation now starts at `tail` (packed_buffer_end of the last retired task).
  void reclaim_to(std::uint64_t tail);

  std::uint64_t capacity() const { return capacity_; }
  std::uint64_t top() const { return top_; }
  std::uint64_t tail() const { return tail_; }
  std::uint64_t used() const { return top_ >= tail_ ? top_ - tail_ : capacity_ - tail_ + top_; }

 private:
  std::optional<std::uint64_t> try_alloc_unchecked(std::uint64_t bytes);

  std::uint64_t capacity_;
  std::uint64_t top_ = 0;
  std::uint64_t tail_ = 0;
};

class DepPool {
 public:
  explicit DepPool(std::uint32_t capacity_entries) : capacity_(capacity_entries) {}

  bool try_reserve(std::uint32_t entries);
  // Entries up to `mark` (a dep_pool_mark of a retired task) are free again.
  void reclaim_to(std::uint64_t mark);

  std::uint32_t capacity() const { return capacity_; }
  std::uint64_t top() const { return top_; }
  std::uint64_t tail() const { return tail_; }
  std::uint64_t used() const { return top_ - tail_; }
  std::uint64_t available() const { return capacity_ - used(); }
  std::uint64_t high_water() const { return high_water_; }

 private:
  std::uint32_t capacity_;
  std::uint64_t top_ = 0;   // entries ever reserved
  std::uint64_t tail_ = 0;  // entries ever reclaimed
  std::uint64_t high_water_ = 0;
};

}  // namespace ptosim::runtime
