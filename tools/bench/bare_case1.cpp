// The bare SimGrid program of Case1's shape: a yardstick for ptosim's own cost.
//
// What it models: the paged-attention Case1 workload (256 sequences x 64 KV blocks, each block a
// chain of four kernels QK (AIC) -> SF (AIV) -> PV (AIC) -> UP (AIV): 65,536 kernel tasks) on a
// full die of 24 clusters (1 AIC + 2 AIV cores each, 72 cores) driven by one orchestrator and
// three scheduler threads. The actors and their blocking calls are the ones ptosim's board model
// makes for the same run:
//   - the orchestrator sleeps once per submit, makes a task ready when its chain predecessor is
//     done (otherwise the predecessor's completion does) and wakes one idle scheduler thread;
//   - each scheduler thread runs ptosim's loop (runtime/scheduler_thread.cpp): an iteration that
//     completes or dispatches something makes the thread busy for its cost; otherwise an idle
//     iteration drains the deferred releases, or the thread waits with a timeout at the earliest
//     FIN it can see (or until woken for a ready task);
//   - each core waits on a doorbell semaphore, sleeps to its kernel's end and posts FIN.
// Costs and core timing are ptosim's defaults (runtime/runtime_config.h, hwmodel/ai_core.h), so
// the simulated time comes out near ptosim's 36.2 ms for `run --seed 1`.
//
// What it leaves out, on purpose: the scenario loader, dependencies other than the chain (UP's
// accumulator chain through the TensorMap), the TensorMap, rings and back-pressure, deadlock
// detectors, decisions (which idle thread, core or tied task: first eligible or a hash here),
// the event log, the memory model and the oracles. The 256 alloc tasks are modelled as submits
// without a kernel (the orchestrator sleeps alloc_tensors' 300 ns and completes them inline, as
// ptosim does), so both programs count 65,792 tasks.
//
// Why it exists: what ptosim costs above the SimGrid actors it cannot avoid is the gap between
// the two (docs/performance.md, "The bare SimGrid program"). tools/bench/bare_vs_ptosim.sh runs
// both; tools/bench/blocking_calls.cpp counts the SimGrid calls that suspend an actor.
//
// Usage: ptosim_bare_case1 [--seed N]
// Prints the seed, the task count, sim_time_ns and its own tally of blocking calls.

#include <simgrid/s4u.hpp>

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <limits>
#include <string>
#include <vector>

namespace sg4 = simgrid::s4u;

namespace {

using TimeNs = std::int64_t;
constexpr TimeNs TIME_NEVER = std::numeric_limits<TimeNs>::max();
constexpr std::uint32_t NO_TASK = std::numeric_limits<std::uint32_t>::max();

// ---- The workload: Case1, B=256 sequences x 64 KV blocks, chains of four kernels.
constexpr std::uint32_t SEQUENCES = 256;
constexpr std::uint32_t KV_BLOCKS = 64;
constexpr std::uint32_t CHAIN_LENGTH = 4;
constexpr std::uint32_t KERNEL_TASKS = SEQUENCES * KV_BLOCKS * CHAIN_LENGTH;  // 65,536
constexpr std::uint32_t ALLOC_TASKS = SEQUENCES;                              // one per sequence

enum class CoreKind : std::uint8_t { aic, aiv };

struct Kernel {
  const char* name;
  CoreKind core;
  TimeNs min_duration_ns;
  TimeNs max_duration_ns;
};

// Position p of a chain runs CHAIN_KERNELS[p]; durations are Case1's ranges.
constexpr std::array<Kernel, CHAIN_LENGTH> CHAIN_KERNELS{{
    {"qk", CoreKind::aic, 2500, 3500},
    {"sf", CoreKind::aiv, 1500, 2500},
    {"pv", CoreKind::aic, 2500, 3500},
    {"up", CoreKind::aiv, 1000, 2000},
}};

// ---- The chip: 24 clusters, cluster c owned by scheduler thread c % 3.
constexpr int CLUSTERS = 24;
constexpr int SCHEDULER_THREADS = 3;

// ---- Costs (ptosim's defaults). The orchestrator's 550 ns per submit is ptosim's Case1 average
// (submit 400 ns plus TensorMap lookups and inserts, edges and scope costs).
constexpr TimeNs SUBMIT_NS = 550;
constexpr TimeNs ALLOC_TENSORS_NS = 300;
constexpr TimeNs REGISTER_VISIBLE_NS = 140;  // AICPU store -> core sees the task
constexpr TimeNs START_LATENCY_NS = 349;     // task seen -> kernel starts
constexpr TimeNs FIN_VISIBLE_NS = 600;       // kernel ends -> a COND poll sees FIN
constexpr TimeNs POLL_PER_RUNNING_CORE_NS = 100;
constexpr TimeNs COMPLETE_NS = 300;
constexpr TimeNs RELEASE_CONSUMER_NS = 200;
constexpr TimeNs DISPATCH_NS = 400;
constexpr TimeNs DEFERRED_RELEASE_NS = 100;
constexpr std::size_t DEFERRED_RELEASE_CAP = 256;
// ptosim's idle iteration (100..130 ns) only turns an idle stretch into an iteration count for
// its detectors; without detectors the idle wait is the same passive wait, so it is not needed.

// A scheduler thread that loops this often at one instant has a bug; stop rather than hang.
constexpr std::uint64_t MAX_ITERATIONS_PER_INSTANT = 100'000;

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "ptosim_bare_case1: %s\n", what);
  std::abort();
}

