#include "replay/recording.h"

#include "simcore/hashing.h"

#include <sstream>

namespace ptosim::replay {

std::string recording_to_text(const Recording& recording) {
  Json header;
  header["format"] = "ptosim-recording";
  header["version"] = 1;
  header["tool_version"] = recording.tool_version;
  header["scenario"] = Json{{"path", recording.scenario_path},
                            {"hash", hex64(recording.scenario_hash)},
                            {"text", recording.scenario_text}};
  header["seed"] = recording.seed;
  header["strategy"] = recording.strategy;
  header["result"] = Json{{"outcome", simcore::to_string(recording.outcome)},
                          {"digest", hex64(recording.digest)},
                          {"sim_time_ns", recording.sim_time_ns},
                          {"events", recording.events}};
  // The decision log is written one entry per line ([stream, value, lo, hi]) to stay diffable.
  std::string text = header.dump(1);
  text.pop_back();  // the closing brace; the decisions follow
  std::ostringstream out;
  out << text << ",\n \"decisions\": {\n  \"streams\": " << Json(recording.decisions.streams).dump() << ",\n  \"entries\": [";
  const auto& entries = recording.decisions.entries;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const simcore::DecisionEntry& e = entries[i];
    out << (i == 0 ? "\n   " : ",\n   ") << "[" << e.stream << "," << e.value << "," << e.lo << "," << e.hi << "]";
  }
  out << "\n  ]\n }\n}\n";
  return out.str();
}

Recording read_recording(const std::string& path) {
  const std::string text = read_file(path);
  Json doc;
  try {
    doc = Json::parse(text);
  } catch (const Json::parse_error& e) {
    throw InputError(path, "", std::string("not valid JSON (truncated or corrupted recording?): ") + e.what());
  }
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
  expect(version.is_number_integer() && version.get<int>() == 1, "/version",
         "expected recording version 1 (the only one this ptosim reads), found " + version.dump());
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
  expect(strategy.is_string() && strategy.get<std::string>() == "random", "/strategy",
         "a recording of strategy \"random\" (the only one this ptosim writes)");
  rec.strategy = strategy.get<std::string>();
  const Json& result = field(doc, "", "result");
  const Json& outcome = field(result, "/result", "outcome");
  expect(outcome.is_string() && simcore::parse_outcome(outcome.get<std::string>(), rec.outcome), "/result/outcome",
         "expected an outcome name");
  const Json& digest = field(result, "/result", "digest");
  expect(digest.is_string() && parse_hex64(digest.get<std::string>(), rec.digest), "/result/digest",
         "expected a 0x-prefixed hex digest");
  const Json& sim_time = field(result, "/result", "sim_time_ns");
  expect(sim_time.is_number_integer(), "/result/sim_time_ns", "expected an integer");
  rec.sim_time_ns = sim_time.get<std::int64_t>();
  const Json& events = field(result, "/result", "events");
  expect(events.is_number_unsigned() || events.is_number_integer(), "/result/events", "expected an integer");
  rec.events = events.get<std::uint64_t>();
  const Json& decisions = field(doc, "", "decisions");
  const Json& streams = field(decisions, "/decisions", "streams");
  expect(streams.is_array(), "/decisions/streams", "expected an array of stream names");
  for (std::size_t i = 0; i < streams.size(); ++i) {
    expect(streams[i].is_string(), "/decisions/streams/" + std::to_string(i), "expected a stream name");
    rec.decisions.streams.push_back(streams[i].get<std::string>());
  }
  const Json& entries = field(decisions, "/decisions", "entries");
  expect(entries.is_array(), "/decisions/entries", "expected an array of decisions");
  rec.decisions.entries.reserve(entries.size());
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const Json& e = entries[i];
    const std::string pointer = "/decisions/entries/" + std::to_string(i);
    expect(e.is_array() && e.size() == 4, pointer, "expected [stream, value, lo, hi]");
    for (const Json& number : e) expect(number.is_number_unsigned(), pointer, "expected four non-negative integers");
    simcore::DecisionEntry entry{e[0].get<std::uint32_t>(), e[1].get<std::uint64_t>(), e[2].get<std::uint64_t>(),
                                 e[3].get<std::uint64_t>()};
    expect(e[0].get<std::uint64_t>() < rec.decisions.streams.size(), pointer, "stream index out of range");
    expect(entry.lo <= entry.value && entry.value <= entry.hi, pointer, "value outside its recorded range");
    rec.decisions.entries.push_back(entry);
  }
  return rec;
}

}  // namespace ptosim::replay
