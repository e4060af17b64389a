#include "replay/sweep_report.h"

#include "replay/recording.h"
#include "replay/sweep_fold.h"
#include "scenarios/uncertain.h"
#include "simcore/model_assert.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>
#include <sstream>

namespace ptosim::replay {

namespace {

// Single-quotes a word for a POSIX shell when it needs quoting.
std::string shell_quote(const std::string& word) {
  bool plain = !word.empty();
  for (char c : word) {
    const bool safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '/' ||
                      c == '.' || c == '_' || c == '-' || c == '=' || c == ':' || c == ',' || c == '+';
    plain = plain && safe;
  }
  if (plain) return word;
  std::string quoted = "'";
  for (char c : word) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

std::string seeds_text(const scenarios::SeedRange& range) {
  return std::to_string(range.first) + ".." + std::to_string(range.last);
}

Json outcome_list(const std::vector<simcore::Outcome>& outcomes) {
  Json list = Json::array();
  for (simcore::Outcome outcome : outcomes) list.push_back(simcore::to_string(outcome));
  return list;
}

// Entry of `failing_seeds`: the same keys whatever happened to the seed.
Json failing_entry(const RunResult& run, const SweepMeta& meta) {
  const bool failed = !run.failure.empty();
  Json entry;
  entry["seed"] = run.seed;
  entry["outcome"] = failed ? Json(nullptr) : Json(simcore::to_string(run.outcome));
  entry["summary"] = failed ? "the run failed to complete: " + run.failure : run.summary;
  entry["digest"] = failed ? Json(nullptr) : Json(hex64(run.digest));
  entry["error_code"] = run.report ? Json(static_cast<int>(run.report->code)) : Json(nullptr);
  Json findings = Json::array();
  for (const simcore::Finding& finding : run.findings) {
    findings.push_back(Json{{"kind", simcore::to_string(finding.kind)}, {"summary", finding.summary}});
  }
  entry["findings"] = std::move(findings);
  if (meta.uncertain) entry["point"] = point_to_json(run.point);
  entry["repro"] = repro_command(meta, run.seed, run.point);
  return entry;
}

// XML text: markup characters escaped, characters XML 1.0 forbids and bytes that are not UTF-8
// replaced by '?', so the file always parses.
std::string xml_escape_text(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&quot;"; break;
        case '\'': out += "&apos;"; break;
        default: out += (c < 0x20 && c != '\t' && c != '\n' && c != '\r') ? '?' : static_cast<char>(c);
      }
      ++i;
      continue;
    }
    // A well-formed UTF-8 sequence of 2..4 bytes is kept as it is.
    const std::size_t length = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 && c <= 0xDF ? 2 : 0;
    bool valid = length > 0 && i + length <= text.size();
    for (std::size_t k = 1; valid && k < length; ++k) valid = (static_cast<unsigned char>(text[i + k]) & 0xC0) == 0x80;
    if (valid) {
      out.append(text, i, length);
      i += length;
    } else {
      out += '?';
      ++i;
    }
  }
  return out;
}

std::string seconds_text(double seconds) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.6f", seconds < 0 ? 0.0 : seconds);
  return buffer;
}

}  // namespace

std::string xml_escape(const std::string& text) { return xml_escape_text(text); }

SweepMeta sweep_meta_for(const scenarios::Scenario& scenario, const SeedSelection& seeds,
                         const simcore::StrategySpec& strategy) {
  SweepMeta meta;
  meta.scenario_name = scenario.name;
  meta.scenario_path = scenario.path;
  meta.scenario_hash = scenario.text_hash;
  meta.overrides = scenario.overrides;
  meta.nominal = scenario.nominal;
  meta.uncertain = !scenario.uncertain.empty();
  meta.seeds = seeds;
  meta.strategy = strategy;
  meta.expect = scenario.expect;
  return meta;
}

std::string repro_command(const SweepMeta& meta, std::uint64_t seed, const std::vector<scenarios::Override>& point) {
  std::string command = shell_quote(meta.program) + " run " + shell_quote(meta.scenario_path);
  for (const std::string& item : meta.overrides) command += " --set " + shell_quote(item);
  if (meta.nominal) command += " --nominal";
  for (const scenarios::Override& item : point) command += " --set " + shell_quote(item.pointer + "=" + item.value);
  command += " --seed " + std::to_string(seed);
  if (meta.strategy.name == "pct") {
    command += " --strategy pct --depth " + std::to_string(meta.strategy.depth);
    if (meta.pct_steps_given || !point.empty()) command += " --pct-steps " + std::to_string(meta.strategy.steps);
  }
  return command;
}

