// Per-ring resources of the runtime, as plain arithmetic (runtime-model.md §3):
// - the task window (a new task fits while current - last_alive + 1 < window),
// - the heap ring (bump allocation with wrap to 0 and empty-ring rebase; the tail follows the
//   packed_buffer_end of the last retired task, so reclaim is strictly in task order),
// - the dep-list pool (entries reserved at wiring, reclaimed in task order via dep_pool_mark),
// - the fanin spill pool (a task's edges beyond the inline 64, reclaimed by scanning the tasks
//   that retired since the last scan).
#pragma once

#include <cstdint>
#include <deque>
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

// Edges a task keeps in its own slot; the rest go to its ring's fanin spill pool
// (PTO2_FANIN_INLINE_CAP).
inline constexpr std::uint32_t FANIN_INLINE_CAP = 64;

// Spilled edges beyond the inline capacity for a task with `fanin_edges` edges.
inline std::uint32_t spilled_edges(std::size_t fanin_edges) {
  return fanin_edges > FANIN_INLINE_CAP ? static_cast<std::uint32_t>(fanin_edges - FANIN_INLINE_CAP) : 0;
}

// The fanin spill pool of one ring: a linear ring of entries. A task's spilled edges are
// contiguous; they become free when the task retires, found by scanning the retired tasks (the
// runtime walks every task below the watermark since its last scan; only tasks that spilled can
// move the tail, so the model keeps just those, in order).
class FaninSpillPool {
 public:
  explicit FaninSpillPool(std::uint32_t capacity_entries) : capacity_(capacity_entries) {}

  // Reserves `entries` for the task with local id `local_id`.
  bool try_reserve(std::uint32_t local_id, std::uint32_t entries);
  // Frees the entries of every task below `last_task_alive`. Returns whether the tail moved.
  bool reclaim(std::uint32_t last_task_alive);

  std::uint32_t capacity() const { return capacity_; }
  std::uint64_t top() const { return top_; }
  std::uint64_t tail() const { return tail_; }
  std::uint64_t used() const { return top_ - tail_; }
  std::uint64_t available() const { return capacity_ - used(); }
  std::uint64_t high_water() const { return high_water_; }

 private:
  struct Spill {
    std::uint32_t local_id = 0;
    std::uint64_t end = 0;  // linear index just past the task's entries
  };
  std::uint32_t capacity_;
  std::uint64_t top_ = 0;
  std::uint64_t tail_ = 0;
  std::uint64_t high_water_ = 0;
  std::deque<Spill> spills_;  // tasks that spilled, oldest first
};

}  // namespace ptosim::runtime
