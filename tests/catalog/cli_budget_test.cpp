// Budgets on input and on work (issue 20): every JSON input is bounded before it is parsed (depth,
// numbers a double holds), the loader's total work is bounded (expansion steps, GM runs over all
// arguments), and a run stops at its budgets with sim_limit instead of exhausting memory. Each
// test builds the input that used to cost seconds to minutes, or crash, and checks it now stops
// early with a clear error naming the field.
#include "cli_harness.h"

#include <catch2/catch.hpp>

#include <chrono>

using namespace ptosim::testing;

namespace {

struct Timed {
  CliResult result;
  double seconds = 0;
};

Timed timed_cli(const std::vector<std::string>& args) {
  const auto start = std::chrono::steady_clock::now();
  Timed t;
  t.result = cli(args, 120);
  t.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return t;
}

std::string error_message(const CliResult& r) {
  INFO("stdout: " << r.out << "\nstderr: " << r.err);
  Json j;
  REQUIRE_NOTHROW(j = Json::parse(r.out));
  return j["error"]["message"].get<std::string>();
}

// Bounds on wall time here are loose (a shared, loaded CI machine; sanitizer builds): they catch
// work quadratic in the input or a runaway expansion (tens of seconds), not a slow second.
constexpr double WALL_BOUND_S = 15.0;

}  // namespace

TEST_CASE("numbers beyond a double in --set are invalid input naming the field", "[cli][budget]") {
  const CliResult r = cli({"run", catalog("contended_fanout.json"), "--seed", "1", "--set", "/platform/clusters=1e400", "--json"});
  CHECK(r.exit_code == 3);
  const std::string message = error_message(r);
  CHECK_THAT(message, Catch::Contains("/platform/clusters"));
  CHECK_THAT(message, Catch::Contains("out of range"));
}

TEST_CASE("a deeply nested --set value is rejected before it is parsed", "[cli][budget]") {
  // 20,000 levels: quadratic work in the depth took 6 s at 8,000 levels before the bound.
  const std::string deep = std::string(20000, '[') + std::string(20000, ']');
  const Timed t = timed_cli({"check", catalog("contended_fanout.json"), "--set", "/program/params/ROUNDS=" + deep, "--json"});
  INFO("stderr: " << t.result.err);
  CHECK(t.result.exit_code == 3);
  CHECK(t.seconds < WALL_BOUND_S);
  const std::string message = error_message(t.result);
  CHECK_THAT(message, Catch::Contains("/program/params/ROUNDS"));
  CHECK_THAT(message, Catch::Contains("nested deeper than 256"));
}

TEST_CASE("scenario, recording and snapshot files are bounded before parsing", "[cli][budget]") {
  TempDir dir;
  const std::string deep_file = dir.file("deep.json");
  write_file(deep_file, "{\"format\": 1, \"name\": " + std::string(100000, '[') + std::string(100000, ']') + "}");
  for (const char* command : {"check", "replay", "inspect"}) {
    const Timed t = timed_cli({command, deep_file, "--json"});
    INFO(command);
    CHECK(t.result.exit_code == 3);
    CHECK(t.seconds < WALL_BOUND_S);
    CHECK_THAT(error_message(t.result), Catch::Contains("nested deeper than"));
  }
  const std::string huge_file = dir.file("huge.json");
  write_file(huge_file, "{\"format\": 1, \"seed\": 1e400}");
  for (const char* command : {"check", "replay", "inspect"}) {
    const CliResult r = cli({command, huge_file, "--json"});
    INFO(command);
    CHECK(r.exit_code == 3);
    const std::string message = error_message(r);
    CHECK_THAT(message, Catch::Contains("/seed"));
    CHECK_THAT(message, Catch::Contains("out of range"));
  }
}

