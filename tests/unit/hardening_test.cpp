// Regression tests for the defect classes of issue 10 that live below the command line: the
// loader's own work is bounded and its name matching is linear; numbers too large for a double
// are bad input; integers read from files are range-checked at full width; replay refuses a
// decision whose logged range is not the requested one.
#include "replay/recording.h"
#include "replay/report_json.h"
#include "runtime/ring_buffers.h"
#include "runtime/tensor_map.h"
#include "scenarios/expression.h"
#include "scenarios/scenario.h"
#include "simcore/decision_source.h"
#include "simcore/event_log.h"
#include "simcore/hashing.h"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <unistd.h>

using namespace ptosim;
using scenarios::ScenarioError;

namespace {

std::string scenario_with_body(const std::string& body, const std::string& params = "{}") {
  return R"({"format": 1, "name": "t", "description": "d", "platform": {"clusters": 1, "scheduler_threads": 1},
             "kernels": {"k": {"core": "aiv", "duration_ns": 1}},
             "program": {"params": )" +
         params + R"(, "body": )" + body + "}}";
}

std::string load_error(const std::string& text) {
  try {
    scenarios::load_scenario_text(text, "t.json");
  } catch (const ScenarioError& e) {
    return e.what();
  }
  return "accepted";
}

class TempFile {
 public:
  TempFile() : dir_(std::filesystem::temp_directory_path() / ("ptosim-unit-hardening-" + std::to_string(::getpid()))) {
    std::filesystem::create_directories(dir_);
  }
  ~TempFile() { std::filesystem::remove_all(dir_); }
  std::string write(const std::string& text) const {
    const std::string path = (dir_ / "f.json").string();
    std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
    return path;
  }

 private:
  std::filesystem::path dir_;
};

}  // namespace

TEST_CASE("loops whose bodies produce nothing are bounded by the expansion steps", "[hardening][validation]") {
  // 2e6 x 2e6 empty iterations (each loop within its own bound): before the work bound this never
  // finished (the issue saw 8e6 x 8e6 under the old per-loop bound).
  const std::string empty = R"([{"for": "a", "to": 2000000, "body": [{"for": "b", "to": 2000000, "body": []}]}])";
  CHECK_THAT(load_error(scenario_with_body(empty)), Catch::Contains("expansion steps"));
  // Expressions cost what they evaluate: a long condition in a loop is charged per node.
  std::string condition = "1";
  for (int i = 0; i < 500; ++i) condition += " + 1";
  const std::string heavy = R"([{"for": "a", "to": 2000000, "body": [{"if": ")" + condition + R"(", "then": []}]}])";
  CHECK_THAT(load_error(scenario_with_body(heavy)), Catch::Contains("expansion steps"));
}

TEST_CASE("name templates match in linear time", "[hardening][validation]") {
  // 25 parts against a long run of digits: the backtracking matcher never returned.
  std::string text = "t";
  for (int i = 0; i < 25; ++i) text += "{i}";
  const auto name = scenarios::NameTemplate::parse(text);
  CHECK_FALSE(name.matches("t" + std::string(200, '1') + "x"));
  CHECK(name.matches("t" + std::string(200, '1')));
  CHECK_FALSE(name.matches("t" + std::string(24, '1')));  // every part needs a digit
  CHECK(name.matches("t" + std::string(25, '1')));
  const auto pair = scenarios::NameTemplate::parse("up{b}_{k-1}");
  CHECK(pair.matches("up3_-1"));
  CHECK(pair.matches("up10_20"));
  CHECK_FALSE(pair.matches("up3_"));
  CHECK_FALSE(pair.matches("up_3"));
  CHECK_FALSE(pair.matches("up3-1"));
  CHECK(scenarios::NameTemplate::parse("a-{x}").matches("a--5"));
  CHECK(scenarios::NameTemplate::parse("plain").matches("plain"));
  CHECK_FALSE(scenarios::NameTemplate::parse("plain").matches("plainx"));

  // Through the loader: a dependency on an undefined name checked against that template.
  const std::string body = R"([{"submit": "k", "name": ")" + text + R"("}, {"submit": "k", "name": "u", "deps": ["t)" +
                           std::string(60, '1') + R"(x"]}])";
  CHECK_THAT(load_error(scenario_with_body(body, R"({"i": 0})")), Catch::Contains("undefined task"));
}

