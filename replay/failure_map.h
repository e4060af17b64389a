// Failure maps: where a bug lives. A map runs the same seeds at every point of a grid over one or
// two parameters (or at N random points over more) and counts each cell as a sweep counts: the
// same fold, the same JSON shapes, the same rate vocabulary (failure_rate, outcome_failure_rate).
// A cell pins its point exactly as `sweep --set` would, so its counts are those of that sweep;
// uncertain parameters the map does not vary are still drawn per seed.
//
// Outputs: JSON (docs/outputs.md), CSV (one row per cell) and SVG (one parameter: the rate with
// its interval per value; two: a heatmap with the counts in the cells). Shards of a map merge cell
// by cell.
#pragma once

#include "replay/sweep_plan.h"
#include "replay/sweep_report.h"
#include "scenarios/scenario.h"

#include <cstdint>
#include <string>
#include <vector>

namespace ptosim::replay {

// One --vary PTR=SPEC. SPEC: `v1,v2,...` (JSON values), `[...]` (a JSON array of values), `A..B:N`
// (N integers evenly spaced), `log:A..B:N` (N integers evenly spaced on the log scale), or `A..B`
// / `log:A..B` (every integer of the range: all of them in a grid of at most MAP_MAX_AXIS_VALUES,
// uniform or log-uniform draws with --points).
struct VarySpec {
  std::string pointer;
  std::vector<std::string> values;  // the listed or spaced values, as JSON text; empty for a range
  std::int64_t lo = 0;              // a range without a count
  std::int64_t hi = 0;
  bool log = false;
  std::string text;  // as given, for the JSON
};

inline constexpr std::size_t MAP_MAX_AXIS_VALUES = 64;
// Failing seeds a map lists per cell (the lowest; the rest are counted). Shards' lists merge into
// the whole map's list exactly.
inline constexpr std::size_t MAP_MAX_LISTED_PER_CELL = 100;

// Parses "PTR=SPEC"; returns an empty string on success, else what is wrong.
std::string parse_vary(const std::string& text, VarySpec& out);
// A scenario's declared uncertain parameter as a spec (--points without --vary).
VarySpec vary_of(const scenarios::UncertainParam& param);

// The cells of a grid over one or two specs (the first one varies slowest). Throws
// std::invalid_argument with the reason when a spec has no finite list of values or the grid is
// too large.
std::vector<PlanCell> grid_cells(const std::vector<VarySpec>& specs);
// `count` points drawn over the specs (point i from hash(i, pointer), so the same command gives
// the same points).
std::vector<PlanCell> random_cells(const std::vector<VarySpec>& specs, std::size_t count);

// A map and its counts, per cell in the plan's order.
struct MapDocument {
  SweepMeta meta;  // what ran (scenario, seeds, shard, strategy ...); expect is not judged
  std::string mode = "grid";  // "grid" or "points"
  std::vector<VarySpec> vary;
  std::vector<PlanCell> cells;
  std::vector<SweepSummary> summaries;
};

// The meta of one cell: the map's, with the cell's point among the overrides (repro commands).
SweepMeta cell_meta(const MapDocument& map, std::size_t cell);
// A command that reruns the cell's first seed with a failing outcome (else its first failing
// seed); empty when nothing failed.
std::string cell_repro(const MapDocument& map, std::size_t cell);

Json map_to_json(const MapDocument& map);
// Throws InputError naming `file` and the field when the JSON is not a map's.
MapDocument map_from_json(const Json& json, const std::string& file);
// Shards of one map (the same cells, as merged_meta checks the rest) combined cell by cell.
MapDocument merge_maps(const std::vector<MapDocument>& shards, const std::vector<std::string>& files);

// One row per cell: the point's values, then runs, outcome counts and both rates with their
// intervals.
std::string map_to_csv(const MapDocument& map);
// An SVG picture: one varied parameter, the failing-outcome rate per value with its 95% Wilson
// interval (and the failure rate with findings beside it); two, a heatmap of the failing-outcome
// rate with the counts in the cells. Throws std::invalid_argument for more than two parameters.
std::string map_to_svg(const MapDocument& map);

}  // namespace ptosim::replay