TEST_CASE("an expansion over the step budget stops within seconds", "[cli][budget]") {
  TempDir dir;
  // One million tasks of four arguments each: it took 9 s and 300 MB to reach the old budget.
  const std::string path = dir.file("steps.json");
  write_file(path, R"({"format": 1, "name": "steps", "description": "an expansion over the step budget",
    "platform": {"clusters": 1, "scheduler_threads": 1},
    "tensors": {"x": {"shape": [1000000, 64], "dtype": "f32"}},
    "kernels": {"k": {"core": "aiv", "duration_ns": 1000}},
    "program": {"body": [{"for": "i", "to": 999999, "body": [{"submit": "k", "name": "t{i}", "args": [
      {"input": "x", "view": {"shape": [1, 64], "offset": ["i", 0]}},
      {"input": "x", "view": {"shape": [1, 64], "offset": ["i", 0]}},
      {"input": "x", "view": {"shape": [1, 64], "offset": ["i", 0]}},
      {"output_existing": "x", "view": {"shape": [1, 64], "offset": ["i", 0]}}]}]}]}})");
  const Timed t = timed_cli({"check", path, "--json"});
  CHECK(t.result.exit_code == 3);
  CHECK(t.seconds < WALL_BOUND_S);
  CHECK_THAT(error_message(t.result), Catch::Contains("expansion steps"));
}

TEST_CASE("a host with too many threads per CPU for its slices ends in sim_limit, not out of memory", "[cli][budget]") {
  // 1 host CPU, 1,024 background threads, 1 us slices: valid, and it ran 96 s before it ended in
  // std::bad_alloc; the host-scheduler budget ends it in about 2 s.
  const Timed t = timed_cli({"run", catalog("false_deadlock_a2a3sim.json"), "--seed", "1", "--set", "/platform/host_cpus=1",
                             "--set", "/platform/background_threads=1024", "--set", "/platform/time_slice_ns=1000", "--json"});
  INFO("stderr: " << t.result.err);
  CHECK(t.result.exit_code == 15);
  CHECK(t.seconds < WALL_BOUND_S);
  const Json run = Json::parse(t.result.out);
  CHECK(run["outcome"] == "sim_limit");
  CHECK_THAT(run.dump(), Catch::Contains("host-scheduler budget"));
}

TEST_CASE("arguments spanning GM in many runs are bounded in total", "[cli][budget]") {
  TempDir dir;
  // Each argument spans the per-argument maximum of 1,048,576 runs (a column of a tall matrix):
  // 32 of them kept `check` busy for 26 s before the total was bounded.
  const std::string path = dir.file("runs.json");
  write_file(path, R"({"format": 1, "name": "runs", "description": "arguments over the total run budget",
    "platform": {"clusters": 1, "scheduler_threads": 1},
    "tensors": {"m": {"shape": [2097152, 2], "dtype": "f32"}},
    "kernels": {"k": {"core": "aiv", "duration_ns": 1000}},
    "program": {"body": [{"for": "i", "to": 16, "body": [{"submit": "k", "name": "t{i}", "args": [
      {"no_dep": "m", "view": {"shape": [1048576, 1], "offset": [0, "i % 2"]}},
      {"output_existing": "m", "slice": {"dim": 0, "start": 0, "end": 1048576, "step": 2}}]}]}]}})");
  const Timed t = timed_cli({"check", path, "--json"});
  CHECK(t.result.exit_code == 3);
  CHECK(t.seconds < WALL_BOUND_S);
  CHECK_THAT(error_message(t.result), Catch::Contains("runs of contiguous elements in all"));
  // The budgets' use is reported for a valid scenario.
  const CliResult ok = cli({"check", catalog("paged_attention_flagship.json"), "--json"});
  REQUIRE(ok.exit_code == 0);
  const Json work = Json::parse(ok.out)["loader_work"];
  CHECK(work["expansion_steps"].get<std::uint64_t>() > 0);
  CHECK(work["expansion_steps"].get<std::uint64_t>() <= work["max_expansion_steps"].get<std::uint64_t>());
  CHECK(work["argument_runs"].get<std::uint64_t>() > 0);
}