void require(bool condition, const char* what) {
  if (!condition) fail(what);
}

// splitmix64: a small integer hash, enough to spread kernel durations deterministically.
std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// A value in [min, max], keyed by (seed, purpose, subject): independent of the order of draws.
TimeNs keyed_ns(std::uint64_t seed, std::uint64_t purpose, std::uint64_t subject, TimeNs min_ns, TimeNs max_ns) {
  const std::uint64_t span = static_cast<std::uint64_t>(max_ns - min_ns) + 1;
  return min_ns + static_cast<TimeNs>(splitmix64(splitmix64(seed ^ purpose) ^ subject) % span);
}

constexpr std::uint64_t PURPOSE_DURATION = 1;
constexpr std::uint64_t PURPOSE_WAKE = 2;

// SimGrid's clock counts nanoseconds (one SimGrid "second" is one ns), as in ptosim: every date
// is a whole number, exact in a double.
TimeNs now() { return static_cast<TimeNs>(sg4::Engine::get_clock() + 0.5); }

// The program's own tally of the SimGrid calls that suspend an actor, by the actor's role: the
// blocking-call counter (blocking_calls.cpp) must report the same totals, and the split shows
// where they come from. Every such call of this program goes through the three functions below.
enum class Role : std::uint8_t { orchestrator, scheduler, core };
enum class Call : std::uint8_t { sleep_until, acquire, acquire_timeout };
constexpr std::array<const char*, 3> CALL_NAMES{"this_actor::sleep_until", "Semaphore::acquire",
                                                "Semaphore::acquire_timeout"};
std::array<std::array<std::uint64_t, 3>, 3> g_blocking_calls{};  // [call][role]

void tally(Call call, Role role) { ++g_blocking_calls[static_cast<int>(call)][static_cast<int>(role)]; }

// Sleeps only when time must pass (ptosim's simcore::sleep_until does the same).
void sleep_until(TimeNs time_ns, Role role) {
  if (time_ns <= now()) return;
  tally(Call::sleep_until, role);
  sg4::this_actor::sleep_until(static_cast<double>(time_ns));
}

void acquire(sg4::Semaphore& semaphore, Role role) {
  tally(Call::acquire, role);
  semaphore.acquire();
}

void acquire_until(sg4::Semaphore& semaphore, TimeNs deadline_ns, Role role) {
  if (deadline_ns <= now()) return;
  tally(Call::acquire_timeout, role);
  semaphore.acquire_timeout(static_cast<double>(deadline_ns - now()));
}

const Kernel& kernel_of(std::uint32_t task) { return CHAIN_KERNELS[task % CHAIN_LENGTH]; }

class SchedulerThread;

// What every actor shares. SimGrid runs one actor at a time on one OS thread, so plain data is
// safe; it changes only between blocking calls.
struct Run {
  std::uint64_t seed = 1;
  enum class TaskState : std::uint8_t { unsubmitted, waiting, ready, done };
  std::vector<TaskState> tasks = std::vector<TaskState>(KERNEL_TASKS, TaskState::unsubmitted);
  std::array<std::deque<std::uint32_t>, 2> ready_queues;  // by CoreKind
  std::vector<SchedulerThread*> threads;
  std::uint32_t completed_kernel_tasks = 0;
  std::uint32_t completed_alloc_tasks = 0;
  bool orchestration_done = false;

