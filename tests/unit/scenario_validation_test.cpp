// Strict validation: every bad scenario is rejected with the file, the JSON pointer of the
// offending field and what was expected.
#include "scenarios/scenario.h"
#include "simcore/marks.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <functional>

using ptosim::scenarios::load_scenario_text;
using ptosim::scenarios::ScenarioError;
using Json = nlohmann::ordered_json;

namespace {

Json valid_scenario() {
  return Json::parse(R"({
    "format": 1,
    "name": "base",
    "description": "a valid base scenario that each case breaks in one place",
    "platform": {"clusters": 2, "scheduler_threads": 2},
    "runtime": {"ring": {"task_window": 64}, "manual_publish": "submit", "detectors": {"kind": "current"}},
    "tensors": {"x": {"shape": [16, 16], "dtype": "f32"}},
    "kernels": {"k": {"core": "aiv", "duration_ns": [100, 200]}},
    "program": {"params": {"N": 3}, "body": [
      {"for": "i", "to": "N", "body": [
        {"submit": "k", "name": "a", "args": [{"input": "x", "view": {"shape": [4, 16], "offset": ["i*4", 0]}}]},
        {"submit": "k", "name": "b", "deps": ["a"]}
      ]}
    ]},
    "faults": [],
    "expect": {"seeds": "0..9", "always": ["pass"]}
  })");
}

Json program_with(const Json& op) { return Json{{"tiles", {"t"}}, {"body", Json::array({op})}}; }

struct BadCase {
  const char* what;
  std::function<void(Json&)> breaks;
  const char* pointer;
  const char* message;
};

void check_rejected(const BadCase& bad) {
  Json doc = valid_scenario();
  bad.breaks(doc);
  INFO(bad.what);
  try {
    load_scenario_text(doc.dump(), "bad.json");
    FAIL("scenario was accepted: " << bad.what);
  } catch (const ScenarioError& e) {
    CHECK(e.file() == "bad.json");
    CHECK(e.pointer() == bad.pointer);
    CHECK_THAT(std::string(e.what()), Catch::Contains(bad.message));
    CHECK_THAT(std::string(e.what()), Catch::Contains("bad.json"));
  }
}

}  // namespace

TEST_CASE("the base scenario is valid", "[validation]") {
  auto scenario = load_scenario_text(valid_scenario().dump(), "base.json");
  CHECK(scenario.model.program.task_count == 6);
  CHECK(scenario.model.platform.clusters == 2);
  REQUIRE(scenario.expect.has_value());
  CHECK(scenario.expect->seeds.count() == 10);
}

