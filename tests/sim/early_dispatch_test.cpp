// Early dispatch (runtime/early_dispatch.cpp): a consumer whose producers all set early_resolve
// is pre-staged on a free core gated by a doorbell, and starts when its last producer's
// completion rings it, without a scheduler dispatch in between; a consumer with one producer
// lacking the bit is never staged; a full early queue leaves candidates to the ready path.
#include "hwmodel/ai_core.h"
#include "hwmodel/global_memory.h"
#include "sim_harness.h"
#include "simcore/event_log.h"
#include "simcore/thread_clock.h"

#include <catch2/catch.hpp>

#include <fstream>
#include <string>
#include <vector>

using namespace ptosim;
using namespace ptosim::testing;

namespace {

constexpr int KIND_DISPATCH = static_cast<int>(simcore::EventKind::dispatch);
constexpr int KIND_START = static_cast<int>(simcore::EventKind::start);
constexpr int KIND_COMPLETE = static_cast<int>(simcore::EventKind::complete);

// Producer `p` (5 us) and consumer `c` (1 us) on AIV cores of one scheduler thread; `c` waits for
// `p` and, when `second_producer` is set, for a second producer `q` without early_resolve.
scenarios::Scenario producer_consumer(bool early, bool second_producer) {
  const std::string flag = early ? "true" : "false";
  const std::string q = second_producer ? R"({"submit": "short", "name": "q"},)" : "";
  const std::string deps = second_producer ? R"(["p", "q"])" : R"(["p"])";
  return load(R"({
    "format": 1, "name": "early", "description": "a producer and its consumer",
    "platform": {"clusters": 2, "scheduler_threads": 1},
    "kernels": {"long": {"core": "aiv", "duration_ns": 5000}, "short": {"core": "aiv", "duration_ns": 1000}},
    "program": {"body": [
      {"submit": "long", "name": "p", "early_resolve": )" + flag + "}, " + q + R"(
      {"submit": "short", "name": "c", "deps": )" + deps + R"(}
    ]}
  })");
}

// The time of the first event of `kind` for task `subject`, or -1.
std::int64_t event_time(const Json& result, int kind, std::uint64_t subject) {
  for (const Json& e : result["events"]) {
    if (e[0] == kind && e[2] == subject) return e[1].get<std::int64_t>();
  }
  return -1;
}

}  // namespace

TEST_CASE("early dispatch: a staged consumer starts at its producer's completion instant", "[early]") {
  const Json result = run(producer_consumer(true, false), 1);
  REQUIRE(result["outcome"] == "pass");
  CHECK(hit(result, "early dispatch staged"));
  CHECK(hit(result, "early doorbell rung"));
  const std::int64_t producer_done = event_time(result, KIND_COMPLETE, 0);
  const std::int64_t consumer_start = event_time(result, KIND_START, 1);
  const std::int64_t consumer_staged = event_time(result, KIND_DISPATCH, 1);
  REQUIRE(producer_done > 0);
  // Staged while the producer ran; started by the doorbell rung in the completion's fanout walk:
  // its store is seen one register latency (140 ns) later, with no scheduler iteration between.
  CHECK(consumer_staged < producer_done);
  CHECK(consumer_start == producer_done + 140);
}

TEST_CASE("early dispatch: without early_resolve the consumer waits for a dispatch round", "[early]") {
  const Json result = run(producer_consumer(false, false), 1);
  REQUIRE(result["outcome"] == "pass");
  CHECK_FALSE(hit(result, "early dispatch staged"));
  const std::int64_t producer_done = event_time(result, KIND_COMPLETE, 0);
  // The scheduler's iteration (completion and dispatch costs), the register and the receive work.
  CHECK(event_time(result, KIND_DISPATCH, 1) > producer_done);
  CHECK(event_time(result, KIND_START, 1) > producer_done + 140 + 349);
}

TEST_CASE("early dispatch: a consumer with a producer lacking early_resolve is not staged", "[early]") {
  const Json result = run(producer_consumer(true, true), 1);
  REQUIRE(result["outcome"] == "pass");
  CHECK_FALSE(hit(result, "early dispatch staged"));
  CHECK_FALSE(hit(result, "early doorbell rung"));
  // c is task 2: dispatched only after both producers completed.
  const std::int64_t last_done = std::max(event_time(result, KIND_COMPLETE, 0), event_time(result, KIND_COMPLETE, 1));
  CHECK(event_time(result, KIND_DISPATCH, 2) > last_done);
}

TEST_CASE("early dispatch: a full early queue leaves the candidates to the ready path", "[early]") {
  // 300 AIV consumers of one long flagged AIC producer on one cluster (2 AIV cores): two are
  // staged, the queue of 256 fills behind them and the rest wait to become READY.
  const auto scenario = load(R"({
    "format": 1, "name": "early_full", "description": "more candidates than the early queue holds",
    "platform": {"clusters": 1, "scheduler_threads": 1},
    "kernels": {"long": {"core": "aic", "duration_ns": 2000000}, "short": {"core": "aiv", "duration_ns": 1000}},
    "program": {"body": [
      {"submit": "long", "name": "p", "early_resolve": true},
      {"for": "i", "to": 300, "body": [{"submit": "short", "name": "c{i}", "deps": ["p"]}]}
    ]}
  })");
  const Json result = run(scenario, 0);
  CHECK(result["outcome"] == "pass");
  CHECK(result["tasks_completed"] == 301);
  CHECK(hit(result, "early queue full"));
  CHECK(hit(result, "early dispatch staged"));
  CHECK(hit(result, "early doorbell rung"));
}