  bool all_done() const { return orchestration_done && completed_kernel_tasks == KERNEL_TASKS; }
  std::deque<std::uint32_t>& ready_queue(CoreKind kind) { return ready_queues[static_cast<int>(kind)]; }
  void make_ready(std::uint32_t task);
  void wake_one_for(CoreKind kind, std::uint32_t task);
  void wake_all();
};

Run g_run;

// An AI core: waits for a task on its doorbell, runs the kernel to its end, posts FIN.
class Core {
 public:
  Core(CoreKind kind, SchedulerThread& owner) : kind_(kind), owner_(owner) {}

  CoreKind kind() const { return kind_; }
  bool busy() const { return task_ != NO_TASK; }

  // The scheduler picks the core for a task during its iteration ...
  void reserve(std::uint32_t task) {
    require(!busy(), "a task was given to a busy core");
    task_ = task;
    fin_posted_ = false;
  }

  // ... and stores the task at `store_ns`, the end of the iteration; the core starts after the
  // register becomes visible and the start latency.
  void write_task(TimeNs store_ns) {
    require(busy() && !fin_posted_, "a task was written to a core that was not reserved for it");
    const std::uint32_t task = task_;
    const Kernel& kernel = kernel_of(task);
    const TimeNs start_ns = store_ns + REGISTER_VISIBLE_NS + START_LATENCY_NS;
    finish_ns_ = start_ns + keyed_ns(g_run.seed, PURPOSE_DURATION, task, kernel.min_duration_ns, kernel.max_duration_ns);
    doorbell_->release();
  }

  // When a COND poll sees this core's FIN (known as soon as the task is written).
  TimeNs fin_visible_ns() const { return finish_ns_ + FIN_VISIBLE_NS; }
  bool fin_seen_at(TimeNs time_ns) const { return busy() && fin_posted_ && fin_visible_ns() <= time_ns; }

  // The scheduler took the FIN: the core is free for the next task.
  std::uint32_t take_finished() {
    const std::uint32_t task = task_;
    task_ = NO_TASK;
    return task;
  }

  void run();

 private:
  CoreKind kind_;
  SchedulerThread& owner_;
  sg4::SemaphorePtr doorbell_ = sg4::Semaphore::create(0);
  std::uint32_t task_ = NO_TASK;
  TimeNs finish_ns_ = 0;
  bool fin_posted_ = false;
};

// One AICPU scheduler thread and the cores of its clusters; the loop is ptosim's.
class SchedulerThread {
 public:
  explicit SchedulerThread(int index) : index_(index) {}

  void own(Core& core) { cores_.push_back(&core); }

  void run() {
    TimeNs last_ns = -1;
    std::uint64_t same_instant = 0;
    while (true) {
      const TimeNs now_ns = now();
      same_instant = now_ns == last_ns ? same_instant + 1 : 0;
      last_ns = now_ns;
      require(same_instant <= MAX_ITERATIONS_PER_INSTANT, "a scheduler thread looped without time passing");
      if (running_cores_ == 0 && g_run.all_done()) {
        drain_deferred();
        return;
      }
      if (now_ns < busy_until_ns_) {
        rest();
      } else if (!iterate()) {
        idle();
      }
    }
  }

  // An idle thread that has a free core of this kind can take a ready task of it.
  bool can_take(CoreKind kind) const { return waiting_ && has_free_core(kind); }

  void wake() {
    if (!waiting_) return;
    waiting_ = false;  // woken once: further ready tasks go to other idle threads
    if (wake_->get_capacity() == 0) wake_->release();
  }

  // A core posted FIN. A waiting thread normally sleeps until it becomes visible already.
  void on_fin_posted(TimeNs visible_ns) {
    if (visible_ns < wait_deadline_ns_) wake();
  }

