#include "simcore/agenda.h"

#include "simcore/model_assert.h"
#include "simcore/sim_engine.h"
#include "simcore/turn_order.h"

#include <simgrid/kernel/Timer.hpp>
#include <simgrid/s4u.hpp>

#include <algorithm>
#include <string>

namespace ptosim::simcore {

namespace {

// Bounds the work of one instant: every pass runs an entry or a turn, and a model that keeps
// adding work at the same nanosecond is a bug that must surface rather than hang the tool.
constexpr std::uint64_t MAX_STEPS_PER_INSTANT = 50'000'000;

}  // namespace

// Defined in sim_engine.cpp: the engine's clock for a run time; the run's clock moved ahead of
// the engine's (to an instant with nothing for the engine to do).
double engine_time_of(TimeNs time_ns);
void advance_clock_to(TimeNs time_ns);

Agenda::Agenda(Simulation& sim) : sim_(sim) {}

Agenda::~Agenda() { disarm(); }

void Agenda::push(Entry entry) {
  entry.sequence = sequence_++;
  if (heap_.size() >= compact_at_) compact();
  heap_.push_back(entry);
  std::push_heap(heap_.begin(), heap_.end(), Later{});
  if (!in_engine_ && entry.time_ns < next_timer_.at_ns) arm();
}

void Agenda::compact() {
  heap_.erase(std::remove_if(heap_.begin(), heap_.end(), [this](const Entry& entry) { return stale(entry); }),
              heap_.end());
  std::make_heap(heap_.begin(), heap_.end(), Later{});
  compact_at_ = std::max<std::size_t>(1024, 2 * heap_.size());
}

Agenda::Handle Agenda::schedule(TimeNs at_ns, Callback callback) {
  PTOSIM_ASSERT(at_ns >= now(), "a callback scheduled in the past (t=" + std::to_string(at_ns) + " ns)");
  if (closed_) return {};
  std::uint32_t slot = 0;
  if (free_slots_.empty()) {
    slot = static_cast<std::uint32_t>(callbacks_.size());
    callbacks_.push_back(std::move(callback));
    slot_generations_.push_back(0);
  } else {
    slot = free_slots_.back();
    free_slots_.pop_back();
    callbacks_[slot] = std::move(callback);
  }
  push(Entry{at_ns, 0, slot, slot_generations_[slot], true});
  return Handle{slot, slot_generations_[slot]};
}

void Agenda::cancel(Handle handle) {
  if (closed_ || handle.slot >= callbacks_.size() || slot_generations_[handle.slot] != handle.generation) return;
  callbacks_[handle.slot] = nullptr;
  ++slot_generations_[handle.slot];
  free_slots_.push_back(handle.slot);
}

bool Agenda::stale(const Entry& entry) const {
  if (entry.is_callback) return slot_generations_[entry.target] != entry.generation;
  return turns_ == nullptr || !turns_->wake_is_current(entry.target, entry.generation);
}

void Agenda::drop_stale_top() {
  while (!heap_.empty() && stale(heap_.front())) {
    std::pop_heap(heap_.begin(), heap_.end(), Later{});
    heap_.pop_back();
  }
}

void Agenda::schedule_wake(TimeNs at_ns, std::uint32_t who, std::uint32_t generation) {
  if (closed_) return;
  push(Entry{at_ns, 0, who, generation, false});
}

void Agenda::look_now() {
  look_now_ = true;
  if (!in_engine_ && !closed_ && TurnOrder::of_current_actor() == nullptr) arm();
}

void Agenda::run_here() {
  if (closed_) return;
  in_engine_ = true;
  try {
    run_instants();
  } catch (...) {
    in_engine_ = false;
    throw;  // the actor ends the run
  }
  in_engine_ = false;
  arm();
}

void Agenda::close() {
  closed_ = true;
  heap_.clear();
  callbacks_.clear();
  slot_generations_.clear();
  free_slots_.clear();
  look_now_ = false;
  disarm();
}

bool Agenda::all_contenders_left() const { return turns_ == nullptr || turns_->all_left(); }

void Agenda::set_timer(Timer& timer, TimeNs at_ns) {
  if (timer.armed != nullptr && timer.at_ns == at_ns) return;
  unset_timer(timer);
  timer.armed = simgrid::kernel::timer::Timer::set(engine_time_of(at_ns), [this, &timer] { on_timer(timer); });
  timer.at_ns = at_ns;
}

void Agenda::unset_timer(Timer& timer) {
  if (timer.armed != nullptr) static_cast<simgrid::kernel::timer::Timer*>(timer.armed)->remove();
  timer.armed = nullptr;
  timer.at_ns = TIME_NEVER;
}

void Agenda::disarm() {
  unset_timer(now_timer_);
  unset_timer(next_timer_);
}

void Agenda::arm() {
  if (closed_ || in_engine_) return;  // on_timer arms when it is done
  drop_stale_top();
  // Past the budget: the run ends at the budget, exactly when an actor sleeping past it would.
  const TimeNs next_ns = heap_.empty() ? TIME_NEVER : std::min(heap_.front().time_ns, sim_.time_limit());
  if (next_ns == TIME_NEVER) {
    unset_timer(next_timer_);
  } else {
    set_timer(next_timer_, next_ns);
  }
  if (look_now_ && next_ns != now()) set_timer(now_timer_, now());
}

void Agenda::on_timer(Timer& timer) {
  // The kernel deletes the timer that fired once this returns.
  timer.armed = nullptr;
  timer.at_ns = TIME_NEVER;
  in_engine_ = true;
  try {
    run_instants();
  } catch (...) {
    in_engine_ = false;
    sim_.end_from_engine(std::current_exception());
    return;
  }
  in_engine_ = false;
  arm();
}

void Agenda::run_instants() {
  while (true) {
    run_instant();
    if (closed_ || turns_ == nullptr || turns_->actor_holds_turn()) return;
    // Nothing more happens at this instant. When no SimGrid activity but the agenda's can come
    // between now and the next entry (every actor is a contender and waits here), the next
    // instant is the next entry's: go on there without waking the engine for it. The engine's
    // clock then lags behind the run's; it is never ahead of it.
    if (!may_advance()) return;
    drop_stale_top();
    if (heap_.empty() || look_now_) return;
    const TimeNs next_ns = heap_.front().time_ns;
    if (next_ns > sim_.time_limit()) return;  // the engine ends the run at the budget
    advance_clock_to(next_ns);
  }
}

bool Agenda::may_advance() const { return turns_ != nullptr && turns_->actor_contenders() == sim_.actors_spawned(); }

void Agenda::run_instant() {
  const TimeNs now_ns = now();
  drop_stale_top();
  if (!heap_.empty() && heap_.front().time_ns > sim_.time_limit() && now_ns >= sim_.time_limit() && !look_now_) {
    sim_.stop_at_limit(sim_.time_limit_name() + " reached at t=" + std::to_string(sim_.time_limit()) + " ns");
  }
  for (std::uint64_t steps = 0;; ++steps) {
    PTOSIM_ASSERT(steps < MAX_STEPS_PER_INSTANT, "the agenda ran " + std::to_string(steps) + " steps at one instant");
    if (closed_) return;
    look_now_ = false;
    if (!heap_.empty() && heap_.front().time_ns <= now_ns) {
      std::pop_heap(heap_.begin(), heap_.end(), Later{});
      const Entry entry = heap_.back();
      heap_.pop_back();
      PTOSIM_ASSERT(entry.time_ns == now_ns, "an agenda entry for t=" + std::to_string(entry.time_ns) + " ns ran late");
      if (stale(entry)) continue;
      if (entry.is_callback) {
        Callback callback = std::move(callbacks_[entry.target]);
        callbacks_[entry.target] = nullptr;
        ++slot_generations_[entry.target];
        free_slots_.push_back(entry.target);
        callback();
      } else {
        turns_->deadline_reached(entry.target, entry.generation);
      }
      continue;
    }
    if (turns_ == nullptr || !turns_->grant_next()) return;
  }
}

}  // namespace ptosim::simcore