TEST_CASE("bad scenarios are rejected with the JSON pointer of the field", "[validation]") {
  const std::vector<BadCase> cases = {
      {"unknown top-level key", [](Json& d) { d["extra"] = 1; }, "/extra", "unknown key 'extra'"},
      {"missing required section", [](Json& d) { d.erase("program"); }, "/program", "missing required key 'program'"},
      {"unsupported format version", [](Json& d) { d["format"] = 2; }, "/format", "format version 1"},
      {"empty name", [](Json& d) { d["name"] = ""; }, "/name", "non-empty name"},
      {"clusters out of range", [](Json& d) { d["platform"]["clusters"] = 0; }, "/platform/clusters", "[1, 64]"},
      {"clusters of the wrong type", [](Json& d) { d["platform"]["clusters"] = "four"; }, "/platform/clusters",
       "an integer, found a string"},
      {"more threads than clusters", [](Json& d) { d["platform"]["scheduler_threads"] = 3; },
       "/platform/scheduler_threads", "at most as many scheduler threads"},
      {"task window not a power of two", [](Json& d) { d["runtime"]["ring"]["task_window"] = 100; },
       "/runtime/ring/task_window", "power of two"},
      {"per-ring list of the wrong length", [](Json& d) { d["runtime"]["ring"]["task_window"] = {64, 64, 64}; },
       "/runtime/ring/task_window", "exactly 4 per-ring values"},
      {"unknown publish policy", [](Json& d) { d["runtime"]["manual_publish"] = "later"; }, "/runtime/manual_publish",
       "\"submit\" or \"deferred\""},
      {"unknown manual tracking", [](Json& d) { d["runtime"]["manual_tracking"] = "all"; }, "/runtime/manual_tracking",
       "\"none\" or \"boundary\""},
      {"publication interval 0", [](Json& d) { d["runtime"]["watermark_publish_interval"] = 0; },
       "/runtime/watermark_publish_interval", "an integer in [1, 65536]"},
      {"publication interval above its range", [](Json& d) { d["runtime"]["watermark_publish_interval"] = 65537; },
       "/runtime/watermark_publish_interval", "an integer in [1, 65536]"},
      {"publication interval as text", [](Json& d) { d["runtime"]["watermark_publish_interval"] = "16"; },
       "/runtime/watermark_publish_interval", "an integer, found a string"},
      {"publication request timeout 0", [](Json& d) { d["runtime"]["publication_request_timeout_ns"] = 0; },
       "/runtime/publication_request_timeout_ns", "an integer in [1, "},
      {"negative ring advance cost", [](Json& d) { d["runtime"]["scheduler_costs"] = Json{{"ring_advance_ns", -1}}; },
       "/runtime/scheduler_costs/ring_advance_ns", "an integer in [0, 1000000]"},
      {"slot reset cost above its range", [](Json& d) { d["runtime"]["scheduler_costs"] = Json{{"slot_reset_ns", 1000001}}; },
       "/runtime/scheduler_costs/slot_reset_ns", "an integer in [0, 1000000]"},
      {"manual cost override nested twice",
       [](Json& d) { d["runtime"]["orchestrator_costs"] = Json::parse(R"({"manual": {"manual": {}}})"); },
       "/runtime/orchestrator_costs/manual/manual", "unknown key 'manual'"},
      {"kernel duration expression with a spread above 100%",
       [](Json& d) { d["kernels"]["k"]["duration_ns"] = Json::parse(R"({"expr": "100", "spread_pct": 101})"); },
       "/kernels/k/duration_ns/spread_pct", "an integer in [0, 100]"},
      {"kernel duration expression naming an unknown variable",
       [](Json& d) { d["kernels"]["k"]["duration_ns"] = Json::parse(R"({"expr": "100 * nonsense"})"); },
       "/kernels/k/duration_ns/expr", "nonsense"},
      {"too many scalars", [](Json& d) { d["program"]["body"][0]["body"][0]["scalars"] = 65; },
       "/program/body/0/body/0/scalars", "an integer in [0, 64]"},
      {"sync_start not a boolean", [](Json& d) { d["program"]["body"][0]["body"][0]["sync_start"] = "yes"; },
       "/program/body/0/body/0/sync_start", "true or false, found a string"},
      {"early_resolve not a boolean", [](Json& d) { d["program"]["body"][0]["body"][0]["early_resolve"] = 1; },
       "/program/body/0/body/0/early_resolve", "true or false, found an integer"},
      {"unknown detector kind", [](Json& d) { d["runtime"]["detectors"]["kind"] = "old"; },
       "/runtime/detectors/kind", "\"legacy\" or \"current\""},
      {"detectors without kind", [](Json& d) { d["runtime"]["detectors"].erase("kind"); }, "/runtime/detectors/kind",
       "missing required key 'kind'"},
      {"unknown core type", [](Json& d) { d["kernels"]["k"]["core"] = "gpu"; }, "/kernels/k/core", "\"aic\", \"aiv\" or \"mix\""},
      {"inverted duration range", [](Json& d) { d["kernels"]["k"]["duration_ns"] = {500, 200}; },
       "/kernels/k/duration_ns/1", "max >= min"},
      {"statement with two kinds", [](Json& d) { d["program"]["body"][0]["submit"] = "k"; }, "/program/body/0",
       "exactly one of for, if, scope, submit, alloc, dummy"},
      {"undefined kernel", [](Json& d) { d["program"]["body"][0]["body"][0]["submit"] = "nope"; },
       "/program/body/0/body/0/submit", "undefined kernel 'nope'"},
      {"dependency on an undefined task", [](Json& d) { d["program"]["body"][0]["body"][1]["deps"][0] = "zzz"; },
       "/program/body/0/body/1/deps/0", "undefined task 'zzz'"},
      {"dependency on a task not yet submitted", [](Json& d) { d["program"]["body"][0]["body"][0]["deps"] = {"b"}; },
       "/program/body/0/body/0/deps/0", "has not been submitted before this point"},
      {"division by zero in a loop bound", [](Json& d) { d["program"]["body"][0]["to"] = "N / 0"; },
       "/program/body/0/to", "division by zero"},
      {"unknown variable in an expression", [](Json& d) { d["program"]["body"][0]["to"] = "M + 1"; },
       "/program/body/0/to", "unknown variable 'M'"},
      {"view out of the tensor's bounds",
       [](Json& d) { d["program"]["body"][0]["body"][0]["args"][0]["view"]["offset"] = {"i*8", 0}; },
       "/program/body/0/body/0/args/0/view", "exceeds the tensor's extent"},
      {"undefined tensor", [](Json& d) { d["program"]["body"][0]["body"][0]["args"][0]["input"] = "y"; },
       "/program/body/0/body/0/args/0/input", "undefined tensor 'y'"},
      {"argument with two kinds", [](Json& d) { d["program"]["body"][0]["body"][0]["args"][0]["inout"] = "x"; },
       "/program/body/0/body/0/args/0", "one argument kind"},
      {"loop variable shadows a parameter", [](Json& d) { d["program"]["body"][0]["for"] = "N"; },
       "/program/body/0/for", "shadows"},
      {"invalid dtype", [](Json& d) { d["tensors"]["x"]["dtype"] = "f128"; }, "/tensors/x/dtype", "a dtype"},
      {"a fault without a kind", [](Json& d) { d["faults"] = Json::array({Json::object()}); }, "/faults/0",
       "a fault object with a \"kind\""},
      {"an unknown fault kind", [](Json& d) { d["faults"] = Json::array({Json{{"kind", "cosmic_ray"}}}); }, "/faults/0/kind",
       "mte_hang"},
      {"a hang chance above one", [](Json& d) { d["faults"] = Json::array({Json{{"kind", "mte_hang"}, {"chance", {3, 2}}}}); },
       "/faults/0/chance/0", "an integer in [0, 2]"},
      {"slow_core without cores", [](Json& d) { d["faults"] = Json::array({Json{{"kind", "slow_core"}, {"factor", {2, 1}}}}); },
       "/faults/0/cores", "missing required key 'cores'"},
      {"unknown micro-program op", [](Json& d) { d["kernels"]["k"]["program"] = program_with(Json{{"op", "tfoo"}}); },
       "/kernels/k/program/body/0/op", "an operation"},
      {"undeclared tile", [](Json& d) { d["kernels"]["k"]["program"] = program_with(Json{{"op", "compute"}, {"pipe", "V"}, {"dst", "nope"}, {"duration_ns", 5}}); },
       "/kernels/k/program/body/0/dst", "undeclared tile 'nope'"},
      {"a cube pipe on a vector core", [](Json& d) { d["kernels"]["k"]["program"] = program_with(Json{{"op", "compute"}, {"pipe", "M"}, {"dst", "t"}, {"duration_ns", 5}}); },
       "/kernels/k/program/body/0/pipe", "does not exist on an AIV core"},
      {"pipe_barrier(PIPE_S)", [](Json& d) { d["kernels"]["k"]["program"] = program_with(Json{{"op", "pipe_barrier"}, {"pipe", "S"}}); },
       "/kernels/k/program/body/0/pipe", "hardware error"},
      {"a block sync id kept for the all-block barrier",
       [](Json& d) { d["kernels"]["k"]["program"] = program_with(Json{{"op", "block_set"}, {"pipe", "MTE3"}, {"id", 14}, {"block", 1}}); },
       "/kernels/k/program/body/0/id", "reserved for the all-block barrier"},
      {"a block sync id beyond 15", [](Json& d) { d["kernels"]["k"]["program"] = program_with(Json{{"op", "block_wait"}, {"id", 16}}); },
       "/kernels/k/program/body/0/id", "[0, 15]"},
      {"a block_set to its own block",
       [](Json& d) {
         d["kernels"]["k"]["block_num"] = 2;
         d["kernels"]["k"]["program"] = program_with(Json{{"op", "block_set"}, {"pipe", "V"}, {"id", 0}, {"block", "block"}});
       },
       "/kernels/k/program/body/0/block", "its own block"},
      {"a block_set to a block the task does not have",
       [](Json& d) { d["kernels"]["k"]["program"] = program_with(Json{{"op", "block_set"}, {"pipe", "V"}, {"id", 0}, {"block", 1}}); },
       "/kernels/k/program/body/0/block", "[0, 0]"},
      {"block sync in a MIX kernel",
       [](Json& d) {
         d["kernels"]["k"]["core"] = "mix";
         d["kernels"]["k"]["program"] = Json{{"tiles", {"t"}}, {"aic", Json::array({Json{{"op", "block_barrier"}}})}, {"aiv", Json::array()}};
       },
       "/kernels/k/program/aic/0/op", "set_cross_core / wait_flag_dev"},
      {"a signal cell of two elements",
       [](Json& d) {
         d["kernels"]["k"]["program"] = program_with(Json{{"op", "notify"}, {"gm", Json{{"arg", 0}, {"shape", {1, 2}}, {"offsets", {0, 0}}}}, {"value", 1}});
       },
       "/kernels/k/program/body/0/gm/shape", "one element"},
      {"an unknown signal compare",
       [](Json& d) {
         d["kernels"]["k"]["program"] = program_with(
             Json{{"op", "signal_wait"}, {"gm", Json{{"arg", 0}, {"shape", {1, 1}}, {"offsets", {0, 0}}}}, {"value", 1}, {"cmp", "lt"}});
       },
       "/kernels/k/program/body/0/cmp", "\"eq\" or \"ge\""},
      {"a flag id beyond 7", [](Json& d) { d["kernels"]["k"]["program"] = program_with(Json{{"op", "set_flag"}, {"src", "MTE3"}, {"dst", "MTE2"}, {"id", 8}}); },
       "/kernels/k/program/body/0/id", "[0, 7]"},
      {"a GM operand outside its argument", [](Json& d) {
         d["kernels"]["p"] = Json{{"core", "aiv"}, {"program", program_with(Json{{"op", "tload"}, {"tile", "t"},
           {"gm", {{"arg", 0}, {"shape", {32, 16}}, {"offsets", {0, 0}}}}})}};
         d["program"]["body"].push_back(Json{{"submit", "p"}, {"args", {{{"input", "x"}}}}});
       }, "/program/body/1/args/0", "does not fit this argument"},
      {"a program storing into an input", [](Json& d) {
         d["kernels"]["p"] = Json{{"core", "aiv"}, {"program", program_with(Json{{"op", "tstore"}, {"tile", "t"},
           {"gm", {{"arg", 0}, {"shape", {4, 16}}, {"offsets", {0, 0}}}}})}};
         d["program"]["body"].push_back(Json{{"submit", "p"}, {"args", {{{"input", "x"}}}}});
       }, "/program/body/1/args/0", "writes this argument"},
      {"SPMD block_num zero", [](Json& d) { d["kernels"]["k"]["block_num"] = 0; }, "/kernels/k/block_num", "[1, 4096]"},
      {"inverted seed range", [](Json& d) { d["expect"]["seeds"] = "5..2"; }, "/expect/seeds", "A <= B"},
      {"unknown outcome name", [](Json& d) { d["expect"]["always"][0] = "passed"; }, "/expect/always/0", "an outcome"},
      {"unknown key inside a view", [](Json& d) { d["program"]["body"][0]["body"][0]["args"][0]["view"]["stride"] = 2; },
       "/program/body/0/body/0/args/0/view/stride", "unknown key 'stride'"},
      {"an error inside a loop names the iteration",
       [](Json& d) { d["program"]["body"][0]["body"][1]["deps"][0] = Json{{"task", "a"}, {"when", "10 / (i - 1)"}}; },
       "/program/body/0/body/1/deps/0/when", "division by zero (in iteration i=1)"},
      {"a later iteration's task is not submitted yet, not undefined",
       [](Json& d) { d["program"]["body"][0]["body"][1]["name"] = "b{i}"; d["program"]["body"][0]["body"][1]["deps"] = {"b{i+1}"}; },
       "/program/body/0/body/1/deps/0", "has not been submitted before this point (in iteration i=0)"},
      {"a setting of the other detector generation",
       [](Json& d) { d["runtime"]["detectors"]["scheduler_idle_limit"] = 10; }, "/runtime/detectors/scheduler_idle_limit",
       "applies to kind \"legacy\" only"},
      {"a task name with a space", [](Json& d) { d["program"]["body"][0]["body"][0]["name"] = "a {i}"; },
       "/program/body/0/body/0/name", "a task name of letters, digits"},
      {"an output hiding an external tensor",
       [](Json& d) { d["program"]["body"][0]["body"][1]["args"] = Json::array({Json{{"output", "x"}, {"shape", {4}}}}); },
       "/program/body/0/body/1/args/0/output", "would hide the external tensor"},
      {"a parameter using a later one", [](Json& d) { d["program"]["params"] = Json{{"M", "N + 1"}, {"N", 3}}; },
       "/program/params/M", "'N' comes after this one"},
      {"an unknown read timing", [](Json& d) { d["kernels"]["k"]["reads"] = "middle"; }, "/kernels/k/reads",
       "\"start\""},
      {"an unknown data flow", [](Json& d) { d["kernels"]["k"]["data_flow"] = "element"; }, "/kernels/k/data_flow",
       "\"task\""},
      {"a selected row outside the view",
       [](Json& d) { d["program"]["body"][0]["body"][0]["args"][0]["rows"] = {0, 4}; },
       "/program/body/0/body/0/args/0/rows/1", "a row of dimension 0 of the view, in [0, 4)"},
      {"a row expression outside the view",
       [](Json& d) {
         d["program"]["body"][0]["body"][0]["args"][0]["rows"] = Json{{"var", "r"}, {"count", 3}, {"row", "r * 2"}};
       },
       "/program/body/0/body/0/args/0/rows/row", "got 4"},
      {"a row variable shadowing a loop variable",
       [](Json& d) {
         d["program"]["body"][0]["body"][0]["args"][0]["rows"] = Json{{"var", "i"}, {"count", 1}, {"row", "0"}};
       },
       "/program/body/0/body/0/args/0/rows/var", "shadows"},
      {"rows on a runtime-allocated output",
       [](Json& d) {
         d["program"]["body"][0]["body"][1]["args"] = Json::array({Json{{"output", "o"}, {"shape", {4}}, {"rows", {0}}}});
       },
       "/program/body/0/body/1/args/0/rows", "unknown key 'rows'"},
      {"row data flow over arguments of different row counts",
       [](Json& d) {
         d["kernels"]["k"]["data_flow"] = "row";
         d["program"]["body"][0]["body"][0]["args"].push_back(Json{{"output", "o"}, {"shape", {5, 2}}});
       },
       "/program/body/0/body/0/args/1", "the first has 4, this one 5"},
      {"a recording given as a scenario", [](Json& d) { d["format"] = "ptosim-recording"; }, "",
       "this is a ptosim recording, not a scenario"},
  };
  REQUIRE(cases.size() >= 15);
  for (const BadCase& bad : cases) check_rejected(bad);
}

