// Robustness: scenarios that pass validation after random mutation always run to an outcome;
// an internal error (exception, assertion, crash) of the model is a bug.
#include "sim_harness.h"

#include "replay/run_session.h"
#include "simcore/decision_source.h"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

using namespace ptosim;
using namespace ptosim::testing;
using OrderedJson = nlohmann::ordered_json;

TEST_CASE("mutated scenarios that validate always run to an outcome", "[robustness]") {
  simcore::StreamGenerator rng(77, "sim-mutations");
  static const OrderedJson values[] = {0, 1, 2, 3, 4, 8, 16, 64, 1024, 100000, "manual", "auto", "deferred",
                                       "legacy", "current", "mix", "aiv", "wait", Json::array({1, 1})};
  std::size_t ran = 0;
  for (const auto& entry : std::filesystem::directory_iterator(std::string(PTOSIM_SOURCE_DIR) + "/scenarios/catalog")) {
    std::ifstream in(entry.path());
    std::stringstream text;
    text << in.rdbuf();
    const OrderedJson original = OrderedJson::parse(text.str());
    int accepted_here = 0;
    for (int round = 0; round < 200 && accepted_here < 6; ++round) {
      OrderedJson doc = original;
      std::vector<OrderedJson*> nodes{&doc};
      for (std::size_t i = 0; i < nodes.size(); ++i) {
        if (nodes[i]->is_object() || nodes[i]->is_array()) {
          for (auto& child : *nodes[i]) nodes.push_back(&child);
        }
      }
      *nodes[rng.next_in(1, nodes.size() - 1)] = values[rng.next_in(0, std::size(values) - 1)];
      // A mutation may have replaced the runtime section itself; the validator's tests cover that.
      if (doc.contains("runtime") && !doc["runtime"].is_object()) continue;
      doc["runtime"]["limits"] = {{"max_sim_time_ns", 200000000}, {"max_events", 200000}};
      scenarios::Scenario scenario;
      try {
        scenario = load(doc.dump());
      } catch (const scenarios::ScenarioError&) {
        continue;
      }
      ++accepted_here;
      // The whole pipeline: the simulation, then the race detector and the data oracle.
      const Json result = in_child([&] {
        const replay::RunResult run = replay::run_scenario(scenario, static_cast<std::uint64_t>(round));
        return Json{{"outcome", simcore::to_string(run.outcome)}};
      });
      INFO(entry.path().filename().string() << " round " << round << ": " << doc.dump().substr(0, 400));
      CHECK_FALSE(result.contains("error"));
      CHECK(result.contains("outcome"));
      ++ran;
    }
  }
  CHECK(ran >= 20);
}
