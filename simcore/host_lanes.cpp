#include "simcore/host_lanes.h"

#include "simcore/marks.h"

#include <utility>

namespace ptosim::simcore {

HostLaneRecorder::HostLaneRecorder(int cpus, std::size_t cap) : open_(static_cast<std::size_t>(cpus)) {
  lanes_.cpus = cpus;
  lanes_.cap = cap;
}

void HostLaneRecorder::hand_over(int cpu, int thread, TimeNs at_ns) {
  Open& open = open_[static_cast<std::size_t>(cpu)];
  if (open.thread == thread) return;  // the same holder goes on
  close(cpu, at_ns);
  open = Open{thread, at_ns};
}

void HostLaneRecorder::round_robin(int cpu, TimeNs from_ns, TimeNs to_ns, std::uint64_t rounds,
                                   std::vector<HostRoundMember> members) {
  const int holder = open_[static_cast<std::size_t>(cpu)].thread;
  close(cpu, from_ns);
  add(HostLaneSlice{cpu, from_ns, to_ns, -1, rounds, std::move(members)});
  open_[static_cast<std::size_t>(cpu)] = Open{holder, to_ns};
}

HostLanes HostLaneRecorder::finish(TimeNs end_ns, std::vector<std::string> thread_names) {
  for (std::size_t cpu = 0; cpu < open_.size(); ++cpu) close(static_cast<int>(cpu), end_ns);
  lanes_.thread_names = std::move(thread_names);
  return std::move(lanes_);
}

void HostLaneRecorder::close(int cpu, TimeNs at_ns) {
  Open& open = open_[static_cast<std::size_t>(cpu)];
  if (open.thread >= 0 && at_ns > open.start_ns) add(HostLaneSlice{cpu, open.start_ns, at_ns, open.thread, 0, {}});
  open = Open{-1, at_ns};
}

void HostLaneRecorder::add(HostLaneSlice slice) {
  if (lanes_.truncated) return;
  // A round-robin weighs one per member too, so its members cannot outgrow the cap either.
  const std::size_t weight = 1 + slice.members.size();
  if (lanes_.recorded + weight > lanes_.cap) {
    PTOSIM_MARK("host lane slice cap");
    lanes_.truncated = true;
    lanes_.truncated_at_ns = slice.start_ns;
    return;
  }
  lanes_.recorded += weight;
  lanes_.slices.push_back(std::move(slice));
}

}  // namespace ptosim::simcore
