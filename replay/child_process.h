// Runs in child processes. SimGrid allows one engine per process, so every candidate of a shrink
// and every strict replay of a determinism check is a fork of the process that loaded the
// scenario (a sweep's seeds go to longer-lived workers, replay/seed_worker.h, built from the
// pieces below). A child sends back its result (and its decision log when asked) as JSON through
// a pipe; it dies with its parent (no orphan outlives a sweep).
#pragma once

#include "replay/run_session.h"

#include <cstdint>
#include <functional>
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

// Process plumbing shared with the sweep's seed workers (replay/seed_worker.h).
enum class Channel : std::uint8_t { pipe, socket };  // child to parent only, or both ways
// Prepares this process for children, flushes buffered output (a child must not flush it again)
// and forks a child that runs `body` with its end of a new channel and this process's pid;
// `body` must not return. Sets `pid` and `fd` (this process's end). Throws
// std::runtime_error when the channel or the fork cannot be made.
void fork_child(const scenarios::Scenario& scenario, Channel channel,
                const std::function<void(int fd, pid_t parent)>& body, pid_t& pid, int& fd);
// Appends what `fd` has to `into`; false at end of file.
bool read_available(int fd, std::string& into);
// Closes `fd` (set to -1) and waits for `pid` to exit; returns its waitpid status.
int close_and_reap(pid_t pid, int& fd);
// Kills `pid` (SIGKILL), closes `fd` and reaps it.
void kill_and_reap(pid_t pid, int& fd);

// The pieces of a child shared with the sweep's seed workers.
// In a child: dies with `parent`, leaves SIGINT/SIGTERM to it.
void become_child(pid_t parent);
// In a child: writes all of `text` to `fd` (exits the child if it cannot).
void write_all(int fd, const std::string& text);
// Runs `job` and returns the text a child sends back: {"result": ..., "decisions": [...]}.
// `threw` tells whether the run ended in an exception (the result then carries the failure).
std::string run_job(const scenarios::Scenario& scenario, const ChildJob& job, bool& threw);
// Parses what a child sent; an unreadable text becomes a failure naming the seed.
ChildOutput read_child_output(const std::string& text, std::uint64_t seed);
// The failure of a seed whose child was killed by a signal (`status` from waitpid).
std::string death_message(std::uint64_t seed, int status);

// Makes forking cheap: builds the simulation engine and the scenario's platform once, before the
// first fork, so that children start from them. Only the first call of a process counts; called
// by ChildRun::start. The process must not run a simulation itself afterwards.
void prepare_for_children(const scenarios::Scenario& scenario);
// The same for the hosts of a platform of `clusters` clusters and `scheduler_threads` threads,
// which are those of every smaller platform too (a plan whose cells differ in size).
void prepare_for_children(int clusters, int scheduler_threads);

}  // namespace ptosim::replay
