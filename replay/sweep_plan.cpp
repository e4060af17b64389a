#include "replay/sweep_plan.h"

#include "replay/recording.h"
#include "simcore/hashing.h"
#include "simcore/model_assert.h"

namespace ptosim::replay {

namespace {

Json optional_text(const std::string& text) { return text.empty() ? Json(nullptr) : Json(text); }

// Checked reads of a plan: a missing or mistyped field names its pointer.
class PlanReader {
 public:
  PlanReader(const Json& doc, const std::string& file) : doc_(doc), file_(file) {}

  const Json& at(const Json& parent, const std::string& pointer, const char* key) const {
    if (!parent.is_object() || !parent.contains(key)) fail(pointer + "/" + key, std::string("missing field '") + key + "'");
    return parent.at(key);
  }
  std::string str(const Json& value, const std::string& pointer) const {
    if (!value.is_string()) fail(pointer, "expected a string");
    return value.get<std::string>();
  }
  std::string optional_str(const Json& value, const std::string& pointer) const {
    if (value.is_null()) return "";
    const std::string text = str(value, pointer);
    if (text.empty()) fail(pointer, "expected a non-empty string or null");
    return text;
  }
  std::uint64_t u64(const Json& value, const std::string& pointer) const {
    if (!value.is_number_unsigned() && !(value.is_number_integer() && value.get<std::int64_t>() >= 0)) {
      fail(pointer, "expected a non-negative integer");
    }
    return value.get<std::uint64_t>();
  }
  [[noreturn]] void fail(const std::string& pointer, const std::string& problem) const {
    throw InputError(file_, pointer, problem);
  }
  const Json& doc() const { return doc_; }

