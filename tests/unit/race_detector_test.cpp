// The happens-before race detector on small graphs built from scenario text (no simulation):
// ordered and unordered pairs of accesses, views that meet or not, gathers that narrow a read,
// and reachability across more tasks than the ancestor window.
#include "replay/race_detector.h"
#include "scenarios/scenario.h"
#include "simcore/decision_source.h"
#include "simcore/marks.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>

using namespace ptosim;
using Json = nlohmann::ordered_json;

namespace {

replay::RaceReport races_of(const Json& body, const Json& tensors = Json{{"x", {{"shape", {8, 16}}}}}) {
  Json doc = {{"format", 1},
              {"name", "races"},
              {"description", "a detector case"},
              {"platform", {{"clusters", 1}, {"scheduler_threads", 1}}},
              {"tensors", tensors},
              {"kernels", {{"k", {{"core", "aiv"}, {"duration_ns", 100}}}}},
              {"program", {{"body", body}}}};
  const scenarios::Scenario scenario = scenarios::load_scenario_text(doc.dump(), "races.json");
  const runtime::TaskGraph graph = runtime::build_task_graph(scenario.model.program);
  return replay::find_races(scenario.model.program, graph);
}

Json task(const std::string& name, Json args, Json deps = Json::array()) {
  return Json{{"submit", "k"}, {"name", name}, {"args", std::move(args)}, {"deps", std::move(deps)}};
}

std::string text(const simcore::Finding& finding, const char* key, const char* inner = nullptr) {
  const simcore::Detail* value = finding.details.find(key);
  if (value != nullptr && inner != nullptr) value = value->find(inner);
  return value != nullptr ? value->as_text() : "";
}

}  // namespace

TEST_CASE("RAW ordered by a creator edge is no race", "[races]") {
  const auto report = races_of(Json::array({task("w", {{{"output", "buf"}, {"shape", {8}}}}),
                                             task("r", {{{"input", "buf"}}})}));
  CHECK(report.races == 0);
}

TEST_CASE("two readers never race", "[races]") {
  const auto report = races_of(Json::array({task("r1", {{{"input", "x"}}}), task("r2", {{{"input", "x"}}})}));
  CHECK(report.races == 0);
}

TEST_CASE("INPUT then OUTPUT_EXISTING on overlapping views of one buffer is a WAR race", "[races]") {
  // Two reshape views of one buffer, as in seeds/002: the runtime creates no edge.
  const auto report = races_of(Json::array(
      {task("gather", {{{"input", "x"}, {"reshape", {128}}}}),
       task("writeback", {{{"output_existing", "x"}, {"views", {{{"reshape", {16, 8}}}, {{"view", {{"shape", {2, 8}}, {"offset", {6, 0}}}}}}}}})}));
  REQUIRE(report.races == 1);
  const simcore::Finding& race = report.findings.at(0);
  CHECK(race.kind == simcore::FindingKind::race);
  CHECK(text(race, "hazard") == "WAR");
  CHECK(text(race, "first", "name") == "gather");
  CHECK(text(race, "second", "name") == "writeback");
  CHECK(text(race, "tensor") == "x");
  const simcore::Detail* elements = race.details.find("elements");
  REQUIRE(elements != nullptr);
  CHECK(elements->items()[0].as_integer() == 48);
  CHECK(elements->items()[1].as_integer() == 64);
  const simcore::Detail* remedies = race.details.find("remedies");
  REQUIRE(remedies != nullptr);
  CHECK_THAT(remedies->items()[0].as_text(), Catch::Contains("deps=[gather] on writeback"));
  CHECK_THAT(remedies->items()[1].as_text(), Catch::Contains("inout on x"));
  CHECK_THAT(race.summary, Catch::Contains("WAR race on x"));
}

