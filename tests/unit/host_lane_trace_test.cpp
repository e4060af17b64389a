// The trace's host-CPU lanes (replay/chrome_trace.h) from hand-made lanes: a span per stretch, a
// round-robin span naming its members, and the note where a capped recording stopped.
#include "replay/chrome_trace.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace ptosim;

TEST_CASE("host-CPU lanes in the trace: stretches, round-robins and the cap note", "[trace]") {
  replay::RunArtifacts artifacts;
  simcore::HostLanes& lanes = artifacts.host_lanes;
  lanes.cpus = 2;
  lanes.thread_names = {"orchestrator", "sched0", "c0.aic"};
  lanes.slices.push_back(simcore::HostLaneSlice{0, 0, 1500, 0, 0, {}});
  lanes.slices.push_back(simcore::HostLaneSlice{1, 100, 700, -1, 2, {{1, 200, 400}, {2, 100, 200}}});
  lanes.truncated = true;
  lanes.truncated_at_ns = 700;
  lanes.cap = 2;
  const nlohmann::json trace = nlohmann::json::parse(replay::chrome_trace_json(artifacts, runtime::ModelInput{}));
  int cpu_lanes = 0;
  bool stretch = false;
  bool round_robin = false;
  bool note = false;
  for (const nlohmann::json& event : trace["traceEvents"]) {
    if (event.value("pid", 0) != 3) continue;
    if (event["ph"] == "M" && event["name"] == "thread_name") ++cpu_lanes;
    if (event["ph"] == "X" && event["name"] == "orchestrator") {
      stretch = event["tid"] == 0 && event["args"]["on_cpu_ns"] == 1500;
    }
    if (event["ph"] == "X" && event["name"] == "round-robin: sched0, c0.aic (2 rounds)") {
      round_robin = event["tid"] == 1 && event["args"]["members"].size() == 2 &&
                    event["args"]["members"][1]["on_cpu_ns"] == 200;
    }
    if (event["ph"] == "i") note = event["args"]["cap"] == 2;
  }
  CHECK(cpu_lanes == 2);
  CHECK(stretch);
  CHECK(round_robin);
  CHECK(note);
}

TEST_CASE("a run without host lanes has no host-CPU process in its trace", "[trace]") {
  const std::string trace = replay::chrome_trace_json(replay::RunArtifacts{}, runtime::ModelInput{});
  CHECK(trace.find("host CPUs") == std::string::npos);
}
