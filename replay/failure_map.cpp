#include "replay/failure_map.h"

#include "replay/sweep_fold.h"
#include "scenarios/uncertain.h"
#include "simcore/hashing.h"
#include "simcore/decision_source.h"
#include "simcore/model_assert.h"

#include <algorithm>
#include <cstdio>
#include <set>
#include <sstream>
#include <stdexcept>

namespace ptosim::replay {

namespace {

// "A..B" with A <= B, both within what a parameter may hold.
bool parse_range(const std::string& text, std::int64_t& lo, std::int64_t& hi) {
  const std::size_t dots = text.find("..");
  std::uint64_t a = 0;
  std::uint64_t b = 0;
  if (dots == std::string::npos || !scenarios::parse_u64(text.substr(0, dots), a) ||
      !scenarios::parse_u64(text.substr(dots + 2), b)) {
    return false;
  }
  if (a > b || b > static_cast<std::uint64_t>(scenarios::MAX_UNCERTAIN_VALUE)) return false;
  lo = static_cast<std::int64_t>(a);
  hi = static_cast<std::int64_t>(b);
  return true;
}

// A listed value: JSON when it parses as JSON, else a string (as --set reads a value).
std::string value_text(const std::string& item) {
  try {
    return json_text(Json::parse(item));
  } catch (const Json::exception&) {
    return json_text(Json(item));
  }
}

// The finite values of a spec in a grid: listed or spaced, or every integer of a short range.
std::vector<std::string> grid_values(const VarySpec& spec) {
  if (!spec.values.empty()) return spec.values;
  if (static_cast<std::uint64_t>(spec.hi - spec.lo) >= MAP_MAX_AXIS_VALUES) {
    throw std::invalid_argument("--vary " + spec.pointer + "=" + spec.text + ": a grid needs the number of values, " +
                                (spec.log ? "log:" : "") + std::to_string(spec.lo) + ".." + std::to_string(spec.hi) +
                                ":N (at most " + std::to_string(MAP_MAX_AXIS_VALUES) + "), or --points N");
  }
  std::vector<std::string> values;
  for (std::int64_t v = spec.lo; v <= spec.hi; ++v) values.push_back(std::to_string(v));
  return values;
}

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\n\r") == std::string::npos) return text;
  std::string quoted = "\"";
  for (char c : text) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

std::string fixed(double value, int decimals) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
  return buffer;
}

}  // namespace