 private:
  const Json& doc_;
  const std::string& file_;
};

}  // namespace

const char* to_string(StopOn stop_on) { return stop_on == StopOn::outcome ? "outcome" : "any"; }

Json plan_to_json(const SweepPlan& plan) {
  Json out;
  out["format"] = "ptosim-plan";
  out["version"] = PLAN_VERSION;
  out["tool_version"] = TOOL_VERSION;
  out["program"] = plan.program;
  out["scenario"] = Json{{"path", plan.scenario_path},
                         {"hash", hex64(fnv1a64(plan.scenario_text))},
                         {"text", plan.scenario_text}};
  out["overrides"] = plan.overrides;
  out["nominal"] = plan.nominal;
  out["strategy"] = plan.strategy.name;
  out["strategy_params"] = strategy_params_to_json(plan.strategy);
  out["pct_steps_given"] = plan.pct_steps_given;
  out["seeds"] = std::to_string(plan.seeds.range.first) + ".." + std::to_string(plan.seeds.range.last);
  out["shard"] = plan.seeds.sharded() ? Json(plan.seeds.shard_text()) : Json(nullptr);
  PTOSIM_ASSERT(plan.vary.size() == plan.vary_specs.size(), "a spec for every varied pointer");
  Json vary = Json::array();
  for (std::size_t i = 0; i < plan.vary.size(); ++i) vary.push_back(Json{{"pointer", plan.vary[i]}, {"spec", plan.vary_specs[i]}});
  out["vary"] = std::move(vary);
  out["map_mode"] = plan.is_map() ? Json(plan.map_mode) : Json(nullptr);
  Json cells = Json::array();
  for (const PlanCell& cell : plan.cells) cells.push_back(Json{{"point", point_to_json(cell.point)}});
  out["cells"] = std::move(cells);
  out["artefacts"] = Json{{"record_failures", optional_text(plan.record_dir)},
                          {"snapshot_dir", optional_text(plan.snapshot_dir)}};
  out["stop_after"] = plan.stop_after > 0 ? Json(plan.stop_after) : Json(nullptr);
  out["stop_on"] = to_string(plan.stop_on);
  return out;
}

SweepPlan plan_from_json(const Json& json, const std::string& file) {
  PlanReader r(json, file);
  if (!json.is_object() || !json.contains("format") || json.at("format") != "ptosim-plan") {
    r.fail("/format", "not a ptosim plan (plans have \"format\": \"ptosim-plan\"; write one with "
                      "`ptosim sweep ... --write-plan FILE` or `ptosim map ... --write-plan FILE`)");
  }
  const Json& version = r.at(json, "", "version");
  if (!version.is_number_integer() || version.get<std::int64_t>() != PLAN_VERSION) {
    r.fail("/version", "expected plan version " + std::to_string(PLAN_VERSION) + " (the only one this ptosim reads)");
  }
  SweepPlan plan;
  plan.program = r.str(r.at(json, "", "program"), "/program");
  const Json& scenario = r.at(json, "", "scenario");
  plan.scenario_path = r.str(r.at(scenario, "/scenario", "path"), "/scenario/path");
  plan.scenario_text = r.str(r.at(scenario, "/scenario", "text"), "/scenario/text");
  std::uint64_t hash = 0;
  if (!parse_hex64(r.str(r.at(scenario, "/scenario", "hash"), "/scenario/hash"), hash)) {
    r.fail("/scenario/hash", "expected a 0x-prefixed hex hash");
  }
  if (hash != fnv1a64(plan.scenario_text)) {
    r.fail("/scenario/text", "the embedded scenario does not match its hash (the plan was modified or corrupted)");
  }
  const Json& overrides = r.at(json, "", "overrides");
  if (!overrides.is_array()) r.fail("/overrides", "expected a list");
  for (std::size_t i = 0; i < overrides.size(); ++i) {
    plan.overrides.push_back(r.str(overrides[i], "/overrides/" + std::to_string(i)));
  }
  const Json& nominal = r.at(json, "", "nominal");
  if (!nominal.is_boolean()) r.fail("/nominal", "expected true or false");
  plan.nominal = nominal.get<bool>();
  plan.strategy.name = r.str(r.at(json, "", "strategy"), "/strategy");
  if (plan.strategy.name == "pct") {
    const Json& params = r.at(json, "", "strategy_params");
    const std::uint64_t depth = r.u64(r.at(params, "/strategy_params", "depth"), "/strategy_params/depth");
    if (depth > simcore::PCT_MAX_DEPTH) r.fail("/strategy_params/depth", "depth out of range");
    plan.strategy.depth = static_cast<std::uint32_t>(depth);
    plan.strategy.steps = r.u64(r.at(params, "/strategy_params", "steps"), "/strategy_params/steps");
    if (plan.strategy.steps == 0) r.fail("/strategy_params/steps", "expected a positive integer");
  }
  const std::string strategy_problem = simcore::validate_strategy(plan.strategy);
  if (!strategy_problem.empty()) r.fail("/strategy", strategy_problem);
  const Json& steps_given = r.at(json, "", "pct_steps_given");
  if (!steps_given.is_boolean()) r.fail("/pct_steps_given", "expected true or false");
  plan.pct_steps_given = steps_given.get<bool>();
  const std::string range_problem = scenarios::parse_seed_range(r.str(r.at(json, "", "seeds"), "/seeds"), plan.seeds.range);
  if (!range_problem.empty()) r.fail("/seeds", "expected " + range_problem);
  if (plan.seeds.range.last - plan.seeds.range.first >= SWEEP_MAX_SEEDS) {
    r.fail("/seeds", "at most " + std::to_string(SWEEP_MAX_SEEDS) + " seeds per plan");
  }
  const Json& shard = r.at(json, "", "shard");
  if (!shard.is_null()) {
    const std::string shard_problem = parse_shard(r.str(shard, "/shard"), plan.seeds);
    if (!shard_problem.empty()) r.fail("/shard", "expected " + shard_problem);
  }
  const Json& vary = r.at(json, "", "vary");
  if (!vary.is_array()) r.fail("/vary", "expected a list of varied parameters");
  for (std::size_t i = 0; i < vary.size(); ++i) {
    const std::string pointer = "/vary/" + std::to_string(i);
    plan.vary.push_back(r.str(r.at(vary[i], pointer, "pointer"), pointer + "/pointer"));
    plan.vary_specs.push_back(r.str(r.at(vary[i], pointer, "spec"), pointer + "/spec"));
  }
  const Json& mode = r.at(json, "", "map_mode");
  if (!plan.vary.empty()) {
    plan.map_mode = r.str(mode, "/map_mode");
    if (plan.map_mode != "grid" && plan.map_mode != "points") r.fail("/map_mode", "expected \"grid\" or \"points\"");
  } else if (!mode.is_null()) {
    r.fail("/map_mode", "a plan without varied parameters has no map mode");
  }
  const Json& cells = r.at(json, "", "cells");
  if (!cells.is_array() || cells.empty() || cells.size() > PLAN_MAX_CELLS) {
    r.fail("/cells", "expected a list of 1 to " + std::to_string(PLAN_MAX_CELLS) + " cells");
  }
  plan.cells.clear();
  for (std::size_t i = 0; i < cells.size(); ++i) {
    const std::string pointer = "/cells/" + std::to_string(i);
    PlanCell cell;
    cell.point = point_from_json(r.at(cells[i], pointer, "point"), file, pointer + "/point");
    plan.cells.push_back(std::move(cell));
  }
  if (plan.vary.empty() && plan.cells.size() != 1) r.fail("/cells", "a plan without varied parameters has one cell");
  const Json& artefacts = r.at(json, "", "artefacts");
  plan.record_dir = r.optional_str(r.at(artefacts, "/artefacts", "record_failures"), "/artefacts/record_failures");
  plan.snapshot_dir = r.optional_str(r.at(artefacts, "/artefacts", "snapshot_dir"), "/artefacts/snapshot_dir");
  const Json& stop_after = r.at(json, "", "stop_after");
  if (!stop_after.is_null()) plan.stop_after = r.u64(stop_after, "/stop_after");
  const std::string stop_on = r.str(r.at(json, "", "stop_on"), "/stop_on");
  if (stop_on != "any" && stop_on != "outcome") r.fail("/stop_on", "expected \"any\" or \"outcome\"");
  plan.stop_on = stop_on == "outcome" ? StopOn::outcome : StopOn::any;
  return plan;
}

std::uint64_t plan_hash(const SweepPlan& plan) { return fnv1a64(json_text(plan_to_json(plan))); }

}  // namespace ptosim::replay