TEST_CASE("a number too large for a double is invalid input, in scenarios, recordings and snapshots",
          "[hardening][validation]") {
  CHECK_THAT(load_error(scenario_with_body("[]", R"({"A": 1e400})")), Catch::Contains("out of range"));
  TempFile file;
  CHECK_THROWS_AS(replay::read_recording(file.write(R"({"format": "ptosim-recording", "version": 1e400})")),
                  replay::InputError);
  CHECK_THROWS_AS(replay::read_snapshot_file(file.write(R"({"format": "ptosim-snapshot", "time_ns": 1e400})")),
                  replay::InputError);
}

TEST_CASE("integers read from recordings and snapshots are checked at their full width", "[hardening][recording]") {
  replay::Recording rec;
  rec.tool_version = "0.1.0";
  rec.scenario_text = "{}";
  rec.scenario_hash = fnv1a64(rec.scenario_text);
  rec.strategy = "random";
  rec.decisions.streams = {"s"};
  simcore::DecisionEntry entry;
  entry.value = 5;
  entry.lo = 0;
  entry.hi = 9;
  rec.decisions.entries = {entry};
  const replay::Json good = replay::Json::parse(replay::recording_to_text(rec));
  TempFile file;
  auto pointer_of = [&](const replay::Json& doc) -> std::string {
    try {
      replay::read_recording(file.write(replay::json_text(doc)));
    } catch (const replay::InputError& e) {
      return e.pointer();
    }
    return "accepted";
  };
  REQUIRE(pointer_of(good) == "accepted");
  replay::Json doc = good;
  doc["version"] = (1ULL << 32) + static_cast<std::uint64_t>(replay::RECORDING_VERSION);
  CHECK(pointer_of(doc) == "/version");
  doc = good;
  doc["decisions"][0]["part"] = 1ULL << 32;
  CHECK(pointer_of(doc) == "/decisions/0/part");
  doc = good;
  doc["result"]["sim_time_ns"] = 18446744073709551615ULL;
  CHECK(pointer_of(doc) == "/result/sim_time_ns");

  replay::Json snapshot = replay::Json::parse(replay::json_text(replay::snapshot_to_json(runtime::StateSnapshot{})));
  snapshot["error_code"] = 4294967299ULL;
  CHECK_THROWS_WITH(replay::snapshot_from_json(snapshot, "s.json"), Catch::Contains("/error_code"));
  snapshot["error_code"] = 3;
  snapshot["time_ns"] = 18446744073709551615ULL;
  CHECK_THROWS_WITH(replay::snapshot_from_json(snapshot, "s.json"), Catch::Contains("/time_ns"));
}

TEST_CASE("replay refuses a logged decision whose range is not the requested one", "[hardening][recording]") {
  auto replay_with = [](std::uint64_t value, std::uint64_t lo, std::uint64_t hi) {
    simcore::DecisionLog log;
    log.streams = {"core0.duration"};
    simcore::DecisionEntry entry;
    entry.value = value;
    entry.lo = lo;
    entry.hi = hi;
    entry.default_value = lo;
    log.entries = {entry};
    simcore::DecisionSource source(0, simcore::make_replay_strategy(log));
    const simcore::StreamId stream = source.stream("core0.duration");
    return source.decide_ns({stream, 0, 0}, 100, 200);
  };
  CHECK(replay_with(150, 100, 200) == 150);
  // Only lo or hi edited: the value is still inside the request, but the decision is not the logged one.
  CHECK_THROWS_AS(replay_with(150, 90, 200), simcore::DecisionDivergence);
  CHECK_THROWS_AS(replay_with(150, 100, 300), simcore::DecisionDivergence);
}

