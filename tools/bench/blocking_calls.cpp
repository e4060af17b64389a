// Counts the SimGrid calls that suspend an actor, for any program linked against SimGrid 3.32.
//
// Load it with LD_PRELOAD (tools/bench/bare_vs_ptosim.sh does); at exit a process that uses
// SimGrid writes one line per function that was called ("<count> <function>") and a total to the
// file named by PTOSIM_BLOCKING_CALLS_OUT (overwritten), or to stderr when that is unset. A
// process that leaves by _exit (a forked run child of ptosim) writes nothing. With
// PTOSIM_BLOCKING_CALLS_BY_ACTOR=1 it also splits each count by actor ("<count> <function> @
// <actor>", each run of digits in an actor's name replaced by '#': "sched#" stands for every
// scheduler thread).
//
// What counts as blocking: every s4u entry point whose purpose is to suspend the calling actor
// until time passes or another actor acts: sleeps, semaphore acquisitions, activity, mailbox and
// condition waits, mutex locks, barriers, joins, executions and this_actor::yield (it hands the
// actor back to SimGrid's maestro until the others that are ready have run; neither ptosim nor the
// bare program calls it, it is counted so that a program using it cannot hide switches).
// Calls that only ask SimGrid something (Semaphore::release, Actor::create, ...) also pass
// through the maestro, but they do not wait for anything and are not counted.
//
// Counted once: a call is counted when the program makes it, not when SimGrid makes it on its own
// behalf while serving one (sleep_until calls sleep_for, Mailbox::put waits on its Comm). Two
// facts decide, and a call counts when either says "the program":
//   - the wrapper's return address lies outside libsimgrid and outside this library (libsimgrid
//     reaches sleep_for from sleep_until by a tail jump, so that nested call returns straight into
//     this library's sleep_until wrapper);
//   - the calling actor is not already inside a counted call. This catches a program's call that
//     returns into libsimgrid all the same: an actor's body whose last statement is a blocking
//     call may be compiled as a tail jump, and its return address is then SimGrid's actor start.
// "Inside a counted call" is kept per actor (by pid, never reused in a process), not per thread:
// SimGrid actors are coroutines on one OS thread, and an actor that blocks inside a wrapper lets
// the others run their own wrappers. A killed actor leaves its wrapper by SimGrid's unwinding
// exception, which clears its mark. The wrappers must not reach SimGrid by tail jumps themselves
// (their guard's destructor runs after the call; CMake also passes -fno-optimize-sibling-calls).

#include <dlfcn.h>
#include <link.h>
#include <sys/types.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace {

// The interposed functions, by mangled name (`nm -D libsimgrid.so.3.32`), with readable names.
// The order of this table is the order of the report.
struct Counted {
  const char* symbol;
  const char* name;
};