Json expectations_to_json(const scenarios::Expectations& expect) {
  Json j;
  j["seeds"] = seeds_text(expect.seeds);
  j["always"] = outcome_list(expect.always);
  j["sometimes"] = outcome_list(expect.sometimes);
  j["never"] = outcome_list(expect.never);
  j["error_code"] = expect.error_code ? Json(*expect.error_code) : Json(nullptr);
  // The rest of the expectations too, so that merge judges shards exactly as one sweep would.
  Json rates = Json::object();
  for (const scenarios::OutcomeRate& rate : expect.rates) {
    rates[simcore::to_string(rate.outcome)] = Json{{"min_percent", rate.min_percent}, {"max_percent", rate.max_percent}};
  }
  j["rates"] = std::move(rates);
  auto patterns = [](const std::vector<scenarios::FindingPattern>& list) {
    Json out = Json::array();
    for (const scenarios::FindingPattern& pattern : list) {
      Json item{{"kind", simcore::to_string(pattern.kind)}};
      if (!pattern.hazard.empty()) item["hazard"] = pattern.hazard;
      if (!pattern.first.empty()) item["first"] = pattern.first;
      if (!pattern.second.empty()) item["second"] = pattern.second;
      out.push_back(std::move(item));
    }
    return out;
  };
  j["findings"] = Json{{"always", patterns(expect.findings_always)}, {"never", patterns(expect.findings_never)}};
  j["correct_tensors"] = expect.correct_tensors;
  return j;
}

bool is_fixed_twin(const scenarios::Expectations& expect) {
  return expect.always.size() == 1 && expect.always.front() == simcore::Outcome::pass;
}

bool expects_failures(const scenarios::Expectations& expect) {
  for (simcore::Outcome outcome : expect.sometimes) {
    if (outcome != simcore::Outcome::pass) return true;
  }
  // A minimum rate of a failing outcome, or a finding required on every seed, is a failure too.
  for (const scenarios::OutcomeRate& rate : expect.rates) {
    if (rate.outcome != simcore::Outcome::pass && rate.min_percent > 0) return true;
  }
  if (!expect.findings_always.empty()) return true;
  if (expect.always.empty()) return false;
  for (simcore::Outcome outcome : expect.always) {
    if (outcome == simcore::Outcome::pass) return false;
  }
  return true;
}

Json rate_to_json(const FailureRate& rate) {
  return Json{{"value", rate.value}, {"wilson95", Json::array({rate.low, rate.high})}};
}

void meta_to_json(const SweepMeta& meta, Json& out) {
  out["scenario"] = meta.scenario_name;
  out["program"] = meta.program;
  out["scenario_path"] = meta.scenario_path;
  out["scenario_hash"] = hex64(meta.scenario_hash);
  out["tool_version"] = meta.tool_version;
  out["overrides"] = meta.overrides;
  out["nominal"] = meta.nominal;
  out["uncertain"] = meta.uncertain;
  out["seeds"] = seeds_text(meta.seeds.range);
  out["shard"] = meta.seeds.sharded() ? Json(meta.seeds.shard_text()) : Json(nullptr);
  out["strategy"] = meta.strategy.name;
  out["strategy_params"] = strategy_params_to_json(meta.strategy);
  out["jobs"] = meta.jobs;
}

void counts_to_json(const SweepSummary& summary, const SweepMeta& meta, Json& out, std::size_t max_listed) {
  out["total"] = summary.total;
  out["runs"] = summary.runs;
  Json counts;
  for (int i = 0; i < simcore::OUTCOME_COUNT; ++i) {
    counts[simcore::to_string(static_cast<simcore::Outcome>(i))] = summary.outcome_counts[static_cast<std::size_t>(i)];
  }
  out["outcomes"] = counts;
  Json findings;
  for (int i = 0; i < simcore::FINDING_KIND_COUNT; ++i) {
    findings[simcore::to_string(static_cast<simcore::FindingKind>(i))] = summary.finding_counts[static_cast<std::size_t>(i)];
  }
  out["findings"] = findings;  // seeds on which each kind was reported
  // Seeds on which each pattern of expect.findings_always, then findings_never, was reported.
  out["expected_findings"] = summary.pattern_counts;
  Json wrong_tensors = Json::object();
  for (const auto& [tensor, seeds] : summary.tensor_wrong_seeds) wrong_tensors[tensor] = seeds;
  out["wrong_tensors"] = wrong_tensors;  // per external tensor written: seeds with wrong final contents
  out["failed_runs"] = summary.failed_runs;
  out["failing"] = summary.failing;
  out["failure_rate"] = rate_to_json(failure_rate(summary.failing, summary.runs));
  out["outcome_failing"] = summary.outcome_failing;
  out["outcome_failure_rate"] = rate_to_json(failure_rate(summary.outcome_failing, summary.runs));
  out["first_failing_seed"] = summary.first_failing_seed ? Json(*summary.first_failing_seed) : Json(nullptr);
  out["first_outcome_failing_seed"] =
      summary.first_outcome_failing_seed ? Json(*summary.first_outcome_failing_seed) : Json(nullptr);
  Json failing = Json::array();
  for (const RunResult& run : summary.not_passing) {
    if (failing.size() >= max_listed) break;
    failing.push_back(failing_entry(run, meta));
  }
  // The lowest seeds are listed, so the lists of shards merge into the list of the whole.
  const std::uint64_t listed = failing.size();
  out["failing_seeds"] = std::move(failing);
  out["failing_seeds_unlisted"] = summary.not_passing_unlisted + (summary.not_passing.size() - listed);
}