TEST_CASE("disjoint views of one buffer do not race", "[races]") {
  const auto rows = races_of(Json::array(
      {task("r", {{{"input", "x"}, {"view", {{"shape", {4, 16}}, {"offset", {0, 0}}}}}}),
       task("w", {{{"output_existing", "x"}, {"view", {{"shape", {4, 16}}, {"offset", {4, 0}}}}}})}));
  CHECK(rows.races == 0);
  // Interleaved columns: the 1-D ranges overlap, the element sets do not.
  const auto columns = races_of(Json::array(
      {task("even", {{{"input", "x"}, {"slice", {{"dim", 1}, {"start", 0}, {"end", 16}, {"step", 2}}}}}),
       task("odd", {{{"output_existing", "x"}, {"slice", {{"dim", 1}, {"start", 1}, {"end", 16}, {"step", 2}}}}})}));
  CHECK(columns.races == 0);
  const auto third = races_of(Json::array(
      {task("even", {{{"input", "x"}, {"slice", {{"dim", 1}, {"start", 0}, {"end", 16}, {"step", 2}}}}}),
       task("thirds", {{{"output_existing", "x"}, {"slice", {{"dim", 1}, {"start", 1}, {"end", 16}, {"step", 3}}}}})}));
  CHECK(third.races == 1);
}

TEST_CASE("the INOUT/INOUT workaround orders the pair", "[races]") {
  const auto report = races_of(Json::array({task("gather", {{{"inout", "x"}, {"reshape", {128}}}}),
                                             task("writeback", {{{"inout", "x"}, {"reshape", {16, 8}}}})}));
  CHECK(report.races == 0);
}

TEST_CASE("ordering through a chain of three tasks is no race, without the middle link it is", "[races]") {
  auto chain = [](bool linked) {
    return Json::array({Json{{"scope", "manual"},
                             {"body", Json::array({task("w", {{{"output_existing", "x"}}}), task("mid", Json::array(), {"w"}),
                                                   task("r", {{{"input", "x"}}}, linked ? Json{"mid"} : Json::array())})}}});
  };
  CHECK(races_of(chain(true)).races == 0);
  const auto report = races_of(chain(false));
  REQUIRE(report.races == 1);
  CHECK(text(report.findings[0], "hazard") == "RAW");
  CHECK(text(report.findings[0], "first", "name") == "w");
  CHECK(text(report.findings[0], "second", "name") == "r");
  // In a MANUAL scope the TensorMap cannot help: only the explicit dep is offered.
  CHECK(report.findings[0].details.find("remedies")->items().size() == 1);
}

TEST_CASE("a gather's selected rows narrow its read set", "[races]") {
  auto gather_then_write = [](Json rows) {
    return Json::array({task("gather", {{{"input", "x"}, {"rows", std::move(rows)}}}),
                        task("writeback", {{{"output_existing", "x"}, {"view", {{"shape", {1, 16}}, {"offset", {5, 0}}}}}})});
  };
  CHECK(races_of(gather_then_write({0, 2, 4, 6})).races == 0);
  CHECK(races_of(gather_then_write(Json{{"var", "i"}, {"count", 3}, {"row", "i + 4"}})).races == 1);
}

TEST_CASE("a WAW pair without an edge is reported, with OUTPUT_EXISTING writers", "[races]") {
  const auto report = races_of(Json::array({task("w1", {{{"output_existing", "x"}}}), task("w2", {{{"output_existing", "x"}}})}));
  REQUIRE(report.races == 1);
  CHECK(text(report.findings[0], "hazard") == "WAW");
}

