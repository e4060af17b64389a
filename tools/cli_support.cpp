#include "tools/cli.h"

#include <iostream>

namespace ptosim::cli {

int exit_code_for(simcore::Outcome outcome) {
  switch (outcome) {
    case simcore::Outcome::pass: return EXIT_PASS;
    case simcore::Outcome::wrong_values: return 10;
    case simcore::Outcome::hang: return 11;
    case simcore::Outcome::deadlock_true: return 12;
    case simcore::Outcome::deadlock_false: return 13;
    case simcore::Outcome::runtime_error: return 14;
    case simcore::Outcome::sim_limit: return 15;
  }
  return EXIT_INTERNAL;
}

void print_result(const replay::RunResult& result) {
  std::cout << "outcome " << simcore::to_string(result.outcome) << ": " << result.summary << "\n";
  std::cout << "digest " << replay::hex64(result.digest) << "\n";
  std::cout << "sim_time_ns " << result.sim_time_ns << "  tasks " << result.tasks << " (" << result.tasks_submitted
            << " submitted, " << result.tasks_completed << " completed)  events " << result.events << "  decisions "
            << result.decisions << "\n";
  if (result.report) {
    std::cout << "\nruntime report (" << result.report->detector << ", " << result.report->actor << ", t="
              << result.report->time_ns << " ns):\n"
              << result.report->message;
  }
  if (!result.findings.empty()) {
    std::cout << "\nfindings:\n";
    for (const simcore::Finding& finding : result.findings) {
      std::cout << "  - " << simcore::to_string(finding.kind) << ": " << finding.summary << "\n";
    }
  }
  if (result.data_checked && !result.mismatches.empty()) {
    std::cout << "\ntensors written by the program, against the sequential program:\n";
    for (const runtime::TensorMismatch& mismatch : result.mismatches) {
      std::cout << "  " << mismatch.tensor << ": ";
      if (mismatch.mismatched_elements == 0) {
        std::cout << "correct (" << mismatch.elements << " elements)\n";
        continue;
      }
      const replay::Json j = replay::mismatch_to_json(mismatch);
      std::cout << mismatch.mismatched_elements << " of " << mismatch.elements << " elements wrong ("
                << j["mismatch_percent"].dump() << "%), first";
      for (const hwmodel::ElementRange& range : mismatch.first_ranges) std::cout << " [" << range.begin << ", " << range.end << ")";
      std::cout << "\n";
    }
  }
  if (!result.wait_chain.empty()) {
    std::cout << "\nwhy no progress was possible:\n";
    for (const std::string& step : result.wait_chain) std::cout << "  - " << step << "\n";
  }
}

void print_warnings(const scenarios::Scenario& scenario) {
  for (const std::string& warning : scenario.warnings) std::cerr << "warning: " << scenario.path << ": " << warning << "\n";
}

// Reports an error in the --json shape as well as on stderr, and returns its exit code.
int report_error(bool json, const char* kind, const std::string& message, int code) {
  std::cerr << "error: " << message << "\n";
  if (json) {
    replay::Json out;
    out["error"] = {{"kind", kind}, {"message", message}, {"exit_code", code}};
    std::cout << out.dump(2) << "\n";
  }
  return code;
}

}  // namespace ptosim::cli