constexpr std::array COUNTED{
    Counted{"_ZN7simgrid3s4u10this_actor9sleep_forEd", "this_actor::sleep_for"},
    Counted{"_ZN7simgrid3s4u10this_actor11sleep_untilEd", "this_actor::sleep_until"},
    Counted{"_ZN7simgrid3s4u10this_actor5yieldEv", "this_actor::yield"},
    Counted{"_ZN7simgrid3s4u10this_actor7suspendEv", "this_actor::suspend"},
    Counted{"_ZN7simgrid3s4u10this_actor7executeEd", "this_actor::execute(flops)"},
    Counted{"_ZN7simgrid3s4u10this_actor7executeEdd", "this_actor::execute(flops, priority)"},
    Counted{"_ZN7simgrid3s4u10this_actor14thread_executeEPNS0_4HostEdi", "this_actor::thread_execute"},
    Counted{"_ZN7simgrid3s4u10this_actor16parallel_executeERKSt6vectorIPNS0_4HostESaIS4_EERKS2_IdSaIdEESC_",
            "this_actor::parallel_execute"},
    Counted{"_ZN7simgrid3s4u9Semaphore7acquireEv", "Semaphore::acquire"},
    Counted{"_ZN7simgrid3s4u9Semaphore15acquire_timeoutEd", "Semaphore::acquire_timeout"},
    Counted{"_ZN7simgrid3s4u8Activity8wait_forEd", "Activity::wait_for (also wait())"},
    Counted{"_ZN7simgrid3s4u8Activity10wait_untilEd", "Activity::wait_until"},
    Counted{"_ZN7simgrid3s4u8Activity12wait_any_forERKSt6vectorIN5boost13intrusive_ptrIS1_EESaIS5_EEd",
            "Activity::wait_any_for"},
    Counted{"_ZN7simgrid3s4u4Comm8wait_forEd", "Comm::wait_for (also wait(), Mailbox::get)"},
    Counted{"_ZN7simgrid3s4u4Comm8wait_allERKSt6vectorIN5boost13intrusive_ptrIS1_EESaIS5_EE", "Comm::wait_all"},
    Counted{"_ZN7simgrid3s4u4Comm12wait_all_forERKSt6vectorIN5boost13intrusive_ptrIS1_EESaIS5_EEd",
            "Comm::wait_all_for"},
    Counted{"_ZN7simgrid3s4u4Comm12wait_any_forERKSt6vectorIN5boost13intrusive_ptrIS1_EESaIS5_EEd",
            "Comm::wait_any_for"},
    Counted{"_ZN7simgrid3s4u4Exec12wait_any_forERKSt6vectorIN5boost13intrusive_ptrIS1_EESaIS5_EEd",
            "Exec::wait_any_for"},
    Counted{"_ZN7simgrid3s4u2Io12wait_any_forERKSt6vectorIN5boost13intrusive_ptrIS1_EESaIS5_EEd", "Io::wait_any_for"},
    Counted{"_ZN7simgrid3s4u7Mailbox3putEPvm", "Mailbox::put"},
    Counted{"_ZN7simgrid3s4u7Mailbox3putEPvmd", "Mailbox::put(timeout)"},
    Counted{"_ZN7simgrid3s4u17ConditionVariable4waitEN5boost13intrusive_ptrINS0_5MutexEEE",
            "ConditionVariable::wait(MutexPtr)"},
    Counted{"_ZN7simgrid3s4u17ConditionVariable4waitERKSt11unique_lockINS0_5MutexEE", "ConditionVariable::wait"},
    Counted{"_ZN7simgrid3s4u17ConditionVariable8wait_forERKSt11unique_lockINS0_5MutexEEd",
            "ConditionVariable::wait_for"},
    Counted{"_ZN7simgrid3s4u17ConditionVariable10wait_untilERKSt11unique_lockINS0_5MutexEEd",
            "ConditionVariable::wait_until"},
    Counted{"_ZN7simgrid3s4u5Mutex4lockEv", "Mutex::lock"},
    Counted{"_ZN7simgrid3s4u7Barrier4waitEv", "Barrier::wait"},
    Counted{"_ZNK7simgrid3s4u5Actor4joinEv", "Actor::join"},
    Counted{"_ZNK7simgrid3s4u5Actor4joinEd", "Actor::join(timeout)"},
};

// Indices into COUNTED, in the same order.
enum Index : std::size_t {
  SLEEP_FOR,
  SLEEP_UNTIL,
  YIELD,
  SUSPEND,
  EXECUTE,
  EXECUTE_PRIORITY,
  THREAD_EXECUTE,
  PARALLEL_EXECUTE,
  SEMAPHORE_ACQUIRE,
  SEMAPHORE_ACQUIRE_TIMEOUT,
  ACTIVITY_WAIT_FOR,
  ACTIVITY_WAIT_UNTIL,
  ACTIVITY_WAIT_ANY_FOR,
  COMM_WAIT_FOR,
  COMM_WAIT_ALL,
  COMM_WAIT_ALL_FOR,
  COMM_WAIT_ANY_FOR,
  EXEC_WAIT_ANY_FOR,
  IO_WAIT_ANY_FOR,
  MAILBOX_PUT,
  MAILBOX_PUT_TIMEOUT,
  CONDITION_WAIT_MUTEX,
  CONDITION_WAIT,
  CONDITION_WAIT_FOR,
  CONDITION_WAIT_UNTIL,
  MUTEX_LOCK,
  BARRIER_WAIT,
  ACTOR_JOIN,
  ACTOR_JOIN_TIMEOUT,
  COUNTED_FUNCTIONS
};
static_assert(COUNTED_FUNCTIONS == COUNTED.size());

std::array<std::uint64_t, COUNTED_FUNCTIONS> g_counts{};
std::array<void*, COUNTED_FUNCTIONS> g_real{};

using PidFunction = long (*)();
PidFunction g_current_pid = nullptr;  // SimGrid's sg_actor_self_get_pid
using NameFunction = const char* (*)();
NameFunction g_current_name = nullptr;  // SimGrid's sg_actor_self_get_name; null: no split by actor