TEST_CASE("the final flush of scheduled events reports a spent event budget instead of throwing",
          "[hardening][events]") {
  simcore::EventLog log(3);
  log.record(simcore::EventKind::submit, 0, 0, 0);
  for (int i = 1; i <= 4; ++i) log.record_at(simcore::EventKind::start, 10 * i, 0, 0);
  bool within_budget = true;
  REQUIRE_NOTHROW(within_budget = log.finish(100));  // threw RunLimitReached outside every actor
  CHECK_FALSE(within_budget);
  CHECK(log.size() == 3);
  simcore::EventLog roomy(10);
  roomy.record_at(simcore::EventKind::start, 10, 0, 0);
  roomy.record_at(simcore::EventKind::start, 200, 0, 0);  // after the end: never happened
  CHECK(roomy.finish(100));
  CHECK(roomy.size() == 1);
}

TEST_CASE("products of valid detector fields are validated", "[hardening][validation]") {
  auto with_detectors = [](const std::string& detectors, const std::string& extra = "") {
    return R"({"format": 1, "name": "t", "description": "d", "platform": {"clusters": 4, "scheduler_threads": 2},
               "runtime": {"detectors": )" +
           detectors + extra + R"(}, "kernels": {"k": {"core": "aiv", "duration_ns": 1}}, "program": {"body": []}})";
  };
  CHECK_THAT(load_error(with_detectors(R"({"kind": "legacy", "spin_ns": 1000000000000,
                                           "orchestrator_spin_limit": 1099511627776})")),
             Catch::Contains("/runtime/detectors/orchestrator_spin_limit: orchestrator_spin_limit x spin_ns max"));
  CHECK_THAT(load_error(with_detectors(R"({"kind": "legacy", "scheduler_idle_limit": 1099511627776})",
                                       R"(, "scheduler_costs": {"idle_iteration_ns": 1000000000000})")),
             Catch::Contains("/runtime/detectors/scheduler_idle_limit"));
  CHECK_THAT(load_error(with_detectors(R"({"kind": "current", "spin_ns": 1000000000000,
                                           "structural_check_spins": 1073741824})")),
             Catch::Contains("structural_check_spins x spin_ns max"));
  // 2^40 spins of at most 20 ns: a window of about 6 hours, valid.
  CHECK(load_error(with_detectors(R"({"kind": "legacy", "orchestrator_spin_limit": 1099511627776})")) == "accepted");
}

TEST_CASE("checked time arithmetic saturates at TIME_NEVER", "[hardening]") {
  CHECK(add_ns(1, 2) == 3);
  CHECK(add_ns(TIME_NEVER - 1, 5) == TIME_NEVER);
  CHECK(mul_ns(1ULL << 40, 1'000'000'000'000LL) == TIME_NEVER);
  CHECK(mul_ns(100'000, 20) == 2'000'000);
  CHECK(mul_ns(~0ULL, 1) == TIME_NEVER);
}

TEST_CASE("rings and the TensorMap assert their invariants", "[hardening][invariants]") {
  runtime::HeapRing heap(4096);
  REQUIRE(heap.try_alloc(1024));
  CHECK_THROWS_WITH(heap.reclaim_to(8192), Catch::Contains("outside the heap"));
  runtime::DepPool pool(8);
  REQUIRE(pool.try_reserve(4));
  CHECK_THROWS_WITH(pool.reclaim_to(5), Catch::Contains("past its top"));
  runtime::TensorMap map;
  runtime::TensorMapEntry entry;
  entry.buffer = 0x1000;
  entry.producer = 7;
  map.insert(entry);
  entry.producer = 3;
  CHECK_THROWS_WITH(map.insert(entry), Catch::Contains("after task 7"));
}
