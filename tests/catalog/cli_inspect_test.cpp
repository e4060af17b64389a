// `ptosim inspect` under a false deadlock: it says the detector was wrong and why, draws only
// the chain from the blocked orchestrator to the task that could progress, and lists every live
// task on request.
#include "cli_harness.h"

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <regex>
#include <sstream>

using namespace ptosim::testing;

namespace {

std::string false_deadlock_snapshot(const TempDir& dir) {
  const std::string snap = dir.file("s.json");
  REQUIRE(cli({"run", catalog("false_deadlock_deferred_publish.json"), "--nominal", "--seed", "4", "--snapshot", snap}).exit_code == 13);
  return snap;
}

}  // namespace

TEST_CASE("inspect says a false deadlock's detector was wrong, why, and along which chain", "[cli][inspect]") {
  TempDir dir;
  const std::string snap = false_deadlock_snapshot(dir);
  const std::string text = cli({"inspect", snap}).out;
  CHECK(std::regex_search(text, std::regex("completed [0-9]+ of the [0-9]+ tasks submitted so far \\(the program has 774\\)")));
  const auto wrong = text.find("The detector was wrong");
  const auto solution = text.find("Solution: increase PTO2_RING_TASK_WINDOW");
  REQUIRE(wrong != std::string::npos);
  REQUIRE(solution != std::string::npos);
  CHECK(wrong < solution);  // the explanation comes before the runtime's advice
  CHECK_THAT(text, Catch::Contains("last_task_alive"));
  // Every Solution line of the runtime's report is marked as not applying.
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.find("Solution:") != std::string::npos) CHECK_THAT(line, Catch::Contains("does not apply"));
  }
  // The chain ends at the task that could progress.
  const auto chain = text.find("Progress was possible along this chain:");
  REQUIRE(chain != std::string::npos);
  const auto end = text.find("can make progress", chain);
  REQUIRE(end != std::string::npos);
  CHECK_THAT(text.substr(chain, end - chain), Catch::Contains("'pv' READY, fanin 2/2"));
}

TEST_CASE("inspect --dot under deadlock_false: title, legend, and only the chain", "[cli][inspect]") {
  TempDir dir;
  const std::string dot = cli({"inspect", false_deadlock_snapshot(dir), "--dot"}).out;
  CHECK_THAT(dot, Catch::StartsWith("digraph"));
  CHECK_THAT(dot, Catch::Contains("verdict: deadlock_false - the detector was wrong"));
  CHECK_THAT(dot, Catch::Contains("subgraph cluster_legend"));
  // Task nodes: exactly the chain (head, its pinning consumer, the READY producer), no others.
  const std::regex task_node("\\nt[0-9]+ \\[");
  const auto nodes = std::distance(std::sregex_iterator(dot.begin(), dot.end(), task_node), std::sregex_iterator());
  CHECK(nodes == 3);
  CHECK_THAT(dot, Catch::Contains("orchestrator -> t"));
  CHECK_THAT(dot, Catch::Contains("READY fanin 2/2"));
  CHECK_THAT(dot, Catch::Contains("color=red"));
}

TEST_CASE("inspect --all lists every live task of every ring", "[cli][inspect]") {
  TempDir dir;
  const std::string snap = false_deadlock_snapshot(dir);
  const Json json = Json::parse(cli({"inspect", snap, "--json"}).out);
  std::size_t live = 0;
  for (const Json& ring : json["rings"]) live += ring["tasks"].size();
  REQUIRE(live > 12);  // more than the head table shows
  const std::string text = cli({"inspect", snap, "--all"}).out;
  std::size_t rows = 0;
  for (const Json& ring : json["rings"]) {
    for (const Json& task : ring["tasks"]) {
      rows += text.find("\n  " + std::to_string(task["task_id"].get<std::uint64_t>()) + " ") != std::string::npos ? 1 : 0;
    }
  }
  CHECK(rows == live);
  CHECK(cli({"inspect", snap}).out.find("inspect --all lists every one") != std::string::npos);
}

TEST_CASE("inspect's task table widens for long names: a hang's stuck task stays readable", "[cli][inspect]") {
  TempDir dir;
  const std::string snap = dir.file("hang.json");
  REQUIRE(cli({"run", catalog("store_load_race_rmsnorm_rope.json"), "--nominal", "--seed", "4", "--snapshot", snap}).exit_code == 11);
  const std::string text = cli({"inspect", snap}).out;
  // The 12-character name and its kernel are followed by a space, not run into the next column.
  CHECK(std::regex_search(text, std::regex("rmsnorm_rope +RUNNING \\(2\\) +3/3 .* rmsnorm_rope +c16\\.aiv1")));
  CHECK_THAT(text, Catch::Contains("TIMEOUT_EXIT after_idle_iterations=800000 sub_class=S1:running-stalled"));
}

