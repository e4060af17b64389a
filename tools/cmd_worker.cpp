// `ptosim worker --plan PLAN.json`: the tickets an outside engine hands over on stdin, run by the
// local executor, one JSON line per finished run on stdout (replay/plan_worker.h).
#include "replay/plan_worker.h"
#include "tools/cli.h"
#include "tools/progress.h"

#include <iostream>
#include <unistd.h>

namespace ptosim::cli {

int cmd_worker(const WorkerArgs& args) {
  const replay::Json doc = replay::parse_json_input(replay::read_file(args.plan), args.plan);
  const replay::SweepPlan plan = replay::plan_from_json(doc, args.plan);
  // A worker sees only the tickets handed to it, so it cannot tell when K seeds of the whole plan
  // have failed; stopping on its own count would leave tickets no worker ran, which merge refuses.
  if (plan.stop_after > 0) {
    throw replay::InputError(args.plan, "/stop_after",
                             "a worker cannot stop after K failing seeds of the whole plan: write the plan without "
                             "--stop-after, or stop the engine that hands out seeds");
  }
  const replay::PlanContext context(plan);
  // The header first: an output that names no plan is no worker's.
  std::cout << replay::json_text(replay::worker_header(plan)) << "\n" << std::flush;
  replay::ArtefactWriter artefacts(context);  // the plan's --record-failures and --snapshot-dir
  replay::LineSource source(STDIN_FILENO, plan.seeds, context.cells());
  replay::ExecutorOptions options;
  options.jobs = args.jobs;
  options.stop_signal = &g_stop_signal;
  std::uint64_t runs = 0;
  replay::ExecutorEnd end;
  {
    context.prepare();  // SimGrid's SIGINT handler first, ours over it (cmd_sweep.cpp)
    StopSignals signals;
    end = replay::execute(context, source, options, [&](const replay::Ticket& ticket, replay::ChildOutput output) {
      ++runs;
      artefacts.write(ticket, output);
      std::cout << replay::json_text(replay::worker_run_line(ticket, output.result)) << "\n" << std::flush;
    });
  }
  std::cout << replay::json_text(replay::worker_end_line(runs, end.interrupted_by, source.error())) << "\n" << std::flush;
  std::uint64_t recordings = 0;
  std::uint64_t output_errors = 0;
  for (std::uint32_t cell = 0; cell < context.cells(); ++cell) {
    recordings += artefacts.recordings(cell);
    for (const std::string& message : artefacts.errors(cell)) {
      std::cerr << "worker: " << message << "\n";
      ++output_errors;
    }
  }
  std::cerr << "worker: " << runs << " runs of plan " << args.plan;
  if (!plan.record_dir.empty()) std::cerr << ", " << recordings << " recordings of failing runs written to " << plan.record_dir;
  std::cerr << "\n";
  if (!source.error().empty()) {
    std::cerr << "worker: invalid input on stdin: " << source.error() << "\n";
    return EXIT_INVALID_INPUT;
  }
  if (end.interrupted_by != 0) return EXIT_INTERRUPTED_BASE + end.interrupted_by;
  return output_errors > 0 ? EXIT_OUTPUT : EXIT_PASS;
}

}  // namespace ptosim::cli
