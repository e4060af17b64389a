// `ptosim sweep`: seeds in child processes, their summary and the scenario's expectations.
#include "simcore/plural.h"
#include "tools/cli.h"

#include <CLI/CLI.hpp>

#include <iostream>
#include <unistd.h>

namespace ptosim::cli {

namespace {

// One entry per seed that did not pass, with the same keys whatever happened to it.
replay::Json not_passing_entry(const replay::RunResult& run) {
  const bool failed = !run.failure.empty();
  replay::Json entry;
  entry["seed"] = run.seed;
  entry["outcome"] = failed ? replay::Json(nullptr) : replay::Json(simcore::to_string(run.outcome));
  entry["summary"] = failed ? "the run failed to complete: " + run.failure : run.summary;
  entry["digest"] = failed ? replay::Json(nullptr) : replay::Json(replay::hex64(run.digest));
  entry["error_code"] = run.report ? replay::Json(static_cast<int>(run.report->code)) : replay::Json(nullptr);
  return entry;
}

}  // namespace

int cmd_sweep(const SweepArgs& args) {
  scenarios::Scenario scenario = scenarios::load_scenario_file(args.scenario);
  print_warnings(scenario);
  replay::SweepOptions options;
  const std::string problem = scenarios::parse_seed_range(args.seeds, options.seeds);
  if (!problem.empty()) throw CLI::ValidationError("--seeds", "expected " + problem);
  if (options.seeds.last - options.seeds.first >= replay::SWEEP_MAX_SEEDS) {
    throw CLI::ValidationError("--seeds", "at most " + std::to_string(replay::SWEEP_MAX_SEEDS) + " seeds per sweep");
  }
  options.jobs = args.jobs;
  options.snapshot_dir = args.snapshot_dir;
  if (::isatty(STDERR_FILENO) != 0) {
    options.progress = [](std::uint64_t done, std::uint64_t total, std::uint64_t failing) {
      std::cerr << "\rsweep: " << done << "/" << total << " seeds done, " << failing << " not passing" << std::flush;
      if (done == total) std::cerr << "\n";
    };
  }
  replay::SweepSummary summary = replay::sweep(scenario, options);
  replay::ExpectationCheck check = replay::check_expectations(scenario.expect, summary);
  Outputs outputs;
  for (const std::string& message : summary.output_errors) outputs.error(message);
  if (args.json) {
    replay::Json out;
    out["scenario"] = scenario.name;
    out["seeds"] = args.seeds;
    out["runs"] = summary.runs;
    replay::Json counts;
    for (int i = 0; i < simcore::OUTCOME_COUNT; ++i) {
      counts[simcore::to_string(static_cast<simcore::Outcome>(i))] = summary.outcome_counts[static_cast<std::size_t>(i)];
    }
    out["outcomes"] = counts;
    replay::Json findings;
    for (int i = 0; i < simcore::FINDING_KIND_COUNT; ++i) {
      findings[simcore::to_string(static_cast<simcore::FindingKind>(i))] = summary.finding_counts[static_cast<std::size_t>(i)];
    }
    out["findings"] = findings;  // seeds on which each kind was reported
    out["failed_runs"] = summary.failed_runs;
    replay::Json failing = replay::Json::array();
    for (const replay::RunResult& run : summary.not_passing) failing.push_back(not_passing_entry(run));
    out["failing_seeds"] = failing;
    out["failing_seeds_unlisted"] = summary.not_passing_unlisted;
    out["expectations"] = {{"holds", check.holds}, {"violations", check.violations}};
    outputs.add_to(out);
    std::cout << replay::json_text(out, 2) << "\n";
  } else {
    std::cout << "sweep " << scenario.name << " seeds " << args.seeds << " (" << simcore::count_noun(summary.runs, "run") << ", "
              << simcore::count_noun(static_cast<std::uint64_t>(options.jobs), "job") << ")\n";
    std::cout << "outcomes:";
    for (int i = 0; i < simcore::OUTCOME_COUNT; ++i) {
      const auto count = summary.outcome_counts[static_cast<std::size_t>(i)];
      if (count > 0) std::cout << " " << simcore::to_string(static_cast<simcore::Outcome>(i)) << "=" << count;
    }
    if (summary.failed_runs > 0) std::cout << " failed=" << summary.failed_runs;
    std::cout << "\n";
    bool any_finding = false;
    for (int i = 0; i < simcore::FINDING_KIND_COUNT; ++i) {
      const auto count = summary.finding_counts[static_cast<std::size_t>(i)];
      if (count == 0) continue;
      std::cout << (any_finding ? " " : "findings (seeds):") << " " << simcore::to_string(static_cast<simcore::FindingKind>(i))
                << "=" << count;
      any_finding = true;
    }
    if (any_finding) std::cout << "\n";
    std::size_t listed = 0;
    for (const replay::RunResult& run : summary.not_passing) {
      if (listed++ == 0) std::cout << "not passing:\n";
      if (listed > 20) continue;
      const replay::Json entry = not_passing_entry(run);
      std::cout << "  seed " << run.seed << ": "
                << (entry["outcome"].is_null() ? std::string("FAILED") : entry["outcome"].get<std::string>()) << " - "
                << entry["summary"].get<std::string>() << "\n";
    }
    if (listed > 20) std::cout << "  ... and " << (listed - 20 + summary.not_passing_unlisted) << " more (use --json)\n";
    if (!options.snapshot_dir.empty() && listed > 0) std::cout << "snapshots written to " << options.snapshot_dir << "\n";
    std::cout << "expectations: " << (check.holds ? "hold" : "VIOLATED")
              << (scenario.expect ? "" : " (no expect: every seed must pass)") << "\n";
    for (std::size_t i = 0; i < check.violations.size() && i < 10; ++i) std::cout << "  - " << check.violations[i] << "\n";
    if (check.violations.size() > 10) std::cout << "  ... " << (check.violations.size() - 10) << " more "
                                              << (check.violations.size() - 10 == 1 ? "violation" : "violations") << "\n";
  }
  outputs.print(args.json);
  return outputs.exit_code(check.holds ? EXIT_PASS : EXIT_EXPECTATIONS);
}

}  // namespace ptosim::cli