TEST_CASE("text that is not JSON is rejected at the root", "[validation]") {
  try {
    load_scenario_text("{ \"format\": 1, ", "broken.json");
    FAIL("accepted");
  } catch (const ScenarioError& e) {
    CHECK(e.pointer().empty());
    CHECK_THAT(std::string(e.what()), Catch::Contains("not valid JSON"));
  }
}

TEST_CASE("a missing file is a clear error", "[validation]") {
  CHECK_THROWS_WITH(ptosim::scenarios::load_scenario_file("/nonexistent/scenario.json"),
                    Catch::Contains("cannot open the file"));
}

TEST_CASE("names resolve to the latest task of that name", "[validation]") {
  Json doc = valid_scenario();
  // "a" inside the loop always refers to this iteration's a: b's only dependency.
  auto scenario = load_scenario_text(doc.dump(), "base.json");
  const ptosim::runtime::Program& program = scenario.model.program;
  std::vector<std::uint32_t> b_deps;
  for (const auto& op : program.ops) {
    if (op.task != ptosim::runtime::NO_INDEX && program.task_name(op.task) == "b") {
      REQUIRE(program.deps(op).size() == 1);
      b_deps.push_back(program.deps(op)[0].task);
    }
  }
  CHECK(b_deps == std::vector<std::uint32_t>{0, 2, 4});
}