Json sweep_to_json(const SweepSummary& summary, const SweepMeta& meta, const ExpectationCheck& check) {
  Json out;
  meta_to_json(meta, out);
  counts_to_json(summary, meta, out);
  out["stopped_early"] = summary.stopped_early;
  out["interrupted_by"] = summary.interrupted_by != 0 ? Json(summary.interrupted_by) : Json(nullptr);
  out["wall_seconds"] = meta.wall_seconds;
  out["seeds_per_second"] = meta.wall_seconds > 0 ? Json(static_cast<double>(summary.runs) / meta.wall_seconds) : Json(nullptr);
  out["expect"] = meta.expect ? expectations_to_json(*meta.expect) : Json(nullptr);
  out["expectations"] = {{"judged", meta.judged}, {"holds", check.holds}, {"violations", check.violations}};
  return out;
}

namespace {

// Checked reads of a sweep's JSON: a missing or mistyped field names its pointer.
class SweepReader {
 public:
  SweepReader(const Json& doc, const std::string& file) : doc_(doc), file_(file) {}

  const Json& at(const Json& parent, const std::string& pointer, const char* key) const {
    if (!parent.is_object() || !parent.contains(key)) fail(pointer + "/" + key, std::string("missing field '") + key + "'");
    return parent.at(key);
  }
  std::uint64_t u64(const Json& value, const std::string& pointer) const {
    if (!value.is_number_unsigned() && !(value.is_number_integer() && value.get<std::int64_t>() >= 0)) {
      fail(pointer, "expected a non-negative integer");
    }
    return value.get<std::uint64_t>();
  }
  std::string str(const Json& value, const std::string& pointer) const {
    if (!value.is_string()) fail(pointer, "expected a string");
    return value.get<std::string>();
  }
  simcore::Outcome outcome(const Json& value, const std::string& pointer) const {
    simcore::Outcome parsed = simcore::Outcome::pass;
    if (!value.is_string() || !simcore::parse_outcome(value.get<std::string>(), parsed)) fail(pointer, "expected an outcome name");
    return parsed;
  }
  std::vector<simcore::Outcome> outcomes(const Json& value, const std::string& pointer) const {
    if (!value.is_array()) fail(pointer, "expected a list of outcome names");
    std::vector<simcore::Outcome> list;
    for (std::size_t i = 0; i < value.size(); ++i) list.push_back(outcome(value[i], pointer + "/" + std::to_string(i)));
    return list;
  }
  [[noreturn]] void fail(const std::string& pointer, const std::string& problem) const {
    throw InputError(file_, pointer, problem);
  }
  const Json& doc() const { return doc_; }
  const std::string& file() const { return file_; }

 private:
  const Json& doc_;
  const std::string& file_;
};

// Rates, finding patterns and correct tensors of a sweep's `expect`.
void read_rest_of_expectations(const SweepReader& r, const Json& expect, scenarios::Expectations& parsed) {
  const Json& rates = r.at(expect, "/expect", "rates");
  if (!rates.is_object()) r.fail("/expect/rates", "expected an object of outcome rates");
  for (const auto& [name, bounds] : rates.items()) {
    const std::string pointer = "/expect/rates/" + name;
    scenarios::OutcomeRate rate;
    rate.outcome = r.outcome(Json(name), pointer);
    rate.min_percent = static_cast<std::int64_t>(r.u64(r.at(bounds, pointer, "min_percent"), pointer + "/min_percent"));
    rate.max_percent = static_cast<std::int64_t>(r.u64(r.at(bounds, pointer, "max_percent"), pointer + "/max_percent"));
    if (rate.min_percent > 100 || rate.max_percent > 100) r.fail(pointer, "expected percentages in 0..100");
    parsed.rates.push_back(rate);
  }
  const Json& findings = r.at(expect, "/expect", "findings");
  auto patterns = [&](const char* key, std::vector<scenarios::FindingPattern>& into) {
    const std::string pointer = std::string("/expect/findings/") + key;
    const Json& list = r.at(findings, "/expect/findings", key);
    if (!list.is_array()) r.fail(pointer, "expected a list of finding patterns");
    for (std::size_t i = 0; i < list.size(); ++i) {
      const std::string item_pointer = pointer + "/" + std::to_string(i);
      scenarios::FindingPattern pattern;
      if (!simcore::parse_finding_kind(r.str(r.at(list[i], item_pointer, "kind"), item_pointer + "/kind"), pattern.kind)) {
        r.fail(item_pointer + "/kind", "unknown finding kind");
      }
      if (list[i].contains("hazard")) pattern.hazard = r.str(list[i].at("hazard"), item_pointer + "/hazard");
      if (list[i].contains("first")) pattern.first = r.str(list[i].at("first"), item_pointer + "/first");
      if (list[i].contains("second")) pattern.second = r.str(list[i].at("second"), item_pointer + "/second");
      into.push_back(std::move(pattern));
    }
  };
  patterns("always", parsed.findings_always);
  patterns("never", parsed.findings_never);
  const Json& tensors = r.at(expect, "/expect", "correct_tensors");
  if (!tensors.is_array()) r.fail("/expect/correct_tensors", "expected a list of tensor names");
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    parsed.correct_tensors.push_back(r.str(tensors[i], "/expect/correct_tensors/" + std::to_string(i)));
  }
}