// What the wrappers keep besides the counts. Allocated by set_up and never freed: the report is
// written at exit, and a static object of this library could be destroyed before that (its
// destructor would be registered after set_up's atexit, so it would run first).
struct State {
  std::vector<bool> inside_counted_call;  // by actor pid
  std::map<std::pair<std::size_t, std::string>, std::uint64_t> counts_by_actor;  // (function, actor)
};
State* g_state = nullptr;

void count_by_actor(std::size_t index) {
  std::string actor;
  for (const char* c = g_current_name(); *c != '\0'; ++c) {
    const bool digit = *c >= '0' && *c <= '9';
    if (!digit) {
      actor += *c;
    } else if (actor.empty() || actor.back() != '#') {
      actor += '#';
    }
  }
  ++g_state->counts_by_actor[{index, actor}];
}

// Address ranges of the loaded segments of an object (libsimgrid, this library).
struct Segments {
  std::array<std::uintptr_t, 8> begin{};
  std::array<std::uintptr_t, 8> end{};
  std::size_t count = 0;

  bool contains(std::uintptr_t address) const {
    for (std::size_t i = 0; i < count; ++i) {
      if (address >= begin[i] && address < end[i]) return true;
    }
    return false;
  }
};

Segments g_simgrid;
Segments g_self;

[[noreturn]] void fail(const char* what, const char* detail) {
  std::fprintf(stderr, "ptosim_blocking_calls: %s%s\n", what, detail);
  std::abort();
}

// The executable segments of the object loaded at `base` (found by dladdr).
Segments segments_of(const void* address_inside) {
  Dl_info info{};
  if (dladdr(address_inside, &info) == 0 || info.dli_fbase == nullptr) fail("dladdr failed for ", "an object");
  struct Search {
    std::uintptr_t base;
    Segments found;
  } search{reinterpret_cast<std::uintptr_t>(info.dli_fbase), {}};
  dl_iterate_phdr(
      [](dl_phdr_info* object, std::size_t, void* data) {
        auto* wanted = static_cast<Search*>(data);
        if (object->dlpi_addr != wanted->base) return 0;
        for (ElfW(Half) i = 0; i < object->dlpi_phnum; ++i) {
          const ElfW(Phdr)& header = object->dlpi_phdr[i];
          if (header.p_type != PT_LOAD || (header.p_flags & PF_X) == 0) continue;
          if (wanted->found.count == wanted->found.begin.size()) break;
          wanted->found.begin[wanted->found.count] = object->dlpi_addr + header.p_vaddr;
          wanted->found.end[wanted->found.count] = object->dlpi_addr + header.p_vaddr + header.p_memsz;
          ++wanted->found.count;
        }
        return 1;
      },
      &search);
  if (search.found.count == 0) fail("no executable segment found for ", info.dli_fname);
  return search.found;
}

void write_report() {
  const char* path = std::getenv("PTOSIM_BLOCKING_CALLS_OUT");
  std::FILE* out = path != nullptr && *path != '\0' ? std::fopen(path, "w") : stderr;
  if (out == nullptr) out = stderr;
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < COUNTED_FUNCTIONS; ++i) {
    if (g_counts[i] == 0) continue;
    std::fprintf(out, "%llu %s\n", static_cast<unsigned long long>(g_counts[i]), COUNTED[i].name);
    total += g_counts[i];
  }
  std::fprintf(out, "%llu total\n", static_cast<unsigned long long>(total));
  for (const auto& [key, count] : g_state->counts_by_actor) {
    std::fprintf(out, "%llu %s @ %s\n", static_cast<unsigned long long>(count), COUNTED[key.first].name,
                 key.second.c_str());
  }
  if (out != stderr) std::fclose(out);
}

// Resolves every real function before the program runs, so that no wrapper resolves lazily
// while actors are switching. A process without SimGrid (the shell, /usr/bin/time, valgrind's
// launcher inherit LD_PRELOAD too) is left alone and writes no report.
__attribute__((constructor)) void set_up() {
  if (dlsym(RTLD_NEXT, COUNTED[0].symbol) == nullptr) return;
  for (std::size_t i = 0; i < COUNTED_FUNCTIONS; ++i) {
    g_real[i] = dlsym(RTLD_NEXT, COUNTED[i].symbol);
    if (g_real[i] == nullptr) fail("SimGrid 3.32 symbol not found: ", COUNTED[i].symbol);
  }
  g_current_pid = reinterpret_cast<PidFunction>(dlsym(RTLD_NEXT, "sg_actor_self_get_pid"));
  if (g_current_pid == nullptr) fail("SimGrid 3.32 symbol not found: ", "sg_actor_self_get_pid");
  const char* by_actor = std::getenv("PTOSIM_BLOCKING_CALLS_BY_ACTOR");
  if (by_actor != nullptr && std::string(by_actor) == "1") {
    g_current_name = reinterpret_cast<NameFunction>(dlsym(RTLD_NEXT, "sg_actor_self_get_name"));
    if (g_current_name == nullptr) fail("SimGrid 3.32 symbol not found: ", "sg_actor_self_get_name");
  }
  g_state = new State;
  g_simgrid = segments_of(g_real[SLEEP_FOR]);
  g_self = segments_of(reinterpret_cast<const void*>(&write_report));
  std::atexit(write_report);
}

