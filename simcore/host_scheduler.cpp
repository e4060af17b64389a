#include "simcore/host_scheduler.h"

#include "simcore/event_log.h"
#include "simcore/model_assert.h"
#include "simcore/turn_order.h"
#include "simcore/marks.h"

#include <algorithm>
#include <utility>

namespace ptosim::simcore {

namespace {

// Bounds one settling of a CPU: whole rounds of waiting loops are skipped at once, so only
// threads that work (a handful of turns per slice) or a model bug can come near it.
constexpr std::uint64_t MAX_STEPS_PER_SETTLE = 50'000'000;
// Why a CPU passes to a thread that did not simply come next after a yield.
constexpr std::uint32_t AFTER_PREEMPTION = 0;
constexpr std::uint32_t AFTER_EXIT = 1;

TimeNs ceil_div(TimeNs a, TimeNs b) { return (a + b - 1) / b; }

// A thread's view of the host scheduler.
class HostClock final : public ThreadClock {
 public:
  HostClock(HostScheduler& host, std::uint64_t thread) : host_(host), thread_(thread) {}

  TimeNs predict_end(TimeNs, TimeNs) const override { return TIME_NEVER; }
  TimeNs work(TimeNs cost_ns) override { return host_.work(thread_, cost_ns); }
  TimeNs perform(TimeNs start_ns, TimeNs cost_ns) override {
    PTOSIM_ASSERT(start_ns <= now(), "work on a shared host cannot be planned ahead");
    return host_.work(thread_, cost_ns);
  }
  void wait_until(TimeNs time_ns) override {
    PTOSIM_ASSERT(time_ns <= now(), "work on a shared host has ended when work() returns");
  }
  TimeNs loop_iteration_ns(LoopKind kind, std::uint64_t subject, std::uint32_t part) override {
    return host_.loop_iteration_ns(kind, subject, part);
  }
  LoopEnd run_loop(WaitLoop& loop, WaitSignal& signal, std::uint64_t iteration_limit, TimeNs deadline_ns) override {
    return host_.run_loop(thread_, loop, signal, iteration_limit, deadline_ns);
  }
  std::uint64_t loop_iterations(const WaitLoop& loop) const override { return loop.iterations_on_cpu; }
  TimeNs predict_loop_end(const WaitLoop&, std::uint64_t) const override { return TIME_NEVER; }
  void exit() override { host_.exit(thread_); }
  std::string placement() const override { return host_.placement(thread_); }

  void work_then(TimeNs cost_ns, Agenda::Callback then) override { host_.work_then(thread_, cost_ns, std::move(then)); }
  void loop_then(WaitLoop& loop, WaitSignal& signal, std::uint64_t iteration_limit, TimeNs deadline_ns,
                 LoopCallback then) override {
    host_.loop_then(thread_, loop, signal, iteration_limit, deadline_ns, std::move(then));
  }
  void work_async(TimeNs cost_ns) override {
    PTOSIM_ASSERT(turns_ != nullptr, "work_async on a thread that is no machine contender");
    // The contender waits for nothing the agenda or a signal could end: the host wakes it.
    turns_->wait(who_, nullptr, TIME_NEVER);
    host_.work_then(thread_, cost_ns, [turns = turns_, who = who_] { turns->wake_now(who); });
  }
  void loop_async(WaitLoop& loop, WaitSignal& signal, std::uint64_t iteration_limit, TimeNs deadline_ns) override {
    PTOSIM_ASSERT(turns_ != nullptr, "loop_async on a thread that is no machine contender");
    turns_->wait(who_, nullptr, TIME_NEVER);
    host_.loop_then(thread_, loop, signal, iteration_limit, deadline_ns, [this](LoopEnd end) {
      loop_end_ = end;
      turns_->wake_now(who_);
    });
  }
  LoopEnd loop_end() const override { return loop_end_; }