TEST_CASE("duplicate keys are rejected with the pointer of the second one", "[validation]") {
  std::string text = valid_scenario().dump();
  text.insert(text.find("\"scheduler_threads\""), "\"clusters\": 9, ");
  ptosim::simcore::reset_marks();
  try {
    load_scenario_text(text, "dup.json");
    FAIL("accepted a duplicate key");
  } catch (const ScenarioError& e) {
    CHECK(ptosim::simcore::mark_count("scenario duplicate key") == 1);
    CHECK(e.pointer() == "/platform/clusters");
    CHECK_THAT(std::string(e.what()), Catch::Contains("duplicate key"));
  }
  // Inside arrays the pointer carries the element indices.
  std::string nested = valid_scenario().dump();
  nested.insert(nested.find("\"offset\""), "\"shape\": [1], ");
  CHECK_THROWS_WITH(load_scenario_text(nested, "dup.json"), Catch::Contains("at /program/body/0/body/0/args/0/view/shape:"));
}

TEST_CASE("a scope that can never fit its window is a warning, not an error", "[validation]") {
  Json doc = valid_scenario();
  doc["runtime"]["ring"]["task_window"] = 4;
  auto scenario = load_scenario_text(doc.dump(), "warn.json");
  REQUIRE(scenario.warnings.size() == 1);
  CHECK_THAT(scenario.warnings[0], Catch::Contains("outside every scope") && Catch::Contains("SCOPE_DEADLOCK is certain"));
  CHECK(load_scenario_text(valid_scenario().dump(), "ok.json").warnings.empty());
}

