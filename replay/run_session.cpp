#include "replay/run_session.h"

#include "replay/report_json.h"
#include "simcore/plural.h"

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
                       ReplayMode mode) {
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
  result.findings = output.findings;
  result.timing = output.timing;
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
Child start_child(const scenarios::Scenario& scenario, std::uint64_t seed, bool want_snapshot) {
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
      RunResult result = run_scenario(scenario, seed);
      result.timing.reset();  // a sweep reports outcomes, not breakdowns
      text = json_text(result_to_json(result, want_snapshot && result.outcome != simcore::Outcome::pass));
    } catch (const std::exception& e) {
      RunResult failed;
      failed.seed = seed;
      failed.failure = e.what();
      text = json_text(result_to_json(failed, false));
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

SweepSummary sweep(const scenarios::Scenario& scenario, const SweepOptions& options) {
  SweepSummary summary;
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
        write_file_atomically(path, json_text(snapshot_to_json(*result.snapshot), 1) + "\n");
      } catch (const OutputFileError& e) {
        summary.output_errors.push_back(e.what());
      }
      result.snapshot.reset();
    }
    bool seen[simcore::FINDING_KIND_COUNT] = {};
    for (const simcore::Finding& finding : result.findings) seen[static_cast<int>(finding.kind)] = true;
    for (int k = 0; k < simcore::FINDING_KIND_COUNT; ++k) summary.finding_counts[static_cast<std::size_t>(k)] += seen[k] ? 1 : 0;
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
      running.push_back(start_child(scenario, next, want_snapshots));
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
  }
  return check;
}

}  // namespace ptosim::replay
