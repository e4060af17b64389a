#include "simcore/thread_clock.h"

#include "simcore/model_assert.h"
#include "simcore/turn_order.h"

namespace ptosim::simcore {

namespace {

// start + count * step without overflow (TIME_NEVER when it would not fit).
TimeNs after_iterations(TimeNs start_ns, std::uint64_t count, TimeNs step_ns) {
  if (count == NO_ITERATION_LIMIT) return TIME_NEVER;
  const auto step = static_cast<std::uint64_t>(step_ns);
  if (step != 0 && count > static_cast<std::uint64_t>(TIME_NEVER - start_ns) / step) return TIME_NEVER;
  return start_ns + static_cast<TimeNs>(count * step);
}

}  // namespace

const char* to_string(LoopKind kind) {
  switch (kind) {
    case LoopKind::spin: return "spin";
    case LoopKind::idle_iteration: return "idle_iteration";
    case LoopKind::register_poll: return "register_poll";
  }
  return "?";
}

WaitLoop ThreadClock::begin_loop(TimeNs iteration_ns, TimeNs start_ns) const {
  PTOSIM_ASSERT(iteration_ns >= 0, "a loop iteration cannot take negative time");
  WaitLoop loop;
  loop.start_ns = start_ns;
  loop.iteration_ns = iteration_ns;
  return loop;
}

DedicatedClock::DedicatedClock(DecisionSource& decisions, const LoopCost (&costs)[LOOP_KIND_COUNT])
    : decisions_(decisions) {
  for (int k = 0; k < LOOP_KIND_COUNT; ++k) {
    ranges_[k] = costs[k].range;
    // A single-valued range is not a decision: no stream is registered for it.
    streams_[k] = costs[k].range.min_ns == costs[k].range.max_ns ? 0 : decisions.stream(costs[k].stream);
  }
}

TimeNs DedicatedClock::perform(TimeNs start_ns, TimeNs cost_ns) {
  const TimeNs end_ns = add_ns(start_ns, cost_ns);
  sleep_until(end_ns);
  return end_ns;
}

TimeNs DedicatedClock::loop_iteration_ns(LoopKind kind, std::uint64_t subject, std::uint32_t part) {
  const NsRange& range = ranges_[static_cast<int>(kind)];
  if (range.min_ns == range.max_ns) return range.min_ns;
  return decisions_.decide_ns({streams_[static_cast<int>(kind)], subject, part}, range.min_ns, range.max_ns);
}

LoopEnd DedicatedClock::run_loop(WaitLoop& loop, WaitSignal& signal, std::uint64_t iteration_limit,
                                 TimeNs deadline_ns) {
  // The loop is not simulated: the thread waits passively until the signal or the first instant
  // at which either bound holds, and its iterations are derived from the elapsed time.
  const TimeNs limit_ns = after_iterations(loop.start_ns, iteration_limit, loop.iteration_ns);
  const TimeNs until_ns = limit_ns < deadline_ns ? limit_ns : deadline_ns;
  if (signal.wait_until(until_ns)) return LoopEnd::signaled;
  if (limit_ns == TIME_NEVER) return LoopEnd::deadline;
  return now() >= limit_ns ? LoopEnd::limit : LoopEnd::deadline;
}

std::uint64_t DedicatedClock::loop_iterations(const WaitLoop& loop) const {
  const TimeNs now_ns = now();
  if (now_ns <= loop.start_ns || loop.iteration_ns == 0) return 0;
  return static_cast<std::uint64_t>((now_ns - loop.start_ns) / loop.iteration_ns);
}

TimeNs DedicatedClock::predict_loop_end(const WaitLoop& loop, std::uint64_t iteration_limit) const {
  return after_iterations(loop.start_ns, iteration_limit, loop.iteration_ns);
}

void DedicatedClock::work_then(TimeNs cost_ns, Agenda::Callback then) {
  Simulation::current().agenda().schedule(add_ns(now(), cost_ns), std::move(then));
}

void DedicatedClock::loop_then(WaitLoop& loop, WaitSignal& signal, std::uint64_t iteration_limit, TimeNs deadline_ns,
                               LoopCallback then) {
  // Passive, as run_loop: the signal or the first instant at which a bound holds ends it.
  PTOSIM_ASSERT(pending_then_ == nullptr, "a thread runs one loop at a time");
  const TimeNs limit_ns = after_iterations(loop.start_ns, iteration_limit, loop.iteration_ns);
  const TimeNs until_ns = limit_ns < deadline_ns ? limit_ns : deadline_ns;
  pending_then_ = std::move(then);
  pending_limit_ns_ = limit_ns;
  pending_signal_ = &signal;
  pending_loop_.clock = this;
  signal.attach_waiter(&pending_loop_);
  pending_bounded_ = until_ns != TIME_NEVER;
  if (pending_bounded_) {
    pending_bound_ = Simulation::current().agenda().schedule(until_ns < now() ? now() : until_ns, [this] {
      pending_bounded_ = false;
      end_pending_loop(pending_limit_ns_ != TIME_NEVER && now() >= pending_limit_ns_ ? LoopEnd::limit : LoopEnd::deadline);
    });
  }
}

void DedicatedClock::PendingLoop::on_notified() { clock->end_pending_loop(LoopEnd::signaled); }

void DedicatedClock::end_pending_loop(LoopEnd end) {
  pending_signal_->detach_waiter(&pending_loop_);
  if (pending_bounded_) Simulation::current().agenda().cancel(pending_bound_);
  pending_bounded_ = false;
  LoopCallback then = std::move(pending_then_);
  pending_then_ = nullptr;
  then(end);
}

void DedicatedClock::work_async(TimeNs cost_ns) {
  PTOSIM_ASSERT(turns_ != nullptr, "work_async on a thread that is no machine contender");
  turns_->wait(who_, nullptr, add_ns(now(), cost_ns));
}

void DedicatedClock::loop_async(WaitLoop& loop, WaitSignal& signal, std::uint64_t iteration_limit, TimeNs deadline_ns) {
  PTOSIM_ASSERT(turns_ != nullptr, "loop_async on a thread that is no machine contender");
  // As run_loop: the contender waits passively for the signal or the first bound, and its
  // iterations follow from the elapsed time.
  async_limit_ns_ = after_iterations(loop.start_ns, iteration_limit, loop.iteration_ns);
  const TimeNs until_ns = async_limit_ns_ < deadline_ns ? async_limit_ns_ : deadline_ns;
  turns_->wait(who_, &signal, until_ns < now() ? now() : until_ns);
}

LoopEnd DedicatedClock::loop_end() const {
  if (turns_->woken_early(who_)) return LoopEnd::signaled;
  return async_limit_ns_ != TIME_NEVER && now() >= async_limit_ns_ ? LoopEnd::limit : LoopEnd::deadline;
}

}  // namespace ptosim::simcore
