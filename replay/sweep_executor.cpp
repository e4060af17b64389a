#include "replay/sweep_executor.h"

#include "replay/recording.h"
#include "replay/report_json.h"
#include "simcore/model_assert.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <poll.h>
#include <stdexcept>
#include <utility>

namespace ptosim::replay {

std::optional<Ticket> SelectionSource::next() {
  if (exhausted()) return std::nullopt;
  const std::uint64_t per_cell = seeds_.count();
  const Ticket ticket{static_cast<std::uint32_t>(next_ / per_cell), seeds_.at(next_ % per_cell)};
  ++next_;
  return ticket;
}

namespace {

void ensure_directory(const std::string& dir, const char* flag) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error || !std::filesystem::is_directory(dir)) {
    throw OutputFileError(std::string("cannot use ") + flag + " " + dir + ": " +
                          (error ? error.message() : std::string("not a directory")));
  }
}

// The pool of workers and the tickets handed back by workers that died between two tickets.
class Pool {
 public:
  Pool(const PlanContext& context, TicketSource& source, const ExecutorOptions& options)
      : context_(context), source_(source), options_(options) {}
  ~Pool() { kill_all(); }
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  ExecutorEnd run(const std::function<void(const Ticket&, ChildOutput)>& sink) {
    ExecutorEnd end;
    const std::size_t jobs = options_.jobs < 1 ? 1 : static_cast<std::size_t>(options_.jobs);
    auto more_tickets = [&] { return !end.stopped_early && (!returned_.empty() || !source_.exhausted()); };
    while (more_tickets() || !workers_.empty()) {
      if (stop_requested()) {
        // Every worker dies with the run; what finished is the partial result.
        kill_all();
        end.interrupted_by = static_cast<int>(*options_.stop_signal);
        break;
      }
      start_workers(jobs, end.stopped_early);
      hand_out(end.stopped_early);
      std::vector<pollfd> fds;
      for (const SeedWorker& worker : workers_) fds.push_back(pollfd{worker.fd(), POLLIN, 0});
      // More tickets may come from the source while a worker waits for one.
      const bool want_source = !end.stopped_early && source_.fd() >= 0 && !source_.exhausted() && source_.available() == 0;
      if (want_source) fds.push_back(pollfd{source_.fd(), POLLIN, 0});
      if (fds.empty()) continue;
      // A timeout lets progress be reported, and a stop request be seen, while long runs go on.
      const int ready = ::poll(fds.data(), fds.size(), 1000);
      if (ready < 0 && errno != EINTR) throw std::runtime_error(std::string("poll failed: ") + std::strerror(errno));
      if (ready <= 0) {
        if (options_.tick) options_.tick();
        continue;
      }
      if (want_source && (fds.back().revents & (POLLIN | POLLHUP | POLLERR)) != 0) source_.pump();
      for (std::size_t i = workers_.size(); i-- > 0;) {
        if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
        const bool open = workers_[i].pump();
        const Ticket ticket = workers_[i].ticket();
        std::optional<ChildOutput> output = workers_[i].take_output();
        if (!open) {
          // The worker is gone: retired, or dead while running a ticket (which then fails).
          std::optional<ChildOutput> died = workers_[i].finish();
          if (!output) output = std::move(died);
          workers_.erase(workers_.begin() + static_cast<std::ptrdiff_t>(i));
        }
        if (!output) continue;
        // A terminal's Ctrl-C reaches the workers too: a seed whose worker died while the run is
        // being stopped did not fail, it was stopped with it, and is not counted.
        if (stop_requested() && !output->result.failure.empty()) continue;
        output->result.wall_us = elapsed_since_hand_out(ticket);
        sink(ticket, std::move(*output));
        if (options_.stop_launching && options_.stop_launching()) end.stopped_early = true;
        if (options_.tick) options_.tick();
      }
    }
    return end;
  }

 private:
  std::uint64_t elapsed_since_hand_out(const Ticket& ticket) {
    if (!options_.now_us) return 0;
    auto it = handed_out_us_.find({ticket.cell, ticket.seed});
    if (it == handed_out_us_.end()) return 0;
    const std::uint64_t now = options_.now_us();
    const std::uint64_t elapsed = now >= it->second ? now - it->second : 0;
    handed_out_us_.erase(it);
    return elapsed;
  }

  bool stop_requested() const { return options_.stop_signal != nullptr && *options_.stop_signal != 0; }

  void kill_all() {
    for (SeedWorker& worker : workers_) worker.kill();
    workers_.clear();
  }

  // Tickets beyond those the workers are running: start workers up to `jobs`.
  void start_workers(std::size_t jobs, bool stopped) {
    if (stopped) return;
    std::size_t idle = 0;
    for (const SeedWorker& worker : workers_) idle += worker.ready() ? 1 : 0;
    const std::uint64_t waiting = source_.available() + returned_.size();
    while (workers_.size() < jobs && idle < waiting) {
      workers_.push_back(SeedWorker::start(context_));
      ++idle;
    }
  }