namespace {

// Seed 25 of false_deadlock_a2a3sim at its sweep point: the head is pinned by a RUNNING consumer
// while a READY task elsewhere on the ring is no evidence. 14 host CPUs at seed 14's point starve
// the chain's core instead.
std::string a2a3sim_snapshot(const TempDir& dir, const std::string& name, const std::vector<std::string>& point,
                             const std::string& seed) {
  const std::string snap = dir.file(name);
  std::vector<std::string> args{"run", catalog("false_deadlock_a2a3sim.json")};
  for (const std::string& set : point) {
    args.push_back("--set");
    args.push_back(set);
  }
  for (const std::string& extra : {std::string("--seed"), seed, std::string("--snapshot"), snap}) args.push_back(extra);
  REQUIRE(cli(args).exit_code == 13);
  return snap;
}

const std::vector<std::string> SEED25_POINT{"/platform/clusters=4", "/platform/host_costs/spin_ns/1=532",
                                            "/platform/host_cpus=25", "/runtime/ring/task_window/2=256"};
const std::vector<std::string> SEED14_POINT{"/platform/clusters=8", "/platform/host_costs/spin_ns/1=205",
                                            "/platform/host_cpus=31", "/runtime/ring/task_window/2=256"};

}  // namespace

TEST_CASE("inspect of an a2a3sim false deadlock cites a task on the head's chain", "[cli][inspect]") {
  TempDir dir;
  const std::string snap = a2a3sim_snapshot(dir, "s25.json", SEED25_POINT, "25");
  const std::string text = cli({"inspect", snap}).out;
  const auto chain = text.find("Progress was possible along this chain:");
  REQUIRE(chain != std::string::npos);
  const auto end = text.find("can make progress", chain);
  REQUIRE(end != std::string::npos);
  // The head waits on its RUNNING consumer: that is the evidence, not a READY task off the chain.
  CHECK_THAT(text.substr(chain, end - chain), Catch::Contains("is pinned by its consumer: task 8589934594 'pv' RUNNING"));
  CHECK_THAT(text, Catch::Contains("when it fired, task 8589934594 'pv' RUNNING"));
  const nlohmann::json json = nlohmann::json::parse(cli({"inspect", snap, "--json"}).out);
  REQUIRE(json["progress_task"].is_number());
  const auto& tasks = json["chain_tasks"];
  CHECK(std::find(tasks.begin(), tasks.end(), json["progress_task"]) != tasks.end());
  CHECK(tasks.size() == 2);
  // The DOT graph: the orchestrator and the chain's two tasks, nothing else.
  const std::string dot = cli({"inspect", snap, "--dot"}).out;
  const std::regex task_node("\\nt[0-9]+ \\[");
  CHECK(std::distance(std::sregex_iterator(dot.begin(), dot.end(), task_node), std::sregex_iterator()) == 2);
  CHECK_THAT(dot, Catch::Contains("RUNNING fanin 2/2"));
}

TEST_CASE("inspect of an a2a3sim false deadlock names the threads that waited off their host CPU", "[cli][inspect]") {
  TempDir dir;
  const std::string snap = a2a3sim_snapshot(dir, "s14.json", SEED14_POINT, "14");
  const std::string text = cli({"inspect", snap}).out;
  CHECK_THAT(text, Catch::Contains("waited off their host CPU"));
  CHECK(std::regex_search(text, std::regex("c[0-9]+\\.ai[cv][0-9]* on host CPU [0-9]+: off-CPU [1-9][0-9]*\\.[0-9]+ ms")));
  CHECK_THAT(text, Catch::Contains("<--- runs a task of the chain"));
  const nlohmann::json json = nlohmann::json::parse(cli({"inspect", snap, "--json"}).out);
  REQUIRE(json.contains("host_threads"));
  std::int64_t worst = 0;
  for (const auto& thread : json["host_threads"]) worst = std::max<std::int64_t>(worst, thread["off_cpu_ns"].get<std::int64_t>());
  CHECK(worst > 1'000'000);
  // On a run without a detector the same figures are in `timing`, text and JSON.
  const CliResult run = cli({"run", catalog("false_deadlock_a2a3sim.json"), "--nominal", "--seed", "0", "--json"});
  const nlohmann::json result = nlohmann::json::parse(run.out);
  REQUIRE(result["timing"].contains("host_threads"));
  CHECK(result["timing"]["host_threads"].size() >= 3);
  CHECK_THAT(cli({"run", catalog("false_deadlock_a2a3sim.json"), "--nominal", "--seed", "0"}).out,
             Catch::Contains("off host CPU (runnable, another thread held the CPU): orchestrator"));
}

TEST_CASE("inspect offers no later publish as a fix to a program with AUTO scopes only", "[cli][inspect]") {
  TempDir dir;
  const std::string snap = a2a3sim_snapshot(dir, "s25.json", SEED25_POINT, "25");
  // This program has a deferred MANUAL scope: a later publish is a fix.
  CHECK_THAT(cli({"inspect", snap}).out, Catch::Contains("(or when the scope publishes)"));
  // The same snapshot with every scope AUTO (as a program without MANUAL scopes records it).
  nlohmann::json json = nlohmann::json::parse(read_file(snap));
  for (auto& scope : json["scopes"]) {
    scope["mode"] = "auto";
    scope["deferred_publish"] = false;
    scope["unpublished"] = 0;
  }
  const std::string auto_only = dir.file("auto.json");
  write_file(auto_only, json.dump(1));
  const std::string text = cli({"inspect", auto_only}).out;
  CHECK_THAT(text, Catch::Contains("the fix is the detector, not a larger resource"));
  CHECK_THAT(text, !Catch::Contains("when the scope publishes"));
}

