#include "replay/run_session.h"

#include "replay/report_json.h"

#include <cerrno>
#include <cstdio>
#include <iostream>
#include <cstring>
#include <deque>
#include <filesystem>
#include <map>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

namespace ptosim::replay {

RunResult run_scenario(const scenarios::Scenario& scenario, std::uint64_t seed,
                       const std::optional<simcore::DecisionLog>& replay_log, RunArtifacts* artifacts,
                       ReplayMode mode, const ScenarioAnalysis* analysis) {
  std::unique_ptr<ScenarioAnalysis> own_analysis;
  if (analysis == nullptr) {
    own_analysis = analyse_scenario(scenario);
    analysis = own_analysis.get();
  }
  std::unique_ptr<simcore::ExplorationStrategy> strategy;
  if (!replay_log) {
    strategy = simcore::make_random_strategy(seed);
  } else if (mode == ReplayMode::lenient) {
    strategy = simcore::make_lenient_replay_strategy(*replay_log);
  } else {
    strategy = simcore::make_replay_strategy(*replay_log);
  }
  RunResult result;
  result.seed = seed;
  result.strategy = std::string(strategy->name());
  runtime::ModelOutput output = runtime::simulate(scenario.model, seed, std::move(strategy));
  result.outcome = output.verdict.outcome;
  result.summary = output.verdict.summary;
  result.digest = output.digest;
  result.sim_time_ns = output.sim_time_ns;
  result.tasks = scenario.model.program.task_count;
  result.tasks_submitted = output.tasks_submitted;
  result.tasks_completed = output.tasks_completed;
  result.events = output.events.size();
  result.decisions = output.decisions.entries.size();
  result.report = output.verdict.report;
  result.snapshot = output.verdict.snapshot;
  result.wait_chain = output.verdict.wait_chain;
  result.findings = analysis->races.findings;
  result.findings.insert(result.findings.end(), output.findings.begin(), output.findings.end());
  if (result.outcome == simcore::Outcome::pass) {
    runtime::DataVerdict data = analysis->reference->judge(output.gm_accesses, output.sim_time_ns);
    result.data_checked = true;
    result.mismatches = std::move(data.tensors);
    if (data.wrong) {
      result.outcome = simcore::Outcome::wrong_values;
      result.summary = data.summary;
    }
  }
  if (artifacts != nullptr) {
    artifacts->decisions = std::move(output.decisions);
    artifacts->events = std::move(output.events);
    artifacts->lanes = std::move(output.lanes);
    artifacts->tasks = std::move(output.tasks);
  }
  return result;
}

namespace {

struct Child {
  pid_t pid = -1;
  int fd = -1;
  std::uint64_t seed = 0;
  std::string output;
};

// Forks a child that runs one seed and writes its result as JSON to a pipe.
Child start_child(const scenarios::Scenario& scenario, const ScenarioAnalysis& analysis, std::uint64_t seed,
                  bool want_snapshot) {
  int fds[2];
  if (::pipe(fds) != 0) throw std::runtime_error(std::string("pipe failed: ") + std::strerror(errno));
  std::cout.flush();
  std::fflush(nullptr);  // the child must not inherit (and later flush) buffered output
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error(std::string("fork failed: ") + std::strerror(errno));
  if (pid == 0) {
    ::close(fds[0]);
    std::string text;
    int status = 0;
    try {
      RunResult result = run_scenario(scenario, seed, std::nullopt, nullptr, ReplayMode::strict, &analysis);
      text = result_to_json(result, want_snapshot && result.outcome != simcore::Outcome::pass).dump();
    } catch (const std::exception& e) {
      RunResult failed;
      failed.seed = seed;
      failed.failure = e.what();
      text = result_to_json(failed, false).dump();
      status = 1;
    }
    std::size_t written = 0;
    while (written < text.size()) {
      const ssize_t n = ::write(fds[1], text.data() + written, text.size() - written);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) ::_exit(2);
      written += static_cast<std::size_t>(n);
    }
    ::close(fds[1]);
    ::_exit(status);
  }
  ::close(fds[1]);
  return Child{pid, fds[0], seed, {}};
}

RunResult finish_child(Child& child) {
  ::close(child.fd);
  int status = 0;
  while (::waitpid(child.pid, &status, 0) < 0 && errno == EINTR) {
  }
  RunResult result;
  result.seed = child.seed;
  if (WIFSIGNALED(status)) {
    result.failure = "the child process running seed " + std::to_string(child.seed) + " died with signal " +
                     std::to_string(WTERMSIG(status));
    return result;
  }
  try {
    return result_from_json(Json::parse(child.output));
  } catch (const std::exception& e) {
    result.failure = "unreadable result from the child process running seed " + std::to_string(child.seed) + ": " + e.what();
    return result;
  }
}

// Reads whatever is available; returns false at end of file.
bool pump(Child& child) {
  char buffer[65536];
  const ssize_t n = ::read(child.fd, buffer, sizeof buffer);
  if (n < 0) return errno == EINTR || errno == EAGAIN;
  if (n == 0) return false;
  child.output.append(buffer, static_cast<std::size_t>(n));
  return true;
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
  const int jobs = options.jobs < 1 ? 1 : options.jobs;
  std::map<std::uint64_t, RunResult> not_passing;  // by seed, capped
  std::deque<Child> running;
  std::uint64_t next = options.seeds.first;
  bool exhausted = false;
  const bool want_snapshots = !options.snapshot_dir.empty();
  if (want_snapshots) {
    std::error_code error;
    std::filesystem::create_directories(options.snapshot_dir, error);
    if (error || !std::filesystem::is_directory(options.snapshot_dir)) {
      throw OutputFileError("cannot use --snapshot-dir " + options.snapshot_dir + ": " +
                            (error ? error.message() : std::string("not a directory")));
    }
  }
  auto record = [&](RunResult result) {
    ++summary.runs;
    if (result.snapshot) {
      // Written here, in the parent: a failure is an output error, not a failed run.
      const std::string path = options.snapshot_dir + "/seed-" + std::to_string(result.seed) + ".snapshot.json";
      try {
        write_file_atomically(path, snapshot_to_json(*result.snapshot).dump(1) + "\n");
      } catch (const OutputFileError& e) {
        summary.output_errors.push_back(e.what());
      }
      result.snapshot.reset();
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
      if (result.outcome == simcore::Outcome::pass) return;
    }
    not_passing.emplace(result.seed, std::move(result));
    if (not_passing.size() > SWEEP_MAX_LISTED_RUNS) {
      not_passing.erase(std::prev(not_passing.end()));
      ++summary.not_passing_unlisted;
    }
  };
  while (!exhausted || !running.empty()) {
    while (!exhausted && static_cast<int>(running.size()) < jobs) {
      running.push_back(start_child(scenario, *analysis, next, want_snapshots));
      if (next == options.seeds.last) {
        exhausted = true;
      } else {
        ++next;
      }
    }
    std::vector<pollfd> fds;
    for (const Child& child : running) fds.push_back(pollfd{child.fd, POLLIN, 0});
    if (::poll(fds.data(), fds.size(), -1) < 0 && errno != EINTR) {
      throw std::runtime_error(std::string("poll failed: ") + std::strerror(errno));
    }
    for (std::size_t i = running.size(); i-- > 0;) {
      if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      if (pump(running[i])) continue;
      record(finish_child(running[i]));
      running.erase(running.begin() + static_cast<std::ptrdiff_t>(i));
      if (options.progress) {
        options.progress(summary.runs, total, summary.runs - summary.outcome_counts[static_cast<std::size_t>(simcore::Outcome::pass)]);
      }
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
  if (summary.failed_runs > 0) violation(std::to_string(summary.failed_runs) + " runs failed to complete");
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
      violation(std::to_string(count) + " seeds ended in " + simcore::to_string(outcome) + example(outcome) +
                ", expected always one of the listed outcomes");
    }
    if (expect && listed(expect->never, outcome)) {
      violation(std::to_string(count) + " seeds ended in " + simcore::to_string(outcome) + example(outcome) +
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