// Counts the call a wrapper serves if the program made it, and marks the actor as inside it
// until the wrapper returns or is unwound.
class CountedCall {
 public:
  CountedCall(Index index, const void* caller) : pid_(static_cast<std::size_t>(g_current_pid())) {
    std::vector<bool>& inside_counted_call = g_state->inside_counted_call;
    if (pid_ >= inside_counted_call.size()) inside_counted_call.resize(pid_ + 1, false);
    const auto address = reinterpret_cast<std::uintptr_t>(caller);
    const bool called_by_program = !g_simgrid.contains(address) && !g_self.contains(address);
    const bool inside = inside_counted_call[pid_];
    if (!called_by_program && inside) return;  // SimGrid serving the actor's counted call
    ++g_counts[index];
    if (g_current_name != nullptr) count_by_actor(index);
    if (!inside) {
      inside_counted_call[pid_] = true;
      marks_ = true;
    }
  }
  ~CountedCall() {
    if (marks_) g_state->inside_counted_call[pid_] = false;
  }
  CountedCall(const CountedCall&) = delete;
  CountedCall& operator=(const CountedCall&) = delete;

 private:
  std::size_t pid_;
  bool marks_ = false;
};

template <typename Function>
Function real(Index index) {
  return reinterpret_cast<Function>(g_real[index]);
}

}  // namespace

// The wrappers: each counts (see CountedCall), then forwards to SimGrid with the same arguments. Member functions
// take the object as their first argument; arguments passed by reference or by non-trivial value
// (intrusive_ptr) are passed as pointers, which is what the ABI does.

