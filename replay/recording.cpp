#include "replay/recording.h"

#include "simcore/hashing.h"

#include <sstream>

namespace ptosim::replay {

std::string recording_to_text(const Recording& recording) {
  Json header;
  header["format"] = "ptosim-recording";
  header["version"] = RECORDING_VERSION;
  header["tool_version"] = recording.tool_version;
  header["scenario"] = Json{{"path", recording.scenario_path},
                            {"hash", hex64(recording.scenario_hash)},
                            {"text", recording.scenario_text}};
  header["seed"] = recording.seed;
  header["strategy"] = recording.strategy;
  header["strategy_params"] = strategy_params_to_json(recording.spec);
  header["result"] = Json{{"outcome", simcore::to_string(recording.outcome)},
                          {"digest", hex64(recording.digest)},
                          {"sim_time_ns", recording.sim_time_ns},
                          {"events", recording.events}};
  // The decision log is a list, one keyed decision per line, so it stays diffable and editable.
  std::string text = json_text(header, 1);
  text.pop_back();  // the closing brace; the decisions follow
  std::ostringstream out;
  out << text << ",\n \"decisions\": [";
  const auto& entries = recording.decisions.entries;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    out << (i == 0 ? "\n  " : ",\n  ") << json_text(decision_to_json(recording.decisions, entries[i]));
  }
  out << (entries.empty() ? "]\n}\n" : "\n ]\n}\n");
  return out.str();
}

Json decision_to_json(const simcore::DecisionLog& log, const simcore::DecisionEntry& e) {
  Json j;
  j["stream"] = log.streams.at(e.stream);
  j["subject"] = e.subject;
  j["part"] = e.part;
  j["n"] = e.occurrence;
  if (e.kind == simcore::DecisionKind::range) {
    j["value"] = e.value;
    j["lo"] = e.lo;
    j["hi"] = e.hi;
  } else {
    j["choice"] = e.value;
    j["of"] = e.hi + 1;
  }
  j["default"] = e.default_value;
  return j;
}

Json strategy_params_to_json(const simcore::StrategySpec& spec) {
  Json params = Json::object();
  if (spec.name == "pct") {
    params["depth"] = spec.depth;
    params["steps"] = spec.steps;
  }
  return params;
}

Json decisions_to_json(const simcore::DecisionLog& log) {
  Json list = Json::array();
  for (const simcore::DecisionEntry& entry : log.entries) list.push_back(decision_to_json(log, entry));
  return list;
}

Recording make_recording(const scenarios::Scenario& scenario, const RunResult& result, simcore::DecisionLog decisions) {
  Recording rec;
  rec.tool_version = TOOL_VERSION;
  rec.scenario_path = scenario.path;
  rec.scenario_text = scenario.text;
  rec.scenario_hash = scenario.text_hash;
  rec.seed = result.seed;
  rec.strategy = result.strategy;
  rec.spec = result.spec;
  rec.outcome = result.outcome;
  rec.digest = result.digest;
  rec.sim_time_ns = result.sim_time_ns;
  rec.events = result.events;
  rec.decisions = std::move(decisions);
  return rec;
}

