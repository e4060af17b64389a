// `ptosim map`: the same seeds at every point of a grid over one or two parameters (or at random
// points over more), counted cell by cell as sweeps count; JSON, CSV, a Markdown table, an SVG.
#include "replay/failure_map.h"
#include "replay/plan_context.h"
#include "replay/sweep_executor.h"
#include "scenarios/uncertain.h"
#include "simcore/plural.h"
#include "tools/cli.h"
#include "tools/progress.h"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>
#include <stdexcept>
#include <unistd.h>

namespace ptosim::cli {

namespace {

std::string percent(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.1f%%", value * 100);
  return buffer;
}

}  // namespace

void print_map_table(std::ostream& out, const replay::MapDocument& map) {
  bool shown[simcore::OUTCOME_COUNT] = {};
  shown[static_cast<int>(simcore::Outcome::pass)] = true;
  for (const replay::SweepSummary& summary : map.summaries) {
    for (int i = 0; i < simcore::OUTCOME_COUNT; ++i) shown[i] = shown[i] || summary.outcome_counts[static_cast<std::size_t>(i)] > 0;
  }
  out << "|";
  for (const replay::VarySpec& spec : map.vary) out << " " << spec.pointer << " |";
  out << " runs |";
  for (int i = 0; i < simcore::OUTCOME_COUNT; ++i) {
    if (shown[i]) out << " " << simcore::to_string(static_cast<simcore::Outcome>(i)) << " |";
  }
  out << " failing outcome (95% Wilson) | failing (outcome or finding) |\n|";
  for (std::size_t i = 0; i < map.vary.size(); ++i) out << " --- |";
  out << " ---: |";
  for (int i = 0; i < simcore::OUTCOME_COUNT; ++i) {
    if (shown[i]) out << " ---: |";
  }
  out << " --- | ---: |\n";
  for (std::size_t c = 0; c < map.cells.size(); ++c) {
    const replay::SweepSummary& summary = map.summaries[c];
    out << "|";
    for (const replay::VarySpec& spec : map.vary) {
      std::string value;
      for (const scenarios::Override& item : map.cells[c].point) {
        if (item.pointer == spec.pointer) value = item.value;
      }
      out << " " << value << " |";
    }
    out << " " << summary.runs << " |";
    for (int i = 0; i < simcore::OUTCOME_COUNT; ++i) {
      if (shown[i]) out << " " << summary.outcome_counts[static_cast<std::size_t>(i)] << " |";
    }
    const replay::FailureRate rate = replay::failure_rate(summary.outcome_failing, summary.runs);
    out << " " << summary.outcome_failing << "/" << summary.runs << " = " << percent(rate.value) << " (" << percent(rate.low)
        << " .. " << percent(rate.high) << ") | " << summary.failing << " |\n";
  }
}

namespace {

void print_repros(std::ostream& out, const replay::MapDocument& map) {
  bool any = false;
  for (std::size_t c = 0; c < map.cells.size(); ++c) {
    const std::string repro = replay::cell_repro(map, c);
    if (repro.empty()) continue;
    if (!any) out << "first failing seed per cell (a failing outcome where there is one):\n";
    any = true;
    out << "  " << scenarios::point_text(map.cells[c].point) << ": " << repro << "\n";
  }
}

}  // namespace

namespace {

// The map's parameters and cells from --vary and --points (usage errors for bad ones).
replay::MapDocument map_layout(const MapArgs& args, const scenarios::Scenario& scenario) {
  std::vector<replay::VarySpec> specs;
  for (const std::string& text : args.vary) {
    replay::VarySpec spec;
    const std::string problem = replay::parse_vary(text, spec);
    if (!problem.empty()) throw CLI::ValidationError("--vary", problem);
    specs.push_back(std::move(spec));
  }
  replay::MapDocument map;
  map.mode = args.points > 0 ? "points" : "grid";
  try {
    if (args.points == 0) {
      if (specs.empty()) throw std::invalid_argument("give --vary PTR=SPEC once or twice (a grid), or --points N");
      map.cells = replay::grid_cells(specs);
    } else {
      if (specs.empty()) {
        for (const scenarios::UncertainParam& param : scenario.uncertain) specs.push_back(replay::vary_of(param));
      }
      map.cells = replay::random_cells(specs, args.points);
    }
  } catch (const std::invalid_argument& e) {
    throw CLI::ValidationError(args.points > 0 ? "--points" : "--vary", e.what());
  }
  if (!args.svg.empty() && !(specs.size() == 1 || (specs.size() == 2 && map.mode == "grid"))) {
    throw CLI::ValidationError("--svg", "draws a map over one parameter, or a grid over two");
  }
  map.vary = std::move(specs);
  return map;
}

// "map NAME seeds A..B over P x Q (cells, runs, jobs, strategy, what else is drawn)".
void print_header(std::ostream& out, const replay::MapDocument& map, const replay::SweepPlan& plan,
                  const scenarios::Scenario& scenario, int jobs) {
  out << "map " << scenario.name << " seeds " << plan.seeds.range.first << ".." << plan.seeds.range.last;
  if (plan.seeds.sharded()) out << " shard " << plan.seeds.shard_text();
  out << " over";
  for (std::size_t i = 0; i < map.vary.size(); ++i) out << (i == 0 ? " " : " x ") << map.vary[i].pointer;
  out << " (" << simcore::count_noun(plan.cells.size(), map.mode == "grid" ? "cell" : "random point") << ", "
      << simcore::count_noun(plan.seeds.count() * plan.cells.size(), "run") << ", "
      << simcore::count_noun(static_cast<std::uint64_t>(jobs), "job") << ", strategy " << plan.strategy.name;
  std::size_t drawn = 0;
  for (const scenarios::UncertainParam& param : scenario.uncertain) {
    bool varied = false;
    for (const replay::VarySpec& spec : map.vary) varied = varied || spec.pointer == param.pointer;
    drawn += varied ? 0 : 1;
  }
  if (drawn > 0) out << ", " << simcore::count_noun(drawn, "other uncertain parameter") << " drawn per seed";
  out << ")" << std::endl;
}

}  // namespace

int cmd_map(const MapArgs& args) {
  if (args.json && args.csv) throw CLI::ValidationError("--csv", "print either --json or --csv");
  scenarios::Scenario scenario = args.load();
  print_warnings(scenario);
  replay::MapDocument map = map_layout(args, scenario);
  const std::vector<replay::VarySpec>& specs = map.vary;
  replay::SweepPlan plan = plan_for(args, args.program, scenario, seed_selection(args.seeds, args.shard, scenario));
  plan.cells = map.cells;
  for (const replay::VarySpec& spec : specs) {
    plan.vary.push_back(spec.pointer);
    plan.vary_specs.push_back(spec.text);
  }
  plan.map_mode = map.mode;
  if (!args.write_plan.empty()) {
    write_plan(plan, args.write_plan, args.json);
    return EXIT_PASS;
  }
  const int jobs = args.jobs > 0 ? args.jobs : default_jobs();
  map.meta = replay::sweep_meta_for(scenario, plan.seeds, plan.strategy);
  map.meta.program = args.program;
  map.meta.pct_steps_given = plan.pct_steps_given;
  map.meta.jobs = jobs;
  map.meta.judged = false;
  map.meta.expect.reset();  // a map measures; it judges no expectation
  Outputs outputs({&args.svg});
  std::ostream& out = outputs.result_stream();
  if (!args.json && !args.csv) print_header(out, map, plan, scenario, jobs);
  Progress progress(::isatty(STDERR_FILENO) != 0, "map", "runs");
  replay::PlanRunOptions options;
  options.jobs = jobs;
  options.stop_signal = &g_stop_signal;
  options.progress = [&progress](std::uint64_t done, std::uint64_t total, std::uint64_t failing) {
    progress.update(done, total, failing);
  };
  {
    // Building the simulation engine installs SimGrid's own SIGINT handler (it exits 1 with no
    // summary): build it before the first worker, then install ours over it.
    const replay::PlanContext context(plan, &scenario);
    context.prepare();
    StopSignals signals;
    map.summaries = replay::run_plan(context, options);
  }
  progress.finish();
  map.meta.wall_seconds = progress.elapsed_seconds();
  for (const replay::SweepSummary& summary : map.summaries) {
    for (const std::string& message : summary.output_errors) outputs.error(message);
  }
  if (!args.svg.empty()) outputs.write("svg", args.svg, replay::map_to_svg(map));
  if (args.json) {
    replay::Json doc = replay::map_to_json(map);
    outputs.add_to(doc);
    out << replay::json_text(doc, 2) << "\n";
  } else if (args.csv) {
    out << replay::map_to_csv(map);
  } else {
    print_map_table(out, map);
    print_repros(out, map);
  }
  outputs.print(args.json || args.csv);
  const int interrupted = map.summaries.empty() ? 0 : map.summaries.front().interrupted_by;
  if (interrupted != 0) {
    std::cerr << "map interrupted by signal " << interrupted << "; every child was stopped\n";
    return EXIT_INTERRUPTED_BASE + interrupted;
  }
  const int code = map_exit_code(map.summaries);
  return code == EXIT_RUNS_FAILED ? code : outputs.exit_code(code);
}

}  // namespace ptosim::cli
