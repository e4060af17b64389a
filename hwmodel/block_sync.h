// Block sync between the blocks of one task, the all-block barrier, and GM signal cells
// (hardware-sync.md §2-§3; micro_program.h says what each operation does on its core).
//
// - Block sync (PTOAS sync_block_set / sync_block_wait): a 4-bit counter per (task, block, id);
//   a set that fires bumps its target block's counter, a wait consumes one set. Pushing a counter
//   past 15 is an error the run reports (the set is lost: the counter wraps).
// - The all-block barrier (sync_block[ALL_VECTOR | ALL_CUBE], ids 14 and 15): the n-th barrier
//   of each block of a task releases every block once all block_num blocks reached it.
// - Signal cells: a GM word named by its byte address. notify sets or adds to it at the instant
//   the library's dcci makes it visible; a waiter polls it every signal_poll_ns from its arrival
//   and goes on at the end of the first poll that sees the compare hold. Polls are not simulated
//   one by one: a write that makes the compare hold schedules the poll that sees it, which looks
//   again (a later Set may have changed the cell meanwhile).
//
// The hub is told at the simulated instants (agenda callbacks of the cores), so it reads its
// state in time order; a waiter is resumed from a callback, never by polling. Keys are ordered
// maps: nothing here iterates an unordered container.
//
// Left out: which core holds a counter (a block's counters follow the block wherever it runs);
// counters are cleared per task (the runtime never reuses a task's counters); signal cells start
// at 0 and keep their value across tasks.
#pragma once

#include "hwmodel/cross_core.h"
#include "simcore/sim_time.h"

#include <cstdint>
#include <map>
#include <tuple>
#include <vector>

namespace ptosim::hwmodel {

class SyncHub {
 public:
  // A block_set of `task` for `block`, id `id`, fired now. False when the counter overflowed.
  bool post_block(std::uint32_t task, std::uint32_t block, std::uint8_t id, const SignalSource& source = {});
  // `block` of `task` reached block_wait(`id`) now: true when a set is there (consumed);
  // otherwise `waiter` is told when one comes.
  bool arrive_block(std::uint32_t task, std::uint32_t block, std::uint8_t id, CrossCoreWaiter* waiter, SignalSource* source = nullptr);
  // A block reached its `rank`-th barrier now: true when it is the last of `block_num` (the
  // others are told now); otherwise `waiter` is told when the last one arrives.
  // `self` is the arriving barrier op; `source` (when given) is set to the one before it.
  bool arrive_barrier(std::uint32_t task, std::uint32_t rank, std::uint32_t block_num, CrossCoreWaiter* waiter,
                      const SignalSource& self = {}, SignalSource* source = nullptr);

  // A notify made the cell at `cell` visible now, with Set or AtomicAdd of `value`.
  void notify(std::uint64_t cell, std::int64_t value, bool add, const SignalSource& source = {});
  // The notify that last wrote the cell.
  SignalSource cell_source(std::uint64_t cell) const;
  // A waiter starts polling `cell` now for (cell == value) or (cell >= value), one poll every
  // `poll_ns`. Returns the instant its first poll that sees the compare hold ends, when it is
  // already known (the compare holds now); TIME_NEVER otherwise, and `waiter` is told at that
  // instant later.
  TimeNs arrive_signal(std::uint64_t cell, std::int64_t value, bool ge, TimeNs poll_ns, CrossCoreWaiter* waiter);
  std::int64_t cell_value(std::uint64_t cell) const;

  // Block sync sets still in the counters (what a run left behind).
  std::uint32_t pending_block_sets() const;

 private:
  struct SignalWaiter {
    CrossCoreWaiter* waiter = nullptr;
    std::uint64_t cell = 0;
    std::int64_t value = 0;
    bool ge = false;
    TimeNs since_ns = 0;
    TimeNs poll_ns = 1;
    bool poll_planned = false;  // a poll that may see the compare hold is on the agenda
  };
  bool holds(const SignalWaiter& waiter) const;
  void plan_poll(std::size_t index);
  void on_poll(CrossCoreWaiter* waiter);

  std::map<std::tuple<std::uint32_t, std::uint32_t, std::uint8_t>, std::uint8_t> counters_;
  std::map<std::tuple<std::uint32_t, std::uint32_t, std::uint8_t>, SignalSource> last_sets_;
  std::map<std::tuple<std::uint32_t, std::uint32_t, std::uint8_t>, CrossCoreWaiter*> block_waiters_;
  // (task, rank) -> the blocks arrived, with their barrier ops
  std::map<std::pair<std::uint32_t, std::uint32_t>, std::vector<std::pair<CrossCoreWaiter*, SignalSource>>> barriers_;
  std::map<std::uint64_t, std::int64_t> cells_;
  std::map<std::uint64_t, SignalSource> cell_sources_;
  std::vector<SignalWaiter> signal_waiters_;  // few at a time: one per waiting core
};

}  // namespace ptosim::hwmodel
