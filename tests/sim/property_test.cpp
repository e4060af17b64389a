// Property: random small programs with large rings always pass, and no task starts before all
// of its WAIT producers completed (whatever edges the runtime derived from the arguments).
#include "sim_harness.h"

#include "simcore/decision_source.h"
#include "simcore/event_log.h"

#include <catch2/catch.hpp>

#include <map>
#include <set>

using namespace ptosim;
using namespace ptosim::testing;
using simcore::EventKind;

namespace {

// Builds a random program: nested AUTO/MANUAL scopes (never AUTO inside MANUAL), kernels of every
// shape, dummy and alloc tasks, arguments of every kind over views of shared buffers, and
// explicit deps on earlier tasks.
std::string random_program(std::uint64_t seed) {
  simcore::StreamGenerator rng(seed, "property.program");
  auto pick = [&](std::uint64_t n) { return rng.next_in(0, n - 1); };
  Json body = Json::array();
  std::vector<std::string> tasks;
  std::vector<std::string> tensors = {"x", "y"};
  int counter = 0;
  std::function<void(Json&, bool, int)> fill = [&](Json& out, bool manual, int depth) {
    const int statements = 2 + static_cast<int>(pick(5));
    for (int s = 0; s < statements; ++s) {
      const std::uint64_t kind = pick(10);
      if (kind == 0 && depth < 4) {
        const bool inner_manual = manual || pick(3) == 0;
        Json scope{{"scope", inner_manual ? "manual" : "auto"}, {"body", Json::array()}};
        fill(scope["body"], inner_manual, depth + 1);
        out.push_back(scope);
        continue;
      }
      const std::string name = "t" + std::to_string(counter++);
      Json deps = Json::array();
      if (!tasks.empty()) {
        for (int d = static_cast<int>(pick(3)); d > 0; --d) {
          deps.push_back(Json{{"task", tasks[pick(tasks.size())]}, {"kind", pick(2) == 0 ? "wait" : "wait_retain"}});
        }
      }
      if (kind == 1) {
        const std::string buf = "a" + std::to_string(counter);
        out.push_back(Json{{"alloc", name}, {"outputs", {{{"name", buf}, {"shape", {8, 8}}}}}});
        tensors.push_back(buf);
      } else if (kind == 2) {
        out.push_back(Json{{"dummy", name}, {"deps", deps}});
      } else {
        static const char* kernels[] = {"aic", "aiv", "mix"};
        static const char* arg_kinds[] = {"input", "inout", "output_existing", "no_dep"};
        Json args = Json::array();
        for (int a = static_cast<int>(pick(3)); a > 0; --a) {
          const std::string& tensor = tensors[pick(tensors.size())];
          const std::int64_t row = static_cast<std::int64_t>(pick(4)) * 2;
          args.push_back(Json{{arg_kinds[pick(4)], tensor}, {"view", {{"shape", {2, 8}}, {"offset", {row, 0}}}}});
        }
        if (pick(2) == 0) {
          const std::string out_name = "o" + std::to_string(counter);
          args.push_back(Json{{"output", out_name}, {"shape", {8, 8}}});
          tensors.push_back(out_name);
        }
        out.push_back(Json{{"submit", kernels[pick(3)]}, {"name", name}, {"args", args}, {"deps", deps}});
      }
      tasks.push_back(name);
    }
  };
  fill(body, false, 1);
  Json scenario{{"format", 1},
                {"name", "property"},
                {"description", "random program"},
                {"platform", {{"clusters", 1 + pick(3)}, {"scheduler_threads", 1}}},
                {"runtime", {{"detectors", {{"kind", pick(2) == 0 ? "legacy" : "current"}}}}},
                {"tensors", {{"x", {{"shape", {8, 8}}}}, {"y", {{"shape", {8, 8}}}}}},
                {"kernels",
                 {{"aic", {{"core", "aic"}, {"duration_ns", {100, 5000}}}},
                  {"aiv", {{"core", "aiv"}, {"duration_ns", {100, 5000}}}},
                  {"mix", {{"core", "mix"}, {"duration_ns", {100, 5000}}}}}},
                {"program", {{"body", body}}}};
  return scenario.dump();
}

}  // namespace

TEST_CASE("random programs pass and never start a task before its WAIT producers completed", "[property]") {
  std::size_t edges_checked = 0;
  for (std::uint64_t program = 0; program < 40; ++program) {
    const auto scenario = load(random_program(program));
    const Json result = run(scenario, program * 31 + 1);
    INFO("program " << program << ": " << result["summary"]);
    REQUIRE(result["outcome"] == "pass");
    std::map<std::uint64_t, std::int64_t> completed;
    std::map<std::uint64_t, std::int64_t> started;
    for (const Json& e : result["events"]) {
      const int kind = e[0].get<int>();
      const auto subject = e[2].get<std::uint64_t>();
      if (kind == static_cast<int>(EventKind::complete)) completed.emplace(subject, e[1].get<std::int64_t>());
      if (kind == static_cast<int>(EventKind::start)) started.emplace(subject, e[1].get<std::int64_t>());
    }
    REQUIRE(completed.size() == result["tasks_submitted"].get<std::size_t>());
    for (std::uint64_t task = 0; task < result["tasks"].size(); ++task) {
      // A task starts on a core, or (dummy/alloc) completes without one.
      const std::int64_t began = started.count(task) != 0 ? started.at(task) : completed.at(task);
      for (const Json& edge : result["tasks"][task]["fanin"]) {
        if (!edge[1].get<bool>()) continue;
        const auto producer = edge[0].get<std::uint64_t>();
        CHECK(completed.at(producer) <= began);
        ++edges_checked;
      }
    }
  }
  CHECK(edges_checked > 100);
}