 private:
  // One loop iteration with its effects at its start: poll the running cores, complete the
  // finished tasks, dispatch ready tasks to free cores. True when it made progress; the thread is
  // then busy for the iteration's cost, and the cores see their tasks at its end.
  bool iterate() {
    const TimeNs now_ns = now();
    TimeNs cost_ns = running_cores_ * POLL_PER_RUNNING_CORE_NS;
    bool progress = false;
    for (Core* core : cores_) {
      if (!core->fin_seen_at(now_ns)) continue;
      --running_cores_;
      progress = true;
      cost_ns += complete(core->take_finished());
    }
    // AIC and AIV alternate first with the thread's parity, as in ptosim.
    const CoreKind first = index_ % 2 == 0 ? CoreKind::aic : CoreKind::aiv;
    const CoreKind second = index_ % 2 == 0 ? CoreKind::aiv : CoreKind::aic;
    dispatched_.clear();
    for (CoreKind kind : {first, second}) {
      std::deque<std::uint32_t>& queue = g_run.ready_queue(kind);
      while (!queue.empty()) {
        Core* core = free_core(kind);
        if (core == nullptr) break;
        require(g_run.tasks[queue.front()] == Run::TaskState::ready, "a task was dispatched before it was ready");
        core->reserve(queue.front());
        dispatched_.push_back(core);
        queue.pop_front();
        ++running_cores_;
        cost_ns += DISPATCH_NS;
        progress = true;
      }
    }
    if (!progress) return false;
    busy_until_ns_ = now_ns + cost_ns;
    for (Core* core : dispatched_) core->write_task(busy_until_ns_);
    return true;
  }

  // Busy with the last iteration's work until busy_until_ns_. With work waiting or releases
  // deferred, resume then; otherwise idle from now on (one wake-up instead of two).
  void rest() {
    if (has_work() || !deferred_.empty()) {
      sleep_until(busy_until_ns_, Role::scheduler);
      return;
    }
    wait_for_work(earliest_pending_fin());
  }

  // An iteration without progress: drain the deferred releases (costing time), or wait.
  void idle() {
    if (!deferred_.empty()) {
      busy_until_ns_ = now() + static_cast<TimeNs>(drain_deferred()) * DEFERRED_RELEASE_NS;
      return;
    }
    if (!has_work() && !(running_cores_ == 0 && g_run.all_done())) wait_for_work(earliest_pending_fin());
  }

  // on_task_complete: the chain successor, if submitted, becomes ready (the fanout walk);
  // on_task_release waits in the deferred array until an idle iteration or the array is full.
  TimeNs complete(std::uint32_t task) {
    require(g_run.tasks[task] == Run::TaskState::ready, "a task completed twice");
    g_run.tasks[task] = Run::TaskState::done;
    ++g_run.completed_kernel_tasks;
    TimeNs cost_ns = COMPLETE_NS;
    const bool has_successor = task % CHAIN_LENGTH + 1 < CHAIN_LENGTH;
    if (has_successor && g_run.tasks[task + 1] == Run::TaskState::waiting) {
      g_run.make_ready(task + 1);
      cost_ns += RELEASE_CONSUMER_NS;
    }
    deferred_.push_back(task);
    if (deferred_.size() >= DEFERRED_RELEASE_CAP) cost_ns += static_cast<TimeNs>(drain_deferred()) * DEFERRED_RELEASE_NS;
    if (g_run.all_done()) g_run.wake_all();
    return cost_ns;
  }

  std::size_t drain_deferred() {
    const std::size_t count = deferred_.size();
    deferred_.clear();  // nothing to release: no rings, no pins
    return count;
  }

  // Idle iterations until a FIN becomes visible or a ready task is routed here: not simulated
  // one by one, a passive wait on the wake semaphore with the FIN as timeout.
  void wait_for_work(TimeNs fin_ns) {
    waiting_ = true;
    wait_deadline_ns_ = fin_ns;
    if (fin_ns == TIME_NEVER) {
      acquire(*wake_, Role::scheduler);
    } else {
      acquire_until(*wake_, fin_ns, Role::scheduler);
    }
    waiting_ = false;
  }

  bool has_work() const {
    const TimeNs now_ns = now();
    for (const Core* core : cores_) {
      if (core->fin_seen_at(now_ns)) return true;
    }
    for (CoreKind kind : {CoreKind::aic, CoreKind::aiv}) {
      if (!g_run.ready_queue(kind).empty() && has_free_core(kind)) return true;
    }
    return false;
  }