TEST_CASE("happens-before across more tasks than the ancestor window", "[races]") {
  // A chain of 3000 tasks through one INOUT accumulator, beside an unrelated task.
  Json body = Json::array({task("alone", {{{"input", "x"}}})});
  for (int i = 0; i < 3000; ++i) body.push_back(task("link" + std::to_string(i), {{{"inout", "acc"}}}));
  const Json tensors = {{"x", {{"shape", {4}}}}, {"acc", {{"shape", {4}}}}};
  Json doc = {{"format", 1},          {"name", "chain"},
              {"description", "chain"}, {"platform", {{"clusters", 1}, {"scheduler_threads", 1}}},
              {"tensors", tensors},   {"kernels", {{"k", {{"core", "aiv"}, {"duration_ns", 100}}}}},
              {"program", {{"body", body}}}};
  const scenarios::Scenario scenario = scenarios::load_scenario_text(doc.dump(), "chain.json");
  const runtime::TaskGraph graph = runtime::build_task_graph(scenario.model.program);
  replay::HappensBefore order(graph);
  CHECK(order.ordered(1, 2));
  CHECK(order.ordered(1, 3000));      // beyond the window: the backward walk
  CHECK(order.ordered(1500, 3000));   // beyond the window again
  CHECK(order.ordered(2000, 3000));   // inside the window: one bit
  CHECK_FALSE(order.ordered(0, 3000));  // 'alone' reaches nothing
  CHECK_FALSE(order.ordered(3000, 1));
  CHECK(order.walk_steps() > 0);
  CHECK(replay::find_races(scenario.model.program, graph).races == 0);
}

TEST_CASE("happens-before agrees with a transitive closure on random graphs longer than the window", "[races]") {
  // Mostly short edges, now and then one reaching far back: queries inside the window, beyond
  // it, and beyond the bitsets the detector still keeps.
  simcore::StreamGenerator rng(11, "race_detector.reach");
  constexpr std::uint32_t TASKS = 3 * replay::REACH_WINDOW;
  runtime::TaskGraph graph(TASKS);
  std::vector<std::vector<bool>> reach(TASKS, std::vector<bool>(TASKS, false));  // reach[later][earlier]
  for (std::uint32_t task = 0; task < TASKS; ++task) {
    std::vector<runtime::FaninEdge> edges;
    const std::uint64_t fanin = task == 0 ? 0 : rng.next_in(task % 7 == 0 ? 0 : 1, 2);
    for (std::uint64_t e = 0; e < fanin; ++e) {
      const bool far = rng.next_in(0, 19) == 0;
      const std::uint32_t back = far ? static_cast<std::uint32_t>(rng.next_in(1, task)) : static_cast<std::uint32_t>(rng.next_in(1, std::min<std::uint32_t>(task, 40)));
      const std::uint32_t producer = task - back;
      edges.push_back(runtime::FaninEdge{producer, true, false, runtime::EdgeSource::explicit_dep});
      reach[task][producer] = true;
      for (std::uint32_t a = 0; a < producer; ++a) {
        if (reach[producer][a]) reach[task][a] = true;
      }
    }
    graph.append(task, edges, false, "");
  }
  replay::HappensBefore order(graph);
  int ordered_far = 0;
  int unordered_far = 0;
  for (std::uint32_t later = 1; later < TASKS; later += static_cast<std::uint32_t>(rng.next_in(1, 5))) {
    for (int q = 0; q < 6; ++q) {
      const auto earlier = static_cast<std::uint32_t>(rng.next_in(0, later - 1));
      INFO("earlier " << earlier << " later " << later);
      REQUIRE(order.ordered(earlier, later) == reach[later][earlier]);
      if (later - earlier > replay::REACH_WINDOW) (reach[later][earlier] ? ordered_far : unordered_far) += 1;
    }
  }
  CHECK(ordered_far > 100);
  CHECK(unordered_far > 100);
  CHECK(order.walk_steps() > 0);
}