namespace {

// The base scenario moved to the simulator board, with every required host field.
void to_a2a3sim(Json& doc) {
  doc["platform"] = Json::parse(R"({"kind": "a2a3sim", "clusters": 2, "scheduler_threads": 2, "host_cpus": 2,
    "background_threads": 1, "time_slice_ns": [1000000, 4000000],
    "host_costs": {"spin_ns": [100, 400], "poll_ns": [100, 400], "idle_iteration_ns": [150, 600]}})");
  doc["kernels"]["k"]["host_compute_ns"] = Json::array({50000, 100000});
}

}  // namespace

TEST_CASE("platform kind a2a3sim: host fields are required and resolved", "[validation]") {
  Json doc = valid_scenario();
  to_a2a3sim(doc);
  const auto scenario = load_scenario_text(doc.dump(), "sim.json");
  REQUIRE(scenario.model.platform.host.has_value());
  CHECK(std::string(scenario.model.platform.kind()) == "a2a3sim");
  CHECK(scenario.model.platform.host->cpus == 2);
  CHECK(scenario.model.platform.host->background_threads == 1);
  CHECK(scenario.model.platform.host->loop_costs[0].range.min_ns == 100);
  // A kernel costs its host compute there; registers are host memory (no latencies).
  CHECK(scenario.model.kernels.at(0).min_duration_ns == 50000);
  CHECK(scenario.model.kernels.at(0).max_duration_ns == 100000);
  CHECK(scenario.model.platform.core_timing.fin_visible_ns == 0);
  // The board ignores a kernel's host compute.
  Json board = valid_scenario();
  board["kernels"]["k"]["host_compute_ns"] = 5000;
  const auto on_board = load_scenario_text(board.dump(), "board.json");
  CHECK_FALSE(on_board.model.platform.host.has_value());
  CHECK(on_board.model.kernels.at(0).min_duration_ns == 100);
}