  // The earliest FIN visible after now; a FIN due now that its core has not posted yet (it runs
  // later at this instant) comes through on_fin_posted instead.
  TimeNs earliest_pending_fin() const {
    TimeNs earliest = TIME_NEVER;
    for (const Core* core : cores_) {
      if (core->busy() && core->fin_visible_ns() < earliest) earliest = core->fin_visible_ns();
    }
    return earliest <= now() ? TIME_NEVER : earliest;
  }

  Core* free_core(CoreKind kind) const {
    for (Core* core : cores_) {
      if (!core->busy() && core->kind() == kind) return core;
    }
    return nullptr;
  }
  bool has_free_core(CoreKind kind) const { return free_core(kind) != nullptr; }

  int index_;
  std::vector<Core*> cores_;
  std::vector<Core*> dispatched_;  // cores given a task in the current iteration
  std::vector<std::uint32_t> deferred_;
  std::int64_t running_cores_ = 0;  // a count; signed, as it multiplies a cost in ns
  TimeNs busy_until_ns_ = 0;
  TimeNs wait_deadline_ns_ = TIME_NEVER;
  bool waiting_ = false;
  sg4::SemaphorePtr wake_ = sg4::Semaphore::create(0);
};

void Core::run() {
  while (true) {
    acquire(*doorbell_, Role::core);
    // Nothing observes the core between the kernel's start and its end: sleep straight to the end.
    sleep_until(finish_ns_, Role::core);
    fin_posted_ = true;
    owner_.on_fin_posted(fin_visible_ns());
  }
}

void Run::make_ready(std::uint32_t task) {
  require(tasks[task] == TaskState::unsubmitted || tasks[task] == TaskState::waiting, "a task was made ready twice");
  tasks[task] = TaskState::ready;
  const CoreKind kind = kernel_of(task).core;
  ready_queue(kind).push_back(task);
  wake_one_for(kind, task);
}

// Wakes one idle thread that can take the task (which one: a hash of the task, as ptosim keys
// its decision by the task); busy threads see the queue at their next iteration.
void Run::wake_one_for(CoreKind kind, std::uint32_t task) {
  std::array<SchedulerThread*, SCHEDULER_THREADS> eligible{};
  std::size_t count = 0;
  for (SchedulerThread* thread : threads) {
    if (thread->can_take(kind)) eligible[count++] = thread;
  }
  if (count == 0) return;
  eligible[splitmix64(seed ^ (PURPOSE_WAKE << 32) ^ task) % count]->wake();
}

void Run::wake_all() {
  for (SchedulerThread* thread : threads) thread->wake();
}

// The orchestrator: per sequence an alloc task (a submit without a kernel, completed inline),
// then 64 chains of four submits. Each submit sleeps its cost, then publishes the task.
void orchestrate() {
  for (std::uint32_t sequence = 0; sequence < SEQUENCES; ++sequence) {
    sleep_until(now() + ALLOC_TENSORS_NS, Role::orchestrator);
    ++g_run.completed_alloc_tasks;
    for (std::uint32_t block = 0; block < KV_BLOCKS; ++block) {
      for (std::uint32_t position = 0; position < CHAIN_LENGTH; ++position) {
        const std::uint32_t task = (sequence * KV_BLOCKS + block) * CHAIN_LENGTH + position;
        sleep_until(now() + SUBMIT_NS, Role::orchestrator);
        const bool predecessor_done = position == 0 || g_run.tasks[task - 1] == Run::TaskState::done;
        if (predecessor_done) {
          g_run.make_ready(task);
        } else {
          g_run.tasks[task] = Run::TaskState::waiting;  // its predecessor's completion readies it
        }
      }
    }
  }
  g_run.orchestration_done = true;
  g_run.wake_all();
}

