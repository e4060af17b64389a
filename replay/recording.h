// Recordings: everything needed to re-execute one run exactly — the scenario text (embedded, with
// its path and hash), the seed, the strategy, the tool version and the decision log — plus the
// outcome and digest the replay must reproduce.
#pragma once

#include "replay/report_json.h"
#include "replay/run_session.h"
#include "runtime/run_report.h"
#include "simcore/decision_source.h"
#include "simcore/strategies.h"

#include <cstdint>
#include <string>

namespace ptosim::replay {

struct Recording {
  std::string tool_version;
  std::string scenario_path;
  std::string scenario_text;
  std::uint64_t scenario_hash = 0;
  std::uint64_t seed = 0;
  // What made the decisions: "random", "pct" (with its parameters in `spec`), or "replay-lenient"
  // for a log that shrinking edited and re-recorded.
  std::string strategy;
  simcore::StrategySpec spec;
  simcore::Outcome outcome = simcore::Outcome::pass;
  std::uint64_t digest = 0;
  TimeNs sim_time_ns = 0;
  std::uint64_t events = 0;
  simcore::DecisionLog decisions;
};

inline constexpr int RECORDING_VERSION = 2;  // 2: decisions are a keyed list with defaults

std::string recording_to_text(const Recording& recording);
// One decision as a recording holds it: {"stream", "subject", "part", "n", "value", "lo", "hi",
// "default"} for a range, {"stream", "subject", "part", "n", "choice", "of", "default"} for a choice.
Json decision_to_json(const simcore::DecisionLog& log, const simcore::DecisionEntry& entry);
// The decision log as a JSON list of decision_to_json objects, and back (InputError naming
// `file` and the pointer of a bad entry).
Json decisions_to_json(const simcore::DecisionLog& log);
simcore::DecisionLog decisions_from_json(const Json& list, const std::string& file, const std::string& pointer);
// Throws InputError naming the field when the file is not a readable, consistent recording.
Recording read_recording(const std::string& path);
// The same from the file's text; `origin` names it in errors.
Recording parse_recording(const std::string& text, const std::string& origin);
// The recording of a finished run: the scenario it ran, its strategy, result and decisions.
Recording make_recording(const scenarios::Scenario& scenario, const RunResult& result, simcore::DecisionLog decisions);
// The strategy of a result or recording as JSON: {"depth", "steps"} for pct, {} otherwise.
Json strategy_params_to_json(const simcore::StrategySpec& spec);

}  // namespace ptosim::replay
