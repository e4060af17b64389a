// The happens-before race detector. Happens-before comes from the timing-free task graph
// (runtime/task_graph.h): task a happens before task b when a chain of WAIT edges leads from a to
// b, never from the order in which one run happened to execute them. Two accesses by tasks the
// graph leaves unordered, to intersecting element sets of one logical buffer, at least one a
// write, are a race (RAW, WAR or WAW). A race is a property of the program, so it is reported on
// every seed, including those whose timing hid the damage.
//
// Accesses are a task's declared arguments: INPUT and NO_DEP read, OUTPUT and OUTPUT_EXISTING
// write, INOUT reads then writes; a gather's or scatter's selected rows narrow the element set.
//
// It does not compare all pairs. Submission order is a topological order (every edge names an
// earlier task), so tasks are visited in ordinal order, and each logical buffer keeps, per element
// range, its last writer and the readers since that write (the shadow state of FastTrack-style
// detectors). A read is checked against the last writer; a write against those readers and the
// last writer. When the last writer is ordered before a task, so is everything it was ordered
// after; an earlier unordered writer was already reported against the later one. Each racy
// element range is therefore reported at least once, not every pair.
//
// Reachability: the detector only ever asks whether an earlier task is an ancestor of the task it
// visits. A direct edge answers most queries. Otherwise the task gets a bitset of its ancestors
// among the REACH_WINDOW tasks submitted just before it (one shifted OR per edge, computed when a
// query first needs it, for the tasks since the last one computed and at most a window back),
// and only the last REACH_WINDOW bitsets are kept (128 KiB, whatever the program's size). A query
// across a longer distance walks the graph backwards from the later task, pruning tasks
// submitted before the earlier one and answering from a bitset as soon as the distance fits the
// window and the bitset is still kept.
//
// State is kept only where a race can be: a buffer that no task writes, or that one task touches
// alone, has no shadow, and a buffer's shadow is dropped after the last task that touches it.
#pragma once

#include "runtime/program.h"
#include "runtime/task_graph.h"
#include "simcore/outcome.h"

#include <cstdint>
#include <vector>

namespace ptosim::replay {

inline constexpr std::uint32_t REACH_WINDOW = 1024;
inline constexpr std::size_t MAX_RACE_FINDINGS = 64;  // findings listed; the rest are counted

struct RaceReport {
  std::vector<simcore::Finding> findings;  // at most MAX_RACE_FINDINGS
  std::uint64_t races = 0;                 // distinct racy access pairs, listed or not
  std::uint64_t reachability_queries = 0;
  std::uint64_t graph_walk_steps = 0;      // nodes visited by queries beyond the window
};

RaceReport find_races(const runtime::Program& program, const runtime::TaskGraph& graph);

// Happens-before over a task graph, for the detector and for tests. Queries come with `later`
// never decreasing (the detector asks about the task it visits, in ordinal order).
class HappensBefore {
 public:
  explicit HappensBefore(const runtime::TaskGraph& graph);
  // Whether a chain of WAIT edges leads from `earlier` to `later` (false unless earlier < later).
  bool ordered(std::uint32_t earlier, std::uint32_t later);
  std::uint64_t walk_steps() const { return walk_steps_; }

 private:
  static constexpr std::uint32_t WORDS = REACH_WINDOW / 64;
  // Computes the window bitsets up to `task`, starting REACH_WINDOW tasks before it at most.
  void compute_rows(std::uint32_t task);
  const std::uint64_t* row(std::uint32_t task) const { return &window_[static_cast<std::size_t>(task % REACH_WINDOW) * WORDS]; }
  bool window_bit(std::uint32_t task, std::uint32_t ancestor) const;
  // Whether the bitset of `task` is kept and answers for `ancestor`.
  bool row_answers(std::uint32_t task, std::uint32_t ancestor) const;

  const runtime::TaskGraph& graph_;
  // REACH_WINDOW rows of WORDS: bit d-1 of a row = the task d before it. A row is exact for the
  // ancestors from its batch's first task on: rows are computed in batches of consecutive tasks
  // when a query needs one, a batch starting at most REACH_WINDOW tasks before its last.
  std::vector<std::uint64_t> window_;
  std::vector<std::uint32_t> row_task_;        // per row: its task
  std::vector<std::uint32_t> row_valid_from_;  // per row: its batch's first task
  std::uint32_t computed_ = 0;                 // rows are computed below this task
  std::uint32_t batch_start_ = 0;
  std::vector<std::uint32_t> visited_;  // epoch stamps of the backward walk (sized on the first walk)
  std::uint32_t epoch_ = 0;
  std::vector<std::uint32_t> stack_;
  std::uint64_t walk_steps_ = 0;
};

}  // namespace ptosim::replay
