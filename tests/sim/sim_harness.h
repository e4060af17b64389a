// Test helpers: run a simulation in a forked child and bring back whatever JSON the child built.
#pragma once

#include "runtime/runtime_model.h"
#include "scenarios/scenario.h"

#include <nlohmann/json.hpp>

#include <functional>
#include <string>

namespace ptosim::testing {

using Json = nlohmann::json;

// Runs `body` in a child process (one SimGrid engine per process). A throwing body yields
// {"error": what}; a crashing child fails the test.
Json in_child(const std::function<Json()>& body);

scenarios::Scenario load(const std::string& text);
scenarios::Scenario load_catalog(const std::string& file_name);

// Outcome, digest, report and snapshot of one run, plus event and task summaries.
Json summarize(const runtime::ModelOutput& output);

// Runs a scenario with a seed in a child and returns summarize()'s JSON, with "marks": the names
// of the coverage marks (simcore/marks.h) the run hit.
Json run(const scenarios::Scenario& scenario, std::uint64_t seed);
// Whether the run of `result` hit the coverage mark `mark`.
bool hit(const Json& result, const std::string& mark);

}  // namespace ptosim::testing