// An entry of `failing_seeds`, read back.
RunResult failing_entry_from_json(const SweepReader& r, const Json& entry, const std::string& pointer, const SweepMeta& meta) {
  RunResult run;
  run.seed = r.u64(r.at(entry, pointer, "seed"), pointer + "/seed");
  run.spec = meta.strategy;
  run.strategy = meta.strategy.name;
  const Json& outcome = r.at(entry, pointer, "outcome");
  const std::string summary_text = r.str(r.at(entry, pointer, "summary"), pointer + "/summary");
  if (outcome.is_null()) {
    const std::string prefix = "the run failed to complete: ";
    run.failure = summary_text.rfind(prefix, 0) == 0 ? summary_text.substr(prefix.size()) : summary_text;
  } else {
    run.outcome = r.outcome(outcome, pointer + "/outcome");
    run.summary = summary_text;
    const Json& digest = r.at(entry, pointer, "digest");
    if (!parse_hex64(r.str(digest, pointer + "/digest"), run.digest)) r.fail(pointer + "/digest", "expected a hex digest");
  }
  const Json& code = r.at(entry, pointer, "error_code");
  if (!code.is_null()) {
    runtime::RuntimeReport report;
    report.code = static_cast<runtime::ErrorCode>(r.u64(code, pointer + "/error_code"));
    run.report = report;
  }
  if (meta.uncertain) run.point = point_from_json(r.at(entry, pointer, "point"), r.file(), pointer + "/point");
  const Json& kinds = r.at(entry, pointer, "findings");
  if (!kinds.is_array()) r.fail(pointer + "/findings", "expected a list");
  for (std::size_t k = 0; k < kinds.size(); ++k) {
    const std::string finding_pointer = pointer + "/findings/" + std::to_string(k);
    simcore::Finding finding;
    if (!simcore::parse_finding_kind(r.str(r.at(kinds[k], finding_pointer, "kind"), finding_pointer + "/kind"), finding.kind)) {
      r.fail(finding_pointer + "/kind", "unknown finding kind");
    }
    finding.summary = r.str(r.at(kinds[k], finding_pointer, "summary"), finding_pointer + "/summary");
    run.findings.push_back(std::move(finding));
  }
  return run;
}

// The counts of one sweep (or map cell) read back must be those a fold could have made: every run
// in one outcome or failed, no count above the runs, the listed seeds and the unlisted ones making
// up the failing seeds. A shard edited by hand or truncated is invalid input, never a merge that
// wraps or judges counts that contradict themselves.
void check_counts(const SweepReader& r, const SweepSummary& summary, const std::string& at) {
  auto pointer = [&](const std::string& rest) { return at + "/" + rest; };
  if (summary.runs > summary.total) r.fail(pointer("runs"), "more runs than seeds selected (total)");
  std::uint64_t ran = summary.failed_runs;
  if (ran > summary.runs) r.fail(pointer("failed_runs"), "more failed runs than runs");
  for (std::size_t i = 0; i < summary.outcome_counts.size(); ++i) {
    const std::uint64_t count = summary.outcome_counts[i];
    const std::string name = simcore::to_string(static_cast<simcore::Outcome>(i));
    if (count > summary.runs || ran > summary.runs - count) {
      r.fail(pointer("outcomes/" + name), "the outcomes and failed runs add up to more than the runs");
    }
    ran += count;
  }
  if (ran != summary.runs) {
    r.fail(pointer("runs"), std::to_string(summary.runs) + " runs, but the outcomes and failed runs add up to " +
                                std::to_string(ran));
  }
  const std::uint64_t passed = summary.outcome_counts[static_cast<std::size_t>(simcore::Outcome::pass)];
  if (summary.outcome_failing != summary.runs - passed) {
    r.fail(pointer("outcome_failing"), "expected the runs whose outcome is not pass (" + std::to_string(summary.runs - passed) + ")");
  }
  for (std::size_t i = 0; i < summary.finding_counts.size(); ++i) {
    if (summary.finding_counts[i] > summary.failing) {
      r.fail(pointer(std::string("findings/") + simcore::to_string(static_cast<simcore::FindingKind>(i))),
             "more seeds with this finding than failing seeds");
    }
  }
  for (std::size_t i = 0; i < summary.pattern_counts.size(); ++i) {
    if (summary.pattern_counts[i] > summary.runs) r.fail(pointer("expected_findings/" + std::to_string(i)), "more seeds than runs");
  }
  for (const auto& [tensor, seeds] : summary.tensor_wrong_seeds) {
    if (seeds > summary.runs) r.fail(pointer("wrong_tensors/" + tensor), "more seeds than runs");
  }
  const std::uint64_t listed = summary.not_passing.size();
  if (listed > summary.failing || summary.not_passing_unlisted != summary.failing - listed) {
    r.fail(pointer("failing_seeds_unlisted"), "the listed and unlisted failing seeds do not make up `failing` (" +
                                                  std::to_string(summary.failing) + ")");
  }
  if (summary.first_failing_seed.has_value() != (summary.failing > 0)) {
    r.fail(pointer("first_failing_seed"), "expected a seed exactly when some seed failed");
  }
}

}  // namespace

