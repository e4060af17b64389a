// A sweep's worker process: forked once, it runs ticket after ticket of a plan (a cell and a seed,
// replay/plan_context.h) in one SimGrid engine (simcore::Simulation::run_in_sequence), so a seed
// costs its run and not a fork, an exit and the page faults in between. A run gives the same
// result in a worker as in a child of its own.
//
// The parent hands a worker one ticket at a time over a socket and reads back one result frame
// per ticket. A worker retires (its last frame says so, then it exits) after a run that threw, after
// SEED_WORKER_MAX_RUNS runs, or when its engine's clock has no room for another run; the sweep
// then starts a new one. A worker that dies while running a seed fails that seed alone.
#pragma once

#include "replay/child_process.h"
#include "replay/plan_context.h"

#include <cstdint>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace ptosim::replay {

// Runs per worker before it is replaced: bounds what one engine accumulates over its runs.
inline constexpr std::uint64_t SEED_WORKER_MAX_RUNS = 1000;

class SeedWorker {
 public:
  // Forks a worker that runs tickets of `context` (which must outlive it). Throws
  // std::runtime_error when fork or socketpair fail.
  static SeedWorker start(const PlanContext& context);

  int fd() const { return fd_; }
  // Neither running a ticket nor retiring: ready for assign().
  bool ready() const { return !running_ && !retiring_; }
  // Hands the worker a ticket to run; false when the worker is gone (it died between two
  // tickets) and the ticket must go to another one.
  bool assign(const Ticket& ticket);
  // The ticket it runs (valid while it runs one).
  const Ticket& ticket() const { return ticket_; }
  // Tells a ready worker that no ticket will come: it exits.
  void close_input();
  // Reads what is available; returns false at end of file (the worker exited or died).
  bool pump();
  // A result that arrived whole, if any.
  std::optional<ChildOutput> take_output();
  // Reaps a worker at end of file; a seed it was still running fails (it died).
  std::optional<ChildOutput> finish();
  // Kills the worker (SIGKILL) and reaps it.
  void kill();

 private:
  pid_t pid_ = -1;
  int fd_ = -1;
  bool running_ = false;
  bool retiring_ = false;
  Ticket ticket_;
  std::string input_;  // frames read, not yet taken
};

// Runs `seeds` of `job` one after another in one worker, the way a sweep does; returns their
// outputs in order. Fewer outputs than seeds when the worker retired early (after a run that
// threw) or died (the last output then says so).
std::vector<ChildOutput> run_in_worker(const scenarios::Scenario& scenario, const ChildJob& job,
                                       const std::vector<std::uint64_t>& seeds);

}  // namespace ptosim::replay
