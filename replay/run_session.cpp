#include "replay/run_session.h"

#include "replay/child_process.h"
#include "replay/seed_worker.h"
#include "replay/recording.h"
#include "replay/report_json.h"
#include "simcore/plural.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <cstring>
#include <filesystem>
#include <map>
#include <poll.h>

namespace ptosim::replay {

std::uint64_t estimate_pct_steps(const scenarios::Scenario& scenario) {
  return 2 * static_cast<std::uint64_t>(scenario.model.program.task_count) + 8;
}

simcore::StrategySpec resolve_strategy(const simcore::StrategySpec& spec, const scenarios::Scenario& scenario) {
  simcore::StrategySpec resolved = spec;
  if (resolved.name == "pct" && resolved.steps == 0) resolved.steps = estimate_pct_steps(scenario);
  return resolved;
}

RunResult run_scenario(const scenarios::Scenario& scenario, std::uint64_t seed, const RunOptions& options,
                       RunArtifacts* artifacts) {
  const ScenarioAnalysis* analysis = options.analysis;
  std::unique_ptr<ScenarioAnalysis> own_analysis;
  if (analysis == nullptr) {
    own_analysis = analyse_scenario(scenario);
    analysis = own_analysis.get();
  }
  std::unique_ptr<simcore::ExplorationStrategy> strategy;
  const simcore::StrategySpec spec = resolve_strategy(options.strategy, scenario);
  if (!options.replay_log) {
    strategy = simcore::make_strategy(spec, seed);
  } else if (options.mode == ReplayMode::lenient) {
    strategy = simcore::make_lenient_replay_strategy(*options.replay_log);
  } else {
    strategy = simcore::make_replay_strategy(*options.replay_log);
  }
  RunResult result;
  result.seed = seed;
  result.strategy = std::string(strategy->name());
  result.spec = spec;
  const runtime::OutputPolicy keep = artifacts != nullptr ? options.keep : runtime::OutputPolicy{false, false, false};
  runtime::ModelOutput output = runtime::simulate(scenario.model, seed, std::move(strategy), keep);
  result.outcome = output.verdict.outcome;
  result.summary = output.verdict.summary;
  result.digest = output.digest;
  result.sim_time_ns = output.sim_time_ns;
  result.tasks = scenario.model.program.task_count;
  result.tasks_submitted = output.tasks_submitted;
  result.tasks_completed = output.tasks_completed;
  result.events = output.event_count;
  result.decisions = output.decision_count;
  result.report = output.verdict.report;
  result.snapshot = output.verdict.snapshot;
  result.wait_chain = output.verdict.wait_chain;
  result.findings = analysis->races.findings;
  result.findings.insert(result.findings.end(), analysis->program_findings.begin(), analysis->program_findings.end());
  result.findings.insert(result.findings.end(), output.findings.begin(), output.findings.end());
  result.faults_fired = output.gm_accesses.faults;
  std::vector<runtime::StaleRead> stale_reads;
  if (result.outcome == simcore::Outcome::pass) {
    runtime::DataVerdict data = analysis->reference->judge(output.gm_accesses, output.sim_time_ns);
    result.data_checked = true;
    result.mismatches = std::move(data.tensors);
    stale_reads = std::move(data.stale_reads);
    if (data.wrong) {
      result.outcome = simcore::Outcome::wrong_values;
      result.summary = data.summary;
    }
  }
  result.timing = output.timing;
  if (artifacts != nullptr) {
    artifacts->decisions = std::move(output.decisions);
    artifacts->events = std::move(output.events);
    artifacts->lanes = std::move(output.lanes);
    artifacts->tasks = std::move(output.tasks);
    artifacts->slices = std::move(output.gm_accesses.slices);
    artifacts->program_accesses = std::move(output.gm_accesses.program);
    artifacts->stale_reads = std::move(stale_reads);
  }
  return result;
}

RunResult run_scenario(const scenarios::Scenario& scenario, std::uint64_t seed,
                       const std::optional<simcore::DecisionLog>& replay_log, RunArtifacts* artifacts,
                       ReplayMode mode) {
  RunOptions options;
  options.replay_log = replay_log;
  options.mode = mode;
  return run_scenario(scenario, seed, options, artifacts);
}

bool is_failing(const RunResult& result) {
  return !result.failure.empty() || result.outcome != simcore::Outcome::pass || !result.findings.empty();
}

std::uint64_t SeedSelection::count() const {
  const std::uint64_t span = range.count();  // at most SWEEP_MAX_SEEDS, checked by the caller
  const std::uint64_t offset = shard_index - 1;
  return span > offset ? (span - offset + shard_count - 1) / shard_count : 0;
}

std::uint64_t SeedSelection::at(std::uint64_t n) const {
  return range.first + (shard_index - 1) + n * shard_count;
}

std::string SeedSelection::shard_text() const { return std::to_string(shard_index) + "/" + std::to_string(shard_count); }

std::string parse_shard(const std::string& text, SeedSelection& out) {
  const std::size_t slash = text.find('/');
  std::uint64_t index = 0;
  std::uint64_t count = 0;
  if (slash == std::string::npos || !scenarios::parse_u64(text.substr(0, slash), index) ||
      !scenarios::parse_u64(text.substr(slash + 1), count) || index < 1 || count < 1 || index > count ||
      count > 100000) {
    return "a shard I/N with 1 <= I <= N <= 100000, found \"" + text + "\"";
  }
  out.shard_index = static_cast<std::uint32_t>(index);
  out.shard_count = static_cast<std::uint32_t>(count);
  return {};
}

FailureRate failure_rate(std::uint64_t failing, std::uint64_t runs) {
  FailureRate rate;
  if (runs == 0) {
    rate.high = 1;
    return rate;
  }
  // Wilson score interval at 95% (z = 1.96): stays inside [0, 1] and is honest at 0 and at n.
  const double n = static_cast<double>(runs);
  const double p = static_cast<double>(failing) / n;
  const double z = 1.959963984540054;
  const double z2 = z * z;
  const double center = (p + z2 / (2 * n)) / (1 + z2 / n);
  const double half = z * std::sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n);
  rate.value = p;
  rate.low = std::max(0.0, center - half);
  rate.high = std::min(1.0, center + half);
  if (failing == 0) rate.low = 0;
  if (failing == runs) rate.high = 1;
  return rate;
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

}  // namespace

