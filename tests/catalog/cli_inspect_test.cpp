// `ptosim inspect` under a false deadlock: it says the detector was wrong and why, draws only
// the chain from the blocked orchestrator to the task that could progress, and lists every live
// task on request.
#include "cli_harness.h"

#include <catch2/catch.hpp>

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
