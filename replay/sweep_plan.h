// A sweep plan: everything that decides what a sweep (or a map) runs and counts, as data that
// crosses processes and machines. An executor runs it (the local worker pool of `ptosim sweep`,
// or `ptosim worker --plan` fed seeds by an external engine) and a fold (replay/sweep_fold.h)
// counts what it ran. Nothing in a plan points into a process's memory: the scenario travels as
// its text, so a worker on another machine runs exactly what the sweep would have run.
//
// What a plan holds: the scenario text (after `--set` overrides) with its path and the overrides
// as given (for repro commands), the strategy and its parameters, the seed selection (a range,
// or a shard of one), the cells (a sweep has one cell; a map has one per point, each pinning some
// parameters), and the artefact and stopping policy.
#pragma once

#include "replay/report_json.h"
#include "replay/run_session.h"
#include "scenarios/scenario.h"
#include "simcore/strategies.h"

#include <cstdint>
#include <string>
#include <vector>

namespace ptosim::replay {

inline constexpr int PLAN_VERSION = 1;
// Cells of one plan (map grid points or random points); bounds what a map may ask for.
inline constexpr std::size_t PLAN_MAX_CELLS = 4096;

// One cell: the parameters it pins, as `--set` would (pointer, JSON value text). A sweep's only
// cell pins nothing.
struct PlanCell {
  std::vector<scenarios::Override> point;
};

// What --stop-after counts: seeds that fail in any way (a failing outcome or a finding), or only
// seeds whose outcome fails.
enum class StopOn : std::uint8_t { any, outcome };
const char* to_string(StopOn stop_on);

struct SweepPlan {
  std::string program = "ptosim";  // how to invoke ptosim in repro commands
  std::string scenario_path;
  std::string scenario_text;  // after --set overrides: what is loaded, hashed and recorded
  std::vector<std::string> overrides;  // --set PATH=VALUE as given
  bool nominal = false;                // --nominal (the text has no `uncertain` left)
  simcore::StrategySpec strategy;      // resolved (pct steps filled in)
  bool pct_steps_given = false;        // repro commands repeat --pct-steps
  SeedSelection seeds;
  std::vector<PlanCell> cells = std::vector<PlanCell>(1);
  std::vector<std::string> vary;        // a map's varied pointers, in column order; empty for a sweep
  std::vector<std::string> vary_specs;  // the spec of each, as given (--vary PTR=SPEC)
  std::string map_mode;                 // a map's: "grid" or "points"
  std::string snapshot_dir;       // empty: none
  std::string record_dir;         // empty: none
  std::uint64_t stop_after = 0;   // stop launching runs once this many failed (0: never)
  StopOn stop_on = StopOn::any;   // what stop_after counts

  bool is_map() const { return !vary.empty(); }
};

Json plan_to_json(const SweepPlan& plan);
// Throws InputError naming `file` and the field when the JSON is not a plan this ptosim reads.
SweepPlan plan_from_json(const Json& json, const std::string& file);
// A hash of the plan's JSON text: worker outputs name the plan they ran, so merge can tell
// whether they belong together.
std::uint64_t plan_hash(const SweepPlan& plan);

}  // namespace ptosim::replay