namespace {

// Reads one decision of a recording; `streams` collects the stream names in order of first use.
simcore::DecisionEntry decision_from_json(const Json& e, const std::string& path, const std::string& pointer,
                                          simcore::DecisionLog& log) {
  auto fail = [&](const std::string& field, const std::string& problem) {
    throw InputError(path, pointer + (field.empty() ? "" : "/" + field), problem);
  };
  if (!e.is_object()) fail("", "expected a decision object {\"stream\", \"subject\", \"part\", \"n\", ...}");
  auto unsigned_field = [&](const char* key, std::uint64_t max) -> std::uint64_t {
    if (!e.contains(key)) fail(key, std::string("missing field '") + key + "'");
    const Json& v = e.at(key);
    if (!v.is_number_unsigned() && !(v.is_number_integer() && v.get<std::int64_t>() >= 0)) {
      fail(key, "expected a non-negative integer");
    }
    const auto value = v.get<std::uint64_t>();
    if (value > max) fail(key, "integer out of range (at most " + std::to_string(max) + ")");
    return value;
  };
  constexpr std::uint64_t U64_MAX = ~std::uint64_t{0};
  constexpr std::uint64_t U32_MAX = 0xFFFF'FFFFULL;
  if (!e.contains("stream") || !e.at("stream").is_string() || e.at("stream").get<std::string>().empty()) {
    fail("stream", "expected the stream name");
  }
  const std::string stream = e.at("stream").get<std::string>();
  simcore::DecisionEntry entry;
  entry.stream = static_cast<simcore::StreamId>(log.streams.size());
  for (std::size_t id = 0; id < log.streams.size(); ++id) {
    if (log.streams[id] == stream) entry.stream = static_cast<simcore::StreamId>(id);
  }
  if (entry.stream == log.streams.size()) log.streams.push_back(stream);
  entry.subject = unsigned_field("subject", U64_MAX);
  entry.part = static_cast<std::uint32_t>(unsigned_field("part", U32_MAX));
  entry.occurrence = static_cast<std::uint32_t>(unsigned_field("n", U32_MAX));
  entry.default_value = unsigned_field("default", U64_MAX);
  const bool is_choice = e.contains("choice");
  if (is_choice == e.contains("value")) fail("", "expected exactly one of \"value\" (a range) or \"choice\"");
  if (is_choice) {
    entry.kind = simcore::DecisionKind::choice;
    entry.value = unsigned_field("choice", U64_MAX);
    const std::uint64_t of = unsigned_field("of", U32_MAX);
    if (of < 2) fail("of", "a choice has at least 2 candidates");
    entry.lo = 0;
    entry.hi = of - 1;
  } else {
    entry.kind = simcore::DecisionKind::range;
    entry.value = unsigned_field("value", U64_MAX);
    entry.lo = unsigned_field("lo", U64_MAX);
    entry.hi = unsigned_field("hi", U64_MAX);
    if (entry.lo >= entry.hi) fail("hi", "a range decision has lo < hi");
    if (entry.value < entry.lo || entry.value > entry.hi) fail("value", "value outside its recorded range");
    if (entry.default_value < entry.lo || entry.default_value > entry.hi) fail("default", "default outside its recorded range");
  }
  return entry;
}

}  // namespace

simcore::DecisionLog decisions_from_json(const Json& list, const std::string& file, const std::string& pointer) {
  if (!list.is_array()) throw InputError(file, pointer, "expected a list of decisions");
  simcore::DecisionLog log;
  log.entries.reserve(list.size());
  for (std::size_t i = 0; i < list.size(); ++i) {
    log.entries.push_back(decision_from_json(list[i], file, pointer + "/" + std::to_string(i), log));
  }
  return log;
}

Recording read_recording(const std::string& path) { return parse_recording(read_file(path), path); }

