// Uncertain parameters: the `uncertain` section's checks, pinning by --set and --nominal, the
// integer log scale, and the point a seed draws (keyed, replayable, nominal by default).
#include "replay/uncertain_point.h"
#include "scenarios/scenario.h"
#include "scenarios/uncertain.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <unistd.h>

using namespace ptosim;

namespace {

using json = nlohmann::ordered_json;

json base_doc() {
  return json::parse(R"({
    "format": 1, "name": "u", "description": "two kernels",
    "platform": {"clusters": 2, "scheduler_threads": 1},
    "kernels": {"k": {"core": "aiv", "duration_ns": [100, 2000]}},
    "program": {"params": {"N": 3}, "body": [{"for": "i", "to": "N", "body": [{"submit": "k", "args": [{"output": "t", "shape": [4]}]}]}]},
    "expect": {"seeds": "0..9", "always": ["pass"]}
  })");
}

scenarios::Scenario load(const json& doc) { return scenarios::load_scenario_text(doc.dump(2), "u.json"); }

std::string error_of(const json& doc) {
  try {
    load(doc);
  } catch (const scenarios::ScenarioError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("uncertain parameters are checked against the scenario they belong to", "[uncertain]") {
  json doc = base_doc();
  doc["uncertain"] = {{"/platform/clusters", {{"list", {1, 2, 4}}, {"description", "boards we meet"}}},
                      {"/kernels/k/duration_ns/1", {{"log_range", {200, 20000}}}},
                      {"/program/params/N", {{"range", {1, 8}}}}};
  const scenarios::Scenario scenario = load(doc);
  REQUIRE(scenario.uncertain.size() == 3);
  CHECK(scenario.uncertain[0].pointer == "/kernels/k/duration_ns/1");  // sorted by pointer
  CHECK(scenario.uncertain[0].kind == scenarios::UncertainKind::log_range);
  CHECK(scenario.uncertain[0].nominal_value == 2000);
  CHECK(scenario.uncertain[2].pointer == "/program/params/N");
  CHECK(scenario.uncertain[1].nominal_index == 1);
  CHECK(scenario.uncertain[1].description == "boards we meet");
  CHECK(scenario.max_clusters == 4);  // the largest platform of the region
  CHECK(scenario.model.platform.clusters == 2);  // the scenario itself is the nominal point

  auto with = [&](const char* pointer, json spec) {
    json bad = base_doc();
    bad["uncertain"] = {{pointer, std::move(spec)}};
    return error_of(bad);
  };
  CHECK_THAT(with("/platform/cores", {{"range", {1, 4}}}), Catch::Contains("names no value"));
  CHECK_THAT(with("/platform/clusters", {{"range", {3, 8}}}), Catch::Contains("the scenario's own value 2"));
  CHECK_THAT(with("/platform/clusters", {{"list", {1, 4}}}), Catch::Contains("must hold the scenario's own value 2"));
  CHECK_THAT(with("/platform/clusters", {{"list", {2, 2}}}), Catch::Contains("listed twice"));
  CHECK_THAT(with("/platform/clusters", {{"range", {1, 4}}, {"list", {2, 3}}}), Catch::Contains("exactly one of"));
  CHECK_THAT(with("/expect/seeds", {{"list", {"0..9", "0..99"}}}), Catch::Contains("may not point into"));
  CHECK_THAT(with("/kernels/k/duration_ns/0", {{"log_range", {0, 200}}}), Catch::Contains("/log_range/0"));
  // An end of the region where the scenario is not valid names the parameter and the inner field.
  const std::string bad_end = with("/platform/scheduler_threads", {{"range", {1, 3}}});
  CHECK_THAT(bad_end, Catch::Contains("/uncertain/~1platform~1scheduler_threads"));
  CHECK_THAT(bad_end, Catch::Contains("/platform/scheduler_threads=3"));
  CHECK_THAT(bad_end, Catch::Contains("at most as many scheduler threads as clusters"));
  json nested = base_doc();
  nested["uncertain"] = {{"/kernels/k/duration_ns", {{"list", {{100, 2000}, {100, 4000}}}}},
                         {"/kernels/k/duration_ns/1", {{"range", {1000, 4000}}}}};
  CHECK_THAT(error_of(nested), Catch::Contains("inside the value of the parameter /kernels/k/duration_ns"));
}

TEST_CASE("a --set pins an uncertain parameter and --nominal pins them all, format-1 files without them load as "
          "before",
          "[uncertain]") {
  json doc = base_doc();
  doc["uncertain"] = {{"/platform/clusters", {{"list", {1, 2, 4}}}}, {"/program/params/N", {{"range", {1, 8}}}}};
  const std::string path = "/tmp/ptosim-uncertain-" + std::to_string(::getpid()) + ".json";
  std::ofstream(path) << doc.dump(2);
  const scenarios::Scenario pinned = scenarios::load_scenario_file(path, {scenarios::Override{"/platform/clusters", "4"}});
  REQUIRE(pinned.uncertain.size() == 1);
  CHECK(pinned.uncertain[0].pointer == "/program/params/N");
  CHECK(pinned.model.platform.clusters == 4);
  const scenarios::Scenario nominal = scenarios::load_scenario_file(path, {}, true);
  CHECK(nominal.uncertain.empty());
  CHECK(nominal.nominal);
  CHECK(nominal.model.platform.clusters == 2);
  // Editing a declaration is no pin.
  const scenarios::Scenario edited =
      scenarios::load_scenario_file(path, {scenarios::Override{"/uncertain/~1program~1params~1N/range", "[2, 9]"}});
  CHECK(edited.uncertain.size() == 2);
  std::remove(path.c_str());
  // Without `uncertain`, --nominal leaves the text (and so the hash) as it is.
  const std::string plain = base_doc().dump(2);
  CHECK(scenarios::drop_uncertain(plain, "u.json") == plain);
}

TEST_CASE("the log scale gives every doubling the same share and spaced values hit both ends", "[uncertain]") {
  for (std::int64_t v : {1LL, 2LL, 3LL, 1000LL, 4096LL, 260000LL, (1LL << 40) + 12345}) {
    CHECK(scenarios::from_log_scale(scenarios::log_scale(v)) <= v);
    if (v < (1LL << 32)) CHECK(scenarios::from_log_scale(scenarios::log_scale(v)) == v);
  }
  CHECK(scenarios::log_scale(1024) == (std::uint64_t{10} << 32));
  CHECK(scenarios::log_scale(1536) == ((std::uint64_t{10} << 32) | 0x8000'0000ULL));  // half way up the doubling
  CHECK(scenarios::spaced_values(8, 32, 4, false) == std::vector<std::int64_t>{8, 16, 24, 32});
  CHECK(scenarios::spaced_values(1000, 8000, 4, true) == std::vector<std::int64_t>{1000, 2000, 4000, 8000});
  CHECK(scenarios::spaced_values(1, 3, 10, false) == std::vector<std::int64_t>{1, 2, 3});  // no repeats
  CHECK(scenarios::spaced_values(5, 9, 1, true) == std::vector<std::int64_t>{5});
}

TEST_CASE("a seed draws one point: keyed, in range, replayable, and nominal where a log says nothing", "[uncertain]") {
  json doc = base_doc();
  doc["uncertain"] = {{"/platform/clusters", {{"list", {1, 2, 4}}}},
                      {"/kernels/k/duration_ns/1", {{"log_range", {200, 204800}}}},
                      {"/program/params/N", {{"range", {1, 8}}}}};
  const scenarios::Scenario scenario = load(doc);
  const replay::DrawnPoint a = replay::draw_point(scenario, 7, std::nullopt, false);
  const replay::DrawnPoint b = replay::draw_point(scenario, 7, std::nullopt, false);
  REQUIRE(a.values.size() == 3);
  CHECK(a.values[0].value == b.values[0].value);
  CHECK(a.values[2].value == b.values[2].value);
  CHECK(a.log.entries.size() == 3);
  // Strict replay of the log gives the point back; a lenient replay of nothing gives nominal.
  const replay::DrawnPoint again = replay::draw_point(scenario, 999, a.log, false);
  for (std::size_t i = 0; i < 3; ++i) CHECK(again.values[i].value == a.values[i].value);
  const replay::DrawnPoint nominal = replay::draw_point(scenario, 7, simcore::DecisionLog{}, true);
  CHECK(nominal.values[0].value == "2000");
  CHECK(nominal.values[1].value == "2");
  CHECK(nominal.values[2].value == "3");
  CHECK_THROWS_AS(replay::draw_point(scenario, 7, simcore::DecisionLog{}, false), simcore::DecisionDivergence);

  // Pinning one parameter leaves the draws of the others as they were (subjects are per pointer).
  json pinned = doc;
  pinned["uncertain"].erase("/platform/clusters");
  const replay::DrawnPoint fewer = replay::draw_point(load(pinned), 7, std::nullopt, false);
  REQUIRE(fewer.values.size() == 2);
  CHECK(fewer.values[0].value == a.values[0].value);
  CHECK(fewer.values[1].value == a.values[2].value);

  // Over many seeds: every value in its range, each doubling of the log range about as likely.
  std::map<int, int> per_doubling;
  std::set<std::string> clusters;
  for (std::uint64_t seed = 0; seed < 2000; ++seed) {
    const replay::DrawnPoint point = replay::draw_point(scenario, seed, std::nullopt, false);
    const std::int64_t duration = std::stoll(point.values[0].value);
    REQUIRE(duration >= 200);
    REQUIRE(duration <= 204800);
    ++per_doubling[static_cast<int>(scenarios::log_scale(duration / 200) >> 32)];
    clusters.insert(point.values[1].value);
    const std::int64_t n = std::stoll(point.values[2].value);
    REQUIRE(n >= 1);
    REQUIRE(n <= 8);
  }
  CHECK(clusters.size() == 3);
  for (int doubling = 0; doubling < 10; ++doubling) {
    CHECK(per_doubling[doubling] > 140);  // 200 expected in each of the 10 doublings
    CHECK(per_doubling[doubling] < 260);
  }
}

TEST_CASE("a run's log holds the point first, and split, the parts are the point's and the model's", "[uncertain]") {
  simcore::DecisionLog point;
  point.streams = {scenarios::UNCERTAIN_STREAM};
  point.entries.push_back(simcore::DecisionEntry{0, 5, 0, 0, simcore::DecisionKind::range, 3, 1, 8, 3});
  simcore::DecisionLog model;
  model.streams = {"kernel.duration"};
  model.entries.push_back(simcore::DecisionEntry{0, 1, 0, 0, simcore::DecisionKind::range, 150, 100, 200, 100});
  const simcore::DecisionLog joined = replay::join_logs(point, model);
  REQUIRE(joined.entries.size() == 2);
  CHECK(joined.streams.at(joined.entries[1].stream) == "kernel.duration");
  CHECK(replay::point_part(joined).entries.size() == 1);
  CHECK(replay::model_part(joined).entries.at(0).value == 150);
  // Without a point the model's log is the run's, unchanged.
  const simcore::DecisionLog alone = replay::join_logs(simcore::DecisionLog{}, model);
  CHECK(alone.streams == model.streams);
  CHECK(alone.entries.size() == 1);
}
