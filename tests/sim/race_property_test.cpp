// Properties of the race detector and the data oracle on random small programs in a MANUAL scope,
// where explicit deps are the only edges, checked against brute force:
// - a program whose every conflicting pair is ordered has no race and passes on every seed;
// - every race the detector reports is a conflicting, unordered pair, and it reports one
//   whenever such a pair exists;
// - deleting the one edge that orders a writer and a reader makes that pair a reported race.
#include "sim_harness.h"

#include "replay/race_detector.h"
#include "replay/run_session.h"
#include "simcore/decision_source.h"

#include <catch2/catch.hpp>

#include <set>

using namespace ptosim;
using namespace ptosim::testing;

namespace {

struct Arg {
  std::string kind;  // input, output_existing, inout
  int tensor = 0;    // 0: a, 1: b
  int row = 0;       // first of two rows
};
struct Task {
  std::vector<Arg> args;
  std::set<int> deps;
};

bool writes(const Arg& arg) { return arg.kind != "input"; }

bool conflict(const Task& x, const Task& y) {
  for (const Arg& p : x.args) {
    for (const Arg& q : y.args) {
      const bool overlap = p.tensor == q.tensor && p.row < q.row + 2 && q.row < p.row + 2;
      if (overlap && (writes(p) || writes(q))) return true;
    }
  }
  return false;
}

// reach[i][j]: a chain of deps leads from i to j.
std::vector<std::vector<bool>> closure(const std::vector<Task>& tasks) {
  const std::size_t n = tasks.size();
  std::vector<std::vector<bool>> reach(n, std::vector<bool>(n, false));
  for (std::size_t j = 0; j < n; ++j) {
    for (int d : tasks[j].deps) {
      reach[static_cast<std::size_t>(d)][j] = true;
      for (std::size_t i = 0; i < n; ++i) {
        if (reach[i][static_cast<std::size_t>(d)]) reach[i][j] = true;
      }
    }
  }
  return reach;
}

std::vector<Task> random_tasks(std::uint64_t seed) {
  simcore::StreamGenerator rng(seed, "race_property.program");
  auto pick = [&](std::uint64_t n) { return static_cast<int>(rng.next_in(0, n - 1)); };
  static const char* kinds[] = {"input", "output_existing", "inout"};
  std::vector<Task> tasks(static_cast<std::size_t>(5 + pick(6)));
  for (Task& task : tasks) {
    for (int a = 1 + pick(2); a > 0; --a) task.args.push_back(Arg{kinds[pick(3)], pick(2), pick(7)});
  }
  return tasks;
}

std::string scenario_text(const std::vector<Task>& tasks) {
  Json body = Json::array();
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    Json args = Json::array();
    for (const Arg& arg : tasks[i].args) {
      args.push_back(Json{{arg.kind, arg.tensor == 0 ? "a" : "b"}, {"view", {{"shape", {2, 8}}, {"offset", {arg.row, 0}}}}});
    }
    Json deps = Json::array();
    for (int d : tasks[i].deps) deps.push_back("t" + std::to_string(d));
    body.push_back(Json{{"submit", i % 2 == 0 ? "short" : "long"}, {"name", "t" + std::to_string(i)}, {"args", args}, {"deps", deps}});
  }
  Json scenario = {{"format", 1},
                   {"name", "race_property"},
                   {"description", "random program"},
                   {"platform", {{"clusters", 2}, {"scheduler_threads", 1}}},
                   {"tensors", {{"a", {{"shape", {8, 8}}}}, {"b", {{"shape", {8, 8}}}}}},
                   {"kernels",
                    {{"short", {{"core", "aiv"}, {"duration_ns", {100, 3000}}}},
                     {"long", {{"core", "aic"}, {"duration_ns", {100, 6000}}}}}},
                   {"program", {{"body", Json::array({Json{{"scope", "manual"}, {"body", body}}})}}}};
  return scenario.dump();
}

replay::RaceReport detect(const scenarios::Scenario& scenario) {
  const runtime::TaskGraph graph = runtime::build_task_graph(scenario.model.program);
  return replay::find_races(scenario.model.program, graph);
}

std::string name_of(const simcore::Finding& finding, const char* side) {
  return finding.details.find(side)->find("name")->as_text();
}

}  // namespace

TEST_CASE("ordered programs have no race and pass, one deleted edge makes its pair a race", "[property][races]") {
  int races_made = 0;
  for (std::uint64_t program = 0; program < 25; ++program) {
    std::vector<Task> tasks = random_tasks(program);
    // Order every conflicting pair directly.
    for (std::size_t j = 0; j < tasks.size(); ++j) {
      for (std::size_t i = 0; i < j; ++i) {
        if (conflict(tasks[i], tasks[j])) tasks[j].deps.insert(static_cast<int>(i));
      }
    }
    const auto ordered = load(scenario_text(tasks));
    INFO("program " << program);
    CHECK(detect(ordered).races == 0);
    for (std::uint64_t seed = 0; seed < 3; ++seed) {
      const Json result = in_child([&] {
        const replay::RunResult run = replay::run_scenario(ordered, seed);
        return Json{{"outcome", simcore::to_string(run.outcome)}, {"summary", run.summary}};
      });
      INFO("seed " << seed << ": " << result["summary"]);
      CHECK(result["outcome"] == "pass");
    }
    // Delete the edge of a conflicting pair that nothing else orders.
    bool deleted = false;
    for (std::size_t j = tasks.size(); j-- > 0 && !deleted;) {
      for (int i : std::set<int>(tasks[j].deps)) {
        std::vector<Task> cut = tasks;
        cut[j].deps.erase(i);
        if (closure(cut)[static_cast<std::size_t>(i)][j]) continue;
        const replay::RaceReport report = detect(load(scenario_text(cut)));
        bool named = false;
        for (const simcore::Finding& finding : report.findings) {
          named = named || (name_of(finding, "first") == "t" + std::to_string(i) && name_of(finding, "second") == "t" + std::to_string(j));
        }
        INFO("deleted t" << i << " -> t" << j);
        CHECK(named);
        deleted = true;
        ++races_made;
        break;
      }
    }
  }
  CHECK(races_made >= 10);
}

TEST_CASE("the detector reports races exactly when brute force finds an unordered conflicting pair", "[property][races]") {
  int racy_programs = 0;
  for (std::uint64_t program = 100; program < 160; ++program) {
    std::vector<Task> tasks = random_tasks(program);
    simcore::StreamGenerator rng(program, "race_property.deps");
    for (std::size_t j = 1; j < tasks.size(); ++j) {
      for (int d = static_cast<int>(rng.next_in(0, 2)); d > 0; --d) tasks[j].deps.insert(static_cast<int>(rng.next_in(0, j - 1)));
    }
    const auto reach = closure(tasks);
    std::set<std::pair<std::string, std::string>> racy;
    for (std::size_t j = 0; j < tasks.size(); ++j) {
      for (std::size_t i = 0; i < j; ++i) {
        if (conflict(tasks[i], tasks[j]) && !reach[i][j]) racy.emplace("t" + std::to_string(i), "t" + std::to_string(j));
      }
    }
    const replay::RaceReport report = detect(load(scenario_text(tasks)));
    INFO("program " << program);
    CHECK((report.races == 0) == racy.empty());
    for (const simcore::Finding& finding : report.findings) {
      CHECK(racy.count({name_of(finding, "first"), name_of(finding, "second")}) == 1);
    }
    racy_programs += racy.empty() ? 0 : 1;
  }
  CHECK(racy_programs > 10);
}
