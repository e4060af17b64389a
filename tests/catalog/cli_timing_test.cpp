// `run --json` reports where the simulated time went (`timing`), and the figures agree with the
// trace of the same run.
#include "cli_harness.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <set>
#include <vector>

using namespace ptosim::testing;

TEST_CASE("run --json timing: orchestrator, threads, cores and ring peaks agree with the trace", "[cli][timing]") {
  TempDir dir;
  const std::string trace = dir.file("t.json");
  CliResult r = cli({"run", catalog("paged_attention_flagship.json"), "--nominal", "--seed", "1", "--json", "--trace", trace});
  REQUIRE(r.exit_code == 0);
  const Json run = Json::parse(r.out);
  const Json& timing = run["timing"];
  const long long end_ns = run["sim_time_ns"].get<long long>();
  CHECK(timing["sim_time_ns"] == end_ns);
  CHECK(timing["orchestration_done"] == true);
  CHECK(timing["orchestrator_ns"].get<long long>() > 0);
  CHECK(timing["orchestrator_ns"].get<long long>() <= end_ns);
  REQUIRE(timing["threads"].size() == 3);
  for (const Json& thread : timing["threads"]) {
    CHECK(thread["busy_ns"].get<long long>() > 0);
    CHECK(thread["busy_ns"].get<long long>() <= end_ns);
  }
  REQUIRE(timing["cores"].size() == 12);
  long long core_busy_ns = 0;
  for (const Json& core : timing["cores"]) {
    CHECK((core["kind"] == "aic" || core["kind"] == "aiv"));
    const double utilization = core["utilization"].get<double>();
    CHECK(utilization >= 0.0);
    CHECK(utilization <= 1.0);
    core_busy_ns += core["busy_ns"].get<long long>();
  }
  // Every kernel span of the trace is core busy time, and nothing else is.
  long long kernel_ns = 0;
  const Json trace_doc = Json::parse(read_file(trace));
  for (const Json& event : trace_doc["traceEvents"]) {
    if (event["ph"] == "X" && event["pid"] == 2) kernel_ns += std::llround(event["dur"].get<double>() * 1000.0);
  }
  CHECK(core_busy_ns == kernel_ns);
  bool some_ring_used = false;
  for (const Json& ring : timing["rings"]) {
    CHECK(ring["peak_tasks_in_flight"].get<long long>() < ring["task_window"].get<long long>());
    CHECK(ring["peak_heap_bytes"].get<long long>() <= ring["heap_bytes"].get<long long>());
    CHECK(ring["peak_dep_pool_entries"].get<long long>() <= ring["dep_pool_entries"].get<long long>());
    CHECK(ring["peak_dep_pool_live"].get<long long>() <= ring["peak_dep_pool_entries"].get<long long>());
    some_ring_used = some_ring_used || ring["peak_tasks_in_flight"].get<long long>() > 0;
  }
  CHECK(some_ring_used);
  // The human summary says the same in a few lines.
  CliResult text = cli({"run", catalog("paged_attention_flagship.json"), "--seed", "1"});
  CHECK_THAT(text.out, Catch::Contains("timing: orchestrator "));
  CHECK_THAT(text.out, Catch::Contains("4 aic cores busy: mean"));
}

TEST_CASE("timing of a false deadlock shows where the orchestrator was blocked", "[cli][timing]") {
  CliResult r = cli({"run", catalog("false_deadlock_deferred_publish.json"), "--nominal", "--seed", "4", "--json"});
  REQUIRE(r.exit_code == 13);
  const Json timing = Json::parse(r.out)["timing"];
  CHECK(timing["orchestration_done"] == false);
  CHECK(timing["orchestrator_ns"] == timing["sim_time_ns"]);
  const Json& ring = timing["rings"][2];
  CHECK(ring["blocked_ns"]["task_window"].get<long long>() > 0);
  CHECK(ring["peak_tasks_in_flight"] == 255);  // the window of 256 was full
}

