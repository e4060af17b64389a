// The dual slot of a core on the board: a pending task starts right after the running one's FIN,
// as an agenda event of the core, without an AICPU poll in between.
#include "hwmodel/ai_core.h"
#include "hwmodel/global_memory.h"
#include "sim_harness.h"
#include "simcore/agenda.h"
#include "simcore/marks.h"
#include "simcore/thread_clock.h"

#include <catch2/catch.hpp>

using namespace ptosim;
using namespace ptosim::testing;

namespace {

hwmodel::TaskDescriptor task(std::uint32_t ordinal, std::uint32_t token, const hwmodel::KernelSpec& kernel, TimeNs duration_ns) {
  hwmodel::TaskDescriptor descriptor;
  descriptor.task = ordinal;
  descriptor.token = token;
  descriptor.kernel = &kernel;
  descriptor.min_duration_ns = duration_ns;
  descriptor.max_duration_ns = duration_ns;
  return descriptor;
}

// One board core: task 1 (1000 ns) written at 0, task 2 (500 ns) into its pending slot at 0.
// Nothing touches the core after that; COND is read at `probes`.
Json run_dual_slot(const std::vector<TimeNs>& probes) {
  return in_child([probes] {
    simcore::reset_marks();
    simcore::Simulation sim;
    simcore::DecisionSource decisions(1, simcore::make_random_strategy(1));
    const simcore::LoopCost costs[simcore::LOOP_KIND_COUNT] = {{"spin", {10, 10}}, {"idle", {10, 10}}, {"poll", {0, 0}}};
    simcore::DedicatedClock clock(decisions, costs);
    simcore::EventLog events;
    hwmodel::GlobalMemory memory;
    const hwmodel::CoreTiming timing;
    hwmodel::AiCore core(0, hwmodel::CoreKind::aic, 1, timing, decisions, events, clock, memory);
    const hwmodel::KernelSpec kernel;
    Json out = Json::object();
    out["probes"] = Json::array();
    sim.spawn("aicpu", sim.add_host("aicpu"), [&] {
      core.write_task(task(1, 11, kernel, 1000), 0);
      core.write_pending(task(2, 12, kernel, 500), 0);
      out["pending_held"] = core.has_pending();
      for (const TimeNs at : probes) {
        simcore::sleep_until(at);
        const hwmodel::CondRegister cond = core.read_cond();
        out["probes"].push_back(Json{{"token", cond.token}, {"fin", cond.fin}, {"pending", core.has_pending()}});
      }
      out["fin_visible_ns"] = core.fin_visible_ns();
      out["busy_ns"] = core.busy_ns(10'000);
    });
    sim.run(1'000'000);
    out["mark"] = simcore::mark_count("core starts its pending task");
    return out;
  });
}

}  // namespace

TEST_CASE("a core with a pending task starts it right after FIN with no poll in between", "[dual_slot]") {
  // Task 1: seen at 140, starts at 489, ends at 1489. Task 2 starts at 1489 + 349 = 1838, ends at 2338.
  const Json result = run_dual_slot({1000, 1600, 2000, 2400});
  REQUIRE_FALSE(result.contains("error"));
  CHECK(result["pending_held"] == true);
  const Json& probes = result["probes"];
  CHECK(probes[0] == Json{{"token", 11}, {"fin", false}, {"pending", true}});
  CHECK(probes[1] == Json{{"token", 12}, {"fin", false}, {"pending", false}});  // task 2 is in place
  CHECK(probes[2] == Json{{"token", 12}, {"fin", false}, {"pending", false}});
  CHECK(probes[3] == Json{{"token", 12}, {"fin", true}, {"pending", false}});
  CHECK(result["fin_visible_ns"] == 2338 + 600);
  CHECK(result["busy_ns"] == 1000 + 500);
  CHECK(result["mark"] == 1);
}