TEST_CASE("early dispatch: the stall dump shows a consumer staged behind a wedged producer", "[early]") {
  // cross_core_wait_unsatisfied.json with early_resolve on its MIX producer: the producer waits
  // for a flag nobody sets, its consumer sits gated on an AIV core of the other cluster, and the
  // scheduler watchdog's CLUSTER lines name it.
  std::ifstream file(std::string(PTOSIM_SOURCE_DIR) + "/scenarios/catalog/cross_core_wait_unsatisfied.json");
  Json doc = Json::parse(file);
  doc["program"]["body"][0]["early_resolve"] = true;
  doc.erase("expect");
  const Json result = run(load(doc.dump()), 0);
  REQUIRE(result["outcome"] == "hang");
  CHECK(hit(result, "early dispatch staged"));
  CHECK_FALSE(hit(result, "early doorbell rung"));
  const std::string message = result["message"].get<std::string>();
  CHECK(message.find("(staged kernel=") != std::string::npos);
  CHECK(message.find("task=1 gated=doorbell)") != std::string::npos);
}

namespace {

// One board core holding a gated task (token 7, 500 ns): its payload store lands at `payload_ns`
// and its doorbell store at `doorbell_ns`, in the order `doorbell_first` says. COND is read at
// each of `probes`.
Json run_gated_core(TimeNs payload_ns, TimeNs doorbell_ns, bool doorbell_first, const std::vector<TimeNs>& probes) {
  return in_child([=] {
    simcore::Simulation sim;
    simcore::DecisionSource decisions(1, simcore::make_random_strategy(1));
    const simcore::LoopCost costs[simcore::LOOP_KIND_COUNT] = {{"spin", {10, 10}}, {"idle", {10, 10}}, {"poll", {0, 0}}};
    simcore::DedicatedClock clock(decisions, costs);
    simcore::EventLog events;
    hwmodel::GlobalMemory memory;
    const hwmodel::CoreTiming timing;  // register 140 ns, receive work 349 ns, FIN 600 ns
    hwmodel::AiCore core(0, hwmodel::CoreKind::aiv0, 1, timing, decisions, events, clock, memory);
    const hwmodel::KernelSpec kernel;
    hwmodel::TaskDescriptor gated;
    gated.task = 3;
    gated.token = 7;
    gated.kernel = &kernel;
    gated.min_duration_ns = 500;
    gated.max_duration_ns = 500;
    Json out = Json::object();
    out["probes"] = Json::array();
    sim.spawn("aicpu", sim.add_host("aicpu"), [&] {
      if (doorbell_first) {
        core.ring_doorbell(7, doorbell_ns);
        core.write_gated(gated, payload_ns);
      } else {
        core.write_gated(gated, payload_ns);
        out["gated"] = core.gated();
        out["fin_while_gated"] = core.fin_visible_ns() == TIME_NEVER;
        core.ring_doorbell(7, doorbell_ns);
      }
      for (const TimeNs at : probes) {
        simcore::sleep_until(at);
        const hwmodel::CondRegister cond = core.read_cond();
        out["probes"].push_back(Json{{"token", cond.token}, {"executing", core.executing()}});
      }
      out["fin_visible_ns"] = core.fin_visible_ns();
    });
    sim.run(1'000'000);
    return out;
  });
}

}  // namespace

TEST_CASE("early dispatch: a gated core starts when both its payload and its doorbell are seen", "[early]") {
  // Doorbell late: payload seen and arguments filled at 0 + 140 + 349 = 489; doorbell seen at
  // 2000 + 140 = 2140: the kernel runs 2140..2640 and FIN is visible at 3240.
  const Json late = run_gated_core(0, 2000, false, {2139, 2141, 5000});
  REQUIRE_FALSE(late.contains("error"));
  CHECK(late["gated"] == true);
  CHECK(late["fin_while_gated"] == true);  // the next FIN is unknown until the doorbell
  CHECK(late["probes"][0] == Json{{"token", 0}, {"executing", false}});
  CHECK(late["probes"][1] == Json{{"token", 7}, {"executing", true}});
  CHECK(late["probes"][2] == Json{{"token", 7}, {"executing", false}});
  CHECK(late["fin_visible_ns"] == 2140 + 500 + 600);
  // Doorbell first (the producer completed before the stager's store landed): the receive work
  // decides, 1000 + 140 + 349 = 1489.
  const Json early = run_gated_core(1000, 0, true, {1488, 1490});
  REQUIRE_FALSE(early.contains("error"));
  CHECK(early["probes"][0] == Json{{"token", 0}, {"executing", false}});
  CHECK(early["probes"][1] == Json{{"token", 7}, {"executing", true}});
  CHECK(early["fin_visible_ns"] == 1489 + 500 + 600);
}
