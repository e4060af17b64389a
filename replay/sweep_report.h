// What a sweep reports, for people and for CI: its JSON (which `ptosim merge` reads back and
// combines across shards), its JUnit XML, and a command that reproduces each failing seed.
#pragma once

#include "replay/report_json.h"
#include "replay/run_session.h"
#include "scenarios/scenario.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ptosim::replay {

// What a sweep ran, beside its counts.
struct SweepMeta {
  std::string program = "ptosim";  // how to invoke ptosim in repro commands
  std::string scenario_name;
  std::string scenario_path;
  std::uint64_t scenario_hash = 0;
  std::string tool_version = TOOL_VERSION;
  std::vector<std::string> overrides;  // --set PATH=VALUE, as given
  bool nominal = false;                // --nominal (repro commands repeat it)
  bool uncertain = false;              // the scenario draws a point per seed
  SeedSelection seeds;
  simcore::StrategySpec strategy;  // resolved
  bool pct_steps_given = false;    // --pct-steps was given (repro commands repeat it)
  std::optional<scenarios::Expectations> expect;
  bool judged = true;  // whether the expectations decide the exit code (a shard: only when asked)
  int jobs = 1;
  double wall_seconds = 0;  // measured by the command line; 0 when unknown
};

SweepMeta sweep_meta_for(const scenarios::Scenario& scenario, const SeedSelection& seeds,
                         const simcore::StrategySpec& strategy);

// A one-line shell command that reruns `seed` the way the sweep ran it. With a point (the seed's
// draw of the uncertain parameters), the command pins it with --set, which names it and gives the
// same run: the model's decisions do not depend on the point's, and --pct-steps keeps PCT's
// estimate (the pinned scenario's program may differ in size).
std::string repro_command(const SweepMeta& meta, std::uint64_t seed, const std::vector<scenarios::Override>& point = {});

Json expectations_to_json(const scenarios::Expectations& expect);
// Whether the expectations describe a bug the scenario must keep finding: an outcome other than
// pass that must appear (sometimes, or always without pass). Measurement scripts select the
// catalogue's bug scenarios by it (`check --json`: expects_failures).
bool expects_failures(const scenarios::Expectations& expect);
// Whether the expectations describe a fixed variant (a twin of a bug scenario): every seed must
// pass (`always` is exactly ["pass"]). A fixed twin must pass at every point of its region.
bool is_fixed_twin(const scenarios::Expectations& expect);

// A rate as the sweep JSON writes it: {"value": v, "wilson95": [low, high]}.
Json rate_to_json(const FailureRate& rate);

// The fields that say what ran (scenario, hash, overrides, seeds, shard, strategy, jobs): the
// head of a sweep's JSON and of a map's; and back (wall_seconds too).
void meta_to_json(const SweepMeta& meta, Json& out);
SweepMeta meta_from_json(const Json& json, const std::string& file);
// The counts of one sweep or one map cell (total .. failing_seeds_unlisted), listing at most
// `max_listed` failing seeds (the lowest); and back, `at` the pointer of the object in `file`.
void counts_to_json(const SweepSummary& summary, const SweepMeta& meta, Json& out,
                    std::size_t max_listed = SWEEP_MAX_LISTED_RUNS);
SweepSummary counts_from_json(const Json& object, const std::string& file, const std::string& at, const SweepMeta& meta);
// What shards of one sweep (or map) have in common, checked: the same scenario hash, strategy,
// range and split, every shard exactly once (InputError naming the file that does not fit). The
// result describes their union (jobs summed, the longest wall time).
SweepMeta merged_meta(const std::vector<SweepMeta>& shards, const std::vector<std::string>& files);
// XML text: markup escaped, characters XML 1.0 forbids and bytes that are not UTF-8 replaced.
std::string xml_escape(const std::string& text);

// The sweep's JSON (docs/outputs.md). `check` is the expectations' verdict over this sweep.
Json sweep_to_json(const SweepSummary& summary, const SweepMeta& meta, const ExpectationCheck& check);

// A sweep read back from its JSON, for `ptosim merge`.
struct SweepDocument {
  SweepSummary summary;
  SweepMeta meta;
};
// Throws InputError naming `file` and the field when the JSON is not a sweep's.
SweepDocument sweep_from_json(const Json& json, const std::string& file);
// Combines shards of one sweep (same scenario hash, strategy and range; shards 1..N each exactly
// once) into the summary one sweep over the whole range would have. Throws InputError naming the
// file that does not fit.
SweepDocument merge_sweeps(const std::vector<SweepDocument>& shards, const std::vector<std::string>& files);

// JUnit XML that matches the verdict: one test case per seed that ran, passing when the
// expectations allow its outcome and findings (both as properties), a <failure> naming what it
// violates, an <error> for a run that could not complete; its time is the seed's measured wall
// time. A judged sweep adds a test case `expectations` for the constraints over all seeds
// (`check`). Needs summary.seed_status.
std::string sweep_to_junit(const SweepSummary& summary, const SweepMeta& meta, const ExpectationCheck& check);

}  // namespace ptosim::replay
