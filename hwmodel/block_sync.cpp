// Block sync counters, all-block barriers and GM signal cells (see block_sync.h).
#include "hwmodel/block_sync.h"

#include "hwmodel/micro_program.h"
#include "simcore/marks.h"
#include "simcore/model_assert.h"
#include "simcore/agenda.h"
#include "simcore/sim_engine.h"

#include <algorithm>

namespace ptosim::hwmodel {

bool SyncHub::post_block(std::uint32_t task, std::uint32_t block, std::uint8_t id, const SignalSource& source) {
  PTOSIM_ASSERT(id < BLOCK_SYNC_IDS, "a block sync id out of range");
  const auto key = std::make_tuple(task, block, id);
  std::uint8_t& count = counters_[key];
  bool fits = true;
  if (count == CROSS_CORE_COUNTER_MAX) {
    PTOSIM_MARK("block sync counter overflow");
    count = 0;  // the 4-bit counter wraps
    fits = false;
  } else {
    ++count;
  }
  PTOSIM_ASSERT(count <= CROSS_CORE_COUNTER_MAX, "a block sync counter holds more than 15 sets");
  last_sets_[key] = source;
  auto waiting = block_waiters_.find(key);
  if (waiting != block_waiters_.end() && count > 0) {
    --count;
    CrossCoreWaiter* told = waiting->second;
    block_waiters_.erase(waiting);
    told->on_cross_core_satisfied(source);
  }
  return fits;
}

bool SyncHub::arrive_block(std::uint32_t task, std::uint32_t block, std::uint8_t id, CrossCoreWaiter* waiter, SignalSource* source) {
  PTOSIM_ASSERT(id < BLOCK_SYNC_IDS, "a block sync id out of range");
  const auto key = std::make_tuple(task, block, id);
  PTOSIM_ASSERT(!block_waiters_.contains(key), "two cores wait on one block's counter");
  auto it = counters_.find(key);
  if (it != counters_.end() && it->second > 0) {
    --it->second;
    if (source != nullptr) *source = last_sets_[key];
    return true;
  }
  block_waiters_[key] = waiter;
  return false;
}

bool SyncHub::arrive_barrier(std::uint32_t task, std::uint32_t rank, std::uint32_t block_num, CrossCoreWaiter* waiter,
                             const SignalSource& self, SignalSource* source) {
  PTOSIM_ASSERT(block_num > 0, "a barrier of no block");
  auto& arrived = barriers_[{task, rank}];
  PTOSIM_ASSERT(arrived.size() < block_num, "more blocks reached a barrier than the task has");
  if (arrived.size() + 1 < block_num) {
    arrived.emplace_back(waiter, self);
    return false;
  }
  // The last block: every other one goes on now, released by this arrival.
  const auto others = std::move(arrived);
  barriers_.erase({task, rank});
  if (source != nullptr && !others.empty()) *source = others.back().second;
  for (const auto& [other, unused] : others) other->on_cross_core_satisfied(self);
  return true;
}

std::int64_t SyncHub::cell_value(std::uint64_t cell) const {
  auto it = cells_.find(cell);
  return it == cells_.end() ? 0 : it->second;
}

bool SyncHub::holds(const SignalWaiter& waiter) const {
  const std::int64_t value = cell_value(waiter.cell);
  return waiter.ge ? value >= waiter.value : value == waiter.value;
}

SignalSource SyncHub::cell_source(std::uint64_t cell) const {
  auto it = cell_sources_.find(cell);
  return it == cell_sources_.end() ? SignalSource{} : it->second;
}

void SyncHub::notify(std::uint64_t cell, std::int64_t value, bool add, const SignalSource& source) {
  cell_sources_[cell] = source;
  std::int64_t& held = cells_[cell];
  // A cell is a 32-bit word: an AtomicAdd wraps as the hardware's does (values are int32 too).
  held = static_cast<std::int32_t>(static_cast<std::uint32_t>(add ? held + value : value));
  for (std::size_t i = 0; i < signal_waiters_.size(); ++i) {
    if (signal_waiters_[i].cell == cell && !signal_waiters_[i].poll_planned && holds(signal_waiters_[i])) plan_poll(i);
  }
}

TimeNs SyncHub::arrive_signal(std::uint64_t cell, std::int64_t value, bool ge, TimeNs poll_ns, CrossCoreWaiter* waiter) {
  PTOSIM_ASSERT(poll_ns > 0, "a poll that takes no time");
  SignalWaiter entry{waiter, cell, value, ge, simcore::now(), poll_ns, false};
  if (holds(entry)) return add_ns(simcore::now(), poll_ns);  // the first poll sees it
  PTOSIM_ASSERT(std::none_of(signal_waiters_.begin(), signal_waiters_.end(), [waiter](const SignalWaiter& w) { return w.waiter == waiter; }),
                "a core polls two signal cells at once");
  signal_waiters_.push_back(entry);
  return TIME_NEVER;
}

void SyncHub::plan_poll(std::size_t index) {
  // The first poll that samples the cell at or after now.
  SignalWaiter& waiter = signal_waiters_[index];
  const TimeNs now = simcore::now();
  const TimeNs polls = (now - waiter.since_ns + waiter.poll_ns - 1) / waiter.poll_ns;
  const TimeNs sample = add_ns(waiter.since_ns, polls * waiter.poll_ns);
  waiter.poll_planned = true;
  CrossCoreWaiter* who = waiter.waiter;
  simcore::Simulation::current().agenda().schedule(sample, [this, who] { on_poll(who); });
}

void SyncHub::on_poll(CrossCoreWaiter* who) {
  auto it = std::find_if(signal_waiters_.begin(), signal_waiters_.end(), [who](const SignalWaiter& w) { return w.waiter == who; });
  PTOSIM_ASSERT(it != signal_waiters_.end() && it->poll_planned, "a planned poll of a core that does not poll");
  it->poll_planned = false;
  if (!holds(*it)) return;  // a Set changed the cell again before this poll: a later write plans the next one
  const TimeNs done = add_ns(simcore::now(), it->poll_ns);
  const SignalSource source = cell_source(it->cell);
  signal_waiters_.erase(it);
  simcore::Simulation::current().agenda().schedule(done, [who, source] { who->on_cross_core_satisfied(source); });
}

std::uint32_t SyncHub::pending_block_sets() const {
  std::uint32_t total = 0;
  for (const auto& [key, count] : counters_) total += count;
  return total;
}

}  // namespace ptosim::hwmodel
