// Recordings: everything needed to re-execute one run exactly — the scenario text (embedded, with
// its path and hash), the seed, the strategy, the tool version and the decision log — plus the
// outcome and digest the replay must reproduce.
#pragma once

#include "replay/report_json.h"
#include "runtime/run_monitor.h"
#include "simcore/decision_source.h"

#include <cstdint>
#include <string>

namespace ptosim::replay {

struct Recording {
  std::string tool_version;
  std::string scenario_path;
  std::string scenario_text;
  std::uint64_t scenario_hash = 0;
  std::uint64_t seed = 0;
  std::string strategy;
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
// Throws InputError naming the field when the file is not a readable, consistent recording.
Recording read_recording(const std::string& path);
// The same from the file's text; `origin` names it in errors.
Recording parse_recording(const std::string& text, const std::string& origin);

}  // namespace ptosim::replay
