// The local executor of a plan: a pool of worker processes (replay/seed_worker.h), each running
// ticket after ticket, fed from a ticket source (the plan's own seed selection, or lines another
// engine writes to `ptosim worker`'s stdin). It knows nothing about what a result means: every
// finished run goes to a sink. run_plan() composes it with the artefact writers and one fold per
// cell (replay/sweep_fold.h): that is `ptosim sweep` and `ptosim map`.
#pragma once

#include "replay/plan_context.h"
#include "replay/seed_worker.h"
#include "replay/sweep_fold.h"

#include <csignal>
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

namespace ptosim::replay {

// Where the executor takes the tickets it runs.
class TicketSource {
 public:
  virtual ~TicketSource() = default;
  // The next ticket, if one is available now.
  virtual std::optional<Ticket> next() = 0;
  // How many tickets next() can hand out now without waiting.
  virtual std::uint64_t available() const = 0;
  // No ticket will ever come any more.
  virtual bool exhausted() const = 0;
  // A descriptor to poll while more tickets may come (-1: none, never waits); pump() is called
  // when it is readable.
  virtual int fd() const { return -1; }
  virtual void pump() {}
};

// Every seed of a plan's selection in every cell, cell by cell, seeds in order.
class SelectionSource final : public TicketSource {
 public:
  SelectionSource(const SeedSelection& seeds, std::uint32_t cells) : seeds_(seeds), cells_(cells) {}
  std::optional<Ticket> next() override;
  std::uint64_t available() const override { return total() - next_; }
  bool exhausted() const override { return next_ >= total(); }
  std::uint64_t total() const { return seeds_.count() * cells_; }

 private:
  SeedSelection seeds_;
  std::uint32_t cells_;
  std::uint64_t next_ = 0;
};

struct ExecutorOptions {
  int jobs = 1;  // worker processes at most
  // Set (to the signal number) by a SIGINT/SIGTERM handler: every worker is killed and execute
  // returns what finished.
  const volatile std::sig_atomic_t* stop_signal = nullptr;
  // Asked after every result: true stops launching tickets (those running finish).
  std::function<bool()> stop_launching;
  // Called after every result and about once a second while runs go on.
  std::function<void()> tick;
  // A monotonic clock in microseconds, given by the command line (replay/ reads no clock): each
  // result's wall_us is the time from its hand-out to its arrival. Null: not measured.
  std::function<std::uint64_t()> now_us;
};

struct ExecutorEnd {
  bool stopped_early = false;  // stop_launching said so
  int interrupted_by = 0;      // the signal that stopped it, 0 if none
};

// Runs tickets of `source` on `context` until the source is exhausted; hands each finished run
// to `sink`. A worker that dies fails only the ticket it was running.
ExecutorEnd execute(const PlanContext& context, TicketSource& source, const ExecutorOptions& options,
                    const std::function<void(const Ticket&, ChildOutput)>& sink);

// The artefacts a plan asks for (snapshots, recordings of failing runs), written in the parent as
// runs finish: a file that cannot be written is an output error of its cell, not a failed run.
// Files are named seed-N (cell-C.seed-N in a map) under the plan's directories.
class ArtefactWriter {
 public:
  // Creates the plan's directories; throws OutputFileError when one cannot be used.
  explicit ArtefactWriter(const PlanContext& context);
  // Writes what `output` carries and drops its snapshot (and decisions) from it.
  void write(const Ticket& ticket, ChildOutput& output);
  std::vector<std::string>& errors(std::uint32_t cell) { return errors_.at(cell); }
  std::uint64_t recordings(std::uint32_t cell) const { return recordings_.at(cell); }

 private:
  void write_file(std::uint32_t cell, const std::string& path, const std::string& text, bool recording);

  const PlanContext& context_;
  std::vector<std::vector<std::string>> errors_;
  std::vector<std::uint64_t> recordings_;
};

struct PlanRunOptions {
  int jobs = 1;
  bool keep_seed_status = false;  // per seed pass/fail in each cell's summary (JUnit needs it)
  const volatile std::sig_atomic_t* stop_signal = nullptr;
  // Called after every finished seed and about once a second while runs go on.
  std::function<void(std::uint64_t done, std::uint64_t total, std::uint64_t failing)> progress;
  std::function<std::uint64_t()> now_us;  // ExecutorOptions::now_us
};

// One summary per cell of the plan (stopped_early and interrupted_by set in each).
std::vector<SweepSummary> run_plan(const PlanContext& context, const PlanRunOptions& options);

}  // namespace ptosim::replay