extern "C" {

#define PTOSIM_WRAP(RET, SYMBOL, INDEX, PARAMS, ARGS)        \
  __attribute__((visibility("default"))) RET SYMBOL PARAMS { \
    const CountedCall call(INDEX, __builtin_return_address(0)); \
    return real<RET(*) PARAMS>(INDEX) ARGS;                  \
  }

PTOSIM_WRAP(void, _ZN7simgrid3s4u10this_actor9sleep_forEd, SLEEP_FOR, (double duration), (duration))
PTOSIM_WRAP(void, _ZN7simgrid3s4u10this_actor11sleep_untilEd, SLEEP_UNTIL, (double wakeup_time), (wakeup_time))
PTOSIM_WRAP(void, _ZN7simgrid3s4u10this_actor5yieldEv, YIELD, (), ())
PTOSIM_WRAP(void, _ZN7simgrid3s4u10this_actor7suspendEv, SUSPEND, (), ())
PTOSIM_WRAP(void, _ZN7simgrid3s4u10this_actor7executeEd, EXECUTE, (double flops), (flops))
PTOSIM_WRAP(void, _ZN7simgrid3s4u10this_actor7executeEdd, EXECUTE_PRIORITY, (double flops, double priority),
            (flops, priority))
PTOSIM_WRAP(void, _ZN7simgrid3s4u10this_actor14thread_executeEPNS0_4HostEdi, THREAD_EXECUTE,
            (void* host, double flops, int threads), (host, flops, threads))
PTOSIM_WRAP(void, _ZN7simgrid3s4u10this_actor16parallel_executeERKSt6vectorIPNS0_4HostESaIS4_EERKS2_IdSaIdEESC_,
            PARALLEL_EXECUTE, (const void* hosts, const void* flops, const void* bytes), (hosts, flops, bytes))
PTOSIM_WRAP(void, _ZN7simgrid3s4u9Semaphore7acquireEv, SEMAPHORE_ACQUIRE, (void* self), (self))
PTOSIM_WRAP(bool, _ZN7simgrid3s4u9Semaphore15acquire_timeoutEd, SEMAPHORE_ACQUIRE_TIMEOUT,
            (void* self, double timeout), (self, timeout))
PTOSIM_WRAP(void*, _ZN7simgrid3s4u8Activity8wait_forEd, ACTIVITY_WAIT_FOR, (void* self, double timeout),
            (self, timeout))
PTOSIM_WRAP(void, _ZN7simgrid3s4u8Activity10wait_untilEd, ACTIVITY_WAIT_UNTIL, (void* self, double time_limit),
            (self, time_limit))
PTOSIM_WRAP(ssize_t, _ZN7simgrid3s4u8Activity12wait_any_forERKSt6vectorIN5boost13intrusive_ptrIS1_EESaIS5_EEd,
            ACTIVITY_WAIT_ANY_FOR, (const void* activities, double timeout), (activities, timeout))
PTOSIM_WRAP(void*, _ZN7simgrid3s4u4Comm8wait_forEd, COMM_WAIT_FOR, (void* self, double timeout), (self, timeout))
PTOSIM_WRAP(void, _ZN7simgrid3s4u4Comm8wait_allERKSt6vectorIN5boost13intrusive_ptrIS1_EESaIS5_EE, COMM_WAIT_ALL,
            (const void* comms), (comms))
PTOSIM_WRAP(std::size_t, _ZN7simgrid3s4u4Comm12wait_all_forERKSt6vectorIN5boost13intrusive_ptrIS1_EESaIS5_EEd,
            COMM_WAIT_ALL_FOR, (const void* comms, double timeout), (comms, timeout))
PTOSIM_WRAP(ssize_t, _ZN7simgrid3s4u4Comm12wait_any_forERKSt6vectorIN5boost13intrusive_ptrIS1_EESaIS5_EEd,
            COMM_WAIT_ANY_FOR, (const void* comms, double timeout), (comms, timeout))
PTOSIM_WRAP(ssize_t, _ZN7simgrid3s4u4Exec12wait_any_forERKSt6vectorIN5boost13intrusive_ptrIS1_EESaIS5_EEd,
            EXEC_WAIT_ANY_FOR, (const void* execs, double timeout), (execs, timeout))
PTOSIM_WRAP(ssize_t, _ZN7simgrid3s4u2Io12wait_any_forERKSt6vectorIN5boost13intrusive_ptrIS1_EESaIS5_EEd,
            IO_WAIT_ANY_FOR, (const void* ios, double timeout), (ios, timeout))
PTOSIM_WRAP(void, _ZN7simgrid3s4u7Mailbox3putEPvm, MAILBOX_PUT, (void* self, void* payload, unsigned long size),
            (self, payload, size))
PTOSIM_WRAP(void, _ZN7simgrid3s4u7Mailbox3putEPvmd, MAILBOX_PUT_TIMEOUT,
            (void* self, void* payload, unsigned long size, double timeout), (self, payload, size, timeout))
PTOSIM_WRAP(void, _ZN7simgrid3s4u17ConditionVariable4waitEN5boost13intrusive_ptrINS0_5MutexEEE, CONDITION_WAIT_MUTEX,
            (void* self, void* mutex), (self, mutex))
PTOSIM_WRAP(void, _ZN7simgrid3s4u17ConditionVariable4waitERKSt11unique_lockINS0_5MutexEE, CONDITION_WAIT,
            (void* self, const void* lock), (self, lock))
PTOSIM_WRAP(int, _ZN7simgrid3s4u17ConditionVariable8wait_forERKSt11unique_lockINS0_5MutexEEd, CONDITION_WAIT_FOR,
            (void* self, const void* lock, double duration), (self, lock, duration))
PTOSIM_WRAP(int, _ZN7simgrid3s4u17ConditionVariable10wait_untilERKSt11unique_lockINS0_5MutexEEd, CONDITION_WAIT_UNTIL,
            (void* self, const void* lock, double timeout_time), (self, lock, timeout_time))
PTOSIM_WRAP(void, _ZN7simgrid3s4u5Mutex4lockEv, MUTEX_LOCK, (void* self), (self))
PTOSIM_WRAP(int, _ZN7simgrid3s4u7Barrier4waitEv, BARRIER_WAIT, (void* self), (self))
PTOSIM_WRAP(void, _ZNK7simgrid3s4u5Actor4joinEv, ACTOR_JOIN, (const void* self), (self))
PTOSIM_WRAP(void, _ZNK7simgrid3s4u5Actor4joinEd, ACTOR_JOIN_TIMEOUT, (const void* self, double timeout),
            (self, timeout))

}  // extern "C"