  void hand_out(bool stopped) {
    for (SeedWorker& worker : workers_) {
      if (!worker.ready()) continue;
      std::optional<Ticket> ticket;
      if (!stopped && !returned_.empty()) {
        ticket = returned_.back();
        returned_.pop_back();
      } else if (!stopped) {
        ticket = source_.next();
      }
      if (ticket) {
        if (!worker.assign(*ticket)) {
          returned_.push_back(*ticket);
        } else if (options_.now_us) {
          handed_out_us_[{ticket->cell, ticket->seed}] = options_.now_us();
        }
      } else if (stopped || source_.exhausted()) {
        worker.close_input();
      }
      // Otherwise the worker waits for the source to deliver.
    }
  }

  const PlanContext& context_;
  TicketSource& source_;
  const ExecutorOptions& options_;
  std::vector<SeedWorker> workers_;  // each runs one ticket at a time
  std::vector<Ticket> returned_;     // tickets a worker that had died could not take
  // When each running ticket was handed out (with now_us), by (cell, seed); bounded by `jobs`.
  std::map<std::pair<std::uint32_t, std::uint64_t>, std::uint64_t> handed_out_us_;
};

}  // namespace

ExecutorEnd execute(const PlanContext& context, TicketSource& source, const ExecutorOptions& options,
                    const std::function<void(const Ticket&, ChildOutput)>& sink) {
  Pool pool(context, source, options);
  return pool.run(sink);
}

ArtefactWriter::ArtefactWriter(const PlanContext& context)
    : context_(context), errors_(context.cells()), recordings_(context.cells(), 0) {
  const SweepPlan& plan = context.plan();
  if (!plan.snapshot_dir.empty()) ensure_directory(plan.snapshot_dir, "--snapshot-dir");
  if (!plan.record_dir.empty()) ensure_directory(plan.record_dir, "--record-failures");
}

void ArtefactWriter::write_file(std::uint32_t cell, const std::string& path, const std::string& text, bool recording) {
  try {
    write_file_atomically(path, text);
    if (recording) ++recordings_.at(cell);
  } catch (const OutputFileError& e) {
    errors_.at(cell).push_back(e.what());
  }
}

void ArtefactWriter::write(const Ticket& ticket, ChildOutput& output) {
  const SweepPlan& plan = context_.plan();
  RunResult& result = output.result;
  const scenarios::Scenario& scenario = context_.scenario(ticket.cell);
  const std::string stem =
      "/" + (plan.is_map() ? "cell-" + std::to_string(ticket.cell) + "." : std::string()) + "seed-" + std::to_string(result.seed);
  if (result.snapshot) {
    const std::string text = json_text(snapshot_file_json(*result.snapshot, result.seed, scenario.text_hash), 1) + "\n";
    if (!plan.snapshot_dir.empty()) write_file(ticket.cell, plan.snapshot_dir + stem + ".snapshot.json", text, false);
    if (!plan.record_dir.empty()) write_file(ticket.cell, plan.record_dir + stem + ".snapshot.json", text, false);
    result.snapshot.reset();
  }
  if (output.decisions && !plan.record_dir.empty()) {
    write_file(ticket.cell, plan.record_dir + stem + ".recording.json",
               recording_to_text(make_recording(scenario, result, std::move(*output.decisions))), true);
  }
  output.decisions.reset();
}

std::vector<SweepSummary> run_plan(const PlanContext& context, const PlanRunOptions& options) {
  const SweepPlan& plan = context.plan();
  ArtefactWriter artefacts(context);
  std::vector<SweepFold> folds;
  for (std::uint32_t cell = 0; cell < context.cells(); ++cell) {
    folds.emplace_back(expected_patterns(context.scenario(cell).expect), plan.seeds.count());
    if (options.keep_seed_status) folds.back().keep_seed_status(plan.seeds);
  }
  std::uint64_t done = 0;
  std::uint64_t failing = 0;
  std::uint64_t stop_count = 0;  // what --stop-after counts (--stop-on)
  SelectionSource source(plan.seeds, context.cells());
  const std::uint64_t total = source.total();
  auto sink = [&](const Ticket& ticket, ChildOutput output) {
    artefacts.write(ticket, output);
    RunResult& result = output.result;
    ++done;
    failing += is_failing(result) ? 1 : 0;
    stop_count += (plan.stop_on == StopOn::outcome ? is_outcome_failing(result) : is_failing(result)) ? 1 : 0;
    folds.at(ticket.cell).add(std::move(result));
  };
  ExecutorOptions executor;
  executor.jobs = options.jobs;
  executor.stop_signal = options.stop_signal;
  executor.now_us = options.now_us;
  executor.stop_launching = [&] { return plan.stop_after > 0 && stop_count >= plan.stop_after; };
  executor.tick = [&] {
    if (options.progress) options.progress(done, total, failing);
  };
  const ExecutorEnd end = execute(context, source, executor, sink);
  std::vector<SweepSummary> summaries;
  for (std::uint32_t cell = 0; cell < context.cells(); ++cell) {
    SweepSummary summary = std::move(folds[cell]).finish();
    summary.output_errors = std::move(artefacts.errors(cell));
    summary.recordings_written = artefacts.recordings(cell);
    summary.stopped_early = end.stopped_early;
    summary.interrupted_by = end.interrupted_by;
    summaries.push_back(std::move(summary));
  }
  PTOSIM_ASSERT(done <= total, "no more runs than tickets");
  return summaries;
}

}  // namespace ptosim::replay