SweepMeta meta_from_json(const Json& json, const std::string& file) {
  SweepReader r(json, file);
  SweepMeta meta;
  meta.scenario_name = r.str(r.at(json, "", "scenario"), "/scenario");
  meta.program = r.str(r.at(json, "", "program"), "/program");
  meta.scenario_path = r.str(r.at(json, "", "scenario_path"), "/scenario_path");
  if (!parse_hex64(r.str(r.at(json, "", "scenario_hash"), "/scenario_hash"), meta.scenario_hash)) {
    r.fail("/scenario_hash", "expected a 0x-prefixed hex hash");
  }
  meta.tool_version = r.str(r.at(json, "", "tool_version"), "/tool_version");
  const Json& overrides = r.at(json, "", "overrides");
  if (!overrides.is_array()) r.fail("/overrides", "expected a list");
  for (std::size_t i = 0; i < overrides.size(); ++i) {
    meta.overrides.push_back(r.str(overrides[i], "/overrides/" + std::to_string(i)));
  }
  const Json& nominal = r.at(json, "", "nominal");
  const Json& uncertain = r.at(json, "", "uncertain");
  if (!nominal.is_boolean()) r.fail("/nominal", "expected true or false");
  if (!uncertain.is_boolean()) r.fail("/uncertain", "expected true or false");
  meta.nominal = nominal.get<bool>();
  meta.uncertain = uncertain.get<bool>();
  const std::string problem = scenarios::parse_seed_range(r.str(r.at(json, "", "seeds"), "/seeds"), meta.seeds.range);
  if (!problem.empty()) r.fail("/seeds", "expected " + problem);
  const Json& shard = r.at(json, "", "shard");
  if (!shard.is_null()) {
    const std::string shard_problem = parse_shard(r.str(shard, "/shard"), meta.seeds);
    if (!shard_problem.empty()) r.fail("/shard", "expected " + shard_problem);
  }
  meta.strategy.name = r.str(r.at(json, "", "strategy"), "/strategy");
  if (meta.strategy.name == "pct") {
    const Json& params = r.at(json, "", "strategy_params");
    meta.strategy.depth = static_cast<std::uint32_t>(r.u64(r.at(params, "/strategy_params", "depth"), "/strategy_params/depth"));
    meta.strategy.steps = r.u64(r.at(params, "/strategy_params", "steps"), "/strategy_params/steps");
  }
  const std::string strategy_problem = simcore::validate_strategy(meta.strategy);
  if (!strategy_problem.empty()) r.fail("/strategy", strategy_problem);
  meta.jobs = static_cast<int>(r.u64(r.at(json, "", "jobs"), "/jobs"));
  const Json& wall = r.at(json, "", "wall_seconds");
  if (!wall.is_number()) r.fail("/wall_seconds", "expected a number");
  meta.wall_seconds = wall.get<double>();
  return meta;
}

SweepSummary counts_from_json(const Json& object, const std::string& file, const std::string& at, const SweepMeta& meta) {
  SweepReader r(object, file);
  SweepSummary summary;
  auto field = [&](const char* key) -> const Json& { return r.at(object, at, key); };
  auto pointer = [&](const std::string& rest) { return at + "/" + rest; };
  summary.total = r.u64(field("total"), pointer("total"));
  summary.runs = r.u64(field("runs"), pointer("runs"));
  const Json& outcomes = field("outcomes");
  for (int i = 0; i < simcore::OUTCOME_COUNT; ++i) {
    const char* name = simcore::to_string(static_cast<simcore::Outcome>(i));
    summary.outcome_counts[static_cast<std::size_t>(i)] = r.u64(r.at(outcomes, pointer("outcomes"), name), pointer("outcomes/") + name);
  }
  const Json& findings = field("findings");
  for (int i = 0; i < simcore::FINDING_KIND_COUNT; ++i) {
    const char* name = simcore::to_string(static_cast<simcore::FindingKind>(i));
    summary.finding_counts[static_cast<std::size_t>(i)] = r.u64(r.at(findings, pointer("findings"), name), pointer("findings/") + name);
  }
  const Json& patterns = field("expected_findings");
  if (!patterns.is_array()) r.fail(pointer("expected_findings"), "expected a list of counts");
  for (std::size_t i = 0; i < patterns.size(); ++i) {
    summary.pattern_counts.push_back(r.u64(patterns[i], pointer("expected_findings/") + std::to_string(i)));
  }
  const Json& wrong_tensors = field("wrong_tensors");
  if (!wrong_tensors.is_object()) r.fail(pointer("wrong_tensors"), "expected an object of seed counts");
  for (const auto& [tensor, seeds] : wrong_tensors.items()) {
    summary.tensor_wrong_seeds[tensor] = r.u64(seeds, pointer("wrong_tensors/") + tensor);
  }
  summary.failed_runs = r.u64(field("failed_runs"), pointer("failed_runs"));
  summary.failing = r.u64(field("failing"), pointer("failing"));
  summary.outcome_failing = r.u64(field("outcome_failing"), pointer("outcome_failing"));
  if (summary.failing > summary.runs) r.fail(pointer("failing"), "more seeds than runs");
  if (summary.outcome_failing > summary.failing) r.fail(pointer("outcome_failing"), "more seeds than failing ones");
  const Json& first = field("first_failing_seed");
  if (!first.is_null()) summary.first_failing_seed = r.u64(first, pointer("first_failing_seed"));
  const Json& first_outcome = field("first_outcome_failing_seed");
  if (!first_outcome.is_null()) summary.first_outcome_failing_seed = r.u64(first_outcome, pointer("first_outcome_failing_seed"));
  const Json& failing = field("failing_seeds");
  if (!failing.is_array()) r.fail(pointer("failing_seeds"), "expected a list");
  for (std::size_t i = 0; i < failing.size(); ++i) {
    const std::string entry_pointer = pointer("failing_seeds/") + std::to_string(i);
    summary.not_passing.push_back(failing_entry_from_json(r, failing[i], entry_pointer, meta));
  }
  summary.not_passing_unlisted = r.u64(field("failing_seeds_unlisted"), pointer("failing_seeds_unlisted"));
  check_counts(r, summary, at);
  return summary;
}

