// The fuzz targets: one input through the real scenario loader, through the real recording
// reader and the loader of the scenario it embeds, or through `--set` and the loader, and everything the command line then prints
// about it (the check/replay summary, or the --json error object). The built-in driver
// (fuzz_driver.cpp) and the optional libFuzzer entry points (libfuzzer_main.cpp) both call these.
#pragma once

#include "scenarios/scenario.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace ptosim::fuzz {

// `set_value`: the input is one `--set PATH=VALUE` argument, applied to a small built-in scenario
// (BASE_SCENARIO in fuzz_targets.cpp) the way the CLI applies it before loading.
// `merge`: the input is the outputs of the shards of one sweep, map or plan, separated by
// MERGE_SEPARATOR lines, folded and judged the way `ptosim merge` does.
enum class Target : std::uint8_t { scenario, recording, set_value, merge };

inline constexpr const char* MERGE_SEPARATOR = "\n=== ptosim-fuzz shard ===\n";

// How one input ended. An internal error is an exception other than the input errors the CLI
// maps to exit 3 (it would print "internal error" and exit 1).
enum class Verdict : std::uint8_t { accepted, rejected, internal_error };

struct TargetResult {
  Verdict verdict = Verdict::rejected;
  std::string message;  // internal errors: what escaped
  // Accepted inputs: the scenario to simulate, and for recordings the replay log and seed.
  std::optional<scenarios::Scenario> scenario;
  std::optional<std::uint64_t> seed;
  std::optional<simcore::DecisionLog> decisions;
};

TargetResult run_target(Target target, const std::string& input);

// Simulates an accepted input in this process (call it in a forked child: one engine per
// process), with its budgets lowered to keep one execution short. Returns an internal-error
// message, or "" when the run ended in an outcome or a replay divergence.
std::string simulate_accepted(const TargetResult& accepted);

}  // namespace ptosim::fuzz