bool finding_matches(const scenarios::FindingPattern& pattern, const simcore::Finding& finding) {
  if (finding.kind != pattern.kind) return false;
  auto text_field = [&finding](std::string_view key, std::string_view inner) -> std::string {
    const simcore::Detail* value = finding.details.find(key);
    if (value != nullptr && !inner.empty()) value = value->find(inner);
    return value != nullptr && value->type() == simcore::Detail::Type::text ? value->as_text() : std::string();
  };
  if (!pattern.hazard.empty() && text_field("hazard", "") != pattern.hazard) return false;
  if (!pattern.first.empty() && text_field("first", "name") != pattern.first) return false;
  if (!pattern.second.empty() && text_field("second", "name") != pattern.second) return false;
  return true;
}

SweepSummary sweep(const scenarios::Scenario& scenario, const SweepOptions& options) {
  SweepSummary summary;
  std::vector<const scenarios::FindingPattern*> patterns;
  if (scenario.expect) {
    for (const auto& pattern : scenario.expect->findings_always) patterns.push_back(&pattern);
    for (const auto& pattern : scenario.expect->findings_never) patterns.push_back(&pattern);
  }
  summary.pattern_counts.assign(patterns.size(), 0);
  // Seed-independent work, done once before the children fork.
  const std::unique_ptr<ScenarioAnalysis> analysis = analyse_scenario(scenario);
  const std::uint64_t total = options.seeds.count();
  summary.total = total;
  const int jobs = options.jobs < 1 ? 1 : options.jobs;
  std::map<std::uint64_t, RunResult> not_passing;  // by seed, capped
  std::vector<SeedWorker> workers;  // each runs one seed at a time
  std::uint64_t next = 0;  // position in the selection of the next seed to launch
  if (!options.snapshot_dir.empty()) ensure_directory(options.snapshot_dir, "--snapshot-dir");
  if (!options.record_dir.empty()) ensure_directory(options.record_dir, "--record-failures");
  if (options.keep_seed_status) summary.seed_status.assign(total, 0);
  ChildJob job;
  job.options.strategy = options.strategy;
  job.options.analysis = analysis.get();
  job.want_snapshot = !options.snapshot_dir.empty() || !options.record_dir.empty();
  job.log = options.record_dir.empty() ? ChildJob::Log::never : ChildJob::Log::when_failing;

  auto write_output = [&](const std::string& path, const std::string& text, bool recording) {
    try {
      write_file_atomically(path, text);
      if (recording) ++summary.recordings_written;
    } catch (const OutputFileError& e) {
      summary.output_errors.push_back(e.what());
    }
  };
  auto record = [&](ChildOutput output) {
    RunResult& result = output.result;
    ++summary.runs;
    const std::string stem = "/seed-" + std::to_string(result.seed);
    // Written here, in the parent: a failure is an output error, not a failed run.
    if (result.snapshot) {
      const std::string text = json_text(snapshot_file_json(*result.snapshot, result.seed, scenario.text_hash), 1) + "\n";
      if (!options.snapshot_dir.empty()) write_output(options.snapshot_dir + stem + ".snapshot.json", text, false);
      if (!options.record_dir.empty()) write_output(options.record_dir + stem + ".snapshot.json", text, false);
      result.snapshot.reset();
    }
    if (output.decisions && !options.record_dir.empty()) {
      write_output(options.record_dir + stem + ".recording.json",
                   recording_to_text(make_recording(scenario, result, std::move(*output.decisions))), true);
    }
    bool seen[simcore::FINDING_KIND_COUNT] = {};
    for (const simcore::Finding& finding : result.findings) seen[static_cast<int>(finding.kind)] = true;
    for (int k = 0; k < simcore::FINDING_KIND_COUNT; ++k) summary.finding_counts[static_cast<std::size_t>(k)] += seen[k] ? 1 : 0;
    for (std::size_t p = 0; p < patterns.size(); ++p) {
      for (const simcore::Finding& finding : result.findings) {
        if (!finding_matches(*patterns[p], finding)) continue;
        ++summary.pattern_counts[p];
        break;
      }
    }
    for (const runtime::TensorMismatch& mismatch : result.mismatches) {
      summary.tensor_wrong_seeds[mismatch.tensor] += mismatch.mismatched_elements > 0 ? 1 : 0;
    }
    if (!result.failure.empty()) {
      ++summary.failed_runs;
    } else {
      ++summary.outcome_counts[static_cast<std::size_t>(result.outcome)];
    }
    const bool failing = is_failing(result);
    if (options.keep_seed_status) {
      const std::uint64_t position = (result.seed - options.seeds.at(0)) / options.seeds.shard_count;
      summary.seed_status[position] = failing ? 2 : 1;
    }
    if (!failing) return;
    ++summary.failing;
    if (!summary.first_failing_seed || result.seed < *summary.first_failing_seed) summary.first_failing_seed = result.seed;
    not_passing.emplace(result.seed, std::move(result));
    if (not_passing.size() > SWEEP_MAX_LISTED_RUNS) {
      not_passing.erase(std::prev(not_passing.end()));
      ++summary.not_passing_unlisted;
    }
  };
  auto report_progress = [&] {
    if (options.progress) options.progress(summary.runs, total, summary.failing);
  };
  auto stop_requested = [&] { return options.stop_signal != nullptr && *options.stop_signal != 0; };

  std::vector<std::uint64_t> returned;  // seeds a worker that had died could not take
  auto more_seeds = [&] { return (next < total || !returned.empty()) && !summary.stopped_early; };
  while (more_seeds() || !workers.empty()) {
    if (stop_requested()) {
      // Every worker dies with the sweep; what finished is the partial summary.
      for (SeedWorker& worker : workers) worker.kill();
      workers.clear();
      summary.interrupted_by = static_cast<int>(*options.stop_signal);
      break;
    }
    // Seeds left beyond those the workers are running: start workers up to --jobs.
    std::uint64_t busy = 0;
    for (const SeedWorker& worker : workers) busy += worker.ready() ? 0 : 1;
    const std::uint64_t left = total - next + returned.size();
    while (more_seeds() && static_cast<int>(workers.size()) < jobs && workers.size() - busy < left) {
      workers.push_back(SeedWorker::start(scenario, job));
    }
    for (SeedWorker& worker : workers) {
      if (!worker.ready()) continue;
      if (more_seeds()) {
        std::uint64_t seed = 0;
        if (!returned.empty()) {
          seed = returned.back();
          returned.pop_back();
        } else {
          seed = options.seeds.at(next++);
        }
        if (!worker.assign(seed)) returned.push_back(seed);
      } else {
        worker.close_input();
      }
    }
    std::vector<pollfd> fds;
    for (const SeedWorker& worker : workers) fds.push_back(pollfd{worker.fd(), POLLIN, 0});
    // A timeout lets progress be reported, and a stop request be seen, while long runs go on.
    const int ready = ::poll(fds.data(), fds.size(), 1000);
    if (ready < 0 && errno != EINTR) throw std::runtime_error(std::string("poll failed: ") + std::strerror(errno));
    if (ready <= 0) {
      report_progress();
      continue;
    }
    for (std::size_t i = workers.size(); i-- > 0;) {
      if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      const bool open = workers[i].pump();
      std::optional<ChildOutput> output = workers[i].take_output();
      if (!open) {
        // The worker is gone: retired, or dead while running a seed (which then fails).
        std::optional<ChildOutput> died = workers[i].finish();
        if (!output) output = std::move(died);
        workers.erase(workers.begin() + static_cast<std::ptrdiff_t>(i));
      }
      if (!output) continue;
      // A terminal's Ctrl-C reaches the workers too: a seed whose worker died while the sweep is
      // being stopped did not fail, it was stopped with it, and is not counted.
      if (stop_requested() && !output->result.failure.empty()) continue;
      record(std::move(*output));
      if (options.stop_after > 0 && summary.failing >= options.stop_after) summary.stopped_early = true;
      report_progress();
    }
  }
  for (auto& [seed, result] : not_passing) summary.not_passing.push_back(std::move(result));
  return summary;
}

