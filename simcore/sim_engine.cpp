#include "simcore/sim_engine.h"

#include "simcore/agenda.h"
#include "simcore/event_log.h"
#include "simcore/model_assert.h"
#include "simcore/turn_order.h"
#include "simcore/marks.h"

#include <simgrid/s4u.hpp>

#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

namespace sg = simgrid::s4u;

namespace ptosim::simcore {

// Under AddressSanitizer frames are several times larger (redzones) and every actor is a thread.
#if defined(PTOSIM_SANITIZE)
#define PTOSIM_ACTOR_STACK_KIB "512"
#else
#define PTOSIM_ACTOR_STACK_KIB "64"
#endif

namespace {

Simulation* g_current = nullptr;
TimeNs g_now_ns = 0;
bool g_engine_created = false;
// The engine's clock when the current run started: runs in sequence in one engine
// (Simulation::run_in_sequence) each count their time from their own start.
TimeNs g_epoch_ns = 0;
bool g_in_sequence = false;
bool g_callbacks_set = false;

// SimGrid's clock counts nanoseconds: one simulated "second" of SimGrid is one ns of ptosim. Every
// date and delay is then a whole number, exact in a double up to 2^53 ns (104 days), so SimGrid
// adds and compares them without rounding, and a run gives the same events whatever the clock
// read when it started (runs in sequence start where the previous one ended).
double to_engine_time(TimeNs time_ns) { return static_cast<double>(time_ns); }
TimeNs from_engine_time(double time) { return static_cast<TimeNs>(time + 0.5); }
constexpr TimeNs ENGINE_EXACT_NS = TimeNs{1} << 53;

// Thrown by stop() and stop_at_limit() inside an agenda callback (there is no actor to exit):
// the agenda catches it, the run has already ended.
struct EngineStop {};

}  // namespace

double engine_time_of(TimeNs time_ns) { return to_engine_time(g_epoch_ns + time_ns); }

void advance_clock_to(TimeNs time_ns) {
  PTOSIM_ASSERT(time_ns >= g_now_ns, "the clock cannot go back");
  g_now_ns = time_ns;
}

struct Simulation::Impl {
  std::unique_ptr<sg::Engine> engine;
  sg::NetZone* zone = nullptr;
  std::vector<sg::Host*> hosts;
  std::vector<std::string> host_names;  // of `hosts`, in creation order
  bool sealed = false;
};

namespace {

// An engine (with its hosts) built by Simulation::prepare before the process forks its runs.
std::unique_ptr<Simulation::Impl> g_prepared;
bool g_teardown_at_exit = true;

std::unique_ptr<Simulation::Impl> create_engine() {
  auto impl = std::make_unique<Simulation::Impl>();
  // SimGrid parses its own options from argv; silence its logging (the deadlock report included:
  // quiescence is a result ptosim interprets, not an error of the tool) and keep stacks small.
  static char arg0[] = "ptosim";
  static char arg1[] = "--log=root.thresh:critical";
  static char arg2[] = "--log=root.app:file:/dev/null";
  // Actor stacks of 64 KiB, without a guard page. Measured with guard pages: every catalogue
  // scenario runs in 8 KiB (6 KiB is too little for the error paths), and the test suite in
  // 16 KiB. SimGrid clears every stack it takes from the heap: a process that runs simulation
  // after simulation cleared 8 MiB per run with 512 KiB stacks, half its CPU time. A guard page
  // costs an mprotect per actor (5% of a sweep's CPU time when measured).
  static char arg3[] = "--cfg=contexts/stack-size:" PTOSIM_ACTOR_STACK_KIB;
  static char arg4[] = "--cfg=contexts/guard-size:0";
  // SimGrid ends a timed action when less than surf/precision of it remains. Dates are whole
  // nanoseconds (see to_engine_time), so any precision below one unit ends an action exactly
  // when it is due; this one is far below.
  static char arg5[] = "--cfg=surf/precision:1e-12";
#if defined(PTOSIM_SANITIZE)
  // Under AddressSanitizer, SimGrid's default contexts switch stacks behind ASan's back (Debian's
  // SimGrid is built without ASan's fiber annotations): ASan then reports false stack errors in
  // __asan_handle_no_return. The thread factory gives every actor a real thread, which ASan
  // understands; SimGrid still runs one actor at a time, in the same order (docs/robustness.md).
  static char arg6[] = "--cfg=contexts/factory:thread";
  static char* argv[] = {arg0, arg1, arg2, arg3, arg4, arg5, arg6, nullptr};
  int argc = 7;
#else
  static char* argv[] = {arg0, arg1, arg2, arg3, arg4, arg5, nullptr};
  int argc = 6;
#endif
  impl->engine = std::make_unique<sg::Engine>(&argc, argv);
  impl->zone = sg::create_full_zone("npu");
  return impl;
}

sg::Host* create_host(Simulation::Impl& impl, const std::string& name) {
  sg::Host* host = impl.zone->create_host(name, 1e9);
  host->seal();
  impl.hosts.push_back(host);
  impl.host_names.push_back(name);
  return host;
}

}  // namespace

void Simulation::prepare(const std::vector<std::string>& host_names) {
  if (g_engine_created) return;  // prepared already (or a run exists: nothing to gain)
  g_engine_created = true;
  g_prepared = create_engine();
  for (const std::string& name : host_names) create_host(*g_prepared, name);
}

void Simulation::skip_teardown_at_exit() { g_teardown_at_exit = false; }

void Simulation::run_in_sequence() {
  g_in_sequence = true;
  g_teardown_at_exit = false;
}

bool Simulation::room_for_run(TimeNs max_sim_time_ns) {
  const TimeNs clock_ns = g_prepared ? from_engine_time(sg::Engine::get_clock()) : 0;
  return max_sim_time_ns < ENGINE_EXACT_NS - clock_ns;
}

Simulation::Simulation() {
  if (g_prepared) {
    impl_ = std::move(g_prepared);
  } else {
    if (g_engine_created) throw std::logic_error("only one Simulation may exist per process");
    g_engine_created = true;
    impl_ = create_engine();
  }
  // Registered once per engine: SimGrid keeps every callback, across runs in sequence too.
  if (!g_callbacks_set) {
    g_callbacks_set = true;
    sg::Engine::on_deadlock_cb([] {
      if (g_current != nullptr) g_current->quiescent_ = true;
    });
    // The run's clock may be ahead of the engine's (the agenda ran instants the engine had nothing
    // to do at), never behind: the engine only moves to the agenda's next entry or later.
    sg::Engine::on_time_advance_cb([](double) {
      const TimeNs engine_ns = from_engine_time(sg::Engine::get_clock()) - g_epoch_ns;
      if (engine_ns > g_now_ns) g_now_ns = engine_ns;
    });
  }
  g_epoch_ns = from_engine_time(sg::Engine::get_clock());
  g_now_ns = 0;
  g_current = this;
  agenda_ = std::make_unique<Agenda>(*this);
}

Simulation::~Simulation() {
  agenda_->disarm();  // a timer left in the kernel would fire in the next run of the engine
  g_current = nullptr;
  if (g_in_sequence) {
    g_prepared = std::move(impl_);  // the next run starts from this engine
    return;
  }
  // A child process that exits right after its run leaves the engine to the exit: destroying
  // every host, model and actor record is work nobody uses.
  if (!g_teardown_at_exit) (void)impl_.release();
}

Simulation& Simulation::current() {
  if (g_current == nullptr) throw std::logic_error("no Simulation exists");
  return *g_current;
}

HostRef Simulation::add_host(const std::string& name) {
  // A prepared engine already holds the platform's hosts, in the order the platform asks for them.
  for (std::size_t i = 0; i < impl_->host_names.size(); ++i) {
    if (impl_->host_names[i] == name) return HostRef(impl_->hosts[i]);
  }
  if (impl_->sealed) throw std::logic_error("platform already sealed");
  return HostRef(create_host(*impl_, name));
}

void Simulation::spawn(const std::string& name, HostRef host, std::function<void()> body, bool daemon) {
  if (!impl_->sealed) {
    impl_->zone->seal();
    impl_->sealed = true;
  }
  auto wrapped = [this, body = std::move(body)]() {
    try {
      body();
    } catch (const RunLimitReached& limit) {
      if (!ending_) {
        PTOSIM_MARK("run budget reached");
        limit_reason_ = limit.what();
        end_run(RunEnd::limit);
      }
    } catch (const std::exception&) {
      // The first failure wins; every other actor is killed and run() reports it.
      if (!ending_) {
        failure_ = std::current_exception();
        end_run(RunEnd::failed);
      }
    }
  };
  ++actors_spawned_;
  sg::ActorPtr actor = sg::Actor::create(name, static_cast<sg::Host*>(host.host_), std::move(wrapped));
  if (daemon) actor->daemonize();
}

RunEnd Simulation::run(TimeNs max_sim_time_ns) {
  if (!impl_->sealed) {
    impl_->zone->seal();
    impl_->sealed = true;
  }
  set_time_limit(max_sim_time_ns, "simulated-time budget (runtime.limits.max_sim_time_ns)");
  agenda_->arm();
  impl_->engine->run();
  agenda_->disarm();
  // The engine also stops when nothing is left to run but contenders without an actor still wait
  // for something that never comes: that is quiescence too.
  if (end_ == RunEnd::finished && (quiescent_ || !agenda_->all_contenders_left())) end_ = RunEnd::quiescent;
  return end_;
}

void Simulation::set_time_limit(TimeNs limit_ns, const std::string& what) {
  if (limit_ns < time_limit_ns_) {
    time_limit_ns_ = limit_ns;
    time_limit_name_ = what;
    agenda_->arm();  // an entry past the new budget now ends the run at the budget
  }
}

void Simulation::end_run(RunEnd end) {
  if (ending_) return;
  ending_ = true;
  end_ = end;
  agenda_->close();
  sg::Actor::kill_all();
}

void Simulation::end_from_engine(std::exception_ptr failure) {
  if (ending_) return;  // stop() or stop_at_limit() ended it
  try {
    std::rethrow_exception(failure);
  } catch (const RunLimitReached& limit) {
    PTOSIM_MARK("run budget reached");
    limit_reason_ = limit.what();
    end_run(RunEnd::limit);
  } catch (...) {
    failure_ = failure;
    end_run(RunEnd::failed);
  }
}

void Simulation::stop_at_limit(const std::string& reason) {
  if (!ending_) {
    PTOSIM_MARK("run budget reached");
    limit_reason_ = reason;
    end_run(RunEnd::limit);
  }
  if (sg::Actor::is_maestro()) throw EngineStop{};
  sg::this_actor::exit();
}

void Simulation::stop() {
  end_run(RunEnd::stopped);
  if (sg::Actor::is_maestro()) throw EngineStop{};
  sg::this_actor::exit();
}

// The clock in ns, kept by the engine's time-advance signal: actors read the time far more often
// than it changes, and reading it from SimGrid and rounding it each time was 5% of a run.
TimeNs now() { return g_now_ns; }

namespace {

// The time budget is enforced where time passes, not by a timer actor: a pending timer would keep
// the engine busy and hide quiescence (every actor blocked forever), which ptosim must observe.
[[noreturn]] void reach_time_limit() {
  Simulation& sim = Simulation::current();
  sim.stop_at_limit(sim.time_limit_name() + " reached at t=" + std::to_string(sim.time_limit()) + " ns");
}

}  // namespace

void sleep_until(TimeNs time_ns) {
  PTOSIM_ASSERT(!sg::Actor::is_maestro(), "an agenda callback cannot sleep");
  if (time_ns <= now()) return;  // no time passes: a contender keeps its turn
  TurnOrder::Binding* turn = TurnOrder::of_current_actor();
  if (turn != nullptr) {
    // The agenda wakes it; past the budget the run ends at the budget instead.
    turn->order->wait(turn->who, nullptr, time_ns);
    turn->order->block(turn->who);
    return;
  }
  const TimeNs limit_ns = Simulation::current().time_limit();
  if (time_ns > limit_ns) {
    if (limit_ns > now()) sg::this_actor::sleep_until(to_engine_time(g_epoch_ns + limit_ns));
    reach_time_limit();
  }
  sg::this_actor::sleep_until(to_engine_time(g_epoch_ns + time_ns));
}

void sleep_for(TimeNs duration_ns) {
  if (duration_ns > 0) sleep_until(add_ns(now(), duration_ns));
}

// A binary semaphore: acquire is a single simcall, and a release that happens while the waiter
// is between deciding to wait and blocking is remembered (a mutex + condition variable loses it:
// locking the mutex yields to other actors before the wait is registered).
struct WaitSignal::Impl {
  sg::SemaphorePtr semaphore = sg::Semaphore::create(0);
};

WaitSignal::WaitSignal() = default;
WaitSignal::~WaitSignal() = default;

bool WaitSignal::wait_until(TimeNs deadline_ns) {
  PTOSIM_ASSERT(!sg::Actor::is_maestro(), "an agenda callback cannot wait");
  const TimeNs start_ns = now();
  TurnOrder::Binding* turn = TurnOrder::of_current_actor();
  if (turn != nullptr) {
    // A contender waits through its turn order: the agenda holds its deadline (past the budget,
    // the run ends at the budget) and a notification makes it due now.
    if (deadline_ns != TIME_NEVER && deadline_ns <= start_ns) return false;
    turn->order->wait(turn->who, this, deadline_ns);
    turn->order->block(turn->who);
    return turn->order->woken_early(turn->who);
  }
  // An actor that is no contender waits on a semaphore. A wait without deadline is not clamped to
  // the time budget: when every actor waits without a deadline the run is quiescent, which must
  // stay observable. Timed waits stop at the budget.
  const TimeNs limit_ns = Simulation::current().time_limit();
  const bool limited = deadline_ns != TIME_NEVER && deadline_ns > limit_ns;
  const TimeNs effective_ns = limited ? limit_ns : deadline_ns;
  if (effective_ns != TIME_NEVER && effective_ns <= start_ns) {
    if (limited) reach_time_limit();
    return false;
  }
  if (!impl_) impl_ = std::make_unique<Impl>();
  ++waiters_;
  bool notified = true;
  if (effective_ns == TIME_NEVER) {
    impl_->semaphore->acquire();
  } else {
    notified = !impl_->semaphore->acquire_timeout(to_engine_time(effective_ns - start_ns));
  }
  --waiters_;
  if (!notified && limited) reach_time_limit();
  return notified;
}

void WaitSignal::notify() {
  if (loop_waiter_ != nullptr) {
    loop_waiter_->on_signal_notified(loop_thread_);
    return;
  }
  if (waiter_ != nullptr) {
    SignalWaiter* waiter = waiter_;
    waiter_ = nullptr;
    waiter->on_notified();
    return;
  }
  if (waiters_ > 0 && impl_->semaphore->get_capacity() == 0) impl_->semaphore->release();
}

void WaitSignal::notify_if_polled() {
  if (loop_waiter_ != nullptr) loop_waiter_->on_signal_notified(loop_thread_);
}

void WaitSignal::attach_loop_waiter(LoopWaiter* waiter, std::uint64_t thread) {
  PTOSIM_ASSERT(loop_waiter_ == nullptr, "two threads wait on one signal");
  loop_waiter_ = waiter;
  loop_thread_ = thread;
}

void WaitSignal::detach_loop_waiter() { loop_waiter_ = nullptr; }

void WaitSignal::attach_waiter(SignalWaiter* waiter) {
  PTOSIM_ASSERT(waiter_ == nullptr || waiter_ == waiter, "two waiters on one signal");
  waiter_ = waiter;
}

void WaitSignal::detach_waiter(SignalWaiter* waiter) {
  if (waiter_ == waiter) waiter_ = nullptr;
}

struct ActorGate::Impl {
  sg::SemaphorePtr semaphore = sg::Semaphore::create(0);
};

ActorGate::ActorGate() : impl_(std::make_unique<Impl>()) {}
ActorGate::~ActorGate() = default;

void ActorGate::pass() { impl_->semaphore->acquire(); }

void ActorGate::open() {
  if (impl_->semaphore->get_capacity() == 0) impl_->semaphore->release();
}

void assertion_failed(const char* condition, const std::string& message, const char* file, int line) {
  std::string where = "outside the simulation";
  if (g_current != nullptr && sg::Actor::is_maestro()) {
    where = "t=" + std::to_string(now()) + " ns in an agenda callback";
  } else if (g_current != nullptr && sg::Actor::self() != nullptr) {
    where = "t=" + std::to_string(now()) + " ns in actor '" + sg::Actor::self()->get_name() + "'";
  }
  throw std::logic_error("model assertion failed at " + where + ": " + condition + " (" + file + ":" +
                         std::to_string(line) + "): " + message);
}

}  // namespace ptosim::simcore