SweepDocument sweep_from_json(const Json& json, const std::string& file) {
  SweepReader r(json, file);
  if (!json.is_object() || !json.contains("outcomes") || !json.contains("failing_seeds")) {
    r.fail("", "not the JSON of a ptosim sweep (write one with `ptosim sweep --json`)");
  }
  SweepDocument doc;
  doc.meta = meta_from_json(json, file);
  doc.summary = counts_from_json(json, file, "", doc.meta);
  SweepMeta& meta = doc.meta;
  SweepSummary& summary = doc.summary;
  const Json& stopped = r.at(json, "", "stopped_early");
  if (!stopped.is_boolean()) r.fail("/stopped_early", "expected true or false");
  summary.stopped_early = stopped.get<bool>();
  const Json& interrupted = r.at(json, "", "interrupted_by");
  if (!interrupted.is_null()) summary.interrupted_by = static_cast<int>(r.u64(interrupted, "/interrupted_by"));
  const Json& expect = r.at(json, "", "expect");
  if (!expect.is_null()) {
    scenarios::Expectations parsed;
    const std::string range_problem = scenarios::parse_seed_range(r.str(r.at(expect, "/expect", "seeds"), "/expect/seeds"), parsed.seeds);
    if (!range_problem.empty()) r.fail("/expect/seeds", "expected " + range_problem);
    parsed.always = r.outcomes(r.at(expect, "/expect", "always"), "/expect/always");
    parsed.sometimes = r.outcomes(r.at(expect, "/expect", "sometimes"), "/expect/sometimes");
    parsed.never = r.outcomes(r.at(expect, "/expect", "never"), "/expect/never");
    const Json& code = r.at(expect, "/expect", "error_code");
    if (!code.is_null()) parsed.error_code = static_cast<int>(r.u64(code, "/expect/error_code"));
    read_rest_of_expectations(r, expect, parsed);
    meta.expect = parsed;
  }
  if (summary.total != meta.seeds.count()) {
    r.fail("/total", "expected the " + std::to_string(meta.seeds.count()) + " seeds of /seeds and /shard");
  }
  for (const RunResult& run : summary.not_passing) {
    if (!meta.seeds.contains(run.seed)) r.fail("/failing_seeds", "seed " + std::to_string(run.seed) + " is not in the shard's selection");
  }
  if (summary.pattern_counts.size() != expected_patterns(meta.expect).size()) {
    r.fail("/expected_findings", "expected one count per finding pattern of /expect (" +
                                     std::to_string(expected_patterns(meta.expect).size()) + ")");
  }
  return doc;
}

SweepMeta merged_meta(const std::vector<SweepMeta>& shards, const std::vector<std::string>& files) {
  if (shards.empty()) throw InputError("<merge>", "", "nothing to merge");
  const SweepMeta& first = shards.front();
  std::set<std::uint32_t> indices;
  for (std::size_t i = 0; i < shards.size(); ++i) {
    const SweepMeta& meta = shards[i];
    const std::string& file = files.at(i);
    if (meta.scenario_hash != first.scenario_hash) {
      throw InputError(file, "/scenario_hash", "another scenario (or other --set overrides) than " + files.front());
    }
    if (!(meta.strategy == first.strategy)) throw InputError(file, "/strategy", "another strategy than " + files.front());
    if (meta.seeds.range.first != first.seeds.range.first || meta.seeds.range.last != first.seeds.range.last) {
      throw InputError(file, "/seeds", "another seed range than " + files.front());
    }
    if (meta.seeds.shard_count != first.seeds.shard_count) {
      throw InputError(file, "/shard", "shards of another split than " + files.front() + " (" +
                                           std::to_string(first.seeds.shard_count) + " shards)");
    }
    if (meta.expect.has_value() != first.expect.has_value() ||
        (meta.expect && expectations_to_json(*meta.expect) != expectations_to_json(*first.expect))) {
      throw InputError(file, "/expect", "other expectations than " + files.front() + ": shards of one sweep carry the same, whole");
    }
    if (!indices.insert(meta.seeds.shard_index).second) {
      throw InputError(file, "/shard", "shard " + meta.seeds.shard_text() + " is given twice");
    }
  }
  for (std::uint32_t index = 1; index <= first.seeds.shard_count; ++index) {
    if (indices.count(index) == 0) {
      throw InputError(files.front(), "/shard",
                       "shard " + std::to_string(index) + "/" + std::to_string(first.seeds.shard_count) +
                           " is missing: merge needs every shard of the range");
    }
  }
  SweepMeta merged = first;
  merged.seeds.shard_index = 1;
  merged.seeds.shard_count = 1;
  merged.jobs = 0;
  merged.wall_seconds = 0;
  for (const SweepMeta& shard : shards) {
    merged.jobs += shard.jobs;
    merged.wall_seconds = std::max(merged.wall_seconds, shard.wall_seconds);  // shards run side by side
  }
  return merged;
}