TEST_CASE("inspect shows the published and the schedulers' watermark when publication is batched", "[cli][inspect]") {
  TempDir dir;
  const std::string snap = dir.file("batched.json");
  REQUIRE(cli({"run", catalog("watermark_publication_batched.json"), "--seed", "0", "--snapshot", snap}).exit_code == 13);
  const std::string text = cli({"inspect", snap}).out;
  // The runtime's dump, with ptosim's line on the two watermarks of the blocked ring.
  CHECK_THAT(text, Catch::Contains("Watermark ring 1: published last_task_alive="));
  // The rings section and the chain say the head was reclaimed but not published.
  CHECK(std::regex_search(text, std::regex("published last_task_alive=[0-9]+ scheduler last_task_alive=[0-9]+ "
                                           "\\([0-9]+ reclaimed slots not yet published\\)")));
  CHECK_THAT(text, Catch::Contains("batched publication held it back"));
}

TEST_CASE("inspect shows REQUIRE_SYNC_START_INVALID with the runtime's line and the state at the submit", "[cli][inspect]") {
  TempDir dir;
  const std::string snap = dir.file("s.json");
  REQUIRE(cli({"run", catalog("sync_start_exceeds_aiv_count.json"), "--seed", "0", "--snapshot", snap}).exit_code == 14);
  const std::string text = cli({"inspect", snap}).out;
  CHECK_THAT(text, Catch::Contains("runtime error 7 REQUIRE_SYNC_START_INVALID"));
  CHECK_THAT(text, Catch::Contains("FATAL [submit_task] (code=7): require_sync_start block_num=13 > limit=12 (deadlock guaranteed)"));
  CHECK_THAT(text, Catch::Contains("orch_error_code=7"));
  CHECK_THAT(text, Catch::Contains("the device has 12 AIV cores"));
  CHECK_THAT(text, Catch::Contains("orchestrator: submitting sync_start task 'gang'"));
}

TEST_CASE("inspect shows a core's pending task in the CLUSTER dump, the task list and the threads", "[cli][inspect]") {
  // A kernel that outlasts the scheduler watchdog (10 s), with a second AIC task loaded into its
  // core's pending slot (the dual slot, on by default).
  TempDir dir;
  const std::string scenario = dir.file("stall.json");
  write_file(scenario, R"({
  "format": 1, "name": "dual_slot_stall", "description": "a kernel that outlasts the watchdog, a task in its pending slot",
  "platform": {"clusters": 1, "scheduler_threads": 1},
  "kernels": {"long": {"core": "aic", "duration_ns": 20000000000}, "short": {"core": "aic", "duration_ns": 1000}},
  "program": {"body": [
    {"submit": "long", "name": "long", "args": [{"output": "a", "shape": [64]}]},
    {"submit": "short", "name": "short", "args": [{"output": "b", "shape": [64]}]}
  ]}
})");
  const std::string snap = dir.file("s.json");
  cli({"run", scenario, "--seed", "1", "--snapshot", snap});
  const std::string text = cli({"inspect", snap, "--all"}).out;
  CHECK(std::regex_search(text, std::regex("CLUSTER cluster_id=0 aic=core0\\(busy kernel=[0-9]+ task=0 cond_reg_state=ack pending=1 running_tok=[0-9]+ pending_tok=[0-9]+\\)")));
  CHECK(std::regex_search(text, std::regex("short +READY")));
  CHECK_THAT(text, Catch::Contains("c0.aic runs task 0 (pending task 1)"));
}

TEST_CASE("inspect of a notifier loaded behind its waiter shows code 100 and the pending slot", "[cli][inspect]") {
  // The dual slot put the setter (task 3) into the pending slot of the core whose kernel polls for
  // its notify: that core never finishes and the other AIV core idles.
  TempDir dir;
  const std::string snap = dir.file("s.json");
  REQUIRE(cli({"run", catalog("dual_slot_signal_wait_behind.json"), "--seed", "2", "--snapshot", snap}).exit_code == 11);
  const std::string text = cli({"inspect", snap}).out;
  CHECK_THAT(text, Catch::Contains("runtime error 100 SCHEDULER_TIMEOUT"));
  CHECK_THAT(text, Catch::Contains("sub_class=S1:running-stalled"));
  CHECK(std::regex_search(text, std::regex("CLUSTER cluster_id=0 aic=core0\\(idle\\) aiv[01]=core[12]\\(busy kernel=[0-9]+ task=0 cond_reg_state=ack pending=3 ")));
  CHECK_THAT(text, Catch::Contains("runs task 0 (pending task 3)"));
}
