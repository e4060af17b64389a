// The false-deadlock family of the catalogue is one program on several platforms: the files share
// program, tensors and kernels verbatim, and differ only where the issue says they may.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <fstream>
#include <string>

using Json = nlohmann::ordered_json;

namespace {

Json read_catalog(const std::string& name) {
  std::ifstream in(std::string(PTOSIM_SOURCE_DIR) + "/scenarios/catalog/" + name + ".json");
  REQUIRE(in.good());
  return Json::parse(in);
}

}  // namespace

TEST_CASE("the false-deadlock files share program, tensors and kernels and differ only in platform", "[catalog]") {
  const Json sim = read_catalog("false_deadlock_a2a3sim");
  const char* family[] = {"false_deadlock_a2a3sim_enough_cpus", "false_deadlock_board",
                          "false_deadlock_a2a3sim_current_detectors", "false_deadlock_deferred_publish"};
  for (const char* name : family) {
    INFO(name);
    const Json other = read_catalog(name);
    CHECK(other["program"] == sim["program"]);
    CHECK(other.value("tensors", Json()) == sim.value("tensors", Json()));
    CHECK(other["kernels"] == sim["kernels"]);
    // Beyond the platform, only the detectors may differ: the current-detector file's kind, and
    // the historical file's board spin (it keeps its parameters).
    Json runtime = other["runtime"];
    Json expected = sim["runtime"];
    runtime.erase("detectors");
    expected.erase("detectors");
    CHECK(runtime == expected);
    if (std::string(name) == "false_deadlock_a2a3sim_current_detectors") {
      CHECK(other["runtime"]["detectors"] == Json{{"kind", "current"}});
    } else if (std::string(name) == "false_deadlock_deferred_publish") {
      Json detectors = other["runtime"]["detectors"];
      detectors.erase("spin_ns");
      CHECK(detectors == sim["runtime"]["detectors"]);
    } else {
      CHECK(other["runtime"]["detectors"] == sim["runtime"]["detectors"]);
    }
  }
}

TEST_CASE("no scenario of the a2a3sim family declares a spin shorter than 100 ns", "[catalog]") {
  for (const char* name :
       {"false_deadlock_a2a3sim", "false_deadlock_a2a3sim_enough_cpus", "false_deadlock_a2a3sim_current_detectors"}) {
    INFO(name);
    const Json doc = read_catalog(name);
    REQUIRE(doc["platform"]["kind"] == "a2a3sim");
    CHECK(doc["platform"]["host_costs"]["spin_ns"][0].get<long>() >= 100);
    CHECK_FALSE(doc["runtime"]["detectors"].contains("spin_ns"));
  }
  // The board file declares none: its spins are the board's.
  CHECK_FALSE(read_catalog("false_deadlock_board")["runtime"]["detectors"].contains("spin_ns"));
}
