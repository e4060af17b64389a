// `run --json` reports where the simulated time went (`timing`), and the figures agree with the
// trace of the same run.
#include "cli_harness.h"

#include <catch2/catch.hpp>

#include <cmath>

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