SweepDocument merge_sweeps(const std::vector<SweepDocument>& shards, const std::vector<std::string>& files) {
  std::vector<SweepMeta> metas;
  for (const SweepDocument& shard : shards) metas.push_back(shard.meta);
  SweepDocument merged;
  merged.meta = merged_meta(metas, files);
  // The fold that counts a sweep's runs counts its shards too.
  SweepFold fold(expected_patterns(merged.meta.expect), 0);
  for (const SweepDocument& shard : shards) fold.add(shard.summary);
  merged.summary = std::move(fold).finish();
  return merged;
}

namespace {

bool outcome_listed(const std::vector<simcore::Outcome>& list, simcore::Outcome outcome) {
  for (simcore::Outcome o : list) {
    if (o == outcome) return true;
  }
  return false;
}

// What one seed violates of the expectations, judged as check_expectations judges the sweep
// (constraints over all seeds, `sometimes` and rates, are the suite's own test case). Empty for a
// seed the expectations allow, findings or not. Without expectations every seed must pass.
std::vector<std::string> seed_violations(const SeedStatus& status, const std::optional<scenarios::Expectations>& expect) {
  std::vector<std::string> violations;
  const std::string outcome = simcore::to_string(status.outcome);
  if (!expect) {
    if (status.state == SeedStatus::State::failing) violations.push_back("did not pass (no expect: every seed must pass)");
    return violations;
  }
  if (!expect->always.empty() && !outcome_listed(expect->always, status.outcome)) {
    violations.push_back("ended in " + outcome + ", expected always one of the listed outcomes");
  }
  if (outcome_listed(expect->never, status.outcome)) violations.push_back("ended in " + outcome + ", which must never appear");
  if (expect->error_code && status.state == SeedStatus::State::failing) {
    if (status.error_code < 0) {
      violations.push_back("ended in " + outcome + " without a runtime report, expected code " +
                           std::to_string(*expect->error_code));
    } else if (status.error_code != *expect->error_code) {
      violations.push_back("reported runtime code " + std::to_string(status.error_code) + ", expected " +
                           std::to_string(*expect->error_code));
    }
  }
  const std::size_t always_count = expect->findings_always.size();
  const std::size_t pattern_count = always_count + expect->findings_never.size();
  for (std::size_t p = 0; p < pattern_count; ++p) {
    const bool seen = p < status.patterns.size() && status.patterns[p];
    if (p < always_count && !seen) {
      violations.push_back("finding " + scenarios::to_string(expect->findings_always[p]) + " not reported, expected on every seed");
    } else if (p >= always_count && seen) {
      violations.push_back("finding " + scenarios::to_string(expect->findings_never[p - always_count]) +
                           " reported, expected on no seed");
    }
  }
  for (const std::string& tensor : status.wrong_tensors) {
    if (std::find(expect->correct_tensors.begin(), expect->correct_tensors.end(), tensor) != expect->correct_tensors.end()) {
      violations.push_back("tensor " + tensor + " ended with wrong contents, expected correct on every seed");
    }
  }
  return violations;
}

std::string finding_kinds_text(std::uint32_t kinds) {
  std::string text;
  for (int k = 0; k < simcore::FINDING_KIND_COUNT; ++k) {
    if ((kinds >> k & 1u) == 0) continue;
    text += (text.empty() ? "" : " ") + std::string(simcore::to_string(static_cast<simcore::FindingKind>(k)));
  }
  return text;
}

void junit_suite_properties(std::ostream& out, const SweepSummary& summary, const SweepMeta& meta) {
  out << "    <properties>\n";
  auto property = [&out](const char* name, const std::string& value) {
    out << "      <property name=\"" << name << "\" value=\"" << xml_escape(value) << "\"/>\n";
  };
  property("scenario", meta.scenario_name);
  property("scenario_path", meta.scenario_path);
  property("scenario_hash", hex64(meta.scenario_hash));
  property("tool_version", meta.tool_version);
  property("seeds", seeds_text(meta.seeds.range));
  property("shard", meta.seeds.sharded() ? meta.seeds.shard_text() : "1/1");
  property("strategy", meta.strategy.name == "pct" ? "pct depth " + std::to_string(meta.strategy.depth) + " steps " +
                                                          std::to_string(meta.strategy.steps)
                                                    : meta.strategy.name);
  for (const std::string& item : meta.overrides) property("set", item);
  // The rate vocabulary of the sweep JSON: a seed fails on a failing outcome or a finding; its
  // outcome fails on an outcome other than pass alone.
  property("failing", std::to_string(summary.failing) + " of " + std::to_string(summary.runs));
  property("outcome_failing", std::to_string(summary.outcome_failing) + " of " + std::to_string(summary.runs));
  auto rate_text = [](const FailureRate& rate) {
    char buffer[96];
    std::snprintf(buffer, sizeof buffer, "%.4f (wilson95 %.4f..%.4f)", rate.value, rate.low, rate.high);
    return std::string(buffer);
  };
  property("failure_rate", rate_text(failure_rate(summary.failing, summary.runs)));
  property("outcome_failure_rate", rate_text(failure_rate(summary.outcome_failing, summary.runs)));
  out << "    </properties>\n";
}

// One seed's test case: passing when the expectations allow its outcome and findings (they are
// its properties), a <failure> listing what it violates, an <error> when it could not complete.
// Returns 0 passed, 1 failure, 2 error.
int junit_seed_case(std::ostream& out, const SeedStatus& status, std::uint64_t seed, const RunResult* details,
                    const SweepMeta& meta, const std::string& suite) {
  const std::string repro = details == nullptr ? repro_command(meta, seed) : repro_command(meta, seed, details->point);
  out << "    <testcase classname=\"" << xml_escape(suite) << "\" name=\"seed " << seed << "\" time=\""
      << seconds_text(static_cast<double>(status.wall_us) / 1e6) << "\">\n";
  if (status.state == SeedStatus::State::run_failed) {
    const std::string failure = details != nullptr ? details->failure : "the run could not complete";
    out << "      <error type=\"run_failed\" message=\"" << xml_escape(failure) << "\">" << xml_escape("repro: " + repro)
        << "</error>\n    </testcase>\n";
    return 2;
  }
  out << "      <properties>\n";
  out << "        <property name=\"outcome\" value=\"" << simcore::to_string(status.outcome) << "\"/>\n";
  if (status.finding_kinds != 0) {
    out << "        <property name=\"findings\" value=\"" << finding_kinds_text(status.finding_kinds) << "\"/>\n";
  }
  if (details != nullptr && !details->point.empty()) {
    out << "        <property name=\"point\" value=\"" << xml_escape(scenarios::point_text(details->point)) << "\"/>\n";
  }
  if (details != nullptr) out << "        <property name=\"repro\" value=\"" << xml_escape(repro) << "\"/>\n";
  out << "      </properties>\n";
  const std::vector<std::string> violations = seed_violations(status, meta.expect);
  if (!violations.empty()) {
    std::string body;
    for (const std::string& violation : violations) body += violation + "\n";
    if (details != nullptr) {
      body += "outcome: " + std::string(simcore::to_string(details->outcome)) + "\n" + details->summary + "\n";
      if (!details->point.empty()) body += "point: " + scenarios::point_text(details->point) + "\n";
      for (const simcore::Finding& finding : details->findings) {
        body += "finding " + std::string(simcore::to_string(finding.kind)) + ": " + finding.summary + "\n";
      }
    }
    body += "repro: " + repro;
    const std::string kind = simcore::to_string(status.outcome);
    out << "      <failure type=\"" << xml_escape(kind) << "\" message=\"" << xml_escape(violations.front()) << "\">"
        << xml_escape(body) << "</failure>\n";
  }
  out << "    </testcase>\n";
  return violations.empty() ? 0 : 1;
}

}  // namespace

