// Which modelled thread held which host CPU when (a2a3sim), for the Chrome trace's "host CPUs"
// lanes. Recorded only when a trace is asked for (HostScheduler::record_lanes), and bounded.
//
// A stretch in which one thread held a CPU is one slice. The host scheduler skips whole rounds of
// spinning threads at once (simcore/host_scheduler.h); such a stretch is one round-robin slice
// whose members say each thread's iteration length and its on-CPU time within it (rounds x
// iteration), so every thread's on-CPU total over the lanes equals the scheduler's count.
#pragma once

#include "simcore/sim_time.h"

#include <cstdint>
#include <string>
#include <vector>

namespace ptosim::simcore {

// Entries kept per run before recording stops (the trace then says where it stopped): a slice
// counts one, and a round-robin one more per member.
inline constexpr std::size_t MAX_HOST_LANE_SLICES = 200'000;

struct HostRoundMember {
  int thread = -1;
  TimeNs iteration_ns = 0;  // its loop iteration: its turn in each round
  TimeNs on_cpu_ns = 0;     // rounds x iteration_ns
};

struct HostLaneSlice {
  int cpu = 0;
  TimeNs start_ns = 0;
  TimeNs end_ns = 0;
  int thread = -1;                       // the holder, for a single stretch
  std::uint64_t rounds = 0;              // a round-robin: whole rounds of its members, in order
  std::vector<HostRoundMember> members;  // empty for a single stretch
};

struct HostLanes {
  int cpus = 0;
  std::vector<std::string> thread_names;  // by host thread id
  std::vector<HostLaneSlice> slices;      // per CPU in time order
  bool truncated = false;
  TimeNs truncated_at_ns = 0;  // the first stretch not recorded began here
  std::size_t cap = MAX_HOST_LANE_SLICES;
  std::size_t recorded = 0;  // entries so far, against the cap
};

class HostLaneRecorder {
 public:
  HostLaneRecorder(int cpus, std::size_t cap);
  // `thread` holds `cpu` from `at_ns` on (-1: nobody).
  void hand_over(int cpu, int thread, TimeNs at_ns);
  // The CPU went round its spinning threads `rounds` times from `from_ns` to `to_ns`; the thread
  // that held it before goes on holding it afterwards.
  void round_robin(int cpu, TimeNs from_ns, TimeNs to_ns, std::uint64_t rounds, std::vector<HostRoundMember> members);
  // Closes every open stretch at `end_ns` and hands the lanes over.
  HostLanes finish(TimeNs end_ns, std::vector<std::string> thread_names);

 private:
  struct Open {
    int thread = -1;
    TimeNs start_ns = 0;
  };
  void close(int cpu, TimeNs at_ns);
  void add(HostLaneSlice slice);

  std::vector<Open> open_;
  HostLanes lanes_;
};

}  // namespace ptosim::simcore
