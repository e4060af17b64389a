// Expectations of a scenario (`expect`): the seed range, the outcomes that must always, may
// sometimes or must never occur, outcome rates, finding patterns and the external tensors whose
// values must come out right; and the seed-range syntax shared with the CLI.
#include "scenarios/loader_fields.h"

#include <cctype>
#include <set>
#include <string>
#include <vector>

namespace ptosim::scenarios {

namespace loader {

namespace {

class ExpectationsLoader {
 public:
  ExpectationsLoader(FieldReader& reader, const std::vector<runtime::ExternalTensor>& externals,
                     const std::set<std::uint32_t>& written_externals)
      : reader_(reader), externals_(externals), written_externals_(written_externals) {}

  Expectations load_expect(const Field& field) {
    reader_.check_object(field, {"seeds", "always", "sometimes", "never", "error_code", "rates", "findings", "correct_tensors"},
                         {"seeds"});
    Expectations expect;
    const Field seeds = child(field, "seeds");
    std::string problem = parse_seed_range(reader_.string(seeds), expect.seeds);
    if (!problem.empty()) reader_.fail(seeds, problem);
    auto outcome_name = [this](const Field& item) {
      simcore::Outcome outcome{};
      if (!simcore::parse_outcome(reader_.string(item), outcome)) {
        reader_.fail(item, "an outcome: pass, wrong_values, hang, deadlock_true, deadlock_false, runtime_error or sim_limit");
      }
      return outcome;
    };
    auto outcomes = [&](const char* key, std::vector<simcore::Outcome>& out) {
      if (!has(field, key)) return;
      const Field list = child(field, key);
      if (!list->is_array() || list->empty()) reader_.fail(list, "a non-empty array of outcome names");
      for (std::size_t i = 0; i < list->size(); ++i) out.push_back(outcome_name(child(list, i)));
    };
    outcomes("always", expect.always);
    outcomes("sometimes", expect.sometimes);
    outcomes("never", expect.never);
    if (has(field, "error_code")) expect.error_code = static_cast<int>(reader_.integer(child(field, "error_code"), 1, 1000));
    if (has(field, "rates")) {
      const Field rates = child(field, "rates");
      if (!rates->is_object() || rates->empty()) reader_.fail(rates, "an object of outcome rates, e.g. {\"wrong_values\": {\"min_percent\": 1, \"max_percent\": 20}}");
      for (const auto& [name, value] : rates->items()) {
        const Field rate = child(rates, name);
        OutcomeRate bound;
        Field key_field{rate.value, &rates, name, 0, false};
        simcore::Outcome outcome{};
        if (!simcore::parse_outcome(name, outcome)) reader_.fail_raw(key_field, "unknown outcome '" + name + "' in rates");
        bound.outcome = outcome;
        reader_.check_object(rate, {"min_percent", "max_percent"}, {});
        if (has(rate, "min_percent")) bound.min_percent = reader_.integer(child(rate, "min_percent"), 0, 100);
        if (has(rate, "max_percent")) bound.max_percent = reader_.integer(child(rate, "max_percent"), 0, 100);
        if (bound.max_percent < bound.min_percent) reader_.fail(child(rate, "max_percent"), "max_percent >= min_percent");
        expect.rates.push_back(bound);
      }
    }
    if (has(field, "findings")) {
      const Field findings = child(field, "findings");
      reader_.check_object(findings, {"always", "never"}, {});
      auto patterns = [&](const char* key, std::vector<FindingPattern>& out) {
        if (!has(findings, key)) return;
        const Field list = child(findings, key);
        if (!list->is_array() || list->empty()) reader_.fail(list, "a non-empty array of finding kinds or patterns");
        for (std::size_t i = 0; i < list->size(); ++i) out.push_back(finding_pattern(child(list, i)));
      };
      patterns("always", expect.findings_always);
      patterns("never", expect.findings_never);
    }
    if (has(field, "correct_tensors")) {
      const Field list = child(field, "correct_tensors");
      if (!list->is_array() || list->empty()) reader_.fail(list, "a non-empty array of external tensor names");
      for (std::size_t i = 0; i < list->size(); ++i) {
        const Field item = child(list, i);
        const std::string name = reader_.string(item);
        bool written = false;
        for (std::uint32_t e = 0; e < externals_.size(); ++e) {
          if (externals_[e].name == name) written = written_externals_.count(e) != 0;
        }
        if (!written) reader_.fail_raw(item, "'" + name + "' is not an external tensor that the program writes");
        expect.correct_tensors.push_back(name);
      }
    }
    if (expect.always.empty() && expect.sometimes.empty() && expect.never.empty() && !expect.error_code &&
        expect.rates.empty() && expect.findings_always.empty() && expect.findings_never.empty() &&
        expect.correct_tensors.empty()) {
      reader_.fail(field, "at least one of always, sometimes, never, error_code, rates, findings or correct_tensors");
    }
    return expect;
  }

