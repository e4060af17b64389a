// Runs in child processes. SimGrid allows one engine per process, so every run of a sweep, every
// candidate of a shrink and every repeat of a determinism check is a fork of the process that
// loaded the scenario. A child sends back its result (and its decision log when asked) as JSON
// through a pipe; it dies with its parent (no orphan outlives a sweep).
#pragma once

#include "replay/run_session.h"

#include <cstdint>
#include <optional>
#include <string>
#include <sys/types.h>

namespace ptosim::replay {

// What a child runs and what it sends back.
struct ChildJob {
  std::uint64_t seed = 0;
  RunOptions options;
  bool want_snapshot = false;  // the snapshot of a run that did not pass
  enum class Log : std::uint8_t { never, when_failing, always };
  Log log = Log::never;
};

struct ChildOutput {
  RunResult result;
  std::optional<simcore::DecisionLog> decisions;
};

// One running child.
class ChildRun {
 public:
  // Forks a child that runs `job` on `scenario`. Throws std::runtime_error when fork or pipe fail.
  static ChildRun start(const scenarios::Scenario& scenario, const ChildJob& job);

  int fd() const { return fd_; }
  std::uint64_t seed() const { return seed_; }
  // Reads what is available; returns false at end of file (the child is done writing).
  bool pump();
  // Reaps the child and parses what it sent; a crash or an unreadable result becomes a
  // RunResult::failure naming the seed.
  ChildOutput finish();
  // Kills the child (SIGKILL) and reaps it.
  void kill();

 private:
  pid_t pid_ = -1;
  int fd_ = -1;
  std::uint64_t seed_ = 0;
  std::string output_;
};

// Runs one job in a child and waits for it.
ChildOutput run_in_child(const scenarios::Scenario& scenario, const ChildJob& job);

// Makes forking cheap: builds the simulation engine and the scenario's platform once, before the
// first fork, so that children start from them. Idempotent; called by ChildRun::start. The
// process must not run a simulation itself afterwards.
void prepare_for_children(const scenarios::Scenario& scenario);

}  // namespace ptosim::replay