std::uint64_t parse_seed(int argc, char** argv) {
  if (argc == 1) return 1;
  if (argc == 3 && std::string(argv[1]) == "--seed") {
    char* end = nullptr;
    const unsigned long long seed = std::strtoull(argv[2], &end, 10);
    if (end != argv[2] && *end == '\0') return seed;
  }
  std::fprintf(stderr, "usage: %s [--seed N]\n", argv[0]);
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  g_run.seed = parse_seed(argc, argv);

  // SimGrid's options as ptosim sets them (simcore/sim_engine.cpp): logging silenced, 64 KiB
  // actor stacks without a guard page, and a precision far below one time unit (one ns).
  static char arg0[] = "ptosim_bare_case1";
  static char arg1[] = "--log=root.thresh:critical";
  static char arg2[] = "--log=root.app:file:/dev/null";
  static char arg3[] = "--cfg=contexts/stack-size:64";
  static char arg4[] = "--cfg=contexts/guard-size:0";
  static char arg5[] = "--cfg=surf/precision:1e-12";
  static char* engine_argv[] = {arg0, arg1, arg2, arg3, arg4, arg5, nullptr};
  int engine_argc = 6;
  sg4::Engine engine(&engine_argc, engine_argv);

  // One host per thread and per core, named as ptosim names them.
  sg4::NetZone* zone = sg4::create_full_zone("npu");
  auto host = [zone](const std::string& name) {
    sg4::Host* created = zone->create_host(name, 1e9);
    created->seal();
    return created;
  };
  sg4::Host* orchestrator_host = host("aicpu.orchestrator");
  std::vector<sg4::Host*> scheduler_hosts;
  for (int t = 0; t < SCHEDULER_THREADS; ++t) scheduler_hosts.push_back(host("aicpu.sched" + std::to_string(t)));
  std::vector<SchedulerThread> threads;
  threads.reserve(SCHEDULER_THREADS);
  for (int t = 0; t < SCHEDULER_THREADS; ++t) threads.emplace_back(t);
  for (SchedulerThread& thread : threads) g_run.threads.push_back(&thread);
  std::vector<Core> cores;
  std::vector<sg4::Host*> core_hosts;
  cores.reserve(CLUSTERS * 3);
  for (int cluster = 0; cluster < CLUSTERS; ++cluster) {
    SchedulerThread& owner = threads[static_cast<std::size_t>(cluster % SCHEDULER_THREADS)];
    const std::string prefix = "c" + std::to_string(cluster);
    for (const char* slot : {".aic", ".aiv0", ".aiv1"}) {
      cores.emplace_back(slot[3] == 'c' ? CoreKind::aic : CoreKind::aiv, owner);
      owner.own(cores.back());
      core_hosts.push_back(host(prefix + slot));
    }
  }
  zone->seal();

  // Actors in ptosim's order: scheduler threads, the orchestrator, then the cores as daemons
  // (they wait forever once the work is done; the run ends when the others have returned).
  for (int t = 0; t < SCHEDULER_THREADS; ++t) {
    SchedulerThread* thread = &threads[static_cast<std::size_t>(t)];
    sg4::Actor::create("sched" + std::to_string(t), scheduler_hosts[static_cast<std::size_t>(t)], [thread] { thread->run(); });
  }
  sg4::Actor::create("orchestrator", orchestrator_host, orchestrate);
  for (std::size_t c = 0; c < cores.size(); ++c) {
    Core* core = &cores[c];
    sg4::Actor::create(core_hosts[c]->get_name(), core_hosts[c], [core] { core->run(); })->daemonize();
  }

  engine.run();

  require(g_run.completed_kernel_tasks == KERNEL_TASKS, "not every kernel task completed");
  require(g_run.completed_alloc_tasks == ALLOC_TASKS, "not every alloc task completed");
  std::printf("seed %llu\n", static_cast<unsigned long long>(g_run.seed));
  std::printf("tasks %u (%u kernel tasks in chains of %u, %u alloc submits without a kernel)\n",
              KERNEL_TASKS + ALLOC_TASKS, KERNEL_TASKS, CHAIN_LENGTH, ALLOC_TASKS);
  std::printf("sim_time_ns %lld\n", static_cast<long long>(now()));
  std::uint64_t total = 0;
  for (std::size_t call = 0; call < CALL_NAMES.size(); ++call) {
    const auto& by_role = g_blocking_calls[call];
    const std::uint64_t sum = by_role[0] + by_role[1] + by_role[2];
    std::printf("blocking_calls %llu %s (orchestrator %llu, scheduler threads %llu, cores %llu)\n",
                static_cast<unsigned long long>(sum), CALL_NAMES[call], static_cast<unsigned long long>(by_role[0]),
                static_cast<unsigned long long>(by_role[1]), static_cast<unsigned long long>(by_role[2]));
    total += sum;
  }
  std::printf("blocking_calls %llu total\n", static_cast<unsigned long long>(total));
  return 0;
}