TEST_CASE("platform kind a2a3sim: bad or missing host fields are rejected", "[validation]") {
  const BadCase cases[] = {
      {"unknown platform kind", [](Json& d) { d["platform"]["kind"] = "a5"; }, "/platform/kind", "\"a2a3sim\""},
      {"host field on the board", [](Json& d) { d["platform"]["host_cpus"] = 4; }, "/platform/host_cpus",
       "applies to platform kind \"a2a3sim\" only"},
      {"missing host_cpus", [](Json& d) { to_a2a3sim(d); d["platform"].erase("host_cpus"); }, "/platform/host_cpus",
       "missing required key 'host_cpus'"},
      {"missing background_threads", [](Json& d) { to_a2a3sim(d); d["platform"].erase("background_threads"); },
       "/platform/background_threads", "missing required key"},
      {"missing spin cost", [](Json& d) { to_a2a3sim(d); d["platform"]["host_costs"].erase("spin_ns"); },
       "/platform/host_costs/spin_ns", "missing required key 'spin_ns'"},
      {"zero host CPUs", [](Json& d) { to_a2a3sim(d); d["platform"]["host_cpus"] = 0; }, "/platform/host_cpus",
       "an integer in [1, 1024]"},
      {"spin_ns in the detectors on a2a3sim",
       [](Json& d) {
         to_a2a3sim(d);
         d["runtime"]["detectors"]["spin_ns"] = 200;
       },
       "/runtime/detectors/spin_ns", "comes from the host"},
      {"core_timing on a2a3sim", [](Json& d) { to_a2a3sim(d); d["platform"]["core_timing"] = Json::object(); },
       "/platform/core_timing", "applies to platform kind \"a2a3\" only"},
      {"a kernel without host compute on a2a3sim",
       [](Json& d) {
         to_a2a3sim(d);
         d["kernels"]["k"].erase("host_compute_ns");
       },
       "/kernels/k/host_compute_ns", "missing required key 'host_compute_ns'"},
  };
  for (const BadCase& bad : cases) check_rejected(bad);
}

TEST_CASE("a program that submits past its task limit is rejected", "[validation][limits]") {
  Json scenario = valid_scenario();
  // 1,001 x 1,000 dummy tasks: past MAX_PROGRAM_TASKS (1,000,000).
  const Json inner = Json{{"for", "j"}, {"to", 1000}, {"body", Json::array({Json{{"dummy", "d"}}})}};
  scenario["program"] = Json{{"body", Json::array({Json{{"for", "i"}, {"to", 1001}, {"body", Json::array({inner})}}})}};
  ptosim::simcore::reset_marks();
  try {
    load_scenario_text(scenario.dump(), "big.json");
    FAIL("accepted a program past the op limit");
  } catch (const ScenarioError& e) {
    CHECK_THAT(std::string(e.what()), Catch::Contains("tasks (the limit of one scenario)"));
  }
  CHECK(ptosim::simcore::mark_count("program task limit") == 1);
}
