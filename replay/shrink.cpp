#include "replay/shrink.h"

#include "replay/child_process.h"

#include <algorithm>
#include <set>

namespace ptosim::replay {

namespace {

// What must stay the same for a candidate to count as the same failure.
struct FailureClass {
  simcore::Outcome outcome = simcore::Outcome::pass;
  std::optional<int> error_code;
  std::set<simcore::FindingKind> findings;

  bool matched_by(const RunResult& run) const {
    if (!run.failure.empty() || run.outcome != outcome) return false;
    if (error_code && (!run.report || static_cast<int>(run.report->code) != *error_code)) return false;
    for (simcore::FindingKind kind : findings) {
      bool found = false;
      for (const simcore::Finding& finding : run.findings) found = found || finding.kind == kind;
      if (!found) return false;
    }
    return true;
  }
  std::string describe() const {
    std::string text = simcore::to_string(outcome);
    if (error_code) text += ", runtime code " + std::to_string(*error_code);
    for (simcore::FindingKind kind : findings) text += ", finding " + std::string(simcore::to_string(kind));
    return text;
  }
};

std::vector<std::size_t> nondefault_indices(const simcore::DecisionLog& log) {
  std::vector<std::size_t> indices;
  for (std::size_t i = 0; i < log.entries.size(); ++i) {
    if (!log.entries[i].is_default()) indices.push_back(i);
  }
  return indices;
}

// The log lenient replay gets: only the kept non-default decisions of `base`; every other key
// falls back to its default.
simcore::DecisionLog keep_only(const simcore::DecisionLog& base, const std::vector<std::size_t>& kept) {
  simcore::DecisionLog log;
  log.streams = base.streams;
  for (std::size_t index : kept) log.entries.push_back(base.entries[index]);
  return log;
}

}  // namespace

ShrinkResult shrink(const Recording& recording, const scenarios::Scenario& scenario, const ShrinkOptions& options) {
  ShrinkResult result;
  result.nondefault_before = recording.decisions.nondefault_count();
  result.decisions_before = recording.decisions.entries.size();

  ChildJob job;
  job.seed = recording.seed;
  job.options.strategy = recording.spec;
  job.options.mode = ReplayMode::lenient;
  job.log = ChildJob::Log::always;

  // The reference: the recording as it is, which also tells the runtime code and findings.
  job.options.replay_log = recording.decisions;
  ChildOutput reference = run_in_child(scenario, job);
  if (!reference.result.failure.empty() || !reference.decisions) {
    throw InputError(recording.scenario_path, "", "the recording could not be replayed: " + reference.result.failure);
  }
  if (reference.result.outcome != recording.outcome) {
    throw InputError("recording", "/result/outcome",
                     std::string("the recording does not reproduce: recorded ") + simcore::to_string(recording.outcome) +
                         ", replayed " + simcore::to_string(reference.result.outcome));
  }
  if (!is_failing(reference.result)) {
    throw InputError("recording", "/result/outcome", "the recorded run passes: there is no failure to shrink");
  }
  FailureClass wanted;
  wanted.outcome = reference.result.outcome;
  if (reference.result.report) wanted.error_code = static_cast<int>(reference.result.report->code);
  for (const simcore::Finding& finding : reference.result.findings) wanted.findings.insert(finding.kind);
  result.failure_class = wanted.describe();

  RunResult best_result = reference.result;
  simcore::DecisionLog best_log = std::move(*reference.decisions);

  // Runs a candidate; on the same failure it becomes the new baseline. Returns whether it did.
  auto test = [&](const std::vector<std::size_t>& kept) {
    if (result.runs >= options.max_runs) {
      result.exhausted = true;
      return false;
    }
    ++result.runs;
    job.options.replay_log = keep_only(best_log, kept);
    ChildOutput candidate = run_in_child(scenario, job);
    const bool same = candidate.decisions && wanted.matched_by(candidate.result);
    if (same) {
      best_result = candidate.result;
      best_log = std::move(*candidate.decisions);
    }
    if (options.progress) options.progress(result.runs, same ? best_log.nondefault_count() : kept.size(), same);
    return same;
  };

  // ddmin: try to keep one chunk only, then to drop one chunk; refine the chunks when neither
  // fails the same way. Every kept candidate restarts from the log that run actually made.
  std::vector<std::size_t> current = nondefault_indices(best_log);
  if (!current.empty() && !test({})) {
    std::size_t granularity = 2;
    current = nondefault_indices(best_log);
    while (current.size() >= 2 && !result.exhausted) {
      granularity = std::min(granularity, current.size());
      std::vector<std::vector<std::size_t>> chunks(granularity);
      for (std::size_t i = 0; i < current.size(); ++i) chunks[i * granularity / current.size()].push_back(current[i]);
      bool reduced = false;
      for (const auto& chunk : chunks) {
        if (test(chunk)) {
          granularity = 2;
          reduced = true;
          break;
        }
        if (result.exhausted) break;
      }
      if (!reduced && !result.exhausted && granularity > 2) {
        for (std::size_t c = 0; c < chunks.size() && !reduced && !result.exhausted; ++c) {
          std::vector<std::size_t> complement;
          for (std::size_t k = 0; k < chunks.size(); ++k) {
            if (k != c) complement.insert(complement.end(), chunks[k].begin(), chunks[k].end());
          }
          std::sort(complement.begin(), complement.end());
          if (test(complement)) {
            granularity = std::max<std::size_t>(granularity - 1, 2);
            reduced = true;
          }
        }
      }
      if (reduced) {
        current = nondefault_indices(best_log);
        continue;
      }
      if (granularity >= current.size()) break;  // single decisions tried: 1-minimal
      granularity = std::min(granularity * 2, current.size());
    }
  }

  // The shrunk recording is the last kept run with its own log: strict replay reproduces it.
  best_result.strategy = "replay-lenient";
  result.recording = make_recording(scenario, best_result, best_log);
  result.recording.seed = recording.seed;
  result.recording.spec = recording.spec;
  result.nondefault_after = best_log.nondefault_count();
  result.decisions_after = best_log.entries.size();

  ChildJob check = job;
  check.options.replay_log = best_log;
  check.options.mode = ReplayMode::strict;
  check.log = ChildJob::Log::never;
  const ChildOutput verified = run_in_child(scenario, check);
  result.verified = verified.result.failure.empty() && verified.result.digest == best_result.digest &&
                    verified.result.outcome == best_result.outcome;
  return result;
}

}  // namespace ptosim::replay
