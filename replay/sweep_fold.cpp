#include "replay/sweep_fold.h"

#include "simcore/model_assert.h"

#include <iterator>
#include <stdexcept>
#include <utility>

namespace ptosim::replay {

std::vector<scenarios::FindingPattern> expected_patterns(const std::optional<scenarios::Expectations>& expect) {
  std::vector<scenarios::FindingPattern> patterns;
  if (!expect) return patterns;
  patterns.insert(patterns.end(), expect->findings_always.begin(), expect->findings_always.end());
  patterns.insert(patterns.end(), expect->findings_never.begin(), expect->findings_never.end());
  return patterns;
}

SweepFold::SweepFold(std::vector<scenarios::FindingPattern> patterns, std::uint64_t total)
    : patterns_(std::move(patterns)) {
  summary_.total = total;
  summary_.pattern_counts.assign(patterns_.size(), 0);
}

void SweepFold::keep_seed_status(const SeedSelection& seeds) {
  status_of_ = seeds;
  summary_.seed_status.assign(seeds.count(), SeedStatus{});
}

void SweepFold::list(RunResult result) {
  const std::uint64_t seed = result.seed;
  listed_.emplace(seed, std::move(result));
  if (listed_.size() > SWEEP_MAX_LISTED_RUNS) {
    listed_.erase(std::prev(listed_.end()));
    ++summary_.not_passing_unlisted;
  }
}

namespace {

SeedStatus status_of(const RunResult& result, bool failing, const std::vector<scenarios::FindingPattern>& patterns) {
  SeedStatus status;
  status.state = !result.failure.empty() ? SeedStatus::State::run_failed
                 : failing               ? SeedStatus::State::failing
                                         : SeedStatus::State::passed;
  status.outcome = result.outcome;
  for (const simcore::Finding& finding : result.findings) status.finding_kinds |= 1u << static_cast<unsigned>(finding.kind);
  // Every pattern, however many the expectations list (a 64-bit mask once dropped the 65th on).
  status.patterns.assign(patterns.size(), false);
  for (std::size_t p = 0; p < patterns.size(); ++p) {
    for (const simcore::Finding& finding : result.findings) {
      if (finding_matches(patterns[p], finding)) status.patterns[p] = true;
    }
  }
  if (result.report) status.error_code = static_cast<std::int32_t>(result.report->code);
  status.wall_us = result.wall_us;
  for (const runtime::TensorMismatch& mismatch : result.mismatches) {
    if (mismatch.mismatched_elements > 0) status.wrong_tensors.push_back(mismatch.tensor);
  }
  return status;
}

}  // namespace

void SweepFold::add(RunResult result) {
  static_assert(simcore::FINDING_KIND_COUNT <= 32, "finding kinds fit SeedStatus::finding_kinds");
  ++summary_.runs;
  bool seen[simcore::FINDING_KIND_COUNT] = {};
  for (const simcore::Finding& finding : result.findings) seen[static_cast<int>(finding.kind)] = true;
  for (int k = 0; k < simcore::FINDING_KIND_COUNT; ++k) {
    summary_.finding_counts[static_cast<std::size_t>(k)] += seen[k] ? 1 : 0;
  }
  for (std::size_t p = 0; p < patterns_.size(); ++p) {
    for (const simcore::Finding& finding : result.findings) {
      if (!finding_matches(patterns_[p], finding)) continue;
      ++summary_.pattern_counts[p];
      break;
    }
  }
  for (const runtime::TensorMismatch& mismatch : result.mismatches) {
    summary_.tensor_wrong_seeds[mismatch.tensor] += mismatch.mismatched_elements > 0 ? 1 : 0;
  }
  if (!result.failure.empty()) {
    ++summary_.failed_runs;
  } else {
    ++summary_.outcome_counts[static_cast<std::size_t>(result.outcome)];
  }
  const bool failing = is_failing(result);
  if (status_of_) {
    PTOSIM_ASSERT(result.seed >= status_of_->at(0), "a folded seed is not below the selection whose status is kept");
    const std::uint64_t offset = result.seed - status_of_->at(0);
    PTOSIM_ASSERT(offset % status_of_->shard_count == 0, "a folded seed belongs to the shard whose status is kept");
    const std::uint64_t position = offset / status_of_->shard_count;
    PTOSIM_ASSERT(position < summary_.seed_status.size(), "a folded seed lies inside the selection");
    PTOSIM_ASSERT(summary_.seed_status[position].state == SeedStatus::State::not_run, "a seed is folded once");
    summary_.seed_status[position] = status_of(result, failing, patterns_);
  }
  if (!failing) return;
  ++summary_.failing;
  if (is_outcome_failing(result)) {
    ++summary_.outcome_failing;
    if (!summary_.first_outcome_failing_seed || result.seed < *summary_.first_outcome_failing_seed) {
      summary_.first_outcome_failing_seed = result.seed;
    }
  }
  if (!summary_.first_failing_seed || result.seed < *summary_.first_failing_seed) {
    summary_.first_failing_seed = result.seed;
  }
  list(std::move(result));
}

void SweepFold::add(const SweepSummary& other) {
  PTOSIM_ASSERT(!status_of_, "a fold that keeps per-seed status folds runs, not summaries");
  SweepSummary& total = summary_;
  total.total += other.total;
  total.runs += other.runs;
  for (std::size_t i = 0; i < total.outcome_counts.size(); ++i) total.outcome_counts[i] += other.outcome_counts[i];
  for (std::size_t i = 0; i < total.finding_counts.size(); ++i) total.finding_counts[i] += other.finding_counts[i];
  // Shards of one scenario count the same patterns in the same order.
  if (total.pattern_counts.size() < other.pattern_counts.size()) total.pattern_counts.resize(other.pattern_counts.size(), 0);
  for (std::size_t i = 0; i < other.pattern_counts.size(); ++i) total.pattern_counts[i] += other.pattern_counts[i];
  for (const auto& [tensor, seeds] : other.tensor_wrong_seeds) total.tensor_wrong_seeds[tensor] += seeds;
  total.failed_runs += other.failed_runs;
  total.failing += other.failing;
  total.outcome_failing += other.outcome_failing;
  if (other.first_failing_seed && (!total.first_failing_seed || *other.first_failing_seed < *total.first_failing_seed)) {
    total.first_failing_seed = other.first_failing_seed;
  }
  if (other.first_outcome_failing_seed &&
      (!total.first_outcome_failing_seed || *other.first_outcome_failing_seed < *total.first_outcome_failing_seed)) {
    total.first_outcome_failing_seed = other.first_outcome_failing_seed;
  }
  for (const RunResult& run : other.not_passing) list(run);
  total.not_passing_unlisted += other.not_passing_unlisted;
  total.stopped_early = total.stopped_early || other.stopped_early;
  if (total.interrupted_by == 0) total.interrupted_by = other.interrupted_by;
  total.output_errors.insert(total.output_errors.end(), other.output_errors.begin(), other.output_errors.end());
  total.recordings_written += other.recordings_written;
}

SweepSummary SweepFold::finish() && {
  PTOSIM_ASSERT(summary_.failing <= summary_.runs, "no more failing runs than runs");
  PTOSIM_ASSERT(summary_.outcome_failing <= summary_.failing, "a run whose outcome fails is a failing run");
  summary_.not_passing.clear();
  for (auto& [seed, result] : listed_) summary_.not_passing.push_back(std::move(result));
  listed_.clear();
  return std::move(summary_);
}

}  // namespace ptosim::replay
