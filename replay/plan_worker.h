// A plan run by an engine outside ptosim (Slurm, GNU parallel, a Kubernetes indexed job): `ptosim
// worker --plan PLAN.json` reads the tickets it is given on stdin, runs them with the local
// executor and writes one JSON line per finished run; `ptosim merge` folds the lines of every
// worker of one plan with the sweep's fold, so the counts are those `sweep` (or `map`) prints.
//
// The worker's input, one request a line: `SEED` (that seed in every cell of the plan), `CELL
// SEED` (one ticket), or `A..B` (every seed of the range in every cell); blank lines and lines
// starting with '#' are skipped. A seed must belong to the plan's selection (its range, and its
// shard when the plan has one). Its output, JSON lines: a header naming the plan (its hash and
// the plan itself), one line per run ({"cell", "result"}), and an end line ({"end": {"runs",
// "interrupted_by", "error"}}) so a truncated output is told from a finished one.
#pragma once

#include "replay/sweep_executor.h"
#include "replay/sweep_plan.h"
#include "replay/sweep_report.h"

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

namespace ptosim::replay {

// Tickets read from a descriptor as the worker's input lines arrive.
class LineSource final : public TicketSource {
 public:
  LineSource(int fd, const SeedSelection& seeds, std::uint32_t cells);
  std::optional<Ticket> next() override;
  std::uint64_t available() const override { return available_; }
  bool exhausted() const override { return (eof_ || !error_.empty()) && spans_.empty(); }
  int fd() const override { return eof_ || !error_.empty() ? -1 : fd_; }
  void pump() override;
  // Reads everything the descriptor will give (blocking): for tests and files.
  void drain();
  // What was wrong with the input ("line 3: ..."); empty when nothing was.
  const std::string& error() const { return error_; }

 private:
  // Seeds seed, seed + step, ... up to last (each of them selected), each in cells cell_first..
  // cell_last: seed-major, so a range's tickets come seed by seed.
  struct Span {
    std::uint32_t cell_first = 0;
    std::uint32_t cell_last = 0;
    std::uint64_t seed = 0;  // the next ticket's seed
    std::uint64_t last = 0;
    std::uint64_t step = 1;
    std::uint32_t cell = 0;  // the next ticket's cell
  };
  void push(Span span);
  void parse_line(const std::string& line);
  bool selected(std::uint64_t seed) const;

  int fd_;
  SeedSelection seeds_;
  std::uint32_t cells_;
  std::string partial_;  // the start of a line whose end has not arrived
  std::deque<Span> spans_;
  std::uint64_t available_ = 0;  // tickets left in spans_
  std::uint64_t lines_ = 0;
  bool eof_ = false;
  std::string error_;
};

// The lines a worker writes.
Json worker_header(const SweepPlan& plan);
Json worker_run_line(const Ticket& ticket, const RunResult& result);
Json worker_end_line(std::uint64_t runs, int interrupted_by, const std::string& error);

// Whether `text` is a worker's output (its first line is a worker header).
bool is_worker_output(const std::string& text);

// What the workers of one plan ran, folded per cell.
struct PlanResults {
  SweepPlan plan;
  SweepMeta meta;  // what a sweep of the plan would name (jobs: the number of worker outputs)
  std::vector<SweepSummary> summaries;  // one per cell
};

// Folds the outputs of the workers of one plan. Throws InputError naming the file (and line)
// when an output is not a worker's, belongs to another plan, did not finish, runs a ticket twice
// (within or across outputs), or when a ticket of the plan was run by no worker.
PlanResults merge_worker_outputs(const std::vector<std::string>& texts, const std::vector<std::string>& files);

}  // namespace ptosim::replay