  FindingPattern finding_pattern(const Field& field) {
    FindingPattern pattern;
    if (field->is_object()) reader_.check_object(field, {"kind", "hazard", "first", "second"}, {"kind"});
    const Field kind = field->is_object() ? child(field, "kind") : field;
    if (field->is_object()) {
      if (has(field, "hazard")) {
        const Field hazard = child(field, "hazard");
        pattern.hazard = reader_.string(hazard);
        // Races name RAW/WAR/WAW; micro-program findings name their pattern.
        static constexpr const char* HAZARDS[] = {"RAW",        "WAR",         "WAW",         "spmd_blocks",
                                                  "store_load", "fin_before_commit", "dirty_at_exit", "cross_core_signal", "double_set",
                                                  "wait_never_set", "set_at_exit", "cross_wait_never_set", "cross_set_at_exit",
                                                  "cross_overflow", "block_sync_signal", "barrier_signal", "notify_signal",
                                                  "block_wait_never_set", "block_set_at_exit", "barrier_mismatch",
                                                  "signal_overwrite", "sets_left_at_exit", "lookup_cap"};
        bool known = false;
        for (const char* name : HAZARDS) known = known || pattern.hazard == name;
        if (!known) {
          reader_.fail(hazard, "\"RAW\", \"WAR\", \"WAW\" or \"spmd_blocks\" (race), \"store_load\", \"fin_before_commit\" or "
                               "\"dirty_at_exit\", \"cross_core_signal\", \"block_sync_signal\", \"barrier_signal\" or \"notify_signal\" "
                               "(visibility_hazard), \"double_set\", \"wait_never_set\", \"set_at_exit\", \"cross_wait_never_set\", "
                               "\"cross_set_at_exit\", \"cross_overflow\", \"block_wait_never_set\", \"block_set_at_exit\", "
                               "\"barrier_mismatch\", \"signal_overwrite\" or \"sets_left_at_exit\" (flag_protocol), \"lookup_cap\" (dropped_dependency), found \"" + pattern.hazard + "\"");
        }
      }
      if (has(field, "first")) pattern.first = reader_.string(child(field, "first"));
      if (has(field, "second")) pattern.second = reader_.string(child(field, "second"));
    } else if (!field->is_string()) {
      reader_.fail(field, std::string("a finding kind or {\"kind\": ..., \"hazard\": ..., \"first\": ..., \"second\": ...}, found ") +
                              type_name(*field));
    }
    if (!simcore::parse_finding_kind(reader_.string(kind), pattern.kind)) {
      reader_.fail(kind, "a finding kind: race, visibility_hazard, flag_protocol or dropped_dependency");
    }
    return pattern;
  }

 private:
  FieldReader& reader_;
  const std::vector<runtime::ExternalTensor>& externals_;
  const std::set<std::uint32_t>& written_externals_;  // external tensors some task writes
};

}  // namespace

Expectations load_expect(FieldReader& reader, const Field& field, const std::vector<runtime::ExternalTensor>& externals,
                         const std::set<std::uint32_t>& written_externals) {
  return ExpectationsLoader(reader, externals, written_externals).load_expect(field);
}

}  // namespace loader

std::string to_string(const FindingPattern& pattern) {
  std::string text = simcore::to_string(pattern.kind);
  if (!pattern.hazard.empty()) text += " " + pattern.hazard;
  if (!pattern.first.empty() || !pattern.second.empty()) {
    text += " (" + (pattern.first.empty() ? std::string("*") : pattern.first) + " -> " +
            (pattern.second.empty() ? std::string("*") : pattern.second) + ")";
  }
  return text;
}

bool parse_u64(const std::string& text, std::uint64_t& out) {
  if (text.empty()) return false;
  std::uint64_t value = 0;
  for (char c : text) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    if (__builtin_mul_overflow(value, 10, &value) ||
        __builtin_add_overflow(value, static_cast<std::uint64_t>(c - '0'), &value)) {
      return false;
    }
  }
  out = value;
  return true;
}

std::string parse_seed_range(const std::string& text, SeedRange& out) {
  const std::size_t dots = text.find("..");
  if (dots == std::string::npos || !parse_u64(text.substr(0, dots), out.first) ||
      !parse_u64(text.substr(dots + 2), out.last)) {
    return "a seed range \"A..B\" of integers in 0..18446744073709551615, found \"" + text + "\"";
  }
  if (out.last < out.first) return "a seed range \"A..B\" with A <= B, found \"" + text + "\"";
  return {};
}

}  // namespace ptosim::scenarios