TEST_CASE("races on a buffer cut into hundreds of ranges match brute force", "[races]") {
  // 300 tasks in a MANUAL scope, each reading or writing a few random rows of a tall tensor with
  // random explicit deps: the shadow state of that one buffer grows to hundreds of ranges.
  constexpr int ROWS = 240;
  constexpr int TASKS = 300;
  simcore::StreamGenerator rng(12, "race_detector.many_ranges");
  struct Touch {
    int row = 0;
    int rows = 1;
    bool write = false;
  };
  std::vector<std::vector<Touch>> touches(TASKS);
  std::vector<std::vector<bool>> reach(TASKS, std::vector<bool>(TASKS, false));  // reach[later][earlier]
  Json body = Json::array();
  for (int t = 0; t < TASKS; ++t) {
    Json args = Json::array();
    for (std::uint64_t a = rng.next_in(1, 2); a > 0; --a) {
      const Touch touch{static_cast<int>(rng.next_in(0, ROWS - 3)), static_cast<int>(rng.next_in(1, 3)), rng.next_in(0, 2) == 0};
      touches[static_cast<std::size_t>(t)].push_back(touch);
      args.push_back(Json{{touch.write ? "output_existing" : "input", "x"}, {"view", {{"shape", {touch.rows, 16}}, {"offset", {touch.row, 0}}}}});
    }
    Json deps = Json::array();
    for (std::uint64_t d = t == 0 ? 0 : rng.next_in(0, 3); d > 0; --d) {
      const int producer = t - static_cast<int>(rng.next_in(1, static_cast<std::uint64_t>(std::min(t, 30))));
      deps.push_back("t" + std::to_string(producer));
      reach[static_cast<std::size_t>(t)][static_cast<std::size_t>(producer)] = true;
      for (int a = 0; a < producer; ++a) {
        if (reach[static_cast<std::size_t>(producer)][static_cast<std::size_t>(a)]) reach[static_cast<std::size_t>(t)][static_cast<std::size_t>(a)] = true;
      }
    }
    body.push_back(task("t" + std::to_string(t), args, deps));
  }
  auto meet = [](const Touch& p, const Touch& q) { return p.row < q.row + q.rows && q.row < p.row + p.rows; };
  std::set<std::pair<int, int>> racy;
  for (int j = 0; j < TASKS; ++j) {
    for (int i = 0; i < j; ++i) {
      bool conflict = false;
      for (const Touch& p : touches[static_cast<std::size_t>(i)]) {
        for (const Touch& q : touches[static_cast<std::size_t>(j)]) conflict = conflict || (meet(p, q) && (p.write || q.write));
      }
      if (conflict && !reach[static_cast<std::size_t>(j)][static_cast<std::size_t>(i)]) racy.emplace(i, j);
    }
  }
  simcore::reset_marks();
  const auto report = races_of(Json::array({Json{{"scope", "manual"}, {"body", body}}}), Json{{"x", {{"shape", {ROWS, 16}}}}});
  CHECK(simcore::mark_count("race found") == 1);
  CHECK(simcore::mark_count("race findings limit") == 1);
  REQUIRE(racy.size() > 100);
  CHECK(report.races > 0);
  CHECK(report.findings.size() == replay::MAX_RACE_FINDINGS);
  for (const simcore::Finding& finding : report.findings) {
    const int first = std::stoi(text(finding, "first", "name").substr(1));
    const int second = std::stoi(text(finding, "second", "name").substr(1));
    INFO(finding.summary);
    CHECK(racy.count({first, second}) == 1);
    // The elements named lie in one argument of each task, and one of the two writes.
    const simcore::Detail* elements = finding.details.find("elements");
    const std::int64_t begin = elements->items()[0].as_integer();
    const std::int64_t end = elements->items()[1].as_integer();
    auto inside = [&](int t, bool must_write) {
      for (const Touch& touch : touches[static_cast<std::size_t>(t)]) {
        if (begin >= touch.row * 16 && end <= (touch.row + touch.rows) * 16 && (!must_write || touch.write)) return true;
      }
      return false;
    };
    CHECK(inside(first, text(finding, "hazard") == "WAW"));
    CHECK(inside(second, text(finding, "hazard") != "RAW"));
  }
}
