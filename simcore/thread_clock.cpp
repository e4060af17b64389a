#include "simcore/thread_clock.h"

#include "simcore/model_assert.h"

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

}  // namespace ptosim::simcore