namespace {

std::int64_t trace_ns(const Json& micros) { return static_cast<std::int64_t>(std::llround(micros.get<double>() * 1000.0)); }

// The host-CPU lanes of an a2a3sim trace against the run's timing: a lane per CPU with slices,
// all within the run, none overlapping on a CPU, and each thread's on-CPU total equal to timing's.
void check_host_lanes(const std::string& seed, bool expect_round_robin) {
  TempDir dir;
  const std::string trace = dir.file("t.json");
  const CliResult r = cli({"run", catalog("false_deadlock_a2a3sim.json"), "--seed", seed, "--json", "--trace", trace});
  REQUIRE((r.exit_code == 0 || r.exit_code == 13));
  const Json run = Json::parse(r.out);
  const std::int64_t end_ns = run["sim_time_ns"].get<std::int64_t>();
  std::map<int, std::vector<std::pair<std::int64_t, std::int64_t>>> by_cpu;
  std::set<int> lanes;
  std::map<std::string, std::int64_t> on_cpu;
  bool round_robin = false;
  const Json doc = Json::parse(read_file(trace));
  for (const Json& event : doc["traceEvents"]) {
    if (event.value("pid", 0) != 3) continue;
    if (event["ph"] == "M" && event["name"] == "thread_name") lanes.insert(event["tid"].get<int>());
    if (event["ph"] != "X") continue;
    const std::int64_t start_ns = trace_ns(event["ts"]);
    const std::int64_t stop_ns = start_ns + trace_ns(event["dur"]);
    CHECK(start_ns >= 0);
    CHECK(stop_ns <= end_ns);
    by_cpu[event["tid"].get<int>()].emplace_back(start_ns, stop_ns);
    const Json& args = event["args"];
    if (args.contains("members")) {
      round_robin = true;
      for (const Json& member : args["members"]) on_cpu[member["thread"].get<std::string>()] += member["on_cpu_ns"].get<std::int64_t>();
    } else {
      on_cpu[args["thread"].get<std::string>()] += args["on_cpu_ns"].get<std::int64_t>();
    }
  }
  CHECK(round_robin == expect_round_robin);
  REQUIRE_FALSE(lanes.empty());  // on these seeds every CPU holds a thread at some point
  for (int cpu : lanes) {
    auto& slices = by_cpu[cpu];
    CHECK_FALSE(slices.empty());
    std::sort(slices.begin(), slices.end());
    for (std::size_t i = 1; i < slices.size(); ++i) CHECK(slices[i - 1].second <= slices[i].first);
  }
  REQUIRE(run["timing"]["host_threads"].size() >= 3);
  int threads_off_cpu = 0;
  for (const Json& thread : run["timing"]["host_threads"]) {
    const std::string name = thread["name"].get<std::string>();
    CHECK(on_cpu[name] == thread["on_cpu_ns"].get<std::int64_t>());
    if (thread["off_cpu_ns"].get<std::int64_t>() > 0) ++threads_off_cpu;
  }
  CHECK(threads_off_cpu >= 1);
}

}  // namespace

TEST_CASE("a2a3sim trace: host-CPU lanes hold each thread's on-CPU time and never overlap", "[cli][timing][trace]") {
  // Seed 1 passes with 52 threads on 36 CPUs (round-robins of spinning threads); seed 2 is a
  // false deadlock with a thread off its CPU.
  check_host_lanes("1", true);
  check_host_lanes("2", false);
}

// A scenario copy with `runtime.scheduler_costs.manual.dispatch_ns` set (the MANUAL-scope override).
static std::string with_manual_dispatch_cost(const TempDir& dir, const std::string& name, int dispatch_ns) {
  nlohmann::ordered_json doc = nlohmann::ordered_json::parse(read_file(catalog(name)));
  doc["runtime"]["scheduler_costs"]["manual"]["dispatch_ns"] = dispatch_ns;
  const std::string path = dir.file(name);
  write_file(path, doc.dump(2));
  return path;
}

TEST_CASE("a MANUAL-scope scheduler cost override slows runs with MANUAL scopes only", "[cli][timing][costs]") {
  TempDir dir;
  auto busy = [](const Json& run) {
    long long sum = 0;
    for (const Json& thread : run["timing"]["threads"]) sum += thread["busy_ns"].get<long long>();
    return sum;
  };
  // raw_race_manual_scope submits its tasks in a MANUAL scope: dispatching them costs more now.
  const Json plain = Json::parse(cli({"run", catalog("raw_race_manual_scope.json"), "--seed", "3", "--json"}).out);
  const Json slow = Json::parse(
      cli({"run", with_manual_dispatch_cost(dir, "raw_race_manual_scope.json", 4000), "--seed", "3", "--json"}).out);
  CHECK(busy(slow) > busy(plain));
  CHECK(slow["sim_time_ns"].get<long long>() > plain["sim_time_ns"].get<long long>());
  // contended_fanout has no MANUAL scope: the override changes nothing, digest included.
  const Json auto_only = Json::parse(cli({"run", catalog("contended_fanout.json"), "--seed", "3", "--json"}).out);
  const Json auto_override = Json::parse(
      cli({"run", with_manual_dispatch_cost(dir, "contended_fanout.json", 4000), "--seed", "3", "--json"}).out);
  CHECK(auto_override["digest"] == auto_only["digest"]);
  CHECK(auto_override["sim_time_ns"] == auto_only["sim_time_ns"]);
}

TEST_CASE("a host read is priced once, by its get_tensor_data statement, at its scope's price", "[cli][timing][costs]") {
  TempDir dir;
  // tensor_wait_submit_publish: 4 get_tensor_data statements in a MANUAL scope. Each consume also
  // declares `tensor_data: 1` (format 1), which expands to one statement more: 8 reads in all.
  nlohmann::ordered_json doc = nlohmann::ordered_json::parse(read_file(catalog("tensor_wait_submit_publish.json")));
  nlohmann::ordered_json& consume = doc["program"]["body"][0]["body"][0]["body"][2];
  REQUIRE(consume["submit"] == "consume");
  consume["tensor_data"] = 1;
  doc["runtime"]["orchestrator_costs"] = {{"get_tensor_data_ns", 1000}, {"manual", {{"get_tensor_data_ns", 700}}}};
  const std::string path = dir.file("reads.json");
  write_file(path, doc.dump(2));
  CliResult r = cli({"run", path, "--seed", "2", "--json"});
  REQUIRE(r.exit_code == 0);
  const Json timing = Json::parse(r.out)["timing"];
  // Once per call, at the MANUAL price: no call is charged twice, none at the AUTO price.
  CHECK(timing["orchestrator_terms"]["get_tensor_data"] == 8 * 700);
}