std::string parse_vary(const std::string& text, VarySpec& out) {
  const std::size_t equals = text.find('=');
  if (equals == std::string::npos || equals == 0 || text[0] != '/') {
    return "expected PTR=SPEC with PTR a JSON pointer such as /platform/clusters, found '" + text + "'";
  }
  out = VarySpec{};
  out.pointer = text.substr(0, equals);
  out.text = text.substr(equals + 1);
  std::string spec = out.text;
  if (spec.empty()) return "--vary " + out.pointer + ": no values given";
  if (spec[0] == '[') {
    Json list;
    try {
      list = Json::parse(spec);
    } catch (const Json::exception& e) {
      return "--vary " + out.pointer + ": not a JSON array: " + e.what();
    }
    if (!list.is_array() || list.empty() || list.size() > MAP_MAX_AXIS_VALUES) {
      return "--vary " + out.pointer + ": a JSON array of 1 to " + std::to_string(MAP_MAX_AXIS_VALUES) + " values";
    }
    for (const Json& value : list) out.values.push_back(json_text(value));
  } else {
    if (spec.rfind("log:", 0) == 0) {
      out.log = true;
      spec = spec.substr(4);
    }
    const std::size_t colon = spec.find(':');
    std::int64_t lo = 0;
    std::int64_t hi = 0;
    if (parse_range(spec.substr(0, colon), lo, hi)) {
      if (out.log && lo < 1) return "--vary " + out.pointer + ": a log range starts at 1 or above";
      out.lo = lo;
      out.hi = hi;
      if (colon != std::string::npos) {
        std::uint64_t count = 0;
        if (!scenarios::parse_u64(spec.substr(colon + 1), count) || count < 1 || count > MAP_MAX_AXIS_VALUES) {
          return "--vary " + out.pointer + ": after A..B, ':N' with N in 1.." + std::to_string(MAP_MAX_AXIS_VALUES);
        }
        for (std::int64_t v : scenarios::spaced_values(lo, hi, count, out.log)) out.values.push_back(std::to_string(v));
      }
    } else if (out.log || colon != std::string::npos) {
      return "--vary " + out.pointer + ": expected A..B, A..B:N, log:A..B or log:A..B:N with integers A <= B, found '" +
             out.text + "'";
    } else {
      std::size_t start = 0;
      while (start <= spec.size()) {
        const std::size_t comma = spec.find(',', start);
        const std::string item = spec.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        if (item.empty()) return "--vary " + out.pointer + ": an empty value in the list '" + out.text + "'";
        out.values.push_back(value_text(item));
        if (out.values.size() > MAP_MAX_AXIS_VALUES) {
          return "--vary " + out.pointer + ": at most " + std::to_string(MAP_MAX_AXIS_VALUES) + " values";
        }
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
    }
  }
  std::set<std::string> seen;
  for (const std::string& value : out.values) {
    if (!seen.insert(value).second) return "--vary " + out.pointer + ": the value " + value + " is given twice";
  }
  return "";
}

VarySpec vary_of(const scenarios::UncertainParam& param) {
  VarySpec spec;
  spec.pointer = param.pointer;
  if (param.kind == scenarios::UncertainKind::list) {
    spec.values = param.values;
    std::string text;
    for (const std::string& value : param.values) text += (text.empty() ? "" : ",") + value;
    spec.text = "[" + text + "]";
  } else {
    spec.lo = param.lo;
    spec.hi = param.hi;
    spec.log = param.kind == scenarios::UncertainKind::log_range;
    spec.text = std::string(spec.log ? "log:" : "") + std::to_string(param.lo) + ".." + std::to_string(param.hi);
  }
  return spec;
}

std::vector<PlanCell> grid_cells(const std::vector<VarySpec>& specs) {
  if (specs.empty() || specs.size() > 2) {
    throw std::invalid_argument("a grid varies one or two parameters (--vary); --points N draws points over more");
  }
  if (specs.size() == 2 && specs[0].pointer == specs[1].pointer) {
    throw std::invalid_argument("--vary " + specs[0].pointer + " is given twice");
  }
  const std::vector<std::string> first = grid_values(specs[0]);
  const std::vector<std::string> second = specs.size() == 2 ? grid_values(specs[1]) : std::vector<std::string>{""};
  std::vector<PlanCell> cells;
  for (const std::string& a : first) {
    for (const std::string& b : second) {
      PlanCell cell;
      cell.point.push_back(scenarios::Override{specs[0].pointer, a});
      if (specs.size() == 2) cell.point.push_back(scenarios::Override{specs[1].pointer, b});
      cells.push_back(std::move(cell));
    }
  }
  PTOSIM_ASSERT(cells.size() <= PLAN_MAX_CELLS, "a grid of two axes of at most 64 values fits a plan");
  return cells;
}

std::vector<PlanCell> random_cells(const std::vector<VarySpec>& specs, std::size_t count) {
  if (specs.empty()) throw std::invalid_argument("--points needs parameters: --vary, or a scenario with uncertain ones");
  if (count < 1 || count > PLAN_MAX_CELLS) {
    throw std::invalid_argument("--points takes 1 to " + std::to_string(PLAN_MAX_CELLS) + " points");
  }
  std::set<std::string> pointers;
  for (const VarySpec& spec : specs) {
    if (!pointers.insert(spec.pointer).second) throw std::invalid_argument("--vary " + spec.pointer + " is given twice");
  }
  const std::uint64_t stream = fnv1a64("map.point");
  std::vector<PlanCell> cells;
  for (std::uint64_t i = 0; i < count; ++i) {
    PlanCell cell;
    for (const VarySpec& spec : specs) {
      simcore::StreamGenerator generator(i, stream, fnv1a64(spec.pointer), 0, 0);
      std::string value;
      if (!spec.values.empty()) {
        value = spec.values[generator.next_in(0, spec.values.size() - 1)];
      } else if (spec.log) {
        const std::uint64_t position = generator.next_in(scenarios::log_scale(spec.lo), scenarios::log_scale(spec.hi));
        value = std::to_string(std::clamp(scenarios::from_log_scale(position), spec.lo, spec.hi));
      } else {
        value = std::to_string(generator.next_in(static_cast<std::uint64_t>(spec.lo), static_cast<std::uint64_t>(spec.hi)));
      }
      cell.point.push_back(scenarios::Override{spec.pointer, value});
    }
    cells.push_back(std::move(cell));
  }
  return cells;
}

SweepMeta cell_meta(const MapDocument& map, std::size_t cell) {
  SweepMeta meta = map.meta;
  for (const scenarios::Override& item : map.cells.at(cell).point) meta.overrides.push_back(item.pointer + "=" + item.value);
  return meta;
}

std::string cell_repro(const MapDocument& map, std::size_t cell) {
  const SweepSummary& summary = map.summaries.at(cell);
  const std::optional<std::uint64_t> seed =
      summary.first_outcome_failing_seed ? summary.first_outcome_failing_seed : summary.first_failing_seed;
  if (!seed) return "";
  std::vector<scenarios::Override> drawn;
  for (const RunResult& run : summary.not_passing) {
    if (run.seed == *seed) drawn = run.point;
  }
  return repro_command(cell_meta(map, cell), *seed, drawn);
}

Json map_to_json(const MapDocument& map) {
  PTOSIM_ASSERT(map.cells.size() == map.summaries.size(), "one summary per cell");
  Json out;
  meta_to_json(map.meta, out);
  out["mode"] = map.mode;
  Json vary = Json::array();
  for (const VarySpec& spec : map.vary) vary.push_back(Json{{"pointer", spec.pointer}, {"spec", spec.text}});
  out["vary"] = std::move(vary);
  std::uint64_t runs = 0;
  Json cells = Json::array();
  for (std::size_t c = 0; c < map.cells.size(); ++c) {
    Json cell;
    cell["point"] = point_to_json(map.cells[c].point);
    counts_to_json(map.summaries[c], cell_meta(map, c), cell, MAP_MAX_LISTED_PER_CELL);
    const std::string repro = cell_repro(map, c);
    cell["repro"] = repro.empty() ? Json(nullptr) : Json(repro);
    runs += map.summaries[c].runs;
    cells.push_back(std::move(cell));
  }
  out["cells"] = std::move(cells);
  int interrupted_by = 0;
  for (const SweepSummary& summary : map.summaries) interrupted_by = interrupted_by != 0 ? interrupted_by : summary.interrupted_by;
  out["runs"] = runs;
  out["interrupted_by"] = interrupted_by != 0 ? Json(interrupted_by) : Json(nullptr);
  out["wall_seconds"] = map.meta.wall_seconds;
  out["seeds_per_second"] = map.meta.wall_seconds > 0 ? Json(static_cast<double>(runs) / map.meta.wall_seconds) : Json(nullptr);
  return out;
}

MapDocument map_from_json(const Json& json, const std::string& file) {
  if (!json.is_object() || !json.contains("cells") || !json.contains("vary")) {
    throw InputError(file, "", "not the JSON of a ptosim map (write one with `ptosim map --json`)");
  }
  MapDocument map;
  map.meta = meta_from_json(json, file);
  if (!json.contains("mode")) throw InputError(file, "/mode", "missing field 'mode'");
  const Json& mode = json.at("mode");
  if (!mode.is_string() || (mode != "grid" && mode != "points")) throw InputError(file, "/mode", "expected \"grid\" or \"points\"");
  map.mode = mode.get<std::string>();
  const Json& vary = json.at("vary");
  if (!vary.is_array() || vary.empty()) throw InputError(file, "/vary", "expected a non-empty list of varied parameters");
  for (std::size_t i = 0; i < vary.size(); ++i) {
    const std::string pointer = "/vary/" + std::to_string(i);
    if (!vary[i].is_object() || !vary[i].contains("pointer") || !vary[i].contains("spec") || !vary[i]["pointer"].is_string() ||
        !vary[i]["spec"].is_string()) {
      throw InputError(file, pointer, "expected {\"pointer\", \"spec\"}");
    }
    VarySpec spec;
    const std::string problem = parse_vary(vary[i]["pointer"].get<std::string>() + "=" + vary[i]["spec"].get<std::string>(), spec);
    if (!problem.empty()) throw InputError(file, pointer, problem);
    map.vary.push_back(std::move(spec));
  }
  const Json& cells = json.at("cells");
  if (!cells.is_array() || cells.empty() || cells.size() > PLAN_MAX_CELLS) {
    throw InputError(file, "/cells", "expected a list of 1 to " + std::to_string(PLAN_MAX_CELLS) + " cells");
  }
  for (std::size_t c = 0; c < cells.size(); ++c) {
    const std::string pointer = "/cells/" + std::to_string(c);
    if (!cells[c].is_object() || !cells[c].contains("point")) throw InputError(file, pointer + "/point", "missing field 'point'");
    PlanCell cell;
    cell.point = point_from_json(cells[c].at("point"), file, pointer + "/point");
    map.cells.push_back(std::move(cell));
    map.summaries.push_back(counts_from_json(cells[c], file, pointer, cell_meta(map, c)));
  }
  if (json.contains("interrupted_by") && json.at("interrupted_by").is_number_integer()) {
    for (SweepSummary& summary : map.summaries) summary.interrupted_by = json.at("interrupted_by").get<int>();
  }
  return map;
}

MapDocument merge_maps(const std::vector<MapDocument>& shards, const std::vector<std::string>& files) {
  std::vector<SweepMeta> metas;
  for (const MapDocument& shard : shards) metas.push_back(shard.meta);
  MapDocument merged;
  merged.meta = merged_meta(metas, files);
  const MapDocument& first = shards.front();
  merged.mode = first.mode;
  merged.vary = first.vary;
  merged.cells = first.cells;
  for (std::size_t s = 1; s < shards.size(); ++s) {
    bool same = shards[s].cells.size() == first.cells.size() && shards[s].mode == first.mode;
    for (std::size_t c = 0; same && c < first.cells.size(); ++c) {
      same = point_to_json(shards[s].cells[c].point) == point_to_json(first.cells[c].point);
    }
    if (!same) throw InputError(files.at(s), "/cells", "other cells than " + files.front() + ": not a shard of the same map");
  }
  for (std::size_t c = 0; c < first.cells.size(); ++c) {
    SweepFold fold({}, 0);
    for (const MapDocument& shard : shards) fold.add(shard.summaries[c]);
    merged.summaries.push_back(std::move(fold).finish());
  }
  return merged;
}

std::string map_to_csv(const MapDocument& map) {
  std::ostringstream out;
  std::vector<std::string> columns;
  for (const VarySpec& spec : map.vary) columns.push_back(spec.pointer);
  columns.push_back("runs");
  for (int i = 0; i < simcore::OUTCOME_COUNT; ++i) columns.push_back(simcore::to_string(static_cast<simcore::Outcome>(i)));
  for (const char* name : {"failed_runs", "failing", "failure_rate", "failure_rate_low", "failure_rate_high", "outcome_failing",
                           "outcome_failure_rate", "outcome_failure_rate_low", "outcome_failure_rate_high",
                           "first_failing_seed", "first_outcome_failing_seed"}) {
    columns.push_back(name);
  }
  for (std::size_t i = 0; i < columns.size(); ++i) out << (i == 0 ? "" : ",") << csv_field(columns[i]);
  out << "\n";
  for (std::size_t c = 0; c < map.cells.size(); ++c) {
    const SweepSummary& summary = map.summaries[c];
    std::vector<std::string> row;
    for (const VarySpec& spec : map.vary) {
      std::string value;
      for (const scenarios::Override& item : map.cells[c].point) {
        if (item.pointer == spec.pointer) value = item.value;
      }
      row.push_back(value);
    }
    row.push_back(std::to_string(summary.runs));
    for (std::uint64_t count : summary.outcome_counts) row.push_back(std::to_string(count));
    const FailureRate failing = failure_rate(summary.failing, summary.runs);
    const FailureRate outcome = failure_rate(summary.outcome_failing, summary.runs);
    row.push_back(std::to_string(summary.failed_runs));
    row.push_back(std::to_string(summary.failing));
    for (double value : {failing.value, failing.low, failing.high}) row.push_back(fixed(value, 4));
    row.push_back(std::to_string(summary.outcome_failing));
    for (double value : {outcome.value, outcome.low, outcome.high}) row.push_back(fixed(value, 4));
    row.push_back(summary.first_failing_seed ? std::to_string(*summary.first_failing_seed) : "");
    row.push_back(summary.first_outcome_failing_seed ? std::to_string(*summary.first_outcome_failing_seed) : "");
    for (std::size_t i = 0; i < row.size(); ++i) out << (i == 0 ? "" : ",") << csv_field(row[i]);
    out << "\n";
  }
  return out.str();
}

}  // namespace ptosim::replay