 private:
  HostScheduler& host_;
  std::uint64_t thread_;
  LoopEnd loop_end_ = LoopEnd::signaled;
};

}  // namespace

HostScheduler::HostScheduler(Simulation& sim, DecisionSource& decisions, HostPlatformSpec spec)
    : sim_(sim),
      decisions_(decisions),
      spec_(std::move(spec)),
      placement_stream_(decisions.stream("host.placement")),
      slice_stream_(decisions.stream("host.time_slice_ns")),
      next_stream_(decisions.stream("host.run_next")),
      pull_stream_(decisions.stream("host.idle_pull")) {
  PTOSIM_ASSERT(spec_.cpus >= 1, "a host needs at least one CPU");
  PTOSIM_ASSERT(spec_.time_slice.min_ns >= 1 && spec_.time_slice.min_ns <= spec_.time_slice.max_ns,
                "a time slice range must be positive and ordered");
  for (int k = 0; k < LOOP_KIND_COUNT; ++k) {
    PTOSIM_ASSERT(spec_.loop_costs[k].range.min_ns >= 1, "a loop iteration on the host must take time");
    cost_streams_[k] = decisions.stream(spec_.loop_costs[k].stream);
  }
  cpus_.resize(static_cast<std::size_t>(spec_.cpus));
  for (int c = 0; c < spec_.cpus; ++c) cpus_[static_cast<std::size_t>(c)].id = c;
}

HostScheduler::~HostScheduler() = default;

std::unique_ptr<ThreadClock> HostScheduler::add_thread(const std::string& name) {
  PTOSIM_ASSERT(!started_, "threads are added before the host starts");
  const int id = static_cast<int>(threads_.size());
  Thread thread;
  thread.name = name;
  thread.wake = std::make_unique<WaitSignal>();
  threads_.push_back(std::move(thread));
  place(id);
  return std::make_unique<HostClock>(*this, static_cast<std::uint64_t>(id));
}

void HostScheduler::start() {
  PTOSIM_ASSERT(!started_, "the host starts once");
  for (int b = 0; b < spec_.background_threads; ++b) {
    const int id = static_cast<int>(threads_.size());
    Thread thread;
    thread.name = "background" + std::to_string(b);
    thread.exec.activity = Activity::background;
    threads_.push_back(std::move(thread));
    place(id);
  }
  started_ = true;
  for (Cpu& cpu : cpus_) {
    if (lanes_) lanes_->hand_over(cpu.id, cpu.running, cpu.clock_ns);
    replan(cpu);
  }
}

void HostScheduler::record_lanes(std::size_t cap) {
  PTOSIM_ASSERT(!started_, "host lanes are recorded from the start");
  lanes_ = std::make_unique<HostLaneRecorder>(spec_.cpus, cap);
}

HostLanes HostScheduler::take_lanes() {
  if (!lanes_) return {};
  std::vector<std::string> names;
  for (const Thread& thread : threads_) names.push_back(thread.name);
  HostLanes lanes = lanes_->finish(now(), std::move(names));
  lanes_.reset();
  return lanes;
}

std::vector<HostThreadStats> HostScheduler::stats() {
  for (Cpu& cpu : cpus_) settle(cpu);
  std::vector<HostThreadStats> out;
  for (std::size_t t = 0; t < threads_.size(); ++t) {
    const Thread& thread = threads_[t];
    const TimeNs until_ns = thread.exited_ns == TIME_NEVER ? now() : thread.exited_ns;
    out.push_back(HostThreadStats{thread.name, t, thread.cpu, thread.exec.on_cpu_ns, thread.exec.turns,
                                  std::max<TimeNs>(0, until_ns - thread.exec.on_cpu_ns)});
  }
  return out;
}

std::vector<HostThreadStats> HostScheduler::modelled_thread_stats() const {
  std::vector<HostThreadStats> out;
  const TimeNs at_ns = now();
  for (std::size_t t = 0; t < threads_.size(); ++t) {
    const Thread& thread = threads_[t];
    if (thread.exec.activity == Activity::background) continue;
    TimeNs on_cpu_ns = thread.exec.on_cpu_ns;
    const Cpu& cpu = cpus_[static_cast<std::size_t>(thread.cpu)];
    if (cpu.running == static_cast<int>(t) && at_ns > cpu.clock_ns) on_cpu_ns += at_ns - cpu.clock_ns;
    const TimeNs until_ns = thread.exited_ns == TIME_NEVER ? at_ns : thread.exited_ns;
    out.push_back(HostThreadStats{thread.name, t, thread.cpu, on_cpu_ns, thread.exec.turns,
                                  std::max<TimeNs>(0, until_ns - on_cpu_ns)});
  }
  return out;
}

void HostScheduler::place(int thread) {
  // Linux puts a new thread on an idle CPU, else on one of the least loaded: which one is a
  // decision among the CPU ids (the default is the lowest).
  int least = cpus_.front().runnable();
  for (const Cpu& cpu : cpus_) least = std::min(least, cpu.runnable());
  std::vector<std::uint64_t> candidates;
  for (const Cpu& cpu : cpus_) {
    if (cpu.runnable() == least) candidates.push_back(static_cast<std::uint64_t>(cpu.id));
  }
  const std::size_t pick = decisions_.choose({placement_stream_, static_cast<std::uint64_t>(thread), 0}, candidates);
  Cpu& cpu = cpus_[static_cast<std::size_t>(candidates[pick])];
  threads_[static_cast<std::size_t>(thread)].cpu = cpu.id;
  if (cpu.running < 0) {
    cpu.running = thread;
    cpu.turn_start_ns = cpu.clock_ns;
    cpu.slice_end_ns = TIME_NEVER;
  } else {
    cpu.queue.push_back(thread);
  }
}

TimeNs HostScheduler::decide_slice(int thread) {
  return decisions_.decide_ns({slice_stream_, static_cast<std::uint64_t>(thread), 0}, spec_.time_slice.min_ns,
                              spec_.time_slice.max_ns);
}

TimeNs HostScheduler::loop_iteration_ns(LoopKind kind, std::uint64_t subject, std::uint32_t part) {
  const LoopCost& cost = spec_.loop_costs[static_cast<int>(kind)];
  return decisions_.decide_ns({cost_streams_[static_cast<int>(kind)], subject, part}, cost.range.min_ns,
                              cost.range.max_ns);
}

int HostScheduler::take_next(Cpu& cpu, std::uint32_t reason) {
  std::vector<std::uint64_t> waiting(cpu.queue.begin(), cpu.queue.end());
  const std::size_t pick = decisions_.choose({next_stream_, static_cast<std::uint64_t>(cpu.id), reason}, waiting);
  const int next = cpu.queue[pick];
  cpu.queue.erase(cpu.queue.begin() + static_cast<std::ptrdiff_t>(pick));
  return next;
}

bool HostScheduler::begin_iteration(Cpu& cpu, Exec& running, TimeNs at_ns) {
  // Each iteration first looks at what the loop waits for; only a thread on a CPU looks.
  cpu.iteration_start_ns = at_ns;
  if (running.signaled) {
    running.activity = Activity::busy;
    running.end = LoopEnd::signaled;
    return true;
  }
  if (running.deadline_ns <= at_ns) {
    running.activity = Activity::busy;
    running.end = LoopEnd::deadline;
    return true;
  }
  return false;
}

template <class ExecOf>
void HostScheduler::skip_loop_rounds(Cpu& cpu, ExecOf&& exec, TimeNs until_ns, bool dry) {
  // Every thread on the CPU is in a waiting loop and the running one has just begun an
  // iteration: the CPU goes round them in queue order, one iteration each, until one of them sees
  // what it waits for or reaches its limit. Skip all whole rounds before that (and before
  // `until_ns`), keeping at least one to step through.
  TimeNs round_ns = exec(cpu.running).iteration_ns;
  for (int thread : cpu.queue) round_ns += exec(thread).iteration_ns;
  if (round_ns <= 0) return;
  const TimeNs origin_ns = cpu.clock_ns;
  if (until_ns != TIME_NEVER && until_ns - origin_ns < 3 * round_ns) return;
  TimeNs first_event_ns = until_ns;
  TimeNs offset_ns = 0;
  auto consider = [&](const Exec& e, TimeNs first_start_ns, TimeNs first_end_ns) {
    if (e.signaled) first_event_ns = std::min(first_event_ns, first_start_ns);
    if (e.deadline_ns != TIME_NEVER) {
      TimeNs seen_ns = first_start_ns;
      if (e.deadline_ns > seen_ns) seen_ns += ceil_div(e.deadline_ns - seen_ns, round_ns) * round_ns;
      first_event_ns = std::min(first_event_ns, seen_ns);
    }
    if (e.limit != NO_ITERATION_LIMIT) {
      const std::uint64_t needed = e.limit - e.iterations;  // >= 1: the limit was not reached yet
      const auto rounds = static_cast<TimeNs>(std::min<std::uint64_t>(needed - 1, static_cast<std::uint64_t>(TIME_NEVER / 4 / round_ns)));
      first_event_ns = std::min(first_event_ns, first_end_ns + rounds * round_ns);
    }
  };
  const Exec& running = exec(cpu.running);
  consider(running, origin_ns + round_ns, origin_ns + running.iteration_ns);
  offset_ns = running.iteration_ns;
  for (int thread : cpu.queue) {
    const Exec& e = exec(thread);
    consider(e, origin_ns + offset_ns, origin_ns + offset_ns + e.iteration_ns);
    offset_ns += e.iteration_ns;
  }
  if (first_event_ns == TIME_NEVER) return;
  const TimeNs rounds = (first_event_ns - origin_ns) / round_ns - 1;
  if (rounds < 1) return;
  auto advance = [&](Exec& e) {
    e.iterations += static_cast<std::uint64_t>(rounds);
    e.on_cpu_ns += rounds * e.iteration_ns;
  };
  // A thread alone on its CPU just goes on holding it.
  if (!dry && lanes_ && !cpu.queue.empty()) record_round_robin(cpu, origin_ns, rounds);
  advance(exec(cpu.running));
  for (int thread : cpu.queue) advance(exec(thread));
  cpu.clock_ns = origin_ns + rounds * round_ns;
  cpu.iteration_start_ns = cpu.clock_ns;
}

void HostScheduler::record_round_robin(const Cpu& cpu, TimeNs origin_ns, TimeNs rounds) {
  // The members in the order the CPU goes round them: the holder first, then its queue.
  std::vector<HostRoundMember> members;
  TimeNs round_ns = 0;
  auto add = [&](int thread) {
    const TimeNs iteration_ns = threads_[static_cast<std::size_t>(thread)].exec.iteration_ns;
    members.push_back(HostRoundMember{thread, iteration_ns, rounds * iteration_ns});
    round_ns += iteration_ns;
  };
  add(cpu.running);
  for (int thread : cpu.queue) add(thread);
  lanes_->round_robin(cpu.id, origin_ns, origin_ns + rounds * round_ns, static_cast<std::uint64_t>(rounds),
                      std::move(members));
}

template <class ExecOf>
HostScheduler::StepResult HostScheduler::step(Cpu& cpu, ExecOf&& exec, TimeNs until_ns, bool dry) {
  auto consume = [](Exec& e, TimeNs ran_ns) {
    e.on_cpu_ns += ran_ns;
    if (e.activity == Activity::work) e.remaining_ns -= ran_ns;
  };
  // The CPU passes to `next` at the current instant; true when `next` sees what its loop waits for.
  auto hand_over = [&](int next) {
    cpu.running = next;
    cpu.turn_start_ns = cpu.clock_ns;
    cpu.slice_end_ns = TIME_NEVER;
    if (!dry && lanes_) lanes_->hand_over(cpu.id, next, cpu.clock_ns);
    Exec& e = exec(next);
    ++e.turns;
    return e.activity == Activity::loop && begin_iteration(cpu, e, cpu.clock_ns);
  };
  for (std::uint64_t steps = 0;; ++steps) {
    PTOSIM_ASSERT(steps < MAX_STEPS_PER_SETTLE, "host CPU " + std::to_string(cpu.id) + " made too many turns at once");
    if (cpu.running < 0) {
      if (until_ns != TIME_NEVER && cpu.clock_ns < until_ns) cpu.clock_ns = until_ns;
      return {Stop::reached, cpu.clock_ns, -1};
    }
    Exec& run = exec(cpu.running);
    switch (run.activity) {
      case Activity::busy: return {Stop::stuck, cpu.clock_ns, cpu.running};
      case Activity::exited: PTOSIM_ASSERT(false, "an exited thread holds a CPU"); break;
      case Activity::work:
      case Activity::background: {
        const TimeNs end_ns = run.activity == Activity::background ? TIME_NEVER : cpu.clock_ns + run.remaining_ns;
        TimeNs stop_ns = end_ns;
        if (!cpu.queue.empty()) {
          // Others wait: the thread keeps the CPU until its time slice ends (decided only when
          // the work could outlast the shortest slice).
          if (cpu.slice_end_ns == TIME_NEVER && end_ns > cpu.turn_start_ns + spec_.time_slice.min_ns) {
            if (dry) return {Stop::decision, cpu.clock_ns, cpu.running};
            cpu.slice_end_ns = cpu.turn_start_ns + decide_slice(cpu.running);
          }
          if (cpu.slice_end_ns < stop_ns) stop_ns = std::max(cpu.slice_end_ns, cpu.clock_ns);
        }
        if (stop_ns == TIME_NEVER || stop_ns > until_ns) {
          if (until_ns != TIME_NEVER && until_ns > cpu.clock_ns) {
            consume(run, until_ns - cpu.clock_ns);
            cpu.clock_ns = until_ns;
          }
          return {Stop::reached, cpu.clock_ns, -1};
        }
        consume(run, stop_ns - cpu.clock_ns);
        cpu.clock_ns = stop_ns;
        if (stop_ns == end_ns) {
          run.activity = Activity::busy;
          return {Stop::event, stop_ns, cpu.running};
        }
        // The slice is over and others wait: preempted, to the back of the queue. Which waiting
        // thread takes the CPU is a decision.
        if (dry) return {Stop::decision, stop_ns, cpu.running};
        PTOSIM_MARK("host time slice preemption");
        const int preempted = cpu.running;
        const int next = take_next(cpu, AFTER_PREEMPTION);
        cpu.queue.push_back(preempted);
        if (hand_over(next)) return {Stop::event, cpu.clock_ns, next};
        break;
      }
      case Activity::loop: {
        if (cpu.iteration_start_ns == cpu.clock_ns) {
          bool all_loops = true;
          for (int thread : cpu.queue) all_loops = all_loops && exec(thread).activity == Activity::loop;
          if (all_loops) skip_loop_rounds(cpu, exec, until_ns, dry);
        }
        const TimeNs end_ns = cpu.iteration_start_ns + run.iteration_ns;
        if (end_ns > until_ns) {
          if (until_ns != TIME_NEVER && until_ns > cpu.clock_ns) {
            consume(run, until_ns - cpu.clock_ns);
            cpu.clock_ns = until_ns;
          }
          return {Stop::reached, cpu.clock_ns, -1};
        }
        consume(run, end_ns - cpu.clock_ns);
        cpu.clock_ns = end_ns;
        ++run.iterations;
        if (run.iterations >= run.limit) {
          run.activity = Activity::busy;
          run.end = LoopEnd::limit;
          return {Stop::event, end_ns, cpu.running};
        }
        // sched_yield: returns at once when nobody waits on this CPU, else the next waiting
        // thread in queue order takes the CPU and this one goes to the back.
        if (cpu.queue.empty()) {
          if (begin_iteration(cpu, run, end_ns)) return {Stop::event, end_ns, cpu.running};
          break;
        }
        const int next = cpu.queue.front();
        if (dry && exec(next).activity != Activity::loop) return {Stop::decision, end_ns, next};
        cpu.queue.pop_front();
        cpu.queue.push_back(cpu.running);
        if (hand_over(next)) return {Stop::event, cpu.clock_ns, next};
        break;
      }
    }
  }
}

void HostScheduler::settle(Cpu& cpu) {
  const StepResult result = step(
      cpu, [this](int thread) -> Exec& { return threads_[static_cast<std::size_t>(thread)].exec; }, now(), false);
  if (result.stop != Stop::event) return;
  PTOSIM_ASSERT(result.time_ns == now(), "host CPU " + std::to_string(cpu.id) + " settled an event of '" +
                                             threads_[static_cast<std::size_t>(result.thread)].name + "' at t=" +
                                             std::to_string(result.time_ns) + " late");
  thread_event(result.thread);
}

void HostScheduler::thread_event(int thread_id) {
  Thread& thread = threads_[static_cast<std::size_t>(thread_id)];
  if (thread.work_then) {
    sim_.agenda().schedule(now(), std::move(thread.work_then));
    thread.work_then = nullptr;
    return;
  }
  if (thread.loop_then) {
    // The passive loop saw what it waited for: it leaves the signal, and is told how it ended.
    thread.signal->detach_loop_waiter();
    thread.loop->iterations_on_cpu = thread.exec.iterations;
    const LoopEnd end = thread.exec.end;
    sim_.agenda().schedule(now(), [then = std::move(thread.loop_then), end] { then(end); });
    thread.loop_then = nullptr;
    thread.loop = nullptr;
    thread.signal = nullptr;
    return;
  }
  if (thread.wake) thread.wake->notify();
}

TimeNs HostScheduler::predict(const Cpu& cpu) {
  if (cpu.running < 0) return TIME_NEVER;
  // Only what an actor waits for needs a wake-up; a CPU whose threads wait for nothing that can
  // happen by itself (loops without a limit or deadline, background work) is settled when touched.
  bool pending = false;
  auto look = [&](int thread) {
    const Exec& e = threads_[static_cast<std::size_t>(thread)].exec;
    if (e.activity == Activity::work) pending = true;
    if (e.activity == Activity::loop &&
        (e.signaled || e.limit != NO_ITERATION_LIMIT || e.deadline_ns != TIME_NEVER)) {
      pending = true;
    }
  };
  if (threads_[static_cast<std::size_t>(cpu.running)].exec.activity == Activity::busy) return TIME_NEVER;
  look(cpu.running);
  for (int thread : cpu.queue) look(thread);
  if (!pending) return TIME_NEVER;
  looks_ += cpu.queue.size() + 1;
  if (looks_ > HOST_SCHEDULER_MAX_LOOKS) {
    throw RunLimitReached("host-scheduler budget of " + std::to_string(HOST_SCHEDULER_MAX_LOOKS) +
                          " thread looks exhausted (" + std::to_string(cpus_.size()) + " host CPUs, " +
                          std::to_string(threads_.size()) + " threads: too many threads per CPU for their time " +
                          "slices; see docs/exit-codes.md)");
  }
  // A dry run on copies up to the first event or decision.
  Cpu copy = cpu;
  std::vector<std::pair<int, Exec>> local;
  local.reserve(cpu.queue.size() + 1);
  local.emplace_back(cpu.running, threads_[static_cast<std::size_t>(cpu.running)].exec);
  for (int thread : cpu.queue) local.emplace_back(thread, threads_[static_cast<std::size_t>(thread)].exec);
  auto exec_of = [&local](int thread) -> Exec& {
    for (auto& [id, e] : local) {
      if (id == thread) return e;
    }
    return local.front().second;  // unreachable: every thread of the CPU is copied
  };
  const StepResult result = step(copy, exec_of, TIME_NEVER, true);
  return result.stop == Stop::reached ? TIME_NEVER : result.time_ns;
}

void HostScheduler::replan(Cpu& cpu) {
  if (cpu.running >= 0 && !cpu.queue.empty() && cpu.slice_end_ns == TIME_NEVER) {
    // Decide the running thread's slice now, so that a prediction never needs a decision.
    const Exec& e = threads_[static_cast<std::size_t>(cpu.running)].exec;
    const bool works = e.activity == Activity::work || e.activity == Activity::background;
    const TimeNs end_ns = e.activity == Activity::work ? cpu.clock_ns + e.remaining_ns : TIME_NEVER;
    if (works && end_ns > cpu.turn_start_ns + spec_.time_slice.min_ns) {
      cpu.slice_end_ns = cpu.turn_start_ns + decide_slice(cpu.running);
    }
  }
  cpu.wake_ns = predict(cpu);
  // A look planned earlier than needed stays: it finds nothing to do and plans the next one.
  if (cpu.wake_ns >= cpu.agenda_ns) return;
  PTOSIM_ASSERT(cpu.wake_ns >= now(), "host CPU " + std::to_string(cpu.id) + " planned a look in the past");
  if (cpu.agenda_ns != TIME_NEVER) sim_.agenda().cancel(cpu.agenda_entry);
  cpu.agenda_ns = cpu.wake_ns;
  const int id = cpu.id;
  cpu.agenda_entry = sim_.agenda().schedule(cpu.wake_ns, [this, id] { on_cpu_due(id); });
}

void HostScheduler::on_cpu_due(int cpu_id) {
  // A CPU needs a look: a thread's work or loop ends, or it decides a slice or a preemption on
  // the way to one. CPUs whose threads wait for nothing are left alone, so a run whose threads all
  // wait forever is quiescent (a true deadlock stays observable).
  Cpu& cpu = cpus_[static_cast<std::size_t>(cpu_id)];
  cpu.agenda_ns = TIME_NEVER;
  settle(cpu);
  replan(cpu);
}

void HostScheduler::switch_to(Cpu& cpu, int next) {
  if (lanes_) lanes_->hand_over(cpu.id, next, cpu.clock_ns);
  cpu.running = next;
  cpu.turn_start_ns = cpu.clock_ns;
  cpu.slice_end_ns = TIME_NEVER;
  Thread& thread = threads_[static_cast<std::size_t>(next)];
  thread.cpu = cpu.id;
  ++thread.exec.turns;
  if (thread.exec.activity == Activity::loop && begin_iteration(cpu, thread.exec, cpu.clock_ns)) thread_event(next);
}

void HostScheduler::fill_idle(Cpu& cpu) {
  // An idle CPU pulls a waiting thread from a CPU where others wait: which one is a decision
  // among the waiting threads (the default is the first waiting on the lowest CPU).
  std::vector<std::uint64_t> candidates;
  for (Cpu& other : cpus_) {
    if (other.id == cpu.id || other.queue.empty()) continue;
    settle(other);
    for (int thread : other.queue) candidates.push_back(static_cast<std::uint64_t>(thread));
  }
  if (candidates.empty()) return;
  const std::size_t pick = decisions_.choose({pull_stream_, static_cast<std::uint64_t>(cpu.id), 0}, candidates);
  const int thread = static_cast<int>(candidates[pick]);
  Cpu& source = cpus_[static_cast<std::size_t>(threads_[static_cast<std::size_t>(thread)].cpu)];
  source.queue.erase(std::find(source.queue.begin(), source.queue.end(), thread));
  if (source.queue.empty()) source.slice_end_ns = TIME_NEVER;
  cpu.clock_ns = now();
  switch_to(cpu, thread);
  replan(source);
}

void HostScheduler::wait_for_end(int thread) {
  Thread& t = threads_[static_cast<std::size_t>(thread)];
  while (t.exec.activity != Activity::busy) t.wake->wait_until(TIME_NEVER);
}

TimeNs HostScheduler::work(std::uint64_t thread_id, TimeNs cost_ns) {
  const int thread = static_cast<int>(thread_id);
  Thread& t = threads_[thread_id];
  Cpu& cpu = cpus_[static_cast<std::size_t>(t.cpu)];
  settle(cpu);
  PTOSIM_ASSERT(t.exec.activity == Activity::busy, "thread '" + t.name + "' asked for work while it was not running");
  if (cost_ns <= 0) return now();
  t.exec.activity = Activity::work;
  t.exec.remaining_ns = cost_ns;
  replan(cpu);
  wait_for_end(thread);
  return now();
}

void HostScheduler::work_then(std::uint64_t thread_id, TimeNs cost_ns, Agenda::Callback then) {
  Thread& t = threads_[thread_id];
  Cpu& cpu = cpus_[static_cast<std::size_t>(t.cpu)];
  settle(cpu);
  PTOSIM_ASSERT(t.exec.activity == Activity::busy, "thread '" + t.name + "' asked for work while it was not running");
  PTOSIM_ASSERT(!t.work_then && !t.loop_then, "thread '" + t.name + "' asked for work twice");
  if (cost_ns <= 0) {
    sim_.agenda().schedule(now(), std::move(then));
    return;
  }
  t.exec.activity = Activity::work;
  t.exec.remaining_ns = cost_ns;
  t.work_then = std::move(then);
  replan(cpu);
}

void HostScheduler::loop_then(std::uint64_t thread_id, WaitLoop& loop, WaitSignal& signal, std::uint64_t iteration_limit,
                              TimeNs deadline_ns, ThreadClock::LoopCallback then) {
  const int thread = static_cast<int>(thread_id);
  Thread& t = threads_[thread_id];
  Cpu& cpu = cpus_[static_cast<std::size_t>(t.cpu)];
  settle(cpu);
  PTOSIM_ASSERT(t.exec.activity == Activity::busy, "thread '" + t.name + "' started a loop while it was not running");
  PTOSIM_ASSERT(!t.work_then && !t.loop_then, "thread '" + t.name + "' started a loop twice");
  PTOSIM_ASSERT(loop.iteration_ns >= 1, "a loop iteration on the host must take time");
  Exec& e = t.exec;
  e.iteration_ns = loop.iteration_ns;
  e.iterations = loop.iterations_on_cpu;
  e.limit = iteration_limit;
  e.deadline_ns = deadline_ns;
  e.signaled = false;
  t.loop_then = std::move(then);
  t.loop = &loop;
  t.signal = &signal;
  signal.attach_loop_waiter(this, thread_id);
  if (e.iterations >= iteration_limit) {
    e.end = LoopEnd::limit;
    thread_event(thread);
    return;
  }
  e.activity = Activity::loop;
  if (cpu.running == thread && begin_iteration(cpu, e, now())) {
    thread_event(thread);
    return;
  }
  replan(cpu);
}

LoopEnd HostScheduler::run_loop(std::uint64_t thread_id, WaitLoop& loop, WaitSignal& signal,
                                std::uint64_t iteration_limit, TimeNs deadline_ns) {
  const int thread = static_cast<int>(thread_id);
  Thread& t = threads_[thread_id];
  Cpu& cpu = cpus_[static_cast<std::size_t>(t.cpu)];
  settle(cpu);
  PTOSIM_ASSERT(t.exec.activity == Activity::busy, "thread '" + t.name + "' started a loop while it was not running");
  PTOSIM_ASSERT(loop.iteration_ns >= 1, "a loop iteration on the host must take time");
  Exec& e = t.exec;
  e.iteration_ns = loop.iteration_ns;
  e.iterations = loop.iterations_on_cpu;
  e.limit = iteration_limit;
  e.deadline_ns = deadline_ns;
  e.signaled = false;
  if (e.iterations >= iteration_limit) return LoopEnd::limit;
  e.activity = Activity::loop;
  if (cpu.running == thread && begin_iteration(cpu, e, now())) return e.end;
  signal.attach_loop_waiter(this, thread_id);
  replan(cpu);
  wait_for_end(thread);
  signal.detach_loop_waiter();
  loop.iterations_on_cpu = e.iterations;
  return e.end;
}

void HostScheduler::on_signal_notified(std::uint64_t thread_id) {
  Thread& t = threads_[thread_id];
  if (t.exec.activity != Activity::loop) return;
  Cpu& cpu = cpus_[static_cast<std::size_t>(t.cpu)];
  settle(cpu);
  if (t.exec.activity != Activity::loop) return;  // it saw something else first
  t.exec.signaled = true;
  replan(cpu);
}

void HostScheduler::exit(std::uint64_t thread_id) {
  const int thread = static_cast<int>(thread_id);
  Thread& t = threads_[thread_id];
  Cpu& cpu = cpus_[static_cast<std::size_t>(t.cpu)];
  settle(cpu);
  PTOSIM_ASSERT(t.exec.activity == Activity::busy, "thread '" + t.name + "' exited while it was not running");
  t.exec.activity = Activity::exited;
  t.exited_ns = now();
  if (cpu.running == thread) {
    cpu.running = -1;
    if (!cpu.queue.empty()) {
      switch_to(cpu, take_next(cpu, AFTER_EXIT));
    } else {
      fill_idle(cpu);
    }
    if (lanes_ && cpu.running < 0) lanes_->hand_over(cpu.id, -1, cpu.clock_ns);
  } else {
    cpu.queue.erase(std::find(cpu.queue.begin(), cpu.queue.end(), thread));
  }
  replan(cpu);
}

std::string HostScheduler::placement(std::uint64_t thread_id) {
  // "host CPU 3, waiting; on it: sched2 (computing), c1.aiv0 (in a loop)"
  Thread& t = threads_[thread_id];
  Cpu& cpu = cpus_[static_cast<std::size_t>(t.cpu)];
  settle(cpu);
  auto doing = [](const Exec& e) {
    switch (e.activity) {
      case Activity::work:
      case Activity::background: return "computing";
      case Activity::loop: return "in a loop";
      case Activity::busy: return "running";
      case Activity::exited: return "exited";
    }
    return "?";
  };
  std::string text = "host CPU " + std::to_string(cpu.id) + ", " +
                     (cpu.running == static_cast<int>(thread_id) ? "on it" : "waiting for it");
  bool first = true;
  auto add = [&](int other) {
    if (other == static_cast<int>(thread_id)) return;
    const Thread& o = threads_[static_cast<std::size_t>(other)];
    text += (first ? "; shared with " : ", ") + o.name + " (" + doing(o.exec) + ")";
    first = false;
  };
  if (cpu.running >= 0) add(cpu.running);
  for (int other : cpu.queue) add(other);
  return text;
}

}  // namespace ptosim::simcore