std::string sweep_to_junit(const SweepSummary& summary, const SweepMeta& meta, const ExpectationCheck& check) {
  PTOSIM_ASSERT(summary.seed_status.size() == meta.seeds.count(), "JUnit needs the status of every selected seed");
  std::map<std::uint64_t, const RunResult*> details;
  for (const RunResult& run : summary.not_passing) details.emplace(run.seed, &run);
  const std::string suite = "ptosim." + meta.scenario_name;
  std::uint64_t failures = 0;
  std::uint64_t errors = 0;
  std::uint64_t tests = 0;
  std::ostringstream cases;
  for (std::uint64_t n = 0; n < summary.seed_status.size(); ++n) {
    const SeedStatus& status = summary.seed_status[n];
    if (status.state == SeedStatus::State::not_run) continue;  // stopped early or interrupted
    const std::uint64_t seed = meta.seeds.at(n);
    auto it = details.find(seed);
    const int verdict = junit_seed_case(cases, status, seed, it == details.end() ? nullptr : it->second, meta, suite);
    ++tests;
    failures += verdict == 1 ? 1 : 0;
    errors += verdict == 2 ? 1 : 0;
  }
  // The constraints over all seeds (sometimes, rates, interruption): one test case, judged only
  // where the sweep itself is judged (an unsharded sweep, a shard with --judge).
  if (meta.judged) {
    ++tests;
    cases << "    <testcase classname=\"" << xml_escape(suite) << "\" name=\"expectations\" time=\"0\"";
    if (check.holds) {
      cases << "/>\n";
    } else {
      ++failures;
      std::string body;
      for (const std::string& violation : check.violations) body += violation + "\n";
      cases << ">\n      <failure type=\"expectations\" message=\"" << xml_escape(check.violations.empty() ? "violated" : check.violations.front())
            << "\">" << xml_escape(body) << "</failure>\n    </testcase>\n";
    }
  }
  PTOSIM_ASSERT(tests == summary.runs + (meta.judged ? 1 : 0), "one test case per seed that ran");
  std::ostringstream out;
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out << "<testsuites name=\"ptosim sweep\" tests=\"" << tests << "\" failures=\"" << failures << "\" errors=\""
      << errors << "\" time=\"" << seconds_text(meta.wall_seconds) << "\">\n";
  out << "  <testsuite name=\"" << xml_escape(suite) << "\" tests=\"" << tests << "\" failures=\"" << failures
      << "\" errors=\"" << errors << "\" skipped=\"0\" time=\"" << seconds_text(meta.wall_seconds) << "\">\n";
  junit_suite_properties(out, summary, meta);
  out << cases.str();
  out << "  </testsuite>\n</testsuites>\n";
  return out.str();
}

}  // namespace ptosim::replay