Recording parse_recording(const std::string& text, const std::string& path) {
  const Json doc = parse_json_input(text, path, "truncated or corrupted recording?");
  auto field = [&](const Json& parent, const std::string& parent_pointer, const char* key) -> const Json& {
    if (!parent.is_object() || !parent.contains(key)) {
      throw InputError(path, parent_pointer + "/" + key, "missing field '" + std::string(key) + "'");
    }
    return parent.at(key);
  };
  auto expect = [&](bool ok, const std::string& pointer, const std::string& problem) {
    if (!ok) throw InputError(path, pointer, problem);
  };
  Recording rec;
  const Json& format = field(doc, "", "format");
  expect(format.is_string() && format.get<std::string>() == "ptosim-recording", "/format",
         "not a ptosim recording (recordings have \"format\": \"ptosim-recording\"; write one with "
         "`ptosim run --record FILE`)");
  const Json& version = field(doc, "", "version");
  expect(version.is_number_integer() && version.get<std::int64_t>() == RECORDING_VERSION, "/version",
         "expected recording version " + std::to_string(RECORDING_VERSION) +
             " (the only one this ptosim reads; record the run again with this ptosim), found " + json_text(version));
  const Json& tool = field(doc, "", "tool_version");
  expect(tool.is_string(), "/tool_version", "expected a string");
  rec.tool_version = tool.get<std::string>();
  const Json& scenario = field(doc, "", "scenario");
  const Json& scenario_path = field(scenario, "/scenario", "path");
  const Json& scenario_hash = field(scenario, "/scenario", "hash");
  const Json& scenario_text = field(scenario, "/scenario", "text");
  expect(scenario_path.is_string(), "/scenario/path", "expected a string");
  expect(scenario_text.is_string(), "/scenario/text", "expected the scenario text as a string");
  expect(scenario_hash.is_string() && parse_hex64(scenario_hash.get<std::string>(), rec.scenario_hash), "/scenario/hash",
         "expected a 0x-prefixed hex hash");
  rec.scenario_path = scenario_path.get<std::string>();
  rec.scenario_text = scenario_text.get<std::string>();
  expect(fnv1a64(rec.scenario_text) == rec.scenario_hash, "/scenario/text",
         "the embedded scenario does not match its recorded hash (the recording was modified or corrupted)");
  const Json& seed = field(doc, "", "seed");
  expect(seed.is_number_unsigned() || (seed.is_number_integer() && seed.get<std::int64_t>() >= 0), "/seed",
         "expected a non-negative integer");
  rec.seed = seed.get<std::uint64_t>();
  const Json& strategy = field(doc, "", "strategy");
  expect(strategy.is_string() && (strategy.get<std::string>() == "random" || strategy.get<std::string>() == "pct" ||
                                  strategy.get<std::string>() == "replay-lenient"),
         "/strategy", "expected \"random\", \"pct\" or \"replay-lenient\" (a shrunk recording)");
  rec.strategy = strategy.get<std::string>();
  rec.spec.name = rec.strategy == "pct" ? "pct" : "random";
  if (doc.contains("strategy_params")) {
    const Json& params = doc.at("strategy_params");
    expect(params.is_object(), "/strategy_params", "expected an object");
    if (rec.strategy == "pct") {
      const Json& depth = field(params, "/strategy_params", "depth");
      expect(depth.is_number_unsigned() && depth.get<std::uint64_t>() >= 1 &&
                 depth.get<std::uint64_t>() <= simcore::PCT_MAX_DEPTH,
             "/strategy_params/depth", "expected an integer in 1.." + std::to_string(simcore::PCT_MAX_DEPTH));
      rec.spec.depth = depth.get<std::uint32_t>();
      const Json& steps = field(params, "/strategy_params", "steps");
      expect(steps.is_number_unsigned() && steps.get<std::uint64_t>() >= 1, "/strategy_params/steps",
             "expected a positive integer");
      rec.spec.steps = steps.get<std::uint64_t>();
    }
  } else {
    expect(rec.strategy != "pct", "/strategy_params", "missing field 'strategy_params' (pct's depth and steps)");
  }
  const Json& result = field(doc, "", "result");
  const Json& outcome = field(result, "/result", "outcome");
  expect(outcome.is_string() && simcore::parse_outcome(outcome.get<std::string>(), rec.outcome), "/result/outcome",
         "expected an outcome name");
  const Json& digest = field(result, "/result", "digest");
  expect(digest.is_string() && parse_hex64(digest.get<std::string>(), rec.digest), "/result/digest",
         "expected a 0x-prefixed hex digest");
  const Json& sim_time = field(result, "/result", "sim_time_ns");
  expect(sim_time.is_number_unsigned() && sim_time.get<std::uint64_t>() <= static_cast<std::uint64_t>(INT64_MAX),
         "/result/sim_time_ns", "expected a non-negative integer that fits in 63 bits");
  rec.sim_time_ns = sim_time.get<std::int64_t>();
  const Json& events = field(result, "/result", "events");
  expect(events.is_number_unsigned(), "/result/events", "expected a non-negative integer");
  rec.events = events.get<std::uint64_t>();
  rec.decisions = decisions_from_json(field(doc, "", "decisions"), path, "/decisions");
  return rec;
}

}  // namespace ptosim::replay