ExpectationCheck check_expectations(const std::optional<scenarios::Expectations>& expect, const SweepSummary& summary) {
  ExpectationCheck check;
  auto violation = [&check](std::string text) {
    check.holds = false;
    check.violations.push_back(std::move(text));
  };
  if (summary.failed_runs > 0) violation(simcore::count_noun(summary.failed_runs, "run") + " failed to complete");
  const std::vector<simcore::Outcome> always =
      expect ? expect->always : std::vector<simcore::Outcome>{simcore::Outcome::pass};
  auto listed = [](const std::vector<simcore::Outcome>& list, simcore::Outcome outcome) {
    for (simcore::Outcome o : list) {
      if (o == outcome) return true;
    }
    return false;
  };
  // The lowest listed seed with this outcome, to point at one example.
  auto example = [&](simcore::Outcome outcome) -> std::string {
    for (const RunResult& run : summary.not_passing) {
      if (run.failure.empty() && run.outcome == outcome) return " (first: seed " + std::to_string(run.seed) + ")";
    }
    return "";
  };
  for (int i = 0; i < simcore::OUTCOME_COUNT; ++i) {
    const auto outcome = static_cast<simcore::Outcome>(i);
    const std::uint64_t count = summary.outcome_counts[static_cast<std::size_t>(i)];
    if (count == 0) continue;
    if (!always.empty() && !listed(always, outcome)) {
      violation(simcore::count_noun(count, "seed") + " ended in " + simcore::to_string(outcome) + example(outcome) +
                ", expected always one of the listed outcomes");
    }
    if (expect && listed(expect->never, outcome)) {
      violation(simcore::count_noun(count, "seed") + " ended in " + simcore::to_string(outcome) + example(outcome) +
                ", which must never appear");
    }
  }
  if (expect && expect->error_code) {
    for (const RunResult& run : summary.not_passing) {
      if (!run.failure.empty()) continue;
      if (run.report && static_cast<int>(run.report->code) != *expect->error_code) {
        violation("seed " + std::to_string(run.seed) + " reported runtime code " +
                  std::to_string(static_cast<int>(run.report->code)) + ", expected " + std::to_string(*expect->error_code));
      } else if (!run.report) {
        violation("seed " + std::to_string(run.seed) + " ended in " + simcore::to_string(run.outcome) +
                  " without a runtime report, expected code " + std::to_string(*expect->error_code));
      }
    }
  }
  if (expect) {
    for (simcore::Outcome wanted : expect->sometimes) {
      if (summary.outcome_counts[static_cast<std::size_t>(wanted)] == 0) {
        violation(std::string("outcome ") + simcore::to_string(wanted) + " never appeared, expected at least once");
      }
    }
    // Rates are shares of the seeds that ran to an outcome, in whole percent, compared exactly.
    const std::uint64_t ran = summary.runs - summary.failed_runs;
    for (const scenarios::OutcomeRate& rate : expect->rates) {
      const std::uint64_t count = summary.outcome_counts[static_cast<std::size_t>(rate.outcome)];
      const auto min = static_cast<std::uint64_t>(rate.min_percent);
      const auto max = static_cast<std::uint64_t>(rate.max_percent);
      if (count * 100 < min * ran || count * 100 > max * ran) {
        violation(std::string("outcome ") + simcore::to_string(rate.outcome) + " on " + std::to_string(count) + " of " +
                  std::to_string(ran) + " seeds, expected between " + std::to_string(min) + "% and " +
                  std::to_string(max) + "%");
      }
    }
    for (const std::string& tensor : expect->correct_tensors) {
      auto wrong = summary.tensor_wrong_seeds.find(tensor);
      if (wrong != summary.tensor_wrong_seeds.end() && wrong->second > 0) {
        violation("tensor " + tensor + " ended with wrong contents on " + std::to_string(wrong->second) +
                  " seeds, expected correct on every seed");
      }
    }
    const std::size_t always_count = expect->findings_always.size();
    for (std::size_t p = 0; p < summary.pattern_counts.size(); ++p) {
      const bool required = p < always_count;
      const scenarios::FindingPattern& pattern =
          required ? expect->findings_always[p] : expect->findings_never[p - always_count];
      const std::uint64_t seen = summary.pattern_counts[p];
      if (required && seen != summary.runs) {
        violation("finding " + scenarios::to_string(pattern) + " reported on " + std::to_string(seen) + " of " +
                  std::to_string(summary.runs) + " seeds, expected on every seed");
      } else if (!required && seen != 0) {
        violation("finding " + scenarios::to_string(pattern) + " reported on " + std::to_string(seen) +
                  " seeds, expected on none");
      }
    }
  }
  return check;
}

}  // namespace ptosim::replay
